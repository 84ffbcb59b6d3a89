"""Which kernel runs a `keras_seq.layers.LSTM`, `GRU` or `SimpleRNN`, and a
record of it.

The paths, by name:
- `"native"`: PyTorch's own LSTM/GRU/RNN kernel (`torch.lstm`, `torch.gru`,
  `torch.rnn_tanh`, `torch.rnn_relu`) on the torch backend, CPU or GPU,
  masks included when right-padded (`keras_seq/layers/torch_recurrent.py`).
- `"cudnn"`: cuDNN on a GPU: Keras's path on TensorFlow; on JAX, for an
  unmasked LSTM wider than `JAX_SCAN_MAX_UNITS` (or one made with
  `use_cudnn=True`), `jax.experimental.rnn.lstm` called by
  `keras_seq/layers/jax_recurrent.py`.
- `"keras"`: Keras's own loop: a compiled `lax.scan` / `tf.while_loop` on
  JAX and TensorFlow, which is these backends' kernel on the CPU (and on a
  GPU the fastest JAX path for a GRU, a masked LSTM and an LSTM of up to
  `JAX_SCAN_MAX_UNITS`), or a Python loop over steps on torch. On the CPU
  with JAX, a GRU runs the generic loop of `keras.src.backend.rnn` rather
  than Keras's JAX `gru`, whose up-front input projection is slower there
  (`_runs_generic_scan` says by how much). A `SimpleRNN` runs Keras's loop on
  TensorFlow and JAX, which have no fused kernel for it.

A layer records each path it takes in `layer.path_counts` and the latest in
`layer.last_path`, so that a test (or a user) can check the fast path ran. A
layer that has to leave a native kernel for the Keras loop says why, once,
in a warning.
"""

import collections
import warnings

import keras

from keras_seq.utils.devices import uses_gpu

NATIVE = "native"
CUDNN = "cudnn"
KERAS = "keras"

# The widest unmasked LSTM that runs Keras's compiled scan rather than cuDNN
# on JAX on a GPU, in training and in inference. On an H100 the scan trained
# LSTM(128) over MNIST rows 1.51x as fast as cuDNN, LSTM(256) 1.09-1.38x,
# LSTM(512) 0.93-1.18x, and LSTM(768) to LSTM(2048) 0.40-0.86x; it predicted
# 1.21-1.91x as fast up to 1,024 units (but 0.95x for one LSTM(512) shape)
# and 0.77-0.98x beyond
# (`benchmarks/results/gpu_h100_jax_scan.md`; rerun with
# `benchmarks/jax_gpu_lstm_paths.py`).
JAX_SCAN_MAX_UNITS = {"training": 512, "inference": 1024}


def configuration_reasons(layer, kind):
    """Why `layer`'s configuration cannot run on a native kernel, as a list
    of phrases (empty when it can)."""
    cell = layer.cell
    reasons = []
    # `keras.layers.SimpleRNN` has no `use_cudnn`.
    if getattr(layer, "use_cudnn", "auto") is False:
        reasons.append("use_cudnn=False")
    if cell.recurrent_dropout:
        reasons.append(f"recurrent_dropout={cell.recurrent_dropout}")
    if layer.unroll:
        reasons.append("unroll=True")
    if kind == "simple_rnn":
        if _simple_rnn_kernel(cell) is None:
            reasons.append("an activation other than tanh or relu")
    else:
        if cell.activation not in (keras.activations.tanh, keras.ops.tanh):
            reasons.append("an activation other than tanh")
        if cell.recurrent_activation not in (
            keras.activations.sigmoid,
            keras.ops.sigmoid,
        ):
            reasons.append("a recurrent_activation other than sigmoid")
    if not cell.use_bias and keras.config.backend() != "torch":
        # cuDNN needs the biases; PyTorch's kernels run without them.
        reasons.append("use_bias=False")
    if kind == "gru" and not cell.reset_after:
        reasons.append("reset_after=False")
    if layer.compute_dtype != "float32" or layer.variable_dtype != "float32":
        reasons.append(f"the dtype policy {layer.dtype_policy.name!r}")
    return reasons


