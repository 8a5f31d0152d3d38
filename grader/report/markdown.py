"""report.md and report.html, rendered from a SubmissionResult."""
from __future__ import annotations

import html
from collections.abc import Collection
from pathlib import Path
from urllib.parse import quote

import markdown

from grader.report.details import _count, _finite, detail_lines, grader_version, points
from grader.report.text import HIDDEN, clean_text, md_fenced, md_inline, shown_output
from grader.results import SubmissionResult, TestResult

NO_ISOLATION_WARNING = (
    "> **⚠️ WARNING: NO ISOLATION (isolation: none).** The student's code ran as the grader's "
    "own user with resource limits only. It could have read the reference solutions and hidden "
    "inputs, or written where the grader writes. Treat these scores as untrusted and regrade "
    "with bubblewrap or an unprivileged user."
)


def _md_header(result: SubmissionResult) -> str:
    passed = sum(t.passed for t in result.tests)
    return "\n".join([
        f"# Grading report: {md_inline(result.name)}", "",
        f"**Total: {points(result.score)} / {points(result.max_score)} ({result.percent:.1f}%)**"
        + (f" · {passed} of {_count(len(result.tests), 'test')} passed" if result.tests else ""), "",
        f"- **Seed:** {result.seed} (rerun with `--seed {result.seed}`)",
        f"- **Isolation:** {md_inline(result.isolation)}",
        f"- **Execution time:** {_finite(result.execution_time):.1f} s",
        f"- **Grader:** {md_inline(grader_version())}"
        + (f", fingerprint {md_inline(result.fingerprint[:16])}" if result.fingerprint else ""),
    ])


def _md_notices(result: SubmissionResult) -> list[str]:
    parts = [NO_ISOLATION_WARNING] if result.isolation == "none" else []
    if result.error:
        parts.append("## ❌ Could not be graded\n\n" + md_fenced(result.error))
    for title, items in (("Notes on this submission", result.messages),
                         ("Grader warnings", result.warnings)):
        if items:
            parts.append(f"## {title}\n\n" + "\n".join(f"- {md_inline(m, 500)}" for m in items))
    return parts


def _by_function(tests: list[TestResult]) -> dict[str, list[TestResult]]:
    groups: dict[str, list[TestResult]] = {}
    for t in tests:
        groups.setdefault(t.function, []).append(t)
    return groups


def _md_score_table(result: SubmissionResult) -> str:
    rows = ["## Scores", "", "| function | score | tests passed |", "| --- | ---: | ---: |"]
    totals = result.by_function()
    for function, tests in _by_function(result.tests).items():
        score, max_score = totals[function]
        mark = "✅" if all(t.passed for t in tests) else "❌"
        rows.append(f"| {mark} {md_inline(function)} | {points(score)} / {points(max_score)} "
                    f"| {sum(t.passed for t in tests)} / {len(tests)} |")
    rows.append(f"| **total** | **{points(result.score)} / {points(result.max_score)}** "
                f"| **{sum(t.passed for t in result.tests)} / {len(result.tests)}** |")
    return "\n".join(rows)


def _md_test(t: TestResult, hide: Collection[str]) -> str:
    mark = "✅" if t.passed else "❌"
    tag = " *(hidden test)*" if t.visibility in hide else ""
    lines = [f"### {mark} {md_inline(t.name)} ({points(t.score)} / {points(t.max_score)}){tag}", ""]
    lines += [f"- **{label}:** {md_inline(text, 600)}" for label, text in detail_lines(t, hide)]
    if output := shown_output(t, hide):
        lines += ["", md_fenced(output)]
    return "\n".join(lines).rstrip()


def _md_function(function: str, tests: list[TestResult], hide: Collection[str]) -> str:
    score = sum(_finite(t.score) for t in tests)
    max_score = sum(_finite(t.max_score) for t in tests)
    ordered = sorted(tests, key=lambda t: t.passed)   # failed first, stable otherwise
    head = f"## {md_inline(function)}: {points(score)} / {points(max_score)}"
    return "\n\n".join([head] + [_md_test(t, hide) for t in ordered])


def _md_notebooks(result: SubmissionResult) -> str:
    if not result.notebooks:
        return ""
    links = [f"- [{md_inline(Path(p).name)}]({quote(str(p), safe='/')})" for p in result.notebooks]
    return "## Executed notebooks\n\n" + "\n".join(links)


def to_markdown(result: SubmissionResult, hide: Collection[str] = HIDDEN) -> str:
    """report.md: header, warnings and notes, score table, then each function's tests
    (failed first) with what was compared, relative error vs tolerance, shapes, first mismatch."""
    parts = [_md_header(result), *_md_notices(result)]
    if result.tests:
        parts.append(_md_score_table(result))
    parts += [_md_function(f, ts, hide) for f, ts in _by_function(result.tests).items()]
    parts.append(_md_notebooks(result))
    return "\n\n".join(p for p in parts if p) + "\n"


CSS = """body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;
line-height:1.45;color:#222}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .7em}th{background:#f3f3f3}tr:nth-child(even){background:#fafafa}
pre{background:#f6f8fa;padding:.7em;overflow-x:auto;white-space:pre-wrap}
blockquote{border-left:6px solid #c00;background:#fee;margin:1em 0;padding:.5em 1em}
.pass{color:#1a7f37}.fail{color:#cf222e}"""


def to_html(result: SubmissionResult, hide: Collection[str] = HIDDEN) -> str:
    """report.html: the Markdown report as a standalone page with pass/fail colours."""
    body = markdown.markdown(to_markdown(result, hide), extensions=["tables", "fenced_code"])
    for tag in ("h2", "h3", "td"):
        body = body.replace(f"<{tag}>✅", f'<{tag} class="pass">✅')
        body = body.replace(f"<{tag}>❌", f'<{tag} class="fail">❌')
    title = html.escape(f"Grading report: {clean_text(result.name, 200)}")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{title}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n{body}\n"
            "</body>\n</html>\n")
