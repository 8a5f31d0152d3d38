"""Benchmark: what naming the mistakes (grader/feedback) adds to grading one submission.

Runs the hidden tests on the shipped `classic_mistakes` example and on the untouched handout,
alternately with and without the diagnosis, in the same command, and prints the median time of
each and their ratio, and the time spent inside the diagnosis itself (measured around each
call, so it holds on a busy machine too). The target: well under a second per submission.

    .venv/bin/python bench/diagnosis_cost.py [--rounds N]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.hidden_tests import checks, harness  # noqa: E402
from grader.hidden_tests.catalogue import run_hidden_tests  # noqa: E402
from grader.hidden_tests.student_process import StudentProcess  # noqa: E402
from grader.isolation.sandbox import Limits, detect_level  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402
from tests.support import make_workspace  # noqa: E402

SUBMISSIONS = {"classic_mistakes": ROOT / "submissions" / "classic_mistakes", "untouched": None}


LEVEL = detect_level()   # once, as the grader's command line does
INSIDE = []   # seconds spent in each diagnosis call


def timed(function):
    def call(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            INSIDE.append(time.perf_counter() - start)
    return call


def grade_once(workspace: Path, scratch: Path, rubric, diagnose: bool) -> tuple[float, float, int]:
    """(seconds for the catalogue, seconds inside the diagnosis, tests diagnosed)."""
    def nothing(*args, **kwargs):
        return None
    patches = [mock.patch.object(checks, "diagnose", timed(checks.diagnose) if diagnose else nothing),
               mock.patch.object(harness, "diagnose_error",
                                 timed(harness.diagnose_error) if diagnose else nothing)]
    INSIDE.clear()
    with patches[0], patches[1], mock.patch.object(checks.stored, "to_data", checks.stored.to_data
                                                   if diagnose else (lambda d: None)):
        start = time.perf_counter()
        with StudentProcess(workspace, scratch, Limits(), level=LEVEL) as student:
            tests = run_hidden_tests(student, 7, rubric)
        total = time.perf_counter() - start
    return total, sum(INSIDE), sum(bool(t.data.get("diagnosis")) for t in tests)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rubric = load_rubric()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for name, folder in SUBMISSIONS.items():
        with tempfile.TemporaryDirectory() as tmp:
            files = ({p.name: p.read_text() for p in folder.glob("*.py")} if folder else None)
            workspace = make_workspace(Path(tmp), files, solutions=folder is not None)
            times = {True: [], False: []}
            inside, diagnosed = [], 0
            for _ in range(args.rounds):
                for diagnose in (False, True):
                    scratch = Path(tempfile.mkdtemp(dir=tmp))
                    seconds, spent, count = grade_once(workspace, scratch, rubric, diagnose)
                    times[diagnose].append(seconds)
                    if diagnose:
                        inside.append(spent)
                        diagnosed = count
            a, b = statistics.median(times[False]), statistics.median(times[True])
            print(f"{name}: hidden tests {a:.2f} s without the diagnosis, {b:.2f} s with it "
                  f"(ratio {b / a:.2f}); {diagnosed} tests diagnosed in "
                  f"{statistics.median(inside) * 1000:.0f} ms per submission")
    return 0


if __name__ == "__main__":
    sys.exit(main())
