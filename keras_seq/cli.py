"""The `keras-seq` command.

Usage:
    keras-seq demo [--backend tensorflow|jax|torch] [--out DIR] [--quick]
        [--data-dir DIR]
    keras-seq train APP [--out DIR] [--quick] [--backend ...] [--data-dir DIR]
    keras-seq evaluate APP --model PATH [--quick] [--out FILE]
    keras-seq generate --model PATH [--prompt TEXT] [--max-length N]
        [--sampler NAME] [--temperature T] [--seed S] [--stream]
    keras-seq translate --model PATH [--sampler greedy|beam] TEXT [TEXT ...]
    keras-seq caption --model PATH [--sampler greedy|beam] IMAGE [IMAGE ...]
    keras-seq predict-frames --model PATH --frames FILE.npy
        [--context-frames N] [--num-frames N] [--out PREFIX]
    keras-seq --version

APP is one of mnist_rows, text_generation, translation, image_captioning and
video_prediction. Every command takes `--backend`; the ones that read the
datasets take `--data-dir`.

The Keras backend is fixed when Keras is first imported. `import keras_seq`
does not import Keras, so `--backend` only has to set `KERAS_BACKEND` before
the command imports anything that uses Keras.
"""

import argparse
import os
import sys

BACKENDS = ("tensorflow", "jax", "torch")
APPLICATIONS = (
    "mnist_rows",
    "text_generation",
    "translation",
    "image_captioning",
    "video_prediction",
)


def default_data_dir():
    """`KERAS_SEQ_DATA_DIR`, else `../shared/data` where it exists, else None
    (the loaders then use the Keras cache and download what is missing)."""
    if os.environ.get("KERAS_SEQ_DATA_DIR"):
        return os.environ["KERAS_SEQ_DATA_DIR"]
    shared = os.path.join(os.pardir, "shared", "data")
    return shared if os.path.isdir(shared) else None


def build_parser():
    from keras_seq.version import __version__

    parser = _Parser(
        prog="keras-seq",
        description="Recurrent sequence models for Keras 3.",
    )
    parser.add_argument(
        "--version", action="version", version=f"keras-seq {__version__}"
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser
    )
    demo = commands.add_parser(
        "demo",
        help="train every application briefly on real data; write a report",
        description=(
            "Trains RowClassifier, TextGenerator, Seq2SeqTranslator, "
            "ImageCaptioner and VideoFramePredictor briefly on real data and "
            "writes OUT/index.html (training curves, test metrics, samples, "
            "attention maps, frame strips and GIFs) and OUT/summary.json."
        ),
    )
    _add_backend(demo)
    demo.add_argument(
        "--out", default="report", help="output directory (default: report)"
    )
    demo.add_argument(
        "--quick", action="store_true", help="smaller models, fewer epochs"
    )
    _add_data_dir(demo)

    train = commands.add_parser(
        "train",
        help="train one application on real data and save it",
        description="Trains one application as `keras-seq demo` does and "
        "writes OUT/model.keras, OUT/metrics.json and OUT/index.html. The "
        "training state is backed up in OUT/backup after every epoch: run "
        "the same command again after an interruption and training resumes "
        "from the last epoch saved.",
    )
    train.add_argument("application", choices=APPLICATIONS)
    _add_backend(train)
    train.add_argument(
        "--out", default=None, help="output directory (default: runs/APP)"
    )
    train.add_argument(
        "--quick", action="store_true", help="smaller model and data"
    )
    _add_data_dir(train)

    evaluate = commands.add_parser(
        "evaluate",
        help="score a saved model on its application's test data",
        description="Loads a saved model (safe mode), checks it belongs to "
        "APP, scores it on APP's test data and prints the scores as JSON.",
    )
    evaluate.add_argument("application", choices=APPLICATIONS)
    _add_model(evaluate)
    _add_backend(evaluate)
    evaluate.add_argument(
        "--quick", action="store_true", help="score a small test subset"
    )
    evaluate.add_argument("--out", help="also write the scores to this JSON")
    _add_data_dir(evaluate)

    generate = commands.add_parser(
        "generate", help="generate text with a saved TextGenerator"
    )
    _add_model(generate)
    _add_backend(generate)
    generate.add_argument(
        "--prompt", default="ROMEO:", help="(default: %(default)s)"
    )
    generate.add_argument(
        "--max-length",
        type=_positive_int,
        default=200,
        help="tokens to generate (default: %(default)s)",
    )
    generate.add_argument(
        "--sampler",
        default="top_k",
        choices=("greedy", "random", "top_k", "top_p", "beam"),
        help="(default: %(default)s)",
    )
    generate.add_argument(
        "--temperature",
        type=_positive_float,
        default=0.8,
        help="(default: %(default)s)",
    )
    generate.add_argument("--seed", type=int, default=None)
    generate.add_argument(
        "--stream",
        action="store_true",
        help="print each token as it is generated (not with --sampler beam)",
    )

    translate = commands.add_parser(
        "translate", help="translate sentences with a saved Seq2SeqTranslator"
    )
    _add_model(translate)
    _add_backend(translate)
    translate.add_argument("texts", nargs="+", metavar="TEXT")
    translate.add_argument(
        "--sampler", default="beam", choices=("greedy", "beam")
    )

    caption = commands.add_parser(
        "caption", help="caption image files with a saved ImageCaptioner"
    )
    _add_model(caption)
    _add_backend(caption)
    caption.add_argument("images", nargs="+", metavar="IMAGE")
    caption.add_argument(
        "--sampler", default="greedy", choices=("greedy", "beam")
    )

    frames = commands.add_parser(
        "predict-frames",
        help="roll out future frames with a saved VideoFramePredictor",
        description="Reads a video from a .npy file, (frames, H, W, C) or "
        "(batch, frames, H, W, C), uint8 or floats in [0, 1]; predicts "
        "--num-frames frames after the first --context-frames; writes "
        "PREFIX.npy, and PREFIX.png and PREFIX.gif when the file also holds "
        "the true future frames.",
    )
    _add_model(frames)
    _add_backend(frames)
    frames.add_argument("--frames", required=True, help="a .npy file")
    frames.add_argument("--context-frames", type=_positive_int, default=10)
    frames.add_argument("--num-frames", type=_positive_int, default=10)
    frames.add_argument(
        "--out", default="predicted_frames", help="output path prefix"
    )
    return parser


