"""Tamper detection for notebooks: the provided cells (setup, checks, explanations; tagged
"provided" at release) are restored from the pristine copy before execution, and every
change the student made to them is reported. Cells are matched by their nbformat cell id.

The student's own cells ("student" code cells, "answer" markdown cells, and cells they
added) are kept in their place; outputs are cleared because the grader re-executes. Cells the
student added before the first cell of the handout run first, and the report says so. The
execution tags that hide a cell's error or skip it ("raises-exception", "skip-execution") are
taken off the student's cells (a student cell keeps only those the handout gave it), and
the report says which.

`kernel_hooks()` names the cells that change how the kernel runs or reports later cells
(input transformers, exception handlers, event callbacks): such a cell can hide every later
error, which is why notebook points rest on the hidden tests, and the report flags it.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import NamedTuple

import nbformat

from grader.notebooks.files import NotebookReadError, read_notebook
from grader.notebooks.handout import read_handout_notebook

PROVIDED = "provided"
# Tags nbclient obeys: an error in a "raises-exception" cell is not an error, a
# "skip-execution" cell is not run. Only the handout may set them.
EXECUTION_TAGS = ("raises-exception", "skip-execution")


def is_provided(cell) -> bool:
    return PROVIDED in cell.get("metadata", {}).get("tags", [])


def _tags(cell) -> set[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return {t for t in tags if isinstance(t, str)} if isinstance(tags, list) else set()


def _normalise(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


class Restored(NamedTuple):
    messages: list[str]      # for the report: changed or deleted provided cells, unreadable file
    from_handout: bool       # the student's notebook was unusable: the handout's was written


def restore_provided_cells(student_path: Path, pristine_path: Path, target: Path) -> Restored:
    """Write to `target` the student's notebook with the provided cells restored."""
    name = pristine_path.name
    pristine = read_handout_notebook(pristine_path)
    try:
        # read_notebook also refuses valid JSON whose cells lack a str source or cell_type,
        # which nbformat.read only logs: merging such cells crashed the whole submission.
        student = read_notebook(Path(student_path))
    except NotebookReadError as exc:
        shutil.copyfile(pristine_path, target)
        return Restored([f"{name} could not be read ({str(exc)[:300]}); the untouched handout "
                         "notebook was run in its place."], True)

    by_id = {cell.get("id"): cell for cell in student.cells if cell.get("id")}
    if not any(cell.get("id") in by_id for cell in pristine.cells):
        shutil.copyfile(pristine_path, target)
        return Restored([f"{name}: none of its cells match the handout's (was it re-created?); the "
                         "untouched handout notebook was run in its place."], True)

    messages, cells = [], []
    pristine_ids = {cell.get("id") for cell in pristine.cells}
    student_order = [cell.get("id") for cell in student.cells]
    first = next(i for i, cell_id in enumerate(student_order) if cell_id in pristine_ids)
    if first:   # added above every cell of the handout: kept, first, as the student put them
        cells += student.cells[:first]
        messages.append(f"{name}: {first} cell(s) you added before the notebook's first cell "
                        "were kept there and run first, before its setup cell.")
    for number, cell in enumerate(pristine.cells, start=1):
        mine = by_id.get(cell.get("id"))
        if is_provided(cell):
            if mine is None:
                messages.append(f"{name}: provided cell {number} was deleted; it was restored.")
            elif _normalise(mine.source) != _normalise(cell.source) or mine.cell_type != cell.cell_type:
                messages.append(f"{name}: provided cell {number} was modified; the original was "
                                "restored before grading.")
            cells.append(cell)
        else:
            cells.append(mine if mine is not None and mine.cell_type == cell.cell_type else cell)
        # Cells the student added right after this one stay right after it.
        if mine is not None:
            position = student_order.index(mine.get("id")) + 1
            while position < len(student.cells) and student_order[position] not in pristine_ids:
                cells.append(student.cells[position])
                position += 1

    pristine_tags = {cell.get("id"): _tags(cell) for cell in pristine.cells}
    for number, cell in enumerate(cells, start=1):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if is_provided(cell) and cell.get("id") in pristine_ids:
            continue
        allowed = pristine_tags.get(cell.get("id"), set())
        dropped = [tag for tag in EXECUTION_TAGS if tag in _tags(cell) and tag not in allowed]
        if dropped:
            cell.metadata["tags"] = [t for t in cell.metadata["tags"] if t not in dropped]
            messages.append(f"{name}: cell {number} is tagged {' and '.join(dropped)}; the "
                            "grader runs your cells without these tags, and counts their "
                            "errors.")
    pristine.cells = cells
    nbformat.write(pristine, target)
    return Restored(messages, False)


# What a cell's source names when it changes how the kernel runs or reports later cells, and
# the kind of hook it is (the report words each kind).
KERNEL_HOOKS = {
    r"\binput_transformers\w*": "input_transformer",
    r"\bast_transformers\b": "ast_transformer",
    r"\bset_custom_exc\b": "exception_handler",
    r"\bexcepthook\b": "excepthook",
    r"\bevents\s*\.\s*register\b": "event_callback",
    r"\b_?showtraceback\b": "traceback_display",
    r"\brun_cell(?:_async)?\b": "cell_runner",
    r"\bregister_(?:line_|cell_)?magic(?:_function)?\b|@(?:line_|cell_)?magic\b": "magic",
}


def kernel_hooks(path: Path) -> list[tuple[int, list[str]]]:
    """(cell number from 1, the kinds of hook it installs) for each code cell whose source
    installs an input transformer, an exception handler or hook, an event callback or a
    replacement of how cells run. Found statically in the source: the report flags them, the
    score does not need to."""
    try:
        nb = read_notebook(Path(path))
    except NotebookReadError:
        return []
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        kinds = [kind for pattern, kind in KERNEL_HOOKS.items() if re.search(pattern, cell.source)]
        if kinds:
            found.append((number, list(dict.fromkeys(kinds))))
    return found
