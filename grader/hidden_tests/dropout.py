"""Hidden tests of inverted dropout, checked by its properties: the random draws are the
student's own, so there is no reference output to compare with."""
import numpy as np

from grader.hidden_tests.checks import (
    as_array, compare, describe_inputs, failed_check, outcome, passed_check, shape_text,
    with_diagnosis)
from grader.hidden_tests.dependencies import on_built_cache, relies_on
from grader.hidden_tests.harness import StudentCallFailed, call, forward_backward, hidden_test
from grader.results import Outcome

test = hidden_test

SIGMAS = 5.0    # binomial tolerance of the keep rate, in standard deviations



def nonzero_input(rng, shape):
    """Inputs with no zeros, so a unit was kept exactly where the output is non-zero."""
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def run_forwards(student, settings, header, calls):
    """(outputs of dropout_forward as float arrays, one per (x, dropout_param), None), or
    (None, a failing Outcome) as soon as one call does not give an array of x's shape."""
    outputs = []
    for x, dropout_param in calls:
        reply = call(student, settings, "dropout_forward", [x, dropout_param], pick=0, header=header)
        usable = compare("out", reply.result["result"], np.zeros(x.shape), np.inf)
        if not usable.ok:
            return None, outcome(header, [usable])
        outputs.append(as_array(reply.result["result"])[0].reshape(x.shape))   # (axes of 1)
    return outputs, None


@test("dropout_forward", "train mode keeps each unit with probability p")
def keep_rate(student, rng, reference, settings):
    x = nonzero_input(rng, (400, 500))
    ps = (0.3, 0.85)
    header = "Ran your dropout_forward in train mode on x %s with p = %s; counted the kept units." % (
        shape_text(x.shape), " and ".join(map(str, ps)))
    outputs, failure = run_forwards(student, settings, header,
                                    [(x, {"mode": "train", "p": p}) for p in ps])
    if failure:
        return failure
    checks, dropping, failing = [], True, None
    for p, out in zip(ps, outputs):
        rate = float(np.mean(out != 0))
        margin = SIGMAS * np.sqrt(p * (1 - p) / x.size)
        text = "kept %.2f%% of the units, expected %.0f%% ± %.2f%%" % (100 * rate, 100 * p, 100 * margin)
        checks.append((passed_check if abs(rate - p) <= margin else failed_check)(
            "p=%g" % p, text))
        dropping = dropping and abs(rate - (1 - p)) <= margin
        if failing is None and not checks[-1].ok:
            failing = (p, out)
    result = with_contract(outcome(header, checks), dropping)
    if failing is None:
        return result
    return train_mode_diagnosis(result, x, failing[0], failing[1], settings)


def train_mode_diagnosis(result, x, p, out, settings):
    """The diagnosis of a train-mode call (grader/feedback/diagnose.py): the draws are the
    student's, so there is no expected output; the mistakes are told by their properties."""
    return with_diagnosis(result, "dropout_forward", {"x": x, "dropout_param": {"mode": "train", "p": p}},
                          {"out": out}, {}, settings.tolerance)


def with_contract(result, p_drops: bool):
    """A failure explained by p read as the probability of dropping a unit (the 2016-2017
    starters' contract) says so (grader/report/prose.py: CONTRACTS)."""
    if not result.passed and p_drops:
        result.data.update(contract=DROP_PROBABILITY, contract_function="dropout_forward")
    return result


DROP_PROBABILITY = "dropout_drop_probability"


@test("dropout_forward", "train mode scales kept units by 1/p, 3-D input")
def scaling(student, rng, reference, settings):
    x, p = nonzero_input(rng, (10, 20, 30)), 0.6
    header = "Ran your dropout_forward in train mode on %s, p = %g." % (describe_inputs(x=x), p)
    outputs, failure = run_forwards(student, settings, header, [(x, {"mode": "train", "p": p})])
    if failure:
        return failure
    kept = outputs[0] != 0
    checks = [compare("kept units (out where out != 0)", outputs[0][kept], x[kept] / p,
                      settings.tolerance)]
    if not kept.any():
        checks.append(failed_check("kept units", "none: every output is 0"))
    p_drops = kept.any() and compare("", outputs[0][kept], x[kept] / (1 - p), settings.tolerance).ok
    result = with_contract(outcome(header, checks), p_drops)
    return train_mode_diagnosis(result, x, p, outputs[0], settings)


