"""TextGenerator: a character- or word-level recurrent language model.

The char-rnn of the recurrent-network tutorials: an embedding, a stack of
LSTM or GRU layers and a dense layer predict each next token, trained with
teacher forcing on windows of text. Generation runs the compiled loop of
`keras_seq.decoding` with any of its samplers.
"""

import collections
import math
import re

import keras
import numpy as np
from keras import ops

from keras_seq import decoding
from keras_seq.applications.application import ApplicationMixin
from keras_seq.decoding.logits_processing import BANNED_LOGIT
from keras_seq.layers import RecurrentStack
from keras_seq.losses import TokenCrossentropy
from keras_seq.losses import token_crossentropy
from keras_seq.utils import fast_layers
from keras_seq.utils.argument_validation import check_choice
from keras_seq.utils.argument_validation import check_positive_int
from keras_seq.utils.argument_validation import check_positive_number
from keras_seq.utils.argument_validation import check_rate
from keras_seq.utils.argument_validation import check_texts
from keras_seq.utils.compile_utils import compile_function
from keras_seq.utils.random_utils import numpy_generator

OOV_TOKEN = "[UNK]"
LEVELS = ("char", "word")
# Words, with an apostrophe inside ("don't"), single punctuation marks, and
# line breaks (which carry the layout of verse and dialogue).
_WORD_PATTERN = re.compile(r"\n|\w+(?:'\w+)*|[^\w\s]")
_NO_SPACE_BEFORE = set(".,;:!?)]}'\n")
_NO_SPACE_AFTER = set("([{\n")


def tokenize(text, level):
    """Splits `text` into characters or words (the `level` of a model)."""
    if level == "char":
        return list(text)
    return _WORD_PATTERN.findall(text)


def detokenize(tokens, level):
    """Joins tokens back into text; words are spaced as prose is."""
    return "".join(text_pieces(tokens, level))


def text_pieces(tokens, level, previous=None):
    """Yields each of `tokens` as it stands in text after the token before
    it (`previous` for the first; `None` at the start of a text): a word
    with the space before it, unless punctuation or a line break stands
    between them."""
    for token in tokens:
        if (
            level == "char"
            or previous is None
            or token in _NO_SPACE_BEFORE
            or previous[-1:] in _NO_SPACE_AFTER
        ):
            yield token
        else:
            yield " " + token
        previous = token


class TextWindows(keras.utils.PyDataset):
    """Batches of `(inputs, targets)` windows over a token-id array.

    Each epoch cuts `len(ids) // (sequence_length * batch_size)` batches of
    windows of `sequence_length` ids; the targets are the inputs shifted by
    one. With `shuffle`, window starts are drawn at random anew every epoch
    (every offset is seen over time); without it, the windows are
    consecutive and fixed.
    """

    def __init__(self, ids, sequence_length, batch_size, shuffle, seed):
        super().__init__()
        self.ids = ids
        self.sequence_length = sequence_length
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = numpy_generator(seed)
        self.batches_per_epoch = (len(ids) - 1) // (
            sequence_length * batch_size
        )
        if self.batches_per_epoch == 0:
            raise ValueError(
                f"Received a text of {len(ids)} tokens, too short for one "
                f"batch of {batch_size} windows of {sequence_length} tokens: "
                "use a smaller `batch_size` or `sequence_length`."
            )
        self.on_epoch_end()

    def __len__(self):
        return self.batches_per_epoch

    def on_epoch_end(self):
        count = self.batches_per_epoch * self.batch_size
        if self.shuffle:
            last_start = len(self.ids) - self.sequence_length - 1
            self.starts = self.rng.integers(0, last_start + 1, count)
        else:
            self.starts = np.arange(count) * self.sequence_length

    def __getitem__(self, index):
        starts = self.starts[
            index * self.batch_size : (index + 1) * self.batch_size
        ]
        offsets = np.arange(self.sequence_length + 1)
        windows = self.ids[starts[:, None] + offsets[None, :]]
        return windows[:, :-1], windows[:, 1:]


