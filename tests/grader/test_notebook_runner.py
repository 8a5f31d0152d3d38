"""grader/notebooks/execute.py: tiny notebooks run in real sandboxed kernels (about 1 s per kernel)."""
import dataclasses
import os
import threading
import time
from pathlib import Path

import nbformat
import pytest

from grader.report.prose import output_of
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.isolation import sandbox
from grader.results import Outcome, TestResult
from grader.rubric import load_rubric
from grader.scoring import score_notebook_tests
from grader.notebooks.execute import run_notebook
from grader.notebooks.runs import CellError, NotebookRun, notebook_tests
from grader.notebooks.outputs import BoundedNotebookClient
from grader.notebooks.tamper import kernel_hooks
from tests.support import sandbox_level


def scored_tests(run, points: float, visibility: str, *, partial_credit: bool = False,
                 functions_pass: bool = True, submitted: bool = True):
    """notebook_tests, scored as grader/scoring.py scores them under a rubric giving this
    notebook `points` (and partial credit or not) and saying it exercises relu_forward, whose
    hidden test passes (or not)."""
    rubric = load_rubric()
    rubric = dataclasses.replace(rubric, notebooks=dataclasses.replace(
        rubric.notebooks, points=points, per_notebook={}, partial_credit=partial_credit,
        exercises={run.notebook: ("relu_forward",)}))
    hidden = [TestResult("relu_forward", "x", "relu_forward", passed=functions_pass)]
    tests = notebook_tests(run, visibility, submitted=submitted)
    score_notebook_tests(tests, rubric, hidden)
    return tests


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def processes_with(marker: str) -> list[int]:
    """Live processes whose command line contains `marker` (found through /proc, so that it
    works whatever PID namespace the notebook ran in)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes() and alive(int(entry)):
                found.append(int(entry))
        except OSError:
            pass
    return found


def run(tmp_path: Path, cells, *, cell_timeout=20.0, notebook_timeout=30.0,
        continue_on_error=True, name="nb.ipynb"):
    """Write `cells` (source strings; "# md" for markdown) as workspace/notebooks/<name> and run
    it. Returns (NotebookRun, executed notebook)."""
    workspace = tmp_path / "ws"
    (workspace / "notebooks").mkdir(parents=True, exist_ok=True)
    nb = new_notebook(cells=[new_markdown_cell(c[2:]) if c.startswith("# md") else new_code_cell(c)
                             for c in cells])
    path_in = workspace / "notebooks" / name
    nbformat.write(nb, path_in)
    path_out = tmp_path / "out" / name
    result = run_notebook(path_in, path_out, workspace=workspace, scratch=tmp_path / "s",
                          cell_timeout=cell_timeout, notebook_timeout=notebook_timeout,
                          continue_on_error=continue_on_error, level=sandbox_level(),
                          limits=sandbox.Limits())
    return result, nbformat.read(path_out, as_version=4)


def assert_kernel_gone(result: NotebookRun, tmp_path: Path):
    assert result.kernel_pid and not alive(result.kernel_pid)
    assert not list((tmp_path / "s").glob("kernel-*.json")), "connection file left behind"
    assert not list((tmp_path / "s").glob("k*-[0-9]")), "IPC sockets left behind"


def test_clean_notebook_runs_to_the_end_in_its_folder_and_outputs_are_saved(tmp_path):
    result, out = run(tmp_path, [
        "# md intro",
        "import os\nprint(os.getcwd())",
        "",                                   # empty cells are not counted
        "x = 6 * 7\nx",
        "import sys; print('to stderr', file=sys.stderr)",
    ])
    assert (result.ran_to_end, result.cells_run, result.cells_total) == (True, 3, 3)
    assert result.errors == [] and not result.timed_out and not result.kernel_died
    assert out.cells[1].outputs[0]["text"].strip() == str(tmp_path / "ws" / "notebooks")
    assert out.cells[3].outputs[0]["data"]["text/plain"] == "42"
    assert out.cells[3].execution_count == 2
    assert out.metadata["grader"]["ran_to_end"] is True
    assert_kernel_gone(result, tmp_path)
    [test] = scored_tests(result, 4.0, "visible")
    assert test.name == "notebook nb.ipynb: runs to the end"
    assert (test.passed, test.score, test.max_score) == (True, 4.0, 4.0)


ERRORS = [
    "x = 1",
    "import numpy as np\nnp.zeros(3).reshape(2, 2)",     # ValueError
    "print('still running', x)",
    "raise KeyError('expected')",                         # tagged raises-exception below
    "undefined_name",                                     # NameError
]


def test_errors_are_recorded_per_cell_and_the_run_continues(tmp_path):
    workspace = tmp_path / "ws"
    (workspace / "notebooks").mkdir(parents=True)
    nb = new_notebook(cells=[new_code_cell(c) for c in ERRORS])
    nb.cells[3].metadata["tags"] = ["raises-exception"]
    nbformat.write(nb, workspace / "notebooks" / "e.ipynb")
    result = run_notebook(workspace / "notebooks" / "e.ipynb", tmp_path / "out" / "e.ipynb",
                          workspace=workspace, scratch=tmp_path / "s", cell_timeout=20,
                          notebook_timeout=30, continue_on_error=True, level=sandbox_level(),
                          limits=sandbox.Limits())
    out = nbformat.read(tmp_path / "out" / "e.ipynb", as_version=4)
    assert result.ran_to_end and result.cells_run == 5
    assert [(e.index, e.ename) for e in result.errors] == [(1, "ValueError"), (4, "NameError")]
    assert "reshape" in result.errors[0].traceback and "\x1b[" not in result.errors[0].traceback
    assert out.cells[2].outputs[0]["text"] == "still running 1\n"
    assert out.cells[1].outputs[0]["output_type"] == "error"

    [main] = scored_tests(result, 10.0, "after_published")   # one test, the cells inside it
    assert not main.passed and main.score == 0.0 and main.max_score == 10.0
    assert main.visibility == "after_published"
    text = output_of(main)
    assert "Cell 2 (In [2]), which begins `import numpy as np`: ValueError: cannot reshape" in text
    assert "Cell 5 (In [5]), which begins `undefined_name`: NameError" in text
    partial = scored_tests(result, 10.0, "visible", partial_credit=True)[0]
    assert partial.score == pytest.approx(10.0 * 3 / 5) and "3/5 of the points" in output_of(partial)


def test_stop_at_first_error_leaves_later_cells_not_run(tmp_path):
    result, out = run(tmp_path, ERRORS, continue_on_error=False)
    assert not result.ran_to_end and result.cells_run == 2
    assert [e.ename for e in result.errors] == ["ValueError"]
    assert "first error, in cell 2" in result.message
    assert out.cells[2].outputs == [] and out.cells[2].metadata["grader"] == "not run"
    assert scored_tests(result, 10.0, "visible", partial_credit=True)[0].score == \
        pytest.approx(10.0 * 1 / 5)


def test_endless_cell_is_stopped_and_the_kernel_tree_killed(tmp_path):
    marker = f"600.{os.getpid()}{time.monotonic_ns() % 10**6}"   # a unique sleep duration
    result, out = run(tmp_path, [
        "import subprocess, sys\n"
        f"subprocess.Popen(['sleep', '{marker}'])\n"
        f"subprocess.Popen([sys.executable, '-c', 'import os, time; os.setsid(); time.sleep({marker})'])",
        "print('looping', flush=True)\nwhile True:\n    pass",
        "print('never')",
    ], cell_timeout=1.5)
    assert result.timed_out and not result.ran_to_end and result.cells_run == 1
    [error] = result.errors
    assert (error.index, error.kind) == (1, "timeout") and "1.5 s" in error.evalue
    assert out.cells[1].outputs[0]["text"] == "looping\n"
    assert "[grader]" in out.cells[1].outputs[-1]["text"]
    assert out.cells[2].metadata["grader"] == "not run"
    assert_kernel_gone(result, tmp_path)
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes_with(marker), "a process started by the notebook outlived it"
    [test] = scored_tests(result, 2.0, "visible")
    assert "Cell 2 (In [2]), which begins `print('looping', flush=True)`: cell 2 did not finish " \
           "within its time limit of 1.5 s" in output_of(test)
    assert test.score == 0.0
    assert scored_tests(result, 2.0, "visible", partial_credit=True)[0].score == \
        pytest.approx(2.0 / 3, abs=1e-3)


def test_notebook_over_its_total_time_limit_stops(tmp_path):
    started = time.monotonic()
    result, out = run(tmp_path, ["import time\ntime.sleep(0.6)"] * 5,
                      cell_timeout=10, notebook_timeout=1.5)
    assert time.monotonic() - started < 8
    assert result.timed_out and not result.ran_to_end and 1 <= result.cells_run <= 3
    assert "total time limit of 1.5 s" in result.message
    assert out.cells[-1].metadata["grader"] == "not run"
    assert_kernel_gone(result, tmp_path)


def test_os_exit_is_recorded_as_a_dead_kernel_and_the_notebook_saved(tmp_path):
    result, out = run(tmp_path, [
        "print('before')",
        "import os\nos._exit(3)",
        "print('after')",
    ])
    assert result.kernel_died and not result.ran_to_end and result.cells_run == 1
    [error] = result.errors
    assert error.kind == "kernel died" and "status 3" in error.evalue
    assert "kernel died while running cell 2" in result.message
    assert out.cells[0].outputs[0]["text"] == "before\n"
    assert out.cells[2].metadata["grader"] == "not run"
    assert "the kernel died while running cell 2: it exited with status 3" in \
        output_of(scored_tests(result, 1.0, "visible")[0])
    assert_kernel_gone(result, tmp_path)


def test_huge_output_is_truncated_in_the_saved_notebook(tmp_path):
    result, out = run(tmp_path, [
        "print('START' + 'x' * 50_000_000 + 'END')",
        "for i in range(20_000):\n    print(i)",
        "from IPython.display import display\nfor i in range(80):\n    display(i)",
    ])
    assert result.ran_to_end and result.errors == []
    assert (tmp_path / "out" / "nb.ipynb").stat().st_size < 300_000
    text = "".join(o["text"] for o in out.cells[0].outputs)
    assert text.startswith("START") and text.rstrip().endswith("END")
    assert "characters omitted by the grader" in text and len(text) < 30_000
    lines = "".join(o["text"] for o in out.cells[1].outputs)
    assert lines.startswith("0\n1\n") and lines.endswith("19999\n")
    assert "more outputs omitted" in out.cells[2].outputs[-1]["text"]


@pytest.mark.parametrize("content, reason", [
    (b'{"cells": [', "not valid JSON"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "cells": 3, "metadata": {}}', "not a valid"),
    (None, "missing"),
])
def test_unreadable_notebook_gives_a_clear_result(tmp_path, content, reason):
    path_in = tmp_path / "ws" / "notebooks" / "bad.ipynb"
    path_in.parent.mkdir(parents=True)
    if content is not None:
        path_in.write_bytes(content)
    result = run_notebook(path_in, tmp_path / "out" / "bad.ipynb", workspace=tmp_path / "ws",
                          scratch=tmp_path / "s", cell_timeout=5, notebook_timeout=5,
                          continue_on_error=True, level=sandbox_level(),
                          limits=sandbox.Limits())
    assert reason in result.read_error and not result.ran_to_end and result.kernel_pid is None
    [test] = scored_tests(result, 3.0, "visible")
    assert output_of(test).startswith("notebook bad.ipynb could not be read: ")
    assert (test.passed, test.score, test.max_score) == (False, 0.0, 3.0)
    placeholder = nbformat.read(tmp_path / "out" / "bad.ipynb", as_version=4)
    assert "could not read" in placeholder.cells[0].source


def test_scoring_counts_cells_that_finished_without_an_error():
    result = NotebookRun("n.ipynb", cells_run=7, cells_total=10, timed_out=True, errors=[
        CellError(2, 3, "ValueError", "bad", "tb", "x = f()"),
        CellError(7, 8, "TimeoutError", "too slow", "", "train()", "timeout"),
    ], message="The run stopped in cell 8.")
    [main] = scored_tests(result, 5.0, "visible", partial_credit=True)
    assert main.score == pytest.approx(5.0 * 6 / 10) and not main.passed
    assert "Cell 3 (In [3]), which begins `x = f()`: ValueError: bad" in output_of(main)
    assert "stopped in cell 8" in output_of(main)
    assert scored_tests(result, 5.0, "visible", partial_credit=True,
                        functions_pass=False)[0].score == 0   # the cell count alone can be forged


def test_runs_from_inside_a_running_event_loop(tmp_path):
    import asyncio

    async def caller():
        return run(tmp_path, ["print('ok')"])

    result, out = asyncio.run(caller())
    assert result.ran_to_end and out.cells[0].outputs[0]["text"] == "ok\n"


def test_a_kernel_that_cannot_start_is_a_grader_error_not_a_crash(tmp_path):
    workspace = tmp_path / "ws"
    (workspace / "notebooks").mkdir(parents=True)
    nbformat.write(new_notebook(cells=[new_code_cell("1")]), workspace / "notebooks" / "k.ipynb")
    common = dict(workspace=workspace, cell_timeout=5, notebook_timeout=5,
                  continue_on_error=True)
    starved = run_notebook(workspace / "notebooks" / "k.ipynb", tmp_path / "out" / "k.ipynb",
                           scratch=tmp_path / "s", level=sandbox_level(),
                           limits=sandbox.Limits(memory_bytes=30 << 20),
                           **common)
    assert starved.grader_error and "kernel" in starved.grader_error.lower()
    assert not starved.ran_to_end and (tmp_path / "out" / "k.ipynb").exists()
    [test] = scored_tests(starved, 1.0, "visible")
    assert "grader's side" in output_of(test) and test.score == 0
    assert_kernel_gone(starved, tmp_path)

    deep = tmp_path / ("d" * 120)   # AF_UNIX socket paths are limited to 107 bytes
    long_path = run_notebook(workspace / "notebooks" / "k.ipynb", tmp_path / "out2" / "k.ipynb",
                             scratch=deep, level=sandbox_level(), limits=sandbox.Limits(),
                             **common)
    if sandbox_level() == "bubblewrap":   # its sockets live in the sandbox's own /tmp
        assert long_path.ran_to_end, long_path.grader_error
    else:
        assert "too long" in long_path.grader_error
    assert (tmp_path / "out2" / "k.ipynb").exists()


def test_comm_messages_leave_no_state_in_the_grader():
    """1,500 widget messages of 1 MiB once held 1.5 GiB of widget state in the grader."""
    client = BoundedNotebookClient(new_notebook(cells=[new_code_cell("1")]))
    blob = "x" * (1 << 20)
    opened = {"msg_type": "comm_open", "parent_header": {}, "buffers": [], "content": {
        "comm_id": "c1", "target_name": "jupyter.widget", "data": {"buffer_paths": [], "state": {
            "_model_module": "@jupyter-widgets/output", "_model_name": "OutputModel",
            "outputs": [], "blob": blob}}}}
    client.handle_comm_msg([], opened, 0)
    for i in range(20):
        client.handle_comm_msg([], {"msg_type": "comm_msg", "parent_header": {}, "buffers": [],
                                    "content": {"comm_id": "c1", "data": {
                                        "method": "update", "state": {f"k{i}": blob}}}}, 0)
    assert client.widget_state == {} and client.widget_buffers == {}
    assert client.comm_objects == {}   # no Output-widget mimic storing output past the caps


SWALLOW_EVERY_LATER_ERROR = """
def _swallow(lines):
    body = ["    " + line for line in lines] or ["    pass\\n"]
    return ["try:\\n", *body, "\\n", "except BaseException:\\n", "    pass\\n"]
