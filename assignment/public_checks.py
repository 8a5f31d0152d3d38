"""Public checks (given): quick feedback on your layers.py, fc_net.py and optim.py.

    python -m assignment.public_checks                      # every check
    python -m assignment.public_checks batchnorm_forward adam
    python -m assignment.public_checks layers               # every function of one file
    python -m assignment.public_checks --strict             # exit 1 unless everything passes

or, in a notebook:

    from assignment.public_checks import run; run(["batchnorm_forward"])

These are the checks of the notebooks, gathered in one place: outputs on fixed inputs compared
with hard-coded correct values, properties (batch norm means and standard deviations, dropout
keep rates) and numerical gradient checks of your own forward passes. Each function is reported
as PASS, FAIL, NOT IMPLEMENTED (it still returns None) or ERROR (it raised an exception).

The hidden tests used for grading are more extensive than these: other shapes, scales and edge
cases, compared with the reference solutions. Passing here is necessary, not sufficient.
"""
import argparse
import importlib
import math
import sys
import traceback
from dataclasses import dataclass, field

import numpy as np

from .gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error

STUDENT_MODULES = ("layers", "fc_net", "optim")
CLOSING = ("Note: these public checks are a small sample. The hidden tests used for grading are more "
           "extensive: other shapes, scales (tiny variances where eps matters, large logits) and edge "
           "cases (N=1, 3-D and 5-D feature maps, ...), compared with the reference solutions; your "
           "notebooks are also run top to bottom. Passing every public check does not guarantee full "
           "marks.")

LITERAL_TOL = 1e-7     # outputs on fixed inputs vs the hard-coded correct values
GRAD_TOL = 1e-5        # analytic vs numerical gradient of a layer
NET_GRAD_TOL = 1e-5    # analytic vs numerical gradient of a whole network


# --------------------------------------------------------------------------- results

class NotImplementedYet(Exception):
    """The function (or a function it needs) still returns None: the stub is not filled in."""


@dataclass
class Measure:
    """One comparison: `value` must not exceed `tolerance` (a boolean check stores 0 or inf)."""

    description: str
    value: float
    tolerance: float
    label: str = "rel. error"
    skipped: str = ""          # why the comparison could not be made yet

    @property
    def ok(self):
        return bool(self.skipped) or (math.isfinite(self.value) and self.value <= self.tolerance)

    def line(self):
        if self.skipped:
            return f"    SKIPPED  {self.description}: {self.skipped}"
        mark = "" if self.ok else "   <-- too large"
        if self.label is None:
            return f"    {'ok' if self.ok else 'WRONG':8} {self.description}"
        return (f"    {self.description:<50} {self.label} {self.value:.2e}"
                f"  (should be < {self.tolerance:.0e}){mark}")


@dataclass
class CheckResult:
    name: str
    status: str                # PASS, FAIL, NOT IMPLEMENTED, ERROR
    measures: list = field(default_factory=list)
    reason: str = ""


@dataclass
class Summary:
    """What run() returns: the status of every check, by function name."""

    results: list

    @property
    def statuses(self):
        return {result.name: result.status for result in self.results}

    @property
    def all_passed(self):
        return all(result.status == "PASS" for result in self.results)

    def __repr__(self):
        counts = {}
        for result in self.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        return "public checks: " + ", ".join(f"{n} {s}" for s, n in counts.items())


# --------------------------------------------------------------------------- helpers

def _returned(function, value, names):
    """Return `value` (a tuple when several names are given); None anywhere means a stub."""
    values = value if len(names) > 1 else (value,)
    if value is None:
        raise NotImplementedYet(f"{function} returned None")
    if not isinstance(values, tuple) or len(values) != len(names):
        raise TypeError(f"{function} should return a tuple ({', '.join(names)}), got {type(value).__name__}")
    for name, item in zip(names, values):
        if item is None:
            raise NotImplementedYet(f"{function} returned {name} = None")
    return value


def _array_measure(description, actual, expected, tolerance, label="rel. error"):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return Measure(f"{description}: shape {actual.shape}, expected {expected.shape}",
                       math.inf, tolerance, label=None)
    return Measure(description, rel_error(actual, expected), tolerance, label)


def _literal(check, key, actual, tolerance=LITERAL_TOL):
    """Compare `actual` with the hard-coded correct value EXPECTED[check][key]."""
    return _array_measure(f"{key} vs hard-coded values", actual, EXPECTED[check][key], tolerance)


def _gradient(description, analytic, numeric, tolerance=GRAD_TOL):
    return _array_measure(f"{description} vs numerical gradient", analytic, numeric, tolerance)


def _deviation(description, value, tolerance):
    return Measure(description, float(value), tolerance, label="deviation")


def _boolean(description, ok):
    return Measure(description, 0.0 if ok else math.inf, 0.5, label=None)


def _skipped(description, reason):
    return Measure(description, math.nan, math.nan, skipped=reason)


def _implemented(function, *args):
    """Whether a function the check builds on returns something other than None."""
    try:
        result = function(*args)
    except NotImplementedError:
        return False
    except Exception:
        return True  # it is written; the check that uses it will show the error
    return result is not None and not (isinstance(result, tuple) and result[0] is None)


def _ramp(shape, low, high):
    """Deterministic inputs: evenly spaced values in [low, high], reshaped."""
    return np.linspace(low, high, num=int(np.prod(shape))).reshape(shape)


def _wiggle(shape, scale=1.0, offset=0.0):
    """Deterministic inputs without the symmetries of a ramp."""
    return offset + scale * np.cos(1.7 * np.arange(int(np.prod(shape))) + 0.3).reshape(shape)


def _column_moments(out, axis=0):
    return out.mean(axis=axis), out.std(axis=axis)


# --------------------------------------------------------------------------- checks: layers.py

CHECKS = {}   # function name -> (student module, check function), in the notebooks' order


def check(module):
    def register(function):
        CHECKS[function.__name__[len("check_"):]] = (module, function)
        return function
    return register


@check("layers")
def check_affine_forward(layers):
    input_shape, output_dim = (4, 5, 6), 3
    x = _ramp((2, *input_shape), -0.1, 0.5)
    w = _ramp((int(np.prod(input_shape)), output_dim), -0.2, 0.3)
    b = _ramp((output_dim,), -0.3, 0.1)
    out, _ = _returned("affine_forward", layers.affine_forward(x, w, b), ("out", "cache"))
    return [_literal("affine_forward", "out", out)]


