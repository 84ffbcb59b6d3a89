"""Seq2SeqTranslator: a recurrent encoder–decoder with attention.

The machine-translation systems of the recurrent era in one model: a
(bidirectional) recurrent encoder reads the source sentence, and a recurrent
decoder writes the translation one token at a time, attending over the
encoder outputs (Bahdanau et al., 2014; Luong et al., 2015) or, with
`attention=None`, seeing only the encoder's final state (Sutskever et al.,
2014; Cho et al., 2014). Text goes in and comes out: KerasHub's WordPiece
tokenizer turns strings into ids, and generation runs the compiled loop of
`keras_seq.decoding` with any of its samplers, beam search included.
"""

import keras
import numpy as np
from keras import ops

from keras_seq import decoding
from keras_seq.applications.application import ApplicationMixin
from keras_seq.applications.application import TokenDecoderMixin
from keras_seq.applications.vocabulary import END_ID
from keras_seq.applications.vocabulary import LENGTH_MULTIPLE
from keras_seq.applications.vocabulary import OOV_TOKEN
from keras_seq.applications.vocabulary import PAD_ID
from keras_seq.applications.vocabulary import START_ID
from keras_seq.applications.vocabulary import Tokenizers
from keras_seq.applications.vocabulary import build_vocabulary
from keras_seq.applications.vocabulary import check_vocabulary
from keras_seq.applications.vocabulary import detokenize
from keras_seq.applications.vocabulary import is_text
from keras_seq.applications.vocabulary import pad_ids
from keras_seq.layers import AttentionDecoder
from keras_seq.layers import RecurrentStack
from keras_seq.layers.recurrent_stack import CELL_STATE_NAMES
from keras_seq.utils.argument_validation import check_choice
from keras_seq.utils.argument_validation import check_positive_int
from keras_seq.utils.argument_validation import check_rate
from keras_seq.utils.argument_validation import check_text_pairs
from keras_seq.utils.argument_validation import check_texts
from keras_seq.utils.file_utils import atomic_save_figure
from keras_seq.utils.random_utils import numpy_generator


