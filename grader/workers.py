"""Grader workers: one pre-imported process per job slot, forking a fresh child per submission.

Starting `python -m grader grade-one` for every submission cost half a second of imports and a
sandbox probe each. Instead a batch starts one `Worker` per job slot, for the whole batch:
`python -m grader.workers --serve LABEL` imports the pipeline once (never matplotlib; the Jupyter
client only when the batch runs notebooks: not with --functions-only) and
then, for each submission, forks a child that grades that one submission
(grader.pipeline.grade_submission) at the isolation level the batch decided, and exits. The child is a fresh copy
of the server, so whatever one grading does to its process (a crash, a hang, leaked memory,
threads or state) is gone with it: as with a process per submission, a failure of the grader on
one submission costs that submission only. The server outlives its children; a server that
died is started again for the next submission.

The server talks JSON lines over its stdin and stdout:

    server -> batch  {"ready": PID}                        once, after the imports
    batch -> server  {"source": ..., "out": ..., ...}      grade one submission (GradeRequest)
    server -> batch  {"child": PID}                        at once
    server -> batch  {"child": PID, "graded": true}        the student's processes are done;
                                                           the child writes the reports now
    batch -> server  {"stop": true}                        only when the time limit is over
    server -> batch  {"child": PID, "exit": CODE}          when the child has ended

A batch starts the next submission on another server at "graded" (batch.py), so that one
submission's reports are written while the next one's sandboxes start.

A child that is stopped is killed with every process it started (the sandboxes die with their
parents too). When the batch goes away, however it ends, the server's stdin closes: the server
kills its running child and exits, and a child dies with its server (PR_SET_PDEATHSIG).
LABEL (the batch's reports folder) only names the server in `ps`.
"""
from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import os
import queue
import resource
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from grader.isolation.limits import OUT_OF_MEMORY, near_memory_limit, worker_out_of_memory
from grader.isolation.processes import alive, descendants

