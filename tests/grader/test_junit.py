"""`python -m grader grade ... --junit FILE`: the JUnit XML that CI systems (GitHub's test
reporters, GitLab, Jenkins) read, checked for structure against results.json (no XSD: the
common JUnit schemas are not shipped and the tests run without network)."""
import shutil
import xml.etree.ElementTree as ET

import pytest
from tests.support import ROOT, results_in, run_grader, write_rubric

SEED = 4242
pytestmark = pytest.mark.slow   # grades whole submissions (notebooks off: seconds)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The reference solutions and the untouched handout, graded in one batch, notebooks off."""
    tmp = tmp_path_factory.mktemp("junit")
    rubric = write_rubric(tmp / "rubric.toml")
    for name, files in (("reference", (ROOT / "solutions").glob("*.py")),
                        ("untouched", (ROOT / "assignment").glob("*.py"))):
        (tmp / "subs" / name).mkdir(parents=True)
        for file in files:
            shutil.copy(file, tmp / "subs" / name / file.name)
    out, junit = tmp / "reports", tmp / "ci" / "junit.xml"
    junit.parent.mkdir()
    run_grader(["grade", tmp / "subs" / "reference", tmp / "subs" / "untouched", "--out", out,
                "--junit", junit, "--rubric", rubric, "--seed", SEED, "--jobs", 2], timeout=300)
    return ET.parse(junit).getroot(), results_in(out)


def suites_by_name(root):
    return {suite.get("name"): suite for suite in root.findall("testsuite")}


def test_root_is_testsuites_with_totals_of_its_suites(graded):
    root, results = graded
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == len(results) == 2 and list(root) == suites
    for key in ("tests", "failures", "errors"):
        assert int(root.get(key)) == sum(int(s.get(key)) for s in suites)
    assert float(root.get("time")) == pytest.approx(sum(float(s.get("time")) for s in suites),
                                                    abs=0.01)


def test_one_suite_per_submission_consistent_with_its_cases(graded):
    root, results = graded
    suites = suites_by_name(root)
    assert set(suites) == set(results)
    for name, suite in suites.items():
        for attribute in ("name", "tests", "failures", "errors", "time"):
            assert suite.get(attribute) is not None, attribute
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases) == len(results[name]["tests"])
        assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("errors")) == sum(c.find("error") is not None for c in cases) == 0
        # the time is the submission's grading time (it used to be lost on the way: 0.000)
        assert float(suite.get("time")) == pytest.approx(results[name]["execution_time"], abs=0.01)
        assert float(suite.get("time")) > 0
        properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert properties["seed"] == str(SEED)
        assert float(properties["score"]) == pytest.approx(results[name]["score"], abs=0.01)


def test_each_case_is_a_graded_function_and_a_test_name(graded):
    root, results = graded
    for name, suite in suites_by_name(root).items():
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [t["name"] for t in results[name]["tests"]]
        for case in cases:
            assert case.get("name").startswith(case.get("classname") + ": ")
            assert case.get("classname") and ":" not in case.get("classname")


def test_failures_match_the_failed_tests_of_results_json(graded):
    root, results = graded
    suites = suites_by_name(root)
    for name, data in results.items():
        failed = {t["name"] for t in data["tests"] if t["status"] == "failed"}
        cases = suites[name].findall("testcase")
        assert {c.get("name") for c in cases if c.find("failure") is not None} == failed
        assert int(suites[name].get("failures")) == len(failed)
    assert suites["reference"].get("failures") == "0"
    assert int(suites["untouched"].get("failures")) == len(results["untouched"]["tests"]) > 0


def test_a_failure_says_what_went_wrong(graded):
    root, results = graded
    outputs = {t["name"]: t["output"] for t in results["untouched"]["tests"]}
    for case in suites_by_name(root)["untouched"].findall("testcase"):
        failure = case.find("failure")
        message = failure.get("message")
        assert message and message != "failed"   # the output's first line, not a bare status
        assert message == outputs[case.get("name")].splitlines()[0][:200]
        assert failure.text.strip() == outputs[case.get("name")].strip()
