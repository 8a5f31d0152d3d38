"""End to end: `python -m grader grade --each submissions/` on the shipped examples, with
notebooks executed in the sandbox, exactly as `make grade` runs it."""
import csv
import json
import re

import pytest

from grader.hidden_tests.catalogue import CATALOGUE
from tests.support import ROOT, results_in, run_grader

pytestmark = pytest.mark.slow

# The functions each classic mistake breaks, directly or through a function that calls it
# (spatial batch norm and the network call batchnorm_forward; the backward uses its cache).
BROKEN_BY_MISTAKES = {"batchnorm_forward", "softmax_loss", "dropout_forward", "layernorm_backward",
                      "adam"}
# Built on a broken function: their tests fail, but they keep their points (dependency credit)
# and say which function to fix first.
BUILT_ON_MISTAKES = {"batchnorm_backward", "batchnorm_backward_alt", "spatial_batchnorm_forward",
                     "spatial_batchnorm_backward", "dropout_backward", "FullyConnectedNet"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    done = run_grader(["grade", "--each", ROOT / "submissions", "--out", out, "--jobs", 2,
                       "--seed", 12345], timeout=900)
    return out, results_in(out), done.stdout


def graded_tests(results, *, notebooks):
    return [t for t in results["tests"] if t["name"].startswith("notebook ") == notebooks]


def function_of(test):
    return test["name"].split(": ", 1)[0]


def test_every_example_gets_a_complete_report(graded):
    out, results, _ = graded
    assert set(results) == {"reference", "untouched_handout", "classic_mistakes", "cs231n_layout"}
    for name, result in results.items():
        assert (out / name / "report.md").exists() and (out / name / "report.html").exists()
        assert result["extra_data"]["seed"] == 12345
        assert all(": " in t["name"] for t in result["tests"])
        assert abs(result["score"] - sum(t["score"] for t in result["tests"])) < 1e-6


def test_reference_scores_full_marks_on_every_function_test(graded):
    _, results, _ = graded
    function_tests = graded_tests(results["reference"], notebooks=False)
    assert len(function_tests) >= len(CATALOGUE)
    failed = [t["name"] for t in function_tests if t["status"] != "passed"]
    assert failed == []
    assert all(t["score"] == t["max_score"] for t in function_tests)


def test_every_notebook_runs_to_the_end_against_the_reference(graded):
    out, results, _ = graded
    notebooks = {t["name"]: t for t in graded_tests(results["reference"], notebooks=True)}
    expected = {f"notebook {p.name}: runs to the end" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert expected <= set(notebooks)
    assert all(notebooks[name]["status"] == "passed" for name in expected)
    assert len(expected) == 4
    for name in expected:   # the executed notebook is saved, with outputs, in the report folder
        executed = json.loads((out / "reference" / "notebooks" / name.split()[1][:-1]).read_text())
        assert any(c.get("outputs") for c in executed["cells"] if c["cell_type"] == "code")


def test_untouched_handout_scores_zero_without_a_crash(graded):
    _, results, _ = graded
    untouched = results["untouched_handout"]
    assert "error" not in untouched["extra_data"] or not untouched["extra_data"]["error"]
    function_tests = graded_tests(untouched, notebooks=False)
    assert function_tests and all(t["score"] == 0 for t in function_tests)
    assert sum("stub" in t["output"] for t in function_tests) >= len(function_tests) // 2


def test_classic_mistakes_lose_exactly_the_affected_functions(graded):
    _, results, _ = graded
    failed = {function_of(t) for t in graded_tests(results["classic_mistakes"], notebooks=False)
              if t["status"] == "failed"}
    assert failed == BROKEN_BY_MISTAKES | BUILT_ON_MISTAKES
    for test in graded_tests(results["classic_mistakes"], notebooks=False):
        if function_of(test) not in BROKEN_BY_MISTAKES:
            assert test["score"] == test["max_score"], test["name"]
        if function_of(test) in BUILT_ON_MISTAKES and test["status"] == "failed":
            assert re.search("wrong; fix (it|them) first", test["output"]), test["name"]


def test_cs231n_starter_layout_is_graded_without_edits(graded):
    _, results, _ = graded
    starter = results["cs231n_layout"]
    assert all(t["status"] == "passed" for t in graded_tests(starter, notebooks=False))
    assert "ran unchanged as cs231n.classifiers.fc_net" in starter["output"]   # no rewrite
    assert "Your files graded: layers.py (assignment2/cs231n/layers.py)" in starter["output"]
    assert "notebook" in starter["output"] and "was not found" in starter["output"]


def test_gradebook_has_a_row_per_submission_and_a_column_per_function(graded):
    out, results, _ = graded
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert {r["submission"] for r in rows} == set(results)
    reference = next(r for r in rows if r["submission"] == "reference")
    assert float(reference["score"]) == float(reference["max_score"]) == 100
    assert "batchnorm_backward_alt" in reference and "adam" in reference
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_batch_files_and_executed_notebooks_as_html(graded):
    out, results, _ = graded
    for name in ("index.html", "answers.html", "answers.csv", "similarity.html", "canvas.csv"):
        assert (out / name).is_file(), name
    index = (out / "index.html").read_text()
    for notebook in (out / "reference" / "notebooks").glob("*.ipynb"):
        page = notebook.with_suffix(".html")
        assert page.is_file() and "<script>alert" not in page.read_text()
        assert f'href="reference/notebooks/{page.name}"' in index