def _simple_rnn_kernel(cell):
    """The PyTorch kernel for a `SimpleRNNCell`'s activation, or `None`."""
    if cell.activation in (keras.activations.tanh, keras.ops.tanh):
        return "rnn_tanh"
    if cell.activation in (keras.activations.relu, keras.ops.relu):
        return "rnn_relu"
    return None


def _record(layer, path, reason=None):
    # Plain attributes, out of sight of Keras's layer tracking.
    if not hasattr(layer, "path_counts"):
        object.__setattr__(layer, "path_counts", collections.Counter())
    layer.path_counts[path] += 1
    object.__setattr__(layer, "last_path", path)
    # Each reason is announced once per layer.
    if not hasattr(layer, "_announced_reasons"):
        object.__setattr__(layer, "_announced_reasons", set())
    if reason and reason not in layer._announced_reasons:
        layer._announced_reasons.add(reason)
        warnings.warn(
            f"Layer {layer.name!r} runs Keras's step-by-step loop instead "
            f"of the native kernel because of {reason}; this is slower. "
            "The conditions for the native kernel are listed in the "
            f"docstring of keras_seq.layers.{type(layer).__name__}.",
            stacklevel=4,
        )


def _is_exporting(torch):
    # `torch.compiler.is_exporting` is in PyTorch 2.5 and later.
    is_exporting = getattr(torch.compiler, "is_exporting", None)
    return is_exporting is not None and is_exporting()


def _kernel_inputs(layer, sequences, training):
    """The inputs of a fused kernel, with the layer's input dropout applied
    (one mask for every step, as the Keras cell applies it), and the cell's
    `[kernel, recurrent_kernel, bias]` as tensors (`bias` is `None` for a
    layer made with `use_bias=False`)."""
    cell = layer.cell
    if training and cell.dropout:
        sequences = sequences * cell.get_dropout_mask(sequences[:, 0])[:, None]
    weights = [
        None if v is None else keras.ops.convert_to_tensor(v)
        for v in (cell.kernel, cell.recurrent_kernel, cell.bias)
    ]
    return sequences, weights


def jax_lstm_uses_cudnn(layer, training):
    """Whether an unmasked LSTM `layer` on JAX on a GPU runs cuDNN rather
    than Keras's compiled scan: with `use_cudnn=True`, or when it is wider
    than `JAX_SCAN_MAX_UNITS` for this call (training or inference)."""
    if layer.use_cudnn is True:
        return True
    phase = "training" if training else "inference"
    return layer.units > JAX_SCAN_MAX_UNITS[phase]


def _runs_generic_scan(layer, kind, mask, training):
    """Whether `layer` on JAX runs the generic scan of `keras.layers.RNN`
    rather than its Keras class's own paths.

    - A GRU on the CPU: Keras's JAX `gru` projects every step's input before
      its scan, batch-major, then transposes that 3 * units wide result to
      time-major, which costs more there than the projection saves. The
      generic scan, which projects each step's input in the loop, trains
      GRU(128) over a (128, 40, 64) batch 1.4-1.5x as fast and predicts
      1.4-1.6x as fast (`python benchmarks/recurrent_layers.py --backends
      jax`).
    - An unmasked LSTM on a GPU up to `JAX_SCAN_MAX_UNITS`, which Keras's
      own layer would hand to cuDNN.
    """
    if kind == "gru":
        return not uses_gpu()
    return (
        uses_gpu() and mask is None and not jax_lstm_uses_cudnn(layer, training)
    )


def _jax_lstm(layer, sequences, initial_state, training):
    """An unmasked LSTM on JAX's cuDNN kernel (`jax_recurrent.py`)."""
    from keras_seq.layers import jax_recurrent

    sequences, weights = _kernel_inputs(layer, sequences, training)
    _record(layer, CUDNN)
    return jax_recurrent.lstm(
        sequences, initial_state, weights, go_backwards=layer.go_backwards
    )


