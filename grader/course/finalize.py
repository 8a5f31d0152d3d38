"""The model every report shows: a graded model (REPORTS/.models/<name>.json, written by the
worker and never changed afterwards) with the course's policies applied on top: written
answers scored from manual.csv and the late penalty. Applying them again to the same graded
model with another manual.csv or roster costs no regrading.
"""
from __future__ import annotations

import copy

from grader.course.manual import ManualPoints
from grader.results import SubmissionResult
from grader.rubric import Rubric
from grader.scoring import ANSWER_PREFIX, late_penalty, score_written_answers


def finalize(graded: SubmissionResult, rubric: Rubric, manual: ManualPoints) -> SubmissionResult:
    result = copy.deepcopy(graded)
    if result.error:
        return result
    result.tests = [t for t in result.tests if not t.function.startswith(ANSWER_PREFIX)]
    result.tests += score_written_answers(result.answers, rubric, manual.for_student(result.name))
    result.late = late_penalty(result, rubric)
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
