"""The `keras-seq` command.

Usage:
    keras-seq demo [--backend tensorflow|jax|torch] [--out DIR] [--quick]
        [--data-dir DIR]
    keras-seq --version

The Keras backend is fixed when Keras is first imported. `import keras_seq`
does not import Keras, so `--backend` only has to set `KERAS_BACKEND` before
the command imports anything that uses Keras.
"""

import argparse
import os
import sys

BACKENDS = ("tensorflow", "jax", "torch")


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
        help="train what keras_seq has on real data and write a summary",
        description=(
            "Trains a RecurrentStack classifier on MNIST rows and checks the "
            "AttentionDecoder's step-by-step decoding against teacher "
            "forcing. The applications join the demo as they are built."
        ),
    )
    demo.add_argument(
        "--backend",
        choices=BACKENDS,
        help="Keras backend (default: KERAS_BACKEND, else Keras's default)",
    )
    demo.add_argument(
        "--out", default="report", help="output directory (default: report)"
    )
    demo.add_argument(
        "--quick", action="store_true", help="smaller models, fewer epochs"
    )
    demo.add_argument(
        "--data-dir",
        default=None,
        help="local copy of the datasets (default: KERAS_SEQ_DATA_DIR, else "
        "../shared/data if present, else the Keras cache and downloads)",
    )
    return parser


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


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.data_dir is not None and not os.path.isdir(args.data_dir):
            parser.error(
                f"argument --data-dir: {args.data_dir!r} is not a directory"
            )
        _use_backend(args.backend)
        from keras_seq import demo

        try:
            demo.run(
                args.data_dir or default_data_dir(), args.out, quick=args.quick
            )
        except (FileNotFoundError, ConnectionError, ValueError) as error:
            # A missing, unreachable or corrupted dataset: the loaders'
            # messages say what is wrong and how to fix it.
            parser.exit(1, f"keras-seq: error: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
