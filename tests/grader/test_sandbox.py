"""grader/isolation/sandbox.py: what a hostile student process can and cannot do, at each isolation level
this machine offers (a level that cannot run here is skipped, with the reason)."""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from grader.isolation import sandbox
from grader.isolation.sandbox import Limits

REPO = Path(sandbox.__file__).resolve().parents[2]
SECRET = REPO / "solutions" / "layers.py"
SYSTEM_PYTHON = "/usr/bin/python3"


def _runs(python: str, level: str) -> bool:
    """Can `python` run as a student uid at `level`? (A venv under /root cannot without bwrap.)"""
    root = Path(tempfile.mkdtemp())
    os.chmod(root, 0o711)
    (root / "ws").mkdir()
    (root / "scratch").mkdir()
    try:
        proc = sandbox.start([python, "-c", "pass"], workspace=root / "ws", scratch=root / "scratch",
                             limits=Limits(), level=level, stderr=subprocess.DEVNULL)
        return proc.wait(timeout=60) == 0
    except (OSError, ValueError):
        return False
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _python_for(level: str) -> str | None:
    if level == "bubblewrap":
        return sys.executable if shutil.which("bwrap") and _runs(sys.executable, level) else None
    if level == "unprivileged-user":
        if os.geteuid() != 0:
            return None
        for python in (sys.executable, SYSTEM_PYTHON):  # the second has no numpy: enough here
            if os.path.exists(python) and _runs(python, level):
                return python
        return None
    return sys.executable


PYTHONS = {level: _python_for(level) for level in ("bubblewrap", "unprivileged-user", "none")}
WHY = {"bubblewrap": "bubblewrap cannot run here (not installed, or namespaces refused)",
       "unprivileged-user": "not root, or no Python that an unprivileged uid can run"}


def pids_of(uid: int) -> list[str]:
    return [pid for pid in os.listdir("/proc") if pid.isdigit() and sandbox._uid_of(pid) == uid]


def level_param(*levels):
    return pytest.mark.parametrize("level", [
        pytest.param(level, marks=pytest.mark.skipif(PYTHONS[level] is None, reason=WHY.get(level, "")))
        for level in levels])


@pytest.fixture
def job():
    """A job folder laid out like the grader's: 0o711 root, a workspace and a scratch folder."""
    root = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    os.chmod(root, 0o711)
    workspace, scratch = root / "workspace", root / "scratch"
    for sub in ("assignment", "notebooks", "data"):
        (workspace / sub).mkdir(parents=True)
    (workspace / "assignment" / "layers.py").write_text("def affine_forward(x, w, b):\n    pass\n")
    scratch.mkdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


def run(level, job, code, *, limits=Limits(cpu_seconds=20), timeout=30, **kw):
    """Run `code` in a sandboxed Python; returns (returncode, stdout, stderr). Always stopped."""
    python = PYTHONS[level]
    proc = sandbox.start([python, "-c", textwrap.dedent(code)], workspace=job / "workspace",
                         scratch=job / "scratch", limits=limits, level=level,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         **kw)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        sandbox.stop(proc)
    return proc.returncode, out.decode(), err.decode()


def test_isolation_level_is_detected_once_and_warned_about():
    level = sandbox.isolation_level()
    assert level in ("bubblewrap", "unprivileged-user", "none")
    assert sandbox.isolation_level() is level  # cached
    assert "WARNING" in sandbox.isolation_warning("none")
    assert sandbox.isolation_warning("bubblewrap") is None
    if PYTHONS["bubblewrap"] == sys.executable:
        assert level == "bubblewrap"


# --------------------------------------------------------------------------- file system


@level_param("bubblewrap")
def test_repository_is_invisible(level, job):
    assert SECRET.exists()
    rc, out, err = run(level, job, f"""
        import os
        from pathlib import Path
        try:
            open({str(SECRET)!r}).read()
            print("READ")
        except OSError as e:
            print(type(e).__name__)
        seen = []
        for folder in [Path.cwd(), *Path.cwd().parents]:   # walk up from the workspace
            seen += os.listdir(folder)
        for root, dirs, files in os.walk("/"):
            dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/usr", "/sys")]
            seen += files + dirs
        print(sorted(set(seen) & {{"solutions", "rubric.toml", "reports", "submissions", ".git"}}))
        print(os.listdir({str(REPO)!r}))
    """)
    assert rc == 0, err
    assert out.splitlines() == ["FileNotFoundError", "[]", "['.venv']"], out


@level_param("unprivileged-user")
def test_protected_secrets_are_unreadable(level, job):
    secrets = job / "repo" / "solutions"
    secrets.mkdir(parents=True)
    (secrets / "layers.py").write_text("ANSWER = 42\n")
    os.chmod(job / "repo", 0o755)
    sandbox.protect_secrets([secrets])
    assert secrets.stat().st_mode & 0o077 == 0
    rc, out, err = run(level, job, f"""
        try:
            print(open({str(secrets / 'layers.py')!r}).read())
        except PermissionError:
            print("denied")
    """)
    assert (rc, out.strip()) == (0, "denied"), err


