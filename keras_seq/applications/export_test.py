import os

import keras
import numpy as np
import pytest
from absl.testing import parameterized

from keras_seq.applications import RowClassifier
from keras_seq.applications import Seq2SeqTranslator
from keras_seq.applications import TextGenerator
from keras_seq.applications.image_captioner_test import digit_data
from keras_seq.applications.image_captioner_test import small_captioner
from keras_seq.applications.video_frame_predictor_test import moving_digits
from keras_seq.applications.video_frame_predictor_test import small_predictor
from keras_seq.datasets import mnist
from keras_seq.datasets import text
from keras_seq.datasets import translation
from keras_seq.testing import TestCase


def _first_batch(dataset):
    """The inputs of a dataset's first batch, as NumPy arrays."""
    if isinstance(dataset, keras.utils.PyDataset):
        batch = dataset[0]
    else:
        batch = next(iter(dataset))
    return keras.tree.map_structure(np.asarray, batch[0])


def _signature(inputs, fixed):
    """`keras.InputSpec`s for `inputs`: their exact shapes where `fixed`
    (the torch export traces one shape), else any batch size and, for
    token ids, any length."""

    def spec(array):
        shape = array.shape
        if not fixed:
            dynamic = 2 if array.dtype == "int32" else 1
            shape = (None,) * dynamic + shape[dynamic:]
        return keras.InputSpec(shape=shape, dtype=str(array.dtype))

    return [keras.tree.map_structure(spec, inputs)]


def _export_and_load(model, path, input_signature, **kwargs):
    """Exports `model` in its backend's serving format and returns a
    function that runs the loaded artifact."""
    if keras.config.backend() == "torch":
        import torch

        path = os.path.join(path, "model.pt2")
        model.export(
            path, format="torch", input_signature=input_signature, **kwargs
        )
        program = torch.export.load(path).module()

        def serve(inputs):
            outputs = program(keras.tree.map_structure(torch.as_tensor, inputs))
            return keras.tree.map_structure(np.asarray, outputs)

        return serve
    tf = pytest.importorskip("tensorflow")
    model.export(path, format="tf_saved_model", input_signature=input_signature)
    loaded = tf.saved_model.load(path)

    def serve(inputs):
        outputs = loaded.serve(inputs)
        return keras.tree.map_structure(lambda x: x.numpy(), outputs)

    return serve


class ExportTest(TestCase):
    """Each application exports its forward pass for serving (a SavedModel
    from TensorFlow and JAX, a PyTorch `ExportedProgram` from torch) with the
    input signatures of the README's table, on real data."""

    def model_and_inputs(self, name):
        data_dir = self.get_data_dir()
        if name == "row_classifier":
            (x_train, _), _, _ = mnist.load_data(path=data_dir)
            return RowClassifier(units=8), x_train[:4]
        if name == "text_generator":
            corpus = text.load_data("tinyshakespeare", path=data_dir)[0]
            model = TextGenerator.from_text(
                corpus[:5000], units=8, embedding_dim=4
            )
            dataset = model.make_dataset(
                corpus[:5000], sequence_length=20, batch_size=4, shuffle=False
            )
            return model, _first_batch(dataset)
        if name == "translator":
            (sources, targets), _, _ = translation.load_data(
                "spa", path=data_dir
            )
            model = Seq2SeqTranslator.from_corpus(
                sources[:300], targets[:300], units=8, embedding_dim=4
            )
            dataset = model.make_dataset(
                sources[:4], targets[:4], batch_size=4, shuffle=False
            )
            return model, _first_batch(dataset)
        if name == "captioner":
            images, captions = digit_data(self, num_images=4)
            model = small_captioner()
            dataset = model.make_dataset(
                images, captions, batch_size=4, shuffle=False
            )
            return model, _first_batch(dataset)
        model = small_predictor()
        sequences = moving_digits(self, num_sequences=4, num_frames=6)
        return model, _first_batch(
            model.make_dataset(sequences, batch_size=4, shuffle=False)
        )

    @parameterized.parameters(
        "row_classifier",
        "text_generator",
        "translator",
        "captioner",
        "video_predictor",
    )
    def test_exported_forward_pass_matches_predict(self, name):
        model, inputs = self.model_and_inputs(name)
        expected = model.predict(inputs, verbose=0)
        fixed = keras.config.backend() == "torch"
        kwargs = {}
        if fixed and name in ("row_classifier", "video_predictor"):
            import torch

            # Without a mask, torch.export can leave the batch size open.
            kwargs["dynamic_shapes"] = ({0: torch.export.Dim("batch")},)
        serve = _export_and_load(
            model, self.get_temp_dir(), _signature(inputs, fixed), **kwargs
        )
        self.assertAllClose(expected, serve(inputs), atol=1e-5, rtol=1e-5)
        if fixed and not kwargs:
            return
        # Another batch size, and (on TensorFlow and JAX) shorter token
        # sequences.
        shorter = keras.tree.map_structure(
            lambda x: x[:3, :5] if x.dtype == "int32" else x[:3], inputs
        )
        self.assertAllClose(
            model.predict(shorter, verbose=0),
            serve(shorter),
            atol=1e-5,
            rtol=1e-5,
        )
