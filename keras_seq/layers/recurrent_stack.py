"""RecurrentStack: stacked, optionally bidirectional SimpleRNN, LSTM or GRU.

The block under every keras_seq model: encoders, language models and the
recurrent half of `AttentionDecoder`. It composes the Keras recurrent layers
so that each layer keeps its backend's fused kernel, and adds the two things a
sequence model needs from a stack: every layer's final state, and a `step`
method that advances the whole stack by one token with the same weights.
"""

import keras

from keras_seq.layers.gru import GRU
from keras_seq.layers.lstm import LSTM
from keras_seq.layers.simple_rnn import SimpleRNN
from keras_seq.utils.argument_validation import check_choice
from keras_seq.utils.argument_validation import check_positive_int
from keras_seq.utils.argument_validation import check_rank
from keras_seq.utils.argument_validation import check_rate
from keras_seq.utils.argument_validation import check_shape_rank

CELL_LAYERS = {
    "simple_rnn": SimpleRNN,
    "lstm": LSTM,
    "gru": GRU,
}
# Names of the state tensors each cell carries, in Keras's order.
CELL_STATE_NAMES = {
    "simple_rnn": ["h"],
    "lstm": ["h", "c"],
    "gru": ["h"],
}


def _has_default_activations(cell):
    recurrent_activation = getattr(
        cell, "recurrent_activation", keras.activations.sigmoid
    )
    return (
        cell.activation is keras.activations.tanh
        and recurrent_activation is keras.activations.sigmoid
        and cell.use_bias
        and cell.compute_dtype == "float32"
        and cell.variable_dtype == "float32"
    )


def _as_tensors(x, state):
    """Converts a step's inputs for PyTorch's functions, which take tensors
    only (skipping the conversion's cost for what already is one)."""
    if not keras.ops.is_tensor(x):
        x = keras.ops.convert_to_tensor(x)
    state = [
        s if keras.ops.is_tensor(s) else keras.ops.convert_to_tensor(s)
        for s in state
    ]
    return x, state


def _torch_fused_cell(cell, frozen=False):
    """On torch, one step of `cell` as PyTorch's fused cell function.

    Keras's cells run a dozen separate operations per step, each paying the
    eager dispatch cost of the torch backend; at inference PyTorch's own
    `lstm_cell`, `gru_cell` and `rnn_tanh_cell` compute the same step (same
    gate order for the LSTM, reordered weights for the GRU) in one call.
    Returns `None` where this does not apply: other backends, or a cell
    with non-default activations, no bias, `reset_after=False` or a dtype
    other than float32.

    With `frozen=True` the weights are read once, now, into contiguous
    tensors in PyTorch's layout, outside autograd: for a decoding loop, in
    which they do not change between tokens (an LSTM on the CPU then runs
    `_torch_transposed_lstm` instead of `lstm_cell`). Otherwise every step
    reads the variables' current values.
    """
    if keras.config.backend() != "torch" or not _has_default_activations(cell):
        return None
    import torch

    if frozen and isinstance(cell, keras.layers.LSTMCell):
        transposed = _torch_transposed_lstm(cell)
        if transposed is not None:
            return transposed
    if isinstance(cell, (keras.layers.LSTMCell, keras.layers.SimpleRNNCell)):
        if isinstance(cell, keras.layers.LSTMCell):
            function = torch.lstm_cell
        else:
            function = torch.rnn_tanh_cell

        def weights():
            bias = cell.bias.value
            return (
                cell.kernel.value.t(),
                cell.recurrent_kernel.value.t(),
                bias,
                torch.zeros_like(bias),
            )

    elif isinstance(cell, keras.layers.GRUCell) and cell.reset_after:
        function = torch.gru_cell

        # Keras orders the gates (update, reset, candidate); PyTorch
        # (reset, update, candidate).
        def reorder(weights):
            z, r, n = torch.chunk(weights, 3, dim=-1)
            return torch.cat([r, z, n], dim=-1)

        def weights():
            bias = cell.bias.value
            return (
                reorder(cell.kernel.value).t(),
                reorder(cell.recurrent_kernel.value).t(),
                reorder(bias[0]),
                reorder(bias[1]),
            )

    else:
        return None
    if frozen:
        with torch.no_grad():
            values = tuple(w.detach().contiguous() for w in weights())

        def weights():
            return values

    if function is torch.lstm_cell:

        def step(x, state):
            h, c = function(x, tuple(state), *weights())
            return h, [h, c]

    else:

        def step(x, state):
            h = function(x, state[0], *weights())
            return h, [h]

    return step


