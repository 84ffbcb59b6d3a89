"""Training and inference speed of keras_seq's LSTM and GRU layers.

For each backend (one subprocess each, as Keras fixes its backend per
process) this times the same small models built with `keras.layers.LSTM`
/ `GRU` and with `keras_seq.layers.LSTM` / `GRU`, and, in the same process,
the same models written directly in PyTorch (`torch.nn.LSTM` / `GRU`, an
eager training loop with Adam, as a PyTorch user writes it):

- `rows`: MNIST-rows shape, `(128, 28, 28)` batches, RNN(128), 10 logits;
- `text_masked`: a padded text batch, vocabulary 5,000, length 40,
  `Embedding(64, mask_zero=True)`, RNN(128), one logit; lengths drawn from
  5 to 40 and right-padded (PyTorch: `pack_padded_sequence`);
- `text_unmasked`: the same batches without a mask, so that the cost of
  the mask shows.

Each model is also timed without its recurrent layer (its inputs averaged
over time instead, `GlobalAveragePooling1D`, which honours the mask; in
PyTorch the same mean), in Keras and in PyTorch. That is what each side's
training step costs around the layer: the data pipeline, the embedding,
the head, the loss and the optimizer. A model's time per batch less that
of its model without the layer is the recurrent layer's share, compared
between keras_seq and PyTorch in a table of its own.

Training: samples per second over one epoch of `model.fit` (batch 128),
after a warm-up epoch that compiles. Inference: samples per second of
`model.predict` (batch 128), after a warm-up call. Each figure is the best
of `--repeats` runs, taken in rounds that run the three contenders (Keras,
keras_seq, PyTorch) one after the other, so that a drift in the machine's
speed reaches all three alike. The masked and unmasked text models share
their rounds (six contenders), so that the masked-over-unmasked ratio is
not a drift between two moments either. It still varies from run to run
on a shared machine: see benchmarks/README.md.

PyTorch's speed on the CPU here depends on glibc's allocator: by default
glibc serves large allocations with fresh pages from the system (`mmap`),
gives them back when they are freed, and raises the size above which it
does so as the process frees large blocks, so what ran before a model
changes its speed. Fixed thresholds remove that (`benchmarks/README.md`
has the figures):

    MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 \
        python benchmarks/recurrent_layers.py --batches 40 --repeats 5

The JSON records these variables (and `LD_PRELOAD`, `GLIBC_TUNABLES`) as
it records `XLA_FLAGS`.

Targets (issue 8): `keras_seq.layers` at least 1.0x plain PyTorch on every
backend; masked at most 1.1x the unmasked time.

`--cells simple_rnn` times `SimpleRNN` against `torch.nn.RNN` the same way
(`--cells lstm,gru,simple_rnn` for all three; the default is the issue's
two), written to `recurrent_layers_simple_rnn.json`.

    python benchmarks/recurrent_layers.py [--backends jax torch] [--smoke]
"""

import argparse
import functools
import json
import os
import platform

from backend_workers import add_arguments
from backend_workers import best_of_interleaved
from backend_workers import run_or_work
from backend_workers import write_results

BACKENDS = ("tensorflow", "jax", "torch")
CELLS = ("lstm", "gru", "simple_rnn")
DEFAULT_CELLS = "lstm,gru"
LAYER_NAMES = {"lstm": "LSTM", "gru": "GRU", "simple_rnn": "SimpleRNN"}
TASKS = ("rows", "text_masked", "text_unmasked")
# The tasks timed in the same rounds.
ROUNDS = (("rows",), ("text_masked", "text_unmasked"))
CONTENDERS = ("keras", "keras_seq", "torch")
# The models without their recurrent layer (see the module's docstring).
BASELINES = ("keras_without_rnn", "torch_without_rnn")
UNITS = 128
BATCH_SIZE = 128
VOCABULARY_SIZE = 5_000
SEQUENCE_LENGTH = 40
EMBEDDING_DIM = 64


