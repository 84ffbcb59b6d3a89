"""keras_seq: recurrent sequence models for Keras 3.

Layers, generation and applications that run unchanged on the TensorFlow, JAX
and PyTorch backends. TensorFlow is needed only for `tf.data` text pipelines
and is imported lazily there.

The subpackages load on first use (`keras_seq.layers`, or `from keras_seq
import layers`), so `import keras_seq` does not import Keras: a program, or
the `keras-seq` command, can still choose the Keras backend afterwards.
"""

import importlib

from keras_seq.version import __version__

_SUBPACKAGES = (
    "applications",
    "callbacks",
    "datasets",
    "decoding",
    "layers",
    "losses",
    "metrics",
    "testing",
    "visualization",
)

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"keras_seq.{name}")
    raise AttributeError(f"module 'keras_seq' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBPACKAGES))