@check("layers")
def check_affine_backward(layers):
    x, w, b = _ramp((2, 3, 2), -0.3, 0.4), _wiggle((6, 4), 0.5), _ramp((4,), -0.1, 0.2)
    dout = _wiggle((2, 4), 1.0, 0.2)
    dx, dw, db = _returned("affine_backward", layers.affine_backward(dout, (x, w, b)),
                           ("dx", "dw", "db"))
    measures = [_literal("affine_backward", "dx", dx), _literal("affine_backward", "dw", dw),
                _literal("affine_backward", "db", db)]
    rng = np.random.default_rng(231)
    x, w, b = rng.standard_normal((10, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    dout = rng.standard_normal((10, 5))
    if not _implemented(layers.affine_forward, x, w, b):
        return measures + [_skipped("numerical gradients", "needs affine_forward")]
    _, cache = layers.affine_forward(x, w, b)
    dx, dw, db = _returned("affine_backward", layers.affine_backward(dout, cache), ("dx", "dw", "db"))
    f = layers.affine_forward
    measures.append(_gradient("dx", dx, eval_numerical_gradient_array(lambda v: f(v, w, b)[0], x, dout)))
    measures.append(_gradient("dw", dw, eval_numerical_gradient_array(lambda v: f(x, v, b)[0], w, dout)))
    measures.append(_gradient("db", db, eval_numerical_gradient_array(lambda v: f(x, w, v)[0], b, dout)))
    return measures


@check("layers")
def check_relu_forward(layers):
    x = _ramp((3, 4), -0.5, 0.5)
    out, _ = _returned("relu_forward", layers.relu_forward(x), ("out", "cache"))
    return [_literal("relu_forward", "out", out)]


@check("layers")
def check_relu_backward(layers):
    x, dout = _ramp((3, 4), -0.5, 0.5), _wiggle((3, 4))
    dx = _returned("relu_backward", layers.relu_backward(dout, x), ("dx",))
    measures = [_literal("relu_backward", "dx", dx)]
    rng = np.random.default_rng(231)
    x, dout = rng.standard_normal((10, 10)), rng.standard_normal((10, 10))
    if not _implemented(layers.relu_forward, x):
        return measures + [_skipped("numerical gradient", "needs relu_forward")]
    _, cache = layers.relu_forward(x)
    dx = layers.relu_backward(dout, cache)
    numeric = eval_numerical_gradient_array(lambda v: layers.relu_forward(v)[0], x, dout)
    return measures + [_gradient("dx", dx, numeric)]


@check("layers")
def check_softmax_loss(layers):
    x, y = _wiggle((3, 5), 2.0), np.array([0, 3, 4])
    loss, dx = _returned("softmax_loss", layers.softmax_loss(x, y), ("loss", "dx"))
    measures = [_literal("softmax_loss", "loss", loss), _literal("softmax_loss", "dx", dx)]
    big = np.array([[1000.0, 0.0, -1000.0], [0.0, 2000.0, 1.0]])
    loss, _ = layers.softmax_loss(big, np.array([0, 2]))
    measures.append(_literal("softmax_loss", "loss with large logits", loss))
    rng = np.random.default_rng(231)
    num_classes, num_inputs = 10, 50
    x = 0.001 * rng.standard_normal((num_inputs, num_classes))
    y = rng.integers(num_classes, size=num_inputs)
    loss, dx = layers.softmax_loss(x, y)
    measures.append(_array_measure("loss with tiny scores vs log(10)", loss, np.log(10), 1e-3))
    numeric = eval_numerical_gradient(lambda v: layers.softmax_loss(v, y)[0], x, verbose=False)
    measures.append(_gradient("dx", dx, numeric))
    return measures


def _bn_inputs():
    x = _ramp((4, 3), -2.0, 4.0) ** 2 + _wiggle((4, 3), 0.5)
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])
    return x, gamma, beta


@check("layers")
def check_batchnorm_forward(layers):
    x, gamma, beta = _bn_inputs()
    bn_param = {"mode": "train"}
    out, _ = _returned("batchnorm_forward", layers.batchnorm_forward(x, gamma, beta, bn_param),
                       ("out", "cache"))
    measures = [_literal("batchnorm_forward", "train-mode out", out)]
    for key in ("running_mean", "running_var"):
        measures.append(_literal("batchnorm_forward", f"{key} after one step", bn_param[key]))
    layers.batchnorm_forward(0.5 * x[::-1] + 1.0, gamma, beta, bn_param)
    for key in ("running_mean", "running_var"):
        measures.append(_literal("batchnorm_forward", f"{key} after two steps", bn_param[key]))
    bn_param["mode"] = "test"
    out, _ = layers.batchnorm_forward(_wiggle((2, 3), 3.0, 2.0), gamma, beta, bn_param)
    measures.append(_literal("batchnorm_forward", "test-mode out", out))

    # The notebook's check: statistics of the normalized activations of a small ReLU net.
    rng = np.random.default_rng(231)
    X = rng.standard_normal((200, 50))
    a = np.maximum(0, X @ rng.standard_normal((50, 60))) @ rng.standard_normal((60, 3))
    out, _ = layers.batchnorm_forward(a, np.ones(3), np.zeros(3), {"mode": "train"})
    means, stds = _column_moments(out)
    measures.append(_deviation("gamma=1, beta=0: max |mean|", np.abs(means).max(), 1e-7))
    measures.append(_deviation("gamma=1, beta=0: max |std - 1|", np.abs(stds - 1).max(), 1e-4))
    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([11.0, 12.0, 13.0])
    out, _ = layers.batchnorm_forward(a, gamma, beta, {"mode": "train"})
    means, stds = _column_moments(out)
    measures.append(_array_measure("means vs beta", means, beta, 1e-7))
    measures.append(_array_measure("stds vs gamma", stds, gamma, 1e-4))
    return measures


