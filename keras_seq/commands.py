"""What the `keras-seq` commands other than `demo` do.

`train` runs one stage of the demo (`keras_seq.demo`) and saves the model;
`evaluate` scores a saved model on its application's test data; `generate`,
`translate`, `caption` and `predict-frames` run a saved model on the inputs
given. Each raises `CommandError` with a one-line message for what a user
got wrong (a missing file, a model of another kind); `keras_seq.cli`
prints it and exits with status 1. Keras is imported by the caller, after
the backend is chosen.
"""

import json
import os

import keras
import numpy as np

from keras_seq import cli
from keras_seq import demo
from keras_seq.utils.file_utils import atomic_save_model
from keras_seq.utils.file_utils import atomic_write_json

# Application name -> (class name, demo stage).
APPLICATIONS = {
    "mnist_rows": ("RowClassifier", demo.train_mnist_rows),
    "text_generation": ("TextGenerator", demo.train_text_generator),
    "translation": ("Seq2SeqTranslator", demo.train_translator),
    "image_captioning": ("ImageCaptioner", demo.train_captioner),
    "video_prediction": ("VideoFramePredictor", demo.train_video_predictor),
}


class CommandError(Exception):
    """A mistake in a command's arguments, said in one line."""


def load_model(path, application):
    """Loads a `.keras` file in safe mode and checks what it holds."""
    import keras_seq.applications

    expected = getattr(keras_seq.applications, APPLICATIONS[application][0])
    problem = cli.model_file_problem(path)
    if problem:
        raise CommandError(problem)
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error) else ""
        raise CommandError(
            f"--model {path!r} is not a Keras model file that keras_seq can "
            f"load ({type(error).__name__}: {reason})"
        ) from None
    if not isinstance(model, expected):
        raise CommandError(
            f"--model {path!r} holds a {type(model).__name__}, not the "
            f"{expected.__name__} that this command needs"
        )
    return model


def train(application, data_dir, out_dir, quick, callbacks=()):
    """Trains one application as the demo does; writes the model, its
    metrics and a report page to `out_dir`.

    The training state is backed up in `out_dir/backup` after every epoch:
    run the same command again after an interruption and training resumes
    from the last epoch saved. `callbacks` run after the backup's."""
    from keras_seq.callbacks import BackupAndRestore
    from keras_seq.visualization.report import Report

    os.makedirs(out_dir, exist_ok=True)
    keras.utils.set_random_seed(1234)
    report = Report(out_dir, f"keras-seq train {application}")
    backup = BackupAndRestore(os.path.join(out_dir, "backup"))
    summary, model = APPLICATIONS[application][1](
        data_dir, out_dir, quick, report, callbacks=[backup, *callbacks]
    )
    summary["backend"] = keras.backend.backend()
    atomic_save_model(model, os.path.join(out_dir, "model.keras"))
    atomic_write_json(os.path.join(out_dir, "metrics.json"), summary)
    report.write()
    print(f"Wrote {os.path.join(out_dir, 'model.keras')} and metrics.json")
    return summary


