"""Character-level text corpora: tiny-shakespeare and Nietzsche.

tiny-shakespeare: the char-rnn corpus of A. Karpathy (1,115,394 characters,
65 symbols), public-domain text. Nietzsche: *Beyond Good and Evil*, the
corpus of the Keras text-generation example (600,885 characters), public
domain.
"""

from keras_seq.datasets.data_utils import DataFile
from keras_seq.datasets.data_utils import read_data_file
from keras_seq.utils.argument_validation import check_choice
from keras_seq.utils.argument_validation import invalid_argument

CORPORA = {
    "tinyshakespeare": DataFile(
        "text/tinyshakespeare.txt",
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
        "tinyshakespeare/input.txt",
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    ),
    "nietzsche": DataFile(
        "text/nietzsche.txt",
        "https://s3.amazonaws.com/text-datasets/nietzsche.txt",
        "8f140bcac6986db4b7930f9573ec18a74e10ad6084e31a13303cc654025ec33b",
    ),
}
VALIDATION_FRACTION = 0.1  # the protocol: the last 10% of the characters


def load_text(name="tinyshakespeare", path=None, cache_dir=None):
    """Loads a whole corpus as one string.

    Args:
        name: str. `"tinyshakespeare"` or `"nietzsche"`.
        path: optional local copy: the text file, or a data directory holding
            it as `text/tinyshakespeare.txt` (or `text/nietzsche.txt`).
            Defaults to `KERAS_SEQ_DATA_DIR`, then the Keras cache, then a
            download.
        cache_dir: where downloads are kept. Defaults to
            `~/.keras/datasets/keras_seq`.

    Returns:
        The text, a `str`.
    """
    name = check_choice("name", name, tuple(CORPORA))
    return read_data_file(CORPORA[name], path, cache_dir).decode("utf-8")


def load_data(
    name="tinyshakespeare",
    validation_split=VALIDATION_FRACTION,
    path=None,
    cache_dir=None,
):
    """Loads a corpus split as the character-text protocol prescribes.

    The first 90% of the characters are for training and the last 10% for
    validation (`validation_split=0.1`): a contiguous cut, so that no
    validation passage is seen in training. tiny-shakespeare splits into
    1,003,854 and 111,540 characters.

    Args:
        name: str. `"tinyshakespeare"` or `"nietzsche"`.
        validation_split: float in `(0, 1)`. The fraction of characters,
            from the end, held out for validation. Defaults to `0.1`.
        path: optional local copy (see `load_text`).
        cache_dir: where downloads are kept.

    Returns:
        `(train_text, validation_text)`, two strings.

    Example:

    ```python
    import keras_seq

    train_text, validation_text = keras_seq.datasets.text.load_data()
    len(train_text), len(validation_text)  # (1003854, 111540)
    ```
    """
    if isinstance(validation_split, bool) or not (
        isinstance(validation_split, float) and 0.0 < validation_split < 1.0
    ):
        raise invalid_argument(
            "validation_split", validation_split, "a float in (0, 1)"
        )
    text = load_text(name, path, cache_dir)
    # The first 90% of the characters, rounded down.
    split = int(len(text) * (1.0 - validation_split))
    return text[:split], text[split:]
