"""How a student process is started: resource limits, a fresh session, a clean environment,
its own uid and (where available) a bubblewrap sandbox. Every student process (hidden-test
child; notebook kernel: see grader/notebooks/kernel.py) is started through `command()` /
`start()` and ended with `stop()`.

Isolation levels, strongest first. The one in use is decided once per run by the command line
(`detect_level()`), handed to the grader workers as an argument and from there to every
launch, and recorded in results.json:
- "bubblewrap": see bubblewrap.py. The process's folder on the host (`scratch`) is read-only
  inside (the grader puts the files the process needs there); the student writes to a private
  tmpfs limited in size and (as root) in files, which disappears with the sandbox.
- "unprivileged-user" (root without bubblewrap): the student's uid can read every
  world-readable file (see `protect_secrets()`), write world-writable places (/tmp, /dev/shm)
  and use the network; it writes to `scratch` on the host, with no quota.
- "none": same user as the grader, resource limits only (a loud warning is printed).

Nothing runs between fork and exec in the grader (it has threads): the uid is switched by
subprocess itself (`user`, `group`, `extra_groups`), the session by `start_new_session`, and
the limits and the parent-death signal by util-linux's prlimit and setpriv, which exec the
student's command (limits.py).

As root, each launch gets a uid of its own (processes.py). Not as root, the grader's uid is
kept (bubblewrap then needs unprivileged user namespaces) and RLIMIT_NPROC is not set.
"""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.isolation import bubblewrap
from grader.isolation.limits import Limits, die_with_parent_prefix, rlimit_prefix
from grader.isolation.processes import (  # noqa: F401  (the public interface of isolation)
    UID_POOL, exit_status, kill_uid, remove_tree, sandbox_uid, stop, uid_of, uids_running)

LEVELS = ("bubblewrap", "unprivileged-user", "none")


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one student process: subprocess.Popen(launch.argv,
    env=launch.env, cwd=launch.cwd, **launch.popen_options, ...)."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    level: str
    uid: int | None = None            # the uid the student code runs as (None: the grader's)
    home: str = ""                    # where the student may write, as the process sees it
    popen_options: dict = field(default_factory=dict)


def detect_level() -> str:
    """The strongest level that works here, found by starting a real sandboxed Python. The
    command line calls this once per run and hands the answer on; nothing caches it."""
    for level in ("bubblewrap", "unprivileged-user"):
        if _works(level):
            return level
    return "none"


def isolation_warning(level: str) -> str | None:
    if level == "none":
        return ("WARNING: student code runs without a sandbox (no working bubblewrap, and not root "
                f"or uid {UID_POOL[0]} cannot run {sys.executable}): it runs as the grader's user "
                "and could read the solutions, write the reports and reach the network.")
    if level == "unprivileged-user":
        return ("note: no bubblewrap: student code runs as an unprivileged uid and can read "
                "world-readable files, reach the network and fill the disk.")
    if os.geteuid() != 0:
        return ("note: bubblewrap without root: a student's scratch space is limited in size "
                "but not in its number of files.")
    return None


def protect_secrets(paths) -> None:
    """Make `paths` (the repo's solutions/, grader/rubric.toml, the reports folder, the other
    submissions) unreadable to student uids: chmod go-rwx on each path itself, which closes
    everything below a folder too. Only "unprivileged-user" needs it (bubblewrap never shows
    these paths); it also shuts out the machine's other users.

    What stays readable there: every other world-readable file, e.g. the grader's code and
    tests, the assignment stubs, the venv, /etc, /tmp, /proc (other processes' command lines),
    and the workspaces being graded (one's own, and any other whose random folder name it
    guesses), which must therefore not lie below a protected folder. Scratch folders are 0700
    to their uid."""
    for path in map(Path, paths):
        if path.exists() and not path.is_symlink():
            os.chmod(path, path.stat().st_mode & 0o7700)


