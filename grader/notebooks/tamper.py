"""Tamper detection for notebooks: the provided cells (setup, checks, explanations; tagged
"provided" at release) are restored from the pristine copy before execution, and every
change the student made to them is reported. Cells are matched by their nbformat cell id.

The student's own cells ("student" code cells, "answer" markdown cells, and cells they
added) are kept in their place; outputs are cleared because the grader re-executes.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from grader.notebooks.execute import NotebookReadError, read_notebook

PROVIDED = "provided"


def is_provided(cell) -> bool:
    return PROVIDED in cell.get("metadata", {}).get("tags", [])


def _normalise(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def restore_provided_cells(student_path: Path, pristine_path: Path, target: Path) -> list[str]:
    """Write to `target` the student's notebook with the provided cells restored.

    Returns the messages for the report (changed or deleted provided cells, unreadable file).
    """
    name = pristine_path.name
    pristine = nbformat.read(pristine_path, as_version=4)
    try:
        # read_notebook also refuses valid JSON whose cells lack a str source or cell_type,
        # which nbformat.read only logs: merging such cells crashed the whole submission.
        student = read_notebook(Path(student_path))
    except NotebookReadError as exc:
        shutil.copyfile(pristine_path, target)
        return [f"{name} could not be read ({str(exc)[:300]}); the untouched handout notebook "
                "was run in its place."]

    by_id = {cell.get("id"): cell for cell in student.cells if cell.get("id")}
    if not any(cell.get("id") in by_id for cell in pristine.cells):
        shutil.copyfile(pristine_path, target)
        return [f"{name}: none of its cells match the handout's (was it re-created?); the untouched "
                "handout notebook was run in its place."]

    messages, cells = [], []
    pristine_ids = {cell.get("id") for cell in pristine.cells}
    student_order = [cell.get("id") for cell in student.cells]
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

    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    pristine.cells = cells
    nbformat.write(pristine, target)
    return messages
