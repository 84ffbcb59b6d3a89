import os
import warnings

import keras
import numpy as np
import pytest
from absl.testing import parameterized

from keras_seq.layers import GRU
from keras_seq.layers import LSTM
from keras_seq.layers import SimpleRNN
from keras_seq.testing import TestCase

LAYERS = {"lstm": LSTM, "gru": GRU, "simple_rnn": SimpleRNN}
# The PyTorch operation each layer's kernel appears as in a traced graph.
ATEN_OPERATIONS = {"lstm": "lstm", "gru": "gru", "simple_rnn": "rnn_tanh"}


def _model(kind, masked):
    """Token ids through a bidirectional layer and a second layer of
    `kind`, as in a text classifier."""
    cls = LAYERS[kind]
    return keras.Sequential(
        [
            keras.Input((9,), dtype="int32"),
            keras.layers.Embedding(10, 5, mask_zero=masked),
            keras.layers.Bidirectional(cls(6, return_sequences=True)),
            cls(6),
            keras.layers.Dense(2),
        ]
    )


class ExportTest(TestCase):
    """`model.export()` of models built on keras_seq's layers: the format
    each backend serves (a SavedModel from TensorFlow and JAX, a PyTorch
    `ExportedProgram` from torch) gives `predict`'s outputs."""

    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        # Right-padded rows of lengths 9, 4, 1 and 6.
        mask = np.arange(9)[None, :] < np.array([9, 4, 1, 6])[:, None]
        self.tokens = np.where(mask, rng.integers(1, 10, (4, 9)), 0)
        self.tokens = self.tokens.astype("int32")

    def export_and_serve(self, model, inputs, **kwargs):
        """Exports `model`, loads the artifact and returns its outputs for
        `inputs` with the loaded program (a PyTorch `ExportedProgram`, or
        the SavedModel's `serve`)."""
        if keras.config.backend() == "torch":
            import torch

            path = os.path.join(self.get_temp_dir(), "model.pt2")
            model.export(path, format="torch", verbose=False, **kwargs)
            program = torch.export.load(path)
            outputs = program.module()(torch.as_tensor(inputs))
            return keras.ops.convert_to_numpy(outputs), program
        tf = pytest.importorskip("tensorflow")
        path = os.path.join(self.get_temp_dir(), "model")
        model.export(path, format="tf_saved_model", verbose=False, **kwargs)
        program = tf.saved_model.load(path)
        return program.serve(inputs).numpy(), program

    @parameterized.product(kind=list(LAYERS), masked=[False, True])
    def test_exported_model_gives_predicts_outputs(self, kind, masked):
        model = _model(kind, masked)
        expected = model.predict(self.tokens, verbose=0)
        signature = [keras.InputSpec(shape=(4, 9), dtype="int32")]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outputs, program = self.export_and_serve(
                model, self.tokens, input_signature=signature
            )
        self.assertAllClose(expected, outputs, atol=1e-5, rtol=1e-5)
        if keras.config.backend() != "torch":
            return
        # Unmasked, the program holds PyTorch's fused kernel; masked, it
        # holds Keras's loop, whose lengths `torch.export` can trace, and
        # the layers say so. Called again, they are back on the kernel.
        operation = f"aten.{ATEN_OPERATIONS[kind]}.input"
        kernel_calls = str(program.graph).count(operation)
        fallbacks = [
            str(w.message) for w in caught if "torch.export" in str(w.message)
        ]
        if masked:
            self.assertEqual(kernel_calls, 0)
            self.assertLen(fallbacks, 3, fallbacks)
            model.predict(self.tokens, verbose=0)
            self.assertEqual(model.layers[-2].last_path, "native")
        else:
            self.assertEqual(kernel_calls, 3)
            self.assertEmpty(fallbacks)

    @parameterized.parameters(*LAYERS)
    def test_unmasked_export_takes_any_batch_size(self, kind):
        model = _model(kind, masked=False)
        kwargs = {}
        if keras.config.backend() == "torch":
            import torch

            kwargs["dynamic_shapes"] = {0: torch.export.Dim("batch")}
        _, program = self.export_and_serve(model, self.tokens, **kwargs)
        for rows in (1, 3):
            inputs = self.tokens[:rows]
            if keras.config.backend() == "torch":
                import torch

                outputs = program.module()(torch.as_tensor(inputs))
            else:
                outputs = program.serve(inputs)
            self.assertAllClose(
                model.predict(inputs, verbose=0),
                keras.ops.convert_to_numpy(outputs),
                atol=1e-5,
                rtol=1e-5,
            )

    def test_each_fallback_reason_is_announced(self):
        # An export's announcement does not silence a later, different one.
        if keras.config.backend() != "torch":
            self.skipTest("the torch export")
        model = _model("lstm", masked=True)
        model.predict(self.tokens, verbose=0)
        layer = model.layers[-2]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.export_and_serve(
                model,
                self.tokens,
                input_signature=[keras.InputSpec(shape=(4, 9), dtype="int32")],
            )
            left_padded = np.ones((4, 9, 12), "float32")
            layer(left_padded, mask=self.tokens[:, ::-1] > 0)
            layer(left_padded, mask=self.tokens[:, ::-1] > 0)
        messages = [
            str(w.message) for w in caught if repr(layer.name) in str(w.message)
        ]
        self.assertLen(messages, 2, messages)
        self.assertIn("torch.export", messages[0])
        self.assertIn("not right-padded", messages[1])
