import os
import warnings
from unittest import mock

import keras
import numpy as np
from absl.testing import parameterized
from keras import ops

from keras_seq.layers import GRU
from keras_seq.layers import LSTM
from keras_seq.layers import SimpleRNN
from keras_seq.layers import recurrent_paths
from keras_seq.testing import TestCase
from keras_seq.utils.devices import uses_gpu

LAYERS = {
    "lstm": (LSTM, keras.layers.LSTM),
    "gru": (GRU, keras.layers.GRU),
    "simple_rnn": (SimpleRNN, keras.layers.SimpleRNN),
}
KINDS = list(LAYERS)


def expected_path(kind, masked=False):
    """The path a default layer of the tests' widths takes on this machine:
    PyTorch's kernel on torch; cuDNN on a GPU with TensorFlow; else Keras's
    loop (on JAX on a GPU too: recurrent_paths.py says why)."""
    backend = keras.config.backend()
    if backend == "torch":
        return "native"
    if kind == "simple_rnn":
        return "keras"
    if backend == "tensorflow" and uses_gpu():
        return "cudnn"
    return "keras"


def _on_jax_gpu():
    return keras.config.backend() == "jax" and uses_gpu()


def _directions(kind, units, bidirectional, **kwargs):
    """A keras_seq layer and its Keras reference, in the generic loop."""
    cls, reference_cls = LAYERS[kind]
    layer = cls(units, **kwargs)
    if kind != "simple_rnn":  # which has no cuDNN path
        kwargs["use_cudnn"] = False
    reference = reference_cls(units, **kwargs)
    if bidirectional:
        layer = keras.layers.Bidirectional(layer)
        reference = keras.layers.Bidirectional(reference)
    return layer, reference


class RecurrentPathsTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.inputs = rng.normal(size=(4, 9, 5)).astype("float32")
        # Right-padded: real lengths 9, 4, 1 and 6.
        self.lengths = np.array([9, 4, 1, 6])
        self.mask = np.arange(9)[None, :] < self.lengths[:, None]

    def assert_skips_keras_kernel(self, name, layer, reference, **kwargs):
        """Calls `reference`, a Keras layer, then `layer` on `self.inputs`:
        Keras's backend function `name` (`keras.src.backend.lstm` or `gru`)
        must run for the reference (so that the check can fail) and not for
        `layer`."""
        from keras.src import backend as keras_backend

        with mock.patch.object(
            keras_backend, name, wraps=getattr(keras_backend, name)
        ) as kernel:
            reference(self.inputs, **kwargs)
            self.assertEqual(kernel.call_count, 1)
            layer(self.inputs, **kwargs)
            self.assertEqual(kernel.call_count, 1)

    @parameterized.product(
        kind=KINDS,
        masked=[False, True],
        config=[
            {"return_sequences": True, "return_state": True},
            {"return_sequences": True, "go_backwards": True},
            {"return_state": True, "go_backwards": True},
            # The last output alone, which a padded row takes from its
            # final state, or as zeros with `zero_output_for_mask`.
            {},
            {"zero_output_for_mask": True},
            # PyTorch's kernels run without biases too.
            {"use_bias": False, "return_sequences": True},
        ],
    )
    def test_matches_keras_layer(self, kind, masked, config):
        layer, reference = _directions(kind, 6, False, **config)
        inputs = {"sequences": self.inputs}
        if masked:
            inputs["mask"] = self.mask
        self.run_parity_test(layer, reference, inputs, atol=1e-5)
        self.assertEqual(layer.last_path, expected_path(kind, masked))

    @parameterized.parameters(
        {"return_sequences": True, "return_state": True},
        {"return_sequences": True, "go_backwards": True},
        {"return_state": True, "go_backwards": True},
    )
    def test_jax_cudnn_matches_keras_layer(self, **config):
        # On JAX on a GPU, `use_cudnn=True` runs cuDNN through
        # jax_recurrent.py, which keeps the generic loop's output order.
        if not _on_jax_gpu():
            self.skipTest("JAX's cuDNN kernel needs a GPU")
        layer, reference = _directions("lstm", 6, False, **config)
        layer.use_cudnn = True
        inputs = {"sequences": self.inputs}
        self.run_parity_test(layer, reference, inputs, atol=1e-5)
        self.assertEqual(layer.last_path, "cudnn")

    def test_jax_lstm_takes_cudnn_only_where_it_is_faster(self):
        uses_cudnn = recurrent_paths.jax_lstm_uses_cudnn
        limits = recurrent_paths.JAX_SCAN_MAX_UNITS
        training, inference = limits["training"], limits["inference"]
        self.assertFalse(uses_cudnn(LSTM(training), training=True))
        self.assertTrue(uses_cudnn(LSTM(training + 1), training=True))
        self.assertFalse(uses_cudnn(LSTM(training + 1), training=False))
        self.assertFalse(uses_cudnn(LSTM(inference), training=None))
        self.assertTrue(uses_cudnn(LSTM(inference + 1), training=False))
        self.assertTrue(uses_cudnn(LSTM(8, use_cudnn=True), training=False))

    def test_jax_gpu_lstm_runs_the_scan_not_kerass_cudnn(self):
        # keras.layers.LSTM takes cuDNN on JAX on a GPU (backend.lstm);
        # keras_seq's LSTM of up to JAX_SCAN_MAX_UNITS must not.
        if not _on_jax_gpu():
            self.skipTest("the JAX GPU route")
        layer = LSTM(6)
        self.assert_skips_keras_kernel(
            "lstm", layer, keras.layers.LSTM(6), training=True
        )
        self.assertEqual(layer.path_counts, {"keras": 1})

    @parameterized.parameters(*KINDS)
    def test_bidirectional_masked_matches_keras(self, kind):
        # Bidirectional sets `zero_output_for_mask` and reads the padded
        # sequences backwards: both must match the generic loop.
        layer, reference = _directions(
            kind, 5, True, return_sequences=True, dropout=0.0
        )
        inputs = {"sequences": self.inputs, "mask": self.mask}
        self.run_parity_test(layer, reference, inputs, atol=1e-5)
        path = expected_path(kind, masked=True)
        self.assertEqual(layer.forward_layer.last_path, path)
        self.assertEqual(layer.backward_layer.last_path, path)

    @parameterized.parameters(*KINDS)
    def test_padding_does_not_change_results(self, kind):
        # Each padded row gives the state of the same row run alone.
        layer = LAYERS[kind][0](6, return_state=True)
        _, *states = layer(self.inputs, mask=self.mask)
        for row, length in enumerate(self.lengths):
            _, *alone = layer(self.inputs[row : row + 1, :length])
            for state, expected in zip(states, alone):
                self.assertAllClose(
                    expected[0], state[row], atol=1e-5, rtol=1e-5
                )

    @parameterized.parameters(False, True)
    def test_relu_simple_rnn_matches_keras_on_the_native_path(self, masked):
        layer, reference = _directions(
            "simple_rnn", 6, False, activation="relu", return_sequences=True
        )
        inputs = {"sequences": self.inputs}
        if masked:
            inputs["mask"] = self.mask
        self.run_parity_test(layer, reference, inputs, atol=1e-5)
        self.assertEqual(layer.last_path, expected_path("simple_rnn"))

    def test_simple_rnn_with_another_activation_falls_back(self):
        if expected_path("simple_rnn") == "keras":
            self.skipTest("no native RNN kernel on this backend")
        layer, reference = _directions(
            "simple_rnn", 6, False, activation="sigmoid"
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.run_parity_test(
                layer, reference, {"sequences": self.inputs}, atol=1e-5
            )
        # `fit` says other things too (NumPy's `copy` keyword, on torch).
        messages = [str(w.message) for w in caught]
        messages = [m for m in messages if "step-by-step" in m]
        self.assertLen(messages, 1, messages)
        self.assertIn("an activation other than tanh or relu", messages[0])
        self.assertEqual(layer.last_path, "keras")

    def test_dropout_keeps_the_fast_path_and_trains(self):
        layer = LSTM(6, dropout=0.3)
        outputs = layer(self.inputs, training=True)
        self.assertEqual(tuple(outputs.shape), (4, 6))
        self.assertEqual(layer.last_path, expected_path("lstm"))

    @parameterized.named_parameters(
        ("recurrent_dropout", {"recurrent_dropout": 0.2}, "recurrent_dropout"),
        ("activation", {"activation": "relu"}, "activation"),
        ("use_cudnn", {"use_cudnn": False}, "use_cudnn=False"),
    )
    def test_fallback_is_announced_once(self, config, reason):
        if expected_path("lstm") == "keras":
            self.skipTest("no native LSTM kernel on this backend and device")
        layer = LSTM(4, **config)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer(self.inputs, training=True)
            layer(self.inputs)
        messages = [str(w.message) for w in caught]
        self.assertLen(messages, 1, messages)
        self.assertIn(reason, messages[0])
        self.assertEqual(layer.path_counts, {"keras": 2})

    @parameterized.product(kind=KINDS, masked=[False, True])
    def test_stateful_layer_carries_its_state_as_keras_does(self, kind, masked):
        layer, reference = _directions(
            kind, 6, False, stateful=True, return_sequences=True
        )
        reference.build(self.inputs.shape)
        layer.build(self.inputs.shape)
        layer.set_weights(reference.get_weights())
        mask = self.mask if masked else None
        outputs = []
        for _ in range(2):
            outputs.append(ops.convert_to_numpy(layer(self.inputs, mask=mask)))
            expected = reference(self.inputs, mask=mask)
            self.assertAllClose(expected, outputs[-1], 1e-5, 1e-5)
        self.assertEqual(layer.last_path, expected_path(kind, masked))
        # The second call started from the state the first one left.
        self.assertGreater(np.abs(outputs[1] - outputs[0]).max(), 1e-2)
        layer.reset_states()
        self.assertAllClose(outputs[0], layer(self.inputs, mask=mask))

    @parameterized.parameters(*KINDS)
    def test_left_padded_mask_falls_back_with_same_results(self, kind):
        left_mask = self.mask[:, ::-1].copy()
        layer, reference = _directions(kind, 4, False, return_sequences=True)
        reference.build(self.inputs.shape)
        layer.build(self.inputs.shape)
        layer.set_weights(reference.get_weights())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outputs = layer(self.inputs, mask=left_mask)
        self.assertAllClose(
            reference(self.inputs, mask=left_mask), outputs, 1e-5, 1e-5
        )
        self.assertEqual(layer.last_path, "keras")
        if expected_path(kind, masked=True) != "keras":
            self.assertLen(caught, 1)
            self.assertIn("not right-padded", str(caught[0].message))
        else:
            self.assertEmpty(caught)

    def test_cpu_gru_on_jax_skips_the_up_front_projection(self):
        # Keras's JAX `gru` (backend.gru) is slower on the CPU than the
        # generic scan (recurrent_paths.py): keras_seq's GRU must not call
        # it there, while keras.layers.GRU does (so this test can fail).
        if keras.config.backend() != "jax" or uses_gpu():
            self.skipTest("the JAX CPU route")
        layer = GRU(6)
        self.assert_skips_keras_kernel("gru", layer, keras.layers.GRU(6))
        self.assertEqual(layer.last_path, "keras")

    @parameterized.parameters(*KINDS)
    def test_fast_path_inside_fit_with_a_padded_batch(self, kind):
        # The counters show which path the compiled training step took; a
        # right-padded batch from `mask_zero` keeps the fast path.
        tokens = np.where(self.mask, np.arange(1, 10)[None, :], 0)
        layer = LAYERS[kind][0](8)
        model = keras.Sequential(
            [
                keras.Input((9,), dtype="int32"),
                keras.layers.Embedding(10, 5, mask_zero=True),
                layer,
                keras.layers.Dense(1),
            ]
        )
        model.compile(optimizer="adam", loss="mse")
        history = model.fit(tokens, np.ones((4, 1)), epochs=3, verbose=0)
        losses = history.history["loss"]
        self.assertLess(losses[-1], losses[0])
        path = expected_path(kind, masked=True)
        self.assertGreater(layer.path_counts[path], 0)
        self.assertEqual(set(layer.path_counts), {path})


def _model(layer_class):
    inputs = keras.Input((7, 5))
    outputs = layer_class(6, return_sequences=True, name="recurrent")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(outputs))


