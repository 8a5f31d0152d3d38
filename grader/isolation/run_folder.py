"""One temporary folder per grader run, holding everything the run writes outside the reports:
each worker's job folders (the students' workspaces and scratch), the reference solutions
the worker imports, the output of student processes.

    $TMPDIR/grader-run-XXXXXXXX/      0o711; held by an flock on .lock while the run lives
        w-XXXXXXXX/                   one per grader worker (its TMPDIR), removed when it ends

A run removes its folder when it ends, the batch removes a worker's folder however the
worker ended (killed at its time limit, killed by the kernel), and every run starts by
removing the folders of runs that died without cleaning up (kill -9): a folder whose lock no
process holds. flock is released by the kernel when its holder dies, so a live run's folder
is never taken for an abandoned one.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from pathlib import Path

from grader.isolation.processes import remove_tree

PREFIX = "grader-run-"
STARTING = ".grader-starting-"    # a run's folder before it holds its lock
STARTING_GRACE = 3600             # seconds after which a folder that never got a lock is junk


class RunFolder:
    """The run's temporary folder (a context manager): created, locked, removed at exit."""

    def __init__(self, parent: Path | None = None):
        self.parent = Path(parent or tempfile.gettempdir())
        self.path: Path | None = None
        self._lock: int | None = None

    def __enter__(self) -> "RunFolder":
        sweep_abandoned(self.parent)
        # Created under another name and renamed once locked: a sweep by a run starting at
        # the same moment must never see this folder unlocked under PREFIX.
        starting = Path(tempfile.mkdtemp(prefix=STARTING, dir=self.parent))
        os.chmod(starting, 0o711)   # an unprivileged student uid must reach its workspace
        self._lock = os.open(starting / ".lock", os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.path = self.parent / (PREFIX + starting.name[len(STARTING):])
        os.rename(starting, self.path)
        return self

    def __exit__(self, *exc_info) -> None:
        if self.path is not None:
            remove_tree(self.path)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def worker_folder(self) -> Path:
        """A fresh folder for one grader worker (its TMPDIR); remove it with remove_tree()."""
        folder = Path(tempfile.mkdtemp(prefix="w-", dir=self.path))
        os.chmod(folder, 0o711)
        return folder


def sweep_abandoned(parent: Path) -> list[Path]:
    """Remove the run folders in `parent` whose run is gone; returns them. Folders of other
    users are left alone (and could not be removed anyway)."""
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not entry.is_dir(follow_symlinks=False) or info.st_uid != os.geteuid():
            continue
        if entry.name.startswith(PREFIX):
            abandoned = not _locked(Path(entry.path) / ".lock")
        elif entry.name.startswith(STARTING):
            abandoned = time.time() - info.st_mtime > STARTING_GRACE
        else:
            continue
        if abandoned:
            remove_tree(entry.path)
            removed.append(Path(entry.path))
    return removed


def _locked(lock: Path) -> bool:
    """Does a live process hold the flock on `lock`? (A missing lock file: no.)"""
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
