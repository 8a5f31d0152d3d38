"""Hidden tests of batch, layer, spatial batch and spatial group normalization."""
import re

import numpy as np

from grader.hidden_tests import dependencies
from grader.hidden_tests.checks import (
    compare, describe_inputs, describe_value, failed_check, outcome, passed_check, shape_text,
    with_diagnosis)
from grader.hidden_tests.harness import (
    StudentCallFailed, call, check_backward, check_forward, compare_key, reference_call, hidden_test)

test = hidden_test



def affine_params(rng, D):
    return rng.normal(1.0, 0.5, D), rng.normal(0.0, 1.0, D)


# --------------------------------------------------------------------------- batchnorm_forward


def bn_forward(student, rng, reference, settings, x, bn_param):
    gamma, beta = affine_params(rng, x.shape[1])
    return check_forward(student, reference, settings, "batchnorm_forward",
                         [x, gamma, beta, bn_param], ("x", "gamma", "beta", "bn_param"),
                         written_back={3: ["running_mean", "running_var"]})


@test("batchnorm_forward", "train mode, shifted and scaled input")
def bn_forward_train(student, rng, reference, settings):
    return bn_forward(student, rng, reference, settings, rng.normal(5, 3, (8, 5)), {"mode": "train"})


@test("batchnorm_forward", "train mode, tiny-variance input")
def bn_forward_tiny(student, rng, reference, settings):
    return bn_forward(student, rng, reference, settings, rng.normal(2, 1e-3, (6, 4)),
                      {"mode": "train"})


@test("batchnorm_forward", "train mode, N=1")
def bn_forward_single(student, rng, reference, settings):
    return bn_forward(student, rng, reference, settings, rng.normal(0, 2, (1, 6)), {"mode": "train"})


def running_average_steps(student, rng, reference, settings, function, shape, bn_param, steps):
    """`steps` train-mode calls, each side carrying its own bn_param from call to call, then
    one test-mode call that must use the running averages. A failing spatial batch norm is
    then replayed with the student's own batchnorm_forward."""
    header = ("Ran your %s for %d train-mode steps (a new x %s each step) starting from bn_param "
              "%s and carrying bn_param from step to step, then once in test mode." % (
                  function, steps, shape_text(shape), describe_value(bn_param)))
    reference_function = getattr(reference.layers, function)
    mine, theirs, checks = dict(bn_param), dict(bn_param), []
    inputs, mine_outputs, expected_outputs, mine_after = [], [], [], None
    for step in range(1, steps + 2):
        testing = step > steps
        if testing:
            checks += [compare_key("bn_param", mine, key, theirs[key], settings)
                       for key in ("running_mean", "running_var")]
            if not isinstance(mine, dict):
                break
            mine_after = mine
            mine, theirs = {**mine, "mode": "test"}, {**theirs, "mode": "test"}
        x = channel_input(rng, shape, rng.uniform(0.5, 2, shape[1]))
        gamma, beta = affine_params(rng, shape[1])
        label = "test mode" if testing else "train step %d" % step
        reply = call(student, settings, function, [x, gamma, beta, mine], pick=0,
                     header="%s At %s:" % (header, label))
        (expected, _), ref_args = reference_call(reference_function, [x, gamma, beta, theirs])
        checks.append(compare("out (%s)" % label, reply.result["result"], expected,
                              settings.tolerance))
        inputs.append((x, gamma, beta, testing))
        mine_outputs.append(reply.result["result"])
        expected_outputs.append(expected)
        mine, theirs = reply.result["args_after"][3], ref_args[3]
    result = outcome(header, checks)
    if function == "spatial_batchnorm_forward" and len(inputs) == steps + 1:
        result = dependencies.spatial_running_steps(student, settings, result, inputs, bn_param,
                                                    mine_outputs, expected_outputs, mine_after)
    return with_diagnosis(result, function, *running_evidence(
        bn_param, inputs, mine_outputs, expected_outputs, mine, theirs), settings.tolerance)


