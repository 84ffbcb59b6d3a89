import os

import keras
import numpy as np

from keras_seq.applications import VideoFramePredictor
from keras_seq.applications import video_frame_predictor
from keras_seq.datasets import moving_mnist
from keras_seq.testing import TestCase


def moving_digits(test, num_sequences=32, num_frames=8):
    train, _, _ = moving_mnist.load_data(
        num_train=num_sequences,
        num_validation=1,
        num_test=1,
        num_frames=num_frames,
        path=test.get_data_dir(),
    )
    return train


def small_predictor(**kwargs):
    kwargs = {
        "filters": 8,
        "num_layers": 2,
        "num_context_frames": 4,
        **kwargs,
    }
    return VideoFramePredictor(**kwargs)


class PatchesTest(TestCase):
    def test_space_to_depth_round_trip(self):
        frames = np.random.default_rng(0).random((2, 3, 8, 12, 2))
        patches = video_frame_predictor.space_to_depth(frames, 4)
        self.assertEqual(tuple(patches.shape), (2, 3, 2, 3, 32))
        # Patch (row 1, column 2) of frame (0, 1) holds pixels 4..7 x 8..11.
        expected = frames[0, 1, 4:8, 8:12].reshape(-1)
        self.assertAllClose(expected, patches[0, 1, 1, 2])
        restored = video_frame_predictor.depth_to_space(patches, 4)
        self.assertAllClose(frames, restored)


