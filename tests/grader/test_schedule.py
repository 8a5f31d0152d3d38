"""grader/notebooks/schedule.py: a submission's notebooks on several kernels at once, longest
first, with the next kernel started while the lanes still run their notebooks."""
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader.isolation import sandbox
from grader.notebooks import schedule
from grader.notebooks.schedule import NotebookJob, longest_first, run_notebooks
from tests.support import sandbox_level

# file name -> seconds its one cell sleeps; listed shortest first on purpose
SLEEPS = {"a_tiny.ipynb": 0.2, "b_short.ipynb": 0.5, "c_long.ipynb": 4.0, "d_mid.ipynb": 2.5}


@pytest.fixture
def jobs(tmp_path, monkeypatch):
    monkeypatch.setattr(schedule, "EXPECTED_SECONDS", {
        "a_tiny.ipynb": 1, "b_short.ipynb": 2, "c_long.ipynb": 9, "d_mid.ipynb": 5})
    workspace = tmp_path / "ws"
    (workspace / "notebooks").mkdir(parents=True)
    made = []
    for name, seconds in SLEEPS.items():
        path = workspace / "notebooks" / name
        nbformat.write(new_notebook(cells=[new_code_cell(f"import time\ntime.sleep({seconds})")]),
                       path)
        made.append(NotebookJob(path, tmp_path / "out" / name, tmp_path / "s" / Path(name).stem))
    return workspace, made


@pytest.fixture
def events(monkeypatch):
    """(what, notebook, time) for each kernel's start, answer, first cell and end."""
    seen = []
    real = schedule.run_notebook_async

    async def recording(path_in, path_out, *, kernel_ready, **options):
        name = Path(path_in).stem

        async def ready():
            seen.append(("up", name, time.monotonic()))
            await kernel_ready()
            seen.append(("run", name, time.monotonic()))

        seen.append(("start", name, time.monotonic()))
        run = await real(path_in, path_out, kernel_ready=ready, **options)
        seen.append(("end", name, time.monotonic()))
        return run

    monkeypatch.setattr(schedule, "run_notebook_async", recording)
    return seen


def run(workspace, jobs, lanes):
    return run_notebooks(jobs, lanes=lanes, workspace=workspace, cell_timeout=60,
                         notebook_timeout=120, continue_on_error=True, limits=sandbox.Limits(),
                         level=sandbox_level())


def at_once(events, begin: str, end: str) -> int:
    """The most notebooks ever between their `begin` and `end` events at the same time."""
    marks = sorted((t, +1 if what == begin else -1) for what, _, t in events if what in (begin, end))
    most = now = 0
    for _, step in marks:
        now += step
        most = max(most, now)
    return most


def first(events, what: str, name: str) -> float:
    return next(t for w, n, t in events if w == what and n == name)


def test_two_lanes_run_the_longest_first_and_start_the_next_kernel_ahead(jobs, events):
    workspace, notebooks = jobs
    assert [notebooks[i].path_in.stem for i in longest_first(notebooks)] == [
        "c_long", "d_mid", "b_short", "a_tiny"]
    runs = run(workspace, notebooks, lanes=2)
    assert [r.notebook for r in runs] == list(SLEEPS)          # in the order asked for
    assert all(r.ran_to_end and not r.errors for r in runs)
    # the two longest start at once (which kernel answers first is the machine's business)
    assert sorted([n for w, n, _ in events if w == "run"][:2]) == ["c_long", "d_mid"]
    assert at_once(events, "run", "end") == 2                  # two notebooks ran together
    assert at_once(events, "start", "end") == 3                # and a third kernel waited
    # b_short's kernel started while both lanes were busy, and took the first free one
    first_free = min(first(events, "end", "c_long"), first(events, "end", "d_mid"))
    assert first(events, "start", "b_short") < first_free
    assert first(events, "run", "b_short") >= first_free
    short = runs[1]   # its time is its own, not the wait for a lane
    waited = first(events, "run", "b_short") - first(events, "up", "b_short")
    assert abs(short.waited - waited) < 0.5
    whole = first(events, "end", "b_short") - first(events, "start", "b_short")
    assert short.seconds <= whole - short.waited + 0.05


def test_one_lane_still_starts_the_next_kernel_during_the_notebook_before(jobs, events):
    workspace, notebooks = jobs
    runs = run(workspace, notebooks[2:], lanes=1)              # c_long, d_mid
    assert all(r.ran_to_end for r in runs)
    assert at_once(events, "run", "end") == 1
    assert first(events, "start", "d_mid") < first(events, "end", "c_long")
    assert first(events, "run", "d_mid") >= first(events, "end", "c_long")


def test_beside_the_longest_notebook_the_other_kernels_run_at_a_lower_priority(tmp_path,
                                                                                monkeypatch):
    """With two lanes the longest notebook sets the submission's time: its kernel keeps the
    normal priority, the others get NICE_BESIDE_LONGEST. With one lane nothing is lowered."""
    monkeypatch.setattr(schedule, "EXPECTED_SECONDS", {"long.ipynb": 9, "short.ipynb": 1,
                                                       "mid.ipynb": 5})
    workspace = tmp_path / "ws"
    (workspace / "notebooks").mkdir(parents=True)
    for lanes in (2, 1):
        jobs = []
        for name in ("short.ipynb", "long.ipynb", "mid.ipynb"):
            path = workspace / "notebooks" / name
            nbformat.write(new_notebook(cells=[new_code_cell("import os\nprint(os.nice(0))")]),
                           path)
            jobs.append(NotebookJob(path, tmp_path / f"out{lanes}" / name,
                                    tmp_path / f"s{lanes}" / Path(name).stem))
        runs = run(workspace, jobs, lanes=lanes)
        assert all(r.ran_to_end for r in runs)
        niceness = {job.path_in.name: int(nbformat.read(job.path_out, as_version=4)
                                          .cells[0].outputs[0]["text"])
                    for job in jobs}
        base = os.nice(0)
        expected = schedule.NICE_BESIDE_LONGEST if lanes == 2 else 0
        assert niceness == {"long.ipynb": base, "short.ipynb": base + expected,
                            "mid.ipynb": base + expected}
