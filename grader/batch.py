"""Grading a batch: each submission is graded in a process of its own, a fresh child of one of
the batch's pre-imported workers (grader/workers.py), so a crash or hang of the grader on one
submission costs only that submission; or on a Dask cluster (grader/cluster.py), the same way on
each machine. Reports that are complete and current (same submission content, same grader,
rubric, handout and solutions) are kept; `force=True` regrades them.
"""
from __future__ import annotations

import contextlib
import hashlib
import queue
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from grader.intake.submission import regular_files, submission_name
from grader.report import write_reports
from grader.results import SubmissionResult
from grader.rubric import DEFAULT_RUBRIC, Rubric
from grader.workers import GradeRequest, Worker, WorkerPool, failure_reason, kernel_lanes

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


def _grade_in_worker(source: Path, out: Path, name: str, seed: int, fp: str, rubric_path: Path,
                     timeout: float, language: str = "en", *, worker: Worker | None = None,
                     lanes: int = 1, functions_only: bool = False,
                     isolation: str = "") -> SubmissionResult:
    """Grade one submission in a fresh child of `worker` (of a worker of its own when None)."""
    report_dir, model = out / name, model_path(out, name)
    model.parent.mkdir(parents=True, exist_ok=True)
    model.unlink(missing_ok=True)   # a model left by an earlier run must not pass for this one
    request = GradeRequest(source=str(Path(source).absolute()),
                           report_dir=str(report_dir.absolute()), model=str(model.absolute()),
                           seed=seed, fingerprint=fp, rubric=str(Path(rubric_path).absolute()),
                           language=language, lanes=lanes, functions_only=functions_only,
                           isolation=isolation)
    if worker is None:
        with Worker(str(out)) as own:
            outcome = own.grade(request, timeout)
    else:
        outcome = worker.grade(request, timeout)
    return settle(out, name, seed, fp, failure_reason(outcome, timeout), language)


def settle(out: Path, name: str, seed: int, fp: str, reason: str | None,
           language: str) -> SubmissionResult:
    """The model a worker left for `name`, or, when it failed or left none that is current, a
    result with score 0 and the reason (written as that submission's report)."""
    result = load_result(out, name)
    if reason is None and result is not None and result.fingerprint == fp:
        return result
    failed = SubmissionResult(name=name, seed=seed, fingerprint="",
                              error=reason or "the grader worker wrote no results")
    write_reports(failed, out / name, model_path(out, name), lang=language)
    return failed


def grade_batch(sources: list[Path], out: Path, *, jobs: int, seed: int, rubric: Rubric,
                isolation: str, force: bool = False, progress: bool = True,
                batch_files: bool = True, functions_only: bool = False,
                cluster: str | None = None, pool: WorkerPool | None = None
                ) -> list[SubmissionResult]:
    """Grade `sources` into out/<name>/, then rebuild every report and batch-wide file under
    `out` from all the models there (grader/course/outputs.py). Returns the models the reports
    of `sources` show (manual points and late penalty applied). Grading runs on `jobs` local
    workers (`pool`, when the caller started them already) at the isolation level `isolation`
    (decided once by the command line) or, given a scheduler address, on a Dask cluster
    (grader/cluster.py: each machine decides its own, once); `functions_only`: the hidden
    tests without the notebooks (the reports say so)."""
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
        if functions_only:   # never taken for a full report, nor a full one for it
            fp = hashlib.sha256(f"{fp} functions-only".encode()).hexdigest()
        previous = load_result(out, name)
        if not force and previous is not None and previous.fingerprint == fp:
            results[name] = previous
        else:
            todo.append((source, name, fp))
    if results:
        print(f"{len(results)} report(s) are current and were kept (use --force to regrade).")
    finished = queue.SimpleQueue()   # what the batch files will need is prepared meanwhile
    if batch_files:
        threading.Thread(target=_prepare_batch_files, args=(finished,), daemon=True).start()
        for result in results.values():
            finished.put(result)
    settings = dict(seed=seed, rubric_path=rubric_path, timeout=rubric.submission_timeout,
                    language=rubric.language, functions_only=functions_only)
    if cluster:
        from grader.cluster import grade_on_cluster
        graded = grade_on_cluster(cluster, todo, out, **settings)
    else:
        graded = _grade_locally(todo, out, jobs=jobs, pool=pool, isolation=isolation, **settings)
    for name, result in tqdm(graded, total=len(todo), unit="submission",
                             disable=not progress or not todo, desc="grading"):
        results[name] = result
        finished.put(result)
    finished.put(None)
    from grader.course.outputs import rebuild_outputs   # it imports this module
    shown = rebuild_outputs(out, rubric, batch_files=batch_files,
                            fresh={name for _, name, _ in todo})
    return [shown.get(name, results[name]) for name in sorted(results)]


def _prepare_batch_files(finished: queue.SimpleQueue) -> None:
    """Beside the grading (the batch process mostly waits for its workers): load the summary
    plot's library and fingerprint each finished submission's code for the similarity page."""
    from grader.course.similarity import cached_fingerprint, document
    from grader.report.gradebook import import_matplotlib
    import_matplotlib()
    while (result := finished.get()) is not None:
        if result.code and not result.error:
            cached_fingerprint(document(result.code))


def _grade_locally(todo, out: Path, *, jobs: int, pool: WorkerPool | None, isolation: str,
                   seed: int, rubric_path: Path, timeout: float, language: str,
                   functions_only: bool):
    """(name, result) for each of `todo` as it finishes, graded on `jobs` workers started once
    for the whole batch (grader/workers.py)."""
    if not todo:
        return
    jobs = max(1, min(jobs, len(todo)))
    lanes = kernel_lanes(jobs, len(todo))
    with contextlib.nullcontext(pool) if pool else WorkerPool(jobs, str(out.absolute())) as pool:

        def grade(source, name, fp):
            with pool.worker() as worker:
                return _grade_in_worker(source, out, name, seed, fp, rubric_path, timeout,
                                        language, worker=worker, lanes=lanes,
                                        functions_only=functions_only, isolation=isolation)

        with ThreadPoolExecutor(max_workers=jobs) as threads:
            futures = {threads.submit(grade, *item): item[1] for item in todo}
            for future in as_completed(futures):
                yield futures[future], future.result()
