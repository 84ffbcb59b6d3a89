import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from unittest import mock

from keras_seq.testing import TestCase
from keras_seq.utils import file_utils


class AtomicWriteTest(TestCase):
    def test_round_trip(self):
        path = os.path.join(self.get_temp_dir(), "sub", "metrics.json")
        file_utils.atomic_write_json(path, {"accuracy": 0.5})
        with open(path) as file:
            self.assertEqual(json.load(file), {"accuracy": 0.5})

    def test_interrupted_write_keeps_old_file(self):
        directory = self.get_temp_dir()
        path = os.path.join(directory, "report.txt")
        file_utils.atomic_write_text(path, "old")
        with mock.patch.object(
            file_utils.os, "replace", side_effect=KeyboardInterrupt
        ):
            with self.assertRaises(KeyboardInterrupt):
                file_utils.atomic_write_text(path, "new" * 1000)
        with open(path) as file:
            self.assertEqual(file.read(), "old")
        self.assertEqual(os.listdir(directory), ["report.txt"])

    def test_killed_writer_leaves_old_or_new_file(self):
        # A writer process replaces a 16 MB file with another in a loop and
        # is killed (SIGKILL: no cleanup runs) at a different moment each
        # time; the file is always one of the complete versions.
        directory = self.get_temp_dir()
        path = os.path.join(directory, "cache.bin")
        size = 16 * 2**20
        writer = textwrap.dedent(
            f"""
            import sys
            from keras_seq.utils import file_utils

            for i in range(10**6):
                file_utils.atomic_write_bytes(
                    {path!r}, bytes([i % 256]) * {size}
                )
                if i == 0:
                    print("written", flush=True)
            """
        )
        # Five kills at spread-out moments, then more (up to 20) until one
        # has landed during a write and left a staging file behind: on a
        # loaded machine five can all land between two writes.
        delays = (0.0, 0.05, 0.1, 0.2, 0.35) + (0.01, 0.03, 0.07) * 5
        for attempt, delay in enumerate(delays):
            if attempt >= 5 and len(os.listdir(directory)) > 1:
                break
            process = subprocess.Popen(
                [sys.executable, "-c", writer], stdout=subprocess.PIPE
            )
            self.assertEqual(process.stdout.readline(), b"written\n")
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait()
            process.stdout.close()
            with open(path, "rb") as file:
                content = file.read()
            self.assertEqual(len(content), size)
            self.assertEqual(content.count(content[:1]), size)
        # What a kill leaves is a hidden staging file, never the target;
        # that some are left shows the kills landed during writes.
        names = os.listdir(directory)
        self.assertGreater(len(names), 1)
        for name in names:
            self.assertTrue(name == "cache.bin" or name.startswith(".cache"))

    def test_permissions_follow_the_umask(self):
        path = os.path.join(self.get_temp_dir(), "shared.txt")
        previous = os.umask(0o022)
        try:
            file_utils.atomic_write_text(path, "readable by others")
        finally:
            os.umask(previous)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o644)

    def test_model_save_is_atomic(self):
        import keras
        import numpy as np

        directory = self.get_temp_dir()
        path = os.path.join(directory, "model.keras")
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        file_utils.atomic_save_model(model, path)
        x = np.ones((1, 3), "float32")
        restored = keras.saving.load_model(path)
        self.assertAllClose(model(x), restored(x))
        # Interrupted while saving again: the first file is intact and no
        # staging file is left.
        with mock.patch.object(
            file_utils.os, "replace", side_effect=KeyboardInterrupt
        ):
            with self.assertRaises(KeyboardInterrupt):
                file_utils.atomic_save_model(model, path)
        self.assertEqual(os.listdir(directory), ["model.keras"])
        self.assertAllClose(model(x), keras.saving.load_model(path)(x))
