"""The `keras-seq` command, run as users run it: in a subprocess."""

import json
import os
import subprocess
import sys

import keras
import pytest

BACKENDS = ["tensorflow", "jax", "torch"]


def run_cli(*args, backend=None, timeout=600):
    environment = dict(os.environ)
    if backend:
        environment["KERAS_BACKEND"] = backend
    return subprocess.run(
        [sys.executable, "-m", "keras_seq.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )


def test_help_lists_the_demo():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout
    result = run_cli("demo", "--help")
    assert result.returncode == 0
    for option in ("--backend", "--out", "--quick", "--data-dir"):
        assert option in result.stdout


def test_unknown_backend_is_refused():
    result = run_cli("demo", "--backend", "mxnet")
    assert result.returncode == 2
    assert "--backend" in result.stderr and "mxnet" in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_missing_data_directory_is_one_clear_line(tmp_path):
    result = run_cli("demo", "--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "--data-dir" in result.stderr and "nowhere" in result.stderr


def test_data_directory_without_mnist_names_the_file(tmp_path):
    result = run_cli("demo", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("keras-seq: error:"), result.stderr
    assert "mnist/train-subset-5k.csv.gz" in last_line


def test_quick_demo_trains_on_real_mnist(data_dir, tmp_path):
    # Start under another KERAS_BACKEND: `--backend` must take precedence.
    backend = keras.backend.backend()
    other = BACKENDS[(BACKENDS.index(backend) + 1) % len(BACKENDS)]
    out = tmp_path / "report"
    result = run_cli(
        "demo",
        "--quick",
        "--backend",
        backend,
        "--out",
        str(out),
        "--data-dir",
        data_dir,
        backend=other,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["backend"] == backend
    rows = summary["mnist_rows"]
    assert rows["train_examples"] == 4500 and rows["test_examples"] == 10000
    # Three epochs on 4,500 images reach about 0.86 (seen on all backends).
    assert rows["test_accuracy"] >= 0.75, rows["test_accuracy"]
    losses = rows["history"]["loss"]
    assert losses[-1] < losses[0]
    generator = summary["text_generation"]
    # 20 steps on 32,000 characters already beat the 6.0 bits of a uniform
    # guess over tiny-shakespeare's 65 characters (about 5.2 here).
    assert generator["validation_bits_per_character"] < 5.7, generator
    assert generator["sample"].startswith("ROMEO:")
    assert len(generator["sample"]) == len("ROMEO:") + 200
    assert max(summary["decoder_parity"].values()) < 1e-5
    with open(out / "mnist_rows_history.png", "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"
    assert "not_yet_built" in summary


@pytest.mark.parametrize("argument", ["--quick", "--out"])
def test_options_need_the_demo_command(argument):
    result = run_cli(argument)
    assert result.returncode == 2
