"""Variants of the affine layer, the ReLU and the softmax loss."""
import numpy as np

from grader.feedback.registry import variant


def _arrays(inputs, *names):
    return [np.asarray(inputs[name], dtype=float) for name in names]


@variant("affine_missing_bias")
def affine_missing_bias(function, inputs):
    x, w = _arrays(inputs, "x", "w")
    return {"out": x.reshape(x.shape[0], -1) @ w}


@variant("relu_forward_returns_mask")
def relu_forward_returns_mask(function, inputs):
    (x,) = _arrays(inputs, "x")
    return {"out": (x > 0).astype(float)}


@variant("relu_backward_not_gated")
def relu_backward_not_gated(function, inputs):
    (dout,) = _arrays(inputs, "dout")
    return {"dx": dout}


@variant("relu_backward_times_output")
def relu_backward_times_output(function, inputs):
    """dout multiplied by the forward's output instead of gated by its sign."""
    x, dout = _arrays(inputs, "x", "dout")
    return {"dx": dout * np.maximum(0, x)}


@variant("relu_backward_gates_on_dout")
def relu_backward_gates_on_dout(function, inputs):
    """The gate decided by the sign of the upstream gradient instead of the forward input."""
    (dout,) = _arrays(inputs, "dout")
    return {"dx": dout * (dout > 0)}


@variant("relu_backward_ignores_dout")
def relu_backward_ignores_dout(function, inputs):
    (x,) = _arrays(inputs, "x")
    return {"dx": (x > 0).astype(float)}


def _log_probs(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@variant("softmax_dx_no_label_term")
def softmax_dx_no_label_term(function, inputs):
    (x,) = _arrays(inputs, "x")
    y = np.asarray(inputs["y"], dtype=int)
    N = x.shape[0]
    log_probs = _log_probs(x)
    return {"loss": -log_probs[np.arange(N), y].mean(), "dx": np.exp(log_probs) / N}