ROOT = Path(__file__).resolve().parent.parent
READY_SECONDS = 120            # a server's imports (slow on a busy machine)
STOP_SECONDS = 30              # a stopped child and its processes are gone within this
LOG_TAIL = 1500                # characters of a failed child's error output kept for the report
MEMORY_PER_JOB = "about 240 MB"   # a grading child with its notebook kernel, for --help


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def kernel_lanes(jobs: int, submissions: int) -> int:
    """Notebook kernels one submission runs at once: the cores that the submissions graded at
    the same time leave over (2 on 2 cores for one submission; 1 at --jobs 2)."""
    return max(1, cores() // max(1, min(jobs, submissions)))


def pool_size(jobs: int, submissions: int) -> int:
    """Workers a batch starts: one per job, and one more when there is a next submission to
    start while a child writes its reports (batch._grade_locally)."""
    jobs = max(1, min(jobs, submissions))
    return jobs + (1 if submissions > jobs else 0)


@dataclasses.dataclass(frozen=True)
class GradeRequest:
    """What a child needs to grade one submission (all plain data: it crosses a pipe)."""

    source: str                 # folder or zip
    report_dir: str             # the submission's report folder
    model: str                  # where the lossless results model goes
    seed: int
    fingerprint: str
    rubric: str                 # path of the rubric file
    language: str = ""          # of the reports ("": the rubric's)
    lanes: int = 1              # notebook kernels at once
    functions_only: bool = False
    isolation: str = ""         # the level the batch decided ("": the child finds it out)
    name: str = ""              # the report's name ("": the folder name or zip stem)
    memory_bytes: int = 0       # the child's address-space limit (0: the rubric's)
    tmp: str = ""               # the child's TMPDIR, which the batch removes ("": the default)
    log: str = ""               # the child's stdout and stderr (set by Worker.grade)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How a child ended: `exit` code (None when it was stopped), `log` its output's tail."""

    exit: int | None
    timed_out: bool = False
    log: str = ""
    failure: str = ""           # set when no child could be run at all (the server failed)
    out_of_memory: str = ""     # set when a stopped child had used up its memory limit


class Worker:
    """The batch's handle on one server. Not thread-safe: one job slot uses it at a time."""

    def __init__(self, label: str = "", *, notebooks: bool = True, start: bool = True):
        self.label = str(label)
        self.notebooks = notebooks         # the children will run notebooks: import for them
        self._proc: subprocess.Popen | None = None
        self._buffer = b""
        self._stderr = None
        self._ready = False
        # start() may come from the pool's thread (a spare started late) while a job slot
        # takes the worker: one at a time.
        self._lock = threading.RLock()
        if start:
            self.start()

    # ------------------------------------------------------------------ server lifetime

    def start(self) -> None:
        """Start the server (its imports then run while the caller goes on)."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        self.close()
        self._stderr = tempfile.TemporaryFile()
        command = self._command()
        # glibc reserves 64 MiB of address space per thread otherwise, which the children's
        # memory limit (rubric: grader_memory_bytes) would count.
        env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
        self._proc = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, env=env,
                                      stdout=subprocess.PIPE, stderr=self._stderr)
        self._buffer, self._ready = b"", False

    def _command(self) -> list[str]:
        return [sys.executable, "-m", "grader.workers", "--serve", self.label,
                *(() if self.notebooks else ("--functions-only",))]

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        """Wait until the server has done its imports (WorkerFailure when it does not)."""
        with self._lock:
            if self._proc is None:
                self._start()
            if not self._ready:
                self._receive(time.monotonic() + timeout, "ready")
                self._ready = True

    def close(self) -> None:
        """Stop the server (closing its stdin is enough; it kills a running child)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._proc is not None:
            try:
                if not self._ready:   # still importing, never used: no need to wait for it
                    self._proc.kill()
                self._proc.stdin.close()
                self._proc.wait(timeout=STOP_SECONDS)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
            self._proc.stdout.close()
            self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ grading

    def grade(self, request: GradeRequest, timeout: float, graded=None) -> Outcome:
        """Grade one submission in a fresh child of the server, stopping it after `timeout`
        seconds. Never raises for what happens in the child. `graded()` is called (in this
        thread) when the child says its student processes are done and it writes the reports;
        not at all when it never says so."""
        fd, log = tempfile.mkstemp(prefix="grader-worker-", suffix=".log",
                                   dir=request.tmp or None)
        os.close(fd)
        try:
            with self._lock:
                for attempt in (1, 2):   # a server that died since the last submission: restart
                    try:
                        return self._grade(dataclasses.replace(request, log=log), timeout,
                                           graded)
                    except WorkerFailure as failure:
                        self._start()
                        if attempt == 2 or failure.child_started:
                            return Outcome(exit=None, failure=str(failure), log=_tail(log))
        finally:
            os.unlink(log)

    def _grade(self, request: GradeRequest, timeout: float, graded) -> Outcome:
        if self._proc is None:   # a spare the pool had not started yet
            self._start()
        if not self.alive():
            raise WorkerFailure("the grader worker is not running" + self._server_error())
        self.wait_ready()
        self._send(dataclasses.asdict(request))
        child = self._receive(time.monotonic() + STOP_SECONDS, "child")["child"]
        deadline = time.monotonic() + timeout
        try:
            reply = self._until_exit(deadline, graded)
            return Outcome(exit=reply["exit"], log=_tail(request.log))
        except TimeoutError:
            # A child out of memory may hang rather than fail (a thread that cannot start):
            # its peak, taken before it is stopped, tells.
            full = request.memory_bytes and _peak_bytes(child) >= 0.8 * request.memory_bytes
            memory = worker_out_of_memory(request.memory_bytes) if full else ""
            self._send({"stop": True})
            self._until_exit(time.monotonic() + STOP_SECONDS, graded)
            return Outcome(exit=None, timed_out=True, log=_tail(request.log),
                           out_of_memory=memory)

    def _until_exit(self, deadline: float, graded) -> dict:
        """The child's "exit" message, calling `graded` on its "graded" one on the way."""
        while "exit" not in (message := self._receive(deadline, "exit", child_started=True,
                                                      also="graded")):
            if graded is not None:
                graded()
        return message

    def _send(self, message: dict) -> None:
        try:
            self._proc.stdin.write(json.dumps(message).encode() + b"\n")
            self._proc.stdin.flush()
        except (OSError, ValueError) as exc:
            raise WorkerFailure(f"the grader worker stopped listening ({exc})"
                                + self._server_error()) from None

    def _receive(self, deadline: float, key: str, child_started: bool = False,
                 also: str = "") -> dict:
        """The next message (which must hold `key`, or `also`); TimeoutError at `deadline`."""
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                if key in ("exit",):
                    raise TimeoutError
                self._proc.kill()
                raise WorkerFailure(f"the grader worker did not answer within "
                                    f"{READY_SECONDS if key == 'ready' else STOP_SECONDS} s",
                                    child_started)
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self._proc.wait()
                    raise WorkerFailure(f"the grader worker exited with code "
                                        f"{self._proc.returncode}" + self._server_error(),
                                        child_started)
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message = json.loads(line)
        if key not in message and not (also and also in message):
            raise WorkerFailure(f"the grader worker sent {line[:200]!r}", child_started)
        return message

    def _server_error(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, self._stderr.tell() - LOG_TAIL))
        text = self._stderr.read().decode("utf-8", "replace").strip()
        return f": {text}" if text else ""


