"""The main job: `keras-seq demo` trains every application on real data.

Stages, each printing a line with its elapsed time, each writing its
figures to the output folder and a section of `index.html`:
1. `RowClassifier` (LSTM) on MNIST rows: 4,500 training images, 500 for
   validation, the official 10,000 for test;
2. `TextGenerator` (character LSTM) on tiny-shakespeare: validation bits per
   character and samples at temperatures 0.5, 0.8 and 1.0;
3. `Seq2SeqTranslator` (GRU encoder-decoder with attention) on the
   Tatoeba Spanish-English pairs: BLEU on test pairs, translations and
   attention maps;
4. `ImageCaptioner` (CNN encoder, attention LSTM decoder) on multi-digit
   MNIST captions: exact match and BLEU-4 on unseen handwriting, captions
   with attention overlays;
5. `VideoFramePredictor` (ConvLSTM) on Moving MNIST: MSE per frame beside
   the copy-last-frame baseline, a frame strip and a GIF;
6. a check that `AttentionDecoder.step`, token by token, reproduces the
   teacher-forced `call`.

`quick=True` uses small models and data (a few minutes on two CPU cores);
the figures are a demonstration, not the recipes' results (README).
It writes `summary.json`, `index.html` and each trained model
(`<application>.keras`, for `keras-seq evaluate`, `generate`, `translate`,
`caption` and `predict-frames`) to the output folder.
"""

import os
import time

import keras
import numpy as np

from keras_seq.applications import ImageCaptioner
from keras_seq.applications import RowClassifier
from keras_seq.applications import Seq2SeqTranslator
from keras_seq.applications import TextGenerator
from keras_seq.applications import VideoFramePredictor
from keras_seq.applications import image_captioner
from keras_seq.applications import seq2seq_translator
from keras_seq.applications import video_frame_predictor
from keras_seq.datasets import mnist
from keras_seq.datasets import mnist_captions
from keras_seq.datasets import moving_mnist
from keras_seq.datasets import text
from keras_seq.datasets import translation
from keras_seq.layers import AttentionDecoder
from keras_seq.utils.file_utils import atomic_save_figure
from keras_seq.utils.file_utils import atomic_save_model
from keras_seq.utils.file_utils import atomic_write_json
from keras_seq.visualization import plot_frames
from keras_seq.visualization import plot_history
from keras_seq.visualization import save_frames_gif
from keras_seq.visualization.report import Report

TEMPERATURES = (0.5, 0.8, 1.0)
SPANISH_EXAMPLES = [
    "¿Dónde está la biblioteca?",
    "Tengo que ir al médico mañana.",
    "No creo que Tom sepa lo que pasó.",
]


def _history(history):
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}


def _fit(model, x, y, validation_data, epochs, learning_rate, callbacks):
    """Compiles with Adam (gradient norm clipped at 1) and fits."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0))
    return model.fit(
        x,
        y,
        batch_size=64,
        validation_data=validation_data,
        epochs=epochs,
        callbacks=list(callbacks),
        verbose=2,
    )


def _plot_digits(images, labels, predictions, path):
    """A row of test digits titled with the label and the prediction."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(1.4 * len(images), 1.8))
    for i, (image, label, predicted) in enumerate(
        zip(images, labels, predictions)
    ):
        axes = figure.add_subplot(1, len(images), i + 1)
        axes.imshow(image, cmap="gray")
        color = "green" if label == predicted else "red"
        axes.set_title(f"{predicted} ({label})", color=color, fontsize=10)
        axes.axis("off")
    figure.suptitle("predicted (true)", fontsize=9)
    atomic_save_figure(figure, path)


