import os

import keras
import numpy as np
from keras import ops

from keras_seq import decoding
from keras_seq.applications import Seq2SeqTranslator
from keras_seq.applications import seq2seq_translator
from keras_seq.applications.vocabulary import END_ID
from keras_seq.applications.vocabulary import OOV_ID
from keras_seq.applications.vocabulary import PAD_ID
from keras_seq.applications.vocabulary import RESERVED_TOKENS
from keras_seq.applications.vocabulary import START_ID
from keras_seq.applications.vocabulary import build_vocabulary
from keras_seq.applications.vocabulary import detokenize
from keras_seq.datasets import translation
from keras_seq.testing import TestCase

SOURCES = [
    "Hola.",
    "¿Dónde está la biblioteca?",
    "Tengo hambre.",
    "No sé qué hacer.",
    "Tom está en la biblioteca.",
]
TARGETS = [
    "Hello.",
    "Where is the library?",
    "I'm hungry.",
    "I don't know what to do.",
    "Tom is in the library.",
]


class Seq2SeqTranslatorTest(TestCase):
    def small_model(self, **kwargs):
        kwargs = {
            "tokenizer": "word",
            "units": 8,
            "embedding_dim": 4,
            **kwargs,
        }
        return Seq2SeqTranslator.from_corpus(SOURCES, TARGETS, **kwargs)

    def test_word_vocabulary(self):
        vocabulary = build_vocabulary(
            TARGETS, vocabulary_size=8, tokenizer="word"
        )
        self.assertEqual(tuple(vocabulary[:4]), RESERVED_TOKENS)
        # The most frequent words and marks first: "." (4 times), then
        # those seen twice, in alphabetical order.
        self.assertEqual(vocabulary[4:], [".", "'", "I", "is"])

    def test_word_piece_vocabulary_spells_unseen_words(self):
        (x_train, _), _, _ = translation.load_data(
            "spa", path=self.get_data_dir()
        )
        vocabulary = build_vocabulary(x_train[:2000], vocabulary_size=600)
        self.assertEqual(tuple(vocabulary[:4]), RESERVED_TOKENS)
        self.assertLessEqual(len(vocabulary), 600)
        self.assertTrue(any(t.startswith("##") for t in vocabulary))
        model = Seq2SeqTranslator(vocabulary, vocabulary, units=4)
        # A word never seen whole is spelled in pieces, not unknown.
        (ids,) = model.tokenize("bibliotecarias", "source")
        self.assertGreater(len(ids), 1)
        self.assertNotIn(OOV_ID, ids)
        self.assertEqual(model.detokenize(ids, "source"), "bibliotecarias")

    def test_detokenize_spaces_text_as_prose(self):
        self.assertEqual(
            detokenize(["Where", "is", "the", "library", "?"]),
            "Where is the library?",
        )
        self.assertEqual(
            detokenize(
                [
                    "I",
                    "don",
                    "'",
                    "t",
                    "know",
                    "Tom",
                    "'",
                    "s",
                    "cat",
                    "##s",
                    ".",
                ]
            ),
            "I don't know Tom's cats.",
        )
        self.assertEqual(detokenize(["¿", "Qué", "?"]), "¿Qué?")

    def test_tokenize_unknown_words_and_truncation(self):
        model = self.small_model(max_source_length=3)
        ids = model.tokenize(["Hola zzz.", "Tom está en la biblioteca."])
        hola = model.source_vocabulary.index("Hola")
        self.assertEqual(
            ids[0], [hola, OOV_ID, model.source_vocabulary.index(".")]
        )
        # Truncated to `max_source_length`.
        self.assertEqual(len(ids[1]), 3)
        with self.assertRaisesRegex(TypeError, "`texts`.*holding int"):
            model.tokenize(["Hola", 3])

    def check_step_parity(self, **kwargs):
        model = self.small_model(**kwargs)
        sources = model.tokenize(SOURCES[:2])
        source_ids = np.zeros((2, 8), "int32")
        for i, row in enumerate(sources):
            source_ids[i, : len(row)] = row
        targets = model.tokenize(TARGETS[:2], "target")
        target_ids = np.zeros((2, 7), "int32")
        for i, row in enumerate(targets):
            target_ids[i, : len(row) + 1] = [START_ID, *row]
        logits = ops.convert_to_numpy(
            model({"source_ids": source_ids, "target_ids": target_ids})
        )
        self.assertEqual(logits.shape, (2, 7, len(model.target_vocabulary)))
        # prefill + next reproduce the teacher-forced logits, step by step.
        context = {"source_ids": ops.convert_to_tensor(source_ids)}
        prompt = ops.convert_to_tensor(target_ids)
        cache = model.prefill(prompt[:, :0], context)
        for index in range(1, 6):
            step_logits, _, cache = model.next(prompt, cache, index)
            step_logits = ops.convert_to_numpy(step_logits)
            # Rows still reading real tokens (the fused pass skips padding).
            rows = target_ids[:, index - 1] != PAD_ID
            self.assertAllClose(
                step_logits[rows, 3:], logits[rows, index - 1, 3:], atol=1e-5
            )
            # Padding, unknown and start tokens are never generated.
            self.assertTrue(np.all(step_logits[:, :3] < -1e8))
        # The torch decoding loop's `next`, with the weights read once.
        cache = model.prefill(prompt[:, :0], context)
        self.run_frozen_next_test(model, prompt, cache, range(1, 6))
        return model

    def test_step_parity_gru_luong(self):
        self.check_step_parity(cell="gru", attention="luong")

    def test_step_parity_lstm_bahdanau_two_layers(self):
        self.check_step_parity(cell="lstm", attention="bahdanau", num_layers=2)

    def test_step_parity_without_attention(self):
        model = self.check_step_parity(
            attention=None, bidirectional_encoder=False
        )
        self.assertEqual(model.bridges, [])
        with self.assertRaisesRegex(ValueError, "no attention"):
            model.attention_scores(np.ones((1, 2), "int32"), {})

    def test_attention_ignores_source_padding(self):
        model = self.small_model()
        source_ids = np.zeros((2, 7), "int32")
        source_ids[0, :2] = model.tokenize("Hola.")[0]
        source_ids[1, :6] = model.tokenize("Tom está en la biblioteca.")[0]
        target_ids = np.full((2, 3), START_ID, "int32")
        scores = ops.convert_to_numpy(
            model.attention_scores(target_ids, {"source_ids": source_ids})
        )
        self.assertEqual(scores.shape, (2, 3, 7))
        self.assertAllClose(scores.sum(-1), np.ones((2, 3)), atol=1e-5)
        self.assertAllClose(scores[0, :, 2:], np.zeros((3, 5)), atol=1e-7)
        self.assertAllClose(scores[1, :, 6:], np.zeros((3, 1)), atol=1e-7)

    def test_masked_loss_counts_real_tokens_only(self):
        model = self.small_model()
        dataset = model.make_dataset(SOURCES, TARGETS, batch_size=5)
        inputs, labels, weights = keras.tree.map_structure(
            lambda x: x.numpy(), next(iter(dataset))
        )
        self.assertEqual(labels.shape[1] % 8, 0)
        self.assertAllEqual(weights, labels != PAD_ID)
        # Every target ends with the end token.
        lengths = weights.sum(axis=1).astype(int)
        self.assertAllEqual(
            labels[np.arange(5), lengths - 1], np.full(5, END_ID, "int32")
        )
        logits = model(inputs)
        losses = ops.convert_to_numpy(
            keras.losses.sparse_categorical_crossentropy(
                labels, logits, from_logits=True
            )
        )
        expected = (losses * weights).sum() / weights.sum()
        loss = model.evaluate(SOURCES, TARGETS, batch_size=5, verbose=0)[0]
        self.assertAllClose(loss, expected, atol=1e-5)

    def test_training_on_tatoeba_lowers_loss(self):
        (x_train, y_train), (x_val, y_val), _ = translation.load_data(
            "spa", path=self.get_data_dir()
        )
        x_train, y_train = x_train[:600], y_train[:600]
        model = Seq2SeqTranslator.from_corpus(
            x_train, y_train, tokenizer="word", units=32, embedding_dim=16
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-2, clipnorm=1.0))
        # Every batch padded to 32 tokens: one shape for the training step
        # and one for evaluation, where the default multiple of 8 gives
        # these 600 pairs five and two (each compiled on JAX and
        # TensorFlow).
        train = model.make_dataset(
            x_train, y_train, batch_size=50, seed=0, length_multiple=32
        )
        validation = model.make_dataset(
            x_val[:100], y_val[:100], 50, shuffle=False, length_multiple=32
        )
        shapes = {
            (inputs["source_ids"].shape, inputs["target_ids"].shape)
            for inputs, _, _ in [*train, *validation]
        }
        self.assertEqual(shapes, {((50, 32), (50, 32))})
        before = model.evaluate(validation, verbose=0)
        model.fit(train, epochs=3, shuffle=False, verbose=0)
        after = model.evaluate(validation, verbose=0)
        self.assertLess(after[0], before[0] - 1.0)
        self.assertGreater(after[1], before[1] + 0.05)

    def test_translate(self):
        model = self.small_model()
        model.fit(SOURCES, TARGETS, batch_size=5, epochs=2, verbose=0)
        texts = model.translate(SOURCES[:3] + [""])
        self.assertEqual(len(texts), 4)
        self.assertTrue(all(isinstance(t, str) for t in texts))
        # An empty source translates to an empty string.
        self.assertEqual(texts[3], "")
        self.assertEqual(model.translate(SOURCES[0]), texts[0])
        # Batching and length sorting do not change a translation.
        self.assertEqual(model.translate(SOURCES[:3], batch_size=2), texts[:3])
        best = model.translate(
            SOURCES[1], sampler="beam", num_beams=3, num_results=2
        )
        self.assertEqual(len(best), 2)
        sampled = model.translate(SOURCES, sampler="top_k", k=3, seed=7)
        self.assertEqual(
            sampled, model.translate(SOURCES, sampler="top_k", k=3, seed=7)
        )
        # A very long source is truncated, not refused.
        self.assertIsInstance(model.translate("Hola " * 200), str)

    def test_invalid_arguments(self):
        model = self.small_model()
        with self.assertRaisesRegex(TypeError, "`texts`"):
            model.translate(3)
        with self.assertRaisesRegex(TypeError, "`texts`.*holding NoneType"):
            model.translate(["Hola.", None])
        with self.assertRaisesRegex(ValueError, "`max_length`"):
            model.translate("Hola.", max_length=0)
        with self.assertRaisesRegex(ValueError, "same, non-zero number"):
            model.make_dataset(SOURCES, TARGETS[:2])
        with self.assertRaisesRegex(ValueError, "`sources`.*non-zero"):
            Seq2SeqTranslator.from_corpus([], [], tokenizer="word")
        with self.assertRaisesRegex(ValueError, "`texts`.*empty list"):
            build_vocabulary([])
        self.assertEqual(model.translate([]), [])
        with self.assertRaisesRegex(ValueError, "without target sentences"):
            model.fit(SOURCES)
        with self.assertRaisesRegex(ValueError, "reserved tokens"):
            Seq2SeqTranslator(["a", "b"], model.target_vocabulary)
        with self.assertRaisesRegex(TypeError, "`target_vocabulary`"):
            Seq2SeqTranslator(model.source_vocabulary, "abc")
        with self.assertRaisesRegex(ValueError, "`attention`"):
            self.small_model(attention="dot")
        with self.assertRaisesRegex(ValueError, "`vocabulary_size`"):
            build_vocabulary(SOURCES, vocabulary_size=3)
        with self.assertRaisesRegex(ValueError, "`tokenizer`"):
            build_vocabulary(SOURCES, tokenizer="bpe")

    def test_plot_attention(self):
        model = self.small_model()
        path = os.path.join(self.get_temp_dir(), "attention.png")
        figure = model.plot_attention(SOURCES[1], path=path)
        with open(path, "rb") as file:
            self.assertEqual(file.read(8), b"\x89PNG\r\n\x1a\n")
        (axis,) = figure.axes
        labels = [t.get_text() for t in axis.get_xticklabels()]
        self.assertEqual(
            labels, ["¿", "Dónde", "está", "la", "biblioteca", "?"]
        )
        with self.assertRaisesRegex(ValueError, "`text`"):
            model.plot_attention("")
        with self.assertRaisesRegex(ValueError, "no attention to plot"):
            self.small_model(attention=None).plot_attention(SOURCES[0])

    def test_saving_keeps_vocabularies_and_settings(self):
        model = self.small_model(
            attention="bahdanau",
            max_target_length=12,
            sampler=decoding.BeamSearch(num_beams=2),
        )
        model.fit(SOURCES, TARGETS, batch_size=5, verbose=0)
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertIsInstance(restored, Seq2SeqTranslator)
        self.assertEqual(restored.source_vocabulary, model.source_vocabulary)
        self.assertEqual(restored.target_vocabulary, model.target_vocabulary)
        self.assertEqual(restored.max_target_length, 12)
        self.assertIsInstance(restored.sampler, decoding.BeamSearch)
        self.assertEqual(restored.translate(SOURCES), model.translate(SOURCES))
        # Training goes on with the restored optimizer.
        restored.fit(SOURCES, TARGETS, batch_size=5, verbose=0)


