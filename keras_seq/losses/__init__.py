"""Losses that Keras has, made faster for token sequences."""

from keras_seq.losses.token_crossentropy import TokenCrossentropy
from keras_seq.losses.token_crossentropy import token_crossentropy

__all__ = ["TokenCrossentropy", "token_crossentropy"]