def make_data(task, num_batches, seed=0):
    """Random inputs of the task's shape (speed does not depend on them)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    size = num_batches * BATCH_SIZE
    if task == "rows":
        x = rng.random((size, 28, 28), dtype="float32")
        y = rng.integers(0, 10, size)
        return x, y, None
    lengths = rng.integers(5, SEQUENCE_LENGTH + 1, size)
    x = rng.integers(1, VOCABULARY_SIZE, (size, SEQUENCE_LENGTH))
    x[np.arange(SEQUENCE_LENGTH)[None, :] >= lengths[:, None]] = 0
    y = rng.integers(0, 2, size).astype("float32")
    return x.astype("int32"), y, lengths


def keras_model(layers_module, cell, task):
    """The task's model with `layers_module`'s layer for `cell`, or without
    a recurrent layer (`layers_module=None`): the inputs' mean over time."""
    import keras

    if layers_module is None:
        layer = keras.layers.GlobalAveragePooling1D()
    else:
        layer = getattr(layers_module, LAYER_NAMES[cell])(UNITS)
    if task == "rows":
        inputs = keras.Input((28, 28))
        outputs = keras.layers.Dense(10)(layer(inputs))
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    else:
        inputs = keras.Input((SEQUENCE_LENGTH,), dtype="int32")
        embedded = keras.layers.Embedding(
            VOCABULARY_SIZE, EMBEDDING_DIM, mask_zero=task == "text_masked"
        )(inputs)
        outputs = keras.layers.Dense(1)(layer(embedded))
        loss = keras.losses.BinaryCrossentropy(from_logits=True)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    return model, layer


def keras_runs(layers_module, cell, task, num_batches):
    """`(train_epoch, predict, paths)` for the model made with
    `layers_module`'s layer for `cell` (or without one: `None, None`),
    warmed up (compiled)."""
    x, y, _ = make_data(task, num_batches)
    model, layer = keras_model(layers_module, cell, task)

    def train_epoch():
        model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0)

    def predict():
        model.predict(x, batch_size=BATCH_SIZE, verbose=0)

    train_epoch()
    model.predict(x[:BATCH_SIZE], batch_size=BATCH_SIZE, verbose=0)
    return (
        train_epoch,
        predict,
        lambda: dict(getattr(layer, "path_counts", {"keras": 1})),
    )


def torch_runs(cell, task, num_batches):
    """`(train_epoch, predict)` for the same model in plain PyTorch,
    trained with an eager loop, warmed up; without a recurrent layer
    (`cell=None`), the inputs' mean over their real steps."""
    import torch
    from torch.nn.utils import rnn as torch_rnn

    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x, y, lengths = make_data(task, num_batches)
    rnn_class = {
        "lstm": torch.nn.LSTM,
        "gru": torch.nn.GRU,
        "simple_rnn": torch.nn.RNN,
    }.get(cell)
    masked = task == "text_masked"

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            if task == "rows":
                features = 28
            else:
                features = EMBEDDING_DIM
                self.embedding = torch.nn.Embedding(
                    VOCABULARY_SIZE, EMBEDDING_DIM, padding_idx=0
                )
            self.rnn = None
            if rnn_class is not None:
                self.rnn = rnn_class(features, UNITS, batch_first=True)
                features = UNITS
            self.head = torch.nn.Linear(features, 10 if task == "rows" else 1)

        def forward(self, inputs, lengths):
            if task != "rows":
                inputs = self.embedding(inputs)
            if self.rnn is None:
                if not masked:
                    return self.head(inputs.mean(1))
                lengths = lengths.to(inputs.device)[:, None]
                steps = torch.arange(inputs.shape[1], device=inputs.device)
                real = (steps[None, :] < lengths)[:, :, None]
                return self.head((inputs * real).sum(1) / lengths)
            if masked:
                inputs = torch_rnn.pack_padded_sequence(
                    inputs, lengths, batch_first=True, enforce_sorted=False
                )
            _, state = self.rnn(inputs)
            h = state[0] if cell == "lstm" else state
            return self.head(h[0])

    model = Model().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.as_tensor(
        x if task == "rows" else x.astype("int64"), device=device
    )
    y = torch.as_tensor(
        y if task == "rows" else y.astype("float32"), device=device
    )
    # `pack_padded_sequence` takes its lengths on the CPU.
    lengths = torch.as_tensor(lengths) if lengths is not None else None
    batches = [slice(i, i + BATCH_SIZE) for i in range(0, len(x), BATCH_SIZE)]

    def loss_of(logits, targets):
        if task == "rows":
            return torch.nn.functional.cross_entropy(logits, targets)
        return torch.nn.functional.binary_cross_entropy_with_logits(
            logits[:, 0], targets
        )

    def synchronize():
        if device == "cuda":
            torch.cuda.synchronize()

    def train_epoch():
        model.train()
        for batch in batches:
            batch_lengths = lengths[batch] if lengths is not None else None
            optimizer.zero_grad()
            loss = loss_of(model(x[batch], batch_lengths), y[batch])
            loss.backward()
            optimizer.step()
        synchronize()

    def predict():
        model.eval()
        with torch.no_grad():
            for batch in batches:
                batch_lengths = lengths[batch] if lengths is not None else None
                model(x[batch], batch_lengths)
        synchronize()

    train_epoch()
    predict()
    return train_epoch, predict


