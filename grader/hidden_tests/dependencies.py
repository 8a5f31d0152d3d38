"""A failed test judged against the student's OWN lower-level functions: a function whose only
fault is a broken function it builds on keeps its points (the rubric's dependency_credit), and
the report names the function to fix first.

Everything is computed in the grader's process from the student's functions, called through
the child like any other request: the grader reshapes the input, calls the student's
batchnorm_forward (or forward and backward) on it, reshapes the answer back and compares it
with what the student's spatial function returned. The reference only says whether the
lower-level function is wrong; it never enters the student's process.

A check here runs only when its test already failed, so a right submission's report is
unchanged; it adds findings with role "own" and, when the function agrees with the student's
own lower-level functions and one of those is wrong, turns the outcome into RELIES_ON_WRONG.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from grader.hidden_tests.checks import as_array, compare, norm_error
from grader.hidden_tests.harness import ask, call, compare_key, reference_call
from grader.results import Finding, Outcome, TestResult

DIAGNOSES = (Outcome.BACKWARD_WRONG, Outcome.IMPRECISE, Outcome.FORWARD_WRONG, Outcome.BOTH_WRONG)
RUNNING = ("running_mean", "running_var")
RECOVERY_TOLERANCE = 1e-6    # x_hat read back from a forward's output must be this affine in x


def relies_on(result: TestResult, own: list[Finding], dependencies: list[str], relation: str,
              composed: list[str] | None = None) -> TestResult:
    """`result` with the findings against the student's own functions; RELIES_ON_WRONG when
    they all agree (the broken `dependencies` explain the whole failure)."""
    for finding in own:
        finding.role = "own"
    data = {**result.data, "dependencies": list(dependencies), "relation": relation,
            "composed": list(composed or dependencies)}
    consistent = bool(own) and all(finding.ok for finding in own)
    outcome = result.outcome
    if consistent:
        if outcome in DIAGNOSES:
            data["gradient_verdict"] = outcome.value    # the report still explains the gradient check
        outcome = Outcome.RELIES_ON_WRONG
    return dataclasses.replace(result, outcome=outcome, findings=result.findings + own, data=data)


def worth_checking(result: TestResult, settings=None) -> bool:
    """A failure with numbers to explain (not a stub, a crash or a bad return), with time
    left before the test's deadline."""
    if settings is not None and time.monotonic() > settings.deadline:
        return False
    return not result.passed and result.outcome in (Outcome.FAILED,) + DIAGNOSES


# --------------------------------------------------------------------------- a backward whose
# forward raises

# The cache a forward that raised would have returned, as the assignment's own layers build it
# from their inputs (the layout its docstrings give): a backward that answers right on it is
# right but for its forward.
BUILT_CACHES = {"affine_forward": ("(x, w, b)", lambda args: tuple(args)),
                "relu_forward": ("x", lambda args: args[0])}


def on_built_cache(student, settings, failure, forward, backward, args, dout, expected, names,
                   cache=None) -> TestResult | None:
    """The test's result when `forward` raised (failure: its StudentCallFailed) and the
    student's `backward`, called on the built cache, gives the `expected` gradients (named
    `names`): RELIES_ON_WRONG, naming the forward. None otherwise (the failure stands).
    `cache`: (layout, value) when the caller builds it (dropout's mask is drawn)."""
    if failure.function != forward or failure.reply.status != "raised":
        return None
    if cache is None and forward not in BUILT_CACHES:
        return None
    layout, value = cache or (BUILT_CACHES[forward][0], BUILT_CACHES[forward][1](args))
    if not worth_checking_time(settings):
        return None
    own = backward_right_on(student, settings, backward, dout, value, expected, names)
    return relies_on(failure.result(), own, [forward], "cache", [layout]) if own else None


