"""grader/workers.py: a pre-imported worker forks a fresh child per submission. A crash or hang
of a child costs that submission only (the worker grades the next one), a worker that died is
started again, and a batch that goes away takes the running child and its processes along.
(Through the real CLI, the same is covered for whole batches in test_batch.py.)"""
import os
import threading
import time
from pathlib import Path

import pytest

from grader.batch import load_result, model_path
from grader.workers import GradeRequest, Worker, failure_reason, kernel_lanes
from tests.support import overridden, sandbox_level, submission, write_rubric

HANGS = overridden("layers.py", "def affine_forward(x, w, b):\n    while True:\n        pass\n")


def request(source: Path, out: Path, rubric: Path, **changes) -> GradeRequest:
    name = source.name
    return GradeRequest(source=str(source), report_dir=str(out / name),
                        model=str(model_path(out, name)), seed=7, fingerprint="fp",
                        rubric=str(rubric), isolation=sandbox_level(), **changes)


def descendants(pid: int) -> list[int]:
    children = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def rubric(tmp_path):
    return write_rubric(tmp_path / "rubric.toml")


@pytest.fixture
def worker(tmp_path):
    with Worker(str(tmp_path)) as worker:
        yield worker


def test_a_crashing_child_costs_its_submission_and_the_worker_grades_the_next(
        tmp_path, rubric, worker):
    good, out = submission(tmp_path / "subs" / "good"), tmp_path / "reports"
    broken = request(good, out, tmp_path / "no-such-rubric.toml")
    outcome = worker.grade(broken, timeout=120)
    assert outcome.exit == 1 and "no-such-rubric.toml" in outcome.log
    assert failure_reason(outcome, 120).startswith("the grader worker exited with code 1: ")
    server = worker._proc.pid
    assert worker.grade(request(good, out, rubric), timeout=120).exit == 0
    assert worker._proc.pid == server                     # the same worker, a fresh child
    result = load_result(out, "good")
    assert result.fingerprint == "fp" and result.score == result.max_score > 0


def test_a_child_over_its_time_is_stopped_with_everything_it_started(tmp_path, rubric, worker):
    if sandbox_level() == "none":
        pytest.skip("no sandbox on this machine")
    hangs = submission(tmp_path / "subs" / "hangs", {"layers.py": HANGS})
    good, out = submission(tmp_path / "subs" / "good"), tmp_path / "reports"
    started = time.monotonic()
    outcome = worker.grade(request(hangs, out, rubric), timeout=3)
    assert outcome.timed_out and outcome.exit is None
    assert time.monotonic() - started < 20
    assert failure_reason(outcome, 3) == "grading took longer than 3 s and was stopped"
    assert descendants(worker._proc.pid) == []            # its sandboxed student too
    assert worker.grade(request(good, out, rubric), timeout=120).exit == 0


def test_a_worker_that_died_is_started_again(tmp_path, rubric, worker):
    good, out = submission(tmp_path / "subs" / "good"), tmp_path / "reports"
    assert worker.grade(request(good, out, rubric), timeout=120).exit == 0
    worker._proc.kill()
    worker._proc.wait()
    assert worker.grade(request(good, out, rubric), timeout=120).exit == 0
    assert worker.alive()


def test_when_the_batch_goes_away_the_worker_kills_its_child_and_exits(tmp_path, rubric):
    if sandbox_level() == "none":
        pytest.skip("no sandbox on this machine")
    hangs = submission(tmp_path / "subs" / "hangs", {"layers.py": HANGS})
    worker = Worker(str(tmp_path))
    thread = threading.Thread(target=worker.grade,
                              args=(request(hangs, tmp_path / "reports", rubric), 300),
                              daemon=True)
    thread.start()
    server = worker._proc
    wait_for(lambda: len(descendants(server.pid)) >= 2)   # the child and its student process
    tree = descendants(server.pid)
    server.stdin.close()                                  # what the batch's death does
    server.wait(timeout=30)
    wait_for(lambda: not any(map(alive, tree)))


def test_kernel_lanes_share_the_cores_among_the_submissions_graded_at_once(monkeypatch):
    monkeypatch.setattr("grader.workers.cores", lambda: 4)
    assert kernel_lanes(jobs=1, submissions=10) == 4
    assert kernel_lanes(jobs=2, submissions=10) == 2
    assert kernel_lanes(jobs=4, submissions=1) == 4    # one submission: all cores
    assert kernel_lanes(jobs=8, submissions=10) == 1


def test_the_reference_imported_ahead_is_handed_out_once_then_fresh_copies():
    from grader.hidden_tests import reference
    reference.preload_reference()
    ahead = reference._preloaded[0]
    assert reference.load_reference() is ahead
    again = reference.load_reference()
    assert again is not ahead and again.layers is not ahead.layers
    assert reference._preloaded == []


def test_warm_up_leaves_what_each_child_would_load_in_the_server(monkeypatch):
    """After warm_up() a forked child finds the catalogue loaded, the reference imported and the
    report's Markdown extensions ready: none is read or imported again per submission."""
    import sys
    from grader.feedback.catalogue import load_catalogue
    from grader.hidden_tests import reference
    from grader.workers import warm_up
    load_catalogue.cache_clear()
    monkeypatch.setattr(reference, "_preloaded", [])
    warm_up()
    assert load_catalogue.cache_info().currsize == 1
    assert len(reference._preloaded) == 1
    assert "markdown.extensions.fenced_code" in sys.modules
    assert "grader.feedback.variants" in sys.modules


