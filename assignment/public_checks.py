"""Public checks (given): quick feedback on your layers.py, fc_net.py and optim.py.

    python -m assignment.public_checks                      # every check
    python -m assignment.public_checks batchnorm_forward adam
    python -m assignment.public_checks layers               # every function of one file
    python -m assignment.public_checks --strict             # exit 1 unless everything passes

or, in a notebook:

    from assignment.public_checks import run; run(["batchnorm_forward"])

These are the checks of the notebooks, gathered in one place: outputs on fixed inputs compared
with stored correct values (public_values.py, computed from the course's reference solutions),
properties (batch norm means and standard deviations, dropout keep rates) and numerical gradient
checks of your own forward passes. Each function is reported as PASS, FAIL, NOT IMPLEMENTED (it
still returns None) or ERROR (it raised an exception). The notebooks' check cells call needs(),
which stops a cell with one line while a function it uses is not written yet.

The hidden tests used for grading are more extensive than these: other shapes, scales and edge
cases, compared with the reference solutions. Passing here is necessary, not sufficient.
"""
import argparse
import contextlib
import importlib
import io
import math
import sys
import traceback
from dataclasses import dataclass, field

import numpy as np

from .gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from .public_values import VALUES

STUDENT_MODULES = ("layers", "fc_net", "optim")
CLOSING = ("Note: these public checks are a small sample. The hidden tests used for grading are more "
           "extensive: other shapes, scales (tiny variances where eps matters, large logits) and edge "
           "cases (N=1, 3-D and 5-D feature maps, ...), compared with the reference solutions; your "
           "notebooks are also run top to bottom. Passing every public check does not guarantee full "
           "marks.")

LITERAL_TOL = 1e-7     # outputs on fixed inputs vs the stored correct values
GRAD_TOL = 1e-5        # analytic vs numerical gradient of a layer
NET_GRAD_TOL = 1e-5    # analytic vs numerical gradient of a whole network


# --------------------------------------------------------------------------- results

class NotImplementedYet(Exception):
    """The function (or a function it needs) still returns None: the stub is not filled in."""

    def _render_traceback_(self):
        # IPython shows what this returns instead of a traceback: raised by needs() in a notebook
        # cell, the student sees one line saying what to write, not NumPy failing on a None.
        return [str(self)]


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


_recorded = None   # {check: {key: array}} while recorded_outputs() runs, else None


def _literal(check, key, actual, tolerance=LITERAL_TOL):
    """Compare `actual` with the stored correct value VALUES[check][key] (public_values.py)."""
    if _recorded is not None:
        _recorded.setdefault(check, {})[key] = np.array(actual, dtype=np.float64)
        return _boolean(f"{key} recorded", True)
    shape, flat = VALUES[check][key]
    expected = np.array(flat, dtype=np.float64).reshape(shape)
    return _array_measure(f"{key} vs correct values", actual, expected, tolerance)


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


# Calls that tell a written function from an untouched stub (which returns None), by name. A
# backward pass is called with the cache of its forward pass, so the forward must be written first.
def _probe_values():
    return {"x": _ramp((3, 2), -1.0, 1.0), "w": _wiggle((2, 2)), "ones": np.ones(2), "zeros": np.zeros(2),
            "dout": _wiggle((3, 2), 1.0, 0.5), "x3": _wiggle((2, 2, 3), 1.0, 0.5),
            "x4": _wiggle((2, 4, 1, 3)), "g4": np.ones((1, 4, 1, 1)), "b4": np.zeros((1, 4, 1, 1))}


