"""The model every report shows: a graded model (REPORTS/.models/<name>.json, written by the
worker and never changed afterwards) with the course's policies applied on top: written
answers scored from manual.csv and the late penalty. Applying them again to the same graded
model with another manual.csv or roster costs no regrading.
"""
from __future__ import annotations

import dataclasses

from grader.course.manual import ManualPoints
from grader.results import SubmissionResult
from grader.rubric import Rubric
from grader.scoring import ANSWER_PREFIX, late_penalty, score_written_answers


def finalize(graded: SubmissionResult, rubric: Rubric, manual: ManualPoints) -> SubmissionResult:
    """`graded` with the written answers scored from `manual` and the late penalty. It is
    `graded` itself when they change nothing (most runs: a deep copy of each model took a
    third of the batch files' time), else a new model whose tests list and late penalty are
    its own and whose other parts are `graded`'s: neither is changed afterwards."""
    if graded.error:
        return graded
    tests = [t for t in graded.tests if not t.function.startswith(ANSWER_PREFIX)]
    tests += score_written_answers(graded.answers, rubric, manual.for_student(graded.name))
    result = dataclasses.replace(graded, tests=tests, late=None)
    result.late = late_penalty(result, rubric)
    if result.tests == graded.tests and result.late == graded.late:
        return graded
    return result


def unknown_questions(results: list[SubmissionResult], manual: ManualPoints,
                      rubric: Rubric) -> list[str]:
    """manual.csv rows and rubric questions that match no question or no submission."""
    known = {a.question for r in results for a in r.answers}
    names = {r.name for r in results}
    problems = []
    for student, rows in manual.rows.items():
        if student not in names:
            problems.append(f"manual.csv:{min(r.line for r in rows.values())}: no submission "
                            f"{student!r} under the reports")
        for row in rows.values():
            if known and row.question not in known:
                problems.append(f"manual.csv:{row.line}: no question {row.question!r} "
                                f"(questions look like {sorted(known)[0]!r})")
            elif row.points is not None and row.points > rubric.answers.points_for(row.question):
                problems.append(f"manual.csv:{row.line}: {row.points:g} points for {row.question}, "
                                f"which the rubric makes worth "
                                f"{rubric.answers.points_for(row.question):g}; capped")
    for question in rubric.answers.per_question:
        if known and question not in known:
            problems.append(f"rubric [answers.per_question]: no question {question!r}")
    return problems
