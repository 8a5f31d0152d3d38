"""Written answers: the handout's questions, a student's answers (blank ones flagged, the
handout's placeholder counting as blank), the intake-to-model path, and what the report and
REPORTS/answers.html/csv show."""
import csv
import io

import nbformat

from grader.course import submission_facts
from grader.course.answers import collect_answers, questions_of
from grader.intake.submission import take_submission
from grader.intake.workspace import build_workspace, pristine_notebooks
from grader.report.answers_page import answers_csv, answers_html
from grader.report.markdown import to_markdown
from grader.results import SubmissionResult
from tests.support import ROOT

BN = ROOT / "notebooks" / "BatchNormalization.ipynb"


def answered_notebook(path, answers: dict[int, str], added_after: dict[int, str] = ()):
    """BatchNormalization.ipynb with answer cell n (1-based among answer cells) set to
    answers[n], and a student cell added after answer cell n for added_after[n]."""
    nb = nbformat.read(BN, as_version=4)
    cells, count = [], 0
    for cell in nb.cells:
        cells.append(cell)
        if "answer" in cell.metadata.get("tags", []):
            count += 1
            if count in answers:
                cell.source = answers[count]
            if count in dict(added_after):
                cells.append(nbformat.v4.new_markdown_cell(dict(added_after)[count]))
    nb.cells = cells
    nbformat.write(nb, path)
    return path


def test_every_handout_question_has_an_id_a_title_and_a_prompt():
    questions = [q for nb in pristine_notebooks() for q in questions_of(nb)]
    ids = [q.id for q in questions]
    answer_cells = sum("answer" in cell.metadata.get("tags", [])
                       for nb in pristine_notebooks() for cell in nbformat.read(nb, 4).cells)
    assert len(ids) == len(set(ids)) == answer_cells
    assert [q.id for q in questions_of(BN)] == [f"BatchNormalization Q{n}" for n in range(1, 6)]
    assert all(q.prompt and q.title.startswith("Inline Question") for q in questions)
    assert {q.placeholder for q in questions} == {"fill this in"}


def test_answers_are_matched_by_cell_and_blank_ones_flagged(tmp_path):
    student = answered_notebook(tmp_path / "BatchNormalization.ipynb", {
        1: "**Your Answer:** Without batch norm, small scales make the activations vanish.",
        2: "**Your Answer:** *fill this in*",          # the handout's placeholder
        3: "**Your Answer:**   ",                       # only the label
        4: "*Fill this in*",                            # the placeholder without its label
    }, added_after={5: "Also: the order matters less than the seed."})
    answers = collect_answers({"BatchNormalization.ipynb": student}, {"BatchNormalization.ipynb"},
                              pristine_notebooks())
    mine = {a.question: a for a in answers if a.notebook == "BatchNormalization.ipynb"}
    assert mine["BatchNormalization Q1"].text.startswith("Without batch norm")
    assert not mine["BatchNormalization Q1"].blank
    assert [mine[f"BatchNormalization Q{n}"].blank for n in (2, 3, 4)] == [True, True, True]
    assert not mine["BatchNormalization Q5"].blank   # the cell the student added counts
    assert "order matters less" in mine["BatchNormalization Q5"].text
    others = [a for a in answers if a.notebook != "BatchNormalization.ipynb"]
    handout_others = [q for nb in pristine_notebooks() if nb.name != "BatchNormalization.ipynb"
                      for q in questions_of(nb)]
    assert len(others) == len(handout_others) and all(a.blank for a in others)   # not handed in


def test_the_worker_keeps_answers_code_and_hand_in_time_in_the_model(tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "layers.py").write_text("def affine_forward(x, w, b):\n    return x @ w + b, None\n")
    answered_notebook(folder / "BatchNormalization.ipynb", {1: "**Your Answer:** it saturates"})
    job = tmp_path / "job"
    intake = take_submission(folder, job, [p.name for p in pristine_notebooks()])
    facts = submission_facts(folder, intake, build_workspace(intake, job), pristine_notebooks())
    assert facts["code"] == {"layers.py": (folder / "layers.py").read_text()}
    assert facts["submitted_source"] == "file times" and facts["submitted_at"]
    answered = [a.question for a in facts["answers"] if not a.blank]
    assert answered == ["BatchNormalization Q1"]
    result = SubmissionResult(name="alice", seed=1, **facts)
    assert SubmissionResult.from_json(result.to_json()) == result


def with_answers(name, blank_ids=(), text="An answer."):
    from grader.results import Answer
    answers = [Answer("Dropout.ipynb", f"Dropout Q{n}", f"Inline Question {n}",
                      "" if f"Dropout Q{n}" in blank_ids else f"{text} ({name})",
                      f"Dropout Q{n}" in blank_ids) for n in (1, 2, 3)]
    return SubmissionResult(name=name, seed=1, answers=answers)


def test_the_report_lists_unanswered_questions():
    report = to_markdown(with_answers("alice", {"Dropout Q2"}))
    assert "Written answers: 2 of 3 answered. Unanswered: Dropout Q2." in report


def test_answers_page_has_a_section_per_question_and_flags_blanks():
    results = [with_answers("alice", {"Dropout Q2"}), with_answers("bob", text="<b>bold</b>")]
    page = answers_html(results, {"Dropout Q1": "What happens without dividing by p?"})
    assert page.count("<h2 id=") == 3
    assert "What happens without dividing by p?" in page
    q2 = page[page.index('id="Dropout Q2"'):page.index('id="Dropout Q3"')]
    assert q2.count('class="tag bad">blank') == 1 and "(bob)" in q2
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    rows = list(csv.DictReader(io.StringIO(answers_csv(results))))
    assert len(rows) == 6
    assert [(r["student"], r["question"]) for r in rows if r["blank"]] == [("alice", "Dropout Q2")]
