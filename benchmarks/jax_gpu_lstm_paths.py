"""cuDNN against Keras's compiled scan for an LSTM on JAX on a GPU.

Keras's LSTM on JAX takes cuDNN (`jax.experimental.rnn.lstm`) on a GPU
whenever it can; `use_cudnn=False` makes it run its compiled `lax.scan`.
This times both in `model.fit` and `model.predict` over LSTMs of 128 to
2,048 units (an LSTM, then a `Dense` head; MSE on random data), in
interleaved rounds, and reports milliseconds per batch and the scan's
speed-up. `keras_seq.layers.LSTM` picks its path on JAX from these figures
(`keras_seq/layers/recurrent_paths.py`, `JAX_SCAN_MAX_UNITS`); the last
column says what it picks for each shape, in training and in inference.

Needs JAX with a GPU:

    python benchmarks/jax_gpu_lstm_paths.py [--batches 40] [--repeats 3]
"""

import argparse
import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from backend_workers import best_of_interleaved  # noqa: E402
from backend_workers import write_results  # noqa: E402

from keras_seq.layers import LSTM  # noqa: E402
from keras_seq.layers import recurrent_paths  # noqa: E402

# (batch, steps, features, units, return_sequences): MNIST rows, the
# padded-text shape of recurrent_layers.py, the text recipe's windows, and
# wider layers.
SHAPES = (
    (128, 28, 28, 128, False),
    (128, 40, 64, 128, True),
    (64, 100, 64, 256, True),
    (256, 50, 256, 256, False),
    (64, 100, 64, 512, True),
    (128, 100, 512, 512, True),
    *(
        (batch, steps, 128, units, True)
        for units in (512, 768, 1024, 1536, 2048)
        for batch, steps in ((32, 200), (128, 100))
    ),
)


def model_runs(shape, num_batches, use_cudnn):
    """`(train_epoch, predict)` for an LSTM model of `shape`, warmed up."""
    batch, steps, features, units, return_sequences = shape
    rng = np.random.default_rng(0)
    x = rng.random((num_batches * batch, steps, features), dtype="float32")
    y_shape = (steps, features) if return_sequences else (features,)
    y = rng.random((num_batches * batch, *y_shape), dtype="float32")
    inputs = keras.Input((steps, features))
    hidden = keras.layers.LSTM(
        units, return_sequences=return_sequences, use_cudnn=use_cudnn
    )(inputs)
    model = keras.Model(inputs, keras.layers.Dense(features)(hidden))
    model.compile(optimizer="adam", loss="mse")
    model.fit(x[: 2 * batch], y[: 2 * batch], batch_size=batch, verbose=0)
    model.predict(x[:batch], batch_size=batch, verbose=0)

    def train_epoch():
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)

    def predict():
        model.predict(x, batch_size=batch, verbose=0)

    return train_epoch, predict


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default="benchmarks/results")
    args = parser.parse_args()
    if jax.default_backend() != "gpu":
        raise SystemExit("This benchmark compares two GPU paths: no GPU.")

    rows = []
    print(
        "| batch x steps x features | units | train ms, cuDNN / scan "
        "| predict ms, cuDNN / scan | scan's speed-up, train / predict "
        "| keras_seq picks |"
    )
    print("|---|---|---|---|---|---|")
    for shape in SHAPES:
        runs = {}
        for path, use_cudnn in (("cudnn", "auto"), ("scan", False)):
            train, predict = model_runs(shape, args.batches, use_cudnn)
            runs[path, "train"], runs[path, "predict"] = train, predict
        best = best_of_interleaved(runs, args.repeats)
        batch, steps, features, units, return_sequences = shape
        picks = {
            phase: (
                "cudnn"
                if recurrent_paths.jax_lstm_uses_cudnn(LSTM(units), training)
                else "scan"
            )
            for phase, training in (("train", True), ("predict", False))
        }
        row = {
            "batch": batch,
            "steps": steps,
            "features": features,
            "units": units,
            "return_sequences": return_sequences,
            "ms_per_batch": {
                f"{path}_{phase}": round(1e3 * seconds / args.batches, 3)
                for (path, phase), seconds in best.items()
            },
            "scan_speedup": {
                phase: round(best["cudnn", phase] / best["scan", phase], 2)
                for phase in ("train", "predict")
            },
            "keras_seq_picks": picks,
        }
        rows.append(row)
        times = row["ms_per_batch"]
        speedup = row["scan_speedup"]
        print(
            f"| {batch} x {steps} x {features} | {units} "
            f"| {times['cudnn_train']:.2f} / {times['scan_train']:.2f} "
            f"| {times['cudnn_predict']:.2f} / {times['scan_predict']:.2f} "
            f"| {speedup['train']:.2f}x / {speedup['predict']:.2f}x "
            f"| {picks['train']} / {picks['predict']} |",
            flush=True,
        )
    write_results(
        args.output,
        "jax_gpu_lstm_paths.json",
        {
            "device": jax.devices()[0].device_kind,
            "jax_version": jax.__version__,
            "keras_version": keras.__version__,
            "batches": args.batches,
            "repeats": args.repeats,
            "jax_scan_max_units": recurrent_paths.JAX_SCAN_MAX_UNITS,
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
