"""Atomic file writes: a reader finds the old file or the new one, never half.

Everything keras_seq writes for a user (reports, metrics, caches) goes
through these helpers: the content is written to a temporary file in the
destination's directory, flushed to disk, then renamed over the destination,
which `os.replace` does atomically on POSIX and Windows.
"""

import contextlib
import io
import json
import os
import tempfile


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def staged(path, suffix=".tmp"):
    """Yields a temporary path beside `path`; renames it over `path` when the
    block ends, or removes it when the block raises."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(path)}.", suffix=suffix
    )
    os.close(handle)
    try:
        yield temporary
        # mkstemp creates the file private (0600); give it the permissions
        # of a file created with open().
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def atomic_write_bytes(path, data):
    """Writes `data` (bytes) to `path` atomically."""
    with staged(path) as temporary:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())


def atomic_write_text(path, text):
    """Writes `text` (UTF-8) to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, value):
    """Writes `value` as indented JSON to `path` atomically."""
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True) + "\n")


def atomic_save_figure(figure, path):
    """Writes a matplotlib `figure` to `path` as a PNG (100 dpi) atomically."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    atomic_write_bytes(path, buffer.getvalue())


def atomic_save_model(model, path):
    """Saves a Keras `model` to `path` (`.keras`) atomically."""
    # Keras picks the format from the suffix: the staging file keeps it.
    with staged(path, suffix=".keras") as temporary:
        model.save(temporary)
