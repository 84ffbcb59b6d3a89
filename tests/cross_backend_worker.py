"""Trains, saves and reloads every application on one backend.

Run by cross_backend_test.py in a subprocess, with `KERAS_BACKEND` set:

    python -m tests.cross_backend_worker save DIR
        trains each application one step on real data, saves
        DIR/<application>.keras, the inputs (DIR/inputs.npz) and this
        backend's outputs on them (DIR/outputs-<backend>.npz);
    python -m tests.cross_backend_worker load DIR [DIR ...]
        loads each DIR/<application>.keras in safe mode and writes this
        backend's outputs on the same inputs (DIR/outputs-<backend>.npz).
"""

import os
import sys

import keras
import numpy as np

from keras_seq.applications import ImageCaptioner
from keras_seq.applications import RowClassifier
from keras_seq.applications import Seq2SeqTranslator
from keras_seq.applications import TextGenerator
from keras_seq.applications import VideoFramePredictor
from keras_seq.applications.vocabulary import PAD_ID
from keras_seq.applications.vocabulary import RESERVED_TOKENS
from keras_seq.applications.vocabulary import START_ID
from keras_seq.datasets import mnist
from keras_seq.datasets import mnist_captions
from keras_seq.datasets import moving_mnist
from keras_seq.datasets import text
from keras_seq.datasets import translation
from keras_seq.testing import TestCase
from keras_seq.utils.file_utils import atomic_save_model
from keras_seq.utils.file_utils import staged

APPLICATIONS = (
    "row_classifier",
    "text_generator",
    "translator",
    "captioner",
    "video_predictor",
)


def _pad(rows, length):
    ids = np.full((len(rows), length), PAD_ID, "int32")
    for i, row in enumerate(rows):
        ids[i, : len(row[:length])] = row[:length]
    return ids


def train_row_classifier(data_dir):
    (x, y), _, (x_test, _) = mnist.load_data(path=data_dir)
    model = RowClassifier(cell="lstm", units=8, bidirectional=True)
    model.fit(x[:32], y[:32], batch_size=32, verbose=0)
    return model, {"images": x_test[:8]}


def train_text_generator(data_dir):
    train_text, val_text = text.load_data("tinyshakespeare", path=data_dir)
    model = TextGenerator.from_text(train_text, units=16, num_layers=2)
    model.fit(model.make_dataset(train_text[:400], 20, 8, seed=0), verbose=0)
    return model, {"token_ids": model.encode(val_text[:60]).reshape(3, 20)}


def train_translator(data_dir):
    (sources, targets), _, (test_sources, test_targets) = translation.load_data(
        "spa", path=data_dir
    )
    model = Seq2SeqTranslator.from_corpus(
        sources[:500],
        targets[:500],
        tokenizer="word",
        cell="lstm",
        attention="bahdanau",
        units=16,
        embedding_dim=8,
    )
    model.fit(sources[:16], targets[:16], batch_size=16, verbose=0)
    source_ids = model.tokenize(test_sources[:4], "source")
    target_ids = [
        [START_ID, *row] for row in model.tokenize(test_targets[:4], "target")
    ]
    return model, {
        "source_ids": _pad(source_ids, 12),
        "target_ids": _pad(target_ids, 10),
    }


def train_captioner(data_dir):
    (images, captions), _, (test_images, test_captions) = (
        mnist_captions.load_data(
            num_train=32, num_validation=1, num_test=4, path=data_dir
        )
    )
    vocabulary = list(RESERVED_TOKENS) + list(mnist_captions.DIGIT_WORDS)
    model = ImageCaptioner(
        vocabulary=vocabulary,
        encoder=None,
        image_size=(28, 112),
        units=16,
        embedding_dim=8,
        max_caption_length=6,
    )
    model.fit(images, captions, batch_size=32, epochs=1, verbose=0)
    caption_ids = [[START_ID, *row] for row in model.tokenize(test_captions)]
    return model, {
        "images": model.preprocess_images(test_images),
        "caption_ids": _pad(caption_ids, 6),
    }


def train_video_predictor(data_dir):
    train, _, test = moving_mnist.load_data(
        num_train=4, num_validation=1, num_test=2, num_frames=6, path=data_dir
    )
    model = VideoFramePredictor(filters=8, num_layers=2, num_context_frames=3)
    model.fit(train, epochs=1, batch_size=4, verbose=0)
    return model, {"frames": test}


TRAINERS = {
    "row_classifier": train_row_classifier,
    "text_generator": train_text_generator,
    "translator": train_translator,
    "captioner": train_captioner,
    "video_predictor": train_video_predictor,
}


def outputs(application, model, inputs):
    """What the model predicts on `inputs`, as a NumPy array."""
    if application == "row_classifier":
        result = model.predict(inputs["images"], verbose=0)
    elif application == "text_generator":
        result = model(inputs["token_ids"])
    elif application in ("translator", "captioner"):
        result = model(inputs)
    else:
        result = model.predict_frames(inputs["frames"][:, :3], num_frames=3)
    return keras.ops.convert_to_numpy(result)


def _save_arrays(path, arrays):
    with staged(path, suffix=".npz") as temporary:
        np.savez(temporary, **arrays)


def _load_arrays(path):
    with np.load(path, allow_pickle=False) as arrays:
        return dict(arrays)


def save(directory):
    data_dir = TestCase.shared_data_dir()
    keras.utils.set_random_seed(0)
    inputs, results = {}, {}
    for application in APPLICATIONS:
        model, model_inputs = TRAINERS[application](data_dir)
        atomic_save_model(
            model, os.path.join(directory, f"{application}.keras")
        )
        for key, value in model_inputs.items():
            inputs[f"{application}/{key}"] = np.asarray(value)
        results[application] = outputs(application, model, model_inputs)
    _save_arrays(os.path.join(directory, "inputs.npz"), inputs)
    return results


def load(directory):
    inputs = _load_arrays(os.path.join(directory, "inputs.npz"))
    results = {}
    for application in APPLICATIONS:
        path = os.path.join(directory, f"{application}.keras")
        model = keras.saving.load_model(path, safe_mode=True)
        prefix = f"{application}/"
        model_inputs = {
            key[len(prefix) :]: value
            for key, value in inputs.items()
            if key.startswith(prefix)
        }
        results[application] = outputs(application, model, model_inputs)
    return results


def main(command, *directories):
    backend = keras.backend.backend()
    for directory in directories:
        os.makedirs(directory, exist_ok=True)
        results = save(directory) if command == "save" else load(directory)
        path = os.path.join(directory, f"outputs-{backend}.npz")
        _save_arrays(path, results)
        print(f"{command}: {len(results)} applications on {backend}")


if __name__ == "__main__":
    main(*sys.argv[1:])
