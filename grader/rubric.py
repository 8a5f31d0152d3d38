"""The rubric: points, tolerances, time limits, visibility and policies, read from a TOML file
(grader/rubric.toml by default) into one typed, frozen `Rubric`.

Instructors edit the TOML file, never code. This module is the only place that reads it and
the only place defaults live; a malformed rubric stops the grader with a `RubricError` that
names the key and its line.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from grader.isolation.sandbox import Limits

DEFAULT_RUBRIC = Path(__file__).resolve().parent / "rubric.toml"
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
SHAPE_POLICIES = ("lenient", "strict")


class RubricError(ValueError):
    """The rubric file is malformed; the message names the offending key and its line."""


@dataclass(frozen=True)
class Group:
    """One graded function's table, [groups.<name>] over [defaults]."""

    points: float
    tolerance: float = 1e-7               # CS231n relative error against the reference
    numeric_tolerance: float = 1e-5       # a backward against numerical gradients (norms)
    timeout: float = 10.0                 # seconds for one test
    visibility: str = "visible"
    shapes: str = "lenient"               # "strict": a shape differing from the expected one only
                                          # by axes of length 1 fails ("lenient": passes, noted)
    dependency_credit: float = 1.0        # fraction kept by a test failing only because a
                                          # student function it builds on is wrong
    consistent_backward_credit: float | None = None   # a backward right for the student's wrong
                                          # forward (a dependency too): None follows dependency_credit

    @property
    def backward_credit(self) -> float:
        """The fraction a backward that is right for the student's own (wrong) forward keeps."""
        credit = self.consistent_backward_credit
        return float(self.dependency_credit if credit is None else credit)


@dataclass(frozen=True)
class Notebooks:
    run: bool = True
    points: float = 0.0                   # per notebook, unless per_notebook names it
    per_notebook: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    # The graded functions each notebook calls: its points need their hidden tests to pass
    # (a notebook's own kernel can forge whatever its check cells print; these tests it cannot).
    exercises: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    cell_timeout: float = 120.0
    notebook_timeout: float = 300.0
    continue_on_error: bool = True
    partial_credit: bool = False          # a failing notebook earns its share of clean cells
    score_unsubmitted: bool = False       # a notebook run from the handout (not submitted) earns
    visibility: str = "visible"
    only: tuple[str, ...] = ()            # execute (and score) only these; empty: all

    def points_for(self, notebook: str) -> float:
        return float(self.per_notebook.get(notebook, self.points))


@dataclass(frozen=True)
class Answers:
    """Written answers (answer cells of the notebooks), scored by hand through manual.csv."""

    points: float = 0.0                   # per question, unless per_question names it
    per_question: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def points_for(self, question: str) -> float:
        return float(self.per_question.get(question, self.points))


@dataclass(frozen=True)
class LatePolicy:
    """A fraction of the score off per started day late, up to a cap. The due date is `due`,
    or Gradescope's (submission_metadata.json) when `due` is empty."""

    due: str = ""                         # ISO 8601, e.g. "2025-03-01T23:59:00-08:00"
    grace_minutes: float = 0.0            # this late or less is on time
    penalty_per_day: float = 0.0          # fraction of the score per started day late
    max_penalty: float = 1.0              # cap on the fraction taken off


@dataclass(frozen=True)
class Course:
    assignment: str = "Assignment"        # the assignment's column in canvas.csv
    similarity_threshold: float = 0.7     # pairs at or above this share of code are listed


