"""GRU: `keras.layers.GRU` that reaches PyTorch's native kernel."""

import keras

from keras_seq.layers import recurrent_paths


@keras.saving.register_keras_serializable(package="keras_seq")
class GRU(keras.layers.GRU):
    """Gated Recurrent Unit layer (Cho et al., 2014).

    A drop-in `keras.layers.GRU`: the same arguments, weights, variable
    names, outputs and saved configuration. What changes is the kernel that
    runs it:

    - on the torch backend, CPU or GPU, PyTorch's native GRU kernel (the one
      behind `torch.nn.GRU`, whose gates are Keras's `reset_after=True`
      ones, reordered), computed from this layer's own variables so that
      gradients reach them. A right-padded mask keeps the native kernel: it
      becomes sequence lengths, and the outputs equal those of Keras's
      masked loop;
    - on TensorFlow, Keras's own paths: cuDNN on a GPU, and on the CPU a
      `tf.while_loop` in a graph (which `model.fit` does not XLA-compile on
      a machine without a GPU unless the model is compiled with
      `jit_compile=True`);
    - on JAX, which has no fused GRU, a `lax.scan` under XLA: on a GPU
      Keras's JAX `gru`, which projects every step's input before its
      scan; on the CPU the generic scan, which projects each step's input
      inside it and is faster there.

    The native kernel runs when all of these hold; otherwise the layer runs
    Keras's step-by-step loop and says why in a warning, once for each
    reason:
    1. `activation` is `tanh` and `recurrent_activation` is `sigmoid`
       (the defaults);
    2. `recurrent_dropout == 0` (`dropout` is fine);
    3. `reset_after` is `True` and `unroll` is `False` (the defaults),
       and for cuDNN (TensorFlow on a GPU) `use_bias` is `True`;
    4. `use_cudnn` is not `False`;
    5. the dtype policy is `"float32"`;
    6. any mask is right-padded: each row is `True` then `False`, with at
       least one `True`;
    7. with a mask, the model is not being traced by `torch.export`
       (`model.export(..., format="torch")`), which cannot trace lengths
       read from a mask's values.

    `layer.last_path` names the path of the latest call (`"native"`,
    `"cudnn"` or `"keras"`) and `layer.path_counts` counts every call's.

    Args:
        units: int. The dimensionality of the output space.
        **kwargs: every other argument of `keras.layers.GRU`, with the
            same meaning and defaults.

    Example:

    ```python
    import numpy as np
    import keras_seq

    gru = keras_seq.layers.GRU(32, return_state=True)
    output, state = gru(np.random.rand(4, 10, 8).astype("float32"))
    output.shape  # (4, 32)
    ```

    Reference:
    - [Cho et al., 2014](https://arxiv.org/abs/1406.1078)
    """

    def inner_loop(self, sequences, initial_state, mask, training=False):
        return recurrent_paths.inner_loop(
            self,
            "gru",
            super().inner_loop,
            sequences,
            initial_state,
            mask,
            training,
        )
