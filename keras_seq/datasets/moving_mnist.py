"""Moving MNIST, generated as Srivastava et al. (2015) do.

Each sequence shows `num_digits` MNIST digits (28 x 28) moving in straight
lines on a 64 x 64 black canvas and bouncing off its edges; where digits
overlap, the brighter pixel wins. Generating the sequences, rather than
downloading the fixed 10,000 of the original release, keeps the training
digits apart from the test digits: training sequences use digits of the
MNIST training subset, test sequences only official test digits.

Reference:
    Srivastava, Mansimov and Salakhutdinov, "Unsupervised Learning of Video
    Representations using LSTMs", ICML 2015
    (https://arxiv.org/abs/1502.04681).
"""

import math

import numpy as np

from keras_seq.datasets import mnist
from keras_seq.utils.argument_validation import check_positive_int
from keras_seq.utils.argument_validation import invalid_argument

SEED = 1234  # the protocol's seed
STEP_LENGTH = 0.1  # distance per frame, as a fraction of the free range


def _trajectories(rng, num_sequences, num_frames, num_digits, free_range):
    """Top-left corners `(num_sequences, num_frames, num_digits, 2)`."""
    position = rng.random((num_sequences, num_digits, 2))
    theta = rng.random((num_sequences, num_digits)) * 2 * math.pi
    velocity = np.stack([np.sin(theta), np.cos(theta)], axis=-1)
    corners = np.empty((num_sequences, num_frames, num_digits, 2))
    for frame in range(num_frames):
        corners[:, frame] = position
        position = position + STEP_LENGTH * velocity
        # Bounce: reflect the position and reverse the velocity.
        low, high = position < 0.0, position > 1.0
        position = np.where(low, -position, position)
        position = np.where(high, 2.0 - position, position)
        velocity = np.where(low | high, -velocity, velocity)
    return np.rint(corners * free_range).astype("int64")


def generate(
    digit_images,
    num_sequences,
    num_frames=20,
    num_digits=2,
    canvas_size=64,
    seed=None,
):
    """Generates Moving MNIST sequences from the given digit images.

    Args:
        digit_images: uint8 array `(n, height, width)`: the digits to draw
            from, uniformly with replacement.
        num_sequences: int. How many sequences.
        num_frames: int. Frames per sequence. Defaults to `20` (10 to
            condition on, 10 to predict).
        num_digits: int. Digits per sequence. Defaults to `2`.
        canvas_size: int. Side of the square canvas. Defaults to `64`.
        seed: optional int. The same seed gives the same sequences.

    Returns:
        uint8 array `(num_sequences, num_frames, canvas_size, canvas_size)`.
    """
    digit_images = np.asarray(digit_images)
    if digit_images.ndim != 3 or len(digit_images) == 0:
        raise invalid_argument(
            "digit_images",
            digit_images,
            "a non-empty array of images (n, height, width)",
        )
    for name, value in (
        ("num_sequences", num_sequences),
        ("num_frames", num_frames),
        ("num_digits", num_digits),
        ("canvas_size", canvas_size),
    ):
        check_positive_int(name, value)
    height, width = digit_images.shape[1:]
    if canvas_size < max(height, width):
        raise invalid_argument(
            "canvas_size",
            canvas_size,
            f"at least the digit size ({height} x {width})",
        )
    rng = np.random.default_rng(seed)
    corners = _trajectories(
        rng,
        num_sequences,
        num_frames,
        num_digits,
        np.array([canvas_size - height, canvas_size - width]),
    )
    chosen = rng.integers(0, len(digit_images), (num_sequences, num_digits))
    frames = np.zeros(
        (num_sequences, num_frames, canvas_size, canvas_size), "uint8"
    )
    for sequence in range(num_sequences):
        for digit in range(num_digits):
            image = digit_images[chosen[sequence, digit]]
            for frame in range(num_frames):
                top, left = corners[sequence, frame, digit]
                window = frames[
                    sequence, frame, top : top + height, left : left + width
                ]
                np.maximum(window, image, out=window)
    return frames


def load_data(
    num_train=10000,
    num_validation=1000,
    num_test=2000,
    num_frames=20,
    num_digits=2,
    digits=None,
    seed=SEED,
    path=None,
    cache_dir=None,
):
    """Generates the Moving MNIST protocol's splits from real MNIST digits.

    Training sequences draw digits from the 4,500 training images of
    `keras_seq.datasets.mnist.load_data()`, validation sequences from its
    500 validation images, and test sequences only from the official
    10,000 test images, each split with its own seed derived from `seed`.

    Args:
        num_train: int. Training sequences. Defaults to `10000`.
        num_validation: int. Validation sequences. Defaults to `1000`.
        num_test: int. Test sequences. Defaults to `2000`.
        num_frames: int. Frames per sequence. Defaults to `20`.
        num_digits: int. Digits per sequence. Defaults to `2`.
        digits: optional collection of digit classes to draw from, e.g.
            `(0, 1)`. Defaults to all ten.
        seed: int. Defaults to `1234`, the protocol's seed.
        path: optional local copy of the MNIST files (see
            `keras_seq.datasets.mnist.load_data`).
        cache_dir: where downloads are kept.

    Returns:
        `(train, validation, test)`: uint8 arrays of shape
        `(n, num_frames, 64, 64, 1)`, pixel values in `[0, 255]`.

    Example:

    ```python
    import keras_seq

    train, validation, test = keras_seq.datasets.moving_mnist.load_data(
        num_train=1000, num_validation=100, num_test=100
    )
    train.shape  # (1000, 20, 64, 64, 1)
    ```
    """
    if digits is not None:
        digits = sorted(set(digits))
        if not digits or not set(digits) <= set(range(10)):
            raise invalid_argument(
                "digits", digits, "a non-empty collection of classes 0 to 9"
            )
    sizes = (num_train, num_validation, num_test)
    # The arguments are checked before anything is read or downloaded.
    for name, size in zip(("num_train", "num_validation", "num_test"), sizes):
        check_positive_int(name, size)
    check_positive_int("num_frames", num_frames)
    splits = mnist.load_data(path=path, cache_dir=cache_dir)
    seeds = np.random.SeedSequence(seed).spawn(3)
    outputs = []
    for (images, labels), size, split_seed in zip(splits, sizes, seeds):
        if digits is not None:
            images = images[np.isin(labels, digits)]
        sequences = generate(
            images,
            size,
            num_frames=num_frames,
            num_digits=num_digits,
            seed=split_seed,
        )
        outputs.append(sequences[..., None])
    return tuple(outputs)
