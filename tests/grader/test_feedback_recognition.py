"""Each catalogued mistake is named, exactly and alone, from the numbers a hidden test sees.

For every entry, students written in tests/grader/feedback_students.py make that one mistake;
their code and the reference run on the hidden tests' inputs (tests/grader/feedback_scenarios.py)
and every test the student fails is diagnosed. The entry must be named at least once and no
other entry ever (a failing test may stay unnamed: some mistakes leave no trace on some
inputs, or show only as a crash elsewhere). The reference itself matches nothing.
"""
import time
from functools import lru_cache

import numpy as np
import pytest

from grader.feedback.case import Case
from grader.feedback.catalogue import load_catalogue
from grader.feedback.diagnose import diagnose, diagnose_error, matching_mistakes
from tests.grader.feedback_scenarios import SCENARIOS, load_package, trials_for
from tests.grader.feedback_students import MISTAKES, Student

CATALOGUE = load_catalogue()
IDS = [m.id for m in CATALOGUE.mistakes]
DIAGNOSIS_SECONDS = []      # the time of every diagnosis made below


@lru_cache(maxsize=1)
def reference():
    return load_package()


def diagnosed(trial):
    start = time.perf_counter()
    if trial.error:
        result = diagnose_error(trial.function, trial.error[0], trial.error[1], trial.inputs)
    else:
        result = diagnose(trial.function, trial.inputs, trial.got, trial.expected, trial.tolerance)
    DIAGNOSIS_SECONDS.append(time.perf_counter() - start)
    return result


@lru_cache(maxsize=None)
def outcomes(mistake_id: str, index: int):
    """[(trial, diagnosis)] of every hidden-test situation the student fails."""
    student: Student = MISTAKES[mistake_id][index]
    functions = student.functions or CATALOGUE.mistake(mistake_id).functions
    package = load_package(student.files())
    with np.errstate(all="ignore"):
        trials = trials_for(functions, package, reference())
    return [(trial, diagnosed(trial)) for trial in trials if trial.failed]


def test_every_entry_has_a_student():
    assert set(MISTAKES) == set(IDS)


@pytest.mark.parametrize("mistake_id", IDS)
def test_the_mistake_is_named_exactly(mistake_id):
    for index in range(len(MISTAKES[mistake_id])):
        found = outcomes(mistake_id, index)
        assert found, "student %d of %s fails no hidden test" % (index, mistake_id)
        named = [trial.scenario for trial, result in found if result.mistake_id == mistake_id]
        others = [(trial.function, trial.scenario, result.candidates) for trial, result in found
                  if result.candidates not in ((), (mistake_id,))]
        assert not others, others
        assert named, [(trial.function, trial.scenario, trial.error) for trial, _ in found]


def test_the_right_templates_fail_nothing():
    """The students' code without a mistake passes every scenario, so what a student fails
    comes from its one mistake."""
    package = load_package(Student("none", ()).files())
    failed = [(t.function, t.scenario, t.error) for t in trials_for(list(SCENARIOS), package, reference())
              if t.failed]
    assert not failed, failed


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_reference_matches_no_mistake(seed):
    trials = trials_for(list(SCENARIOS), load_package(), reference(), seed=seed)
    assert trials and not any(t.failed for t in trials)
    for trial in trials:
        case = Case(trial.function, trial.inputs, trial.got, trial.expected, trial.tolerance)
        assert matching_mistakes(case) == [], (trial.function, trial.scenario)
        assert diagnose(trial.function, trial.inputs, trial.got, trial.expected,
                        trial.tolerance).candidates == ()


def test_summary_every_entry_named_and_diagnosis_takes_milliseconds():
    named = [m for m in IDS if all(
        any(result.mistake_id == m for _, result in outcomes(m, i)) for i in range(len(MISTAKES[m])))]
    diagnoses = sum(len(outcomes(m, i)) for m in IDS for i in range(len(MISTAKES[m])))
    mean_ms = 1000 * sum(DIAGNOSIS_SECONDS) / len(DIAGNOSIS_SECONDS)
    print("\nfeedback: %d of %d catalogue entries named exactly; %d failing tests diagnosed, "
          "mean %.2f ms, slowest %.1f ms" % (len(named), len(IDS), diagnoses, mean_ms,
                                             1000 * max(DIAGNOSIS_SECONDS)))
    assert len(named) == len(IDS)
    assert mean_ms < 100     # milliseconds per failing test, with room for a loaded machine
