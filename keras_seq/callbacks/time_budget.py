"""Stopping training when its time is spent."""

import time

import keras

from keras_seq.utils.argument_validation import check_positive_number


class TimeBudget(keras.callbacks.Callback):
    """Stops training after the first epoch that ends past `seconds`.

    The epoch under way when the budget runs out is finished, so the
    weights are always those at the end of an epoch. `stopped_early` says
    afterwards whether the budget ended training (with `BackupAndRestore`,
    a later `fit` can then go on from there).

    Args:
        seconds: the training time allowed, a positive number.

    Example:

    ```python
    model.fit(x, y, epochs=100, callbacks=[TimeBudget(30 * 60)])
    ```
    """

    def __init__(self, seconds):
        super().__init__()
        self.seconds = check_positive_number("seconds", seconds)

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.stopped_early = False

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.start > self.seconds:
            print(f"time budget of {self.seconds:.0f} s spent: stopping")
            self.model.stop_training = True
            self.stopped_early = True
