"""What every rendering of a test shows besides its output: numbers for reading, the detail
lines (relative error, shapes, first mismatch: scalars and shapes only, never arrays; for a test
whose visibility is in `hide` only the relative error), the submission summary and a test's
whole text. Hidden inputs never leave the grader."""
from __future__ import annotations

import math
import numbers
from collections.abc import Collection

import grader
from grader.report.i18n import say
from grader.report.prose import diagnosis_of
from grader.report.sentences import translated
from grader.report.text import HIDDEN, clean_text, shown_output
from grader.results import SubmissionResult, TestResult

VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}



def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def points(x) -> str:
    """A score for reading: 2.5 -> '2.5', 3.0 -> '3', 2.6667 -> '2.67' (results.json keeps 4 places)."""
    return f"{round(_finite(x), 2):.10g}"


def _finite(x) -> float:
    value = float(x) if isinstance(x, numbers.Real) else 0.0
    return value if math.isfinite(value) else 0.0


def _json_number(x):
    value = float(x)
    return value if math.isfinite(value) else str(value)



def _plain(text: str, limit: int = 40) -> str:
    return " ".join(clean_text(text, limit).split())


def _scalar(x) -> str | None:
    if x is None or isinstance(x, bool):
        return str(x)
    if isinstance(x, numbers.Real):
        return f"{float(x):.6g}"
    if isinstance(x, str) and len(x) <= 40:
        return _plain(x)
    return None


def _shape(x) -> str | None:
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x)
    if isinstance(x, (list, tuple)) and len(x) <= 8 and all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in x
    ):
        return "(" + ", ".join(str(int(n)) for n in x) + ("," if len(x) == 1 else "") + ")"
    return None


def _real(x) -> str | None:
    return f"{float(x):.3g}" if isinstance(x, numbers.Real) and not isinstance(x, bool) else None


def _named(value, fmt) -> str | None:
    """fmt(value), or 'name fmt(v), ...' for a dict of named values (None shown as None)."""
    if isinstance(value, dict):
        pairs = [(_plain(str(k)), "None" if v is None else fmt(v)) for k, v in list(value.items())[:12]]
        return ", ".join(f"{k} {v}" for k, v in pairs if v is not None) or None
    return None if value is None else fmt(value)


def detail_lines(t: TestResult, hide: Collection[str] = HIDDEN,
                 lang: str = "en") -> list[tuple[str, str]]:
    """(label, text) pairs about test `t` that a reader may see: never arrays."""
    withheld = t.visibility in hide
    lines = []
    if t.rel_error is not None:
        error = _real(t.rel_error)
        lines.append((say("relative_error", lang), f"{error} ({say('tolerance', lang)} "
                      f"{_real(t.tolerance)})" if t.tolerance is not None else error))
    if not withheld:
        if shapes := _named({translated(k, lang): v for k, v in t.shapes.items()}, _shape):
            lines.append((say("shapes", lang), shapes))
        if (m := t.first_mismatch) is not None:
            lines.append((say("first_mismatch", lang), say(
                "mismatch_text", lang, index=_shape(m.index), yours=_scalar(m.yours),
                expected=_scalar(m.expected))))
    elif t.findings or t.data:
        lines.append((say("details", lang), say("withheld", lang)))
    return lines


def grader_version() -> str:
    return getattr(grader, "__version__", None) or "unversioned"


def duration(minutes: float) -> str:
    """1510.5 -> '1 d 1 h 10 min'."""
    total = int(round(minutes))
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{mins} min"] * bool(mins)
    return " ".join(parts) or "0 min"


def _when(text: str, zone_of: str | None = None) -> str:
    """An ISO time for reading, in the time zone of `zone_of` when given."""
    from datetime import datetime
    try:
        value = datetime.fromisoformat(text)
        if zone_of:
            value = value.astimezone(datetime.fromisoformat(zone_of).tzinfo)
        return value.isoformat(sep=" ", timespec="minutes")
    except (TypeError, ValueError):
        return clean_text(text, 60)


def late_text(result: SubmissionResult, lang: str = "en") -> str:
    """One sentence on the hand-in time and the late penalty ('' without a late policy)."""
    late = result.late
    if late is None:
        return ""
    handed = say("handed_in", lang, when=_when(late.submitted_at, late.due_at),
                 source=clean_text(late.source, 60), due=_when(late.due_at))
    if late.minutes_late <= 0:
        return handed + " " + say("on_time", lang)
    if late.days_charged == 0:
        return handed + " " + say("late_in_grace", lang, late=duration(late.minutes_late))
    return handed + " " + say("late_penalty", lang, late=duration(late.minutes_late),
                              days=late.days_charged, percent=f"{late.fraction * 100:g}",
                              points=points(late.points))


def answers_text(result: SubmissionResult, lang: str = "en") -> str:
    """One sentence on the written answers: how many, and which are still unanswered."""
    if not result.answers:
        return ""
    blank = [a.question for a in result.answers if a.blank]
    text = say("answers_count", lang, answered=len(result.answers) - len(blank),
               count=len(result.answers))
    if blank:
        text += " " + say("unanswered", lang, questions=", ".join(clean_text(q, 80) for q in blank))
    return text


def summary_text(result: SubmissionResult, hide: Collection[str] = HIDDEN, lang: str = "en") -> str:
    """The short submission-level text a student reads above the tests."""
    lines = [say("score_line", lang, score=points(result.score), max_score=points(result.max_score),
                 percent=f"{result.percent:.1f}")]
    if result.error:
        lines.append(say("not_graded_reason", lang, reason=clean_text(result.error, 1000)))
    lines += [text for text in (late_text(result, lang), answers_text(result, lang)) if text]
    shown = [t for t in result.tests if t.visibility not in hide]
    if shown:
        lines.append(say("shown_passed", lang, passed=sum(t.passed for t in shown), count=len(shown)))
    if len(shown) < len(result.tests):
        lines.append(say("not_shown", lang, count=len(result.tests) - len(shown)))
    for title, items in (("notes", result.messages), ("warnings", result.warnings)):
        if items:
            lines += ["", f"{say(title, lang)}:"] + [f"- {clean_text(m, 500)}" for m in items]
    return "\n".join(lines)


def output_text(t: TestResult, hide: Collection[str] = HIDDEN, lang: str = "en") -> str:
    """A failed test's diagnosis, then its output and its detail lines, as plain text."""
    diagnosis = "\n".join(f"{heading}: {clean_text(text, 2000)}"
                          for heading, text in diagnosis_of(t, lang, t.visibility in hide))
    details = "\n".join(f"{label}: {text}" for label, text in detail_lines(t, hide, lang))
    return "\n\n".join(part for part in (diagnosis, shown_output(t, hide, lang), details) if part)
