"""The hidden tests: the student's functions against the reference on inputs they never saw.

    results = run_hidden_tests(student, seed, rubric)   # -> list[TestResult], not yet scored

`student` is a StudentProcess (the student's code runs there, never here); the reference
runs in this process (grader.hidden_tests.reference) on copies of the same inputs, and every
comparison happens here. CATALOGUE lists the tests in a fixed order, family by family (one
module per family, each test one decorated function); test i draws its inputs from
np.random.default_rng([seed, i]), so a run is reproducible from its seed and each test is
independent of the others. Tolerances, time limits and visibility come from the rubric's
group of the test; points are given by grader/scoring.py.
"""
from __future__ import annotations

import dataclasses
import time
import traceback
from dataclasses import dataclass

import numpy as np

from grader.hidden_tests import dropout, layers, network, normalization, optimizers
from grader.hidden_tests.checks import found, singleton_difference
from grader.hidden_tests.harness import HiddenTest, StudentCallFailed
from grader.hidden_tests.reference import load_reference
from grader.results import Outcome, TestResult, Verdict
from grader.rubric import Rubric

FAMILIES = (layers, normalization, dropout, network, optimizers)


def entries(family) -> list[HiddenTest]:
    """A family module's tests in source order: its HiddenTest attributes, and the members of
    its tuples of HiddenTests (tests made in a loop)."""
    found = []
    for value in vars(family).values():
        if isinstance(value, HiddenTest):
            found.append(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, HiddenTest) for v in value):
            found.extend(value)
    return found


CATALOGUE: tuple[HiddenTest, ...] = tuple(test for family in FAMILIES for test in entries(family))
GRADED_FUNCTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.function for t in CATALOGUE))
# {graded function: its family, the module its tests live in} ("batchnorm_forward": "normalization")
FAMILY_OF: dict[str, str] = {test.function: family.__name__.rsplit(".", 1)[-1]
                             for family in FAMILIES for test in entries(family)}


@dataclass(frozen=True)
class TestContext:
    """What one test may know besides its inputs: tolerances from its rubric group, the
    moment its time is up, and the seed for the student's global generators."""

    __test__ = False

    tolerance: float
    numeric_tolerance: float
    deadline: float            # time.monotonic() value
    child_seed: int


def run_hidden_tests(student, seed: int, rubric: Rubric, reference=None, *,
                     deadline: float | None = None, results: list | None = None) -> list[TestResult]:
    """Run the whole catalogue against `student`; one TestResult per test, in order, appended
    to `results` (when given) as each finishes. At `deadline` (time.monotonic(): the whole
    submission's) the test running is stopped and the rest are not run (Outcome.NOT_RUN)."""
    missing = sorted({t.group for t in CATALOGUE} - set(rubric.groups))
    if missing:
        raise ValueError("the rubric has no [groups.%s] table" % "], [groups.".join(missing))
    reference = reference or load_reference()
    results = [] if results is None else results
    for index, test in enumerate(CATALOGUE):
        group = rubric.groups[test.group]
        started = time.monotonic()
        own = started + float(group.timeout)
        cut = deadline is not None and deadline < own
        context = TestContext(
            tolerance=group.tolerance, numeric_tolerance=group.numeric_tolerance,
            deadline=min(own, deadline) if cut else own,
            child_seed=int(np.random.SeedSequence([seed, index]).generate_state(1)[0]))
        if cut and started >= deadline:
            result = found(False, Outcome.NOT_RUN, not_run="before")
        else:
            result = run_one(test, student, np.random.default_rng([seed, index]), reference,
                             context)
            if cut and not result.passed and time.monotonic() >= deadline:
                # The submission's time ran out, not (or not only) this test's: say so.
                result = found(False, Outcome.NOT_RUN, not_run="during")
            elif group.shapes == "strict":
                result = strict_shapes(result)
        results.append(_named(result, index, rubric, seed, round(time.monotonic() - started, 3)))
    return results


def not_run(index: int, rubric: Rubric, seed: int, grader_error: str | None = None) -> TestResult:
    """Test `index` as it stands when its stage ended before it: not run (time ran out), or a
    grader error. Every test is always listed: a group's points are shared by all its tests."""
    result = found(False, Outcome.GRADER_ERROR, notes=[grader_error]) if grader_error else \
        found(False, Outcome.NOT_RUN, not_run="before")
    return _named(result, index, rubric, seed, 0.0)


def _named(result: TestResult, index: int, rubric: Rubric, seed: int, seconds: float) -> TestResult:
    test = CATALOGUE[index]
    return dataclasses.replace(
        result, function=test.function, what=test.what, group=test.group,
        visibility=rubric.groups[test.group].visibility,
        data={**result.data, "seed": seed, "test_index": index, "seconds": seconds})


def run_one(test: HiddenTest, student, rng, reference, context: TestContext) -> TestResult:
    """A student call that fails ends the test with that failure; a test that breaks in the
    grader (a value nobody anticipated) fails with a note instead of stopping the run."""
    try:
        return test.run(student, rng, reference, context)
    except StudentCallFailed as failure:
        return failure.result()
    except Exception as exc:
        return found(False, Outcome.GRADER_ERROR, notes=["%s: %s" % (type(exc).__name__, exc)],
                     grader_error=traceback.format_exc(limit=-4))


def strict_shapes(result: TestResult) -> TestResult:
    """The rubric's `shapes = "strict"`: a value accepted although its shape differs from the
    expected one by axes of length 1 fails as a shape mismatch."""
    wrong = [f for f in result.scored if f.ok and singleton_difference(f)]
    for finding in wrong:
        finding.ok, finding.verdict = False, Verdict.SHAPE
    if wrong and result.passed:
        return dataclasses.replace(result, passed=False, outcome=Outcome.FAILED)
    return result