FORWARD_PROBES = {
    "affine_forward": lambda L, v: L.affine_forward(v["x"], v["w"], v["zeros"]),
    "relu_forward": lambda L, v: L.relu_forward(v["x"]),
    "softmax_loss": lambda L, v: L.softmax_loss(v["x"], np.array([0, 1, 0])),
    "batchnorm_forward": lambda L, v: L.batchnorm_forward(v["x"], v["ones"], v["zeros"], {"mode": "train"}),
    "layernorm_forward": lambda L, v: L.layernorm_forward(v["x"], v["ones"], v["zeros"], {}),
    "dropout_forward": lambda L, v: L.dropout_forward(v["x"], {"mode": "train", "p": 0.5, "seed": 0}),
    "spatial_batchnorm_forward": lambda L, v: L.spatial_batchnorm_forward(
        v["x3"], v["ones"], v["zeros"], {"mode": "train"}),
    "spatial_groupnorm_forward": lambda L, v: L.spatial_groupnorm_forward(v["x4"], v["g4"], v["b4"], 2, {}),
}
BACKWARD_PROBES = {   # name -> (forward pass it needs or None, call given the forward's cache)
    "affine_backward": (None, lambda L, v, _: L.affine_backward(v["dout"], (v["x"], v["w"], v["zeros"]))),
    "relu_backward": (None, lambda L, v, _: L.relu_backward(v["dout"], v["x"])),
    "batchnorm_backward": ("batchnorm_forward", lambda L, v, cache: L.batchnorm_backward(v["dout"], cache)),
    "batchnorm_backward_alt": ("batchnorm_forward",
                               lambda L, v, cache: L.batchnorm_backward_alt(v["dout"], cache)),
    "layernorm_backward": ("layernorm_forward", lambda L, v, cache: L.layernorm_backward(v["dout"], cache)),
    "dropout_backward": ("dropout_forward", lambda L, v, cache: L.dropout_backward(v["dout"], cache)),
    "spatial_batchnorm_backward": ("spatial_batchnorm_forward",
                                   lambda L, v, cache: L.spatial_batchnorm_backward(v["x3"], cache)),
    "spatial_groupnorm_backward": ("spatial_groupnorm_forward",
                                   lambda L, v, cache: L.spatial_groupnorm_backward(v["x4"], cache)),
}


def _written(layers, name):
    """Whether the layers.py function `name` is written: it returns something other than None.
    A function that raises counts as written; the cell or check that uses it shows the error."""
    values = _probe_values()
    try:
        if name in FORWARD_PROBES:
            return _implemented(lambda: FORWARD_PROBES[name](layers, values))
        forward, call = BACKWARD_PROBES[name]
        cache = None
        if forward is not None:
            result = FORWARD_PROBES[forward](layers, values)
            if result is None or not isinstance(result, tuple) or result[1] is None:
                return False
            cache = result[1]
        return _implemented(lambda: call(layers, values, cache))
    except NotImplementedError:
        return False
    except Exception:
        return True


def _network_layers(normalization, dropout):
    """The layers.py functions a FullyConnectedNet configuration needs; a tuple means any one of."""
    names = ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss"]
    if normalization == "batchnorm":
        names += ["batchnorm_forward", ("batchnorm_backward_alt", "batchnorm_backward")]
    if normalization == "layernorm":
        names += ["layernorm_forward", "layernorm_backward"]
    if dropout:
        names += ["dropout_forward", "dropout_backward"]
    return names


def _missing_layers(layers, names):
    """The entries of `names` (as _network_layers gives them) that are still stubs, as text."""
    missing = []
    for entry in names:
        options = entry if isinstance(entry, tuple) else (entry,)
        if not any(_written(layers, name) for name in options):
            missing.append(" or ".join(options))
    return missing


def _layer_missing(layers, normalization, dropout):
    """The first layers.py function a network configuration needs that is still a stub, or None."""
    missing = _missing_layers(layers, _network_layers(normalization, dropout))
    return missing[0] if missing else None


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

    # Fixed parameters and inputs: loss and scores vs stored correct values.
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


# --------------------------------------------------------------------------- notebook cells

