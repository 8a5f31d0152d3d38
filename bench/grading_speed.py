"""Benchmark: how fast the grader grades, as ratios against baselines run in the same command.

    .venv/bin/python bench/grading_speed.py [--rounds N] [--notebook-rounds N] [--skip-notebooks]

  (1) one submission with its notebooks (`python -m grader grade submissions/reference
      --jobs 1`) against executing its four notebooks one after another with plain nbclient
      (no sandbox, no grader: python -m tools.try_notebooks).             target <= 0.70
  (2) eight submissions, functions only, at --jobs 1 (the whole command) against starting,
      running one cell in and stopping eight Jupyter kernels with nbclient.    target <= 0.75
  (3) the same eight at --jobs 2 against --jobs 1: the speed-up.
  (4) the same eight through a Dask cluster on this machine (a scheduler and two workers
      of one thread each on 127.0.0.1, started before the clock) against --jobs 2: throughput
      of the cluster relative to the local batch.

Baseline and candidate run one after the other in each round (for (1), in turn one first and
then the other); the figure is the median of the rounds' ratios, so a load that comes and goes
on a shared machine hits both sides alike.
Every figure is printed with the machine's load averages (os.getloadavg) when it was taken.
"""
import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.local_cluster import local_cluster  # noqa: E402

KERNELS = 8
EXAMPLES = ("reference", "classic_mistakes", "untouched_handout", "cs231n_layout.zip")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def timed(command: list) -> float:
    start = time.perf_counter()
    subprocess.run([str(c) for c in command], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def grade(sources: list, *flags) -> float:
    """The whole `python -m grader grade` command, into a fresh reports folder."""
    out = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    try:
        return timed([sys.executable, "-m", "grader", "grade", *sources, "--out", out,
                      "--seed", "1", *flags])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def eight_submissions(folder: Path) -> list[Path]:
    """The four examples twice, under eight names."""
    sources = []
    for copy in ("a", "b"):
        for name in EXAMPLES:
            source = ROOT / "submissions" / name
            target = folder / f"{copy}_{name}"
            (shutil.copytree if source.is_dir() else shutil.copyfile)(source, target)
            sources.append(target)
    return sources


def report(title: str, pairs: list[tuple[float, float]], what: tuple[str, str], target: str,
           invert: bool = False) -> None:
    """Print each round and the median ratio (candidate / baseline, or its inverse)."""
    ratios = [(b / c if invert else c / b) for b, c in pairs]
    print(f"{title}")
    for i, (baseline, candidate) in enumerate(pairs, 1):
        print(f"    round {i}: {what[0]} {baseline:6.2f} s, {what[1]} {candidate:6.2f} s, "
              f"ratio {ratios[i - 1]:.2f}")
    print(f"    => {statistics.median(ratios):.2f} (median of {len(pairs)}; {target}); "
          f"{load()}", flush=True)


def one_submission(rounds: int) -> None:
    def notebooks() -> float:
        return timed([sys.executable, "-m", "tools.try_notebooks"])

    def graded() -> float:
        return grade([ROOT / "submissions" / "reference"], "--jobs", "1")

    pairs = []
    for round_ in range(rounds):
        # Every other round the other side goes first: a drift in the load hits both alike.
        order = (notebooks, graded) if round_ % 2 == 0 else (graded, notebooks)
        seconds = {side: side() for side in order}
        pairs.append((seconds[notebooks], seconds[graded]))
    report("(1) one submission with its notebooks / its notebooks one after another (nbclient)",
           pairs, ("notebooks", "grading"), "target <= 0.70")


def bare_kernels(count: int) -> float:
    """Seconds to start, run one cell in and stop `count` kernels with nbclient, one by one."""
    code = f"""
import time, nbclient, nbformat
from nbformat.v4 import new_code_cell, new_notebook
start = time.perf_counter()
for _ in range({count}):
    nbclient.NotebookClient(new_notebook(cells=[new_code_cell("1 + 1")]),
                            kernel_name="python3").execute()
print(time.perf_counter() - start)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=tempfile.gettempdir(), check=True,
                          capture_output=True, text=True)
    return float(done.stdout.split()[-1])


def batches(rounds: int, cluster: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-subs-"))
    try:
        sources = eight_submissions(folder)
        floor, jobs1, jobs2, clustered = [], [], [], []
        with (local_cluster(workers=2, threads=1) if cluster else contextlib.nullcontext()) as dask:
            for _ in range(rounds):
                floor.append(bare_kernels(KERNELS))
                jobs1.append(grade(sources, "--functions-only", "--jobs", "1"))
                jobs2.append(grade(sources, "--functions-only", "--jobs", "2"))
                if dask is not None:
                    clustered.append(grade(sources, "--functions-only", "--cluster", dask.address))
        report(f"(2) {len(sources)} submissions, functions only, --jobs 1 / start, one cell, stop "
               f"of {KERNELS} bare kernels (nbclient)",
               list(zip(floor, jobs1)), ("kernels", "grading"), "target <= 0.75")
        report("(3) speed-up of --jobs 2 over --jobs 1 (same eight, functions only)",
               list(zip(jobs1, jobs2)), ("--jobs 1", "--jobs 2"), "x faster", invert=True)
        if clustered:
            report("(4) throughput of a local Dask cluster (2 workers x 1 thread) relative to "
                   "--jobs 2", list(zip(jobs2, clustered)), ("--jobs 2", "cluster"),
                   "above 1: the cluster is faster", invert=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of figures (2)-(4)")
    parser.add_argument("--notebook-rounds", type=int, default=3, help="rounds of figure (1)")
    parser.add_argument("--skip-notebooks", action="store_true", help="leave out figure (1)")
    parser.add_argument("--no-cluster", action="store_true", help="leave out figure (4)")
    args = parser.parse_args(argv)
    print(f"grading speed, {load()}", flush=True)
    batches(args.rounds, cluster=not args.no_cluster)
    if not args.skip_notebooks:
        one_submission(args.notebook_rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
