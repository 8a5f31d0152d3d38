"""grader/isolation/sandbox.py: what a hostile student process can and cannot do, at each isolation level
this machine offers (a level that cannot run here is skipped, with the reason)."""
from __future__ import annotations

import asyncio
import errno
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
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
    return [pid for pid in os.listdir("/proc") if pid.isdigit() and sandbox.uid_of(pid) == uid]


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


def test_isolation_level_is_detected_and_warned_about():
    level = sandbox.detect_level()
    assert level in sandbox.LEVELS
    assert "WARNING" in sandbox.isolation_warning("none")
    if os.geteuid() == 0:
        assert sandbox.isolation_warning("bubblewrap") is None
    if PYTHONS["bubblewrap"] == sys.executable:
        assert level == "bubblewrap"


def test_nothing_runs_between_fork_and_exec_in_the_threaded_grader(job, monkeypatch):
    """preexec_fn (and a bare os.fork) is unsafe in a process with threads, and the grader
    launches students from threads: uid, session, limits and parent-death signal are set by
    subprocess's own arguments and by prlimit/setpriv. Launched here from threads at every
    level this machine has, stopped (which kills the uid's processes as root)."""
    popen_init = subprocess.Popen.__init__
    preexec = []

    def spy(self, *args, **kwargs):
        preexec.append(kwargs.get("preexec_fn"))
        return popen_init(self, *args, **kwargs)

    def no_fork():
        raise AssertionError("os.fork() called in the grader")

    monkeypatch.setattr(subprocess.Popen, "__init__", spy)
    monkeypatch.setattr(os, "fork", no_fork)
    levels = [level for level, python in PYTHONS.items() if python is not None]
    codes = {}

    def launch(level):
        scratch = job / f"scratch-{level}"
        scratch.mkdir()
        proc = sandbox.start([PYTHONS[level], "-c", "import resource; print(resource.getrlimit("
                              "resource.RLIMIT_CPU)[0])"], workspace=job / "workspace",
                             scratch=scratch, limits=Limits(cpu_seconds=17), level=level,
                             stdout=subprocess.PIPE)
        try:
            codes[level] = (proc.wait(timeout=60), proc.stdout.read().strip())
        finally:
            sandbox.stop(proc)
            proc.stdout.close()

    threads = [threading.Thread(target=launch, args=(level,)) for level in levels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert codes == {level: (0, b"17") for level in levels}
    assert preexec and all(fn is None for fn in preexec)
    # The kernel launch and the batch's workers too: no module of the grader uses it.
    users = [str(p.relative_to(REPO)) for p in (REPO / "grader").rglob("*.py")
             if "preexec_fn" in p.read_text()]
    assert users == []


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
        if os.environ["HOME"] != {str(job / 'scratch')!r}:
            targets.append({str(job / 'scratch' / 'planted')!r})
        for path in targets:
            try:
                open(path, "a").write("x")
                print("WROTE", path)
            except OSError:
                pass
        open(os.path.join(os.environ["HOME"], "ok.txt"), "w").write("fine")
        print(open(os.path.join(os.environ["HOME"], "ok.txt")).read())
    """)
    assert (rc, out.strip()) == (0, "fine"), out + err
    # Under bubblewrap HOME is the sandbox's private tmpfs, and the process's folder on the
    # host (where the grader puts what it needs) is read-only to it.
    assert (job / "scratch" / "ok.txt").exists() == (level != "bubblewrap")
    assert not (job / "outside.txt").exists() and not (REPO / "planted.py").exists()
    assert "pass\n" in (job / "workspace" / "assignment" / "layers.py").read_text()


# Writes 2 GiB (in 8 MiB files: RLIMIT_FSIZE stays out of it) and 100,000 files, stopping at
# the first refusal; prints what it managed and the errno that stopped it.
FILL_SCRATCH = """
    import os
    home, chunk = os.environ["HOME"], b"x" * (8 << 20)
    written = made = 0
    try:
        for i in range(256):
            with open(os.path.join(home, f"big{i}"), "wb") as f:
                f.write(chunk)
            written += len(chunk)
    except OSError as e:
        bytes_errno = e.errno
    for i in range(256):
        if os.path.exists(os.path.join(home, f"big{i}")):
            os.remove(os.path.join(home, f"big{i}"))
    try:
        for i in range(100_000):
            open(os.path.join(home, f"f{i}"), "w").close()
            made += 1
    except OSError as e:
        files_errno = e.errno
    print(written, bytes_errno, made, files_errno)
"""


@level_param("bubblewrap")
def test_scratch_is_private_and_bounded_in_bytes_and_files(level, job):
    """One student's writes fill its own tmpfs only (ENOSPC, errno 28), never the host's disk,
    and vanish with the sandbox."""
    limits = Limits(cpu_seconds=60, scratch_bytes=32 << 20, scratch_files=2000)
    rc, out, err = run(level, job, FILL_SCRATCH, limits=limits, timeout=120)
    assert rc == 0, err
    written, bytes_errno, made, files_errno = map(int, out.split())
    assert bytes_errno == errno.ENOSPC and written <= 32 << 20
    if os.geteuid() == 0:   # the file limit needs root (see bubblewrap.py)
        assert files_errno == errno.ENOSPC and made <= 2000
    assert list((job / "scratch").iterdir()) == []


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
                             limits=Limits(), level="unprivileged-user")
    assert launch.uid in sandbox.UID_POOL
    assert (secret.stat().st_mode & 0o777, secret.stat().st_uid) == (0o600, 0)
    assert (job / "scratch").stat().st_uid == launch.uid


def test_cwd_must_be_inside_the_sandbox(job):
    with pytest.raises(ValueError):
        sandbox.command(["true"], workspace=job / "workspace", scratch=job / "scratch",
                        limits=Limits(), cwd=REPO, level="none")


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
        assert uid in sandbox.uids_running()
    finally:
        sandbox.stop(proc)
        proc.stdout.close()
    assert uid not in sandbox.uids_running()


@level_param("bubblewrap", "unprivileged-user")
@pytest.mark.parametrize("main_exits", [False, True], ids=["main-waits", "main-exits"])
def test_double_forked_daemon_is_gone_after_stop(level, job, main_exits):
    # The daemon holds the stdout pipe: the pipe ends (EOF) only once every process that
    # could still write to it is gone, and a surviving daemon would say so.
    code = f"""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                print("daemon started", flush=True)
                time.sleep(0.5)
                print("still alive", flush=True)
            os._exit(0)
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
    rest, deadline = b"", time.monotonic() + 3
    while time.monotonic() < deadline:
        if select.select([proc.stdout], [], [], 0.1)[0]:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            rest += chunk
    else:
        pytest.fail("a process of the sandbox still holds its stdout")
    proc.stdout.close()
    assert rest == b""
    assert proc.sandbox_launch.uid not in sandbox.uids_running()


@level_param("unprivileged-user")
def test_stop_finds_the_uid_of_a_process_not_started_by_start(level, job):
    """The notebook runner starts its kernel with Popen and `command()`'s Launch itself."""
    launch = sandbox.command([PYTHONS[level], "-c", textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            time.sleep(60)
        time.sleep(60)
    """)], workspace=job / "workspace", scratch=job / "scratch", limits=Limits(), level=level)
    proc = subprocess.Popen(launch.argv, env=launch.env, cwd=launch.cwd, **launch.popen_options)
    deadline = time.monotonic() + 10
    while len(pids_of(launch.uid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    sandbox.stop(proc)
    assert launch.uid not in sandbox.uids_running()


def test_concurrent_launches_get_different_uids(job):
    if os.geteuid() != 0:
        pytest.skip("student uids need root")
    uids = {sandbox.command(["true"], workspace=job / "workspace", scratch=job / "scratch",
                            limits=Limits(), level="unprivileged-user").uid for _ in range(5)}
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
        print(os.path.getsize(os.environ["HOME"] + "/plot.png") > 0)
    """, limits=Limits())
    assert (rc, out.split()) == (0, ["200.0", "True"]), err
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
    assert int(uid) not in sandbox.UID_POOL or int(uid) not in sandbox.uids_running()


def test_descendants_walks_the_tree_as_a_scan_of_every_process_finds_it():
    from grader.isolation import processes
    code = ("import os, time\n"
            "for _ in range(2):\n"
            "    if os.fork() == 0:\n"
            "        if os.fork() == 0:\n"
            "            time.sleep(60)\n"
            "        time.sleep(60)\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 10
        while len(processes._descendants_by_scan(proc.pid)) < 4:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert sorted(processes.descendants(proc.pid)) == sorted(
            processes._descendants_by_scan(proc.pid))
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
        proc.stdout.close()


@level_param("bubblewrap")
def test_stop_in_bubblewrap_ends_every_process_without_scanning_the_machine(level, job,
                                                                           monkeypatch):
    """The namespace's init dies with its tree, and every process inside with it: stop() needs
    neither a scan of every process's uid nor of every process's parent."""
    from grader.isolation import processes
    code = textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                print("daemon started", flush=True)
                time.sleep(0.5)
                print("still alive", flush=True)
                time.sleep(60)
            os._exit(0)
        time.sleep(60)
    """)
    proc = sandbox.start([PYTHONS[level], "-c", code], workspace=job / "workspace",
                         scratch=job / "scratch", limits=Limits(), level=level,
                         stdout=subprocess.PIPE)
    uid = proc.sandbox_launch.uid
    try:
        assert proc.stdout.readline().strip() == b"daemon started"

        def scan(*_):
            raise AssertionError("stop() scanned every process")
        with monkeypatch.context() as patch:
            patch.setattr(processes, "uids_running", scan)
            patch.setattr(processes, "_descendants_by_scan", scan)
            sandbox.stop(proc)
    finally:
        sandbox.stop(proc)
    assert proc.stdout.read() == b""   # no process inside holds the pipe any more
    proc.stdout.close()
    assert uid is None or uid not in sandbox.uids_running()
