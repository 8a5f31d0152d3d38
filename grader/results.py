"""The results model, defined once and lossless.

The stages return findings (`Finding`, `TestResult` without points); grader/scoring.py gives
the points; grader/report/ renders every output format (results.json, report.md/html, JUnit,
gradebook.csv, the plot) from a `SubmissionResult` and is the only place that writes prose or
applies visibility. A grader worker hands its parent the model itself (`to_json`, written
outside the student's report folder), never a rendered file: `from_json(to_json(r)) == r`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    """What the comparison of one quantity found."""

    WITHIN = "within"              # within tolerance (or equal, for exact checks)
    ABOVE = "above"                # a relative error above tolerance
    SHAPE = "shape"                # the shape differs
    NONE = "none"                  # the student returned None (a stub)
    NOT_NUMBERS = "not_numbers"    # not an array of real numbers
    NON_FINITE = "non_finite"      # nan or inf where the expected value differs
    EXACT = "exact"                # an equality check of a non-array value (see `yours`)
    NOTE = "note"                  # a property check described by `text`


class Outcome(StrEnum):
    """How a whole test ended. Backward tests that fail are told apart by the numerical
    gradient of the student's own forward (grader/hidden_tests/harness.py: diagnose)."""

    PASSED = "passed"
    FAILED = "failed"                    # a compared value is wrong
    STUB = "stub"                        # the function still returns None
    RAISED = "raised"                    # the student's code raised an exception
    TIMEOUT = "timeout"                  # the student's code ran out of time
    DIED = "died"                        # the student's process died (a limit, os._exit, ...)
    PROTOCOL = "protocol"                # the student's process answered something unreadable
    NOT_LOADED = "not_loaded"            # the student's modules could not be imported
    BAD_RETURN = "bad_return"            # the function returned the wrong number of values
    BACKWARD_WRONG = "backward_wrong"    # forward right, backward not its gradient
    FORWARD_WRONG = "forward_wrong"      # backward is the gradient of a wrong forward
    IMPRECISE = "imprecise"              # backward is the gradient of the forward, imprecisely
    BOTH_WRONG = "both_wrong"            # forward wrong and backward not its gradient
    RELIES_ON_WRONG = "relies_on_wrong"  # wrong only because a student function it builds on
                                         # is wrong (data["dependencies"] names them)
    GRADER_ERROR = "grader_error"        # the grader failed on this test (not the student)
    NOTEBOOK_FAILED = "notebook_failed"  # a notebook did not run to the end without an error
    FUNCTIONS_FAILING = "functions_failing"  # a notebook ran, but hidden tests of functions it
                                             # exercises failed (its own output proves nothing)
    NOT_SUBMITTED = "not_submitted"      # a notebook run from the handout: the student sent none
    NOT_RUN = "not_run"                  # the submission's time limit came first


@dataclass
class Mismatch:
    index: list[int]
    yours: float
    expected: float


@dataclass
class Finding:
    """One compared quantity: "out", "dx", "bn_param['running_mean']", "next_w (step 2)"."""

    quantity: str
    ok: bool
    verdict: Verdict
    rel_error: float | None = None
    tolerance: float | None = None
    metric: str = "elementwise"          # or "norm" (relative error of the norms)
    shape: list[int] | None = None
    expected_shape: list[int] | None = None
    first_mismatch: Mismatch | None = None
    text: str = ""                       # NOT_NUMBERS: what was returned; NOTE: the finding;
                                         # EXACT: repr of the student's value
    expected_text: str = ""              # EXACT: repr of the expected value
    role: str = "reference"              # "reference": against the reference (scored);
                                         # "forward": the student's forward vs the reference;
                                         # "numeric": vs the numerical gradient of their forward;
                                         # "own": vs the student's own lower-level functions
                                         # (or a backward's closed form at the student's
                                         # own forward statistics)
    variant: str = ""                    # key of the accepted variant formula that matched
                                         # (grader/report/prose.py: VARIANTS), "" for the main one


