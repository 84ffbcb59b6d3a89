"""Each application at test size on real data, for the reliability tests.

`build(name, data_dir, **kwargs)` returns a `TinyApplication`: the model
(constructor `kwargs` such as `dtype` passed on), the arguments of its `fit`
on a few real examples, and inputs to predict on; `outputs(name, model,
inputs)` is what the model predicts on them, as a NumPy array.
"""

import collections

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

APPLICATIONS = (
    "row_classifier",
    "text_generator",
    "translator",
    "captioner",
    "video_predictor",
)

TinyApplication = collections.namedtuple(
    "TinyApplication", ["model", "fit_args", "fit_kwargs", "inputs"]
)


def _pad(rows, length):
    ids = np.full((len(rows), length), PAD_ID, "int32")
    for i, row in enumerate(rows):
        ids[i, : len(row[:length])] = row[:length]
    return ids


def row_classifier(data_dir, **kwargs):
    (x, y), _, (x_test, _) = mnist.load_data(path=data_dir)
    model = RowClassifier(cell="lstm", units=8, bidirectional=True, **kwargs)
    return TinyApplication(
        model, (x[:32], y[:32]), {"batch_size": 16}, {"images": x_test[:8]}
    )


def text_generator(data_dir, **kwargs):
    train_text, val_text = text.load_data("tinyshakespeare", path=data_dir)
    model = TextGenerator.from_text(
        train_text, units=16, num_layers=2, **kwargs
    )
    windows = model.make_dataset(train_text[:400], 20, 8, seed=0)
    return TinyApplication(
        model,
        (windows,),
        {},
        {"token_ids": model.encode(val_text[:60]).reshape(3, 20)},
    )


def translator(data_dir, **kwargs):
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
        **kwargs,
    )
    source_ids = model.tokenize(test_sources[:4], "source")
    target_ids = [
        [START_ID, *row] for row in model.tokenize(test_targets[:4], "target")
    ]
    return TinyApplication(
        model,
        (sources[:32], targets[:32]),
        {"batch_size": 16},
        {
            "source_ids": _pad(source_ids, 12),
            "target_ids": _pad(target_ids, 10),
        },
    )


def captioner(data_dir, **kwargs):
    (images, captions), _, (test_images, test_captions) = (
        mnist_captions.load_data(
            num_train=32, num_validation=1, num_test=4, path=data_dir
        )
    )
    model = ImageCaptioner(
        vocabulary=list(RESERVED_TOKENS) + list(mnist_captions.DIGIT_WORDS),
        encoder=None,
        image_size=(28, 112),
        units=16,
        embedding_dim=8,
        max_caption_length=6,
        **kwargs,
    )
    caption_ids = [[START_ID, *row] for row in model.tokenize(test_captions)]
    return TinyApplication(
        model,
        (images, captions),
        {"batch_size": 16},
        {
            "images": model.preprocess_images(test_images),
            "caption_ids": _pad(caption_ids, 6),
        },
    )


def video_predictor(data_dir, **kwargs):
    train, _, test = moving_mnist.load_data(
        num_train=8, num_validation=1, num_test=2, num_frames=6, path=data_dir
    )
    model = VideoFramePredictor(
        filters=8, num_layers=2, num_context_frames=3, **kwargs
    )
    return TinyApplication(model, (train,), {"batch_size": 4}, {"frames": test})


BUILDERS = {
    "row_classifier": row_classifier,
    "text_generator": text_generator,
    "translator": translator,
    "captioner": captioner,
    "video_predictor": video_predictor,
}


def build(name, data_dir, **kwargs):
    """The `TinyApplication` called `name`."""
    return BUILDERS[name](data_dir, **kwargs)


def outputs(name, model, inputs):
    """What `model` predicts on `inputs`, as a NumPy array."""
    if name == "row_classifier":
        result = model.predict(inputs["images"], verbose=0)
    elif name == "text_generator":
        result = model(inputs["token_ids"])
    elif name in ("translator", "captioner"):
        result = model(inputs)
    else:
        result = model.predict_frames(inputs["frames"][:, :3], num_frames=3)
    return keras.ops.convert_to_numpy(result)
