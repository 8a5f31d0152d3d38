"""The `gradescope` verb: grade the one submission Gradescope hands over.

Gradescope (or a test standing in for it) unpacks the submission into
$AUTOGRADER_ROOT/submission and reads $AUTOGRADER_ROOT/results/results.json afterwards;
AUTOGRADER_ROOT defaults to /autograder. Grading goes through the same batch code as
`make grade` (a worker process per submission), so a grader crash still yields results.json.
The batch's reports are written into the run's temporary folder (run_folder.py) and the three
files Gradescope shows are copied out; nothing else is left behind.
"""
from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from grader.batch import grade_batch
from grader.isolation.run_folder import RunFolder
from grader.report import write_reports
from grader.results import SubmissionResult
from grader.rubric import Rubric


def autograder_root() -> Path:
    return Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))


def run_gradescope(root: Path, rubric: Rubric, seed: int | None = None, *,
                   isolation: str) -> Path:
    """Grade root/submission and write root/results/results.json; returns that path.
    `isolation` is the run's isolation level (decided once by the command line)."""
    submission = root / "submission"
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    seed = secrets.randbelow(2**31) if seed is None else seed
    if not submission.exists():
        write_reports(SubmissionResult(name="submission", seed=seed, isolation=isolation,
                                       error=f"no submission found at {submission}"), results_dir,
                      lang=rubric.language)
        return results_dir / "results.json"
    with RunFolder() as run:
        reports = run.path / "reports"
        reports.mkdir(mode=0o700)   # the run folder is 0o711: student uids may pass through it
        grade_batch([submission], reports, jobs=1, seed=seed, rubric=rubric, isolation=isolation,
                    force=True, progress=False, batch_files=False, names=["submission"],
                    run=run)
        for name in ("results.json", "report.md", "report.html"):
            shutil.copyfile(reports / "submission" / name, results_dir / name)
    return results_dir / "results.json"
