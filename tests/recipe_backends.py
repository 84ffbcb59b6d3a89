"""Where the recipes in applications/ run in `make test`.

Each recipe runs once per backend at smoke size: as its Colab notebook
(built from the recipe file, `notebooks_test.py`) on the backends in
`NOTEBOOK_BACKENDS`, and as a script (`applications_test.py`) on the others.
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

_scripts_everywhere = os.environ.get("KERAS_SEQ_RECIPE_SCRIPTS") == "all"

# For a recipe's script run: skipped where its notebook runs instead.
script_run = pytest.mark.skipif(
    keras.config.backend() in NOTEBOOK_BACKENDS and not _scripts_everywhere,
    reason=(
        f"on {keras.config.backend()} the recipe runs as its notebook "
        "(notebooks_test.py); KERAS_SEQ_RECIPE_SCRIPTS=all runs both"
    ),
)
