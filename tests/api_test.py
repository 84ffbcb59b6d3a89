"""Pins the public surface: a change to it must be deliberate."""

import keras

import keras_seq


def test_top_level_surface():
    assert sorted(keras_seq.__all__) == [
        "__version__",
        "applications",
        "callbacks",
        "datasets",
        "decoding",
        "layers",
        "losses",
        "metrics",
        "testing",
        "visualization",
    ]
    assert isinstance(keras_seq.__version__, str)


def test_layers_surface():
    assert sorted(keras_seq.layers.__all__) == [
        "AttentionDecoder",
        "GRU",
        "LSTM",
        "RandomAffine",
        "RecurrentStack",
        "SimpleRNN",
    ]
    for name in keras_seq.layers.__all__:
        assert getattr(keras_seq.layers, name).__module__.startswith(
            "keras_seq.layers."
        )


def test_applications_surface():
    assert keras_seq.applications.__all__ == [
        "ImageCaptioner",
        "RowClassifier",
        "Seq2SeqTranslator",
        "TextGenerator",
        "VideoFramePredictor",
    ]
    for name in keras_seq.applications.__all__:
        cls = getattr(keras_seq.applications, name)
        assert issubclass(cls, keras.Model)
        assert cls.__module__.startswith("keras_seq.applications.")


def _public_classes():
    for package in (keras_seq.layers, keras_seq.applications):
        for name in package.__all__:
            yield package, name, getattr(package, name)


def test_public_classes_are_registered_for_saving():
    for _, name, cls in _public_classes():
        registered = keras.saving.get_registered_name(cls)
        assert registered == f"keras_seq>{name}"
        assert keras.saving.get_registered_object(registered) is cls


def test_public_classes_are_documented():
    for package, name, cls in _public_classes():
        for section in ("Args:", "Example:", f"{package.__name__}."):
            assert section in cls.__doc__, f"{name} docstring lacks {section!r}"


def test_decoding_surface():
    assert keras_seq.decoding.__all__ == [
        "BeamSearch",
        "compiled_functions",
        "generate",
        "generate_stream",
        "get_sampler",
    ]
    assert keras.saving.get_registered_name(keras_seq.decoding.BeamSearch) == (
        "keras_seq>BeamSearch"
    )


def test_losses_surface():
    assert keras_seq.losses.__all__ == [
        "TokenCrossentropy",
        "token_crossentropy",
    ]
    loss = keras_seq.losses.TokenCrossentropy
    assert issubclass(loss, keras.losses.Loss)
    registered = keras.saving.get_registered_name(loss)
    assert registered == "keras_seq>TokenCrossentropy"
    for section in ("Args:", "Example:", "keras_seq.losses."):
        assert section in loss.__doc__, f"TokenCrossentropy lacks {section!r}"


def test_visualization_surface():
    assert keras_seq.visualization.__all__ == [
        "Report",
        "plot_frames",
        "plot_history",
        "save_frames_gif",
    ]


def test_metrics_surface():
    assert keras_seq.metrics.__all__ == [
        "caption_bleu",
        "caption_words",
        "cider_d",
        "frame_mse",
        "frame_psnr",
        "frame_scores",
        "frame_ssim",
    ]


def test_testing_surface():
    assert keras_seq.testing.__all__ == ["TestCase"]
    for helper in ("run_layer_test", "run_model_saving_test"):
        assert callable(getattr(keras_seq.testing.TestCase, helper))


def test_datasets_surface():
    assert keras_seq.datasets.__all__ == [
        "captions",
        "jsb_chorales",
        "mnist",
        "mnist_captions",
        "moving_mnist",
        "text",
        "timeseries",
        "translation",
    ]
    for module, loaders in (
        ("captions", ["load_coco_mini", "load_coco_captions"]),
        ("jsb_chorales", ["load_data"]),
        ("mnist", ["load_data"]),
        ("mnist_captions", ["load_data", "compose"]),
        ("moving_mnist", ["load_data", "generate"]),
        ("text", ["load_data", "load_text"]),
        ("timeseries", ["load_series"]),
        ("translation", ["load_data", "load_pairs"]),
    ):
        for loader in loaders:
            function = getattr(getattr(keras_seq.datasets, module), loader)
            assert "Returns:" in function.__doc__, f"{module}.{loader}"


def test_callbacks_surface():
    assert keras_seq.callbacks.__all__ == ["BackupAndRestore", "TimeBudget"]
    for name in keras_seq.callbacks.__all__:
        cls = getattr(keras_seq.callbacks, name)
        assert issubclass(cls, keras.callbacks.Callback)
