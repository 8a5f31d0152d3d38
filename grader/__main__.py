"""Command line: `python -m grader <verb> ...`. Verbs live in their modules; this only
parses arguments and dispatches.

    grade SUB... --out DIR [--jobs N] [--seed S] [--force]   grade submissions (folders/zips)
    grade --each DIR --out DIR [--only NAME] [--roster CSV]  every entry of DIR is a submission
          [--functions-only] [--cluster tcp://HOST:PORT]      hidden tests only; on Dask
    grade-one SUB --out DIR --seed S                         one submission, in this process
    gradescope [--root DIR]                                  Gradescope's $AUTOGRADER_ROOT layout
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import secrets
import sys
import time
from pathlib import Path

import grader
from grader.command_line import UsageError, check_file, check_out, fail, gather_sources, print_results
from grader.isolation import sandbox
from grader.rubric import DEFAULT_RUBRIC, RubricError, load_rubric
from grader.workers import MEMORY_PER_JOB, Worker, WorkerPool, cores, pool_size

STARTED = time.monotonic()   # grade-one's time runs from here: importing the pipeline counts too
ROOT = Path(__file__).resolve().parent.parent
TRUE = ("1", "true", "yes")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader", description="The autograder of the batch normalization "
        "assignment: grades submissions (folders or .zip files) and writes their reports.")
    parser.add_argument("--version", action="version", version=f"grader {grader.__version__}")
    common = argparse.ArgumentParser(add_help=False)
    talk = common.add_mutually_exclusive_group()
    talk.add_argument("-v", "--verbose", action="count", default=0,
                      help="print more: each submission's seed and written answers.")
    talk.add_argument("-q", "--quiet", action="store_true",
                      help="print less: no progress bar and no line per submission.")
    common.add_argument("--rubric", type=Path, default=DEFAULT_RUBRIC, metavar="FILE",
                        help="the rubric file with points, tolerances and limits "
                             "(default: grader/rubric.toml).")
    common.add_argument("--lang", choices=("en", "zh", "both"),
                        help="language of the reports: en, zh (中文) or both "
                             "(default: the rubric's [report] language).")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    grade = verbs.add_parser(
        "grade", parents=[common], help="grade submissions into a reports folder.",
        description="Grade submissions into a report folder each under --out, then rebuild "
                    "every batch file there (gradebook.csv, canvas.csv, index.html, answers.html, "
                    "similarity.html) from all its reports. Reports that are current are kept; "
                    "manual.csv in --out adds hand-given points without regrading.")
    grade.add_argument("submissions", nargs="*", type=Path, metavar="SUBMISSION",
                       help="a submission: a folder or a .zip file.")
    grade.add_argument("--each", type=Path, metavar="DIR",
                       help="grade every folder and .zip file inside DIR.")
    grade.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="the reports folder (created when missing).")
    grade.add_argument("--only", action="append", metavar="NAME",
                       help="regrade only the submission called NAME (a folder name or zip stem); "
                            "repeat for more. Every batch file still covers every report in --out.")
    grade.add_argument("--jobs", type=int, default=cores(), metavar="N",
                       help=f"grade N submissions at the same time (default: the {cores()} "
                            f"cores here); each job needs {MEMORY_PER_JOB} of memory. With "
                            "fewer jobs than cores, a submission's notebooks run on several "
                            "kernels at once.")
    grade.add_argument("--functions-only", action="store_true",
                       default=os.environ.get("GRADER_FUNCTIONS_ONLY", "").lower() in TRUE,
                       help="grade the hidden function tests only, without the notebooks "
                            "(feedback in about a second; the reports say so). The "
                            "environment variable GRADER_FUNCTIONS_ONLY=true does the same.")
    grade.add_argument("--cluster", metavar="tcp://HOST:PORT",
                       help="grade on the workers of this Dask scheduler (README: on a "
                            "cluster); --jobs is then the workers' business.")
    grade.add_argument("--seed", type=int, metavar="S",
                       help="the seed of the hidden tests' inputs, to reproduce a run "
                            "(default: drawn at random).")
    grade.add_argument("--force", action="store_true",
                       help="regrade reports that are current too.")
    grade.add_argument("--roster", type=Path, metavar="CSV",
                       help="a CSV file with a row per student: submission name, student_id, "
                            "name, email (README: roster); kept in --out for later runs.")
    grade.add_argument("--junit", type=Path, metavar="FILE",
                       help="also write JUnit XML of this run's submissions to FILE.")
    one = verbs.add_parser(
        "grade-one", parents=[common], help="grade one submission in this process.",
        description="Grade one submission in this process, as each of `grade`'s workers does "
                    "in a fresh child process per submission (grader/workers.py).")
    one.add_argument("submission", type=Path, help="a folder or a .zip file.")
    one.add_argument("--out", type=Path, required=True, metavar="DIR",
                     help="the submission's report folder.")
    one.add_argument("--seed", type=int, required=True, metavar="S",
                     help="the seed of the hidden tests' inputs.")
    one.add_argument("--fingerprint", default="",
                     help="the fingerprint to record (the batch uses it to keep current reports).")
    one.add_argument("--model", type=Path, metavar="FILE",
                     help="also write the results model (JSON) to FILE.")
    one.add_argument("--lanes", type=int, default=1, metavar="N",
                     help="run the notebooks on N kernels at once (default: 1).")
    one.add_argument("--functions-only", action="store_true",
                     help="the hidden function tests only, without the notebooks.")
    one.add_argument("--isolation", choices=sandbox.LEVELS,
                     help="the isolation level to grade at (default: the strongest that works "
                          "here, found by starting a sandboxed Python).")
    scope = verbs.add_parser(
        "gradescope", parents=[common], help="grade the submission Gradescope hands over.",
        description="Grade ROOT/submission and write ROOT/results/results.json, as Gradescope "
                    "expects; ROOT/submission_metadata.json gives the hand-in time when present.")
    scope.add_argument("--root", type=Path, metavar="DIR",
                       help="the autograder folder (default: $AUTOGRADER_ROOT or /autograder).")
    scope.add_argument("--seed", type=int, metavar="S",
                       help="the seed of the hidden tests' inputs (default: drawn at random).")
    return parser


def _announce_isolation(secrets_paths) -> str:
    """The isolation level student code will get, decided here once for the whole run and
    handed to every worker; without bubblewrap, file permissions must hide `secrets_paths` from
    the student uids (Gradescope's container as much as `make grade`)."""
    level = sandbox.detect_level()
    if level == "unprivileged-user":
        sandbox.protect_secrets(secrets_paths)
    warning = sandbox.isolation_warning(level)
    if warning:
        print(warning, file=sys.stderr)
    return level


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        check_file("--rubric", args.rubric)
        rubric = load_rubric(args.rubric)
    except (UsageError, RubricError) as exc:
        return fail(str(exc))
    if args.lang:
        rubric = dataclasses.replace(rubric, language=args.lang)
    if args.verb == "grade-one":
        from grader.pipeline import grade_submission
        grade_submission(args.submission, args.out, seed=args.seed, rubric=rubric,
                         isolation=args.isolation or sandbox.detect_level(),
                         fingerprint=args.fingerprint, model=args.model, lanes=args.lanes,
                         functions_only=args.functions_only, started=STARTED)
        return 0

    if args.verb == "gradescope":
        from grader.gradescope import autograder_root, run_gradescope
        root = args.root or autograder_root()
        (root / "results").mkdir(parents=True, exist_ok=True)
        level = _announce_isolation([ROOT / "solutions", args.rubric, root / "results"])
        path = run_gradescope(root, rubric, args.seed, isolation=level)
        print(f"wrote {path}")
        return 0

    # The first worker starts its imports now, while this process reads the submissions.
    first = None if args.cluster else Worker(str(args.out.absolute()),
                                             notebooks=not args.functions_only)
    try:
        return _grade(args, rubric, first)
    finally:
        if first is not None:
            first.close()   # unused (nothing to grade) or done: closed once more, harmlessly


def _grade(args, rubric, first: Worker | None) -> int:
    from grader.batch import grade_batch
    try:
        sources, names, skipped = gather_sources(args.submissions, args.each, args.only, args.out)
        for entry in skipped:
            print(f"skipped {entry.entry}: {entry.reason}")
        check_out(args.out)
        if args.jobs < 1:
            raise UsageError(f"--jobs {args.jobs}: must be 1 or more")
        if args.roster is not None:
            from grader.course.roster import RosterError, keep_roster
            check_file("--roster", args.roster)
            try:
                keep_roster(args.roster, args.out)
            except RosterError as exc:
                raise UsageError(str(exc)) from exc
    except UsageError as exc:
        return fail(str(exc))
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    # The workers import the grader while this process probes the sandbox and reads the
    # submissions (reports found current leave them idle).
    with contextlib.nullcontext() if args.cluster else \
            WorkerPool(pool_size(args.jobs, len(sources)), str(args.out.absolute()),
                       jobs=args.jobs, notebooks=not args.functions_only, first=first) as pool:
        level = _announce_isolation([ROOT / "solutions", args.rubric, args.out,
                                     ROOT / "submissions"])
        print(f"grading {len(sources)} submission(s) with seed {seed}, isolation: {level}")
        results = grade_batch(sources, args.out, jobs=args.jobs, seed=seed, rubric=rubric,
                              isolation=level, force=args.force or bool(args.only),
                              progress=not args.quiet,
                              functions_only=args.functions_only, cluster=args.cluster,
                              pool=pool, names=names, skipped=skipped)
    if args.junit:
        from grader.report.files import atomic_write_text
        from grader.report.junit import to_junit
        atomic_write_text(args.junit, to_junit(results, lang=rubric.language))
    print_results(results, seed, args.out, -1 if args.quiet else args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
