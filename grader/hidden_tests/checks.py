"""Comparing one returned value with its expected value (a Finding), and turning findings into
the result of a test. Nothing here writes prose for the student: grader/report/ does.

Everything here runs in the grader's process on plain values decoded from the child's
reply (arrays, numbers, dicts, lists, None, protocol.Unsupported).
"""
from __future__ import annotations

import numpy as np

from grader.feedback import diagnose, stored
from grader.hidden_tests.child.protocol import Unsupported
from grader.report.prose import fmt, shape_text  # noqa: F401 (the tests' headers use them)
from grader.results import Finding, Mismatch, Outcome, TestResult, Verdict



def found(passed: bool, outcome: Outcome | None = None, *, header: str = "",
          findings: list[Finding] = (), notes: list[str] = (), **data) -> TestResult:
    """What one hidden test found, before the catalogue names it and scoring gives it points."""
    outcome = outcome or (Outcome.PASSED if passed else Outcome.FAILED)
    return TestResult(function="", what="", group="", passed=passed, outcome=outcome,
                      header=header, findings=list(findings), notes=list(notes), data=data)


def with_diagnosis(result: TestResult, function: str, inputs: dict, got: dict, expected: dict,
                   tolerance: float) -> TestResult:
    """A failed test gets the diagnosis of its numbers (grader/feedback: which known mistake they
    match, what they show), kept as data in the result; the report says it in words."""
    if not result.passed and result.outcome not in (Outcome.STUB, Outcome.RELIES_ON_WRONG):
        result.data["diagnosis"] = stored.to_data(diagnose(function, inputs, got, expected, tolerance))
    return result


def elementwise_error(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|x - y| / max(1e-8, |x| + |y|): its maximum is the CS231n relative error."""
    return np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))


def norm_error(x, y) -> float:
    """||x - y|| / max(1e-8, ||x|| + ||y||): robust where single entries are near zero."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.linalg.norm(x - y) / max(1e-8, np.linalg.norm(x) + np.linalg.norm(y)))


def as_array(value):
    """The value as a float array, or a sentence saying why it is not one."""
    if isinstance(value, Unsupported):
        return None, "an object of type %s, which cannot be compared; return a NumPy array" % value.type_name
    if isinstance(value, (bool, np.bool_)):
        return None, "a bool, expected numbers"
    if isinstance(value, (int, float, np.number, np.ndarray, list, tuple)):
        try:
            array = np.asarray(value)
        except Exception:
            array = None
        if array is not None and array.dtype.kind in "biuf":
            return array.astype(float), None
        if array is not None and array.dtype.kind == "c":
            return None, "complex numbers, expected real ones"
    return None, "a %s, expected numbers" % type(value).__name__


def singleton_free(shape) -> tuple:
    return tuple(n for n in shape if n != 1)


def singleton_difference(finding: Finding) -> bool:
    """A finding whose shape differs from the expected one only by axes of length 1 ((1, D)
    for (D,)); compare() judged its values, the rubric's `shapes` policy judges the shape."""
    return (finding.shape is not None and finding.expected_shape is not None
            and finding.shape != finding.expected_shape)


def compare(name: str, got, expected, tolerance: float, *, metric: str = "elementwise") -> Finding:
    """Compare `got` with the reference value `expected`: shape first, then non-finite
    entries, then the relative error (CS231n elementwise, or "norm") against `tolerance`.
    A shape that differs only by axes of length 1 is compared by its values and keeps its
    own `shape` in the finding (see singleton_difference)."""
    expected = np.asarray(expected, dtype=float)
    base = {"quantity": name, "expected_shape": list(expected.shape), "tolerance": tolerance,
            "metric": metric}
    if got is None:
        return Finding(ok=False, verdict=Verdict.NONE, **base)
    array, problem = as_array(got)
    if array is None:
        return Finding(ok=False, verdict=Verdict.NOT_NUMBERS, text=problem, **base)
    if expected.ndim == 0 and array.size == 1:
        array = array.reshape(())
    base["shape"] = list(array.shape)
    if array.shape != expected.shape:
        if singleton_free(array.shape) != singleton_free(expected.shape):
            return Finding(ok=False, verdict=Verdict.SHAPE, **base)
        array = array.reshape(expected.shape)
    finite_mismatch = ~np.isfinite(array) & ~((array == expected) | (np.isnan(array) & np.isnan(expected)))
    if finite_mismatch.any():
        index = tuple(int(i) for i in np.argwhere(finite_mismatch)[0])
        return Finding(ok=False, verdict=Verdict.NON_FINITE, rel_error=float("inf"),
                       first_mismatch=Mismatch(list(index), float(array[index]), float(expected[index])),
                       **base)
    both = np.isfinite(array) & np.isfinite(expected)
    a, e = np.where(both, array, 0.0), np.where(both, expected, 0.0)
    elementwise = elementwise_error(a, e)
    error = norm_error(a, e) if metric == "norm" else float(np.max(elementwise, initial=0.0))
    if error <= tolerance:
        return Finding(ok=True, verdict=Verdict.WITHIN, rel_error=error, **base)
    worst = elementwise > tolerance if metric != "norm" else elementwise == elementwise.max()
    index = tuple(int(i) for i in np.argwhere(worst)[0])
    return Finding(ok=False, verdict=Verdict.ABOVE, rel_error=error,
                   first_mismatch=Mismatch(list(index), float(array[index]), float(expected[index])),
                   **base)


def compare_variants(name: str, got, expected, variants: dict, tolerance: float, **options) -> Finding:
    """compare() against the main expected value, then, if the values are off, against each
    accepted variant ({key: expected value}, computed in the grader's process); the first
    variant that matches gives the finding, with its key in `variant`."""
    finding = compare(name, got, expected, tolerance, **options)
    if finding.ok or finding.verdict is not Verdict.ABOVE:
        return finding
    for key, value in variants.items():
        other = compare(name, got, value, tolerance, **options)
        if other.ok:
            other.variant = key
            return other
    return finding


def check_exact(name: str, got, expected) -> Finding:
    """Equality for non-array values (an iteration count, a key set)."""
    return Finding(name, got == expected, Verdict.EXACT, text=repr(got), expected_text=repr(expected))


def failed_check(name: str, line: str) -> Finding:
    return Finding(name, False, Verdict.NOTE, text=line)


def passed_check(name: str, line: str) -> Finding:
    return Finding(name, True, Verdict.NOTE, text=line)


def outcome(header: str, checks: list[Finding], *, notes: list[str] = (),
            outcome: Outcome | None = None, **data) -> TestResult:
    """The result of a test made of checks: passed when there are checks and all are right;
    a STUB when every wrong one is a None (the stub's message says it all)."""
    scored = [c for c in checks if c.role == "reference"]
    passed = bool(scored) and all(c.ok for c in scored)
    if outcome is None and not passed and all(c.ok or c.verdict is Verdict.NONE for c in scored):
        outcome = Outcome.STUB
    return found(passed, outcome, header=header, findings=checks, notes=notes, **data)


def describe_inputs(**named) -> str:
    """'x (4, 5), gamma (5,), bn_param {mode: 'train', eps: 1e-05}' for the output text."""
    return ", ".join("%s %s" % (name, describe_value(value)) for name, value in named.items())


def describe_value(value) -> str:
    if isinstance(value, np.ndarray):
        return shape_text(value.shape)
    if isinstance(value, dict):
        return "{" + ", ".join("%s: %s" % (k, describe_value(v)) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(describe_value(v) for v in value) + "]"
    if isinstance(value, float):
        return fmt(value)
    return repr(value)
