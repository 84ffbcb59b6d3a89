"""Tatoeba/Anki sentence pairs: English–Spanish and English–French.

The files of the TensorFlow `nmt_with_attention` tutorial (`spa-eng.zip`,
dated 2018-05-13) and the keras.io `lstm_seq2seq` example (`fra-eng.zip`,
dated 2017-09-29): one pair per line, `english<TAB>translation`.

Data: www.manythings.org/anki and tatoeba.org, CC BY 2.0 FR
(https://creativecommons.org/licenses/by/2.0/fr/).
"""

import numpy as np

from keras_seq.datasets.data_utils import DataFile
from keras_seq.datasets.data_utils import read_zip_member
from keras_seq.utils.argument_validation import check_choice

ARCHIVES = {
    "spa": DataFile(
        "translation/spa-eng.zip",
        "http://storage.googleapis.com/download.tensorflow.org/data/"
        "spa-eng.zip",
        "f80e581ae291aa34dd3aba7bd98b5e9505234da4318e2f3295df70a1520c7f61",
    ),
    "fra": DataFile(
        "translation/fra-eng.zip",
        "http://storage.googleapis.com/download.tensorflow.org/data/"
        "fra-eng.zip",
        "16c4f7d0df9e7c5e6c54cdb0447f3f4a18a55052ff5e2e0b27dd4a06c0e49d04",
    ),
}
MEMBERS = {"spa": "spa-eng/spa.txt", "fra": "fra.txt"}
SEED = 1234  # the protocol's shuffle seed
VALIDATION_FRACTION = 0.05
TEST_FRACTION = 0.05


def load_pairs(language="spa", path=None, cache_dir=None):
    """Loads every sentence pair of the file, in file order.

    Args:
        language: str. `"spa"` (118,964 English–Spanish pairs) or `"fra"`
            (142,787 English–French pairs).
        path: optional local copy: the zip file, or a data directory holding
            it as `translation/spa-eng.zip` (or `fra-eng.zip`). Defaults to
            `KERAS_SEQ_DATA_DIR`, then the Keras cache, then a download.
        cache_dir: where downloads are kept. Defaults to
            `~/.keras/datasets/keras_seq`.

    Returns:
        `(english, translations)`: two numpy string arrays of the same
        length, one sentence per entry.
    """
    language = check_choice("language", language, tuple(ARCHIVES))
    content = read_zip_member(
        ARCHIVES[language], MEMBERS[language], path, cache_dir
    )
    english, translations = [], []
    for number, line in enumerate(content.decode("utf-8").splitlines()):
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) < 2:
            raise ValueError(
                f"Line {number + 1} of {MEMBERS[language]} is not "
                f"`english<TAB>translation`: {line!r}."
            )
        # Newer Anki files add a third, attribution column.
        english.append(columns[0])
        translations.append(columns[1])
    return np.array(english), np.array(translations)


def load_data(language="spa", path=None, cache_dir=None):
    """Loads the translation protocol's splits, source language first.

    As `shared/data/README.md` prescribes: exact duplicate pairs are
    dropped (the first one is kept), the remaining pairs are shuffled with
    `numpy.random.default_rng(1234).permutation`, and the shuffled order is
    cut into test (the last 5%, rounded down), validation (the 5% before
    it) and training (the rest, about 90%). `"spa"`: 118,964 pairs, none
    duplicated, split 107,068 / 5,948 / 5,948. `"fra"`: 142,782 unique
    pairs of 142,787, split 128,504 / 7,139 / 7,139.

    Args:
        language: str. The source language, `"spa"` or `"fra"`; the target
            is English.
        path: optional local copy (see `load_pairs`).
        cache_dir: where downloads are kept.

    Returns:
        `((x_train, y_train), (x_val, y_val), (x_test, y_test))`: numpy
        string arrays of shape `(n,)`, `x` in the source language and `y` in
        English.

    Example:

    ```python
    import keras_seq

    (x_train, y_train), _, (x_test, y_test) = (
        keras_seq.datasets.translation.load_data("spa")
    )
    x_train[0], y_train[0]  # a Spanish sentence and its English
    ```
    """
    english, translations = load_pairs(language, path, cache_dir)
    pairs = dict.fromkeys(zip(translations.tolist(), english.tolist()))
    sources = np.array([source for source, _ in pairs])
    targets = np.array([target for _, target in pairs])
    order = np.random.default_rng(SEED).permutation(len(sources))
    sources, targets = sources[order], targets[order]
    num_test = int(TEST_FRACTION * len(sources))
    num_validation = int(VALIDATION_FRACTION * len(sources))
    train_end = len(sources) - num_test - num_validation
    validation_end = len(sources) - num_test
    return (
        (sources[:train_end], targets[:train_end]),
        (sources[train_end:validation_end], targets[train_end:validation_end]),
        (sources[validation_end:], targets[validation_end:]),
    )
