"""Stage 5, score: every point of a submission is given here, from the rubric and what the
stages found. Nothing else sets `max_score` or `score` (nor a notebook's verdict, which rests on
the hidden tests).

- Hidden tests: a group's points are shared equally by its tests (adding or removing a test never
  changes a function's total); a passed test earns its share. A test that fails only because a
  student function it builds on is wrong (RELIES_ON_WRONG: consistent with the student's own
  lower-level functions) earns `dependency_credit` of it (default 1: the mistake is charged
  once, to the broken function); a backward that is the exact gradient of the student's own
  (wrong) forward earns `consistent_backward_credit` of it, which follows dependency_credit
  unless the rubric sets it.
- Notebooks: a notebook's one test, "notebook <file>: runs to the end", earns its points when
  every code cell ran without an error (with `partial_credit`, the share of cells that did) AND
  every hidden test of the functions it exercises passed or kept its full points (rubric:
  notebooks.exercises). Whatever the notebook's kernel reports can be forged by one of its own
  cells (an input transformer wrapping every later cell in try/except); the hidden tests run
  where no cell reaches. A notebook the student did not submit (the handout's ran in its place)
  earns nothing unless the rubric's notebooks.score_unsubmitted says otherwise.
"""
from __future__ import annotations

from collections import Counter

from grader.isolation import sandbox
from grader.results import Outcome, SubmissionResult, TestResult
from grader.rubric import Rubric

DECIMALS = 4                       # points are kept to 4 decimals, as in results.json
CONSISTENT = (Outcome.FORWARD_WRONG, Outcome.IMPRECISE)


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
        if test.passed:
            fraction = 1.0
        elif test.outcome in CONSISTENT:
            fraction = group.backward_credit
        elif test.outcome is Outcome.RELIES_ON_WRONG:
            fraction = float(group.dependency_credit)
        else:
            fraction = 0.0
        test.score = _bounded(test.max_score * fraction, test.max_score)


def score_notebook_tests(tests: list[TestResult], rubric: Rubric,
                         hidden: list[TestResult] = ()) -> None:
    """Each notebook's test: its verdict (which also needs the hidden tests of the functions it
    exercises to pass, and the notebook to be the student's) and its points."""
    settings = rubric.notebooks
    passing: dict[str, bool] = {}
    for test in hidden:   # scored already: a test kept whole by dependency credit counts
        whole = test.passed or 0 < test.max_score <= test.score
        passing[test.group] = passing.get(test.group, True) and whole
    for test in tests:
        name = test.function.removeprefix("notebook ")
        test.max_score = settings.points_for(name)
        functions = list(settings.exercises.get(name, ()))
        failing = [f for f in functions if not passing.get(f, False)]
        backed = bool(functions) and not failing
        counts = test.data.get("submitted", True) or settings.score_unsubmitted
        test.data.update(functions=functions, functions_failing=failing)
        if test.passed and not backed:
            test.passed, test.outcome = False, Outcome.FUNCTIONS_FAILING
        elif test.passed and not counts:
            test.passed, test.outcome = False, Outcome.NOT_SUBMITTED
        if test.passed:
            fraction = 1.0
        elif settings.partial_credit and test.outcome is Outcome.NOTEBOOK_FAILED and backed \
                and counts:
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
    score_notebook_tests(notebooks, rubric, hidden)
    warning = sandbox.isolation_warning(isolation)
    return SubmissionResult(
        name=name, seed=seed, tests=list(hidden) + list(notebooks), messages=list(messages),
        warnings=[warning] if warning else [], isolation=isolation,
        notebooks=list(notebook_files), fingerprint=fingerprint,
    )


# ---- course policies, applied by the batch over a graded model (grader/course/finalize.py) ----

ANSWER_PREFIX = "answer "   # written answers' unit: "answer BatchNormalization.ipynb"


def score_written_answers(answers, rubric: Rubric, manual: dict) -> list[TestResult]:
    """One test per written answer that is worth points in the rubric or has a manual.csv row
    (`manual`: {question id: ManualRow}). Its points are the manual ones, never more than the
    rubric gives the question; an answer nobody has scored yet earns 0 and says so."""
    tests = []
    for answer in answers:
        worth = rubric.answers.points_for(answer.question)
        row = manual.get(answer.question)
        if worth <= 0 and row is None:
            continue
        given = row.points if row is not None and row.points is not None else None
        score = _bounded(given, worth) if given is not None else 0.0
        data = {"question": answer.question, "blank": answer.blank,
                "graded": given is not None, "comment": row.comment if row else ""}
        if given is not None and given > worth:
            data["capped_from"] = given
        tests.append(TestResult(
            function=ANSWER_PREFIX + answer.notebook, what=answer.title or answer.question,
            group="answers", passed=given is not None and score >= worth and not answer.blank,
            outcome=Outcome.PASSED if given is not None and score >= worth else Outcome.FAILED,
            max_score=round(worth, DECIMALS), score=score, data=data))
    return tests


def late_penalty(result: SubmissionResult, rubric: Rubric):
    """The LatePenalty of a submission (None without a hand-in time or a due date): a fraction
    `penalty_per_day` of its points per started day past the due date once past the grace
    period, at most `max_penalty`."""
    from grader.course.timing import parse_time   # dates are parsed in one place
    from grader.results import LatePenalty
    policy = rubric.late
    submitted = parse_time(result.submitted_at)
    due_text = policy.due or result.metadata.get("due_date") or ""
    due = parse_time(due_text)
    if submitted is None or due is None or result.error:
        return None
    minutes = (submitted - due).total_seconds() / 60.0
    days = 0
    if minutes > policy.grace_minutes:
        days = int(-(-minutes // 1440))   # started days, counted from the due date
    fraction = min(float(policy.max_penalty), days * float(policy.penalty_per_day))
    return LatePenalty(
        submitted_at=submitted.isoformat(), due_at=due.isoformat(), source=result.submitted_source,
        minutes_late=round(max(0.0, minutes), 1), days_charged=days, fraction=round(fraction, 4),
        points=round(result.tests_score * fraction, DECIMALS))
