"""Crash-safe batches, through the real CLI and `make grade`: one submission's grader failure
costs that submission only, a rerun regrades exactly what changed, and a batch killed with
SIGKILL halfway leaves only complete reports and finishes on the next run.

That each report file is written atomically is proven at unit level in tests/test_report.py.
"""
import contextlib
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from grader.hidden_tests.catalogue import CATALOGUE
from tests.support import ROOT, overridden, run_grader, sandbox_level, submission, write_rubric

REPORT_FILES = ("results.json", "report.md", "report.html")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def sandbox_available():
    """Without one, a student process outlives a stopped worker (until its CPU limit)."""
    if sandbox_level() == "none":
        pytest.skip("no sandbox on this machine")


def fast_rubric(path: Path, *, submission_timeout: int | None = None, comment: str = "") -> Path:
    """The shipped rubric without notebooks (and, optionally, a shorter whole-submission limit
    or an extra comment line, which changes the file and nothing else)."""
    limits = {"limits": {"submission_timeout": submission_timeout}} if submission_timeout else {}
    return write_rubric(path, limits, comment=comment)


def grade(args: list, tmp: Path, *, timeout: float = 300):
    """`python -m grader grade ARGS` with its own TMPDIR `tmp` (see processes_of)."""
    return run_grader(["grade", *args], tmpdir=tmp, timeout=timeout)


def short_tmp() -> Path:
    """A TMPDIR for one grader run; short, since kernel sockets live below it."""
    return Path(tempfile.mkdtemp(prefix="hb-", dir="/tmp"))


