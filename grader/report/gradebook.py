"""Renderings across a batch: gradebook.csv (one row per submission, a column per graded unit)
and the summary plot (score histogram and pass rate per graded unit).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from grader.report.details import points
from grader.report.files import atomic_write_bytes, atomic_write_text
from grader.report.text import clean_text
from grader.results import SubmissionResult

LEADING = ["submission", "score", "max_score", "percent"]
TRAILING = ["status", "seed"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")   # spreadsheet formula injection


def unit_columns(results: list[SubmissionResult], units: list[str] | None = None) -> list[str]:
    """Graded units in a fixed order: `units` first, then any others in first-seen order."""
    columns = list(dict.fromkeys(units or []))
    for result in results:
        columns += [u for u in result.by_function() if u not in columns]
    return columns


def text_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text (a leading = + - @ would start a formula)."""
    text = " ".join(clean_text(text, 300).split())
    return "'" + text if text.startswith(_FORMULA_START) else text


_text_cell = text_cell
ROSTER_COLUMNS = ["student_id", "name", "email"]


MISSING = object()   # a submission the roster does not list: empty roster cells


def gradebook_row(result: SubmissionResult, units: list[str], student=None) -> dict[str, str]:
    """One submission's row: totals, the score of each unit ('' when not graded), status, seed;
    with a roster entry `student`, its id, name and email; the late penalty when there is one."""
    scores = result.by_function()
    row = {"submission": _text_cell(result.name)}
    if student is not None:
        row.update({c: _text_cell(getattr(student, c, "")) for c in ROSTER_COLUMNS})
    row.update({
        "score": points(result.score),
        "max_score": points(result.max_score),
        "percent": f"{result.percent:.2f}",
    })
    row["late_penalty"] = points(result.late.points) if result.late else ""
    row.update({u: points(scores[u][0]) if u in scores else "" for u in units})
    row["status"] = _text_cell(f"error: {result.error}") if result.error else "graded"
    row["seed"] = str(result.seed)
    return row


def write_gradebook(results: list[SubmissionResult], folder, units: list[str] | None = None,
                    roster: dict | None = None) -> Path:
    """Write folder/gradebook.csv atomically: submission (then student_id, name, email when a
    roster is given), score, max_score, percent (late_penalty when any submission has a late
    policy applied), one column per graded unit, status ('graded' or 'error: ...'), seed."""
    columns = unit_columns(results, units)
    leading = LEADING[:1] + (ROSTER_COLUMNS if roster else []) + LEADING[1:]
    if any(r.late is not None for r in results):
        leading.append("late_penalty")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=leading + columns + TRAILING, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(gradebook_row(r, columns, roster.get(r.name, MISSING) if roster else None)
                     for r in results)
    path = Path(folder) / "gradebook.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, buffer.getvalue())
    return path


def pass_rates(results: list[SubmissionResult]) -> dict[str, tuple[int, int]]:
    """{graded unit: (tests passed, tests run)} over the whole batch, in first-seen order.
    Only tests worth points count (a rubric may give a group or a notebook none)."""
    rates: dict[str, list[int]] = {}
    for result in results:
        for t in result.tests:
            if t.max_score <= 0:
                continue
            entry = rates.setdefault(t.function, [0, 0])
            entry[0] += int(t.passed)
            entry[1] += 1
    return {unit: (passed, run) for unit, (passed, run) in rates.items()}


def _short_label(unit: str, width: int = 36) -> str:
    """A y-axis label: notebook units lose their '.ipynb', long names end in an ellipsis."""
    text = " ".join(clean_text(unit, 200).split()).removesuffix(".ipynb")
    return text if len(text) <= width else text[:width - 1] + "…"


def import_matplotlib() -> None:
    """Import what plot_summary needs (a third of a second): only a batch that plots does."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401


# Titles at the top of their axes, where matplotlib puts them when no tick labels are above
# the axes (none are here): given, it does not measure every tick label to find the place.
TITLE_Y = 1.0


def _plot_scores(ax, results: list[SubmissionResult]) -> None:
    from matplotlib.ticker import MaxNLocator
    percents = [r.percent for r in results]
    ax.hist(percents, bins=np.linspace(0, 100, 11), color="#4c72b0", edgecolor="white")
    errors = sum(1 for r in results if r.error)
    note = f", {errors} not graded" if errors else ""
    ax.set_title(f"Total scores ({len(results)} submissions{note})", y=TITLE_Y)
    ax.set_xlabel("score (% of max)")
    ax.set_ylabel("submissions")
    ax.set_xlim(0, 100)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _plot_pass_rates(ax, results: list[SubmissionResult]) -> None:
    rates = pass_rates(results)
    ax.set_title("Tests passed per graded unit", y=TITLE_Y)
    if not rates:
        ax.text(0.5, 0.5, "no graded tests", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    units = list(rates)
    percent = [100.0 * passed / run for passed, run in rates.values()]
    bars = ax.barh(range(len(units)), percent, color="#55a868")
    ax.set_yticks(range(len(units)), [_short_label(u) for u in units], fontsize=8)
    ax.invert_yaxis()   # first unit on top, as in the gradebook
    ax.set_xlim(0, 115)
    ax.set_xlabel("tests passed (%)")
    for bar, (passed, run) in zip(bars, rates.values()):
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, f"{passed}/{run}",
                va="center", fontsize=7)


def summary_figure(results: list[SubmissionResult]):
    """The summary plot's figure: histogram of total scores in percent, and the pass rate per
    graded unit as horizontal bars."""
    from matplotlib.figure import Figure   # no pyplot: no global backend, no display needed
    n_units = len(pass_rates(results))
    width, height = 12.0, max(4.0, 1.5 + 0.3 * n_units)
    fig = Figure(figsize=(width, height))
    # Fixed margins in inches (a layout engine took half of the plot's second): room for the
    # axis labels and titles, and for the unit labels (at most _short_label's 36 characters).
    bottom, top = 0.6, 0.45

    def panel(left: float, span: float):
        return fig.add_axes((left / width, bottom / height, span / width,
                             (height - bottom - top) / height))
    ax_scores, ax_units = panel(0.75, 3.75), panel(7.0, 4.7)
    _plot_scores(ax_scores, results)
    _plot_pass_rates(ax_units, results)
    return fig


def plot_summary(results: list[SubmissionResult], path) -> Path:
    """Write summary_figure() as a PNG (atomically). Returns the path."""
    buffer = io.BytesIO()
    summary_figure(results).savefig(buffer, format="png", dpi=100)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue())
    return path
