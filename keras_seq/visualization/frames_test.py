import os

import numpy as np
from PIL import Image

from keras_seq.datasets import moving_mnist
from keras_seq.testing import TestCase
from keras_seq.visualization import plot_frames
from keras_seq.visualization import save_frames_gif


def one_sequence(test):
    _, _, test_split = moving_mnist.load_data(
        num_train=1, num_validation=1, num_test=1, path=test.get_data_dir()
    )
    return test_split[0]  # (20, 64, 64, 1) uint8


class FramesTest(TestCase):
    def test_strip_has_a_row_per_part(self):
        frames = one_sequence(self)
        path = os.path.join(self.get_temp_dir(), "strip.png")
        figure = plot_frames(
            frames[:10], frames[10:], frames[10:] / 255.0, path=path
        )
        axes = figure.get_axes()
        self.assertLen(axes, 30)
        self.assertEqual(axes[0].get_ylabel(), "context")
        self.assertEqual(axes[20].get_ylabel(), "prediction")
        self.assertEqual(axes[9].get_title(), "t0")
        self.assertEqual(axes[10].get_title(), "t+1")
        with open(path, "rb") as file:
            self.assertEqual(file.read(8), b"\x89PNG\r\n\x1a\n")

    def test_gif_shows_truth_beside_prediction(self):
        frames = one_sequence(self)
        prediction = 255 - frames[10:]
        path = os.path.join(self.get_temp_dir(), "video.gif")
        count = save_frames_gif(path, frames[:10], frames[10:], prediction)
        self.assertEqual(count, 20)
        with Image.open(path) as gif:
            self.assertEqual(gif.n_frames, 20)
            self.assertEqual(gif.size, (2 * (64 + 4 + 64), 2 * 64))
            gif.seek(15)
            pixels = np.asarray(gif.convert("L"))
        self.assertAllEqual(frames[15, :, :, 0], pixels[::2, :128:2])
        self.assertAllEqual(prediction[5, :, :, 0], pixels[::2, 136::2])

    def test_bad_frames(self):
        frames = one_sequence(self)
        with self.assertRaisesRegex(ValueError, "different sizes"):
            plot_frames(frames[:10], frames[10:], frames[10:15])
        with self.assertRaisesRegex(ValueError, "`truth`"):
            plot_frames(frames[:10], frames[10, 0])
        with self.assertRaisesRegex(ValueError, "`scale`"):
            save_frames_gif("x.gif", frames[:2], frames[2:4], frames[2:4], 0)
