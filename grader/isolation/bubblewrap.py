"""The bubblewrap command line of the "bubblewrap" isolation level.

A private file system holding only /usr (with the /bin, /lib* links), three bits of /etc, the
Python environment (sys.prefix, sys.base_prefix), the workspace, the process's host folder
and `readonly_paths`, all read-only and at their real paths; a fresh /proc and /dev; and one
private tmpfs at /tmp, the only place the student can write (HOME and TMPDIR point there).
That tmpfs is bounded in bytes (--size) and, as root, in files: bubblewrap cannot set
nr_inodes, so a remount inside the sandbox does, before the student's uid is taken (see
`_scratch_and_uid`). Without root, bubblewrap finishes in a user namespace that does not own
its mounts: the file count is then bounded by memory only (stated in isolation_warning).
No network, no IPC, its own PID namespace: when the sandbox's first process dies, every
process inside dies (double-forked daemons included).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from grader.isolation.limits import Limits, rlimit_prefix, tool

SCRATCH = "/tmp"                     # the private tmpfs, as seen inside
_ETC = ("/etc/ld.so.cache", "/etc/localtime", "/etc/fonts")  # fonts: matplotlib runs fc-list


def bwrap_argv(argv: list[str], *, workspace: Path, host_folder: Path, cwd: Path,
               readonly_paths, uid: int | None, limits: Limits,
               info_fd: int | None = None) -> list[str]:
    """`argv` wrapped in bubblewrap (and the limits); `info_fd` gets bubblewrap's JSON with
    the host pid of the sandbox's init ("child-pid"), whose /proc/PID/root is the sandbox's
    root (the kernel's sockets are reached that way)."""
    args = [shutil.which("bwrap") or "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
            "--die-with-parent", "--new-session",  # setsid: no TIOCSTI into the grader's tty
            "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(limits.scratch_bytes), "--tmpfs", SCRATCH]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    made: set[Path] = set()

    def parents(path) -> None:
        # As root, bwrap creates missing parent folders 0700: make them 0755 first, or the
        # unprivileged student could not walk to what is bound below them.
        for parent in reversed(Path(path).parents[:-1]):
            if parent not in made:
                made.add(parent)
                args.extend(["--perms", "0755", "--dir", str(parent)])

    def bind(flag: str, path) -> None:
        parents(path)
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
    link = _first_link(Path(os.path.abspath(sys.executable)).parent)
    if link is not None:   # a venv reached through a link (bound above at its real path)
        parents(link)
        args.extend(["--symlink", os.readlink(link), str(link)])
    for path in dict.fromkeys([workspace, host_folder, *readonly_paths]):
        bind("--ro-bind", path)
    args += ["--chdir", str(cwd)]
    limited = rlimit_prefix(limits, processes=uid is not None) + list(argv)
    if uid is None:  # not root: bwrap needs a user namespace, and cannot switch uid outside it
        return args + ["--unshare-user", "--"] + limited
    return args + _scratch_and_uid(uid, limits) + limited


def _scratch_and_uid(uid: int, limits: Limits) -> list[str]:
    """As root: root stays root in bwrap (it binds 0700 folders such as /root/.pyenv) with
    three capabilities; a shell remounts the scratch tmpfs with its file limit, then setpriv
    drops the student to `uid` with no capabilities at all, so that RLIMIT_NPROC holds."""
    remount = (f"{tool('mount')} -o remount,nr_inodes={limits.scratch_files} {SCRATCH}"
               ' && exec "$@"')
    return ["--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
            "--", "/bin/sh", "-c", remount, "sh",
            tool("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


def _first_link(path: Path) -> Path | None:
    """The first folder on the way to `path` that is a symbolic link, if any."""
    for prefix in [*reversed(path.parents[:-1]), path]:
        if prefix.is_symlink():
            return prefix
    return None


def host_path(pid: int, inside: str) -> str:
    """A path inside the sandbox whose init has host pid `pid`, as the grader reaches it."""
    return f"/proc/{pid}/root{inside}"
