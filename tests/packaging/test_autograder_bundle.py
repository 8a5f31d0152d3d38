"""The Gradescope bundle (`make autograder` -> dist/autograder.zip), installed and run the way
Gradescope does it: the zip unpacked into $AUTOGRADER_ROOT/source, `bash source/setup.sh` once,
source/run_autograder copied to $AUTOGRADER_ROOT/run_autograder and run from $AUTOGRADER_ROOT for
each submission, which Gradescope puts in $AUTOGRADER_ROOT/submission.

setup.sh gets AUTOGRADER_PYTHON (this venv's interpreter), so nothing is pip-installed here, and
the bundle's rubric is edited to skip the notebooks (they take a minute per submission; the
end-to-end test runs them).
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import grader.__main__ as cli
from grader.isolation import sandbox
from grader.hidden_tests.catalogue import CATALOGUE
from tests.support import ROOT, assert_gradescope_format, write_rubric
from tools.autograder.build import build

slow = pytest.mark.slow   # grades whole submissions (a few seconds each: notebooks are off)
PYTHON = ROOT / ".venv" / "bin" / "python"
BUNDLE_TOP = {"setup.sh", "run_autograder", "requirements.txt", "grader", "solutions",
              "assignment", "notebooks", "data"}
EXECUTABLES = ("setup.sh", "run_autograder")

def unzip_like_gradescope(archive: Path, dest: Path) -> None:
    """Extract keeping the Unix modes stored in the zip (zipfile alone drops them; unzip keeps them)."""
    with zipfile.ZipFile(archive) as bundle:
        for info in bundle.infolist():
            path = Path(bundle.extract(info, dest))
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                path.chmod(mode)


def function_tests(data):
    return [t for t in data["tests"] if not t["name"].startswith("notebook ")]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build(tmp_path_factory.mktemp("dist") / "autograder.zip")


@pytest.fixture(scope="module")
def autograder(bundle, tmp_path_factory):
    """$AUTOGRADER_ROOT after the image build: source/ unpacked and set up, run_autograder copied."""
    root = tmp_path_factory.mktemp("gradescope") / "autograder"
    unzip_like_gradescope(bundle, root / "source")
    rubric = root / "source" / "grader" / "rubric.toml"
    write_rubric(rubric)
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": str(python)}
    done = subprocess.run(["bash", "source/setup.sh"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    return root


def run_submission(root: Path, files=None) -> dict:
    """Put `files` in root/submission (None: no submission folder at all), run the autograder."""
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    if files is not None:
        (root / "submission").mkdir()
        for file in files:
            shutil.copy(file, root / "submission" / Path(file).name)
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_PYTHON"}
    env["AUTOGRADER_ROOT"] = str(root)
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads((root / "results" / "results.json").read_text())
    assert_gradescope_format(data)
    return data


# ---- the bundle's content --------------------------------------------------------------

def test_bundle_holds_the_grader_and_nothing_else(bundle):
    with zipfile.ZipFile(bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    names = set(infos)
    assert {name.split("/")[0] for name in names} == BUNDLE_TOP
    for script in EXECUTABLES:   # at the root of the archive, not in a folder, and executable
        assert script in names
        assert stat.S_ISREG(infos[script].external_attr >> 16)
        assert (infos[script].external_attr >> 16) & 0o111 == 0o111
    for required in ("data/digits.npz", "requirements.txt", "grader/__main__.py",
                     "grader/rubric.toml", "solutions/layers.py", "solutions/fc_net.py",
                     "solutions/optim.py", "assignment/layers.py", "assignment/gradient_check.py"):
        assert required in names
    assert any(name.startswith("notebooks/") and name.endswith(".ipynb") for name in names)
    for name in names:
        parts = name.split("/")
        assert not {"__pycache__", ".ipynb_checkpoints", ".venv", "tests", "reports",
                    "submissions", "dist", ".git"} & set(parts), name
        assert not name.endswith((".pyc", "results.json", "report.md"))


@slow
def test_setup_leaves_executable_scripts_and_records_the_python(autograder):
    for script in EXECUTABLES:
        assert os.access(autograder / "source" / script, os.X_OK)
    assert os.access(autograder / "run_autograder", os.X_OK)
    recorded = (autograder / "source" / ".python").read_text().strip()
    assert Path(recorded).exists()


# ---- grading through run_autograder -----------------------------------------------------

@slow
def test_reference_solutions_get_full_marks(autograder):
    data = run_submission(autograder, sorted((ROOT / "solutions").glob("*.py")))
    tests = function_tests(data)
    assert len(tests) >= len(CATALOGUE) and len(tests) == len(data["tests"])   # notebooks were disabled
    assert [t["name"] for t in tests if t["status"] != "passed"] == []
    assert all(t["score"] == t["max_score"] for t in tests)
    assert data["score"] == pytest.approx(data["extra_data"]["max_score"]) and data["score"] > 0
    assert not data["extra_data"]["error"]
    assert (autograder / "results" / "report.md").exists()


@slow
def test_untouched_handout_gets_zero_without_a_crash(autograder):
    handout = sorted((ROOT / "assignment").glob("*.py")) + sorted((ROOT / "notebooks").glob("*.ipynb"))
    data = run_submission(autograder, handout)
    tests = function_tests(data)
    assert len(tests) >= len(CATALOGUE)
    assert all(t["score"] == 0 and t["status"] == "failed" for t in tests)
    assert data["score"] == 0 and not data["extra_data"]["error"]


@slow
def test_empty_submission_scores_zero_with_a_reason(autograder):
    data = run_submission(autograder, [])
    assert data["score"] == 0
    assert "was not found in the submission" in data["output"]


@slow
def test_missing_submission_folder_scores_zero_with_a_reason(autograder):
    data = run_submission(autograder, None)
    assert data["score"] == 0 and data["tests"] == []
    assert "no submission found" in data["extra_data"]["error"]
    assert "could not be graded" in data["output"]


@slow
def test_a_grader_that_cannot_start_still_leaves_results(autograder):
    recorded = autograder / "source" / ".python"
    python = recorded.read_text()
    recorded.write_text(shutil.which("false") + "\n")
    try:
        data = run_submission(autograder, sorted((ROOT / "solutions").glob("*.py")))
    finally:
        recorded.write_text(python)
    assert data["score"] == 0 and "autograder failed" in data["output"]


# ---- the gradescope verb without bubblewrap ---------------------------------------------

def test_gradescope_verb_hides_the_solutions_when_isolation_relies_on_file_modes(
        tmp_path, monkeypatch):
    """Without bubblewrap, student code runs as another uid: the gradescope verb must close the
    solutions and the rubric to it, as `grade` does (it did not)."""
    protected = []
    monkeypatch.setattr(sandbox, "detect_level", lambda: "unprivileged-user")
    monkeypatch.setattr(sandbox, "protect_secrets", lambda paths: protected.extend(paths))
    import grader.gradescope
    monkeypatch.setattr(grader.gradescope, "run_gradescope",
                        lambda root, *args, **kwargs: root / "results" / "results.json")
    assert cli.main(["gradescope", "--root", str(tmp_path)]) == 0
    assert ROOT / "solutions" in protected
    assert cli.DEFAULT_RUBRIC in protected
    assert tmp_path / "results" in protected
