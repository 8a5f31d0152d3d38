"""Pipeline stage "run notebooks": execute a student's notebook headless and turn what happened
into test results.

`run_notebook()` is a thin wrapper around nbclient. The kernel is an ordinary ipykernel started
through `grader.isolation.sandbox` (limits, clean environment, own process group, and whatever isolation
sandbox.py provides) and reached over IPC sockets in the scratch folder, never TCP, so it works in a
network namespace: see grader/notebooks/kernel.py. What a cell outputs is kept within fixed caps: see
grader/notebooks/outputs.py. Whatever happens in the notebook (an exception, an endless loop,
`os._exit`, a 50 MB print), the run ends with the kernel's process tree killed, the executed
notebook written to `path_out`, and a `NotebookRun` describing it (grader/notebooks/runs.py, whose
`notebook_tests()` renders it as `TestResult`s).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import re
import signal
import time
from pathlib import Path

from nbclient.exceptions import CellTimeoutError, DeadKernelError

from grader.isolation import sandbox
from grader.notebooks.kernel import JUPYTER_LOG, SandboxedKernelManager
from grader.notebooks.files import (NotebookReadError, cut_middle, placeholder_notebook,
                                    read_notebook, save_notebook)
from grader.notebooks.outputs import BoundedNotebookClient, append_stream
from grader.notebooks.runs import CellError, NotebookRun

MIN_START_SECONDS = 5          # a notebook is not started with less of the submission's time left
KERNEL_STARTUP_SECONDS = 60     # not counted against the notebook's own time limit
SAFETY_NET_SECONDS = 10         # slack for the watchdog over the notebook's deadline
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# --------------------------------------------------------------------------- running


def run_notebook(path_in: Path, path_out: Path, **options) -> NotebookRun:
    """run_notebook_async() in an event loop of its own (see there for the options)."""
    return _run_sync(run_notebook_async(path_in, path_out, **options))


async def run_notebook_async(path_in: Path, path_out: Path, *, workspace: Path, scratch: Path,
                             cell_timeout: float, notebook_timeout: float,
                             continue_on_error: bool, limits: sandbox.Limits, level: str,
                             uid: int | None = None, readonly_paths=(),
                             kernel_ready=None, deadline: float | None = None,
                             nice: int = 0) -> NotebookRun:
    """Execute `path_in` top to bottom in a sandboxed kernel whose working directory is the
    notebook's folder (`path_in` lies inside `workspace`) and write the executed notebook to
    `path_out` (always, atomically).

    `cell_timeout` bounds each cell; `notebook_timeout` bounds all cells together (kernel start-up
    is bounded separately by KERNEL_STARTUP_SECONDS). A timed-out cell or a dead kernel stops the
    run: the remaining cells are marked "not run". With `continue_on_error` an exception in a cell
    is recorded and the next cell runs; otherwise the run stops at the first error.
    `level` (the run's isolation level), `uid` (default: one picked by the sandbox) and
    `readonly_paths` go to sandbox.command().
    `kernel_ready`, when given, is awaited once the kernel answers and before the first cell
    (grader/notebooks/schedule.py holds a started kernel there until a lane is free); the
    notebook's time limit starts after it. `deadline` (a time.monotonic() value: the whole
    submission's) bounds everything, start-up and the wait for a lane too; with less than
    MIN_START_SECONDS left the notebook is not started at all (`not_run`, nothing written).
    `nice`: the kernel's lower CPU priority (sandbox.command).
    """
    path_in, path_out, scratch = Path(path_in), Path(path_out), Path(scratch)
    run = NotebookRun(notebook=path_in.name)
    started_at = time.monotonic()
    if deadline is not None and deadline - started_at < MIN_START_SECONDS:
        run.not_run = "before"
        return run
    try:
        nb = read_notebook(path_in)
    except NotebookReadError as exc:
        run.read_error = str(exc)
        save_notebook(placeholder_notebook(path_in.name, run.read_error), path_out)
        run.seconds = round(time.monotonic() - started_at, 2)
        return run

    code_cells = _code_cells(nb)
    run.cells_total = len(code_cells)
    for index in code_cells:   # never show the student's own outputs as if the grader made them
        nb.cells[index].outputs, nb.cells[index].execution_count = [], None
    scratch.mkdir(parents=True, exist_ok=True)
    started: set[int] = set()
    km = None
    try:
        km = SandboxedKernelManager(workspace=Path(workspace), scratch=scratch,
                                    cwd=path_in.parent, limits=limits, level=level, uid=uid,
                                    readonly_paths=readonly_paths, nice=nice)
        startup = KERNEL_STARTUP_SECONDS if deadline is None else \
            int(max(1, min(KERNEL_STARTUP_SECONDS, deadline - time.monotonic())))
        client = BoundedNotebookClient(
            nb, km=km, timeout=max(1, int(cell_timeout + 0.999)), allow_errors=True,
            interrupt_on_timeout=False, startup_timeout=startup, log=JUPYTER_LOG,
            resources={"metadata": {"path": str(path_in.parent)}})
        await _session(client, km, run, code_cells, started, cell_timeout, notebook_timeout,
                       continue_on_error, kernel_ready, deadline)
    except Exception as exc:   # a grader-side failure, e.g. the kernel could not be started
        run.grader_error = f"{type(exc).__name__}: {exc}"
        run.kernel_log = km.log_tail() if km is not None else ""
    finally:
        if km is not None:
            km.kill_sandbox()   # normally done already; harmless twice
    run.ran_to_end = (run.cells_run == run.cells_total and not run.timed_out
                      and not run.kernel_died and run.grader_error is None)
    for index in code_cells:
        if index not in started:
            nb.cells[index].metadata["grader"] = "not run"
    nb.metadata["grader"] = {"ran_to_end": run.ran_to_end, "cells_run": run.cells_run,
                             "cells_total": run.cells_total, "message": run.message}
    save_notebook(nb, path_out)
    run.seconds = round(time.monotonic() - started_at - run.waited, 2)
    return run


async def _session(client: BoundedNotebookClient, km: SandboxedKernelManager, *args) -> None:
    """Start the kernel, run the cells, and always kill the kernel's process group and release
    the sockets and connection file, inside the one event loop that owns them."""
    try:
        await _execute(client, km, *args)
    finally:
        km.kill_sandbox()
        try:
            if client.kc is not None:
                client.kc.stop_channels()
            await km._async_cleanup_resources()
        except Exception:
            pass


async def _execute(client: BoundedNotebookClient, km: SandboxedKernelManager, run: NotebookRun,
                   code_cells: list[int], started: set[int], cell_timeout: float,
                   notebook_timeout: float, continue_on_error: bool, kernel_ready=None,
                   submission_deadline: float | None = None) -> None:
    await client.async_start_new_kernel()
    run.kernel_pid = km.sandbox_process.pid if km.sandbox_process else None
    await client.async_start_new_kernel_client()
    info = await client.async_wait_for_reply(await _maybe_await(client.kc.kernel_info()))
    if info and "language_info" in info["content"]:
        client.nb.metadata["language_info"] = info["content"]["language_info"]
    if kernel_ready is not None:   # the wait for a free lane is not the notebook's time
        waiting = time.monotonic()
        await kernel_ready()
        run.waited = time.monotonic() - waiting

    if submission_deadline is not None and \
            submission_deadline - time.monotonic() < MIN_START_SECONDS:
        run.not_run = "before"   # it waited for a lane until the submission's time was up
        return
    limit = f"its total time limit of {notebook_timeout:g} s"
    if submission_deadline is not None and \
            submission_deadline - time.monotonic() < notebook_timeout:
        notebook_timeout = max(0.05, submission_deadline - time.monotonic())
        limit = "the time left for the whole submission"
    deadline = time.monotonic() + notebook_timeout
    # nbclient treats a timeout of 0 as "none": never let the remaining time reach 0.
    client.timeout_func = lambda cell: max(0.05, min(cell_timeout, deadline - time.monotonic()))
    replies: dict[int, dict] = {}
    client.on_cell_executed = lambda cell, cell_index, execute_reply: \
        replies.__setitem__(cell_index, execute_reply or {})
    current = {"index": None, "watchdog fired": False}

    async def cells() -> None:
        for index in code_cells:
            cell = client.nb.cells[index]
            if time.monotonic() >= deadline:
                _notebook_over_time(run, index, cell, limit)
                return
            limited_by_notebook = deadline - time.monotonic() < cell_timeout
            current["index"] = index
            started.add(index)
            try:
                await client.async_execute_cell(cell, index,
                                                execution_count=client.code_cells_executed + 1)
            except CellTimeoutError:
                if limited_by_notebook:
                    _notebook_over_time(run, index, cell, limit)
                else:
                    _stop(run, cell, index, "timeout", "TimeoutError",
                          f"cell {index + 1} did not finish within its time limit of "
                          f"{cell_timeout:g} s")
                return
            except DeadKernelError:
                if current["watchdog fired"]:
                    _notebook_over_time(run, index, cell, limit)
                else:
                    _stop(run, cell, index, "kernel died", "DeadKernelError",
                          f"the kernel died while running cell {index + 1}: {_death_reason(km)}")
                return
            finally:
                client.finish_cell(cell, index)
            run.cells_run += 1
            error = _cell_error(cell, index, replies.get(index, {}))
            if error:
                run.errors.append(error)
                if not continue_on_error:
                    run.message = (f"The run stopped at the first error, in cell {index + 1}; "
                                   "the cells after it were not run.")
                    return

    async def watchdog() -> None:
        """Kills the kernel (nbclient then raises DeadKernelError) should the per-cell timeouts,
        which already end at the notebook's deadline, ever fail to stop it."""
        await asyncio.sleep(notebook_timeout + SAFETY_NET_SECONDS)
        current["watchdog fired"] = True
        km.kill_sandbox()

    guard = asyncio.ensure_future(watchdog())
    try:   # and should even that not end the run, stop waiting for it
        await asyncio.wait_for(cells(), notebook_timeout + 3 * SAFETY_NET_SECONDS)
    except asyncio.TimeoutError:
        index = current["index"] if current["index"] is not None else code_cells[0]
        _notebook_over_time(run, index, client.nb.cells[index], limit)
    finally:
        guard.cancel()


def _notebook_over_time(run: NotebookRun, index: int, cell, limit: str) -> None:
    _stop(run, cell, index, "timeout", "TimeoutError",
          f"the notebook exceeded {limit} at cell {index + 1}")


def _stop(run: NotebookRun, cell, index: int, kind: str, ename: str, evalue: str) -> None:
    """Record that the run ended in cell `index` (timeout or dead kernel)."""
    run.timed_out |= kind == "timeout"
    run.kernel_died |= kind == "kernel died"
    count = cell.get("execution_count")
    run.errors.append(CellError(index, count, ename, evalue, "", _first_line(cell.source), kind))
    stopped = "the grader stopped the kernel and " if kind == "timeout" else ""
    run.message = f"{evalue[0].upper()}{evalue[1:]}; {stopped}the cells after it were not run."
    append_stream(cell, "stderr", f"[grader] {evalue}; {stopped}the cells after it were not run.\n")


def _death_reason(km: SandboxedKernelManager) -> str:
    proc = km.sandbox_process
    code = sandbox.exit_status(proc) if proc is not None else None
    if code is None:
        return "it stopped answering"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        hint = {"SIGKILL": "killed: out of memory?", "SIGXCPU": "its CPU time limit was reached",
                "SIGXFSZ": "it wrote a file over the size limit",
                "SIGSEGV": "a crash in compiled code", "SIGABRT": "it aborted (out of memory?)"}
        return f"it was ended by {name} ({hint.get(name, 'a signal')})"
    return f"it exited with status {code} (os._exit(), exit() or a crash?)"


def _cell_error(cell, index: int, reply: dict) -> CellError | None:
    """The error a finished cell raised, from its execute reply or else its outputs."""
    if "raises-exception" in cell.metadata.get("tags", []):
        return None   # the notebook's author marked the error as expected
    content = reply.get("content", {})
    if content.get("status") != "error":
        content = next((o for o in cell.outputs if o.get("output_type") == "error"), None)
        if content is None:
            return None
    lines = ANSI_ESCAPE.sub("", "\n".join(content.get("traceback", []))).splitlines()
    return CellError(index, cell.get("execution_count"), str(content.get("ename", "Error")),
                     cut_middle(str(content.get("evalue", "")), 2000),
                     cut_middle("\n".join(lines[-20:]), 3000), _first_line(cell.source))


def _first_line(source: str) -> str:
    line = next((s for s in source.splitlines() if s.strip()), "")
    return line if len(line) <= 80 else line[:77] + "..."


def _code_cells(nb) -> list[int]:
    """Indices of the cells nbclient executes: non-empty code cells not tagged skip-execution."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()
            and "skip-execution" not in c.metadata.get("tags", [])]


def _run_sync(coro) -> None:
    """asyncio.run, also from a thread that already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _maybe_await(value):
    return await value if inspect.isawaitable(value) else value