class LayerTest(TestCase):
    """`keras_seq.layers.LSTM` and `GRU` as layers: shapes, saving, and the
    same weights as the Keras layers."""

    def setUp(self):
        super().setUp()
        self.inputs = np.random.default_rng(0).normal(size=(3, 7, 5))
        self.inputs = self.inputs.astype("float32")

    @parameterized.parameters(("lstm", 3), ("gru", 2), ("simple_rnn", 2))
    def test_layer_behaviors(self, kind, num_outputs):
        self.run_layer_test(
            LAYERS[kind][0],
            init_kwargs={"units": 6, "return_state": True, "dropout": 0.1},
            input_data=self.inputs,
            expected_output_shape=[(3, 6)] * num_outputs,
            expected_num_trainable_weights=3,
        )

    @parameterized.parameters(*KINDS)
    def test_saving(self, kind):
        self.run_model_saving_test(
            LAYERS[kind][0],
            init_kwargs={"units": 6, "go_backwards": True},
            input_data=self.inputs,
        )

    @parameterized.parameters(*KINDS)
    def test_weights_interchange_with_keras_layer(self, kind):
        # The same variables under the same names: a file saved from a
        # model with the Keras layer loads into the same model with the
        # keras_seq layer, and back.
        directory = self.get_temp_dir()
        cls, keras_class = LAYERS[kind]
        for source_class, target_class in (
            (keras_class, cls),
            (cls, keras_class),
        ):
            source = _model(source_class)
            path = os.path.join(directory, f"{source_class.__module__}.keras")
            source.save(path)
            target = _model(target_class)
            target.load_weights(path)
            self.assertEqual(
                [w.path for w in source.weights],
                [w.path for w in target.weights],
            )
            self.assertAllClose(
                source(self.inputs), target(self.inputs), 1e-6, 1e-6
            )
