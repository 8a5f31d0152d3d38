"""Benchmark: the cost of grading on top of running the notebooks.

Times, in the same command,
  A. merely executing the handout notebooks against the reference solutions with nbclient
     (no sandbox, no grader: the baseline), and
  B. grading the reference submission end to end (`python -m grader grade`: intake, workspace,
     sandboxed notebooks, hidden tests, reports),
and prints both and the ratio B / A. The target is B / A <= 1.25.

    .venv/bin/python bench/grading_overhead.py [--rounds N]
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.try_notebooks import main as execute_notebooks  # noqa: E402


def time_notebooks() -> float:
    start = time.perf_counter()
    if execute_notebooks([]) != 0:
        raise SystemExit("a notebook failed against the reference solutions")
    return time.perf_counter() - start


def time_grading() -> float:
    out = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "grade", str(ROOT / "submissions" / "reference"),
                    "--out", str(out), "--seed", "1", "--force"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    pairs = []
    for round_ in range(args.rounds):
        baseline = time_notebooks()
        graded = time_grading()
        pairs.append((baseline, graded))
        print(f"round {round_ + 1}: notebooks only {baseline:.1f} s, full grading {graded:.1f} s, "
              f"ratio {graded / baseline:.2f}")
    baseline = min(p[0] for p in pairs)
    graded = min(p[1] for p in pairs)
    print(f"best of {args.rounds}: notebooks only {baseline:.1f} s; grading {graded:.1f} s; "
          f"ratio {graded / baseline:.2f} (target <= 1.25)")


if __name__ == "__main__":
    main()
