"""Renderings of one SubmissionResult: Gradescope results.json, report.md, report.html, and
JUnit XML for a batch. Nothing here grades; every figure comes from grader/results.py.

Hidden inputs never leave the grader. `details` is read through a whitelist of scalars and
shapes (`compared`, `rel_error`, `tolerance`, `shapes`, `first_mismatch`, `hint`), never as
arrays; for tests whose visibility is in `hide` only the relative error, tolerance and hint are
shown, and their output text keeps its words but loses its numbers. Free text (outputs,
messages) loses control characters and runs of array values. The safe-text helpers doing both
(`clean_text`, `shown_output`, `md_inline`, `md_fenced`) live in grader/report_text.py.
"""
from __future__ import annotations

import contextlib
import html
import json
import math
import numbers
import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Collection
from pathlib import Path
from urllib.parse import quote

import markdown

import grader
from grader.report.text import HIDDEN, clean_text, md_fenced, md_inline, shown_output
from grader.results import Outcome, SubmissionResult, TestResult

VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}


# ---- numbers ------------------------------------------------------------------------------

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


# ---- details: scalars and shapes only -----------------------------------------------------

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


def detail_lines(t: TestResult, hide: Collection[str] = HIDDEN) -> list[tuple[str, str]]:
    """(label, text) pairs about test `t` that a reader may see: never arrays."""
    withheld = t.visibility in hide
    lines = []
    if t.rel_error is not None:
        error = _real(t.rel_error)
        lines.append(("Relative error", f"{error} (tolerance {_real(t.tolerance)})"
                      if t.tolerance is not None else error))
    if not withheld:
        if shapes := _named(t.shapes, _shape):
            lines.append(("Shapes", shapes))
        if (m := t.first_mismatch) is not None:
            lines.append(("First mismatch", f"at index {_shape(m.index)}: yours {_scalar(m.yours)}, "
                                            f"expected {_scalar(m.expected)}"))
    elif t.findings or t.data:
        lines.append(("Details", "withheld (hidden test)"))
    return lines


# ---- Gradescope results.json --------------------------------------------------------------

def grader_version() -> str:
    return getattr(grader, "__version__", None) or "unversioned"


def summary_text(result: SubmissionResult, hide: Collection[str] = HIDDEN) -> str:
    """The short submission-level text a student reads above the tests."""
    lines = [f"Score: {points(result.score)} / {points(result.max_score)} ({result.percent:.1f}%)"]
    if result.error:
        lines.append(f"This submission could not be graded: {clean_text(result.error, 1000)}")
    shown = [t for t in result.tests if t.visibility not in hide]
    if shown:
        lines.append(f"{sum(t.passed for t in shown)} of {len(shown)} tests shown passed.")
    if len(shown) < len(result.tests):
        lines.append(f"Tests not shown here: {len(result.tests) - len(shown)}.")
    for title, items in (("Notes", result.messages), ("Warnings", result.warnings)):
        if items:
            lines += ["", f"{title}:"] + [f"- {clean_text(m, 500)}" for m in items]
    return "\n".join(lines)


def output_text(t: TestResult, hide: Collection[str] = HIDDEN) -> str:
    """A test's output followed by its detail lines, as plain text."""
    details = "\n".join(f"{label}: {text}" for label, text in detail_lines(t, hide))
    return "\n\n".join(part for part in (shown_output(t, hide), details) if part)


def _gradescope_test(t: TestResult, hide: Collection[str]) -> dict:
    extra = {"group": t.group}
    extra.update({k: _json_number(v) for k, v in (("rel_error", t.rel_error), ("tolerance", t.tolerance))
                  if isinstance(v, numbers.Real)})
    return {
        "name": clean_text(t.name, 300), "name_format": "text",
        "score": round(_finite(t.score), 4), "max_score": round(_finite(t.max_score), 4),
        "status": t.status, "output": output_text(t, hide), "output_format": "text",
        "visibility": t.visibility if t.visibility in VISIBILITIES else "hidden",
        "extra_data": extra,
    }