class EvaluateTranslationTest(TestCase):
    def test_scores(self):
        class Echo:
            """Translates each source into a given sentence."""

            def __init__(self, outputs):
                self.outputs = dict(zip(SOURCES, outputs))

            def translate(self, texts, **kwargs):
                return [self.outputs[t] for t in texts]

        perfect = seq2seq_translator.evaluate_translation(
            Echo(TARGETS), SOURCES, TARGETS
        )
        self.assertAllClose(perfect["bleu"], 100.0, atol=1e-6)
        self.assertAllClose(perfect["rouge1_f1"], 1.0, atol=1e-6)
        # "Hello." has no bigram: its ROUGE-2 is 0 even when exact.
        self.assertAllClose(perfect["rouge2_f1"], 0.8, atol=1e-6)
        self.assertEqual(perfect["num_sentences"], 5)
        self.assertEqual(
            perfect["examples"][0], (SOURCES[0], TARGETS[0], TARGETS[0])
        )
        # Half the words of each reference: ROUGE-1 F1 of 2/3 (precision 1,
        # recall 1/2) for "Where is the library?" -> "Where is".
        partial = seq2seq_translator.evaluate_translation(
            Echo(
                [
                    "Hello.",
                    "Where is",
                    "I'm hungry.",
                    "I don't know what to do.",
                    "Tom is in the library.",
                ]
            ),
            SOURCES,
            TARGETS,
        )
        self.assertLess(partial["bleu"], 100.0)
        self.assertAllClose(partial["rouge1_f1"], (4 + 2 / 3) / 5, atol=1e-5)
        with self.assertRaisesRegex(ValueError, "same, non-zero number"):
            seq2seq_translator.evaluate_translation(
                Echo(TARGETS), SOURCES, TARGETS[:2]
            )

    def test_score_translations_made_elsewhere(self):
        # The scores of translations made on another machine are those
        # `evaluate_translation` gives for the same translations.
        translations = ["Hello.", "Where is", *TARGETS[2:]]
        scores = seq2seq_translator.score_translations(translations, TARGETS)
        self.assertAllClose(scores["rouge1_f1"], (4 + 2 / 3) / 5, atol=1e-5)
        self.assertEqual(scores["num_sentences"], 5)
        self.assertAllClose(
            seq2seq_translator.score_translations(TARGETS, TARGETS)["bleu"],
            100.0,
            atol=1e-6,
        )
        with self.assertRaisesRegex(ValueError, "`translations` and"):
            seq2seq_translator.score_translations(TARGETS[:2], TARGETS)
        with self.assertRaisesRegex(TypeError, "translations"):
            seq2seq_translator.score_translations([1, 2], TARGETS[:2])


class TranslationBatchesTest(TestCase):
    def test_batches_are_padded_to_the_length_multiple(self):
        sources = [[5] * n for n in (1, 3, 9, 17, 20, 2)]
        targets = [[6] * n for n in (2, 15, 4, 16, 30, 1)]
        for multiple in (8, 16):
            batches = seq2seq_translator.TranslationBatches(
                sources, targets, 2, True, 0, length_multiple=multiple
            )
            self.assertEqual(len(batches), 3)
            rows = 0
            for index in range(len(batches)):
                inputs, labels, weights = batches[index]
                source_width = inputs["source_ids"].shape[1]
                target_width = inputs["target_ids"].shape[1]
                self.assertEqual(source_width % multiple, 0)
                self.assertEqual(target_width % multiple, 0)
                self.assertEqual(labels.shape, (2, target_width))
                # One weight per real target token and its end token.
                self.assertEqual(
                    weights.sum(), np.count_nonzero(labels), msg=multiple
                )
                rows += len(labels)
            self.assertEqual(rows, 6)
        with self.assertRaisesRegex(ValueError, "length_multiple"):
            seq2seq_translator.TranslationBatches(
                sources, targets, 2, True, 0, length_multiple=0
            )
