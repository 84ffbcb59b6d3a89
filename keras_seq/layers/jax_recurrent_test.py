import keras
import numpy as np
import pytest
from absl.testing import parameterized

from keras_seq.testing import TestCase

if keras.config.backend() != "jax":
    pytest.skip("the JAX backend's kernel", allow_module_level=True)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax.experimental import rnn  # noqa: E402

from keras_seq.layers import jax_recurrent  # noqa: E402


def reference_kernel(x, h, c, kernel, recurrent_kernel, bias, lengths):
    """JAX's pure-JAX twin of the cuDNN kernel (same lengths semantics),
    so that the bookkeeping around the kernel is tested on the CPU; the
    kernel itself is checked against Keras on a GPU (recurrent_paths_test)."""
    y, h, c = rnn.lstm_ref(
        x,
        h[None],
        c[None],
        {0: kernel.T},
        {0: recurrent_kernel.T},
        {0: bias},
        {0: jnp.zeros_like(bias)},
        lengths,
        kernel.shape[0],
        recurrent_kernel.shape[0],
        1,
        0.0,
        False,
    )
    return y, h[0], c[0]


class LSTMTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.inputs = rng.normal(size=(4, 9, 5)).astype("float32")
        self.state = [
            rng.normal(size=(4, 6)).astype("float32") for _ in range(2)
        ]

    def keras_layer(self, **kwargs):
        return keras.layers.LSTM(
            6,
            return_sequences=True,
            return_state=True,
            use_cudnn=False,
            **kwargs,
        )

    def weights_of(self, layer):
        cell = layer.cell
        return [
            jnp.asarray(w)
            for w in (cell.kernel, cell.recurrent_kernel, cell.bias)
        ]

    @parameterized.parameters(False, True)
    def test_matches_keras_loop(self, go_backwards):
        # Outputs in the order read, as Keras's generic loop gives them
        # (Keras's own JAX cuDNN path flips them back with go_backwards).
        layer = self.keras_layer(go_backwards=go_backwards)
        outputs, h, c = layer(self.inputs, initial_state=self.state)
        last, ours, (our_h, our_c) = jax_recurrent.lstm(
            self.inputs,
            self.state,
            self.weights_of(layer),
            go_backwards=go_backwards,
            kernel_function=reference_kernel,
        )
        for expected, got in ((outputs, ours), (h, our_h), (c, our_c)):
            self.assertAllClose(expected, got, atol=1e-5, rtol=1e-5)
        self.assertAllClose(outputs[:, -1], last, atol=1e-5, rtol=1e-5)

    def test_gradients_match_keras(self):
        layer = self.keras_layer()
        layer(self.inputs)

        def ours(weights, inputs):
            last, _, _ = jax_recurrent.lstm(
                inputs,
                [jnp.zeros((4, 6))] * 2,
                weights,
                kernel_function=reference_kernel,
            )
            return jnp.sum(last**2)

        def theirs(weights, inputs):
            (_, last, _), _ = layer.stateless_call(
                list(weights),
                [v.value for v in layer.non_trainable_variables],
                inputs,
            )
            return jnp.sum(last**2)

        inputs = jnp.asarray(self.inputs)
        weights = self.weights_of(layer)
        expected = jax.grad(theirs, argnums=(0, 1))(weights, inputs)
        got = jax.grad(ours, argnums=(0, 1))(weights, inputs)
        for a, b in zip(jax.tree.leaves(expected), jax.tree.leaves(got)):
            self.assertAllClose(a, b, atol=1e-5, rtol=1e-5)
