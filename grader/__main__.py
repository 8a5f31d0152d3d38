"""Command line: `python -m grader <verb> ...`. Verbs live in their modules; this only
parses arguments and dispatches.

    grade SUB... --out DIR [--jobs N] [--seed S] [--force]   grade submissions (folders/zips)
    grade --each DIR --out DIR ...                           every entry of DIR is a submission
    grade-one SUB --out DIR --seed S                         one submission, in this process
    gradescope [--root DIR]                                  Gradescope's $AUTOGRADER_ROOT layout
"""
from __future__ import annotations

import argparse
import dataclasses
import secrets
import sys
from pathlib import Path

from grader.isolation import sandbox
from grader.rubric import DEFAULT_RUBRIC, load_rubric

ROOT = Path(__file__).resolve().parent.parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    grade = verbs.add_parser("grade", help="grade one or more submissions")
    grade.add_argument("submissions", nargs="*", type=Path)
    grade.add_argument("--each", type=Path, help="grade every folder/.zip inside this folder")
    grade.add_argument("--out", type=Path, required=True)
    grade.add_argument("--jobs", type=int, default=1)
    grade.add_argument("--seed", type=int, help="reproduce a run (default: drawn at random)")
    grade.add_argument("--force", action="store_true", help="regrade current reports too")
    grade.add_argument("--rubric", type=Path, default=DEFAULT_RUBRIC)
    grade.add_argument("--junit", type=Path, help="also write JUnit XML here")
    one = verbs.add_parser("grade-one", help="grade one submission in this process")
    one.add_argument("submission", type=Path)
    one.add_argument("--out", type=Path, required=True)
    one.add_argument("--seed", type=int, required=True)
    one.add_argument("--fingerprint", default="")
    one.add_argument("--rubric", type=Path, default=DEFAULT_RUBRIC)
    one.add_argument("--model", type=Path, help="also write the results model (JSON) here")
    scope = verbs.add_parser("gradescope", help="grade $AUTOGRADER_ROOT/submission for Gradescope")
    scope.add_argument("--root", type=Path, help="default: $AUTOGRADER_ROOT or /autograder")
    scope.add_argument("--seed", type=int)
    scope.add_argument("--rubric", type=Path, default=DEFAULT_RUBRIC)
    for verb in (grade, one, scope):
        verb.add_argument("--lang", choices=("en", "zh", "both"),
                          help="language of the reports: en, zh (中文) or both "
                               "(default: the rubric's [report] language)")
    return parser


def _announce_isolation(secrets_paths) -> str:
    """The isolation level student code will get; without bubblewrap, file permissions must
    hide `secrets_paths` from the student uids (Gradescope's container as much as `make grade`)."""
    level = sandbox.isolation_level()
    if level == "unprivileged-user":
        sandbox.protect_secrets(secrets_paths)
    warning = sandbox.isolation_warning(level)
    if warning:
        print(warning, file=sys.stderr)
    return level


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    rubric = load_rubric(args.rubric)
    if args.lang:
        rubric = dataclasses.replace(rubric, language=args.lang)
    if args.verb == "grade-one":
        from grader.pipeline import grade_submission
        grade_submission(args.submission, args.out, seed=args.seed, rubric=rubric,
                         fingerprint=args.fingerprint, model=args.model)
        return 0

    if args.verb == "gradescope":
        from grader.gradescope import autograder_root, run_gradescope
        root = args.root or autograder_root()
        (root / "results").mkdir(parents=True, exist_ok=True)
        _announce_isolation([ROOT / "solutions", args.rubric, root / "results"])
        path = run_gradescope(root, rubric, args.seed)
        print(f"wrote {path}")
        return 0

    from grader.batch import grade_batch, list_submissions
    sources = list(args.submissions)
    if args.each:
        sources += list_submissions(args.each)
    if not sources:
        print("nothing to grade: name submissions or --each DIR", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    level = _announce_isolation([ROOT / "solutions", args.rubric, args.out, ROOT / "submissions"])
    print(f"grading {len(sources)} submission(s) with seed {seed}, isolation: {level}")
    results = grade_batch(sources, args.out, jobs=args.jobs, seed=seed, rubric=rubric,
                          force=args.force)
    if args.junit:
        from grader.report.files import atomic_write_text
        from grader.report.junit import to_junit
        atomic_write_text(args.junit, to_junit(results, lang=rubric.language))
    for result in results:
        status = f"error: {result.error}" if result.error else f"{result.score:g} / {result.max_score:g}"
        print(f"  {result.name}: {status}")
    print(f"reports in {args.out}/, gradebook in {args.out / 'gradebook.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