@dataclass
class TestResult:
    """One graded test. `name` always begins with the graded unit and ': '."""

    __test__ = False   # not a pytest test class, despite the name

    function: str            # graded unit: "batchnorm_forward", "FullyConnectedNet", "adam",
                             # or "notebook BatchNormalization.ipynb"
    what: str                # what this test checks, e.g. "train mode, tiny-variance input"
    group: str               # rubric group the points and tolerance come from
    passed: bool
    outcome: Outcome = Outcome.PASSED
    max_score: float = 0.0   # set by grader/scoring.py
    score: float = 0.0       # set by grader/scoring.py; partial credit: 0 <= score <= max_score
    visibility: str = "visible"   # Gradescope: visible, after_published, after_due_date, hidden
    header: str = ""         # what was run, on what (shapes and settings, never values)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # what else was found (an error message, ...)
    data: dict = field(default_factory=dict)   # scalars: seed, test_index, seconds, cells_run, ...

    @property
    def name(self) -> str:
        return f"{self.function}: {self.what}"

    @property
    def status(self) -> str:
        return "passed" if self.passed else "failed"

    @property
    def scored(self) -> list[Finding]:
        """The findings compared with the reference (the test's own checks)."""
        return [f for f in self.findings if f.role == "reference"]

    @property
    def rel_error(self) -> float | None:
        errors = [f.rel_error for f in self.scored if f.rel_error is not None]
        return max(errors) if errors else None

    @property
    def tolerance(self) -> float | None:
        return next((f.tolerance for f in self.scored if f.tolerance is not None), None)

    @property
    def shapes(self) -> dict:
        return {f.quantity: f.shape for f in self.scored if f.expected_shape is not None}

    @property
    def first_mismatch(self) -> Mismatch | None:
        failing = next((f for f in self.scored if not f.ok), None)
        return failing.first_mismatch if failing else None


@dataclass
class Answer:
    """A written answer: the text of one answer cell (tag "answer") of a submitted notebook."""

    notebook: str            # "BatchNormalization.ipynb"
    question: str            # "BatchNormalization Q1": the id manual.csv and the rubric use
    title: str = ""          # "Inline Question 1"
    text: str = ""           # the student's text, without the handout's "Your Answer:" label
    blank: bool = True       # empty, the handout's placeholder, or no answer cell at all


@dataclass
class LatePenalty:
    """How late a submission was and what it cost (grader/scoring.py: late_penalty)."""

    submitted_at: str        # ISO 8601 with a time zone
    due_at: str
    source: str              # "submission_metadata.json" or "file times"
    minutes_late: float = 0.0
    days_charged: int = 0    # days (or started days) past the grace period
    fraction: float = 0.0    # of the score taken off
    points: float = 0.0      # taken off, DECIMALS places


@dataclass
class SubmissionResult:
    """Everything the grader found out about one submission."""

    name: str
    seed: int
    tests: list[TestResult] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # submission-level notes for the student
    warnings: list[str] = field(default_factory=list)  # grader-side warnings (weak isolation, ...)
    isolation: str = "unknown"
    execution_time: float = 0.0
    error: str | None = None      # set when the submission could not be graded at all
    notebooks: list[str] = field(default_factory=list)  # executed notebook files, report-relative
    fingerprint: str = ""         # hash of submission + grader + rubric (skip a current rerun)
    # Course logistics (grader/course/): what the submission says about itself, kept by the
    # worker; the batch adds manual points and the late penalty when it renders (finalize).
    answers: list[Answer] = field(default_factory=list)
    code: dict[str, str] = field(default_factory=dict)   # student file -> text (similarity)
    submitted_at: str | None = None   # ISO 8601, from submission_metadata.json or file times
    submitted_source: str = ""        # which of the two
    metadata: dict = field(default_factory=dict)   # Gradescope's: users, due date, id
    late: LatePenalty | None = None

    @property
    def score(self) -> float:
        """The tests' points less the late penalty, never below 0."""
        penalty = self.late.points if self.late else 0.0
        return round(max(0.0, sum(t.score for t in self.tests) - penalty), 4)

    @property
    def tests_score(self) -> float:
        """The tests' points before any late penalty."""
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    @property
    def percent(self) -> float:
        """Score as a percentage of max_score; 0.0 when there is nothing to score."""
        return round(100.0 * self.score / self.max_score, 2) if self.max_score > 0 else 0.0

    def by_function(self) -> dict[str, tuple[float, float]]:
        """{graded unit: (score, max_score)} in first-seen order."""
        totals: dict[str, list[float]] = {}
        for t in self.tests:
            entry = totals.setdefault(t.function, [0.0, 0.0])
            entry[0] += t.score
            entry[1] += t.max_score
        return {k: (round(v[0], 4), round(v[1], 4)) for k, v in totals.items()}

    # ---- the worker-to-parent format: every field, exactly -----------------------------

    def to_json(self) -> str:
        """JSON holding every field (nan and inf included: Python's json reads them back)."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "SubmissionResult":
        data = json.loads(text)
        data["tests"] = [_test_from_dict(t) for t in data.get("tests", [])]
        data["answers"] = [Answer(**a) for a in data.get("answers", [])]
        if data.get("late") is not None:
            data["late"] = LatePenalty(**data["late"])
        return cls(**data)


def _test_from_dict(data: dict) -> TestResult:
    data = dict(data)
    data["outcome"] = Outcome(data["outcome"])
    data["findings"] = [_finding_from_dict(f) for f in data.get("findings", [])]
    return TestResult(**data)


def _finding_from_dict(data: dict) -> Finding:
    data = dict(data)
    data["verdict"] = Verdict(data["verdict"])
    if data.get("first_mismatch") is not None:
        data["first_mismatch"] = Mismatch(**data["first_mismatch"])
    return Finding(**data)
