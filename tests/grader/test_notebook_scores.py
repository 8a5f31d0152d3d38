"""Notebook points rest on what the student's kernel cannot forge: a notebook earns them when it
runs to the end AND the hidden tests of the functions it exercises pass; a notebook the student
did not submit earns nothing; each notebook is one test whatever fails in it."""
import re
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader.hidden_tests.catalogue import CATALOGUE
from tests.support import ROOT, results_in, run_grader, submission, write_rubric

pytestmark = pytest.mark.slow
NOTEBOOK = "NormalizationForConvFeatures.ipynb"   # the shortest notebook
TEST = f"notebook {NOTEBOOK}: runs to the end"

# One cell after the setup cell: every later cell is wrapped in try/except, so the kernel
# reports a clean run whatever the (untouched) stubs do.
SWALLOW = """
def _swallow(lines):
    body = ["    " + line for line in lines] or ["    pass\\n"]
    return ["try:\\n", *body, "\\n", "except BaseException:\\n", "    pass\\n"]
get_ipython().input_transformers_cleanup.append(_swallow)
"""


def with_notebook(folder, extra_cell=None):
    if extra_cell is None:
        shutil.copy(ROOT / "notebooks" / NOTEBOOK, folder / NOTEBOOK)
        return
    nb = nbformat.read(ROOT / "notebooks" / NOTEBOOK, as_version=4)
    nb.cells.insert(1, new_code_cell(extra_cell, metadata={"tags": ["student"]}))
    nbformat.write(nb, folder / NOTEBOOK)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs, out = tmp_path_factory.mktemp("subs"), tmp_path_factory.mktemp("out")
    with_notebook(submission(subs / "reference"))
    with_notebook(submission(subs / "swallower", solutions=False), SWALLOW)
    with_notebook(submission(subs / "stubs", solutions=False))
    submission(subs / "no_notebook")
    rubric = write_rubric(subs / "rubric.toml", {"notebooks": {"only": [NOTEBOOK]}}, notebooks=True)
    run_grader(["grade", "--each", subs, "--out", out, "--jobs", 2, "--seed", 5,
                "--rubric", rubric], timeout=900)
    return {name: {t["name"]: t for t in result["tests"]} for name, result in results_in(out).items()}


def test_a_notebook_that_hides_its_errors_earns_nothing_and_is_flagged(graded):
    test = graded["swallower"][TEST]
    assert (test["status"], test["score"], test["max_score"]) == ("failed", 0, 5)
    assert "All 11 code cells ran without an error" in test["output"]     # what the kernel says
    assert "The hidden tests of spatial_batchnorm_forward, spatial_batchnorm_backward" in test["output"]
    assert "Cell 2 installs an input transformer" in test["output"]
    assert graded["reference"][TEST]["score"] == 5


def test_a_notebook_not_submitted_earns_nothing_and_the_report_says_so(graded):
    test = graded["no_notebook"][TEST]
    assert (test["status"], test["score"]) == ("failed", 0)
    assert f"You did not submit {NOTEBOOK}" in test["output"]
    assert "earns no points" in test["output"]


def test_each_notebook_is_one_test_with_its_failing_cells_inside(graded):
    assert {len(tests) for tests in graded.values()} == {len(CATALOGUE) + 1}
    output = graded["stubs"][TEST]["output"]
    ran, clean = re.match(r"(\d+) of \d+ code cells ran, (\d+) of them", output).groups()
    assert output.count("which begins `") == int(ran) - int(clean) >= 3   # every failing cell
