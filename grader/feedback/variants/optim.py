"""Variants of the update rules, run over the same steps as the hidden tests.

`inputs`: {"w": initial weights, "dws": [one gradient per step] (or "dw" for one step),
"config": the first config or None}. Each step gets the config the previous one returned,
as in the hidden tests. Outputs: "next_w" after the last step and the config's state
("velocity"; "cache"; "m", "v", "t").
"""
from __future__ import annotations

import copy

import numpy as np

from grader.feedback.registry import variant


def sgd_momentum(w, dw, config, keep_velocity=True):
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    new_v = config["momentum"] * v - config["learning_rate"] * dw
    if keep_velocity:
        config["velocity"] = new_v
    return w + new_v, config


def rmsprop(w, dw, config, swapped=False, sqrt=True, keep_cache=True):
    for key, value in (("learning_rate", 1e-2), ("decay_rate", 0.99), ("epsilon", 1e-8)):
        config.setdefault(key, value)
    config.setdefault("cache", np.zeros_like(w))
    d = config["decay_rate"]
    old, new = (1 - d, d) if swapped else (d, 1 - d)
    cache = old * config["cache"] + new * dw ** 2
    if keep_cache:
        config["cache"] = cache
    scale = np.sqrt(cache) if sqrt else cache
    return w - config["learning_rate"] * dw / (scale + config["epsilon"]), config


def adam(w, dw, config, bias_correction=True, increment="before", store_corrected=False):
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(key, value)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    if increment == "before":
        config["t"] += 1
    t = config["t"]
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw ** 2
    m_hat = m / (1 - b1 ** t) if bias_correction else m
    v_hat = v / (1 - b2 ** t) if bias_correction else v
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    if increment == "after":
        config["t"] += 1
    config["m"], config["v"] = (m_hat, v_hat) if store_corrected else (m, v)
    return next_w, config


RULES = {"sgd_momentum": (sgd_momentum, ("velocity",)), "rmsprop": (rmsprop, ("cache",)),
         "adam": (adam, ("m", "v", "t"))}


def run_steps(rule: str, inputs: dict, **flags) -> dict:
    step, state = RULES[rule]
    w = np.asarray(inputs["w"], dtype=float)
    dws = inputs["dws"] if "dws" in inputs else [inputs["dw"]]
    config = copy.deepcopy(inputs.get("config")) or {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for dw in dws:
            w, config = step(np.array(w, copy=True), np.asarray(dw, dtype=float), config, **flags)
    # a state the rule never stored is None, as the student's config returns it
    return {"next_w": w, **{key: config.get(key) for key in state}}


def rule_variant(name: str, rule: str, **flags):
    @variant(name)
    def run(function, inputs):
        return run_steps(rule, inputs, **flags) if function == rule else None
    return run


rule_variant("momentum_velocity_not_kept", "sgd_momentum", keep_velocity=False)
rule_variant("rmsprop_decay_swapped", "rmsprop", swapped=True)
rule_variant("rmsprop_no_sqrt", "rmsprop", sqrt=False)
rule_variant("rmsprop_cache_not_kept", "rmsprop", keep_cache=False)
rule_variant("adam_no_bias_correction", "adam", bias_correction=False)
rule_variant("adam_t_not_incremented", "adam", increment="never")
rule_variant("adam_t_incremented_after_use", "adam", increment="after")
rule_variant("adam_stores_corrected_moments", "adam", store_corrected=True)
