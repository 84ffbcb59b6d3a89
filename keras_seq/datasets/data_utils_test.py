"""Fetching dataset files: local copies, cache, downloads, corruption.

Downloads come from an HTTP server on 127.0.0.1 that this test starts over a
temporary directory: real transfers through `keras.utils.get_file`, with no
internet involved.
"""

import functools
import gzip
import hashlib
import http.server
import io
import os
import shutil
import threading
import zipfile
from unittest import mock

from keras_seq.datasets import data_utils
from keras_seq.datasets.data_utils import DataFile
from keras_seq.datasets.data_utils import read_data_file
from keras_seq.testing import TestCase


class LocalServer:
    """Serves a directory over HTTP on 127.0.0.1 until `stop()`."""

    def __init__(self, directory):
        handler = functools.partial(
            _QuietHandler, directory=os.fspath(directory)
        )
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever)
        self.thread.start()

    def stop(self):
        if not self.thread.is_alive():
            return
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class ReadDataFileTest(TestCase):
    def setUp(self):
        super().setUp()
        self.source_dir = self.get_temp_dir()
        self.cache_dir = self.get_temp_dir()
        self.content = b"0,1,2\n3,4,5\n" * 1000
        os.makedirs(os.path.join(self.source_dir, "toy"))
        with open(
            os.path.join(self.source_dir, "toy", "rows.csv.gz"), "wb"
        ) as f:
            f.write(gzip.compress(self.content))
        self.server = LocalServer(self.source_dir)
        self.addCleanup(self.server.stop)
        self.data_file = DataFile(
            "toy/rows.csv.gz",
            f"{self.server.url}/toy/rows.csv.gz",
            hashlib.sha256(self.content).hexdigest(),
        )
        # No data directory from the environment in these tests.
        patcher = mock.patch.dict(os.environ)
        patcher.start()
        self.addCleanup(patcher.stop)
        os.environ.pop(data_utils.DATA_DIR_VARIABLE, None)

    def cached_files(self):
        return sorted(
            os.path.relpath(os.path.join(root, name), self.cache_dir)
            for root, _, names in os.walk(self.cache_dir)
            for name in names
        )

    def corrupt_source(self):
        with open(
            os.path.join(self.source_dir, "toy", "rows.csv.gz"), "wb"
        ) as f:
            f.write(gzip.compress(self.content + b"9,9,9\n"))

    def test_download_then_cache(self):
        content = read_data_file(self.data_file, cache_dir=self.cache_dir)
        self.assertEqual(content, self.content)
        self.assertEqual(
            self.cached_files(), [os.path.join("toy", "rows.csv.gz")]
        )
        # The server is gone: the verified cache is used.
        self.server.stop()
        content = read_data_file(self.data_file, cache_dir=self.cache_dir)
        self.assertEqual(content, self.content)

    def test_corrupted_download_leaves_nothing_in_cache(self):
        self.corrupt_source()
        with self.assertRaisesRegex(ValueError, "Checksum mismatch"):
            read_data_file(self.data_file, cache_dir=self.cache_dir)
        self.assertEqual(self.cached_files(), [])

    def test_offline_and_not_cached_is_one_clear_error(self):
        offline = self.data_file._replace(url="http://127.0.0.1:9/rows.csv.gz")
        with self.assertRaises(ConnectionError) as context:
            read_data_file(offline, cache_dir=self.cache_dir)
        message = str(context.exception)
        self.assertIn("http://127.0.0.1:9/rows.csv.gz", message)
        self.assertIn("path=", message)
        self.assertIn("KERAS_SEQ_DATA_DIR", message)
        self.assertEqual(self.cached_files(), [])

    def test_corrupted_cache_is_downloaded_again(self):
        cached = os.path.join(self.cache_dir, "toy", "rows.csv.gz")
        os.makedirs(os.path.dirname(cached))
        with open(cached, "wb") as f:
            f.write(b"not gzip at all")
        content = read_data_file(self.data_file, cache_dir=self.cache_dir)
        self.assertEqual(content, self.content)
        with open(cached, "rb") as f:
            self.assertEqual(gzip.decompress(f.read()), self.content)

    def test_local_copy_by_path_and_by_environment(self):
        offline = self.data_file._replace(url="http://127.0.0.1:9/rows.csv.gz")
        file_path = os.path.join(self.source_dir, "toy", "rows.csv.gz")
        for path in (self.source_dir, file_path):
            self.assertEqual(read_data_file(offline, path=path), self.content)
        os.environ[data_utils.DATA_DIR_VARIABLE] = self.source_dir
        content = read_data_file(offline, cache_dir=self.cache_dir)
        self.assertEqual(content, self.content)
        self.assertEqual(self.cached_files(), [])

    def test_corrupted_local_copy(self):
        self.corrupt_source()
        with self.assertRaisesRegex(ValueError, "sha256"):
            read_data_file(self.data_file, path=self.source_dir)
        with open(
            os.path.join(self.source_dir, "toy", "rows.csv.gz"), "wb"
        ) as f:
            f.write(b"\x1f\x8b truncated")
        with self.assertRaisesRegex(ValueError, "corrupted"):
            read_data_file(self.data_file, path=self.source_dir)

    def test_missing_local_copy(self):
        empty = self.get_temp_dir()
        with self.assertRaisesRegex(FileNotFoundError, "toy/rows.csv.gz"):
            read_data_file(self.data_file, path=empty)
        shutil.rmtree(empty)
        with self.assertRaisesRegex(FileNotFoundError, "`path="):
            read_data_file(self.data_file, path=empty)


class CraftedArchiveTest(TestCase):
    def test_members_are_read_in_memory_never_extracted(self):
        # A zip whose other members try to escape the directory (relative
        # and absolute paths): reading the wanted member writes nothing,
        # and the escaping names are only ever bytes in memory.
        root = self.get_temp_dir()
        data_dir = os.path.join(root, "data")
        os.makedirs(os.path.join(data_dir, "toy"))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("../../escaped.txt", b"outside")
            archive.writestr("/tmp/keras_seq_escaped.txt", b"absolute")
            archive.writestr("toy/pairs.txt", b"hola\thello\n")
        content = buffer.getvalue()
        with open(os.path.join(data_dir, "toy", "pairs.zip"), "wb") as f:
            f.write(content)
        data_file = DataFile(
            "toy/pairs.zip", None, hashlib.sha256(content).hexdigest()
        )

        def files():
            return sorted(
                os.path.join(directory, name)
                for directory, _, names in os.walk(root)
                for name in names
            )

        before = files()
        self.assertEqual(
            data_utils.read_zip_member(data_file, "toy/pairs.txt", data_dir),
            b"hola\thello\n",
        )
        self.assertEqual(
            data_utils.read_zip_member(
                data_file, "../../escaped.txt", data_dir
            ),
            b"outside",
        )
        self.assertEqual(files(), before)
        for escaped in (
            os.path.join(data_dir, "toy", "../../escaped.txt"),
            os.path.abspath("../../escaped.txt"),
            "/tmp/keras_seq_escaped.txt",
        ):
            self.assertFalse(os.path.exists(escaped), escaped)
