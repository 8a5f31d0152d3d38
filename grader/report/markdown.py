"""report.md and report.html, rendered from a SubmissionResult."""
from __future__ import annotations

import html
from collections.abc import Collection
from pathlib import Path
from urllib.parse import quote

import markdown

from grader.report.details import (
    _finite, answers_text, detail_lines, grader_version, late_text, points)
from grader.report.i18n import say
from grader.report.prose import diagnosis_of, function_diagnosis
from grader.report.test_names import display_name
from grader.report.text import HIDDEN, clean_text, md_fenced, md_inline, shown_output
from grader.results import Outcome, SubmissionResult, TestResult

def _md_header(result: SubmissionResult, lang: str) -> str:
    passed = sum(t.passed for t in result.tests)
    total = (f"**{say('total', lang)}: {points(result.score)} / {points(result.max_score)} "
             f"({result.percent:.1f}%)**")
    if result.tests:
        total += " · " + say("tests_passed_of", lang, passed=passed, count=len(result.tests))
    return "\n".join([
        f"# {say('report_title', lang, name=md_inline(result.name))}", "", total, "",
        f"- **{say('seed', lang)}:** {result.seed} ({say('rerun_with', lang)} `--seed {result.seed}`)",
        f"- **{say('isolation', lang)}:** {md_inline(result.isolation)}",
        f"- **{say('execution_time', lang)}:** {_finite(result.execution_time):.1f} s",
        f"- **{say('grader', lang)}:** {md_inline(grader_version())}"
        + (f", {say('fingerprint', lang)} {md_inline(result.fingerprint[:16])}"
           if result.fingerprint else ""),
    ])


def _md_notices(result: SubmissionResult, lang: str) -> list[str]:
    parts = ["> " + say("no_isolation", lang).replace("\n", "\n> ")] if result.isolation == "none" else []
    if result.error:
        parts.append(f"## ❌ {say('could_not_be_graded', lang)}\n\n" + md_fenced(result.error))
    hand_in = [text for text in (late_text(result, lang), answers_text(result, lang)) if text]
    if hand_in:
        parts.append(f"## {say('hand_in_title', lang)}\n\n"
                     + "\n".join(f"- {md_inline(text, 2000)}" for text in hand_in))
    for title, items in (("notes_on_submission", result.messages),
                         ("grader_warnings", result.warnings)):
        if items:
            parts.append(f"## {say(title, lang)}\n\n" + "\n".join(f"- {md_inline(m, 500)}" for m in items))
    return parts


def _by_function(tests: list[TestResult]) -> dict[str, list[TestResult]]:
    groups: dict[str, list[TestResult]] = {}
    for t in tests:
        groups.setdefault(t.function, []).append(t)
    return groups


def _md_score_table(result: SubmissionResult, lang: str) -> str:
    rows = [f"## {say('scores', lang)}", "",
            f"| {say('col_function', lang)} | {say('col_score', lang)} | {say('col_tests_passed', lang)} |",
            "| --- | ---: | ---: |"]
    totals = result.by_function()
    for function, tests in _by_function(result.tests).items():
        score, max_score = totals[function]
        mark = _mark(tests)
        rows.append(f"| {mark} {md_inline(function)} | {points(score)} / {points(max_score)} "
                    f"| {sum(t.passed for t in tests)} / {len(tests)} |")
    rows.append(f"| **{say('col_total', lang)}** | **{points(result.score)} / {points(result.max_score)}** "
                f"| **{sum(t.passed for t in result.tests)} / {len(result.tests)}** |")
    return "\n".join(rows)


def _mark(tests: list[TestResult]) -> str:
    """✅ all passed; ❌ points lost; ⚠️ failed only because of another function that is
    wrong (dependency credit: the points are kept, the output says what to fix first)."""
    if all(t.passed for t in tests):
        return "✅"
    if all(t.passed or t.outcome is Outcome.RELIES_ON_WRONG for t in tests):
        return "⚠️"
    return "❌"