def backward_right_on(student, settings, backward, dout, cache, expected, names,
                      module="layers") -> list | None:
    """The findings of the student's `backward` called on `cache` when every gradient matches
    `expected` (named `names`); None when it raises or one does not match."""
    reply = call(student, settings, backward, [dout, cache], module=module, raw=True)
    if not reply.ok:
        return None
    got = reply.result["result"]
    got = got if isinstance(got, tuple) else (got,)
    if len(got) != len(expected):
        return None
    own = [compare(name, value, want, settings.tolerance)
           for name, value, want in zip(names, got, expected)]
    return own if all(finding.ok for finding in own) else None


def worth_checking_time(settings) -> bool:
    return time.monotonic() <= settings.deadline


# --------------------------------------------------------------------------- reshaping


def to_rows(a: np.ndarray) -> np.ndarray:
    """(N, C, *S) -> (N * prod(S), C): each channel a column, as batch norm expects."""
    a = np.asarray(a, dtype=float)
    return np.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


def from_rows(rows, shape) -> np.ndarray | None:
    """The inverse of to_rows, or None when `rows` is not an array of the right size."""
    array, _ = as_array(rows)
    if array is None or array.size != int(np.prod(shape)):
        return None
    last = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return np.moveaxis(array.reshape(last), -1, 1)


# --------------------------------------------------------------------------- spatial batch norm


def spatial_forward(student, reference, settings, result, args, reply_result) -> TestResult:
    """spatial_batchnorm_forward against the student's batchnorm_forward on the grader's
    reshaped input (and the running averages it writes back)."""
    if not worth_checking(result, settings):
        return result
    x, gamma, beta, bn_param = args
    rows = to_rows(x)
    reply = call(student, settings, "batchnorm_forward", [rows, gamma, beta, bn_param], pick=0,
                 raw=True)
    if not reply.ok:
        return result
    (expected, _), ref_args = reference_call(reference.layers.batchnorm_forward,
                                             [rows, gamma, beta, bn_param])
    theirs_after = reply.result["args_after"][3]
    dependency = [compare("out", reply.result["result"], expected, settings.tolerance)]
    dependency += [compare_key("bn_param", theirs_after, key, ref_args[3][key], settings)
                   for key in RUNNING]
    composed = from_rows(reply.result["result"], x.shape)
    if all(f.ok for f in dependency) or composed is None:
        return result           # batchnorm_forward is right: the fault is spatial's own
    own = [compare("out", reply_result["result"], composed, settings.tolerance)]
    if isinstance(theirs_after, dict):
        own += [compare_key("bn_param", reply_result["args_after"][3], key, theirs_after[key],
                            settings) for key in RUNNING if key in theirs_after]
    return relies_on(result, own, ["batchnorm_forward"], "composition")


def spatial_running_steps(student, settings, result, inputs, bn_param, mine_outputs,
                          expected_outputs, mine_after) -> TestResult:
    """The running-average steps of spatial_batchnorm_forward replayed with the student's
    batchnorm_forward on reshaped inputs, carrying its own bn_param from step to step."""
    if not worth_checking(result, settings):
        return result
    param, composed = dict(bn_param), []
    for x, gamma, beta, testing in inputs:
        if testing:
            after_train = param
            param = {**param, "mode": "test"}
        reply = call(student, settings, "batchnorm_forward", [to_rows(x), gamma, beta, param],
                     pick=0, raw=True)
        out = from_rows(reply.result["result"], x.shape) if reply.ok else None
        if out is None or not isinstance(reply.result["args_after"][3], dict):
            return result
        composed.append(out)
        param = reply.result["args_after"][3]
    dependency = [compare("out", out, ref, settings.tolerance)
                  for out, ref in zip(composed, expected_outputs)]
    if all(f.ok for f in dependency):
        return result
    labels = ["train step %d" % (i + 1) for i in range(len(inputs) - 1)] + ["test mode"]
    own = [compare("out (%s)" % label, got, out, settings.tolerance)
           for label, got, out in zip(labels, mine_outputs, composed)]
    own += [compare_key("bn_param", mine_after, key, after_train[key], settings)
            for key in RUNNING if key in after_train]
    return relies_on(result, own, ["batchnorm_forward"], "composition")


