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
    yield keras_seq.losses.TokenCrossentropy


def documented_functions():
    yield keras_seq.visualization.plot_history
    yield keras_seq.decoding.generate
    yield keras_seq.decoding.get_sampler
    yield keras_seq.applications.seq2seq_translator.build_vocabulary
    yield keras_seq.metrics.caption_bleu
    yield keras_seq.losses.token_crossentropy
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


def readme_blocks():
    with open(os.path.join(ROOT, "README.md")) as file:
        return python_blocks(file.read())


def check_row_classifier(namespace):
    assert len(namespace["history"].history["loss"]) == 1
    # One epoch on 4,500 images: well above the 0.1 of a guess.
    assert 0.3 < namespace["accuracy"] <= 1.0, namespace["accuracy"]
    assert namespace["figure"].axes


def check_text_generator(namespace):
    assert namespace["sample"].startswith("ROMEO:")
    assert len(namespace["sample"]) == len("ROMEO:") + 40
    assert 0.0 < namespace["bits"] < 8.0


def check_translator(namespace):
    assert isinstance(namespace["translation"], str)
    assert namespace["figure"].axes


def check_captioner(namespace):
    digits = {"zero", "one", "two", "three", "four"}
    digits |= {"five", "six", "seven", "eight", "nine"}
    assert set(namespace["captions"][0].split()) <= digits
    written = namespace["written"]
    assert len(written) == 2 and all(isinstance(c, str) for c in written)
    assert namespace["figure"].axes


def check_video_predictor(namespace):
    assert namespace["future"].shape == (8, 10, 64, 64, 1)


def check_layers(namespace):
    assert tuple(namespace["encoder_outputs"].shape) == (8, 12, 128)
    assert tuple(namespace["outputs"].shape) == (8, 10, 64)
    assert tuple(namespace["scores"].shape) == (8, 10, 12)
    assert tuple(namespace["output"].shape) == (8, 64)
    assert tuple(namespace["step_scores"].shape) == (8, 12)


def check_drop_in_lstm(namespace):
    import keras

    assert isinstance(namespace["lstm"], keras.layers.LSTM)
    assert namespace["model"].output.shape == (None, 1)


def check_export(namespace):
    import numpy as np

    expected = namespace["model"].predict(namespace["images"], verbose=0)
    np.testing.assert_allclose(namespace["logits"], expected, atol=1e-5)


# README.md's examples, each found by the first of these that it shows, with
# what its names must hold. One test per example, so that pytest's workers
# share them (together they took 49-101 s of one worker).
README_EXAMPLES = {
    "model.export(": check_export,
    "RowClassifier(": check_row_classifier,
    "TextGenerator.": check_text_generator,
    "Seq2SeqTranslator.": check_translator,
    "ImageCaptioner(": check_captioner,
    "VideoFramePredictor(": check_video_predictor,
    "AttentionDecoder(": check_layers,
    "keras_seq.layers.LSTM(": check_drop_in_lstm,
}


def first_marker(block):
    return next((m for m in README_EXAMPLES if m in block), None)


def test_every_readme_example_is_checked():
    for block in readme_blocks():
        assert first_marker(block) is not None, (
            f"README example {block[:200]!r} should show one of "
            f"{list(README_EXAMPLES)}"
        )


@pytest.mark.parametrize(
    "marker", README_EXAMPLES, ids=lambda m: m.rstrip("(.").split(".")[-1]
)
def test_readme_example_runs(marker, tmp_path, monkeypatch):
    blocks = [b for b in readme_blocks() if first_marker(b) == marker]
    assert len(blocks) == 1, f"README.md has {len(blocks)} examples of {marker}"
    monkeypatch.chdir(tmp_path)  # for the files an example writes
    namespace = {}
    exec(blocks[0], namespace)
    README_EXAMPLES[marker](namespace)


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
