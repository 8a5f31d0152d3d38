"""Visibility from the rubric, end to end through the CLI: a group set to "hidden" or
"after_published" carries that visibility into results.json, and what such a test shows (in
results.json, report.md and the JUnit XML) gives away none of its inputs: no shapes, no
hyperparameters, no reference values; only its relative error against its tolerance, the status
and the fixed hint. Visible tests keep all their details."""
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.feedback.catalogue import load_catalogue
from tests.support import ROOT, assert_gradescope_format, run_grader, write_rubric

pytestmark = pytest.mark.slow   # grades whole submissions (notebooks off: seconds)
HIDDEN_GROUPS = {"adam": "hidden", "sgd_momentum": "after_published"}
# Each wrong line fails every test of its function: adam without bias correction, momentum
# doubling the velocity, affine_forward subtracting the bias.
MISTAKES = {
    "optim.py": [('m_hat = config["m"] / (1 - b1 ** config["t"])', 'm_hat = config["m"]'),
                 ("next_w = w + v", "next_w = w + 2 * v")],
    "layers.py": [("out = x.reshape(x.shape[0], -1) @ w + b", "out = x.reshape(x.shape[0], -1) @ w - b")],
}
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?(?![\w.])", re.IGNORECASE)
NUMBER_RUN = re.compile(r"(?:[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?[\s,;\[\]()]+){4,}[-+]?\d", re.IGNORECASE)
# Lines that may hold numbers in a hidden test's output: how far off it was, and the diagnosis
# (the catalogue's words about the mistake and its knowledge point, never the test's values; the
# diagnosis section about the numbers themselves is not shown for hidden tests).
TEACHING = [load_catalogue().ui["en"][key] for key in ("diagnosis", "knowledge_point", "notebook", "question")]
ALLOWED_LINES = tuple(["Relative error:", "- **Relative error:**"]
                      + [f"{heading}:" for heading in TEACHING] + [f"- **{heading}:**" for heading in TEACHING])


def wrong_submission(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for file in (ROOT / "solutions").glob("*.py"):
        text = file.read_text()
        for old, new in MISTAKES.get(file.name, []):
            assert old in text, old
            text = text.replace(old, new)
        (dest / file.name).write_text(text)
    return dest


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("visibility")
    rubric = write_rubric(tmp / "rubric.toml", {"groups": {
        group: {"visibility": visibility} for group, visibility in HIDDEN_GROUPS.items()}})
    reference = tmp / "subs" / "reference"
    shutil.copytree(ROOT / "solutions", reference, ignore=shutil.ignore_patterns("__pycache__"))
    wrong = wrong_submission(tmp / "subs" / "wrong")
    out = tmp / "reports"
    run_grader(["grade", reference, wrong, "--out", out, "--rubric", rubric, "--seed", 777,
                "--jobs", 2, "--junit", tmp / "junit.xml"], timeout=300)
    results = {name: json.loads((out / name / "results.json").read_text())
               for name in ("reference", "wrong")}
    reports = {name: (out / name / "report.md").read_text() for name in ("reference", "wrong")}
    return results, reports, ET.parse(tmp / "junit.xml").getroot()


def function_of(name: str) -> str:
    return name.split(": ", 1)[0]


def md_section(report: str, test_name: str) -> str:
    """The '### ... <test name> ...' section of report.md, up to the next heading."""
    start = report.index(f" {test_name} (")
    end = report.find("\n#", start)
    return report[start: end if end >= 0 else len(report)]


def leaked_numbers(text: str) -> list[str]:
    """Numbers in `text` outside the relative-error line and the diagnosis lines."""
    kept = [line for line in text.splitlines() if not line.strip().startswith(ALLOWED_LINES)]
    return NUMBER.findall("\n".join(kept))


def test_results_json_carries_the_rubric_visibility(graded):
    results, _, _ = graded
    for data in results.values():
        assert_gradescope_format(data)
        for test in data["tests"]:
            assert test["visibility"] == HIDDEN_GROUPS.get(function_of(test["name"]), "visible")
        assert {function_of(t["name"]) for t in data["tests"]} >= set(HIDDEN_GROUPS)


def test_the_wrong_submission_fails_the_hidden_and_a_visible_group(graded):
    results, _, _ = graded
    failed = {function_of(t["name"]) for t in results["wrong"]["tests"] if t["status"] == "failed"}
    assert failed >= set(HIDDEN_GROUPS) | {"affine_forward"}   # and what calls affine_forward
    assert all(t["status"] == "passed" for t in results["reference"]["tests"])


def test_hidden_outputs_in_results_json_show_no_input_values(graded):
    results, _, _ = graded
    hidden = [t for data in results.values() for t in data["tests"]
              if t["visibility"] != "visible"]
    assert len(hidden) >= 4 and any(t["status"] == "failed" for t in hidden)
    for test in hidden:
        output = test["output"]
        assert "array(" not in output and not NUMBER_RUN.search(output), output
        assert leaked_numbers(output) == [], (test["name"], output)
        assert "Details: withheld (hidden test)" in output
        assert "Shapes:" not in output and "First mismatch:" not in output
        if test["status"] == "failed":   # still says what to look at and how far off it was
            assert "Relative error:" in output and f"{TEACHING[1]}:" in output


def test_hidden_sections_of_report_md_show_no_input_values(graded):
    results, reports, _ = graded
    for name, data in results.items():
        for test in data["tests"]:
            if test["visibility"] == "visible":
                continue
            section = md_section(reports[name], test["name"])
            assert "*(hidden test)*" in section
            assert "- **Details:** withheld (hidden test)" in section
            assert "array(" not in section and not NUMBER_RUN.search(section), section
            heading, body = section.split("\n", 1)   # the heading shows the points
            assert leaked_numbers(body) == [], (test["name"], body)


def test_hidden_failures_in_junit_show_no_input_values(graded):
    _, _, junit = graded
    hidden = {"adam", "sgd_momentum"}
    failures = [case.find("failure") for case in junit.iter("testcase")
                if case.get("classname") in hidden and case.find("failure") is not None]
    assert failures
    for failure in failures:
        assert leaked_numbers(failure.text) == [] and leaked_numbers(failure.get("message")) == []
        # read back from results.json and rendered again: the note appears once, not twice
        assert failure.text.count("Details: withheld (hidden test)") == 1, failure.text


def test_visible_failures_keep_their_details(graded):
    results, reports, _ = graded
    visible = [t for t in results["wrong"]["tests"]
               if function_of(t["name"]) == "affine_forward"]
    assert visible and all(t["status"] == "failed" for t in visible)
    for test in visible:
        output = test["output"]
        assert "Shapes: out (" in output
        assert re.search(r"First mismatch: at index \(\d+, \d+\): yours \S+, expected \S+", output)
        assert re.search(r"on x \(\d+(, \d+)*\), w \(\d+, \d+\), b \(\d+,\)", output)   # inputs' shapes
        assert "withheld" not in output
        section = md_section(reports["wrong"], test["name"])
        assert "**Shapes:**" in section and "**First mismatch:**" in section
        assert "hidden test" not in section
