"""Renderings of one SubmissionResult (grader/report/), on results built by hand."""
import json
import os
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from grader.report import files, text as report_text, write_reports
from grader.report.gradescope_json import to_gradescope
from grader.report.junit import to_junit
from grader.report.markdown import to_html, to_markdown
from grader.results import Finding, Mismatch, Outcome, SubmissionResult, TestResult, Verdict

# Values that only exist inside hidden inputs / raw arrays: no rendering may contain them.
SECRET_ARRAY = [[0.918273, 0.827364, 0.736455], [0.645546, 0.554637, 0.463728]]
SECRETS = ["0.918273", "0.827364", "0.645546", "0.463728"]
HIDDEN_MISMATCH = {"index": [6, 2], "yours": 0.123987, "expected": 0.654321}

GRADESCOPE_TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
                  "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
                  "leaderboard"}
GRADESCOPE_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
                   "output_format", "tags", "visibility", "extra_data"}


def make_tests() -> list[TestResult]:
    return [
        TestResult("batchnorm_forward", "train mode, tiny-variance input", "bn", True,
                   max_score=2.0, score=2.0, notes=["out matches the reference."],
                   findings=[Finding("out", True, Verdict.WITHIN, rel_error=3e-9, tolerance=1e-7,
                                     shape=[4, 5], expected_shape=[4, 5])]),
        TestResult("batchnorm_forward", "test mode uses running averages", "bn", False,
                   Outcome.FAILED, max_score=1.0, score=0.0,
                   notes=["out differs: got [[0.918273 0.827364 0.736455]\n [0.645546 0.554637 0.463728]]"],
                   findings=[Finding("out", False, Verdict.ABOVE, rel_error=0.12, tolerance=1e-7,
                                     shape=[3, 2], expected_shape=[3, 2],
                                     first_mismatch=Mismatch([0, 1], 0.51234, 0.49871))]),
        TestResult("batchnorm_backward", "dx, dgamma, dbeta on 5-D input", "bn", False,
                   Outcome.FORWARD_WRONG, max_score=3.0, score=1.5,
                   notes=["dgamma and dbeta match; dx does not."],
                   findings=[Finding("dx", False, Verdict.ABOVE, rel_error=0.3, tolerance=1e-6,
                                     first_mismatch=Mismatch([1, 0], 0.25, -0.75)),
                             Finding("dgamma", True, Verdict.WITHIN, rel_error=1e-10, tolerance=1e-6)]),
        TestResult("adam", "large learning rate", "optim", False, max_score=1.0, score=0.0,
                   visibility="hidden", notes=["next_w is wrong."],
                   findings=[Finding("w", False, Verdict.ABOVE, rel_error=0.5, tolerance=1e-7,
                                     shape=[7, 3], expected_shape=[7, 3],
                                     first_mismatch=Mismatch(**HIDDEN_MISMATCH))]),
        TestResult("notebook BatchNormalization.ipynb", "runs to the end", "notebooks", True,
                   max_score=1.0, score=1.0, data={"cells_total": 3, "seconds": 1.0}),
    ]


def make_result(**overrides) -> SubmissionResult:
    fields = dict(name="alice", seed=1234, tests=make_tests(), isolation="bubblewrap",
                  messages=["optim.py was not found: the untouched stub was graded.",
                            "Refused zip member ../../etc/passwd (path escapes the submission)."],
                  warnings=["kernel restarted once"], execution_time=12.34,
                  notebooks=["notebooks/BatchNormalization.ipynb", "notebooks/Dropout 2.ipynb"],
                  fingerprint="abc123def456")
    fields.update(overrides)
    return SubmissionResult(**fields)


def errored_result() -> SubmissionResult:
    return SubmissionResult(name="bob", seed=99, error="zip file is corrupt", isolation="none")


def every_rendering(result: SubmissionResult) -> dict[str, str]:
    return {"json": json.dumps(to_gradescope(result)), "md": to_markdown(result),
            "html": to_html(result), "junit": to_junit([result])}


# ---- results.json -------------------------------------------------------------------------

def test_gradescope_top_level_follows_spec():
    result = make_result()
    data = to_gradescope(result)
    assert set(data) <= GRADESCOPE_TOP
    assert isinstance(data["score"], float) and isinstance(data["execution_time"], float)
    assert isinstance(data["output"], str) and isinstance(data["tests"], list)
    assert data["visibility"] == "visible"
    assert data["stdout_visibility"] in {"hidden", "visible"}
    assert data["output_format"] == data["test_output_format"] == "text"
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    assert data["score"] == pytest.approx(4.5)
    extra = data["extra_data"]
    assert extra["seed"] == 1234 and extra["isolation"] == "bubblewrap"
    assert extra["fingerprint"] == "abc123def456" and extra["grader_version"]
    assert extra["error"] is None and extra["max_score"] == pytest.approx(8.0)
    json.dumps(data, allow_nan=False)   # strict JSON


