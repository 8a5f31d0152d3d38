"""The hidden tests: the student's functions against the reference on inputs they never saw.

    results = run_hidden_tests(student, seed, rubric)   # -> list[TestResult]

`student` is a StudentProcess (the student's code runs there, never here); the reference
runs in this process (grader.reference.load_reference) on copies of the same inputs, and
every comparison happens here. CATALOGUE lists the tests in a fixed order, family by family;
test i draws its inputs from np.random.default_rng([seed, i]), so a run is reproducible
from its seed and each test is independent of the others. Points, tolerances, time limits
and visibility come from the rubric's [defaults] and [groups.<group>] tables.
"""
from __future__ import annotations

import time
import traceback
from collections import Counter

import numpy as np

from grader.hidden_tests import dropout, layers, network, normalization, optimizers
from grader.hidden_tests.checks import Outcome
from grader.hidden_tests.harness import HiddenTest
from grader.reference import load_reference
from grader.results import TestResult

CATALOGUE: list[HiddenTest] = (layers.TESTS + normalization.TESTS + dropout.TESTS
                               + network.TESTS + optimizers.TESTS)

DECIMALS = 4                            # points are kept to 4 decimals, as in results.json

# Used where the rubric's [defaults] says nothing.
BUILTIN_SETTINGS = {
    "tolerance": 1e-7,                  # CS231n relative error against the reference
    "numeric_tolerance": 1e-5,          # against numerical gradients (norm-based)
    "timeout": 10.0,                    # seconds for one test
    "visibility": "visible",
    "consistent_backward_credit": 0.5,  # fraction for a backward right for a wrong forward
}


def run_hidden_tests(student, seed: int, rubric: dict) -> list[TestResult]:
    """Run the whole catalogue against `student`; one TestResult per test, in order."""
    groups = rubric.get("groups", {})
    missing = sorted({t.group for t in CATALOGUE} - set(groups))
    if missing:
        raise ValueError("the rubric has no [groups.%s] table" % "], [groups.".join(missing))
    reference = load_reference()
    counts = Counter(test.group for test in CATALOGUE)
    shares = {group: split_points(float(groups[group].get("points", 0)), count)
              for group, count in counts.items()}
    results = []
    for index, test in enumerate(CATALOGUE):
        settings = {**BUILTIN_SETTINGS, **rubric.get("defaults", {}), **groups[test.group]}
        max_score = shares[test.group].pop(0)
        started = time.monotonic()
        settings["deadline"] = started + float(settings["timeout"])
        settings["child_seed"] = int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
        outcome = run_one(test, student, np.random.default_rng([seed, index]), reference, settings)
        fraction = 1.0 if outcome.passed else min(max(outcome.partial, 0.0), 1.0)
        results.append(TestResult(
            function=test.function, what=test.what, group=test.group,
            max_score=max_score, passed=outcome.passed,
            score=round(max_score * fraction, DECIMALS), output=outcome.output,
            visibility=settings["visibility"],
            details={**outcome.details, "seed": seed, "test_index": index,
                     "seconds": round(time.monotonic() - started, 3)}))
    return results


def split_points(points: float, count: int) -> list[float]:
    """`count` shares of `points` with DECIMALS decimals that add up to `points` exactly,
    in ascending order (10 points over 9 tests: eight of 1.1111, then one of 1.1112)."""
    unit = 10 ** DECIMALS
    base, extra = divmod(round(points * unit), count)
    return [(base + (i >= count - extra)) / unit for i in range(count)]


def run_one(test: HiddenTest, student, rng, reference, settings) -> Outcome:
    """A test that breaks in the grader (a value nobody anticipated) fails with a note
    instead of stopping the run."""
    try:
        return test.run(student, rng, reference, settings)
    except Exception as exc:
        return Outcome(False, "The grader could not finish this test (%s: %s). This is a grader "
                       "problem: please report it with this output." % (type(exc).__name__, exc),
                       details={"grader_error": traceback.format_exc(limit=-4)})
