"""What the numbers show: for every output of a failing test, whether it is right, and if not,
where and by how much it differs from the reference. Plain data; report wording lives in
mistakes.toml ([phrases.*]) and render.py."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.feedback.arrays import elementwise_error, to_array

RIGHT, WRONG, SHAPE, NON_FINITE, MISSING, NOT_NUMBERS = (
    "right", "wrong", "shape", "non_finite", "missing", "not_numbers")
RATIO_SPREAD = 1e-3       # entries whose ratios to the reference agree this well share one factor


@dataclass(frozen=True)
class OutputEvidence:
    """One output of the student against the reference.

    status: right | wrong | shape | non_finite | missing | not_numbers.
    For a wrong output: rel_error (the CS231n relative error), wrong_entries of entries
    (count above the tolerance), worst (index of the largest error) with the values there,
    and factor when every entry is the same multiple of the reference (2.0, -1.0, 0.8)."""

    name: str
    status: str
    rel_error: float | None = None
    wrong_entries: int = 0
    entries: int = 0
    worst: tuple[int, ...] | None = None
    got: float | None = None
    expected: float | None = None
    factor: float | None = None
    shape: tuple[int, ...] | None = None
    expected_shape: tuple[int, ...] | None = None


def output_evidence(name: str, got, expected, tolerance: float) -> OutputEvidence:
    expected_array = to_array(expected)
    if got is None:
        return OutputEvidence(name, MISSING)
    array = to_array(got)
    if array is None or expected_array is None:
        return OutputEvidence(name, NOT_NUMBERS)
    if expected_array.ndim == 0 and array.size == 1:
        array = array.reshape(())
    if array.shape != expected_array.shape:
        return OutputEvidence(name, SHAPE, shape=array.shape, expected_shape=expected_array.shape)
    errors = elementwise_error(array, expected_array)
    if array.size == 0 or errors.max() <= tolerance:
        return OutputEvidence(name, RIGHT, rel_error=float(errors.max(initial=0.0)))
    worst = np.unravel_index(int(np.argmax(errors)), array.shape)
    finite = np.isfinite(array) & np.isfinite(expected_array)
    status = WRONG if finite.all() or np.isfinite(expected_array[~finite]).sum() == 0 else NON_FINITE
    return OutputEvidence(
        name, status, rel_error=float(errors.max()), wrong_entries=int((errors > tolerance).sum()),
        entries=int(array.size), worst=tuple(int(i) for i in worst), got=float(array[worst]),
        expected=float(expected_array[worst]), factor=common_factor(array, expected_array),
        shape=array.shape, expected_shape=expected_array.shape)


def common_factor(array: np.ndarray, expected: np.ndarray) -> float | None:
    """The one number c with array = c * expected entry by entry, if there is one (and c != 1)."""
    usable = np.isfinite(array) & np.isfinite(expected) & (np.abs(expected) > 1e-12)
    if not usable.any() or not (np.isfinite(array) & np.isfinite(expected)).all():
        return None
    ratios = array[usable] / expected[usable]
    c = float(np.median(ratios))
    if abs(c - 1) < 1e-6 or np.abs(ratios - c).max() > RATIO_SPREAD * max(1.0, abs(c)):
        return None
    if (np.abs(array[~usable]) > 1e-9 * max(1.0, np.abs(array).max())).any():
        return None
    return c


def evidence(got: dict, expected: dict, tolerance: float) -> tuple[OutputEvidence, ...]:
    """One OutputEvidence per expected output (flattened names), in the reference's order."""
    return tuple(output_evidence(name, got.get(name), value, tolerance)
                 for name, value in expected.items())