def inner_loop(
    layer, kind, keras_loop, sequences, initial_state, mask, training
):
    """Runs `layer` over `sequences` on the fastest exact path.

    `keras_loop` is the Keras layer's own `inner_loop`; the arguments and
    the result are those of `keras.layers.RNN.inner_loop`, except that on
    the torch backend, with a mask, what `keras.layers.RNN.call` will not
    return is not computed: the outputs of a layer without
    `return_sequences` come back empty, and so may the states of a layer
    without `return_state` (`torch_recurrent.run` says when).
    """
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    backend = keras.config.backend()
    if backend != "torch" and kind == "simple_rnn":
        # No fused kernel to reach: Keras's compiled loop is the path.
        _record(layer, KERAS)
        return keras_loop(sequences, initial_state, mask, training)
    reasons = configuration_reasons(layer, kind)
    if backend != "torch":
        if backend == "jax" and _runs_generic_scan(layer, kind, mask, training):
            _record(layer, KERAS)
            return keras.layers.RNN.inner_loop(
                layer, sequences, initial_state, mask, training
            )
        if not uses_gpu() or (
            backend == "jax" and (kind == "gru" or mask is not None)
        ):
            # The compiled Keras loop is the fastest path: on the CPU; for
            # a GRU on JAX, which has no fused GRU (Keras hoists the input
            # projections out of its scan); for a masked LSTM on JAX, where
            # the scan beats cuDNN with sequence lengths (jax_recurrent.py).
            _record(layer, KERAS)
        elif reasons:
            _record(layer, KERAS, ", ".join(reasons))
        elif backend == "jax":
            if not all(isinstance(d, int) for d in sequences.shape):
                # Keras infers output shapes with a symbolic batch size,
                # which cuDNN's workspace sizing cannot take; the loop gives
                # the same shapes (nothing is computed).
                return keras_loop(sequences, initial_state, mask, training)
            return _jax_lstm(layer, sequences, initial_state, training)
        else:
            _record(layer, CUDNN)
        return keras_loop(sequences, initial_state, mask, training)

    import torch

    from keras_seq.layers import torch_recurrent

    sequences = keras.ops.convert_to_tensor(sequences)
    if sequences.device.type == "meta":
        # Keras infers output shapes on the meta device: no kernel runs.
        return keras_loop(sequences, initial_state, mask, training)
    lengths = None
    if mask is not None and not reasons:
        mask = keras.ops.convert_to_tensor(mask)
        if _is_exporting(torch):
            # The kernel takes the rows' lengths, which depend on the
            # values of the mask: `torch.export` cannot trace them.
            reasons = ["a mask in a model traced by torch.export"]
        elif not bool(mask.all()):
            lengths = torch_recurrent.right_padded_lengths(mask)
            if lengths is None:
                reasons = ["a mask that is not right-padded, or is empty"]
    if reasons:
        _record(layer, KERAS, ", ".join(reasons))
        return keras_loop(sequences, initial_state, mask, training)

    sequences, variables = _kernel_inputs(layer, sequences, training)
    if kind == "gru":
        weights = torch_recurrent.gru_weights(*variables)
    else:
        # An RNN's weights are laid out as an LSTM's, with one gate.
        weights = torch_recurrent.lstm_weights(*variables)
    if kind == "simple_rnn":
        kind = _simple_rnn_kernel(layer.cell)
    _record(layer, NATIVE)
    return torch_recurrent.run(
        kind,
        sequences,
        [keras.ops.convert_to_tensor(s) for s in initial_state],
        weights,
        lengths=lengths,
        go_backwards=layer.go_backwards,
        zero_output_for_mask=layer.zero_output_for_mask,
        training=bool(training) or torch.is_grad_enabled(),
        # What `keras.layers.RNN.call` reads of the results.
        return_sequences=layer.return_sequences,
        return_states=layer.return_state or layer.stateful,
    )
