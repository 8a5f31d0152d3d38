"""Variants of FullyConnectedNet: a small simulation of the network with one mistake switched on.

`inputs` is the request the hidden tests send: {"init": constructor keywords, "runs": [{params,
X, y, bn_params}, ...]}; runs share one model, so batch norm running averages carry over. The
outputs are those of the last run, flattened ("loss", "grads/W1", "scores",
"bn_params/0/running_mean"). Dropout draws are the student's, so a network with dropout is
not simulated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.feedback.arrays import flatten
from grader.feedback.norm import standardize
from grader.feedback.registry import variant


@dataclass(frozen=True)
class NetFlags:
    regularized: str = "weights"     # weights | norm (also gamma, beta) | all (also biases)
    test_mode: bool = True           # False: loss(X) without y still runs in train mode


def _norm_forward(h, gamma, beta, kind, param):
    if kind == "layernorm":
        x_hat, _, var = standardize(h, 1, param.get("eps", 1e-5))
        return gamma * x_hat + beta, (x_hat, 1 / np.sqrt(var + param.get("eps", 1e-5)), gamma, 1)
    eps, m = param.get("eps", 1e-5), param.get("momentum", 0.9)
    D = h.shape[1]
    rm, rv = param.get("running_mean", np.zeros(D)), param.get("running_var", np.zeros(D))
    if param["mode"] == "train":
        x_hat, mu, var = standardize(h, 0, eps)
        param["running_mean"] = m * rm + (1 - m) * mu[0]
        param["running_var"] = m * rv + (1 - m) * var[0]
        return gamma * x_hat + beta, (x_hat, 1 / np.sqrt(var + eps), gamma, 0)
    param["running_mean"], param["running_var"] = rm, rv
    return gamma * (h - rm) / np.sqrt(rv + eps) + beta, None


def _norm_backward(dout, cache):
    x_hat, s, gamma, axis = cache
    g = dout * gamma
    dx = s * (g - g.mean(axis=axis, keepdims=True) - x_hat * (g * x_hat).mean(axis=axis, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def _softmax(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    return -log_probs[np.arange(N), y].mean(), dscores / N


class Network:
    def __init__(self, init: dict, flags: NetFlags):
        self.flags = flags
        self.kind = init.get("normalization")
        self.reg = float(init.get("reg", 0.0))
        self.L = 1 + len(init["hidden_dims"])
        self.dtype = np.dtype(init.get("dtype") or "float32")
        self.bn_params = [({"mode": "train"} if self.kind == "batchnorm" else {})
                          for _ in range(self.L - 1)] if self.kind else []
        self.params = None

    def loss(self, X, y=None):
        p, f = self.params, self.flags
        mode = "test" if y is None else "train"
        if self.kind == "batchnorm":
            for param in self.bn_params:
                param["mode"] = mode if f.test_mode else "train"
        h, caches = X.reshape(X.shape[0], -1).astype(self.dtype), []
        for i in range(1, self.L):
            record = {"x": h}
            h = h @ p["W%d" % i] + p["b%d" % i]
            if self.kind:
                h, record["norm"] = _norm_forward(h, p["gamma%d" % i], p["beta%d" % i], self.kind,
                                                  self.bn_params[i - 1])
            record["relu_in"], h = h, np.maximum(0, h)
            caches.append(record)
        scores = h @ p["W%d" % self.L] + p["b%d" % self.L]
        if y is None:
            return scores
        loss, d = _softmax(scores, y)
        regularized = [k for k in p if k[0] == "W" or (f.regularized == "all")
                       or (f.regularized == "norm" and k.startswith(("gamma", "beta")))]
        loss += 0.5 * self.reg * sum(np.sum(p[k] * p[k]) for k in regularized)
        grads = {"W%d" % self.L: h.T @ d, "b%d" % self.L: d.sum(axis=0)}
        d = d @ p["W%d" % self.L].T
        for i in range(self.L - 1, 0, -1):
            record = caches[i - 1]
            d = d * (record["relu_in"] > 0)
            if self.kind:
                d, grads["gamma%d" % i], grads["beta%d" % i] = _norm_backward(d, record["norm"])
            grads["W%d" % i], grads["b%d" % i] = record["x"].T @ d, d.sum(axis=0)
            d = d @ p["W%d" % i].T
        for k in regularized:
            grads[k] = grads[k] + self.reg * p[k]
        return loss, grads


def simulate(inputs: dict, flags: NetFlags) -> dict | None:
    init, runs = inputs.get("init") or {}, inputs.get("runs") or []
    if not runs or float(init.get("dropout_keep_ratio", 1)) != 1 or "hidden_dims" not in init:
        return None
    net = Network(init, flags)
    entry = None
    for run in runs:
        if run.get("params") is not None:
            net.params = {k: np.asarray(v).astype(net.dtype) for k, v in run["params"].items()}
        if net.params is None:
            return None
        X = np.asarray(run["X"])
        if run.get("y") is None:
            entry = {"scores": net.loss(X)}
        else:
            loss, grads = net.loss(X, np.asarray(run["y"], dtype=int))
            entry = {"loss": loss} if run.get("loss_only") else {"loss": loss, "grads": grads}
        if run.get("bn_params"):
            entry["bn_params"] = [dict(param) for param in net.bn_params]
    return flatten(entry)


def network_variant(name: str, *flag_sets: dict, needs_normalization=False):
    @variant(name)
    def run(function, inputs):
        if function != "FullyConnectedNet":
            return None
        if needs_normalization and not (inputs.get("init") or {}).get("normalization"):
            return None
        results = [simulate(inputs, NetFlags(**flags)) for flags in flag_sets]
        return [r for r in results if r is not None] or None
    return run


network_variant("net_reg_gamma_beta", {"regularized": "norm"}, {"regularized": "all"})
network_variant("net_test_mode_batch_stats", {"test_mode": False}, needs_normalization=True)
