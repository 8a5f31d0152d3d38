"""Every batch-wide output, rebuilt from every report under REPORTS on each run, whatever was
graded this time: each report is re-rendered from its kept model (REPORTS/.models/<name>.json)
with manual.csv and the late policy applied (grader/course/finalize.py), then gradebook.csv,
summary.png, canvas.csv, answers.html/csv, similarity.html, index.html and the executed
notebooks' HTML are written from those models. results.json is never read back.
"""
from __future__ import annotations

import sys
from pathlib import Path

from grader.batch import MODELS, load_result, report_names
from grader.course.answers import questions_of
from grader.course.finalize import finalize, unknown_questions
from grader.course.manual import MANUAL, read_manual
from grader.course.roster import RosterError, aliases, kept_roster, write_canvas
from grader.course.similarity import similar_pairs
from grader.intake.workspace import pristine_notebooks
from grader.report import write_reports
from grader.report.answers_page import write_answers
from grader.report.dashboard import write_dashboard
from grader.report.gradebook import plot_summary, write_gradebook
from grader.report.notebook_html import render_notebook
from grader.report.similarity_page import write_similarity
from grader.results import SubmissionResult
from grader.rubric import Rubric


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr)


def rebuild_outputs(out: Path, rubric: Rubric, *, batch_files: bool = True,
                    notebooks_html: bool = True,
                    fresh: frozenset[str] | set[str] = frozenset()) -> dict[str, SubmissionResult]:
    """Re-render every report under `out` from its model with the course's policies, and (with
    `batch_files`) write every batch-wide file. Returns {name: the model each report shows}.
    `fresh`: reports this run has just written from their models; they are rendered again only
    when a policy changes what they show."""
    out = Path(out)
    try:
        roster = kept_roster(out)
    except RosterError as exc:
        _warn(f"{exc}; the roster was not used")
        roster = {}
    manual = read_manual(out / MANUAL, aliases(roster))
    graded = {}
    for name in report_names(out):
        model = load_result(out, name)
        if model is None:
            _warn(f"{out / name} has no readable model in {out / MODELS}; it is left out of the "
                  f"batch files (regrade it with --only {name})")
            continue
        graded[name] = model
    finals = {name: finalize(model, rubric, manual) for name, model in graded.items()}
    for name, result in finals.items():
        if name not in fresh or result != graded[name]:
            write_reports(result, out / name, lang=rubric.language, only_changed=True)
    if not batch_files:
        return finals
    for problem in manual.problems + unknown_questions(list(graded.values()), manual, rubric):
        _warn(problem)
    results = [finals[name] for name in sorted(finals)]
    write_gradebook(results, out, roster=roster)
    if len(results) > 1:   # a plot of one submission says nothing (and costs half a second)
        plot_summary(results, out / "summary.png")
    write_canvas(results, roster, out, rubric.course.assignment)
    prompts = {q.id: q.prompt for nb in pristine_notebooks() for q in questions_of(nb)}
    write_answers(results, out, prompts)
    pairs = similar_pairs(results, rubric.course.similarity_threshold)
    write_similarity(pairs, results, rubric.course.similarity_threshold, out)
    if notebooks_html:
        for result in results:
            for notebook in result.notebooks:
                if notebook.endswith(".ipynb") and (out / result.name / notebook).is_file():
                    render_notebook(out / result.name / notebook)
    write_dashboard(results, pairs, roster, out, rubric.course.assignment)
    return finals