def spatial_backward(student, reference, settings, result, args, got, dout,
                     student_out=None) -> TestResult:
    """spatial_batchnorm_backward against the student's batchnorm_forward then
    batchnorm_backward_alt (or batchnorm_backward) on the grader's reshaped input and dout."""
    if not worth_checking(result, settings):
        return result
    x, gamma, beta, bn_param = args
    rows, dout_rows = to_rows(x), to_rows(dout)
    ref_out, ref_grads = None, None
    for backward in ("batchnorm_backward_alt", "batchnorm_backward"):
        reply = ask(student, settings, {"op": "forward_backward", "module": "layers",
                                        "forward": "batchnorm_forward", "backward": backward,
                                        "args": [rows, gamma, beta, bn_param], "dout": dout_rows},
                    raw=True)
        grads = reply.result.get("backward") if reply.ok else None
        if not isinstance(grads, tuple) or len(grads) != 3:
            continue
        if ref_out is None:
            (ref_out, ref_cache), _ = reference_call(reference.layers.batchnorm_forward,
                                                     [rows, gamma, beta, bn_param])
            ref_grads = reference.layers.batchnorm_backward_alt(dout_rows.copy(), ref_cache)
        forward_wrong = not compare("out", reply.result["forward"], ref_out, settings.tolerance).ok
        backward_wrong = not all(compare(n, g, r, settings.tolerance).ok
                                 for n, g, r in zip(("dx", "dgamma", "dbeta"), grads, ref_grads))
        if not (forward_wrong or backward_wrong):
            continue            # right: the fault is spatial's own (or another backward's)
        dx = from_rows(grads[0], x.shape)
        if dx is None:
            continue
        own = [compare("dx", got[0], dx, settings.tolerance),
               compare("dgamma", got[1], grads[1], settings.tolerance),
               compare("dbeta", got[2], grads[2], settings.tolerance)]
        if all(f.ok for f in own) or backward == "batchnorm_backward":
            broken = ["batchnorm_forward"] if forward_wrong else [backward]
            return relies_on(result, own, broken, "composition", ["batchnorm_forward", backward])
    return result


# --------------------------------------------------------------------------- backward at the
# statistics of the student's own forward


def recovered_inv_std(x, x_hat, labels):
    """1/std per element when x_hat is (x - mean) * 1/std over the sets `labels` numbers
    (one integer per element), else None (also when a set's x_hat is all 0: no 1/std to read)."""
    labels = labels.ravel()
    counts = np.maximum(np.bincount(labels), 1)
    x_flat, xh_flat = x.ravel(), x_hat.ravel()
    centred = x_flat - (np.bincount(labels, x_flat) / counts)[labels]
    xh_centred = xh_flat - (np.bincount(labels, xh_flat) / counts)[labels]
    inv = (np.bincount(labels, centred * xh_centred)
           / np.maximum(np.bincount(labels, centred ** 2), 1e-300))[labels]
    if not np.all(inv > 0) or norm_error(xh_flat, centred * inv) > RECOVERY_TOLERANCE:
        return None
    return inv.reshape(x.shape)


def row_column_sets(shape, axis):
    """The sets a (N, D) normalization may have used, its own (statistics over `axis`) first:
    one set per column (over the batch) or per row (over the features)."""
    rows, columns = np.indices(shape)
    return [columns, rows] if axis == 0 else [rows, columns]


