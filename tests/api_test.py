"""Pins the public surface: a change to it must be deliberate."""

import keras

import keras_seq


def test_top_level_surface():
    assert sorted(keras_seq.__all__) == [
        "__version__",
        "datasets",
        "layers",
        "testing",
    ]
    assert isinstance(keras_seq.__version__, str)


def test_layers_surface():
    assert sorted(keras_seq.layers.__all__) == [
        "AttentionDecoder",
        "RecurrentStack",
    ]
    for name in keras_seq.layers.__all__:
        assert getattr(keras_seq.layers, name).__module__.startswith(
            "keras_seq.layers."
        )


def test_public_layers_are_registered_for_saving():
    for name in keras_seq.layers.__all__:
        cls = getattr(keras_seq.layers, name)
        registered = keras.saving.get_registered_name(cls)
        assert registered == f"keras_seq>{name}"
        assert keras.saving.get_registered_object(registered) is cls


def test_public_classes_are_documented():
    for name in keras_seq.layers.__all__:
        doc = getattr(keras_seq.layers, name).__doc__
        for section in ("Args:", "Example:", "keras_seq.layers."):
            assert section in doc, f"{name} docstring lacks {section!r}"


def test_testing_surface():
    assert keras_seq.testing.__all__ == ["TestCase"]
    for helper in ("run_layer_test", "run_model_saving_test"):
        assert callable(getattr(keras_seq.testing.TestCase, helper))


def test_datasets_surface():
    assert keras_seq.datasets.__all__ == ["mnist"]
    assert callable(keras_seq.datasets.mnist.load_data)
