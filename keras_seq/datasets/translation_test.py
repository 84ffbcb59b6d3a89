import numpy as np
from absl.testing import parameterized

from keras_seq.datasets import translation
from keras_seq.testing import TestCase


class TranslationTest(TestCase):
    def test_spanish_protocol_split(self):
        (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
            translation.load_data("spa", path=self.get_data_dir())
        )
        # 118,964 pairs, none duplicated: 90% / 5% / 5%.
        self.assertEqual(
            (len(x_train), len(x_val), len(x_test)), (107068, 5948, 5948)
        )
        for sources, targets in ((x_train, y_train), (x_val, y_val)):
            self.assertEqual(sources.shape, targets.shape)
        # Source Spanish, target English: the file's famous first pair.
        pairs = set(zip(x_train.tolist(), y_train.tolist()))
        pairs |= set(zip(x_val.tolist(), y_val.tolist()))
        pairs |= set(zip(x_test.tolist(), y_test.tolist()))
        self.assertIn(("Ve.", "Go."), pairs)
        self.assertLen(pairs, 118964)  # disjoint splits
        # Deterministic.
        _, _, (x_again, _) = translation.load_data(
            "spa", path=self.get_data_dir()
        )
        self.assertAllEqual(x_test, x_again)

    def test_french_duplicates_are_dropped(self):
        english, french = translation.load_pairs(
            "fra", path=self.get_data_dir()
        )
        self.assertEqual(len(english), 142787)
        self.assertEqual((english[0], french[0]), ("Go.", "Va !"))
        splits = translation.load_data("fra", path=self.get_data_dir())
        sizes = [len(x) for x, _ in splits]
        self.assertEqual(sizes, [128504, 7139, 7139])
        unique = len(set(zip(french.tolist(), english.tolist())))
        self.assertEqual(sum(sizes), unique)
        self.assertLess(unique, len(english))
        self.assertTrue(np.all(np.char.str_len(splits[0][0]) > 0))

    @parameterized.named_parameters(("spa", "spa"), ("fra", "fra"))
    def test_corrupted_and_missing_copies(self, language):
        self.run_dataset_integrity_test(
            translation.load_pairs,
            [translation.ARCHIVES[language]],
            language=language,
        )

    def test_invalid_language(self):
        with self.assertRaisesRegex(ValueError, "`language`.*'deu'"):
            translation.load_data("deu")
