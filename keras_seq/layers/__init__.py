"""Reusable recurrent blocks."""

from keras_seq.layers.attention_decoder import AttentionDecoder
from keras_seq.layers.gru import GRU
from keras_seq.layers.lstm import LSTM
from keras_seq.layers.random_affine import RandomAffine
from keras_seq.layers.recurrent_stack import RecurrentStack
from keras_seq.layers.simple_rnn import SimpleRNN

__all__ = [
    "GRU",
    "LSTM",
    "SimpleRNN",
    "AttentionDecoder",
    "RandomAffine",
    "RecurrentStack",
]