def running_evidence(bn_param, inputs, mine_outputs, expected_outputs, mine, theirs):
    """The diagnosis's view of the calls made (grader/feedback/diagnose.py: a sequence of batch
    norm calls): (inputs, got, expected), each side's running values as its last call left
    them in its bn_param."""
    steps = [{"x": x, "gamma": gamma, "beta": beta, "mode": "test" if testing else "train"}
             for x, gamma, beta, testing in inputs]
    def outputs(outs, param):
        param = param if isinstance(param, dict) else {}
        return {"out": outs[-1], "earlier_outs": list(outs[:-1]),
                **{key: param.get(key) for key in ("running_mean", "running_var")}}
    return ({"bn_param": dict(bn_param), "steps": steps}, outputs(mine_outputs, mine),
            outputs(expected_outputs, theirs))


@test("batchnorm_forward", "running averages over 4 train steps, custom eps and momentum, then test mode")
def bn_forward_running(student, rng, reference, settings):
    return running_average_steps(student, rng, reference, settings, "batchnorm_forward", (7, 4),
                                 {"mode": "train", "momentum": 0.7, "eps": 1e-3}, 4)


@test("batchnorm_forward", "test mode uses the running averages; an unknown mode raises ValueError")
def bn_forward_test_mode(student, rng, reference, settings):
    N, D = 5, 6
    x = rng.normal(1, 2, (N, D))
    gamma, beta = affine_params(rng, D)
    bn_param = {"mode": "test", "running_mean": rng.normal(1, 0.5, D),
                "running_var": rng.uniform(0.5, 4, D)}
    args = [x, gamma, beta, bn_param]
    header = ("Compared the output of your batchnorm_forward with the reference on %s, then called "
              "it with mode 'eval'." % describe_inputs(x=x, gamma=gamma, beta=beta, bn_param=bn_param))
    reply = call(student, settings, "batchnorm_forward", args, pick=0, header=header)
    (expected, _), _ = reference_call(reference.layers.batchnorm_forward, args)
    checks = [compare("out", reply.result["result"], expected, settings.tolerance)]
    got = {"out": reply.result["result"]}
    reply = call(student, settings, "batchnorm_forward", [x, gamma, beta, {**bn_param, "mode": "eval"}],
                 pick=0, raw=True)
    if reply.status == "raised" and reply.error.get("type") == "ValueError":
        checks.append(passed_check("mode 'eval'", "raised ValueError"))
    elif reply.status == "raised":
        checks.append(failed_check("mode 'eval'", "raised %s, expected ValueError" % reply.error.get("type")))
    elif reply.ok:
        checks.append(failed_check("mode 'eval'", "returned normally, expected a ValueError"))
    else:
        raise StudentCallFailed("batchnorm_forward", reply, header)
    return with_diagnosis(outcome(header, checks), "batchnorm_forward",
                          dict(zip(("x", "gamma", "beta", "bn_param"), args)), got,
                          {"out": expected}, settings.tolerance)


# --------------------------------------------------------------------------- batchnorm backward


def bn_backward(student, rng, reference, settings, backward, x, gamma_scale=0.5):
    D = x.shape[1]
    gamma, beta = rng.normal(1.0, gamma_scale, D), rng.normal(0, 1, D)
    return check_backward(student, rng, reference, settings, forward="batchnorm_forward",
                          backward=backward, args=[x, gamma, beta, {"mode": "train"}],
                          names=("x", "gamma", "beta", "bn_param"),
                          wrt={"dx": 0, "dgamma": 1, "dbeta": 2},
                          own=dependencies.normalization_backward("batchnorm_forward", 0))


def bn_backward_test(backward, what, shape, mean, std, gamma_scale=0.5):
    @test(backward, what)
    def run(student, rng, reference, settings):
        return bn_backward(student, rng, reference, settings, backward,
                           rng.normal(mean, std, shape), gamma_scale)
    return run


BN_BACKWARD_TESTS = tuple(
    test for backward in ("batchnorm_backward", "batchnorm_backward_alt") for test in (
        bn_backward_test(backward, "small batch (N=4, D=5)", (4, 5), 1.0, 2.0),
        bn_backward_test(backward, "tiny-variance input", (5, 4), -2.0, 1e-3),
        bn_backward_test(backward, "odd sizes (N=7, D=3), large gamma", (7, 3), 0.0, 1.0, 4.0)))


# --------------------------------------------------------------------------- layer norm


