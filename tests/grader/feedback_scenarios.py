"""The hidden tests' situations, replayed in the test's own process for the feedback tests.

A student package is the handout with the reference solutions laid over it and then the
student's files (whole function definitions appended to a solution file: the last definition
of a name wins, as in tests/support.py). Each scenario feeds the student's code and the
reference the inputs one hidden test feeds them (same shapes and distributions, the hidden
tests' own input generators) and returns Trials: the inputs, the student's outputs and the
reference's, by name, as grader.feedback.diagnose takes them, or the error the student's
code raised. Here the student's code runs in the test process: it is our own test code.
"""
from __future__ import annotations

import copy
import importlib
import importlib.util
import itertools
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from grader.hidden_tests.layers import affine_inputs, relu_input
from grader.hidden_tests.network import make_init, make_params
from grader.hidden_tests.normalization import channel_input, gn_args, rows_with_scales
from tests.support import ROOT, overridden

TOLERANCE, NET_TOLERANCE = 1e-7, 1e-6
_names = itertools.count()


def load_package(files: dict | None = None) -> SimpleNamespace:
    """layers, fc_net and optim of the handout + solutions + `files` ({name: text})."""
    name = "feedback_student_%d" % next(_names)
    with tempfile.TemporaryDirectory(prefix="feedback-") as tmp:
        folder = Path(tmp) / name
        shutil.copytree(ROOT / "assignment", folder, ignore=shutil.ignore_patterns("__pycache__"))
        for solution in (ROOT / "solutions").glob("*.py"):
            shutil.copy(solution, folder / solution.name)
        for file_name, text in (files or {}).items():
            (folder / file_name).write_text(text)
        spec = importlib.util.spec_from_file_location(
            name, folder / "__init__.py", submodule_search_locations=[str(folder)])
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        try:
            spec.loader.exec_module(package)
            modules = {m: importlib.import_module("%s.%s" % (name, m)) for m in ("layers", "fc_net", "optim")}
        finally:
            for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
                del sys.modules[key]
    return SimpleNamespace(**modules)


def student_with(file_name: str, *definitions: str) -> SimpleNamespace:
    return load_package({file_name: overridden(file_name, *definitions)})


@dataclass
class Trial:
    """One hidden-test situation: what diagnose() is given. `error` is (type, message) when
    the student's code raised; `failed` says whether the hidden test fails."""

    scenario: str
    function: str
    inputs: dict
    got: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    tolerance: float = TOLERANCE
    error: tuple[str, str] | None = None
    failed: bool = False


