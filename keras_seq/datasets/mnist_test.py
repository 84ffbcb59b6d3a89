import gzip
import os
import shutil

import numpy as np

from keras_seq.datasets import mnist
from keras_seq.testing import TestCase


class MNISTTest(TestCase):
    def test_protocol_split_from_the_real_files(self):
        data_dir = self.get_data_dir()
        (x_train, y_train), (x_val, y_val), (x_test, y_test) = mnist.load_data(
            path=data_dir
        )
        self.assertEqual(x_train.shape, (4500, 28, 28))
        self.assertEqual(x_val.shape, (500, 28, 28))
        self.assertEqual(x_test.shape, (10000, 28, 28))
        self.assertEqual((y_train.shape, y_val.shape), ((4500,), (500,)))
        self.assertEqual(x_train.dtype, np.uint8)
        # 500 images of each digit in the subset, split 4,500 / 500.
        counts = np.bincount(y_train, minlength=10) + np.bincount(y_val)
        self.assertEqual(counts.tolist(), [500] * 10)
        # The official test set's class counts.
        self.assertEqual(
            np.bincount(y_test).tolist(),
            [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
        )
        # The split is the seeded shuffle, identical on every call.
        (x_again, _), (x_val_again, _), _ = mnist.load_data(path=data_dir)
        self.assertAllEqual(x_train, x_again)
        self.assertAllEqual(x_val, x_val_again)
        # Every split holds real digits: mean intensity of MNIST is ~33/255.
        self.assertBetween(float(x_test.mean()), 30.0, 36.0)

    def test_corrupted_and_missing_copies(self):
        data_dir = self.get_data_dir()
        copy = self.get_temp_dir()
        shutil.copytree(
            os.path.join(data_dir, "mnist"), os.path.join(copy, "mnist")
        )
        labels = os.path.join(copy, "mnist", "t10k-labels-idx1-ubyte.gz")
        with gzip.open(labels, "rb") as file:
            content = bytearray(file.read())
        content[-1] = (content[-1] + 1) % 10  # one wrong label
        with gzip.open(labels, "wb") as file:
            file.write(bytes(content))
        with self.assertRaisesRegex(
            ValueError, "Checksum mismatch.*t10k-labels"
        ):
            mnist.load_data(path=copy)
        os.remove(labels)
        with self.assertRaisesRegex(FileNotFoundError, "t10k-labels"):
            mnist.load_data(path=copy)

    def test_invalid_source(self):
        with self.assertRaisesRegex(ValueError, "`source`.*'subset', 'full'"):
            mnist.load_data(source="60k")

    def test_parse_idx_rejects_other_files(self):
        with self.assertRaisesRegex(ValueError, "IDX"):
            mnist.parse_idx(b"PK\x03\x04 a zip file")
        truncated = b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + b"\x01"
        with self.assertRaisesRegex(ValueError, "does not match"):
            mnist.parse_idx(truncated)
        self.assertAllEqual(
            mnist.parse_idx(
                b"\x00\x00\x08\x01" + (2).to_bytes(4, "big") + b"\x07\x09"
            ),
            np.array([7, 9], np.uint8),
        )
