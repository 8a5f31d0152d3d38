"""The roster in the gradebook, canvas.csv in Canvas's import format, Gradescope's
submission_metadata.json, and the late policy from the metadata or the files' times."""
import copy
import csv
import json
import os
from datetime import datetime

import pytest

from grader.course.finalize import finalize
from grader.course.manual import ManualPoints
from grader.course.roster import RosterError, read_roster, write_canvas
from grader.course.timing import handed_in, parse_time
from grader.report.details import summary_text
from grader.report.gradebook import write_gradebook
from grader.report.gradescope_json import to_gradescope
from grader.report.markdown import to_markdown
from grader.results import SubmissionResult, TestResult
from grader.rubric import RubricError, load_rubric
from tests.support import assert_gradescope_format, write_rubric

# The fields Gradescope documents for /autograder/submission_metadata.json (abridged).
METADATA = {
    "id": 123456, "created_at": "2025-03-03T10:30:00.000000-08:00",
    "assignment": {"due_date": "2025-03-01T23:59:00.000000-08:00", "late_due_date": None,
                   "title": "Assignment 2", "total_points": "100.0"},
    "submission_method": "upload",
    "users": [{"email": "ada@example.edu", "id": 1234, "name": "Ada Lovelace"}],
    "previous_submissions": [],
}


def result(name="alice", score=8.0, **fields):
    return SubmissionResult(name=name, seed=1, tests=[
        TestResult("adam", "one step", "adam", score == 10, max_score=10.0, score=score)], **fields)


def rubric_with(tmp_path, **late):
    return load_rubric(write_rubric(tmp_path / "rubric.toml", {"late": late}))


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_roster_fills_the_gradebook_and_canvas_csv(tmp_path):
    (tmp_path / "roster.csv").write_text(
        "submission,student_id,name,email,section\nalice,S001,Ada Lovelace,ada@example.edu,L01\n")
    roster = read_roster(tmp_path / "roster.csv")
    batch = [result("alice", 7.5), result("zed", 10.0), SubmissionResult("broken", 1, error="zip")]
    rows = read_csv(write_gradebook(batch, tmp_path, roster=roster))
    assert rows[0][:7] == ["submission", "student_id", "name", "email", "score", "max_score", "percent"]
    assert rows[1][:5] == ["alice", "S001", "Ada Lovelace", "ada@example.edu", "7.5"]
    assert rows[2][:4] == ["zed", "", "", ""]
    canvas = read_csv(write_canvas(batch, roster, tmp_path, "Assignment 2"))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Assignment 2"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "10"]
    assert canvas[2] == ["Ada Lovelace", "", "S001", "ada@example.edu", "L01", "7.5"]
    assert canvas[3][0] == "zed" and canvas[4] == ["broken", "", "", "", "", ""]


@pytest.mark.parametrize("text, problem", [
    ("student_id,name\nS1,Ada\n", "header must start with submission"),
    ("submission,student_id\nalice,S1\nalice,S2\n", "listed twice"),
])
def test_a_roster_that_cannot_be_used_is_refused(tmp_path, text, problem):
    (tmp_path / "roster.csv").write_text(text)
    with pytest.raises(RosterError, match=problem):
        read_roster(tmp_path / "roster.csv")


def test_gradescope_metadata_gives_time_due_date_and_students(tmp_path):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission_metadata.json").write_text(json.dumps(METADATA))
    handed = handed_in(tmp_path / "submission", {"layers.py"})
    assert handed.source == "submission_metadata.json"
    assert parse_time(handed.submitted_at) == parse_time(METADATA["created_at"])
    assert handed.metadata["due_date"] == METADATA["assignment"]["due_date"]
    assert handed.metadata["users"] == [{"name": "Ada Lovelace", "email": "ada@example.edu", "id": 1234}]


