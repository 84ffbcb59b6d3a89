"""Every application saved on one backend predicts the same on the others.

For each backend, a subprocess trains each application one step on real
data and saves it (`.keras`) with its inputs and outputs; then a subprocess
per backend loads the other two backends' files in safe mode and predicts on
the same inputs. A test per (saving, loading) pair compares the outputs.

The test spawns its own processes for all three backends, so it runs once,
in the TensorFlow pass of `make test` (the shortest), on one pytest worker.
"""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_seq.testing import TestCase
from tests import cross_backend_worker

BACKENDS = ("tensorflow", "jax", "torch")
RUN_ON = "tensorflow"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = [
    pytest.mark.xdist_group("cross_backend"),
    pytest.mark.skipif(
        keras.backend.backend() != RUN_ON,
        reason=f"runs all backends itself, once: in the {RUN_ON} pass",
    ),
]


def _run_workers(commands):
    """Runs one worker per backend at once; fails with the output of any
    that fails."""
    processes = {}
    for backend, arguments in commands.items():
        processes[backend] = subprocess.Popen(
            [sys.executable, "-m", "tests.cross_backend_worker", *arguments],
            cwd=ROOT,
            env={**os.environ, "KERAS_BACKEND": backend},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    failures = []
    for backend, process in processes.items():
        output, _ = process.communicate(timeout=900)
        if process.returncode != 0:
            failures.append(f"--- {backend} ---\n{output[-3000:]}")
    if failures:
        pytest.fail("\n".join(failures))


@pytest.fixture(scope="module")
def saved_and_loaded(tmp_path_factory):
    data_dir = TestCase.shared_data_dir()
    if not os.path.isdir(data_dir):
        pytest.skip(f"the shared datasets are not at {data_dir}")
    root = tmp_path_factory.mktemp("cross_backend")
    directories = {backend: str(root / backend) for backend in BACKENDS}
    _run_workers({b: ["save", directories[b]] for b in BACKENDS})
    _run_workers(
        {
            b: ["load", *(directories[o] for o in BACKENDS if o != b)]
            for b in BACKENDS
        }
    )
    return directories


def _outputs(directory, backend):
    return cross_backend_worker._load_arrays(
        os.path.join(directory, f"outputs-{backend}.npz")
    )


PAIRS = [(a, b) for a in BACKENDS for b in BACKENDS if a != b]


@pytest.mark.parametrize(
    "saved_on,loaded_on", PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS]
)
def test_same_predictions_after_loading_on_another_backend(
    saved_and_loaded, saved_on, loaded_on
):
    directory = saved_and_loaded[saved_on]
    expected = _outputs(directory, saved_on)
    actual = _outputs(directory, loaded_on)
    assert sorted(actual) == sorted(cross_backend_worker.APPLICATIONS)
    for application in cross_backend_worker.APPLICATIONS:
        assert actual[application].shape == expected[application].shape
        np.testing.assert_allclose(
            actual[application],
            expected[application],
            atol=1e-5,
            rtol=1e-5,
            err_msg=f"{application}: saved on {saved_on}, loaded on "
            f"{loaded_on}",
        )
        # Trained, not initial: the outputs carry information.
        assert np.ptp(expected[application]) > 1e-3, application
