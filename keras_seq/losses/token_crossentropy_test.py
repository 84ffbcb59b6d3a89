import keras
import numpy as np
from keras import ops

from keras_seq.losses import TokenCrossentropy
from keras_seq.losses import token_crossentropy
from keras_seq.testing import TestCase


def token_model(vocabulary_size, seed):
    inputs = keras.Input((None, 6))
    logits = keras.layers.Dense(
        vocabulary_size,
        kernel_initializer=keras.initializers.RandomNormal(seed=seed),
    )(inputs)
    return keras.Model(inputs, logits)


class TokenCrossentropyTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.logits = rng.normal(size=(3, 5, 11)).astype("float32")
        self.targets = rng.integers(0, 11, size=(3, 5))
        self.weights = (rng.random((3, 5)) > 0.3).astype("float32")

    def test_matches_keras_sparse_categorical_crossentropy(self):
        for reduction in ("mean_with_sample_weight", "sum", None):
            ours = TokenCrossentropy(reduction=reduction)
            theirs = keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, reduction=reduction
            )
            self.assertAllClose(
                theirs(self.targets, self.logits, self.weights),
                ours(self.targets, self.logits, self.weights),
            )
        # Labels with a trailing axis of 1, as Keras also accepts them.
        self.assertAllClose(
            TokenCrossentropy()(self.targets, self.logits),
            TokenCrossentropy()(self.targets[..., None], self.logits),
        )

    def test_function_matches_keras_and_keeps_the_leading_shape(self):
        theirs = keras.losses.sparse_categorical_crossentropy(
            self.targets, self.logits, from_logits=True
        )
        ours = token_crossentropy(self.targets, self.logits)
        self.assertEqual(tuple(ours.shape), (3, 5))
        self.assertAllClose(theirs, ours)
        # Any number of leading axes, one included.
        self.assertAllClose(
            token_crossentropy(self.targets[0], self.logits[0]), theirs[0]
        )

    def test_a_mask_on_the_logits_leaves_padding_out_as_in_keras(self):
        # An Embedding with mask_zero=True masks the logits after it; Keras's
        # loss averages over the unmasked tokens, and so must this one.
        tokens = np.random.default_rng(2).integers(1, 20, size=(4, 9))
        tokens[:2, 5:] = 0
        losses = []
        for loss in (
            TokenCrossentropy(),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        ):
            model = keras.Sequential(
                [
                    keras.Input((None,), dtype="int32"),
                    keras.layers.Embedding(
                        20,
                        6,
                        mask_zero=True,
                        embeddings_initializer=keras.initializers.RandomNormal(
                            stddev=3.0, seed=4
                        ),
                    ),
                    keras.layers.Dense(
                        20,
                        kernel_initializer=keras.initializers.RandomNormal(
                            seed=5
                        ),
                    ),
                ]
            )
            model.compile(keras.optimizers.SGD(0.5), loss=loss)
            losses.append(model.evaluate(tokens, tokens, verbose=0))
        self.assertAllClose(losses[1], losses[0], atol=1e-5, rtol=1e-5)
        # That is the mean over the real tokens, not over all of them.
        each = token_crossentropy(tokens, model.predict(tokens, verbose=0))
        each = ops.convert_to_numpy(each)
        self.assertAllClose(each[tokens > 0].mean(), losses[0], atol=1e-5)
        self.assertGreater(abs(each.mean() - losses[0]), 1e-3)

    def test_training_step_matches_keras_loss(self):
        # The same gradients: one step from equal weights gives equal ones.
        rng = np.random.default_rng(1)
        x = rng.normal(size=(8, 7, 6)).astype("float32")
        y = rng.integers(0, 13, size=(8, 7))
        w = (rng.random((8, 7)) > 0.3).astype("float32")
        models = []
        for loss in (
            TokenCrossentropy(reduction="mean_with_sample_weight"),
            keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, reduction="mean_with_sample_weight"
            ),
        ):
            model = token_model(13, seed=3)
            model.compile(keras.optimizers.SGD(0.5), loss=loss)
            losses = [model.train_on_batch(x, y, w) for _ in range(2)]
            models.append((model, losses))
        (ours, our_losses), (theirs, their_losses) = models
        self.assertAllClose(their_losses, our_losses, atol=1e-5, rtol=1e-5)
        for a, b in zip(theirs.get_weights(), ours.get_weights()):
            self.assertAllClose(a, b, atol=1e-5, rtol=1e-5)

    def test_serialization(self):
        loss = TokenCrossentropy(reduction="mean_with_sample_weight")
        restored = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(loss)
        )
        self.assertIsInstance(restored, TokenCrossentropy)
        self.assertEqual(restored.get_config(), loss.get_config())