def _device_name(backend):
    """The accelerator Keras runs on, or "cpu"."""
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return "cpu" if device.platform == "cpu" else device.device_kind
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name()
        return "cpu"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return (
        tf.config.experimental.get_device_details(gpus[0]).get(
            "device_name", "GPU"
        )
        if gpus
        else "cpu"
    )


def worker(backend, num_batches, repeats, cells, output):
    os.environ["KERAS_BACKEND"] = backend
    import keras

    import keras_seq

    results = {
        "backend": backend,
        "device": _device_name(backend),
        "keras_version": keras.__version__,
    }
    for cell in cells.split(","):
        for tasks in ROUNDS:
            runs = {}
            for task in tasks:
                runs[task, "keras"] = keras_runs(
                    keras.layers, cell, task, num_batches
                )
                runs[task, "keras_seq"] = keras_runs(
                    keras_seq.layers, cell, task, num_batches
                )
                runs[task, "torch"] = torch_runs(cell, task, num_batches)
                runs[task, "keras_without_rnn"] = keras_runs(
                    None, None, task, num_batches
                )
                runs[task, "torch_without_rnn"] = torch_runs(
                    None, task, num_batches
                )
            train = best_of_interleaved(
                {key: run[0] for key, run in runs.items()}, repeats
            )
            infer = best_of_interleaved(
                {key: run[1] for key, run in runs.items()}, repeats
            )
            for task in tasks:
                names = CONTENDERS + BASELINES
                results[f"{cell}_{task}"] = _row(
                    {name: runs[task, name] for name in CONTENDERS},
                    {name: train[task, name] for name in names},
                    {name: infer[task, name] for name in names},
                    num_batches,
                )
                _print_row(backend, cell, task, results[f"{cell}_{task}"])
    with open(output, "w") as f:
        json.dump(results, f)


def _row(runs, train, infer, num_batches):
    """One task's figures: samples/s per contender and ratios to PyTorch;
    each model without its recurrent layer, in ms per batch; and the
    recurrent layer's share of keras_seq's and PyTorch's time per batch
    (the model's less that of the model without it)."""
    num_samples = num_batches * BATCH_SIZE
    row = {}
    for name, run in runs.items():
        row[name] = {
            "train_samples_per_second": round(num_samples / train[name], 1),
            "inference_samples_per_second": round(num_samples / infer[name], 1),
        }
        if name != "torch":
            row[name]["paths"] = run[2]()
    reference = row["torch"]
    for name in ("keras", "keras_seq"):
        for kind in ("train", "inference"):
            key = f"{kind}_samples_per_second"
            row[name][f"{kind}_over_torch"] = round(
                row[name][key] / reference[key], 2
            )
    row.update({name: {} for name in BASELINES})
    for kind, times in (("train", train), ("inference", infer)):
        ms = {
            name: 1000 * seconds / num_batches
            for name, seconds in times.items()
        }
        for name in BASELINES:
            row[name][f"{kind}_ms_per_batch"] = round(ms[name], 3)
        layer = ms["keras_seq"] - ms["keras_without_rnn"]
        torch_layer = ms["torch"] - ms["torch_without_rnn"]
        row["keras_seq"][f"rnn_{kind}_ms_per_batch"] = round(layer, 3)
        row["torch"][f"rnn_{kind}_ms_per_batch"] = round(torch_layer, 3)
        row["keras_seq"][f"rnn_{kind}_over_torch"] = round(
            torch_layer / layer, 2
        )
    return row


