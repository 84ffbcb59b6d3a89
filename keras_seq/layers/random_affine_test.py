import math

import keras
import numpy as np

from keras_seq.datasets import mnist
from keras_seq.layers import RandomAffine
from keras_seq.layers.random_affine import affine_warp
from keras_seq.testing import TestCase


def warp(images, angle=0.0, scale=1.0, shift=(0.0, 0.0)):
    batch_size = len(images)
    return keras.ops.convert_to_numpy(
        affine_warp(
            images,
            np.full((batch_size,), angle, "float32"),
            np.full((batch_size,), scale, "float32"),
            np.tile(np.array([shift], "float32"), (batch_size, 1)),
        )
    )


class AffineWarpTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.images = rng.random((3, 6, 6, 2)).astype("float32")

    def test_identity(self):
        self.assertAllClose(self.images, warp(self.images), atol=1e-6)

    def test_integer_shift_moves_pixels_and_fills_zeros(self):
        expected = np.zeros_like(self.images)
        expected[:, 1:, :-2] = self.images[:, :-1, 2:]  # 1 down, 2 left
        self.assertAllClose(
            expected, warp(self.images, shift=(1.0, -2.0)), atol=1e-6
        )

    def test_quarter_turn_is_a_rotation_of_the_array(self):
        # Counter-clockwise on screen (rows grow downwards) is np.rot90.
        expected = np.rot90(self.images, k=1, axes=(1, 2))
        self.assertAllClose(
            expected, warp(self.images, angle=math.pi / 2), atol=1e-5
        )

    def test_half_pixel_shift_interpolates(self):
        shifted = warp(self.images, shift=(0.0, 0.5))
        expected = (self.images[:, :, :-1] + self.images[:, :, 1:]) / 2
        self.assertAllClose(expected, shifted[:, :, 1:], atol=1e-6)


class RandomAffineTest(TestCase):
    def test_layer_basics(self):
        self.run_layer_test(
            RandomAffine,
            {"rotation": 0.03, "translation": 0.1, "zoom": 0.1, "seed": 3},
            np.random.rand(2, 28, 28).astype("float32"),
            expected_output_shape=(2, 28, 28),
            expected_num_trainable_weights=0,
            run_training_check=False,
        )

    def test_inference_is_the_identity(self):
        images = np.random.rand(2, 10, 12, 3).astype("float32")
        layer = RandomAffine(rotation=0.1, translation=0.2, zoom=0.2)
        self.assertAllEqual(images, keras.ops.convert_to_numpy(layer(images)))

    def test_training_moves_real_digits_a_little(self):
        (images, _), _, _ = mnist.load_data(path=self.get_data_dir())
        images = images[:64].astype("float32") / 255.0
        layer = RandomAffine(rotation=0.03, translation=0.08, zoom=0.1, seed=1)
        first = keras.ops.convert_to_numpy(layer(images, training=True))
        second = keras.ops.convert_to_numpy(layer(images, training=True))
        self.assertEqual(first.shape, (64, 28, 28))
        self.assertGreater(np.abs(first - second).max(), 0.1)  # new draws
        # Small changes: the ink keeps most of its mass and its place.
        ink, moved = images.sum(axis=(1, 2)), first.sum(axis=(1, 2))
        self.assertAllClose(ink, moved, rtol=0.35)
        rows = np.arange(28)[None, :, None]
        centre, moved_centre = (
            (x * rows).sum(axis=(1, 2)) / x.sum(axis=(1, 2))
            for x in (images, first)
        )
        self.assertLess(np.abs(centre - moved_centre).max(), 4.0)

    def test_same_seed_same_draws(self):
        images = np.random.rand(4, 8, 8).astype("float32")
        outputs = [
            keras.ops.convert_to_numpy(
                RandomAffine(translation=0.3, seed=7)(images, training=True)
            )
            for _ in range(2)
        ]
        self.assertAllClose(outputs[0], outputs[1])

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "`rotation`.*1.5"):
            RandomAffine(rotation=1.5)
        with self.assertRaisesRegex(TypeError, "`zoom`"):
            RandomAffine(zoom="a lot")
        with self.assertRaisesRegex(ValueError, "`inputs`.*\\(4, 8\\)"):
            RandomAffine(translation=0.1)(np.zeros((4, 8)), training=True)
