"""Callbacks the recipes share."""

import time

import keras


class TimeBudget(keras.callbacks.Callback):
    """Stops training after the first epoch that ends past `seconds`."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.start > self.seconds:
            print(f"time budget of {self.seconds:.0f} s spent: stopping")
            self.model.stop_training = True
