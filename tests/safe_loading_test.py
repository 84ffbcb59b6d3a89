"""No pickle anywhere in the package, and models load in safe mode.

Reads keras_seq's source (tests excluded) with `ast`: no module imports a
pickle library; every `numpy.load` passes `allow_pickle=False`; every
`keras.saving.load_model` passes `safe_mode=True`, so a `.keras` file cannot
run code of its own (a Lambda layer's bytecode, say) when it is loaded.
"""

import ast
import os

import pytest

import keras_seq

PACKAGE = os.path.dirname(os.path.abspath(keras_seq.__file__))
PICKLE_MODULES = {"pickle", "cPickle", "cloudpickle", "dill", "joblib"}
APPLICATIONS = os.path.join(os.path.dirname(PACKAGE), "applications")


def _sources():
    for root in (PACKAGE, APPLICATIONS):
        for directory, _, names in os.walk(root):
            for name in sorted(names):
                if name.endswith(".py") and not name.endswith("_test.py"):
                    yield os.path.join(directory, name)


def _keyword(call, name):
    for keyword in call.keywords:
        if keyword.arg == name and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    return "missing"


def _calls(tree, attribute):
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == attribute
        ):
            yield node


SOURCES = sorted(_sources())


def test_sources_are_found():
    # The scan below would pass vacuously on an empty list.
    assert len(SOURCES) > 40, SOURCES


@pytest.mark.parametrize(
    "path", SOURCES, ids=[os.path.relpath(p, PACKAGE) for p in SOURCES]
)
def test_no_pickle_and_safe_loading(path):
    with open(path) as file:
        tree = ast.parse(file.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names = {(node.module or "").split(".")[0]}
        else:
            continue
        assert not names & PICKLE_MODULES, f"{path}:{node.lineno}"
    for call in _calls(tree, "load"):
        receiver = call.func.value
        if isinstance(receiver, ast.Name) and receiver.id in ("np", "numpy"):
            assert _keyword(call, "allow_pickle") is False, (
                f"{path}:{call.lineno}: numpy.load without allow_pickle=False"
            )
    for call in _calls(tree, "load_model"):
        assert _keyword(call, "safe_mode") is True, (
            f"{path}:{call.lineno}: load_model without safe_mode=True"
        )
