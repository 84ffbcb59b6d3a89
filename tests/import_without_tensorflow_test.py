"""keras_seq imports and runs with only JAX or only torch: no TensorFlow.

The development environment has TensorFlow installed (KerasHub's
tensorflow-text pulls it in), so each check runs in a subprocess in which
`tensorflow` and `tensorflow_text` behave as if they were not installed.
"""

import importlib.metadata
import os
import subprocess
import sys
import textwrap

import keras
import pytest
from packaging.version import Version

SCRIPT = textwrap.dedent(
    """
    import sys

    # What an environment without TensorFlow looks like: `import` raises
    # ModuleNotFoundError and `importlib.util.find_spec` returns None.
    for name in ("tensorflow", "tensorflow_text"):
        sys.modules[name] = None

    import numpy as np
    import keras_seq

    stack = keras_seq.layers.RecurrentStack("lstm", 4, return_state=True)
    outputs, states = stack(np.ones((2, 3, 5), "float32"))
    decoder = keras_seq.layers.AttentionDecoder("gru", 4)
    decoded = decoder(np.ones((2, 3, 5), "float32"), outputs)
    model = keras_seq.applications.TextGenerator(list("ab "), units=4)
    text = model.generate("ab", 5, sampler="greedy")
    beams = keras_seq.decoding.generate(
        model, np.ones((1, 1), "int32"), 3, sampler="beam"
    )
    loaded = sorted(
        name
        for name, module in sys.modules.items()
        if name.startswith("tensorflow") and module is not None
    )
    import keras
    print("backend", keras.backend.backend())
    print("shapes", tuple(outputs.shape), tuple(decoded.shape))
    print("generated", len(text), beams["token_ids"].shape)
    print("tensorflow modules", loaded)
    """
)


# KerasHub imports TensorFlow at its own import before 0.32 (its Gemma 3
# preprocessor); `make test-oldest` runs 0.25.
KERAS_HUB_VERSION = Version(importlib.metadata.version("keras-hub"))


@pytest.mark.skipif(
    KERAS_HUB_VERSION < Version("0.32"),
    reason="KerasHub before 0.32 cannot be imported without TensorFlow",
)
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_imports_and_runs_without_tensorflow(backend):
    if keras.backend.backend() != backend:
        pytest.skip(f"checked in the KERAS_BACKEND={backend} run of the suite")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**os.environ, "KERAS_BACKEND": backend},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"backend {backend}" in result.stdout
    assert "shapes (2, 3, 4) (2, 3, 4)" in result.stdout
    assert "generated 7 (1, 4)" in result.stdout
    assert "tensorflow modules []" in result.stdout
