"""Finding, downloading and verifying the files behind every dataset loader.

A loader names each file it needs with a `DataFile`: where it sits in a data
directory, its public URL, and the sha256 of its content. `read_data_file`
then looks for it, in order:

1. `path=`, given by the caller: the file itself or a data directory;
2. the directory in `KERAS_SEQ_DATA_DIR`, when set;
3. the Keras cache (`~/.keras/datasets/keras_seq`, or under `KERAS_HOME`);
4. the URL, downloaded with a progress bar by `keras.utils.get_file` into a
   staging directory, verified, then moved into the cache in one rename, so
   that an interrupted or corrupted download never leaves a file there.

Every copy, local or downloaded, is verified before use. For `.gz` files the
hash is of the decompressed content, so the original archive and any
faithful re-compression of it are both accepted.
"""

import collections
import gzip
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
import zlib

DATA_DIR_VARIABLE = "KERAS_SEQ_DATA_DIR"

DataFile = collections.namedtuple(
    "DataFile", ["relative_path", "url", "sha256"]
)
DataFile.__doc__ = """A file a dataset loader needs.

Fields:
    relative_path: where the file sits in a data directory, with `/`
        separators, e.g. `"mnist/t10k-images-idx3-ubyte.gz"`.
    url: the public URL it is downloaded from, or `None` for a file that
        is only read from a local copy.
    sha256: the sha256 of its content (decompressed, for `.gz` files).
"""


def default_cache_dir():
    """The directory where downloaded keras_seq datasets are kept."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    return os.path.join(keras_home, "datasets", "keras_seq")


def _origin(data_file):
    return data_file.url or "its publisher (it has no public download)"


def _content(data_file, location):
    """The verified content of the file at `location`."""
    with open(location, "rb") as file:
        content = file.read()
    if data_file.relative_path.endswith(".gz"):
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(
                f"The file {location} is corrupted: it is not a readable gzip "
                f"archive ({error}). Delete it, or point `path=` at a good "
                f"copy of {_origin(data_file)}."
            ) from None
    digest = hashlib.sha256(content).hexdigest()
    if digest != data_file.sha256:
        raise ValueError(
            f"Checksum mismatch for {location}: expected sha256 "
            f"{data_file.sha256}, got {digest}. The file is corrupted or not "
            f"the original from {_origin(data_file)}; delete it, or point "
            "`path=` "
            "at a good copy."
        )
    return content


def _in_directory(directory, data_file):
    return os.path.join(directory, *data_file.relative_path.split("/"))


def _download(data_file, target):
    """Downloads, verifies, then moves the file to `target` in one rename."""
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    staging = tempfile.mkdtemp(dir=directory, prefix=".download-")
    # Imported here: reading local copies needs no Keras (nor its backend).
    import keras

    try:
        try:
            downloaded = keras.utils.get_file(
                fname=os.path.basename(target),
                origin=data_file.url,
                cache_dir=staging,
                cache_subdir="download",
            )
        except Exception as error:
            raise ConnectionError(
                f"Could not download {data_file.url} ({error}). If you have "
                f"a copy of the file, pass its location as `path=`, or set "
                f"{DATA_DIR_VARIABLE} to a directory holding it as "
                f"{data_file.relative_path}."
            ) from None
        content = _content(data_file, downloaded)
        os.replace(downloaded, target)
        return content
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_zip_member(data_file, member, path=None, cache_dir=None):
    """Returns the content of `member` of the verified zip `data_file`."""
    content = read_data_file(data_file, path, cache_dir)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read(member)


def read_data_file(data_file, path=None, cache_dir=None):
    """Returns the verified content of `data_file`, fetching it if needed.

    Args:
        data_file: the `DataFile` to read.
        path: optional local copy: the file itself, or a data directory that
            holds it at `data_file.relative_path`.
        cache_dir: where downloads are kept. Defaults to
            `default_cache_dir()`.

    Returns:
        The file's content as bytes (decompressed, for `.gz` files).

    Raises:
        FileNotFoundError: `path` is given and holds no such file.
        ValueError: a copy fails verification (corrupted or not original).
        ConnectionError: the file is nowhere local and cannot be downloaded.
    """
    if path is not None:
        path = os.fspath(path)
        location = path
        if os.path.isdir(path):
            location = _in_directory(path, data_file)
        if not os.path.isfile(location):
            raise FileNotFoundError(
                f"Received `path={path!r}`, but there is no file at "
                f"{location}. Expected the file itself or a data directory "
                f"holding {data_file.relative_path} (downloadable from "
                f"{_origin(data_file)})."
            )
        return _content(data_file, location)

    data_dir = os.environ.get(DATA_DIR_VARIABLE)
    if data_dir and os.path.isfile(_in_directory(data_dir, data_file)):
        return _content(data_file, _in_directory(data_dir, data_file))

    cached = _in_directory(cache_dir or default_cache_dir(), data_file)
    if data_file.url is None and not os.path.isfile(cached):
        raise FileNotFoundError(
            f"{data_file.relative_path} has no public download: pass the "
            f"location of your copy as `path=`, or set {DATA_DIR_VARIABLE} "
            "to a directory holding it at that relative path."
        )
    if os.path.isfile(cached):
        try:
            return _content(data_file, cached)
        except ValueError as error:
            print(f"{error} Downloading it again.")
            os.remove(cached)
    return _download(data_file, cached)
