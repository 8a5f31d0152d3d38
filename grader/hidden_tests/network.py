"""Hidden tests of FullyConnectedNet: parameters and initialization, then loss, gradients and
scores with the same parameters given to the student's model and the reference's."""
import contextvars
import copy
import dataclasses
import functools

import numpy as np

from grader.hidden_tests.checks import (
    as_array, compare, failed_check, fmt, norm_error, outcome, passed_check, shape_text,
    with_diagnosis)
from grader.hidden_tests import substitutes
from grader.hidden_tests.composition import compose
from grader.hidden_tests.dependencies import relies_on, worth_checking
from grader.hidden_tests.harness import (
    StudentCallFailed, ask, central_differences, compare_key, global_rng_kept, perturbed,
    hidden_test, step_size)
SIGMAS = 5.0          # statistical tolerance of the initial weights' mean and std
# What the child did for code written for an older CS231n starter, in the running test.
STARTER_ADAPTATIONS = contextvars.ContextVar("starter_adaptations")


def test(function, what):
    """hidden_test, plus: when the child built or ran the student's model the way an older
    CS231n starter's code needs (child/runner.py: starter_keywords, keeps_starter_mode_line),
    what it did goes into the result's data["starter_adaptations"], for the report to say."""
    def make(run):
        @functools.wraps(run)
        def noting_adaptations(student, rng, reference, settings):
            adapted, requests, replay_rng = [], [], copy.deepcopy(rng)
            token, noted = STARTER_ADAPTATIONS.set(adapted), substitutes.REQUESTS.set(requests)

            def attempt(rng):
                try:
                    return run(student, rng, reference, settings)
                except StudentCallFailed as failure:
                    return failure.result()
            try:
                result = attempt(rng)
                # A layer that raises or is wrong: the same test with it answered from a table.
                result = substitutes.with_layers_replaced(
                    result, lambda: attempt(replay_rng), student, reference, settings, requests)
            finally:
                substitutes.REQUESTS.reset(noted)
                STARTER_ADAPTATIONS.reset(token)
            if adapted:
                result.data["starter_adaptations"] = adapted
            return result
        return hidden_test(function, what)(noting_adaptations)
    return make



def make_init(input_dim=6, hidden_dims=(5, 4), num_classes=3, **options):
    return {"hidden_dims": list(hidden_dims), "input_dim": input_dim, "num_classes": num_classes,
            "dtype": "float64", **options}


def make_params(rng, init):
    """Parameters for both models: weights at a He-like scale so the ReLUs are not all dead."""
    dims = [init["input_dim"]] + init["hidden_dims"] + [init["num_classes"]]
    params = {}
    for i in range(len(dims) - 1):
        params["W%d" % (i + 1)] = rng.normal(0, np.sqrt(2 / dims[i]), (dims[i], dims[i + 1]))
        params["b%d" % (i + 1)] = rng.normal(0, 0.1, dims[i + 1])
        if init.get("normalization") and i < len(dims) - 2:
            params["gamma%d" % (i + 1)] = rng.normal(1, 0.2, dims[i + 1])
            params["beta%d" % (i + 1)] = rng.normal(0, 0.2, dims[i + 1])
    return params


def reference_model(reference, request):
    """The reference's answer to a "model" request, in the child's reply format."""
    init = copy.deepcopy(request["init"])
    dtype = np.dtype(init.get("dtype", "float32")).type
    init["dtype"] = dtype
    with global_rng_kept():
        model = reference.fc_net.FullyConnectedNet(**init)
        reply = {"init_params": copy.deepcopy(model.params), "runs": []}
        for run in request.get("runs", []):
            if run.get("params") is not None:
                model.params = {k: np.asarray(v).astype(dtype) for k, v in run["params"].items()}
            X = np.array(run["X"], copy=True)
            if run.get("y") is None:
                entry = {"scores": model.loss(X)}
            else:
                loss, grads = model.loss(X, np.array(run["y"], copy=True))
                entry = {"loss": loss, "grads": grads}
            if run.get("bn_params"):
                entry["bn_params"] = copy.deepcopy(model.bn_params)
            reply["runs"].append(entry)
    return reply


