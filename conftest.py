"""pytest configuration shared by the package's tests and tests/."""

import os

import pytest

ROOT = os.path.dirname(os.path.abspath(__file__))


def shared_data_dir():
    """Where the real datasets are: KERAS_SEQ_DATA_DIR, else ../shared/data."""
    return os.environ.get("KERAS_SEQ_DATA_DIR") or os.path.normpath(
        os.path.join(ROOT, os.pardir, "shared", "data")
    )


@pytest.fixture
def data_dir():
    """The real data directory; the test is skipped only where it is absent."""
    path = shared_data_dir()
    if not os.path.isdir(path):
        pytest.skip(f"the shared datasets are not at {path}")
    return path
