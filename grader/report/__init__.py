"""Stage 6, report: every output is a rendering of the results model (grader/results.py), and
only this package writes prose or applies visibility.

    prose.py           a test's output text, from its findings; i18n.py: its words by key
    details.py         detail lines, the submission summary (scalars and shapes, never arrays)
    text.py            safe text: control characters, arrays and hidden numbers removed
    gradescope_json.py results.json        markdown.py  report.md, report.html
    junit.py           JUnit XML           gradebook.py gradebook.csv, summary plot
    files.py           atomic writes
"""
from __future__ import annotations

import json
from pathlib import Path

from grader.report.files import atomic_write_text, write_text_if_changed
from grader.report.gradescope_json import to_gradescope
from grader.report.markdown import to_html, to_markdown
from grader.results import SubmissionResult


def write_reports(result: SubmissionResult, folder, model: Path | None = None,
                  lang: str = "en", *, only_changed: bool = False) -> None:
    """Write report.md, report.html, the model (to `model`, outside the folder, when given) and
    then results.json into `folder`, each atomically.

    results.json is written last: a report folder whose results.json exists is complete, its
    model included (the batch relies on this to skip finished submissions after a crash).
    `only_changed` leaves files that would not change untouched (a batch's rebuild).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write = write_text_if_changed if only_changed else atomic_write_text
    gradescope = json.dumps(to_gradescope(result, lang=lang), indent=2, allow_nan=False,
                            ensure_ascii=False)
    report_md = to_markdown(result, lang=lang)
    write(folder / "report.md", report_md)
    write(folder / "report.html", to_html(result, lang=lang, markdown_text=report_md))
    if model is not None:
        Path(model).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(model, result.to_json())
    write(folder / "results.json", gradescope + "\n")
