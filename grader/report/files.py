"""Atomic writes: a report file is either the old one or the new one, never half of either."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

def atomic_write_bytes(path, data: bytes) -> None:
    """Replace `path` with `data` in one step: temp file in the same folder, fsync, os.replace."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)   # mkstemp makes 0600; reports are meant to be read
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):   # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_text(path, text: str) -> None:
    """atomic_write_bytes for UTF-8 text (written as is: no newline translation)."""
    atomic_write_bytes(path, text.encode("utf-8", errors="replace"))


def write_text_if_changed(path, text: str) -> bool:
    """atomic_write_text unless `path` already holds exactly `text` (a rebuild then leaves an
    unchanged report untouched, mtime included). Returns whether it wrote."""
    path = Path(path)
    data = text.encode("utf-8", errors="replace")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write_bytes(path, data)
    return True
