import json
import os
from unittest import mock

import keras
import numpy as np

from keras_seq.applications import RowClassifier
from keras_seq.callbacks import BackupAndRestore
from keras_seq.callbacks import TimeBudget
from keras_seq.datasets import mnist
from keras_seq.testing import TestCase
from keras_seq.utils import file_utils


class _Interrupt(keras.callbacks.Callback):
    """Raises at the start of epoch `epoch`, as a kill would stop it."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt(f"interrupted in epoch {epoch}")


class _Probe(keras.callbacks.Callback):
    """Records the weights `fit` starts from and the epochs it runs."""

    def on_train_begin(self, logs=None):
        self.start_weights = self.model.get_weights()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


class BackupAndRestoreTest(TestCase):
    def setUp(self):
        super().setUp()
        (x, y), _, _ = mnist.load_data(path=self.get_data_dir())
        self.x, self.y = x[:256], y[:256]

    def _model(self):
        keras.utils.set_random_seed(7)
        model = RowClassifier(units=8)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        return model

    def _fit(self, model, backup_dir, epochs, *callbacks):
        return model.fit(
            self.x,
            self.y,
            batch_size=64,
            epochs=epochs,
            callbacks=[BackupAndRestore(backup_dir), *callbacks],
            verbose=0,
        )

    def test_interrupted_fit_resumes_with_the_saved_weights(self):
        backup_dir = os.path.join(self.get_temp_dir(), "backup")
        first = self._model()
        with self.assertRaises(KeyboardInterrupt):
            self._fit(first, backup_dir, 4, _Interrupt(2))
        with open(os.path.join(backup_dir, "training_metadata.json")) as f:
            metadata = json.load(f)
        self.assertEqual(metadata["epoch"], 2)
        # One weights file: the one the metadata names.
        weights = [n for n in os.listdir(backup_dir) if n.endswith(".h5")]
        self.assertEqual(weights, [metadata["weights"]])
        saved = first.get_weights()

        resumed, probe = self._model(), _Probe()
        history = self._fit(resumed, backup_dir, 4, probe)
        self.assertEqual(probe.epochs, [2, 3])
        self.assertEqual(len(history.history["loss"]), 2)
        for expected, restored in zip(saved, probe.start_weights):
            self.assertAllEqual(expected, restored)
        # The optimizer's state came back too: Adam had taken 8 steps.
        self.assertEqual(int(resumed.optimizer.iterations), 16)
        self.assertFalse(os.path.exists(backup_dir))

    def test_kill_while_saving_keeps_the_previous_backup(self):
        backup_dir = os.path.join(self.get_temp_dir(), "backup")
        model = self._model()
        with self.assertRaises(KeyboardInterrupt):
            self._fit(model, backup_dir, 3, _Interrupt(1))
        before = sorted(os.listdir(backup_dir))
        saved = model.get_weights()
        # Killed while writing the next backup's weights: the directory
        # still holds the previous, consistent pair.
        callback = BackupAndRestore(backup_dir)
        callback.set_model(model)
        callback._current_epoch = 2
        with mock.patch.object(
            file_utils.os, "replace", side_effect=KeyboardInterrupt
        ):
            with self.assertRaises(KeyboardInterrupt):
                callback._save_model()
        self.assertEqual(sorted(os.listdir(backup_dir)), before)
        resumed, probe = self._model(), _Probe()
        self._fit(resumed, backup_dir, 3, probe)
        self.assertEqual(probe.epochs, [1, 2])
        for expected, restored in zip(saved, probe.start_weights):
            self.assertAllEqual(expected, restored)

    def test_backup_of_another_model_is_a_clear_error(self):
        backup_dir = os.path.join(self.get_temp_dir(), "backup")
        with self.assertRaises(KeyboardInterrupt):
            self._fit(self._model(), backup_dir, 2, _Interrupt(1))
        other = RowClassifier(units=16)
        other.compile()
        with self.assertRaisesRegex(ValueError, "does not fit this model"):
            self._fit(other, backup_dir, 2)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "`backup_dir`"):
            BackupAndRestore("")
        with self.assertRaisesRegex(ValueError, "`save_freq`"):
            BackupAndRestore("backup", save_freq=0)
        with self.assertRaisesRegex(ValueError, "`save_freq`"):
            BackupAndRestore("backup", save_freq="batch")
        with self.assertRaisesRegex(ValueError, "`seconds`"):
            TimeBudget(-1)
        with self.assertRaisesRegex(TypeError, "`seconds`"):
            TimeBudget("60")


class TimeBudgetTest(TestCase):
    def test_stops_after_the_epoch_that_spends_the_budget(self):
        (x, y), _, _ = mnist.load_data(path=self.get_data_dir())
        model = RowClassifier(units=4)
        model.compile()
        budget = TimeBudget(1e-9)
        history = model.fit(
            x[:64], y[:64], epochs=5, callbacks=[budget], verbose=0
        )
        self.assertEqual(len(history.history["loss"]), 1)
        self.assertTrue(np.isfinite(history.history["loss"][0]))
        self.assertTrue(budget.stopped_early)
        # A budget that is not spent lets every epoch run, and says so.
        budget = TimeBudget(3600)
        history = model.fit(
            x[:64], y[:64], epochs=2, callbacks=[budget], verbose=0
        )
        self.assertEqual(len(history.history["loss"]), 2)
        self.assertFalse(budget.stopped_early)
