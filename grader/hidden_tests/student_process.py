"""The grader's side of the hidden-test child: start it, talk to it, survive it.

    with StudentProcess(workspace, scratch, limits, level=level) as student:
        reply = student.request({"op": "call", "module": "layers", ...}, timeout=10)

The child (grader/hidden_tests/child/runner.py, copied into a fresh folder of `scratch` before every
start) is started through sandbox.start() with two dedicated pipes; its stdout/stderr go
to anonymous files of which only the tail is ever read. A request that outlives its
timeout, a child that dies (sys.exit at import, os._exit, a signal from a resource limit)
or one that sends an unreadable reply costs that request only: the child is stopped (with
everything it started) and a fresh one is started lazily for the next request. Every request
carries an id its reply must echo: a frame the student's code writes onto the reply pipe
answers no request and costs the request it arrived in (never shifting later replies); frames
written while the modules are imported, before the greeting, are skipped and reported. A child
that cannot even start (it hangs or dies while importing the student's modules) is not
retried: every later request gets the same explanation at once.

Nothing here follows a path the student can write to once a child has run: scratch is
theirs, so each start copies the runner into a new folder and output goes to unnamed files.
"""
from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.isolation import sandbox
from grader.hidden_tests.child import protocol
from grader.isolation.limits import scratch_note
from grader.isolation.sandbox import Limits

CHILD_SOURCE = Path(__file__).resolve().parent / "child"
CHILD_FILES = ("runner.py", "protocol.py")
MODULES = ("layers", "fc_net", "optim")
STDERR_TAIL = 1500          # bytes of the student's error output quoted in a death message
POLL_SLICE = 0.1            # seconds between checks that the child is still alive
STRAY_FRAMES = 16           # frames skipped before a greeting or a reply before giving up


