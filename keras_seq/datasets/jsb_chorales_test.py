import numpy as np

from keras_seq.datasets import jsb_chorales
from keras_seq.testing import TestCase


class JSBChoralesTest(TestCase):
    def test_published_split_as_piano_rolls(self):
        train, validation, test = jsb_chorales.load_data(
            path=self.get_data_dir()
        )
        self.assertEqual(
            (len(train), len(validation), len(test)), (229, 76, 77)
        )
        for roll in train + validation + test:
            self.assertEqual(roll.shape[1], 88)
            self.assertEqual(roll.dtype, np.float32)
            self.assertTrue(np.isin(roll, (0.0, 1.0)).all())
        # Four voices: most steps sound 4 pitches, none more than 4.
        voices = np.concatenate([roll.sum(axis=1) for roll in train])
        self.assertLessEqual(voices.max(), 4)
        self.assertGreater(np.mean(voices == 4), 0.8)
        # Chorales live in the middle of the keyboard.
        active = np.nonzero(np.concatenate(train).sum(axis=0))[0]
        self.assertGreater(active.min() + jsb_chorales.LOWEST_PITCH, 40)
        self.assertLess(active.max() + jsb_chorales.LOWEST_PITCH, 100)

    def test_sixteenth_notes_are_four_times_longer(self):
        quarter, _, _ = jsb_chorales.load_data(path=self.get_data_dir())
        sixteenth, _, _ = jsb_chorales.load_data(
            "16th", path=self.get_data_dir()
        )
        ratio = sum(map(len, sixteenth)) / sum(map(len, quarter))
        self.assertBetween(ratio, 3.5, 4.5)

    def test_piano_roll(self):
        roll = jsb_chorales.to_piano_roll([[21, 60], [], [108]])
        self.assertEqual(roll.shape, (3, 88))
        self.assertEqual(np.nonzero(roll)[1].tolist(), [0, 39, 87])
        with self.assertRaisesRegex(ValueError, "pitch 109.*step 0"):
            jsb_chorales.to_piano_roll([[109]])

    def test_corrupted_and_missing_copies(self):
        for resolution, data_file in jsb_chorales.RESOLUTIONS.items():
            self.run_dataset_integrity_test(
                jsb_chorales.load_data, [data_file], resolution=resolution
            )