def train_mnist_rows(data_dir, out_dir, quick, report, callbacks=()):
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
    history = _fit(
        model, x_train, y_train, (x_val, y_val), epochs, 2e-3, callbacks
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
    predictions = model.predict(x_test[:10], verbose=0).argmax(axis=-1)
    _plot_digits(
        x_test[:10],
        y_test[:10],
        predictions,
        os.path.join(out_dir, "mnist_rows_samples.png"),
    )
    summary = {
        "units": units,
        "epochs": epochs,
        "train_examples": int(len(x_train)),
        "test_examples": int(len(x_test)),
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "history": _history(history),
    }
    report.table(
        {
            "model": f"LSTM({units}), {epochs} epochs",
            "training images": len(x_train),
            "test accuracy (10,000 images)": float(test_accuracy),
        }
    )
    report.image("mnist_rows_history.png", "training curves")
    report.image("mnist_rows_samples.png", "first ten test digits")
    return summary, model


def train_text_generator(data_dir, out_dir, quick, report, callbacks=()):
    """Trains a character LSTM on tiny-shakespeare and samples from it."""
    train_text, val_text = text.load_data("tinyshakespeare", path=data_dir)
    characters = 32_000 if quick else len(train_text)  # one pass over them
    units = 64 if quick else 256  # state size of the LSTM
    window, batch_size = (50, 32) if quick else (100, 64)
    val_text = val_text[:20_000]
    model = TextGenerator.from_text(train_text, units=units)
    history = model.fit(
        model.make_dataset(
            train_text[:characters], window, batch_size, seed=1234
        ),
        epochs=1,
        callbacks=list(callbacks),
        verbose=2,
    )
    bits = model.bits_per_character(val_text)
    print(f"   validation: {bits:.3f} bits per character")
    samples = {}
    for temperature in TEMPERATURES:
        samples[str(temperature)] = model.generate(
            "ROMEO:", 200, temperature=temperature, seed=1234
        )
    # The first call compiled the loop for these settings; time another.
    start = time.perf_counter()
    model.generate("ROMEO:", 200, temperature=0.8, seed=7)
    seconds = time.perf_counter() - start
    print(f"   sample at temperature 0.8 ({200 / seconds:,.0f} chars/s):")
    print("   " + samples["0.8"].replace("\n", "\n   "))
    report.table(
        {
            "model": f"character LSTM({units}), one pass",
            "training characters": characters,
            "validation bits per character": bits,
            "generation speed (chars/s)": 200 / seconds,
        }
    )
    for temperature, sample in samples.items():
        report.text(sample, f"temperature {temperature}")
    summary = {
        "units": units,
        "train_characters": characters,
        "validation_characters": len(val_text),
        "validation_bits_per_character": bits,
        "samples": samples,
        "sample": samples["0.8"],
        "generated_characters_per_second": 200 / seconds,
        "history": _history(history),
    }
    return summary, model


def _short_pairs(sources, targets, limit, max_words=6):
    """The first `limit` pairs whose sides have at most `max_words` words."""
    pairs = [
        (source, target)
        for source, target in zip(sources, targets)
        if len(source.split()) <= max_words and len(target.split()) <= max_words
    ][:limit]
    return [s for s, _ in pairs], [t for _, t in pairs]


def train_translator(data_dir, out_dir, quick, report, callbacks=()):
    """Trains an attention GRU translator on Spanish-English pairs."""
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
        translation.load_data("spa", path=data_dir)
    )
    units = 64 if quick else 256  # state size of every GRU
    epochs = 2 if quick else 4
    if quick:
        # Short sentences are learned first: at most six words a side.
        x_train, y_train = _short_pairs(x_train, y_train, 12_000)
        x_val, y_val = _short_pairs(x_val, y_val, 500)
        x_test, y_test = _short_pairs(x_test, y_test, 200)
    else:
        x_train, y_train = x_train[:40_000], y_train[:40_000]
        x_val, y_val = x_val[:1000], y_val[:1000]
        x_test, y_test = x_test[:500], y_test[:500]
    model = Seq2SeqTranslator.from_corpus(
        x_train,
        y_train,
        source_vocabulary_size=4000,
        target_vocabulary_size=4000,
        tokenizer="word",
        units=units,
        embedding_dim=units // 2,
        attention="bahdanau",
    )
    history = _fit(
        model, x_train, y_train, (x_val, y_val), epochs, 3e-3, callbacks
    )
    scores = seq2seq_translator.evaluate_translation(model, x_test, y_test)
    print(f"   test BLEU {scores['bleu']:.2f} ({len(x_test)} pairs, greedy)")
    plot_history(history, os.path.join(out_dir, "translation_history.png"))
    translations = {}
    for i, sentence in enumerate(SPANISH_EXAMPLES):
        translations[sentence] = model.translate(sentence, sampler="beam")
        model.plot_attention(
            sentence, os.path.join(out_dir, f"translation_attention_{i}.png")
        )
        print(f"   {sentence} -> {translations[sentence]}")
    report.table(
        {
            "model": f"bidirectional GRU({units}) encoder, attention decoder",
            "training pairs": len(x_train),
            "test pairs": len(x_test)
            if not quick
            else (f"{len(x_test)} of at most six words"),
            "test BLEU (greedy)": scores["bleu"],
        }
    )
    report.image("translation_history.png", "training curves")
    report.text(
        "\n".join(f"{s} -> {t}" for s, t in translations.items()),
        "translations (beam search)",
    )
    for i in range(len(SPANISH_EXAMPLES)):
        report.image(f"translation_attention_{i}.png", "attention")
    summary = {
        "units": units,
        "train_pairs": len(x_train),
        "test_pairs": len(x_test),
        "test_bleu": scores["bleu"],
        "translations": translations,
        "history": _history(history),
    }
    return summary, model