def ask_model(student, settings, request, header):
    reply = ask(student, settings, {"op": "model", **substitutes.prepared(request)}, raw=True)
    answer = reply.result if reply.ok and isinstance(reply.result, dict) else reply.error
    adapted = STARTER_ADAPTATIONS.get(None)
    for item in answer.pop("adapted", None) or []:
        if adapted is not None and item not in adapted:
            adapted.append(item)
    if not reply.ok:
        raise StudentCallFailed("FullyConnectedNet", reply, header)
    return reply


def header_for(init, runs):
    options = ", ".join("%s=%r" % (k, v) for k, v in init.items() if k != "dtype")
    shapes = ", ".join(shape_text(np.shape(run["X"])) for run in runs)
    return ("Built FullyConnectedNet(%s, dtype=np.float64), set the same parameters in your model "
            "and the reference's, and called loss() on X %s." % (options, shapes))


def compare_loss_and_grads(mine: dict, theirs: dict, settings, label=""):
    tolerance = settings.tolerance
    checks = [compare("loss" + label, mine.get("loss"), theirs["loss"], tolerance)]
    grads = mine.get("grads")
    if not isinstance(grads, dict):
        return checks + [failed_check("grads" + label, "a %s, expected a dict keyed like params"
                                      % type(grads).__name__)]
    if not grads:
        return checks + [failed_check("grads" + label, "empty — is loss() still the stub?")]
    for key, expected in theirs["grads"].items():
        name = "grads[%r]%s" % (key, label)
        checks.append(compare(name, grads[key], expected, tolerance) if key in grads
                      else failed_check(name, "missing"))
    return checks


def compare_bn_params(mine, theirs, settings):
    if not isinstance(mine, list) or len(mine) != len(theirs):
        return [failed_check("bn_params", "expected a list of %d dicts" % len(theirs))]
    return [compare_key("bn_params[%d]" % i, mine_i, key, theirs_i[key], settings)
            if key in theirs_i else missing_on_both("bn_params[%d]" % i, mine_i, key)
            for i, (mine_i, theirs_i) in enumerate(zip(mine, theirs))
            for key in ("running_mean", "running_var")]


def missing_on_both(owner, mine, key):
    """Against the student's own layers composed (which did not write `key` back either):
    right when the network's dict lacks it too."""
    name = "%s[%r]" % (owner, key)
    if isinstance(mine, dict) and key not in mine:
        return passed_check(name, "missing, as your batchnorm_forward leaves it")
    return failed_check(name, "present, though your batchnorm_forward does not write it")


def diagnosed(result, request, mine: dict, theirs: dict, settings):
    """The diagnosis of the last run of `request` (grader/feedback/diagnose.py): its loss,
    grads, scores and the running averages of its bn_params, the student's and the reference's."""
    def outputs(run):
        run = run if isinstance(run, dict) else {}
        kept = {key: run[key] for key in ("loss", "grads", "scores") if key in run}
        if "bn_params" in run:
            params = run["bn_params"]
            kept["bn_params"] = [{key: param[key] for key in ("running_mean", "running_var")
                                  if key in param} if isinstance(param, dict) else param
                                 for param in params] if isinstance(params, list) else params
        return kept
    return with_diagnosis(result, "FullyConnectedNet", request, outputs(mine), outputs(theirs),
                          settings.tolerance)


def judged_by_layers(student, reference, settings, result, request, compared, want_grads=True):
    """A failed network test against the student's own layers composed by the grader
    (grader/hidden_tests/composition.py); compared(composed runs) -> findings."""
    if not worth_checking(result, settings):
        return result
    judged = None
    for composer, answers in compose(student, reference, settings, request["init"],
                                     request["runs"], want_grads):
        if not composer.broken:
            return result       # the layers are right: the fault is the network's own
        judged = compared(answers), composer
        if all(f.ok for f in judged[0]):
            break
    if judged is None:
        return result
    own, composer = judged
    return relies_on(result, own, composer.broken, "network", composer.used)


