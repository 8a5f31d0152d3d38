"""The command line (help, version, one-line errors, --only, the printed seed and scores),
Markdown without needless escapes, Gradescope's number and tags, run_autograder's last resort,
and the bundle's runtime-only requirements."""
import argparse
import json
import os
import shutil
import subprocess
import zipfile

import markdown
import pytest

from grader.__main__ import _parser, main
from grader.command_line import score_line
from grader.report.gradescope_json import to_gradescope
from grader.report.text import md_inline
from grader.results import SubmissionResult, TestResult
from tests.support import ROOT, assert_gradescope_format, keep_report, run_grader, submission, write_rubric


# ---- help and version ---------------------------------------------------------------------

def subparsers():
    action = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


@pytest.mark.parametrize("verb", ["grade", "grade-one", "gradescope"])
def test_every_option_of_every_verb_has_whole_sentences_of_help(verb):
    parser = subparsers()[verb]
    assert parser.description and parser.description.endswith(".")
    for action in parser._actions:
        assert action.help, (verb, action.dest)
        assert action.help.rstrip().endswith((".", "exit")), (verb, action.dest, action.help)


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.startswith("grader ")


# ---- one-line errors --------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--each", "/nonexistent"], "--each /nonexistent: no such folder"),
    (["--each", "submissions/cs231n_layout.zip"], "not a folder"),
    (["--each", "{empty}"], "holds no submission"),
    (["{missing}"], "no such file or folder"),
    (["submissions/README.md"], "a submission is a folder or a .zip file"),
    ([], "nothing to grade"),
    (["--each", "submissions", "--only", "nobody"], "--only nobody: no submission of that name"),
    (["submissions/reference", "--rubric", "/nonexistent.toml"], "--rubric /nonexistent.toml: no such file"),
    (["submissions/reference", "--roster", "/nonexistent.csv"], "--roster /nonexistent.csv: no such file"),
])
def test_paths_that_cannot_be_graded_stop_with_one_line(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(ROOT)
    (tmp_path / "empty").mkdir()
    args = [a.format(empty=tmp_path / "empty", missing=tmp_path / "missing") for a in args]
    assert main(["grade", *args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_scores_print_as_the_reports_print_them():
    result = SubmissionResult("a", 1, tests=[TestResult("adam", "x", "adam", False, max_score=100.0,
                                                        score=54.1833)])
    assert score_line(result) == "54.18 / 100"


# ---- --only, the gradebook from every report, the seed said -------------------------------

@pytest.mark.slow
def test_only_regrades_one_and_every_batch_file_keeps_everyone(tmp_path):
    rubric = write_rubric(tmp_path / "rubric.toml")
    batch = tmp_path / "batch"
    submission(batch / "ann")
    submission(batch / "ben", solutions=False)
    out = tmp_path / "out"
    keep_report(out, SubmissionResult("earlier", 99, tests=[     # a report from an older run
        TestResult("adam", "one step", "adam", True, max_score=3.0, score=3.0)]))
    first = run_grader(["grade", "--each", batch, "--out", out, "--rubric", rubric, "--seed", 5])
    assert "ann: 80 / 80" in first.stdout and "ben: 0 / 80" in first.stdout
    ben = (out / "ben" / "results.json").stat().st_mtime_ns
    again = run_grader(["grade", "--each", batch, "--only", "ann", "--out", out, "--rubric", rubric,
                        "--seed", 6])
    assert json.loads((out / "ann" / "results.json").read_text())["extra_data"]["seed"] == 6
    assert (out / "ben" / "results.json").stat().st_mtime_ns == ben
    assert "ben" not in again.stdout.split("note:")[0]   # only ann was graded this time
    gradebook = (out / "gradebook.csv").read_text()
    assert all(f"\n{name}," in gradebook for name in ("ann", "ben", "earlier"))
    index = (out / "index.html").read_text()
    assert all(f'href="{name}/report.html"' in index for name in ("ann", "ben", "earlier"))
    forced = run_grader(["grade", batch / "ben", "--out", out, "--rubric", rubric, "--seed", 7])
    assert "note: 1 kept report(s) were graded earlier with seed 5, not 7: ben" in forced.stdout


# ---- Markdown, Gradescope ---------------------------------------------------------------

@pytest.mark.parametrize("text", ["relu: x > 0 keeps x", "a < b and R&D", "50% -> 60%"])
def test_markdown_keeps_plain_text_plain(text):
    line = md_inline(text)
    assert "&gt;" not in line and "&amp;" not in line and "&lt;" not in line
    assert markdown.markdown(line) == "<p>" + text.replace("&", "&amp;").replace("<", "&lt;") \
        .replace(">", "&gt;") + "</p>"


@pytest.mark.parametrize("text, shown", [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("&lt;b&gt;", "&amp;lt;b&amp;gt;"),
    ("> not a quote", "&gt; not a quote"),
    ("- not a list", "- not a list"),
])
def test_markdown_still_shows_markup_as_text(text, shown):
    assert markdown.markdown(md_inline(text)) == f"<p>{shown}</p>"


def test_gradescope_tests_have_a_number_and_tags():
    tests = [TestResult("affine_forward", "small", "affine_forward", True, max_score=1.0, score=1.0),
             TestResult("affine_forward", "large", "affine_forward", True, max_score=1.0, score=1.0),
             TestResult("batchnorm_forward", "train", "batchnorm_forward", False, max_score=1.0),
             TestResult("notebook Dropout.ipynb", "runs to the end", "notebooks", True,
                        data={"cells_total": 9, "seconds": 3.0})]
    data = to_gradescope(SubmissionResult("a", 1, tests=tests))
    assert_gradescope_format(data)
    assert [(t["number"], t["tags"]) for t in data["tests"]] == [
        ("1.1", ["affine_forward", "layers"]), ("1.2", ["affine_forward", "layers"]),
        ("2.1", ["batchnorm_forward", "normalization"]),
        ("3.1", ["notebook Dropout.ipynb", "notebooks"])]


# ---- run_autograder and the bundle ---------------------------------------------------------

def run_autograder(root, env_root: bool):
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_ROOT"}
    if env_root:
        env["AUTOGRADER_ROOT"] = str(root)
    done = subprocess.run(["bash", str(root / "run_autograder")], cwd="/", env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert_gradescope_format(data)
    return data


def test_run_autograder_without_autograder_root_or_set_up_leaves_results(tmp_path):
    root = tmp_path / "autograder"
    root.mkdir()
    shutil.copy(ROOT / "tools" / "autograder" / "run_autograder", root / "run_autograder")
    data = run_autograder(root, env_root=False)
    assert data["score"] == 0 and "autograder failed" in data["output"]


def test_run_autograder_replaces_what_a_crashing_grader_left(tmp_path):
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    shutil.copy(ROOT / "tools" / "autograder" / "run_autograder", root / "run_autograder")
    crash = root / "source" / "crash"
    crash.write_text('#!/bin/bash\nmkdir -p "$5/results"; echo "{half" > "$5/results/results.json"; exit 3\n')
    crash.chmod(0o755)
    (root / "source" / ".python").write_text(f"{crash}\n")
    data = run_autograder(root, env_root=True)
    assert data["score"] == 0 and "exit status 3" in data["output"]


def test_the_bundle_installs_runtime_packages_only(tmp_path):
    from tools.autograder.build import build
    with zipfile.ZipFile(build(tmp_path / "autograder.zip")) as archive:
        pins = archive.read("requirements.txt").decode()
    assert "pytest" not in pins and "PyYAML" not in pins
    assert "nbconvert==" in pins and "copydetect==" in pins
    assert "-r requirements.txt" in (ROOT / "requirements-test.txt").read_text()
