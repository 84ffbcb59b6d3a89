import os

import keras

from keras_seq.applications import Seq2SeqTranslator
from keras_seq.applications import TextGenerator
from keras_seq.losses import TokenCrossentropy
from keras_seq.testing import TestCase


class ApplicationLossTest(TestCase):
    def test_token_models_default_to_token_crossentropy_and_keep_it(self):
        text = "to be, or not to be: that is the question.\n" * 4
        generator = TextGenerator.from_text(text, units=8, embedding_dim=4)
        translator = Seq2SeqTranslator.from_corpus(
            ["hola .", "gracias ."],
            ["hello .", "thanks ."],
            tokenizer="word",
            units=8,
            embedding_dim=4,
        )
        for model, reduction in (
            (generator, "sum_over_batch_size"),
            (translator, "mean_with_sample_weight"),
        ):
            self.assertIsInstance(model.loss, TokenCrossentropy)
            path = os.path.join(self.get_temp_dir(), f"{model.name}.keras")
            model.save(path)
            loaded = keras.saving.load_model(path)
            self.assertIsInstance(loaded.loss, TokenCrossentropy)
            self.assertEqual(loaded.loss.reduction, reduction)
