"""--cluster: a real `dask scheduler` and two `dask worker` processes on 127.0.0.1 (started once
for this module, stopped at its end) grade the example submissions, notebooks off for speed:
the same reports as a local run, resume and --force as locally, nothing lost when a worker is
killed mid-batch, and a task needs nothing of the batch's file system."""
import json
import os
import shutil
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader import cluster
from tests.support import ROOT, overridden, run_grader, sandbox_level, submission, write_rubric
from tools.local_cluster import local_cluster, start_worker, wait_for_workers

pytestmark = pytest.mark.skipif(sandbox_level() == "none", reason="no sandbox on this machine")


@pytest.fixture(scope="module")
def dask_cluster():
    with local_cluster(workers=2, threads=1) as started:
        yield started


@pytest.fixture(scope="module")
def rubric(tmp_path_factory):
    return write_rubric(tmp_path_factory.mktemp("rubric") / "rubric.toml")


SLOW_RELU = overridden("layers.py", """
    def relu_forward(x):
        import time
        time.sleep(0.02)
        return np.maximum(x, 0), x
    """)


def comparable(out: Path) -> dict:
    """Every report under `out` without what differs from run to run (times)."""
    reports = {}
    for path in sorted(out.glob("*/results.json")):
        data = json.loads(path.read_text())
        reports[path.parent.name] = (data["score"], data["extra_data"].get("error"),
                                     [(t["name"], t["score"], t["status"], t["output"])
                                      for t in data["tests"]])
    return reports


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, through /proc/PID/task/TID/children: it reads only this tree
    (scanning every /proc/N/stat can block on a process in the middle of starting up)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            threads = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:
            continue
        for thread in threads:
            try:
                kids = [int(k) for k in (thread / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return [p for p in found if alive(p)]


def test_the_cluster_grades_as_a_local_run_and_resumes_as_one(dask_cluster, rubric, tmp_path):
    on_cluster, local = tmp_path / "cluster", tmp_path / "local"
    common = ["grade", "--each", ROOT / "submissions", "--seed", 9, "--rubric", rubric]
    # The local run goes on beside the cluster's (each waits on its own workers much of the time).
    with ThreadPoolExecutor(1) as beside:
        local_run = beside.submit(run_grader, [*common, "--out", local, "--jobs", 1], timeout=300)
        done = run_grader([*common, "--out", on_cluster, "--cluster", dask_cluster.address],
                          timeout=300)
        local_run.result()
    assert len(comparable(on_cluster)) == 4
    assert comparable(on_cluster) == comparable(local)
    for name in ("gradebook.csv", "summary.png"):
        assert (on_cluster / name).is_file()
    assert "cs231n_layout: 80 / 80" in done.stdout
    assert sorted(p.name for p in (on_cluster / ".models").iterdir()) == sorted(
        p.name for p in (local / ".models").iterdir())

    again = run_grader([*common, "--out", on_cluster, "--cluster", dask_cluster.address])
    assert "4 report(s) are current and were kept" in again.stdout
    stamp = (on_cluster / "reference" / "results.json").stat().st_mtime_ns
    forced = run_grader(["grade", ROOT / "submissions" / "reference", "--seed", 9, "--rubric",
                         rubric, "--out", on_cluster, "--cluster", dask_cluster.address,
                         "--force"], timeout=300)           # one current report is enough
    assert "current" not in forced.stdout
    assert (on_cluster / "reference" / "results.json").stat().st_mtime_ns != stamp
    assert comparable(on_cluster) == comparable(local)


def test_a_worker_killed_mid_batch_loses_nothing(dask_cluster, rubric, tmp_path):
    start_worker(dask_cluster, "spare")                 # so that two stay whichever is killed
    wait_for_workers(dask_cluster, 3)
    names = [f"student{i}" for i in range(4)]
    for name in names:   # student0 is right but slow: some worker is surely grading it
        submission(tmp_path / "subs" / name, {"layers.py": SLOW_RELU} if name == "student0" else {})
    out = tmp_path / "reports"
    killed = []

    def kill_a_worker_once_it_grades():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for pid in dask_cluster.worker_pids():
                if len(descendants(pid)) >= 2:          # its grader worker and a grading child
                    killed.extend(descendants(pid))
                    os.kill(pid, signal.SIGKILL)
                    return
            time.sleep(0.02)

    watcher = threading.Thread(target=kill_a_worker_once_it_grades, daemon=True)
    watcher.start()
    done = run_grader(["grade", "--each", tmp_path / "subs", "--out", out, "--seed", 9,
                       "--rubric", rubric, "--cluster", dask_cluster.address], timeout=300)
    watcher.join(timeout=10)
    assert killed, "no worker was seen grading"
    reports = comparable(out)
    assert sorted(reports) == names and not any(error for _, error, _ in reports.values())
    for name in names[1:]:   # (student0's score depends on how its sleeps meet the time limits)
        assert f"{name}: 80 / 80" in done.stdout
    deadline = time.monotonic() + 30                    # the killed worker's grader went too
    while any(map(alive, killed)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in killed if alive(pid)]


def test_a_task_carries_the_submission_and_returns_the_reports_as_data(rubric, tmp_path):
    source = submission(tmp_path / "subs" / "carol")
    payload = dict(submission=cluster.pack_submission(source), seed=9, fingerprint="fp",
                   rubric=rubric.read_text(), timeout=300, functions_only=False,
                   grader=cluster.grader_digest())
    shutil.rmtree(source)                               # the worker sees none of it
    try:
        reply = cluster.grade_task(payload)
    finally:
        cluster.close_workers()
    assert reply["reason"] is None
    assert {"results.json", "report.md", "report.html"} <= set(reply["files"])
    out = tmp_path / "reports"
    result = cluster.store_reply(reply, out, "carol", 9, "fp")
    assert result.name == "carol" and result.score == result.max_score > 0 and not result.error
    assert json.loads((out / "carol" / "results.json").read_text())["score"] == result.score

    stale = dict(payload, grader="another version")
    assert "another version of the grader" in cluster.grade_task(stale)["reason"]
    failed = cluster.store_reply(cluster.grade_task(stale), out, "carol", 9, "fp")
    assert failed.error and failed.score == 0


def test_the_grader_digest_is_hashed_again_only_when_a_file_changed(tmp_path, monkeypatch):
    from grader import batch
    (tmp_path / "grader").mkdir()
    code = tmp_path / "grader" / "a.py"
    code.write_text("x = 1\n")
    monkeypatch.setattr(cluster, "ROOT", tmp_path)
    monkeypatch.setattr(cluster, "_digests", {})
    hashed = []
    real = batch._hash_tree
    monkeypatch.setattr(batch, "_hash_tree", lambda *a: hashed.append(a) or real(*a))
    first = cluster.grader_digest()
    assert cluster.grader_digest() == first and len(hashed) == 1
    code.write_text("x = 2\n")                          # same size, another content
    os.utime(code, ns=(1, 1))                           # whatever the clock's resolution
    assert cluster.grader_digest() != first
    (tmp_path / "grader" / "b.py").write_text("")       # a file added
    third = len(hashed)
    cluster.grader_digest()
    assert len(hashed) > third
