"""Every catalogued mistake, made in a submission and graded by the hidden tests: its report
names that mistake, and no other one.

The students are those of tests/grader/feedback_students.py (one mistake each, written apart
from the recognizers). Each is graded exactly as a submission is (the catalogue in a sandboxed
child, the diagnosis in this process) and rendered to report.md in English and Chinese.
"""
import time

import pytest

from grader.feedback.catalogue import load_catalogue
from grader.hidden_tests.catalogue import run_hidden_tests
from grader.hidden_tests.student_process import StudentProcess
from grader.isolation.sandbox import Limits
from grader.report.markdown import to_markdown
from grader.results import SubmissionResult
from grader.rubric import load_rubric
from grader.scoring import score_hidden_tests
from tests.grader.feedback_students import MISTAKES
from tests.support import make_workspace, sandbox_level

pytestmark = pytest.mark.slow   # one catalogue run per mistake (about a second each)

CATALOGUE = load_catalogue()
# Not yet: a right function still loses points through the mistaken one (work left to do).
RAISED_FIRST = "the student's lower-level function raises, so the caller is never judged"
CASCADES_LEFT = {
    "affine_no_flatten": RAISED_FIRST,
    "affine_dw_transposed": "the network raises on the wrongly shaped dW of affine_backward",
    "relu_max_given_an_array": RAISED_FIRST,
    "ln_broadcast_without_keepdims": RAISED_FIRST,
    "dropout_rand_tuple": RAISED_FIRST,
    "dropout_mask_not_cached": RAISED_FIRST,
    "bn_stats_over_features": "the staged backward's broadcasting of per-row statistics is not "
                              "evaluated; the network raises",
    "dropout_backward_fresh_mask": "a fresh mask's draws in the network differ from the composed layers'",
    "gn_groups_interleaved": "the backward applies 1/std of interleaved groups to contiguous ones",
    "gn_groups_swapped": "the backward raises on (or misreads) the cache of swapped groups",
    "gn_stats_without_spatial": "one-element sets (G=C): x_hat is all 0, no 1/std to read back",
    "gn_broadcast_without_keepdims": RAISED_FIRST,
}
NAMED, SECONDS = {}, []


def graded(tmp_path, files) -> SubmissionResult:
    workspace = make_workspace(tmp_path, files)
    (tmp_path / "scratch").mkdir()
    rubric = load_rubric()
    with StudentProcess(workspace, tmp_path / "scratch", Limits(),
                        level=sandbox_level()) as student:
        tests = run_hidden_tests(student, 2024, rubric)
    score_hidden_tests(tests, rubric)
    return SubmissionResult(name="student", seed=2024, tests=tests)


@pytest.mark.parametrize("mistake_id", list(MISTAKES))
def test_the_report_names_the_mistake_made_and_no_other(tmp_path, mistake_id):
    result = graded(tmp_path, MISTAKES[mistake_id][0].files())
    named = {t.data["diagnosis"]["mistake"] for t in result.tests
             if (t.data.get("diagnosis") or {}).get("mistake")}
    assert named <= {mistake_id}, named                      # never another mistake
    NAMED[mistake_id] = bool(named)
    mistake = CATALOGUE.mistake(mistake_id)
    student = MISTAKES[mistake_id][0]
    lost = {t.function for t in result.tests if t.score < t.max_score - 1e-9}
    for lang in ("en", "zh"):
        report = to_markdown(result, lang=lang)
        assert (mistake.diagnosis[lang] in report) == bool(named)
    # Points are lost only in the mistaken function: a right function that calls it keeps its own.
    only_own = bool(lost) and lost <= set(mistake.functions) | {student.template} | set(student.functions)
    if mistake_id in CASCADES_LEFT and not only_own:
        pytest.xfail(CASCADES_LEFT[mistake_id])
    assert only_own, lost


def test_most_mistakes_are_named_exactly_from_a_graded_submission():
    """Some mistakes leave no trace the hidden tests' inputs can tell apart (the recognition
    tests show each is named on some input); most must be named from a real grading run."""
    if len(NAMED) < len(MISTAKES):
        pytest.skip("needs the parametrized test above to have run")
    named = sorted(m for m, ok in NAMED.items() if ok)
    print(f"\nnamed exactly from a graded submission: {len(named)} of {len(MISTAKES)}")
    print("not named:", sorted(set(MISTAKES) - set(named)))
    assert len(named) >= 0.8 * len(MISTAKES), sorted(set(MISTAKES) - set(named))
