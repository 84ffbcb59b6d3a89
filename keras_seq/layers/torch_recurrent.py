"""PyTorch's native LSTM, GRU and RNN kernels behind Keras's recurrent layers.

The torch backend of Keras runs `keras.layers.LSTM`, `GRU` and `SimpleRNN`
step by step in Python on the CPU (a dozen eager operations per step for an
LSTM) and uses the fused kernel only with CUDA, never with a mask, and never
for a `SimpleRNN`. This module runs the same layer through `torch.lstm`,
`torch.gru`, `torch.rnn_tanh` or `torch.rnn_relu`, the functions behind
`torch.nn.LSTM`, `torch.nn.GRU` and `torch.nn.RNN`: the fused cuDNN kernel
on a GPU, the native one on the CPU. The weights are the layer's own Keras
variables, rearranged on the fly, so gradients reach them through autograd.

Masks: a right-padded mask (each row `True` then `False`) becomes sequence
lengths and a packed sequence, as `torch.nn.utils.rnn.pack_padded_sequence`
makes it, so padded steps neither update the state nor cost time. Outputs
then follow the generic loop of `keras.src.backend.rnn` exactly: a padded
step repeats the previous output (or is zero with `zero_output_for_mask`),
and with `go_backwards=True` the padded steps come first, before the
sequence read from its last real step to its first.

`keras_seq.layers.LSTM`, `GRU` and `SimpleRNN` call this module only for the
configurations it computes exactly; `keras_seq/layers/recurrent_paths.py`
decides which.
"""

import warnings

import torch
from torch.nn.utils import rnn as torch_rnn


def right_padded_lengths(mask):
    """Returns the lengths of a right-padded mask, else `None`.

    `None` also for a mask with an empty row: the packed kernels need every
    sequence to have at least one step.
    """
    mask = mask.bool()
    lengths = mask.sum(dim=1)
    steps = torch.arange(mask.shape[1], device=mask.device)
    if not torch.equal(mask, steps[None, :] < lengths[:, None]):
        return None
    if bool((lengths == 0).any()):
        return None
    return lengths


def lstm_weights(kernel, recurrent_kernel, bias):
    """Keras's LSTM (or SimpleRNN) weights in the layout of `torch.nn.LSTM`
    (or `torch.nn.RNN`).

    Both order the gates (input, forget, cell, output); PyTorch stores the
    matrices transposed and has a second bias, zero here. Without a bias
    (`bias=None`), the two matrices alone.
    """
    if bias is None:
        return [kernel.t(), recurrent_kernel.t()]
    return [
        kernel.t(),
        recurrent_kernel.t(),
        bias,
        torch.zeros_like(bias),
    ]


def _gates_to_torch(weights):
    # Keras orders a GRU's gates (update, reset, candidate); PyTorch
    # (reset, update, candidate).
    update, reset, candidate = torch.chunk(weights, 3, dim=-1)
    return torch.cat([reset, update, candidate], dim=-1)


def gru_weights(kernel, recurrent_kernel, bias):
    """Keras's GRU weights (`reset_after=True`) in `torch.nn.GRU`'s layout.

    Keras's bias has two rows, for the input and the recurrent projections:
    PyTorch's `bias_ih` and `bias_hh`. Without a bias (`bias=None`), the two
    matrices alone.
    """
    if bias is None:
        return [
            _gates_to_torch(kernel).t(),
            _gates_to_torch(recurrent_kernel).t(),
        ]
    return [
        _gates_to_torch(kernel).t(),
        _gates_to_torch(recurrent_kernel).t(),
        _gates_to_torch(bias[0]),
        _gates_to_torch(bias[1]),
    ]


def _reverse_each(sequences, lengths):
    """Reverses the first `lengths[b]` steps of each row, keeping padding
    at the end: `[a, b, c, pad]` -> `[c, b, a, pad]`."""
    steps = torch.arange(sequences.shape[1], device=sequences.device)
    index = torch.where(
        steps[None, :] < lengths[:, None],
        lengths[:, None] - 1 - steps[None, :],
        steps[None, :],
    )
    index = index[:, :, None].expand(-1, -1, sequences.shape[2])
    return torch.gather(sequences, 1, index)


def _quiet(function):
    """`function`, without cuDNN's note that the weights are not one
    contiguous buffer: they are the layer's Keras variables, rearranged on
    every call, by design (gradients flow to them through the copy)."""

    def quiet(*args):
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="RNN module weights are not part"
            )
            return function(*args)

    return quiet