@level_param("bubblewrap", "unprivileged-user")
def test_writes_only_in_scratch(level, job):
    rc, out, err = run(level, job, f"""
        import os
        targets = [{str(job / 'workspace' / 'assignment' / 'layers.py')!r},
                   {str(job / 'workspace' / 'new.py')!r}, {str(job / 'outside.txt')!r},
                   {str(REPO / 'planted.py')!r}, "/usr/planted", "/etc/planted"]
        for path in targets:
            try:
                open(path, "a").write("x")
                print("WROTE", path)
            except OSError:
                pass
        open(os.path.join(os.environ["HOME"], "ok.txt"), "w").write("fine")
        print("done")
    """)
    assert (rc, out.strip()) == (0, "done"), out + err
    assert (job / "scratch" / "ok.txt").read_text() == "fine"
    assert not (job / "outside.txt").exists() and not (REPO / "planted.py").exists()
    assert "pass\n" in (job / "workspace" / "assignment" / "layers.py").read_text()


@level_param("bubblewrap")
def test_private_tmp_does_not_reach_the_host(level, job):
    name = f"sandbox-test-{os.getpid()}"
    rc, out, err = run(level, job, f"open('/tmp/{name}', 'w').write('x')")
    assert rc == 0, err
    assert not Path("/tmp", name).exists()


def test_planted_symlinks_are_not_followed_when_preparing(job):
    if os.geteuid() != 0:
        pytest.skip("folders are prepared for a student uid only as root")
    secret = job / "secret.txt"
    secret.write_text("hidden")
    os.chmod(secret, 0o600)
    (job / "workspace" / "assignment" / "evil.py").symlink_to(secret)
    (job / "scratch" / "evil").symlink_to(secret)
    launch = sandbox.command(["true"], workspace=job / "workspace", scratch=job / "scratch",
                             level="unprivileged-user")
    assert launch.uid in sandbox.UID_POOL
    assert (secret.stat().st_mode & 0o777, secret.stat().st_uid) == (0o600, 0)
    assert (job / "scratch").stat().st_uid == launch.uid


def test_cwd_must_be_inside_the_sandbox(job):
    with pytest.raises(ValueError):
        sandbox.command(["true"], workspace=job / "workspace", scratch=job / "scratch",
                        cwd=REPO, level="none")


# --------------------------------------------------------------------------- network


