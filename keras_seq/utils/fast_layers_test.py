import keras
import numpy as np
from keras import ops

from keras_seq.decoding.logits_processing import BANNED_LOGIT
from keras_seq.testing import TestCase
from keras_seq.utils import fast_layers


class FrozenDenseTest(TestCase):
    def head(self):
        head = keras.layers.Dense(7, bias_initializer="random_normal")
        head.build((None, 5))
        return head

    def test_banned_columns_match_ban_index_and_leave_the_layer_alone(self):
        head = self.head()
        kernel = ops.convert_to_numpy(head.kernel)
        bias = ops.convert_to_numpy(head.bias)
        frozen = fast_layers.frozen_dense(
            head, banned=(0, 3), banned_value=BANNED_LOGIT
        )
        if keras.config.backend() != "torch":
            self.assertIsNone(frozen)
            return
        inputs = np.random.default_rng(0).normal(size=(4, 5))
        inputs = ops.convert_to_tensor(inputs.astype("float32"))
        expected = fast_layers.dense(head, inputs)
        for index in (0, 3):
            expected = fast_layers.ban_index(expected, index, BANNED_LOGIT)
        logits = ops.convert_to_numpy(frozen(inputs))
        self.assertAllClose(expected, logits)
        self.assertAllEqual(logits[:, [0, 3]], np.full((4, 2), BANNED_LOGIT))
        # The ban is in copies of the weights: the layer computes as before.
        self.assertAllEqual(kernel, ops.convert_to_numpy(head.kernel))
        self.assertAllEqual(bias, ops.convert_to_numpy(head.bias))

    def test_without_banned_columns_it_is_the_layer(self):
        head = self.head()
        frozen = fast_layers.frozen_dense(head)
        if keras.config.backend() != "torch":
            self.assertIsNone(frozen)
            return
        inputs = ops.ones((2, 5))
        self.assertAllClose(head(inputs), frozen(inputs))


class FrozenEmbedTest(TestCase):
    def test_any_integer_ids_look_up_the_layer_rows(self):
        embedding = keras.layers.Embedding(10, 4)
        embedding.build((None,))
        frozen = fast_layers.frozen_embed(embedding)
        if keras.config.backend() != "torch":
            self.assertIsNone(frozen)
            return
        ids = np.array([[0, 3], [9, 1]])
        expected = ops.convert_to_numpy(embedding(ids))
        for dtype in ("int32", "int64", "uint8"):
            looked_up = frozen(ops.convert_to_tensor(ids, dtype=dtype))
            self.assertAllClose(expected, looked_up, msg=dtype)
