"""Builds the Colab tutorials in notebooks/ from the recipes in applications/.

The recipe is the single source: a Python file in jupytext's percent format
(`# %%` cells, `# %% [markdown]` prose). Each notebook is that file read by
jupytext, with its module docstring turned into a title cell (with an "Open
in Colab" badge) and two cells put in front: a backend selector
(`KERAS_BACKEND` as a Colab form field) and an install cell. Outputs are not
stored. A test rebuilds every notebook and fails when one differs from the
file in the repository.

    python notebooks/build_notebooks.py          # (re)write the notebooks
    python notebooks/build_notebooks.py --check  # exit 1 if one is stale
"""

import argparse
import ast
import os
import sys

import jupytext
import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, "notebooks")
RECIPES = (
    "mnist_rows.py",
    "text_generation.py",
    "translation.py",
    "image_captioning.py",
    "video_prediction.py",
)
# Where the repository is published: the badge opens the notebook from there.
REPOSITORY = "keras-seq/keras-seq"
COLAB = "https://colab.research.google.com/github/{repository}/blob/main/{path}"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"

BACKEND_CELL = """\
# @title Keras backend
# Keras reads the backend once, when it is first imported: to change it,
# pick another one here and restart the runtime.
KERAS_BACKEND = "jax"  # @param ["jax", "tensorflow", "torch"]

import os

os.environ["KERAS_BACKEND"] = KERAS_BACKEND"""

INSTALL_CELL = """\
# @title Install keras_seq
# Colab comes with Keras, TensorFlow, JAX and PyTorch; this adds keras_seq
# (and KerasHub) unless it is installed already. Point the requirement at a
# git URL or a local clone to run another version.
KERAS_SEQ_REQUIREMENT = "keras-seq"  # @param {type:"string"}

import importlib.util
import subprocess
import sys

if importlib.util.find_spec("keras_seq") is None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", KERAS_SEQ_REQUIREMENT],
        check=True,
    )"""


def notebook_name(recipe):
    return recipe.replace(".py", ".ipynb")


def _title_cell(docstring, recipe):
    """The recipe's header (Title, Author, ..., Description, Usage) as a
    markdown cell, with the Colab badge."""
    header, _, usage = docstring.partition("Usage:")
    fields = {}
    key = None
    for line in header.strip().splitlines():
        name, separator, value = line.partition(":")
        if separator and name in (
            "Title",
            "Author",
            "Date created",
            "Last modified",
            "Description",
        ):
            key = name
            fields[key] = value.strip()
        elif key:
            fields[key] += " " + line.strip()
    url = COLAB.format(
        repository=REPOSITORY, path=f"notebooks/{notebook_name(recipe)}"
    )
    lines = [
        f"# {fields['Title']}",
        "",
        f"**Author:** {fields['Author']}<br>",
        f"**Date created:** {fields['Date created']}<br>",
        f"**Last modified:** {fields['Last modified']}<br>",
        f"**Description:** {fields['Description']}",
        "",
        f"[![Open In Colab]({BADGE})]({url})",
        "",
        f"This notebook is generated from `applications/{recipe}`, which also "
        "runs as a script:",
        "",
        usage.strip(),
    ]
    return nbformat.v4.new_markdown_cell("\n".join(lines).strip())


def build(recipe):
    """Returns the notebook of `applications/<recipe>`."""
    source = jupytext.read(os.path.join(ROOT, "applications", recipe))
    first = source.cells[0]
    docstring = ast.literal_eval(first.source)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "accelerator": "GPU",
        "colab": {"provenance": [], "toc_visible": True},
        "kernelspec": {
            "display_name": "Python 3",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }
    cells = [
        _title_cell(docstring, recipe),
        nbformat.v4.new_code_cell(BACKEND_CELL),
        nbformat.v4.new_code_cell(INSTALL_CELL),
    ]
    for cell in source.cells[1:]:
        if cell.cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(cell.source))
        else:
            cells.append(nbformat.v4.new_code_cell(cell.source))
    # Stable cell ids, so that rebuilding gives the same file.
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index}"
    notebook.cells = cells
    return notebook


def render(notebook):
    return nbformat.writes(notebook) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if a notebook differs from its recipe",
    )
    args = parser.parse_args()
    stale = []
    for recipe in RECIPES:
        path = os.path.join(NOTEBOOKS, notebook_name(recipe))
        text = render(build(recipe))
        current = None
        if os.path.exists(path):
            with open(path) as file:
                current = file.read()
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            with open(path, "w") as file:
                file.write(text)
            print(f"wrote {os.path.relpath(path, ROOT)}")
    if args.check and stale:
        print("stale (run python notebooks/build_notebooks.py):", *stale)
        sys.exit(1)


if __name__ == "__main__":
    main()
