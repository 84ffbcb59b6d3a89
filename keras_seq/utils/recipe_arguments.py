"""The command line every recipe in `applications/` shares.

Imports neither Keras nor a backend: a recipe parses its arguments, sets
`KERAS_BACKEND`, and only then imports Keras.
"""

import argparse
import os
import sys


def recipe_parser(docstring):
    """An `ArgumentParser` described by the recipe's module docstring."""
    return argparse.ArgumentParser(
        description=docstring.split("Usage:")[0].strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_common_arguments(parser, default_out, smoke_help):
    """Adds `--out`, `--data-dir`, `--smoke` and `--seed`."""
    parser.add_argument("--out", default=default_out, help="output directory")
    parser.add_argument(
        "--data-dir",
        help="local copy of the datasets (default: KERAS_SEQ_DATA_DIR, "
        "the Keras cache, or a download)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"tiny sizes, for tests: {smoke_help}",
    )
    parser.add_argument("--seed", type=int, default=1234, help="random seed")


def check_at_least_one(parser, args, names):
    """Exits with a usage error when an int argument is below 1."""
    for name in names:
        value = getattr(args, name)
        if value < 1:
            option = "--" + name.replace("_", "-")
            parser.error(f"{option} must be at least 1, got {value}")


def check_positive(parser, args, names):
    """Exits with a usage error when a number argument is not above 0."""
    for name in names:
        value = getattr(args, name)
        if value <= 0:
            option = "--" + name.replace("_", "-")
            parser.error(f"{option} must be positive, got {value}")


def command_line():
    """The recipe's arguments: `sys.argv`, or in a notebook none (the
    defaults), with `--smoke` when `KERAS_SEQ_SMOKE=1`."""
    if "ipykernel" not in sys.modules:
        return None
    return ["--smoke"] if os.environ.get("KERAS_SEQ_SMOKE") == "1" else []
