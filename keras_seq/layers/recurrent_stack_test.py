from unittest import mock

import keras
import numpy as np
from absl.testing import parameterized

from keras_seq.layers import recurrent_stack
from keras_seq.layers.recurrent_paths_test import LAYERS
from keras_seq.layers.recurrent_paths_test import expected_path
from keras_seq.layers.recurrent_stack import RecurrentStack
from keras_seq.testing import TestCase

STATE_COUNT = {"lstm": 2, "gru": 1, "simple_rnn": 1}


class RecurrentStackTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.inputs = rng.normal(size=(3, 7, 5)).astype("float32")
        # Right-padded batch: real lengths 7, 4 and 1.
        self.lengths = [7, 4, 1]
        self.mask = np.arange(7)[None, :] < np.array(self.lengths)[:, None]

    @parameterized.product(
        cell=["lstm", "gru", "simple_rnn"],
        bidirectional=[False, True],
    )
    def test_layer_behaviors(self, cell, bidirectional):
        directions = 2 if bidirectional else 1
        state_shapes = [[(3, 4)] * STATE_COUNT[cell] * directions] * 2
        self.run_layer_test(
            RecurrentStack,
            init_kwargs={
                "cell": cell,
                "units": 4,
                "num_layers": 2,
                "bidirectional": bidirectional,
                "dropout": 0.1,
                "return_state": True,
            },
            input_data=self.inputs,
            expected_output_shape=((3, 7, 4 * directions), state_shapes),
            expected_num_trainable_weights=2 * 3 * directions,
        )

    def test_last_output_only(self):
        self.run_layer_test(
            RecurrentStack,
            init_kwargs={"cell": "gru", "units": 6, "return_sequences": False},
            input_data=self.inputs,
            expected_output_shape=(3, 6),
        )

    @parameterized.product(
        cell=["lstm", "gru", "simple_rnn"], bidirectional=[False, True]
    )
    def test_mask_matches_unpadded_sequences(self, cell, bidirectional):
        # Each padded sequence gives the same final states as the same
        # sequence run alone without padding.
        stack = RecurrentStack(
            cell,
            4,
            num_layers=2,
            bidirectional=bidirectional,
            return_state=True,
        )
        outputs, states = stack(self.inputs, mask=self.mask)
        for row, length in enumerate(self.lengths):
            alone_outputs, alone_states = stack(
                self.inputs[row : row + 1, :length]
            )
            self.assertAllClose(
                [[s[row : row + 1] for s in layer] for layer in states],
                alone_states,
                atol=1e-5,
            )
            self.assertAllClose(
                outputs[row : row + 1, :length], alone_outputs, atol=1e-5
            )
        # Every layer is keras_seq's, and took its fastest exact path.
        for layer in stack.recurrent_layers:
            if bidirectional:
                directions = [layer.forward_layer, layer.backward_layer]
            else:
                directions = [layer]
            for direction in directions:
                self.assertIsInstance(direction, LAYERS[cell][0])
                path = expected_path(cell, masked=True)
                self.assertEqual(set(direction.path_counts), {path})

    def test_mask_from_embedding_is_propagated(self):
        token_ids = np.array([[3, 5, 2, 0, 0], [4, 1, 1, 2, 6]])
        inputs = keras.Input((None,), dtype="int32")
        embedded = keras.layers.Embedding(8, 3, mask_zero=True)(inputs)
        outputs = RecurrentStack("gru", 4, return_sequences=False)(embedded)
        model = keras.Model(inputs, outputs)
        self.assertAllClose(
            model(token_ids[:1]), model(token_ids[:1, :3]), atol=1e-6
        )
        stack = RecurrentStack("lstm", 4)
        self.assertAllEqual(stack.compute_mask(None, self.mask), self.mask)

    @parameterized.parameters("lstm", "gru", "simple_rnn")
    def test_initial_state_continues_a_sequence(self, cell):
        stack = RecurrentStack(cell, 4, num_layers=2, return_state=True)
        full_outputs, full_states = stack(self.inputs)
        _, half_states = stack(self.inputs[:, :3])
        rest_outputs, rest_states = stack(
            self.inputs[:, 3:], initial_state=half_states
        )
        self.assertAllClose(full_outputs[:, 3:], rest_outputs, atol=1e-5)
        self.assertAllClose(full_states, rest_states, atol=1e-5)

    @parameterized.parameters("lstm", "gru", "simple_rnn")
    def test_step_matches_call(self, cell):
        stack = RecurrentStack(cell, 4, num_layers=3, return_state=True)
        stack.build(self.inputs.shape)
        # Every weight random, biases included: on torch, `step` runs
        # PyTorch's fused cells, whose gate order differs for the GRU.
        rng = np.random.default_rng(3)
        for weight in stack.weights:
            weight.assign(0.5 * rng.normal(size=weight.shape))
        outputs, final_states = stack(self.inputs)
        states = stack.get_initial_state(batch_size=3)
        stepped = []
        for t in range(self.inputs.shape[1]):
            output, states = stack.step(self.inputs[:, t], states)
            stepped.append(keras.ops.convert_to_numpy(output))
        self.assertAllClose(outputs, np.stack(stepped, axis=1), atol=1e-5)
        self.assertAllClose(final_states, states, atol=1e-5)

    @parameterized.parameters("lstm", "gru", "simple_rnn")
    def test_frozen_step_matches_step(self, cell):
        stack = RecurrentStack(cell, 4, num_layers=2)
        stack.build(self.inputs.shape)
        rng = np.random.default_rng(4)
        for weight in stack.weights:
            weight.assign(0.5 * rng.normal(size=weight.shape))
        original = recurrent_stack._torch_transposed_lstm
        made = []

        def transposed(*args, **kwargs):
            made.append(original(*args, **kwargs))
            return made[-1]

        with mock.patch.object(
            recurrent_stack, "_torch_transposed_lstm", transposed
        ):
            frozen = stack.frozen_step()
        if keras.config.backend() != "torch":
            # Only torch's eager loop reads weights per token.
            self.assertIsNone(frozen)
            return
        self.assertIsNotNone(frozen, "the fused torch path must apply")
        # On the CPU each LSTM layer steps with its gates transposed.
        self.assertEqual(len(made), 2 if cell == "lstm" else 0)
        self.assertNotIn(None, made)
        inputs = keras.ops.convert_to_tensor(self.inputs)
        states = stack.get_initial_state(batch_size=3)
        frozen_states = states
        for t in range(self.inputs.shape[1]):
            output, states = stack.step(inputs[:, t], states)
            frozen_output, frozen_states = frozen(inputs[:, t], frozen_states)
            self.assertAllClose(output, frozen_output, atol=1e-6)
        self.assertAllClose(states, frozen_states, atol=1e-6)
        # The weights are read when `frozen_step` is called, not later.
        first = inputs[:, 0]
        before = frozen(first, stack.get_initial_state(batch_size=3))[0]
        stack.weights[0].assign(np.zeros(stack.weights[0].shape))
        again = frozen(first, stack.get_initial_state(batch_size=3))[0]
        after = stack.frozen_step()(
            first, stack.get_initial_state(batch_size=3)
        )[0]
        self.assertAllClose(again, before)
        self.assertGreater(
            np.abs(
                keras.ops.convert_to_numpy(after)
                - keras.ops.convert_to_numpy(before)
            ).max(),
            1e-3,
        )

    @parameterized.parameters("lstm", "gru", "simple_rnn")
    def test_token_step_matches_step(self, cell):
        stack = RecurrentStack(cell, 4, num_layers=2)
        stack.build((None, None, 5))
        rng = np.random.default_rng(5)
        for weight in stack.weights:
            weight.assign(0.5 * rng.normal(size=weight.shape))
        table = rng.normal(size=(7, 5)).astype("float32")
        token_step = stack.token_step(table)
        if keras.config.backend() == "torch" and cell != "lstm":
            # There `frozen_step` runs PyTorch's fused cells instead.
            self.assertIsNone(token_step)
            return
        self.assertIsNotNone(token_step, "the projected table must apply")
        token_ids = rng.integers(0, 7, size=(6, 3)).astype("int32")
        if keras.config.backend() == "torch":
            # The eager loop hands over tensors; both integer widths.
            token_ids = [
                keras.ops.convert_to_tensor(ids, dtype)
                for ids, dtype in zip(token_ids, ["int32", "int64"] * 3)
            ]
        states = stack.get_initial_state(batch_size=3)
        token_states = states
        for ids in token_ids:
            rows = table[keras.ops.convert_to_numpy(ids)]
            output, states = stack.step(rows, states)
            token_output, token_states = token_step(ids, token_states)
            self.assertAllClose(output, token_output, atol=1e-6)
        self.assertAllClose(states, token_states, atol=1e-6)

    def test_token_step_declines_what_it_cannot_compute(self):
        table = np.zeros((7, 5), "float32")
        bidirectional = RecurrentStack("gru", 4, bidirectional=True)
        bidirectional.build((None, None, 5))
        self.assertIsNone(bidirectional.token_step(table))
        half = RecurrentStack("lstm", 4, dtype="mixed_bfloat16")
        half.build((None, None, 5))
        self.assertIsNone(half.token_step(table))

    @parameterized.product(cell=["lstm", "gru"], bidirectional=[False, True])
    def test_saving(self, cell, bidirectional):
        self.run_model_saving_test(
            RecurrentStack,
            init_kwargs={
                "cell": cell,
                "units": 4,
                "num_layers": 2,
                "bidirectional": bidirectional,
                "return_state": True,
            },
            input_data=self.inputs,
        )

    @parameterized.named_parameters(
        ("unknown_cell", {"cell": "transformer"}, ValueError, "`cell`"),
        ("cell_not_string", {"cell": 3}, TypeError, "`cell`"),
        ("zero_units", {"units": 0}, ValueError, "`units`"),
        ("negative_units", {"units": -1}, ValueError, "`units`"),
        ("float_units", {"units": 2.5}, TypeError, "`units`"),
        ("bool_units", {"units": True}, TypeError, "`units`"),
        ("zero_layers", {"num_layers": 0}, ValueError, "`num_layers`"),
        ("dropout_one", {"dropout": 1.0}, ValueError, "`dropout`"),
        ("dropout_string", {"dropout": "0.1"}, TypeError, "`dropout`"),
    )
    def test_invalid_arguments(self, overrides, error, argument):
        kwargs = {"cell": "lstm", "units": 4, **overrides}
        with self.assertRaisesRegex(error, argument):
            RecurrentStack(**kwargs)

    def test_invalid_inputs_and_states(self):
        stack = RecurrentStack("lstm", 4, num_layers=2, return_state=True)
        with self.assertRaisesRegex(ValueError, "`inputs`.*rank 3"):
            stack(self.inputs[:, 0])
        _, states = stack(self.inputs)
        bad_states = {
            "one layer only": states[:1],
            "flat list": [states[0][0], states[0][1]],
            "missing c": [states[0][:1], states[1]],
            "wrong units": [states[0], [np.zeros((3, 5))] * 2],
        }
        for description, bad in bad_states.items():
            with self.subTest(description):
                with self.assertRaisesRegex(ValueError, "`initial_state`"):
                    stack(self.inputs, initial_state=bad)
                with self.assertRaisesRegex(ValueError, "`states`"):
                    stack.step(self.inputs[:, 0], bad)
        with self.assertRaisesRegex(ValueError, "`inputs`.*rank 2"):
            stack.step(self.inputs, states)

    def test_step_refuses_bidirectional(self):
        stack = RecurrentStack("gru", 4, bidirectional=True)
        stack(self.inputs)
        with self.assertRaisesRegex(ValueError, "bidirectional"):
            stack.step(self.inputs[:, 0], [[np.zeros((3, 4))] * 2])