def to_gradescope(result: SubmissionResult, hide: Collection[str] = HIDDEN) -> dict:
    """Gradescope results.json; tests with visibility in `hide` show no shapes or values."""
    return {
        "score": _finite(result.score),
        "execution_time": round(_finite(result.execution_time), 3),
        "output": summary_text(result, hide), "output_format": "text",
        "test_output_format": "text", "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",   # the grader's own log is for instructors
        "extra_data": {
            "submission": clean_text(result.name, 300), "seed": result.seed,
            "isolation": clean_text(result.isolation, 100),
            "grader_version": grader_version(), "fingerprint": result.fingerprint,
            "max_score": _finite(result.max_score),
            "error": clean_text(result.error) if result.error else None,
        },
        "tests": [_gradescope_test(t, hide) for t in result.tests],
    }


# ---- report.md / report.html --------------------------------------------------------------

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


# ---- JUnit XML ----------------------------------------------------------------------------

def _junit_suite(result: SubmissionResult, hide: Collection[str]) -> ET.Element:
    tests = list(result.tests)
    if result.error:   # an ungradable submission shows up in CI as one failed case
        tests.append(TestResult("grading", "could not be graded", "grading", False,
                                Outcome.FAILED, notes=[result.error]))
    suite = ET.Element("testsuite", name=clean_text(result.name, 300), tests=str(len(tests)),
                       failures=str(sum(not t.passed for t in tests)), errors="0", skipped="0",
                       time=f"{_finite(result.execution_time):.3f}")
    props = ET.SubElement(suite, "properties")
    for key, value in (("score", points(result.score)), ("max_score", points(result.max_score)),
                       ("seed", str(result.seed)), ("isolation", clean_text(result.isolation, 100))):
        ET.SubElement(props, "property", name=key, value=value)
    for t in tests:
        case = ET.SubElement(suite, "testcase", classname=clean_text(t.function, 300),
                             name=clean_text(t.name, 300))
        if not t.passed:
            text = output_text(t, hide)
            message = (text.splitlines() or [t.status])[0][:200]
            failure = ET.SubElement(case, "failure", message=message, type="failed")
            failure.text = text
    return suite


def to_junit(results: list[SubmissionResult], hide: Collection[str] = HIDDEN) -> str:
    """JUnit XML: <testsuites> with one <testsuite> per submission, one <testcase> per test."""
    root = ET.Element("testsuites", name="autograder")
    suites = [_junit_suite(r, hide) for r in results]
    root.extend(suites)
    for key in ("tests", "failures", "errors"):
        root.set(key, str(sum(int(s.get(key)) for s in suites)))
    root.set("time", f"{sum(_finite(r.execution_time) for r in results):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ---- files --------------------------------------------------------------------------------

def atomic_write_bytes(path, data: bytes) -> None:
    """Replace `path` with `data` in one step: temp file in the same folder, fsync, os.replace."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)   # mkstemp makes 0600; reports are meant to be read
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):   # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_text(path, text: str) -> None:
    """atomic_write_bytes for UTF-8 text (written as is: no newline translation)."""
    atomic_write_bytes(path, text.encode("utf-8", errors="replace"))


def write_reports(result: SubmissionResult, folder, model: Path | None = None) -> None:
    """Write report.md, report.html, the model (to `model`, outside the folder, when given) and
    then results.json into `folder`, each atomically.

    results.json is written last: a report folder whose results.json exists is complete, its
    model included (the batch relies on this to skip finished submissions after a crash).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    gradescope = json.dumps(to_gradescope(result), indent=2, allow_nan=False, ensure_ascii=False)
    atomic_write_text(folder / "report.md", to_markdown(result))
    atomic_write_text(folder / "report.html", to_html(result))
    if model is not None:
        Path(model).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(model, result.to_json())
    atomic_write_text(folder / "results.json", gradescope + "\n")
