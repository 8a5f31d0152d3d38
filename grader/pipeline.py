"""The grading pipeline for one submission. The stages, in order, one folder or module each:

    1. intake      grader/intake/         find the student's files (folder or zip) and lay them
                                          over a pristine copy of the handout (the workspace)
    2. notebooks   grader/notebooks/      execute the notebooks headless in sandboxed     } at the
                                          kernels (provided cells restored: tamper.py)    } same
    3. hidden      grader/hidden_tests/   the student's functions in a child process,     } time
                                          compared with the reference in this one
    4. score       grader/scoring.py      points from the rubric (grader/rubric.py) for the findings
    5. report      grader/report/         every output rendered from the model (grader/results.py)

Student code runs only in the processes that stages 2 and 3 start through grader/isolation/.
A batch (grader/batch.py) runs this pipeline in one worker process per submission.
"""
from __future__ import annotations

import dataclasses
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.course import submission_facts
from grader.isolation import sandbox
from grader.hidden_tests.catalogue import run_hidden_tests
from grader.hidden_tests.reference import load_reference
from grader.intake.submission import submission_name, take_submission
from grader.notebooks.execute import notebook_tests
from grader.notebooks.schedule import NotebookJob, run_notebooks
from grader.report import write_reports
from grader.results import SubmissionResult
from grader.rubric import Rubric
from grader.scoring import assemble
from grader.hidden_tests.student_process import StudentProcess
from grader.intake.workspace import build_workspace, pristine_notebooks


def grade_submission(source: Path, out: Path, *, seed: int, rubric: Rubric,
                     fingerprint: str = "", model: Path | None = None, lanes: int = 1,
                     functions_only: bool = False) -> SubmissionResult:
    """Grade one submission into `out` (its report folder) and return the scored model, also
    written to `model` when given. Never raises for student faults. `lanes`: notebooks run on
    that many kernels at once; `functions_only`: the hidden tests alone, and the report says so."""
    started = time.monotonic()
    notes = []
    if functions_only:
        rubric = dataclasses.replace(rubric, notebooks=dataclasses.replace(rubric.notebooks,
                                                                           run=False))
        notes.append(FUNCTIONS_ONLY_NOTE)
    out.mkdir(parents=True, exist_ok=True)
    job = Path(tempfile.mkdtemp(prefix="grade-"))
    job.chmod(0o711)  # an unprivileged student uid must reach its workspace and scratch
    try:
        intake = take_submission(source, job, [p.name for p in pristine_notebooks()])
        if intake.unreadable:  # else the untouched handout would be graded in its place
            raise UngradableSubmission(" ".join(intake.messages))
        workspace = build_workspace(intake, job)
        with ThreadPoolExecutor(max_workers=2) as pool:
            notebooks = pool.submit(_run_notebooks, workspace, out, rubric, lanes)
            hidden = pool.submit(_run_hidden, workspace, seed, rubric)
            notebook_results, notebook_files = notebooks.result()
            hidden_results = hidden.result()
        result = assemble(
            name=intake.name, seed=seed, hidden=hidden_results, notebooks=notebook_results,
            rubric=rubric, messages=notes + intake.messages + workspace.messages,
            notebook_files=notebook_files,
            isolation=sandbox.isolation_level(), fingerprint=fingerprint,
        )
        result = dataclasses.replace(result, **submission_facts(
            Path(source), intake, workspace, pristine_notebooks()))
    except UngradableSubmission as exc:
        result = SubmissionResult(
            name=submission_name(Path(source)), seed=seed, isolation=sandbox.isolation_level(),
            fingerprint=fingerprint, error=str(exc))
    except Exception as exc:  # the grader's own failure still yields a report
        result = SubmissionResult(
            name=submission_name(Path(source)),
            seed=seed, isolation=sandbox.isolation_level(), fingerprint=fingerprint,
            error=f"the grader failed on this submission: {type(exc).__name__}: {exc}",
            messages=[traceback.format_exc(limit=5)[-2000:]],
        )
    finally:
        sandbox.remove_tree(job)   # scratch holds whatever the student left there
    result.execution_time = round(time.monotonic() - started, 2)
    write_reports(result, out, model, lang=rubric.language)
    return result


FUNCTIONS_ONLY_NOTE = ("Functions only: this run graded the hidden tests of your functions; "
                       "the notebooks were not executed and their points are not counted here.")


class UngradableSubmission(Exception):
    """Nothing could be taken from the submission (not a folder or zip, a corrupt or refused
    archive): it scores 0 with the reason, as the spec asks."""


def _run_notebooks(workspace, out: Path, rubric: Rubric, lanes: int = 1):
    """Every notebook on a fresh kernel, `lanes` kernels at once (notebooks/schedule.py); the
    results in the workspace's order."""
    settings = rubric.notebooks
    if not settings.run:
        return [], []
    jobs = [NotebookJob(notebook, out / "notebooks" / notebook.name,
                        workspace.scratch_for("kernel-" + notebook.stem))
            for notebook in workspace.notebooks
            if not settings.only or notebook.name in settings.only]
    runs = run_notebooks(
        jobs, lanes=lanes, workspace=workspace.root, cell_timeout=settings.cell_timeout,
        notebook_timeout=settings.notebook_timeout, continue_on_error=settings.continue_on_error,
        limits=rubric.notebook_limits)
    results, files = [], []
    for job, run in zip(jobs, runs):
        results += notebook_tests(run, settings.visibility)
        if job.path_out.exists():
            files.append(str(job.path_out.relative_to(out)))
    return results, files


def _run_hidden(workspace, seed: int, rubric: Rubric):
    with StudentProcess(workspace.root, workspace.scratch_for("child"),
                        rubric.hidden_test_limits) as student, ThreadPoolExecutor(1) as pool:
        # The reference loads while the student's child starts (each takes a tenth of a second).
        reference = pool.submit(load_reference)
        student.import_errors   # noqa: B018 (starts the child and waits for its greeting)
        return run_hidden_tests(student, seed, rubric, reference=reference.result())
