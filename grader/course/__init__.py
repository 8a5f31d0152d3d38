"""Course logistics around the grader: written answers, hand-in times and the late policy,
manual points, the roster, similarity across a batch, and the batch-wide outputs.

    answers.py     the notebooks' answer cells          timing.py     hand-in time, Gradescope metadata
    manual.py      REPORTS/manual.csv                   roster.py     --roster, canvas.csv
    finalize.py    a graded model + manual points + late policy -> the model every report shows
    similarity.py  pairs of submissions sharing code    outputs.py    every batch-wide file, rebuilt
"""
from __future__ import annotations

from pathlib import Path

from grader.course.answers import collect_answers
from grader.course.timing import handed_in
from grader.intake.submission import STUDENT_FILES

MAX_CODE_CHARS = 200_000


def submission_facts(source: Path, intake, workspace, handout_notebooks: list[Path]) -> dict:
    """What the worker keeps in the model about a submission besides its tests: written
    answers, the student's code (for similarity), when it was handed in and by whom."""
    handed = handed_in(source, set(intake.files))
    code = {}
    for name in STUDENT_FILES:
        if name in intake.files:
            try:
                code[name] = Path(intake.files[name]).read_bytes()[:MAX_CODE_CHARS].decode(
                    "utf-8", errors="replace")
            except OSError:
                pass
    notebooks = {p.name: p for p in workspace.notebooks}
    submitted = {name for name in intake.files if name.endswith(".ipynb")}
    return {
        "answers": collect_answers(notebooks, submitted, handout_notebooks),
        "code": code,
        "submitted_at": handed.submitted_at,
        "submitted_source": handed.source,
        "metadata": handed.metadata,
    }
