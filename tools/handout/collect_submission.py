"""Collect your work into submission.zip: `make submission` (or `python collect_submission.py`).

The zip holds assignment/layers.py, assignment/fc_net.py, assignment/optim.py and the notebooks.
It is refused when one of these files is missing or when a notebook has never been run (the
grader runs your notebooks again, but an unrun notebook is almost always a mistake); you are
warned about cells that raised errors, cells that were not run, and cells run out of order.
`--force` turns the refusals into warnings.

Needs nothing but Python 3.
"""
import argparse
import json
import os
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
STUDENT_FILES = ("assignment/layers.py", "assignment/fc_net.py", "assignment/optim.py")
NOTEBOOKS = None  # the notebooks of the handout; written in by the course's release tool


def expected_files(root):
    """The files a submission must contain, relative to the handout folder."""
    if NOTEBOOKS is not None:
        notebooks = ["notebooks/" + name for name in NOTEBOOKS]
    else:
        notebooks = sorted("notebooks/" + path.name for path in (root / "notebooks").glob("*.ipynb"))
    return list(STUDENT_FILES) + notebooks


def inspect_notebook(path):
    """Return (problems, warnings) for one notebook: problems refuse the submission."""
    name = path.name
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = notebook["cells"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        return [f"{name} is not a readable notebook ({type(exc).__name__}); open it in Jupyter and "
                "save it again (or start again from the handout's copy)."], []
    code = [(number, cell) for number, cell in enumerate(cells, start=1)
            if cell.get("cell_type") == "code" and "".join(cell.get("source", "")).strip()]
    ran = [(number, cell) for number, cell in code
           if cell.get("execution_count") is not None or cell.get("outputs")]
    if code and not ran:
        return [f"{name} has not been run: none of its {len(code)} code cells has an output. Open it, "
                "run every cell (Kernel > Restart Kernel and Run All Cells), save it, and run "
                "`make submission` again."], []

    warnings = []
    for number, cell in code:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                warnings.append(f"{name}: cell {number} raised {output.get('ename', 'an error')}: "
                                f"{str(output.get('evalue', ''))[:200]}")
    if len(ran) < len(code):
        ran_numbers = {number for number, _ in ran}
        missing = [str(number) for number, _ in code if number not in ran_numbers]
        warnings.append(f"{name}: {len(code) - len(ran)} of {len(code)} code cells have not been run "
                        f"(cells {', '.join(missing[:10])}{', ...' if len(missing) > 10 else ''}).")
    counts = [cell["execution_count"] for _, cell in ran if isinstance(cell.get("execution_count"), int)]
    if counts != sorted(counts):
        warnings.append(f"{name}: cells were run out of order. The grader runs the notebook top to "
                        "bottom; check that this works (Kernel > Restart Kernel and Run All Cells).")
    return [], warnings


def collect(root=HERE, output=None, force=False):
    """Write the submission zip; return (path or None, problems, warnings)."""
    root = Path(root)
    output = root / "submission.zip" if output is None else Path(output)
    problems, warnings, members = [], [], []
    for relative in expected_files(root):
        path = root / relative
        if not path.is_file():
            problems.append(f"{relative} is missing. Restore it from the handout (your work in the other "
                            "files is not affected) and try again.")
            continue
        members.append(relative)
        if relative.endswith(".ipynb"):
            refused, warned = inspect_notebook(path)
            problems += refused
            warnings += warned
    if problems and not force:
        return None, problems, warnings
    warnings = problems + warnings   # with --force, what would have refused is only a warning
    partial = output.with_name(output.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in members:
            archive.write(root / relative, arcname=relative)
    os.replace(partial, output)
    return output, [], warnings


def main(argv=None):
    parser = argparse.ArgumentParser(description="Collect your work into submission.zip.")
    parser.add_argument("--output", help="where to write the zip (default: submission.zip here)")
    parser.add_argument("--force", action="store_true",
                        help="write the zip even when a file is missing or a notebook was not run")
    args = parser.parse_args(argv)
    path, problems, warnings = collect(HERE, args.output, args.force)
    for warning in warnings:
        print("warning: " + warning, file=sys.stderr)
    if path is None:
        print("No submission written:", file=sys.stderr)
        for problem in problems:
            print("  - " + problem, file=sys.stderr)
        return 1
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    print(f"Wrote {path.name} ({path.stat().st_size // 1024} kB) with {len(names)} files:")
    for name in names:
        print("  " + name)
    print("Upload this file. The grader runs your notebooks again, top to bottom, and tests your "
          "functions with hidden tests.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
