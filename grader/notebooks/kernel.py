"""The sandboxed Jupyter kernel that grader/notebooks/execute.py runs a notebook in.

`SandboxedKernelManager` is jupyter_client's AsyncKernelManager with the kernel process started
through `grader.isolation.sandbox` (limits, clean environment, own process group, and whatever isolation
sandbox.py provides) and reached over IPC sockets in the scratch folder, never TCP, so it works in
a network namespace. `kill_sandbox()` ends the kernel and everything it started.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from grader.isolation import sandbox

SOCKET_PATH_MAX = 100           # AF_UNIX paths are limited to 107 bytes on Linux
# nbclient and jupyter_client log a timeout or a dead kernel as an ERROR; here those are expected
# outcomes, recorded in NotebookRun, so their logs stay quiet unless someone lowers this level.
JUPYTER_LOG = logging.getLogger(__name__ + ".jupyter")
JUPYTER_LOG.setLevel(logging.CRITICAL)


class SandboxedKernelManager(AsyncKernelManager):
    """An ipykernel started through `sandbox.command()` and connected over IPC sockets.

    Overrides `kernel_spec` (always this Python's ipykernel, never a kernelspec found on the
    machine) and `_async_launch_kernel` (jupyter_client's documented hook for launching the kernel
    process differently): the process is started with the argv, env, cwd and preexec of a
    `sandbox.Launch`, and `kill_sandbox()` ends it and everything it started.
    """

    def __init__(self, *, workspace: Path, scratch: Path, cwd: Path, limits: sandbox.Limits,
                 uid: int | None = None, readonly_paths=(), level: str | None = None,
                 **kwargs):
        scratch = Path(os.path.realpath(scratch))   # the sandbox binds real paths only
        tag = uuid.uuid4().hex[:8]
        ip = scratch / f"k{tag}"   # sockets are "<ip>-<n>"; kept short for the AF_UNIX limit
        if len(os.fsencode(ip)) + 3 > SOCKET_PATH_MAX:
            raise ValueError(f"scratch folder path too long for kernel IPC sockets: {scratch}")
        super().__init__(kernel_name="python3", transport="ipc", ip=str(ip), log=JUPYTER_LOG,
                         connection_file=str(scratch / f"kernel-{tag}.json"), **kwargs)
        self.sandbox_options = dict(workspace=workspace, scratch=scratch, cwd=cwd,
                                    readonly_paths=readonly_paths)
        if uid is not None:
            self.sandbox_options["uid"] = uid
        if level is not None:  # tests pin an isolation level; grading uses the detected one
            self.sandbox_options["level"] = level
        self.sandbox_limits = limits
        self.sandbox_log = scratch / f"kernel-{tag}.log"
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
        launch = _kernel_launch(kernel_cmd, **self.sandbox_options)
        with open(self.sandbox_log, "wb") as log:   # bounded by RLIMIT_FSIZE
            proc = subprocess.Popen(launch.argv, env=launch.env, cwd=launch.cwd,
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    preexec_fn=launch.preexec(self.sandbox_limits))
        proc.sandbox_launch = launch   # sandbox.stop() uses it (kills the uid's stray processes)
        self.sandbox_process = proc
        provisioner = self.provisioner
        assert isinstance(provisioner, LocalProvisioner), provisioner
        # The provisioner keeps polling/signalling the process for jupyter_client as usual.
        provisioner.process, provisioner.pid, provisioner.pgid = proc, proc.pid, proc.pid
        provisioner.cwd = launch.cwd
        self._reconcile_connection_info(provisioner.connection_info)

    async def _async_kill_kernel(self, restart: bool = False) -> None:
        self.kill_sandbox()   # the whole tree (and sandbox), not just the process group
        await super()._async_kill_kernel(restart=restart)

    def kill_sandbox(self) -> None:
        """sandbox.stop() on the kernel, once: a second killpg could hit a reused group id."""
        if self.sandbox_process is not None and not self._killed:
            self._killed = True
            sandbox.stop(self.sandbox_process)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.sandbox_log.read_bytes()[-chars:].decode("utf-8", "replace")
        except OSError:
            return ""


def _kernel_launch(argv: list[str], **options) -> sandbox.Launch:
    """sandbox.command() for the kernel (options: workspace, scratch, cwd, readonly_paths and
    uid if given), with inline plots so that figures appear in the executed notebook, and the
    workspace root on sys.path from the start: `assignment` and the Stanford names of the same
    modules (`cs231n.*`, see grader/intake/cs231n_view.py) import in every cell, even one run
    before the notebook's set-up cell."""
    return sandbox.command(
        argv, extra_env={"MPLBACKEND": "module://matplotlib_inline.backend_inline",
                         "PYTHONPATH": os.path.realpath(options["workspace"])}, **options)
