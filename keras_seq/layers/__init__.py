"""Reusable recurrent blocks."""

from keras_seq.layers.attention_decoder import AttentionDecoder
from keras_seq.layers.random_affine import RandomAffine
from keras_seq.layers.recurrent_stack import RecurrentStack

__all__ = ["AttentionDecoder", "RandomAffine", "RecurrentStack"]
