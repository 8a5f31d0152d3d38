"""Written answers: the answer cells (tag "answer") of the submitted notebooks.

The questions come from the handout: each answer cell answers the "Inline Question <n>" heading
above it, so its id is "<notebook stem> Q<n>" (what answers.csv, manual.csv and the rubric's
[answers.per_question] use). A student's answer is the cell with the same cell id in their
notebook, plus any cells they added right after it. An answer is blank when nothing is left
once the handout's "Your Answer:" label is taken off, or when it still is the handout's
placeholder (`*fill this in*`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.notebooks.handout import read_handout_notebook
from grader.results import Answer

ANSWER_TAG = "answer"
MAX_ANSWER_CHARS = 20_000
_QUESTION = re.compile(r"Inline Question\s+(\d+)", re.IGNORECASE)
_LABEL = re.compile(r"^\s*[*_]*\s*your answer\s*:?\s*[*_]*\s*:?\s*", re.IGNORECASE)
PLACEHOLDERS = {"fill this in", "your answer here", "todo", "write your answer here"}


@dataclass(frozen=True)
class Question:
    notebook: str        # file name
    id: str              # "BatchNormalization Q1"
    title: str           # "Inline Question 1"
    prompt: str          # the question's text in the handout
    cell_id: str         # the answer cell's id in the handout
    placeholder: str     # the answer cell's normalised text in the handout


def _tags(cell) -> list:
    return cell.get("metadata", {}).get("tags", []) or []


def _normalised(text: str) -> str:
    """Text to compare: no label, no Markdown emphasis or headings, one space, lower case."""
    text = _LABEL.sub("", text or "")
    text = re.sub(r"[*_#>`]+", " ", text)
    return " ".join(text.split()).lower()


def questions_of(notebook: Path) -> list[Question]:
    """The questions of one handout notebook, in order."""
    nb = read_handout_notebook(notebook)
    found, last_heading, counter = [], None, 0
    for cell in nb.cells:
        if ANSWER_TAG in _tags(cell):
            counter += 1
            if last_heading is not None:
                number, prompt = last_heading
            else:
                number, prompt = str(counter), ""
            found.append(Question(notebook.name, f"{notebook.stem} Q{number}",
                                  f"Inline Question {number}", prompt, cell.get("id", ""),
                                  _normalised(cell.source)))
            last_heading = None
        elif cell.cell_type == "markdown":
            matches = list(_QUESTION.finditer(cell.source))
            if matches:
                last = matches[-1]
                prompt = cell.source[last.end():].strip().lstrip("#").strip()
                last_heading = (last.group(1), prompt)
    return found


def is_blank(text: str, placeholder: str = "") -> bool:
    value = _normalised(text)
    return not value or value == placeholder or value in PLACEHOLDERS


def _answer_text(cells: list, index: int, handout_ids: set[str]) -> str:
    """The answer cell's text without its label, and the cells the student added after it."""
    parts = [_LABEL.sub("", cells[index].source or "", count=1).strip()]
    for cell in cells[index + 1:]:
        if cell.get("id") in handout_ids:
            break
        parts.append((cell.source or "").strip())
    text = "\n\n".join(p for p in parts if p)
    return text[:MAX_ANSWER_CHARS]


def collect_answers(notebooks: dict[str, Path], submitted: set[str],
                    handout: list[Path]) -> list[Answer]:
    """Every question of the `handout` notebooks with the student's answer.

    `notebooks`: {file name: the student's notebook as laid out in the workspace};
    `submitted`: the notebook names the student handed in (the others are all blank)."""
    answers = []
    for pristine in handout:
        questions = questions_of(pristine)
        if not questions:
            continue
        cells = []
        if pristine.name in submitted and pristine.name in notebooks:
            try:
                cells = nbformat.read(notebooks[pristine.name], as_version=4).cells
            except Exception:   # an unreadable notebook was reported by the workspace stage
                cells = []
        handout_ids = {c.get("id") for c in read_handout_notebook(pristine).cells}
        position = {c.get("id"): i for i, c in enumerate(cells) if c.get("id")}
        for q in questions:
            text = _answer_text(cells, position[q.cell_id], handout_ids) \
                if q.cell_id in position else ""
            answers.append(Answer(notebook=q.notebook, question=q.id, title=q.title, text=text,
                                  blank=is_blank(text, q.placeholder)))
    return answers


def unanswered(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if a.blank]
