"""The hidden-test catalogue, run against real student processes: the reference earns full
marks, the stubs nothing, and a mistake costs exactly the tests that depend on it."""
import dataclasses
import re
import time
import tomllib

import pytest

from grader.report.prose import output_of

from grader.hidden_tests.catalogue import CATALOGUE, GRADED_FUNCTIONS, run_hidden_tests
from grader.rubric import DEFAULT_RUBRIC, load_rubric
from grader.isolation.sandbox import Limits
from grader.scoring import assemble, score_hidden_tests
from grader.hidden_tests.student_process import StudentProcess
from tests.support import batchnorm_family, make_workspace, overridden, sandbox_level, solution

UNITS = set(GRADED_FUNCTIONS)
OPTIMIZERS = {"sgd_momentum", "rmsprop", "adam"}
SEED = 20240607


def grade(tmp_path, files=None, *, solutions=True, seed=SEED, rubric=None):
    """Run the whole catalogue on a workspace; returns ({test name: TestResult}, process)."""
    scratch = tmp_path / "scratch"
    scratch.mkdir(parents=True)
    workspace = make_workspace(tmp_path, files, solutions=solutions)
    rubric = rubric or load_rubric()
    with StudentProcess(workspace, scratch, Limits(cpu_seconds=120),
                        level=sandbox_level()) as process:
        results = run_hidden_tests(process, seed, rubric)
    score_hidden_tests(results, rubric)
    return {result.name: result for result in results}, process


def failing(results):
    return {name for name, result in results.items() if not result.passed}


def names_of(*units, matching=""):
    return {"%s: %s" % (t.function, t.what) for t in CATALOGUE
            if t.function in units and re.search(matching, t.what)}


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    started = time.monotonic()
    results, process = grade(tmp_path_factory.mktemp("reference"))
    return results, time.monotonic() - started, process


# --------------------------------------------------------------------------- the catalogue


def test_every_unit_has_several_tests_named_after_it():
    by_unit = {}
    for test in CATALOGUE:
        by_unit.setdefault(test.function, []).append(test.what)
    assert set(by_unit) == UNITS
    assert all(len(whats) >= 2 for whats in by_unit.values())
    names = ["%s: %s" % (t.function, t.what) for t in CATALOGUE]
    assert len(set(names)) == len(names)


def test_the_shipped_rubric_covers_every_group_and_totals_100():
    rubric = load_rubric()
    assert {t.group for t in CATALOGUE} <= set(rubric.groups)
    raw = tomllib.loads(DEFAULT_RUBRIC.read_text())
    notebooks = sum(raw["notebooks"]["per_notebook"].values())
    assert sum(group.points for group in rubric.groups.values()) + notebooks == 100


def test_a_rubric_missing_a_group_is_refused_before_anything_runs():
    rubric = load_rubric()
    rubric = dataclasses.replace(rubric, groups={k: v for k, v in rubric.groups.items() if k != "adam"})
    with pytest.raises(ValueError, match=r"groups\.adam"):
        run_hidden_tests(None, 0, rubric)


# --------------------------------------------------------------------------- reference and stubs


def test_the_reference_earns_full_marks_quickly(reference_run):
    results, seconds, process = reference_run
    assert len(results) == len(CATALOGUE)
    assert failing(results) == set()
    assert sum(r.score for r in results.values()) == pytest.approx(80)
    assert all(r.score == r.max_score for r in results.values())
    assert seconds < 5, "the whole catalogue took %.1f s" % seconds
    assert process.starts == 1
    # Each group's points are split into 4-decimal shares that add up exactly, so the
    # scoring stage's rounding keeps every full mark a pass.
    groups = load_rubric().groups
    for group in {r.group for r in results.values()}:
        shares = [r.max_score for r in results.values() if r.group == group]
        assert all(round(share, 4) == share for share in shares)
        assert round(sum(shares), 4) == groups[group].points
    assembled = assemble(name="reference", seed=SEED, hidden=list(results.values()), notebooks=[],
                         rubric=load_rubric(), messages=[], notebook_files=[], isolation="none")
    assert all(t.passed for t in assembled.tests) and assembled.score == 80
    some = results["batchnorm_forward: train mode, tiny-variance input"]
    assert "relative error" in output_of(some) and some.tolerance == 1e-7
    assert some.shapes["out"] == [6, 4] and some.data["seed"] == SEED


