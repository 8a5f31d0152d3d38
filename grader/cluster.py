"""Grading a batch on a Dask distributed cluster (`python -m grader grade ... --cluster ADDR`).

Each submission is one task, `grade_task(payload)`, run by a Dask worker exactly as a local
batch grades it: in a fresh child of a pre-imported grader worker (grader/workers.py) on that
machine, sandboxed the same way, under the same time limit. Nothing is shared but the
scheduler's connection: the task carries the submission and the rubric as data, and returns
the lossless results model and the report files as data, which the batch writes into REPORTS
as a local run would (results.json last). A worker that dies mid-task has its task rescheduled
by the scheduler on another worker (up to distributed.scheduler.allowed-failures times; after
that the submission gets a report saying so). Which reports are current, `--force` and the
gradebook are decided by the batch exactly as locally (grader/batch.py).

A worker needs this repository (the grader, the solutions, the handout) at the same version
as the batch's: a task refuses to grade on a worker whose grader differs. It also needs
bubblewrap (or grades at the weaker isolation level it finds, which the report records).
"""
from __future__ import annotations

import hashlib
import os
import queue
import shutil
import stat
import tempfile
import uuid
from pathlib import Path, PurePosixPath

from grader.intake.submission import regular_files
from grader.report.files import atomic_write_bytes, atomic_write_text
from grader.results import SubmissionResult
from grader.workers import GradeRequest, Worker, cores, failure_reason

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_SUFFIXES = (".py", ".ipynb")   # the intake takes nothing else from a folder
WAIT_FOR_WORKERS = 60                  # seconds to wait for a first worker to join


# ---------------------------------------------------------------------------- the batch's side


def grade_on_cluster(address: str, todo, out: Path, *, seed: int, rubric_path: Path,
                     timeout: float, language: str, functions_only: bool):
    """(name, result) for each (source, name, fingerprint) of `todo` as its task finishes."""
    if not todo:
        return
    from distributed import Client, as_completed

    rubric_text = Path(rubric_path).read_text()
    digest = grader_digest()
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
        futures = {}
        for source, name, fp in todo:
            payload = dict(submission=pack_submission(Path(source)), seed=seed, fingerprint=fp,
                           rubric=rubric_text, timeout=timeout, functions_only=functions_only,
                           language=language,
                           grader=digest)
            key = f"grade-{name}-{uuid.uuid4().hex[:8]}"
            futures[client.submit(grade_task, payload, key=key, pure=False)] = (name, seed, fp)
        for future in as_completed(futures):
            name, seed, fp = futures[future]
            try:
                reply = future.result()
            except Exception as exc:   # e.g. KilledWorker: every worker it ran on died
                reply = {"reason": f"the cluster could not grade it: {type(exc).__name__}: {exc}"}
            yield name, store_reply(reply, out, name, seed, fp, language)


def pack_submission(source: Path) -> dict:
    """The submission as data: a zip's bytes, a folder's .py and .ipynb files by relative
    path (what the intake could take from it), or only the name of anything else."""
    packed = {"name": source.name, "kind": "other", "files": {}}
    try:
        if source.is_file() and source.suffix.lower() == ".zip":
            packed.update(kind="zip", data=source.read_bytes())
        elif source.is_dir():
            packed["kind"] = "folder"
            for path in regular_files(source):
                if path.suffix in SHIPPED_SUFFIXES:
                    packed["files"][path.relative_to(source).as_posix()] = path.read_bytes()
    except OSError as exc:
        packed.update(kind="unreadable", reason=f"{type(exc).__name__}: {exc}")
    return packed


