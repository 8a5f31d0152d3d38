"""The roster (which student handed in which submission) and the Canvas export.

roster.csv: a header and one row per student,

    submission,student_id,name,email[,section][,canvas_id][,login]

`submission` is the submission's name (its folder name or zip stem, as in gradebook.csv).
`--roster FILE` copies it to REPORTS/roster.csv, so later runs use it without the option.

canvas.csv is what Canvas's Grades > Import reads: the columns Student, ID, SIS User ID,
SIS Login ID, Section, then one column for the assignment, with a "Points Possible" row under the
header. Canvas matches a row on ID (its own user id), SIS User ID or SIS Login ID; this file gives
canvas_id as ID, student_id as SIS User ID and login (else email) as SIS Login ID.
"""
from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.report.details import points
from grader.report.files import atomic_write_text
from grader.report.gradebook import text_cell
from grader.results import SubmissionResult

ROSTER = "roster.csv"
CANVAS = "canvas.csv"
REQUIRED = ("submission",)
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


class RosterError(ValueError):
    """The roster cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Student:
    submission: str
    student_id: str = ""
    name: str = ""
    email: str = ""
    section: str = ""
    canvas_id: str = ""
    login: str = ""


def read_roster(path: Path) -> dict[str, Student]:
    """{submission name: Student}; raises RosterError for a file that cannot be used."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [(h or "").strip().lower() for h in reader.fieldnames or []]
            if "submission" not in header:
                raise RosterError(f"{path}: the header must start with submission,student_id,name,"
                                  f"email (found: {','.join(header) or 'nothing'})")
            students = {}
            for line, raw in enumerate(reader, start=2):
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()
                       if isinstance(v, str)}
                if not row.get("submission"):
                    continue
                if row["submission"] in students:
                    raise RosterError(f"{path}:{line}: submission {row['submission']!r} is listed twice")
                students[row["submission"]] = Student(**{k: row.get(k, "") for k in Student.__annotations__})
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RosterError(f"{path}: {exc}") from exc
    return students


def keep_roster(path: Path, out: Path) -> None:
    """Check `path` and copy it to out/roster.csv, where later runs find it."""
    read_roster(path)
    Path(out).mkdir(parents=True, exist_ok=True)
    if Path(path).resolve() != (Path(out) / ROSTER).resolve():
        shutil.copyfile(path, Path(out) / ROSTER)


def kept_roster(out: Path) -> dict[str, Student]:
    path = Path(out) / ROSTER
    return read_roster(path) if path.is_file() else {}


def aliases(roster: dict[str, Student]) -> dict[str, str]:
    """Student ids and emails -> submission names (manual.csv may use either)."""
    found = {}
    for name, student in roster.items():
        for key in (student.student_id, student.email, student.login):
            if key:
                found[key] = name
    return found


def write_canvas(results: list[SubmissionResult], roster: dict[str, Student], out: Path,
                 assignment: str) -> Path:
    """out/canvas.csv: one row per graded submission (the roster's identities when given)."""
    max_score = max((r.max_score for r in results if not r.error), default=0.0)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CANVAS_COLUMNS + [text_cell(assignment)])
    writer.writerow(["Points Possible", "", "", "", "", points(max_score)])
    for result in results:
        student = roster.get(result.name, Student(result.name))
        writer.writerow([text_cell(student.name or result.name), text_cell(student.canvas_id),
                         text_cell(student.student_id), text_cell(student.login or student.email),
                         text_cell(student.section), "" if result.error else points(result.score)])
    path = Path(out) / CANVAS
    atomic_write_text(path, buffer.getvalue())
    return path
