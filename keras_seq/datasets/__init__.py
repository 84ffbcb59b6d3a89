"""Loaders for the real datasets: download, cache, verify, split.

Each loader reads a local copy (`path=` or `KERAS_SEQ_DATA_DIR`) or the Keras
cache, and otherwise downloads from the public source; every copy is checked
against its sha256 before use. No loader uses pickle.
"""

from keras_seq.datasets import mnist

__all__ = ["mnist"]