def _check_bn_backward(layers, name):
    backward = getattr(layers, name)
    x, gamma, beta = _bn_inputs()
    dout = _wiggle((4, 3), 1.5, -0.2)
    result = layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    if result is None or result[1] is None:
        raise NotImplementedYet("needs batchnorm_forward first (it returns None)")
    dx, dgamma, dbeta = _returned(name, backward(dout, result[1]), ("dx", "dgamma", "dbeta"))
    measures = [_literal(name, "dx", dx), _literal(name, "dgamma", dgamma), _literal(name, "dbeta", dbeta)]

    rng = np.random.default_rng(231)
    N, D = 4, 5
    x = 5 * rng.standard_normal((N, D)) + 12
    gamma, beta, dout = rng.standard_normal(D), rng.standard_normal(D), rng.standard_normal((N, D))
    bn_param = {"mode": "train"}
    forward = layers.batchnorm_forward
    _, cache = forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = backward(dout, cache)
    measures.append(_gradient("dx", dx, eval_numerical_gradient_array(
        lambda v: forward(v, gamma, beta, bn_param)[0], x, dout)))
    measures.append(_gradient("dgamma", dgamma, eval_numerical_gradient_array(
        lambda v: forward(x, v, beta, bn_param)[0], gamma, dout)))
    measures.append(_gradient("dbeta", dbeta, eval_numerical_gradient_array(
        lambda v: forward(x, gamma, v, bn_param)[0], beta, dout)))
    return measures


@check("layers")
def check_batchnorm_backward(layers):
    return _check_bn_backward(layers, "batchnorm_backward")


@check("layers")
def check_batchnorm_backward_alt(layers):
    return _check_bn_backward(layers, "batchnorm_backward_alt")


@check("layers")
def check_layernorm_forward(layers):
    x, gamma, beta = _bn_inputs()
    out, _ = _returned("layernorm_forward", layers.layernorm_forward(x, gamma, beta, {}),
                       ("out", "cache"))
    measures = [_literal("layernorm_forward", "out", out)]
    rng = np.random.default_rng(231)
    X = rng.standard_normal((4, 50))
    a = np.maximum(0, X @ rng.standard_normal((50, 60))) @ rng.standard_normal((60, 3))
    out, _ = layers.layernorm_forward(a, np.ones(3), np.zeros(3), {})
    means, stds = _column_moments(out, axis=1)
    measures.append(_deviation("gamma=1, beta=0: max |row mean|", np.abs(means).max(), 1e-7))
    measures.append(_deviation("gamma=1, beta=0: max |row std - 1|", np.abs(stds - 1).max(), 1e-4))
    return measures


@check("layers")
def check_layernorm_backward(layers):
    x, gamma, beta = _bn_inputs()
    dout = _wiggle((4, 3), 1.5, -0.2)
    result = layers.layernorm_forward(x, gamma, beta, {})
    if result is None or result[1] is None:
        raise NotImplementedYet("needs layernorm_forward first (it returns None)")
    dx, dgamma, dbeta = _returned("layernorm_backward", layers.layernorm_backward(dout, result[1]),
                                  ("dx", "dgamma", "dbeta"))
    measures = [_literal("layernorm_backward", key, value)
                for key, value in (("dx", dx), ("dgamma", dgamma), ("dbeta", dbeta))]
    rng = np.random.default_rng(231)
    N, D = 4, 5
    x = 5 * rng.standard_normal((N, D)) + 12
    gamma, beta, dout = rng.standard_normal(D), rng.standard_normal(D), rng.standard_normal((N, D))
    forward = layers.layernorm_forward
    _, cache = forward(x, gamma, beta, {})
    dx, dgamma, dbeta = layers.layernorm_backward(dout, cache)
    measures.append(_gradient("dx", dx, eval_numerical_gradient_array(
        lambda v: forward(v, gamma, beta, {})[0], x, dout)))
    measures.append(_gradient("dgamma", dgamma, eval_numerical_gradient_array(
        lambda v: forward(x, v, beta, {})[0], gamma, dout)))
    measures.append(_gradient("dbeta", dbeta, eval_numerical_gradient_array(
        lambda v: forward(x, gamma, v, {})[0], beta, dout)))
    return measures


@check("layers")
def check_dropout_forward(layers):
    # Random masks are yours to draw, so this checks properties rather than values.
    rng = np.random.default_rng(231)
    x = rng.standard_normal((500, 500)) + 10
    measures = []
    for p in (0.25, 0.4, 0.7):
        out, _ = _returned("dropout_forward", layers.dropout_forward(x, {"mode": "train", "p": p}),
                           ("out", "cache"))
        out_test, _ = _returned("dropout_forward", layers.dropout_forward(x, {"mode": "test", "p": p}),
                                ("out", "cache"))
        out = np.asarray(out)
        kept = out != 0
        measures.append(_deviation(f"p={p}: |fraction zeroed - (1 - p)|", abs((1 - kept.mean()) - (1 - p)),
                                   0.01))
        measures.append(_array_measure(f"p={p}: kept units vs x / p", out[kept], x[kept] / p, LITERAL_TOL))
        measures.append(_array_measure(f"p={p}: test-mode out vs x", out_test, x, LITERAL_TOL))
    return measures


@check("layers")
def check_dropout_backward(layers):
    rng = np.random.default_rng(231)
    x, dout = rng.standard_normal((10, 10)) + 10, rng.standard_normal((10, 10))
    dropout_param = {"mode": "train", "p": 0.2, "seed": 123}
    result = layers.dropout_forward(x, dropout_param)
    if result is None or result[0] is None:
        raise NotImplementedYet("needs dropout_forward first (it returns None)")
    dx = _returned("dropout_backward", layers.dropout_backward(dout, result[1]), ("dx",))
    numeric = eval_numerical_gradient_array(lambda v: layers.dropout_forward(v, dropout_param)[0], x, dout)
    return [_gradient("dx (same seed, same mask)", dx, numeric)]


@check("layers")
def check_spatial_batchnorm_forward(layers):
    x = _wiggle((2, 3, 2), 2.0, 1.0)                   # (N, C, L)
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])
    out, _ = _returned("spatial_batchnorm_forward",
                       layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"}),
                       ("out", "cache"))
    measures = [_literal("spatial_batchnorm_forward", "out for (N, C, L) input", out)]
    rng = np.random.default_rng(231)
    for shape in ((2, 3, 4, 5), (2, 2, 3, 2, 2)):       # (N, C, H, W) and (N, C, D, H, W)
        C = shape[1]
        x = 4 * rng.standard_normal(shape) + 10
        gamma, beta = np.arange(1.0, C + 1), np.arange(C) - 1.5
        out, _ = layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
        out = np.asarray(out)
        if out.shape != x.shape:
            measures.append(_boolean(f"{shape} input: output shape {out.shape}", False))
            continue
        per_channel = np.moveaxis(out, 1, 0).reshape(C, -1)
        measures.append(_array_measure(f"{shape} input: channel means vs beta", per_channel.mean(axis=1),
                                       beta, 1e-7))
        measures.append(_array_measure(f"{shape} input: channel stds vs gamma", per_channel.std(axis=1),
                                       gamma, 1e-4))
    return measures


