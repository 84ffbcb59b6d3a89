"""Ready models, each trained with `fit` and used in one call."""

from keras_seq.applications.image_captioner import ImageCaptioner
from keras_seq.applications.row_classifier import RowClassifier
from keras_seq.applications.seq2seq_translator import Seq2SeqTranslator
from keras_seq.applications.text_generator import TextGenerator
from keras_seq.applications.video_frame_predictor import VideoFramePredictor

__all__ = [
    "ImageCaptioner",
    "RowClassifier",
    "Seq2SeqTranslator",
    "TextGenerator",
    "VideoFramePredictor",
]