get_ipython().input_transformers_cleanup.append(_swallow)
"""


def test_a_cell_that_hides_every_later_error_earns_nothing_and_is_flagged(tmp_path):
    """The kernel reports a clean run, and once that was worth the notebook's points."""
    result, _ = run(tmp_path, [SWALLOW_EVERY_LATER_ERROR, "raise ValueError('hidden')",
                               "undefined_name"])
    assert result.ran_to_end and result.errors == []          # what the kernel says: forged
    hooks = kernel_hooks(tmp_path / "ws" / "notebooks" / "nb.ipynb")
    assert hooks == [(1, ["input_transformer"])]
    [test] = scored_tests(result, 5.0, "visible", functions_pass=False)
    assert (test.passed, test.outcome, test.score) == (False, Outcome.FUNCTIONS_FAILING, 0.0)
    assert "The hidden tests of relu_forward fail" in output_of(test)
    flagged = notebook_tests(result, "visible", hooks=hooks)[0]
    assert "Cell 1 installs an input transformer" in output_of(flagged)


def test_the_submission_deadline_stops_a_notebook_before_its_own_limit(tmp_path):
    workspace = tmp_path / "ws"
    (workspace / "notebooks").mkdir(parents=True)
    nbformat.write(new_notebook(cells=[new_code_cell("import time\ntime.sleep(60)"),
                                       new_code_cell("1")]), workspace / "notebooks" / "d.ipynb")
    started = time.monotonic()
    result = run_notebook(workspace / "notebooks" / "d.ipynb", tmp_path / "out" / "d.ipynb",
                          workspace=workspace, scratch=tmp_path / "s", cell_timeout=30,
                          notebook_timeout=30, continue_on_error=True, limits=sandbox.Limits(),
                          level=sandbox_level(), deadline=started + 8)
    assert time.monotonic() - started < 15
    assert result.timed_out and "the time left for the whole submission at cell 1" in result.message


