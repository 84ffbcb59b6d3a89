"""Where the recipes in applications/ run in `make test`.

Each recipe runs at smoke size on two backends: as its Colab notebook (built
from the recipe file, `notebooks_test.py`) on the backends in
`NOTEBOOK_BACKENDS` (torch), and as a script (`applications_test.py`) on
one of the others, named in `SCRIPT_BACKENDS`. The application classes the
recipes assemble are tested on every backend beside their code; what a
recipe adds (arguments, files, plots) does not depend on the backend.

Running every script on both TensorFlow and JAX as well cost 237 s of the
suite's worker time (CI on 9f89d2f, 2026-11-24: the captioning and
translation recipes took 84 and 74 s on JAX, 55 and 52 s on TensorFlow;
the other three 81 s on JAX and 79 s on TensorFlow; pytest took 32.2
minutes in all). The two heaviest, much heavier on JAX, now run on
TensorFlow, the other three on JAX, so that neither pass takes them all.

The nightly-size run sets `KERAS_SEQ_NOTEBOOK_BACKENDS=tensorflow,jax,torch`
to run the notebooks everywhere, and `KERAS_SEQ_RECIPE_SCRIPTS=all` to run
the scripts everywhere too.
"""

import os

import keras
import pytest

NOTEBOOK_BACKENDS = os.environ.get(
    "KERAS_SEQ_NOTEBOOK_BACKENDS", "torch"
).split(",")

# The backend on which `make test` runs each recipe as a script.
SCRIPT_BACKENDS = {
    "mnist_rows.py": "jax",
    "text_generation.py": "jax",
    "translation.py": "tensorflow",
    "image_captioning.py": "tensorflow",
    "video_prediction.py": "jax",
}

_scripts_everywhere = os.environ.get("KERAS_SEQ_RECIPE_SCRIPTS") == "all"


def script_run(recipe):
    """Skips a recipe's script run except on its backend in
    `SCRIPT_BACKENDS` (or everywhere, with `KERAS_SEQ_RECIPE_SCRIPTS=all`)."""
    backend = SCRIPT_BACKENDS[recipe]
    return pytest.mark.skipif(
        keras.config.backend() != backend and not _scripts_everywhere,
        reason=(
            f"make test runs {recipe} as a script on {backend} and as its "
            f"notebook on {', '.join(NOTEBOOK_BACKENDS)}; "
            "KERAS_SEQ_RECIPE_SCRIPTS=all runs it everywhere"
        ),
    )
