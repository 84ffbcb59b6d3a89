"""The helpers must fail when a layer is broken, or they prove nothing."""

import keras
import numpy as np

from keras_seq.testing import TestCase


@keras.saving.register_keras_serializable(package="keras_seq_test")
class Scale(keras.layers.Layer):
    """A correct layer: one weight, every argument in its config."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1],), name="kernel")

    def call(self, inputs):
        return inputs * self.kernel * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="keras_seq_test")
class DeadWeight(Scale):
    """A weight that no output depends on."""

    def build(self, input_shape):
        super().build(input_shape)
        self.unused = self.add_weight(shape=(3,), name="unused")


@keras.saving.register_keras_serializable(package="keras_seq_test")
class ForgetfulConfig(Scale):
    """Does not record `factor`, so a reloaded copy computes otherwise."""

    def get_config(self):
        return keras.layers.Layer.get_config(self)


class TestCaseTest(TestCase):
    def setUp(self):
        super().setUp()
        self.inputs = np.random.default_rng(0).normal(size=(4, 3))
        self.inputs = self.inputs.astype("float32")

    def test_correct_layer_passes(self):
        self.run_layer_test(
            Scale,
            init_kwargs={"factor": 3.0},
            input_data=self.inputs,
            expected_output_shape=(4, 3),
            expected_num_trainable_weights=1,
        )
        self.run_model_saving_test(Scale, {"factor": 3.0}, self.inputs)

    def test_wrong_shape_fails(self):
        with self.assertRaisesRegex(AssertionError, "shape"):
            self.run_layer_test(
                Scale, {}, self.inputs, expected_output_shape=(4, 5)
            )

    def test_frozen_next_that_differs_fails(self):
        # A shortcut that exists must match `next`, on every backend.
        class Model:
            def next(self, prompt, cache, index):
                return keras.ops.ones((1, 3)), keras.ops.ones((1, 2)), cache

            def frozen_next(self):
                def next(prompt, cache, index):
                    logits = keras.ops.zeros((1, 3))
                    return logits, keras.ops.ones((1, 2)), cache

                return next

        with self.assertRaises(AssertionError):
            self.run_frozen_next_test(
                Model(), None, {"state": keras.ops.ones((1, 2))}, [1]
            )

    def test_weight_left_unchanged_by_training_fails(self):
        with self.assertRaisesRegex(AssertionError, "unused"):
            self.run_layer_test(
                DeadWeight, {}, self.inputs, expected_output_shape=(4, 3)
            )

    def test_argument_missing_from_config_fails(self):
        with self.assertRaisesRegex(AssertionError, "factor"):
            self.run_layer_test(
                ForgetfulConfig,
                {"factor": 3.0},
                self.inputs,
                expected_output_shape=(4, 3),
            )

    def test_saving_detects_changed_outputs(self):
        with self.assertRaises(AssertionError):
            self.run_model_saving_test(
                ForgetfulConfig, {"factor": 3.0}, self.inputs
            )

    def test_assert_all_close_uses_tolerances(self):
        self.assertAllClose([np.ones(3)], (np.ones(3) + 1e-7,))
        with self.assertRaises(AssertionError):
            self.assertAllClose(np.ones(3), np.ones(3) + 1e-4, atol=1e-5)
