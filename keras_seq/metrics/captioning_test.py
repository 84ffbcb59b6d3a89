import numpy as np

from keras_seq.metrics import caption_bleu
from keras_seq.metrics import caption_words
from keras_seq.metrics import cider_d
from keras_seq.testing import TestCase

REFERENCES = [
    ["A man riding a horse.", "a person on a horse"],
    ["Two cats sleeping on a bed", "cats asleep on a bed"],
    ["A red car parked on the street.", "a car on a street"],
]


class CaptionBleuTest(TestCase):
    def test_words_ignore_case_and_punctuation(self):
        self.assertEqual(
            caption_words("A dog, running!"), ["a", "dog", "running"]
        )

    def test_exact_captions_score_one_and_orders_fall(self):
        exact = caption_bleu([group[0] for group in REFERENCES], REFERENCES)
        for order in range(1, 5):
            self.assertAllClose(exact[f"bleu_{order}"], 1.0)
            self.assertLessEqual(exact[f"bleu_{order}"], 1.0)
        wrong = caption_bleu(
            ["a man on a bed", "two dogs", "a car"], REFERENCES
        )
        values = [wrong[f"bleu_{order}"] for order in range(1, 5)]
        self.assertEqual(values, sorted(values, reverse=True))
        self.assertLess(values[0], 1.0)

    def test_any_reference_counts(self):
        # Each n-gram of the candidate is in one reference or the other.
        scores = caption_bleu(
            ["a person riding a horse"], [REFERENCES[0]], max_order=1
        )
        self.assertAllClose(scores["bleu_1"], 1.0)

    def test_variable_reference_counts(self):
        scores = caption_bleu(
            ["a man riding a horse", "cats asleep on a bed"],
            [REFERENCES[0], ["cats asleep on a bed"]],
        )
        self.assertAllClose(scores["bleu_4"], 1.0)


class CiderDTest(TestCase):
    def test_hand_computed_unigram_case(self):
        # Two images, one reference each; unigrams only. Every word is in
        # one image's references, so each weight is log(2) * count.
        score, per_image = cider_d(
            ["a b", "c d"], [["a b"], ["c e"]], max_order=1
        )
        # Image 1: identical vectors, cosine 1. Image 2: "c" shared out of
        # two words each (d has df 0 -> idf log 2 as well).
        np.testing.assert_allclose(per_image, [10.0, 5.0])
        self.assertAllClose(score, 7.5)

    def test_exact_beats_partial_beats_unrelated(self):
        _, exact = cider_d([group[0] for group in REFERENCES], REFERENCES)
        _, partial = cider_d(
            ["a man riding a horse", "two cats on a bed", "a blue bus"],
            REFERENCES,
        )
        self.assertGreater(partial[0], 0.0)
        self.assertAllClose(partial[0], exact[0])
        self.assertLess(partial[1], exact[1])
        self.assertEqual(partial[2], 0.0)

    def test_length_penalty_and_clipping(self):
        # Repeating a reference word cannot earn more than its count.
        _, repeated = cider_d(["cat cat cat cat", "dog"], [["cat"], ["dog"]])
        _, once = cider_d(["cat", "dog"], [["cat"], ["dog"]])
        self.assertLess(repeated[0], once[0])

    def test_bad_input(self):
        with self.assertRaisesRegex(ValueError, "expected one per image"):
            cider_d(["a"], [["a"], ["b"]])
        with self.assertRaisesRegex(TypeError, "references"):
            caption_bleu(["a"], "a")
        with self.assertRaisesRegex(ValueError, "empty list"):
            cider_d(["a"], [[]])
        for metric in (caption_bleu, cider_d):
            with self.assertRaisesRegex(ValueError, "`candidates`.*empty"):
                metric([], [])
        self.assertTrue(np.isfinite(cider_d([""], [["a b"]])[0]))
