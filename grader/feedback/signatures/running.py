"""Signatures of batch norm's running averages (batchnorm_forward, spatial_batchnorm_forward).

The inputs are one call or a sequence of calls sharing bn_param (see variants.normalization).
From the train-mode batches alone the grader knows every statistic the student could have
put into the running averages, so each signature predicts the running values one mistake
leaves, and a test-mode output computed from the student's own running values.
"""
from __future__ import annotations

import numpy as np

from grader.feedback.registry import signature

FUNCTIONS = ("batchnorm_forward", "spatial_batchnorm_forward")


class Running:
    """The initial running values, momentum, eps and per-step batch statistics."""

    def __init__(self, case):
        param = dict(case.input("bn_param") or {})
        steps = case.input("steps") or [{k: case.input(k) for k in ("x", "gamma", "beta")}]
        self.momentum, self.eps = float(param.get("momentum", 0.9)), float(param.get("eps", 1e-5))
        self.given = {key: key in param for key in ("running_mean", "running_var")}
        self.spatial = case.function.startswith("spatial")
        self.batches, mode = [], param.get("mode")
        for step in steps:
            mode = step.get("mode", mode)
            rows = self.rows(np.asarray(step["x"], dtype=float))
            if mode == "train":
                self.batches.append((rows.mean(axis=0), rows.var(axis=0), rows.shape[0]))
        self.last_mode, self.last = mode, steps[-1]
        C = self.rows(np.asarray(steps[0]["x"], dtype=float)).shape[1]
        self.initial = (np.asarray(param.get("running_mean", np.zeros(C)), dtype=float),
                        np.asarray(param.get("running_var", np.zeros(C)), dtype=float))

    def rows(self, x):
        return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1]) if self.spatial else x

    def averaged(self, unbiased_var=False):
        rm, rv = self.initial
        m = self.momentum
        for mean, var, n in self.batches:
            rm = m * rm + (1 - m) * mean
            rv = m * rv + (1 - m) * (var * n / (n - 1) if unbiased_var else var)
        return rm, rv

    def test_output(self, rm, rv):
        """The last call's output in test mode with the running values (rm, rv)."""
        x = np.asarray(self.last["x"], dtype=float)
        gamma, beta = (np.asarray(self.last[k], dtype=float) for k in ("gamma", "beta"))
        if self.spatial:
            shape = (1, -1) + (1,) * (x.ndim - 2)
            rm, rv, gamma, beta = (a.reshape(shape) for a in (rm, rv, gamma, beta))
        return gamma * (x - rm) / np.sqrt(rv + self.eps) + beta


def running_values(case, predict, never_stored=False) -> bool:
    """The student's running_mean and running_var are what `predict(Running)` says (each
    key may also be right), at least one of them is explained, and a wrong test-mode
    output is the one their own running values give. never_stored: a value missing after
    the calls counts as its initial one when bn_param did not hold it at first."""
    if case.function not in FUNCTIONS or not any(k in case.wrong_keys for k in ("running_mean", "running_var")):
        return False
    if not case.others_right("running_mean", "running_var", "out"):
        return False        # a wrong train-mode output is another mistake (the normalization)
    try:
        running = Running(case)
    except (KeyError, TypeError, ValueError, IndexError):
        return False
    if not running.batches:
        return False
    predicted = dict(zip(("running_mean", "running_var"), predict(running)))
    explained, own = False, {}
    for key, value in predicted.items():
        missing = case.got.get(key) is None
        own[key] = value if missing else case.array(key)
        if key in case.wrong_keys:
            if missing and not (never_stored and not running.given[key]):
                return False
            if not missing and not case.got_is(key, value):
                return False
            explained = True
    if not explained:
        return False
    if "out" not in case.wrong_keys:
        return True
    rm, rv = own["running_mean"], own["running_var"]
    return (running.last_mode == "test" and rm is not None and rv is not None
            and case.near("out", running.test_output(rm, rv)))


@signature("running_unchanged")
def running_unchanged(case):
    """Never updated or never written back: the running values are still the initial ones
    (zeros by default), or missing from bn_param."""
    return running_values(case, lambda r: r.initial, never_stored=True)


@signature("running_off_by_momentum")
def running_off_by_momentum(case):
    """Overwritten with the last batch's statistics: off by the momentum weighting."""
    return running_values(case, lambda r: r.batches[-1][:2])


@signature("running_var_ratio")
def running_var_ratio(case):
    """running_var averages the unbiased variance: each batch's share N/(N - 1) too large."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return running_values(case, lambda r: r.averaged(unbiased_var=True))
