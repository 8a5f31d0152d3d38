"""Benchmark and same-results check for the hidden tests' own cost in the grading process.

    .venv/bin/python bench/hidden_tests_cost.py [--rounds N] [--profile NAME]
    .venv/bin/python bench/hidden_tests_cost.py --save results.json     (every submission)
    .venv/bin/python bench/hidden_tests_cost.py --compare results.json

Times run_hidden_tests (wall seconds and the grading process's CPU seconds, median of the
rounds) on the three example submissions, the student's child started and greeted before the
clock. --save writes every TestResult (passed, outcome, header, findings, notes, data without
its "seconds") of the examples and the tests/corpus entries, graded with one seed; --compare
grades them again and names every test whose result differs from the saved one: a change
meant only to make the grader faster must leave that list empty.
"""
import argparse
import cProfile
import dataclasses
import enum
import json
import math
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.feedback import load_catalogue  # noqa: E402
from grader.hidden_tests.catalogue import run_hidden_tests  # noqa: E402
from grader.hidden_tests.reference import load_reference  # noqa: E402
from grader.hidden_tests.student_process import StudentProcess  # noqa: E402
from grader.intake.submission import take_submission  # noqa: E402
from grader.intake.workspace import build_workspace, pristine_notebooks  # noqa: E402
from grader.isolation.sandbox import detect_level  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402

EXAMPLES = {name: ROOT / "submissions" / name
            for name in ("reference", "classic_mistakes", "untouched_handout")}
CORPUS = {"corpus/" + p.name: p / "submission"
          for p in sorted((ROOT / "tests" / "corpus").iterdir()) if (p / "expected.toml").is_file()}
SEED = 20240607


def graded(source: Path, run, rounds: int = 1):
    """[run(student, rubric, reference)] for `rounds` runs on one started child."""
    rubric = load_rubric()
    load_catalogue()        # (the grader's workers read it before any submission)
    with tempfile.TemporaryDirectory(prefix="hidden-cost-") as tmp:
        job = Path(tmp)
        intake = take_submission(source, job, [p.name for p in pristine_notebooks()])
        workspace = build_workspace(intake, job)
        with StudentProcess(workspace.root, workspace.scratch_for("child"),
                            rubric.hidden_test_limits, level=detect_level()) as student:
            student.import_errors   # noqa: B018 (starts the child, waits for its greeting)
            return [run(student, rubric, load_reference()) for _ in range(rounds)]


def timing(student, rubric, reference):
    wall, cpu = time.perf_counter(), time.process_time()
    run_hidden_tests(student, 1, rubric, reference=reference)
    return time.perf_counter() - wall, time.process_time() - cpu


def plain(value):
    """A JSON-comparable form of a result's values (NaN as a string, enums by value)."""
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def results_of(student, rubric, reference) -> list:
    before = np.random.get_state()
    tests = run_hidden_tests(student, SEED, rubric, reference=reference)
    after = np.random.get_state()
    if not all(np.array_equal(a, b) for a, b in zip(before, after)):
        raise AssertionError("the hidden tests left NumPy's global generator changed")
    return [{"name": t.name, "passed": t.passed, "outcome": t.outcome.value, "header": t.header,
             "findings": plain(t.findings), "notes": t.notes,
             "data": plain({k: v for k, v in t.data.items() if k != "seconds"})} for t in tests]


def all_results() -> dict:
    return {name: graded(source, results_of)[0] for name, source in {**EXAMPLES, **CORPUS}.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=sorted(EXAMPLES))
    parser.add_argument("--save")
    parser.add_argument("--compare")
    options = parser.parse_args()
    if options.save:
        Path(options.save).write_text(json.dumps(all_results(), indent=1))
        return
    if options.compare:
        saved, now = json.loads(Path(options.compare).read_text()), all_results()
        differing = [f"{name}: {a['name']}" for name in saved
                     for a, b in zip(saved[name], now[name]) if a != b]
        differing += [name for name in saved if len(saved[name]) != len(now[name])]
        print("\n".join(differing) or "every result is the same (%d submissions, %d tests)" % (
            len(saved), sum(len(v) for v in saved.values())))
        sys.exit(1 if differing else 0)
    if options.profile:
        def profiled(student, rubric, reference):
            profile = cProfile.Profile()
            profile.runcall(run_hidden_tests, student, 1, rubric, reference=reference)
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        graded(EXAMPLES[options.profile], profiled)
        return
    for name, source in EXAMPLES.items():
        runs = graded(source, timing, options.rounds)
        print("%-18s run_hidden_tests %.3f s, grading process CPU %.3f s (median of %d)" % (
            name, statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs),
            len(runs)))


if __name__ == "__main__":
    main()
