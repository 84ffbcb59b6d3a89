"""Multi-digit MNIST captions: a captioning task with a measurable answer.

Each image shows 1 to 5 real MNIST digits side by side on a black
`28 x 140` canvas, at random horizontal positions that never overlap (so
the digits do not sit on a fixed grid); the caption names the digits from
left to right as words, e.g.
`"seven two nine"`. Training images use digits of the MNIST training
subset, validation images its validation digits, and test images only the
official test digits, so the test captions describe unseen handwriting.

MNIST © Y. LeCun and C. Cortes, CC BY-SA 3.0.
"""

import numpy as np

from keras_seq.datasets import mnist
from keras_seq.utils.argument_validation import check_positive_int
from keras_seq.utils.argument_validation import invalid_argument

SEED = 1234
DIGIT_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
)
DIGIT_SIZE = 28


def _check_digit_counts(min_digits, max_digits):
    min_digits = check_positive_int("min_digits", min_digits)
    max_digits = check_positive_int("max_digits", max_digits)
    if min_digits > max_digits:
        raise ValueError(
            f"Received min_digits={min_digits} > max_digits={max_digits}: "
            "expected min_digits <= max_digits."
        )
    return min_digits, max_digits


def compose(images, labels, num_images, min_digits=1, max_digits=5, seed=0):
    """Composes multi-digit images and their captions from single digits.

    Args:
        images: uint8 array `(n, 28, 28)`, the digits to draw from.
        labels: int array `(n,)`, their classes.
        num_images: int. How many images to compose.
        min_digits, max_digits: int. The range of digits per image (each
            count equally likely). Defaults to 1 and 5.
        seed: int or `numpy.random.SeedSequence`.

    Returns:
        `(canvases, captions)`: uint8 array `(num_images, 28, 28 *
        max_digits)` and a list of `num_images` captions.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (DIGIT_SIZE, DIGIT_SIZE):
        raise invalid_argument("images", images.shape, "shape (n, 28, 28)")
    if labels.shape != images.shape[:1]:
        raise invalid_argument(
            "labels", labels.shape, f"shape ({len(images)},), one per image"
        )
    num_images = check_positive_int("num_images", num_images)
    min_digits, max_digits = _check_digit_counts(min_digits, max_digits)
    rng = np.random.default_rng(seed)
    width = DIGIT_SIZE * max_digits
    canvases = np.zeros((num_images, DIGIT_SIZE, width), "uint8")
    captions = []
    counts = rng.integers(min_digits, max_digits + 1, num_images)
    for canvas, count in zip(canvases, counts):
        chosen = rng.integers(0, len(images), count)
        # `count` left edges in [0, width - 28], at least 28 apart: sorted
        # draws from the width that is left once the digits are placed.
        slack = width - DIGIT_SIZE * count
        edges = np.sort(rng.integers(0, slack + 1, count))
        edges += DIGIT_SIZE * np.arange(count)
        for index, left in zip(chosen, edges):
            canvas[:, left : left + DIGIT_SIZE] = images[index]
        captions.append(" ".join(DIGIT_WORDS[labels[i]] for i in chosen))
    return canvases, captions


def load_data(
    num_train=20000,
    num_validation=1000,
    num_test=2000,
    min_digits=1,
    max_digits=5,
    seed=SEED,
    path=None,
    cache_dir=None,
):
    """Generates the multi-digit captioning splits from real MNIST digits.

    Training images draw digits from the 4,500 training images of
    `keras_seq.datasets.mnist.load_data()`, validation images from its 500
    validation images, and test images only from the official 10,000 test
    images, each split with its own seed derived from `seed`.

    Args:
        num_train, num_validation, num_test: int. Images per split.
            Default to 20,000, 1,000 and 2,000.
        min_digits, max_digits: int. Digits per image. Default to 1 and 5.
        seed: int. Defaults to `1234`.
        path: optional local copy of the MNIST files (see
            `keras_seq.datasets.mnist.load_data`).
        cache_dir: where downloads are kept.

    Returns:
        `((x_train, y_train), (x_val, y_val), (x_test, y_test))`: uint8
        images `(n, 28, 28 * max_digits, 1)`, pixel values in `[0, 255]`,
        and lists of caption strings.

    Example:

    ```python
    import keras_seq

    train, validation, test = keras_seq.datasets.mnist_captions.load_data(
        num_train=100, num_validation=10, num_test=10
    )
    train[0].shape, train[1][0]  # (100, 28, 140, 1), e.g. "seven two nine"
    ```
    """
    sizes = (num_train, num_validation, num_test)
    # The arguments are checked before anything is read or downloaded.
    for name, size in zip(("num_train", "num_validation", "num_test"), sizes):
        check_positive_int(name, size)
    _check_digit_counts(min_digits, max_digits)
    splits = mnist.load_data(path=path, cache_dir=cache_dir)
    seeds = np.random.SeedSequence(seed).spawn(3)
    outputs = []
    for (images, labels), size, split_seed in zip(splits, sizes, seeds):
        canvases, captions = compose(
            images, labels, size, min_digits, max_digits, split_seed
        )
        outputs.append((canvases[..., None], captions))
    return tuple(outputs)
