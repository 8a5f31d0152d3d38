"""Gradescope's results.json, rendered from a SubmissionResult."""
from __future__ import annotations

import numbers
from collections.abc import Collection

from grader.report.details import (
    VISIBILITIES, _finite, _json_number, grader_version, output_text, summary_text)
from grader.report.text import HIDDEN, clean_text
from grader.results import SubmissionResult, TestResult


def _gradescope_test(t: TestResult, hide: Collection[str], lang: str) -> dict:
    extra = {"group": t.group}
    extra.update({k: _json_number(v) for k, v in (("rel_error", t.rel_error), ("tolerance", t.tolerance))
                  if isinstance(v, numbers.Real)})
    return {
        "name": clean_text(t.name, 300), "name_format": "text",
        "score": round(_finite(t.score), 4), "max_score": round(_finite(t.max_score), 4),
        "status": t.status, "output": output_text(t, hide, lang), "output_format": "text",
        "visibility": t.visibility if t.visibility in VISIBILITIES else "hidden",
        "extra_data": extra,
    }


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
        },
        "tests": [_gradescope_test(t, hide, lang) for t in result.tests],
    }
