import keras
import numpy as np
from absl.testing import parameterized

from keras_seq.layers.attention_decoder import AttentionDecoder
from keras_seq.testing import TestCase


class AttentionDecoderTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.target_embeddings = rng.normal(size=(3, 6, 5)).astype("float32")
        # A bidirectional-encoder-sized memory, wider than the decoder.
        self.encoder_outputs = rng.normal(size=(3, 7, 9)).astype("float32")
        # Right-padded sources of lengths 7, 3 and 5.
        self.encoder_mask = np.arange(7)[None, :] < np.array([[7], [3], [5]])

    def inputs(self, **extra):
        return {
            "target_embeddings": self.target_embeddings,
            "encoder_outputs": self.encoder_outputs,
            "encoder_mask": self.encoder_mask,
            **extra,
        }

    @parameterized.product(
        cell=["lstm", "gru"], attention=["luong", "bahdanau"]
    )
    def test_layer_behaviors(self, cell, attention):
        self.run_layer_test(
            AttentionDecoder,
            init_kwargs={
                "cell": cell,
                "units": 4,
                "attention": attention,
                "num_layers": 2,
                "dropout": 0.1,
            },
            input_data=self.inputs(),
            call_kwargs={"return_attention_scores": True},
            expected_output_shape=((3, 6, 4), (3, 6, 7)),
        )

    def test_bahdanau_attention_units(self):
        decoder = AttentionDecoder(
            "gru", 4, attention="bahdanau", attention_units=11
        )
        decoder(**self.inputs())
        self.assertEqual(
            decoder.compute_keys(self.encoder_outputs).shape[-1], 11
        )
        self.assertEqual(tuple(decoder.attention_layer.scale.shape), (11,))

    @parameterized.product(
        cell=["lstm", "gru"],
        attention=["luong", "bahdanau"],
        num_layers=[1, 2],
    )
    def test_step_matches_call(self, cell, attention, num_layers):
        # The parity the generation engine relies on: decoding token by token
        # with `step` gives the teacher-forced outputs of `call`, to 1e-5.
        decoder = AttentionDecoder(
            cell, 8, attention=attention, num_layers=num_layers
        )
        # A non-zero initial state, as an encoder would provide.
        rng = np.random.default_rng(1)
        state = [
            [
                rng.normal(size=(3, 8)).astype("float32")
                for _ in range(2 if cell == "lstm" else 1)
            ]
            for _ in range(num_layers)
        ]
        outputs, scores = decoder(
            **self.inputs(initial_state=state), return_attention_scores=True
        )
        keys = decoder.compute_keys(self.encoder_outputs)
        stepped_outputs, stepped_scores = [], []
        for t in range(self.target_embeddings.shape[1]):
            output, state, step_scores = decoder.step(
                self.target_embeddings[:, t],
                state,
                self.encoder_outputs,
                self.encoder_mask,
                encoder_keys=keys if t % 2 else None,
            )
            stepped_outputs.append(keras.ops.convert_to_numpy(output))
            stepped_scores.append(keras.ops.convert_to_numpy(step_scores))
        # On a GPU the sequence kernel (cuDNN) and the one-step cell sum in
        # different orders: 1.9e-5 apart was seen on an H100.
        self.assertAllClose(
            outputs, np.stack(stepped_outputs, axis=1), atol=5e-5, rtol=0
        )
        self.assertAllClose(
            scores, np.stack(stepped_scores, axis=1), atol=5e-5, rtol=0
        )

    @parameterized.product(
        cell=["lstm", "gru"], attention=["luong", "bahdanau"]
    )
    def test_frozen_step_matches_step(self, cell, attention):
        decoder = AttentionDecoder(cell, 8, attention=attention, num_layers=2)
        decoder(**self.inputs())
        frozen = decoder.frozen_step()
        if keras.config.backend() != "torch":
            # Only torch's eager loop reads weights per token.
            self.assertIsNone(frozen)
            return
        self.assertIsNotNone(frozen, "the torch shortcut must apply")
        encoder_outputs = keras.ops.convert_to_tensor(self.encoder_outputs)
        encoder_mask = keras.ops.convert_to_tensor(self.encoder_mask)
        keys = decoder.compute_keys(encoder_outputs)
        state = frozen_state = decoder.get_initial_state(batch_size=3)
        for t in range(self.target_embeddings.shape[1]):
            embedding = keras.ops.convert_to_tensor(
                self.target_embeddings[:, t]
            )
            output, state, scores = decoder.step(
                embedding, state, encoder_outputs, encoder_mask, keys
            )
            frozen_output, frozen_state, frozen_scores = frozen(
                embedding,
                frozen_state,
                encoder_outputs,
                encoder_mask,
                encoder_keys=keys if t % 2 else None,
            )
            self.assertAllClose(output, frozen_output, atol=1e-6)
            self.assertAllClose(scores, frozen_scores, atol=1e-6)
        self.assertAllClose(state, frozen_state, atol=1e-6)
        # Half precision has no shortcut: the engine then uses `step`.
        half = AttentionDecoder(cell, 8, dtype="mixed_float16")
        half(**self.inputs())
        self.assertIsNone(half.frozen_step())

    @parameterized.parameters("luong", "bahdanau")
    def test_padded_encoder_positions_are_ignored(self, attention):
        decoder = AttentionDecoder("lstm", 4, attention=attention)
        outputs, scores = decoder(**self.inputs(), return_attention_scores=True)
        scores = keras.ops.convert_to_numpy(scores)
        self.assertAllClose(scores.sum(axis=-1), np.ones((3, 6)), atol=1e-5)
        padding = np.broadcast_to(~self.encoder_mask[:, None, :], scores.shape)
        self.assertEqual(float(np.abs(scores[padding]).max()), 0.0)
        # Changing what lies under the padding changes nothing.
        noisy = self.encoder_outputs.copy()
        noisy[~self.encoder_mask] = 100.0
        self.assertAllClose(
            outputs,
            decoder(
                self.target_embeddings, noisy, encoder_mask=self.encoder_mask
            ),
            atol=1e-6,
        )

    def test_target_mask_keeps_state_over_padding(self):
        decoder = AttentionDecoder("gru", 4)
        target_mask = np.arange(6)[None, :] < np.array([[6], [2], [4]])
        outputs = decoder(**self.inputs(target_mask=target_mask))
        for row, length in enumerate([6, 2, 4]):
            alone = decoder(
                self.target_embeddings[row : row + 1, :length],
                self.encoder_outputs[row : row + 1],
                encoder_mask=self.encoder_mask[row : row + 1],
            )
            self.assertAllClose(
                outputs[row : row + 1, :length], alone, atol=1e-5
            )

    @parameterized.parameters("luong", "bahdanau")
    def test_saving(self, attention):
        self.run_model_saving_test(
            AttentionDecoder,
            init_kwargs={"cell": "lstm", "units": 4, "attention": attention},
            input_data=self.inputs(),
            call_kwargs={"return_attention_scores": True},
        )

    @parameterized.named_parameters(
        ("simple_rnn", {"cell": "simple_rnn"}, ValueError, "`cell`"),
        ("unknown_attention", {"attention": "dot"}, ValueError, "`attention`"),
        ("zero_units", {"units": 0}, ValueError, "`units`"),
        ("negative_layers", {"num_layers": -2}, ValueError, "`num_layers`"),
        (
            "attention_units_with_luong",
            {"attention_units": 8},
            ValueError,
            "`attention_units`",
        ),
        (
            "zero_attention_units",
            {"attention": "bahdanau", "attention_units": 0},
            ValueError,
            "`attention_units`",
        ),
    )
    def test_invalid_arguments(self, overrides, error, argument):
        kwargs = {"cell": "lstm", "units": 4, **overrides}
        with self.assertRaisesRegex(error, argument):
            AttentionDecoder(**kwargs)

    def test_invalid_inputs_and_states(self):
        decoder = AttentionDecoder("lstm", 4)
        decoder(**self.inputs())
        h = np.zeros((3, 4), "float32")
        cases = [
            (
                {"encoder_outputs": self.encoder_outputs[:, 0]},
                "encoder_outputs",
            ),
            (
                {"target_embeddings": self.target_embeddings[0]},
                "target_embeddings",
            ),
            ({"encoder_mask": self.encoder_mask[:, :, None]}, "encoder_mask"),
            ({"initial_state": [h, h]}, "initial_state"),
            ({"initial_state": [[h]]}, "initial_state"),
            ({"initial_state": [[h, h], [h, h]]}, "initial_state"),
        ]
        for overrides, argument in cases:
            with self.subTest(argument):
                with self.assertRaisesRegex(ValueError, f"`{argument}`"):
                    decoder(**self.inputs(**overrides))
        with self.assertRaisesRegex(ValueError, "`state`"):
            decoder.step(
                self.target_embeddings[:, 0], [h, h], self.encoder_outputs
            )
        with self.assertRaisesRegex(ValueError, "`target_embedding`"):
            decoder.step(self.target_embeddings, [[h, h]], self.encoder_outputs)