def test_the_untouched_stubs_score_nothing_and_are_told_so(tmp_path):
    results, process = grade(tmp_path, solutions=False)
    assert failing(results) == set(results)
    assert all(r.score == 0 for r in results.values())
    for result in results.values():
        assert "still the stub?" in output_of(result), result.name
    assert "returned None — is the function still the stub?" in \
        output_of(results["batchnorm_forward: train mode, N=1"])
    assert process.starts == 1


def test_the_same_seed_gives_the_same_run_and_another_seed_other_inputs(tmp_path):
    files = {"layers.py": overridden("layers.py", SHIFTED_BY_THE_MEAN)}
    first, _ = grade(tmp_path / "a", files)
    again, _ = grade(tmp_path / "b", files)
    other, _ = grade(tmp_path / "c", files, seed=SEED + 1)
    outputs = {name: output_of(r) for name, r in first.items()}
    assert failing(first) == {"softmax_loss: large logits (numerical stability)"}
    assert outputs == {name: output_of(r) for name, r in again.items()}   # dropout draws included
    assert outputs != {name: output_of(r) for name, r in other.items()}


SHIFTED_BY_THE_MEAN = """
def softmax_loss(x, y):
    shifted = x - x.mean()
    probabilities = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.log(probabilities[np.arange(N), y]).mean()
    probabilities[np.arange(N), y] -= 1
    return loss, probabilities / N
"""


# --------------------------------------------------------------------------- mistakes


def test_a_student_batchnorm_of_ones_own_passes_everything(tmp_path):
    results, _ = grade(tmp_path, {"layers.py": overridden("layers.py", batchnorm_family())})
    assert failing(results) == set()


def test_an_unbiased_variance_fails_exactly_what_depends_on_batchnorm_train_mode(tmp_path):
    results, _ = grade(tmp_path, {"layers.py": overridden("layers.py", batchnorm_family(ddof=1))})
    expected = (names_of("batchnorm_forward") - names_of("batchnorm_forward", matching="^test mode")
                | names_of("batchnorm_backward", "batchnorm_backward_alt", "spatial_batchnorm_forward",
                           "spatial_batchnorm_backward")
                | names_of("FullyConnectedNet", matching="batch normalization"))
    assert failing(results) == expected
    tiny = results["batchnorm_forward: train mode, tiny-variance input"]
    assert tiny.data["diagnosis"]["mistake"] == "bn_var_unbiased"     # the mistake is named
    assert "first mismatch at index" in output_of(tiny)
    backward = results["batchnorm_backward: small batch (N=4, D=5)"]
    # Not the gradient of the unbiased forward, but right for its statistics: the mistake is
    # charged to batchnorm_forward alone (dependency_credit, tests/grader/test_fair_scoring.py).
    assert backward.outcome == "relies_on_wrong" and backward.data["gradient_verdict"] == "both_wrong"
    assert "batchnorm_forward is wrong; fix it first" in output_of(backward)
    assert backward.score == backward.max_score


MISSING_MEAN_PATH = """
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    g = dout * gamma
    dx = inv_std * (g - x_hat * (g * x_hat).mean(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
"""
DOUBLED_LAYERNORM = """
def layernorm_forward(x, gamma, beta, ln_param):
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + ln_param.get("eps", 1e-5))
    x_hat = (x - mu) * inv_std
    return 2 * gamma * x_hat + beta, (x_hat, inv_std, gamma)


def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    g = 2 * dout * gamma
    dx = inv_std * (g - g.mean(axis=1, keepdims=True)
                    - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    return dx, 2 * (dout * x_hat).sum(axis=0), dout.sum(axis=0)
"""


def test_a_wrong_backward_is_told_apart_from_a_wrong_forward(tmp_path):
    layers = overridden("layers.py", batchnorm_family(), MISSING_MEAN_PATH, DOUBLED_LAYERNORM)
    results, _ = grade(tmp_path, {"layers.py": layers})
    assert failing(results) == (names_of("batchnorm_backward", "layernorm_forward",
                                         "layernorm_backward")
                                | names_of("FullyConnectedNet", matching="layer normalization"))
    bn = results["batchnorm_backward: odd sizes (N=7, D=3), large gamma"]
    assert bn.outcome == "backward_wrong" and bn.score == 0
    assert "so the backward is at fault" in output_of(bn)
    ln = results["layernorm_backward: rows with different means and scales"]
    assert ln.outcome == "forward_wrong"
    assert "matches the numerical gradient of your own forward but your forward is wrong — fix " \
           "the forward first" in output_of(ln)
    assert ln.score == ln.max_score     # consistent_backward_credit follows dependency_credit