def _network_stub(fc_net, normalization, dropout):
    """Why FullyConnectedNet is not written yet for this configuration, or "" when it is."""
    try:
        model = fc_net.FullyConnectedNet([4, 3], input_dim=5, num_classes=3, normalization=normalization,
                                         dropout_keep_ratio=0.5 if dropout else 1, dtype=np.float64, seed=0)
        if not model.params:
            return "it creates no parameters"
        if normalization is not None and not {"gamma1", "beta1"} <= set(model.params):
            return f"no gamma1, beta1 for normalization={normalization!r}"
        X, y = _wiggle((2, 5)), np.array([0, 2])
        if model.loss(X) is None:
            return "loss returns no scores"
        result = model.loss(X, y)
        if result is None or result[0] is None or not result[1]:
            return "loss returns no gradients"
    except NotImplementedError:
        return "it raises NotImplementedError"
    except Exception:
        pass   # written but broken: the cell shows the error
    return ""


def needs(*names, normalization=None, dropout=False):
    """Stop a notebook cell with a one-line message while a function it uses is still a stub.

    `names` are functions of layers.py and optim.py, or "FullyConnectedNet" (built with
    `normalization`, a name or a tuple of names, and with dropout when `dropout` is true; the
    layers.py functions that configuration needs are checked too). Raises NotImplementedYet, which
    Jupyter shows as that one line instead of a traceback; returns None when everything is written.
    The global NumPy random state is left as it was.
    """
    layers = importlib.import_module(f"{__package__}.layers")
    normalizations = normalization if isinstance(normalization, tuple) else (normalization,)
    missing = {"layers.py": [], "optim.py": [], "fc_net.py": []}
    state = np.random.get_state()
    try:
        with np.errstate(all="ignore"), contextlib.redirect_stdout(io.StringIO()):
            for name in names:
                if name == "FullyConnectedNet":
                    fc_net = importlib.import_module(f"{__package__}.fc_net")
                    for norm in normalizations:
                        missing["layers.py"] += _missing_layers(layers, _network_layers(norm, dropout))
                        reason = _network_stub(fc_net, norm, dropout)
                        if reason:
                            missing["fc_net.py"].append(
                                f"FullyConnectedNet ({f'normalization={norm!r}: ' if norm else ''}{reason})")
                elif name in FORWARD_PROBES or name in BACKWARD_PROBES:
                    forward = BACKWARD_PROBES.get(name, (None,))[0]
                    missing["layers.py"] += [needed for needed in (forward, name)
                                             if needed is not None and not _written(layers, needed)]
                else:
                    optim = importlib.import_module(f"{__package__}.optim")
                    if not callable(getattr(optim, name, None)):
                        raise ValueError(f"needs(): no function called {name!r} in layers.py or optim.py")
                    w = _ramp((2, 3), -0.4, 0.6)
                    if not _implemented(getattr(optim, name), w, 0.1 * w, None):
                        missing["optim.py"].append(name)
    finally:
        np.random.set_state(state)
    parts = [f"{', '.join(dict.fromkeys(found))} in assignment/{file}" for file, found in missing.items() if found]
    if parts:
        count = sum(len(set(found)) for found in missing.values())
        raise NotImplementedYet("not implemented yet: " + "; ".join(parts) + (". Write it" if count == 1 else
                                ". Write them") + (", save the file" if len(parts) == 1 else ", save the files")
                                + " and run this cell again.")


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


def recorded_outputs(names=None):
    """Run the checks, but record the outputs they would compare with stored correct values
    instead of comparing them: {check: {key: float64 array}}. The course staff run this on the
    reference solutions to write public_values.py (python -m tools.public_values)."""
    global _recorded
    _recorded = {}
    try:
        for result in run(names, out=io.StringIO()).results:
            if result.status != "PASS":
                raise RuntimeError(f"{result.name}: {result.status} {result.reason}".strip())
        return _recorded
    finally:
        _recorded = None


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


if __name__ == "__main__":
    sys.exit(main())
