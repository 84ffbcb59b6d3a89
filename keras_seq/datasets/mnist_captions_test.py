import numpy as np

from keras_seq.datasets import mnist
from keras_seq.datasets import mnist_captions
from keras_seq.testing import TestCase


class MnistCaptionsTest(TestCase):
    def test_captions_name_the_digits_drawn_left_to_right(self):
        (x_train, y_train), _, _ = mnist.load_data(path=self.get_data_dir())
        canvases, captions = mnist_captions.compose(
            x_train, y_train, 50, min_digits=1, max_digits=5, seed=3
        )
        self.assertEqual(canvases.shape, (50, 28, 140))
        self.assertEqual(canvases.dtype, np.uint8)
        for canvas, caption in zip(canvases, captions):
            words = caption.split()
            self.assertBetween(len(words), 1, 5)
            self.assertTrue(set(words) <= set(mnist_captions.DIGIT_WORDS))
            # Every digit is a training image, whole, at a column that
            # leaves room for the ones after it.
            found, column = [], 0
            while column <= 140 - 28 and len(found) < len(words):
                window = canvas[:, column : column + 28]
                match = np.flatnonzero(
                    (x_train == window).all(axis=(1, 2)) & (window.any())
                )
                if match.size:
                    found.append(y_train[match[0]])
                    column += 28
                else:
                    column += 1
            self.assertEqual(
                [mnist_captions.DIGIT_WORDS[d] for d in found], words
            )

    def test_splits_use_their_own_digits_and_are_reproducible(self):
        kwargs = dict(num_train=30, num_validation=5, num_test=20)
        train, validation, test = mnist_captions.load_data(
            path=self.get_data_dir(), **kwargs
        )
        self.assertEqual(train[0].shape, (30, 28, 140, 1))
        self.assertLen(validation[1], 5)
        again = mnist_captions.load_data(path=self.get_data_dir(), **kwargs)
        np.testing.assert_array_equal(test[0], again[2][0])
        self.assertEqual(test[1], again[2][1])
        other = mnist_captions.load_data(
            path=self.get_data_dir(), seed=7, **kwargs
        )
        self.assertNotEqual(test[1], other[2][1])

    def test_bad_arguments(self):
        images = np.zeros((4, 28, 28), "uint8")
        with self.assertRaisesRegex(ValueError, "min_digits"):
            mnist_captions.compose(images, np.arange(4), 2, 3, 2)
        with self.assertRaisesRegex(ValueError, "`labels`"):
            mnist_captions.compose(images, np.arange(3), 2)
        with self.assertRaisesRegex(ValueError, "`images`"):
            mnist_captions.compose(images[:, :20], np.arange(4), 2)
