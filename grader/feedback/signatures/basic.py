"""Signatures of the affine layer and the softmax loss."""
import numpy as np

from grader.feedback.registry import signature


@signature("dx_needs_input_shape")
def dx_needs_input_shape(case):
    """dx has the right values in the (N, D) shape of the flattened rows, not x's shape."""
    x, dx, expected = case.input_array("x"), case.array("dx"), case.expected_array("dx")
    if x is None or dx is None or expected is None or dx.shape == x.shape or dx.size != x.size:
        return False
    return case.got_is("dx", expected.reshape(dx.shape)) and case.others_right("dx")


@signature("dw_transposed")
def dw_transposed(case):
    """dw is the transpose of the right gradient: shape (M, D) instead of (D, M)."""
    dw, expected = case.array("dw"), case.expected_array("dw")
    if dw is None or expected is None or dw.ndim != 2 or dw.T.shape != expected.shape:
        return False
    return case.got_is("dw", expected.T) and case.others_right("dw")


def _batch_size(case):
    x = case.input_array("x")
    return None if x is None or x.ndim != 2 else x.shape[0]


@signature("overflow_large_logits")
def overflow_large_logits(case):
    """nan or inf in the loss or dx where the reference is finite, on logits whose
    exponentials overflow (or a row's all underflow) without a shift per row."""
    x = case.input_array("x")
    if x is None or x.ndim != 2:
        return False
    with np.errstate(over="ignore", under="ignore"):
        e = np.exp(x)
        unstable = (~np.isfinite(e)).any() or (e.sum(axis=1) == 0).any()
    if not unstable:
        return False
    return any(case.array(key) is not None and not np.isfinite(case.array(key)).all()
               and case.expected_array(key) is not None and np.isfinite(case.expected_array(key)).all()
               for key in ("loss", "dx"))


@signature("loss_and_dx_times_n")
def loss_and_dx_times_n(case):
    """The loss is N times the reference (summed over the batch, not averaged); dx either
    right or N times too."""
    N = _batch_size(case)
    if not N or N < 2 or case.expected_array("loss") is None:
        return False
    if not case.got_is("loss", N * case.expected_array("loss")):
        return False
    return case.right("dx") or case.got_is("dx", N * case.expected_array("dx"))


@signature("dx_times_n")
def dx_times_n(case):
    """The loss is right and dx is exactly N times the reference: not divided by N."""
    N = _batch_size(case)
    if not N or N < 2 or case.expected_array("dx") is None:
        return False
    return case.right("loss") and case.got_is("dx", N * case.expected_array("dx"))

