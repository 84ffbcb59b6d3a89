"""The Colab tutorials in notebooks/: in sync with their recipes, and run.

Each notebook is built from its recipe in applications/ by
`notebooks/build_notebooks.py`; the first test fails when a recipe changed
and its notebook was not rebuilt. The others execute every notebook with
nbclient at smoke size (`KERAS_SEQ_SMOKE=1`) as a user runs it top to
bottom, with the backend picked in its selector cell, and check what it
wrote: on torch in `make test` (the quickest at smoke size: no compilation;
applications_test.py runs the recipes as scripts on the other backends), on
every backend named in `KERAS_SEQ_NOTEBOOK_BACKENDS` (the nightly-size run:
see tests/recipe_backends.py).
"""

import importlib.util
import json
import os

import keras
import nbclient
import nbformat
import pytest

from keras_seq.testing import TestCase
from tests.recipe_backends import NOTEBOOK_BACKENDS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location(
    "build_notebooks", os.path.join(ROOT, "notebooks", "build_notebooks.py")
)
build_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_notebooks)


@pytest.mark.parametrize("recipe", build_notebooks.RECIPES)
def test_notebook_is_in_sync_with_its_recipe(recipe):
    path = os.path.join(
        ROOT, "notebooks", build_notebooks.notebook_name(recipe)
    )
    with open(path) as file:
        committed = file.read()
    assert committed == build_notebooks.render(build_notebooks.build(recipe)), (
        f"{path} is stale: run python notebooks/build_notebooks.py"
    )


def test_every_notebook_opens_with_backend_and_install_cells():
    for recipe in build_notebooks.RECIPES:
        notebook = build_notebooks.build(recipe)
        title, backend, install = notebook.cells[:3]
        assert title.cell_type == "markdown"
        assert "colab.research.google.com/github" in title.source
        assert f"applications/{recipe}" in title.source
        assert '# @param ["jax", "tensorflow", "torch"]' in backend.source
        assert "pip" in install.source and "# @param" in install.source


@pytest.mark.skipif(
    keras.config.backend() not in NOTEBOOK_BACKENDS,
    reason=f"the notebooks run on {NOTEBOOK_BACKENDS} (see the docstring)",
)
@pytest.mark.parametrize(
    "recipe, outputs",
    [
        ("mnist_rows.py", ["metrics.json", "model.keras", "history.png"]),
        ("text_generation.py", ["metrics.json", "model.keras"]),
        ("translation.py", ["metrics.json"]),
        ("image_captioning.py", ["metrics.json"]),
        ("video_prediction.py", ["metrics.json", "model.keras"]),
    ],
)
def test_notebook_runs_at_smoke_size(recipe, outputs, monkeypatch, tmp_path):
    data_dir = TestCase.shared_data_dir()
    if not os.path.isdir(data_dir):
        pytest.skip(f"the shared datasets are not at {data_dir}")
    monkeypatch.setenv("KERAS_SEQ_SMOKE", "1")
    monkeypatch.setenv("KERAS_SEQ_DATA_DIR", data_dir)
    backend = keras.config.backend()
    notebook = nbformat.reads(
        build_notebooks.render(build_notebooks.build(recipe)), as_version=4
    )
    # The backend selector's value, as a user picks it in Colab.
    selector = notebook.cells[1]
    assert 'KERAS_BACKEND = "jax"' in selector.source
    selector.source = selector.source.replace(
        'KERAS_BACKEND = "jax"', f'KERAS_BACKEND = "{backend}"'
    )
    workdir = str(tmp_path)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": workdir}},
    )
    client.execute()  # raises CellExecutionError if a cell fails
    out = os.path.join(workdir, "runs", recipe.replace(".py", ""))
    written = os.listdir(out)
    for name in outputs:
        assert name in written, f"{recipe} wrote {sorted(written)}"
    with open(os.path.join(out, "metrics.json")) as file:
        metrics = json.load(file)
    assert metrics["backend"] == backend
    # The backend cell printed nothing wrong and every cell ran.
    assert all(
        cell.get("execution_count")
        for cell in notebook.cells
        if cell.cell_type == "code"
    )
