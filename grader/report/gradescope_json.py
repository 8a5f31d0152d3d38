"""Gradescope's results.json, rendered from a SubmissionResult."""
from __future__ import annotations

import numbers
from collections.abc import Collection

from grader.report.details import (
    VISIBILITIES, _finite, _json_number, grader_version, output_text, summary_text)
from grader.report.test_names import display_name
from grader.report.text import HIDDEN, clean_text
from grader.results import SubmissionResult, TestResult

def family(function: str) -> str:
    """The family a graded unit belongs to: the hidden tests' module, or notebooks/answers."""
    if function.startswith("notebook "):
        return "notebooks"
    if function.startswith("answer "):
        return "written answers"
    from grader.hidden_tests.catalogue import FAMILY_OF   # only the names: no student code
    return FAMILY_OF.get(function, "other")


def numbers_and_tags(tests: list[TestResult]) -> list[tuple[str, list[str]]]:
    """Gradescope's `number` ("3.2": the 2nd test of the 3rd graded unit, in report order) and
    `tags` (the graded unit and its family) of each test."""
    units: dict[str, int] = {}
    seen: dict[str, int] = {}
    found = []
    for t in tests:
        unit = units.setdefault(t.function, len(units) + 1)
        seen[t.function] = seen.get(t.function, 0) + 1
        found.append((f"{unit}.{seen[t.function]}", [clean_text(t.function, 100), family(t.function)]))
    return found


def _gradescope_test(t: TestResult, hide: Collection[str], lang: str, number: str = "",
                     tags: list[str] | None = None) -> dict:
    # `name` is what Gradescope shows the student (in the report's language); extra_data's
    # `name` is the test's identity, the English name the gradebook and the rubric use.
    extra = {"name": clean_text(t.name, 300), "group": t.group}
    extra.update({k: _json_number(v) for k, v in (("rel_error", t.rel_error), ("tolerance", t.tolerance))
                  if isinstance(v, numbers.Real)})
    return {
        "name": clean_text(display_name(t.function, t.what, lang, ": "), 300), "name_format": "text",
        "score": round(_finite(t.score), 4), "max_score": round(_finite(t.max_score), 4),
        "status": t.status, "output": output_text(t, hide, lang), "output_format": "text",
        **({"number": number} if number else {}), "tags": list(tags or []),
        "visibility": t.visibility if t.visibility in VISIBILITIES else "hidden",
        "extra_data": extra,
    }


def _course_data(result: SubmissionResult) -> dict:
    """The hand-in time, late penalty and unanswered questions, for instructors' scripts."""
    data = {}
    if result.late is not None:
        data["late"] = {"submitted_at": result.late.submitted_at, "due_at": result.late.due_at,
                        "source": result.late.source, "minutes_late": result.late.minutes_late,
                        "days_charged": result.late.days_charged, "fraction": result.late.fraction}
        data["late_penalty"] = result.late.points
        data["tests_score"] = _finite(result.tests_score)
    if result.answers:
        data["unanswered"] = [a.question for a in result.answers if a.blank]
    return data


def to_gradescope(result: SubmissionResult, hide: Collection[str] = HIDDEN, lang: str = "en") -> dict:
    """Gradescope results.json; tests with visibility in `hide` show no shapes or values."""
    return {
        "score": _finite(result.score),
        "execution_time": round(_finite(result.execution_time), 3),
        "output": summary_text(result, hide, lang), "output_format": "text",
        "test_output_format": "text", "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",   # the grader's own log is for instructors
        "extra_data": {
            "submission": clean_text(result.name, 300), "seed": result.seed,
            "isolation": clean_text(result.isolation, 100),
            "grader_version": grader_version(), "fingerprint": result.fingerprint,
            "max_score": _finite(result.max_score),
            "error": clean_text(result.error) if result.error else None,
            **_course_data(result),
        },
        "tests": [_gradescope_test(t, hide, lang, number, tags)
                  for t, (number, tags) in zip(result.tests, numbers_and_tags(result.tests))],
    }
