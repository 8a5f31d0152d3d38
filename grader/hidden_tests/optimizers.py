"""Hidden tests of the update rules sgd_momentum, rmsprop and adam over several steps."""
import copy
import numpy as np

from grader.hidden_tests.checks import (
    check_exact, compare, describe_value, failed_check, outcome, shape_text, with_diagnosis)
from grader.hidden_tests.harness import ask, global_rng_kept, hidden_test

test = hidden_test

STATE_KEYS = {"sgd_momentum": ("velocity",), "rmsprop": ("cache",), "adam": ("m", "v", "t")}


def reference_steps(reference, rule, w, dws, config):
    """[(next_w, config)] of the reference rule, run exactly as the child runs the student's."""
    function, config, steps = getattr(reference.optim, rule), copy.deepcopy(config), []
    with global_rng_kept():
        for dw in dws:
            w, config = function(np.array(w, copy=True), np.array(dw, copy=True), config)
            steps.append((np.array(w, copy=True), copy.deepcopy(config)))
    return steps


def check_rule(student, rng, reference, settings, rule, shape, config, steps=5):
    w = rng.normal(0, 1, shape)
    dws = [rng.normal(0, 1, shape) for _ in range(steps)]
    header = ("Ran your %s for %d steps on w %s (a new dw each step), starting from config %s and "
              "passing each step the config the previous one returned." % (
                  rule, steps, shape_text(shape), "None (the defaults)" if config is None else describe_value(config)))
    reply = ask(student, settings, {"op": "optimizer", "rule": rule, "w": w, "dws": dws,
                                    "config": config}, function=rule, header=header)
    mine, theirs = reply.result["steps"], reference_steps(reference, rule, w, dws, config)
    tolerance = settings.tolerance
    checks = [compare("next_w (step %d)" % (i + 1), step["next_w"], expected[0], tolerance)
              for i, (step, expected) in enumerate(zip(mine, theirs))]
    if len(mine) < steps:
        return outcome(header, checks, rule)
    final, expected = mine[-1]["config"], theirs[-1][1]
    if not isinstance(final, dict):
        return outcome(header, checks + [failed_check("config", "a %s after the last step, expected a dict"
                                                      % type(final).__name__)], rule)
    for key in STATE_KEYS[rule]:
        name = "config[%r] after step %d" % (key, steps)
        if key not in final:
            checks.append(failed_check(name, "missing"))
        elif key == "t":
            checks.append(check_exact(name, final[key], expected[key]))
        else:
            checks.append(compare(name, final[key], expected[key], tolerance))
    got = {"next_w": mine[-1]["next_w"], **{key: final.get(key) for key in STATE_KEYS[rule]}}
    wanted = {"next_w": theirs[-1][0], **{key: expected[key] for key in STATE_KEYS[rule]}}
    return with_diagnosis(outcome(header, checks, rule), rule, {"w": w, "dws": dws, "config": config},
                          got, wanted, tolerance)


@test("sgd_momentum", "5 steps with the default config")
def momentum_defaults(student, rng, reference, settings):
    return check_rule(student, rng, reference, settings, "sgd_momentum", (5, 6), None)


@test("sgd_momentum", "custom learning_rate and momentum, 3-D weights")
def momentum_custom(student, rng, reference, settings):
    return check_rule(student, rng, reference, settings, "sgd_momentum", (2, 3, 4),
                      {"learning_rate": 0.1, "momentum": 0.5})


@test("rmsprop", "5 steps with the default config")
def rmsprop_defaults(student, rng, reference, settings):
    return check_rule(student, rng, reference, settings, "rmsprop", (4, 7), None)


@test("rmsprop", "custom learning_rate and decay_rate")
def rmsprop_custom(student, rng, reference, settings):
    return check_rule(student, rng, reference, settings, "rmsprop", (9,),
                      {"learning_rate": 0.05, "decay_rate": 0.9})


@test("adam", "5 steps with the default config")
def adam_defaults(student, rng, reference, settings):
    return check_rule(student, rng, reference, settings, "adam", (6, 5), None)


@test("adam", "custom betas, resuming at t=5 with given moments")
def adam_resume(student, rng, reference, settings):
    shape = (3, 4)
    config = {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.95, "t": 5,
              "m": rng.normal(0, 0.5, shape), "v": rng.uniform(0.1, 1.0, shape)}
    return check_rule(student, rng, reference, settings, "adam", shape, config, steps=3)
