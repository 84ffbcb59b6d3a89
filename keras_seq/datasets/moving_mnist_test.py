import numpy as np

from keras_seq.datasets import mnist
from keras_seq.datasets import moving_mnist
from keras_seq.testing import TestCase


class MovingMNISTTest(TestCase):
    def setUp(self):
        super().setUp()
        (self.digits, self.labels), _, (self.test_digits, _) = mnist.load_data(
            path=self.get_data_dir()
        )

    def test_sequences_keep_their_digits_and_move_smoothly(self):
        frames = moving_mnist.generate(
            self.digits[:1], num_sequences=3, num_frames=12, seed=0
        )
        self.assertEqual(frames.shape, (3, 12, 64, 64))
        self.assertEqual(frames.dtype, np.uint8)
        # One digit drawn twice: no pixel brighter than the digit's own.
        self.assertLessEqual(frames.max(), self.digits[0].max())
        # Centre of mass moves at most ~2 x 3.6 pixels a frame (two digits).
        rows = np.arange(64)[None, None, :, None]
        mass = frames.astype("float64")
        centre = (mass * rows).sum(axis=(2, 3)) / mass.sum(axis=(2, 3))
        self.assertLess(np.abs(np.diff(centre, axis=1)).max(), 8.0)
        self.assertGreater(np.abs(np.diff(centre, axis=1)).max(), 0.5)

    def test_one_digit_is_pasted_intact(self):
        frames = moving_mnist.generate(
            self.digits[:1], num_sequences=1, num_digits=1, seed=3
        )
        for frame in frames[0]:
            rows, columns = np.nonzero(frame)
            top, left = rows.min(), columns.min()
            digit_rows, digit_columns = np.nonzero(self.digits[0])
            window = frame[
                top - digit_rows.min() : top - digit_rows.min() + 28,
                left - digit_columns.min() : left - digit_columns.min() + 28,
            ]
            self.assertAllEqual(window, self.digits[0])

    def test_bounces_stay_on_the_canvas(self):
        frames = moving_mnist.generate(
            self.digits[:50], num_sequences=20, num_frames=60, seed=1
        )
        ink = frames.astype("float64").sum(axis=(2, 3))
        # Two digits, never clipped: the ink per frame only drops where the
        # digits overlap, never below one digit's.
        self.assertGreater(ink.min(), 0.0)
        self.assertLess(ink.max() / ink.min(), 5.0)

    def test_seeded_and_split_by_source(self):
        sizes = {"num_train": 8, "num_validation": 4, "num_test": 6}
        path = self.get_data_dir()
        train, validation, test = moving_mnist.load_data(
            **sizes, num_frames=5, path=path
        )
        self.assertEqual(train.shape, (8, 5, 64, 64, 1))
        self.assertEqual(validation.shape, (4, 5, 64, 64, 1))
        self.assertEqual(test.shape, (6, 5, 64, 64, 1))
        again, _, _ = moving_mnist.load_data(**sizes, num_frames=5, path=path)
        self.assertAllEqual(train, again)
        other, _, _ = moving_mnist.load_data(
            **sizes, num_frames=5, seed=7, path=path
        )
        self.assertGreater(np.abs(train.astype(int) - other).max(), 0)

    def test_digit_set(self):
        ones = self.digits[self.labels == 1]
        zeros_and_ones, _, _ = moving_mnist.load_data(
            num_train=30,
            num_validation=1,
            num_test=1,
            num_frames=1,
            num_digits=1,
            digits=[1],
            path=self.get_data_dir(),
        )
        # A "1" is thin: far less ink than the average digit.
        ink = zeros_and_ones.astype("float64").sum(axis=(1, 2, 3, 4))
        self.assertAllClose(
            ink.mean(),
            ones.astype("float64").sum(axis=(1, 2)).mean(),
            rtol=0.3,
        )
        self.assertLess(ink.mean(), self.digits.sum(axis=(1, 2)).mean() * 0.7)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "`digits`"):
            moving_mnist.load_data(digits=[10], path=self.get_data_dir())
        with self.assertRaisesRegex(ValueError, "`canvas_size`"):
            moving_mnist.generate(self.digits[:2], 1, canvas_size=20)
        with self.assertRaisesRegex(TypeError, "`num_frames`"):
            moving_mnist.generate(self.digits[:2], 1, num_frames=2.0)
        with self.assertRaisesRegex(ValueError, "`digit_images`"):
            moving_mnist.generate(self.digits[0], 1)
