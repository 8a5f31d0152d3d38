"""Comparing numbers the way the hidden tests do, and flattening nested outputs.

Outputs are kept in flat dicts keyed by a path: "dx", "running_mean", "grads/W1",
"bn_params/0/running_var", "params/W2". NaN and inf count as equal to themselves, so a
known-wrong variant that overflows matches a student's code that overflows the same way.
"""
from __future__ import annotations

import numpy as np


def to_array(value) -> np.ndarray | None:
    """`value` as a float array, or None when it is not numbers (None, a string, an object)."""
    if value is None or isinstance(value, (str, bytes, dict)):
        return None
    try:
        array = np.asarray(value)
    except Exception:
        return None
    if array.dtype.kind not in "biuf":
        return None
    return array.astype(float)


def elementwise_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| / max(1e-8, |a| + |b|) entry by entry; 0 where both hold the same non-finite
    value, inf where only one of them is finite or they hold different non-finite values."""
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    finite = np.isfinite(a) & np.isfinite(b)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return np.where(finite, error, np.where(same, 0.0, np.inf))


def rel_error(a, b) -> float:
    """The CS231n relative error (the largest entry of elementwise_error); inf when the shapes
    differ or either side is not numbers."""
    a, b = to_array(a), to_array(b)
    if a is None or b is None or a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    return float(elementwise_error(a, b).max())


def close(a, b, tolerance: float) -> bool:
    return rel_error(a, b) <= tolerance


def norm_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||) over the finite entries; inf when the shapes or the places
    and values of the non-finite entries differ. Robust where single entries are near 0,
    so it is what a variant's prediction is matched with."""
    a, b = to_array(a), to_array(b)
    if a is None or b is None or a.shape != b.shape:
        return float("inf")
    finite_a, finite_b = np.isfinite(a), np.isfinite(b)
    if (finite_a != finite_b).any():
        return float("inf")
    if not finite_a.all():
        x, y = a[~finite_a], b[~finite_a]
        if not ((x == y) | (np.isnan(x) & np.isnan(y))).all():
            return float("inf")
        a, b = a[finite_a], b[finite_a]
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 1e-12 else 0.0


def flatten(values, prefix: str = "") -> dict:
    """{"grads": {"W1": a}} -> {"grads/W1": a}; lists are numbered ("bn_params/0/...")."""
    flat = {}
    if isinstance(values, dict):
        items = values.items()
    elif isinstance(values, (list, tuple)) and prefix and not _numeric_sequence(values):
        items = enumerate(values)
    else:
        return {prefix: values} if prefix else {}
    for key, value in items:
        path = "%s/%s" % (prefix, key) if prefix else str(key)
        if isinstance(value, dict) or (isinstance(value, (list, tuple)) and not _numeric_sequence(value)):
            flat.update(flatten(value, path))
        else:
            flat[path] = value
    return flat


def _numeric_sequence(values) -> bool:
    """A list of numbers (an array sent as a list) rather than a list of records."""
    return all(isinstance(v, (int, float, np.number)) for v in values)
