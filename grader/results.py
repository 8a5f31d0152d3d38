"""The results model, defined once. Every output format (results.json, report.md/html,
gradebook.csv, JUnit XML) is rendered from these objects by grader/report.py and
grader/gradebook.py; nothing else formats results.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TestResult:
    """One graded test. `name` always begins with the graded unit and ': '."""

    __test__ = False   # not a pytest test class, despite the name

    function: str            # graded unit: "batchnorm_forward", "FullyConnectedNet", "adam",
                             # or "notebook BatchNormalization.ipynb"
    what: str                # what this test checks, e.g. "train mode, tiny-variance input"
    group: str               # rubric group the points and tolerance come from
    max_score: float
    passed: bool
    score: float = 0.0       # partial credit is allowed: 0 <= score <= max_score
    output: str = ""         # what the student reads: what was compared and what to look at
    visibility: str = "visible"   # Gradescope: visible, after_published, after_due_date, hidden
    details: dict = field(default_factory=dict)  # rel_error, tolerance, shapes, first_mismatch

    @property
    def name(self) -> str:
        return f"{self.function}: {self.what}"

    @property
    def status(self) -> str:
        return "passed" if self.passed else "failed"


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

    @property
    def score(self) -> float:
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
