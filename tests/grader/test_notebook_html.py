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


def _notebook_with(cells):
    import nbformat
    return nbformat.v4.new_notebook(cells=cells, metadata={"language_info": {"name": "python"}})


def test_the_page_is_nbconverts_lab_page_with_student_html_still_sanitised():
    """templates/grader_html leaves out only the sanitising of the highlighted code (which
    pygments has escaped already), and the exporter adds nbconvert's accessibility attributes
    without its BeautifulSoup pass: the page parses to JupyterLab's sanitised page, and what a
    student writes into code, Markdown or an output still cannot run a script."""
    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter
    from grader.report.notebook_html import _html_exporter
    hostile = "<script>alert('code')</script>"
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    nb = _notebook_with([
        nbformat.v4.new_markdown_cell("# Title\n<script>alert('markdown')</script>\n$x^2$\n"
                                      '<img src="a.png"> <div class="jp-OutputArea-output">x</div>'),
        nbformat.v4.new_code_cell(f'text = "{hostile}"  # </div><img src=x onerror=alert(1)>',
                                  outputs=[nbformat.v4.new_output(
                                      "display_data",
                                      data={"text/html": "<script>alert('output')</script>"
                                                         '<img src="b.png" alt="given">'}),
                                      nbformat.v4.new_output("display_data",
                                                             data={"image/png": png}),
                                      nbformat.v4.new_output("stream", text="a < b > c\n")]),
    ])
    ours, _ = _html_exporter().from_notebook_node(nb)
    lab, _ = HTMLExporter(sanitize_html=True).from_notebook_node(nb)
    assert str(BeautifulSoup(ours, features="html.parser")) == lab
    assert ours.count('tabindex="0"') == lab.count('tabindex="0"') >= 4
    assert ours.count("No description has been") == lab.count("No description has been") >= 1
    body = ours.split("<body", 1)[1]
    assert "<script>alert" not in body and "<img src=x" not in body   # escaped or removed
    assert "alert" in body                                             # but shown as text


def test_html_beside_running_notebooks_converts_at_a_lower_priority(tmp_path, monkeypatch):
    """Each conversion thread runs at the priority it is given (Linux: per thread), leaving the
    grading's other threads at theirs."""
    import os
    notebook = tmp_path / "done.ipynb"
    notebook.write_text("{}")
    seen = []
    monkeypatch.setattr("grader.report.notebook_html.notebook_html",
                        lambda path: seen.append(os.getpriority(os.PRIO_PROCESS, 0)) or "<p>")
    base = os.getpriority(os.PRIO_PROCESS, 0)
    for nice in (0, 4):
        html = pipeline._NotebookHTML(nice=nice)
        html.start(notebook)
        html.write(until=time.monotonic() + 30)
    assert seen == [base, base + 4]
    assert os.getpriority(os.PRIO_PROCESS, 0) == base


def test_accessible_page_adds_what_nbconverts_pass_adds_and_nothing_else():
    from grader.report.notebook_html import MISSING_ALT, accessible_page
    page = ('<head><style>.jp-OutputArea-output {}</style></head><body class="jp-Notebook">'
            '<div class="jp-Cell-inputWrapper">'
            '<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain">'
            '<div class="jp-OutputArea-output" tabindex="0"><div class="jp-OutputArea-child">'
            '<img src="data:image/png;base64,AA"\n><img src="b.png" alt="given"/>'
            '<img src="c.png"/></div></div></div></div></body>')
    made = accessible_page(page)
    assert made.count('tabindex="0"') == 3                  # one was there already
    assert '<div class="jp-OutputArea-child">' in made       # other classes untouched
    assert made.count(MISSING_ALT) == 2 and 'alt="given"/>' in made
    assert f'<img src="c.png"{MISSING_ALT}/>' in made
    assert made.startswith('<head><style>.jp-OutputArea-output {}</style></head>')