def test_without_metadata_the_newest_file_time_counts(tmp_path):
    (tmp_path / "layers.py").write_text("")
    (tmp_path / "notes.txt").write_text("")   # not a file the grader takes: ignored
    stamp = datetime.fromisoformat("2025-03-02T12:00:00+00:00").timestamp()
    os.utime(tmp_path / "layers.py", (stamp, stamp))
    handed = handed_in(tmp_path, {"layers.py"})
    assert handed.source == "file times"
    assert parse_time(handed.submitted_at).timestamp() == stamp


def test_late_policy_from_the_metadata_due_date(tmp_path):
    rubric = rubric_with(tmp_path, penalty_per_day=0.1, max_penalty=0.5, grace_minutes=30)
    late = result(submitted_at=METADATA["created_at"], submitted_source="submission_metadata.json",
                  metadata={"due_date": METADATA["assignment"]["due_date"]})
    shown = finalize(late, rubric, ManualPoints())
    assert (shown.late.days_charged, shown.late.fraction, shown.late.points) == (2, 0.2, 1.6)
    assert shown.score == 6.4 and shown.tests_score == 8.0
    data = to_gradescope(shown)
    assert_gradescope_format(data)
    assert data["score"] == 6.4 and data["extra_data"]["late_penalty"] == 1.6
    assert "20% off, -1.6 points" in to_markdown(shown)
    assert "from submission_metadata.json" in summary_text(shown)


@pytest.mark.parametrize("submitted, days, fraction", [
    ("2025-03-01T23:59:00-08:00", 0, 0.0),      # on the dot
    ("2025-03-02T00:20:00-08:00", 0, 0.0),      # within the 30 minutes' grace
    ("2025-03-02T00:40:00-08:00", 1, 0.1),      # past the grace: the first day started
    ("2025-03-12T08:00:00+00:00", 11, 0.5),     # capped
])
def test_late_policy_counts_started_days_past_the_grace_period(tmp_path, submitted, days, fraction):
    rubric = rubric_with(tmp_path, due="2025-03-01T23:59:00-08:00", grace_minutes=30,
                         penalty_per_day=0.1, max_penalty=0.5)
    shown = finalize(result(submitted_at=submitted, submitted_source="file times"), rubric,
                     ManualPoints())
    assert (shown.late.days_charged, shown.late.fraction) == (days, fraction)


def test_no_due_date_means_no_late_policy(tmp_path):
    shown = finalize(result(submitted_at="2030-01-01T00:00:00+00:00"), rubric_with(tmp_path),
                     ManualPoints())
    assert shown.late is None and shown.score == 8.0


def test_a_due_date_without_a_time_zone_is_refused(tmp_path):
    with pytest.raises(RubricError, match="late.due"):
        rubric_with(tmp_path, due="2025-03-01 23:59")


def test_a_zip_is_dated_by_its_members_not_by_when_it_was_copied(tmp_path):
    import zipfile
    with zipfile.ZipFile(tmp_path / "alice.zip", "w") as archive:
        archive.writestr(zipfile.ZipInfo("alice/layers.py", (2025, 3, 2, 9, 30, 0)), "")
        archive.writestr(zipfile.ZipInfo("alice/README.md", (2030, 1, 1, 0, 0, 0)), "")
    handed = handed_in(tmp_path / "alice.zip", {"layers.py"})
    assert handed.source == "file times"
    assert parse_time(handed.submitted_at).replace(tzinfo=None) == datetime(2025, 3, 2, 9, 30)


def test_finalize_returns_the_model_itself_when_no_policy_applies_and_never_changes_it(tmp_path):
    # rebuild_outputs re-renders a fresh report only when finalize's model differs from the
    # graded one, and keeps the graded models beside the finalized ones.
    plain = result(submitted_at="2030-01-01T00:00:00+00:00")
    assert finalize(plain, rubric_with(tmp_path), ManualPoints()) is plain
    late = result(submitted_at="2025-03-05T00:00:00+00:00")
    before = copy.deepcopy(late)
    shown = finalize(late, rubric_with(tmp_path, due="2025-03-01T23:59:00-08:00",
                                       penalty_per_day=0.1), ManualPoints())
    assert shown.late.days_charged == 3 and shown != late
    assert late == before and late.late is None and shown.tests is not late.tests
