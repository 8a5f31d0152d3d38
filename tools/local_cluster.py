"""A Dask cluster on this machine's loopback interface, to try `--cluster` without one.

    python -m tools.local_cluster [--workers 2] [--threads 1]    # prints the address; Ctrl-C stops

Starts `dask scheduler` and `dask worker` processes bound to 127.0.0.1 only, from this
repository (so the workers import this grader). The tests and benchmarks use
`local_cluster()`, which stops every process it started when the block ends. Should the
process that started them die instead, the scheduler stops after IDLE_TIMEOUT without work
and the workers after DEATH_TIMEOUT without a scheduler.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_SECONDS = 60          # for the scheduler and each worker to come up
IDLE_TIMEOUT = "300s"       # a scheduler left behind stops by itself
DEATH_TIMEOUT = "30s"       # so does a worker without a scheduler


@dataclass
class LocalCluster:
    address: str
    folder: Path
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self.workers if w.poll() is None]


def _dask(*args: str, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_worker(cluster: LocalCluster, name: str, threads: int = 1) -> subprocess.Popen:
    """One more worker process (no nanny: killing it kills the worker)."""
    worker = _dask("worker", cluster.address, "--host", HOST, "--name", name,
                   "--nthreads", str(threads), "--no-nanny", "--no-dashboard",
                   "--death-timeout", DEATH_TIMEOUT,
                   "--local-directory", str(cluster.folder / name),
                   log=cluster.folder / f"{name}.log")
    cluster.workers.append(worker)
    return worker


@contextlib.contextmanager
def local_cluster(workers: int = 2, threads: int = 1):
    """A scheduler and `workers` workers on 127.0.0.1, all stopped when the block ends."""
    folder = Path(tempfile.mkdtemp(prefix="local-dask-"))
    address_file = folder / "scheduler.json"
    scheduler = _dask("scheduler", "--host", HOST, "--port", "0", "--no-dashboard",
                      "--idle-timeout", IDLE_TIMEOUT, "--scheduler-file", str(address_file),
                      log=folder / "scheduler.log")
    cluster = LocalCluster(address="", folder=folder, scheduler=scheduler)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not address_file.exists() or not address_file.read_text().strip():
            if scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Dask scheduler did not start:\n"
                                   + (folder / "scheduler.log").read_text()[-2000:])
            time.sleep(0.1)
        time.sleep(0.1)   # the file is written whole, but give the writer its moment
        cluster.address = json.loads(address_file.read_text())["address"]
        for i in range(workers):
            start_worker(cluster, f"worker{i + 1}", threads)
        wait_for_workers(cluster, workers)
        yield cluster
    finally:
        for proc in [*cluster.workers, scheduler]:
            _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


def wait_for_workers(cluster: LocalCluster, count: int, timeout: float = START_SECONDS) -> None:
    from distributed import Client
    with Client(cluster.address, timeout="30s") as client:
        client.wait_for_workers(count, timeout=timeout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="submissions per worker at once")
    args = parser.parse_args(argv)
    with local_cluster(args.workers, args.threads) as cluster:
        print(f"scheduler at {cluster.address} with {args.workers} worker(s); Ctrl-C stops.")
        print(f"    python -m grader grade --each submissions --out reports "
              f"--cluster {cluster.address}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while all(w.poll() is None for w in cluster.workers):
                time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