@dataclass(frozen=True)
class Rubric:
    groups: Mapping[str, Group]
    notebooks: Notebooks = Notebooks()
    submission_timeout: float = 1800.0    # seconds for a whole submission
    grader_memory_bytes: int = 3 << 30    # address space of a grader worker (RLIMIT_AS, soft)
    hidden_test_limits: Limits = Limits()
    notebook_limits: Limits = Limits(cpu_seconds=900, processes=128)
    language: str = "en"                  # reports: "en", "zh" or "both" ([report] language)
    answers: Answers = Answers()
    late: LatePolicy = LatePolicy()
    course: Course = Course()
    path: str = str(DEFAULT_RUBRIC)

    @property
    def digest(self) -> str:
        return rubric_digest(Path(self.path))

    @property
    def deadline_reserve(self) -> float:
        return reserve_seconds(self.submission_timeout)

    def with_groups(self, **changes: dict) -> "Rubric":
        """A copy with some groups' fields changed: with_groups(adam={"timeout": 1})."""
        groups = dict(self.groups)
        for name, fields in changes.items():
            groups[name] = dataclasses.replace(groups[name], **fields)
        return dataclasses.replace(self, groups=MappingProxyType(groups))


def reserve_seconds(submission_timeout: float) -> float:
    """Seconds of a submission's time limit kept for starting the grader worker, intake, scoring
    and writing the reports: the notebooks and hidden tests stop that long before the limit, so
    that what they finished is always reported."""
    return min(60.0, max(10.0, 0.1 * submission_timeout))


# ---- loading ------------------------------------------------------------------------------

_TOP = {"defaults", "groups", "notebooks", "limits", "report", "answers", "late", "course"}
LANGUAGES = ("en", "zh", "both")
_LIMIT_KEYS = {f.name for f in dataclasses.fields(Limits)} - {"wall_seconds"}


def load_rubric(path: Path = DEFAULT_RUBRIC) -> Rubric:
    """Parse and check the rubric file."""
    path = Path(path)
    try:
        text = path.read_text()
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RubricError(f"{path}: {exc}") from exc
    where = _Locator(path, text)
    where.unknown(data, _TOP, "")
    defaults = data.get("defaults", {})
    group_fields = {f.name for f in dataclasses.fields(Group)}
    where.unknown(defaults, group_fields - {"points"}, "defaults")
    _check_group(Group(points=0, **defaults), "defaults", where)
    groups = data.get("groups", {})
    if not groups:
        raise RubricError(f"{path}: no [groups.<name>] tables")
    typed = {}
    for name, table in groups.items():
        where.unknown(table, group_fields, f"groups.{name}")
        merged = {**defaults, **table}
        if "points" not in merged:
            raise where.error(f"groups.{name}", None, "has no `points`")
        typed[name] = Group(**merged)
        _check_group(typed[name], f"groups.{name}", where)
    notebooks = data.get("notebooks", {})
    where.unknown(notebooks, {f.name for f in dataclasses.fields(Notebooks)}, "notebooks")
    only = notebooks.get("only", [])
    if not isinstance(only, list) or not all(isinstance(n, str) for n in only):
        raise where.error("notebooks", "only", f"must be a list of notebook file names, not {only!r}")
    per = notebooks.get("per_notebook", {})
    for name, points in per.items():
        _check_points(points, "notebooks.per_notebook", name, where)
    exercises = _exercises(notebooks.get("exercises", {}), typed, where)
    nb = Notebooks(**{**notebooks, "only": tuple(only), "per_notebook": MappingProxyType(dict(per)),
                      "exercises": exercises})
    _check_points(nb.points, "notebooks", "points", where)
    _check_visibility(nb.visibility, "notebooks", where)
    for key in ("cell_timeout", "notebook_timeout"):
        _check_seconds(getattr(nb, key), "notebooks", key, where)
    for name in per:
        if per[name] and name not in exercises:
            raise where.error("notebooks.per_notebook", name, "has points but notebooks.exercises "
                              "names no functions for it (a notebook's points need the hidden "
                              "tests of the functions it exercises to pass)")
    report = data.get("report", {})
    where.unknown(report, {"language"}, "report")
    language = report.get("language", Rubric.language)
    if language not in LANGUAGES:
        raise where.error("report", "language", f"must be one of {list(LANGUAGES)}, not {language!r}")
    limits = data.get("limits", {})
    where.unknown(limits, {"submission_timeout", "grader_memory_bytes", "hidden_tests",
                           "notebook"}, "limits")
    submission_timeout = limits.get("submission_timeout", Rubric.submission_timeout)
    _check_seconds(submission_timeout, "limits", "submission_timeout", where)
    _check_notebooks_fit(nb, float(submission_timeout), where)
    memory = limits.get("grader_memory_bytes", Rubric.grader_memory_bytes)
    if not isinstance(memory, int) or isinstance(memory, bool) or memory <= 0:
        raise where.error("limits", "grader_memory_bytes",
                          f"must be a whole number > 0, not {memory!r}")
    answers, late, course = _course_tables(data, where)
    return Rubric(
        answers=answers, late=late, course=course,
        groups=MappingProxyType(typed), notebooks=nb,
        submission_timeout=float(submission_timeout),
        grader_memory_bytes=memory,
        hidden_test_limits=_limits(limits.get("hidden_tests", {}), Rubric.hidden_test_limits,
                                   "limits.hidden_tests", where),
        notebook_limits=_limits(limits.get("notebook", {}), Rubric.notebook_limits,
                                "limits.notebook", where),
        language=language, path=str(path))