def ln_forward(student, rng, reference, settings, x, ln_param):
    gamma, beta = affine_params(rng, x.shape[1])
    return check_forward(student, reference, settings, "layernorm_forward", [x, gamma, beta, ln_param],
                         ("x", "gamma", "beta", "ln_param"))


def rows_with_scales(rng, N, D, scale_low, scale_high):
    return rng.normal(rng.uniform(-3, 3, (N, 1)), rng.uniform(scale_low, scale_high, (N, 1)), (N, D))


@test("layernorm_forward", "rows with different means and scales")
def ln_forward_rows(student, rng, reference, settings):
    return ln_forward(student, rng, reference, settings, rows_with_scales(rng, 4, 6, 0.5, 5), {})


@test("layernorm_forward", "tiny-variance rows")
def ln_forward_tiny(student, rng, reference, settings):
    return ln_forward(student, rng, reference, settings, rows_with_scales(rng, 5, 4, 5e-4, 2e-3), {})


@test("layernorm_forward", "N=1, odd D, eps=1e-3 from ln_param")
def ln_forward_single(student, rng, reference, settings):
    return ln_forward(student, rng, reference, settings, rng.normal(0, 0.05, (1, 7)), {"eps": 1e-3})


def ln_backward(student, rng, reference, settings, x):
    gamma, beta = affine_params(rng, x.shape[1])
    return check_backward(student, rng, reference, settings, forward="layernorm_forward",
                          backward="layernorm_backward", args=[x, gamma, beta, {}],
                          names=("x", "gamma", "beta", "ln_param"),
                          wrt={"dx": 0, "dgamma": 1, "dbeta": 2},
                          own=dependencies.normalization_backward("layernorm_forward", 1))


@test("layernorm_backward", "rows with different means and scales")
def ln_backward_rows(student, rng, reference, settings):
    return ln_backward(student, rng, reference, settings, rows_with_scales(rng, 4, 5, 0.5, 3))


@test("layernorm_backward", "tiny-variance rows, odd sizes")
def ln_backward_tiny(student, rng, reference, settings):
    return ln_backward(student, rng, reference, settings, rows_with_scales(rng, 3, 7, 5e-4, 2e-3))


# --------------------------------------------------------------------------- spatial batch norm


def channel_input(rng, shape, scale=1.0):
    """x of `shape` (N, C, ...) with a random centre per channel and `scale` (a number or one
    per channel) around it."""
    C = shape[1]
    per_channel = (1, C) + (1,) * (len(shape) - 2)
    centre = rng.uniform(-2, 2, C).reshape(per_channel)
    scale = np.reshape(scale, per_channel) if np.ndim(scale) else scale
    return centre + scale * rng.normal(0, 1, shape)


FOUR_D_ONLY = re.compile(r"values to unpack|axes don't match|axes don.t match array")


def four_d_contract(x, run):
    """run() -> TestResult; code written for (N, C, H, W) only that fails on other ranks
    (unpacking four sizes, transposing four axes) is told so (prose.py: CONTRACTS)."""
    try:
        return run()
    except StudentCallFailed as failure:
        result = failure.result()
        said = "%s %s" % (failure.reply.message, (failure.reply.error or {}).get("message", ""))
        if x.ndim != 4 and FOUR_D_ONLY.search(said):
            result.data["contract"] = "spatial_4d_only"
        return result


def sbn_forward(student, rng, reference, settings, x):
    gamma, beta = affine_params(rng, x.shape[1])
    return four_d_contract(x, lambda: check_forward(student, reference, settings, "spatial_batchnorm_forward",
                         [x, gamma, beta, {"mode": "train"}], ("x", "gamma", "beta", "bn_param"),
                         written_back={3: ["running_mean", "running_var"]},
                         own=dependencies.spatial_forward))


@test("spatial_batchnorm_forward", "(N, C, H, W) maps, train mode")
def sbn_forward_2d(student, rng, reference, settings):
    return sbn_forward(student, rng, reference, settings, channel_input(rng, (2, 3, 4, 5), 2.0))


@test("spatial_batchnorm_forward", "(N, C, L) 1-D maps")
def sbn_forward_1d(student, rng, reference, settings):
    return sbn_forward(student, rng, reference, settings, channel_input(rng, (4, 3, 7)))


