"""Signatures of FullyConnectedNet. Inputs are the hidden tests' request ({"init", "runs"});
outputs are flattened: "loss", "grads/W1", "scores", "params/W1" (initial parameters)."""
from __future__ import annotations

import numpy as np

from grader.feedback.registry import signature

SIGMAS = 5.0


def _setting(case):
    """(init, params of the last run that set them, whether the last run has labels)."""
    init, runs = case.input("init") or {}, case.input("runs") or []
    params = next((run["params"] for run in reversed(runs) if run.get("params") is not None), None)
    labelled = bool(runs) and runs[-1].get("y") is not None
    return init, params, labelled


def _weights(params):
    return {k: np.asarray(v, dtype=float) for k, v in params.items() if k.startswith("W")}


@signature("l2_without_half")
def l2_without_half(case):
    """The loss is larger by exactly 0.5 * reg * (sum of squared weights): the penalty is
    reg * sum(W^2) without the factor 0.5 (the weight gradients may be 2 reg W to match)."""
    init, params, labelled = _setting(case)
    reg = float(init.get("reg", 0.0))
    expected = case.expected_array("loss")
    if case.function != "FullyConnectedNet" or not reg or params is None or not labelled or expected is None:
        return False
    weights = _weights(params)
    extra = 0.5 * reg * sum(float(np.sum(w * w)) for w in weights.values())
    if not case.got_is("loss", expected + extra):
        return False
    for key, w in weights.items():
        name = "grads/" + key
        if not case.right(name) and not case.got_is(name, case.expected_array(name) + reg * w):
            return False
    return case.others_right("loss", *("grads/" + k for k in weights))


@signature("reg_gradient_missing")
def reg_gradient_missing(case):
    """The loss is right, every weight gradient lacks exactly reg * W."""
    init, params, labelled = _setting(case)
    reg = float(init.get("reg", 0.0))
    if case.function != "FullyConnectedNet" or not reg or params is None or not labelled:
        return False
    weights = _weights(params)
    names = ["grads/" + k for k in weights]
    if not case.right("loss") or not any(name in case.wrong_keys for name in names):
        return False
    return all(case.got_is(name, case.expected_array(name) - reg * weights[name[6:]])
               for name in names if name in case.got) and case.others_right(*names)


@signature("extra_last_norm_params")
def extra_last_norm_params(case):
    """__init__ creates gamma and beta for the output layer too."""
    init = case.input("init") or {}
    if case.function != "FullyConnectedNet" or not init.get("normalization") or "hidden_dims" not in init:
        return False
    L = len(init["hidden_dims"]) + 1
    return any("params/%s%d" % (name, L) in case.got for name in ("gamma", "beta"))


@signature("init_without_weight_scale")
def init_without_weight_scale(case):
    """Initial weights with standard deviation 1: weight_scale was not applied."""
    init = case.input("init") or {}
    scale = float(init.get("weight_scale", 1e-2))
    weights = [np.asarray(v, dtype=float) for k, v in case.got.items()
               if k.startswith("params/W") and v is not None]
    if case.function != "FullyConnectedNet" or not weights:
        return False
    for w in weights:
        margin = SIGMAS / np.sqrt(2 * w.size)
        if abs(w.std() - 1) > margin or abs(scale - 1) <= SIGMAS * scale / np.sqrt(2 * w.size):
            return False
    return True