def _md_test(t: TestResult, hide: Collection[str], lang: str) -> str:
    mark = _mark([t])
    tag = f" *({say('hidden_test', lang)})*" if t.visibility in hide else ""
    name = display_name(t.function, t.what, lang)
    lines = [f"### {mark} {md_inline(name)} ({points(t.score)} / {points(t.max_score)}){tag}", ""]
    lines += [f"- **{md_inline(heading)}:** {md_inline(text, 2000)}"
              for heading, text in diagnosis_of(t, lang, t.visibility in hide)]
    lines += [f"- **{label}:** {md_inline(text, 600)}" for label, text in detail_lines(t, hide, lang)]
    if output := shown_output(t, hide, lang):
        lines += ["", md_fenced(output)]
    return "\n".join(lines).rstrip()


def _md_function(function: str, tests: list[TestResult], hide: Collection[str], lang: str) -> str:
    """A function's section: its score, the diagnosis in one sentence, the failed tests, then the
    passed ones folded away (an HTML <details> block, which Markdown viewers also fold)."""
    score = sum(_finite(t.score) for t in tests)
    max_score = sum(_finite(t.max_score) for t in tests)
    failed = [t for t in tests if not t.passed]
    passed = [t for t in tests if t.passed]
    parts = [f"## {md_inline(function)}: {points(score)} / {points(max_score)}",
             f"**{say('diagnosis', lang)}:** {md_inline(function_diagnosis(tests, lang), 1000)}"]
    parts += [_md_test(t, hide, lang) for t in failed]
    if passed:
        parts.append(f'<details markdown="1">\n<summary>{html.escape(say("passed_tests", lang, count=len(passed)))}'
                     "</summary>\n\n" + "\n\n".join(_md_test(t, hide, lang) for t in passed)
                     + "\n\n</details>")
    return "\n\n".join(parts)


def _md_notebooks(result: SubmissionResult, lang: str) -> str:
    if not result.notebooks:
        return ""
    links = [f"- [{md_inline(Path(p).name)}]({quote(str(p), safe='/')})" for p in result.notebooks]
    return f"## {say('executed_notebooks', lang)}\n\n" + "\n".join(links)


def to_markdown(result: SubmissionResult, hide: Collection[str] = HIDDEN, lang: str = "en") -> str:
    """report.md: header, warnings and notes, score table, then each function's section: the
    diagnosis, the failed tests with what was compared, relative error vs tolerance, shapes and
    first mismatch, then the passed tests folded."""
    parts = [_md_header(result, lang), *_md_notices(result, lang)]
    if result.tests:
        parts.append(_md_score_table(result, lang))
    parts += [_md_function(f, ts, hide, lang) for f, ts in _by_function(result.tests).items()]
    parts.append(_md_notebooks(result, lang))
    return "\n\n".join(p for p in parts if p) + "\n"


CSS = """body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;
line-height:1.45;color:#222}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .7em}th{background:#f3f3f3}tr:nth-child(even){background:#fafafa}
pre{background:#f6f8fa;padding:.7em;overflow-x:auto;white-space:pre-wrap}
blockquote{border-left:6px solid #c00;background:#fee;margin:1em 0;padding:.5em 1em}
.pass{color:#1a7f37}.fail{color:#cf222e}
details{margin:1em 0}summary{cursor:pointer;font-weight:600}"""


def to_html(result: SubmissionResult, hide: Collection[str] = HIDDEN, lang: str = "en", *,
            markdown_text: str | None = None) -> str:
    """report.html: the Markdown report as a standalone page with pass/fail colours.
    `markdown_text`: to_markdown(result, hide, lang) when the caller has it already."""
    text = to_markdown(result, hide, lang) if markdown_text is None else markdown_text
    body = markdown.markdown(text, extensions=["tables", "fenced_code", "md_in_html"])
    for tag in ("h2", "h3", "td"):
        body = body.replace(f"<{tag}>✅", f'<{tag} class="pass">✅')
        body = body.replace(f"<{tag}>❌", f'<{tag} class="fail">❌')
    title = html.escape(say("report_title", lang, name=clean_text(result.name, 200)))
    return (f'<!DOCTYPE html>\n<html lang="{"zh" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{title}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n{body}\n"
            "</body>\n</html>\n")
