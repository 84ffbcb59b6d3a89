"""Data-parallel training on JAX with two host devices.

`keras.distribution.DataParallel` shards each batch across devices and
replicates the weights; averaged over the shards, the gradients are those of
the whole batch, so two devices must follow the same training trajectory as
one. XLA's host platform pretends to have two devices when
`XLA_FLAGS=--xla_force_host_platform_device_count=2` is set before JAX
starts, so each run is a subprocess.
"""

import json
import os
import subprocess
import sys

import keras
import pytest

SCRIPT = """
import json, sys
import jax
import keras
import keras_seq.applications
from keras_seq.datasets import mnist

devices = jax.devices()
if len(devices) > 1:
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=devices)
    )
keras.utils.set_random_seed(7)
(x, y), _, _ = mnist.load_data(path=sys.argv[1])
model = keras_seq.applications.RowClassifier(cell="lstm", units=32)
model.compile(optimizer=keras.optimizers.Adam(1e-3))
history = model.fit(
    x[:512], y[:512], batch_size=128, epochs=3, shuffle=False, verbose=0
)
kernel = model.weights[0]
print(json.dumps({
    "devices": len(devices),
    "losses": history.history["loss"],
    "kernel_devices": len(kernel.value.sharding.device_set),
}))
"""


def _train(num_devices, data_dir):
    environment = dict(os.environ)
    environment["KERAS_BACKEND"] = "jax"
    environment["XLA_FLAGS"] = (
        f"--xla_force_host_platform_device_count={num_devices}"
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, data_dir],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(
    keras.config.backend() != "jax",
    reason="keras.distribution runs on JAX; one backend's run is enough",
)
def test_two_devices_train_like_one():
    from keras_seq.testing import TestCase

    data_dir = TestCase.shared_data_dir()
    if not os.path.isdir(data_dir):
        pytest.skip(f"the shared datasets are not at {data_dir}")
    one = _train(1, data_dir)
    two = _train(2, data_dir)
    assert two["devices"] == 2
    # The weights live on both devices.
    assert two["kernel_devices"] == 2
    assert one["losses"][-1] < one["losses"][0]
    for single, parallel in zip(one["losses"], two["losses"]):
        assert abs(single - parallel) < 1e-4 * max(1.0, abs(single))
