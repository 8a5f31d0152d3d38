"""The handout's notebooks as nbformat reads them, parsed and validated once per process.

Grading a submission read each handout notebook three times (restoring the provided cells,
finding the questions, telling the student's answers from the handout's cells), and
validating a notebook costs a tenth of a second. The grader workers read them before they
fork (workers.warm_up), so every child starts with them parsed.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

_parsed: dict = {}   # path -> ((mtime, size), the notebook)


def read_handout_notebook(path: Path) -> nbformat.NotebookNode:
    """nbformat.read(path, as_version=4), read again only when the file changed; each call
    gets a copy of its own to change."""
    path = Path(path)
    status = path.stat()
    key = (status.st_mtime_ns, status.st_size)
    cached = _parsed.get(path)
    if cached is None or cached[0] != key:
        cached = _parsed[path] = (key, nbformat.read(path, as_version=4))
    return copy.deepcopy(cached[1])
