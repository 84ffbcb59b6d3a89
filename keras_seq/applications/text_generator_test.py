import math
import os
import warnings

import keras
import numpy as np
from keras import ops

from keras_seq import decoding
from keras_seq.applications import TextGenerator
from keras_seq.applications.text_generator import detokenize
from keras_seq.applications.text_generator import tokenize
from keras_seq.datasets import text as text_datasets
from keras_seq.testing import TestCase


class TextGeneratorTest(TestCase):
    def setUp(self):
        super().setUp()
        self.text = "to be, or not to be: that is the question.\n" * 8

    def small_model(self, **kwargs):
        kwargs = {"units": 16, "embedding_dim": 8, **kwargs}
        return TextGenerator.from_text(self.text, **kwargs)

    def test_vocabulary_encode_decode(self):
        model = self.small_model()
        self.assertEqual(model.vocabulary, sorted(set(self.text)))
        self.assertEqual(model.vocabulary_size, len(set(self.text)) + 1)
        ids = model.encode("to be")
        self.assertEqual(model.decode(ids), "to be")
        # Unknown characters are the out-of-vocabulary token, id 0.
        self.assertEqual(model.encode("toz").tolist()[-1], 0)
        self.assertEqual(model.decode(model.encode("toZ")), "to[UNK]")

    def test_word_level_round_trip(self):
        sentence = "Sweet love, renew thy force; be it not said\nthat it's so."
        self.assertEqual(
            detokenize(tokenize(sentence, "word"), "word"), sentence
        )
        model = TextGenerator.from_text(
            sentence, level="word", max_vocabulary_size=5, units=8
        )
        self.assertEqual(len(model.vocabulary), 5)
        self.assertEqual(model.encode("force ; zebra").tolist()[-1], 0)

    def test_logits_shape_and_step_parity(self):
        model = self.small_model(num_layers=2)
        ids = model.encode(self.text[:12])[None, :]
        logits = ops.convert_to_numpy(model(ids))
        self.assertEqual(logits.shape, (1, 12, model.vocabulary_size))
        # prefill + next gives the logits of the fused pass, step by step.
        state = model.prefill(ops.convert_to_tensor(ids[:, :5]))
        prompt = ops.convert_to_tensor(ids)
        for index in range(6, 12):
            step_logits, _, state = model.next(prompt, state, index)
            step_logits = ops.convert_to_numpy(step_logits)
            # The out-of-vocabulary token is banned in generation only.
            self.assertAllClose(
                step_logits[0, 1:], logits[0, index - 1, 1:], atol=1e-5
            )
            self.assertLess(step_logits[0, 0], -1e8)

    def test_frozen_next_matches_next(self):
        model = self.small_model(num_layers=2, cell="gru")
        prompt = ops.convert_to_tensor(model.encode(self.text[:12])[None, :])
        state = model.prefill(prompt[:, :5])
        # On every backend: torch's fused cells, elsewhere the projected
        # embedding table (`RecurrentStack.token_step`).
        self.assertIsNotNone(model.frozen_next())
        self.run_frozen_next_test(model, prompt, state, range(6, 12))
        # Half precision has no shortcut: `generate` then uses `next`.
        self.assertIsNone(self.small_model(dtype="mixed_float16").frozen_next())

    def test_generation_through_the_shortcut_matches_next(self):
        # `generate` runs `frozen_next` where a model has one; a twin
        # without it runs `next`. Greedy and beam search pick the same
        # tokens, and the beam scores agree.
        model = self.small_model(units=32, num_layers=2)
        rng = np.random.default_rng(0)
        model.set_weights(
            [rng.normal(scale=0.5, size=w.shape) for w in model.get_weights()]
        )
        twin = self.small_model(units=32, num_layers=2)
        twin.set_weights(model.get_weights())
        twin.frozen_next = lambda: None
        prompt = ["to be", "that is"]
        self.assertEqual(
            model.generate(prompt, 30, sampler="greedy"),
            twin.generate(prompt, 30, sampler="greedy"),
        )
        beam = decoding.BeamSearch(num_beams=3, num_results=2)
        ids = ops.convert_to_tensor(
            np.stack([model.encode("to be"), model.encode("that ")])
        )
        results = [
            decoding.generate(m, ids, 12, sampler=beam) for m in (model, twin)
        ]
        self.assertAllEqual(results[0]["token_ids"], results[1]["token_ids"])
        self.assertAllClose(results[0]["scores"], results[1]["scores"])

    def test_stream_reads_the_weights_once_on_torch(self):
        # On torch a stream steps through `frozen_next`, made once per
        # stream (so it sees the weights as they are when the stream
        # starts); the compiled steps of JAX and TensorFlow call `next`.
        model = self.small_model(units=32)
        calls = []
        frozen_next = model.frozen_next
        model.frozen_next = lambda: calls.append(1) or frozen_next()
        expected = model.generate("to be", 20, sampler="greedy")
        calls.clear()
        for _ in range(2):
            pieces = model.generate_stream("to be", 20, sampler="greedy")
            streamed = "".join(pieces)
            self.assertEqual("to be" + streamed, expected)
        torch = keras.config.backend() == "torch"
        self.assertEqual(len(calls), 2 if torch else 0)

    def test_decoding_without_the_shortcut_is_announced_once(self):
        model = self.small_model(units=32)
        twin = self.small_model(units=32)
        twin.set_weights(model.get_weights())
        twin.frozen_next = lambda: None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(2):
                text = twin.generate("to be", 10, sampler="greedy")
                list(twin.generate_stream("to be", 10, sampler="greedy"))
            model.generate("to be", 10, sampler="greedy")
        self.assertEqual(text, model.generate("to be", 10, sampler="greedy"))
        messages = [
            str(w.message)
            for w in caught
            if "decoding shortcut" in str(w.message)
        ]
        if keras.config.backend() == "torch":
            # Once for the twin, whatever it runs; never for the model.
            self.assertEqual(len(messages), 1, messages)
            self.assertIn(repr(twin.name), messages[0])
            self.assertIn("float32", messages[0])
        else:
            # JAX and TensorFlow compile the step: nothing to announce.
            self.assertEqual(messages, [])

    def test_training_on_shakespeare_lowers_bits_per_character(self):
        train, val = text_datasets.load_data(
            "tinyshakespeare", path=self.get_data_dir()
        )
        train, val = train[:30_000], val[:3_000]
        model = TextGenerator.from_text(train, units=32, embedding_dim=16)
        before = model.bits_per_character(val)
        self.assertGreater(before, math.log2(model.vocabulary_size) - 0.5)
        history = model.fit(
            model.make_dataset(train, 50, 32, seed=0), epochs=3, verbose=0
        )
        losses = history.history["loss"]
        self.assertLess(losses[-1], losses[0])
        after = model.bits_per_character(val)
        self.assertLess(after, before - 1.0)
        # For characters, perplexity and bits per character are two views
        # of one loss.
        self.assertAllClose(math.log2(model.perplexity(val)), after, atol=1e-4)

    def test_likelihood_carries_state_across_chunks(self):
        model = self.small_model()
        text = self.text[:40]
        ids = model.encode(text)
        logits = model(ids[None, :-1])
        expected = ops.convert_to_numpy(
            ops.sum(
                keras.losses.sparse_categorical_crossentropy(
                    ids[None, 1:], logits, from_logits=True
                )
            )
        )
        nats, tokens, characters = model.negative_log_likelihood(
            [text, text[:10]], chunk_length=7
        )
        self.assertEqual((tokens, characters), (39 + 9, 39 + 9))
        single, _, _ = model.negative_log_likelihood(text, chunk_length=7)
        self.assertAllClose(single, expected, atol=1e-3, rtol=1e-5)

    def test_generate_text(self):
        model = self.small_model()
        text = model.generate("to be", 12, sampler="greedy")
        self.assertIsInstance(text, str)
        self.assertTrue(text.startswith("to be"))
        self.assertEqual(len(text), 5 + 12)
        self.assertNotIn("[UNK]", text)
        texts = model.generate(["to", "q"], 4, temperature=0.7, seed=1)
        self.assertEqual([len(t) for t in texts], [6, 5])
        self.assertEqual(
            texts, model.generate(["to", "q"], 4, temperature=0.7, seed=1)
        )
        # Unknown characters in a prompt are read, not refused.
        self.assertTrue(model.generate("zZ", 3).startswith("[UNK][UNK]"))
        beams = model.generate(
            "to", 5, sampler=decoding.BeamSearch(num_beams=3, num_results=2)
        )
        self.assertEqual(len(beams), 2)
        self.assertTrue(all(b.startswith("to") for b in beams))

    def test_stream_gives_the_text_of_generate(self):
        # Greedy: the decoded prompt and the streamed pieces are the text of
        # `generate`, for characters and for words (trained a little, so
        # that punctuation and line breaks, which take no space before
        # them, come out).
        words = self.small_model(level="word")
        words.fit(
            words.make_dataset(self.text * 4, 8, 4, seed=0),
            epochs=20,
            verbose=0,
        )
        for model, prompt in ((self.small_model(), "to bZ"), (words, "to")):
            pieces = list(model.generate_stream(prompt, 12, sampler="greedy"))
            self.assertLen(pieces, 12)
            self.assertEqual(
                model.decode(model.encode(prompt)) + "".join(pieces),
                model.generate(prompt, 12, sampler="greedy"),
            )
        self.assertIn(" be", pieces)
        self.assertTrue({",", ":", ".", "\n"} & set(pieces), pieces)
        # Sampled, with a seed: the same pieces again.
        sampled = words.generate_stream("to", 12, temperature=0.8, seed=3)
        self.assertEqual(
            list(sampled),
            list(words.generate_stream("to", 12, temperature=0.8, seed=3)),
        )

    def test_invalid_arguments(self):
        model = self.small_model()
        with self.assertRaisesRegex(ValueError, "empty prompt"):
            model.generate("", 5)
        with self.assertRaisesRegex(ValueError, "`max_length`"):
            model.generate("to", 0)
        with self.assertRaisesRegex(ValueError, "`max_length`"):
            model.generate("to", -3)
        with self.assertRaisesRegex(TypeError, "`prompt`"):
            model.generate(3, 5)
        # No prompts give no texts, as `Seq2SeqTranslator.translate`; the
        # length is still checked.
        self.assertEqual(model.generate([], 5), [])
        with self.assertRaisesRegex(ValueError, "`max_length`"):
            model.generate([], 0)
        with self.assertRaisesRegex(ValueError, "`texts`.*empty list"):
            model.perplexity([])
        with self.assertRaisesRegex(ValueError, "`text`.*at least one"):
            TextGenerator.from_text("   ", level="word")
        with self.assertRaisesRegex(ValueError, "`vocabulary`.*empty list"):
            TextGenerator([])
        # A stream checks its arguments when it is made.
        with self.assertRaisesRegex(TypeError, "`prompt`.*use `generate`"):
            model.generate_stream(["to", "be"], 5)
        with self.assertRaisesRegex(ValueError, "empty prompt"):
            model.generate_stream("", 5)
        with self.assertRaisesRegex(ValueError, "`max_length`"):
            model.generate_stream("to", 0)
        with self.assertRaisesRegex(ValueError, "beam search"):
            model.generate_stream("to", 5, sampler="beam")
        with self.assertRaisesRegex(ValueError, "`level`"):
            TextGenerator(["a"], level="byte")
        with self.assertRaisesRegex(ValueError, "single characters"):
            TextGenerator(["ab"])
        with self.assertRaisesRegex(ValueError, "unique"):
            TextGenerator(["a", "a"])
        with self.assertRaisesRegex(ValueError, "reserved"):
            TextGenerator(["[UNK]"], level="word")
        with self.assertRaisesRegex(ValueError, "too short"):
            model.make_dataset("to be", 10, 4)
        with self.assertRaisesRegex(ValueError, "`token_ids`"):
            model(np.zeros((2, 3, 1), "int32"))

    def test_saving_keeps_vocabulary_and_generation_settings(self):
        model = self.small_model(
            sampler=decoding.BeamSearch(num_beams=2, length_penalty=1.0)
        )
        model.fit(model.make_dataset(self.text, 10, 4, seed=0), verbose=0)
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertIsInstance(restored, TextGenerator)
        self.assertEqual(restored.vocabulary, model.vocabulary)
        self.assertIsInstance(restored.sampler, decoding.BeamSearch)
        self.assertEqual(
            restored.sampler.get_config(), model.sampler.get_config()
        )
        ids = model.encode(self.text[:20])[None, :]
        self.assertAllClose(restored(ids), model(ids), atol=1e-6)
        self.assertEqual(restored.generate("to", 8), model.generate("to", 8))
        # Training goes on with the restored optimizer.
        restored.fit(restored.make_dataset(self.text, 10, 4, seed=0), verbose=0)
