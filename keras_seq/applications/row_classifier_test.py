import os

import keras
import numpy as np
from absl.testing import parameterized

from keras_seq.applications import RowClassifier
from keras_seq.datasets import mnist
from keras_seq.testing import TestCase


class RowClassifierTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.images = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)

    @parameterized.named_parameters(
        ("simple_rnn", "simple_rnn", False, 1),
        ("gru_two_layers", "gru", False, 2),
        ("bidirectional_lstm", "lstm", True, 1),
    )
    def test_probabilities_for_every_cell(self, cell, bidirectional, layers):
        model = RowClassifier(
            num_classes=7,
            cell=cell,
            units=8,
            num_layers=layers,
            bidirectional=bidirectional,
            dropout=0.1,
        )
        probabilities = model.predict(self.images, verbose=0)
        self.assertEqual(probabilities.shape, (4, 7))
        self.assertAllClose(probabilities.sum(axis=-1), np.ones(4), atol=1e-5)
        stack = model.get_layer("recurrent_stack")
        self.assertEqual(stack.output_dim, 16 if bidirectional else 8)
        self.assertEqual(len(stack.recurrent_layers), layers)

    def test_raw_images_of_any_layout_and_dtype(self):
        model = RowClassifier(units=8)
        expected = model.predict(self.images, verbose=0)
        for images in (
            self.images[..., None],
            self.images.astype("float32"),
            self.images.astype("float64")[..., None],
        ):
            self.assertAllClose(
                expected, model.predict(images, verbose=0), atol=1e-6
            )
        # The model rescales: images in [0, 1] are a different input.
        scaled = model.predict(self.images / 255.0, verbose=0)
        self.assertGreater(np.abs(scaled - expected).max(), 1e-4)

    def test_non_square_images(self):
        model = RowClassifier(input_shape=(12, 20, 1), units=4)
        images = np.zeros((2, 12, 20, 1), "uint8")
        self.assertEqual(model.predict(images, verbose=0).shape, (2, 10))
        self.assertEqual(model.get_config()["input_shape"], (12, 20, 1))

    def test_wrong_images_are_clear_errors(self):
        model = RowClassifier(units=4)
        labels = np.zeros(4)
        for images, pattern in (
            (np.zeros((4, 28, 27)), r"`x`.*\(batch_size, 28, 28\).*27\)"),
            (np.zeros((4, 28, 28, 3)), r"`x`.*one channel.*\(4, 28, 28, 3\)"),
            (np.zeros((28, 28)), r"`x`.*got shape \(28, 28\)"),
        ):
            with self.assertRaisesRegex(ValueError, pattern):
                model.predict(images, verbose=0)
            with self.assertRaisesRegex(ValueError, pattern):
                model.fit(images, labels, verbose=0)
            with self.assertRaisesRegex(ValueError, pattern):
                model.evaluate(images, labels, verbose=0)
        with self.assertRaisesRegex(ValueError, "`validation_data`"):
            model.fit(
                self.images,
                labels,
                validation_data=(np.zeros((4, 14, 14)), labels),
                verbose=0,
            )
        with self.assertRaisesRegex(TypeError, "`x`.*pixel values"):
            model.predict(np.full((1, 28, 28), "a"), verbose=0)
        with self.assertRaisesRegex(ValueError, "`images`.*got shape"):
            model(np.zeros((4, 28, 28, 2), "float32"))
        # The model still works after refusing bad input.
        self.assertEqual(model.predict(self.images, verbose=0).shape, (4, 10))

    def test_tf_data_is_checked_through_its_element_spec(self):
        try:
            import tensorflow as tf
        except ImportError:
            self.skipTest("TensorFlow is not installed.")
        model = RowClassifier(units=4)
        good = tf.data.Dataset.from_tensor_slices(
            (self.images, np.arange(4))
        ).batch(2)
        history = model.fit(good, epochs=1, verbose=0, shuffle=False)
        self.assertEqual(len(history.history["loss"]), 1)
        bad = tf.data.Dataset.from_tensor_slices(
            (np.zeros((4, 28, 30)), np.arange(4))
        ).batch(2)
        with self.assertRaisesRegex(ValueError, r"tf.data.*\(None, 28, 30\)"):
            model.fit(bad, verbose=0)

    def test_bad_arguments(self):
        for kwargs, error, pattern in (
            ({"input_shape": (28,)}, ValueError, "`input_shape`"),
            ({"input_shape": (28, 28, 3)}, ValueError, "`input_shape`"),
            ({"num_classes": 0}, ValueError, "`num_classes`"),
            ({"cell": "transformer"}, ValueError, "`cell`.*'transformer'"),
            ({"units": 2.5}, TypeError, "`units`"),
            ({"dropout": 1.0}, ValueError, "`dropout`"),
            ({"augmentation": "yes"}, TypeError, "`augmentation`"),
            ({"weights": "imagenet"}, ValueError, "`weights`.*weights.h5"),
            ({"weights": "missing.weights.h5"}, FileNotFoundError, "missing"),
        ):
            with self.assertRaisesRegex(error, pattern):
                RowClassifier(**kwargs)

    def test_default_compile_and_override(self):
        model = RowClassifier(units=4)
        self.assertIsInstance(model.optimizer, keras.optimizers.Adam)
        self.assertEqual(model.optimizer.clipnorm, 1.0)
        self.assertFalse(model.loss.from_logits)
        logits = RowClassifier(units=4, classifier_activation=None)
        self.assertTrue(logits.loss.from_logits)
        logits.compile(optimizer=keras.optimizers.SGD(0.1))
        self.assertIsInstance(logits.optimizer, keras.optimizers.SGD)
        self.assertTrue(logits.loss.from_logits)  # "auto" kept

    def test_weights_from_a_file(self):
        model = RowClassifier(cell="gru", units=8)
        path = os.path.join(self.get_temp_dir(), "rows.weights.h5")
        model.save_weights(path)
        restored = RowClassifier(cell="gru", units=8, weights=path)
        self.assertAllClose(
            model.predict(self.images, verbose=0),
            restored.predict(self.images, verbose=0),
        )

    def test_saving(self):
        restored = self.run_model_saving_test(
            RowClassifier,
            {
                "cell": "lstm",
                "units": 8,
                "bidirectional": True,
                "augmentation": True,
                "classifier_activation": None,
            },
            self.images.astype("float32"),
        )
        self.assertTrue(restored.augmentation)
        self.assertTrue(restored.loss.from_logits)

    def test_training_resumes_from_a_saved_model(self):
        model = RowClassifier(units=8)
        schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.5)
        model.compile(optimizer=keras.optimizers.AdamW(schedule))
        labels = np.arange(4)
        model.fit(self.images, labels, epochs=3, verbose=0)
        path = os.path.join(self.get_temp_dir(), "rows.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertIsInstance(restored.optimizer, keras.optimizers.AdamW)
        self.assertEqual(int(restored.optimizer.iterations), 3)
        self.assertAllClose(
            keras.ops.convert_to_numpy(model.optimizer.learning_rate),
            keras.ops.convert_to_numpy(restored.optimizer.learning_rate),
        )
        # One more step from the same state gives the same weights.
        model.fit(self.images, labels, epochs=1, verbose=0, shuffle=False)
        restored.fit(self.images, labels, epochs=1, verbose=0, shuffle=False)
        for expected, actual in zip(model.weights, restored.weights):
            self.assertAllClose(
                keras.ops.convert_to_numpy(expected),
                keras.ops.convert_to_numpy(actual),
                atol=1e-6,
            )

    def test_config_round_trip(self):
        model = RowClassifier(
            input_shape=(28, 28, 1), cell="simple_rnn", units=6, dropout=0.2
        )
        config = model.get_config()
        clone = RowClassifier.from_config(config)
        self.assertEqual(clone.get_config(), config)
        self.assertEqual(clone.count_params(), model.count_params())

    def test_learns_mnist_rows(self):
        """Two epochs on 2,000 real training images beat chance by far."""
        (x_train, y_train), (x_val, y_val), _ = mnist.load_data(
            path=self.get_data_dir()
        )
        model = RowClassifier(units=32, augmentation=True)
        model.compile(optimizer=keras.optimizers.Adam(3e-3, clipnorm=1.0))
        history = model.fit(
            x_train[:2000],
            y_train[:2000],
            validation_data=(x_val, y_val),
            batch_size=64,
            epochs=2,
            verbose=0,
        ).history
        self.assertLess(history["loss"][1], history["loss"][0])
        self.assertGreater(history["val_accuracy"][1], 0.5)
