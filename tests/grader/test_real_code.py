"""Code written for the CS231n starters of 2017-2024, graded unchanged.

tests/corpus/<entry>/submission/ holds one submission in the style of a year's starter (its
folder layout, its imports, its keyword names, its helpers in layer_utils.py); its
expected.toml declares the score it must get (`score`, out of the hidden tests' 80 points), the
tests it fails on its own account (`[fails]`, pattern = why) and the tests that fail only
through a contract difference handled on the scoring side (`[scoring_side]`: singleton shapes,
eps variants, 4-D-only spatial code), which pass once that work lands. tests/corpus/README.md
lists the entries with their scores before and after the cs231n view.

Each entry goes through the grader's own stages (intake, workspace, the hidden-test child, the
catalogue) in this process, notebooks off; the zip entry is zipped first.
"""
import fnmatch
import tomllib
import zipfile

import pytest

from grader.hidden_tests.catalogue import run_hidden_tests
from grader.hidden_tests.student_process import StudentProcess
from grader.intake.submission import take_submission
from grader.intake.workspace import build_workspace, pristine_notebooks
from grader.isolation.sandbox import Limits
from grader.rubric import load_rubric
from grader.scoring import score_hidden_tests
from tests.support import ROOT, sandbox_level

CORPUS = ROOT / "tests" / "corpus"
ENTRIES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.toml").is_file())
SEED = 20240607


def expected_of(name: str) -> dict:
    return tomllib.loads((CORPUS / name / "expected.toml").read_text())


def zipped(folder, path):
    """folder's files in a zip, paths relative to folder (what a student's zip holds)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(file, file.relative_to(folder).as_posix())
    return path


def grade_entry(name: str, tmp_path):
    """({test name: scored TestResult}, submission-level messages) for one corpus entry."""
    source = CORPUS / name / "submission"
    if expected_of(name).get("zip"):
        source = zipped(source, tmp_path / f"{name}.zip")
    job = tmp_path / "job"
    job.mkdir()
    intake = take_submission(source, job, [p.name for p in pristine_notebooks()])
    workspace = build_workspace(intake, job)
    rubric = load_rubric()
    with StudentProcess(workspace.root, workspace.scratch_for("child"),
                        Limits(cpu_seconds=120), level=sandbox_level()) as student:
        results = run_hidden_tests(student, SEED, rubric)
    score_hidden_tests(results, rubric)
    return {r.name: r for r in results}, intake.messages + workspace.messages


def matching(names, patterns) -> dict[str, set[str]]:
    return {pattern: set(fnmatch.filter(names, pattern)) for pattern in patterns}


def test_the_corpus_has_an_entry_for_every_starter_year():
    assert len(ENTRIES) >= 12
    assert {name[:4] for name in ENTRIES} >= {str(year) for year in range(2017, 2025)}
    for name in ENTRIES:
        expected = expected_of(name)
        assert expected["style"].strip() and isinstance(expected["score"], float), name
        assert list((CORPUS / name / "submission").rglob("layers.py")), name


@pytest.mark.parametrize("name", ENTRIES)
def test_corpus_entry_gets_its_declared_score(name, tmp_path):
    expected = expected_of(name)
    results, messages = grade_entry(name, tmp_path)
    fails = matching(results, expected["fails"])
    scoring_side = matching(results, expected["scoring_side"])
    stale = [p for p, found in {**fails, **scoring_side}.items() if not found]
    assert not stale, f"patterns that match no test: {stale}"

    failing = {n for n, r in results.items() if not r.passed}
    own = set().union(*fails.values())
    assert own <= failing, f"declared failures that pass: {sorted(own - failing)}"
    unexplained = failing - own - set().union(*scoring_side.values())
    assert not unexplained, f"failures the entry does not declare: {sorted(unexplained)}"

    total = sum(r.max_score for r in results.values())
    declared = round(total - sum(results[n].max_score for n in own), 4)
    assert declared == expected["score"], f"{name}: the score once the scoring side lands is " \
                                          f"{declared}, declared {expected['score']}"
    pending = sum(results[n].max_score - results[n].score for n in failing - own)
    assert sum(r.score for r in results.values()) + pending >= declared - 1e-6
    for text in expected.get("messages", []):
        assert any(text in m for m in messages), (text, messages)
