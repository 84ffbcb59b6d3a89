"""Backing up the training state so that a killed run loses nothing."""

import json
import os

import keras

from keras_seq.utils import file_utils

METADATA_FILE = "training_metadata.json"


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` whose backup survives any kill.

    Keras's callback writes the weights, then the epoch, in place: a run
    killed while it saves can leave a half-written weights file (the next
    run then fails to load it) or new weights beside the old epoch (the
    next run trains that epoch twice). Here each backup is a new weights
    file, written to a temporary name and renamed, and then the metadata,
    which names that file, replaced in one rename; the previous weights are
    removed only after. Whenever the process dies, the directory holds a
    consistent pair: the epoch and the weights and optimizer state saved
    at its end.

    A run that finds a backup says so, restores the weights (with the
    optimizer's state) and continues from the epoch after the one saved;
    an epoch cut short is trained again from its start. The backup is
    removed when `fit` completes, as with Keras's callback.

    Args:
        backup_dir: a directory for this run's backup only.
        save_freq: `"epoch"` (the default) to back up at the end of every
            epoch, or a number of batches.
        delete_checkpoint: whether to remove the backup when `fit`
            completes. Defaults to `True`.

    Example:

    ```python
    model.fit(
        x, y, epochs=10, callbacks=[BackupAndRestore("runs/backup")]
    )
    # Killed during epoch 7? The same call, run again, trains epochs 7-10.
    ```
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        if not isinstance(backup_dir, (str, os.PathLike)) or not os.fspath(
            backup_dir
        ):
            raise ValueError(
                "Received an invalid value for argument `backup_dir`: "
                f"expected a directory path, got {backup_dir!r}."
            )
        if save_freq != "epoch" and (
            isinstance(save_freq, bool)
            or not isinstance(save_freq, int)
            or save_freq <= 0
        ):
            raise ValueError(
                "Received an invalid value for argument `save_freq`: "
                f"expected 'epoch' or a positive number of batches, got "
                f"{save_freq!r}."
            )
        super().__init__(
            os.fspath(backup_dir),
            save_freq=save_freq,
            delete_checkpoint=delete_checkpoint,
        )
        self._metadata_path = os.path.join(self.backup_dir, METADATA_FILE)

    def read_metadata(self):
        """The saved `{"epoch", "batch", "weights"}`, or `None`."""
        if not os.path.isfile(self._metadata_path):
            return None
        with open(self._metadata_path) as file:
            return json.load(file)

    def on_train_begin(self, logs=None):
        self._load_model()

    def _load_model(self):
        metadata = self.read_metadata()
        if metadata is None:
            return
        if not self.model.built:
            raise ValueError(
                f"Found a backup in {self.backup_dir}, but the model is not "
                "built, so its weights cannot be restored. Build the model "
                "(call it on a batch) before `fit`."
            )
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        weights = os.path.join(self.backup_dir, metadata["weights"])
        try:
            self.model.load_weights(weights)
        except Exception as error:
            raise ValueError(
                f"The backup in {self.backup_dir} does not fit this model "
                f"({type(error).__name__}: {str(error).splitlines()[0]}). "
                "Was it written by another model or settings? Delete the "
                "directory to start training afresh."
            ) from None
        self.model._initial_epoch = metadata["epoch"]
        print(
            f"Resuming from the backup in {self.backup_dir}: "
            f"{metadata['epoch']} epoch(s) done.",
            flush=True,
        )

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        epoch, batch = self._current_epoch, self._last_batch_seen
        name = f"epoch-{epoch}-batch-{batch}.weights.h5"
        path = os.path.join(self.backup_dir, name)
        # Keras picks the format from the suffix: the staging file keeps it.
        with file_utils.staged(path, suffix=".weights.h5") as temporary:
            self.model.save_weights(temporary, overwrite=True)
        file_utils.atomic_write_json(
            self._metadata_path,
            {"epoch": epoch, "batch": batch, "weights": name},
        )
        for entry in os.listdir(self.backup_dir):
            if entry.endswith(".weights.h5") and entry != name:
                os.remove(os.path.join(self.backup_dir, entry))
