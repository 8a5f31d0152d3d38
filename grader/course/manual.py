"""REPORTS/manual.csv: points given by hand, one row per student and question.

    student,question,points,comment
    alice,BatchNormalization Q1,2,"clear, names the right effect"

`student` is the submission's name (its report folder) or, with a roster, its student id or
email; `question` is a question id from answers.csv ("<notebook> Q<n>"). A rerun merges the rows
into every report without regrading; a row that cannot be used is reported, never guessed at.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

MANUAL = "manual.csv"
COLUMNS = ("student", "question", "points", "comment")


@dataclass(frozen=True)
class ManualRow:
    student: str
    question: str
    points: float | None      # None: a comment only
    comment: str = ""
    line: int = 0


@dataclass
class ManualPoints:
    rows: dict[str, dict[str, ManualRow]] = field(default_factory=dict)  # student -> question -> row
    problems: list[str] = field(default_factory=list)                    # for the terminal

    def for_student(self, name: str) -> dict[str, ManualRow]:
        return self.rows.get(name, {})


def read_manual(path: Path, aliases: dict[str, str] | None = None) -> ManualPoints:
    """manual.csv at `path` ({} when absent). `aliases` maps roster ids and emails to
    submission names."""
    manual = ManualPoints()
    path = Path(path)
    if not path.is_file():
        return manual
    aliases = aliases or {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            missing = [c for c in COLUMNS[:3] if c not in header]
            if missing:
                manual.problems.append(f"{path}: no column {', '.join(missing)} (the header must be "
                                       f"{','.join(COLUMNS)}); manual points were not applied")
                return manual
            for line, raw in enumerate(reader, start=2):
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()
                       if isinstance(v, str)}
                _add(manual, row, line, path, aliases)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        manual.problems.append(f"{path}: could not be read ({exc}); manual points were not applied")
    return manual


def _add(manual: ManualPoints, row: dict, line: int, path: Path, aliases: dict[str, str]) -> None:
    student, question = row.get("student", ""), row.get("question", "")
    if not student and not question:
        return   # a blank line
    if not student or not question:
        manual.problems.append(f"{path}:{line}: needs both a student and a question")
        return
    text = row.get("points", "")
    points = None
    if text:
        try:
            points = float(text)
        except ValueError:
            points = math.nan
        if not math.isfinite(points) or points < 0:
            manual.problems.append(f"{path}:{line}: points must be a number >= 0, not {text!r}")
            return
    name = aliases.get(student, student)
    if question in manual.rows.get(name, {}):
        manual.problems.append(f"{path}:{line}: a second row for {student}, {question}; "
                               "the last one counts")
    manual.rows.setdefault(name, {})[question] = ManualRow(
        name, question, points, row.get("comment", ""), line)
