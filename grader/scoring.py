"""Stage 5, score: one SubmissionResult from what the stages found.

Points per test come from the rubric (applied by the stages that make the tests); here they
are bounded, notes are gathered, and the isolation level and its warning are recorded.
"""
from __future__ import annotations

from . import sandbox
from .results import SubmissionResult, TestResult


def assemble(*, name: str, seed: int, hidden: list[TestResult], notebooks: list[TestResult],
             messages: list[str], notebook_files: list[str], isolation: str,
             fingerprint: str = "") -> SubmissionResult:
    tests = list(hidden) + list(notebooks)
    for test in tests:
        test.score = round(min(max(test.score, 0.0), test.max_score), 4)
        if test.passed and test.score < test.max_score - 1e-6:
            test.passed = False  # "passed" means full marks; partial credit shows as failed
    warning = sandbox.isolation_warning(isolation)
    return SubmissionResult(
        name=name, seed=seed, tests=tests, messages=list(messages),
        warnings=[warning] if warning else [], isolation=isolation,
        notebooks=list(notebook_files), fingerprint=fingerprint,
    )
