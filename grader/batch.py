"""Grading a batch: each submission is graded by its own grader worker process
(`python -m grader grade-one`), so a crash of the grader on one submission costs only that
submission. Reports that are complete and current (same submission content, same grader,
rubric, handout and solutions) are kept; `force=True` regrades them.
"""
from __future__ import annotations

import ctypes
import hashlib
import secrets
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from grader.intake.submission import regular_files, submission_name
from grader.report import write_reports
from grader.results import SubmissionResult
from grader.rubric import DEFAULT_RUBRIC, Rubric

ROOT = Path(__file__).resolve().parent.parent
# Everything whose change makes an old report stale.
GRADER_INPUTS = ("grader", "solutions", "assignment", "notebooks", "data/digits.npz")
MODELS = ".models"   # out/.models/<name>.json: each submission's lossless results model


def list_submissions(folder: Path) -> list[Path]:
    """Each folder or .zip directly inside `folder` is one submission."""
    return sorted(p for p in Path(folder).iterdir()
                  if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() == ".zip"))


def _tree_files(path: Path) -> list[Path]:
    """The regular files at or below `path`, sorted. An unreadable folder raises: the
    submission then has no fingerprint and is always regraded."""
    if path.is_file():
        return [path]
    return sorted(regular_files(path, ignored=("__pycache__", ".ipynb_checkpoints"),
                                skip_unreadable=False))


def _hash_tree(digest, path: Path) -> None:
    for file in _tree_files(path):
        digest.update(str(file.relative_to(path.parent)).encode() + b"\0")
        with open(file, "rb") as f:   # in chunks: a submission may hold a huge file
            while chunk := f.read(1 << 20):
                digest.update(chunk)


def fingerprint(source: Path, rubric_path: Path = DEFAULT_RUBRIC, language: str = "en") -> str:
    digest = hashlib.sha256(language.encode() + b"\0")   # a report in another language is stale
    _hash_tree(digest, Path(source))
    for part in GRADER_INPUTS:
        if (ROOT / part).exists():
            _hash_tree(digest, ROOT / part)
    _hash_tree(digest, Path(rubric_path))
    return digest.hexdigest()


def model_path(out: Path, name: str) -> Path:
    """Where a submission's model is kept: beside the report folders, never inside one (a
    student may be shown their folder; the model holds hidden tests' values)."""
    return Path(out) / MODELS / f"{name}.json"


def load_result(out: Path, name: str) -> SubmissionResult | None:
    """The model of a finished report (None when absent, damaged, or its report incomplete)."""
    try:
        if not (Path(out) / name / "results.json").is_file():
            return None
        return SubmissionResult.from_json(model_path(out, name).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _die_with_parent():
    """Worker processes die with the batch (a killed `make grade` leaves no orphans)."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _grade_in_worker(source: Path, out: Path, name: str, seed: int, fp: str, rubric_path: Path,
                     timeout: float, language: str = "en") -> SubmissionResult:
    report_dir, model = out / name, model_path(out, name)
    model.parent.mkdir(parents=True, exist_ok=True)
    model.unlink(missing_ok=True)   # a model left by an earlier run must not pass for this one
    command = [sys.executable, "-m", "grader", "grade-one", str(source), "--out", str(report_dir),
               "--seed", str(seed), "--fingerprint", fp, "--rubric", str(rubric_path),
               "--model", str(model), "--lang", language]
    reason = None
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=_die_with_parent)
        if done.returncode != 0:
            reason = f"the grader worker exited with code {done.returncode}: {done.stderr[-1500:]}"
    except subprocess.TimeoutExpired:
        reason = f"grading took longer than {timeout:.0f} s and was stopped"
    result = load_result(out, name)
    if reason is None and result is not None and result.fingerprint == fp:
        return result
    failed = SubmissionResult(name=name, seed=seed, fingerprint="",
                              error=reason or "the grader worker wrote no results")
    write_reports(failed, report_dir, model, lang=language)
    return failed


def grade_batch(sources: list[Path], out: Path, *, jobs: int, seed: int, rubric: Rubric,
                force: bool = False, progress: bool = True,
                batch_files: bool = True) -> list[SubmissionResult]:
    """Grade `sources` into out/<name>/, then rebuild every report and batch-wide file under
    `out` from all the models there (grader/course/outputs.py). Returns the models the reports
    of `sources` show (manual points and late penalty applied)."""
    out.mkdir(parents=True, exist_ok=True)
    rubric_path = Path(rubric.path)
    names, results, todo = set(), {}, []
    for source in sources:
        name = submission_name(source)
        while name in names:
            name += "_"
        names.add(name)
        try:
            fp = fingerprint(source, rubric_path, rubric.language)
        except Exception:  # unreadable content: never "current", so the worker grades it (and
            fp = "unhashable-" + secrets.token_hex(8)  # reports what it can), the batch goes on
        previous = load_result(out, name)
        if not force and previous is not None and previous.fingerprint == fp:
            results[name] = previous
        else:
            todo.append((source, name, fp))
    if results:
        print(f"{len(results)} report(s) are current and were kept (use --force to regrade).")
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_grade_in_worker, source, out, name, seed, fp, rubric_path,
                               rubric.submission_timeout, rubric.language): name
                   for source, name, fp in todo}
        for future in tqdm(as_completed(futures), total=len(futures), unit="submission",
                           disable=not progress or not futures, desc="grading"):
            results[futures[future]] = future.result()
    from grader.course.outputs import rebuild_outputs   # it imports this module
    shown = rebuild_outputs(out, rubric, batch_files=batch_files)
    return [shown.get(name, results[name]) for name in sorted(results)]
