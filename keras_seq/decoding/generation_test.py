import math
from unittest import mock

import keras
import numpy as np
from absl.testing import parameterized
from keras import ops

from keras_seq import decoding
from keras_seq.applications import TextGenerator
from keras_seq.decoding import generation
from keras_seq.testing import TestCase
from keras_seq.utils.devices import uses_gpu

VOCABULARY_SIZE = 4
END = 3


class MarkovModel(keras.Model):
    """A tiny model with the generation contract and a known distribution.

    The logits of the next token are `table[previous token] + drift * s`,
    where the state `s` is the sum of the tokens read so far, so beam search
    must carry the state of each hypothesis correctly to score it right.
    """

    def __init__(self, table, drift=0.1, source_length=5):
        super().__init__()
        self.drift = drift
        self.source_length = source_length
        self.table = self.add_weight(
            shape=table.shape,
            initializer=keras.initializers.Constant(table),
            trainable=False,
            name="table",
        )

    def prefill(self, tokens, context=None):
        return ops.sum(ops.cast(tokens, "float32"), axis=1, keepdims=True)

    def next(self, prompt, state, index):
        token = prompt[:, index - 1]
        state = state + ops.cast(token[:, None], "float32")
        logits = ops.take(self.table, token, axis=0) + self.drift * state
        return logits, None, state

    def attention_scores(self, token_ids, context):
        positions = ops.arange(self.source_length, dtype="float32")
        scores = ops.cast(token_ids, "float32")[..., None] * positions
        return ops.softmax(scores + context[:, None, :], axis=-1)

    def log_probs(self, sequence):
        """Per-step log-probabilities of `sequence` (numpy reference)."""
        table = ops.convert_to_numpy(self.table)
        logits = table[sequence[-1]] + self.drift * sum(sequence)
        return logits - np.log(np.exp(logits).sum())


class ContextMarkovModel(MarkovModel):
    """`MarkovModel` plus a per-sequence bias on the logits, read from the
    context into the cache once and passed through every `next` unchanged:
    the kind of cache entry (encoder outputs) that beam search does not
    reorder."""

    def prefill(self, tokens, context=None):
        return {"sum": super().prefill(tokens), "bias": context}

    def next(self, prompt, cache, index):
        logits, _, total = super().next(prompt, cache["sum"], index)
        return logits + cache["bias"], None, {**cache, "sum": total}


def exhaustive_search(model, prompt, max_length, length_penalty):
    """Every continuation of `prompt`, best first, by GNMT-normalised score."""
    finished = []

    def extend(sequence, log_prob):
        step = model.log_probs(sequence)
        for token in range(VOCABULARY_SIZE):
            new, total = sequence + [token], log_prob + step[token]
            generated = len(new) - len(prompt)
            if token == END or generated == max_length:
                normalizer = ((5 + generated) / 6) ** length_penalty
                finished.append((total / normalizer, new))
            else:
                extend(new, total)

    extend(list(prompt), 0.0)
    return sorted(finished, key=lambda item: -item[0])


class GenerateTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(7)
        self.table = rng.normal(size=(VOCABULARY_SIZE, VOCABULARY_SIZE))
        self.model = MarkovModel(self.table.astype("float32"))

    @parameterized.named_parameters(("no_penalty", 0.0), ("gnmt", 0.6))
    def test_beam_search_matches_exhaustive_search(self, length_penalty):
        max_length = 4
        expected = exhaustive_search(
            self.model, [1, 2], max_length, length_penalty
        )
        # 27 beams hold every live prefix of up to three tokens.
        sampler = decoding.BeamSearch(
            num_beams=27, length_penalty=length_penalty, num_results=5
        )
        outputs = decoding.generate(
            self.model,
            np.array([[1, 2]]),
            max_length,
            sampler=sampler,
            end_token_id=END,
        )
        self.assertEqual(outputs["token_ids"].shape, (1, 5, 2 + max_length))
        for rank, (score, sequence) in enumerate(expected[:5]):
            kept = outputs["padding_mask"][0, rank]
            self.assertEqual(
                outputs["token_ids"][0, rank][kept].tolist(), sequence
            )
            self.assertAllClose(outputs["scores"][0, rank], score, atol=1e-4)
        # After the end token: padding, masked out.
        self.assertTrue(
            np.all(outputs["token_ids"][0][~outputs["padding_mask"][0]] == 0)
        )

    def test_one_beam_without_end_token_is_greedy(self):
        prompt = np.array([[1], [2], [0]])
        greedy = decoding.generate(self.model, prompt, 6, sampler="greedy")
        beam = decoding.generate(
            self.model,
            prompt,
            6,
            sampler=decoding.BeamSearch(num_beams=1, length_penalty=0.0),
        )
        self.assertEqual(
            beam["token_ids"].tolist(), greedy["token_ids"].tolist()
        )
        # Greedy picks the arg-max of each step's distribution.
        for row in greedy["token_ids"]:
            for index in range(1, len(row)):
                step = self.model.log_probs(list(row[:index]))
                self.assertEqual(row[index], int(np.argmax(step)))

    def test_ragged_prompts_are_kept_and_decoded_independently(self):
        prompts = [[1, 2, 1, 0], [2]]
        together = decoding.generate(self.model, prompts, 5, sampler="greedy")
        for row, prompt in enumerate(prompts):
            alone = decoding.generate(self.model, [prompt], 5, sampler="greedy")
            width = len(prompt) + 5
            self.assertEqual(
                together["token_ids"][row, :width].tolist(),
                alone["token_ids"][0].tolist(),
            )
            self.assertEqual(
                together["token_ids"][row, : len(prompt)].tolist(), prompt
            )
        # The shorter prompt generates 5 tokens, the padding after it is masked.
        self.assertEqual(together["padding_mask"].sum(axis=1).tolist(), [9, 6])

    def test_beam_search_over_ragged_prompts(self):
        prompts = [[1, 2, 1], [2]]
        sampler = decoding.BeamSearch(num_beams=3, num_results=2)
        together = decoding.generate(
            self.model, prompts, 4, sampler=sampler, end_token_id=END
        )
        for row, prompt in enumerate(prompts):
            alone = decoding.generate(
                self.model, [prompt], 4, sampler=sampler, end_token_id=END
            )
            self.assertAllClose(together["scores"][row], alone["scores"][0])
            for rank in range(2):
                kept = together["padding_mask"][row, rank]
                self.assertEqual(
                    together["token_ids"][row, rank][kept].tolist(),
                    alone["token_ids"][0, rank][
                        alone["padding_mask"][0, rank]
                    ].tolist(),
                )

    def test_beam_search_keeps_each_sequence_context(self):
        # Two sequences with different biases in their cache: each one's
        # beams must keep reading its own bias as they are reordered.
        biases = np.array([[0.0, 2.0, -1.0, 0.0], [1.5, -2.0, 0.0, 0.5]])
        model = ContextMarkovModel(self.table.astype("float32"))
        sampler = decoding.BeamSearch(
            num_beams=27, length_penalty=0.6, num_results=3
        )
        outputs = decoding.generate(
            model,
            np.array([[1, 2], [1, 2]]),
            4,
            context=biases.astype("float32"),
            sampler=sampler,
            end_token_id=END,
        )
        for row, bias in enumerate(biases):
            reference = MarkovModel(self.table.astype("float32") + bias)
            expected = exhaustive_search(reference, [1, 2], 4, 0.6)
            for rank, (score, sequence) in enumerate(expected[:3]):
                kept = outputs["padding_mask"][row, rank]
                self.assertEqual(
                    outputs["token_ids"][row, rank][kept].tolist(), sequence
                )
                self.assertAllClose(
                    outputs["scores"][row, rank], score, atol=1e-4
                )

    def test_end_token_stops_each_sequence(self):
        table = np.full((VOCABULARY_SIZE, VOCABULARY_SIZE), -5.0, "float32")
        table[1, 2] = table[2, END] = table[0, 1] = table[END, 1] = 5.0
        model = MarkovModel(table, drift=0.0)
        outputs = decoding.generate(
            model, np.array([[1], [0]]), 8, end_token_id=END
        )
        self.assertEqual(outputs["token_ids"][0, :3].tolist(), [1, 2, END])
        self.assertEqual(outputs["token_ids"][1, :4].tolist(), [0, 1, 2, END])
        self.assertEqual(outputs["padding_mask"].sum(axis=1).tolist(), [3, 4])
        self.assertTrue(
            np.all(outputs["token_ids"][~outputs["padding_mask"]] == 0)
        )

    def test_end_token_with_ragged_prompts(self):
        # 0 -> 1 -> 2 -> END: the first row reaches its limit (two tokens)
        # before its end token; the second ends at once, one step earlier
        # than its own limit.
        table = np.full((VOCABULARY_SIZE, VOCABULARY_SIZE), -5.0, "float32")
        table[0, 1] = table[1, 2] = table[2, END] = table[END, 1] = 5.0
        model = MarkovModel(table, drift=0.0)
        prompts = [[0], [2, 2]]
        outputs = decoding.generate(model, prompts, 2, end_token_id=END)
        self.assertEqual(outputs["token_ids"][0, :3].tolist(), [0, 1, 2])
        self.assertEqual(outputs["token_ids"][1, :3].tolist(), [2, 2, END])
        self.assertEqual(outputs["padding_mask"].sum(axis=1).tolist(), [3, 3])
        for row, prompt in enumerate(prompts):
            alone = decoding.generate(model, [prompt], 2, end_token_id=END)
            width = alone["token_ids"].shape[1]
            self.assertEqual(
                outputs["token_ids"][row, :width].tolist(),
                alone["token_ids"][0].tolist(),
            )

    @parameterized.named_parameters(("greedy", "greedy"), ("beam", "beam"))
    def test_min_length_and_no_repeat_ngram(self, sampler):
        table = np.full((VOCABULARY_SIZE, VOCABULARY_SIZE), 0.0, "float32")
        table[:, END] = 4.0  # the end token is by far the likeliest
        table[1, 2] = table[2, 1] = 3.0  # then 1 2 1 2 ...
        model = MarkovModel(table, drift=0.0)
        outputs = decoding.generate(
            model,
            np.array([[1]]),
            9,
            sampler=sampler,
            end_token_id=END,
            min_length=6,
            no_repeat_ngram_size=2,
        )
        row = outputs["token_ids"][0][outputs["padding_mask"][0]].tolist()
        self.assertEqual(row[-1], END)
        self.assertGreaterEqual(len(row) - 1, 6)  # tokens generated
        self.assertNotIn(END, row[:-1])
        bigrams = list(zip(row, row[1:]))
        self.assertEqual(len(bigrams), len(set(bigrams)), row)

    def test_seeded_sampling_is_reproducible(self):
        model = MarkovModel(np.zeros((4, 4), "float32"), drift=0.0)
        prompt = np.ones((2, 1), "int32")
        first = decoding.generate(model, prompt, 30, sampler="random", seed=3)
        again = decoding.generate(model, prompt, 30, sampler="random", seed=3)
        other = decoding.generate(model, prompt, 30, sampler="random", seed=4)
        self.assertEqual(
            first["token_ids"].tolist(), again["token_ids"].tolist()
        )
        self.assertNotEqual(
            first["token_ids"].tolist(), other["token_ids"].tolist()
        )
        # Uniform logits: every token is drawn.
        self.assertEqual(set(first["token_ids"][:, 1:].ravel()), {0, 1, 2, 3})
        # Three calls, one compiled function (the seed is not part of it).
        self.assertEqual(decoding.compiled_functions(model), 1)

    @parameterized.named_parameters(("greedy", "greedy"), ("random", "random"))
    def test_rows_decoded_in_halves_match_the_whole_batch(self, sampler):
        # From MIN_ROWS_TO_HALVE rows, JAX on a CPU runs the model on each
        # half of the rows with its own cache (a dict here, with an entry
        # `next` passes through); the sampler still reads every row's
        # logits, so tokens, bans and the random stream are unchanged.
        rows = generation.MIN_ROWS_TO_HALVE + 3
        rng = np.random.default_rng(0)
        prompts = [
            list(rng.integers(0, 3, rng.integers(1, 4))) for _ in range(rows)
        ]
        context = rng.normal(size=(rows, VOCABULARY_SIZE)).astype("float32")
        options = dict(
            context=context,
            sampler=sampler,
            seed=5,
            end_token_id=END,
            min_length=2,
            no_repeat_ngram_size=3,
        )
        table = self.table.astype("float32")
        halved = ContextMarkovModel(table)
        with mock.patch.object(
            generation, "_row_halves", wraps=generation._row_halves
        ) as row_halves:
            outputs = decoding.generate(halved, prompts, 12, **options)
        on_jax_cpu = keras.config.backend() == "jax" and not uses_gpu()
        self.assertEqual(row_halves.call_count, 1 if on_jax_cpu else 0)
        whole = ContextMarkovModel(table)
        with mock.patch.object(generation, "MIN_ROWS_TO_HALVE", rows + 1):
            expected = decoding.generate(whole, prompts, 12, **options)
        for name in ("token_ids", "padding_mask"):
            self.assertEqual(
                outputs[name].tolist(), expected[name].tolist(), name
            )
        # Some rows ended early: the end token and the bans took part.
        self.assertLess(outputs["padding_mask"].sum(axis=1).min(), 15)

    def test_text_generator_halves_decode_as_each_half_alone(self):
        # The JAX step of a TextGenerator reads its token table (see
        # `RecurrentStack.token_step`); each half runs exactly the step of
        # a batch of its own size, so the tokens are those of the halves
        # decoded alone, to the bit.
        model = TextGenerator(list("abcdefgh "), units=32, embedding_dim=8)
        rows = generation.MIN_ROWS_TO_HALVE
        prompt = np.random.default_rng(1).integers(2, 9, (rows, 3))
        both = decoding.generate(model, prompt.astype("int32"), 20)
        half = rows // 2
        for part in (slice(0, half), slice(half, rows)):
            alone = decoding.generate(model, prompt[part].astype("int32"), 20)
            self.assertEqual(
                both["token_ids"][part].tolist(), alone["token_ids"].tolist()
            )

    def test_top_k_of_one_is_greedy_and_compiled_once_per_sampler(self):
        prompt = np.array([[1], [2]])
        greedy = decoding.generate(self.model, prompt, 6, sampler="greedy")
        for _ in range(2):
            top_k = decoding.generate(
                self.model,
                prompt,
                6,
                sampler=decoding.get_sampler("top_k", k=1, seed=0),
            )
        self.assertEqual(
            top_k["token_ids"].tolist(), greedy["token_ids"].tolist()
        )
        self.assertEqual(decoding.compiled_functions(self.model), 2)

    def test_compiled_function_reads_new_weights(self):
        prompt = np.array([[0]])
        before = decoding.generate(self.model, prompt, 3, sampler="greedy")
        table = np.full((4, 4), -5.0, "float32")
        table[:, 2] = 5.0
        self.model.table.assign(table)
        after = decoding.generate(self.model, prompt, 3, sampler="greedy")
        self.assertEqual(after["token_ids"].tolist(), [[0, 2, 2, 2]])
        self.assertNotEqual(
            before["token_ids"].tolist(), after["token_ids"].tolist()
        )

    def test_stream_yields_the_greedy_tokens(self):
        prompt = np.array([[1, 2], [2, 0]])
        outputs = decoding.generate(self.model, prompt, 7, sampler="greedy")
        streamed = list(decoding.generate_stream(self.model, prompt, 7))
        self.assertEqual(len(streamed), 7)
        self.assertEqual(
            np.stack(streamed, axis=1).tolist(),
            outputs["token_ids"][:, 2:].tolist(),
        )

    def test_streams_keep_their_sampler_and_compile_once(self):
        # Two unseeded sampled streams continue one random state, so they
        # differ; a seed starts it again. JAX and TensorFlow compile the
        # step and the prefill once; torch compiles no step (each stream
        # steps eagerly through the weights as they are), only the prefill.
        model = MarkovModel(np.zeros((4, 4), "float32"), drift=0.0)
        prompt = np.array([[1], [2]])

        def stream(**kwargs):
            pieces = decoding.generate_stream(
                model, prompt, 30, sampler="random", **kwargs
            )
            return np.stack(list(pieces), axis=1).tolist()

        first, second = stream(), stream()
        self.assertNotEqual(first, second)
        self.assertEqual(stream(seed=5), stream(seed=5))
        torch = keras.config.backend() == "torch"
        self.assertEqual(decoding.compiled_functions(model), 1 if torch else 2)

    def test_attention_for_every_result(self):
        context = np.zeros((2, 5), "float32")
        outputs = decoding.generate(
            self.model,
            np.array([[1], [2]]),
            4,
            context=context,
            sampler=decoding.BeamSearch(num_beams=3, num_results=2),
            return_attention=True,
        )
        self.assertEqual(outputs["attention"].shape, (2, 2, 5, 5))
        self.assertAllClose(
            outputs["attention"].sum(-1), np.ones((2, 2, 5)), atol=1e-5
        )

    def test_invalid_arguments(self):
        cases = [
            (
                dict(prompt=np.zeros((1, 0), "int32")),
                ValueError,
                "empty prompt",
            ),
            (dict(prompt=[[]]), ValueError, "empty prompt"),
            (dict(max_length=0), ValueError, "`max_length`"),
            (dict(sampler="nucleus"), ValueError, "'top_p'"),
            (dict(min_length=2), ValueError, "without `end_token_id`"),
            (dict(prompt=np.ones((2,), "int32")), ValueError, "`prompt`"),
            (dict(prompt=np.ones((1, 2), "float32")), ValueError, "integer"),
            (
                dict(prompt_mask=np.array([[False, True]])),
                ValueError,
                "must come first",
            ),
            (
                dict(sampler=decoding.BeamSearch(), temperature=0.5),
                ValueError,
                "`temperature`",
            ),
            (dict(no_repeat_ngram_size=-1), ValueError, "no_repeat_ngram_size"),
        ]
        for kwargs, error, message in cases:
            arguments = dict(prompt=np.ones((1, 2), "int32"), max_length=3)
            arguments.update(kwargs)
            with self.assertRaisesRegex(error, message):
                decoding.generate(self.model, **arguments)
        with self.assertRaisesRegex(TypeError, "lacks `prefill`"):
            decoding.generate(
                keras.layers.Dense(2), np.ones((1, 1), "int32"), 2
            )
        # A stream checks its arguments when it is made, not when the first
        # token is asked for.
        with self.assertRaisesRegex(ValueError, "beam"):
            decoding.generate_stream(
                self.model, np.ones((1, 1), "int32"), 2, sampler="beam"
            )
        with self.assertRaisesRegex(ValueError, "`max_length`"):
            decoding.generate_stream(self.model, np.ones((1, 1), "int32"), 0)
        with self.assertRaisesRegex(ValueError, "no attention"):
            decoding.generate(
                WithoutAttention(self.table.astype("float32")),
                np.ones((1, 1), "int32"),
                2,
                return_attention=True,
            )


class WithoutAttention(MarkovModel):
    attention_scores = None


def test_exhaustive_reference_is_a_distribution():
    # The reference itself: the continuations' probabilities sum to one.
    table = np.random.default_rng(1).normal(size=(4, 4)).astype("float32")
    results = exhaustive_search(MarkovModel(table), [1], 3, length_penalty=0.0)
    assert abs(sum(math.exp(score) for score, _ in results) - 1.0) < 1e-5
    # Ended after one or two tokens, or any third token.
    assert len(results) == 1 + 3 + 9 * 4