def _torch_transposed_lstm(cell, embeddings=None):
    """On torch on a CPU, a frozen LSTM step whose gates are computed
    transposed, `(4 * units, batch_size)`.

    `torch.lstm_cell` multiplies the state by the recurrent kernel as
    `h @ W.T`, and MKL runs that product two to three times as long on 4
    rows as on one; the same product laid out as `W @ h.T` is not (LSTM(256),
    4 rows: 38 against 58 µs). With the gates transposed, each gate is a
    block of rows and the cell's update is six PyTorch calls on them. A
    step of a TextGenerator with LSTM(256) through `generate`, beam search
    at batch 1 (4 rows) and greedy decoding of 4 and 32 rows, got 10–20%
    faster than with `torch.lstm_cell`, greedy decoding of 1 row 3% slower
    (`benchmarks/README.md`, "Generation", has the figures). On a GPU
    `torch.lstm_cell` runs one fused kernel for the gates, which this step
    would split: there it is not used.

    The weights are read once, now (for a decoding loop), with the gates
    reordered to (input, forget, output, cell) so that one sigmoid covers
    the first three. With `embeddings`, a `(num_rows, features)` table, the
    step reads token ids instead of inputs, and their gates' input part
    from every row of the table projected once. Returns a function
    `(inputs, [h, c]) -> (h, [h, c])`, or `None` for anything but an
    `LSTMCell` with default activations, a bias and float32 weights on
    torch's CPU.
    """
    if (
        keras.config.backend() != "torch"
        or not isinstance(cell, keras.layers.LSTMCell)
        or not _has_default_activations(cell)
    ):
        return None
    import torch

    if cell.kernel.value.device.type != "cpu":
        return None
    units = cell.units
    order = torch.cat(
        [
            torch.arange(2 * units),
            torch.arange(3 * units, 4 * units),
            torch.arange(2 * units, 3 * units),
        ]
    )
    with torch.no_grad():
        kernel = cell.kernel.value.detach()[:, order]
        bias = cell.bias.value.detach()[order]
        recurrent_kernel = (
            cell.recurrent_kernel.value.detach()[:, order].t().contiguous()
        )
        if embeddings is None:
            input_kernel = kernel.t().contiguous()
            input_bias = bias[:, None].contiguous()
        else:
            embeddings = keras.ops.convert_to_tensor(embeddings).detach()
            table = torch.addmm(bias, embeddings, kernel).t().contiguous()

    def step(x, state):
        h, c = state
        if embeddings is None:
            gates = torch.addmm(input_bias, input_kernel, x.t())
        else:
            gates = table.index_select(1, x)
        gates.addmm_(recurrent_kernel, h.t())
        sigmoids = torch.sigmoid(gates[: 3 * units])
        c = torch.addcmul(
            sigmoids[units : 2 * units] * c.t(),
            sigmoids[:units],
            torch.tanh(gates[3 * units :]),
        )
        # The next step's product wants `h` row-major: `W @ h.T` on a
        # row-major `h.T` is the slow layout again.
        h = (sigmoids[2 * units :] * torch.tanh(c)).t().contiguous()
        return h, [h, c.t()]

    return step


def _chain(cells):
    """One step of a stack from the steps of its `cells`, bottom up:
    `(x, per-layer states) -> (outputs, new per-layer states)`."""

    def step(x, states):
        new_states = []
        for cell, layer_state in zip(cells, states):
            x, layer_state = cell(x, layer_state)
            new_states.append(layer_state)
        return x, new_states

    return step


def _step_layers(layers, x, states):
    """Advances `layers`, bottom up, by one step from `x`: `(outputs,
    new per-layer states)`, each layer's cell at inference (PyTorch's fused
    cell on torch, where it applies)."""
    new_states = []
    for layer, layer_state in zip(layers, states):
        fused = _torch_fused_cell(layer.cell)
        if fused is not None:
            x, layer_state = fused(*_as_tensors(x, layer_state))
        else:
            x, layer_state = layer.cell(x, list(layer_state), training=False)
        if not isinstance(layer_state, (list, tuple)):
            layer_state = [layer_state]
        new_states.append(list(layer_state))
    return x, new_states


def _rows(table, indices):
    """`keras.ops.take(table, indices, axis=0)` for in-range indices.

    On JAX, Keras's `take` marks out-of-range rows with NaN, and XLA fuses
    that check into each loop that reads the rows: the greedy decoding step
    of a TextGenerator with LSTM(256) at batch 32 took 329 µs, against 213
    µs with the rows clipped into range instead (one-off timings).
    """
    if keras.config.backend() == "jax":
        import jax.numpy as jnp

        return jnp.take(table, indices, axis=0, mode="clip")
    return keras.ops.take(table, indices, axis=0)


