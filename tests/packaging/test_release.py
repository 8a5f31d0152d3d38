"""The student handout (tools/release.py): what it contains, what it must never contain, and that
its public checks and submission script work from inside the handout.

Most tests release a scratch copy of the repository with two tiny notebooks (so they do not depend
on the notebooks being written); test_release_of_this_repository releases the real thing.
"""
import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.hidden_tests.catalogue import GRADED_FUNCTIONS
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import release as rel
from tools.stubs import STUDENT_FILES, solution_regions

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ("FullyConnectedNets.ipynb", "Tiny.ipynb")
SUBMISSION_MEMBERS = {"assignment/layers.py", "assignment/fc_net.py", "assignment/optim.py",
                      *(f"notebooks/{name}" for name in NOTEBOOKS)}


# --------------------------------------------------------------------------- fixtures

def tiny_notebook(title):
    """A notebook as the authors save them, plus outputs that the release must clear."""
    provided_code = new_code_cell("import numpy as np\nprint('setup')", execution_count=4,
                                  outputs=[new_output("stream", name="stdout", text="setup\n")],
                                  metadata={"tags": ["provided"], "execution": {"iopub.status.idle": "x"}})
    cells = [
        new_markdown_cell(f"# {title}\nRead this first.", metadata={"tags": ["provided"]}),
        provided_code,
        new_code_cell("# your experiment here\n", metadata={"tags": ["student"]}),
        new_markdown_cell("**Your Answer:** *fill this in*", metadata={"tags": ["answer"]}),
        new_code_cell("from assignment.public_checks import run; run(['affine_forward'])",
                      execution_count=7, metadata={"tags": ["provided"]},
                      outputs=[new_output("error", ename="ValueError", evalue="boom", traceback=[])]),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


def make_source_root(dest):
    """A scratch repository: the real package, solutions, data and pins; tiny notebooks."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("assignment", "solutions", "data"):
        shutil.copytree(ROOT / part, dest / part, ignore=ignore)
    shutil.copy(ROOT / "requirements.txt", dest / "requirements.txt")
    (dest / "notebooks").mkdir()
    for name in NOTEBOOKS:
        nbformat.write(tiny_notebook(name), dest / "notebooks" / name)
    return dest


@pytest.fixture(scope="module")
def source_root(tmp_path_factory):
    return make_source_root(tmp_path_factory.mktemp("repo"))


@pytest.fixture(scope="module")
def handout(source_root, tmp_path_factory):
    return rel.release(tmp_path_factory.mktemp("dist"), root=source_root)


@pytest.fixture
def handout_copy(handout, tmp_path):
    return Path(shutil.copytree(handout, tmp_path / "handout"))


# --------------------------------------------------------------------------- the leak oracle

def leak_candidates():
    """Every solution-region line worth hiding: not trivial (>= 12 characters of code) and not
    shared with the stubs (comments, `pass`). A trailing comment is also tried without."""
    stub_lines = {line.strip() for name in STUDENT_FILES
                  for line in (ROOT / "assignment" / name).read_text().splitlines()}
    found = set()
    for path in (ROOT / "solutions").glob("*.py"):
        for _, _, lines in solution_regions(path.read_text()):
            for line in lines:
                for candidate in (line.strip(), line.split("  #")[0].strip()):
                    if len(candidate) >= 12 and candidate not in stub_lines:
                        found.add(candidate)
    return found


def handout_texts(handout):
    """(name, text) of every handout file and every member of handout.zip; notebooks also decoded."""
    def texts(name, data):
        text = data.decode("utf-8", errors="ignore")
        yield name, text
        if name.endswith(".ipynb"):   # JSON escapes quotes, so also search the decoded sources
            cells = json.loads(text)["cells"]
            yield name + " (cells)", "\n".join("".join(cell["source"]) for cell in cells)
    for path in sorted(handout.rglob("*")):
        if path.is_file():
            yield from texts(path.relative_to(handout).as_posix(), path.read_bytes())
    with zipfile.ZipFile(handout.parent / "handout.zip") as archive:
        for member in archive.namelist():
            yield from texts("handout.zip:" + member, archive.read(member))


def test_the_oracle_has_something_to_find():
    candidates = leak_candidates()
    assert len(candidates) > 60
    assert "dx = dout * mask" in candidates                    # a short but telling line
    assert all(not line.startswith("pass") for line in candidates)


def test_no_solution_line_anywhere_in_the_handout(handout):
    candidates = leak_candidates()
    leaks = [(name, line) for name, text in handout_texts(handout) for line in candidates if line in text]
    assert leaks == []


# --------------------------------------------------------------------------- contents

def handout_files(handout):
    return {p.relative_to(handout).as_posix() for p in handout.rglob("*") if p.is_file()}


def test_handout_holds_exactly_the_student_files(handout):
    files = handout_files(handout)
    package = {f"assignment/{p.name}" for p in (ROOT / "assignment").glob("*.py")}
    data = {f"data/{name}" for name in rel.DATA_FILES if (ROOT / "data" / name).is_file()}
    expected = package | data | {f"notebooks/{name}" for name in NOTEBOOKS} | {
        "requirements.txt", "Makefile", "README.md", "collect_submission.py"}
    assert files == expected
    assert "assignment/public_checks.py" in files
    with zipfile.ZipFile(handout.parent / "handout.zip") as archive:
        assert set(archive.namelist()) == {f"handout/{name}" for name in files}


def test_nothing_of_the_instructors_is_handed_out(handout):
    with zipfile.ZipFile(handout.parent / "handout.zip") as archive:
        names = handout_files(handout) | set(archive.namelist())
    for name in names:
        parts = Path(name).parts
        assert not {"solutions", "grader", "tests", "submissions", "tools", "__pycache__"} & set(parts), name
        assert not re.search(r"rubric|hidden|reference|solution", name, re.IGNORECASE), name
    for name in STUDENT_FILES:   # the stubs are handed out exactly as generated
        assert (handout / "assignment" / name).read_text() == (ROOT / "assignment" / name).read_text()


def test_notebooks_are_clean_and_provided_cells_are_marked(handout, source_root):
    for name in NOTEBOOKS:
        original = nbformat.read(source_root / "notebooks" / name, as_version=4)
        released = nbformat.read(handout / "notebooks" / name, as_version=4)
        nbformat.validate(released)
        assert [c.id for c in released.cells] == [c.id for c in original.cells]   # the grader matches by id
        for cell, before in zip(released.cells, original.cells):
            assert cell.source == before.source
            assert cell.metadata.get("tags") == before.metadata.get("tags")
            assert "execution" not in cell.metadata
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
            if "provided" in cell.metadata.get("tags", []):
                digest = hashlib.sha256(cell.source.encode("utf-8")).hexdigest()
                assert cell.metadata["grader"] == {"provided_sha256": digest}
            else:
                assert "grader" not in cell.metadata


def test_requirements_are_the_repository_pins(handout):
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    wanted = [line for line in (handout / "requirements.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    assert wanted == [f"{name}=={pins[name]}" for name in rel.STUDENT_PACKAGES]
    assert "pytest" not in (handout / "requirements.txt").read_text()


def test_readme_lists_the_notebooks_and_says_hidden_tests_are_more(handout):
    readme = (handout / "README.md").read_text()
    assert "{{" not in readme
    assert "1. FullyConnectedNets.ipynb" in readme and "2. Tiny.ipynb" in readme
    for phrase in ("make lab", "make check", "make submission", "hidden tests", "Academic honesty"):
        assert phrase in readme


def test_the_zip_is_reproducible(source_root, handout, tmp_path):
    rel.release(tmp_path, root=source_root)
    assert (tmp_path / "handout.zip").read_bytes() == (handout.parent / "handout.zip").read_bytes()


# --------------------------------------------------------------------------- refusals

def test_release_refuses_stale_stubs(tmp_path):
    root = make_source_root(tmp_path / "repo")
    with open(root / "assignment" / "layers.py", "a") as f:
        f.write("# edited by hand\n")
    with pytest.raises(rel.ReleaseError, match=r"out of date.*layers\.py.*make stubs"):
        rel.release(tmp_path / "dist", root=root)
    assert not (tmp_path / "dist" / "handout").exists() and not (tmp_path / "dist" / "handout.zip").exists()


def test_release_refuses_solution_code_in_a_notebook(tmp_path):
    root = make_source_root(tmp_path / "repo")
    notebook = tiny_notebook("Leaky")
    notebook.cells.append(new_markdown_cell("Hint: `dx = dout * mask` and you are done."))
    nbformat.write(notebook, root / "notebooks" / "Leaky.ipynb")
    with pytest.raises(rel.ReleaseError, match=r"notebooks/Leaky\.ipynb: dx = dout \* mask"):
        rel.release(tmp_path / "dist", root=root)


def test_release_refuses_notebooks_without_cell_ids(tmp_path):
    root = make_source_root(tmp_path / "repo")
    path = root / "notebooks" / "Tiny.ipynb"
    raw = json.loads(path.read_text())
    raw["nbformat_minor"] = 4
    for cell in raw["cells"]:
        del cell["id"]
    path.write_text(json.dumps(raw))
    with pytest.raises(rel.ReleaseError, match="no id"):
        rel.release(tmp_path / "dist", root=root)


def test_make_release_style_entry_point_reports_refusals(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(rel, "release", lambda out: (_ for _ in ()).throw(rel.ReleaseError("stale")))
    assert rel.main(["--out", str(tmp_path)]) == 1
    assert "release refused: stale" in capsys.readouterr().err


# --------------------------------------------------------------------------- public checks, from the handout

def run_public_checks(cwd, *args):
    return subprocess.run([sys.executable, "-m", "assignment.public_checks", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def statuses(stdout):
    found = {}
    for line in stdout.splitlines():
        match = re.match(r"^(\w+)\s+(PASS|FAIL|NOT IMPLEMENTED|ERROR)\b", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_public_checks_report_stubs_as_not_implemented(handout):
    result = run_public_checks(handout)
    assert result.returncode == 0, result.stderr
    found = statuses(result.stdout)
    assert len(found) == len(GRADED_FUNCTIONS) and set(found.values()) == {"NOT IMPLEMENTED"}
    assert "hidden tests used for grading are more extensive" in result.stdout
    assert run_public_checks(handout, "--strict").returncode == 1


def test_public_checks_pass_with_the_solutions_laid_over(handout_copy):
    for solution in (ROOT / "solutions").glob("*.py"):
        shutil.copy(solution, handout_copy / "assignment" / solution.name)
    result = run_public_checks(handout_copy, "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    found = statuses(result.stdout)
    assert len(found) == len(GRADED_FUNCTIONS) and set(found.values()) == {"PASS"}, result.stdout
    assert "SKIPPED" not in result.stdout and "too large" not in result.stdout


# --------------------------------------------------------------------------- submission, from the handout

def collect(folder, *args):
    return subprocess.run([sys.executable, "collect_submission.py", *args], cwd=folder,
                          capture_output=True, text=True, timeout=60)


def fake_run(path, error_in_cell=None):
    """Make a notebook look executed, as Jupyter saves it."""
    notebook = json.loads(path.read_text())
    count = 0
    for number, cell in enumerate(notebook["cells"], start=1):
        if cell["cell_type"] == "code":
            count += 1
            cell["execution_count"] = count
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ok\n"]}]
            if number == error_in_cell:
                cell["outputs"] = [{"output_type": "error", "ename": "TypeError",
                                    "evalue": "cannot unpack None", "traceback": []}]
    path.write_text(json.dumps(notebook))


def test_submission_refuses_notebooks_that_were_never_run(handout_copy):
    result = collect(handout_copy)
    assert result.returncode == 1
    for name in NOTEBOOKS:
        assert f"{name} has not been run" in result.stderr
    assert not (handout_copy / "submission.zip").exists()


def test_submission_refuses_missing_files(handout_copy):
    for name in NOTEBOOKS:
        fake_run(handout_copy / "notebooks" / name)
    (handout_copy / "assignment" / "fc_net.py").unlink()
    (handout_copy / "notebooks" / "Tiny.ipynb").unlink()   # the release wrote the list of notebooks in
    result = collect(handout_copy)
    assert result.returncode == 1
    assert "assignment/fc_net.py is missing" in result.stderr
    assert "notebooks/Tiny.ipynb is missing" in result.stderr
    assert not (handout_copy / "submission.zip").exists()


def test_submission_of_run_notebooks_holds_the_expected_members(handout_copy):
    fake_run(handout_copy / "notebooks" / "FullyConnectedNets.ipynb", error_in_cell=5)
    fake_run(handout_copy / "notebooks" / "Tiny.ipynb")
    (handout_copy / "notes.txt").write_text("not part of a submission")
    result = collect(handout_copy)
    assert result.returncode == 0, result.stderr
    assert "FullyConnectedNets.ipynb: cell 5 raised TypeError: cannot unpack None" in result.stderr
    with zipfile.ZipFile(handout_copy / "submission.zip") as archive:
        assert set(archive.namelist()) == SUBMISSION_MEMBERS
        assert archive.read("assignment/layers.py") == (handout_copy / "assignment" / "layers.py").read_bytes()


def test_submission_force_writes_what_there_is(handout_copy):
    result = collect(handout_copy, "--force")
    assert result.returncode == 0
    assert "has not been run" in result.stderr
    with zipfile.ZipFile(handout_copy / "submission.zip") as archive:
        assert set(archive.namelist()) == SUBMISSION_MEMBERS


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_student_makefile_submission_target(handout_copy):
    for name in NOTEBOOKS:
        fake_run(handout_copy / "notebooks" / name)
    result = subprocess.run(["make", "submission", f"PYTHON={sys.executable}"], cwd=handout_copy,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (handout_copy / "submission.zip").is_file()


# --------------------------------------------------------------------------- the real repository

def test_release_of_this_repository(tmp_path):
    """The handout of the repository as it stands (its own notebooks) builds and leaks nothing."""
    try:
        handout = rel.release(tmp_path, root=ROOT)
    except rel.ReleaseError as exc:
        pytest.fail(f"make release would refuse: {exc}")
    candidates = leak_candidates()
    assert [(n, line) for n, text in handout_texts(handout) for line in candidates if line in text] == []
    names = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (handout / "notebooks").glob("*.ipynb")) == names
