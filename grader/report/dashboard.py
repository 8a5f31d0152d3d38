"""REPORTS/index.html, the batch dashboard: one row per submission (score, late, written answers,
flags) linked to its report and executed notebooks, the score distribution, the pass rate of
every graded unit and the similar pairs. One self-contained page: inline CSS and SVG."""
from __future__ import annotations

import html
import statistics
from pathlib import Path

from grader.report.details import duration, points
from grader.report.files import atomic_write_text
from grader.report.gradebook import pass_rates
from grader.report.pages import esc, href, level, page
from grader.results import SubmissionResult

INDEX_HTML = "index.html"
BINS = 10


def histogram_svg(percents: list[float], width: int = 420, height: int = 250) -> str:
    """Bars of how many submissions scored 0-10%, ..., 90-100% (100% in the last bar)."""
    counts = [0] * BINS
    for p in percents:
        counts[min(BINS - 1, max(0, int(p // (100 / BINS))))] += 1
    top = max(counts + [1])
    left, bottom, gap = 28, 22, 4
    bar_w = (width - left - 4) / BINS
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="score distribution">']
    for tick in sorted({0, top // 2, top}):
        y = height - bottom - (height - bottom - 12) * tick / top
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eaeef2"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    for i, count in enumerate(counts):
        h = (height - bottom - 12) * count / top
        x = left + i * bar_w
        colour = "#1a7f37" if i >= 8 else "#bf8700" if i >= 5 else "#cf222e"
        parts.append(f'<rect x="{x + gap / 2:.1f}" y="{height - bottom - h:.1f}" width="{bar_w - gap:.1f}" '
                     f'height="{h:.1f}" rx="3" fill="{colour}" opacity="{0.9 if count else 0}">'
                     f"<title>{i * 10}-{i * 10 + 10}%: {count}</title></rect>")
        if count:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom - h - 3:.1f}" '
                         f'text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                     f"{i * 10}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _rates(results: list[SubmissionResult]) -> str:
    rows = []
    for unit, (passed, run) in pass_rates(results).items():
        percent = 100.0 * passed / run if run else 0.0
        rows.append(f'<div class="rate"><code title="{esc(unit)}">{esc(unit)}</code>'
                    f'<span class="track"><i class="{level(percent)}" style="width:{percent:.0f}%">'
                    f'</i></span><span class="num">{passed}/{run}</span></div>')
    return "".join(rows) or '<p class="muted">no graded tests yet</p>'


def _late_cell(result: SubmissionResult) -> str:
    late = result.late
    if late is None:
        return '<span class="muted">–</span>'
    if late.minutes_late <= 0 or late.days_charged == 0:
        return '<span class="tag ok">on time</span>'
    cost = f" · −{points(late.points)}" if late.points > 0 else " late"
    return (f'<span class="tag warn" title="{duration(late.minutes_late)} late">'
            f"{late.days_charged} d{cost}</span>")


def _answers_cell(result: SubmissionResult) -> str:
    if not result.answers:
        return '<span class="muted">–</span>'
    done = sum(not a.blank for a in result.answers)
    css = "ok" if done == len(result.answers) else "warn" if done else "bad"
    return f'<a class="tag {css}" href="answers.html">{done}/{len(result.answers)}</a>'


def _flags(result: SubmissionResult, similar: dict[str, list[str]]) -> str:
    flags = []
    if result.error:
        flags.append(f'<span class="tag bad" title="{esc(result.error)}">not graded</span>')
    if result.isolation == "none":
        flags.append('<span class="tag bad">no isolation</span>')
    failed_notebooks = [t for t in result.tests
                        if t.function.startswith("notebook ") and t.max_score > 0 and not t.passed]
    if failed_notebooks:
        flags.append(f'<span class="tag warn">{len(failed_notebooks)} notebook(s) failing</span>')
    for other in similar.get(result.name, []):
        flags.append(f'<a class="tag warn" href="similarity.html">similar to {esc(other)}</a>')
    if result.messages:
        flags.append(f'<span class="tag plain" title="{esc(" | ".join(result.messages), 600)}">'
                     f"{len(result.messages)} note(s)</span>")
    return "".join(flags)


def _row(result: SubmissionResult, similar: dict, roster: dict) -> str:
    student = roster.get(result.name)
    users = [u.get("name") or u.get("email") or "" for u in result.metadata.get("users", [])]
    if student is not None and (student.name or student.student_id):
        who = f'<div class="muted">{esc(student.name)} · {esc(student.student_id)}</div>'
    elif any(users):   # Gradescope's metadata names the students of the submission
        who = f'<div class="muted">{esc(", ".join(u for u in users if u))}</div>'
    else:
        who = ""
    notebooks = " ".join(
        f'<a class="tag plain" href="{href(result.name + "/" + nb[:-6] + ".html")}">'
        f"{esc(Path(nb).stem)}</a>" for nb in result.notebooks if nb.endswith(".ipynb"))
    score = ("–" if result.error else
             f'{points(result.score)} / {points(result.max_score)}'
             f'<span class="bar"><i class="{level(result.percent)}" '
             f'style="width:{result.percent:.0f}%"></i></span>')
    return (f'<tr><td><a href="{href(result.name)}/report.html"><b>{esc(result.name)}</b></a>{who}</td>'
            f'<td class="num">{score}</td><td class="num">{"" if result.error else f"{result.percent:.1f}%"}</td>'
            f"<td>{_late_cell(result)}</td><td>{_answers_cell(result)}</td>"
            f"<td>{_flags(result, similar)}</td><td>{notebooks}</td></tr>")


def dashboard_html(results: list[SubmissionResult], pairs: list, roster: dict | None = None,
                   assignment: str = "Assignment") -> str:
    roster = roster or {}
    graded = [r for r in results if not r.error]
    percents = [r.percent for r in graded]
    similar: dict[str, list[str]] = {}
    for p in pairs:
        similar.setdefault(p.a, []).append(p.b)
        similar.setdefault(p.b, []).append(p.a)
    late = sum(1 for r in results if r.late and r.late.days_charged)
    cards = [(len(results), "submissions"), (len(results) - len(graded), "not graded"),
             (f"{statistics.mean(percents):.1f}%" if percents else "–", "mean score"),
             (f"{statistics.median(percents):.1f}%" if percents else "–", "median"),
             (late, "late"), (len(pairs), "similar pairs")]
    body = ['<div class="cards">' + "".join(f"<div class=card><b>{v}</b><span>{k}</span></div>"
                                            for v, k in cards) + "</div>"]
    spread = ""
    if len(percents) >= 2:
        q1, q2, q3 = statistics.quantiles(percents, n=4, method="inclusive")
        spread = (f'<p class="muted">min {min(percents):.1f}% · quartiles {q1:.1f}% / {q2:.1f}% / '
                  f"{q3:.1f}% · max {max(percents):.1f}%</p>")
    body.append('<div class="grid"><div class="panel"><h2>Score distribution (% of max)</h2>'
                f"{histogram_svg(percents)}{spread}</div>"
                f'<div class="panel"><h2>Tests passed per graded unit</h2>{_rates(results)}</div></div>')
    rows = "".join(_row(r, similar, roster) for r in results)
    body.append("<h2>Submissions</h2><table><tr><th>submission</th><th class=num>score</th>"
                "<th class=num>%</th><th>late</th><th>answers</th><th>flags</th>"
                f"<th>executed notebooks</th></tr>{rows}</table>")
    if pairs:
        items = "".join(f'<li><a href="similarity.html#pair-{i}">{esc(p.a)} · {esc(p.b)}</a> '
                        f'<span class="muted">{p.share:.0%} shared</span></li>'
                        for i, p in enumerate(pairs[:20], 1))
        body.append(f"<h2>Similar code</h2><ul>{items}</ul>")
    subtitle = html.escape(f"{len(results)} submissions · grading dashboard")
    return page(assignment, subtitle, "\n".join(body),
                [("gradebook.csv", "gradebook.csv"), ("canvas.csv", "canvas.csv"),
                 ("Written answers", "answers.html"), ("Similar code", "similarity.html"),
                 ("summary.png", "summary.png")])


def write_dashboard(results, pairs, roster, out: Path, assignment: str) -> Path:
    path = Path(out) / INDEX_HTML
    atomic_write_text(path, dashboard_html(results, pairs, roster, assignment))
    return path