def test_gradescope_summary_has_messages_and_warnings():
    output = to_gradescope(make_result())["output"]
    assert "Score: 4.5 / 8 (56.2%)" in output
    assert "optim.py was not found" in output and "Refused zip member" in output
    assert "kernel restarted once" in output
    assert "Tests not shown here: 1." in output


def test_gradescope_tests_names_status_visibility():
    result = make_result()
    entries = to_gradescope(result)["tests"]
    assert len(entries) == len(result.tests)
    for t, entry in zip(result.tests, entries):
        assert set(entry) <= GRADESCOPE_TEST
        assert entry["name"].startswith(f"{t.function}: ")
        assert entry["status"] == ("passed" if t.passed else "failed")
        assert entry["visibility"] == t.visibility
        assert (entry["score"], entry["max_score"]) == (t.score, t.max_score)
        assert isinstance(entry["output"], str)
    assert entries[2]["score"] == 1.5 and entries[2]["status"] == "failed"   # partial credit


def test_visible_failure_shows_details_hidden_test_keeps_output_only():
    entries = to_gradescope(make_result())["tests"]
    visible = entries[1]["output"]
    assert "Relative error: 0.12 (tolerance 1e-07)" in visible
    assert "Shapes: out (3, 2)" in visible
    assert "First mismatch: at index (0, 1): yours 0.51234, expected 0.49871" in visible
    assert "Knowledge point: Batch statistics" in visible and "Question to ask yourself:" in visible
    assert "Relative error: 0.3 (tolerance 1e-06)" in entries[2]["output"]
    assert "at index (1, 0): yours 0.25, expected -0.75" in entries[2]["output"]
    hidden = entries[3]["output"]
    assert "next_w is wrong." in hidden and "withheld" in hidden
    assert "(7, 3)" not in hidden and "0.654321" not in hidden


@pytest.mark.parametrize("kind", ["json", "md", "html", "junit"])
def test_no_array_data_or_hidden_values_in_any_rendering(kind):
    text = every_rendering(make_result())[kind]
    for secret in SECRETS + ["0.654321", "0.123987"]:
        assert secret not in text
    assert report_text.ARRAY_ELIDED in text   # the array printed in an output was elided


@pytest.mark.parametrize("text", [
    "array([[ 1.5e-03, -2.0e+00,  nan],\n       [ inf, 3.25, -0.5]])",
    "[[0.1 0.2 0.3 0.4 0.5 0.6",            # cut short: no closing bracket
    "0.3 0.4 0.5 0.6 0.7]]",                 # cut short: no opening bracket
    "values: 0.11 0.22 0.33 0.44 0.55 0.66 0.77 0.88 0.99 1.11",   # flattened, no brackets
])
def test_clean_text_elides_arrays(text):
    cleaned = report_text.clean_text(text)
    assert report_text.ARRAY_ELIDED in cleaned and "0.5" not in cleaned and "0.55" not in cleaned


def test_clean_text_keeps_indices_shapes_and_prose():
    text = "at [0, 1] with shape (2, 3, 4, 5, 6): 3 of 4 cells ran, seed 1234."
    assert report_text.clean_text(text) == text


def test_clean_text_is_fast_and_capped_on_hostile_output():
    import time
    for hostile in ["[" * 200_000, "1e" * 100_000, "[1 " * 100_000, "\x1b[31m" * 50_000]:
        start = time.perf_counter()
        cleaned = report_text.clean_text(hostile)
        assert time.perf_counter() - start < 1.0
        assert len(cleaned) <= report_text.MAX_OUTPUT_CHARS + 100


def test_hide_can_be_lifted_for_instructors():
    entries = to_gradescope(make_result(), hide=())["tests"]
    assert "Shapes: w (7, 3)" in entries[3]["output"] and "0.654321" in entries[3]["output"]


def test_errored_submission_gets_score_zero_and_reason():
    data = to_gradescope(errored_result())
    assert data["score"] == 0.0 and data["tests"] == []
    assert "could not be graded: zip file is corrupt" in data["output"]
    assert data["extra_data"]["error"] == "zip file is corrupt"


def test_non_finite_numbers_stay_valid_json():
    result = make_result()
    result.tests[0].findings[0].rel_error = float("nan")
    json.dumps(to_gradescope(result), allow_nan=False)


# ---- report.md / report.html --------------------------------------------------------------

def test_markdown_header_table_and_tests():
    md = to_markdown(make_result())
    assert md.startswith("# Grading report: alice")
    assert "**Total: 4.5 / 8 (56.2%)**" in md and "Seed:** 1234" in md
    assert "| function | score | tests passed |" in md
    assert "| ❌ batchnorm_forward | 2 / 3 | 1 / 2 |" in md
    assert "| ✅ notebook BatchNormalization.ipynb | 1 / 1 | 1 / 1 |" in md
    assert "| **total** | **4.5 / 8** | **2 / 5** |" in md
    failed = md.index("### ❌ batchnorm_forward: test mode")
    passed = md.index("### ✅ batchnorm_forward: train mode")
    assert failed < passed   # failures first within a function
    assert "optim.py was not found" in md and "kernel restarted once" in md
    assert "(notebooks/BatchNormalization.ipynb)" in md and "(notebooks/Dropout%202.ipynb)" in md
    assert "NO ISOLATION" not in md


