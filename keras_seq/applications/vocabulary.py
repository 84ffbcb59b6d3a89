"""Token vocabularies and tokenizers shared by the text-writing models.

`Seq2SeqTranslator` and `ImageCaptioner` read and write text through
KerasHub's `WordPieceTokenizer`, with four reserved tokens first in every
vocabulary.
"""

import re

import numpy as np

from keras_seq.utils.argument_validation import check_choice
from keras_seq.utils.argument_validation import check_positive_int
from keras_seq.utils.argument_validation import check_texts

PAD_TOKEN, OOV_TOKEN, START_TOKEN, END_TOKEN = (
    "[PAD]",
    "[UNK]",
    "[START]",
    "[END]",
)
RESERVED_TOKENS = (PAD_TOKEN, OOV_TOKEN, START_TOKEN, END_TOKEN)
PAD_ID, OOV_ID, START_ID, END_ID = 0, 1, 2, 3
TOKENIZERS = ("word_piece", "word")
# Source and target lengths are padded up to a multiple of this, so that a
# few compiled shapes serve every batch.
LENGTH_MULTIPLE = 8
# The words and punctuation marks KerasHub's WordPiece tokenizer splits a
# text into before it looks for pieces.
_WORD_PATTERN = re.compile(r"\w+|[^\w\s]")
_NO_SPACE_BEFORE = set(".,;:!?)]}%")
_NO_SPACE_AFTER = set("([{¿¡")


def build_vocabulary(
    texts, vocabulary_size=8000, tokenizer="word_piece", lowercase=False
):
    """Learns a translation vocabulary from a corpus.

    Args:
        texts: list or array of str. The sentences of one language.
        vocabulary_size: int. The largest number of entries, the four
            reserved tokens (`"[PAD]"`, `"[UNK]"`, `"[START]"`, `"[END]"`,
            ids 0 to 3) included.
        tokenizer: str. `"word_piece"`: KerasHub's WordPiece trainer
            (`keras_hub.tokenizers.compute_word_piece_vocabulary`), so rare
            words are spelled with subword pieces; or `"word"`: the most
            frequent words and punctuation marks, other words becoming
            `"[UNK]"`. Both are read by KerasHub's `WordPieceTokenizer`.
            Defaults to `"word_piece"`.
        lowercase: bool. Lowercase the text first (the model must then be
            created with `lowercase=True`). Defaults to `False`: BLEU is
            case-sensitive.

    Returns:
        A list of str, the reserved tokens first.

    Example:

    ```python
    import keras_seq

    vocabulary = keras_seq.applications.seq2seq_translator.build_vocabulary(
        ["Hola.", "¿Dónde está la biblioteca?"], tokenizer="word"
    )
    vocabulary[:4]  # ['[PAD]', '[UNK]', '[START]', '[END]']
    ```
    """
    texts = check_texts("texts", texts)
    size = check_positive_int("vocabulary_size", vocabulary_size)
    if size <= len(RESERVED_TOKENS):
        raise ValueError(
            "Received an invalid value for argument `vocabulary_size`: "
            f"expected more than the {len(RESERVED_TOKENS)} reserved tokens, "
            f"got {vocabulary_size}."
        )
    tokenizer = check_choice("tokenizer", tokenizer, TOKENIZERS)
    if tokenizer == "word_piece":
        import keras_hub
        import tensorflow as tf

        return keras_hub.tokenizers.compute_word_piece_vocabulary(
            tf.data.Dataset.from_tensor_slices(texts).batch(1024),
            vocabulary_size=size,
            lowercase=lowercase,
            strip_accents=False,
            reserved_tokens=list(RESERVED_TOKENS),
        )
    counts = {}
    for text in texts:
        for word in _WORD_PATTERN.findall(text.lower() if lowercase else text):
            counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    ranked = [w for w in ranked if w not in RESERVED_TOKENS]
    return list(RESERVED_TOKENS) + ranked[: size - len(RESERVED_TOKENS)]


def detokenize(tokens):
    """Joins WordPiece tokens into text spaced as English prose is."""
    words = []
    for token in tokens:
        if token.startswith("##") and words:
            words[-1] += token[2:]
        else:
            words.append(token)
    text = ""
    for i, word in enumerate(words):
        joined = (
            i == 0
            or word in _NO_SPACE_BEFORE
            or words[i - 1] in _NO_SPACE_AFTER
            # "don ' t" -> "don't", "Tom ' s" -> "Tom's".
            or (word == "'" and words[i - 1][-1:].isalnum())
            or (words[i - 1] == "'" and i >= 2 and words[i - 2][-1:].isalnum())
        )
        text += word if joined else " " + word
    return text


class Tokenizers:
    """KerasHub tokenizers by side, in an object Keras does not track."""

    def __init__(self):
        self.by_side = {}


def is_text(x):
    if isinstance(x, str):
        return True
    if isinstance(x, np.ndarray):
        return (
            x.dtype.kind in "UO" and x.size > 0 and isinstance(x.flat[0], str)
        )
    return isinstance(x, (list, tuple)) and bool(x) and isinstance(x[0], str)


def check_vocabulary(name, vocabulary):
    if not isinstance(vocabulary, (list, tuple)) or not all(
        isinstance(token, str) and token for token in vocabulary
    ):
        raise TypeError(
            f"Received an invalid type for argument `{name}`: expected a "
            f"list of non-empty strings, got {type(vocabulary).__name__}."
        )
    vocabulary = list(vocabulary)
    if tuple(vocabulary[: len(RESERVED_TOKENS)]) != RESERVED_TOKENS:
        raise ValueError(
            f"Received an invalid value for argument `{name}`: expected the "
            f"reserved tokens {list(RESERVED_TOKENS)} first (as "
            f"`build_vocabulary` makes it), got {vocabulary[:4]}."
        )
    if len(vocabulary) <= len(RESERVED_TOKENS):
        raise ValueError(
            f"Received an invalid value for argument `{name}`: it holds only "
            "the reserved tokens."
        )
    if len(set(vocabulary)) != len(vocabulary):
        raise ValueError(
            f"Received an invalid value for argument `{name}`: entries must "
            "be unique."
        )
    return vocabulary


def pad_ids(rows, extra=0, multiple=LENGTH_MULTIPLE):
    """Pads int rows with `PAD_ID` to a multiple of `multiple` (plus
    `extra`)."""
    width = max(max(len(row) for row in rows) - extra, 1)
    width = -(-width // multiple) * multiple + extra
    padded = np.full((len(rows), width), PAD_ID, "int32")
    for i, row in enumerate(rows):
        padded[i, : len(row)] = row
    return padded