def _add_backend(parser):
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="Keras backend (default: KERAS_BACKEND, else Keras's default)",
    )


def _add_model(parser):
    parser.add_argument(
        "--model", required=True, help="a .keras file saved by keras_seq"
    )


def _add_data_dir(parser):
    parser.add_argument(
        "--data-dir",
        default=None,
        help="local copy of the datasets (default: KERAS_SEQ_DATA_DIR, else "
        "../shared/data if present, else the Keras cache and downloads)",
    )


def _positive(number_type, description):
    """An argparse type: a number of `number_type` above zero."""

    def parse(text):
        try:
            value = number_type(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(
                f"expected {description}, got {text!r}"
            )
        return value

    return parse


_positive_int = _positive(int, "a positive integer")
_positive_float = _positive(float, "a positive number")


class _Parser(argparse.ArgumentParser):
    """Reports a bad command line in one line, with a pointer to `--help`."""

    def error(self, message):
        self.exit(
            2, f"{self.prog}: error: {message} (see {self.prog} --help)\n"
        )


def _use_backend(backend):
    """Selects the Keras backend, which must happen before Keras loads."""
    if backend is not None:
        if "keras" in sys.modules and (
            sys.modules["keras"].backend.backend() != backend
        ):
            raise RuntimeError(
                f"Keras is already loaded with the "
                f"{sys.modules['keras'].backend.backend()} backend; cannot "
                f"switch to {backend!r}."
            )
        os.environ["KERAS_BACKEND"] = backend
    # TensorFlow's start-up log lines are noise for a command-line user.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def model_file_problem(path):
    """What is wrong with `path` as a `--model` file, or `None`.

    Checks what can be checked without Keras: that the file exists and that
    a `.keras` file is a zip archive, as Keras writes them.
    """
    import zipfile

    if not os.path.isfile(path):
        return f"--model {path!r}: no such file"
    if path.endswith(".keras") and not zipfile.is_zipfile(path):
        return (
            f"--model {path!r} is not a Keras model file that keras_seq can "
            "load (not a zip archive)"
        )
    return None


def _import_tensorflow_quietly():
    """Imports TensorFlow, where installed, with its C++ start-up lines (CUDA
    probes, written before its logging is set up) kept off the terminal.

    KerasHub imports TensorFlow whatever the backend; without this, every
    command would open with lines that are not about it. A failing import
    still raises, after the terminal is restored.
    """
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    data_dir = getattr(args, "data_dir", None)
    if data_dir is not None and not os.path.isdir(data_dir):
        parser.error(f"argument --data-dir: {data_dir!r} is not a directory")
    model_path = getattr(args, "model", None)
    if model_path is not None:
        # Before Keras and TensorFlow load (10-17 s on two cores): a
        # missing or broken file is said at once.
        problem = model_file_problem(model_path)
        if problem:
            parser.exit(1, f"keras-seq: error: {problem}\n")
    _use_backend(args.backend)
    _import_tensorflow_quietly()
    # Imports Keras, now that the backend is set.
    from keras_seq.commands import CommandError

    try:
        _run(args, data_dir or default_data_dir())
    except (
        CommandError,
        FileNotFoundError,
        ConnectionError,
        ValueError,
        TypeError,
    ) as error:
        # A missing, unreachable or corrupted dataset, a model of another
        # kind, or inputs a model refuses: one line says what is wrong.
        message = str(error).strip().splitlines()[0] if str(error) else ""
        parser.exit(1, f"keras-seq: error: {message or repr(error)}\n")
    return 0


def _run(args, data_dir):
    if args.command == "demo":
        from keras_seq import demo

        demo.run(data_dir, args.out, quick=args.quick)
        return
    from keras_seq import commands

    if args.command == "train":
        out = args.out or os.path.join("runs", args.application)
        commands.train(args.application, data_dir, out, args.quick)
    elif args.command == "evaluate":
        scores = commands.evaluate(
            args.application, args.model, data_dir, args.quick
        )
        commands.print_json(scores)
        if args.out:
            from keras_seq.utils.file_utils import atomic_write_json

            atomic_write_json(args.out, scores)
    elif args.command == "generate":
        options = (
            args.model,
            args.prompt,
            args.max_length,
            args.sampler,
            args.temperature,
            args.seed,
        )
        if args.stream:
            for piece in commands.generate_stream(*options):
                print(piece, end="", flush=True)
            print()
        else:
            print(commands.generate(*options))
    elif args.command == "translate":
        for text in commands.translate(args.model, args.texts, args.sampler):
            print(text)
    elif args.command == "caption":
        captions = commands.caption(args.model, args.images, args.sampler)
        for path, text in zip(args.images, captions):
            print(f"{path}\t{text}")
    else:
        written = commands.predict_frames(
            args.model,
            args.frames,
            args.context_frames,
            args.num_frames,
            args.out,
        )
        print("Wrote " + ", ".join(written))


if __name__ == "__main__":
    sys.exit(main())
