"""Signatures of parameter gradients (db, dgamma, dbeta) summed over the wrong axes.

A parameter used at every example (and every position) receives the sum of the gradients of
all its uses. The student's value is compared with every partial or misplaced sum of the
per-use gradients: dout for db and dbeta, dout * x_hat for dgamma.
"""
from itertools import combinations

import numpy as np

from grader.feedback.registry import signature


def sources(case) -> dict:
    """{gradient name: [(per-use gradient, axes the right sum runs over)]}."""
    dout = case.input_array("dout")
    if dout is None:
        return {}
    if case.function == "affine_backward":
        return {"db": [(dout, (0,))]} if dout.ndim == 2 else {}
    layout = case.layout
    if layout is None or dout.shape != layout.x.shape:
        return {}
    per_use = {"dbeta": dout, "dgamma": dout * layout.x_hat}
    found = {key: [(value, layout.param_axes)] for key, value in per_use.items()}
    if layout.kind == "spatial_batchnorm":      # the (N * S, C) rows handed to batch norm
        C = dout.shape[1]
        for key, value in per_use.items():
            found[key].append((np.moveaxis(value, 1, -1).reshape(-1, C), (0,)))
    return found


def sums(value, right_axes):
    """(axes, partial sum) for every set of axes except the right one."""
    for r in range(value.ndim + 1):
        for axes in combinations(range(value.ndim), r):
            if set(axes) != set(right_axes):
                yield set(axes), value.sum(axis=axes) if axes else value


def explained(case, key, options, partial: bool) -> bool:
    got = case.array(key)
    if got is None:
        return False
    for value, right_axes in options:
        for axes, total in sums(value, right_axes):
            if (axes < set(right_axes)) != partial or total.size != got.size:
                continue
            if total.squeeze().shape == got.squeeze().shape and case.got_is(key, total.reshape(got.shape)):
                return True
    return False


def _check(case, partial):
    options = sources(case)
    wrong = [key for key in options if key in case.wrong_keys]
    return bool(wrong) and all(explained(case, key, options[key], partial) for key in wrong)


@signature("param_grad_partial_sum")
def param_grad_partial_sum(case):
    """Not summed over every axis the parameter is shared along (e.g. shape (N, D))."""
    return _check(case, partial=True)


@signature("param_grad_wrong_axes")
def param_grad_wrong_axes(case):
    """Summed over another axis than the one the parameter is shared along."""
    return _check(case, partial=False)


@signature("dgamma_uses_input")
def dgamma_uses_input(case):
    """dgamma sums dout times the input x (or the centred input), not times x_hat."""
    layout, dout = case.layout, case.input_array("dout")
    if layout is None or dout is None or "dgamma" not in case.wrong_keys or not case.right("dbeta"):
        return False
    view = layout.view(layout.x)
    centred = layout.unview(view - view.mean(axis=1, keepdims=True))
    keep = layout.kind == "spatial_groupnorm"
    for source in (layout.x, centred):
        value = (dout * source).sum(axis=layout.param_axes, keepdims=keep)
        if case.got_is("dgamma", value):
            return True
    return False
