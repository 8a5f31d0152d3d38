"""Grading a batch: each submission is graded in a process of its own, a fresh child of one of
the batch's pre-imported workers (grader/workers.py), so a crash or hang of the grader on one
submission costs only that submission; or on a Dask cluster (grader/cluster.py), the same way on
each machine. Reports that are complete and current (same submission content, same grader,
rubric, handout and solutions, and no failure on the grader's side) are kept; `force=True`
regrades them.

Every entry of a batch folder is graded or listed as skipped with the reason. Each graded
entry gets a report folder of its own (`report_names_for`): never another entry's, never a
name the batch writes itself (gradebook.csv, summary.png, .models/, index.html, ...).

Everything a submission's grading writes outside its report (the job folder with the
student's workspace and scratch, the reference solutions the child imports, its log) lies in
a folder of its own inside the run's temporary folder (grader/isolation/run_folder.py),
removed however the grading ended.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import queue
import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from itertools import count
from pathlib import Path

from tqdm import tqdm

from grader.intake.submission import fingerprint_submission, regular_files, submission_name
from grader.isolation.processes import lower_this_thread, remove_tree
from grader.isolation.run_folder import RunFolder
from grader.results import Outcome, SubmissionResult
from grader.rubric import Rubric
from grader.workers import (GradeRequest, Worker, WorkerPool, failure_reason, kernel_lanes,
                            pool_size)

ROOT = Path(__file__).resolve().parent.parent
# Everything whose change makes an old report stale.
GRADER_INPUTS = ("grader", "solutions", "assignment", "notebooks", "data/digits.npz")
MODELS = ".models"   # out/.models/<name>.json: each submission's lossless results model
SKIPPED = "skipped.csv"
# What a batch writes beside the report folders (and may one day): a report folder never
# takes one of these names, nor one ending in a suffix of these kinds, nor a hidden name.
BATCH_OUTPUTS = {"gradebook.csv", "canvas.csv", "summary.png", "index.html", "answers.html",
                 "answers.csv", "similarity.html", "manual.csv", "roster.csv", SKIPPED,
                 "junit.xml", MODELS}
OUTPUT_SUFFIXES = (".csv", ".html", ".htm", ".png", ".svg", ".pdf", ".json", ".xml", ".md",
                   ".txt", ".tmp")


@dataclass(frozen=True)
class Skipped:
    entry: str     # the entry's name in the batch folder
    reason: str


def list_submissions(folder: Path, out: Path | None = None) -> tuple[list[Path], list[Skipped]]:
    """Each folder or .zip directly inside `folder` is one submission; every other entry is
    skipped, with the reason: hidden entries (a name starting with a dot: .git, .DS_Store),
    macOS's __MACOSX, other files, links to nothing, and the reports folder `out` itself."""
    out_real = os.path.realpath(out) if out is not None else None
    sources, skipped = [], []
    for entry in sorted(Path(folder).iterdir()):
        if entry.name.startswith("."):
            skipped.append(Skipped(entry.name, "a hidden entry (its name starts with a dot)"))
        elif entry.name == "__MACOSX":
            skipped.append(Skipped(entry.name, "macOS archive metadata"))
        elif out_real is not None and os.path.realpath(entry) == out_real:
            skipped.append(Skipped(entry.name, "the reports folder of this batch"))
        elif not os.path.exists(entry):
            skipped.append(Skipped(entry.name, "a link to nothing"))
        elif entry.is_dir() or entry.suffix.lower() == ".zip":
            sources.append(entry)   # a .zip that is no zip file gets a report saying so
        else:
            skipped.append(Skipped(entry.name, "neither a folder nor a .zip file"))
    return sources, skipped


def usable_report_name(name: str) -> bool:
    lowered = name.lower()
    return (bool(name) and not name.startswith(".") and "/" not in name
            and lowered not in {n.lower() for n in BATCH_OUTPUTS}
            and not lowered.endswith(OUTPUT_SUFFIXES))