# The kernel's log used to lie in its scratch folder, which the student can write to: a cell
# replaced it with a FIFO, then sent a display message nbclient refused, which the grader took
# for its own failure and answered by reading that log, blocking until the submission's time
# limit.
SWAP_KERNEL_LOG_FOR_A_FIFO = """
import glob, os
for path in glob.glob(os.path.join(os.environ["HOME"], "kernel-*.log")):
    os.remove(path)
    os.mkfifo(path)
"""
MALFORMED_DISPLAY = "from IPython.display import publish_display_data\n" \
                    "publish_display_data({'text/plain': 5})"


def test_a_malformed_display_message_is_the_cells_error_and_blocks_nothing(tmp_path):
    done = {}
    thread = threading.Thread(daemon=True, target=lambda: done.update(result=run(
        tmp_path, [SWAP_KERNEL_LOG_FOR_A_FIFO, MALFORMED_DISPLAY, "print('after')"])))
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the grader is blocked (reading a FIFO the student planted?)"
    result, out = done["result"]
    assert result.grader_error is None and result.ran_to_end
    assert [(e.index, e.ename) for e in result.errors] == [(1, "InvalidOutput")]
    [test] = scored_tests(result, 1.0, "visible")
    assert "grader's side" not in output_of(test) and test.score == 0
    assert "not a valid notebook output" in output_of(test)
    assert out.cells[2].outputs[0]["text"] == "after\n"
    assert_kernel_gone(result, tmp_path)
