"""The notebooks as handed out: real nbformat files, saved without outputs, every cell
marked for tamper detection, a setup cell first, checks that state their magnitudes."""
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TAGS = {"provided", "student", "answer"}


def test_the_four_notebooks_of_the_spec_exist():
    names = {p.name for p in NOTEBOOKS}
    assert {"FullyConnectedNets.ipynb", "BatchNormalization.ipynb", "Dropout.ipynb"} <= names
    assert len(names) == 4


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    nb = nbformat.read(request.param, as_version=4)
    nbformat.validate(nb)
    return nb


def test_saved_without_outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_every_cell_has_an_id_and_exactly_one_tag(notebook):
    ids = [cell.get("id") for cell in notebook.cells]
    assert all(ids) and len(set(ids)) == len(ids)
    for cell in notebook.cells:
        tags = set(cell.metadata.get("tags", []))
        assert len(tags & TAGS) == 1, cell.source[:80]


def test_first_cell_finds_the_package_and_enables_autoreload(notebook):
    first = notebook.cells[0]
    assert first.cell_type == "code" and "provided" in first.metadata["tags"]
    assert "assignment" in first.source and "sys.path" in first.source
    assert "%autoreload 2" in first.source


def test_inline_questions_have_answer_cells(notebook):
    answers = [c for c in notebook.cells if "answer" in c.metadata["tags"]]
    questions = [c for c in notebook.cells if c.cell_type == "markdown"
                 and c.source.lower().lstrip("#").strip().startswith("inline question")]
    assert answers and len(answers) >= len(questions)
    assert all(c.cell_type == "markdown" for c in answers)


def test_checks_print_the_magnitude_they_should_have(notebook):
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert code.count("rel_error(") >= 2
    assert "should be" in code


def test_batchnorm_notebook_teaches_what_the_issue_lists():
    text = "\n".join(c.source for c in nbformat.read(ROOT / "notebooks" / "BatchNormalization.ipynb",
                                                   as_version=4).cells).lower()
    for topic in ("internal covariate shift", "running", "computational graph", "simplified",
                  "layer norm", "batch size", "weight", "before", "batchnorm1d", "speed"):
        assert topic in text, topic