def train_captioner(data_dir, out_dir, quick, report, callbacks=()):
    """Trains an ImageCaptioner to read multi-digit MNIST images."""
    num_train = 3_000 if quick else 20_000
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
        mnist_captions.load_data(
            num_train=num_train, num_validation=200, num_test=200, path=data_dir
        )
    )
    units = 64 if quick else 128
    epochs = 2 if quick else 6
    model = ImageCaptioner(
        encoder=None,
        image_size=x_train.shape[1:3],
        units=units,
        embedding_dim=32,
        max_caption_length=8,
    )
    model.adapt(y_train)
    history = _fit(
        model, x_train, y_train, (x_val, y_val), epochs, 1e-3, callbacks
    )
    scores = image_captioner.evaluate_captions(model, x_test, y_test)
    print(
        f"   test exact match {scores['exact_match']:.3f}, BLEU-4 "
        f"{scores['bleu_4']:.3f} ({len(x_test)} images, greedy)"
    )
    plot_history(history, os.path.join(out_dir, "captioning_history.png"))
    captions = model.caption(x_test[:3])
    for i in range(3):
        model.plot_attention(
            x_test[i], os.path.join(out_dir, f"captioning_attention_{i}.png")
        )
    report.table(
        {
            "model": f"small CNN encoder, attention LSTM({units}) decoder",
            "training images": len(x_train),
            "test exact match": scores["exact_match"],
            "test BLEU-4": scores["bleu_4"],
            "test CIDEr-D": scores["cider_d"],
        }
    )
    report.image("captioning_history.png", "training curves")
    for i, caption in enumerate(captions):
        report.image(
            f"captioning_attention_{i}.png", f"{caption!r} (true: {y_test[i]})"
        )
    summary = {
        "units": units,
        "train_images": len(x_train),
        "test_images": len(x_test),
        "test_exact_match": scores["exact_match"],
        "test_bleu_4": scores["bleu_4"],
        "test_cider_d": scores["cider_d"],
        "captions": list(captions),
        "history": _history(history),
    }
    return summary, model