@check("layers")
def check_spatial_batchnorm_backward(layers):
    x = _wiggle((2, 3, 2), 2.0, 1.0)
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])
    dout = _wiggle((2, 3, 2), 1.0, 0.3)[::-1].copy()
    result = layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    if result is None or result[1] is None:
        raise NotImplementedYet("needs spatial_batchnorm_forward first (it returns None)")
    dx, dgamma, dbeta = _returned("spatial_batchnorm_backward",
                                  layers.spatial_batchnorm_backward(dout, result[1]),
                                  ("dx", "dgamma", "dbeta"))
    measures = [_literal("spatial_batchnorm_backward", key, value)
                for key, value in (("dx", dx), ("dgamma", dgamma), ("dbeta", dbeta))]
    rng = np.random.default_rng(231)
    forward = layers.spatial_batchnorm_forward
    for shape in ((2, 3, 4, 5), (3, 2, 4)):
        C = shape[1]
        x = 5 * rng.standard_normal(shape) + 12
        gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
        dout = rng.standard_normal(shape)
        bn_param = {"mode": "train"}
        _, cache = forward(x, gamma, beta, bn_param)
        dx, dgamma, dbeta = layers.spatial_batchnorm_backward(dout, cache)
        measures.append(_gradient(f"{shape}: dx", dx, eval_numerical_gradient_array(
            lambda v: forward(v, gamma, beta, bn_param)[0], x, dout)))
        measures.append(_gradient(f"{shape}: dgamma", dgamma, eval_numerical_gradient_array(
            lambda v: forward(x, v, beta, bn_param)[0], gamma, dout)))
        measures.append(_gradient(f"{shape}: dbeta", dbeta, eval_numerical_gradient_array(
            lambda v: forward(x, gamma, v, bn_param)[0], beta, dout)))
    return measures


def _gn_inputs():
    x = _wiggle((2, 4, 1, 3), 2.0, 1.0)
    gamma = np.array([1.0, 2.0, 0.5, 1.5]).reshape(1, 4, 1, 1)
    beta = np.array([0.0, -1.0, 3.0, 0.5]).reshape(1, 4, 1, 1)
    return x, gamma, beta, 2


@check("layers")
def check_spatial_groupnorm_forward(layers):
    x, gamma, beta, G = _gn_inputs()
    out, _ = _returned("spatial_groupnorm_forward",
                       layers.spatial_groupnorm_forward(x, gamma, beta, G, {}), ("out", "cache"))
    measures = [_literal("spatial_groupnorm_forward", "out", out)]
    rng = np.random.default_rng(231)
    N, C, H, W, G = 2, 6, 4, 5, 2
    x = 4 * rng.standard_normal((N, C, H, W)) + 10
    out, _ = layers.spatial_groupnorm_forward(x, np.ones((1, C, 1, 1)), np.zeros((1, C, 1, 1)), G, {})
    groups = np.asarray(out).reshape(N * G, -1)
    measures.append(_deviation("gamma=1, beta=0: max |group mean|", np.abs(groups.mean(axis=1)).max(), 1e-7))
    measures.append(_deviation("gamma=1, beta=0: max |group std - 1|", np.abs(groups.std(axis=1) - 1).max(),
                               1e-4))
    return measures


@check("layers")
def check_spatial_groupnorm_backward(layers):
    x, gamma, beta, G = _gn_inputs()
    dout = _wiggle(x.shape, 1.0, 0.3)[::-1].copy()
    result = layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
    if result is None or result[1] is None:
        raise NotImplementedYet("needs spatial_groupnorm_forward first (it returns None)")
    dx, dgamma, dbeta = _returned("spatial_groupnorm_backward",
                                  layers.spatial_groupnorm_backward(dout, result[1]),
                                  ("dx", "dgamma", "dbeta"))
    measures = [_literal("spatial_groupnorm_backward", key, value)
                for key, value in (("dx", dx), ("dgamma", dgamma), ("dbeta", dbeta))]
    rng = np.random.default_rng(231)
    N, C, H, W, G = 2, 6, 4, 5, 2
    x = 5 * rng.standard_normal((N, C, H, W)) + 12
    gamma = rng.standard_normal((1, C, 1, 1))
    beta = rng.standard_normal((1, C, 1, 1))
    dout = rng.standard_normal((N, C, H, W))
    forward = layers.spatial_groupnorm_forward
    _, cache = forward(x, gamma, beta, G, {})
    dx, dgamma, dbeta = layers.spatial_groupnorm_backward(dout, cache)
    measures.append(_gradient("dx", dx, eval_numerical_gradient_array(
        lambda v: forward(v, gamma, beta, G, {})[0], x, dout)))
    measures.append(_gradient("dgamma", dgamma, eval_numerical_gradient_array(
        lambda v: forward(x, v, beta, G, {})[0], gamma, dout)))
    measures.append(_gradient("dbeta", dbeta, eval_numerical_gradient_array(
        lambda v: forward(x, gamma, v, G, {})[0], beta, dout)))
    return measures


# --------------------------------------------------------------------------- checks: fc_net.py

def _expected_param_shapes(dims, normalization):
    shapes = {}
    for i in range(1, len(dims)):
        shapes[f"W{i}"], shapes[f"b{i}"] = (dims[i - 1], dims[i]), (dims[i],)
        if normalization is not None and i < len(dims) - 1:
            shapes[f"gamma{i}"], shapes[f"beta{i}"] = (dims[i],), (dims[i],)
    return shapes


def _params_match(model, shapes, what):
    actual = {name: tuple(np.shape(value)) for name, value in model.params.items()}
    if not model.params:
        raise NotImplementedYet("FullyConnectedNet.__init__ creates no parameters yet")
    ok = actual == shapes
    detail = "" if ok else f" (got {sorted(actual.items())}, expected {sorted(shapes.items())})"
    return _boolean(f"{what}: parameter names and shapes{detail}", ok)


