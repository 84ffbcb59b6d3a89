"""Ready models, each trained with `fit` and used in one call."""

from keras_seq.applications.image_captioner import ImageCaptioner
from keras_seq.applications.row_classifier import RowClassifier
from keras_seq.applications.seq2seq_translator import Seq2SeqTranslator
from keras_seq.applications.text_generator import TextGenerator

__all__ = [
    "ImageCaptioner",
    "RowClassifier",
    "Seq2SeqTranslator",
    "TextGenerator",
]