def report_names_for(sources: list[Path]) -> list[str]:
    """A report folder name for each source, all different: the folder name or zip stem when
    it is usable and no other source has it (a folder "a" keeps "a" beside "a.zip"); otherwise
    the entry's full name ("a.zip"), then "<name>-2", "-3"... A source whose own name is
    usable and unclaimed keeps it whatever the others are called: one entry's report never
    lands in the folder another entry would have had."""
    natural = [submission_name(Path(s)) for s in sources]
    clashes = Counter(natural)
    owners = Counter(n for s, n in zip(sources, natural) if Path(s).name == n)
    names = [n if usable_report_name(n) and (clashes[n] == 1 or (
        owners[n] == 1 and Path(s).name == n)) else None for s, n in zip(sources, natural)]
    taken = {n for n in names if n is not None}
    for i, source in enumerate(sources):
        if names[i] is not None:
            continue
        names[i] = next(c for c in _candidates(Path(source).name, natural[i])
                        if usable_report_name(c) and c not in taken)
        taken.add(names[i])
    return names


def _candidates(full: str, natural: str):
    if full != natural:
        yield full            # "a.zip": unique in its folder, where "a/" may also be
    base = full.lstrip(".") or "submission"
    for k in count(2):
        yield f"{base}-{k}"


def grader_inputs_digest(rubric_path: Path) -> bytes:
    """The hash of everything on the grader's side a report depends on (once per batch)."""
    digest = hashlib.sha256()
    for part in GRADER_INPUTS:
        if (ROOT / part).exists():
            _hash_tree(digest, ROOT / part)
    _hash_tree(digest, Path(rubric_path))
    return digest.digest()


def _hash_tree(digest, path: Path) -> None:
    files = [path] if path.is_file() else sorted(
        regular_files(path, ignored=("__pycache__", ".ipynb_checkpoints"), skip_unreadable=False))
    for file in files:
        digest.update(str(file.relative_to(path.parent)).encode() + b"\0")
        with open(file, "rb") as f:   # in chunks: a data file may be large
            while chunk := f.read(1 << 20):
                digest.update(chunk)


def fingerprint(source: Path, grader: bytes, notebook_names, language: str = "en") -> str:
    """What intake reads of the submission (bounded), the grader digest and the language (a
    report in another language is stale)."""
    digest = hashlib.sha256(language.encode() + b"\0" + grader)
    fingerprint_submission(digest, Path(source), notebook_names)
    return digest.hexdigest()


def report_names(out: Path) -> list[str]:
    """The submissions with a complete report folder under `out`."""
    return sorted(p.parent.name for p in Path(out).glob("*/results.json")
                  if not p.parent.name.startswith("."))


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


def is_current(result: SubmissionResult | None, fp: str) -> bool:
    """A finished report of this very submission and grader, with nothing left unfinished on
    the grader's side (a grader failure is graded again, never kept)."""
    return (result is not None and result.fingerprint == fp
            and not any(t.outcome is Outcome.GRADER_ERROR for t in result.tests))


def _grade_in_worker(source: Path, out: Path, name: str, seed: int, fp: str, rubric_path: Path,
                     timeout: float, language: str = "en", *, worker: Worker | None = None,
                     lanes: int = 1, functions_only: bool = False, isolation: str = "",
                     run: RunFolder | None = None, memory_bytes: int = 0,
                     graded=None) -> SubmissionResult:
    """Grade one submission in a fresh child of `worker` (of a worker of its own when None),
    with a temporary folder of its own in `run`'s folder, removed whatever happened.
    `graded()`: called when the child's student processes are done (Worker.grade)."""
    report_dir, model = out / name, model_path(out, name)
    model.parent.mkdir(parents=True, exist_ok=True)
    model.unlink(missing_ok=True)   # a model left by an earlier run must not pass for this one
    tmp = run.worker_folder() if run is not None else None
    request = GradeRequest(source=str(Path(source).absolute()),
                           report_dir=str(report_dir.absolute()), model=str(model.absolute()),
                           seed=seed, fingerprint=fp, rubric=str(Path(rubric_path).absolute()),
                           language=language, lanes=lanes, functions_only=functions_only,
                           isolation=isolation, name=name, tmp=str(tmp or ""),
                           memory_bytes=memory_bytes)
    try:
        if worker is None:
            with Worker(str(out), notebooks=not functions_only) as own:
                outcome = own.grade(request, timeout, graded)
        else:
            outcome = worker.grade(request, timeout, graded)
    finally:
        if tmp is not None:
            remove_tree(tmp)   # whatever the child left, however it ended
    return settle(out, name, seed, fp, failure_reason(outcome, timeout), language, isolation)


