"""Execute notebooks against the reference solutions (an instructor's check while writing them).

    python -m tools.try_notebooks [notebooks/X.ipynb ...] [--keep DIR]

Builds a scratch copy of the handout with solutions/ laid over assignment/, runs each
notebook top to bottom with nbclient, and prints the time per notebook and any error.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbclient
import nbformat

from grader.intake.submission import STUDENT_FILES, Intake
from grader.intake.workspace import build_workspace

ROOT = Path(__file__).resolve().parent.parent


def reference_workspace(job: Path) -> Path:
    """The grader's workspace for a submission made of the reference solutions."""
    solutions = Intake(name="reference",
                       files={name: ROOT / "solutions" / name for name in STUDENT_FILES})
    return build_workspace(solutions, job).root


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--keep", help="write executed notebooks into this folder")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    work = reference_workspace(Path(tempfile.mkdtemp(prefix="try-notebooks-")))
    failures = 0
    for path in paths:
        nb = nbformat.read(work / "notebooks" / path.name, as_version=4)
        start = time.perf_counter()
        try:
            nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                    resources={"metadata": {"path": str(work / "notebooks")}}).execute()
            status = "ok"
        except nbclient.exceptions.CellExecutionError as exc:
            failures += 1
            status = "FAILED\n" + str(exc)[-3000:]
        print(f"{path.name}: {time.perf_counter() - start:.1f} s {status}", flush=True)
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, Path(args.keep) / path.name)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
