"""Every batch-wide file is rebuilt from every kept model under REPORTS, and manual.csv is merged
into each report, the gradebook and results.json without regrading (no grader run here: the
reports are laid out as a finished worker leaves them)."""
import csv
import json

import pytest

from grader.batch import model_path
from grader.course.outputs import rebuild_outputs
from grader.results import Answer, SubmissionResult, TestResult
from grader.rubric import load_rubric
from tests.support import assert_gradescope_format, keep_report, write_rubric

BATCH_FILES = ("gradebook.csv", "summary.png", "canvas.csv", "answers.html", "answers.csv",
               "similarity.html", "index.html")


def graded(name, passed=True, answered=True, seed=1):
    tests = [TestResult("adam", "one step", "adam", passed, max_score=3.0,
                        score=3.0 if passed else 0.0)]
    answers = [Answer("Dropout.ipynb", "Dropout Q1", "Inline Question 1",
                      "Because the expected value changes." if answered else "", not answered)]
    return SubmissionResult(name=name, seed=seed, tests=tests, answers=answers)


@pytest.fixture
def rubric(tmp_path):
    return load_rubric(write_rubric(tmp_path / "rubric.toml",
                                    {"answers": {"per_question": {"Dropout Q1": 2}}}))


@pytest.fixture
def out(tmp_path):
    out = tmp_path / "reports"
    keep_report(out, graded("alice"))
    keep_report(out, graded("bob", passed=False, answered=False, seed=2))
    return out


def gradebook(out):
    with open(out / "gradebook.csv", newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def results(out, name):
    data = json.loads((out / name / "results.json").read_text())
    assert_gradescope_format(data)
    return data


def test_every_batch_file_covers_every_kept_report(out, rubric):
    shown = rebuild_outputs(out, rubric)
    assert sorted(shown) == ["alice", "bob"]
    for name in BATCH_FILES:
        assert (out / name).is_file(), name
    assert set(gradebook(out)) == {"alice", "bob"}
    index = (out / "index.html").read_text()
    assert 'href="alice/report.html"' in index and 'href="bob/report.html"' in index


def test_a_question_worth_points_waits_for_manual_points(out, rubric):
    rebuild_outputs(out, rubric)
    alice = results(out, "alice")
    answer = next(t for t in alice["tests"] if t["name"].startswith("answer Dropout.ipynb"))
    assert (answer["score"], answer["max_score"]) == (0, 2)
    assert "Not scored yet" in answer["output"]
    assert (alice["score"], gradebook(out)["alice"]["max_score"]) == (3, "5")


def test_manual_points_merge_without_regrading(out, rubric, capsys):
    rebuild_outputs(out, rubric)
    models = {n: model_path(out, n).read_bytes() for n in ("alice", "bob")}
    bob_files = {p.name: (p.stat().st_mtime_ns, p.stat().st_ino) for p in (out / "bob").iterdir()}
    (out / "manual.csv").write_text("student,question,points,comment\n"
                                    "alice,Dropout Q1,1.5,\"clear; name the scaling\"\n"
                                    "alice,Dropout Q7,1,\n")
    rebuild_outputs(out, rubric)
    alice = results(out, "alice")
    answer = next(t for t in alice["tests"] if t["name"].startswith("answer Dropout.ipynb"))
    assert answer["score"] == 1.5 and "clear; name the scaling" in answer["output"]
    assert alice["score"] == 4.5 and gradebook(out)["alice"]["score"] == "4.5"
    assert "clear; name the scaling" in (out / "alice" / "report.md").read_text()
    assert {n: model_path(out, n).read_bytes() for n in models} == models   # graded models kept
    assert {p.name: (p.stat().st_mtime_ns, p.stat().st_ino)
            for p in (out / "bob").iterdir()} == bob_files                 # bob's report untouched
    assert "manual.csv:3: no question 'Dropout Q7'" in capsys.readouterr().err


def test_manual_points_above_the_rubric_are_capped_and_said(out, rubric, capsys):
    (out / "manual.csv").write_text("student,question,points\nbob,Dropout Q1,5\n")
    rebuild_outputs(out, rubric)
    answer = next(t for t in results(out, "bob")["tests"] if t["name"].startswith("answer "))
    assert answer["score"] == 2 and "no answer was written" in answer["output"]
    assert "capped" in capsys.readouterr().err


def test_written_answers_are_worth_nothing_unless_the_rubric_says(out, tmp_path):
    rebuild_outputs(out, load_rubric(write_rubric(tmp_path / "plain.toml")))
    assert not any(t["name"].startswith("answer ") for t in results(out, "alice")["tests"])
    assert "Unanswered: Dropout Q1." in (out / "bob" / "report.md").read_text()


def test_a_report_without_a_model_is_left_out_and_said(out, rubric, capsys):
    model_path(out, "bob").unlink()
    assert list(rebuild_outputs(out, rubric)) == ["alice"]
    assert "--only bob" in capsys.readouterr().err
    assert set(gradebook(out)) == {"alice"}


def test_an_unscored_answer_is_not_diagnosed_as_wrong_values(out, rubric):
    rebuild_outputs(out, rubric)
    report = (out / "alice" / "report.md").read_text()
    section = report[report.index("## answer Dropout.ipynb"):]
    assert "scored by the course staff" in section and "differ from the reference" not in section
