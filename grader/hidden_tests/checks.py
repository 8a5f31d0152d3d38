"""Comparing one returned value with its expected value, and turning checks into an Outcome.

Everything here runs in the grader's process on plain values decoded from the child's
reply (arrays, numbers, dicts, lists, None, protocol.Unsupported).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from grader.child.protocol import Unsupported

STUB_HINT = "returned None — is the function still the stub?"


@dataclass
class Outcome:
    """What one hidden test found. `partial` is the fraction of the points given when the
    test is not passed (0 <= partial < 1)."""

    passed: bool
    output: str
    partial: float = 0.0
    details: dict = field(default_factory=dict)


@dataclass
class Check:
    """One compared value: `line` is what the student reads about it."""

    name: str
    ok: bool
    line: str
    details: dict = field(default_factory=dict)
    is_none: bool = False


def elementwise_error(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|x - y| / max(1e-8, |x| + |y|): its maximum is the CS231n relative error."""
    return np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))


def norm_error(x, y) -> float:
    """||x - y|| / max(1e-8, ||x|| + ||y||): robust where single entries are near zero."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.linalg.norm(x - y) / max(1e-8, np.linalg.norm(x) + np.linalg.norm(y)))


def fmt(value) -> str:
    """A short rendering of a number for the student."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return repr(value)
    return "%.6g" % value


def shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


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


def compare(name: str, got, expected, tolerance: float, *, metric: str = "elementwise") -> Check:
    """Compare `got` with the reference value `expected`: shape first, then non-finite
    entries, then the relative error (CS231n elementwise, or "norm") against `tolerance`."""
    expected = np.asarray(expected, dtype=float)
    base = {"name": name, "expected_shape": list(expected.shape), "tolerance": tolerance}
    if got is None:
        return Check(name, False, "%s: %s" % (name, STUB_HINT), {**base, "shape": None}, is_none=True)
    array, problem = as_array(got)
    if array is None:
        return Check(name, False, "%s: %s" % (name, problem), {**base, "shape": None})
    if expected.ndim == 0 and array.size == 1:
        array = array.reshape(())
    base["shape"] = list(array.shape)
    if array.shape != expected.shape:
        line = "%s: shape %s, expected %s" % (name, shape_text(array.shape), shape_text(expected.shape))
        if array.size == expected.size:
            line += " (same number of entries: a reshape, a transpose or keepdims?)"
        return Check(name, False, line, base)
    finite_mismatch = ~np.isfinite(array) & ~((array == expected) | (np.isnan(array) & np.isnan(expected)))
    if finite_mismatch.any():
        index = tuple(int(i) for i in np.argwhere(finite_mismatch)[0])
        line = ("%s: contains %s%s where the expected value is %s (an overflow, a division by zero "
                "or the log of 0?)" % (name, fmt(array[index]), " at index %s" % (index,) if index else "",
                                       fmt(expected[index])))
        return Check(name, False, line, {**base, "rel_error": float("inf"), "first_mismatch": {
            "index": list(index), "yours": float(array[index]), "expected": float(expected[index])}})
    both = np.isfinite(array) & np.isfinite(expected)
    a, e = np.where(both, array, 0.0), np.where(both, expected, 0.0)
    elementwise = elementwise_error(a, e)
    error = norm_error(a, e) if metric == "norm" else float(np.max(elementwise, initial=0.0))
    ok = error <= tolerance
    label = "relative error" if metric != "norm" else "relative error (of the norms)"
    line = "%s: shape %s, %s %.2e %s tolerance %.0e" % (
        name, shape_text(array.shape), label, error, "within" if ok else "above", tolerance)
    details = {**base, "rel_error": error}
    if not ok:
        worst = elementwise > tolerance if metric != "norm" else elementwise == elementwise.max()
        index = tuple(int(i) for i in np.argwhere(worst)[0])
        details["first_mismatch"] = {"index": list(index), "yours": float(array[index]),
                                     "expected": float(expected[index])}
        line += "; %s: yours %s, expected %s" % (
            "first mismatch at index %s" % (index,) if index else "the value",
            fmt(array[index]), fmt(expected[index]))
    return Check(name, ok, line, details)


def check_exact(name: str, got, expected) -> Check:
    """Equality for non-array values (an iteration count, a key set)."""
    ok = got == expected
    line = "%s: %r%s" % (name, got, "" if ok else ", expected %r" % (expected,))
    return Check(name, ok, line, {"name": name, "yours": repr(got), "expected": repr(expected)})


def failed_check(name: str, line: str, **details) -> Check:
    return Check(name, False, "%s: %s" % (name, line), {"name": name, **details})


def passed_check(name: str, line: str, **details) -> Check:
    return Check(name, True, "%s: %s" % (name, line), {"name": name, **details})


def outcome(header: str, checks: list[Check], hint: str = "", notes: list[str] = (),
            partial: float = 0.0) -> Outcome:
    """Assemble the student's text and the details from a list of checks."""
    passed = bool(checks) and all(check.ok for check in checks)
    lines = [header] + ["  " + check.line for check in checks] + list(notes)
    if not passed and any(check.is_none for check in checks) and all(
            check.is_none or check.ok for check in checks):
        hint = ""          # the stub message says it all
    if not passed and hint:
        lines.append("What to look at: " + hint)
    errors = [c.details["rel_error"] for c in checks if "rel_error" in c.details]
    failing = next((c for c in checks if not c.ok), None)
    details = {
        "rel_error": max(errors) if errors else None,
        "tolerance": next((c.details["tolerance"] for c in checks if "tolerance" in c.details), None),
        "shapes": {c.name: c.details.get("shape") for c in checks if "expected_shape" in c.details},
        "first_mismatch": (failing.details.get("first_mismatch") if failing else None),
        "checks": [{"ok": c.ok, **c.details} for c in checks],
    }
    return Outcome(passed, "\n".join(lines), 0.0 if passed else partial, details)


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
