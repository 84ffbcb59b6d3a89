from keras_seq.datasets import text
from keras_seq.testing import TestCase


class TextTest(TestCase):
    def test_tinyshakespeare_protocol_split(self):
        train, validation = text.load_data(path=self.get_data_dir())
        self.assertEqual((len(train), len(validation)), (1003854, 111540))
        whole = text.load_text(path=self.get_data_dir())
        self.assertEqual(train + validation, whole)  # contiguous cut
        self.assertTrue(whole.startswith("First Citizen:"))
        self.assertLen(set(whole), 65)

    def test_nietzsche(self):
        whole = text.load_text("nietzsche", path=self.get_data_dir())
        # 600,893 bytes of UTF-8, 600,885 characters.
        self.assertLen(whole, 600885)
        self.assertIn("SUPPOSING that Truth is a woman", whole[:100])
        train, validation = text.load_data(
            "nietzsche", validation_split=0.5, path=self.get_data_dir()
        )
        self.assertEqual(len(train), 600885 // 2)
        self.assertEqual(train + validation, whole)

    def test_corrupted_and_missing_copies(self):
        for name, data_file in text.CORPORA.items():
            self.run_dataset_integrity_test(
                text.load_text, [data_file], name=name
            )

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "`name`.*'shakespeare'"):
            text.load_text("shakespeare")
        with self.assertRaisesRegex(ValueError, "`validation_split`.*1.5"):
            text.load_data(validation_split=1.5)
