"""Stage 5, score: every point of a submission is given here, from the rubric and what the
stages found. Nothing else sets `max_score` or `score`.

- Hidden tests: a group's points are shared equally by its tests (adding or removing a test never
  changes a function's total); a passed test earns its share; a backward that is the exact
  gradient of the student's own (wrong) forward earns `consistent_backward_credit` of it.
- Notebooks: "notebook <file>: runs to the end" earns the notebook's points when every code cell
  ran without an error (with `partial_credit`, the share of cells that did); the per-cell tests
  are information and earn nothing.
"""
from __future__ import annotations

from collections import Counter

from grader.isolation import sandbox
from grader.results import Outcome, SubmissionResult, TestResult
from grader.rubric import Rubric

DECIMALS = 4                       # points are kept to 4 decimals, as in results.json
CONSISTENT = (Outcome.FORWARD_WRONG, Outcome.IMPRECISE)
NOTEBOOK_TEST = "runs to the end"


def split_points(points: float, count: int) -> list[float]:
    """`count` shares of `points` with DECIMALS decimals that add up to `points` exactly,
    in ascending order (10 points over 9 tests: eight of 1.1111, then one of 1.1112)."""
    unit = 10 ** DECIMALS
    base, extra = divmod(round(points * unit), count)
    return [(base + (i >= count - extra)) / unit for i in range(count)]


def score_hidden_tests(tests: list[TestResult], rubric: Rubric) -> None:
    """Give each hidden test its share of its group's points and its score, in order."""
    counts = Counter(t.group for t in tests)
    shares = {group: split_points(float(rubric.groups[group].points), count)
              for group, count in counts.items()}
    for test in tests:
        group = rubric.groups[test.group]
        test.max_score = shares[test.group].pop(0)
        fraction = 1.0 if test.passed else (
            float(group.consistent_backward_credit) if test.outcome in CONSISTENT else 0.0)
        test.score = _bounded(test.max_score * fraction, test.max_score)


def score_notebook_tests(tests: list[TestResult], rubric: Rubric) -> None:
    """The notebook's main test earns its points; the per-cell tests earn none."""
    settings = rubric.notebooks
    for test in tests:
        if test.what != NOTEBOOK_TEST:
            test.max_score = test.score = 0.0
            continue
        test.max_score = settings.points_for(test.function.removeprefix("notebook "))
        if test.passed:
            fraction = 1.0
        elif settings.partial_credit and test.outcome is Outcome.NOTEBOOK_FAILED:
            test.data["partial_credit"] = True   # the report says how the score was made
            fraction = test.data.get("cells_clean", 0) / max(1, test.data.get("cells_total", 0))
        else:
            fraction = 0.0
        test.score = _bounded(test.max_score * fraction, test.max_score)


def _bounded(score: float, max_score: float) -> float:
    return round(min(max(score, 0.0), max_score), DECIMALS)


def assemble(*, name: str, seed: int, hidden: list[TestResult], notebooks: list[TestResult],
             rubric: Rubric, messages: list[str], notebook_files: list[str], isolation: str,
             fingerprint: str = "") -> SubmissionResult:
    """One scored SubmissionResult from the stages' findings."""
    score_hidden_tests(hidden, rubric)
    score_notebook_tests(notebooks, rubric)
    warning = sandbox.isolation_warning(isolation)
    return SubmissionResult(
        name=name, seed=seed, tests=list(hidden) + list(notebooks), messages=list(messages),
        warnings=[warning] if warning else [], isolation=isolation,
        notebooks=list(notebook_files), fingerprint=fingerprint,
    )
