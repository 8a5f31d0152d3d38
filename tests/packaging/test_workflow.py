""".github/workflows/grade.yml, the GitHub Actions autograder: what it runs must exist in our CLI,
the private grader is checked out with the secret (and only there), and what it publishes is this
student's report only. Its score-summary script is run here on a results.json."""
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
import yaml

import grader.__main__ as cli
from grader.report.gradescope_json import to_gradescope
from grader.report.markdown import to_markdown
from grader.results import SubmissionResult, TestResult

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "grade.yml"
GRADER_CHECKOUT = {"repository": "${{ vars.GRADER_REPOSITORY }}",
                   "token": "${{ secrets.GRADER_TOKEN }}", "path": "grader-src"}


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


@pytest.fixture(scope="module")
def steps(workflow):
    (job,) = workflow["jobs"].values()
    return job["steps"]


def uses(steps, action):
    return [s for s in steps if s.get("uses", "").split("@")[0] == action]


def grade_step(steps):
    (step,) = [s for s in steps if "python -m grader grade" in s.get("run", "")]
    return step


def grade_argv(steps):
    """The grader command's arguments after `python -m grader`."""
    command = shlex.split(grade_step(steps)["run"])
    assert command[:3] == ["python", "-m", "grader"]
    return command[3:]


def from_workspace(steps, path: str) -> PurePosixPath:
    """A path the grade command names (relative to its working directory), from the workspace."""
    workdir = PurePosixPath(grade_step(steps).get("working-directory", "."))
    parts = []
    for part in (workdir / path).parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return PurePosixPath(*parts)


def test_runs_on_push(workflow):
    triggers = workflow.get("on", workflow.get(True))   # YAML 1.1 reads a bare `on` as true
    assert "push" in (triggers if isinstance(triggers, (dict, list)) else [triggers])


def test_the_private_grader_is_checked_out_with_the_secret_token(steps):
    checkouts = uses(steps, "actions/checkout")
    grader_checkouts = [s for s in checkouts if s.get("with", {}).get("repository")]
    assert len(grader_checkouts) == 1
    settings = grader_checkouts[0]["with"]
    assert {k: settings.get(k) for k in GRADER_CHECKOUT} == GRADER_CHECKOUT
    for step in checkouts:   # no token left in a .git/config for later steps to read
        assert step["with"]["persist-credentials"] is False


def test_the_secret_is_used_only_by_the_grader_checkout(steps):
    text = WORKFLOW.read_text()
    code = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert sum("secrets." in line for line in code) == 1
    assert "GRADER_TOKEN" in text.split("name:", 1)[0]            # explained at the top
    assert "GRADER_REPOSITORY" in text.split("name:", 1)[0]


def test_sets_up_python_311_bubblewrap_and_the_pinned_requirements(steps):
    (python,) = uses(steps, "actions/setup-python")
    assert str(python["with"]["python-version"]) == "3.11"
    installs = "\n".join(s.get("run", "") for s in steps)
    assert "apt-get install" in installs and "bubblewrap" in installs
    assert "pip install" in installs and "-r grader-src/requirements.txt" in installs


def test_grades_the_student_checkout_from_the_grader_with_junit(steps):
    step = grade_step(steps)
    assert step["working-directory"] == "grader-src"
    argv = grade_argv(steps)
    assert argv[0] == "grade" and "--junit" in argv and "--out" in argv
    args = cli._parser().parse_args(argv)   # our CLI accepts it as written
    (student,) = [s for s in uses(steps, "actions/checkout") if not s["with"].get("repository")]
    assert [from_workspace(steps, str(p)) for p in args.submissions] == [
        PurePosixPath(student["with"]["path"])]


def test_every_flag_of_the_grade_command_is_in_the_cli_help(steps):
    done = subprocess.run([sys.executable, "-m", "grader", "grade", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    flags = [arg.split("=")[0] for arg in grade_argv(steps) if arg.startswith("--")]
    assert flags
    for flag in flags:
        assert flag in done.stdout, flag


def test_publishes_the_junit_file_the_grader_writes(steps):
    args = cli._parser().parse_args(grade_argv(steps))
    (reporter,) = uses(steps, "mikepenz/action-junit-report")
    assert PurePosixPath(reporter["with"]["report_paths"]) == from_workspace(steps, str(args.junit))


def test_reports_env_is_the_folder_the_grader_writes(workflow, steps):
    (job,) = workflow["jobs"].values()
    out = from_workspace(steps, str(cli._parser().parse_args(grade_argv(steps)).out))
    assert job["env"]["REPORTS"] == "${{ github.workspace }}/" + str(out)


def test_uploads_only_this_students_report_and_results(steps):
    args = cli._parser().parse_args(grade_argv(steps))
    submission = PurePosixPath(str(args.submissions[0])).name   # the report folder's name
    report_dir = from_workspace(steps, str(args.out)) / submission
    (upload,) = uses(steps, "actions/upload-artifact")
    paths = [PurePosixPath(p) for p in upload["with"]["path"].split()]
    assert sorted(paths) == [report_dir / "report.md", report_dir / "results.json"]


def test_the_summary_script_prints_the_total_and_a_row_per_function(steps, tmp_path):
    (step,) = [s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    result = SubmissionResult(name="student", seed=1, isolation="bubblewrap", tests=[
        TestResult("affine_forward", "2-D input", "affine_forward", True, max_score=2.0, score=2.0),
        TestResult("adam", "5 steps", "adam", False, max_score=1.5, notes=["next_w differs"]),
        TestResult("adam", "resuming", "adam", True, max_score=1.5, score=1.5),
    ])
    args = cli._parser().parse_args(grade_argv(steps))
    reports = tmp_path / "reports"
    (reports / PurePosixPath(str(args.submissions[0])).name).mkdir(parents=True)
    (reports / "student" / "results.json").write_text(json.dumps(to_gradescope(result)))
    (reports / "student" / "report.md").write_text(to_markdown(result))
    summary = tmp_path / "summary.md"
    env = {**os.environ, "REPORTS": str(reports), "GITHUB_STEP_SUMMARY": str(summary),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    text = summary.read_text()
    assert "## Autograder: 3.5 / 5" in text
    assert "| ✅ affine_forward | 2 / 2 | 1 / 1 |" in text
    assert "| ❌ adam | 1.5 / 3 | 1 / 2 |" in text
    assert "# Grading report: student" in text   # report.md follows, folded
