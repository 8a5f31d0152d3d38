"""Signatures of inverted dropout. The masks are the student's own random draws, so dropout is
recognized by properties: the share of kept units (binomial, within SIGMAS standard
deviations), the scale of the kept units, and whether the backward pass reuses the forward's
mask. Inputs: x and dropout_param, plus for dropout_backward dout and the student's own
forward output "out"."""
from __future__ import annotations

import numpy as np

from grader.feedback.arrays import norm_error
from grader.feedback.registry import signature

SIGMAS = 5.0


def plausible(rate: float, q: float, n: int) -> bool:
    """A keep rate `rate` over n units is compatible with keeping each with probability q."""
    return abs(rate - q) <= SIGMAS * np.sqrt(q * (1 - q) / n) + 1.0 / n


def setting(case):
    """(x, p, mode, out) with out the forward output, or None when something is missing."""
    param = case.input("dropout_param") or {}
    x = case.input_array("x")
    source = case.got if case.function == "dropout_forward" else case.inputs
    out = np.asarray(source["out"], dtype=float) if source.get("out") is not None else None
    if x is None or out is None or out.shape != x.shape or "p" not in param:
        return None
    return x, float(param["p"]), param.get("mode"), out


def same(a, b, case) -> bool:
    return a.size > 0 and norm_error(a, b) <= case.match_tolerance


@signature("keep_rate_one_minus_p")
def keep_rate_one_minus_p(case):
    """Units kept with probability 1 - p: p was used as the probability of dropping."""
    found = setting(case)
    if case.function != "dropout_forward" or found is None or found[2] != "train":
        return False
    x, p, _, out = found
    n = int((x != 0).sum())
    rate = float(((out != 0) & (x != 0)).sum()) / max(n, 1)
    return plausible(rate, 1 - p, n) and not plausible(rate, p, n)


@signature("kept_units_unscaled")
def kept_units_unscaled(case):
    """Kept units equal x: the 1/p of inverted dropout is missing."""
    found = setting(case)
    if case.function != "dropout_forward" or found is None or found[2] != "train" or found[1] == 1:
        return False
    x, p, _, out = found
    kept, n = (out != 0) & (x != 0), int((x != 0).sum())
    return plausible(float(kept.sum()) / max(n, 1), p, n) and same(out[kept], x[kept], case)


@signature("test_output_scaled_by_p")
def test_output_scaled_by_p(case):
    """Test mode returns p * x (the scaling of non-inverted dropout)."""
    found = setting(case)
    if case.function != "dropout_forward" or found is None or found[2] != "test" or found[1] == 1:
        return False
    x, p, _, out = found
    return same(out, p * x, case)


@signature("test_output_masked")
def test_output_masked(case):
    """Test mode still drops units (zeros where x is not)."""
    found = setting(case)
    if case.function != "dropout_forward" or found is None or found[2] != "test":
        return False
    x, p, _, out = found
    kept = out != 0
    dropped = (~kept & (x != 0)).any()
    return bool(dropped) and (same(out[kept], x[kept], case) or same(out[kept], x[kept] / p, case))


def backward_setting(case):
    found = setting(case)
    dout, dx = case.input_array("dout"), case.array("dx")
    if case.function != "dropout_backward" or found is None or found[2] != "train":
        return None
    if dout is None or dx is None or dx.shape != dout.shape or dout.shape != found[0].shape:
        return None
    x, p, _, out = found
    return p, out != 0, dout, dx


@signature("backward_fresh_mask")
def backward_fresh_mask(case):
    """dx is zero at other places than the forward output: a new mask was drawn."""
    found = backward_setting(case)
    if found is None:
        return False
    p, kept, dout, dx = found
    live = dout != 0
    kept_back = (dx != 0) & live
    n = int(live.sum())
    mismatches = int((kept_back != (kept & live)).sum())
    if n == 0 or mismatches < max(1, 0.5 * 2 * p * (1 - p) * n):
        return False
    scaled = same(dx[kept_back], dout[kept_back] / p, case) or same(dx[kept_back], dout[kept_back], case)
    return plausible(float(kept_back.sum()) / n, p, n) and scaled


def _reused_mask_scaled(case, factor) -> bool:
    found = backward_setting(case)
    if found is None or found[0] == 1:
        return False
    p, kept, dout, dx = found
    pattern = np.array_equal((dx != 0) & (dout != 0), kept & (dout != 0))
    return pattern and same(dx[kept], dout[kept] * factor(p), case)


@signature("backward_not_rescaled")
def backward_not_rescaled(case):
    """The forward's mask, but dx = dout on kept units: 1/p missing."""
    return _reused_mask_scaled(case, lambda p: 1.0)


@signature("backward_scaled_twice")
def backward_scaled_twice(case):
    """The forward's mask already holds 1/p and dx divides by p again."""
    return _reused_mask_scaled(case, lambda p: 1.0 / p ** 2)