class TranslationBatches:
    """Batches of `({"source_ids", "target_ids"}, labels, weights)`.

    Pairs of similar source length are batched together (within pools of
    50 batches drawn at random each epoch), and each batch is padded to the
    next multiple of `length_multiple` tokens (8 by default), so that
    little padding is computed and a few shapes are compiled (a larger
    multiple compiles fewer shapes, which pays on a GPU). The weights are 1
    on real target tokens and 0 on padding, for the masked loss and
    accuracy.
    """

    def __init__(
        self,
        source_ids,
        target_ids,
        batch_size,
        shuffle,
        seed,
        length_multiple=LENGTH_MULTIPLE,
    ):
        self.source_ids = source_ids
        self.target_ids = target_ids
        self.batch_size = batch_size
        self.length_multiple = check_positive_int(
            "length_multiple", length_multiple
        )
        self.shuffle = shuffle
        self.rng = numpy_generator(seed)
        self.lengths = np.array([len(row) for row in source_ids])
        self.on_epoch_end()

    def __len__(self):
        return -(-len(self.source_ids) // self.batch_size)

    def on_epoch_end(self):
        order = np.arange(len(self.source_ids))
        if not self.shuffle:
            self.batches = np.array_split(order, len(self))
            return
        order = self.rng.permutation(order)
        pool = 50 * self.batch_size
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches.extend(
                chunk[i : i + self.batch_size]
                for i in range(0, len(chunk), self.batch_size)
            )
        self.batches = [batches[i] for i in self.rng.permutation(len(batches))]

    def __getitem__(self, index):
        rows = self.batches[index]
        sources = pad_ids(
            [self.source_ids[i] for i in rows], multiple=self.length_multiple
        )
        targets = pad_ids(
            [[START_ID, *self.target_ids[i], END_ID] for i in rows],
            extra=1,
            multiple=self.length_multiple,
        )
        inputs = {"source_ids": sources, "target_ids": targets[:, :-1]}
        labels = targets[:, 1:]
        return inputs, labels, (labels != PAD_ID).astype("float32")


@keras.saving.register_keras_serializable(package="keras_seq")
class Seq2SeqTranslator(ApplicationMixin, TokenDecoderMixin, keras.Model):
    """A recurrent encoder–decoder that translates text, with attention.

    The encoder embeds the source tokens and reads them with a
    `RecurrentStack` (bidirectional by default). The decoder starts from the
    encoder's final states (through a `tanh` layer when the encoder is
    bidirectional) and, with `attention`, is an `AttentionDecoder` that
    attends over every encoder output at every step; with `attention=None`
    it is a plain `RecurrentStack`, which sees the source only through that
    initial state (the Sutskever/Cho encoder–decoder). A dense layer gives
    the target-token logits.

    Text: both sides are tokenized by KerasHub's `WordPieceTokenizer` with
    the given vocabularies (`build_vocabulary` or `from_corpus` learns them;
    ids 0 to 3 are `"[PAD]"`, `"[UNK]"`, `"[START]"`, `"[END]"`). Words that
    the vocabulary cannot spell become `"[UNK]"`. Sources longer than
    `max_source_length` tokens and targets longer than `max_target_length`
    are truncated (a truncated target is trained without its end token).
    An empty or blank text translates to the empty string. The vocabularies,
    lengths and default sampler are in the config, so a `.keras` file holds
    everything `translate` needs.

    Training: `fit(sources, targets, ...)` takes lists (or arrays) of
    strings, as do `evaluate` and `validation_data`; the target is
    teacher-forced (the decoder reads `"[START]"` and the reference tokens,
    and predicts them followed by `"[END]"`). The model is compiled on
    construction with Adam (learning rate 1e-3, gradient norm clipped at
    1.0), cross-entropy averaged over real target tokens, and accuracy over
    real target tokens (`"accuracy"`); `compile()` overrides any of these.

    Args:
        source_vocabulary: list of str. The source WordPiece vocabulary,
            starting with the four reserved tokens.
        target_vocabulary: list of str. The target vocabulary, the same way.
        cell: str. `"gru"` or `"lstm"`. Defaults to `"gru"`.
        embedding_dim: int. The size of the token embeddings of both sides.
            Defaults to `256`.
        units: int. The state size of every recurrent layer (of each
            direction of the encoder). Defaults to `256`.
        num_layers: int. The number of encoder layers and of decoder layers.
            Defaults to `1`.
        bidirectional_encoder: bool. Whether the encoder reads the source in
            both directions. Defaults to `True`.
        attention: str or None. `"luong"` (the general bilinear score),
            `"bahdanau"` (the additive score) or `None`. Defaults to
            `"luong"`.
        dropout: float. Dropout on the embeddings, between stacked layers
            and before the output layer, in training. Defaults to `0.0`.
        max_source_length: int. Source tokens read at most. Defaults to
            `48`.
        max_target_length: int. Target tokens generated at most (and
            trained on). Defaults to `48`.
        lowercase: bool. Whether the tokenizers lowercase text (the
            vocabularies must then be lowercase). Defaults to `False`.
        sampler: str or `keras_hub.samplers.Sampler`. The default sampler
            of `translate`. Defaults to `"greedy"`.
        name: str. The model name. Defaults to `"seq2seq_translator"`.
        **kwargs: other arguments of `keras.Model`, such as `dtype`.

    Example:

    ```python
    import keras_seq

    sources = ["Hola.", "Gracias.", "¿Dónde está la biblioteca?"]
    targets = ["Hello.", "Thank you.", "Where is the library?"]
    model = keras_seq.applications.Seq2SeqTranslator.from_corpus(
        sources, targets, tokenizer="word", units=16, embedding_dim=8
    )
    model.fit(sources, targets, batch_size=2, epochs=1)
    model.translate(["¿Dónde está la biblioteca?"], sampler="beam", num_beams=4)
    ```

    References:
    - [Sutskever et al., 2014](https://arxiv.org/abs/1409.3215)
    - [Cho et al., 2014](https://arxiv.org/abs/1406.1078)
    - [Bahdanau et al., 2014](https://arxiv.org/abs/1409.0473)
    - [Luong et al., 2015](https://arxiv.org/abs/1508.04025)
    """

    context_key = "source_ids"

    def __init__(
        self,
        source_vocabulary,
        target_vocabulary,
        cell="gru",
        embedding_dim=256,
        units=256,
        num_layers=1,
        bidirectional_encoder=True,
        attention="luong",
        dropout=0.0,
        max_source_length=48,
        max_target_length=48,
        lowercase=False,
        sampler="greedy",
        name="seq2seq_translator",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.source_vocabulary = check_vocabulary(
            "source_vocabulary", source_vocabulary
        )
        self.target_vocabulary = check_vocabulary(
            "target_vocabulary", target_vocabulary
        )
        self.cell = check_choice("cell", cell, ("gru", "lstm"))
        self.embedding_dim = check_positive_int("embedding_dim", embedding_dim)
        self.units = check_positive_int("units", units)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.bidirectional_encoder = bool(bidirectional_encoder)
        if attention is not None:
            attention = check_choice(
                "attention", attention, ("luong", "bahdanau")
            )
        self.attention = attention
        self.dropout = check_rate("dropout", dropout)
        self.max_source_length = check_positive_int(
            "max_source_length", max_source_length
        )
        self.max_target_length = check_positive_int(
            "max_target_length", max_target_length
        )
        self.lowercase = bool(lowercase)
        self.sampler = decoding.get_sampler(sampler)
        # The tokenizers are made on first use and kept out of Keras's
        # tracking (they are not saved: the vocabularies are in the config).
        self._tokenizers = Tokenizers()

        # === Layers ===
        dtype = self.dtype_policy
        self.source_embedding = keras.layers.Embedding(
            len(self.source_vocabulary),
            self.embedding_dim,
            dtype=dtype,
            name="source_embedding",
        )
        self.target_embedding = keras.layers.Embedding(
            len(self.target_vocabulary),
            self.embedding_dim,
            dtype=dtype,
            name="target_embedding",
        )
        self.embedding_dropout = keras.layers.Dropout(
            self.dropout, dtype=dtype, name="embedding_dropout"
        )
        self.encoder = RecurrentStack(
            self.cell,
            self.units,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional_encoder,
            dropout=self.dropout,
            return_sequences=True,
            return_state=True,
            dtype=dtype,
            name="encoder",
        )
        # One `tanh` layer per decoder state tensor turns the forward and
        # backward final states into the decoder's initial state.
        self.bridges = []
        if self.bidirectional_encoder:
            for layer in range(self.num_layers):
                for state_name in CELL_STATE_NAMES[self.cell]:
                    self.bridges.append(
                        keras.layers.Dense(
                            self.units,
                            activation="tanh",
                            dtype=dtype,
                            name=f"bridge_{layer}_{state_name}",
                        )
                    )
        if self.attention is None:
            self.decoder = RecurrentStack(
                self.cell,
                self.units,
                num_layers=self.num_layers,
                dropout=self.dropout,
                return_sequences=True,
                return_state=True,
                dtype=dtype,
                name="decoder",
            )
        else:
            self.decoder = AttentionDecoder(
                self.cell,
                self.units,
                attention=self.attention,
                num_layers=self.num_layers,
                dropout=self.dropout,
                dtype=dtype,
                name="decoder",
            )
        self.output_dropout = keras.layers.Dropout(
            self.dropout, dtype=dtype, name="output_dropout"
        )
        self.head = keras.layers.Dense(
            len(self.target_vocabulary), dtype="float32", name="logits"
        )
        self.build({"source_ids": (None, None), "target_ids": (None, None)})
        self.compile()

    @classmethod
    def from_corpus(
        cls,
        sources,
        targets,
        source_vocabulary_size=8000,
        target_vocabulary_size=8000,
        tokenizer="word_piece",
        lowercase=False,
        **kwargs,
    ):
        """Creates a model whose vocabularies are learned from a corpus.

        Args:
            sources, targets: lists of str, the training sentences.
            source_vocabulary_size, target_vocabulary_size: int. The
                largest vocabulary of each side.
            tokenizer: `"word_piece"` or `"word"` (see `build_vocabulary`).
            lowercase: bool. Lowercase the text.
            **kwargs: the other arguments of `Seq2SeqTranslator`.
        """
        sources, targets = check_text_pairs(
            "sources", sources, "targets", targets
        )
        return cls(
            source_vocabulary=build_vocabulary(
                sources, source_vocabulary_size, tokenizer, lowercase
            ),
            target_vocabulary=build_vocabulary(
                targets, target_vocabulary_size, tokenizer, lowercase
            ),
            lowercase=lowercase,
            **kwargs,
        )

    # === Text and ids ===

    def _tokenizer(self, side):
        if side not in self._tokenizers.by_side:
            import keras_hub

            tokenizers = self._tokenizers.by_side
            tokenizers[side] = keras_hub.tokenizers.WordPieceTokenizer(
                vocabulary=getattr(self, f"{side}_vocabulary"),
                lowercase=self.lowercase,
                strip_accents=False,
                oov_token=OOV_TOKEN,
                dtype="int32",
            )
        return self._tokenizers.by_side[side]

    def tokenize(self, texts, side="source"):
        """Token ids of each text, as lists of int (no start or end token).

        Args:
            texts: str or list of str.
            side: `"source"` or `"target"`: whose vocabulary to use.

        Returns:
            A list of lists of int, truncated to the side's maximum length.
        """
        side = check_choice("side", side, ("source", "target"))
        texts = check_texts("texts", texts, allow_empty=True)
        limit = getattr(self, f"max_{side}_length")
        if not texts:
            return []
        ids = self._tokenizer(side)(texts)
        ids = ids.to_list() if hasattr(ids, "to_list") else ids
        return [[int(i) for i in row[:limit]] for row in ids]

    def detokenize(self, ids, side="target"):
        """Text of token ids; stops at `"[END]"`, skips padding and start."""
        side = check_choice("side", side, ("source", "target"))
        vocabulary = getattr(self, f"{side}_vocabulary")
        tokens = []
        for i in np.asarray(ids).ravel().tolist():
            if i == END_ID:
                break
            if i not in (PAD_ID, START_ID):
                tokens.append(vocabulary[i])
        return detokenize(tokens)

    def make_dataset(
        self,
        sources,
        targets,
        batch_size=64,
        shuffle=True,
        seed=None,
        length_multiple=LENGTH_MULTIPLE,
    ):
        """Tokenizes sentence pairs into teacher-forcing batches for `fit`.

        Args:
            sources, targets: lists (or arrays) of str of the same length.
            batch_size: int. Pairs per batch.
            shuffle: bool. Reshuffle (and regroup by length) every epoch.
            seed: optional int, for the shuffling.
            length_multiple: int. Each batch is padded to the next multiple
                of this many tokens. On JAX and TensorFlow every new batch
                shape compiles the training step again: a larger multiple
                compiles fewer shapes and computes more padding.

        Returns:
            A `tf.data.Dataset` (which `fit` reads on every backend) of
            `({"source_ids", "target_ids"}, labels, weights)` batches of
            int32 ids (float32 weights), each padded to its own length, a
            multiple of `length_multiple`.
        """
        sources, targets = check_text_pairs(
            "sources", sources, "targets", targets
        )
        import tensorflow as tf

        batches = TranslationBatches(
            self.tokenize(sources, "source"),
            [
                row[: self.max_target_length]
                for row in self.tokenize(targets, "target")
            ],
            check_positive_int("batch_size", batch_size),
            bool(shuffle),
            seed,
            length_multiple=length_multiple,
        )

        def generate():
            # Each pass (epoch) regroups the pairs anew.
            batches.on_epoch_end()
            for index in range(len(batches)):
                yield batches[index]

        ids = tf.TensorSpec((None, None), tf.int32)
        signature = (
            {"source_ids": ids, "target_ids": ids},
            ids,
            tf.TensorSpec((None, None), tf.float32),
        )
        dataset = tf.data.Dataset.from_generator(
            generate, output_signature=signature
        )
        dataset = dataset.apply(
            tf.data.experimental.assert_cardinality(len(batches))
        )
        return dataset.prefetch(2)

    def _as_dataset(self, x, y, batch_size, shuffle, seed=None):
        """`x`, `y` as a dataset when they are sentences; else unchanged."""
        if is_text(x):
            if y is None:
                raise ValueError(
                    "Received source sentences `x` without target sentences "
                    "`y`: training and evaluation need both."
                )
            return self.make_dataset(
                x, y, batch_size or 64, shuffle, seed
            ), None
        return x, y

    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        validation_data=None,
        shuffle=True,
        **kwargs,
    ):
        """`keras.Model.fit`, also taking sentences.

        `x` and `y` may be lists or arrays of source and target strings, and
        `validation_data` a `(sources, targets)` tuple of them; they are
        tokenized and batched by `make_dataset` (`batch_size` defaults to
        64). Anything else is passed to `keras.Model.fit` as it is.
        """
        if is_text(x):
            x, y = self._as_dataset(x, y, batch_size, shuffle)
            # The dataset shuffles itself.
            batch_size, shuffle = None, False
        if (
            isinstance(validation_data, (list, tuple))
            and len(validation_data) == 2
            and is_text(validation_data[0])
        ):
            validation_data, _ = self._as_dataset(
                *validation_data, batch_size or 64, False
            )
        return super().fit(
            x,
            y,
            batch_size=batch_size,
            validation_data=validation_data,
            shuffle=shuffle,
            **kwargs,
        )

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        """`keras.Model.evaluate`, also taking sentences (see `fit`)."""
        if is_text(x):
            x, y = self._as_dataset(x, y, batch_size, False)
            batch_size = None
        return super().evaluate(x, y, batch_size=batch_size, **kwargs)

    # === Model ===

    def build(self, input_shape):
        source_shape = tuple(input_shape["source_ids"])
        target_shape = tuple(input_shape["target_ids"])
        embedded = (None, None, self.embedding_dim)
        self.source_embedding.build(source_shape)
        self.target_embedding.build(target_shape)
        self.encoder.build(embedded)
        for bridge in self.bridges:
            bridge.build((None, 2 * self.units))
        if self.attention is None:
            self.decoder.build(embedded)
        else:
            self.decoder.build(embedded, (None, None, self.encoder.output_dim))
        self.head.build((None, None, self.units))
        self.built = True

    def encode(self, source_ids, training=None):
        """Reads source ids `(batch_size, source_length)` (0 is padding).

        Returns:
            A dict: `"encoder_outputs"` `(batch_size, source_length,
            encoder_dim)`, `"encoder_mask"` (bool, `True` at real tokens)
            and `"state"`, the decoder's initial state.
        """
        source_ids = ops.convert_to_tensor(source_ids, "int32")
        mask = ops.not_equal(source_ids, PAD_ID)
        x = self.source_embedding(source_ids)
        x = self.embedding_dropout(x, training=training)
        outputs, states = self.encoder(x, mask=mask, training=training)
        if self.bidirectional_encoder:
            bridges = iter(self.bridges)
            decoder_state = []
            for layer_state in states:
                half = len(layer_state) // 2
                decoder_state.append(
                    [
                        next(bridges)(
                            ops.concatenate(
                                [layer_state[i], layer_state[half + i]], -1
                            )
                        )
                        for i in range(half)
                    ]
                )
        else:
            decoder_state = [list(s) for s in states]
        return {
            "encoder_outputs": outputs,
            "encoder_mask": mask,
            "state": decoder_state,
        }

    def call(self, inputs, training=None, return_attention_scores=False):
        encoded = self.encode(inputs["source_ids"], training=training)
        target_ids = ops.convert_to_tensor(inputs["target_ids"], "int32")
        target_mask = ops.not_equal(target_ids, PAD_ID)
        x = self.target_embedding(target_ids)
        x = self.embedding_dropout(x, training=training)
        scores = None
        if self.attention is None:
            x, _ = self.decoder(
                x,
                initial_state=encoded["state"],
                mask=target_mask,
                training=training,
            )
        else:
            x, scores = self.decoder(
                x,
                encoded["encoder_outputs"],
                initial_state=encoded["state"],
                encoder_mask=encoded["encoder_mask"],
                target_mask=target_mask,
                training=training,
                return_attention_scores=True,
            )
        logits = self.head(self.output_dropout(x, training=training))
        if return_attention_scores:
            return logits, scores
        return logits

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """Configures training; `"auto"` keeps each default.

        Args:
            optimizer: `"auto"` (Adam, learning rate 1e-3, gradient norm
                clipped at 1.0), or any optimizer.
            loss: `"auto"` (sparse categorical cross-entropy from logits,
                averaged over the real target tokens that the sample
                weights of `make_dataset` mark), or any loss.
            metrics: `"auto"` (token accuracy over real target tokens), or
                any weighted metrics.
            **kwargs: other arguments of `keras.Model.compile`.
        """
        self.compile_with_defaults(
            optimizer, loss, metrics, clipnorm=1.0, **kwargs
        )

    # === The generation contract ===

    def attention_scores(self, token_ids, context):
        """Attention `(batch_size, length, source_length)`: row `t` is the
        attention of the step that reads `token_ids[:, t]`."""
        if self.attention is None:
            raise ValueError(
                "This Seq2SeqTranslator has `attention=None`: it has no "
                "attention weights to return."
            )
        _, scores = self(
            {"source_ids": context["source_ids"], "target_ids": token_ids},
            return_attention_scores=True,
        )
        return scores

    # === Translation ===

    def translate(
        self,
        texts,
        sampler=None,
        max_length=None,
        batch_size=128,
        seed=None,
        **kwargs,
    ):
        """Translates source sentences.

        Args:
            texts: str or list (or array) of str.
            sampler: optional sampler name (`"greedy"`, `"beam"`, `"top_k"`,
                ...) or instance; the model's `sampler` by default.
            max_length: optional int. Tokens generated at most; defaults to
                `max_target_length`.
            batch_size: int. Sentences decoded together.
            seed: optional int, for reproducible sampling.
            **kwargs: arguments of a sampler given by name (`num_beams`,
                `length_penalty`, `temperature`, `k`, `p`, ...) and other
                options of `keras_seq.decoding.generate` (`min_length`,
                `no_repeat_ngram_size`).

        Returns:
            A str for a str, else a list of str. With a beam search
            returning `num_results > 1`, a list of the best translations
            for each text.
        """
        single = isinstance(texts, str)
        texts = check_texts("texts", texts, allow_empty=True)
        batch_size = check_positive_int("batch_size", batch_size)
        if max_length is None:
            max_length = self.max_target_length
        max_length = check_positive_int("max_length", max_length)
        sampler = self._get_sampler(sampler, kwargs)
        ids = self.tokenize(texts, "source")
        # Sentences of similar length are decoded together.
        order = np.argsort([len(row) for row in ids], kind="stable")
        translations = [None] * len(texts)
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            results = self._translate_ids(
                [ids[i] for i in rows], sampler, max_length, seed, kwargs
            )
            for i, result in zip(rows, results):
                translations[i] = result
        return translations[0] if single else translations

    def _translate_ids(
        self, ids, sampler, max_length, seed, options, attention=False
    ):
        source_ids = pad_ids([row or [PAD_ID] for row in ids])
        outputs = decoding.generate(
            self,
            np.full((len(ids), 1), START_ID, "int32"),
            max_length,
            context={"source_ids": source_ids},
            sampler=sampler,
            seed=seed,
            end_token_id=END_ID,
            pad_token_id=PAD_ID,
            return_attention=attention,
            **options,
        )
        results = []
        for row, tokens in zip(ids, outputs["token_ids"]):
            if not row:
                # An empty source translates to nothing.
                results.append([""] * len(tokens) if tokens.ndim == 2 else "")
            elif tokens.ndim == 2:
                results.append([self.detokenize(t) for t in tokens])
            else:
                results.append(self.detokenize(tokens))
        if attention:
            return results, outputs
        return results

    def plot_attention(self, text, path=None, sampler="greedy", **kwargs):
        """Draws the attention of the translation of `text`.

        Rows are the generated target tokens (the end token included),
        columns the source tokens; each row is the attention of the step
        that produced its token.

        Args:
            text: str. The source sentence.
            path: optional. Where to write the figure as a PNG, atomically.
            sampler: the sampler of the translation. Defaults to
                `"greedy"`.
            **kwargs: other arguments of `translate`.

        Returns:
            The `matplotlib.figure.Figure`.
        """

        from matplotlib.figure import Figure

        if self.attention is None:
            raise ValueError(
                "This Seq2SeqTranslator has `attention=None`: there is no "
                "attention to plot."
            )
        if not isinstance(text, str) or not text.strip():
            raise ValueError(
                "Received an invalid value for argument `text`: expected a "
                f"non-empty string, got {text!r}."
            )
        sampler = self._get_sampler(sampler, kwargs)
        max_length = kwargs.pop("max_length", None) or self.max_target_length
        source_ids = self.tokenize(text, "source")[0]
        (translation,), outputs = self._translate_ids(
            [source_ids], sampler, max_length, None, kwargs, attention=True
        )
        tokens = np.asarray(outputs["token_ids"][0]).reshape(-1)
        scores = np.asarray(outputs["attention"][0])
        scores = scores.reshape((-1,) + scores.shape[-2:])[0]
        generated = []
        for token in tokens[1:].tolist():
            generated.append(token)
            if token == END_ID or token == PAD_ID:
                break
        generated = [t for t in generated if t != PAD_ID]
        matrix = scores[: len(generated), : len(source_ids)]
        figure = Figure(
            figsize=(
                1.0 + 0.45 * len(source_ids),
                1.0 + 0.4 * len(generated),
            ),
            layout="constrained",
        )
        axis = figure.subplots()
        axis.imshow(matrix, cmap="viridis", vmin=0.0, vmax=1.0)
        axis.set_xticks(
            range(len(source_ids)),
            [self.source_vocabulary[i] for i in source_ids],
            rotation=90,
        )
        axis.set_yticks(
            range(len(generated)),
            [self.target_vocabulary[i] for i in generated],
        )
        axis.set_title(translation, fontsize=9)
        if path is not None:
            atomic_save_figure(figure, path)
        return figure

    # === Saving ===

    def get_config(self):
        return self.application_config(
            source_vocabulary=self.source_vocabulary,
            target_vocabulary=self.target_vocabulary,
            cell=self.cell,
            embedding_dim=self.embedding_dim,
            units=self.units,
            num_layers=self.num_layers,
            bidirectional_encoder=self.bidirectional_encoder,
            attention=self.attention,
            dropout=self.dropout,
            max_source_length=self.max_source_length,
            max_target_length=self.max_target_length,
            lowercase=self.lowercase,
            sampler=keras.saving.serialize_keras_object(self.sampler),
        )


def evaluate_translation(
    model, sources, references, sampler="greedy", batch_size=128, **kwargs
):
    """Translates `sources` and scores the output against `references`.

    BLEU is sacreBLEU's corpus BLEU with its defaults (13a tokenization,
    case-sensitive); ROUGE-1 and ROUGE-2 are KerasHub's `RougeN` F1 (the
    metric of the keras.io translation examples), averaged over sentences.

    Args:
        model: a `Seq2SeqTranslator`.
        sources: list of str, the sentences to translate.
        references: list of str, one reference translation per source.
        sampler: the decoding sampler (name or instance). Defaults to
            `"greedy"`.
        batch_size: int. Sentences decoded together.
        **kwargs: other arguments of `model.translate`, such as
            `num_beams`.

    Returns:
        A dict: `"bleu"`, `"rouge1_f1"`, `"rouge2_f1"`, `"num_sentences"`,
        `"seconds"` (decoding time) and `"examples"` (the first five
        `(source, reference, translation)` triples).
    """
    import time

    sources, references = check_text_pairs(
        "sources", sources, "references", references
    )
    start = time.perf_counter()
    translations = model.translate(
        sources, sampler=sampler, batch_size=batch_size, **kwargs
    )
    seconds = time.perf_counter() - start
    results = score_translations(translations, references)
    results["seconds"] = seconds
    results["examples"] = list(
        zip(sources[:5], references[:5], translations[:5])
    )
    return results


def score_translations(translations, references):
    """Corpus BLEU and ROUGE-1/2 F1 of translations made elsewhere.

    The scores of `evaluate_translation`, for translations that are already
    made (for example on another machine).

    Args:
        translations: list of str, one per reference.
        references: list of str.

    Returns:
        A dict: `"bleu"`, `"rouge1_f1"`, `"rouge2_f1"` and
        `"num_sentences"`.
    """
    import keras_hub
    import sacrebleu

    translations, references = check_text_pairs(
        "translations", translations, "references", references
    )
    results = {
        "bleu": sacrebleu.corpus_bleu(translations, [references]).score,
    }
    for order in (1, 2):
        metric = keras_hub.metrics.RougeN(order=order)
        metric.update_state(references, translations)
        f1 = metric.result()["f1_score"]
        results[f"rouge{order}_f1"] = float(ops.convert_to_numpy(f1))
    results["num_sentences"] = len(references)
    return results
