"""Evaluation metrics that Keras and KerasHub do not provide."""

from keras_seq.metrics.captioning import caption_bleu
from keras_seq.metrics.captioning import caption_words
from keras_seq.metrics.captioning import cider_d

__all__ = ["caption_bleu", "caption_words", "cider_d"]
