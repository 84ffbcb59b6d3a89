"""Test accuracy of RowClassifier per cell and per backend (MNIST protocol).

Runs the `applications/mnist_rows.py` recipe once per backend and model
(SimpleRNN, GRU, LSTM, bidirectional LSTM), each in its own process with the
same seed, then prints a Markdown table and writes it, with every run's
metrics, to `benchmarks/results/mnist_rows_accuracy.json`.

Usage:

```
python benchmarks/mnist_rows_accuracy.py                     # everything
python benchmarks/mnist_rows_accuracy.py --backends jax --models lstm
python benchmarks/mnist_rows_accuracy.py --smoke             # a quick check
```

Finished runs are kept in `--runs` and not repeated, so an interrupted
table resumes where it stopped.
"""

import argparse
import json
import os
import subprocess
import sys

from keras_seq.utils.file_utils import atomic_write_json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RECIPE = os.path.join(ROOT, "applications", "mnist_rows.py")
MODELS = {
    "simple_rnn": ["--cell", "simple_rnn"],
    "gru": ["--cell", "gru"],
    "lstm": ["--cell", "lstm"],
    "bidirectional_lstm": ["--cell", "lstm", "--bidirectional"],
}
TARGETS = {"lstm": 0.970, "bidirectional_lstm": 0.975}  # the bar
BACKENDS = ("tensorflow", "jax", "torch")


def run(backend, model, args):
    """Runs the recipe unless its metrics are there; returns the metrics."""
    out = os.path.join(args.runs, f"{backend}-{model}")
    metrics_path = os.path.join(out, "metrics.json")
    if os.path.exists(metrics_path):
        with open(metrics_path) as file:
            metrics = json.load(file)
        if metrics["epochs"] == args.epochs and metrics["smoke"] == args.smoke:
            print(f"{backend}/{model}: done before, reusing {metrics_path}")
            return metrics
    command = [
        sys.executable,
        RECIPE,
        "--backend",
        backend,
        "--epochs",
        str(args.epochs),
        "--out",
        out,
        *MODELS[model],
    ]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    if args.smoke:
        command.append("--smoke")
    print(f"{backend}/{model}: {' '.join(command)}", flush=True)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(
            f"{backend}/{model} failed (exit {result.returncode}):\n"
            f"{result.stderr[-3000:]}"
        )
    with open(metrics_path) as file:
        return json.load(file)


def table(results, backends, models):
    lines = [
        "| model | " + " | ".join(backends) + " | target |",
        "|---|" + "---|" * (len(backends) + 1),
    ]
    for model in models:
        cells = []
        for backend in backends:
            metrics = results[backend][model]
            cells.append(
                f"{100 * metrics['test_accuracy']:.2f}% "
                f"({metrics['train_seconds']:.0f} s)"
            )
        target = TARGETS.get(model)
        target = f"≥ {100 * target:.1f}%" if target else ""
        lines.append(f"| {model} | " + " | ".join(cells) + f" | {target} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("Usage:")[0].strip()
    )
    parser.add_argument(
        "--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS)
    )
    parser.add_argument(
        "--models", nargs="+", choices=list(MODELS), default=list(MODELS)
    )
    parser.add_argument(
        "--epochs", type=int, default=30, help="epochs per run (default 30)"
    )
    parser.add_argument(
        "--runs", default="runs/mnist_rows_accuracy", help="run directories"
    )
    parser.add_argument(
        "--output",
        default=os.path.join(ROOT, "benchmarks", "results"),
        help="where the JSON result goes",
    )
    parser.add_argument("--data-dir", help="local copy of the datasets")
    parser.add_argument("--smoke", action="store_true", help="tiny runs")
    args = parser.parse_args()

    results = {
        backend: {model: run(backend, model, args) for model in args.models}
        for backend in args.backends
    }
    markdown = table(results, args.backends, args.models)
    any_run = results[args.backends[0]][args.models[0]]
    print(
        f"\nTest accuracy on {any_run['test_images']:,} official MNIST test "
        f"images ({any_run['train_images']:,} training images, "
        f"{args.epochs} epochs; training time in brackets):\n"
    )
    print(markdown)
    name = "mnist_rows_accuracy" + ("_smoke" if args.smoke else "") + ".json"
    atomic_write_json(
        os.path.join(args.output, name),
        {
            "command": " ".join(["python", *sys.argv]),
            "epochs": args.epochs,
            "smoke": args.smoke,
            "table": markdown,
            "runs": results,
        },
    )


if __name__ == "__main__":
    main()
