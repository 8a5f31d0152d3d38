"""The whole submission's time limit: the notebooks and hidden tests stop at a deadline taken
from it, and what finished is scored and reported (a stopped worker reported nothing)."""
import json
import time

import pytest

from grader.hidden_tests.catalogue import CATALOGUE
from grader.pipeline import grade_submission
from grader.report.prose import diagnosis_of, output_of
from grader.results import Outcome
from grader.rubric import load_rubric
from tests.support import overridden, sandbox_level, submission

pytestmark = pytest.mark.slow

ENDLESS_ADAM = """
def adam(w, dw, config=None):
    while True:
        pass
"""


def test_at_the_deadline_what_finished_is_reported_and_the_rest_is_not_run(tmp_path):
    source = submission(tmp_path / "sub", {"optim.py": overridden("optim.py", ENDLESS_ADAM)})
    rubric = load_rubric()   # notebooks on: 4 of them, each allowed 300 s
    left = 4.0               # a worker that has used all but 4 s of its time
    started = time.monotonic() - (rubric.submission_timeout - rubric.deadline_reserve - left)
    began = time.monotonic()
    result = grade_submission(source, tmp_path / "out", seed=1, rubric=rubric, started=started,
                              isolation=sandbox_level())
    assert time.monotonic() - began < left + 10
    hidden = [t for t in result.tests if not t.function.startswith("notebook ")]
    notebooks = [t for t in result.tests if t.function.startswith("notebook ")]
    assert len(hidden) == len(CATALOGUE) and len(notebooks) == 4     # every test is listed
    assert {t.outcome for t in hidden} == {Outcome.PASSED, Outcome.NOT_RUN}
    assert all(t.outcome is Outcome.NOT_RUN for t in hidden if t.function == "adam")
    assert all(t.outcome is Outcome.NOT_RUN and t.score == 0 for t in notebooks)
    assert "could start" in output_of(notebooks[0])
    assert not any(diagnosis_of(t) for t in hidden if t.outcome is Outcome.NOT_RUN)   # no mistake
    assert result.score == pytest.approx(sum(t.max_score for t in hidden if t.passed), abs=1e-3)
    written = json.loads((tmp_path / "out" / "results.json").read_text())
    assert written["score"] == pytest.approx(result.score) and not result.error
