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
CASCADES_LEFT: dict[str, str] = {}
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


# Mistakes a graded submission's report cannot name, with why the hidden tests' inputs cannot
# tell them apart (the recognition tests show each is named on some input). None today: every
# hidden test of a catalogued function passes its inputs and outputs to the diagnosis.
UNNAMED: dict[str, str] = {}
NAMED_FLOOR = 75     # of the 75 catalogued mistakes


def test_most_mistakes_are_named_exactly_from_a_graded_submission():
    """Every catalogued mistake but those of UNNAMED is named, exactly, from a real grading run
    (the test above asserts no other mistake is ever named)."""
    if len(NAMED) < len(MISTAKES):
        pytest.skip("needs the parametrized test above to have run")
    named = sorted(m for m, ok in NAMED.items() if ok)
    unnamed = sorted(set(MISTAKES) - set(named))
    print(f"\nnamed exactly from a graded submission: {len(named)} of {len(MISTAKES)}")
    print("not named:", unnamed)
    assert len(MISTAKES) == 75 and len(named) >= NAMED_FLOOR, unnamed
    assert unnamed == sorted(UNNAMED), "not named: %s; named though listed: %s" % (
        sorted(set(unnamed) - set(UNNAMED)), sorted(set(UNNAMED) - set(unnamed)))