def _course_tables(data: dict, where: "_Locator") -> tuple[Answers, LatePolicy, Course]:
    """[answers], [late] and [course]: written answers' points, the late policy, exports."""
    table = data.get("answers", {})
    where.unknown(table, {"points", "per_question"}, "answers")
    per = table.get("per_question", {})
    if not isinstance(per, dict):
        raise where.error("answers", "per_question", "must be a table of question = points")
    for question, points in per.items():
        _check_points(points, "answers.per_question", question, where)
    answers = Answers(points=table.get("points", 0.0),
                      per_question=MappingProxyType(dict(per)))
    _check_points(answers.points, "answers", "points", where)

    table = data.get("late", {})
    where.unknown(table, {f.name for f in dataclasses.fields(LatePolicy)}, "late")
    late = LatePolicy(**table)
    if late.due:
        from grader.course.timing import parse_time   # the one parser of dates
        if parse_time(late.due) is None:
            raise where.error("late", "due", f"must be an ISO 8601 date with a time zone, such as "
                                             f"2025-03-01T23:59:00-08:00, not {late.due!r}")
    for key in ("grace_minutes", "penalty_per_day"):
        _check_points(getattr(late, key), "late", key, where)
    if not isinstance(late.max_penalty, (int, float)) or not 0 <= late.max_penalty <= 1:
        raise where.error("late", "max_penalty", f"must be between 0 and 1, not {late.max_penalty!r}")

    table = data.get("course", {})
    where.unknown(table, {f.name for f in dataclasses.fields(Course)}, "course")
    course = Course(**table)
    if not isinstance(course.assignment, str) or not course.assignment.strip():
        raise where.error("course", "assignment", "must be a non-empty name")
    threshold = course.similarity_threshold
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise where.error("course", "similarity_threshold", f"must be in (0, 1], not {threshold!r}")
    return answers, late, course


def _exercises(table, groups: Mapping[str, Group], where: "_Locator") -> Mapping:
    if not isinstance(table, dict):
        raise where.error("notebooks", "exercises", "must be a table of notebook file names")
    for name, functions in table.items():
        if not isinstance(functions, list) or not functions or not all(
                isinstance(f, str) for f in functions):
            raise where.error("notebooks.exercises", name,
                              f"must be a non-empty list of graded function names, not {functions!r}")
        unknown = [f for f in functions if f not in groups]
        if unknown:
            raise where.error("notebooks.exercises", name, f"names {', '.join(unknown)}, which no "
                              "[groups.<name>] table grades")
    return MappingProxyType({name: tuple(functions) for name, functions in table.items()})