def train_video_predictor(data_dir, out_dir, quick, report, callbacks=()):
    """Trains a ConvLSTM next-frame predictor on Moving MNIST."""
    train, validation, test = moving_mnist.load_data(
        num_train=512 if quick else 2_000,
        num_validation=16 if quick else 100,
        num_test=32 if quick else 200,
        path=data_dir,
    )
    filters = 8 if quick else 16
    epochs = 3 if quick else 5
    model = VideoFramePredictor(
        filters=filters, num_layers=1, scheduled_sampling_steps=50
    )
    history = model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        batch_size=16,
        callbacks=list(callbacks),
        verbose=2,
    )
    scores = video_frame_predictor.evaluate_frames(model, test)
    ours, copy = scores["model"], scores["copy_last_frame"]
    print(
        f"   test MSE per frame {ours['mean_mse']:.1f} "
        f"(copy-last-frame {copy['mean_mse']:.1f})"
    )
    future = model.predict_frames(test[:1, :10], num_frames=10)
    plot_frames(
        test[0, :10],
        test[0, 10:],
        future[0],
        path=os.path.join(out_dir, "video_strip.png"),
    )
    save_frames_gif(
        os.path.join(out_dir, "video.gif"),
        test[0, :10],
        test[0, 10:],
        future[0],
    )
    report.table(
        [
            (f"t+{h + 1}", ours["mse"][h], copy["mse"][h], ours["ssim"][h])
            for h in range(len(ours["mse"]))
        ],
        header=("horizon", "MSE per frame", "copy-last-frame MSE", "SSIM"),
    )
    report.image("video_strip.png", "context | truth | prediction")
    report.image("video.gif", "truth (top) and prediction (bottom)")
    summary = {
        "filters": filters,
        "train_sequences": len(train),
        "test_sequences": len(test),
        "test_mean_mse": ours["mean_mse"],
        "copy_last_frame_mean_mse": copy["mean_mse"],
        "history": _history(history),
    }
    return summary, model


def check_decoder_parity(report):
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
    report.table(results, header=("decoder", "max |step - call|"))
    return results


STAGES = (
    ("mnist_rows", "RowClassifier (LSTM) on MNIST rows", train_mnist_rows),
    (
        "text_generation",
        "TextGenerator (character LSTM) on tiny-shakespeare",
        train_text_generator,
    ),
    (
        "translation",
        "Seq2SeqTranslator (GRU, attention) on Spanish-English",
        train_translator,
    ),
    (
        "image_captioning",
        "ImageCaptioner on multi-digit MNIST captions",
        train_captioner,
    ),
    (
        "video_prediction",
        "VideoFramePredictor (ConvLSTM) on Moving MNIST",
        train_video_predictor,
    ),
)


def run(data_dir, out_dir, quick=False):
    """Runs every demo stage; writes `summary.json` and `index.html`.

    `data_dir` is a local copy of the datasets, or `None` to use the cache
    and download what is missing.
    """
    os.makedirs(out_dir, exist_ok=True)
    keras.utils.set_random_seed(1234)
    backend = keras.backend.backend()
    print(f"keras_seq demo on the {backend} backend (quick={quick})")
    print(f"   data: {data_dir or 'cache or download'}\n   output: {out_dir}")
    summary = {"backend": backend, "quick": quick, "seconds": {}}
    report = Report(out_dir, f"keras_seq demo ({backend} backend)")
    report.paragraph(
        "Each application trained briefly on real data "
        f"({'quick sizes' if quick else 'demo sizes'}): a demonstration, "
        "not the recipes' results, which the README reports."
    )
    total = time.perf_counter()
    for key, title, stage in STAGES:
        print(f"\n== {title}", flush=True)
        report.section(title)
        start = time.perf_counter()
        summary[key], model = stage(data_dir, out_dir, quick, report)
        atomic_save_model(model, os.path.join(out_dir, f"{key}.keras"))
        seconds = time.perf_counter() - start
        summary["seconds"][key] = round(seconds, 1)
        report.elapsed(seconds)
        print(f"   done in {seconds:.1f}s", flush=True)

    title = "AttentionDecoder: step-by-step decoding vs teacher forcing"
    print(f"\n== {title}", flush=True)
    report.section(title)
    summary["decoder_parity"] = check_decoder_parity(report)

    summary["seconds"]["total"] = round(time.perf_counter() - total, 1)
    atomic_write_json(os.path.join(out_dir, "summary.json"), summary)
    page = report.write()
    print(f"\nAll stages in {summary['seconds']['total']:.0f}s.")
    print(f"Wrote {os.path.join(out_dir, 'summary.json')} and {page}")
    return summary