def loss_test(student, rng, reference, settings, init, N, input_shape=None, with_bn_params=False):
    params = make_params(rng, init)
    X = rng.normal(0, 1, (N,) + tuple(input_shape or (init["input_dim"],)))
    y = rng.integers(0, init["num_classes"], N)
    request = {"init": init, "runs": [{"params": params, "X": X, "y": y, "bn_params": with_bn_params}]}
    header = header_for(init, request["runs"]) + " Compared the loss and every gradient."
    reply = ask_model(student, settings, request, header)
    mine, theirs = reply.result["runs"][0], reference_model(reference, request)["runs"][0]
    def checks_against(expected):
        checks = compare_loss_and_grads(mine, expected, settings)
        if with_bn_params:
            checks += compare_bn_params(mine.get("bn_params"), expected["bn_params"], settings)
        return checks

    result = outcome(header, checks_against(theirs))
    result = judged_by_layers(student, reference, settings, result, request,
                              lambda composed: checks_against(composed[0]))
    return diagnosed(result, request, mine, theirs, settings)


# --------------------------------------------------------------------------- initialization


def init_checks(params, expected: dict, weight_scale: float):
    if not isinstance(params, dict):
        return [failed_check("params", "a %s, expected a dict" % type(params).__name__)]
    if not params:
        return [failed_check("params", "empty — is __init__ still the stub?")]
    checks = []
    extra = sorted(set(params) - set(expected))
    if extra:
        checks.append(failed_check("params", "unexpected keys %s" % ", ".join(extra)))
    for key, reference_value in expected.items():
        if key not in params:
            checks.append(failed_check(key, "missing"))
            continue
        value, problem = as_array(params[key])
        if value is None:
            checks.append(failed_check(key, problem))
        elif value.shape != reference_value.shape:
            checks.append(failed_check(key, "shape %s, expected %s" % (
                shape_text(value.shape), shape_text(reference_value.shape))))
        elif key.startswith("W"):
            checks.append(weight_check(key, value, weight_scale))
        else:
            target = 1.0 if key.startswith("gamma") else 0.0
            ok = bool(np.all(value == target))
            checks.append((passed_check if ok else failed_check)(
                key, "shape %s, %s" % (shape_text(value.shape), "all %g" % target if ok else
                                       "expected all %g, found values from %s to %s" % (
                                           target, value.min(), value.max()))))
    return checks


def weight_check(key, value, weight_scale):
    n = value.size
    std, mean = float(value.std()), float(value.mean())
    std_margin = SIGMAS * weight_scale / np.sqrt(2 * n)
    mean_margin = SIGMAS * weight_scale / np.sqrt(n)
    ok = abs(std - weight_scale) <= std_margin and abs(mean) <= mean_margin
    return (passed_check if ok else failed_check)(
        key, "shape %s, mean %.3g (expected 0 ± %.2g), std %.4g (expected %g ± %.2g)" % (
            shape_text(value.shape), mean, mean_margin, std, weight_scale, std_margin))


def init_test(student, reference, settings, inits):
    header = "Built %s and checked the initial params." % " and ".join(
        "FullyConnectedNet(%s)" % ", ".join("%s=%r" % (k, v) for k, v in init.items() if k != "dtype")
        for init in inits)
    checks, failing = [], None
    for init in inits:
        request = {"init": init, "return_init": True, "runs": []}
        reply = ask_model(student, settings, request, header)
        expected = reference_model(reference, request)["init_params"]
        mine = init_checks(reply.result.get("init_params"), expected, init["weight_scale"])
        for check in mine:
            if len(inits) > 1:
                check.quantity = "%s: %s" % (init.get("normalization"), check.quantity)
            checks.append(check)
        if failing is None and not all(check.ok for check in mine):
            failing = init, reply.result.get("init_params")
    result = outcome(header, checks)
    if failing is None:
        return result
    # The initial values are random: the mistakes are told by the names and statistics
    # of the student's parameters, with no expected values.
    return with_diagnosis(result, "FullyConnectedNet", {"init": failing[0], "runs": []},
                          {"params": failing[1]}, {}, settings.tolerance)


@test("FullyConnectedNet", "parameter names, shapes and initialization")
def init_plain(student, rng, reference, settings):
    init = make_init(input_dim=50, hidden_dims=(60, 40), num_classes=7, weight_scale=0.05)
    return init_test(student, reference, settings, [init])


@test("FullyConnectedNet", "batch/layer norm parameters: gamma ones, beta zeros, none on the last layer")
def init_normalized(student, rng, reference, settings):
    return init_test(student, reference, settings, [
        make_init(input_dim=8, hidden_dims=(6, 5), num_classes=4, weight_scale=0.3,
                  normalization=kind) for kind in ("batchnorm", "layernorm")])


