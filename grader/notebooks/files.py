"""Reading and writing the notebooks the grader runs (nbformat only, no Jupyter client)."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import nbformat


class NotebookReadError(Exception):
    pass


def read_notebook(path: Path):
    """Read a v4 notebook; NotebookReadError with a readable reason when it cannot be run.
    Schema violations that do not stop execution (unknown keys, ...) are tolerated, as Jupyter
    tolerates them."""
    if not path.is_file():
        raise NotebookReadError("the file is missing")
    try:
        nb = nbformat.read(path, as_version=4, capture_validation_error={})
        if not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
        for i, cell in enumerate(nb.cells):
            if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw") \
                    or not isinstance(cell.get("source"), str):
                raise ValueError(f"cell {i + 1} is not a valid code, markdown or raw cell")
            cell.setdefault("metadata", nbformat.NotebookNode())
    except nbformat.reader.NotJSONError:
        raise NotebookReadError("it is not valid JSON (was it saved completely?)") from None
    except UnicodeDecodeError:
        raise NotebookReadError("it is not UTF-8 text") from None
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotebookReadError(
            f"it is not a valid Jupyter notebook ({cut_middle(reason, 300)})") from None
    return nb


def placeholder_notebook(name: str, reason: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        f"**The grader could not read `{name}`:** {reason}")])


def save_notebook(nb, path_out: Path) -> None:
    path_out.parent.mkdir(parents=True, exist_ok=True)
    tmp = path_out.with_name(f".{path_out.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")
    try:
        nbformat.write(nb, str(tmp))
        os.replace(tmp, path_out)
    finally:
        tmp.unlink(missing_ok=True)


def cut_middle(text: str, keep: int) -> str:
    if len(text) <= keep:
        return text
    half = keep // 2
    return (text[:half] + f"\n[... {len(text) - 2 * half:,} characters omitted by the grader ...]\n"
            + text[-half:])
