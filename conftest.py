"""pytest configuration shared by the package's tests and tests/."""

import os

import pytest

from keras_seq.testing import TestCase


@pytest.fixture
def data_dir():
    """The real data directory; the test is skipped only where it is absent."""
    path = TestCase.shared_data_dir()
    if not os.path.isdir(path):
        pytest.skip(f"the shared datasets are not at {path}")
    return path


def _exact_float32_on_gpus():
    """Tests compare float32 results within 1e-5: on a GPU, keep TF32 (10
    mantissa bits) out of matrix products and cuDNN kernels. No effect on
    the CPU."""
    import keras

    backend = keras.config.backend()
    if backend == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "highest")
    elif backend == "torch":
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


_exact_float32_on_gpus()
