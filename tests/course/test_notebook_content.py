"""The notebooks as handed out: real nbformat files, saved without outputs, every cell
marked for tamper detection, a setup cell first, checks that state their magnitudes."""
import ast
import contextlib
import io
import re
from pathlib import Path

import nbclient
import nbformat
import numpy as np
import pytest

from assignment import public_checks
from grader.intake.submission import Intake
from grader.intake.workspace import build_workspace

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


# --------------------------------------------------------------------------- knowledge points, in two languages

CJK = re.compile(r"[\u4e00-\u9fff]")
BOX = "> **Knowledge points · 知识点"


def read(name):
    return nbformat.read(ROOT / "notebooks" / name, as_version=4)


def cell(nb, cell_id):
    (found,) = [c for c in nb.cells if c.id == cell_id]
    return found


def is_box(c):
    return c.cell_type == "markdown" and c.source.startswith(BOX)


def sections(nb):
    """(title, index of the heading cell, index after the section's last cell) of every section: a
    markdown cell opening with a level-1 or level-2 heading starts one (the first, the notebook's
    title, does not; inline questions and "The data" belong to the section around them); "Summary"
    ends the last one."""
    starts = []
    for index, c in enumerate(nb.cells):
        match = re.match(r"^#{1,2} (.*)", c.source) if c.cell_type == "markdown" else None
        if match and not match.group(1).lower().startswith(("inline question", "the data")):
            starts.append((match.group(1), index))
    starts = starts[1:]
    ends = [index for _, index in starts[1:]] + [len(nb.cells)]
    return [(title, start, end) for (title, start), end in zip(starts, ends) if title != "Summary"]


def test_each_notebook_opens_with_the_bilingual_note_on_learning_by_knowledge_points(notebook):
    notes = [c for c in notebook.cells[:4] if c.cell_type == "markdown"
             and "Learn by knowledge points, not by copying answers" in c.source]
    assert len(notes) == 1 and "provided" in notes[0].metadata["tags"]
    assert "按知识点学习，不要抄答案" in notes[0].source


def test_every_section_ends_with_a_bilingual_knowledge_point_box(notebook):
    found = sections(notebook)
    assert len(found) >= 3
    for title, start, end in found:
        last = notebook.cells[end - 1]
        assert is_box(last), f"section {title!r} does not end with a knowledge-point box"
        assert "provided" in last.metadata["tags"]
        assert sum(map(is_box, notebook.cells[start:end])) == 1, title


def test_every_knowledge_point_is_given_in_english_and_in_chinese(notebook):
    for box in filter(is_box, notebook.cells):
        lines = box.source.splitlines()
        points = [k for k, line in enumerate(lines) if line.startswith("> - ")]
        assert len(points) >= 3, box.id
        for k in points:
            english, chinese = lines[k], lines[k + 1]
            assert english.endswith("<br>") and not CJK.search(english), (box.id, english)
            assert chinese.startswith(">   ") and len(CJK.findall(chinese)) >= 6, (box.id, chinese)


@pytest.mark.parametrize("name, terms", [
    ("BatchNormalization.ipynb", ["批归一化", "反向传播", "滑动平均", "层归一化", "梯度", "方差", "均值"]),
    ("Dropout.ipynb", ["随机失活", "Dropout", "批归一化", "梯度"]),
    ("NormalizationForConvFeatures.ipynb", ["组归一化", "层归一化", "批归一化", "均值", "方差"]),
    ("FullyConnectedNets.ipynb", ["反向传播", "梯度", "随机失活", "批归一化"]),
])
def test_the_boxes_use_the_fields_usual_chinese_terms(name, terms):
    text = "\n".join(c.source for c in read(name).cells if is_box(c))
    assert [term for term in terms if term not in text] == []


def test_the_exam_scores_show_one_mean_and_two_variances():
    nb = read("BatchNormalization.ipynb")
    intro, scores = cell(nb, "exam-scores-intro"), cell(nb, "exam-scores")
    assert scores.cell_type == "code" and "provided" in scores.metadata["tags"]
    assert "variance" in intro.source and "方差" in intro.source
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(scores.source, {"np": np})   # plain NumPy on two lists: no student code
    means = re.findall(r"mean ([0-9.]+), variance ([0-9.]+)", printed.getvalue())
    assert len(means) == 2 and means[0][0] == means[1][0] and means[0][1] != means[1][1]


def test_the_epsilon_cell_runs_a_zero_variance_feature_with_and_without_eps():
    nb = read("BatchNormalization.ipynb")
    intro, demo = cell(nb, "epsilon-intro"), cell(nb, "epsilon-demo")
    assert "nan" in intro.source and "inf" in intro.source and "variance" in intro.source
    assert demo.source.startswith('needs("batchnorm_forward")')
    assert "for eps in [0.0, 1e-5]:" in demo.source and "batchnorm_forward(" in demo.source
    assert '"test"' in demo.source and "isnan" in demo.source


def test_the_cake_factory_tells_the_whole_analogy():
    text = cell(read("BatchNormalization.ipynb"), "cake-factory").source
    for part in ("standardizing workshop", "seasoning", r"$\gamma$", r"$\beta$", "noise", "regulariz",
                 "test mode", "蛋糕", "调味", "正则化"):
        assert part in text, part


def solver_settings(source):
    """The keyword arguments of every Solver(...) call in a cell, as source text."""
    return [{k.arg: ast.unparse(k.value) for k in node.keywords} for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Solver"]


@pytest.mark.parametrize("name, cell_id, wanted", [
    ("BatchNormalization.ipynb", "learning-rate-run", ['"batchnorm"', "learning_rate", "np.logspace"]),
    ("Dropout.ipynb", "dropout-bn-regularizer-run", ['"batchnorm"', "dropout_keep_ratio=keep", "0.5"]),
])
def test_the_new_experiments_train_the_students_network_briefly_and_plot(name, cell_id, wanted):
    source = cell(read(name), cell_id).source
    assert source.startswith("needs(") and "FullyConnectedNet(" in source
    assert all(w in source for w in wanted)
    assert "plt.subplots" in source and "plt.show()" in source
    (settings,) = solver_settings(source)
    assert int(settings["num_epochs"]) <= 12 and not settings.get("verbose", "False") == "True"


def test_batchnorm_notebook_teaches_the_knowledge_points_of_the_study_notes():
    text = "\n".join(c.source for c in read("BatchNormalization.ipynb").cells).lower()
    for topic in ("regulariz", "larger learning rates", "exam", "why $\\epsilon$", "cake factory",
                  "dropout.ipynb"):
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


# The steps a student must find for the spatial layers, which no handout cell may take for them:
# moving the channel axis (any spelling), or the fixed transposes that do it for 4-D input.
SPATIAL_STEPS = re.compile(r"\bmoveaxis\s*\(|\bswapaxes\s*\(|transpose\s*\(\s*\(?\s*0\s*,\s*2\s*,\s*3\s*,\s*1")


def test_no_check_cell_moves_the_channel_axis_for_the_student(notebook):
    """A check that computes the expected output the way the answer does hands over the answer;
    the spatial checks test properties (channels independent, positions interchangeable)."""
    for cell in notebook.cells:
        assert not SPATIAL_STEPS.search(cell.source), f"cell {cell.id} shows how to move the channel axis"


def test_group_norm_extremes_are_checked_by_their_statistics_not_recomputed():
    nb = nbformat.read(ROOT / "notebooks" / "NormalizationForConvFeatures.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.id == "convnorm-19")
    assert "sqrt" not in cell.source and ".var(" not in cell.source     # no normalization recomputed
    assert "G = 1" in cell.source and "G = C" in cell.source