class WorkerFailure(Exception):
    """The server itself failed (not the child it forked)."""

    def __init__(self, message: str, child_started: bool = False):
        super().__init__(message)
        self.child_started = child_started


class WorkerPool:
    """`size` workers, each lent to one caller at a time. The first `jobs` start at once; the
    others (the spare that writes one submission's reports while the next starts: pool_size)
    once the first is ready, so that their imports do not slow down the first grading's start
    on a machine with few cores. `notebooks`: False when no child will run notebooks. `first`:
    a worker the caller started already (the command line starts one before it reads the
    submissions), taken as the first."""

    def __init__(self, size: int, label: str = "", *, jobs: int | None = None,
                 notebooks: bool = True, first: Worker | None = None):
        size = max(1, size)
        jobs = size if jobs is None else max(1, min(jobs, size))
        self._all = [first if index == 0 and first is not None else
                     Worker(label, notebooks=notebooks, start=index < jobs)
                     for index in range(size)]
        self._idle = queue.SimpleQueue()
        for worker in self._all:
            self._idle.put(worker)
        if size > jobs:
            threading.Thread(target=self._start_spares, args=(self._all[jobs:],),
                             name="worker-spares", daemon=True).start()

    def _start_spares(self, spares: list[Worker]) -> None:
        try:
            self._all[0].wait_ready()
        except WorkerFailure:
            pass   # the first grading restarts it and says why; the spares start anyway
        for spare in spares:
            with contextlib.suppress(OSError, WorkerFailure):
                if spare._proc is None:
                    spare.start()

    @contextlib.contextmanager
    def worker(self):
        worker = self._idle.get()
        try:
            yield worker
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        for worker in self._all:   # all told first, so that they end at the same time
            with contextlib.suppress(OSError, AttributeError):
                if worker._ready and worker._proc is not None:
                    worker._proc.stdin.close()
        for worker in self._all:
            worker.close()

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# How running out of address space shows in a child's output when it could not say so itself
# (OUT_OF_MEMORY): Python, C++ (zmq), glibc, OpenBLAS, the loader of a shared library.
MEMORY_SIGNS = ("memoryerror", "bad_alloc", "cannot allocate memory", "out of memory",
                "memory allocation", "failed to map segment")