@dataclass
class Reply:
    """What came back for one request.

    status: "ok" (result holds the operation's answer), "raised" (the student's code raised
    or returned something unusable: error holds type, message, traceback, where),
    "timeout", "died", "protocol" (an unreadable reply) or "unavailable" (the child could
    not start). `message` is a sentence for the student whenever status is not "ok".
    """

    status: str
    result: Any = None
    error: dict = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class ChildFailure(Exception):
    """The child did not answer: status is "timeout", "died" or "protocol"."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class StudentProcess:
    """A restartable child process running the student's modules for the hidden tests."""

    def __init__(self, workspace: Path, scratch: Path, limits: Limits, *, level: str,
                 startup_timeout: float = 30.0, deadline: float | None = None,
                 nice: int = 0):
        self.workspace = Path(workspace)
        self.scratch = Path(scratch)
        self.limits = limits
        self.level = level                  # the run's isolation level (sandbox.py)
        self.startup_timeout = startup_timeout
        self.deadline = deadline            # time.monotonic(): nothing waits past it (start-ups too)
        self.nice = nice                    # the child's lower CPU priority (sandbox.command)
        self.starts = 0                     # how many children were started
        self._proc = None
        self._to_child = self._from_child = None
        self._runner_dir: Path | None = None
        self._output = None                 # (stdout, stderr) files of the current child
        self._hello: dict | None = None
        self._startup_failure: str | None = None
        self._last_id = 0                   # ids of requests, increasing over every child
        self.notes: list[str] = []          # for the report: what the student's code did to us

    # ------------------------------------------------------------------ public

    def __enter__(self) -> "StudentProcess":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def import_errors(self) -> dict[str, str]:
        """{module: error text} for the student modules that failed to import (starts the
        child if needed). A child that could not start at all reports every module."""
        self._ensure_started()
        if self._startup_failure is not None:
            return {name: self._startup_failure for name in MODULES}
        return dict(self._hello.get("import_errors") or {})

    def request(self, op: dict, timeout: float) -> Reply:
        """Send one operation and wait at most `timeout` seconds for its reply (start-up
        of a fresh child, bounded by startup_timeout, is not counted)."""
        if not self._ensure_started():
            return Reply("unavailable", message=self._startup_failure)
        started = time.monotonic()
        if self.deadline is not None:
            timeout = max(0.0, min(timeout, self.deadline - started))
        self._last_id += 1
        request_id = self._last_id
        try:
            self._send({**op, "id": request_id}, started + timeout, timeout)
            answer = self._receive_reply(request_id, started + timeout, timeout)
        except ChildFailure as failure:
            self._stop()
            return Reply(failure.status, message=failure.message,
                         seconds=time.monotonic() - started)
        seconds = time.monotonic() - started
        if self._output_bytes() > self.limits.file_bytes // 2:
            # The output files only grow, and once one reaches RLIMIT_FSIZE every print fails
            # (EFBIG) in whatever function prints next: a flood in one function would cost the
            # later ones. The next request gets a fresh child with fresh files.
            self._stop()
        if not _well_formed(answer, op.get("op")):
            self._stop()
            return Reply("protocol", message="the student process sent a malformed reply",
                         seconds=seconds)
        if answer["ok"]:
            return Reply("ok", result=answer.get("result"), seconds=seconds)
        error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
        message = describe_error(error)
        if self.level == "bubblewrap" and "[Errno 28]" in str(error.get("message", "")):
            message += "\n" + scratch_note(self.limits)   # ENOSPC: only its own tmpfs is full
        return Reply("raised", error=error, message=message, seconds=seconds)

    def output_tail(self, limit: int | None = None) -> tuple[str, str]:
        """(stdout, stderr) of the latest child, at most `limit` (default
        limits.output_bytes) bytes each from the end: a 50 MB print is never read whole."""
        limit = self.limits.output_bytes if limit is None else limit
        if self._output is None:
            return "", ""
        return tuple(_tail(handle, limit) for handle in self._output)

    def _output_bytes(self) -> int:
        """Size of the larger of the current child's stdout and stderr files."""
        try:
            return max((os.fstat(handle.fileno()).st_size for handle in self._output or ()),
                       default=0)
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        """Stop the child and every process it started."""
        self._stop()
        if self._output is not None:
            for handle in self._output:
                handle.close()
            self._output = None

    # ------------------------------------------------------------------ start / stop

    def _ensure_started(self) -> bool:
        if self._proc is not None:
            return True
        if self._startup_failure is not None:
            return False
        try:
            try:
                self._start()
            except (OSError, ValueError, subprocess.SubprocessError) as exc:
                raise ChildFailure("died", "could not be started: %s" % exc) from None
            hello = self._receive_hello()
        except ChildFailure as failure:
            self._stop()
            reason = ("importing your modules did not finish within %g s" % self.startup_timeout
                      if failure.status == "timeout" else failure.message)
            self._startup_failure = "your code could not be loaded: " + reason
            return False
        self._hello = hello
        return True

    def _start(self) -> None:
        # A new folder for every start: scratch belongs to the student, who may have planted
        # links in an old one; this one nobody but the grader could write to yet.
        self._runner_dir = Path(tempfile.mkdtemp(prefix="hidden-test-runner-", dir=self.scratch))
        os.chmod(self._runner_dir, 0o755)
        for name in CHILD_FILES:
            shutil.copyfile(CHILD_SOURCE / name, self._runner_dir / name)
        if self._output is not None:
            for handle in self._output:
                handle.close()
        self._output = (tempfile.TemporaryFile(), tempfile.TemporaryFile())
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        import_timeout = self.startup_timeout / 4   # per module, inside the child (SIGALRM)
        argv = [sys.executable, "-B", "-s", str(self._runner_dir / "runner.py"),
                str(self.workspace), str(request_r), str(reply_w), "%g" % import_timeout]
        try:
            self._proc = sandbox.start(argv, workspace=self.workspace, scratch=self.scratch,
                                       limits=self.limits, level=self.level, nice=self.nice,
                                       stdin=subprocess.DEVNULL,
                                       stdout=self._output[0], stderr=self._output[1],
                                       pass_fds=(request_r, reply_w))
        except BaseException:
            for fd in (request_w, reply_r):
                os.close(fd)
            raise
        finally:
            os.close(request_r)
            os.close(reply_w)
        os.set_blocking(request_w, False)
        self._to_child, self._from_child = request_w, reply_r
        self.starts += 1

    def _stop(self) -> None:
        if self._proc is not None:
            sandbox.stop(self._proc)
            self._proc = None
        for fd in (self._to_child, self._from_child):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._to_child = self._from_child = None
        if self._runner_dir is not None:
            sandbox.remove_tree(self._runner_dir)   # never follows links, any depth
            self._runner_dir = None

    # ------------------------------------------------------------------ I/O

    def _send(self, op: dict, deadline: float, timeout: float) -> None:
        data = memoryview(protocol.frame(protocol.encode(op)))
        poller = select.poll()
        poller.register(self._to_child, select.POLLOUT)
        while data:
            self._wait(poller, deadline, timeout)
            try:
                written = os.write(self._to_child, data)
            except BlockingIOError:
                continue
            except OSError:           # EPIPE: the child is gone
                raise self._death() from None
            data = data[written:]

    def _receive_hello(self) -> dict:
        """The child's greeting. Frames before it can only come from the student's modules
        (written onto the reply pipe while they were imported): skipped, and reported."""
        deadline = time.monotonic() + self.startup_timeout
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
        for _ in range(STRAY_FRAMES):
            message = self._receive(deadline, self.startup_timeout)
            if _is_hello(message):
                return message
            note = ("Your code wrote onto the grader's reply pipe while it was imported (a file "
                    "descriptor it did not open); what it wrote was ignored.")
            if note not in self.notes:
                self.notes.append(note)
        raise ChildFailure("protocol", "it wrote %d messages onto the grader's reply pipe "
                           "while it was imported" % STRAY_FRAMES)

    def _receive_reply(self, request_id: int, deadline: float, timeout: float) -> Any:
        """The reply to request `request_id`. Frames that answer an earlier request (its real
        reply, after the student's code wrote one in its name) or repeat the greeting are
        skipped; a frame that answers no request ends this request (ChildFailure)."""
        for _ in range(STRAY_FRAMES):
            message = self._receive(deadline, timeout)
            answered = message.get("id") if isinstance(message, dict) else None
            if answered == request_id and not isinstance(answered, bool):
                return message
            stale = _is_hello(message) or (isinstance(answered, int) and not isinstance(
                answered, bool) and 0 < answered < request_id)
            if not stale:
                raise ChildFailure("protocol", "the student process sent a reply that answers no "
                                   "request: does your code write to file descriptors it did "
                                   "not open (the grader's reply pipe)?")
        raise ChildFailure("protocol", "the student process sent %d replies to earlier requests: "
                           "does your code write onto the grader's reply pipe?" % STRAY_FRAMES)

    def _receive(self, deadline: float, timeout: float) -> Any:
        poller = select.poll()
        poller.register(self._from_child, select.POLLIN)
        try:
            prefix = self._read(protocol.LENGTH_BYTES, poller, deadline, timeout)
            payload = self._read(protocol.check_length(prefix), poller, deadline, timeout)
            return protocol.decode(payload)
        except protocol.FrameTooLarge:   # refused before reading it: never in the grader's memory
            raise ChildFailure("protocol", "the student process sent an unreadable reply (one "
                               "over the size limit of %d MiB, which was not read): does your "
                               "code write to file descriptors it did not open?"
                               % (protocol.MAX_FRAME >> 20))
        except protocol.ProtocolError as exc:
            raise ChildFailure("protocol", "the student process sent an unreadable reply (%s): "
                               "does your code write to file descriptors it did not open?" % exc)

    def _read(self, count: int, poller, deadline: float, timeout: float) -> bytes:
        chunks, remaining = [], count
        while remaining:
            self._wait(poller, deadline, timeout)
            chunk = os.read(self._from_child, min(remaining, 1 << 20))
            if not chunk:
                raise self._death()
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _wait(self, poller, deadline: float, timeout: float) -> None:
        """Return when the pipe is ready; raise ChildFailure on timeout or death."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChildFailure("timeout", "timed out after %.3g s (an infinite loop, or far too "
                                   "slow?); the process was stopped" % timeout)
            if poller.poll(min(left, POLL_SLICE) * 1000):
                return
            if self._proc.poll() is not None:
                # Dead, and nothing left in the pipe (a forked child may still hold it open).
                raise self._death()

    def _death(self) -> ChildFailure:
        try:
            self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        code = sandbox.exit_status(self._proc)
        message = "the process " + exit_description(code, self.limits)
        stderr = self.output_tail(STDERR_TAIL)[1].strip()
        if stderr:
            message += "\nLast lines of its error output:\n" + stderr
        return ChildFailure("died", message)


def _is_hello(message) -> bool:
    return isinstance(message, dict) and message.get("hello") is True and "id" not in message


def _well_formed(answer, op) -> bool:
    """A reply {"ok": true, "result": {...the keys its operation returns...}} or {"ok": false,
    "error": ...}: anything else would break the test that reads it."""
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        return False
    if not answer["ok"]:
        return True
    keys = protocol.RESULT_KEYS.get(op)
    result = answer.get("result")
    return keys is None or (isinstance(result, dict) and all(key in result for key in keys))


def exit_description(code: int | None, limits: Limits) -> str:
    """'exited with code 3 (...)' / 'was killed by SIGKILL (...)' for a child's return code."""
    if code is None:
        return "closed its reply pipe but did not exit"
    if code == 0:
        return "exited with code 0 in the middle of a test (sys.exit(0) or os._exit(0) in your code?)"
    if code > 0:
        return "exited with code %d (sys.exit or os._exit in your code?)" % code
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = "signal %d" % -code
    reasons = {
        "SIGKILL": "memory or CPU limit?",
        "SIGXCPU": "CPU time limit of %d s reached" % limits.cpu_seconds,
        "SIGXFSZ": "it wrote more than %d MB: printing too much?" % (limits.file_bytes >> 20),
        "SIGSEGV": "a crash in native code",
    }
    return "was killed by %s (%s)" % (name, reasons.get(name, "a signal"))


def describe_error(error: dict) -> str:
    """A sentence (and the traceback tail) for an error the child reported."""
    kind, message = error.get("type", "Error"), error.get("message", "")
    if kind == "ModuleNotImported":
        text = message + ", so this test could not run"
    elif kind in ("MissingFunction", "BadReturnValue", "UnsendableResult", "RunnerError"):
        text = message
    else:
        where = error.get("where")
        text = "your code raised %s%s%s" % (kind, ": " + message if message else "",
                                            " (in %s)" % where if where else "")
    if error.get("traceback"):
        text += "\n" + error["traceback"]
    return text


def _tail(handle, limit: int) -> str:
    """The last `limit` bytes of an open file, read through our own descriptor."""
    try:
        size = os.fstat(handle.fileno()).st_size
        return os.pread(handle.fileno(), limit, max(0, size - limit)).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return ""
