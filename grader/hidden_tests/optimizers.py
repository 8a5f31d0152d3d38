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


def variant_steps(rule, w, dws, config, reference_steps_) -> dict:
    """{variant key: [(next_w, config)]} of the standard formulas the test also accepts (and of
    known contract differences), computed here; hyperparameters are those the reference's
    config holds after its first step (its defaults filled in)."""
    hyper, start = reference_steps_[0][1], copy.deepcopy(config or {})
    lr = hyper["learning_rate"]
    if rule == "sgd_momentum":     # the same steps, the velocity kept another way
        return {"velocity_positive": [(nw, {**c, "velocity": -c["velocity"]})
                                      for nw, c in reference_steps_],
                "velocity_without_rate": [(nw, {**c, "velocity": -c["velocity"] / lr})
                                          for nw, c in reference_steps_]}
    if rule == "rmsprop":
        decay, eps = hyper["decay_rate"], hyper["epsilon"]
        cache, steps = start.get("cache", np.zeros_like(w)), []
        for dw in dws:
            cache = decay * cache + (1 - decay) * dw ** 2
            w = w - lr * dw / np.sqrt(cache + eps)
            steps.append((w, {**hyper, "cache": cache}))
        return {"eps_inside_sqrt": steps}
    b1, b2, eps = hyper["beta1"], hyper["beta2"], hyper["epsilon"]

    def adam(form, t0, after_use=False):
        m, v, t = start.get("m", np.zeros_like(w)), start.get("v", np.zeros_like(w)), t0
        x, steps = w, []
        for dw in dws:
            t += 0 if after_use else 1
            m, v = b1 * m + (1 - b1) * dw, b2 * v + (1 - b2) * dw ** 2
            if form == "folded":
                x = x - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
            elif form == "inside":
                x = x - lr * (m / (1 - b1 ** t)) / np.sqrt(v / (1 - b2 ** t) + eps)
            else:
                x = x - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
            steps.append((x, {**hyper, "m": m, "v": v, "t": t + 1 if after_use else t}))
            t += 1 if after_use else 0
        return steps

    variants = {"adam_eps_inside_sqrt": adam("inside", start.get("t", 0)),
                "adam_folded_correction": adam("folded", start.get("t", 0))}
    if "t" not in start:
        # The 2017 starter's default t = 1, used and then incremented: the same steps, with
        # config['t'] one ahead (accepted); incremented first, every step is off (a contract).
        variants["adam_t_after_use"] = adam("reference", 1, after_use=True)
        variants[CONTRACT_T_FROM_1] = adam("reference", 1)
    else:
        variants[CONTRACT_T_AFTER_USE] = adam("reference", start["t"], after_use=True)
    return variants


# Contract differences: reported in one sentence, not accepted (grader/report/prose.py).
CONTRACT_T_FROM_1 = "adam_t_from_1"
CONTRACT_T_AFTER_USE = "adam_t_after_use_resumed"
CONTRACTS = (CONTRACT_T_FROM_1, CONTRACT_T_AFTER_USE)


def trajectory_checks(rule, mine, expected_steps, tolerance) -> list:
    """next_w of every step, then the state keys after the last step, against one trajectory."""
    checks = [compare("next_w (step %d)" % (i + 1), step["next_w"], expected[0], tolerance)
              for i, (step, expected) in enumerate(zip(mine, expected_steps))]
    final, expected = mine[-1]["config"], expected_steps[-1][1]
    if not isinstance(final, dict):
        return checks + [failed_check("config", "a %s after the last step, expected a dict"
                                      % type(final).__name__)]
    for key in STATE_KEYS[rule]:
        name = "config[%r] after step %d" % (key, len(mine))
        if key not in final:
            checks.append(failed_check(name, "missing"))
        elif key == "t":
            checks.append(check_exact(name, final[key], expected[key]))
        else:
            checks.append(compare(name, final[key], expected[key], tolerance))
    return checks


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
    not_arrays = [i for i, step in enumerate(mine)
                  if step["next_w"] is not None and not isinstance(step["next_w"], np.ndarray)]
    if not_arrays or len(mine) < steps:
        # A list (next_w.tolist()) stops the run: the steps after it were never checked.
        checks = [compare("next_w (step %d)" % (i + 1), step["next_w"], expected[0], tolerance)
                  for i, (step, expected) in enumerate(zip(mine, theirs))]
        for i in not_arrays:
            checks[i] = failed_check("next_w (step %d)" % (i + 1), "a %s, expected a NumPy array "
                                     "(steps after it cannot be run)" % type(mine[i]["next_w"]).__name__)
        if len(mine) < steps and not_arrays:     # (a None says it all: still the stub)
            checks.append(failed_check("steps %d to %d" % (len(mine) + 1, steps), "not run"))
        return outcome(header, checks)
    checks = trajectory_checks(rule, mine, theirs, tolerance)
    if all(check.ok for check in checks):
        return outcome(header, checks)
    contract = {}
    for key, trajectory in variant_steps(rule, w, dws, config, theirs).items():
        other = trajectory_checks(rule, mine, trajectory, tolerance)
        if not all(check.ok for check in other):
            continue
        if key in CONTRACTS:
            contract = {"contract": key}
            break
        for check in other:
            check.variant = key
        return outcome(header, other, variant=key)
    final, expected = mine[-1]["config"], theirs[-1][1]
    final = final if isinstance(final, dict) else {}
    got = {"next_w": mine[-1]["next_w"], **{key: final.get(key) for key in STATE_KEYS[rule]}}
    wanted = {"next_w": theirs[-1][0], **{key: expected[key] for key in STATE_KEYS[rule]}}
    return with_diagnosis(outcome(header, checks, **contract), rule,
                          {"w": w, "dws": dws, "config": config}, got, wanted, tolerance)


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
