"""Trains, saves and reloads every application on one backend.

Run by cross_backend_test.py in a subprocess, with `KERAS_BACKEND` set:

    python -m tests.cross_backend_worker save DIR
        trains each application a few steps on real data, saves
        DIR/<application>.keras, the inputs (DIR/inputs.npz) and this
        backend's outputs on them (DIR/outputs-<backend>.npz);
    python -m tests.cross_backend_worker load DIR [DIR ...]
        loads each DIR/<application>.keras in safe mode and writes this
        backend's outputs on the same inputs (DIR/outputs-<backend>.npz).
"""

import os
import sys

import keras
import numpy as np

from keras_seq.testing import TestCase
from keras_seq.utils.file_utils import atomic_save_model
from keras_seq.utils.file_utils import staged
from tests import tiny_applications
from tests.tiny_applications import APPLICATIONS


def _save_arrays(path, arrays):
    with staged(path, suffix=".npz") as temporary:
        np.savez(temporary, **arrays)


def _load_arrays(path):
    with np.load(path, allow_pickle=False) as arrays:
        return dict(arrays)


def save(directory):
    data_dir = TestCase.shared_data_dir()
    keras.utils.set_random_seed(0)
    inputs, results = {}, {}
    for application in APPLICATIONS:
        model, fit_args, fit_kwargs, model_inputs = tiny_applications.build(
            application, data_dir
        )
        model.fit(*fit_args, **fit_kwargs, epochs=1, verbose=0)
        atomic_save_model(
            model, os.path.join(directory, f"{application}.keras")
        )
        for key, value in model_inputs.items():
            inputs[f"{application}/{key}"] = np.asarray(value)
        results[application] = tiny_applications.outputs(
            application, model, model_inputs
        )
    _save_arrays(os.path.join(directory, "inputs.npz"), inputs)
    return results


def load(directory):
    inputs = _load_arrays(os.path.join(directory, "inputs.npz"))
    results = {}
    for application in APPLICATIONS:
        path = os.path.join(directory, f"{application}.keras")
        model = keras.saving.load_model(path, safe_mode=True)
        prefix = f"{application}/"
        model_inputs = {
            key[len(prefix) :]: value
            for key, value in inputs.items()
            if key.startswith(prefix)
        }
        results[application] = tiny_applications.outputs(
            application, model, model_inputs
        )
    return results


def main(command, *directories):
    backend = keras.backend.backend()
    for directory in directories:
        os.makedirs(directory, exist_ok=True)
        results = save(directory) if command == "save" else load(directory)
        path = os.path.join(directory, f"outputs-{backend}.npz")
        _save_arrays(path, results)
        print(f"{command}: {len(results)} applications on {backend}")


if __name__ == "__main__":
    main(*sys.argv[1:])
