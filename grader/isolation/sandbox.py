"""How a student process is started: resource limits, a fresh session, a clean environment,
its own uid and (where available) a bubblewrap sandbox. Every student process (hidden-test
child; notebook kernel: see grader/notebooks/kernel.py) is started through `command()` / `start()`
and ended with `stop()`.

Isolation levels, strongest first (the one in use is recorded in results.json):
- "bubblewrap": a private file system holding only /usr (with the /bin, /lib* links), three
  bits of /etc, the Python environment (sys.prefix, sys.base_prefix), the workspace and
  `readonly_paths` read-only, the scratch folder read-write, a fresh /proc and /dev and a
  small private /tmp. Folders are bound at their real paths: callers use the same paths
  inside and out. No network, no IPC, its own PID namespace: when the sandbox's first process
  dies, every process inside dies (double-forked daemons included).
- "unprivileged-user" (root without bubblewrap): the student's uid can read every
  world-readable file (see `protect_secrets()`), write world-writable places (/tmp, /dev/shm)
  and use the network.
- "none": same user as the grader, resource limits only (a loud warning is printed).

As root, each launch gets a uid of its own from UID_POOL, one no process runs as: RLIMIT_NPROC
counts every task of a uid (and never root's), and `stop()` at "unprivileged-user" kills every
process of it, so concurrent students must not share one. Not as root, the grader's uid is kept
(bubblewrap then needs unprivileged user namespaces) and RLIMIT_NPROC is not set.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

UID_POOL = range(60000, 61000)      # uids given to student processes, one per launch
TMP_BYTES = 64 << 20                # size of the private /tmp (tmpfs pages are not in RLIMIT_AS)
_ETC = ("/etc/ld.so.cache", "/etc/localtime", "/etc/fonts")  # fonts: matplotlib runs fc-list
_libc = ctypes.CDLL(None, use_errno=True)
_uid_lock = threading.Lock()
_uid_next = [os.getpid() * 37 % len(UID_POOL)]  # two graders on one machine start apart


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 60.0        # enforced by the caller (timeouts on reads / nbclient)
    cpu_seconds: int = 120            # RLIMIT_CPU, per process
    memory_bytes: int = 4 << 30       # RLIMIT_AS: a numpy+matplotlib child peaks at 0.19 GiB, an
                                      # ipykernel using them at 0.37 GiB; the rest is for data
    file_bytes: int = 64 << 20        # RLIMIT_FSIZE
    processes: int = 256              # RLIMIT_NPROC: tasks (threads too) of the sandbox uid
    output_bytes: int = 1 << 20       # captured stdout/stderr kept per test


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one student process."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    level: str = "none"
    uid: int | None = None            # the uid the student code runs as (None: the grader's)

    def preexec(self, limits: Limits):
        """Returns the function run in the child between fork and exec."""
        drop_to = self.uid if self.level == "unprivileged-user" else None
        rlimits = [(resource.RLIMIT_CPU, limits.cpu_seconds),
                   (resource.RLIMIT_AS, limits.memory_bytes),
                   (resource.RLIMIT_FSIZE, limits.file_bytes),
                   (resource.RLIMIT_CORE, 0)]
        if self.uid is not None:  # for the grader's own uid it would count all its processes
            rlimits.append((resource.RLIMIT_NPROC, limits.processes))

        def apply_limits():
            if os.getsid(0) != os.getpid():  # jupyter's start_new_session may have done it
                os.setsid()  # own session and process group: stop() kills them all
            for which, value in rlimits:
                hard = resource.getrlimit(which)[1]  # no CAP_SYS_RESOURCE in containers
                value = value if hard == resource.RLIM_INFINITY else min(value, hard)
                resource.setrlimit(which, (value, value))
            if drop_to is not None:
                os.setgroups([])
                os.setgid(drop_to)
                os.setuid(drop_to)
                _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG; setuid has just cleared it

        return apply_limits


@functools.cache
def isolation_level() -> str:
    """The strongest level that works here, found once by starting a real sandboxed Python."""
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
                "world-readable files and reach the network.")
    return None


def protect_secrets(paths) -> None:
    """Make `paths` (the repo's solutions/, grader/rubric.toml, the reports folder, the other
    submissions) unreadable to student uids: chmod go-rwx on each path itself, which closes
    everything below a folder too. Only "unprivileged-user" needs it (bubblewrap never shows
    these paths); it also shuts out the machine's other users.

    What stays readable there: every other world-readable file, e.g. the grader's code and
    tests, the assignment stubs, the venv, /etc, /tmp, /proc (other processes' command lines),
    and the workspaces being graded (one's own, and any other found by listing /tmp), which
    must therefore not lie below a protected folder. Scratch folders are 0700 to their uid."""
    for path in map(Path, paths):
        if path.exists() and not path.is_symlink():
            os.chmod(path, path.stat().st_mode & 0o7700)


def sandbox_uid() -> int:
    """A uid from UID_POOL that no process runs as (round robin, so a uid is not reused at once)."""
    with _uid_lock:
        busy = {uid for uid in _uids_running() if uid in UID_POOL}
        for _ in range(len(UID_POOL)):
            uid = UID_POOL[_uid_next[0] % len(UID_POOL)]
            _uid_next[0] += 1
            if uid not in busy:
                return uid
    raise RuntimeError(f"every uid of {UID_POOL} runs a process")


def command(argv: list[str], *, workspace: Path, scratch: Path, cwd: Path | None = None,
            readonly_paths=(), extra_env: dict[str, str] | None = None, uid: int | None = None,
            level: str | None = None) -> Launch:
    """Wrap `argv` (a student process command line) for the isolation level in use.

    `workspace` is the read-only folder holding the student's package and notebooks;
    `scratch` is the only folder the process may write to (its HOME and TMPDIR); `cwd`
    (default: workspace) must lie in one of them; `readonly_paths` are extra files or folders
    the process needs (never the whole grader/, which holds the rubric). Paths are the same
    inside and out (bubblewrap binds the real paths). As root this picks a uid (`uid`, or
    `sandbox_uid()`) and prepares the folders for it, without following symlinks (a
    submission may plant them): scratch is chowned to it, the workspace made world-readable.
    At "unprivileged-user" every ancestor of both folders must be searchable by others (make
    the job folder 0o711, not mkdtemp's 0o700); a ValueError says which is not.
    """
    level = level or isolation_level()
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
    env = {
        "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
        "HOME": str(scratch), "TMPDIR": str(scratch),
        "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(scratch / ".matplotlib"),
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",  # else glibc reserves 64 MiB of address space per thread
                                  # (an ipykernel: 0.9 GiB of RLIMIT_AS instead of 0.37)
        **(extra_env or {}),
    }
    if level == "bubblewrap":
        argv = _bwrap(workspace, scratch, cwd, readonly_paths, uid) + list(argv)
    return Launch(argv=list(argv), env=env, cwd=str(cwd), level=level, uid=uid)


def start(argv: list[str], *, workspace: Path, scratch: Path, limits: Limits,
          cwd: Path | None = None, readonly_paths=(), extra_env: dict[str, str] | None = None,
          uid: int | None = None, level: str | None = None, **popen_kwargs) -> subprocess.Popen:
    """Start a student process with limits; popen_kwargs go to subprocess.Popen
    (stdin/stdout/stderr/pass_fds)."""
    launch = command(argv, workspace=workspace, scratch=scratch, cwd=cwd, extra_env=extra_env,
                     readonly_paths=readonly_paths, uid=uid, level=level)
    proc = subprocess.Popen(launch.argv, env=launch.env, cwd=launch.cwd,
                            preexec_fn=launch.preexec(limits), **popen_kwargs)
    proc.sandbox_launch = launch  # for stop()
    return proc


def stop(proc: subprocess.Popen, grace: float = 0.2) -> None:
    """Kill the process and every process it started; return once they are gone.

    Besides the session/process group, every descendant is killed (in bubblewrap: the PID
    namespace's init, whose death takes everything inside along), and every process of the
    student's uid (a double-forked daemon leaves the tree outside bubblewrap). That uid comes
    from start(), or else from the processes themselves while they are not yet reaped."""
    tree = _descendants(proc.pid)
    launch = getattr(proc, "sandbox_launch", None)
    uids = ({launch.uid} if launch is not None else
            {uid for uid in map(_uid_of, [proc.pid, *tree]) if uid in UID_POOL})
    for kill, target in [(os.killpg, proc.pid), *((os.kill, pid) for pid in [proc.pid, *tree])]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(target, signal.SIGKILL)
    for uid in uids - {None}:
        kill_uid(uid)
    deadline = time.monotonic() + grace + 5
    while time.monotonic() < deadline and (proc.poll() is None or any(map(_alive, tree))):
        time.sleep(0.01)


def remove_tree(path: Path) -> None:
    """Delete a folder student code could write into (a job, a scratch folder), whatever it
    holds. Not shutil.rmtree: up to Python 3.12 it recurses, and folders nested ~1,000 deep
    (one loop in a student's function) made it raise RecursionError, which lost the student's
    whole report. `rm -rf` (fts) goes to any depth and never follows links."""
    subprocess.run(["rm", "-rf", "--", str(path)], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def kill_uid(uid: int, attempts: int = 50) -> None:
    """SIGKILL every process of `uid` (never root's or the grader's). kill(-1) from a child that
    became `uid` reaches exactly that uid's processes; repeated while a fork bomb refills."""
    if uid in (0, os.geteuid()) or os.geteuid() != 0:
        return
    for _ in range(attempts):
        if uid not in _uids_running():
            return
        pid = os.fork()
        if pid == 0:  # only system calls here: the grader may have threads
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.01)


def _bwrap(workspace: Path, scratch: Path, cwd: Path, readonly_paths, uid: int | None) -> list[str]:
    args = [shutil.which("bwrap") or "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
            "--die-with-parent", "--new-session",  # setsid: no TIOCSTI into the grader's tty
            "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    made: set[Path] = set()

    def bind(flag: str, path) -> None:
        # As root, bwrap creates missing parent folders 0700: make them 0755 first, or the
        # unprivileged student could not walk to what is bound below them.
        for parent in reversed(Path(path).parents[:-1]):
            if parent not in made:
                made.add(parent)
                args.extend(["--perms", "0755", "--dir", str(parent)])
        args.extend([flag, str(path), str(path)])

    bind("--ro-bind", "/usr")
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):  # merged /usr: keep the links
            args.extend(["--symlink", os.readlink(top), top])
        elif os.path.isdir(top):
            bind("--ro-bind", top)
    python = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
    for path in [*_ETC, *sorted(p for p in python if not p.startswith("/usr/"))]:
        if os.path.exists(path):
            bind("--ro-bind", path)
    for path in [workspace, *readonly_paths]:
        bind("--ro-bind", path)
    bind("--bind", scratch)
    args += ["--chdir", str(cwd)]
    if uid is None:  # not root: bwrap needs a user namespace, and cannot switch uid outside it
        return args + ["--unshare-user", "--"]
    # Root stays root in bwrap (it binds 0700 folders such as /root/.pyenv); setpriv then drops
    # the student to `uid` with no capabilities, so that RLIMIT_NPROC holds.
    return args + ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                   shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}",
                   "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]


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


def _stat(pid) -> list[str]:
    """Fields of /proc/PID/stat after the command name: [state, ppid, ...]; [] if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _alive(pid) -> bool:
    return _stat(pid)[:1] not in ([], ["Z"])  # a zombie runs no code


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        fields = _stat(entry)
        if fields:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _uid_of(pid) -> int | None:
    try:  # the real uid: /proc/PID's owner is root for a non-dumpable process
        with open(f"/proc/{pid}/status") as f:
            return int(next(line for line in f if line.startswith("Uid:")).split()[1])
    except (OSError, StopIteration, ValueError):
        return None


def _uids_running() -> set[int | None]:
    return {_uid_of(pid) for pid in filter(str.isdigit, os.listdir("/proc")) if _alive(pid)}