def processes_of(*marks: Path) -> list[str]:
    """Live processes whose command line names one of `marks`: a batch's workers name its
    report folder; sandboxed students (and whatever they forked) name a job folder, which lies
    in the batch's TMPDIR. Other grader runs on the machine are not counted."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = re.search(r"^State:\s+(\S)", Path(f"/proc/{pid}/status").read_text(), re.M)
        except OSError:
            continue
        if state.group(1) != "Z" and any(str(mark) in cmdline for mark in marks):
            found.append(f"{pid}: {cmdline[:300]}")
    return found


def stamps(out: Path) -> dict:
    """{report file: (mtime, inode)}: an atomic rewrite changes both."""
    return {str(p.relative_to(out)): (p.stat().st_mtime_ns, p.stat().st_ino)
            for name in REPORT_FILES for p in out.glob(f"*/{name}")}


def of(submission_name: str, table: dict) -> dict:
    return {k: v for k, v in table.items() if k.split("/")[0] == submission_name}


def complete_reports(out: Path) -> dict:
    """{submission: results.json} for every report folder; each must be complete."""
    results = {}
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        if not (folder / "results.json").exists():
            continue
        results[folder.name] = json.loads((folder / "results.json").read_text())
        assert {"score", "tests", "extra_data"} <= set(results[folder.name]), folder.name
        for name in ("report.md", "report.html"):
            assert (folder / name).stat().st_size > 0, f"{folder.name}/{name}"
    return results


def full_marks(result: dict) -> bool:
    return (not result["extra_data"].get("error") and len(result["tests"]) >= len(CATALOGUE)
            and all(t["status"] == "passed" for t in result["tests"]))


# --------------------------------------------------------------------------- grader failures


def test_a_grader_failure_on_one_submission_never_stops_the_batch(tmp_path):
    subs = tmp_path / "subs"
    good = submission(subs / "good")
    # Folders nested deeper than Python's recursion limit: hashing the submission, in the
    # batch process itself, used to raise RecursionError and stop the whole batch.
    deep = submission(subs / "deep")
    fd = os.open(deep, os.O_RDONLY)
    for _ in range(1100):
        os.mkdir("d", dir_fd=fd)
        fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(parent)
    os.close(fd)
    fifo = subs / "fifo.zip"                  # neither a folder nor a zip file: nothing to take
    os.mkfifo(fifo)
    # Every network test calls affine_forward: far beyond the whole-submission limit. The
    # hidden tests stop at the worker's deadline, before the worker would be stopped (which
    # threw away every finished test), and the rest are reported as not run.
    hangs = submission(subs / "hangs", {"layers.py": overridden(
        "layers.py", "def affine_forward(x, w, b):\n    while True:\n        pass\n")})
    out, tmp = tmp_path / "reports", short_tmp()
    rubric = fast_rubric(tmp_path / "rubric.toml", submission_timeout=30)
    try:
        # --each: the command line refuses a named path that is not a folder or a zip (one
        # line, exit 2); an entry of a batch folder is graded, or reported, instead.
        done = grade(["--each", subs, "--out", out, "--jobs", 2, "--seed", 3,
                      "--rubric", rubric], tmp)
    finally:   # shutil.rmtree (pytest's clean-up too) recurses: it cannot remove this
        subprocess.run(["rm", "-rf", str(deep)])

    results = complete_reports(out)
    assert set(results) == {"good", "deep", "fifo", "hangs"}
    assert full_marks(results["good"]) and full_marks(results["deep"])
    reason = "fifo.zip is neither a folder nor a .zip file"
    assert results["fifo"]["score"] == 0
    assert reason in (results["fifo"]["extra_data"]["error"] or "")
    assert reason in results["fifo"]["output"]
    assert f"fifo: not graded: {reason}" in done.stdout
    hangs = results["hangs"]
    assert not hangs["extra_data"].get("error") and len(hangs["tests"]) == len(CATALOGUE)
    assert sum(t["output"].startswith(("Not run: the whole submission's time limit",
                                       "Not finished: the whole submission's time limit"))
               for t in hangs["tests"]) >= len(CATALOGUE) // 2
    with open(out / "gradebook.csv", newline="") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    assert set(rows) == {"good", "deep", "fifo", "hangs"}
    assert rows["hangs"]["status"] == "graded"
    assert processes_of(out, tmp) == []
    subprocess.run(["rm", "-rf", str(tmp)])


# --------------------------------------------------------------------------- reruns


def test_a_rerun_regrades_exactly_what_changed(tmp_path):
    subs, out, tmp = tmp_path / "subs", tmp_path / "reports", short_tmp()
    for name in ("alice", "bob"):
        submission(subs / name)
    rubric = fast_rubric(tmp_path / "rubric.toml")

    def run(*flags, rubric=rubric):
        return grade(["--each", subs, "--out", out, "--jobs", 2, "--seed", 5, "--rubric", rubric,
                      *flags], tmp)

    run()
    first = stamps(out)
    assert len(first) == 6

    done = run()                                     # nothing changed: nothing regraded
    assert "2 report(s) are current and were kept" in done.stdout
    assert stamps(out) == first

    with open(subs / "bob" / "layers.py", "a") as f:  # one file of one submission changes
        f.write("\n# a last-minute comment\n")
    done = run()
    assert "1 report(s) are current and were kept" in done.stdout
    now = stamps(out)
    assert of("alice", now) == of("alice", first)
    assert all(now[k] != first[k] for k in of("bob", first))

    before = stamps(out)                             # --force regrades everything
    done = run("--force")
    assert "current" not in done.stdout
    assert all(v != before[k] for k, v in stamps(out).items())

    before = stamps(out)                             # so does another rubric
    other = fast_rubric(tmp_path / "rubric.toml", comment="tolerances unchanged, file not")
    done = run(rubric=other)
    assert "current" not in done.stdout
    assert all(v != before[k] for k, v in stamps(out).items())
    assert all(full_marks(r) for r in complete_reports(out).values())
    shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- kill -9


def test_make_grade_killed_halfway_leaves_complete_reports_and_finishes_on_rerun(tmp_path):
    subs, out, tmp = tmp_path / "subs", tmp_path / "reports", short_tmp()
    names = [f"student{i:02d}" for i in range(10)]
    for name in names:
        submission(subs / name)
    rubric = fast_rubric(tmp_path / "rubric.toml")
    # -o: never rebuild the venv here (make test already depends on it); the grade recipe
    # itself is the one instructors run.
    command = ["make", "-s", "-o", ".venv/.installed", "grade", f"SUBMISSIONS={subs}",
               f"REPORTS={out}", "JOBS=2", "SEED=11", f"GRADE_FLAGS=--rubric {rubric}"]
    env = {**os.environ, "TMPDIR": str(tmp)}
    make = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list(out.glob("*/results.json"))) < 4:
            assert make.poll() is None, "make grade finished before it could be killed"
            assert time.monotonic() < deadline, "no 4 reports within 120 s"
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(make.pid, signal.SIGKILL)
        make.wait()

    deadline = time.monotonic() + 15                 # the workers' sandboxes die with them
    while processes_of(out, tmp) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_of(out, tmp) == []
    finished = complete_reports(out)                 # what exists is complete
    assert 4 <= len(finished) < len(names)
    assert all(full_marks(r) for r in finished.values())
    assert not (out / "gradebook.csv").exists()
    kept = {k: v for k, v in stamps(out).items() if k.split("/")[0] in finished}
    # Nothing runs in a SIGKILLed process: the run's folder stays in TMPDIR, with the
    # students' workspaces and the reference solutions the workers imported...
    abandoned = sorted(os.listdir(tmp))
    assert [name for name in abandoned if name.startswith("grader-run-")], abandoned

    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert f"{len(finished)} report(s) are current and were kept" in done.stdout
    results = complete_reports(out)
    assert set(results) == set(names) and all(full_marks(r) for r in results.values())
    now = stamps(out)
    assert {k: now[k] for k in kept} == kept         # the finished ones were not regraded
    with open(out / "gradebook.csv", newline="") as f:
        assert sorted(row["submission"] for row in csv.DictReader(f)) == names
    stray = [str(p.relative_to(out)) for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert stray == [], "temporary files left in the reports"
    assert processes_of(out, tmp) == []
    assert os.listdir(tmp) == []   # ... until the next run, which removes it and its own
    shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- names


def test_every_entry_is_graded_or_skipped_and_reports_never_collide(tmp_path):
    """a/, a.zip and a_/ used to share two report folders (a.zip's result landed in a_/);
    gradebook.csv.zip and a folder summary.png crashed the batch and every rerun; a folder
    named with a dot was never graded, silently."""
    subs = tmp_path / "subs"
    subs.mkdir()
    # Which file each one holds tells the reports apart (the others are "not found").
    for name, kept in (("a", "layers.py"), ("a_", "optim.py"), ("summary.png", "fc_net.py"),
                       (".hidden", "layers.py")):
        submission(subs / name, solutions=False)
        for other in {"layers.py", "fc_net.py", "optim.py"} - {kept}:
            (subs / name / other).unlink()
    for name, kept in (("a.zip", "fc_net.py"), ("gradebook.csv.zip", "optim.py")):
        with zipfile.ZipFile(subs / name, "w") as archive:
            archive.write(ROOT / "assignment" / kept, kept)
    (subs / "notes.txt").write_text("not a submission")
    out, tmp = tmp_path / "reports", short_tmp()
    rubric = fast_rubric(tmp_path / "rubric.toml")
    for _ in range(2):   # the rerun too
        done = grade(["--each", subs, "--out", out, "--jobs", 2, "--seed", 1, "--rubric", rubric],
                     tmp)
        results = complete_reports(out)
        assert set(results) == {"a", "a_", "a.zip", "gradebook.csv.zip", "summary.png-2"}
        for folder, kept in (("a", "layers.py"), ("a_", "optim.py"), ("a.zip", "fc_net.py"),
                             ("gradebook.csv.zip", "optim.py"), ("summary.png-2", "fc_net.py")):
            assert results[folder]["extra_data"]["submission"] == folder
            assert f"{kept} was not found" not in results[folder]["output"], folder
            missing = {"layers.py", "fc_net.py", "optim.py"} - {kept}
            assert all(f"{m} was not found" in results[folder]["output"] for m in missing)
        assert (out / "gradebook.csv").is_file() and (out / "summary.png").is_file()
        with open(out / "gradebook.csv", newline="") as f:
            assert sorted(row["submission"] for row in csv.DictReader(f)) == sorted(results)
        assert "skipped .hidden: a hidden entry (its name starts with a dot)" in done.stdout
        assert "skipped notes.txt: neither a folder nor a .zip file" in done.stdout
        with open(out / "skipped.csv", newline="") as f:
            assert {row["entry"]: row["reason"] for row in csv.DictReader(f)} == {
                ".hidden": "a hidden entry (its name starts with a dot)",
                "notes.txt": "neither a folder nor a .zip file"}
    shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- memory


def test_a_worker_over_its_memory_limit_gets_a_clear_error_and_is_regraded(tmp_path):
    subs, out, tmp = tmp_path / "subs", tmp_path / "reports", short_tmp()
    submission(subs / "alice", solutions=False)
    # Far too little: the grading child fails, or hangs (a thread that cannot start) until
    # its time limit, and either way the report says why.
    rubric = write_rubric(tmp_path / "rubric.toml", {"limits": {
        "grader_memory_bytes": 64 << 20, "submission_timeout": 20}})
    args = ["--each", subs, "--out", out, "--seed", 2, "--rubric", rubric]
    grade(args, tmp)
    error = complete_reports(out)["alice"]["extra_data"]["error"]
    assert error.startswith("the grader ran out of memory on this submission (its limit is "
                            "0.0625 GiB: [limits] grader_memory_bytes in the rubric)"), error
    done = grade(args, tmp)                 # a grader-side failure is never kept as current
    assert "current" not in done.stdout
    assert os.listdir(tmp) == []
    shutil.rmtree(tmp, ignore_errors=True)


def test_a_report_with_a_grader_error_is_never_current():
    from grader.batch import is_current
    from grader.results import Outcome, SubmissionResult, TestResult
    fine = TestResult(function="adam", what="step", group="adam", passed=True)
    broken = TestResult(function="adam", what="step 2", group="adam", passed=False,
                        outcome=Outcome.GRADER_ERROR)
    assert is_current(SubmissionResult(name="a", seed=1, tests=[fine], fingerprint="f"), "f")
    assert not is_current(SubmissionResult(name="a", seed=1, tests=[fine, broken],
                                           fingerprint="f"), "f")


# --------------------------------------------------------------------------- leftovers


def test_the_gradescope_verb_leaves_nothing_in_tmpdir(tmp_path):
    root, tmp = tmp_path / "autograder", short_tmp()
    submission(root / "submission", solutions=False)
    rubric = fast_rubric(tmp_path / "rubric.toml")
    run_grader(["gradescope", "--root", root, "--seed", 4, "--rubric", rubric], tmpdir=tmp)
    result = json.loads((root / "results" / "results.json").read_text())
    assert result["extra_data"]["submission"] == "submission" and result["tests"]
    assert os.listdir(tmp) == []
    shutil.rmtree(tmp, ignore_errors=True)


def test_the_command_starts_its_workers_before_the_heavy_imports():
    """`python -m grader grade` imports its batch module before it starts the workers; NumPy,
    nbclient and the report modules come later, while the workers import the pipeline."""
    import sys
    code = ("import sys, grader.__main__, grader.batch\n"
            "print(sorted(m for m in ('numpy', 'nbclient', 'grader.report', 'grader.pipeline')"
            " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def _fake_pool(size):
    import queue
    idle = queue.SimpleQueue()
    for i in range(size):
        idle.put(i)

    class Pool:
        @contextlib.contextmanager
        def worker(self):
            worker = idle.get()
            try:
                yield worker
            finally:
                idle.put(worker)
    return Pool()


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_next_submission_starts_while_one_writes_its_reports_never_sooner(tmp_path,
                                                                               monkeypatch, jobs):
    """At most `jobs` submissions are graded at once; one that is only writing its reports
    (its child said "graded") lets the next one start on the spare worker."""
    import threading
    from grader import batch
    from grader.results import SubmissionResult
    from grader.workers import pool_size
    names = [f"s{i}" for i in range(jobs + 2)]
    lock, grading, most, overlapped = threading.Lock(), [0], [0], threading.Event()
    started = {name: threading.Event() for name in names}

    def fake_grade(source, out, name, *args, graded=None, **kwargs):
        with lock:
            grading[0] += 1
            most[0] = max(most[0], grading[0])
        started[name].set()
        time.sleep(0.2)                          # the student's processes at work
        with lock:
            grading[0] -= 1
        graded()                                 # the reports follow
        later = names[names.index(name) + jobs] if names.index(name) + jobs < len(names) else None
        if later is not None and started[later].wait(10):
            overlapped.set()                     # it started before these reports were done
        return SubmissionResult(name=name, seed=1)

    monkeypatch.setattr(batch, "_grade_in_worker", fake_grade)
    todo = [(tmp_path / name, name, "fp") for name in names]
    graded = dict(batch._grade_locally(
        todo, tmp_path, jobs=jobs, pool=_fake_pool(pool_size(jobs, len(todo))), isolation="none",
        run=None, memory_bytes=0, seed=1, rubric_path=tmp_path / "r.toml", timeout=60,
        language="en", functions_only=True))
    assert sorted(graded) == names
    assert most[0] == jobs and overlapped.is_set()
    assert pool_size(jobs, len(todo)) == jobs + 1 and pool_size(jobs, jobs) == jobs


@pytest.mark.parametrize("plot", [False, True])
def test_the_batch_files_are_prepared_while_grading_at_a_lower_priority(plot):
    """The batch process imports what writes the batch files before the first submission is
    done (a one-submission batch then has nothing of it left after its grading), in a thread of
    lower CPU priority, and imports the plot's library (which copydetect's import also pulls)
    only when the batch files show several submissions."""
    import json
    import sys
    code = f"""
import json, queue, sys, threading, time
from grader import batch
finished = queue.SimpleQueue()
thread = threading.Thread(target=batch._prepare_batch_files, args=(finished, {plot}))
thread.start()
deadline = time.monotonic() + 60
while time.monotonic() < deadline and "grader.course.outputs" not in sys.modules:
    time.sleep(0.01)
with open(f"/proc/self/task/{{thread.native_id}}/stat") as stat:
    nice = int(stat.read().rsplit(")", 1)[1].split()[16])
time.sleep(0.5)   # the plot's library would come right after
finished.put(None)
thread.join(60)
print(json.dumps({{"outputs": "grader.course.outputs" in sys.modules, "nice": nice,
                  "matplotlib": "matplotlib" in sys.modules, "alive": thread.is_alive()}}))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["outputs"] and not seen["alive"]      # before any result arrived
    assert seen["nice"] >= os.getpriority(os.PRIO_PROCESS, 0) + 10 or seen["nice"] == 19
    assert seen["matplotlib"] is plot
