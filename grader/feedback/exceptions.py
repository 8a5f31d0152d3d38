"""Patterns of errors that name a mistake: what a student's code raised (type and message,
as the student's process reports them) for a known reason."""
from __future__ import annotations

import re

from grader.feedback.arrays import to_array
from grader.feedback.registry import exception_pattern

SHAPE = re.compile(r"\(([\d,\s]*)\)")


def _ndim(inputs, name="x"):
    array = to_array((inputs or {}).get(name))
    return None if array is None else array.ndim


@exception_pattern("matmul_without_flatten")
def matmul_without_flatten(function, error_type, message, inputs):
    """x @ w on an input with more than two axes."""
    hit = error_type == "ValueError" and ("not aligned" in message or "mismatch in its core dimension" in message)
    ndim = _ndim(inputs)
    return function == "affine_forward" and hit and (ndim is None or ndim > 2)


@exception_pattern("max_given_an_array_axis")
def max_given_an_array_axis(function, error_type, message, inputs):
    """The reduction max called with 0 and x: x is taken as the axis."""
    hit = "only integer scalar arrays can be converted to a scalar index" in message or (
        "ndarray" in message and "cannot be interpreted as an integer" in message)
    return function == "relu_forward" and error_type in ("TypeError", "AxisError") and hit


@exception_pattern("fixed_4d_layout")
def fixed_4d_layout(function, error_type, message, inputs):
    """A transpose with four fixed axes or an unpacking into N, C, H, W on 3-D or 5-D input."""
    hit = "axes don't match array" in message or re.search(
        r"(not enough|too many) values to unpack \(expected 4", message) is not None
    ndim = _ndim(inputs) or _ndim(inputs, "dout")
    return function.startswith("spatial_batchnorm") and hit and (ndim is None or ndim != 4)


@exception_pattern("broadcast_without_keepdims")
def broadcast_without_keepdims(function, error_type, message, inputs):
    """A statistic reduced without keeping its axis, broadcast against the input: shapes
    like (4, 6) and (4,), where the second is the first with its reduced axes dropped."""
    if not function.startswith(("layernorm", "spatial_groupnorm")):
        return False
    if "could not be broadcast together" not in message:
        return False
    shapes = [tuple(int(n) for n in m.split(",") if n.strip()) for m in SHAPE.findall(message)]
    return any(len(short) < len(long) and long[:len(short)] == short and short
               for long in shapes for short in shapes)


@exception_pattern("rand_given_a_tuple")
def rand_given_a_tuple(function, error_type, message, inputs):
    """np.random.rand called with the shape tuple instead of its unpacked sizes."""
    return (function == "dropout_forward" and error_type == "TypeError"
            and "'tuple' object cannot be interpreted as an integer" in message)


@exception_pattern("mask_is_none")
def mask_is_none(function, error_type, message, inputs):
    """The backward multiplies by a mask the forward never put into the cache."""
    return function == "dropout_backward" and error_type == "TypeError" and "NoneType" in message


@exception_pattern("key_error_last_norm")
def key_error_last_norm(function, error_type, message, inputs):
    """loss() asks for gamma/beta of the output layer, which does not have them."""
    init = (inputs or {}).get("init") or {}
    if function != "FullyConnectedNet" or error_type != "KeyError" or "hidden_dims" not in init:
        return False
    found = re.search(r"(gamma|beta)(\d+)", message)
    return found is not None and int(found.group(2)) == len(init["hidden_dims"]) + 1