def failure_reason(outcome: Outcome, timeout: float) -> str | None:
    """Why grading failed, for the submission's report; None when the child finished."""
    if outcome.failure:
        return outcome.failure
    if outcome.timed_out:
        return outcome.out_of_memory or f"grading took longer than {timeout:.0f} s and was stopped"
    if outcome.exit:
        said = next((line.split(OUT_OF_MEMORY + ": ", 1)[1] for line in outcome.log.splitlines()
                     if OUT_OF_MEMORY + ": " in line), None)
        if said:
            return said
        if any(sign in outcome.log.lower() for sign in MEMORY_SIGNS):
            return (f"the grader worker exited with code {outcome.exit}, out of memory by the "
                    f"look of it ([limits] grader_memory_bytes in the rubric): {outcome.log}")
        return f"the grader worker exited with code {outcome.exit}: {outcome.log}"
    return None


def _peak_bytes(pid: int) -> int:
    """The most address space process `pid` ever had (0 when unknown)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmPeak:"))
    except (OSError, StopIteration, ValueError):
        return 0


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - LOG_TAIL))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


# ---------------------------------------------------------------------------- the server

_PR_SET_PDEATHSIG = 1


def serve(notebooks: bool = True) -> None:
    """The server's loop (see the module docstring). Single-threaded, so that fork is safe.
    `notebooks`: also import what running notebooks needs (the Jupyter client)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)   # Ctrl-C ends it quietly, with its child
    # The channel gets a descriptor of its own; whatever else prints goes to stderr.
    channel_in, channel_out = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    import grader.pipeline  # noqa: F401  (the imports every child then shares)
    import grader.rubric    # noqa: F401
    if notebooks:
        import grader.notebooks.schedule  # noqa: F401
    for failure in warm_up():
        print(f"grader worker: loading ahead failed ({failure}); each child loads it itself",
              file=sys.stderr)

    def say(message: dict) -> None:
        channel_out.write(json.dumps(message).encode() + b"\n")
        channel_out.flush()

    say({"ready": os.getpid()})
    while line := channel_in.readline():
        message = json.loads(line)
        if "source" not in message:
            continue   # a late "stop" for a child that had already ended
        request = GradeRequest(**message)
        graded_r, graded_w = os.pipe()   # the child writes a byte once it is graded
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            channel_out.close()
            os.close(graded_r)
            _child(request, graded_w)   # never returns
        os.close(graded_w)
        say({"child": pid})
        try:
            code = _wait_child(pid, channel_in, graded_r, say)
        finally:
            os.close(graded_r)
        say({"child": pid, "exit": code})
    # The batch is done with us and no child runs: leave without the interpreter's teardown of
    # every module imported (a tenth of a second or more, which the batch would wait for).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def warm_up() -> list[str]:
    """Do once in the server what every child would otherwise do again: the imports that
    happen on first use (the diagnosis's recognizers, the report's Markdown extensions,
    numpy.random), the mistake catalogue, the handout's notebooks parsed, and one copy of the
    reference solutions (each child takes the copy it inherits). Nothing here touches a
    submission. A step that fails is left to each child (which then reports the failure for
    its submission, as without the warm-up); the failures are returned, for the server's log."""
    import numpy.random  # noqa: F401
    from grader.feedback import load_catalogue
    from grader.hidden_tests.reference import preload_reference
    from grader.intake.workspace import pristine_notebooks
    from grader.notebooks.handout import read_handout_notebook
    from grader.report.markdown import to_html
    from grader.results import SubmissionResult

    def notebooks():
        for notebook in pristine_notebooks():
            read_handout_notebook(notebook)

    failures = []
    for step in (load_catalogue, notebooks,
                 lambda: to_html(SubmissionResult(name="warm-up", seed=0)), preload_reference):
        try:
            step()
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
    return failures


