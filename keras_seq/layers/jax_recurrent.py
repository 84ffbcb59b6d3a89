"""cuDNN's LSTM kernel on the JAX backend, in the semantics of Keras's loop.

Keras's JAX backend reaches cuDNN's LSTM (`jax.experimental.rnn.lstm`) for
an unmasked layer on a GPU, but with `go_backwards=True` and
`return_sequences=True` it returns the outputs flipped back into input
order, where its generic loop (and every other backend) returns them in the
order the layer read them (Keras 3.15.1; our parity test on an H100 found
it). This module calls the kernel itself and keeps the generic loop's
order. keras_seq calls it only for a layer wider than
`recurrent_paths.JAX_SCAN_MAX_UNITS`, or made with `use_cudnn=True`:
narrower ones train and predict faster in Keras's compiled scan.

Masked batches stay on Keras's compiled `lax.scan`: the kernel takes
sequence lengths, and a version of this module that used them (checking
the right-padding on the device) matched Keras's masked loop within 1e-5,
but trained 2.7 times slower than the scan on an H100 (LSTM(128) over a
padded batch of 128 x 40 tokens: 24,548 against 67,294 samples/s;
`benchmarks/results/recurrent_layers_gpu.json`).
"""

import jax.numpy as jnp


def cudnn_lstm(sequences, h, c, kernel, recurrent_kernel, bias, lengths):
    """`jax.experimental.rnn.lstm` on Keras's weights; `(y, h, c)`."""
    from jax.experimental import rnn

    weights = jnp.concatenate(
        [
            kernel.T.ravel(),
            recurrent_kernel.T.ravel(),
            bias,
            jnp.zeros_like(bias),
        ]
    )
    y, h, c = rnn.lstm(
        sequences,
        h[None],
        c[None],
        weights,
        lengths,
        input_size=kernel.shape[0],
        hidden_size=recurrent_kernel.shape[0],
        num_layers=1,
        dropout=0.0,
        bidirectional=False,
    )
    return y, h[0], c[0]


def lstm(
    sequences,
    initial_state,
    weights,
    go_backwards=False,
    kernel_function=cudnn_lstm,
):
    """One unmasked LSTM layer, as Keras's `inner_loop` returns it.

    Args:
        sequences: `(batch, steps, features)`, dropout already applied.
        initial_state: `[h, c]`, each `(batch, units)`.
        weights: Keras's `(kernel, recurrent_kernel, bias)`.
        go_backwards: bool, as the layer's.
        kernel_function: `cudnn_lstm`, or a function with its signature
            (the tests pass JAX's reference implementation on the CPU).

    Returns:
        `(last_output, outputs, [h, c])`: `outputs` has every step, in the
        order the layer read them.
    """
    sequences = jnp.asarray(sequences)
    h, c = (jnp.asarray(s) for s in initial_state)
    if go_backwards:
        sequences = jnp.flip(sequences, axis=1)
    batch_size, num_steps = sequences.shape[:2]
    lengths = jnp.full((batch_size,), num_steps, dtype="int32")
    outputs, h, c = kernel_function(sequences, h, c, *weights, lengths)
    return outputs[:, -1], outputs, [h, c]
