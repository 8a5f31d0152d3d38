"""The executed notebooks' HTML is made by the grading of the submission itself, as each
notebook ends (beside the notebooks still running), not left to the batch afterwards; what is
not ready by the time limit is left to the batch."""
import threading
import time

import pytest

from grader import pipeline
from grader.pipeline import grade_submission
from grader.rubric import load_rubric
from tests.support import ROOT, sandbox_level, submission, write_rubric

NOTEBOOK = "NormalizationForConvFeatures.ipynb"


@pytest.mark.slow
def test_grading_a_submission_writes_each_executed_notebooks_html(tmp_path):
    source = submission(tmp_path / "sub")
    (source / NOTEBOOK).write_bytes((ROOT / "notebooks" / NOTEBOOK)
                                    .read_bytes())
    rubric = load_rubric(write_rubric(tmp_path / "rubric.toml", {"notebooks": {"only": [NOTEBOOK]}},
                                      notebooks=True))
    grade_submission(source, tmp_path / "out", seed=1, rubric=rubric, isolation=sandbox_level())
    executed = tmp_path / "out" / "notebooks" / NOTEBOOK
    html = executed.with_suffix(".html")
    assert executed.is_file() and html.is_file()          # no batch ran: the grading made it
    assert html.stat().st_mtime_ns >= executed.stat().st_mtime_ns   # the batch will keep it
    assert "spatial_batchnorm_forward" in html.read_text()


def test_html_not_ready_by_the_deadline_is_left_to_the_batch(tmp_path, monkeypatch):
    notebook = tmp_path / "slow.ipynb"
    notebook.write_text("{}")
    release = threading.Event()

    def slow_html(path):
        release.wait(30)
        return "<html>late</html>"
    monkeypatch.setattr("grader.report.notebook_html.notebook_html", slow_html)
    html = pipeline._NotebookHTML()
    html.start(notebook)
    began = time.monotonic()
    html.write(until=time.monotonic() + 0.2)
    assert time.monotonic() - began < 5
    assert not notebook.with_suffix(".html").exists()     # nothing half-made in the report
    release.set()
