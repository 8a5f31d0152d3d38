"""Running one submission's notebooks on several kernels at once.

    runs = run_notebooks(jobs, lanes=2, cell_timeout=..., ...)   # one NotebookRun per job

With `lanes` kernels executing at the same time, the notebooks go longest first (by
EXPECTED_SECONDS), each on a fresh kernel of its own, so the longest one is never left to run
alone at the end. One more kernel than there are lanes is started ahead: while the lanes run
their notebooks, the next notebook's kernel starts up and waits, and takes a lane the moment one
is free (a kernel costs about a second to start). Everything runs in one event loop; the
kernels are separate sandboxed processes, so the lanes really run in parallel.

`lanes` is decided by the batch (grader/workers.py: kernel_lanes): cores left over when fewer
submissions are graded at once than there are cores. With lanes=1 the notebooks still run one
after another, and the next kernel still starts while the previous notebook runs.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from grader.notebooks.execute import _run_sync, run_notebook_async
from grader.notebooks.runs import NotebookRun

# Seconds each handout notebook takes against the reference on one core (measured with
# `python -m tools.try_notebooks`); only their order matters. A notebook not listed is
# assumed to be as long as UNKNOWN_SECONDS.
EXPECTED_SECONDS = {
    "BatchNormalization.ipynb": 19,
    "FullyConnectedNets.ipynb": 7,
    "Dropout.ipynb": 5,
    "NormalizationForConvFeatures.ipynb": 3,
}
UNKNOWN_SECONDS = 30
# With several lanes, the longest notebook sets the submission's time: the kernels of the others
# run at this lower priority, so that what the grading does besides them (its own process, the
# hidden tests, the HTML of finished notebooks) takes its CPU from them and not from the longest.
NICE_BESIDE_LONGEST = 10


@dataclass(frozen=True)
class NotebookJob:
    path_in: Path       # the notebook in the workspace
    path_out: Path      # where the executed notebook is written
    scratch: Path       # the kernel's own writable folder


def longest_first(jobs: list[NotebookJob]) -> list[int]:
    """Indices of `jobs` in the order they start (longest expected first, ties by position)."""
    return sorted(range(len(jobs)),
                  key=lambda i: -EXPECTED_SECONDS.get(Path(jobs[i].path_in).name, UNKNOWN_SECONDS))


def run_notebooks(jobs: list[NotebookJob], *, lanes: int, finished=None,
                  **options) -> list[NotebookRun]:
    """Run every job (options: those of run_notebook_async but the paths) on `lanes` kernels at
    once; the runs come back in the order of `jobs`. `finished(job, run)`, when given, is
    called as each notebook ends, while the others may still run; it must return at once."""
    return _run_sync(_run_all(list(jobs), max(1, int(lanes)), options, finished))


async def _run_all(jobs: list[NotebookJob], lanes: int, options: dict,
                   finished=None) -> list[NotebookRun]:
    order = longest_first(jobs)
    alive = asyncio.Semaphore(lanes + 1)   # kernels started: the lanes and one waiting
    running = asyncio.Semaphore(lanes)     # kernels executing cells
    up = [asyncio.Event() for _ in order]  # up[p]: the kernel at position p answered (or failed)
    runs: list[NotebookRun | None] = [None] * len(jobs)

    async def one(position: int, index: int) -> None:
        if position >= lanes:   # start after the kernel before it, so the starts never pile up
            await up[position - 1].wait()
        holds_lane = False

        async def kernel_ready() -> None:
            nonlocal holds_lane
            up[position].set()
            await running.acquire()
            holds_lane = True

        async with alive:
            try:
                job = jobs[index]
                runs[index] = await run_notebook_async(
                    job.path_in, job.path_out, scratch=job.scratch, kernel_ready=kernel_ready,
                    nice=NICE_BESIDE_LONGEST if lanes > 1 and position > 0 else 0, **options)
            finally:
                up[position].set()   # a kernel that never started must not block the next
                if holds_lane:
                    running.release()
            if finished is not None:
                finished(job, runs[index])

    await asyncio.gather(*(one(position, index) for position, index in enumerate(order)))
    return runs
