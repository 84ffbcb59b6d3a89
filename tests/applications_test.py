"""The recipes in applications/ run end to end at smoke size.

Each as a script on one backend, its notebook running on another
(`tests/recipe_backends.py` says which and why).
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np

import keras_seq.applications  # noqa: F401 (registers the classes)
import keras_seq.datasets
from keras_seq.applications import video_frame_predictor
from keras_seq.datasets import mnist
from keras_seq.testing import TestCase
from tests.recipe_backends import NOTEBOOK_BACKENDS
from tests.recipe_backends import SCRIPT_BACKENDS
from tests.recipe_backends import script_run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_recipe_runs_as_a_script_where_its_notebook_does_not():
    recipes = sorted(
        name
        for name in os.listdir(os.path.join(ROOT, "applications"))
        if name.endswith(".py") and not name.startswith("_")
    )
    assert sorted(SCRIPT_BACKENDS) == recipes
    for recipe, backend in SCRIPT_BACKENDS.items():
        assert backend in ("tensorflow", "jax", "torch"), recipe
        # Two backends per recipe, unless the notebooks run everywhere.
        if len(NOTEBOOK_BACKENDS) < 3:
            assert backend not in NOTEBOOK_BACKENDS, recipe


def assert_rejects(name, cases):
    """Each `(arguments, message)`: the recipe exits 2 printing `message`."""
    command = [sys.executable, os.path.join(ROOT, "applications", name)]
    for arguments, message in cases:
        result = subprocess.run(
            [*command, *arguments], capture_output=True, text=True
        )
        assert result.returncode == 2, result.stderr[-3000:]
        assert message in result.stderr, result.stderr[-3000:]


def run_recipe(name, *arguments):
    command = [sys.executable, os.path.join(ROOT, "applications", name)]
    result = subprocess.run(
        [*command, *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": keras.backend.backend()},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


class MNISTRowsRecipeTest(TestCase):
    @script_run("mnist_rows.py")
    def test_smoke_run_writes_model_metrics_and_curves(self):
        out = os.path.join(self.get_temp_dir(), "run")
        stdout = run_recipe(
            "mnist_rows.py",
            "--smoke",
            "--cell",
            "gru",
            "--out",
            out,
            "--data-dir",
            self.get_data_dir(),
        )
        self.assertIn("test accuracy", stdout)
        self.assertEqual(
            sorted(os.listdir(out)),
            ["history.png", "metrics.json", "model.keras"],
        )
        with open(os.path.join(out, "metrics.json")) as file:
            metrics = json.load(file)
        self.assertEqual(metrics["backend"], keras.backend.backend())
        self.assertEqual(metrics["cell"], "gru")
        self.assertEqual(
            (metrics["train_images"], metrics["test_images"]), (500, 1000)
        )
        self.assertBetween(metrics["test_accuracy"], 0.0, 1.0)
        # The saved model reproduces the reported test accuracy.
        model = keras.saving.load_model(os.path.join(out, "model.keras"))
        _, _, (x_test, y_test) = mnist.load_data(path=self.get_data_dir())
        predictions = model.predict(x_test[:1000], verbose=0).argmax(axis=-1)
        self.assertAllClose(
            np.mean(predictions == y_test[:1000]),
            metrics["test_accuracy"],
            atol=1e-6,
        )

    def test_bad_arguments_exit_with_a_message(self):
        assert_rejects(
            "mnist_rows.py",
            (
                (["--cell", "transformer"], "invalid choice: 'transformer'"),
                (["--epochs", "0"], "--epochs must be at least 1"),
            ),
        )


class TextGenerationRecipeTest(TestCase):
    @script_run("text_generation.py")
    def test_smoke_run_writes_model_metrics_and_samples(self):
        out = os.path.join(self.get_temp_dir(), "run")
        stdout = run_recipe(
            "text_generation.py",
            "--smoke",
            "--out",
            out,
            "--data-dir",
            self.get_data_dir(),
        )
        for temperature in ("0.5", "0.8", "1.0"):
            self.assertIn(f"temperature {temperature}", stdout)
        self.assertEqual(
            sorted(os.listdir(out)),
            ["history.png", "metrics.json", "model.keras", "samples.txt"],
        )
        with open(os.path.join(out, "metrics.json")) as file:
            metrics = json.load(file)
        self.assertEqual(metrics["backend"], keras.backend.backend())
        self.assertEqual(metrics["validation_characters"], 10_000)
        self.assertEqual(metrics["best_epoch"], 1)  # of a 1-epoch run
        # The saved model (the best epoch's weights) reproduces the
        # reported bits per character.
        model = keras.saving.load_model(os.path.join(out, "model.keras"))
        _, val_text = keras_seq.datasets.text.load_data(
            path=self.get_data_dir()
        )
        self.assertAllClose(
            model.bits_per_character(val_text[:10_000]),
            metrics["validation_bits_per_character"],
            atol=1e-4,
        )
        with open(os.path.join(out, "samples.txt")) as file:
            self.assertEqual(file.read().count("ROMEO:"), 3)

    def test_bad_arguments_exit_with_a_message(self):
        assert_rejects(
            "text_generation.py",
            (
                (["--units", "0"], "--units must be at least 1"),
                (["--minutes", "-1"], "--minutes must be positive"),
                (["--num-layers", "0"], "--num-layers must be at least 1"),
                (["--dropout", "1"], "--dropout must be in"),
            ),
        )


class TranslationRecipeTest(TestCase):
    @script_run("translation.py")
    def test_smoke_run_writes_models_metrics_and_plots(self):
        out = os.path.join(self.get_temp_dir(), "run")
        stdout = run_recipe(
            "translation.py",
            "--smoke",
            "--no-compare",
            "--out",
            out,
            "--data-dir",
            self.get_data_dir(),
        )
        self.assertIn("attention, beam: BLEU", stdout)
        self.assertEqual(
            sorted(os.listdir(out)),
            [
                "attention.keras",
                "attention_0.png",
                "attention_1.png",
                "attention_2.png",
                "attention_history.png",
                "metrics.json",
            ],
        )
        with open(os.path.join(out, "metrics.json")) as file:
            metrics = json.load(file)
        self.assertEqual(metrics["backend"], keras.backend.backend())
        self.assertEqual(list(metrics["models"]), ["attention"])
        scores = metrics["models"]["attention"]
        self.assertEqual(metrics["test_pairs"], 100)
        for decoding in ("greedy", "beam"):
            self.assertBetween(scores[decoding]["bleu"], 0.0, 100.0)
            self.assertBetween(scores[decoding]["rouge1_f1"], 0.0, 1.0)
        # The saved model reproduces the reported greedy translations.
        model = keras.saving.load_model(os.path.join(out, "attention.keras"))
        examples = scores["greedy"]["examples"]
        self.assertEqual(
            model.translate([source for source, _, _ in examples]),
            [translation for _, _, translation in examples],
        )

    def test_bad_arguments_exit_with_a_message(self):
        assert_rejects(
            "translation.py",
            (
                (["--attention", "dot"], "invalid choice: 'dot'"),
                (["--units", "0"], "--units must be at least 1"),
            ),
        )


class ImageCaptioningRecipeTest(TestCase):
    @script_run("image_captioning.py")
    def test_smoke_run_writes_models_metrics_and_figures(self):
        out = os.path.join(self.get_temp_dir(), "run")
        stdout = run_recipe(
            "image_captioning.py",
            "--smoke",
            "--out",
            out,
            "--data-dir",
            self.get_data_dir(),
        )
        self.assertIn("digits, beam: exact match", stdout)
        self.assertEqual(
            sorted(os.listdir(out)),
            [
                "coco_attention.png",
                "coco_mini.keras",
                "coco_mini_history.png",
                "digits.keras",
                "digits_attention_0.png",
                "digits_attention_1.png",
                "digits_attention_2.png",
                "digits_history.png",
                "metrics.json",
            ],
        )
        with open(os.path.join(out, "metrics.json")) as file:
            metrics = json.load(file)
        self.assertEqual(metrics["backend"], keras.backend.backend())
        self.assertEqual(metrics["digits"]["test_images"], 128)
        self.assertEqual(metrics["coco_mini"]["images"], 51)
        for part in ("digits", "coco_mini"):
            for decoding in ("greedy", "beam"):
                scores = metrics[part][decoding]
                for key in ("bleu_1", "bleu_4", "exact_match"):
                    self.assertBetween(scores[key], 0.0, 1.0)
                self.assertGreaterEqual(scores["cider_d"], 0.0)
        # The saved model reproduces the reported greedy captions.
        model = keras.saving.load_model(os.path.join(out, "digits.keras"))
        (x_test, _) = keras_seq.datasets.mnist_captions.load_data(
            num_train=256,
            num_validation=128,
            num_test=128,
            path=self.get_data_dir(),
        )[2]
        examples = metrics["digits"]["greedy"]["examples"]
        self.assertEqual(
            model.caption(x_test[: len(examples)]),
            [caption for _, caption in examples],
        )

    def test_bad_arguments_exit_with_a_message(self):
        assert_rejects(
            "image_captioning.py",
            ((["--epochs", "0"], "--epochs must be at least 1"),),
        )


class VideoPredictionRecipeTest(TestCase):
    @script_run("video_prediction.py")
    def test_smoke_run_writes_model_metrics_and_figures(self):
        out = os.path.join(self.get_temp_dir(), "run")
        stdout = run_recipe(
            "video_prediction.py",
            "--smoke",
            "--out",
            out,
            "--data-dir",
            self.get_data_dir(),
        )
        self.assertIn("better at every horizon", stdout)
        self.assertEqual(
            sorted(os.listdir(out)),
            [
                "history.png",
                "metrics.json",
                "model.keras",
                "strip.png",
                "video.gif",
            ],
        )
        with open(os.path.join(out, "metrics.json")) as file:
            metrics = json.load(file)
        self.assertEqual(metrics["backend"], keras.backend.backend())
        self.assertEqual(metrics["test_sequences"], 32)
        self.assertEqual(metrics["scheduled_sampling_steps"], 2)
        for part in ("model", "copy_last_frame"):
            for key in ("mse", "ssim", "psnr"):
                self.assertLen(metrics[part][key], 10)
        # The saved model reproduces the reported scores.
        model = keras.saving.load_model(os.path.join(out, "model.keras"))
        _, _, test = keras_seq.datasets.moving_mnist.load_data(
            num_train=1,
            num_validation=16,
            num_test=32,
            path=self.get_data_dir(),
        )
        scores = video_frame_predictor.evaluate_frames(model, test)
        self.assertAllClose(
            metrics["model"]["mean_mse"], scores["model"]["mean_mse"], rtol=1e-4
        )
        self.assertAllClose(
            metrics["copy_last_frame"]["mean_mse"],
            scores["copy_last_frame"]["mean_mse"],
            rtol=1e-6,
        )

    def test_bad_arguments_exit_with_a_message(self):
        assert_rejects(
            "video_prediction.py",
            (
                (["--filters", "0"], "--filters must be at least 1"),
                (["--minutes", "0"], "--minutes must be positive"),
                (
                    ["--scheduled-sampling-steps", "-1"],
                    "--scheduled-sampling-steps must be at least 0",
                ),
            ),
        )
