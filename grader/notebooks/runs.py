"""What one notebook's run was, and the test it becomes: `NotebookRun` (filled in by
grader/notebooks/execute.py, or made directly for a notebook that was never run) and
`notebook_tests()`. No Jupyter client here: a run of the hidden tests alone imports this and
never nbclient."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from grader.results import Outcome, TestResult

NOTEBOOK_TEST = "runs to the end"   # the one test of a notebook: "notebook <file>: runs to the end"


class CellError(NamedTuple):
    """What went wrong in one cell. `index` is 0-based in the notebook; reports say index + 1."""

    index: int
    execution_count: int | None
    ename: str                   # exception class, or "TimeoutError" / "DeadKernelError"
    evalue: str
    traceback: str               # the last lines of the traceback, colour codes removed
    source: str = ""             # the cell's first line, to find it
    kind: str = "exception"      # "exception", "timeout" or "kernel died"


@dataclass
class NotebookRun:
    notebook: str                          # file name, e.g. "BatchNormalization.ipynb"
    ran_to_end: bool = False               # every code cell finished (errors allowed)
    cells_run: int = 0                     # code cells that finished, with or without an error
    cells_total: int = 0                   # code cells to run (non-empty, not skip-execution)
    errors: list[CellError] = field(default_factory=list)
    timed_out: bool = False                # a cell or the whole notebook hit its time limit
    kernel_died: bool = False
    seconds: float = 0.0
    message: str = ""                      # why the run stopped early, for the student
    not_run: str | None = None             # why the notebook was not run at all (time ran out)
    read_error: str | None = None          # set when the notebook could not be read at all
    grader_error: str | None = None        # the kernel could not be started (not the student's fault)
    kernel_pid: int | None = None          # the sandboxed kernel's process (group leader)
    kernel_log: str = ""                   # the kernel's own stderr tail, for the grader only
    waited: float = 0.0                    # seconds its started kernel waited for a free lane

    @property
    def cells_clean(self) -> int:
        """Code cells that finished without an error."""
        failed = {e.index for e in self.errors if e.kind == "exception"}
        return max(0, self.cells_run - len(failed))


# --------------------------------------------------------------------------- test results


def notebook_tests(run: NotebookRun, visibility: str, *, submitted: bool = True,
                   hooks=(), group: str = "notebooks") -> list[TestResult]:
    """The notebook's one test, "notebook <file>: runs to the end", with every failing cell
    listed in it (the same test count for every student). It passes here when every code cell
    ran without an error; grader/scoring.py then also asks the hidden tests of the functions
    the notebook exercises to pass, and gives the points. `submitted`: False when the handout's
    notebook was run in place of the student's; `hooks`: (cell number, kinds) of the cells that
    install input transformers, hooks or exception handlers (see tamper.kernel_hooks)."""
    data = {"submitted": submitted, "hooks": [[cell, list(kinds)] for cell, kinds in hooks]}

    def result(passed, outcome, **more):
        return [TestResult(function=f"notebook {run.notebook}", what=NOTEBOOK_TEST, group=group,
                           passed=passed, outcome=outcome, visibility=visibility,
                           data={**data, **more})]

    if run.not_run:
        return result(False, Outcome.NOT_RUN, not_run=run.not_run)
    if run.read_error:
        return result(False, Outcome.NOTEBOOK_FAILED, read_error=run.read_error)
    if run.grader_error:
        return result(False, Outcome.GRADER_ERROR, grader_error=run.grader_error)
    passed = run.ran_to_end and not run.errors
    return result(passed, Outcome.PASSED if passed else Outcome.NOTEBOOK_FAILED,
                  cells_run=run.cells_run, cells_total=run.cells_total,
                  cells_clean=run.cells_clean, timed_out=run.timed_out,
                  kernel_died=run.kernel_died, seconds=run.seconds, message=run.message,
                  errors=[{"cell": e.index + 1, "execution_count": e.execution_count,
                           "ename": e.ename, "evalue": e.evalue, "source": e.source,
                           "traceback": e.traceback, "kind": e.kind} for e in run.errors])
