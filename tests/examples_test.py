"""The code shown to users runs: README.md's and every docstring's example."""

import os
import re

import pytest

import keras_seq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def python_blocks(text):
    return re.findall(r"```python\n(.*?)```", text, re.S)


def public_classes():
    for module in (keras_seq.layers, keras_seq.applications):
        for name in module.__all__:
            yield getattr(module, name)
    yield keras_seq.decoding.BeamSearch


def documented_functions():
    yield keras_seq.visualization.plot_history
    yield keras_seq.decoding.generate
    yield keras_seq.decoding.get_sampler
    yield keras_seq.applications.seq2seq_translator.build_vocabulary
    yield keras_seq.metrics.caption_bleu
    for name in keras_seq.datasets.__all__:
        module = getattr(keras_seq.datasets, name)
        for attribute in dir(module):
            function = getattr(module, attribute)
            if (
                callable(function)
                and getattr(function, "__module__", None) == module.__name__
                and "```python" in (function.__doc__ or "")
            ):
                yield function


def test_readme_example_runs():
    with open(os.path.join(ROOT, "README.md")) as file:
        blocks = python_blocks(file.read())
    assert blocks, "README.md shows no Python example"
    namespaces = []
    for block in blocks:
        namespaces.append({})
        exec(block, namespaces[-1])
    text = next(n for n in namespaces if "sample" in n)
    assert text["sample"].startswith("ROMEO:")
    assert len(text["sample"]) == len("ROMEO:") + 40
    assert 0.0 < text["bits"] < 8.0
    video = next(n for n in namespaces if "future" in n)
    assert video["future"].shape == (8, 10, 64, 64, 1)
    namespace = next(n for n in namespaces if "scores" in n)
    assert tuple(namespace["outputs"].shape) == (8, 10, 64)
    assert tuple(namespace["scores"].shape) == (8, 10, 12)
    assert tuple(namespace["output"].shape) == (8, 64)


@pytest.mark.parametrize(
    "cls", list(public_classes()), ids=lambda c: c.__name__
)
def test_docstring_example_runs(cls):
    import textwrap

    blocks = python_blocks(textwrap.dedent(cls.__doc__.split("\n", 1)[1]))
    assert blocks, f"{cls.__name__} has no runnable example"
    for block in blocks:
        exec(block, {})


@pytest.mark.parametrize(
    "function",
    list(documented_functions()),
    ids=lambda f: f"{f.__module__}.{f.__name__}",
)
def test_function_example_runs(function):
    import textwrap

    body = textwrap.dedent(function.__doc__.split("\n", 1)[1])
    for block in python_blocks(body):
        exec(block, {})