def test_markdown_warns_loudly_without_isolation():
    md = to_markdown(make_result(isolation="none"))
    assert "> **⚠️ WARNING: NO ISOLATION" in md
    errored = to_markdown(errored_result())
    assert "NO ISOLATION" in errored and "Could not be graded" in errored
    assert "zip file is corrupt" in errored


class TagChecker(HTMLParser):
    """Fails on a closing tag that does not match the innermost open one."""
    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"


def test_html_is_a_well_formed_page():
    page = to_html(make_result(isolation="none"))
    checker = TagChecker()
    checker.feed(page)
    checker.close()
    assert checker.stack == []
    tags = [tag for tag, _ in checker.tags]
    assert {"html", "head", "style", "body", "table", "blockquote", "pre"} <= set(tags)
    classes = {attrs.get("class") for _, attrs in checker.tags}
    assert {"pass", "fail"} <= classes


def test_student_text_cannot_inject_html_or_links():
    evil = TestResult("batchnorm_forward", "x <script>alert(1)</script> | y", "bn", False,
                      max_score=1.0, notes=["```\n<img src=x onerror=alert(1)>\n````"])
    result = make_result(tests=[evil], messages=["[click](javascript:alert(1))"],
                         notebooks=["javascript:alert(1)"])
    page = to_html(result)
    checker = TagChecker()
    checker.feed(page)
    tags = {tag for tag, _ in checker.tags}
    assert "script" not in tags and "img" not in tags
    assert not any(str(a.get("href", "")).startswith("javascript:") for _, a in checker.tags)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page   # shown as text inside <pre>


# ---- JUnit --------------------------------------------------------------------------------

def test_junit_counts_and_cases():
    results = [make_result(), errored_result()]
    root = ET.fromstring(to_junit(results))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "4", "0")
    alice, bob = root.findall("testsuite")
    assert (alice.get("name"), alice.get("tests"), alice.get("failures")) == ("alice", "5", "3")
    assert alice.get("time") == "12.340"
    props = {p.get("name"): p.get("value") for p in alice.find("properties")}
    assert props["score"] == "4.5" and props["max_score"] == "8" and props["seed"] == "1234"
    cases = alice.findall("testcase")
    for case, t in zip(cases, results[0].tests):
        assert case.get("classname") == t.function and case.get("name") == t.name
        assert (case.find("failure") is None) == t.passed
    assert "Relative error: 0.12" in cases[1].find("failure").text
    assert bob.get("failures") == "1" and "zip file is corrupt" in bob.find("testcase/failure").text


def test_junit_survives_control_characters():
    bad = TestResult("relu_forward", "crash", "relu", False, max_score=1.0,
                     notes=["\x00\x1b[31mboom\x07\udcff"])
    root = ET.fromstring(to_junit([make_result(tests=[bad])]))
    text = root.find("testsuite/testcase/failure").text
    assert text.split("\n\n")[1].startswith("boom")   # after the diagnosis, the output, cleaned


# ---- files --------------------------------------------------------------------------------

def test_write_reports_writes_three_files_atomically(tmp_path):
    folder = tmp_path / "reports" / "alice"
    write_reports(make_result(), folder)
    assert sorted(os.listdir(folder)) == ["report.html", "report.md", "results.json"]
    assert json.loads((folder / "results.json").read_text())["score"] == pytest.approx(4.5)
    write_reports(errored_result(), folder)   # a rerun replaces the content
    assert sorted(os.listdir(folder)) == ["report.html", "report.md", "results.json"]
    assert json.loads((folder / "results.json").read_text())["score"] == 0.0
    assert "Grading report: bob" in (folder / "report.md").read_text()


def test_atomic_write_text_replaces_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "gradebook.csv"
    files.atomic_write_text(path, "first\n")
    files.atomic_write_text(path, "second\r\n")
    assert path.read_bytes() == b"second\r\n" and os.listdir(tmp_path) == ["gradebook.csv"]

    def refuse(*args):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OSError):
        files.atomic_write_text(path, "third\n")
    assert path.read_bytes() == b"second\r\n" and os.listdir(tmp_path) == ["gradebook.csv"]


def test_clean_text_skips_only_runs_too_short_to_hold_an_elided_array(monkeypatch):
    # _elide returns runs shorter than _SHORTEST_ELIDED at once (most runs are the spaces
    # between words); reading every run in full must elide exactly the same.
    import random
    rng = random.Random(5)
    pieces = ["1", "23", ".", "[", "]", " ", ",", "-", "+", "e", "NaN", "inf", "...", "9e-3",
              "0.", "x", "\n"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40)))
             for _ in range(20000)]
    fast = [report_text.clean_text(t) for t in texts]
    monkeypatch.setattr(report_text, "_SHORTEST_ELIDED", 0)
    assert fast == [report_text.clean_text(t) for t in texts]
    assert report_text.ARRAY_ELIDED in report_text.clean_text("got [1nan1nan1]")
