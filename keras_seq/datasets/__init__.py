"""Loaders for the real datasets: download, cache, verify, split.

Each loader reads a local copy (`path=` or `KERAS_SEQ_DATA_DIR`) or the Keras
cache, and otherwise downloads from the public source; every copy is checked
against its sha256 before use. No loader uses pickle.

| module | data | protocol split |
|---|---|---|
| `mnist` | MNIST digits | 4,500 / 500 / official 10,000 |
| `translation` | Tatoeba spa-eng, fra-eng | dedup, seed 1234, 90 / 5 / 5 % |
| `text` | tiny-shakespeare, Nietzsche | first 90 % / last 10 % |
| `mnist_captions` | 1–5 MNIST digits in a row, as words | as `mnist` |
| `captions` | coco-mini photos; COCO 2017, Flickr8k caption files | — |
| `jsb_chorales` | JSB chorales piano rolls | published 229 / 76 / 77 |
| `timeseries` | five classic series | — |
| `moving_mnist` | Moving MNIST, generated | train / validation / test digits |
"""

from keras_seq.datasets import captions
from keras_seq.datasets import jsb_chorales
from keras_seq.datasets import mnist
from keras_seq.datasets import mnist_captions
from keras_seq.datasets import moving_mnist
from keras_seq.datasets import text
from keras_seq.datasets import timeseries
from keras_seq.datasets import translation

__all__ = [
    "captions",
    "jsb_chorales",
    "mnist",
    "mnist_captions",
    "moving_mnist",
    "text",
    "timeseries",
    "translation",
]
