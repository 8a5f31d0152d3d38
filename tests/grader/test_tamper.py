"""Notebook tamper detection: provided cells are restored, the student's cells are kept."""
import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.notebooks.tamper import kernel_hooks, restore_provided_cells
from tests.support import ROOT


def tagged(cell, tag):
    cell.metadata["tags"] = [tag]
    return cell


def pristine_notebook(path):
    nb = new_notebook(cells=[
        tagged(new_code_cell("import numpy as np"), "provided"),
        tagged(new_code_cell("lr = None  # choose"), "student"),
        tagged(new_code_cell("print('error', rel_error(a, b))"), "provided"),
        tagged(new_markdown_cell("**Your Answer:** *fill this in*"), "answer"),
    ])
    nbformat.write(nb, path)
    return nb


def test_untouched_notebook_reports_nothing(tmp_path):
    pristine_notebook(tmp_path / "p.ipynb")
    restored = restore_provided_cells(tmp_path / "p.ipynb", tmp_path / "p.ipynb", tmp_path / "o.ipynb")
    assert restored == ([], False)


def test_tampered_check_cell_is_restored_and_reported(tmp_path):
    nb = pristine_notebook(tmp_path / "p.ipynb")
    nb.cells[2].source = "print('error', 0.0)  # always passes"
    nb.cells[1].source = "lr = 1e-3"
    nb.cells[3].source = "**Your Answer:** because"
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="fake output")]
    nbformat.write(nb, tmp_path / "student.ipynb")
    messages, from_handout = restore_provided_cells(tmp_path / "student.ipynb", tmp_path / "p.ipynb",
                                                    tmp_path / "out.ipynb")
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert [c.source for c in out.cells] == [
        "import numpy as np", "lr = 1e-3", "print('error', rel_error(a, b))", "**Your Answer:** because"]
    assert messages == ["p.ipynb: provided cell 3 was modified; the original was restored before grading."]
    assert not from_handout
    assert out.cells[0].outputs == []


def test_deleted_provided_cell_comes_back_and_added_cells_stay_in_place(tmp_path):
    nb = pristine_notebook(tmp_path / "p.ipynb")
    added = new_code_cell("print('my experiment')")
    nb.cells = [nb.cells[0], nb.cells[1], added, nb.cells[3]]   # check cell deleted
    nbformat.write(nb, tmp_path / "student.ipynb")
    messages, from_handout = restore_provided_cells(tmp_path / "student.ipynb", tmp_path / "p.ipynb",
                                                    tmp_path / "out.ipynb")
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert [c.source for c in out.cells] == [
        "import numpy as np", "lr = None  # choose", "print('my experiment')",
        "print('error', rel_error(a, b))", "**Your Answer:** *fill this in*"]
    assert any("cell 3 was deleted" in m for m in messages)


def test_corrupt_notebook_is_replaced_by_the_pristine_one(tmp_path):
    pristine_notebook(tmp_path / "p.ipynb")
    (tmp_path / "student.ipynb").write_text('{"cells": [ this is not json')
    messages, from_handout = restore_provided_cells(tmp_path / "student.ipynb", tmp_path / "p.ipynb",
                                                    tmp_path / "out.ipynb")
    assert "could not be read" in messages[0] and from_handout
    assert (tmp_path / "out.ipynb").read_bytes() == (tmp_path / "p.ipynb").read_bytes()


def test_notebook_with_a_cell_that_cannot_run_is_replaced_by_the_pristine_one(tmp_path):
    # Valid JSON whose cell has no source: nbformat.read only logs it, and merging the cells
    # raised AttributeError, which cost the student every test of the submission.
    pristine_notebook(tmp_path / "p.ipynb")
    data = json.loads((tmp_path / "p.ipynb").read_text())
    del data["cells"][2]["source"]
    (tmp_path / "student.ipynb").write_text(json.dumps(data))
    messages, from_handout = restore_provided_cells(tmp_path / "student.ipynb", tmp_path / "p.ipynb",
                                                    tmp_path / "out.ipynb")
    assert "could not be read" in messages[0] and "cell 3" in messages[0] and from_handout
    assert (tmp_path / "out.ipynb").read_bytes() == (tmp_path / "p.ipynb").read_bytes()


def test_cells_that_change_how_the_kernel_reports_errors_are_named(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell("ip = get_ipython()\nip.set_custom_exc((Exception,), lambda *a: None)"),
        new_markdown_cell("sys.excepthook in prose is not code"),
        new_code_cell("import sys\nsys.excepthook = print\nip.events.register('post_run_cell', f)"),
        new_code_cell("x = 1  # an ordinary cell"),
        new_code_cell("ip.ast_transformers.append(t)"),
    ])
    nbformat.write(nb, tmp_path / "n.ipynb")
    assert kernel_hooks(tmp_path / "n.ipynb") == [
        (1, ["exception_handler"]), (3, ["excepthook", "event_callback"]), (5, ["ast_transformer"])]
    assert all(kernel_hooks(p) == [] for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_execution_tags_on_student_cells_are_taken_off_and_reported(tmp_path):
    # "raises-exception" hid a student cell's error from the grader; "skip-execution" kept a
    # cell from running at all. The handout's own tags stay.
    nb = pristine_notebook(tmp_path / "p.ipynb")
    nb.cells[0].metadata["tags"] = ["provided", "raises-exception"]
    nbformat.write(nb, tmp_path / "p.ipynb")
    nb.cells[1].source = "raise ValueError('my bug')"
    nb.cells[1].metadata["tags"] = ["student", "raises-exception"]
    added = new_code_cell("1 / 0")
    added.metadata["tags"] = ["skip-execution", "mine"]
    nb.cells.insert(2, added)
    nbformat.write(nb, tmp_path / "student.ipynb")
    messages = restore_provided_cells(tmp_path / "student.ipynb", tmp_path / "p.ipynb",
                                      tmp_path / "out.ipynb").messages
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert [c.metadata.get("tags") for c in out.cells[:3]] == [
        ["provided", "raises-exception"], ["student"], ["mine"]]
    assert "p.ipynb: cell 2 is tagged raises-exception; the grader runs your cells without " \
           "these tags, and counts their errors." in messages
    assert any(m.startswith("p.ipynb: cell 3 is tagged skip-execution;") for m in messages)


def test_a_cell_added_before_the_setup_cell_is_kept_and_reported(tmp_path):
    nb = pristine_notebook(tmp_path / "p.ipynb")
    nb.cells.insert(0, new_code_cell("import os  # my own first cell"))
    nbformat.write(nb, tmp_path / "student.ipynb")
    messages = restore_provided_cells(tmp_path / "student.ipynb", tmp_path / "p.ipynb",
                                      tmp_path / "out.ipynb").messages
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert [c.source for c in out.cells[:2]] == ["import os  # my own first cell",
                                                 "import numpy as np"]
    assert messages == ["p.ipynb: 1 cell(s) you added before the notebook's first cell were "
                        "kept there and run first, before its setup cell."]