def _print_row(backend, cell, task, row):
    print(
        f"{backend} {cell} {task}: train "
        f"{row['keras']['train_samples_per_second']:,.0f} (keras) "
        f"{row['keras_seq']['train_samples_per_second']:,.0f} "
        f"(keras_seq) {row['torch']['train_samples_per_second']:,.0f} "
        f"(torch) samples/s",
        flush=True,
    )


def _cell(row, name, kind):
    values = row[name]
    ratio = values.get(f"{kind}_over_torch")
    figure = f"{values[f'{kind}_samples_per_second']:,.0f}"
    return figure + (f" ({ratio:.2f}x)" if ratio is not None else "")


def _print_table(rows, cells, columns):
    """A markdown table with a line per backend, cell and task; `columns`
    maps each further column's header to a function of the task's
    figures."""
    print("| backend | model | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 2) + "|")
    for row in rows:
        for cell in cells:
            for task in TASKS:
                entry = row[f"{cell}_{task}"]
                values = " | ".join(value(entry) for value in columns.values())
                print(
                    f"| {row['backend']} | {LAYER_NAMES[cell]} {task} "
                    f"| {values} |"
                )


def _layer_share(row, kind):
    ours, theirs = row["keras_seq"], row["torch"]
    key = f"{kind}_ms_per_batch"
    return (
        f"{ours[f'rnn_{key}']:.2f} ({row['keras_without_rnn'][key]:.2f}) "
        f"against {theirs[f'rnn_{key}']:.2f} "
        f"({row['torch_without_rnn'][key]:.2f}): "
        f"{ours[f'rnn_{kind}_over_torch']:.2f}x"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser, BACKENDS)
    # Batches per timed epoch, and timed repeats (the best one counts).
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="2 batches, 1 run")
    parser.add_argument(
        "--cells",
        default=DEFAULT_CELLS,
        help=f"comma-separated, of {', '.join(CELLS)}",
    )
    args = parser.parse_args()
    if args.smoke:
        args.batches, args.repeats = 2, 1
    cells = args.cells.split(",")
    if not set(cells) <= set(CELLS):
        parser.error(f"--cells takes some of {CELLS}; received {args.cells!r}")
    rows = run_or_work(__file__, args, worker, ["batches", "repeats", "cells"])
    if rows is None:
        return

    for kind in ("train", "inference"):
        print(
            f"\n{kind.capitalize()} samples/s, batch {BATCH_SIZE} (ratio to "
            "plain PyTorch in the same process):\n"
        )
        _print_table(
            rows,
            cells,
            {
                header: functools.partial(_cell, name=name, kind=kind)
                for header, name in (
                    ("keras.layers", "keras"),
                    ("keras_seq.layers", "keras_seq"),
                    ("PyTorch", "torch"),
                )
            },
        )
    print(
        "\nThe recurrent layer's share, ms per batch: each model's time less "
        "that of the same model without its layer (ms per batch in brackets), "
        "keras_seq.layers against PyTorch (speed ratio):\n"
    )
    _print_table(
        rows,
        cells,
        {
            "training": functools.partial(_layer_share, kind="train"),
            "inference": functools.partial(_layer_share, kind="inference"),
        },
    )
    print("\nMasked over unmasked training time (keras_seq.layers):\n")
    for row in rows:
        for cell in cells:
            masked = row[f"{cell}_text_masked"]["keras_seq"]
            unmasked = row[f"{cell}_text_unmasked"]["keras_seq"]
            ratio = (
                unmasked["train_samples_per_second"]
                / masked["train_samples_per_second"]
            )
            row[f"{cell}_masked_over_unmasked_time"] = round(ratio, 2)
            print(f"- {row['backend']} {LAYER_NAMES[cell]}: {ratio:.2f}x")
    if args.smoke:
        return
    devices = sorted({row["device"] for row in rows})
    name = "recurrent_layers"
    if args.cells != DEFAULT_CELLS:
        name += "_" + "_".join(cells)
    if devices != ["cpu"]:
        name += "_gpu"
    name += ".json"
    write_results(
        args.output,
        name,
        {
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "devices": devices,
            "batches_per_epoch": args.batches,
            "repeats": args.repeats,
            "cells": cells,
            "xla_flags": os.environ.get("XLA_FLAGS", ""),
            "allocator_environment": {
                key: value
                for key, value in os.environ.items()
                if key.startswith("MALLOC_")
                or key in ("LD_PRELOAD", "GLIBC_TUNABLES")
            },
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