OVERWRITING = """
def relu_forward(x):
    cache = x.copy()
    np.maximum(x, 0, out=x)
    return x, cache


def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    w += v
    dw *= 0
    config["velocity"] = v
    return w, config
"""


def test_a_function_that_overwrites_its_inputs_is_judged_on_its_answer(tmp_path):
    files = {"layers.py": overridden("layers.py", batchnorm_family(in_place=True), OVERWRITING),
             "optim.py": overridden("optim.py", OVERWRITING.split("\n\n\n")[1])}
    results, _ = grade(tmp_path, files)
    assert failing(results) == set()


def test_an_endless_loop_costs_its_own_tests_and_the_next_ones_pass(tmp_path):
    layers = overridden("layers.py", """
        def spatial_groupnorm_backward(dout, cache):
            while True:
                pass
        """)
    rubric = load_rubric().with_groups(spatial_groupnorm_backward={"timeout": 1})
    results, process = grade(tmp_path, {"layers.py": layers}, rubric=rubric)
    looping = names_of("spatial_groupnorm_backward")
    assert failing(results) == looping
    assert all("timed out after" in output_of(results[name]) for name in looping)
    assert process.starts == 1 + len(looping)


def test_os_exit_in_a_function_costs_its_own_tests(tmp_path):
    optim = overridden("optim.py", """
        def rmsprop(w, dw, config=None):
            import os
            os._exit(3)
        """)
    results, process = grade(tmp_path, {"optim.py": optim})
    assert failing(results) == names_of("rmsprop")
    assert all("exited with code 3" in output_of(results[name]) for name in names_of("rmsprop"))


def test_an_exception_at_import_costs_that_module_only(tmp_path):
    optim = 'raise RuntimeError("half-finished homework")\n' + solution("optim.py")
    results, _ = grade(tmp_path, {"optim.py": optim})
    assert failing(results) == names_of(*OPTIMIZERS)
    adam = output_of(results["adam: 5 steps with the default config"])
    assert "optim.py could not be imported" in adam and "half-finished homework" in adam


def test_a_syntax_error_in_layers_costs_what_needs_layers(tmp_path):
    results, _ = grade(tmp_path, {"layers.py": solution("layers.py") + "\ndef oops(:\n    pass\n"})
    assert failing(results) == names_of(*(UNITS - OPTIMIZERS))
    assert "SyntaxError" in output_of(results["relu_forward: all-negative input"])


def test_student_code_cannot_find_the_reference(tmp_path):
    """The student's layers.py looks for anything named reference/solutions in sys.modules,
    in every live module's globals and in its callers' frames; a find makes it raise."""
    snoop = '''

def _snoop():
    import gc, inspect, sys, types
    words = ("reference", "solution")
    found = [name for name in sys.modules if any(w in name.lower() for w in words)]
    for frame in inspect.stack():
        for scope in (frame.frame.f_globals, frame.frame.f_locals):
            found += [name for name in scope if any(w in str(name).lower() for w in words)]
            found += [str(v) for v in scope.values() if isinstance(v, types.ModuleType)
                      and any(w in repr(v).lower() for w in words)]
    found += [repr(m) for m in gc.get_objects() if isinstance(m, types.ModuleType)
              and any(w in (getattr(m, "__file__", "") or "").lower() for w in words)]
    assert "assignment.layers" in sys.modules          # the search itself works
    if found:
        raise RuntimeError("found the reference: %s" % found[:5])


_snoop()
_affine_forward = affine_forward


def affine_forward(x, w, b):
    _snoop()
    return _affine_forward(x, w, b)
'''
    results, _ = grade(tmp_path, {"layers.py": overridden("layers.py", snoop)})
    assert failing(results) == set(), [output_of(results[n]) for n in failing(results)]
