"""The sandboxed Jupyter kernel that grader/notebooks/execute.py runs a notebook in.

`SandboxedKernelManager` is jupyter_client's AsyncKernelManager with the kernel process started
through `grader.isolation.sandbox` (limits, clean environment, own process group, and whatever
isolation the level in use provides) and reached over IPC sockets, never TCP, so it works in a
network namespace. `kill_sandbox()` ends the kernel and everything it started.

Where the sockets are: at the weaker levels in the kernel's scratch folder; under bubblewrap in
the sandbox's private /tmp (the only place the student can write, bounded in size and files),
which the grader reaches through /proc/<pid of the sandbox's init>/root. The kernel's output
goes to an unnamed file of the grader's, read through its own descriptor: no path the student
can write to (or swap for a FIFO or a link) is ever opened by the grader.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from grader.isolation import bubblewrap, sandbox

SOCKET_PATH_MAX = 100           # AF_UNIX paths are limited to 107 bytes on Linux
SANDBOX_SETUP_SECONDS = 30      # for bubblewrap to report its init and enter its new root
# nbclient and jupyter_client log a timeout or a dead kernel as an ERROR; here those are expected
# outcomes, recorded in NotebookRun, so their logs stay quiet unless someone lowers this level.
JUPYTER_LOG = logging.getLogger(__name__ + ".jupyter")
JUPYTER_LOG.setLevel(logging.CRITICAL)


class SandboxedKernelManager(AsyncKernelManager):
    """An ipykernel started through `sandbox.command()` and connected over IPC sockets.

    Overrides `kernel_spec` (always this Python's ipykernel, never a kernelspec found on the
    machine) and `_async_launch_kernel` (jupyter_client's documented hook for launching the kernel
    process differently): the process is started from a `sandbox.Launch`, and `kill_sandbox()`
    ends it and everything it started.
    """

    def __init__(self, *, workspace: Path, scratch: Path, cwd: Path, limits: sandbox.Limits,
                 level: str, uid: int | None = None, readonly_paths=(), nice: int = 0,
                 **kwargs):
        scratch = Path(os.path.realpath(scratch))   # the sandbox binds real paths only
        tag = uuid.uuid4().hex[:8]
        # Sockets are "<ip>-<n>"; the ip the kernel binds, as the kernel sees it.
        self.sandbox_socket_ip = (f"{bubblewrap.SCRATCH}/k{tag}" if level == "bubblewrap"
                                  else str(scratch / f"k{tag}"))
        if len(os.fsencode(self.sandbox_socket_ip)) + 3 > SOCKET_PATH_MAX:
            raise ValueError(f"scratch folder path too long for kernel IPC sockets: {scratch}")
        super().__init__(kernel_name="python3", transport="ipc", ip=self.sandbox_socket_ip,
                         log=JUPYTER_LOG, connection_file=str(scratch / f"kernel-{tag}.json"),
                         **kwargs)
        self.sandbox_options = dict(workspace=workspace, scratch=scratch, cwd=cwd,
                                    readonly_paths=readonly_paths, level=level, nice=nice)
        if uid is not None:
            self.sandbox_options["uid"] = uid
        self.sandbox_limits = limits
        self.sandbox_log = tempfile.TemporaryFile()   # bounded by RLIMIT_FSIZE
        self.sandbox_process: subprocess.Popen | None = None
        self._killed = False
        self._spec = KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3 (ipykernel)", language="python", interrupt_mode="signal",
            metadata={},
        )

    @property
    def kernel_spec(self) -> KernelSpec:
        return self._spec

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        # kw (nbclient's env and cwd) is ignored on purpose: the sandbox decides both.
        # No JPY_PARENT_PID either: in a PID namespace the kernel's parent is not the grader.
        bwrap = self.sandbox_options["level"] == "bubblewrap"
        info_r, info_w = os.pipe() if bwrap else (None, None)
        try:
            # Inline plots, so that figures appear in the executed notebook; the workspace root
            # on sys.path from the start: `assignment` and the Stanford names of the same
            # modules (`cs231n.*`, see grader/intake/cs231n_view.py) import in every cell, even
            # one run before the notebook's set-up cell.
            workspace = os.path.realpath(self.sandbox_options["workspace"])
            launch = sandbox.command(
                kernel_cmd, limits=self.sandbox_limits, info_fd=info_w,
                extra_env={"MPLBACKEND": "module://matplotlib_inline.backend_inline",
                           "PYTHONPATH": workspace},
                **self.sandbox_options)
            proc = sandbox.popen(launch, stdin=subprocess.DEVNULL, stdout=self.sandbox_log,
                                 stderr=subprocess.STDOUT, pass_fds=(info_w,) if bwrap else ())
        finally:
            if info_w is not None:
                os.close(info_w)
        self.sandbox_process = proc
        provisioner = self.provisioner
        assert isinstance(provisioner, LocalProvisioner), provisioner
        # The provisioner keeps polling/signalling the process for jupyter_client as usual.
        provisioner.process, provisioner.pid, provisioner.pgid = proc, proc.pid, proc.pid
        provisioner.cwd = launch.cwd
        self._reconcile_connection_info(provisioner.connection_info)
        if bwrap:   # from now on the grader's side connects through the sandbox's root
            init = await _sandbox_init(info_r, proc)
            if init is not None:
                self.ip = bubblewrap.host_path(init, self.sandbox_socket_ip)

    async def _async_kill_kernel(self, restart: bool = False) -> None:
        self.kill_sandbox()   # the whole tree (and sandbox), not just the process group
        await super()._async_kill_kernel(restart=restart)

    def kill_sandbox(self) -> None:
        """sandbox.stop() on the kernel, once: a second killpg could hit a reused group id."""
        if self.sandbox_process is not None and not self._killed:
            self._killed = True
            sandbox.stop(self.sandbox_process)

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the kernel's own output, read through the grader's descriptor."""
        try:
            fd = self.sandbox_log.fileno()
            size = os.fstat(fd).st_size
            data = os.pread(fd, chars * 4, max(0, size - chars * 4))
        except (OSError, ValueError):
            return ""
        return data.decode("utf-8", "replace")[-chars:]


async def _sandbox_init(info_r: int, proc: subprocess.Popen) -> int | None:
    """The host pid of the sandbox's init, once it has entered the sandbox's root (None when
    bubblewrap died first: jupyter_client then reports a dead kernel)."""
    os.set_blocking(info_r, False)
    data, deadline = b"", time.monotonic() + SANDBOX_SETUP_SECONDS
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                chunk = os.read(info_r, 4096)
            except BlockingIOError:
                chunk = None
            if chunk is not None:
                data += chunk
                if not chunk or data.rstrip().endswith(b"}"):
                    break
            await asyncio.sleep(0.005)
    finally:
        os.close(info_r)
    try:
        pid = int(json.loads(data)["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None
    host_root = os.stat("/")
    while time.monotonic() < deadline and proc.poll() is None:
        try:   # before pivot_root the sandbox's root is still the host's
            root = os.stat(f"/proc/{pid}/root")
        except OSError:
            return None
        if (root.st_dev, root.st_ino) != (host_root.st_dev, host_root.st_ino):
            return pid
        await asyncio.sleep(0.005)
    return None