def _layer_missing(layers, normalization, dropout):
    """The first layers.py function a network configuration needs that is still a stub, or None."""
    x, w, ones, zeros = _ramp((3, 2), -1.0, 1.0), _wiggle((2, 2)), np.ones(2), np.zeros(2)
    dout = _wiggle((3, 2), 1.0, 0.5)

    def backward_of(forward, *backwards):
        result = forward()
        if result is None or result[1] is None:
            return False
        return any(_implemented(backward, dout, result[1]) for backward in backwards)

    needs = [
        ("affine_forward", lambda: _implemented(layers.affine_forward, x, w, zeros)),
        ("affine_backward", lambda: _implemented(layers.affine_backward, dout, (x, w, zeros))),
        ("relu_forward", lambda: _implemented(layers.relu_forward, x)),
        ("relu_backward", lambda: _implemented(layers.relu_backward, dout, x)),
        ("softmax_loss", lambda: _implemented(layers.softmax_loss, x, np.array([0, 1, 0]))),
    ]
    if normalization == "batchnorm":
        bn = lambda: layers.batchnorm_forward(x, ones, zeros, {"mode": "train"})  # noqa: E731
        needs += [("batchnorm_forward", lambda: _implemented(bn)),
                  ("batchnorm_backward_alt or batchnorm_backward",
                   lambda: backward_of(bn, layers.batchnorm_backward_alt, layers.batchnorm_backward))]
    if normalization == "layernorm":
        ln = lambda: layers.layernorm_forward(x, ones, zeros, {})  # noqa: E731
        needs += [("layernorm_forward", lambda: _implemented(ln)),
                  ("layernorm_backward", lambda: backward_of(ln, layers.layernorm_backward))]
    if dropout:
        drop = lambda: layers.dropout_forward(x, {"mode": "train", "p": 0.5})  # noqa: E731
        needs += [("dropout_forward", lambda: _implemented(drop)),
                  ("dropout_backward", lambda: backward_of(drop, layers.dropout_backward))]
    for name, implemented in needs:
        try:
            if not implemented():
                return name
        except Exception:
            pass   # written but broken: the network check will show the error
    return None


@check("fc_net")
def check_FullyConnectedNet(fc_net):
    layers = importlib.import_module(__package__ + ".layers")
    Net = fc_net.FullyConnectedNet
    measures = []

    model = Net([50, 40], input_dim=60, num_classes=7, weight_scale=0.05, normalization="batchnorm",
                dtype=np.float64)
    measures.append(_params_match(model, _expected_param_shapes([60, 50, 40, 7], "batchnorm"), "batchnorm"))
    if not measures[-1].ok:
        return measures
    params = model.params
    measures.append(_deviation("std of W1 vs weight_scale (relative)",
                               abs(np.std(params["W1"]) / 0.05 - 1), 0.1))
    measures.append(_boolean("biases and betas zero, gammas one",
                             all(np.all(params[k] == 0) for k in params if k[0] == "b")
                             and all(np.all(params[k] == 1) for k in params if k.startswith("gamma"))))

    # Fixed parameters and inputs: loss and scores vs hard-coded values.
    N, dims = 3, [5, 4, 3, 3]
    X, y = _wiggle((N, 5), 2.0), np.array([0, 2, 1])
    for normalization in (None, "batchnorm", "layernorm"):
        what = normalization or "no normalization"
        missing = _layer_missing(layers, normalization, dropout=False)
        if missing:
            measures.append(_skipped(f"{what}: loss and scores", f"needs {missing}"))
            continue
        model = Net(dims[1:-1], input_dim=dims[0], num_classes=dims[-1], normalization=normalization,
                    reg=0.1, dtype=np.float64)
        shapes = _expected_param_shapes(dims, normalization)
        measures.append(_params_match(model, shapes, what))
        if not measures[-1].ok:
            continue
        for k, name in enumerate(sorted(shapes)):
            model.params[name] = _wiggle(shapes[name], 0.6, 0.1 * (k % 3))
        result = model.loss(X, y)
        if result is None or result[0] is None:
            raise NotImplementedYet("FullyConnectedNet.loss returns None")
        measures.append(_literal("FullyConnectedNet", f"{what}: loss", result[0]))
        scores = model.loss(X)
        if scores is None:
            raise NotImplementedYet("FullyConnectedNet.loss returns scores = None")
        measures.append(_literal("FullyConnectedNet", f"{what}: test-mode scores", scores))

    # Gradient checks with random parameters (set here, so your initialization does not matter).
    N, D, H1, H2, C = 5, 8, 6, 5, 4
    for normalization, reg, keep in ((None, 0.0, 1), (None, 3.14, 1), ("batchnorm", 0.0, 1),
                                     ("layernorm", 0.0, 1), (None, 0.0, 0.5)):
        what = f"{normalization or 'no norm.'}, reg={reg}" + (f", dropout keep {keep}" if keep < 1 else "")
        missing = _layer_missing(layers, normalization, dropout=keep < 1)
        if missing:
            measures.append(_skipped(f"{what}: gradients", f"needs {missing}"))
            continue
        rng = np.random.default_rng(231)
        X, y = rng.standard_normal((N, D)), rng.integers(C, size=N)
        model = Net([H1, H2], input_dim=D, num_classes=C, normalization=normalization, reg=reg,
                    dropout_keep_ratio=keep, dtype=np.float64, seed=123)
        shapes = _expected_param_shapes([D, H1, H2, C], normalization)
        if set(model.params) != set(shapes):
            continue   # reported above
        for name in sorted(shapes):
            model.params[name] = rng.standard_normal(shapes[name]) * (1.0 if "gamma" in name else 0.5)
        loss, grads = model.loss(X, y)
        worst = 0.0
        for name in sorted(shapes):
            if np.shape(grads.get(name)) != shapes[name]:
                measures.append(_boolean(f"{what}: grads[{name!r}] missing or of the wrong shape", False))
                continue
            numeric = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name],
                                              verbose=False, h=1e-5)
            if np.abs(numeric).max() < 1e-7 and np.abs(grads[name]).max() < 1e-7:
                continue   # both zero up to rounding, e.g. a bias right before a batch norm
            worst = max(worst, rel_error(grads[name], numeric))
        measures.append(Measure(f"{what}: gradients (worst parameter)", worst, NET_GRAD_TOL))
    return measures