@test("spatial_batchnorm_forward", "(N, C, D, H, W) 3-D maps (5-D input), tiny variance")
def sbn_forward_3d(student, rng, reference, settings):
    return sbn_forward(student, rng, reference, settings, channel_input(rng, (2, 3, 2, 3, 4), 1e-3))


@test("spatial_batchnorm_forward", "test mode after 2 train steps (running averages)")
def sbn_forward_test_mode(student, rng, reference, settings):
    return running_average_steps(student, rng, reference, settings, "spatial_batchnorm_forward",
                                 (3, 4, 2, 3), {"mode": "train", "momentum": 0.6}, 2)


def sbn_backward(student, rng, reference, settings, x):
    gamma, beta = affine_params(rng, x.shape[1])
    return four_d_contract(x, lambda: check_backward(student, rng, reference, settings, forward="spatial_batchnorm_forward",
                          backward="spatial_batchnorm_backward",
                          args=[x, gamma, beta, {"mode": "train"}],
                          names=("x", "gamma", "beta", "bn_param"),
                          wrt={"dx": 0, "dgamma": 1, "dbeta": 2},
                          own=dependencies.spatial_backward))


@test("spatial_batchnorm_backward", "(N, C, L) 1-D maps")
def sbn_backward_1d(student, rng, reference, settings):
    return sbn_backward(student, rng, reference, settings, channel_input(rng, (3, 2, 5)))


@test("spatial_batchnorm_backward", "(N, C, H, W) maps")
def sbn_backward_2d(student, rng, reference, settings):
    return sbn_backward(student, rng, reference, settings, channel_input(rng, (2, 3, 3, 2), 2.0))


@test("spatial_batchnorm_backward", "(N, C, D, H, W) 3-D maps (5-D input)")
def sbn_backward_3d(student, rng, reference, settings):
    return sbn_backward(student, rng, reference, settings, channel_input(rng, (2, 2, 2, 3, 2)))


# --------------------------------------------------------------------------- spatial group norm


def gn_args(rng, shape, G, scale=1.0):
    C = shape[1]
    gamma = rng.normal(1.0, 0.5, (1, C, 1, 1))
    beta = rng.normal(0.0, 1.0, (1, C, 1, 1))
    return [channel_input(rng, shape, scale), gamma, beta, G, {}]


GN_NAMES = ("x", "gamma", "beta", "G", "gn_param")


@test("spatial_groupnorm_forward", "G=2 groups of 3 channels")
def gn_forward_groups(student, rng, reference, settings):
    return check_forward(student, reference, settings, "spatial_groupnorm_forward",
                         gn_args(rng, (2, 6, 3, 4), 2, 2.0), GN_NAMES)


@test("spatial_groupnorm_forward", "G=1 (layer norm over C, H, W), tiny variance")
def gn_forward_one_group(student, rng, reference, settings):
    return check_forward(student, reference, settings, "spatial_groupnorm_forward",
                         gn_args(rng, (3, 4, 2, 3), 1, 1e-3), GN_NAMES)


@test("spatial_groupnorm_forward", "G=C (one channel per group), N=1")
def gn_forward_instance(student, rng, reference, settings):
    return check_forward(student, reference, settings, "spatial_groupnorm_forward",
                         gn_args(rng, (1, 4, 3, 5), 4), GN_NAMES)


def gn_backward(student, rng, reference, settings, args):
    return check_backward(student, rng, reference, settings, forward="spatial_groupnorm_forward",
                          backward="spatial_groupnorm_backward", args=args, names=GN_NAMES,
                          wrt={"dx": 0, "dgamma": 1, "dbeta": 2},
                          own=dependencies.groupnorm_backward())


@test("spatial_groupnorm_backward", "G=3 groups of 2 channels")
def gn_backward_groups(student, rng, reference, settings):
    return gn_backward(student, rng, reference, settings, gn_args(rng, (2, 6, 2, 3), 3))


@test("spatial_groupnorm_backward", "G=C (one channel per group)")
def gn_backward_instance(student, rng, reference, settings):
    return gn_backward(student, rng, reference, settings, gn_args(rng, (2, 3, 3, 2), 3, 0.5))