def evaluate(application, model_path, data_dir, quick):
    """Scores a saved model on its application's test data."""
    from keras_seq.applications import image_captioner
    from keras_seq.applications import seq2seq_translator
    from keras_seq.applications import video_frame_predictor
    from keras_seq.datasets import mnist
    from keras_seq.datasets import mnist_captions
    from keras_seq.datasets import moving_mnist
    from keras_seq.datasets import text
    from keras_seq.datasets import translation

    model = load_model(model_path, application)
    if application == "mnist_rows":
        _, _, (x_test, y_test) = mnist.load_data(path=data_dir)
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
        scores = {"test_accuracy": accuracy, "test_loss": loss}
    elif application == "text_generation":
        _, val_text = text.load_data("tinyshakespeare", path=data_dir)
        val_text = val_text[:20_000]
        scores = {
            "validation_bits_per_character": model.bits_per_character(val_text),
            "validation_characters": len(val_text),
        }
    elif application == "translation":
        _, _, (x_test, y_test) = translation.load_data("spa", path=data_dir)
        size = 200 if quick else 2_000
        found = seq2seq_translator.evaluate_translation(
            model, x_test[:size], y_test[:size]
        )
        scores = {key: found[key] for key in ("bleu", "rouge1_f1")}
        scores["test_pairs"] = size
    elif application == "image_captioning":
        _, _, (x_test, y_test) = mnist_captions.load_data(
            num_train=1,
            num_validation=1,
            num_test=200 if quick else 2_000,
            path=data_dir,
        )
        found = image_captioner.evaluate_captions(model, x_test, y_test)
        scores = {
            key: found[key] for key in ("exact_match", "bleu_4", "cider_d")
        }
        scores["test_images"] = len(x_test)
    else:
        _, _, test = moving_mnist.load_data(
            num_train=1,
            num_validation=1,
            num_test=32 if quick else 2_000,
            path=data_dir,
        )
        found = video_frame_predictor.evaluate_frames(model, test)
        scores = {
            "mean_mse": found["model"]["mean_mse"],
            "copy_last_frame_mean_mse": found["copy_last_frame"]["mean_mse"],
            "test_sequences": len(test),
        }
    return {key: _plain(value) for key, value in scores.items()}


def _plain(value):
    return float(value) if isinstance(value, (np.floating, float)) else value


def generate(model_path, prompt, max_length, sampler, temperature, seed):
    model = load_model(model_path, "text_generation")
    return model.generate(
        prompt, max_length, sampler=sampler, temperature=temperature, seed=seed
    )


def generate_stream(model_path, prompt, max_length, sampler, temperature, seed):
    """The text of `generate` piece by piece: the prompt as the model reads
    it, then one piece per token as it is generated. The arguments are
    checked before the first piece."""
    model = load_model(model_path, "text_generation")
    pieces = model.generate_stream(
        prompt, max_length, sampler=sampler, temperature=temperature, seed=seed
    )
    yield model.decode(model.encode(prompt))
    yield from pieces


def translate(model_path, texts, sampler):
    model = load_model(model_path, "translation")
    return model.translate(list(texts), sampler=sampler)


def caption(model_path, images, sampler):
    model = load_model(model_path, "image_captioning")
    for path in images:
        if not os.path.isfile(path):
            raise CommandError(f"image {path!r}: no such file")
    return model.caption(list(images), sampler=sampler)


def predict_frames(model_path, frames_path, context_frames, num_frames, out):
    """Rolls out `num_frames` after the first `context_frames` frames of a
    `.npy` video; writes `out.npy` and, when the file holds the true
    future, a strip (`out.png`) and a GIF (`out.gif`)."""
    from keras_seq.visualization import plot_frames
    from keras_seq.visualization import save_frames_gif

    model = load_model(model_path, "video_prediction")
    if not os.path.isfile(frames_path):
        raise CommandError(f"--frames {frames_path!r}: no such file")
    try:
        frames = np.load(frames_path, allow_pickle=False)
    except ValueError as error:
        raise CommandError(
            f"--frames {frames_path!r} is not a NumPy .npy file ({error})"
        ) from None
    if frames.ndim == 4:
        frames = frames[None]
    if frames.ndim != 5 or frames.shape[1] < context_frames:
        raise CommandError(
            f"--frames {frames_path!r} holds an array of shape "
            f"{frames.shape}; expected (frames, height, width, channels) or "
            f"(batch, frames, height, width, channels) with at least "
            f"{context_frames} frames"
        )
    context, truth = frames[:, :context_frames], frames[:, context_frames:]
    future = model.predict_frames(context, num_frames)
    np.save(out + ".npy", future)
    written = [out + ".npy"]
    if truth.shape[1] == num_frames:
        plot_frames(context[0], truth[0], future[0], path=out + ".png")
        save_frames_gif(out + ".gif", context[0], truth[0], future[0])
        written += [out + ".png", out + ".gif"]
    return written


def print_json(value):
    print(json.dumps(value, indent=2, ensure_ascii=False))