def settle(out: Path, name: str, seed: int, fp: str, reason: str | None,
           language: str, isolation: str = "unknown") -> SubmissionResult:
    """The model a worker left for `name`, or, when it failed or left none of this grading, a
    result with score 0 and the reason (written as that submission's report). A model with no
    fingerprint is this grading's too: graded, with a failure on the grader's side it reports."""
    result = load_result(out, name)
    if reason is None and result is not None and result.fingerprint in (fp, ""):
        return result
    failed = SubmissionResult(name=name, seed=seed, fingerprint="", isolation=isolation,
                              error=reason or "the grader worker wrote no results")
    from grader.report import write_reports   # not at import: see grade_batch()
    write_reports(failed, out / name, model_path(out, name), lang=language)
    return failed


def grade_batch(sources: list[Path], out: Path, *, jobs: int, seed: int, rubric: Rubric,
                isolation: str, force: bool = False, progress: bool = True,
                batch_files: bool = True, functions_only: bool = False,
                cluster: str | None = None, pool: WorkerPool | None = None,
                names: list[str] | None = None, skipped: list[Skipped] = (),
                run: RunFolder | None = None) -> list[SubmissionResult]:
    """Grade `sources` into out/<name>/ (`names`: their report folders, by default
    report_names_for(sources)), then rebuild every report and batch-wide file under `out` from
    all the models there (grader/course/outputs.py) and write out/skipped.csv from `skipped`.
    Returns the models the reports of `sources` show (manual points and late penalty applied).
    Grading runs on `jobs` local workers (`pool`, when the caller started them already) at the
    isolation level `isolation` (decided once by the command line) or, given a scheduler
    address, on a Dask cluster (grader/cluster.py: each machine decides its own, once);
    `functions_only`: the hidden tests without the notebooks (the reports say so). `run`: the
    run's temporary folder (by default one of its own, removed at the end)."""
    if run is None:
        with RunFolder() as own:
            return grade_batch(sources, out, jobs=jobs, seed=seed, rubric=rubric,
                               isolation=isolation, force=force, progress=progress,
                               batch_files=batch_files, functions_only=functions_only,
                               cluster=cluster, pool=pool, names=names, skipped=skipped,
                               run=own)
    out.mkdir(parents=True, exist_ok=True)
    rubric_path = Path(rubric.path)
    grader = grader_inputs_digest(rubric_path)
    # Imported here, not with this module: the command line imports this module before it
    # starts the workers, and these imports (nbclient, the reports) take most of a second.
    from grader.intake.workspace import pristine_notebooks
    notebooks = [p.name for p in pristine_notebooks()]
    results, todo = {}, []
    for source, name in zip(sources, names or report_names_for(sources)):
        try:
            fp = fingerprint(source, grader, notebooks, rubric.language)
        except Exception:  # unreadable content: never "current", so the worker grades it (and
            fp = "unhashable-" + secrets.token_hex(8)  # reports what it can), the batch goes on
        if functions_only:   # never taken for a full report, nor a full one for it
            fp = hashlib.sha256(f"{fp} functions-only".encode()).hexdigest()
        previous = load_result(out, name)
        if not force and is_current(previous, fp):
            results[name] = previous
        else:
            todo.append((source, name, fp))
    if results:
        print(f"{len(results)} report(s) are current and were kept (use --force to regrade).")
    finished = queue.SimpleQueue()   # what the batch files will need is prepared meanwhile
    if batch_files:
        several = len(set(report_names(out)) | {name for _, name, _ in todo}) > 1
        threading.Thread(target=_prepare_batch_files, args=(finished, several),
                         daemon=True).start()
        for result in results.values():
            finished.put(result)
    settings = dict(seed=seed, rubric_path=rubric_path, timeout=rubric.submission_timeout,
                    language=rubric.language, functions_only=functions_only)
    if cluster:
        from grader.cluster import grade_on_cluster
        graded = grade_on_cluster(cluster, todo, out, **settings)
    else:
        graded = _grade_locally(todo, out, jobs=jobs, pool=pool, isolation=isolation, run=run,
                                memory_bytes=rubric.grader_memory_bytes, **settings)
    for name, result in tqdm(graded, total=len(todo), unit="submission",
                             disable=not progress or not todo, desc="grading"):
        results[name] = result
        finished.put(result)
    finished.put(None)
    from grader.course.outputs import rebuild_outputs   # it imports this module
    shown = rebuild_outputs(out, rubric, batch_files=batch_files,
                            fresh={name for _, name, _ in todo})
    if batch_files:
        write_skipped(skipped, out)
    return [shown.get(name, results[name]) for name in sorted(results)]


