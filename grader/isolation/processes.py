"""Student processes after they started: their uids, stopping them with everything they
started, their exit status, and removing the folders they could write to.

As root, each launch gets a uid of its own from UID_POOL, one no process runs as: RLIMIT_NPROC
counts every task of a uid (and never root's), and `stop()` at "unprivileged-user" kills every
process of it, so concurrent students must not share one.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time


UID_POOL = range(60000, 61000)      # uids given to student processes, one per launch
_uid_lock = threading.Lock()
_uid_next = [os.getpid() * 37 % len(UID_POOL)]  # two graders on one machine start apart


def sandbox_uid() -> int:
    """A uid from UID_POOL that no process runs as (round robin, so a uid is not reused at once)."""
    with _uid_lock:
        busy = {uid for uid in uids_running() if uid in UID_POOL}
        for _ in range(len(UID_POOL)):
            uid = UID_POOL[_uid_next[0] % len(UID_POOL)]
            _uid_next[0] += 1
            if uid not in busy:
                return uid
    raise RuntimeError(f"every uid of {UID_POOL} runs a process")


def lower_this_thread(by: int) -> None:
    """Run the calling thread `by` nice levels below the process (Linux gives each thread a
    priority of its own); the process's other threads keep theirs. Quietly nothing where the
    system refuses."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                       os.getpriority(os.PRIO_PROCESS, 0) + by)


def exit_status(proc: subprocess.Popen) -> int | None:
    """The student process's return code as Popen reports it for a direct child (negative:
    killed by that signal), None while it runs. bubblewrap exits with 128 + n when the
    process inside died of signal n; that is turned back into -n here, once for every caller."""
    code = proc.poll()
    launch = getattr(proc, "sandbox_launch", None)
    if code is not None and code > 128 and getattr(launch, "level", None) == "bubblewrap":
        return 128 - code
    return code


def stop(proc: subprocess.Popen, grace: float = 0.2) -> None:
    """Kill the process and every process it started; return once they are gone.

    Besides the session/process group, every descendant is killed (in bubblewrap: the PID
    namespace's init, whose death takes everything inside along: no process can leave the
    namespace, so nothing else is searched for), and, outside bubblewrap, every process of the
    student's uid (a double-forked daemon leaves the tree there). That uid comes from start(),
    or else from the processes themselves while they are not yet reaped."""
    tree = descendants(proc.pid)
    launch = getattr(proc, "sandbox_launch", None)
    uids = ({launch.uid} if launch is not None else
            {uid for uid in map(uid_of, [proc.pid, *tree]) if uid in UID_POOL})
    if getattr(launch, "level", None) == "bubblewrap":
        uids = set()   # the namespace's init is in `tree`; its death ends every process inside
    for kill, target in [(os.killpg, proc.pid), *((os.kill, pid) for pid in [proc.pid, *tree])]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(target, signal.SIGKILL)
    for uid in uids - {None}:
        kill_uid(uid)
    deadline = time.monotonic() + grace + 5
    while time.monotonic() < deadline and (proc.poll() is None or any(map(alive, tree))):
        time.sleep(0.01)


def kill_uid(uid: int, attempts: int = 50) -> None:
    """SIGKILL every process of `uid` (never root's or the grader's). kill(-1) sent as `uid`
    reaches exactly that uid's processes (not the sender); repeated while a fork bomb
    refills. The sender is the shell's kill, started as `uid` by subprocess itself: nothing
    runs between fork and exec in this threaded process."""
    if uid in (0, os.geteuid()) or os.geteuid() != 0:
        return
    for _ in range(attempts):
        if uid not in uids_running():
            return
        subprocess.run(["/bin/sh", "-c", "kill -9 -1"],
                       user=uid, group=uid, extra_groups=[], cwd="/", env={},
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        time.sleep(0.01)


def remove_tree(path) -> None:
    """Delete a folder student code could write into (a job, a scratch folder), whatever it
    holds. Not shutil.rmtree: up to Python 3.12 it recurses, and folders nested ~1,000 deep
    (one loop in a student's function) made it raise RecursionError, which lost the student's
    whole report. `rm -rf` (fts) goes to any depth and never follows links."""
    subprocess.run(["rm", "-rf", "--", str(path)], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def _stat(pid) -> list[str]:
    """Fields of /proc/PID/stat after the command name: [state, ppid, ...]; [] if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def alive(pid) -> bool:
    return _stat(pid)[:1] not in ([], ["Z"])  # a zombie runs no code


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, found through the kernel's list of each task's children
    (a walk of the tree alone, not a scan of every process on the machine)."""
    if not _HAS_CHILDREN_LISTS:
        return _descendants_by_scan(pid)
    found, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        found += kids
        todo += kids
    return found


def _children(pid: int) -> list[int]:
    kids = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += map(int, f.read().split())
        except (OSError, ValueError):
            continue
    return kids


def _descendants_by_scan(pid: int) -> list[int]:
    """descendants() for a kernel without /proc/PID/task/TID/children."""
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


_HAS_CHILDREN_LISTS = os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")


def uid_of(pid) -> int | None:
    try:  # the real uid: /proc/PID's owner is root for a non-dumpable process
        with open(f"/proc/{pid}/status") as f:
            return int(next(line for line in f if line.startswith("Uid:")).split()[1])
    except (OSError, StopIteration, ValueError):
        return None


def uids_running() -> set[int | None]:
    """The real uids of every process on the machine that is not a zombie (one read each)."""
    uids = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(line.split(":", 1) for line in f
                              if line.startswith(("State:", "Uid:")))
            if fields["State"].split()[0] != "Z":
                uids.add(int(fields["Uid"].split()[0]))
        except (OSError, KeyError, IndexError, ValueError):
            continue
    return uids