@level_param("bubblewrap")
def test_no_network(level, job):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        rc, out, err = run(level, job, f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2)
                print("CONNECTED")
            except OSError:
                print("refused")
            print(sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]))
            print(len(open("/proc/net/route").readlines()) - 1)   # routes besides the header
        """)
    assert rc == 0, err
    assert out.splitlines() == ["refused", "['lo']", "0"], out


# --------------------------------------------------------------------------- limits


@level_param("bubblewrap", "unprivileged-user", "none")
def test_memory_bomb_dies_alone(level, job):
    rc, out, err = run(level, job, """
        import sys
        hog = []
        try:
            while True:
                hog.append(bytearray(64 << 20))
        except MemoryError:
            print("MemoryError at", len(hog) * 64, "MiB")
            sys.exit(3)
    """, limits=Limits(memory_bytes=512 << 20))
    assert rc != 0 and "MemoryError" in out + err, (rc, out, err)
    assert bytearray(1 << 20)  # the test process is fine


@level_param("bubblewrap", "unprivileged-user")
def test_fork_bomb_is_bounded_and_cleaned_up(level, job):
    # Bounded by itself too (300 forks), so a broken limit cannot take the machine down.
    python = PYTHONS[level]
    code = textwrap.dedent("""
        import os, sys, time
        made = 0
        for _ in range(300):
            try:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                made += 1
            except OSError:
                pass
        print(made, flush=True)
        time.sleep(60)
    """)
    proc = sandbox.start([python, "-c", code], workspace=job / "workspace", scratch=job / "scratch",
                         limits=Limits(processes=12), level=level, stdout=subprocess.PIPE)
    try:
        made = int(proc.stdout.readline())
        uid = proc.sandbox_launch.uid
        assert made < 12, made
        assert uid in sandbox._uids_running()
    finally:
        sandbox.stop(proc)
        proc.stdout.close()
    assert uid not in sandbox._uids_running()


@level_param("bubblewrap", "unprivileged-user")
@pytest.mark.parametrize("main_exits", [False, True], ids=["main-waits", "main-exits"])
def test_double_forked_daemon_is_gone_after_stop(level, job, main_exits):
    started, written = job / "scratch" / "daemon-started", job / "scratch" / "daemon-wrote"
    code = f"""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                open({str(started)!r}, "w").close()
                time.sleep(0.5)
                open({str(written)!r}, "w").write("still alive")
            os._exit(0)
        while not os.path.exists({str(started)!r}):
            time.sleep(0.01)
        print("daemon started", flush=True)
        if not {main_exits}:
            time.sleep(60)
    """
    proc = sandbox.start([PYTHONS[level], "-c", textwrap.dedent(code)], workspace=job / "workspace",
                         scratch=job / "scratch", limits=Limits(), level=level,
                         stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"daemon started"
        if main_exits:
            proc.wait(timeout=10)
    finally:
        sandbox.stop(proc)
        proc.stdout.close()
    assert proc.sandbox_launch.uid not in sandbox._uids_running()
    time.sleep(1.0)
    assert started.exists() and not written.exists()


@level_param("unprivileged-user")
def test_stop_finds_the_uid_of_a_process_not_started_by_start(level, job):
    """The notebook runner starts its kernel with Popen and `command()`'s Launch itself."""
    launch = sandbox.command([PYTHONS[level], "-c", textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            time.sleep(60)
        time.sleep(60)
    """)], workspace=job / "workspace", scratch=job / "scratch", level=level)
    proc = subprocess.Popen(launch.argv, env=launch.env, cwd=launch.cwd,
                            preexec_fn=launch.preexec(Limits()))
    deadline = time.monotonic() + 10
    while len(pids_of(launch.uid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    sandbox.stop(proc)
    assert launch.uid not in sandbox._uids_running()


def test_concurrent_launches_get_different_uids(job):
    if os.geteuid() != 0:
        pytest.skip("student uids need root")
    uids = {sandbox.command(["true"], workspace=job / "workspace", scratch=job / "scratch",
                            level="unprivileged-user").uid for _ in range(5)}
    assert len(uids) == 5 and uids <= set(sandbox.UID_POOL)


@level_param("bubblewrap", "unprivileged-user", "none")
def test_cpu_limit_kills_a_busy_loop(level, job):
    began = time.monotonic()
    rc, out, err = run(level, job, "while True: pass", limits=Limits(cpu_seconds=1))
    assert rc != 0
    assert time.monotonic() - began < 15


# --------------------------------------------------------------------------- what must work


@level_param("bubblewrap", "unprivileged-user")
def test_student_runs_as_an_unprivileged_uid(level, job):
    rc, out, err = run(level, job, "import os; print(os.getuid(), os.getgid(), os.getgroups())")
    assert rc == 0, err
    uid, gid, groups = out.split(maxsplit=2)
    assert int(uid) == int(gid) and int(uid) in sandbox.UID_POOL and groups.strip() == "[]"


@level_param("bubblewrap", "unprivileged-user", "none")
def test_numpy_and_matplotlib_work_inside(level, job):
    if PYTHONS[level] != sys.executable:
        pytest.skip(f"{sys.executable} cannot run as an unprivileged uid here")
    rc, out, err = run(level, job, """
        import os, numpy as np, matplotlib.pyplot as plt
        a = np.random.default_rng(0).standard_normal((200, 200))
        print(round(float(np.trace(a @ np.linalg.inv(a))), 6))
        fig, ax = plt.subplots(); ax.plot([1, 2]); fig.savefig(os.environ["HOME"] + "/plot.png")
    """, limits=Limits())
    assert (rc, out.strip()) == (0, "200.0"), err
    assert (job / "scratch" / "plot.png").stat().st_size > 0
    assert err == ""  # e.g. no fontconfig complaint


@level_param("bubblewrap", "unprivileged-user", "none")
def test_jupyter_kernel_runs_inside(level, job):
    if PYTHONS[level] != sys.executable:
        pytest.skip(f"{sys.executable} cannot run as an unprivileged uid here")
    from grader.notebooks.kernel import SandboxedKernelManager

    results = []

    async def run_in_kernel():
        km = SandboxedKernelManager(workspace=job / "workspace", scratch=job / "scratch",
                                    cwd=job / "workspace", limits=Limits(), level=level)
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            reply = await kc.execute_interactive(
                f"import os\nprint(os.getuid(), os.path.exists({str(SECRET)!r}))\n1+1",
                timeout=60, output_hook=lambda msg: results.append(msg["content"]))
            assert reply["content"]["status"] == "ok"
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    asyncio.run(run_in_kernel())
    assert {"data": {"text/plain": "2"}, "metadata": {}, "execution_count": 1} in results
    uid, visible = next(r["text"] for r in results if "text" in r).split()
    if level == "bubblewrap":
        assert int(uid) in sandbox.UID_POOL and visible == "False"
    assert int(uid) not in sandbox.UID_POOL or int(uid) not in sandbox._uids_running()