def _wait_child(pid: int, channel_in, graded: int, say) -> int:
    """Wait for the child, passing its "graded" on; kill it (with its processes) on "stop" or
    when the batch is gone."""
    pidfd = os.pidfd_open(pid)
    watched = [pidfd, channel_in.fileno(), graded]
    try:
        while True:
            ready, _, _ = select.select(watched, [], [])
            if pidfd in ready:
                break
            if graded in ready:
                watched.remove(graded)    # one byte, or the end when the child died first
                if os.read(graded, 1):
                    say({"child": pid, "graded": True})
            if channel_in.fileno() not in ready:
                continue
            line = channel_in.readline()
            if not line:      # the batch is gone: so are we, and the child first
                _kill_tree(pid)
                os.waitpid(pid, 0)
                os._exit(0)
            if json.loads(line).get("stop"):
                _kill_tree(pid)
                break
    finally:
        os.close(pidfd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _child(request: GradeRequest, graded: int) -> None:
    """Grade one submission and exit; output goes to request.log. A byte on `graded` says
    that the student's processes are done (the reports are written next)."""
    code, memory = 1, None
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:
            os._exit(1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        log = os.open(request.log, os.O_WRONLY | os.O_APPEND)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(devnull)
        os.close(log)
        if request.tmp:   # the job folder, the reference's copy, ...: the batch removes it
            os.environ["TMPDIR"] = tempfile.tempdir = request.tmp
        from grader.isolation import processes, sandbox
        # each child starts its round of uids elsewhere
        processes._uid_next[0] = os.getpid() * 37 % len(processes.UID_POOL)
        from grader.pipeline import grade_submission
        from grader.rubric import load_rubric
        unsaid = [graded]
        rubric = load_rubric(Path(request.rubric))
        if request.language:
            rubric = dataclasses.replace(rubric, language=request.language)
        # A soft limit: the sandboxes this child starts still get their own, larger ones.
        memory = request.memory_bytes or rubric.grader_memory_bytes
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        resource.setrlimit(resource.RLIMIT_AS, (
            memory if hard == resource.RLIM_INFINITY else min(memory, hard), hard))
        grade_submission(Path(request.source), Path(request.report_dir), seed=request.seed,
                         rubric=rubric, isolation=request.isolation or sandbox.detect_level(),
                         name=request.name or None, fingerprint=request.fingerprint,
                         model=Path(request.model), lanes=request.lanes,
                         functions_only=request.functions_only,
                         graded=lambda: _say_graded(unsaid))
        code = 0
    except BaseException:
        if memory is not None:
            _say_if_out_of_memory(memory)
        import traceback
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _say_graded(fds: list[int]) -> None:
    """Write the byte once; the descriptor is closed with it (never written to again)."""
    while fds:
        fd = fds.pop()
        try:
            os.write(fd, b"g")
        except OSError:
            pass
        os.close(fd)


def _say_if_out_of_memory(memory: int) -> None:
    """After a failure: if this child used most of its memory limit, say so on its output (the
    batch reads it: failure_reason), whatever the error was."""
    try:
        near = near_memory_limit()
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))   # room to say it
        if near:
            os.write(2, f"{OUT_OF_MEMORY}: {worker_out_of_memory(memory)}\n".encode())
    except BaseException:
        pass


def _kill_tree(pid: int) -> None:
    """SIGKILL `pid` and every process below it, until none is left (the tree is walked
    through the kernel's lists of children: processes.descendants)."""
    for _ in range(50):
        tree = [p for p in descendants(pid) if alive(p)]
        for target in [pid, *tree]:
            try:
                os.kill(target, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not tree:
            return
        time.sleep(0.01)


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(prog="python -m grader.workers")
    parser.add_argument("--serve", metavar="LABEL", required=True)
    parser.add_argument("--functions-only", action="store_true",
                        help="the children grade the functions alone: no notebook imports")
    serve(notebooks=not parser.parse_args().functions_only)
