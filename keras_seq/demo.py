"""The main job: `keras-seq demo` trains what keras_seq has on real data.

Today keras_seq has its recurrent blocks, its generation engine and two
applications, so the demo:
1. trains a `RowClassifier` on MNIST rows (each image row one time step),
   with the evaluation protocol of `shared/data/README.md`:
   4,500 training images, 500 for validation, the official 10,000 for test
   (`keras_seq.datasets.mnist`);
2. trains a character-level `TextGenerator` on tiny-shakespeare, reports
   its validation bits per character, and writes a sample with the compiled
   generation loop, timing it;
3. checks that `AttentionDecoder.step`, token by token, reproduces the
   teacher-forced `call`, for both attention scores.

It writes `summary.json` and a training-curve PNG to the output directory.
The applications and the HTML report join it as they are built.
"""

import os
import time

import keras
import numpy as np

from keras_seq.applications import RowClassifier
from keras_seq.applications import TextGenerator
from keras_seq.datasets import mnist
from keras_seq.datasets import text
from keras_seq.layers import AttentionDecoder
from keras_seq.utils.file_utils import atomic_write_json
from keras_seq.visualization import plot_history

NOT_YET_BUILT = (
    "Seq2SeqTranslator, ImageCaptioner, VideoFramePredictor and the HTML report"
)


def _stage(message):
    print(f"\n== {message}", flush=True)
    return time.perf_counter()


def _done(start):
    print(f"   done in {time.perf_counter() - start:.1f}s", flush=True)


def train_mnist_rows(data_dir, out_dir, quick):
    """Trains and evaluates a RowClassifier on MNIST rows."""
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = mnist.load_data(
        path=data_dir
    )
    print(
        f"   train {x_train.shape}, validation {x_val.shape}, "
        f"test {x_test.shape}"
    )
    units = 64 if quick else 128  # state size of the LSTM
    epochs = 3 if quick else 10  # passes over the 4,500 training images
    model = RowClassifier(cell="lstm", units=units)
    model.compile(optimizer=keras.optimizers.Adam(2e-3, clipnorm=1.0))
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        batch_size=64,
        epochs=epochs,
        verbose=2,
    )
    test_loss, test_accuracy = model.evaluate(
        x_test, y_test, batch_size=256, verbose=0
    )
    print(f"   test accuracy {test_accuracy:.4f} (10,000 official images)")
    plot_history(
        history,
        os.path.join(out_dir, "mnist_rows_history.png"),
        title="RowClassifier (LSTM) on MNIST rows",
    )
    return {
        "units": units,
        "epochs": epochs,
        "train_examples": int(len(x_train)),
        "test_examples": int(len(x_test)),
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "history": {
            k: [float(v) for v in vs] for k, vs in history.history.items()
        },
    }


def train_text_generator(data_dir, quick):
    """Trains a character LSTM on tiny-shakespeare and generates with it."""
    train_text, val_text = text.load_data("tinyshakespeare", path=data_dir)
    characters = 32_000 if quick else len(train_text)  # one pass over them
    units = 64 if quick else 256  # state size of the LSTM
    window, batch_size = (50, 32) if quick else (100, 64)
    val_text = val_text[:20_000]
    model = TextGenerator.from_text(train_text, units=units)
    model.fit(
        model.make_dataset(
            train_text[:characters], window, batch_size, seed=1234
        ),
        epochs=1,
        verbose=2,
    )
    bits = model.bits_per_character(val_text)
    print(f"   validation: {bits:.3f} bits per character")
    # The first call compiles the loop for these settings; time the second.
    model.generate("ROMEO:", 200, temperature=0.8)
    start = time.perf_counter()
    sample = model.generate("ROMEO:", 200, temperature=0.8, seed=1234)
    seconds = time.perf_counter() - start
    print(f"   sample at temperature 0.8 ({200 / seconds:,.0f} chars/s):")
    print("   " + sample.replace("\n", "\n   "))
    return {
        "units": units,
        "train_characters": characters,
        "validation_characters": len(val_text),
        "validation_bits_per_character": bits,
        "sample": sample,
        "generated_characters_per_second": 200 / seconds,
    }


def check_decoder_parity():
    """Max |step - call| of AttentionDecoder over padded encoder inputs."""
    rng = np.random.default_rng(0)
    targets = rng.normal(size=(4, 9, 16)).astype("float32")
    memory = rng.normal(size=(4, 11, 32)).astype("float32")
    mask = np.arange(11)[None, :] < np.array([[11], [6], [3], [9]])
    results = {}
    for cell, attention in (("lstm", "luong"), ("gru", "bahdanau")):
        decoder = AttentionDecoder(cell, 32, attention=attention, num_layers=2)
        expected = keras.ops.convert_to_numpy(
            decoder(targets, memory, encoder_mask=mask)
        )
        state = decoder.get_initial_state(4)
        keys = decoder.compute_keys(memory)
        stepped = []
        for t in range(targets.shape[1]):
            output, state, _ = decoder.step(
                targets[:, t], state, memory, mask, encoder_keys=keys
            )
            stepped.append(keras.ops.convert_to_numpy(output))
        difference = float(np.abs(np.stack(stepped, 1) - expected).max())
        print(f"   {cell}/{attention}: max |step - call| = {difference:.2e}")
        results[f"{cell}_{attention}"] = difference
    return results


def run(data_dir, out_dir, quick=False):
    """Runs every demo stage and writes `out_dir/summary.json`.

    `data_dir` is a local copy of the datasets, or `None` to use the cache
    and download what is missing.
    """
    os.makedirs(out_dir, exist_ok=True)
    keras.utils.set_random_seed(1234)
    backend = keras.backend.backend()
    print(f"keras_seq demo on the {backend} backend (quick={quick})")
    print(f"   data: {data_dir or 'cache or download'}\n   output: {out_dir}")
    summary = {"backend": backend, "quick": quick}

    start = _stage("RowClassifier (LSTM) on MNIST rows")
    summary["mnist_rows"] = train_mnist_rows(data_dir, out_dir, quick)
    _done(start)

    start = _stage("TextGenerator (LSTM) on tiny-shakespeare")
    summary["text_generation"] = train_text_generator(data_dir, quick)
    _done(start)

    start = _stage("AttentionDecoder: step-by-step decoding vs teacher forcing")
    summary["decoder_parity"] = check_decoder_parity()
    _done(start)

    summary["not_yet_built"] = NOT_YET_BUILT
    atomic_write_json(os.path.join(out_dir, "summary.json"), summary)
    print(
        f"\nNot in this demo yet: {NOT_YET_BUILT} "
        "(they join it as they are built)."
    )
    print(f"Wrote {os.path.join(out_dir, 'summary.json')}")
    return summary