def _check_notebooks_fit(nb: Notebooks, submission_timeout: float, where: "_Locator") -> None:
    """The notebooks run one after the other (beside the hidden tests): their time limits
    together must fit in the submission's, or the last ones could never run."""
    count = len(nb.only) if nb.only else len(nb.exercises)
    if not nb.run or not count:
        return
    reserve = reserve_seconds(submission_timeout)
    if count * nb.notebook_timeout + reserve > submission_timeout:
        raise where.error("limits", "submission_timeout", (
            f"= {submission_timeout:g} s cannot hold {count} notebooks of notebooks."
            f"notebook_timeout = {nb.notebook_timeout:g} s each plus {reserve:g} s for start-up "
            f"and reports: raise it to at least {count * nb.notebook_timeout + reserve:g} s or "
            f"lower notebook_timeout to at most {(submission_timeout - reserve) / count:g} s"))


def _check_seconds(value, table: str, key: str, where: "_Locator") -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise where.error(table, key, f"must be a number of seconds > 0, not {value!r}")


def _limits(table: dict, default: Limits, where_name: str, where: "_Locator") -> Limits:
    where.unknown(table, _LIMIT_KEYS, where_name)
    for key, value in table.items():
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise where.error(where_name, key, f"must be a whole number > 0, not {value!r}")
    return dataclasses.replace(default, **table)


def _check_group(group: Group, name: str, where: "_Locator") -> None:
    _check_points(group.points, name, "points", where)
    _check_visibility(group.visibility, name, where)
    for key in ("tolerance", "numeric_tolerance", "timeout"):
        value = getattr(group, key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise where.error(name, key, f"must be a number > 0, not {value!r}")
    for key in ("dependency_credit", "consistent_backward_credit"):
        credit = getattr(group, key)
        if key == "consistent_backward_credit" and credit is None:
            continue
        if not isinstance(credit, (int, float)) or isinstance(credit, bool) or not 0 <= credit <= 1:
            raise where.error(name, key, f"must be between 0 and 1, not {credit!r}")
    if group.shapes not in SHAPE_POLICIES:
        raise where.error(name, "shapes", f"must be one of {list(SHAPE_POLICIES)}, not {group.shapes!r}")


def _check_points(points, table: str, key: str, where: "_Locator") -> None:
    if not isinstance(points, (int, float)) or isinstance(points, bool) or points < 0:
        raise where.error(table, key, f"must be a number >= 0, not {points!r}")


def _check_visibility(visibility, table: str, where: "_Locator") -> None:
    if visibility not in VISIBILITIES:
        raise where.error(table, "visibility",
                          f"must be one of {sorted(VISIBILITIES)}, not {visibility!r}")


class _Locator:
    """Error messages that name the file, the key and the line it is on."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def line_of(self, table: str, key: str | None) -> int | None:
        header = re.compile(r"^\s*\[\s*%s\s*\]" % r"\s*\.\s*".join(
            '(?:"%s"|%s)' % (re.escape(p), re.escape(p)) for p in table.split(".")) if table else None)
        inside = not table
        for number, line in enumerate(self.lines, 1):
            if header is not None and header.match(line):
                if key is None:
                    return number
                inside = True
            elif line.lstrip().startswith("["):
                inside = False if table else inside
            elif inside and key is not None and re.match(
                    r'^\s*(?:"%s"|%s)\s*=' % (re.escape(key), re.escape(key)), line):
                return number
        return None

    def error(self, table: str, key: str | None, problem: str) -> RubricError:
        name = ".".join(p for p in (table, key) if p)
        line = self.line_of(table, key)
        return RubricError(f"{self.path}{f':{line}' if line else ''}: {name} {problem}")

    def unknown(self, table: dict, allowed: set, name: str) -> None:
        if not isinstance(table, dict):
            raise self.error(name, None, "must be a table")
        for key in table:
            if key not in allowed:
                raise self.error(name, key, f"is not a rubric key (known here: {', '.join(sorted(allowed))})")


def rubric_digest(path: Path = DEFAULT_RUBRIC) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