class VideoFramePredictorTest(TestCase):
    def test_step_matches_keras_conv_lstm(self):
        layer = keras.layers.ConvLSTM2D(
            6, 3, padding="same", return_sequences=True
        )
        inputs = np.random.default_rng(1).random((2, 5, 8, 8, 3))
        layer.build(inputs.shape)
        rng = np.random.default_rng(2)
        for weight in layer.weights:  # non-zero biases too
            weight.assign(rng.normal(0, 0.3, weight.shape))
        expected = keras.ops.convert_to_numpy(layer(inputs))
        zeros = np.zeros((2, 8, 8, 6), "float32")
        state, outputs = (zeros, zeros), []
        for index in range(5):
            hidden, state = video_frame_predictor.conv_lstm_step(
                layer, inputs[:, index].astype("float32"), state
            )
            outputs.append(keras.ops.convert_to_numpy(hidden))
        self.assertAllClose(expected, np.stack(outputs, 1), atol=1e-5)

    def test_fit_lowers_the_loss_on_moving_mnist(self):
        sequences = moving_digits(self, num_sequences=48)
        model = small_predictor()
        model.compile(optimizer=keras.optimizers.Adam(0.01))
        history = model.fit(sequences, epochs=3, batch_size=16, verbose=0)
        losses = history.history["loss"]
        self.assertLess(losses[-1], 0.9 * losses[0])
        self.assertIn("frame_mse", history.history)
        # evaluate rolls out from the context: the same loss as
        # predict_frames gives.
        loss, mse = model.evaluate(sequences[:16], verbose=0)
        predictions = model.predict_frames(sequences[:16, :4], 4)
        truth = sequences[:16, 4:].astype("float32") / 255
        self.assertAllClose(
            np.mean(np.sum((truth - predictions) ** 2, axis=(2, 3, 4))),
            mse,
            rtol=1e-4,
        )

    def test_predict_frames_from_any_context(self):
        sequences = moving_digits(self, num_sequences=3)
        model = small_predictor(num_layers=1)
        future = model.predict_frames(sequences[:, :3], num_frames=5)
        self.assertEqual(future.shape, (3, 5, 64, 64, 1))
        self.assertBetween(future.min(), 0.0, 1.0)
        self.assertBetween(future.max(), 0.0, 1.0)
        # uint8 frames are divided by 255; batches do not mix.
        as_float = model.predict_frames(
            sequences[:, :3].astype("float32") / 255, 5, batch_size=2
        )
        self.assertAllClose(future, as_float, atol=1e-5)
        # The model called outside training rolls out the same way.
        called = model(sequences[:, :8].astype("float32") / 255)
        rolled = model.predict_frames(sequences[:, :4], 4)
        self.assertAllClose(rolled, called, atol=1e-5)

    def test_teacher_forcing_and_scheduled_sampling(self):
        frames = moving_digits(self, num_sequences=2).astype("float32") / 255
        model = small_predictor(scheduled_sampling_steps=4)
        rollout = keras.ops.convert_to_numpy(model(frames))
        # At step 0 the probability of feeding its own prediction is 0:
        # teacher forcing, the same first frame and different later ones.
        forced = keras.ops.convert_to_numpy(model(frames, training=True))
        self.assertAllClose(rollout[:, 0], forced[:, 0], atol=1e-5)
        self.assertGreater(np.abs(rollout[:, 1:] - forced[:, 1:]).max(), 1e-4)
        # After 4 steps the probability is 1: training rolls out too.
        self.assertEqual(float(model.sampling_step.numpy()), 1.0)
        model.sampling_step.assign(4.0)
        sampled = keras.ops.convert_to_numpy(model(frames, training=True))
        self.assertAllClose(rollout, sampled, atol=1e-5)

    def test_saving_keeps_settings_and_predictions(self):
        sequences = moving_digits(self, num_sequences=2)
        model = small_predictor(
            num_layers=1, patch_size=2, output_activation="linear"
        )
        model.compile(loss="mse")
        model.fit(sequences, epochs=1, batch_size=2, verbose=0)
        path = os.path.join(self.get_temp_dir(), "video.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertIsInstance(restored, VideoFramePredictor)
        self.assertEqual(restored.get_config(), model.get_config())
        self.assertAllClose(
            model.predict_frames(sequences[:, :4], 2),
            restored.predict_frames(sequences[:, :4], 2),
            atol=1e-6,
        )

    def test_evaluate_frames_reports_the_copy_baseline(self):
        sequences = moving_digits(self, num_sequences=4)
        model = small_predictor(num_layers=1)
        scores = video_frame_predictor.evaluate_frames(model, sequences)
        self.assertEqual(sorted(scores), ["copy_last_frame", "model"])
        for found in scores.values():
            self.assertLen(found["mse"], 4)
            self.assertLen(found["ssim"], 4)
            self.assertAllClose(np.mean(found["mse"]), found["mean_mse"])
            self.assertBetween(found["mean_ssim"], -1.0, 1.0)
        frames = sequences.astype("float32") / 255
        copy_error = (frames[:, 4:] - frames[:, 3:4]) ** 2
        self.assertAllClose(
            copy_error.sum(axis=(2, 3, 4)).mean(axis=0),
            np.asarray(scores["copy_last_frame"]["mse"]),
            rtol=1e-5,
        )

    def test_bad_arguments(self):
        model = small_predictor(num_layers=1)
        good = np.zeros((2, 6, 64, 64, 1), "uint8")
        cases = [
            (np.zeros((2, 6, 64, 64), "uint8"), ValueError, "got shape"),
            (np.zeros((2, 6, 32, 32, 1), "uint8"), ValueError, "64, 64, 1"),
            (
                np.zeros((2, 4, 64, 64, 1), "uint8"),
                ValueError,
                "at least 5 frames",
            ),
            (np.full_like(good, np.nan, "float32"), ValueError, "NaN"),
            (good.astype(bool), TypeError, "uint8"),
            (good.astype("float32") + 255, ValueError, "divide by 255"),
            ("frames", TypeError, "array of frames"),
        ]
        for frames, error, message in cases:
            with self.assertRaisesRegex(error, message):
                model.fit(frames, epochs=1, verbose=0)
        with self.assertRaisesRegex(ValueError, "more than num_context"):
            model(good[:, :4])
        with self.assertRaisesRegex(ValueError, "num_frames"):
            model.predict_frames(good, 0)
        with self.assertRaisesRegex(ValueError, "`context`"):
            model.predict_frames(good[..., 0])
        for kwargs, message in (
            ({"patch_size": 3}, "patch_size"),
            ({"frame_shape": (64, 64)}, "frame_shape"),
            ({"output_activation": "relu"}, "output_activation"),
            ({"scheduled_sampling_steps": -1}, "scheduled_sampling_steps"),
            ({"filters": 0}, "filters"),
        ):
            with self.assertRaisesRegex(ValueError, message):
                VideoFramePredictor(**kwargs)