def test_a_handout_notebook_is_parsed_once_and_each_reader_gets_its_own_copy(tmp_path, monkeypatch):
    import nbformat
    from grader.notebooks import handout
    path = tmp_path / "n.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), path)
    reads = []
    real = nbformat.read
    monkeypatch.setattr(handout.nbformat, "read", lambda *a, **k: reads.append(a) or real(*a, **k))
    first = handout.read_handout_notebook(path)
    first.cells.clear()                               # a reader changing its copy
    second = handout.read_handout_notebook(path)
    assert len(second.cells) == 1 and len(reads) == 1
    nbformat.write(nbformat.v4.new_notebook(cells=[]), path)   # the file changed: read again
    assert handout.read_handout_notebook(path).cells == [] and len(reads) == 2


def test_the_child_says_graded_once_its_student_processes_are_done_before_its_reports(
        tmp_path, rubric, worker):
    good, out = submission(tmp_path / "subs" / "good"), tmp_path / "reports"
    job = request(good, out, rubric, functions_only=True)
    seen = []

    def command_line(pid):
        try:
            return Path(f"/proc/{pid}/cmdline").read_text()
        except OSError:
            return ""

    outcome = worker.grade(job, timeout=120, graded=lambda: seen.append(
        (Path(job.model).exists(), [p for p in descendants(worker._proc.pid)
                                    if "runner.py" in command_line(p)])))
    assert outcome.exit == 0
    assert seen == [(False, [])]      # once; no student process left, no report written yet
    assert Path(job.model).exists()


def test_a_child_that_dies_before_it_is_graded_never_says_graded(tmp_path, rubric, worker):
    good, out = submission(tmp_path / "subs" / "good"), tmp_path / "reports"
    seen = []
    outcome = worker.grade(request(good, out, tmp_path / "no-such-rubric.toml"), timeout=120,
                           graded=lambda: seen.append(True))
    assert outcome.exit == 1 and seen == []


def test_a_warm_up_step_that_fails_is_left_to_each_child(monkeypatch):
    from grader.feedback.catalogue import load_catalogue
    from grader.hidden_tests import reference
    from grader.workers import warm_up

    def broken():
        raise ImportError("no solutions here")
    monkeypatch.setattr(reference, "preload_reference", broken)
    monkeypatch.setattr(reference, "_preloaded", [])
    load_catalogue.cache_clear()
    assert warm_up() == ["ImportError: no solutions here"]
    assert load_catalogue.cache_info().currsize == 1 and reference._preloaded == []


def test_the_spare_worker_starts_only_once_the_first_is_ready(tmp_path):
    """At --jobs 1 the pool's second worker (the one that lets a child write its reports while
    the next submission starts) imports the grader only after the first worker is ready, so
    that the two imports do not share the cores the first grading waits for."""
    from grader.workers import WorkerPool
    with WorkerPool(2, str(tmp_path), jobs=1) as pool:
        first, spare = pool._all
        assert first._proc is not None and spare._proc is None
        first.wait_ready()
        wait_for(lambda: spare._proc is not None)
        spare.wait_ready()
        assert spare.alive()


def test_a_spare_taken_before_it_was_started_grades(tmp_path, rubric):
    """A job slot that takes the spare before the pool's thread started it starts it itself."""
    good, out = submission(tmp_path / "subs" / "good"), tmp_path / "reports"
    spare = Worker(str(tmp_path), start=False)
    try:
        assert spare.grade(request(good, out, rubric, functions_only=True), timeout=120).exit == 0
    finally:
        spare.close()
    assert load_result(out, "good").score > 0


def test_grading_the_functions_alone_never_imports_the_jupyter_client():
    """A functions-only worker imports the pipeline without nbclient and jupyter_client (a
    quarter of a second per server and per batch); the notebook stage imports them itself."""
    import subprocess
    import sys
    code = ("import sys, grader.pipeline, grader.batch, grader.intake.workspace, "
            "grader.course.answers, grader.report\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('nbclient', 'jupyter_client')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "[]"
    assert "--functions-only" in Worker("x", notebooks=False, start=False)._command()


def test_a_functions_only_grading_leaves_the_jupyter_client_unimported(tmp_path, monkeypatch):
    """The child of a functions-only worker grades without importing nbclient: the notebook
    stage returns before its imports when no notebook runs."""
    import sys
    from grader.pipeline import grade_submission
    from grader.rubric import load_rubric
    for name in [m for m in sys.modules if m.split(".")[0] in ("nbclient", "grader")
                 and (m.startswith("nbclient") or m.endswith(("schedule", "execute")))]:
        monkeypatch.delitem(sys.modules, name)
    rubric = load_rubric(write_rubric(tmp_path / "rubric.toml", notebooks=True))
    result = grade_submission(submission(tmp_path / "sub"), tmp_path / "out", seed=1,
                              rubric=rubric, isolation=sandbox_level(), functions_only=True)
    assert result.score == result.max_score > 0 and result.answers is not None
    assert not [m for m in sys.modules if m.startswith("nbclient")]


def _servers_labelled(label: str) -> list[int]:
    """PIDs of grader worker servers whose command line carries `label`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--serve" in command and label.encode() in command:
            found.append(int(entry.name))
    return found


def test_the_command_starts_its_first_worker_before_reading_submissions_and_never_leaks_it(
        tmp_path):
    """`grade` starts the first worker before it reads the submissions, and the pool grades on
    it; when the command stops before grading (a usage error), that worker is stopped too."""
    from grader.__main__ import main
    from grader.workers import WorkerPool
    out = tmp_path / "reports-for-the-leak-test"
    first = Worker(str(out))
    with WorkerPool(2, str(out), jobs=1, first=first) as pool:
        assert pool._all[0] is first and first._proc is not None
    assert not first.alive()
    source = submission(tmp_path / "subs" / "one")
    assert main(["grade", str(source), "--out", str(out), "--jobs", "0", "-q"]) == 2
    wait_for(lambda: not _servers_labelled(str(out.absolute())))
