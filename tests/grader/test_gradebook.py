"""Batch renderings (grader/gradebook.py): gradebook.csv and the summary plot."""
import csv
import os

import pytest

from grader.report import gradebook
from grader.results import SubmissionResult, TestResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def result(name, passes, seed=1, **fields) -> SubmissionResult:
    """A submission with one 1-point test per (unit, passed) pair."""
    tests = [TestResult(unit, f"check {i}", "g", ok, max_score=1.0, score=1.0 if ok else 0.0)
             for i, (unit, ok) in enumerate(passes)]
    return SubmissionResult(name=name, seed=seed, tests=tests, **fields)


def batch() -> list[SubmissionResult]:
    return [
        result("alice", [("batchnorm_forward", True), ("batchnorm_forward", False), ("adam", True)], 11),
        result("carol", [("adam", True), ("dropout_forward", True)], 12),
        SubmissionResult(name="bob", seed=13, error="zip file is corrupt,\nrefused"),
    ]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def test_gradebook_columns_rows_and_statuses(tmp_path):
    path = gradebook.write_gradebook(batch(), tmp_path)
    columns, rows = read_csv(path)
    assert columns == ["submission", "score", "max_score", "percent",
                       "batchnorm_forward", "adam", "dropout_forward", "status", "seed"]
    assert [r["submission"] for r in rows] == ["alice", "carol", "bob"]
    alice, carol, bob = rows
    assert (alice["score"], alice["max_score"], alice["percent"]) == ("2", "3", "66.67")
    assert (alice["batchnorm_forward"], alice["adam"], alice["dropout_forward"]) == ("1", "1", "")
    assert (carol["percent"], carol["status"], carol["seed"]) == ("100.00", "graded", "12")
    assert bob["status"] == "error: zip file is corrupt, refused"
    assert (bob["score"], bob["max_score"], bob["percent"]) == ("0", "0", "0.00")
    assert os.listdir(tmp_path) == ["gradebook.csv"]


def test_given_units_fix_the_column_order(tmp_path):
    units = ["dropout_forward", "layernorm_forward", "adam"]
    columns, rows = read_csv(gradebook.write_gradebook(batch(), tmp_path, units=units))
    assert columns[4:-2] == ["dropout_forward", "layernorm_forward", "adam", "batchnorm_forward"]
    assert rows[0]["layernorm_forward"] == "" and rows[1]["dropout_forward"] == "1"


def test_partial_credit_and_formula_names(tmp_path):
    partial = SubmissionResult(name="=HYPERLINK(\"x\")", seed=5, tests=[
        TestResult("batchnorm_backward", "dx", "g", False, max_score=3.0, score=1.25)])
    _, rows = read_csv(gradebook.write_gradebook([partial], tmp_path))
    assert rows[0]["submission"] == "'=HYPERLINK(\"x\")"
    assert (rows[0]["batchnorm_backward"], rows[0]["percent"]) == ("1.25", "41.67")


def test_pass_rates_over_the_batch():
    assert gradebook.pass_rates(batch()) == {
        "batchnorm_forward": (1, 2), "adam": (2, 2), "dropout_forward": (1, 1)}


@pytest.mark.parametrize("results", [
    batch(),
    [result("solo", [("adam", False)])],
    [SubmissionResult(name="bob", seed=1, error="timeout")],
    [SubmissionResult(name="empty", seed=1)],
], ids=["batch", "one", "only-errors", "zero-tests"])
def test_plot_summary_writes_a_png(tmp_path, results):
    path = gradebook.plot_summary(results, tmp_path / "summary.png")
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert os.listdir(tmp_path) == ["summary.png"]


def test_pass_rates_leave_out_zero_point_notes():
    notebook = "notebook A.ipynb"
    result = SubmissionResult(name="s", seed=1, tests=[
        TestResult(function=notebook, what="runs to the end", group="notebooks", max_score=5,
                   passed=True, score=5),
        TestResult(function=notebook, what="cell 3 raised ValueError", group="notebooks",
                   max_score=0, passed=False),
    ])
    assert gradebook.pass_rates([result]) == {notebook: (1, 1)}


def test_the_summary_plot_without_a_layout_engine_keeps_every_label_inside_and_apart():
    """Fixed margins: the longest unit label (36 characters) ends left of the pass-rate panel
    and right of the scores panel, and no title or axis label leaves the figure."""
    long_unit = "NormalizationForConvFeatures.ipynb: a very long notebook unit name"
    units = [long_unit] + [f"unit_{i}" for i in range(24)]
    passes = [(unit, i % 2 == 0) for i, unit in enumerate(units)]
    fig = gradebook.summary_figure([result("alice", passes)])
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    scores, rates = fig.axes
    labels = [t.get_window_extent(renderer) for t in rates.get_yticklabels() if t.get_text()]
    assert min(b.x0 for b in labels) > scores.get_window_extent(renderer).x1
    assert max(b.x1 for b in labels) <= rates.get_window_extent(renderer).x0
    texts = [ax.title for ax in fig.axes] + [ax.xaxis.label for ax in fig.axes] + [
        scores.yaxis.label]
    whole = fig.bbox
    for text in texts:
        box = text.get_window_extent(renderer)
        assert whole.x0 <= box.x0 and box.x1 <= whole.x1
        assert whole.y0 <= box.y0 <= box.y1 <= whole.y1
