"""AttentionDecoder: a recurrent decoder that attends over encoder outputs.

The decoder of `Seq2SeqTranslator` and `ImageCaptioner`. Training runs the
whole target sequence through the fused recurrent layers at once (teacher
forcing); generation advances one token at a time with `step`, with the same
weights. The two paths agree to float32 rounding, which a parity test checks.
"""

import keras
from keras import ops

from keras_seq.layers.recurrent_stack import RecurrentStack
from keras_seq.utils import fast_layers
from keras_seq.utils.argument_validation import check_choice
from keras_seq.utils.argument_validation import check_optional_positive_int
from keras_seq.utils.argument_validation import check_positive_int
from keras_seq.utils.argument_validation import check_rank
from keras_seq.utils.argument_validation import check_rate
from keras_seq.utils.argument_validation import check_shape_rank

ATTENTION_TYPES = ("luong", "bahdanau")


@keras.saving.register_keras_serializable(package="keras_seq")
class AttentionDecoder(keras.layers.Layer):
    """Recurrent decoder with attention over encoder outputs.

    At every target step `t` the recurrent stack (an LSTM or GRU, one or
    more layers) reads the embedding of the previous target token and gives
    `h_t`; attention compares `h_t` with every encoder output, and the
    attention-weighted sum of encoder outputs, the context `c_t`, is combined
    with `h_t` into the output `tanh(W_c [c_t; h_t])` (Luong et al., 2015).
    Two scores are available:

    - `"luong"`: the bilinear "general" score `h_t^T W_a e_s`, computed as a
      dot product with keys `W_a e_s`, so encoder outputs may be wider than
      `units` (a bidirectional encoder, a CNN feature map);
    - `"bahdanau"`: the additive score `v^T tanh(W_q h_t + W_k e_s)`
      (Bahdanau et al., 2014).

    Attention is computed from the current state `h_t`, after the recurrent
    update, and the context is not fed back into the next step's input. This
    is what lets `call` run the whole teacher-forced target through the
    fused recurrent kernel in one pass instead of a Python-level loop; the
    same placement is used by both scores.

    Masking: `encoder_mask`, a boolean `(batch_size, source_length)` tensor,
    marks real encoder positions: padded positions receive zero attention.
    `target_mask`, `(batch_size, target_length)`, marks real target steps:
    padded steps do not update the recurrent state.

    Shapes: `call` takes `target_embeddings` of shape `(batch_size,
    target_length, embedding_dim)` and `encoder_outputs` of shape
    `(batch_size, source_length, encoder_dim)` and returns outputs of shape
    `(batch_size, target_length, units)`, plus attention scores of shape
    `(batch_size, target_length, source_length)` when
    `return_attention_scores=True`. The state is the structure of
    `keras_seq.layers.RecurrentStack`: one list per layer, `[h, c]` for an
    LSTM, `[h]` for a GRU.

    Args:
        cell: str. `"lstm"` or `"gru"`.
        units: int. The state size of each recurrent layer, and the size of
            the decoder's outputs.
        attention: str. The attention score, `"luong"` or `"bahdanau"`.
            Defaults to `"luong"`.
        num_layers: int. The number of stacked recurrent layers; attention
            reads the top one. Defaults to `1`.
        dropout: float. Dropout between stacked recurrent layers during
            training. Defaults to `0.0`.
        attention_units: int. The size of the Bahdanau score's hidden layer.
            Defaults to `units`. Only for `attention="bahdanau"`.
        **kwargs: other keyword arguments of `keras.layers.Layer`, such as
            `name` and `dtype`.

    Example:

    ```python
    import numpy as np
    import keras_seq

    decoder = keras_seq.layers.AttentionDecoder("gru", units=16)
    target_embeddings = np.random.rand(2, 5, 8).astype("float32")
    encoder_outputs = np.random.rand(2, 7, 32).astype("float32")
    encoder_mask = np.array([[True] * 7, [True] * 4 + [False] * 3])
    outputs, scores = decoder(
        target_embeddings,
        encoder_outputs,
        encoder_mask=encoder_mask,
        return_attention_scores=True,
    )
    outputs.shape  # (2, 5, 16)
    scores.shape  # (2, 5, 7)

    # One generation step from a zero state.
    state = decoder.get_initial_state(batch_size=2)
    output, state, scores = decoder.step(
        target_embeddings[:, 0], state, encoder_outputs, encoder_mask
    )
    output.shape  # (2, 16)
    ```

    References:
    - [Luong et al., 2015](https://arxiv.org/abs/1508.04025)
    - [Bahdanau et al., 2014](https://arxiv.org/abs/1409.0473)
    """

    def __init__(
        self,
        cell,
        units,
        attention="luong",
        num_layers=1,
        dropout=0.0,
        attention_units=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.cell = check_choice("cell", cell, ("lstm", "gru"))
        self.units = check_positive_int("units", units)
        self.attention = check_choice("attention", attention, ATTENTION_TYPES)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.dropout = check_rate("dropout", dropout)
        self.attention_units = check_optional_positive_int(
            "attention_units", attention_units
        )
        if self.attention_units is not None and self.attention != "bahdanau":
            raise ValueError(
                "Received an invalid value for argument `attention_units`: "
                "it sets the size of the Bahdanau score and is only used with "
                f"`attention='bahdanau'`, got attention_units="
                f"{self.attention_units} with attention={self.attention!r}."
            )

        # === Layers ===
        self.recurrent_stack = RecurrentStack(
            self.cell,
            self.units,
            num_layers=self.num_layers,
            dropout=self.dropout,
            return_sequences=True,
            return_state=True,
            dtype=self.dtype_policy,
            name="recurrent_stack",
        )
        if self.attention == "luong":
            # Keys W_a e_s, so that h_t . (W_a e_s) is Luong's general score.
            self.key_projection = keras.layers.Dense(
                self.units,
                use_bias=False,
                dtype=self.dtype_policy,
                name="key_projection",
            )
            self.query_projection = None
            self.attention_layer = keras.layers.Attention(
                use_scale=False,
                score_mode="dot",
                dtype=self.dtype_policy,
                name="attention",
            )
        else:
            score_units = self.attention_units or self.units
            self.key_projection = keras.layers.Dense(
                score_units,
                use_bias=False,
                dtype=self.dtype_policy,
                name="key_projection",
            )
            self.query_projection = keras.layers.Dense(
                score_units,
                use_bias=False,
                dtype=self.dtype_policy,
                name="query_projection",
            )
            # Its `scale` weight is Bahdanau's vector `v`.
            self.attention_layer = keras.layers.AdditiveAttention(
                use_scale=True,
                dtype=self.dtype_policy,
                name="attention",
            )
        self.output_projection = keras.layers.Dense(
            self.units,
            activation="tanh",
            use_bias=False,
            dtype=self.dtype_policy,
            name="output_projection",
        )

    def build(
        self,
        target_embeddings_shape,
        encoder_outputs_shape,
        initial_state_shape=None,
    ):
        for name, shape, axes in (
            ("target_embeddings", target_embeddings_shape, "target_length"),
            ("encoder_outputs", encoder_outputs_shape, "source_length"),
        ):
            check_shape_rank(name, shape, 3, f"(batch_size, {axes}, features)")
        batch_size = target_embeddings_shape[0]
        encoder_dim = encoder_outputs_shape[-1]
        self.recurrent_stack.build(target_embeddings_shape)
        self.key_projection.build(encoder_outputs_shape)
        keys_shape = self.key_projection.compute_output_shape(
            encoder_outputs_shape
        )
        query_shape = (batch_size, None, self.units)
        if self.query_projection is not None:
            self.query_projection.build(query_shape)
            query_shape = self.query_projection.compute_output_shape(
                query_shape
            )
        self.attention_layer.build(
            [query_shape, encoder_outputs_shape, keys_shape]
        )
        self.output_projection.build(
            (batch_size, None, encoder_dim + self.units)
        )

    def get_initial_state(self, batch_size):
        """Returns an all-zeros decoder state for `batch_size` sequences."""
        return self.recurrent_stack.get_initial_state(batch_size)

    def compute_keys(self, encoder_outputs):
        """Projects encoder outputs into attention keys.

        `step` computes the keys itself when it is not given them; a decoding
        loop computes them once with this method and passes them to every
        `step` as `encoder_keys`, saving one projection per token.

        Args:
            encoder_outputs: tensor of shape `(batch_size, source_length,
                encoder_dim)`.

        Returns:
            Tensor of shape `(batch_size, source_length, key_dim)`.
        """
        return self.key_projection(encoder_outputs)

    def call(
        self,
        target_embeddings,
        encoder_outputs,
        initial_state=None,
        encoder_mask=None,
        target_mask=None,
        training=None,
        return_attention_scores=False,
    ):
        self._check_inputs(encoder_outputs, encoder_mask)
        check_rank(
            "target_embeddings",
            target_embeddings,
            3,
            "(batch_size, target_length, embedding_dim)",
        )
        if initial_state is not None:
            self.recurrent_stack.check_state(initial_state, "initial_state")
        if target_mask is not None:
            check_rank(
                "target_mask", target_mask, 2, "(batch_size, target_length)"
            )
            target_mask = ops.cast(target_mask, "bool")
        hidden, _ = self.recurrent_stack(
            target_embeddings,
            initial_state=initial_state,
            mask=target_mask,
            training=training,
        )
        keys = self.compute_keys(encoder_outputs)
        outputs, scores = self._attend(
            hidden, encoder_outputs, keys, encoder_mask, target_mask
        )
        if return_attention_scores:
            return outputs, scores
        return outputs

    def step(
        self,
        target_embedding,
        state,
        encoder_outputs,
        encoder_mask=None,
        encoder_keys=None,
    ):
        """Decodes one target token, sharing the weights of `call`.

        Args:
            target_embedding: tensor of shape `(batch_size, embedding_dim)`,
                the embedding of the previous token.
            state: the decoder state, as `get_initial_state` makes it: one
                list per layer, `[h, c]` for an LSTM and `[h]` for a GRU.
            encoder_outputs: tensor of shape `(batch_size, source_length,
                encoder_dim)`.
            encoder_mask: optional boolean tensor of shape `(batch_size,
                source_length)`, `True` at real encoder positions.
            encoder_keys: optional result of `compute_keys(encoder_outputs)`,
                to avoid projecting the encoder outputs again at every step.

        Returns:
            A tuple `(outputs, state, attention_scores)`: outputs of shape
            `(batch_size, units)`, the new state, and the attention weights
            over the source, of shape `(batch_size, source_length)`.
        """
        self._check_inputs(encoder_outputs, encoder_mask)
        check_rank(
            "target_embedding",
            target_embedding,
            2,
            "(batch_size, embedding_dim)",
        )
        self.recurrent_stack.check_state(state, "state")
        if not self.built:
            self.build(
                (None, None, target_embedding.shape[-1]),
                tuple(encoder_outputs.shape),
            )
        hidden, state = self.recurrent_stack.step(target_embedding, state)
        if encoder_keys is None:
            encoder_keys = self.compute_keys(encoder_outputs)
        outputs, scores = self._attend(
            ops.expand_dims(hidden, 1),
            encoder_outputs,
            encoder_keys,
            encoder_mask,
        )
        return outputs[:, 0, :], state, scores[:, 0, :]

    def frozen_step(self):
        """`step` with the weights read once, for a decoding loop on torch.

        On torch every Keras layer call of `step` (the attention, the
        projections, the argument checks) costs more than its arithmetic on
        a decoding batch. Within one generation the weights do not change,
        so this reads them once and returns a function with the arguments
        and results of `step` that computes the same in PyTorch's own
        functions, without the argument checks. Returns `None` where there
        is no such shortcut: other backends, a dtype other than float32,
        cells that `RecurrentStack.frozen_step` does not fuse.
        """
        recurrent_step = self.recurrent_stack.frozen_step()
        projections = [self.key_projection, self.output_projection]
        if self.query_projection is not None:
            projections.append(self.query_projection)
        kernels = [fast_layers.frozen_kernel(layer) for layer in projections]
        if recurrent_step is None or any(k is None for k in kernels):
            return None
        import torch

        key_kernel, output_kernel, *query_kernel = kernels
        if self.attention == "bahdanau":
            query_kernel = query_kernel[0]
            scale = self.attention_layer.scale.value.detach()

        def step(
            target_embedding,
            state,
            encoder_outputs,
            encoder_mask=None,
            encoder_keys=None,
        ):
            hidden, state = recurrent_step(target_embedding, state)
            if encoder_keys is None:
                encoder_keys = torch.matmul(encoder_outputs, key_kernel)
            # The scores of `keras.layers.Attention` ("dot") and
            # `AdditiveAttention`, for one query: (batch, source_length).
            if self.attention == "luong":
                scores = torch.bmm(encoder_keys, hidden[:, :, None])[..., 0]
            else:
                query = torch.matmul(hidden, query_kernel)[:, None, :]
                scores = (scale * torch.tanh(query + encoder_keys)).sum(-1)
            if encoder_mask is not None:
                scores = torch.where(encoder_mask.bool(), scores, scores - 1e9)
            weights = torch.softmax(scores, dim=-1)
            context = torch.bmm(weights[:, None, :], encoder_outputs)[:, 0]
            outputs = torch.tanh(
                torch.matmul(torch.cat([context, hidden], -1), output_kernel)
            )
            return outputs, state, weights

        return step

    def _attend(
        self, hidden, encoder_outputs, keys, encoder_mask, query_mask=None
    ):
        # hidden: (batch, target_length, units); keys: (batch, source, key_dim)
        query = hidden
        if self.query_projection is not None:
            query = self.query_projection(hidden)
        mask = None
        if encoder_mask is not None or query_mask is not None:
            if encoder_mask is not None:
                # (batch, 1, source_length): Keras before 3.12 subtracts
                # the value mask from the scores without expanding it.
                encoder_mask = ops.expand_dims(
                    ops.cast(encoder_mask, "bool"), axis=1
                )
            mask = [query_mask, encoder_mask]
        # context: (batch, target_length, encoder_dim)
        # scores: (batch, target_length, source_length)
        context, scores = self.attention_layer(
            [query, encoder_outputs, keys],
            mask=mask,
            return_attention_scores=True,
        )
        outputs = self.output_projection(
            ops.concatenate([context, hidden], axis=-1)
        )
        return outputs, scores

    def _check_inputs(self, encoder_outputs, encoder_mask):
        check_rank(
            "encoder_outputs",
            encoder_outputs,
            3,
            "(batch_size, source_length, encoder_dim)",
        )
        if encoder_mask is not None:
            check_rank(
                "encoder_mask", encoder_mask, 2, "(batch_size, source_length)"
            )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "cell": self.cell,
                "units": self.units,
                "attention": self.attention,
                "num_layers": self.num_layers,
                "dropout": self.dropout,
                "attention_units": self.attention_units,
            }
        )
        return config
