import numpy as np

from keras_seq.metrics import video
from keras_seq.testing import TestCase


class FrameMetricsTest(TestCase):
    def test_frame_mse_sums_over_pixels_and_averages_over_frames(self):
        truth = np.zeros((2, 3, 4, 4, 1), "float32")
        prediction = np.zeros_like(truth)
        prediction[0, 0] = 0.5  # 16 pixels of 0.25: 4.0 on frame 0
        prediction[1, :, 0, 0] = 1.0  # one pixel per frame: 1.0
        found = np.asarray(video.frame_mse(truth, prediction))
        self.assertAllClose(np.array([4.0 / 3, 1.0]), found)

    def test_ssim_matches_tensorflow(self):
        import tensorflow as tf

        rng = np.random.default_rng(0)
        truth = rng.random((2, 3, 32, 32, 1)).astype("float32")
        prediction = np.clip(
            truth + rng.normal(0, 0.1, truth.shape), 0, 1
        ).astype("float32")
        expected = tf.image.ssim(truth, prediction, max_val=1.0).numpy()
        found = np.asarray(video.frame_ssim(truth, prediction))
        self.assertEqual(found.shape, (2, 3))
        self.assertAllClose(expected, found, atol=1e-5)
        self.assertAllClose(
            np.ones((2, 3)), np.asarray(video.frame_ssim(truth, truth))
        )

    def test_psnr(self):
        truth = np.zeros((1, 2, 8, 8, 1), "float32")
        prediction = truth + 0.1  # mean squared error 0.01: 20 dB
        found = np.asarray(video.frame_psnr(truth, prediction))
        self.assertAllClose(np.full((1, 2), 20.0), found, atol=1e-4)
        # A perfect frame is capped at 100 dB, not infinity.
        self.assertAllClose(
            np.full((1, 2), 100.0), np.asarray(video.frame_psnr(truth, truth))
        )

    def test_frame_scores_per_horizon(self):
        rng = np.random.default_rng(1)
        truth = rng.integers(0, 256, (5, 4, 16, 16, 1), dtype="uint8")
        prediction = truth.astype("float32") / 255
        prediction[:, 2:] = 0.0
        scores = video.frame_scores(truth, prediction, batch_size=2)
        self.assertAllClose(np.zeros(2), np.array(scores["mse"][:2]), atol=1e-6)
        expected = ((truth[:, 2:] / 255.0) ** 2).sum(axis=(2, 3, 4))
        self.assertAllClose(expected.mean(axis=0), np.array(scores["mse"][2:]))
        self.assertAllClose(np.mean(scores["mse"]), scores["mean_mse"])
        self.assertAllClose(np.ones(2), np.array(scores["ssim"][:2]), atol=1e-5)
        self.assertAllClose(100.0, scores["psnr"][0], atol=1e-4)
        with self.assertRaisesRegex(ValueError, "different shapes"):
            video.frame_scores(truth, prediction[:, :3])
        with self.assertRaisesRegex(ValueError, "`y_true`"):
            video.frame_scores(truth[0], prediction[0])
        with self.assertRaisesRegex(TypeError, "dtype int64"):
            video.frame_scores(truth.astype("int64"), prediction)
        with self.assertRaisesRegex(ValueError, "at least 11 x 11"):
            video.frame_ssim(truth[..., :8, :8, :], truth[..., :8, :8, :])
