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

Stages 2 and 3 stop at a deadline taken from the rubric's whole-submission limit (less a reserve
for start-up and the reports): the batch stops a worker at that limit, and a stopped worker
reports nothing, so the notebooks and tests still to come are reported as not run instead, and
whatever finished is always scored and reported.
"""
from __future__ import annotations

import dataclasses
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.course import submission_facts
from grader.isolation import sandbox
from grader.isolation.processes import lower_this_thread
from grader.isolation.limits import near_memory_limit, worker_out_of_memory
from grader.hidden_tests.catalogue import CATALOGUE, not_run, run_hidden_tests
from grader.hidden_tests.reference import load_reference
from grader.intake.submission import submission_name, take_submission
from grader.notebooks.runs import NotebookRun, notebook_tests
from grader.notebooks.tamper import kernel_hooks
from grader.report import write_reports
from grader.results import SubmissionResult
from grader.rubric import Rubric
from grader.scoring import assemble
from grader.hidden_tests.student_process import StudentProcess
from grader.intake.workspace import lay_code, lay_notebooks, pristine_notebooks


def grade_submission(source: Path, out: Path, *, seed: int, rubric: Rubric, isolation: str,
                     name: str | None = None, fingerprint: str = "",
                     model: Path | None = None, lanes: int = 1, functions_only: bool = False,
                     started: float | None = None, graded=None) -> SubmissionResult:
    """Grade one submission into `out` (its report folder) and return the scored model, also
    written to `model` when given. Never raises for student faults. `isolation` is the run's
    isolation level (decided once by the command line); `name` the report's name (default:
    the folder name or zip stem); `lanes`: notebooks run on that many kernels at once;
    `functions_only`: the hidden tests alone, and the report says so; `started`: when the
    submission's time began (time.monotonic(); default now); `graded`: called once the
    student's processes are done, before the reports are written (a batch then starts the next
    submission: workers.py). A failure on the grader's side
    is reported with no fingerprint, so that the next run grades the submission again.

    Temporary files go to a job folder in TMPDIR, which a batch points into its own run
    folder (see grader/isolation/run_folder.py): removed here, and by the batch should this
    process die."""
    started = time.monotonic() if started is None else started
    name = name or submission_name(Path(source))
    deadline = started + rubric.submission_timeout - rubric.deadline_reserve
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
        # The hidden tests need the student's modules only: their child starts while the
        # notebooks are laid (a tenth of a second or more of reading and restoring cells), or,
        # when no notebook runs, before: the laid notebooks then only give the written answers.
        workspace = lay_code(intake, job)
        hidden = _Stage(_run_hidden, workspace, seed, rubric, deadline, isolation,
                        _hidden_tests_nice(rubric, lanes))
        if rubric.notebooks.run:
            lay_notebooks(workspace, intake)
        notebooks = _Stage(_run_notebooks, workspace, out, rubric, deadline, isolation, lanes)
        # Both stages stop themselves at the deadline; waiting longer only guards against one
        # that hangs in the grader, which must not cost what the other one finished.
        give_up = deadline + rubric.deadline_reserve / 2
        for stage in (notebooks, hidden):
            stage.join(max(0.0, give_up - time.monotonic()))
        if graded is not None:
            graded()
        if not rubric.notebooks.run:
            lay_notebooks(workspace, intake)
        messages = notes + intake.messages + workspace.messages + hidden.notes
        notebook_results = notebooks.tests + [
            test for run in notebooks.unfinished(workspace, rubric)
            for test in notebook_tests(run, rubric.notebooks.visibility)]
        hidden_results = hidden.tests + [not_run(index, rubric, seed, hidden.failure)
                                         for index in range(len(hidden.tests), len(CATALOGUE))]
        for what, stage in (("notebooks", notebooks), ("hidden tests", hidden)):
            if stage.failure:
                messages.append(f"The grader failed while running the {what} (not your work; "
                                f"tell your instructor): {stage.failure}")
            elif stage.is_alive():
                messages.append(f"The {what} did not stop at the submission's time limit; what "
                                "had finished was graded (a grader problem: tell your instructor).")
        grader_failed = any(stage.failure or stage.is_alive() for stage in (notebooks, hidden))
        result = assemble(
            name=name, seed=seed, hidden=hidden_results, notebooks=notebook_results,
            rubric=rubric, messages=messages, notebook_files=notebooks.files,
            isolation=isolation, fingerprint="" if grader_failed else fingerprint,
        )
        result = dataclasses.replace(result, **submission_facts(
            Path(source), intake, workspace, pristine_notebooks()))
    except UngradableSubmission as exc:
        result = SubmissionResult(name=name, seed=seed, isolation=isolation,
                                  fingerprint=fingerprint, error=str(exc))
    except Exception as exc:  # the grader's own failure still yields a report
        # Near its memory limit, whatever it raised (a thread that could not start) is that.
        if isinstance(exc, MemoryError) or near_memory_limit():
            result = SubmissionResult(
                name=name, seed=seed, isolation=isolation, fingerprint="",
                error=worker_out_of_memory(rubric.grader_memory_bytes))
        else:
            result = SubmissionResult(
                name=name, seed=seed, isolation=isolation, fingerprint="",
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


class _Stage(threading.Thread):
    """A stage running beside the other, keeping what it finished as it goes. A daemon: one
    stuck past the deadline must not keep the worker from writing the reports and exiting."""

    def __init__(self, target, *args):
        super().__init__(daemon=True)
        self.target, self.args = target, args
        self.tests, self.files, self.notes = [], [], []
        self.failure: str | None = None
        self.start()

    def run(self) -> None:
        try:
            self.target(self, *self.args)
        except Exception as exc:   # the grader's own failure: the other stage still counts
            self.failure = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()

    def unfinished(self, workspace, rubric: Rubric) -> list[NotebookRun]:
        """The notebooks to run that have no result (the stage hung or failed)."""
        done = {t.function.removeprefix("notebook ") for t in self.tests}
        return [NotebookRun(p.name, grader_error=self.failure) if self.failure else
                NotebookRun(p.name, not_run="during")
                for p in _notebooks_to_run(workspace, rubric) if p.name not in done]


def _notebooks_to_run(workspace, rubric: Rubric):
    settings = rubric.notebooks
    if not settings.run:
        return []
    return [p for p in workspace.notebooks if not settings.only or p.name in settings.only]


def _run_notebooks(stage: _Stage, workspace, out: Path, rubric: Rubric, deadline: float,
                   isolation: str, lanes: int = 1) -> None:
    """Every notebook on a fresh kernel, `lanes` kernels at once (notebooks/schedule.py), none
    past the deadline; the results in the workspace's order."""
    notebooks = _notebooks_to_run(workspace, rubric)
    if not notebooks:
        return
    # Imported here: the Jupyter client costs a quarter of a second to import, which a grading
    # of the functions alone (--functions-only) never needs.
    from grader.notebooks.schedule import NICE_BESIDE_LONGEST, NotebookJob, run_notebooks
    settings = rubric.notebooks
    jobs = [NotebookJob(notebook, out / "notebooks" / notebook.name,
                        workspace.scratch_for("kernel-" + notebook.stem))
            for notebook in notebooks]
    html = _NotebookHTML(nice=NICE_BESIDE_LONGEST if lanes > 1 else 0)
    runs = run_notebooks(
        jobs, lanes=lanes, workspace=workspace.root, cell_timeout=settings.cell_timeout,
        notebook_timeout=settings.notebook_timeout, continue_on_error=settings.continue_on_error,
        limits=rubric.notebook_limits, deadline=deadline, level=isolation,
        finished=lambda job, run: html.start(job.path_out))
    html.write(until=deadline - HTML_RESERVE_SECONDS)
    for job, run in zip(jobs, runs):
        if job.path_out.exists():
            stage.files.append(str(job.path_out.relative_to(out)))
        stage.tests += notebook_tests(run, settings.visibility,
                                      submitted=job.path_in.name not in workspace.unsubmitted,
                                      hooks=kernel_hooks(job.path_in))