def store_reply(reply: dict, out: Path, name: str, seed: int, fp: str,
                language: str = "en") -> SubmissionResult:
    """Write what a task sent back into out/<name>/ and the model beside it, as a local worker
    would have written them; the scored model, or a failed one with the reason."""
    from grader.batch import model_path, settle   # batch imports this module
    report_dir, model = Path(out) / name, model_path(out, name)
    model.parent.mkdir(parents=True, exist_ok=True)
    model.unlink(missing_ok=True)   # a model left by an earlier run must not pass for this one
    files = {rel: data for rel, data in (reply.get("files") or {}).items() if _safe(rel)}
    if reply.get("model") and "results.json" in files:
        for rel, data in files.items():
            if rel != "results.json":
                (report_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(report_dir / rel, data)
        atomic_write_text(model, reply["model"])
        atomic_write_bytes(report_dir / "results.json", files["results.json"])
    return settle(out, name, seed, fp, reply.get("reason"), language)


def _safe(relative: str) -> bool:
    path = PurePosixPath(relative)
    return bool(path.parts) and not path.is_absolute() and ".." not in path.parts


def grader_digest() -> str:
    """Hash of everything whose change makes a report stale, but the submission and rubric.
    Every task asks (a fifth of a second of hashing): the files are hashed again only when
    one of them was changed, added or removed since (their mtimes and sizes tell)."""
    from grader.batch import GRADER_INPUTS, _hash_tree
    parts = [ROOT / part for part in GRADER_INPUTS if (ROOT / part).exists()]
    stamp = tuple(_stamps(parts))
    if _digests.get("stamp") != stamp:
        digest = hashlib.sha256()
        for part in parts:
            _hash_tree(digest, part)
        _digests.update(stamp=stamp, digest=digest.hexdigest())
    return _digests["digest"]


_digests: dict = {}   # the stamp of the grader's files when last hashed, and the digest


def _stamps(parts):
    for part in parts:
        files = [part] if part.is_file() else sorted(regular_files(
            part, ignored=("__pycache__", ".ipynb_checkpoints"), skip_unreadable=False))
        for file in files:
            status = file.stat()
            yield str(file), status.st_mtime_ns, status.st_size


# ---------------------------------------------------------------------------- the worker's side

_idle: queue.SimpleQueue = queue.SimpleQueue()   # this process's idle grader workers
_scratch: list[Path] = []                         # this process's private task folder
_level: list[str] = []                            # its isolation level, decided with it


def grade_task(payload: dict) -> dict:
    """Run on a Dask worker: grade one packed submission; {"model", "files", "reason"}."""
    if payload["grader"] != grader_digest():
        return {"reason": f"the cluster worker on {os.uname().nodename} has another version of "
                          f"the grader, solutions or handout than the batch ({ROOT})"}
    packed = payload["submission"]
    if packed["kind"] == "unreadable":
        return {"reason": f"the submission could not be read: {packed['reason']}"}
    task = Path(tempfile.mkdtemp(prefix="task-", dir=_task_folder()))
    try:
        source = _unpack(packed, task / "submission")
        rubric = task / "rubric.toml"
        rubric.write_text(payload["rubric"])
        report_dir, model = task / "report", task / "model.json"
        request = GradeRequest(source=str(source), report_dir=str(report_dir), model=str(model),
                               seed=payload["seed"], fingerprint=payload["fingerprint"],
                               rubric=str(rubric), lanes=_lanes(),
                               functions_only=payload["functions_only"],
                               language=payload.get("language", ""),
                               isolation=_isolation())
        worker = _take_worker()
        try:
            outcome = worker.grade(request, payload["timeout"])
        finally:
            _idle.put(worker)
        reply = {"reason": failure_reason(outcome, payload["timeout"]), "files": {},
                 "model": model.read_text() if model.is_file() else None}
        if report_dir.is_dir():
            for path in regular_files(report_dir):
                reply["files"][path.relative_to(report_dir).as_posix()] = path.read_bytes()
        return reply
    finally:
        shutil.rmtree(task, ignore_errors=True)


def close_workers() -> None:
    """Stop this process's idle grader workers (they also stop when the process ends)."""
    while True:
        try:
            _idle.get_nowait().close()
        except queue.Empty:
            return


def _unpack(packed: dict, folder: Path) -> Path:
    """The submission again, under its own name, as the batch's machine had it."""
    folder.mkdir()
    source = folder / packed["name"]
    if packed["kind"] == "zip":
        source.write_bytes(packed["data"])
    elif packed["kind"] == "folder":
        source.mkdir()
        for relative, data in packed["files"].items():
            if _safe(relative):
                target = source / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    else:   # neither a folder nor a zip there: the intake says so here too
        os.mkfifo(source)
    return source


def _task_folder() -> Path:
    """A folder of this worker process's own, closed to everyone else (student uids included):
    it holds submissions, rubrics and reports. Decides the isolation level once."""
    if not _scratch:
        from grader.isolation import sandbox
        folder = Path(tempfile.mkdtemp(prefix="grader-cluster-"))
        os.chmod(folder, stat.S_IRWXU)
        level = sandbox.detect_level()
        _level.append(level)
        if level == "unprivileged-user":
            sandbox.protect_secrets([ROOT / "solutions", ROOT / "grader" / "rubric.toml",
                                     ROOT / "submissions"])
        _scratch.append(folder)
    return _scratch[0]


def _take_worker() -> Worker:
    """An idle grader worker of this process, or a new one (one per task running at once)."""
    try:
        return _idle.get_nowait()
    except queue.Empty:
        return Worker(label=f"dask task folder {_task_folder()}")


def _isolation() -> str:
    _task_folder()
    return _level[0]   # probed once per worker process, with its task folder


def _lanes() -> int:
    """Notebook kernels per submission: the cores this worker's task threads leave over."""
    try:
        from distributed import get_worker
        threads = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        threads = 1
    return max(1, cores() // max(1, threads))