def run(
    kind,
    sequences,
    initial_state,
    weights,
    lengths=None,
    go_backwards=False,
    zero_output_for_mask=False,
    training=False,
    return_sequences=True,
    return_states=True,
):
    """Runs one LSTM, GRU or simple RNN layer with PyTorch's kernel.

    Args:
        kind: `"lstm"`, `"gru"`, `"rnn_tanh"` or `"rnn_relu"`.
        sequences: `(batch, timesteps, features)` tensor.
        initial_state: `[h, c]` (LSTM) or `[h]` (the others), each
            `(batch, units)`.
        weights: from `lstm_weights` (LSTM, RNN) or `gru_weights`: two
            matrices, then two biases unless the layer has none.
        lengths: `(batch,)` lengths of a right-padded mask, or `None`.
        go_backwards: whether to read each sequence from its end.
        zero_output_for_mask: whether padded steps output zeros rather than
            the previous output.
        training: whether autograd should keep what the backward pass needs.
        return_sequences: whether the caller reads `outputs`. With a mask
            and without, `outputs` is an empty `(batch, 0, 0)` tensor, and
            the padded outputs are never assembled.
        return_states: whether the caller reads the final states. A masked
            LSTM in training that does not runs the padded batch through
            the kernel unpacked (see below) and returns `[]` for them.

    Returns:
        `(last_output, outputs, states)`, as Keras's `backend.rnn` returns
        them: outputs in the order the steps were processed.

    Packed sequences skip the padded steps, but the backward pass of
    PyTorch's packed LSTM on the CPU zero-fills a gradient the size of all
    the batch's input projections at every step. For a masked LSTM in
    training whose final cell state nobody reads, running every step of
    the padded batch and reading each row's last real output is faster:
    forward and backward of LSTM(128) over a (128, 40, 64) batch with
    lengths 5 to 40, 52.8 ms packed, 42.5 ms padded (`python
    benchmarks/recurrent_layers.py --backends torch` shows the effect on a
    whole model). A GRU's packed backward does not pay as much: it stays
    packed.
    """
    function = _quiet(getattr(torch, kind))
    # has_biases, num_layers, dropout, train, bidirectional.
    options = (len(weights) == 4, 1, 0.0, training, False)
    if sequences.is_cuda:
        # cuDNN reads its weights as flat, contiguous buffers.
        weights = [w.contiguous() for w in weights]
    hidden = tuple(s[None] for s in initial_state)
    if kind != "lstm":
        hidden = hidden[0]
    if lengths is None:
        if go_backwards:
            sequences = torch.flip(sequences, dims=[1])
        outputs, *states = function(
            sequences,
            hidden,
            weights,
            *options,
            True,  # batch first
        )
        states = [s[0] for s in states]
        # The last output is the final hidden state: taken from the state,
        # autograd leaves the other steps' outputs out of the backward pass.
        return states[0], outputs, states

    timesteps = sequences.shape[1]
    if go_backwards:
        sequences = _reverse_each(sequences, lengths)
    if kind == "lstm" and training and not return_states:
        # Right-padded, every row's real steps come first: its outputs
        # there are those of the packed run, and its last real output is
        # the final hidden state that the packed run would return.
        outputs, *_ = function(
            sequences,
            hidden,
            weights,
            *options,
            True,  # batch first
        )
        index = (lengths - 1)[:, None, None].expand(-1, 1, outputs.shape[2])
        final_output = torch.gather(outputs, 1, index)[:, 0]
        states = []
    else:
        packed = torch_rnn.pack_padded_sequence(
            sequences, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        if kind == "lstm":
            hidden = tuple(s[:, packed.sorted_indices] for s in hidden)
        else:
            hidden = hidden[:, packed.sorted_indices]
        packed_outputs, *states = function(
            packed.data, packed.batch_sizes, hidden, weights, *options
        )
        states = [s[0, packed.unsorted_indices] for s in states]
        final_output = states[0]
        outputs = None
        if return_sequences:
            outputs, _ = torch_rnn.pad_packed_sequence(
                packed._replace(data=packed_outputs),
                batch_first=True,
                total_length=timesteps,
            )
    # What the generic loop outputs on a padded step: the last real output
    # going forward, the initial state going backward (nothing has been
    # read yet), or zeros.
    fill = initial_state[0] if go_backwards else final_output
    if zero_output_for_mask:
        fill = torch.zeros_like(fill)
    # The last output, `outputs[:, -1]`, without a path through every
    # step's output for autograd to take: the final output, except for
    # zeros where the last step is padding (never, going backward).
    last_output = final_output
    if zero_output_for_mask and not go_backwards:
        last_output = torch.where(
            (lengths == timesteps)[:, None], final_output, fill
        )
    if not return_sequences:
        return last_output, sequences.new_empty((len(lengths), 0, 0)), states
    # (batch, timesteps): where each output is real.
    steps = torch.arange(timesteps, device=sequences.device)
    if go_backwards:
        source = steps[None, :] - (timesteps - lengths[:, None])
        real = source >= 0
        index = source.clamp(min=0)[:, :, None].expand_as(outputs)
        outputs = torch.gather(outputs, 1, index)
    else:
        real = steps[None, :] < lengths[:, None]
    outputs = torch.where(real[:, :, None], outputs, fill[:, None, :])
    return last_output, outputs, states
