"""Evaluation metrics that Keras and KerasHub do not provide."""

from keras_seq.metrics.captioning import caption_bleu
from keras_seq.metrics.captioning import caption_words
from keras_seq.metrics.captioning import cider_d
from keras_seq.metrics.video import frame_mse
from keras_seq.metrics.video import frame_psnr
from keras_seq.metrics.video import frame_scores
from keras_seq.metrics.video import frame_ssim

__all__ = [
    "caption_bleu",
    "caption_words",
    "cider_d",
    "frame_mse",
    "frame_psnr",
    "frame_scores",
    "frame_ssim",
]
