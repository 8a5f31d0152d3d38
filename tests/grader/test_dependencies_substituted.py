"""A function whose only fault is a lower-level function that raises (or is wrong) keeps its
points: a backward whose forward raises is judged on the cache the layer builds from its
inputs; a network whose layer raises is run again with that layer answering from the grader's
recorded table (grader/hidden_tests/substitutes.py). A caller wrong on its own still loses."""
import numpy as np
import pytest

from grader.hidden_tests.child import runner
from grader.report.prose import output_of
from tests.grader.feedback_students import MISTAKES
from tests.grader.test_hidden_tests import grade

RAISING_RELU = MISTAKES["relu_max_given_an_array"][0]       # relu_forward: np.max(0, x)


def student_files(student, *changes):
    files = student.files()
    for old, new in changes:
        assert old in files["fc_net.py"] or old in files["layers.py"]
        files = {name: text.replace(old, new) for name, text in files.items()}
    return files


def by_function(results, function):
    return [r for r in results.values() if r.function == function]


@pytest.mark.slow
def test_a_raising_relu_costs_only_relu_forward(tmp_path):
    results, _ = grade(tmp_path, RAISING_RELU.files())
    lost = {r.function for r in results.values() if r.score < r.max_score}
    assert lost == {"relu_forward"}
    backward = by_function(results, "relu_backward")
    assert {r.outcome for r in backward} == {"relies_on_wrong"}
    assert all(r.data["dependencies"] == ["relu_forward"] for r in backward)
    network = [r for r in by_function(results, "FullyConnectedNet") if "loss" in r.what
               or "scores" in r.what or "dropout" in r.what]
    assert network and {r.outcome for r in network} == {"relies_on_wrong"}
    for result in network:
        assert result.data["dependencies"] == ["relu_forward"]
        assert "relu_forward is wrong; fix it first" in output_of(result)


@pytest.mark.slow
def test_a_caller_wrong_on_its_own_is_not_credited_though_its_callee_raises(tmp_path):
    """relu_forward raises AND the network's L2 term lacks the 1/2 AND relu_backward ignores
    x: the tests with reg > 0 and relu_backward's still lose their points."""
    files = student_files(RAISING_RELU, ("loss += 0.5 * self.reg *", "loss += self.reg *"),
                          ("dx = dout * (x > 0)", "dx = dout * (dout > 0)"))
    results, _ = grade(tmp_path, files)
    regularized = [r for r in by_function(results, "FullyConnectedNet")
                   if "L2 regularization" in r.what or "running averages" in r.what]   # reg > 0
    assert regularized
    for result in regularized + by_function(results, "relu_backward"):
        assert result.outcome != "relies_on_wrong" and result.score == 0, result.name


def table(*arrays):
    return [{"index": i, "args": [a], "result": a * 2, "after": []} for i, a in enumerate(arrays)]


def test_a_stand_in_answers_the_recorded_call_in_order_and_refuses_others():
    x, other = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    proxy = runner.forward_proxy("relu_forward", table(x, other, x))
    first, second = proxy(x.copy()), proxy(x.copy())      # the same input twice: two calls
    assert (first[1].index, second[1].index) == (0, 2)
    assert np.array_equal(first[0], 2 * x)
    with pytest.raises(runner.SubstituteMiss):
        proxy(x + 1e-3)
    backward = runner.backward_proxy("relu_backward", [
        {"forward": "relu_forward", "index": 0, "dout": [other], "result": other * 3}])
    assert np.array_equal(backward(other.copy(), first[1]), 3 * other)
    with pytest.raises(runner.SubstituteMiss):
        backward(other + 1, first[1])               # another upstream gradient
    with pytest.raises(runner.SubstituteMiss):
        backward(other, ("x", "cache"))             # not the stand-in's cache
