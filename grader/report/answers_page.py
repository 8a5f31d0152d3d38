"""REPORTS/answers.html and answers.csv: every written answer of the batch, question by
question, blank ones flagged, with the points and comment from manual.csv when given."""
from __future__ import annotations

import csv
import html
import io
from pathlib import Path

from grader.report.details import points
from grader.report.files import atomic_write_text
from grader.report.gradebook import _FORMULA_START as FORMULA_START, text_cell
from grader.report.pages import esc, href, page
from grader.report.text import clean_text
from grader.results import SubmissionResult
from grader.scoring import ANSWER_PREFIX

ANSWERS_HTML, ANSWERS_CSV = "answers.html", "answers.csv"
CSV_COLUMNS = ["student", "question", "notebook", "blank", "points", "max_points", "comment",
               "answer"]


def _questions(results: list[SubmissionResult]) -> dict[str, tuple[str, str]]:
    """{question id: (notebook, title)} in handout order."""
    found = {}
    for result in results:
        for a in result.answers:
            found.setdefault(a.question, (a.notebook, a.title))
    return found


def _scored(result: SubmissionResult) -> dict[str, tuple[float, float, str, bool]]:
    """{question: (points, max, comment, graded)} from the answer tests of a finalized result."""
    return {t.data.get("question", ""): (t.score, t.max_score, t.data.get("comment", ""),
                                         bool(t.data.get("graded")))
            for t in result.tests if t.function.startswith(ANSWER_PREFIX)}


def _cell(text: str) -> str:
    """A long text cell: kept whole (line breaks too), but never read as a formula."""
    text = clean_text(text, 20_000)
    return "'" + text if text.startswith(FORMULA_START) else text


def answers_csv(results: list[SubmissionResult]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for result in results:
        scored = _scored(result)
        for a in result.answers:
            got, worth, comment, graded = scored.get(a.question, (0.0, 0.0, "", False))
            writer.writerow([text_cell(result.name), a.question, a.notebook, "yes" if a.blank else "",
                             points(got) if graded else "", points(worth), text_cell(comment),
                             _cell(a.text)])
    return buffer.getvalue()


def answers_html(results: list[SubmissionResult], prompts: dict[str, str] | None = None) -> str:
    """The page: one section per question (its prompt from the handout), each answer under it."""
    prompts = prompts or {}
    questions = _questions(results)
    with_answers = [r for r in results if r.answers]
    blank_total = sum(a.blank for r in with_answers for a in r.answers)
    parts = [f'<p class="muted">{len(questions)} questions, {len(with_answers)} submissions, '
             f"{blank_total} blank answers. Score them in <code>manual.csv</code> "
             "(student, question, points, comment) and rerun: the points are merged without "
             "regrading.</p>"]
    toc = "".join(f'<a class="tag plain" href="#{href(q)}">{esc(q)}</a>' for q in questions)
    parts.append(f"<p>{toc}</p>")
    for question, (notebook, title) in questions.items():
        rows = []
        for result in with_answers:
            answer = next((a for a in result.answers if a.question == question), None)
            if answer is None:
                continue
            got = _scored(result).get(question)
            score = (f'<span class="tag ok">{points(got[0])} / {points(got[1])}</span>'
                     if got and got[3] else "")
            comment = f'<div class="muted">{esc(got[2], 2000)}</div>' if got and got[2] else ""
            body = ('<span class="tag bad">blank</span>' if answer.blank else
                    f"<pre>{html.escape(clean_text(answer.text, 20_000))}</pre>")
            rows.append(f'<div class="answer{" blank" if answer.blank else ""}">'
                        f'<b><a href="{href(result.name)}/report.html">{esc(result.name)}</a></b> '
                        f"{score}{body}{comment}</div>")
        blank = sum(1 for r in with_answers for a in r.answers if a.question == question and a.blank)
        parts.append(f'<h2 id="{html.escape(question)}">{esc(question)} '
                     f'<span class="muted">· {esc(notebook)}, {esc(title)} · {blank} blank</span></h2>'
                     + (f'<div class="prompt">{html.escape(clean_text(prompts[question], 1500))}</div>'
                        if prompts.get(question) else "")
                     + "".join(rows))
    return page("Written answers", f"{len(with_answers)} submissions", "\n".join(parts),
                [("Dashboard", "index.html"), ("answers.csv", ANSWERS_CSV)])


def write_answers(results: list[SubmissionResult], out: Path,
                  prompts: dict[str, str] | None = None) -> None:
    atomic_write_text(Path(out) / ANSWERS_CSV, answers_csv(results))
    atomic_write_text(Path(out) / ANSWERS_HTML, answers_html(results, prompts))
