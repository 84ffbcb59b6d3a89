"""LSTM: `keras.layers.LSTM` that reaches PyTorch's native kernel."""

import keras

from keras_seq.layers import recurrent_paths


@keras.saving.register_keras_serializable(package="keras_seq")
class LSTM(keras.layers.LSTM):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    A drop-in `keras.layers.LSTM`: the same arguments, weights, variable
    names, outputs and saved configuration. What changes is the kernel that
    runs it:

    - on the torch backend, CPU or GPU, PyTorch's native LSTM kernel (the
      one behind `torch.nn.LSTM`), computed from this layer's own variables
      so that gradients reach them. A right-padded mask (the padded batch
      that `Embedding(mask_zero=True)` makes) keeps the native kernel: it
      becomes sequence lengths, and the outputs equal those of Keras's
      masked loop;
    - on TensorFlow, Keras's own paths: cuDNN on a GPU, and on the CPU a
      `tf.while_loop` in a graph (which `model.fit` does not XLA-compile on
      a machine without a GPU unless the model is compiled with
      `jit_compile=True`);
    - on JAX, Keras's compiled `lax.scan`, also on a GPU up to 512 units in
      training and 1,024 in inference, where it is faster than cuDNN on an
      H100 (Keras's own layer takes cuDNN there); a wider unmasked layer,
      or one made with `use_cudnn=True`, runs cuDNN
      (`jax.experimental.rnn`). These widths were measured on an H100; on
      another GPU, time both (`benchmarks/jax_gpu_lstm_paths.py`) and pass
      `use_cudnn=True` where cuDNN wins.

    The native kernel runs when all of these hold; otherwise the layer runs
    Keras's step-by-step loop and says why in a warning, once for each
    reason:
    1. `activation` is `tanh` and `recurrent_activation` is `sigmoid`
       (the defaults);
    2. `recurrent_dropout == 0` (`dropout` is fine);
    3. `unroll` is `False` (the default), and for cuDNN (TensorFlow or
       JAX on a GPU) `use_bias` is `True`;
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
        **kwargs: every other argument of `keras.layers.LSTM`, with the
            same meaning and defaults.

    Example:

    ```python
    import numpy as np
    import keras_seq

    lstm = keras_seq.layers.LSTM(32, return_sequences=True)
    outputs = lstm(np.random.rand(4, 10, 8).astype("float32"))
    outputs.shape  # (4, 10, 32)
    ```

    Reference:
    - [Hochreiter & Schmidhuber, 1997](
      https://www.bioinf.jku.at/publications/older/2604.pdf)
    """

    def inner_loop(self, sequences, initial_state, mask, training=False):
        return recurrent_paths.inner_loop(
            self,
            "lstm",
            super().inner_loop,
            sequences,
            initial_state,
            mask,
            training,
        )