def _projected_cell(cell):
    """`(project, step)`: a cell's step split at its input projection.

    `project(x)` is the part of the step that reads only the input, `x @
    kernel` plus the input bias; `step(projected, state)` finishes the step
    from it, and `step(project(x), state)` computes what the Keras cell
    computes for `x`. A decoding loop whose inputs are rows of a fixed table
    (token embeddings) can then project the whole table once instead of
    one row per token. Returns `None` for a cell with non-default
    activations, no bias, `reset_after=False` or a dtype other than float32.
    """
    if not _has_default_activations(cell):
        return None
    ops = keras.ops
    if isinstance(cell, keras.layers.GRUCell):
        if not cell.reset_after:
            return None

        def project(x):
            return ops.matmul(x, cell.kernel) + cell.bias[0]

        def step(projected, state):
            h = state[0]
            recurrent = ops.matmul(h, cell.recurrent_kernel) + cell.bias[1]
            x_z, x_r, x_h = ops.split(projected, 3, axis=-1)
            h_z, h_r, h_h = ops.split(recurrent, 3, axis=-1)
            z = ops.sigmoid(x_z + h_z)
            r = ops.sigmoid(x_r + h_r)
            candidate = ops.tanh(x_h + r * h_h)
            h = z * h + (1 - z) * candidate
            return h, [h]

    elif isinstance(cell, (keras.layers.LSTMCell, keras.layers.SimpleRNNCell)):

        def project(x):
            return ops.matmul(x, cell.kernel) + cell.bias

        if isinstance(cell, keras.layers.LSTMCell):

            def step(projected, state):
                h, c = state
                z = projected + ops.matmul(h, cell.recurrent_kernel)
                i, f, g, o = ops.split(z, 4, axis=-1)
                c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
                h = ops.sigmoid(o) * ops.tanh(c)
                return h, [h, c]

        else:

            def step(projected, state):
                h = projected + ops.matmul(state[0], cell.recurrent_kernel)
                h = ops.tanh(h)
                return h, [h]

    else:
        return None
    return project, step