def group_sets(shape, G):
    """The sets a group normalization of (N, C, H, W) may have used, the right one first:
    the G groups of each example; the same over the whole batch; each group at each
    position; groups of channels taken G at a time; channels taken every G-th."""
    n, c, h, w = np.indices(shape)
    N, C, H, W = shape
    size = max(C // max(int(G), 1), 1)
    return [n * G + c // size, c // size, ((n * G + c // size) * H + h) * W + w,
            n * C + c // G, n * G + c % G]


def closed_form(g, x_hat, inv_std, axes):
    return inv_std * (g - g.mean(axis=axes, keepdims=True)
                      - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))


def staged_form(g, x, inv_std, axis, eps):
    """The step-by-step batch norm backward (through var and sqrt(var + eps)) at a forward
    whose 1/std is `inv_std` and whose variance is x's: a staged backward reads both from its
    cache, so a forward that divides by another std still meets the derivative of sqrt(var + eps)."""
    N = x.shape[axis]
    xmu = x - x.mean(axis=axis, keepdims=True)
    var = (xmu ** 2).mean(axis=axis, keepdims=True)
    dvar = 0.5 / np.sqrt(var + eps) * -(inv_std ** 2) * (g * xmu).sum(axis=axis, keepdims=True)
    dx1 = g * inv_std + 2.0 * xmu * dvar / N
    return dx1 - dx1.sum(axis=axis, keepdims=True) / N


def normalization_backward(forward: str, axis: int):
    """A hook for check_backward: a batch norm (axis 0) or layer norm (axis 1) backward whose
    forward is wrong is compared with the backward formula evaluated at the student's own
    forward's values: x_hat read back from its output, 1/std from how x_hat follows x (over
    the sets that forward really used), and for batch norm also the step-by-step formula."""
    return statistics_check(forward, lambda x, args: row_column_sets(x.shape, axis), (axis,),
                            staged_axis=axis if forward == "batchnorm_forward" else None)


def groupnorm_backward():
    """The same hook for spatial_groupnorm_backward: the closed form over the G groups of each
    example, at the x_hat and 1/std of the student's spatial_groupnorm_forward."""
    return statistics_check("spatial_groupnorm_forward",
                            lambda x, args: group_sets(x.shape, args[3]) if x.ndim == 4 else [],
                            (2, 3, 4), grouped=True)


def statistics_check(forward, candidate_sets, axes, staged_axis=None, grouped=False):
    def check(student, reference, settings, result, args, got, dout, student_out) -> TestResult:
        forward_check = next((f for f in result.findings if f.role == "forward"), None)
        if not worth_checking(result, settings) or forward_check is None or forward_check.ok:
            return result
        x, gamma, beta = (np.asarray(a, dtype=float) for a in args[:3])
        out, _ = as_array(student_out)
        if out is None or out.shape != x.shape or np.min(np.abs(gamma), initial=1.0) < 1e-3:
            return result
        x_hat = (out - beta) / gamma
        inv_std = next((inv for inv in (recovered_inv_std(x, x_hat, labels)
                                        for labels in candidate_sets(x, args))
                        if inv is not None), None)
        if inv_std is None:
            return result       # not a normalization of x: nothing to evaluate the formula at
        g = dout * gamma
        if grouped:
            N, C, H, W = x.shape
            view = (N, int(args[3]), C // int(args[3]), H, W)
            dx = closed_form(g.reshape(view), x_hat.reshape(view), inv_std.reshape(view),
                             axes).reshape(x.shape)
            sums = (0, 2, 3)
            expected_params = [(dout * x_hat).sum(axis=sums, keepdims=True),
                               dout.sum(axis=sums, keepdims=True)]
        else:
            dx = closed_form(g, x_hat, inv_std, axes)
            expected_params = [(dout * x_hat).sum(axis=0), dout.sum(axis=0)]
        candidates = [dx]
        if staged_axis is not None:
            eps = (args[3] or {}).get("eps", 1e-5) if isinstance(args[3], dict) else 1e-5
            candidates.append(staged_form(g, x, inv_std, staged_axis, eps))
        best = []
        for expected_dx in candidates:
            own = [compare(name, value, want, settings.numeric_tolerance, metric="norm")
                   for name, value, want in zip(("dx", "dgamma", "dbeta"), got,
                                                [expected_dx] + expected_params)]
            if not best or all(f.ok for f in own):
                best = own
            if all(f.ok for f in own):
                break
        return relies_on(result, best, [forward], "statistics")
    return check