# --------------------------------------------------------------------------- loss and gradients


@test("FullyConnectedNet", "loss and gradients, no normalization, 4-D input")
def loss_plain(student, rng, reference, settings):
    return loss_test(student, rng, reference, settings,
                     make_init(input_dim=12, hidden_dims=(7, 5), num_classes=4), 5, (2, 3, 2))


@test("FullyConnectedNet", "loss and gradients with L2 regularization (reg > 0)")
def loss_reg(student, rng, reference, settings):
    return loss_test(student, rng, reference, settings, make_init(reg=0.7, hidden_dims=(5, 6, 4)), 3)


@test("FullyConnectedNet", "loss, gradients and running averages with batch normalization")
def loss_batchnorm(student, rng, reference, settings):
    return loss_test(student, rng, reference, settings,
                     make_init(normalization="batchnorm", reg=0.1), 6, with_bn_params=True)


@test("FullyConnectedNet", "loss and gradients with layer normalization")
def loss_layernorm(student, rng, reference, settings):
    return loss_test(student, rng, reference, settings,
                     make_init(normalization="layernorm", reg=0.05, hidden_dims=(7, 5)), 4)


@test("FullyConnectedNet", "test-mode scores after 2 training steps with batch normalization")
def scores_batchnorm(student, rng, reference, settings):
    init = make_init(normalization="batchnorm", input_dim=5, hidden_dims=(6,), num_classes=3)
    params = make_params(rng, init)
    runs = [{"params": params, "X": rng.normal(1, 2, (8, 5)), "y": rng.integers(0, 3, 8)},
            {"X": rng.normal(1, 2, (8, 5)), "y": rng.integers(0, 3, 8)},
            {"X": rng.normal(1, 2, (4, 5)), "bn_params": True}]
    request = {"init": init, "runs": runs}
    header = header_for(init, runs) + " The last call has no y: compared its scores."
    reply = ask_model(student, settings, request, header)
    mine, theirs = reply.result["runs"][-1], reference_model(reference, request)["runs"][-1]
    def checks_against(expected):
        return ([compare("scores", mine.get("scores"), expected["scores"], settings.tolerance)]
                + compare_bn_params(mine.get("bn_params"), expected["bn_params"], settings))

    result = outcome(header, checks_against(theirs))
    result = judged_by_layers(student, reference, settings, result, request,
                              lambda composed: checks_against(composed[-1]), want_grads=False)
    return diagnosed(result, request, mine, theirs, settings)


@test("FullyConnectedNet", "scores when y is None, N=1")
def scores_plain(student, rng, reference, settings):
    init = make_init(input_dim=7, hidden_dims=(6, 5), num_classes=4)
    runs = [{"params": make_params(rng, init), "X": rng.normal(0, 1, (1, 7))}]
    request = {"init": init, "runs": runs}
    header = header_for(init, runs) + " Compared the scores."
    reply = ask_model(student, settings, request, header)
    expected = reference_model(reference, request)["runs"][0]["scores"]
    mine = reply.result["runs"][0].get("scores")
    result = outcome(header, [compare("scores", mine, expected, settings.tolerance)])
    result = judged_by_layers(student, reference, settings, result, request, lambda composed: [
        compare("scores", mine, composed[0]["scores"], settings.tolerance)])
    return diagnosed(result, request, {"scores": mine}, {"scores": expected}, settings)


# --------------------------------------------------------------------------- dropout


def loss_perturbations(params, X, y):
    """Runs moving one parameter entry by +h then -h; plan: [(key, shape, h)]."""
    runs, plan = [], []
    for key, value in params.items():
        h = step_size(value)
        runs += [{"params": {**params, key: moved}, "X": X, "y": y, "loss_only": True}
                 for moved in perturbed(value, h)]
        plan.append((key, value.shape, h))
    return runs, plan


