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