@keras.saving.register_keras_serializable(package="keras_seq")
class TextGenerator(ApplicationMixin, keras.Model):
    """A character- or word-level recurrent language model.

    Token `0` is the out-of-vocabulary token `"[UNK]"`: characters or words
    of a prompt or text that are not in the vocabulary map to it, so any
    input is accepted. The vocabulary, the level and the default sampler are
    part of the config, so they travel inside a `.keras` file.

    The model maps token ids `(batch_size, length)` to next-token logits
    `(batch_size, length, vocabulary_size)`. It is compiled on construction
    with Adam (learning rate 2e-3, gradient norm clipped at 1.0) and sparse
    categorical cross-entropy on the logits; `compile()` overrides any of
    these. `make_dataset` cuts a text into training windows.

    Args:
        vocabulary: list of str. The characters (`level="char"`) or words
            (`level="word"`) of the model, without the out-of-vocabulary
            token; `TextGenerator.from_text` builds it from a corpus.
        level: str. `"char"` or `"word"`. Defaults to `"char"`.
        cell: str. `"lstm"`, `"gru"` or `"simple_rnn"`. Defaults to
            `"lstm"`.
        units: int. The state size of each recurrent layer. Defaults to
            `256`.
        num_layers: int. The number of stacked recurrent layers. Defaults
            to `1`.
        embedding_dim: int. The size of the token embeddings. Defaults to
            `64`.
        dropout: float. Dropout between recurrent layers and before the
            output layer, in training. Defaults to `0.0`.
        sampler: str or `keras_hub.samplers.Sampler`. The default sampler of
            `generate`. Defaults to `"random"` (temperature sampling).
        name: str. The model name. Defaults to `"text_generator"`.
        **kwargs: other arguments of `keras.Model`, such as `dtype`.

    Example:

    ```python
    import keras_seq

    text = "to be, or not to be, that is the question. " * 40
    model = keras_seq.applications.TextGenerator.from_text(
        text, units=32, embedding_dim=16
    )
    model.fit(model.make_dataset(text, sequence_length=20, batch_size=8))
    model.generate("to be", max_length=20, sampler="greedy")
    ```

    Reference:
    - [Karpathy, 2015](https://karpathy.github.io/2015/05/21/rnn-effectiveness/)
      (char-rnn)
    """

    def __init__(
        self,
        vocabulary,
        level="char",
        cell="lstm",
        units=256,
        num_layers=1,
        embedding_dim=64,
        dropout=0.0,
        sampler="random",
        name="text_generator",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.level = check_choice("level", level, LEVELS)
        self.vocabulary = self._check_vocabulary(vocabulary)
        self.units = units
        self.num_layers = num_layers
        self.embedding_dim = check_positive_int("embedding_dim", embedding_dim)
        self.dropout = check_rate("dropout", dropout)
        self.sampler = decoding.get_sampler(sampler)
        self.vocabulary_size = len(self.vocabulary) + 1
        self.token_to_id = {t: i + 1 for i, t in enumerate(self.vocabulary)}
        self.id_to_token = [OOV_TOKEN, *self.vocabulary]

        # === Layers ===
        self.embedding = keras.layers.Embedding(
            self.vocabulary_size,
            self.embedding_dim,
            dtype=self.dtype_policy,
            name="embedding",
        )
        self.recurrent_stack = RecurrentStack(
            cell,
            units,
            num_layers=num_layers,
            dropout=self.dropout,
            return_sequences=True,
            return_state=True,
            dtype=self.dtype_policy,
            name="recurrent_stack",
        )
        self.cell = self.recurrent_stack.cell
        self.output_dropout = keras.layers.Dropout(
            self.dropout, dtype=self.dtype_policy, name="output_dropout"
        )
        self.head = keras.layers.Dense(
            self.vocabulary_size, dtype="float32", name="logits"
        )
        self.build((None, None))
        self._evaluate_function = None
        self.compile()

    def _check_vocabulary(self, vocabulary):
        if isinstance(vocabulary, str) and self.level == "char":
            vocabulary = list(vocabulary)
        if not isinstance(vocabulary, (list, tuple)):
            raise TypeError(
                "Received an invalid type for argument `vocabulary`: expected "
                "a non-empty list of strings, got "
                f"{type(vocabulary).__name__}."
            )
        if not vocabulary:
            raise ValueError(
                "Received an invalid value for argument `vocabulary`: "
                "expected a non-empty list of strings, got an empty "
                f"{type(vocabulary).__name__}."
            )
        vocabulary = list(vocabulary)
        for token in vocabulary:
            if not isinstance(token, str) or not token:
                raise ValueError(
                    "Received an invalid value for argument `vocabulary`: "
                    f"every entry must be a non-empty string, got {token!r}."
                )
            if self.level == "char" and len(token) != 1:
                raise ValueError(
                    "Received an invalid value for argument `vocabulary`: a "
                    "character-level vocabulary holds single characters, got "
                    f"{token!r}."
                )
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError(
                "Received an invalid value for argument `vocabulary`: "
                "entries must be unique."
            )
        if OOV_TOKEN in vocabulary:
            raise ValueError(
                "Received an invalid value for argument `vocabulary`: "
                f"{OOV_TOKEN!r} is reserved for out-of-vocabulary tokens."
            )
        return vocabulary

    @classmethod
    def from_text(cls, text, level="char", max_vocabulary_size=None, **kwargs):
        """Creates a model whose vocabulary is built from `text`.

        Args:
            text: str, or list of str. The training corpus.
            level: `"char"` or `"word"`.
            max_vocabulary_size: optional int. Keep only the most frequent
                tokens (ties broken alphabetically); the others become the
                out-of-vocabulary token.
            **kwargs: the other arguments of `TextGenerator`.
        """
        level = check_choice("level", level, LEVELS)
        texts = check_texts("text", text)
        counts = collections.Counter()
        for piece in texts:
            counts.update(tokenize(piece, level))
        counts.pop(OOV_TOKEN, None)
        ranked = sorted(counts, key=lambda t: (-counts[t], t))
        if max_vocabulary_size is not None:
            size = check_positive_int(
                "max_vocabulary_size", max_vocabulary_size
            )
            ranked = ranked[:size]
        if not ranked:
            unit = "character" if level == "char" else "word"
            received = (
                repr(text)
                if isinstance(text, str)
                else f"{len(texts)} texts without one"
            )
            raise ValueError(
                "Received an invalid value for argument `text`: expected a "
                f"corpus with at least one {unit} to build the vocabulary "
                f"from, got {received}."
            )
        vocabulary = sorted(ranked) if level == "char" else ranked
        return cls(vocabulary=vocabulary, level=level, **kwargs)

    # === Text and ids ===

    def encode(self, text):
        """Maps `text` to an int32 array of token ids (`0` if unknown)."""
        if not isinstance(text, str):
            raise TypeError(
                "Received an invalid type for argument `text`: expected a "
                f"string, got {type(text).__name__}."
            )
        ids = [self.token_to_id.get(t, 0) for t in tokenize(text, self.level)]
        return np.asarray(ids, "int32")

    def decode(self, ids):
        """Maps token ids back to text (`"[UNK]"` for id `0`)."""
        tokens = [self.id_to_token[int(i)] for i in np.asarray(ids).ravel()]
        return detokenize(tokens, self.level)

    def make_dataset(
        self, text, sequence_length=100, batch_size=64, shuffle=True, seed=None
    ):
        """Cuts `text` into teacher-forcing windows for `fit`.

        Args:
            text: str. The training text.
            sequence_length: int. Tokens per window.
            batch_size: int. Windows per batch.
            shuffle: bool. Draw window starts at random each epoch.
            seed: optional int, for the window starts.

        Returns:
            A `keras.utils.PyDataset` of `(inputs, targets)` int32 batches of
            shape `(batch_size, sequence_length)`, targets shifted by one.
        """
        return TextWindows(
            self.encode(text),
            check_positive_int("sequence_length", sequence_length),
            check_positive_int("batch_size", batch_size),
            bool(shuffle),
            seed,
        )

    # === Model ===

    def build(self, input_shape):
        self.embedding.build(input_shape)
        self.recurrent_stack.build((None, None, self.embedding_dim))
        self.head.build((None, None, self.recurrent_stack.output_dim))
        self.built = True

    def call(self, token_ids, training=None, initial_state=None):
        outputs, _ = self._run(token_ids, initial_state, training)
        return outputs

    def _run(self, token_ids, initial_state=None, training=None):
        """Logits and final state for `token_ids` from `initial_state`."""
        shape = tuple(token_ids.shape)
        if len(shape) != 2:
            raise ValueError(
                "Received an invalid value for argument `token_ids`: "
                "expected token ids of shape (batch_size, length), got shape "
                f"{shape}."
            )
        x = self.embedding(token_ids)
        x, state = self.recurrent_stack(
            x, initial_state=initial_state, training=training
        )
        x = self.output_dropout(x, training=training)
        return self.head(x), state

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """Configures training; `"auto"` keeps each default.

        Args:
            optimizer: `"auto"` (Adam, learning rate 2e-3, gradient norm
                clipped at 1.0), or any optimizer.
            loss: `"auto"` (sparse categorical cross-entropy from logits),
                or any loss.
            metrics: `"auto"` (none), or any metrics.
            **kwargs: other arguments of `keras.Model.compile`.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(2e-3, clipnorm=1.0)
        if loss == "auto":
            loss = TokenCrossentropy()
        if metrics == "auto":
            metrics = None
        super().compile(
            optimizer=optimizer, loss=loss, metrics=metrics, **kwargs
        )

    # === The generation contract ===

    def prefill(self, tokens, context=None):
        """The recurrent state after reading `tokens` `(batch_size, n)`."""
        batch_size, length = ops.shape(tokens)
        if length == 0:
            return self.recurrent_stack.get_initial_state(batch_size)
        _, state = self._run(tokens)
        return state

    def next(self, prompt, state, index):
        """Reads `prompt[:, index - 1]`; returns logits for `index`."""
        token = prompt[:, index - 1]
        embedded = fast_layers.embed(self.embedding, token)
        hidden, state = self.recurrent_stack.step(embedded, state)
        logits = fast_layers.dense(self.head, hidden)
        # The out-of-vocabulary token stands for unknown input; it is never
        # generated.
        logits = fast_layers.ban_index(logits, 0, BANNED_LOGIT)
        return logits, hidden, state

    def _token_step(self):
        """`RecurrentStack.token_step` over the embedding table, or `None`
        where the embedding is not a plain float32 table (LoRA, quantized,
        another dtype) or the stack has no such step."""
        embedding = self.embedding
        if (
            embedding.compute_dtype != "float32"
            or getattr(embedding, "lora_enabled", False)
            or getattr(embedding, "quantization_mode", None) is not None
        ):
            return None
        return self.recurrent_stack.token_step(embedding.embeddings)

    def frozen_next(self):
        """`next` for one generation, with what no token changes done once.

        Every token's embedding projected once through the first recurrent
        layer's input weights (`RecurrentStack.token_step`), so that each
        step looks up a row instead of multiplying by a matrix: on JAX and
        TensorFlow, where the engine calls this inside the compiled
        function before its loop, and on torch for an LSTM on the CPU. On
        torch the weights are read once for the eager decoding loop.
        Returns a function computing what `next` computes, or `None` where
        no shortcut applies (dtypes other than float32, non-default cells,
        a LoRA or quantized embedding).
        """
        if keras.config.backend() != "torch":
            token_step = self._token_step()
            if token_step is None:
                return None

            def next(prompt, state, index):
                hidden, state = token_step(prompt[:, index - 1], state)
                logits = fast_layers.dense(self.head, hidden)
                logits = fast_layers.ban_index(logits, 0, BANNED_LOGIT)
                return logits, hidden, state

            return next

        # The head bans the out-of-vocabulary token itself (its logit
        # comes out as BANNED_LOGIT): one PyTorch call per token fewer.
        dense = fast_layers.frozen_dense(
            self.head, banned=(0,), banned_value=BANNED_LOGIT
        )
        token_step = None if dense is None else self._token_step()
        if token_step is not None:

            def next(prompt, state, index):
                hidden, state = token_step(prompt[:, index - 1], state)
                return dense(hidden), hidden, state

            return next
        functions = fast_layers.frozen_decoding_step(
            self.embedding,
            self.recurrent_stack,
            self.head,
            banned=(0,),
            banned_value=BANNED_LOGIT,
        )
        if functions is None:
            return None
        embed, step, dense = functions

        def next(prompt, state, index):
            hidden, state = step(embed(prompt[:, index - 1]), state)
            return dense(hidden), hidden, state

        return next

    def generate(
        self,
        prompt,
        max_length,
        sampler=None,
        temperature=None,
        seed=None,
        **kwargs,
    ):
        """Continues `prompt` with up to `max_length` generated tokens.

        Args:
            prompt: str or list of str, each at least one token long.
                Unknown characters or words are read as the
                out-of-vocabulary token.
            max_length: int. The number of tokens (characters or words) to
                generate.
            sampler: optional sampler name or instance; the model's
                `sampler` by default.
            temperature: optional float, for a sampler given by name.
            seed: optional int, for reproducible sampling.
            **kwargs: other options of `keras_seq.decoding.generate`, such
                as `no_repeat_ngram_size`.

        Returns:
            The prompt and its continuation: a str for a str prompt, a list
            of str for a list (an empty list for an empty one). With
            `sampler=BeamSearch(num_results=n)`, `n > 1`, each is a list of
            the `n` best continuations.
        """
        single = isinstance(prompt, str)
        prompts = check_texts("prompt", prompt, allow_empty=True)
        max_length = check_positive_int("max_length", max_length)
        if not prompts:
            return []
        ids = [self._prompt_ids(text) for text in prompts]
        sampler, temperature = self._sampler(sampler, temperature)
        outputs = decoding.generate(
            self,
            [list(row) for row in ids],
            max_length,
            sampler=sampler,
            temperature=temperature,
            seed=seed,
            **kwargs,
        )
        token_ids, padding_mask = outputs["token_ids"], outputs["padding_mask"]
        texts = []
        for tokens, keep in zip(token_ids, padding_mask):
            if tokens.ndim == 2:
                texts.append([self.decode(t[k]) for t, k in zip(tokens, keep)])
            else:
                texts.append(self.decode(tokens[keep]))
        return texts[0] if single else texts

    def generate_stream(
        self, prompt, max_length, sampler=None, temperature=None, seed=None
    ):
        """Yields the continuation of `prompt` as it is generated.

        The text form of `keras_seq.decoding.generate_stream`: each piece is
        one token's text, a character or a word with the space before it,
        so that the decoded prompt followed by every piece is the text that
        `generate` returns for the same tokens. A greedy stream gives the
        text of `generate`; a sampled one draws from the same distributions
        with its own random numbers (reproducible with `seed`). The prompt
        and the arguments are checked, and the prompt read, when this is
        called, not when the first piece is asked for.

        Args:
            prompt: str, at least one token long. Unknown characters or
                words are read as the out-of-vocabulary token.
            max_length: int. The number of tokens to generate.
            sampler: optional sampler name or instance, token by token
                (`"greedy"`, `"random"`, `"top_k"`, `"top_p"`; beam search
                knows no token until it ends: use `generate`); the model's
                `sampler` by default.
            temperature: optional float, for a sampler given by name.
            seed: optional int, for reproducible sampling.

        Returns:
            An iterator of str, one piece per generated token.

        Example:

        ```python
        for piece in model.generate_stream("ROMEO:", 200, temperature=0.8):
            print(piece, end="", flush=True)
        ```
        """
        if not isinstance(prompt, str):
            raise TypeError(
                "Received an invalid type for argument `prompt`: expected a "
                f"string, got {type(prompt).__name__}. To continue several "
                "prompts at once, use `generate`."
            )
        ids = self._prompt_ids(prompt)
        sampler, temperature = self._sampler(sampler, temperature)
        tokens = decoding.generate_stream(
            self,
            ids[None],
            max_length,
            sampler=sampler,
            temperature=temperature,
            seed=seed,
        )
        return text_pieces(
            (self.id_to_token[int(token[0])] for token in tokens),
            self.level,
            previous=self.id_to_token[ids[-1]],
        )

    def _prompt_ids(self, prompt):
        ids = self.encode(prompt)
        if len(ids) == 0:
            raise ValueError(
                "Received an invalid value for argument `prompt`: expected "
                f"at least one {self.level} to start from, got the empty "
                f"prompt {prompt!r}."
            )
        return ids

    def _sampler(self, sampler, temperature):
        """`(sampler, temperature)` for `keras_seq.decoding`: the model's
        own sampler when none is given, at `temperature` if one is."""
        if sampler is not None or temperature is None:
            return self.sampler if sampler is None else sampler, temperature
        temperature = check_positive_number("temperature", temperature)
        config = {**self.sampler.get_config(), "temperature": temperature}
        return type(self.sampler).from_config(config), None

    # === Evaluation ===

    def negative_log_likelihood(self, texts, chunk_length=512):
        """The summed negative log-likelihood of `texts`, in nats.

        Each text is read as one stream (its first token is given, every
        later one predicted), in chunks of `chunk_length` tokens with the
        recurrent state carried across chunks, so the result is exact for
        any length.

        Returns:
            A tuple `(nats, num_tokens, num_characters)`: the total over all
            texts, the number of predicted tokens, and the number of
            characters they span.
        """
        texts = check_texts("texts", texts)
        chunk_length = check_positive_int("chunk_length", chunk_length)
        rows = [self.encode(t) for t in texts]
        if any(len(r) < 2 for r in rows):
            raise ValueError(
                "Received an invalid value for argument `texts`: expected "
                "texts of at least two tokens (the likelihood of a text "
                "predicts every token after the first), got "
                f"{texts[[len(r) < 2 for r in rows].index(True)]!r}."
            )
        num_characters = 0
        for text, row in zip(texts, rows):
            first = tokenize(text, self.level)[0]
            num_characters += len(text) - len(first) - (text.index(first))
        width = max(len(r) for r in rows) - 1
        width = -(-width // chunk_length) * chunk_length
        inputs = np.zeros((len(rows), width), "int32")
        targets = np.zeros((len(rows), width), "int32")
        weights = np.zeros((len(rows), width), "float32")
        for i, row in enumerate(rows):
            inputs[i, : len(row) - 1] = row[:-1]
            targets[i, : len(row) - 1] = row[1:]
            weights[i, : len(row) - 1] = 1.0
        if self._evaluate_function is None:

            def chunk_nll(inputs, targets, weights, state):
                logits, state = self._run(inputs, state)
                losses = token_crossentropy(targets, logits)
                return ops.sum(losses * weights), state

            self._evaluate_function = compile_function(chunk_nll, self)
        state = self.recurrent_stack.get_initial_state(len(rows))
        total = 0.0
        for start in range(0, width, chunk_length):
            piece = slice(start, start + chunk_length)
            nats, state = self._evaluate_function(
                ops.convert_to_tensor(inputs[:, piece]),
                ops.convert_to_tensor(targets[:, piece]),
                ops.convert_to_tensor(weights[:, piece]),
                state,
            )
            total += float(ops.convert_to_numpy(nats))
        return total, int(weights.sum()), num_characters

    def perplexity(self, texts, chunk_length=512):
        """The per-token perplexity of `texts`: `exp` of the mean loss."""
        nats, num_tokens, _ = self.negative_log_likelihood(texts, chunk_length)
        return math.exp(nats / num_tokens)

    def bits_per_character(self, texts, chunk_length=512):
        """The negative log-likelihood of `texts` in bits per character.

        For a character model this is the mean loss divided by `ln 2`; for a
        word model, the total in bits over the characters the predicted
        words span (spaces included), so the two levels compare.
        """
        nats, _, num_characters = self.negative_log_likelihood(
            texts, chunk_length
        )
        return nats / math.log(2) / num_characters

    # === Saving ===

    def get_config(self):
        return self.application_config(
            vocabulary=self.vocabulary,
            level=self.level,
            cell=self.cell,
            units=self.units,
            num_layers=self.num_layers,
            embedding_dim=self.embedding_dim,
            dropout=self.dropout,
            sampler=keras.saving.serialize_keras_object(self.sampler),
        )
