"""Random number generators that follow `keras.utils.set_random_seed`."""

import numpy as np


def numpy_generator(seed=None):
    """A NumPy `Generator` for data order and sampling on the host.

    With `seed=None` its seed is drawn from NumPy's global state, which
    `keras.utils.set_random_seed` sets: a program that seeds Keras shuffles
    its data the same way on every run, as it initializes the same weights.
    (`np.random.default_rng(None)` would read fresh entropy instead.)
    """
    if seed is None:
        seed = np.random.randint(0, 2**31 - 1)
    return np.random.default_rng(seed)