# --------------------------------------------------------------------------- checks: optim.py

def _optim_inputs():
    N, D = 4, 5
    return _ramp((N, D), -0.4, 0.6), _ramp((N, D), -0.6, 0.4)


@check("optim")
def check_sgd_momentum(optim):
    w, dw = _optim_inputs()
    config = {"learning_rate": 1e-3, "velocity": _ramp(w.shape, 0.6, 0.9)}
    next_w, config = _returned("sgd_momentum", optim.sgd_momentum(w, dw, config=config), ("next_w", "config"))
    return [_literal("sgd_momentum", "next_w", next_w),
            _literal("sgd_momentum", "velocity", config["velocity"])]


@check("optim")
def check_rmsprop(optim):
    w, dw = _optim_inputs()
    config = {"learning_rate": 1e-2, "cache": _ramp(w.shape, 0.7, 0.5)}
    next_w, config = _returned("rmsprop", optim.rmsprop(w, dw, config=config), ("next_w", "config"))
    return [_literal("rmsprop", "next_w", next_w), _literal("rmsprop", "cache", config["cache"])]


@check("optim")
def check_adam(optim):
    w, dw = _optim_inputs()
    config = {"learning_rate": 1e-2, "m": _ramp(w.shape, 0.6, 0.9), "v": _ramp(w.shape, 0.7, 0.5), "t": 5}
    next_w, config = _returned("adam", optim.adam(w, dw, config=config), ("next_w", "config"))
    return [_literal("adam", "next_w", next_w), _literal("adam", "m", config["m"]),
            _literal("adam", "v", config["v"]), _boolean("t incremented to 6", config.get("t") == 6)]


# --------------------------------------------------------------------------- running

def select(names=None):
    """The check names for `names` (function names or layers / fc_net / optim); all when None."""
    if not names:
        return list(CHECKS)
    chosen = []
    for name in names:
        if name in CHECKS:
            matches = [name]
        elif name in STUDENT_MODULES:
            matches = [check for check, (module, _) in CHECKS.items() if module == name]
        else:
            raise ValueError(f"no public check called {name!r}; choose from: " + ", ".join(CHECKS)
                             + " (or layers, fc_net, optim)")
        chosen += [match for match in matches if match not in chosen]
    return chosen


def run_check(name, module):
    """Run one check against an imported student module."""
    _, function = CHECKS[name]
    try:
        with np.errstate(all="ignore"):
            measures = function(module)
    except NotImplementedYet as exc:
        return CheckResult(name, "NOT IMPLEMENTED", reason=str(exc))
    except NotImplementedError as exc:
        return CheckResult(name, "NOT IMPLEMENTED", reason=f"raised NotImplementedError {exc}".strip())
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return CheckResult(name, "ERROR", reason=f"{type(exc).__name__}: {exc} "
                                                 f"(at {where.filename.split('/')[-1]}:{where.lineno})")
    status = "PASS" if all(measure.ok for measure in measures) else "FAIL"
    return CheckResult(name, status, measures)


def _print_result(result, out):
    print(f"{result.name:<28} {result.status}" + (f": {result.reason}" if result.reason else ""), file=out)
    for measure in result.measures:
        print(measure.line(), file=out)
    out.flush()