def _rel_error(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return float(np.where(same, 0.0, np.nan_to_num(error, nan=np.inf)).max(initial=0.0))


def _flat(values, prefix=""):
    if isinstance(values, dict):
        out = {}
        for k, v in values.items():
            out.update(_flat(v, "%s/%s" % (prefix, k) if prefix else str(k)))
        return out
    if isinstance(values, list) and values and isinstance(values[0], dict):
        out = {}
        for i, v in enumerate(values):
            out.update(_flat(v, "%s/%d" % (prefix, i)))
        return out
    return {prefix: values}


def compared(trial: Trial) -> Trial:
    """Sets `failed` from the outputs, as the hidden test's comparisons would."""
    got, expected = _flat(trial.got), _flat(trial.expected)
    trial.failed = trial.failed or trial.error is not None or any(
        key not in got or got[key] is None or _rel_error(got[key], value) > trial.tolerance
        for key, value in expected.items())
    return trial


def attempt(trial: Trial, run) -> Trial:
    """Fill the trial with run() -> got, or with the error the student's code raised."""
    try:
        trial.got = run()
    except Exception as error:      # the student's mistake may crash: that is evidence too
        trial.error = (type(error).__name__, str(error))
    return compared(trial)


# --------------------------------------------------------------------------- forward / backward


def forward_trial(student, reference, scenario, function, names, args, outputs=("out",), module="layers",
                  written_back=None):
    """out (and the keys written back into a dict argument) of `function` on `args`."""
    inputs = dict(zip(names, copy.deepcopy(args)))
    ref_args = copy.deepcopy(args)
    result = getattr(getattr(reference, module), function)(*ref_args)
    expected = {outputs[0]: result[0]}
    for index, keys in (written_back or {}).items():
        expected.update({key: ref_args[index][key] for key in keys})

    def run():
        mine = copy.deepcopy(args)
        out = getattr(getattr(student, module), function)(*mine)
        got = {outputs[0]: out[0]}
        for index, keys in (written_back or {}).items():
            got.update({key: mine[index].get(key) for key in keys})
        return got
    return attempt(Trial(scenario, function, inputs, expected=expected), run)


def backward_trial(student, reference, rng, scenario, forward, backward, names, args, wrt):
    """The student's backward fed by the student's own forward's cache; dout random."""
    ref_out, ref_cache = getattr(reference.layers, forward)(*copy.deepcopy(args))
    dout = rng.standard_normal(np.shape(ref_out))
    ref_grads = getattr(reference.layers, backward)(dout.copy(), ref_cache)
    ref_grads = ref_grads if isinstance(ref_grads, tuple) else (ref_grads,)
    inputs = {**dict(zip(names, copy.deepcopy(args))), "dout": dout}

    def run():
        _, cache = getattr(student.layers, forward)(*copy.deepcopy(args))
        grads = getattr(student.layers, backward)(dout.copy(), cache)
        grads = grads if isinstance(grads, tuple) else (grads,)
        return dict(zip(wrt, grads))
    return attempt(Trial(scenario, backward, inputs, expected=dict(zip(wrt, ref_grads))), run)


# --------------------------------------------------------------------------- basic layers


def affine_forward(student, reference, rng):
    shapes = [("2-D input", (6, 5), 3, 1.0), ("4-D input", (3, 2, 4, 5), 7, 1.0),
              ("N=1, odd sizes", (1, 3, 3), 5, 10.0)]
    return [forward_trial(student, reference, what, "affine_forward", ("x", "w", "b"),
                          affine_inputs(rng, shape, M, scale)) for what, shape, M, scale in shapes]


def affine_backward(student, reference, rng):
    return [backward_trial(student, reference, rng, what, "affine_forward", "affine_backward",
                           ("x", "w", "b"), affine_inputs(rng, shape, M), ("dx", "dw", "db"))
            for what, shape, M in (("2-D input", (5, 6), 4), ("3-D input", (3, 2, 3), 5))]


def relu_forward(student, reference, rng):
    return [forward_trial(student, reference, "mixed signs", "relu_forward", ("x",), [relu_input(rng, (4, 3, 5))]),
            forward_trial(student, reference, "all negative", "relu_forward", ("x",),
                          [-rng.uniform(0.1, 3.0, (7, 3))])]


def relu_backward(student, reference, rng):
    return [backward_trial(student, reference, rng, what, "relu_forward", "relu_backward", ("x",),
                           [relu_input(rng, shape)], ("dx",))
            for what, shape in (("mixed signs", (6, 5)), ("4-D input", (2, 3, 2, 4)))]


def softmax_loss(student, reference, rng):
    trials = []
    for what, x, C in (("small logits", rng.normal(0, 1e-3, (6, 4)), 4),
                       ("large logits", rng.normal(0, 1, (5, 7)) * 1000 + 500, 7),
                       ("N=1", rng.normal(0, 2, (1, 5)), 5)):
        y = rng.integers(0, C, x.shape[0])
        loss, dx = reference.layers.softmax_loss(x.copy(), y.copy())

        def run(x=x, y=y):
            with np.errstate(all="ignore"):
                return dict(zip(("loss", "dx"), student.layers.softmax_loss(x.copy(), y.copy())))
        trials.append(attempt(Trial(what, "softmax_loss", {"x": x, "y": y},
                                    expected={"loss": loss, "dx": dx}), run))
    return trials


# --------------------------------------------------------------------------- normalization


def gamma_beta(rng, D):
    return rng.normal(1.0, 0.5, D), rng.normal(0.0, 1.0, D)


BN_NAMES = ("x", "gamma", "beta", "bn_param")
RUNNING = {3: ["running_mean", "running_var"]}


def running_steps(student, reference, rng, scenario, function, shape, bn_param, steps):
    """`steps` train-mode calls sharing bn_param, then one in test mode; the outputs are the
    last call's and the running averages after it."""
    calls = []
    for step in range(steps + 1):
        x = channel_input(rng, shape, rng.uniform(0.5, 2, shape[1]))
        gamma, beta = gamma_beta(rng, shape[1])
        calls.append({"x": x, "gamma": gamma, "beta": beta, "mode": "train" if step < steps else "test"})

    def replay(module):
        param, outs = copy.deepcopy(bn_param), []
        for call in calls:
            param["mode"] = call["mode"]
            outs.append(getattr(module.layers, function)(call["x"].copy(), call["gamma"], call["beta"], param)[0])
        return {"out": outs[-1], "earlier_outs": outs[:-1], "running_mean": param.get("running_mean"),
                "running_var": param.get("running_var")}
    inputs = {"bn_param": copy.deepcopy(bn_param), "steps": copy.deepcopy(calls)}
    return attempt(Trial(scenario, function, inputs, expected=replay(reference)), lambda: replay(student))


def batchnorm_forward(student, reference, rng):
    trials = [forward_trial(student, reference, what, "batchnorm_forward", BN_NAMES,
                            [x, *gamma_beta(rng, x.shape[1]), {"mode": "train"}], written_back=RUNNING)
              for what, x in (("train mode", rng.normal(5, 3, (8, 5))),
                              ("tiny variance", rng.normal(2, 1e-3, (6, 4))),
                              ("N=1", rng.normal(0, 2, (1, 6))))]
    trials.append(running_steps(student, reference, rng, "running averages", "batchnorm_forward", (7, 4),
                                {"mode": "train", "momentum": 0.7, "eps": 1e-3}, 4))
    N, D = 5, 6
    bn_param = {"mode": "test", "running_mean": rng.normal(1, 0.5, D), "running_var": rng.uniform(0.5, 4, D)}
    trials.append(forward_trial(student, reference, "test mode", "batchnorm_forward", BN_NAMES,
                                [rng.normal(1, 2, (N, D)), *gamma_beta(rng, D), bn_param]))
    return trials


def norm_backward(student, reference, rng, scenario, forward, backward, names, args):
    return backward_trial(student, reference, rng, scenario, forward, backward, names, args,
                          ("dx", "dgamma", "dbeta"))


def batchnorm_backward(student, reference, rng, backward="batchnorm_backward"):
    trials = []
    for what, shape, mean, std, gamma_scale in (("small batch", (4, 5), 1.0, 2.0, 0.5),
                                               ("tiny variance", (5, 4), -2.0, 1e-3, 0.5),
                                               ("odd sizes, large gamma", (7, 3), 0.0, 1.0, 4.0)):
        x = rng.normal(mean, std, shape)
        gamma, beta = rng.normal(1.0, gamma_scale, shape[1]), rng.normal(0, 1, shape[1])
        trials.append(norm_backward(student, reference, rng, what, "batchnorm_forward", backward, BN_NAMES,
                                    [x, gamma, beta, {"mode": "train"}]))
    return trials


def batchnorm_backward_alt(student, reference, rng):
    return batchnorm_backward(student, reference, rng, "batchnorm_backward_alt")


LN_NAMES = ("x", "gamma", "beta", "ln_param")


def layernorm_forward(student, reference, rng):
    return [forward_trial(student, reference, what, "layernorm_forward", LN_NAMES,
                          [x, *gamma_beta(rng, x.shape[1]), ln_param])
            for what, x, ln_param in (("rows", rows_with_scales(rng, 4, 6, 0.5, 5), {}),
                                      ("tiny variance", rows_with_scales(rng, 5, 4, 5e-4, 2e-3), {}),
                                      ("N=1, eps", rng.normal(0, 0.05, (1, 7)), {"eps": 1e-3}))]


def layernorm_backward(student, reference, rng):
    return [norm_backward(student, reference, rng, what, "layernorm_forward", "layernorm_backward", LN_NAMES,
                          [x, *gamma_beta(rng, x.shape[1]), {}])
            for what, x in (("rows", rows_with_scales(rng, 4, 5, 0.5, 3)),
                            ("tiny variance", rows_with_scales(rng, 3, 7, 5e-4, 2e-3)))]


def spatial_batchnorm_forward(student, reference, rng):
    trials = [forward_trial(student, reference, what, "spatial_batchnorm_forward", BN_NAMES,
                            [x, *gamma_beta(rng, x.shape[1]), {"mode": "train"}], written_back=RUNNING)
              for what, x in (("2-D maps", channel_input(rng, (2, 3, 4, 5), 2.0)),
                              ("1-D maps", channel_input(rng, (4, 3, 7))),
                              ("3-D maps", channel_input(rng, (2, 3, 2, 3, 4), 1e-3)))]
    trials.append(running_steps(student, reference, rng, "test mode after 2 steps", "spatial_batchnorm_forward",
                                (3, 4, 2, 3), {"mode": "train", "momentum": 0.6}, 2))
    return trials


def spatial_batchnorm_backward(student, reference, rng):
    return [norm_backward(student, reference, rng, what, "spatial_batchnorm_forward", "spatial_batchnorm_backward",
                          BN_NAMES, [x, *gamma_beta(rng, x.shape[1]), {"mode": "train"}])
            for what, x in (("1-D maps", channel_input(rng, (3, 2, 5))),
                            ("2-D maps", channel_input(rng, (2, 3, 3, 2), 2.0)),
                            ("3-D maps", channel_input(rng, (2, 2, 2, 3, 2))))]


GN_NAMES = ("x", "gamma", "beta", "G", "gn_param")


def spatial_groupnorm_forward(student, reference, rng):
    return [forward_trial(student, reference, what, "spatial_groupnorm_forward", GN_NAMES, gn_args(rng, shape, G, s))
            for what, shape, G, s in (("G=2", (2, 6, 3, 4), 2, 2.0), ("G=1", (3, 4, 2, 3), 1, 1e-3),
                                      ("G=C", (1, 4, 3, 5), 4, 1.0))]


def spatial_groupnorm_backward(student, reference, rng):
    return [norm_backward(student, reference, rng, what, "spatial_groupnorm_forward", "spatial_groupnorm_backward",
                          GN_NAMES, gn_args(rng, shape, G, s))
            for what, shape, G, s in (("G=3", (2, 6, 2, 3), 3, 1.0), ("G=C", (2, 3, 3, 2), 3, 0.5))]


# --------------------------------------------------------------------------- dropout


def nonzero_input(rng, shape):
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def keep_rate_ok(out, p, size) -> bool:
    return abs(float(np.mean(out != 0)) - p) <= 5.0 * np.sqrt(p * (1 - p) / size)


def dropout_forward(student, reference, rng):
    trials = []
    x = nonzero_input(rng, (400, 500))
    for p in (0.3, 0.85):
        param = {"mode": "train", "p": p}
        trial = attempt(Trial("keep rate p=%g" % p, "dropout_forward", {"x": x, "dropout_param": param}),
                        lambda: {"out": student.layers.dropout_forward(x, dict(param))[0]})
        trial.failed = trial.failed or not keep_rate_ok(trial.got["out"], p, x.size)
        trials.append(trial)
    x, p = nonzero_input(rng, (10, 20, 30)), 0.6
    trial = attempt(Trial("scaling", "dropout_forward", {"x": x, "dropout_param": {"mode": "train", "p": p}}),
                    lambda: {"out": student.layers.dropout_forward(x, {"mode": "train", "p": p})[0]})
    if trial.error is None:
        kept = trial.got["out"] != 0
        trial.failed = _rel_error(trial.got["out"][kept], x[kept] / p) > TOLERANCE
    trials.append(trial)
    x, p = nonzero_input(rng, (3, 4, 5, 2)), 0.4
    trials.append(attempt(Trial("test mode", "dropout_forward", {"x": x, "dropout_param": {"mode": "test", "p": p}},
                                expected={"out": x}),
                          lambda: {"out": student.layers.dropout_forward(x, {"mode": "test", "p": p})[0]}))
    return trials


def dropout_backward(student, reference, rng):
    trials = []
    for what, shape, param in (("reuses the mask", (60, 70), {"mode": "train", "p": 0.35}),
                               ("seeded, 3-D", (4, 5, 6), {"mode": "train", "p": 0.8,
                                                           "seed": int(rng.integers(0, 2**31))})):
        x, dout = nonzero_input(rng, shape), rng.normal(0, 1, shape)
        trial = Trial(what, "dropout_backward", {"x": x, "dropout_param": dict(param), "dout": dout})
        try:
            out, cache = student.layers.dropout_forward(x, dict(param))
            trial.inputs["out"] = out
            trial.expected = {"dx": dout * (out != 0) / param["p"]}
            trial = attempt(trial, lambda: {"dx": student.layers.dropout_backward(dout.copy(), cache)})
        except Exception as error:
            trial.error = (type(error).__name__, str(error))
            trial = compared(trial)
        trials.append(trial)
    return trials


# --------------------------------------------------------------------------- update rules


def rule_trial(student, reference, rng, scenario, rule, shape, config, steps=5):
    w = rng.normal(0, 1, shape)
    dws = [rng.normal(0, 1, shape) for _ in range(steps)]
    state = {"sgd_momentum": ("velocity",), "rmsprop": ("cache",), "adam": ("m", "v", "t")}[rule]

    def replay(module):
        weights, conf = w.copy(), copy.deepcopy(config)
        for dw in dws:
            weights, conf = getattr(module.optim, rule)(np.array(weights, copy=True), dw.copy(), conf)
        return {"next_w": weights, **{key: conf.get(key) for key in state}}
    inputs = {"w": w, "dws": dws, "config": copy.deepcopy(config)}
    with np.errstate(all="ignore"):
        return attempt(Trial(scenario, rule, inputs, expected=replay(reference)), lambda: replay(student))


def sgd_momentum(student, reference, rng):
    return [rule_trial(student, reference, rng, "defaults", "sgd_momentum", (5, 6), None),
            rule_trial(student, reference, rng, "custom", "sgd_momentum", (2, 3, 4),
                       {"learning_rate": 0.1, "momentum": 0.5})]


def rmsprop(student, reference, rng):
    return [rule_trial(student, reference, rng, "defaults", "rmsprop", (4, 7), None),
            rule_trial(student, reference, rng, "custom", "rmsprop", (9,), {"learning_rate": 0.05, "decay_rate": 0.9})]


def adam(student, reference, rng):
    shape = (3, 4)
    resume = {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.95, "t": 5,
              "m": rng.normal(0, 0.5, shape), "v": rng.uniform(0.1, 1.0, shape)}
    return [rule_trial(student, reference, rng, "defaults", "adam", (6, 5), None),
            rule_trial(student, reference, rng, "resume at t=5", "adam", shape, resume, steps=3)]


# --------------------------------------------------------------------------- the network


def model_replay(module, init, runs):
    """The last run's outputs, as the hidden tests' "model" request returns them."""
    kwargs = {**init, "dtype": np.dtype(init.get("dtype", "float32")).type}
    model, entry = module.fc_net.FullyConnectedNet(**kwargs), {}
    for run in runs:
        if run.get("params") is not None:
            model.params = {k: np.asarray(v).astype(kwargs["dtype"]) for k, v in copy.deepcopy(run["params"]).items()}
        if run.get("y") is None:
            entry = {"scores": model.loss(run["X"].copy())}
        else:
            loss, grads = model.loss(run["X"].copy(), run["y"].copy())
            entry = {"loss": loss, "grads": grads}
        if run.get("bn_params"):
            entry["bn_params"] = copy.deepcopy(model.bn_params)
    return entry


def net_trial(student, reference, scenario, init, runs):
    inputs = {"init": copy.deepcopy(init), "runs": copy.deepcopy(runs)}
    trial = Trial(scenario, "FullyConnectedNet", inputs, tolerance=NET_TOLERANCE)
    trial.expected = model_replay(reference, init, runs)
    if "bn_params" in trial.expected:
        trial.expected["bn_params"] = [{k: p[k] for k in ("running_mean", "running_var")}
                                       for p in trial.expected["bn_params"]]
    return attempt(trial, lambda: model_replay(student, init, runs))


def init_trial(student, reference, scenario, init):
    """The initial parameters: the hidden test checks their names, shapes and statistics (the
    values are random), so there is no expected value to give."""
    kwargs = {**init, "dtype": np.float64}
    expected = reference.fc_net.FullyConnectedNet(**kwargs).params
    trial = attempt(Trial(scenario, "FullyConnectedNet", {"init": dict(init), "runs": []},
                          tolerance=NET_TOLERANCE),
                    lambda: {"params": dict(student.fc_net.FullyConnectedNet(**kwargs).params)})
    params = trial.got.get("params", {})
    scale = init["weight_scale"]
    trial.failed = trial.failed or set(params) != set(expected) or any(
        abs(float(np.std(params[k])) - scale) > 5 * scale / np.sqrt(2 * np.size(params[k]))
        for k in params if k.startswith("W"))
    return trial


def network(student, reference, rng):
    trials = [init_trial(student, reference, "init", make_init(input_dim=50, hidden_dims=(60, 40), num_classes=7,
                                                    weight_scale=0.05)),
              init_trial(student, reference, "init batchnorm", make_init(input_dim=8, hidden_dims=(6, 5), num_classes=4,
                                                              weight_scale=0.3, normalization="batchnorm"))]
    for what, init, N, shape, bn in (
            ("plain, 4-D input", make_init(input_dim=12, hidden_dims=(7, 5), num_classes=4), 5, (2, 3, 2), False),
            ("reg", make_init(reg=0.7, hidden_dims=(5, 6, 4)), 3, None, False),
            ("batchnorm", make_init(normalization="batchnorm", reg=0.1), 6, None, True),
            ("layernorm", make_init(normalization="layernorm", reg=0.05, hidden_dims=(7, 5)), 4, None, False)):
        X = rng.normal(0, 1, (N,) + tuple(shape or (init["input_dim"],)))
        runs = [{"params": make_params(rng, init), "X": X, "y": rng.integers(0, init["num_classes"], N),
                 "bn_params": bn}]
        trials.append(net_trial(student, reference, what, init, runs))
    init = make_init(normalization="batchnorm", input_dim=5, hidden_dims=(6,), num_classes=3)
    runs = [{"params": make_params(rng, init), "X": rng.normal(1, 2, (8, 5)), "y": rng.integers(0, 3, 8)},
            {"X": rng.normal(1, 2, (8, 5)), "y": rng.integers(0, 3, 8)},
            {"X": rng.normal(1, 2, (4, 5)), "bn_params": True}]
    trials.append(net_trial(student, reference, "test-mode scores with batchnorm", init, runs))
    init = make_init(input_dim=7, hidden_dims=(6, 5), num_classes=4)
    trials.append(net_trial(student, reference, "scores, N=1", init,
                            [{"params": make_params(rng, init), "X": rng.normal(0, 1, (1, 7))}]))
    return trials


SCENARIOS = {
    "affine_forward": affine_forward, "affine_backward": affine_backward,
    "relu_forward": relu_forward, "relu_backward": relu_backward, "softmax_loss": softmax_loss,
    "batchnorm_forward": batchnorm_forward, "batchnorm_backward": batchnorm_backward,
    "batchnorm_backward_alt": batchnorm_backward_alt,
    "layernorm_forward": layernorm_forward, "layernorm_backward": layernorm_backward,
    "dropout_forward": dropout_forward, "dropout_backward": dropout_backward,
    "spatial_batchnorm_forward": spatial_batchnorm_forward,
    "spatial_batchnorm_backward": spatial_batchnorm_backward,
    "spatial_groupnorm_forward": spatial_groupnorm_forward,
    "spatial_groupnorm_backward": spatial_groupnorm_backward,
    "FullyConnectedNet": network, "sgd_momentum": sgd_momentum, "rmsprop": rmsprop, "adam": adam,
}


def trials_for(functions, student, reference, seed=0) -> list[Trial]:
    """Every scenario of `functions`. The student's dropout draws from NumPy's global
    generator (as the handout asks): it is seeded here and restored afterwards."""
    rng, state = np.random.default_rng(seed), np.random.get_state()
    np.random.seed(seed)
    try:
        return [trial for function in functions for trial in SCENARIOS[function](student, reference, rng)]
    finally:
        np.random.set_state(state)
