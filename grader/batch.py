"""Grading a batch: each submission is graded by its own grader worker process
(`python -m grader grade-one`), so a crash of the grader on one submission costs only that
submission. Reports that are complete and current (same submission content, same grader,
rubric, handout and solutions) are kept; `force=True` regrades them.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import secrets
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from .gradebook import plot_summary, write_gradebook
from .intake import regular_files, submission_name
from .report import write_reports
from .results import SubmissionResult, TestResult
from .rubric import DEFAULT_RUBRIC

ROOT = Path(__file__).resolve().parent.parent
# Everything whose change makes an old report stale.
GRADER_INPUTS = ("grader", "solutions", "assignment", "notebooks", "data/digits.npz")


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


def fingerprint(source: Path, rubric_path: Path = DEFAULT_RUBRIC) -> str:
    digest = hashlib.sha256()
    _hash_tree(digest, Path(source))
    for part in GRADER_INPUTS:
        if (ROOT / part).exists():
            _hash_tree(digest, ROOT / part)
    _hash_tree(digest, Path(rubric_path))
    return digest.hexdigest()


def load_result(report_dir: Path) -> SubmissionResult | None:
    """Read a SubmissionResult back from a finished report (None when absent or damaged).
    The outputs and execution time come back too: the JUnit XML is rendered from this."""
    try:
        data = json.loads((report_dir / "results.json").read_text())
        extra = data.get("extra_data", {})
        tests = [TestResult(function=t["name"].split(": ", 1)[0], what=t["name"].split(": ", 1)[-1],
                            group=(t.get("extra_data") or {}).get("group", ""),
                            max_score=t.get("max_score", 0), passed=t["status"] == "passed",
                            score=t.get("score", 0), visibility=t.get("visibility", "visible"),
                            output=str(t.get("output") or "").strip())
                 for t in data.get("tests", [])]
        return SubmissionResult(name=report_dir.name, seed=extra.get("seed", 0), tests=tests,
                                isolation=extra.get("isolation", "unknown"),
                                execution_time=float(data.get("execution_time") or 0.0),
                                error=extra.get("error"), fingerprint=extra.get("fingerprint", ""))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _die_with_parent():
    """Worker processes die with the batch (a killed `make grade` leaves no orphans)."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _grade_in_worker(source: Path, report_dir: Path, seed: int, fp: str, rubric_path: Path,
                     timeout: float) -> SubmissionResult:
    command = [sys.executable, "-m", "grader", "grade-one", str(source), "--out", str(report_dir),
               "--seed", str(seed), "--fingerprint", fp, "--rubric", str(rubric_path)]
    reason = None
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=_die_with_parent)
        if done.returncode != 0:
            reason = f"the grader worker exited with code {done.returncode}: {done.stderr[-1500:]}"
    except subprocess.TimeoutExpired:
        reason = f"grading took longer than {timeout:.0f} s and was stopped"
    result = load_result(report_dir)
    if reason is None and result is not None and result.fingerprint == fp:
        return result
    failed = SubmissionResult(name=report_dir.name, seed=seed, fingerprint="",
                              error=reason or "the grader worker wrote no results.json")
    write_reports(failed, report_dir)
    return failed


def grade_batch(sources: list[Path], out: Path, *, jobs: int, seed: int, rubric: dict,
                rubric_path: Path = DEFAULT_RUBRIC, force: bool = False,
                progress: bool = True) -> list[SubmissionResult]:
    """Grade `sources` into out/<name>/ and write out/gradebook.csv and out/summary.png."""
    out.mkdir(parents=True, exist_ok=True)
    timeout = float(rubric.get("limits", {}).get("submission_timeout", 3600))
    names, results, todo = set(), {}, []
    for source in sources:
        name = submission_name(source)
        while name in names:
            name += "_"
        names.add(name)
        try:
            fp = fingerprint(source, rubric_path)
        except Exception:  # unreadable content: never "current", so the worker grades it (and
            fp = "unhashable-" + secrets.token_hex(8)  # reports what it can), the batch goes on
        previous = load_result(out / name)
        if not force and previous is not None and previous.fingerprint == fp:
            results[name] = previous
        else:
            todo.append((source, name, fp))
    if results:
        print(f"{len(results)} report(s) are current and were kept (use --force to regrade).")
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_grade_in_worker, source, out / name, seed, fp, rubric_path,
                               timeout): name for source, name, fp in todo}
        for future in tqdm(as_completed(futures), total=len(futures), unit="submission",
                           disable=not progress or not futures, desc="grading"):
            results[futures[future]] = future.result()
    ordered = [results[name] for name in sorted(results)]
    write_gradebook(ordered, out)
    plot_summary(ordered, out / "summary.png")
    return ordered
