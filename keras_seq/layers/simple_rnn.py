"""SimpleRNN: `keras.layers.SimpleRNN` that reaches PyTorch's native kernel."""

import keras

from keras_seq.layers import recurrent_paths


@keras.saving.register_keras_serializable(package="keras_seq")
class SimpleRNN(keras.layers.SimpleRNN):
    """Fully-connected RNN whose output is fed back as its next input.

    A drop-in `keras.layers.SimpleRNN`: the same arguments, weights,
    variable names, outputs and saved configuration. What changes is the
    kernel that runs it:

    - on the torch backend, CPU or GPU, PyTorch's native RNN kernel (the one
      behind `torch.nn.RNN`, with `tanh` or `relu`), computed from this
      layer's own variables so that gradients reach them, where Keras steps
      through the sequence in Python. A right-padded mask keeps the native
      kernel: it becomes sequence lengths, and the outputs equal those of
      Keras's masked loop;
    - on TensorFlow and JAX, Keras's compiled loop (a `tf.while_loop`, a
      `lax.scan`), which is what these backends have for this layer.

    The native kernel runs when all of these hold; otherwise the layer runs
    Keras's step-by-step loop and says why in a warning, once for each
    reason:
    1. `activation` is `tanh` (the default) or `relu`;
    2. `recurrent_dropout == 0` (`dropout` is fine);
    3. `unroll` is `False` (the default);
    4. the dtype policy is `"float32"`;
    5. any mask is right-padded: each row is `True` then `False`, with at
       least one `True`;
    6. with a mask, the model is not being traced by `torch.export`
       (`model.export(..., format="torch")`), which cannot trace lengths
       read from a mask's values.

    `layer.last_path` names the path of the latest call (`"native"` or
    `"keras"`) and `layer.path_counts` counts every call's.

    Args:
        units: int. The dimensionality of the output space.
        **kwargs: every other argument of `keras.layers.SimpleRNN`, with the
            same meaning and defaults.

    Example:

    ```python
    import numpy as np
    import keras_seq

    rnn = keras_seq.layers.SimpleRNN(32, return_sequences=True)
    outputs = rnn(np.random.rand(4, 10, 8).astype("float32"))
    outputs.shape  # (4, 10, 32)
    ```
    """

    def inner_loop(self, sequences, initial_state, mask, training=False):
        return recurrent_paths.inner_loop(
            self,
            "simple_rnn",
            super().inner_loop,
            sequences,
            initial_state,
            mask,
            training,
        )
