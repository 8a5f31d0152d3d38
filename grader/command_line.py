"""What the `grade` verb checks before it starts and prints when it is done: paths that do not
exist or are not what an option needs stop it with one line and exit status 2, and scores are
printed as the reports print them."""
from __future__ import annotations

import sys
from pathlib import Path

from grader.intake.submission import submission_name

USAGE_ERROR = 2


class UsageError(Exception):
    """A command line that cannot be run as given; the message is one line."""


def _is_submission(path: Path) -> bool:
    return path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip")


def gather_sources(named: list[Path], each: Path | None, only: list[str] | None,
                   out: Path | None = None) -> tuple[list[Path], list[str], list]:
    """The submissions to grade: the named ones, then every folder and zip of `each`, kept to
    the names in `only` (report names, or folder names and zip stems) when given; their report
    folders' names, decided over all of them (so that --only never moves a report); and the
    entries of `each` that are skipped, with the reason (batch.Skipped). Raises UsageError for
    anything that cannot be graded as asked."""
    from grader.batch import list_submissions, report_names_for
    sources, skipped = [], []
    for path in named:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
        if not _is_submission(path):
            raise UsageError(f"{path}: a submission is a folder or a .zip file")
        sources.append(path)
    if each is not None:
        if not each.exists():
            raise UsageError(f"--each {each}: no such folder")
        if not each.is_dir():
            raise UsageError(f"--each {each}: not a folder (to grade one file, name it without --each)")
        found, skipped = list_submissions(each, out)
        if not found:
            raise UsageError(f"--each {each}: the folder holds no submission (folders or .zip files)")
        sources += found
    if not sources:
        raise UsageError("nothing to grade: name submissions or give --each DIR")
    names = report_names_for(sources)
    if only:
        known = set(names) | {submission_name(s) for s in sources}
        unknown = [n for n in only if n not in known]
        if unknown:
            raise UsageError(f"--only {', '.join(unknown)}: no submission of that name among "
                             f"the {len(sources)} given")
        kept = [i for i, (s, n) in enumerate(zip(sources, names))
                if n in only or submission_name(s) in only]
        sources, names = [sources[i] for i in kept], [names[i] for i in kept]
    return sources, names, skipped


def check_file(option: str, path: Path | None) -> None:
    if path is not None and not Path(path).is_file():
        raise UsageError(f"{option} {path}: no such file")


def check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, not a folder")


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return USAGE_ERROR


def score_line(result) -> str:
    """'54.18 / 100' (as report.md prints it), or the reason it could not be graded."""
    from grader.report.details import points   # the reports' modules: not before the workers
    if result.error:
        return f"not graded: {' '.join(str(result.error).split())[:200]}"
    text = f"{points(result.score)} / {points(result.max_score)}"
    if result.late is not None and result.late.points > 0:
        text += f" (late: -{points(result.late.points)})"
    return text


def print_results(results, seed: int, out: Path, verbosity: int) -> None:
    """The terminal summary: each submission's score (with -v its seed and written answers),
    a note when kept reports were graded with another seed, and where the outputs are."""
    other_seeds = sorted({r.seed for r in results if r.seed != seed})
    if verbosity >= 0:
        for result in results:
            line = f"  {result.name}: {score_line(result)}"
            if verbosity > 0:
                blank = sum(a.blank for a in result.answers)
                line += f"  [seed {result.seed}"
                line += f", {len(result.answers) - blank}/{len(result.answers)} answers" \
                    if result.answers else ""
                line += "]"
            print(line)
    if other_seeds:
        kept = [r.name for r in results if r.seed != seed]
        print(f"note: {len(kept)} kept report(s) were graded earlier with seed "
              f"{', '.join(map(str, other_seeds))}, not {seed}: "
              f"{', '.join(kept[:5])}{' ...' if len(kept) > 5 else ''} (--force regrades them "
              "with this run's seed)")
    print(f"reports in {out}/: index.html, gradebook.csv, canvas.csv, answers.html, "
          "similarity.html")
