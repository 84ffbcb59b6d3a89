"""One way to compile an inference function on every backend."""

import itertools

import keras


def compile_function(function, model, state_variables=()):
    """Compiles `function(*args)`, which reads `model`'s weights, for speed.

    TensorFlow: `tf.function(jit_compile=True)` (XLA). JAX: `jax.jit` of a
    stateless version that receives the model's variables as arguments, so
    the compiled function sees new weights after training. torch: eager,
    under `torch.no_grad()`.

    Args:
        function: the Python function to compile; its arguments and results
            are structures of tensors.
        model: the `keras.Model` (or layer) whose variables `function` reads.
        state_variables: other variables that `function` reads and updates,
            such as a sampler's random seed state; their new values are
            written back after each call.

    Returns:
        A callable with the signature of `function`.
    """
    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        # The functions use `keras.ops` control flow, so AutoGraph has
        # nothing to convert; skipping it saves seconds of tracing.
        return tf.function(function, jit_compile=True, autograph=False)
    if backend == "jax":
        import jax

        state_variables = list(state_variables)

        def stateless_function(variables, *args):
            state_values, trainable, non_trainable = variables
            mapping = itertools.chain(
                zip(state_variables, state_values),
                zip(model.trainable_variables, trainable),
                zip(model.non_trainable_variables, non_trainable),
            )
            with keras.StatelessScope(state_mapping=mapping) as scope:
                outputs = function(*args)
            state_values = []
            for variable in state_variables:
                value = scope.get_current_value(variable)
                state_values.append(variable.value if value is None else value)
            return outputs, state_values

        jitted = jax.jit(stateless_function)

        def call(*args):
            variables = (
                [v.value for v in state_variables],
                [v.value for v in model.trainable_variables],
                [v.value for v in model.non_trainable_variables],
            )
            outputs, state_values = jitted(variables, *args)
            for variable, value in zip(state_variables, state_values):
                variable.assign(value)
            return outputs

        return call

    import torch

    def call(*args):
        with torch.no_grad():
            return function(*args)

    return call
