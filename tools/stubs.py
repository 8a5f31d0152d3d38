"""Generate the student stubs in assignment/ from the reference solutions in solutions/.

Every region between the CS231n START/END marker lines is replaced by `pass`; all
code outside the regions (signatures, docstrings, outputs pre-set to None) is kept.

    python -m tools.stubs           # write assignment/{layers,fc_net,optim}.py
    python -m tools.stubs --check   # exit 1 if assignment/ differs from what this writes
"""
import argparse
import re
import sys
from pathlib import Path

from grader.intake.submission import STUDENT_FILES  # the files students edit: one list for both sides

ROOT = Path(__file__).resolve().parent.parent
START = re.compile(r"^(\s*)# \*{5}START OF YOUR CODE \(DO NOT DELETE/MODIFY THIS LINE\)\*{5}\s*$")
END = re.compile(r"^\s*# \*{5}END OF YOUR CODE \(DO NOT DELETE/MODIFY THIS LINE\)\*{5}\s*$")


class MarkerError(ValueError):
    """The START/END markers of a file do not pair up."""


def solution_regions(text):
    """Yield (start_line, end_line, lines) for every marked region, 0-based, markers excluded."""
    lines = text.splitlines()
    start = None
    for i, line in enumerate(lines):
        if START.match(line):
            if start is not None:
                raise MarkerError(f"line {i + 1}: START inside the region opened at line {start + 1}")
            start = i
        elif END.match(line):
            if start is None:
                raise MarkerError(f"line {i + 1}: END without START")
            yield start, i, lines[start + 1:i]
            start = None
    if start is not None:
        raise MarkerError(f"line {start + 1}: START never closed")


def make_stub(text):
    """Return `text` with every marked region's body replaced by `pass`."""
    lines = text.splitlines()
    out, cursor = [], 0
    for start, end, _ in solution_regions(text):
        indent = START.match(lines[start]).group(1)
        out += lines[cursor:start + 1] + ["", indent + "pass", ""]
        cursor = end
    out += lines[cursor:]
    return "\n".join(out) + "\n"


def generate(solutions_dir=ROOT / "solutions"):
    """Map each student file name to the stub text generated from its solution."""
    return {name: make_stub((Path(solutions_dir) / name).read_text()) for name in STUDENT_FILES}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name, text in generate().items():
        target = ROOT / "assignment" / name
        if target.exists() and target.read_text() == text:
            continue
        stale.append(name)
        if not args.check:
            target.write_text(text)
    if args.check and stale:
        print("assignment/ is out of date with solutions/: " + ", ".join(stale)
              + " (run `make stubs`)", file=sys.stderr)
        return 1
    print(("stale: " if args.check else "wrote: ") + (", ".join(stale) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
