"""A backward whose forward is wrong or raises is judged on the cache a right forward writes
(grader/hidden_tests/right_cache.py): right there, it keeps its points and the report names
the forward; wrong there, it loses them, whatever its forward did."""
import dataclasses
import time

import numpy as np
import pytest

from grader.hidden_tests.catalogue import CATALOGUE, TestContext, run_one
from grader.hidden_tests.reference import load_reference
from grader.hidden_tests.right_cache import kind, probes
from grader.hidden_tests.student_process import StudentProcess
from grader.isolation.sandbox import Limits
from grader.report.prose import output_of
from grader.rubric import load_rubric
from grader.scoring import score_hidden_tests
from tests.grader.feedback_students import MISTAKES
from tests.support import make_workspace, sandbox_level

SEED = 2024


def student_files(mistake, *changes):
    files = MISTAKES[mistake][0].files()
    for old, new in changes:
        # the student's definition is the last one (the solution's comes first in the file)
        name = next(name for name, text in files.items() if old in text)
        before, _, after = files[name].rpartition(old)
        files[name] = before + new + after
    return files


def graded(tmp_path, files, function):
    """The catalogue's tests of `function` only, run as the whole catalogue runs them."""
    workspace = make_workspace(tmp_path, files)
    (tmp_path / "scratch").mkdir()
    rubric, reference, results = load_rubric(), load_reference(), []
    with StudentProcess(workspace, tmp_path / "scratch", Limits(), level=sandbox_level()) as student:
        for index, test in enumerate(CATALOGUE):
            if test.function != function:
                continue
            group = rubric.groups[test.group]
            context = TestContext(
                tolerance=group.tolerance, numeric_tolerance=group.numeric_tolerance,
                deadline=time.monotonic() + float(group.timeout),
                child_seed=int(np.random.SeedSequence([SEED, index]).generate_state(1)[0]))
            result = run_one(test, student, np.random.default_rng([SEED, index]), reference,
                             context)
            results.append(dataclasses.replace(result, function=test.function, what=test.what,
                                               group=test.group))
    score_hidden_tests(results, rubric)
    assert results
    return results


def test_a_layout_is_the_kinds_of_values_in_order_not_their_shapes():
    reference = (np.ones((4, 5)), np.ones(5), np.ones(5), 1e-5, {"mode": "train"}, 3)
    per_row = [np.ones((4, 5)), np.ones((4, 1)), np.ones((4, 1)), 1e-3, {}, np.int64(2)]
    assert kind(per_row) == kind(reference)
    assert kind(reference[:-1]) != kind(reference)                          # one value fewer
    assert kind(reference[1:] + reference[:1]) != kind(reference)           # another order
    assert kind((np.ones((4, 5)), (np.ones(5), 3))) != kind((np.ones((4, 5)), np.ones(5), 3))


def test_probes_are_the_first_example_then_one_group():
    x, gamma = np.arange(24.0).reshape(2, 3, 2, 2), np.ones((1, 3, 1, 1))
    first, grouped = probes([x, gamma, gamma, 3, {}])
    assert first[0].shape == (1, 3, 2, 2) and first[3] == 3
    assert grouped[0].shape == (1, 3, 2, 2) and grouped[3] == 1 and grouped[4] == {}
    assert len(list(probes([x[:1], gamma, gamma, {}]))) == 0       # one example: nothing to cut


BOTH_RAN = {"bn_stats_over_features", "gn_stats_without_spatial"}


@pytest.mark.slow
@pytest.mark.parametrize("mistake, backward", [
    ("bn_stats_over_features", "batchnorm_backward"),               # wrong forward, same layout
    ("gn_stats_without_spatial", "spatial_groupnorm_backward"),     # x_hat all 0 when G = C
    ("gn_groups_swapped", "spatial_groupnorm_backward"),            # the backward raises on its cache
    ("ln_broadcast_without_keepdims", "layernorm_backward"),        # the forward raises
])
def test_a_right_backward_keeps_its_points_on_a_right_cache(tmp_path, mistake, backward):
    results = graded(tmp_path, MISTAKES[mistake][0].files(), backward)
    forward = MISTAKES[mistake][0].template
    for result in results:
        assert result.score == result.max_score, result.what
        if not result.passed:
            assert result.outcome == "relies_on_wrong" and result.data["dependencies"] == [forward]
            assert "diagnosis" not in result.data
    on_right_cache = [r for r in results if r.data.get("relation") == "right_cache"]
    assert on_right_cache       # (some may be credited at the forward's statistics before)
    # the right backward is not the gradient of these wrong forwards: the numerical gradient
    # of the student's own forward, where it could be taken (both ran), did not credit it
    verdicts = {r.data.get("gradient_verdict") for r in on_right_cache}
    assert verdicts == ({"both_wrong"} if mistake in BOTH_RAN else {None})
    for result in on_right_cache:
        assert "%s is wrong; fix it first: your %s is right for a right cache" % (
            forward, backward) in output_of(result)


NO_MEAN_PATH = ("dx = dx1 + dx2", "dx = dx1")                                 # batchnorm_backward
PARAMS_OVER_ROWS = ("dbeta = dout.sum(axis=0)\n    dgamma = (dout * x_hat).sum(axis=0)\n"
                    "    g = dout * gamma\n    dx = inv_std",
                    "dbeta = dout.sum(axis=1)\n    dgamma = (dout * x_hat).sum(axis=0)\n"
                    "    g = dout * gamma\n    dx = inv_std")                 # layernorm_backward


@pytest.mark.slow
@pytest.mark.parametrize("mistake, change, backward", [
    ("bn_stats_over_features", NO_MEAN_PATH, "batchnorm_backward"),
    ("ln_broadcast_without_keepdims", PARAMS_OVER_ROWS, "layernorm_backward"),
])
def test_a_backward_wrong_on_a_right_cache_loses_its_points_though_its_forward_is_wrong(
        tmp_path, mistake, change, backward):
    """A wrong (or raising) forward AND a backward wrong for the cache a right forward writes:
    no credit."""
    results = graded(tmp_path, student_files(mistake, change), backward)
    for result in results:
        assert result.outcome != "relies_on_wrong" and result.score == 0, result.what
