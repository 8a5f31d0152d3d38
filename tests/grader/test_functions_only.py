"""--functions-only: the hidden tests without the notebooks, whatever the rubric says, and the
report says so; a functions-only report is never taken for a full one on a rerun (nor the
other way round); the GitHub workflow can ask for it."""
import os
import subprocess
import sys

import yaml

import grader.__main__ as cli
from grader.batch import load_result
from grader.pipeline import FUNCTIONS_ONLY_NOTE
from tests.support import ROOT, SHIPPED_RUBRIC, results_in, run_grader, submission, write_rubric


def test_functions_only_grades_the_hidden_tests_and_says_the_notebooks_did_not_run(tmp_path):
    source = submission(tmp_path / "subs" / "alice")
    out = tmp_path / "reports"
    # The shipped rubric runs the notebooks (minutes); --functions-only must not.
    done = run_grader(["grade", source, "--out", out, "--seed", 4, "--jobs", 1,
                       "--rubric", SHIPPED_RUBRIC, "--functions-only"], timeout=300)
    assert "alice: 80 / 80" in done.stdout
    (results,) = results_in(out).values()
    assert not [t for t in results["tests"] if t["name"].startswith("notebook ")]
    assert results["score"] == 80
    assert "the notebooks were not executed" in results["output"]
    assert FUNCTIONS_ONLY_NOTE in (out / "alice" / "report.md").read_text()
    assert not (out / "alice" / "notebooks").exists()
    assert not (out / "summary.png").exists()        # no plot for a single submission
    assert (out / "gradebook.csv").is_file()


def test_a_functions_only_report_is_not_current_for_a_full_run_nor_a_full_one_for_it(tmp_path):
    source = submission(tmp_path / "subs" / "bob")
    out, rubric = tmp_path / "reports", write_rubric(tmp_path / "rubric.toml")

    def grade(*flags):
        return run_grader(["grade", source, "--out", out, "--seed", 4, "--jobs", 1,
                           "--rubric", rubric, *flags], timeout=300).stdout

    grade("--functions-only")
    quick = load_result(out, "bob")
    assert "report(s) are current" not in grade()                    # a full run regrades
    full = load_result(out, "bob")
    assert full.fingerprint != quick.fingerprint and FUNCTIONS_ONLY_NOTE not in full.messages
    assert "report(s) are current" not in grade("--functions-only")   # and the other way
    assert "1 report(s) are current" in grade("--functions-only")     # same mode: kept


def test_the_environment_variable_turns_it_on_for_ci():
    env = {**os.environ, "GRADER_FUNCTIONS_ONLY": "true"}
    code = "import grader.__main__ as m; print(m._parser().parse_args(['grade', '--out', 'x'])" \
           ".functions_only)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr
    assert cli._parser().parse_args(["grade", "--out", "x"]).functions_only is (
        os.environ.get("GRADER_FUNCTIONS_ONLY", "").lower() in cli.TRUE)


def test_the_github_workflow_offers_functions_only():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "grade.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))
    option = triggers["workflow_dispatch"]["inputs"]["functions_only"]
    assert option["type"] == "boolean" and option["default"] is False
    (job,) = workflow["jobs"].values()
    (step,) = [s for s in job["steps"] if "python -m grader grade" in s.get("run", "")]
    value = step["env"]["GRADER_FUNCTIONS_ONLY"]
    assert "inputs.functions_only" in value and "vars.GRADER_FUNCTIONS_ONLY" in value