def _prepare_batch_files(finished: queue.SimpleQueue, several: bool = True) -> None:
    """Beside the grading (the batch process mostly waits for its workers): import what the
    batch files are written with, read the handout's questions for the answers page and, when
    the batch files will show `several` submissions, import the summary plot's library and
    fingerprint each finished submission's code for the similarity page (one submission has
    no plot and no pair). At a lower CPU priority (PREPARE_NICE, Linux: per thread), so that on
    a machine with few cores it takes only what the workers' start-up and the notebooks leave;
    a batch of one submission with its notebooks then has nothing of this left to do after its
    grading."""
    lower_this_thread(PREPARE_NICE)
    import grader.course.outputs  # noqa: F401 (the modules rebuild_outputs writes with)
    from grader.course.answers import questions_of
    from grader.course.similarity import cached_fingerprint, document
    from grader.intake.workspace import pristine_notebooks
    from grader.report.gradebook import import_matplotlib
    if several:
        import_matplotlib()
    for notebook in pristine_notebooks():   # parsed once per process (notebooks/handout.py)
        questions_of(notebook)
    while (result := finished.get()) is not None:
        if several and result.code and not result.error:
            cached_fingerprint(document(result.code))


# The batch-file preparation's CPU priority below the batch's own (added to its nice value).
PREPARE_NICE = 10


def _grade_locally(todo, out: Path, *, jobs: int, pool: WorkerPool | None, isolation: str,
                   run: RunFolder, memory_bytes: int, seed: int, rubric_path: Path,
                   timeout: float, language: str, functions_only: bool):
    """(name, result) for each of `todo` as it finishes, graded on workers started once for the
    whole batch (grader/workers.py): `jobs` submissions at a time with their student
    processes, and one more whose child only writes its reports (when the pool has a worker
    to spare: pool_size()), so that the next submission starts meanwhile."""
    if not todo:
        return
    jobs = max(1, min(jobs, len(todo)))
    lanes = kernel_lanes(jobs, len(todo))
    slots = threading.Semaphore(jobs)   # held from the start until "graded" (or the end)
    with contextlib.nullcontext(pool) if pool else \
            WorkerPool(pool_size(jobs, len(todo)), str(out.absolute()), jobs=jobs,
                       notebooks=not functions_only) as pool:

        def grade(source, name, fp):
            slots.acquire()
            held = [True]

            def graded():
                if held:
                    held.clear()
                    slots.release()

            try:
                with pool.worker() as worker:
                    return _grade_in_worker(source, out, name, seed, fp, rubric_path, timeout,
                                            language, worker=worker, lanes=lanes,
                                            functions_only=functions_only, isolation=isolation,
                                            run=run, memory_bytes=memory_bytes, graded=graded)
            finally:
                graded()

        with ThreadPoolExecutor(max_workers=pool_size(jobs, len(todo))) as threads:
            futures = {threads.submit(grade, *item): item[1] for item in todo}
            for future in as_completed(futures):
                yield futures[future], future.result()


def write_skipped(skipped: list[Skipped], out: Path) -> None:
    """out/skipped.csv: entry,reason for every entry of the batch folder not graded."""
    from grader.report.files import atomic_write_text
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["entry", "reason"])
    writer.writerows([_cell(s.entry), s.reason] for s in skipped)
    atomic_write_text(Path(out) / SKIPPED, buffer.getvalue())


def _cell(text: str) -> str:
    """A file name as a spreadsheet shows it, never as a formula."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text