# The executed notebooks' HTML (nbconvert, seconds per notebook) is made here, each as soon as
# its notebook ends, beside the notebooks still running, rather than by the batch after all the
# grading (one process for every submission). It is only an extra: what is not ready in time is
# made by the batch (course/outputs.py renders any notebook whose .html is missing or older).
HTML_RESERVE_SECONDS = 15.0


class _NotebookHTML:
    """`nice`: the converting threads' lower CPU priority (Linux gives each thread its own), so
    that the HTML of a finished notebook takes its CPU from the kernels beside the longest
    notebook rather than from that one."""

    def __init__(self, nice: int = 0):
        self.nice = nice
        self.bodies: dict[Path, str | None] = {}
        self.threads: list[threading.Thread] = []

    def start(self, notebook: Path) -> None:
        if not Path(notebook).is_file():
            return
        def render():   # a daemon thread: one still converting never holds up the exit
            if self.nice:
                lower_this_thread(self.nice)
            from grader.report.notebook_html import notebook_html
            self.bodies[notebook] = notebook_html(notebook)
        thread = threading.Thread(target=render, name="notebook-html", daemon=True)
        thread.start()
        self.threads.append(thread)

    def write(self, until: float) -> None:
        """Write the HTML of each notebook converted by `until` (a time.monotonic() value)."""
        from grader.report.notebook_html import save_html
        for thread in self.threads:
            thread.join(timeout=max(0.0, until - time.monotonic()))
        for notebook, body in list(self.bodies.items()):
            if body is not None:
                save_html(notebook, body)


def _hidden_tests_nice(rubric: Rubric, lanes: int) -> int:
    """Beside notebooks on several lanes the longest notebook sets the submission's time: the
    hidden tests' child then runs at the lower priority of the kernels beside it."""
    if lanes < 2 or not rubric.notebooks.run:
        return 0
    from grader.notebooks.schedule import NICE_BESIDE_LONGEST
    return NICE_BESIDE_LONGEST


def _run_hidden(stage: _Stage, workspace, seed: int, rubric: Rubric, deadline: float,
                isolation: str, nice: int = 0) -> None:
    with StudentProcess(workspace.root, workspace.scratch_for("child"),
                        rubric.hidden_test_limits, deadline=deadline,
                        level=isolation, nice=nice) as student, \
            ThreadPoolExecutor(1) as pool:
        # The reference loads while the student's child starts (each takes a tenth of a second).
        reference = pool.submit(load_reference)
        student.import_errors   # noqa: B018 (starts the child and waits for its greeting)
        try:
            run_hidden_tests(student, seed, rubric, reference=reference.result(),
                             deadline=deadline, results=stage.tests)
        finally:
            stage.notes += student.notes
