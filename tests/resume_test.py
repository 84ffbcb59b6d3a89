"""A killed `keras-seq train` resumes from its backup and loses nothing."""

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time

import keras
import pytest

from keras_seq import commands
from keras_seq.testing import TestCase

TRAINING_IMAGES = 4_500  # keras-seq train mnist_rows (demo stage 1)
BATCH_SIZE = 64


class _Probe(keras.callbacks.Callback):
    """Records where the resumed `fit` starts: weights, optimizer step and
    epochs."""

    def on_train_begin(self, logs=None):
        self.start_weights = self.model.get_weights()
        self.start_step = int(self.model.optimizer.iterations)
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def _wait_for_backup(process, metadata_path, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read()
            pytest.fail(f"training ended before it was killed:\n{output}")
        if os.path.exists(metadata_path):
            return
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"no backup after {timeout} s")


def test_killed_training_resumes_from_the_saved_epoch(tmp_path, capsys):
    data_dir = TestCase.shared_data_dir()
    out = tmp_path / "run"
    metadata_path = out / "backup" / "training_metadata.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "keras_seq.cli",
            "train",
            "mnist_rows",
            "--quick",
            "--out",
            str(out),
            "--data-dir",
            data_dir,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "KERAS_BACKEND": keras.backend.backend()},
    )
    _wait_for_backup(process, metadata_path)
    # Into the next epoch, then killed without warning.
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL

    with open(metadata_path) as file:
        saved = json.load(file)
    assert 1 <= saved["epoch"] < 3, saved
    snapshot = tmp_path / "saved.weights.h5"
    shutil.copy(out / "backup" / saved["weights"], snapshot)

    # The same command again, in this process so that a callback can look.
    probe = _Probe()
    summary = commands.train(
        "mnist_rows", data_dir, str(out), quick=True, callbacks=[probe]
    )
    printed = capsys.readouterr().out
    assert f"{saved['epoch']} epoch(s) done" in printed
    assert probe.epochs == list(range(saved["epoch"], 3))
    steps_per_epoch = math.ceil(TRAINING_IMAGES / BATCH_SIZE)
    assert probe.start_step == saved["epoch"] * steps_per_epoch
    # The weights it started from are the ones saved before the kill.
    probe.model.load_weights(snapshot)
    for restored, saved_weights in zip(
        probe.start_weights, probe.model.get_weights()
    ):
        assert (restored == saved_weights).all()
    assert summary["test_accuracy"] > 0.5
    assert len(summary["history"]["loss"]) == 3 - saved["epoch"]
    assert not (out / "backup").exists()
    assert (out / "model.keras").exists()
