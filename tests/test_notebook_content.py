"""The notebooks as handed out: real nbformat files, saved without outputs, every cell
marked for tamper detection, a setup cell first, checks that state their magnitudes."""
import ast
from pathlib import Path

import nbclient
import nbformat
import pytest

from assignment import public_checks
from grader.intake import Intake
from grader.workspace import build_workspace

ROOT = Path(__file__).resolve().parent.parent
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


# --------------------------------------------------------------------------- stubs: "not implemented yet"

STUDENT_CALLABLES = (set(public_checks.FORWARD_PROBES) | set(public_checks.BACKWARD_PROBES)
                     | {"sgd_momentum", "rmsprop", "adam", "FullyConnectedNet", "Solver",
                        "affine_relu_forward", "affine_relu_backward"})


def top_level_calls(tree):
    """(line, name) of the calls of plain names in a cell, outside function and class bodies."""
    calls, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            calls.append((node.lineno, node.func.id))
        stack.extend(ast.iter_child_nodes(node))
    return sorted(calls)


def test_check_cells_call_needs_before_they_use_student_code(notebook):
    """needs() stops a cell with one line while a function it uses is a stub; it must come before
    the first direct use (cells that use student code through notebook helpers are covered by the
    slow test below, which runs the notebooks on the stubs)."""
    for cell in notebook.cells[1:]:
        if cell.cell_type != "code" or "provided" not in cell.metadata["tags"]:
            continue
        calls = top_level_calls(ast.parse(cell.source))
        used = [line for line, name in calls if name in STUDENT_CALLABLES]
        guards = [line for line, name in calls if name == "needs"]
        if used:
            assert guards and guards[0] <= used[0], f"cell {cell.id} uses student code before needs()"


def test_needs_is_imported_and_given_real_names(notebook):
    assert "from assignment.public_checks import needs" in notebook.cells[0].source
    for cell in notebook.cells[1:]:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "needs":
                for arg in node.args:
                    if isinstance(arg, ast.Constant):
                        assert arg.value in STUDENT_CALLABLES | {"sgd"}, (cell.id, arg.value)


@pytest.fixture(scope="module")
def executed_on_the_stubs(tmp_path_factory):
    """Every notebook executed against the untouched handout, errors allowed (as the grader runs it)."""
    work = build_workspace(Intake(name="untouched", files={}), tmp_path_factory.mktemp("stubs")).root
    executed = {}
    for path in NOTEBOOKS:
        nb = nbformat.read(work / "notebooks" / path.name, as_version=4)
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(work / "notebooks")}}).execute()
        executed[path.name] = nb
    return executed


@pytest.mark.slow
def test_on_the_stubs_every_check_cell_says_not_implemented_yet_without_a_traceback(executed_on_the_stubs):
    for name, nb in executed_on_the_stubs.items():
        stopped = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            errors = [o for o in cell.outputs if o.output_type == "error"]
            stderr = "".join(o.get("text", "") for o in cell.outputs
                             if o.output_type == "stream" and o.name == "stderr")
            where = f"{name}, cell {cell.id}"
            assert "Traceback" not in stderr and "Warning" not in stderr, (where, stderr)
            for error in errors:
                assert error.ename == "NotImplementedYet", (where, error.ename, error.evalue)
                assert len(error.traceback) == 1 and error.traceback[0].startswith("not implemented yet: "), where
                assert "NoneType" not in error.traceback[0]
            if "needs(" in cell.source:   # the stub stops the cell: no credit for a cell that did nothing
                assert errors, f"{where} ran to the end on the stubs"
            stopped += bool(errors)
        assert stopped >= 5, name