@keras.saving.register_keras_serializable(package="keras_seq")
class RecurrentStack(keras.layers.Layer):
    """A stack of recurrent layers that returns every layer's final state.

    Each of the `num_layers` layers is a `keras_seq.layers.SimpleRNN`,
    `keras_seq.layers.LSTM` or `keras_seq.layers.GRU` (wrapped in
    `keras.layers.Bidirectional` when `bidirectional=True`), so each runs the
    fastest kernel its backend has: PyTorch's native one on torch, masks
    included. The first layer reads
    `inputs` of shape `(batch_size, timesteps, features)`; every later layer
    reads the full output sequence of the layer below, after `dropout`.

    Masking: a boolean `mask` of shape `(batch_size, timesteps)` (or the mask
    that a `keras.layers.Embedding(mask_zero=True)` or `Masking` layer
    attaches) is passed to every layer, so masked steps neither update the
    state nor count towards the last output, and it is propagated to the
    output when `return_sequences=True`.

    States: `return_state=True` returns `(outputs, states)`, where `states`
    holds one list per layer, in order from the bottom layer up. Each list is
    `[h, c]` for `"lstm"` and `[h]` for `"gru"` and `"simple_rnn"`, each tensor
    of shape `(batch_size, units)`; a bidirectional layer lists the forward
    states, then the backward ones (`[h_fwd, c_fwd, h_bwd, c_bwd]`). The same
    structure is accepted as `initial_state` and by `step`.

    Args:
        cell: str. The recurrent layer of every level: `"lstm"`, `"gru"` or
            `"simple_rnn"`.
        units: int. The state size of each layer (of each direction, when
            bidirectional).
        num_layers: int. How many recurrent layers are stacked. Defaults to
            `1`.
        bidirectional: bool. Whether each layer reads the sequence in both
            directions and concatenates the two outputs, giving
            `2 * units` features. Defaults to `False`.
        dropout: float. Dropout rate applied to the output sequence of every
            layer but the last, during training (the `dropout` of
            `torch.nn.LSTM`). Defaults to `0.0`.
        return_sequences: bool. Whether to return the top layer's output at
            every step, `(batch_size, timesteps, features)`, or only its last
            output, `(batch_size, features)`. Defaults to `True`.
        return_state: bool. Whether to also return every layer's final state.
            Defaults to `False`.
        **kwargs: other keyword arguments of `keras.layers.Layer`, such as
            `name` and `dtype`.

    Example:

    ```python
    import numpy as np
    import keras_seq

    stack = keras_seq.layers.RecurrentStack(
        "lstm", units=32, num_layers=2, bidirectional=True, return_state=True
    )
    outputs, states = stack(np.random.rand(4, 10, 8).astype("float32"))
    outputs.shape  # (4, 10, 64)
    [len(s) for s in states]  # [4, 4]: h and c, forward and backward
    ```

    Reference:
    - [Graves et al., 2013](https://arxiv.org/abs/1303.5778) (deep and
      bidirectional recurrent networks)
    """

    def __init__(
        self,
        cell,
        units,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        return_sequences=True,
        return_state=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.cell = check_choice("cell", cell, tuple(CELL_LAYERS))
        self.units = check_positive_int("units", units)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.bidirectional = bool(bidirectional)
        self.dropout = check_rate("dropout", dropout)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.supports_masking = True

        # === Layers ===
        self.recurrent_layers = []
        self.dropout_layers = []
        for index in range(self.num_layers):
            is_top = index == self.num_layers - 1
            layer = CELL_LAYERS[self.cell](
                self.units,
                return_sequences=self.return_sequences or not is_top,
                return_state=True,
                dtype=self.dtype_policy,
                name=f"{self.cell}_{index}",
            )
            if self.bidirectional:
                layer = keras.layers.Bidirectional(
                    layer,
                    dtype=self.dtype_policy,
                    name=f"bidirectional_{index}",
                )
            self.recurrent_layers.append(layer)
            if not is_top:
                self.dropout_layers.append(
                    keras.layers.Dropout(
                        self.dropout,
                        dtype=self.dtype_policy,
                        name=f"dropout_{index}",
                    )
                )

    @property
    def state_names(self):
        """The names of one layer's state tensors, e.g. `["h", "c"]`."""
        names = CELL_STATE_NAMES[self.cell]
        if self.bidirectional:
            return [f"{n}_forward" for n in names] + [
                f"{n}_backward" for n in names
            ]
        return list(names)

    @property
    def output_dim(self):
        """The number of features of the stack's output."""
        return 2 * self.units if self.bidirectional else self.units

    def build(self, inputs_shape, initial_state_shape=None):
        check_shape_rank(
            "inputs", inputs_shape, 3, "(batch_size, timesteps, features)"
        )
        shape = tuple(inputs_shape)
        for layer in self.recurrent_layers:
            layer.build(shape)
            shape = (shape[0], shape[1], self.output_dim)

    def call(self, inputs, initial_state=None, mask=None, training=None):
        check_rank("inputs", inputs, 3, "(batch_size, timesteps, features)")
        if initial_state is not None:
            self.check_state(initial_state, name="initial_state")
        x = inputs
        states = []
        for index, layer in enumerate(self.recurrent_layers):
            layer_state = None
            if initial_state is not None:
                layer_state = list(initial_state[index])
            x, *layer_states = layer(
                x, initial_state=layer_state, mask=mask, training=training
            )
            states.append(list(layer_states))
            if index < len(self.dropout_layers):
                x = self.dropout_layers[index](x, training=training)
        if self.return_state:
            return x, states
        return x

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            state_masks = [
                [None] * len(self.state_names) for _ in self.recurrent_layers
            ]
            return output_mask, state_masks
        return output_mask

    def get_initial_state(self, batch_size):
        """Returns an all-zeros state for `batch_size` sequences."""
        return [
            [
                keras.ops.zeros((batch_size, self.units), self.compute_dtype)
                for _ in self.state_names
            ]
            for _ in self.recurrent_layers
        ]

    def step(self, inputs, states):
        """Advances every layer by one time step, with the stack's weights.

        This runs each layer's cell once, at inference (no dropout), so that
        a decoding loop can feed one token at a time; running `step` over a
        sequence gives the outputs of `call` over the same sequence.

        Args:
            inputs: tensor of shape `(batch_size, features)`, one time step.
            states: the per-layer state lists, as `call` returns them with
                `return_state=True` or `get_initial_state` makes them.

        Returns:
            A tuple `(outputs, states)`: the top layer's output, of shape
            `(batch_size, units)`, and the new per-layer states.
        """
        if self.bidirectional:
            raise ValueError(
                "`step` advances a stack one token forward, which a "
                "bidirectional stack cannot do: it needs the whole sequence. "
                "Received a RecurrentStack with `bidirectional=True`; call it "
                "on the full sequence instead."
            )
        check_rank("inputs", inputs, 2, "(batch_size, features)")
        self.check_state(states, name="states")
        if not self.built:
            self.build((None, None, inputs.shape[-1]))
        return _step_layers(self.recurrent_layers, inputs, states)

    def frozen_step(self):
        """`step` with the weights read once, for a decoding loop on torch.

        Reading each Keras variable, and laying its value out for PyTorch,
        on every token costs more than a small cell's arithmetic. Within one
        generation the weights do not change, so this reads them once and
        returns a function `(inputs, states) -> (outputs, states)` that
        computes what `step` computes, without the argument checks. Returns
        `None` where `step` has no fused path: other backends, a
        bidirectional stack, cells outside those `step` fuses.
        """
        if self.bidirectional or not self.built:
            return None
        cells = [
            _torch_fused_cell(layer.cell, frozen=True)
            for layer in self.recurrent_layers
        ]
        if any(cell is None for cell in cells):
            return None
        return _chain(cells)

    def token_step(self, embeddings):
        """`step` for inputs that are rows of a fixed table, by index.

        In a decoding loop the inputs are token embeddings: rows of one
        table that does not change between tokens. This projects every row
        of `embeddings` through the first layer's input weights once, now,
        and returns a function `(token_ids, states) -> (outputs, states)`
        that computes `step(take(embeddings, token_ids), states)` with one
        row lookup in place of the first layer's input product. Call it
        inside a compiled function, before its loop, so that the projection
        is computed once per call: the loop's step then has one matrix
        product fewer per token (a TextGenerator with LSTM(256) over
        64-wide embeddings of 65 tokens, greedy decoding at batch 32:
        `python benchmarks/generation.py` gives the figures).

        On torch, where the engine calls this once per `generate` call, the
        step is a frozen one (see `frozen_step`), and applies to a first
        layer that is an LSTM on the CPU (`_torch_transposed_lstm`); GRU and
        simple RNN stacks there run `frozen_step`'s fused cells instead.

        Returns `None` where this does not apply: as above on torch, for a
        bidirectional stack, or a first layer whose cell has non-default
        activations, no bias, `reset_after=False` or a dtype other than
        float32.

        Args:
            embeddings: the table, of shape `(num_rows, features)`.
        """
        if self.bidirectional or not self.built:
            return None
        first = self.recurrent_layers[0]
        if keras.config.backend() == "torch":
            cells = [_torch_transposed_lstm(first.cell, embeddings)] + [
                _torch_fused_cell(layer.cell, frozen=True)
                for layer in self.recurrent_layers[1:]
            ]
            if any(cell is None for cell in cells):
                return None
            return _chain(cells)
        cell = _projected_cell(first.cell)
        if cell is None:
            return None
        project, first_step = cell
        table = project(embeddings)
        layers = self.recurrent_layers[1:]

        def step(token_ids, states):
            x, state = first_step(_rows(table, token_ids), list(states[0]))
            x, new_states = _step_layers(layers, x, states[1:])
            return x, [state, *new_states]

        return step

    def check_state(self, states, name="initial_state"):
        """Raises a `ValueError` naming `name` unless `states` fits the stack.

        The expected structure is one list per layer, each holding the
        tensors listed by `state_names`, each of shape `(batch_size, units)`.
        """
        expected = (
            f"a list of {self.num_layers} per-layer state list(s), each "
            f"holding {len(self.state_names)} tensor(s) "
            f"[{', '.join(self.state_names)}] of shape (batch_size, "
            f"{self.units})"
        )

        def fail(detail):
            raise ValueError(
                f"Received an invalid value for argument `{name}`: expected "
                f"{expected}; {detail}."
            )

        if not isinstance(states, (list, tuple)):
            fail(f"got {type(states).__name__}")
        if len(states) != self.num_layers:
            fail(f"got a {type(states).__name__} of {len(states)} entries")
        for index, layer_state in enumerate(states):
            if not isinstance(layer_state, (list, tuple)):
                fail(
                    f"entry {index} is a {type(layer_state).__name__}, not a "
                    "list"
                )
            if len(layer_state) != len(self.state_names):
                fail(f"entry {index} holds {len(layer_state)} tensor(s)")
            for tensor in layer_state:
                shape = getattr(tensor, "shape", None)
                if shape is None or len(shape) != 2 or shape[-1] != self.units:
                    got = None if shape is None else tuple(shape)
                    fail(f"entry {index} holds a tensor of shape {got}")

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "cell": self.cell,
                "units": self.units,
                "num_layers": self.num_layers,
                "bidirectional": self.bidirectional,
                "dropout": self.dropout,
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
            }
        )
        return config
