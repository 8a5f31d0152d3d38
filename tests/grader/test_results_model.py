"""The results model crosses the process boundary whole: the parent holds exactly what the
worker found (every field, nan and inf included), never a re-read of a rendered file."""
import dataclasses
import json
import math
import subprocess
import sys

import pytest

from grader.batch import _grade_in_worker, load_result, model_path
from grader.results import Finding, Mismatch, Outcome, SubmissionResult, TestResult, Verdict
from grader.rubric import load_rubric
from grader.scoring import score_hidden_tests
from tests.support import ROOT, overridden, submission, write_rubric


def same(a, b) -> bool:
    """Dataclass equality where nan equals nan (the model keeps nan as nan)."""
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(
            same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b and type(a) is type(b)


def every_kind_of_result() -> SubmissionResult:
    findings = [
        Finding("out", False, Verdict.NON_FINITE, rel_error=math.inf, tolerance=1e-7,
                shape=[2, 3], expected_shape=[2, 3], first_mismatch=Mismatch([0, 1], math.nan, 0.5)),
        Finding("dx", True, Verdict.WITHIN, rel_error=1e-12, tolerance=1e-7, metric="norm",
                role="numeric"),
        Finding("config['t']", False, Verdict.EXACT, text="4", expected_text="5"),
    ]
    return SubmissionResult(
        name="ünïcode", seed=7, isolation="bubblewrap", execution_time=1.25, fingerprint="f" * 64,
        messages=["a note"], warnings=["a warning"], notebooks=["notebooks/A.ipynb"],
        tests=[TestResult("batchnorm_backward", "odd sizes", "batchnorm_backward", False,
                          Outcome.FORWARD_WRONG, max_score=1.6, score=0.8, visibility="hidden",
                          header="Ran your forward", findings=findings, notes=["n"],
                          data={"seed": 7, "labels": ["forward", "backward"], "seconds": 0.01})])


def test_to_json_and_from_json_round_trip_every_field():
    result = every_kind_of_result()
    back = SubmissionResult.from_json(result.to_json())
    assert same(result, back)
    assert back.tests[0].outcome is Outcome.FORWARD_WRONG
    assert back.tests[0].findings[0].verdict is Verdict.NON_FINITE
    assert isinstance(back.tests[0].findings[0].first_mismatch, Mismatch)
    assert back.to_json() == result.to_json()


@pytest.mark.slow
def test_no_hint_key_is_carried_any_more():
    """The knowledge point of a failure comes from the diagnosis (grader/feedback/); the hint
    keys the hidden tests used to pass, for a hints module since deleted, are gone."""
    import inspect

    from grader.hidden_tests import checks, harness
    assert "hint" not in {f.name for f in dataclasses.fields(TestResult)}
    for function in (checks.found, checks.outcome, harness.check_forward, harness.check_backward,
                     harness.diagnose):
        assert "hint" not in inspect.signature(function).parameters, function.__name__
    hidden_tests = (ROOT / "grader" / "hidden_tests").rglob("*.py")
    assert not [path.name for path in hidden_tests if "hint" in path.read_text()]


def test_the_parent_gets_the_workers_model_not_a_reading_of_results_json(tmp_path):
    """A submission with a wrong backward (structured findings of every role) graded by a real
    worker process: the parent's model equals the one the worker wrote, field by field."""
    layers = overridden("layers.py", '''
        def relu_backward(dout, cache):
            return dout * (cache > 0) * 1.5
        ''')
    source = submission(tmp_path / "subs" / "alice", {"layers.py": layers})
    rubric_path = write_rubric(tmp_path / "rubric.toml")
    out = tmp_path / "reports"
    worker_model = tmp_path / "worker.json"
    done = subprocess.run(
        [sys.executable, "-m", "grader", "grade-one", str(source), "--out", str(out / "alice"),
         "--seed", "5", "--fingerprint", "fp", "--rubric", str(rubric_path),
         "--model", str(worker_model)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    worker = SubmissionResult.from_json(worker_model.read_text())

    parent = _grade_in_worker(source, out, "alice", 5, "fp", rubric_path, 300)
    assert model_path(out, "alice").is_file() and not (out / "alice" / ".models").exists()
    assert same(parent, load_result(out, "alice"))
    # Two runs with one seed find the same; only the timings differ.
    for timed in (worker, parent):
        timed.execution_time = 0.0
        for test in timed.tests:
            test.data.pop("seconds", None)
    assert same(parent, worker)
    relu = [t for t in parent.tests if t.function == "relu_backward" and not t.passed]
    assert relu and relu[0].outcome is Outcome.BACKWARD_WRONG
    assert {f.role for f in relu[0].findings} == {"reference", "forward", "numeric"}
    # results.json is a rendering of the same model, and nothing of the model's hidden data
    rendered = json.loads((out / "alice" / "results.json").read_text())
    assert rendered["score"] == pytest.approx(parent.score)
    assert [t["name"] for t in rendered["tests"]] == [t.name for t in parent.tests]


def test_a_stale_or_missing_model_is_never_taken_for_a_result(tmp_path):
    out = tmp_path / "reports"
    (out / "alice").mkdir(parents=True)
    (out / "alice" / "results.json").write_text("{}")
    assert load_result(out, "alice") is None               # no model: regrade
    model_path(out, "alice").parent.mkdir()
    model_path(out, "alice").write_text("{not json")
    assert load_result(out, "alice") is None               # a damaged model: regrade
    model_path(out, "alice").write_text(every_kind_of_result().to_json())
    assert load_result(out, "alice") is not None
    (out / "alice" / "results.json").unlink()              # an incomplete report: regrade
    assert load_result(out, "alice") is None


def test_scoring_alone_gives_points_from_the_rubric():
    rubric = load_rubric().with_groups(batchnorm_backward={
        "points": 12, "consistent_backward_credit": 0.25, "dependency_credit": 0.5})
    tests = [TestResult("batchnorm_backward", w, "batchnorm_backward", passed, outcome)
             for w, passed, outcome in (("a", True, Outcome.PASSED),
                                        ("b", False, Outcome.FORWARD_WRONG),
                                        ("d", False, Outcome.RELIES_ON_WRONG),
                                        ("c", False, Outcome.BOTH_WRONG))]
    assert all(t.max_score == t.score == 0 for t in tests)      # a stage gives no points
    score_hidden_tests(tests, rubric)
    assert [t.max_score for t in tests] == [3, 3, 3, 3]
    assert [t.score for t in tests] == [3, 0.75, 1.5, 0]