def run(names=None, out=None):
    """Run the public checks for `names` (all when None), print a report, return a Summary."""
    out = sys.stdout if out is None else out
    chosen = select(names)
    modules, results = {}, []
    for name in chosen:
        module_name = CHECKS[name][0]
        if module_name not in modules:
            try:
                modules[module_name] = importlib.import_module(f"{__package__}.{module_name}")
            except Exception as exc:
                modules[module_name] = exc
        module = modules[module_name]
        if isinstance(module, Exception):
            result = CheckResult(name, "ERROR", reason=f"{module_name}.py does not import: "
                                                       f"{type(module).__name__}: {module}")
        else:
            result = run_check(name, module)
        results.append(result)
        _print_result(result, out)
    summary = Summary(results)
    print("", file=out)
    print(repr(summary).replace("public checks", "Public checks"), file=out)
    print(CLOSING, file=out)
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m assignment.public_checks",
                                     description="Public checks of layers.py, fc_net.py and optim.py.")
    parser.add_argument("names", nargs="*", help="functions (or layers, fc_net, optim) to check; all if none")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 unless every check passes")
    parser.add_argument("--list", action="store_true", help="list the checks and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(f"{name}  ({module}.py)" for name, (module, _) in CHECKS.items()))
        return 0
    try:
        summary = run(args.names)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 1 if args.strict and not summary.all_passed else 0


# --------------------------------------------------------------------------- hard-coded values
# The correct outputs on the fixed inputs above, computed once from the reference solutions.

def _values(shape, flat):
    return np.array(flat, dtype=np.float64).reshape(shape)


EXPECTED = {
    'affine_forward': {
        'out': _values((2, 3), [
            1.4983496695842702, 1.7066013216629177, 1.914852973741565, 3.2555319868066803,
            3.5141327024160556, 3.772733418025431
        ]),
    },
    'affine_backward': {
        'dx': _values((2, 3, 2), [
            1.1365556034723492, 1.0268448904743586, 0.6489171380415466, 0.10148897204226581,
            -0.4724486228580854, -0.9229802661063694, 1.0262681033094478, 1.1452966204627466,
            0.9651679117634472, 0.5329325000438995, -0.038507555635395936, -0.5998892445017406
        ]),
        'dw': _values((6, 4), [
            -0.2742289467559976, 0.014845531631825422, 0.17188607904072306,
            -0.15765601917668348, -0.1444182004925532, -0.0377970043160072, 0.1131091816048612,
            -0.03239887699376616, -0.014607454229108776, -0.09043954026383981,
            0.054332284168999365, 0.0928582651891511, 0.1152032920343356, -0.1430820762116724,
            -0.004444613266862484, 0.21811540737206836, 0.24501403829778, -0.195724612159505,
            -0.06322151070272433, 0.34337254955498564, 0.37482478456122453, -0.2483671481073377,
            -0.12199840813858621, 0.46862969173790303
        ]),
        'db': _values((4,), [
            2.0398831555684125, -0.8272398506087983, -0.9236369597064007, 1.968326520017272
        ]),
    },
    'relu_forward': {
        'out': _values((3, 4), [
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.045454545454545414, 0.13636363636363635,
            0.2272727272727273, 0.31818181818181823, 0.40909090909090917, 0.5
        ]),
    },
    'relu_backward': {
        'dx': _values((3, 4), [
            0.0, -0.0, -0.0, 0.0, 0.0, -0.0, -0.4755369279959925, 0.9336336440746379,
            0.23494981853982308, -0.9941776251838151, 0.021238808173646012, 0.9887046181866692
        ]),
    },
    'softmax_loss': {
        'loss': _values((), [
            1.3115243111930253
        ]),
        'dx': _values((3, 5), [
            -0.1818153030977967, 0.00975459033667828, 0.004111679521148851, 0.07979153354962724,
            0.0881574996903423, 0.0074873352635820845, 0.014648312392932197, 0.2453452195027297,
            -0.2726724765280076, 0.005191609368763663, 0.029500189156801665, 0.2042466425060714,
            0.01627914525731188, 0.004512101267622546, -0.2545380781878075
        ]),
        'loss with large logits': _values((), [
            999.5
        ]),
    },
    'batchnorm_forward': {
        'train-mode out': _values((4, 3), [
            0.30872494469452755, -2.161654247637336, 2.6017408764115477, -1.0594766859054898,
            -2.8482801464566583, 2.580690019941151, -0.7427429417722315, -1.3259559784256332,
            3.001747106497336, 1.493494682983194, 2.3358903725196276, 3.8158219971499654
        ]),
        'running_mean after one step': _values((3,), [
            0.35687583597505146, 0.45000164732845205, 0.5681094863951945
        ]),
        'running_var after one step': _values((3,), [
            0.8667577013332745, 1.992075580350785, 4.3919984021210405
        ]),
        'running_mean after two steps': _values((3,), [
            0.599626170365072, 0.7300023062598329, 0.8953532809532724
        ]),
        'running_var after two steps': _values((3,), [
            0.9967713565332657, 2.2908869174034026, 5.050798162439197
        ]),
        'test-mode out': _values((2, 3), [
            4.273265899320245, -0.9715148013581113, 2.67970695554577, 3.3097832565328495,
            3.391783243446051, 2.70440683930764
        ]),
    },
    'batchnorm_backward': {
        'dx': _values((4, 3), [
            0.5307600961739899, -0.5348176693250299, -0.016731935110047055, 0.10439565625245512,
            0.17573108652298114, -0.009006403664646927, -0.4003808560839315, 0.4080855974756118,
            0.03861805074213133, -0.23477489634251358, -0.048999014673563046,
            -0.012879711967437337
        ]),
        'dgamma': _values((3,), [
            -2.263655100500059, -0.7614663036215106, 4.454641288354056
        ]),
        'dbeta': _values((3,), [
            -0.6195277821673515, 1.034908423215922, -1.4533079135683582
        ]),
    },
    'batchnorm_backward_alt': {
        'dx': _values((4, 3), [
            0.5307600961739899, -0.5348176693250299, -0.016731935110047048, 0.10439565625245514,
            0.17573108652298114, -0.009006403664646914, -0.4003808560839314,
            0.40808559747561185, 0.03861805074213132, -0.2347748963425135, -0.04899901467356299,
            -0.012879711967437328
        ]),
        'dgamma': _values((3,), [
            -2.263655100500059, -0.7614663036215106, 4.454641288354056
        ]),
        'dbeta': _values((3,), [
            -0.6195277821673515, 1.034908423215922, -1.4533079135683582
        ]),
    },
    'layernorm_forward': {
        'out': _values((4, 3), [
            1.3165161374272927, -1.4219019269680655, 2.44721741302837, 0.9559156121224678,
            -0.1515877886803263, 2.309939141108848, -1.2657108825338363, -0.8269504039968281,
            3.589593042266125, -1.196514850447405, -1.109261430569217, 3.625572782866006
        ]),
    },
    'layernorm_backward': {
        'dx': _values((4, 3), [
            0.23462497426871554, -0.6352178540314247, 0.4005928797627092, -4.1380147268571195,
            5.362309330752832, -1.224294603895724, -0.4645790618496643, 1.039521874099137,
            -0.5749428122494726, -0.0271802780851364, 0.05094855781422417, -0.023768279729087304
        ]),
        'dgamma': _values((3,), [
            5.521762733110805, 0.6376665892413967, 5.367720895855886
        ]),
        'dbeta': _values((3,), [
            -0.6195277821673515, 1.034908423215922, -1.4533079135683582
        ]),
    },
    'spatial_batchnorm_forward': {
        'out for (N, C, L) input': _values((2, 3, 2), [
            1.0150825032700572, -0.956786268067343, -2.7421441119351884, 1.5280866877476478,
            3.3355744530799916, 2.2531908311323336, -1.0421751783535214, 0.9838789431508074,
            0.37688404382437035, -3.16282661963683, 2.8555433523689167, 3.5556913634187586
        ]),
    },
    'spatial_batchnorm_backward': {
        'dx': _values((2, 3, 2), [
            -0.013735231418696437, 0.01372438323458881, -0.16809876807305263,
            0.16154320212546708, 0.08330082627575233, -0.06827898376593595,
            -0.013352402064289573, 0.01336325024839728, -0.19411465701547476,
            0.2006702229630603, 0.10083570676579993, -0.11585754927561638
        ]),
        'dgamma': _values((3,), [
            -2.7810631510034716, -2.7315748555323784, -2.561702344302762
        ]),
        'dbeta': _values((3,), [
            2.197286368657109, 0.22736503758823334, 2.083397078741466
        ]),
    },
    'spatial_groupnorm_forward': {
        'out': _values((2, 4, 1, 3), [
            1.238190411479356, -0.6033684233803277, -1.1833734499879855, 0.6152925871118993,
            0.7491749123699223, -3.2673645757039083, 2.5826835348456574, 3.5732469564573637,
            3.082113622733564, -1.8456704405425168, 0.2956623331954819, 2.3358757652372795,
            -0.11646293191783955, -1.1254715169754268, 1.1236173566729701, 2.1061210092574316,
            -2.613382278947502, -2.2561045458693383, 3.5220173034247098, 3.154320593853365,
            2.151134095558148, -0.16797724226985644, 2.357482443483012, -0.1719211797218243
        ]),
    },
    'spatial_groupnorm_backward': {
        'dx': _values((2, 4, 1, 3), [
            -0.25061667348314404, -0.4440102889240616, 0.5908351165051926, 1.2463519577476443,
            -0.776947546855597, -0.36561256499003414, 0.0034278597305734157,
            -0.05104632648996403, -0.5823329929923221, -0.27002074964621053, 1.004840530686901,
            -0.10486832128897801, 0.560813461179315, -0.34239658473603907, -1.0727796535499614,
            0.7536565163884492, 1.2419957519198794, -1.1412894912016431, -0.3145511264573725,
            0.1965780693065224, -0.10429150824284995, -1.0559675435765896, 0.11445965998603393,
            1.1637724489842556
        ]),
        'dgamma': _values((1, 4, 1, 1), [
            -1.1904641429881169, 1.83384599554677, -1.020290626941712, -0.10806241055952587
        ]),
        'dbeta': _values((1, 4, 1, 1), [
            0.8099613301310978, 1.7774780594858712, 2.773013085394817, 2.5580765198095694
        ]),
    },
    'FullyConnectedNet': {
        'no normalization: loss': _values((), [
            1.9798765696785634
        ]),
        'no normalization: test-mode scores': _values((3, 3), [
            1.2357930459846433, -0.07941549464545875, -0.49364476072313157, 1.403156120461146,
            -0.09017071081059433, -0.5604989197769343, 1.7074440247791545, -0.10972509697141836,
            -0.6820485030231513
        ]),
        'batchnorm: loss': _values((), [
            2.0001955073288955
        ]),
        'batchnorm: test-mode scores': _values((3, 3), [
            0.7732018934753635, -0.04968810192828543, -0.3088600190262449, 6.570482910559376,
            2.577431980448044, -2.08980521542702, 9.181090003929947, -0.5900023522673504,
            -3.667440104873234
        ]),
        'layernorm: loss': _values((), [
            2.1607427186498627
        ]),
        'layernorm: test-mode scores': _values((3, 3), [
            1.9500324704154564, -0.08895381499883864, -0.7820179083913623, 1.9117074795063826,
            -0.09776119450800355, -0.7534400446141349, 1.9133252949331565, -0.10318207822928119,
            -0.7562483438925217
        ]),
    },
    'sgd_momentum': {
        'next_w': _values((4, 5), [
            0.14060000000000006, 0.2073894736842105, 0.27417894736842097, 0.34096842105263164,
            0.407757894736842, 0.47454736842105266, 0.5413368421052631, 0.6081263157894736,
            0.6749157894736842, 0.7417052631578946, 0.8084947368421053, 0.8752842105263158,
            0.9420736842105263, 1.0088631578947367, 1.0756526315789472, 1.142442105263158,
            1.2092315789473682, 1.276021052631579, 1.3428105263157895, 1.4096000000000002
        ]),
        'velocity': _values((4, 5), [
            0.5406000000000001, 0.5547578947368421, 0.5689157894736842, 0.5830736842105264,
            0.5972315789473683, 0.6113894736842106, 0.6255473684210526, 0.6397052631578948,
            0.6538631578947369, 0.6680210526315788, 0.6821789473684211, 0.6963368421052631,
            0.7104947368421053, 0.7246526315789474, 0.7388105263157895, 0.7529684210526316,
            0.7671263157894737, 0.7812842105263159, 0.795442105263158, 0.8096000000000001
        ]),
    },
    'rmsprop': {
        'next_w': _values((4, 5), [
            -0.39281114853923677, -0.3407576483519166, -0.28871333682182243,
            -0.23667847860004243, -0.18465334980705178, -0.1326382387019697,
            -0.08063344640103247, -0.028639287649659183, 0.023343908347054985,
            0.07531579703006962, 0.12727601752243003, 0.1792241915890267, 0.2311599225127814,
            0.2830827938791373, 0.334992368259798, 0.3868881857856089, 0.438769762597282,
            0.4906365891613049, 0.5424881284368309, 0.5943238138775843
        ]),
        'cache': _values((4, 5), [
            0.6966, 0.6855750692520775, 0.674605540166205, 0.6636914127423822,
            0.6528326869806094, 0.6420293628808864, 0.6312814404432133, 0.62058891966759,
            0.6099518005540165, 0.5993700831024931, 0.5888437673130194, 0.5783728531855956,
            0.5679573407202216, 0.5575972299168974, 0.5472925207756232, 0.5370432132963988,
            0.5268493074792244, 0.5167108033240997, 0.5066277008310249, 0.4966
        ]),
    },
    'adam': {
        'next_w': _values((4, 5), [
            -0.40094747166840083, -0.3483618689667189, -0.2957770321333014,
            -0.24319298836973444, -0.19060976631902593, -0.13802739616704435,
            -0.08544590975289204, -0.032865340689163525, 0.019714275506843335,
            0.07229290126975907, 0.12487049682925762, 0.17744702003811577, 0.2300224261834716,
            0.2825966677792994, 0.33516969433784094, 0.3877414521174136, 0.4403118838436444,
            0.49288092840074144, 0.5454485204889067, 0.5980145902433942
        ]),
        'm': _values((4, 5), [
            0.48000000000000004, 0.49947368421052635, 0.5189473684210526, 0.538421052631579,
            0.5578947368421052, 0.5773684210526316, 0.596842105263158, 0.6163157894736842,
            0.6357894736842106, 0.6552631578947368, 0.6747368421052632, 0.6942105263157895,
            0.7136842105263158, 0.7331578947368421, 0.7526315789473684, 0.7721052631578947,
            0.791578947368421, 0.8110526315789475, 0.8305263157894738, 0.8500000000000001
        ]),
        'v': _values((4, 5), [
            0.69966, 0.6890838227146813, 0.678513185595568, 0.6679480886426593,
            0.6573885318559557, 0.6468345152354571, 0.6362860387811634, 0.6257431024930747,
            0.615205706371191, 0.6046738504155125, 0.5941475346260386, 0.5836267590027702,
            0.5731115235457064, 0.5626018282548476, 0.5520976731301939, 0.5415990581717451,
            0.5311059833795013, 0.5206184487534625, 0.5101364542936287, 0.49966
        ]),
    },
}


if __name__ == "__main__":
    sys.exit(main())
