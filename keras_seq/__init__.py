"""keras_seq: recurrent sequence models for Keras 3."""

from keras_seq.version import __version__
