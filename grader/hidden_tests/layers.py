"""Hidden tests of the basic layers: affine, ReLU, softmax loss."""
import numpy as np

from grader.hidden_tests.checks import compare, describe_inputs, outcome, with_diagnosis
from grader.hidden_tests.harness import (
    call, check_backward, check_forward, diagnose, reference_call, hidden_test)
from grader.results import Verdict

test = hidden_test



def affine_inputs(rng, shape, M, scale=1.0):
    D = int(np.prod(shape[1:]))
    return [rng.normal(0, scale, shape), rng.normal(0, 1 / np.sqrt(D), (D, M)), rng.normal(0, 1, M)]


@test("affine_forward", "2-D input")
def affine_forward_2d(student, rng, reference, settings):
    return check_forward(student, reference, settings, "affine_forward",
                         affine_inputs(rng, (6, 5), 3), ("x", "w", "b"))


@test("affine_forward", "4-D input reshaped to rows")
def affine_forward_4d(student, rng, reference, settings):
    return check_forward(student, reference, settings, "affine_forward",
                         affine_inputs(rng, (3, 2, 4, 5), 7), ("x", "w", "b"))


@test("affine_forward", "N=1, odd sizes")
def affine_forward_single(student, rng, reference, settings):
    return check_forward(student, reference, settings, "affine_forward",
                         affine_inputs(rng, (1, 3, 3), 5, scale=10.0), ("x", "w", "b"))


@test("affine_backward", "2-D input")
def affine_backward_2d(student, rng, reference, settings):
    return check_backward(student, rng, reference, settings, forward="affine_forward",
                          backward="affine_backward", args=affine_inputs(rng, (5, 6), 4),
                          names=("x", "w", "b"), wrt={"dx": 0, "dw": 1, "db": 2})


@test("affine_backward", "3-D input, dx keeps the input shape")
def affine_backward_3d(student, rng, reference, settings):
    return check_backward(student, rng, reference, settings, forward="affine_forward",
                          backward="affine_backward", args=affine_inputs(rng, (3, 2, 3), 5),
                          names=("x", "w", "b"), wrt={"dx": 0, "dw": 1, "db": 2})


def relu_input(rng, shape):
    """Values kept away from the kink at 0, so numerical gradients are exact."""
    return rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


@test("relu_forward", "mixed signs, 3-D input")
def relu_forward_mixed(student, rng, reference, settings):
    return check_forward(student, reference, settings, "relu_forward",
                         [relu_input(rng, (4, 3, 5))], ("x",))


@test("relu_forward", "all-negative input")
def relu_forward_negative(student, rng, reference, settings):
    return check_forward(student, reference, settings, "relu_forward",
                         [-rng.uniform(0.1, 3.0, (7, 3))], ("x",))


@test("relu_backward", "mixed signs")
def relu_backward_mixed(student, rng, reference, settings):
    return check_backward(student, rng, reference, settings, forward="relu_forward",
                          backward="relu_backward", args=[relu_input(rng, (6, 5))], names=("x",),
                          wrt={"dx": 0})


@test("relu_backward", "4-D input")
def relu_backward_4d(student, rng, reference, settings):
    return check_backward(student, rng, reference, settings, forward="relu_forward",
                          backward="relu_backward", args=[relu_input(rng, (2, 3, 2, 4))],
                          names=("x",), wrt={"dx": 0})


def check_softmax(student, rng, reference, settings, x, y):
    """loss and dx against the reference; if they differ, dx against the numerical
    gradient of the student's own loss."""
    header = "Compared the loss and dx of your softmax_loss with the reference on %s." % (
        describe_inputs(x=x, y=y))
    reply = call(student, settings, "softmax_loss", [x, y], header=header)
    (loss, dx), _ = reference_call(reference.layers.softmax_loss, [x, y])
    result = reply.result["result"]
    got = tuple(result) if isinstance(result, (tuple, list)) and len(result) == 2 else (result, None)
    checks = [compare("loss", got[0], loss, settings.tolerance),
              compare("dx", got[1], dx, settings.tolerance)]
    if checks[1].ok or any(check.verdict is Verdict.NONE for check in checks):
        result = outcome(header, checks)
    else:
        result = diagnose(student, settings, header, checks, got[1:], got[0], loss, "softmax_loss",
                          [x, y], {"dx": 0}, 1.0, "layers", labels=("loss", "dx"))
    return with_diagnosis(result, "softmax_loss", {"x": x, "y": y},
                          {"loss": got[0], "dx": got[1]}, {"loss": loss, "dx": dx}, settings.tolerance)


@test("softmax_loss", "small logits")
def softmax_small(student, rng, reference, settings):
    N, C = 6, 4
    return check_softmax(student, rng, reference, settings, rng.normal(0, 1e-3, (N, C)),
                         rng.integers(0, C, N))


@test("softmax_loss", "large logits (numerical stability)")
def softmax_large(student, rng, reference, settings):
    N, C = 5, 7
    return check_softmax(student, rng, reference, settings, rng.normal(0, 1, (N, C)) * 1000 + 500,
                         rng.integers(0, C, N))


@test("softmax_loss", "N=1")
def softmax_single(student, rng, reference, settings):
    return check_softmax(student, rng, reference, settings, rng.normal(0, 2, (1, 5)),
                         rng.integers(0, 5, 1))
