"""The rubric: points, tolerances, time limits and visibility, read from grader/rubric.toml.

Instructors edit the TOML file, never code. This module only loads and checks it.
"""
from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

DEFAULT_RUBRIC = Path(__file__).resolve().parent / "rubric.toml"
VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}


class RubricError(ValueError):
    """The rubric file is malformed; the message names the offending key."""


def load_rubric(path: Path = DEFAULT_RUBRIC) -> dict:
    """Parse and check the rubric; groups inherit missing keys from [defaults]."""
    try:
        rubric = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RubricError(f"{path}: {exc}") from exc
    defaults = rubric.get("defaults", {})
    groups = rubric.get("groups", {})
    if not groups:
        raise RubricError(f"{path}: no [groups.<name>] tables")
    for name, group in groups.items():
        for key, value in defaults.items():
            group.setdefault(key, value)
        _check(group, f"groups.{name}")
    notebooks = rubric.setdefault("notebooks", {})
    notebooks.setdefault("run", True)
    notebooks.setdefault("points", 0)
    notebooks.setdefault("cell_timeout", 120)
    notebooks.setdefault("notebook_timeout", 600)
    notebooks.setdefault("continue_on_error", True)
    notebooks.setdefault("visibility", "visible")
    notebooks.setdefault("only", [])
    only = notebooks["only"]
    if not isinstance(only, list) or not all(isinstance(name, str) for name in only):
        raise RubricError(f"{path}: notebooks.only must be a list of notebook file names, "
                          f"not {only!r}")
    _check(notebooks, "notebooks")
    return rubric


def _check(table: dict, where: str) -> None:
    points = table.get("points", 0)
    if not isinstance(points, (int, float)) or points < 0:
        raise RubricError(f"{where}.points must be a number >= 0, not {points!r}")
    visibility = table.get("visibility", "visible")
    if visibility not in VISIBILITIES:
        raise RubricError(f"{where}.visibility must be one of {sorted(VISIBILITIES)}, "
                          f"not {visibility!r}")


def notebook_points(rubric: dict, notebook_name: str) -> float:
    """Points for one notebook: [notebooks.per_notebook] may name it, else [notebooks].points."""
    per = rubric["notebooks"].get("per_notebook", {})
    return float(per.get(notebook_name, rubric["notebooks"]["points"]))


def rubric_digest(path: Path = DEFAULT_RUBRIC) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