def well_conditioned_problem(rng, reference, init, settings, attempts=10):
    """Parameters and data on which the reference's gradients agree with its own numerical
    gradients (no ReLU kink within a step): a student's mismatch is then the student's."""
    for _ in range(attempts):
        params = make_params(rng, init)
        X, y = rng.normal(0, 1, (4, init["input_dim"])), rng.integers(0, init["num_classes"], 4)
        runs, plan = loss_perturbations(params, X, y)
        answer = reference_model(reference, {"init": init, "runs": [
            {"params": params, "X": X, "y": y}] + runs})["runs"]
        numeric = central_differences([run["loss"] for run in answer[1:]], plan)
        worst = max(norm_error(answer[0]["grads"][k], numeric[k]) for k in numeric)
        if worst <= settings.numeric_tolerance / 10:
            break
    return params, X, y, runs, plan


@test("FullyConnectedNet", "dropout with a seed: gradients match the numerical gradient of your loss")
def dropout_net(student, rng, reference, settings):
    init = make_init(dropout_keep_ratio=0.6, seed=int(rng.integers(0, 2**31)), reg=0.05)
    params, X, y, runs, plan = well_conditioned_problem(rng, reference, init, settings)
    request = {"init": init, "runs": [{"params": params, "X": X, "y": y}] + runs
               + [{"params": params, "X": X}]}
    header = (header_for(init, request["runs"][:1]) + " Compared your gradients with a numerical "
              "gradient of your own loss (dropout draws are yours), checked that dropout changes "
              "the training loss, and compared the test-mode scores with the reference.")
    reply = ask_model(student, settings, request, header)
    answers = reply.result["runs"]
    grads = answers[0].get("grads")
    if not isinstance(grads, dict) or not grads:
        return outcome(header, [failed_check("grads", "empty or not a dict — is loss() still the stub?")])
    losses = [run.get("loss") for run in answers[1:-1]]
    if not all(isinstance(as_array(v)[0], np.ndarray) and np.size(v) == 1 for v in losses):
        return outcome(header, [failed_check("loss", "not a number")])
    numeric = central_differences([float(np.ravel(v)[0]) for v in losses], plan)
    checks = [compare("grads[%r] vs numerical" % key, grads.get(key), value,
                      settings.numeric_tolerance, metric="norm") for key, value in numeric.items()]
    # A loss that ignores the parameters (zero, or any constant) with zero gradients matches
    # its own numerical gradient: the loss must move with the weights and exceed its L2 term.
    # (Shown only when it fails, so a right network's report is what it was.)
    if not any(np.abs(value).max(initial=0.0) > 0 for value in numeric.values()):
        checks.append(failed_check("loss vs parameters", "does not change when any parameter "
                                   "moves: is loss() computing the network?"))
    plain = reference_model(reference, {"init": {**init, "dropout_keep_ratio": 1}, "runs": [
        {"params": params, "X": X, "y": y}]})["runs"][0]["loss"]
    l2 = sum(0.5 * init["reg"] * float(np.sum(value ** 2))
             for key, value in params.items() if key.startswith("W"))
    loss, _ = as_array(answers[0].get("loss"))
    loss = None if loss is None or loss.size != 1 else float(np.ravel(loss)[0])
    changed = loss is not None and abs(loss - plain) > 1e-6 * abs(plain)
    checks.append((passed_check if changed else failed_check)(
        "training loss", "differs from the loss without dropout" if changed else
        "the same as without dropout: is dropout applied in train mode?"))
    if loss is not None and not loss > l2:
        checks.append(failed_check("training loss", "%s, not above the L2 term alone (%s): the "
                                   "softmax loss of every example is positive" % (fmt(loss), fmt(l2))))
    expected_scores = reference_model(reference, {"init": init, "runs": request["runs"][-1:]})
    mine_scores = answers[-1].get("scores")
    checks.append(compare("test-mode scores", mine_scores, expected_scores["runs"][0]["scores"],
                          settings.tolerance))
    result = outcome(header, checks)

    def checks_against(composed):
        # With the student's own layers (dropout_forward draws its mask from the seed) the
        # training loss and gradients are known; the checks that the loss moves with the
        # parameters and differs from the loss without dropout still have to hold.
        own_checks = compare_loss_and_grads(answers[0], composed[0], settings)
        kept = [dataclasses.replace(check) for check in checks
                if check.quantity in ("loss vs parameters", "training loss")]
        return own_checks + kept + [compare("test-mode scores", mine_scores, composed[1]["scores"],
                                            settings.tolerance)]

    return judged_by_layers(student, reference, settings, result, {"init": init, "runs": [
        request["runs"][0], request["runs"][-1]]}, checks_against)