@test("dropout_forward", "test mode is the identity")
def test_mode(student, rng, reference, settings):
    x, p = nonzero_input(rng, (3, 4, 5, 2)), 0.4
    header = "Ran your dropout_forward in test mode on %s, p = %g." % (describe_inputs(x=x), p)
    reply = call(student, settings, "dropout_forward", [x, {"mode": "test", "p": p}], pick=0,
                 header=header)
    result = outcome(header, [compare("out", reply.result["result"], x, settings.tolerance)])
    return with_diagnosis(result, "dropout_forward", {"x": x, "dropout_param": {"mode": "test", "p": p}},
                          {"out": reply.result["result"]}, {"out": x}, settings.tolerance)


@test("dropout_forward", "the same seed gives the same mask, another seed another one")
def seeded(student, rng, reference, settings):
    x, p = nonzero_input(rng, (30, 40)), 0.5
    seeds = [int(s) for s in rng.integers(0, 2**31, 2)]
    header = "Ran your dropout_forward in train mode on %s, p = %g, with seeds %d, %d, %d." % (
        describe_inputs(x=x), p, seeds[0], seeds[0], seeds[1])
    outputs, failure = run_forwards(student, settings, header, [
        (x, {"mode": "train", "p": p, "seed": seed}) for seed in (seeds[0], seeds[0], seeds[1])])
    if failure:
        return failure
    masks = [out != 0 for out in outputs]
    same, different = np.array_equal(masks[0], masks[1]), not np.array_equal(masks[0], masks[2])
    checks = [(passed_check if same else failed_check)(
                  "same seed twice", "same mask" if same else "different masks"),
              (passed_check if different else failed_check)(
                  "another seed", "another mask" if different else "the same mask")]
    return outcome(header, checks)


def check_backward_mask(student, rng, settings, shape, dropout_param):
    x, dout = nonzero_input(rng, shape), rng.normal(0, 1, shape)
    p = dropout_param["p"]
    header = ("Ran your dropout_forward then your dropout_backward on %s with dropout_param %s; "
              "dx must use the mask of that forward pass, scaled as the forward scaled it." % (
                  describe_inputs(x=x, dout=dout), dropout_param))
    try:
        reply = forward_backward(student, settings, "dropout_forward", "dropout_backward",
                                 [x, dropout_param], dout, header=header)
    except StudentCallFailed as failure:    # the forward raised: the backward on a drawn mask
        mask = (rng.random(shape) < p) / p
        judged = on_built_cache(student, settings, failure, "dropout_forward", "dropout_backward",
                                [x, dropout_param], dout, (dout * mask,), ("dx",),
                                cache=("(dropout_param, mask)", (dict(dropout_param), mask)))
        if judged is None:
            raise
        return judged
    out, dx = reply.result["forward"], reply.result["backward"]
    forward_check = compare("out of your dropout_forward", out, np.zeros(shape), np.inf)
    if not forward_check.ok:
        return outcome(header, [forward_check], notes=[
            "Implement dropout_forward first: dropout_backward is checked against the mask of "
            "your forward pass."])
    out = as_array(out)[0].reshape(shape)
    kept = out != 0
    expected = dout * kept / p
    result = outcome(header, [compare("dx", dx, expected, settings.tolerance)])
    if not result.passed and result.outcome is Outcome.FAILED:
        result = judged_by_own_forward(result, x, out, dx, dout, p, settings)
    # (a backward consistent with a wrong forward is not diagnosed: with_diagnosis skips it)
    return with_diagnosis(result, "dropout_backward",
                          {"x": x, "dropout_param": dict(dropout_param), "dout": dout, "out": out},
                          {"dx": dx}, {"dx": expected}, settings.tolerance)


def judged_by_own_forward(result, x, out, dx, dout, p, settings):
    # Dropout is linear in x, so the gradient of the student's own forward is out / x (x has
    # no zeros): a backward right for a forward that scales wrongly relies on that forward.
    kept = out != 0
    local = out / x
    forward_scales_right = compare("", local[kept], np.full(int(kept.sum()), 1 / p),
                                   settings.tolerance).ok
    if forward_scales_right:
        return result
    p_drops = kept.any() and compare("", local[kept], np.full(int(kept.sum()), 1 / (1 - p)),
                                     settings.tolerance).ok
    result = relies_on(result, [compare("dx", dx, dout * local, settings.tolerance)],
                       ["dropout_forward"], "gradient")
    return with_contract(result, p_drops)


@test("dropout_backward", "train mode reuses the forward's mask")
def backward_mask(student, rng, reference, settings):
    return check_backward_mask(student, rng, settings, (60, 70), {"mode": "train", "p": 0.35})


@test("dropout_backward", "train mode with a seed, 3-D input")
def backward_seeded(student, rng, reference, settings):
    return check_backward_mask(student, rng, settings, (4, 5, 6),
                               {"mode": "train", "p": 0.8, "seed": int(rng.integers(0, 2**31))})
