import os

import keras
import numpy as np

from keras_seq.layers import GRU
from keras_seq.testing import TestCase


def _model(layer_class):
    inputs = keras.Input((7, 5))
    outputs = layer_class(6, return_sequences=True, name="recurrent")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(outputs))


class GRUTest(TestCase):
    def setUp(self):
        super().setUp()
        self.inputs = np.random.default_rng(0).normal(size=(3, 7, 5))
        self.inputs = self.inputs.astype("float32")

    def test_layer_behaviors(self):
        self.run_layer_test(
            GRU,
            init_kwargs={"units": 6, "return_state": True, "dropout": 0.1},
            input_data=self.inputs,
            expected_output_shape=[(3, 6)] * 2,
            expected_num_trainable_weights=3,
        )

    def test_saving(self):
        self.run_model_saving_test(
            GRU,
            init_kwargs={"units": 6, "go_backwards": True},
            input_data=self.inputs,
        )

    def test_weights_interchange_with_keras_layer(self):
        # The same variables under the same names: a file saved from a
        # model with keras.layers.GRU loads into the same model with
        # keras_seq.layers.GRU, and back.
        directory = self.get_temp_dir()
        for source_class, target_class in (
            (keras.layers.GRU, GRU),
            (GRU, keras.layers.GRU),
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