def command(argv: list[str], *, workspace: Path, scratch: Path, limits: Limits, level: str,
            cwd: Path | None = None, readonly_paths=(), extra_env: dict[str, str] | None = None,
            uid: int | None = None, info_fd: int | None = None, nice: int = 0) -> Launch:
    """Wrap `argv` (a student process command line) for the isolation `level`.

    `workspace` is the read-only folder holding the student's package and notebooks;
    `scratch` is the process's own folder on the host: the student's HOME and TMPDIR at the
    weaker levels, read-only under bubblewrap (which gives the student a private, bounded
    /tmp instead: `Launch.home`); `cwd` (default: workspace) must lie in one of them;
    `readonly_paths` are extra files or folders the process needs (never the whole grader/,
    which holds the rubric). Paths are the same inside and out. As root this picks a uid
    (`uid`, or `sandbox_uid()`) and prepares the folders for it, without following symlinks
    (a submission may plant them): scratch is chowned to it, the workspace made
    world-readable. At "unprivileged-user" every ancestor of both folders must be searchable
    by others (make the job folder 0o711, not mkdtemp's 0o700); a ValueError says which is
    not. `info_fd` (bubblewrap only) is passed on to bwrap --info-fd. `nice` > 0 lowers the
    process's CPU priority by that much (coreutils nice, before everything else, so that all
    it starts inherits it).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown isolation level {level!r}")
    workspace, scratch = Path(os.path.realpath(workspace)), Path(os.path.realpath(scratch))
    cwd = Path(os.path.realpath(cwd or workspace))
    readonly_paths = [Path(os.path.realpath(p)) for p in readonly_paths]
    if not any(cwd == p or p in cwd.parents for p in (workspace, scratch, *readonly_paths)):
        raise ValueError(f"cwd {cwd} is neither in the workspace nor in scratch")
    if level != "none" and os.geteuid() == 0:
        uid = sandbox_uid() if uid is None else uid
        _prepare(workspace, scratch, uid, check_ancestors=level == "unprivileged-user")
    else:
        uid = None
    home = bubblewrap.SCRATCH if level == "bubblewrap" else str(scratch)
    env = {
        "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
        "HOME": home, "TMPDIR": home,
        "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",  # else glibc reserves 64 MiB of address space per thread
                                  # (an ipykernel: 0.9 GiB of RLIMIT_AS instead of 0.37)
        **(extra_env or {}),
    }
    options: dict = {"start_new_session": True}   # own session and group: stop() kills them
    if level == "bubblewrap":
        argv = bubblewrap.bwrap_argv(argv, workspace=workspace, host_folder=scratch, cwd=cwd,
                                     readonly_paths=readonly_paths, uid=uid, limits=limits,
                                     info_fd=info_fd)
    else:
        if uid is not None:   # subprocess switches uid and groups after fork, in C
            options.update(user=uid, group=uid, extra_groups=[])
        argv = (die_with_parent_prefix()
                + rlimit_prefix(limits, processes=uid is not None) + list(argv))
    if nice > 0 and shutil.which("nice"):
        argv = ["nice", "-n", str(int(nice)), *argv]
    return Launch(argv=list(argv), env=env, cwd=str(cwd), level=level, uid=uid, home=home,
                  popen_options=options)


def start(argv: list[str], *, workspace: Path, scratch: Path, limits: Limits, level: str,
          cwd: Path | None = None, readonly_paths=(), extra_env: dict[str, str] | None = None,
          uid: int | None = None, nice: int = 0, **popen_kwargs) -> subprocess.Popen:
    """Start a student process with limits; popen_kwargs go to subprocess.Popen
    (stdin/stdout/stderr/pass_fds)."""
    launch = command(argv, workspace=workspace, scratch=scratch, limits=limits, level=level,
                     cwd=cwd, extra_env=extra_env, readonly_paths=readonly_paths, uid=uid,
                     nice=nice)
    return popen(launch, **popen_kwargs)


def popen(launch: Launch, **popen_kwargs) -> subprocess.Popen:
    """subprocess.Popen for a Launch; the process remembers it (stop() and exit_status()
    read it)."""
    proc = subprocess.Popen(launch.argv, env=launch.env, cwd=launch.cwd,
                            **launch.popen_options, **popen_kwargs)
    proc.sandbox_launch = launch
    return proc


def _prepare(workspace: Path, scratch: Path, uid: int, check_ancestors: bool) -> None:
    # Symlinks are never followed: a submission may plant one to, say, a solution file. In
    # scratch (writable by students) every change goes through a folder's fd, so a folder
    # swapped for a symlink meanwhile cannot redirect it; the workspace is the grader's.
    os.chown(scratch, uid, uid)
    os.chmod(scratch, 0o700)  # other students' uids (at "unprivileged-user") stay out
    for _, dirs, files, fd in os.fwalk(scratch):
        for name in dirs + files:
            os.chown(name, uid, uid, dir_fd=fd, follow_symlinks=False)
    for root, dirs, files in os.walk(workspace):
        for path in [root, *(os.path.join(root, n) for n in dirs + files)]:
            mode = os.lstat(path).st_mode
            extra = 0o055 if stat.S_ISDIR(mode) or mode & 0o100 else 0o044
            if not stat.S_ISLNK(mode) and mode & extra != extra:
                os.chmod(path, mode | extra)
    if check_ancestors:
        for folder in (workspace, scratch):
            for parent in folder.parents:
                if not parent.stat().st_mode & 0o001:
                    raise ValueError(f"{folder} is out of reach of uid {uid}: {parent} is not "
                                     "searchable by others (make the job folder 0o711)")


def _works(level: str) -> bool:
    if (level == "bubblewrap" and not shutil.which("bwrap")
            or level == "unprivileged-user" and os.geteuid() != 0):
        return False
    with tempfile.TemporaryDirectory() as root:
        os.chmod(root, 0o711)
        workspace, scratch = Path(root, "workspace"), Path(root, "scratch")
        workspace.mkdir()
        scratch.mkdir()
        probe = "import os; os.listdir('.'); open(os.environ['HOME'] + '/probe', 'w')"
        try:
            proc = start([sys.executable, "-c", probe], workspace=workspace, scratch=scratch,
                         limits=Limits(), level=level, stderr=subprocess.DEVNULL)
        except (OSError, ValueError):
            return False
        try:
            return proc.wait(timeout=60) == 0
        except subprocess.TimeoutExpired:
            return False
        finally:
            stop(proc)
