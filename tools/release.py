"""Build the student handout: dist/handout/ and dist/handout.zip (`make release`).

    python -m tools.release [--out DIR]

The handout is assembled from an allowlist, never by copying the repository and deleting:

    assignment/            the stubs and the given helpers (incl. public_checks.py), no caches
    notebooks/*.ipynb      outputs and execution counts cleared; every cell tagged "provided"
                           carries metadata {"grader": {"provided_sha256": <sha256 of its source>}}
    data/                  digits.npz, plus README.md and get_cifar10.py when present
    requirements.txt       the student's packages, pinned as in the repository's requirements.txt
    Makefile  README.md  collect_submission.py    from the templates in tools/handout/

It refuses (exit status 1, nothing written) when assignment/ is stale with respect to
solutions/ (run `make stubs`), when a notebook's cells have no ids (the grader matches cells by
id), or when any line of a solution region shows up in a handout file.
"""
import argparse
import hashlib
import json
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

from tools.stubs import STUDENT_FILES, generate, solution_regions

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "handout"
STUDENT_PACKAGES = ("numpy", "matplotlib", "nbformat", "nbclient", "ipykernel", "jupyter_client")
DATA_FILES = ("digits.npz", "README.md", "get_cifar10.py")   # digits.npz is required
NOTEBOOK_ORDER = ("FullyConnectedNets.ipynb", "BatchNormalization.ipynb", "Dropout.ipynb")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", ".DS_Store")
PROVIDED = "provided"
MIN_LEAK_CHARS = 12   # shorter solution lines (`out = x`, `pass`) are too generic to count as leaks


class ReleaseError(Exception):
    """The handout cannot be built; the message says what to fix."""


# --------------------------------------------------------------------------- checks

def check_stubs_current(root=ROOT):
    """Refuse when assignment/ is not exactly what tools.stubs generates from solutions/."""
    stale = [name for name, text in generate(Path(root) / "solutions").items()
             if not (Path(root) / "assignment" / name).is_file()
             or (Path(root) / "assignment" / name).read_text() != text]
    if stale:
        raise ReleaseError("assignment/ is out of date with solutions/ (" + ", ".join(stale) + "): "
                           "run `make stubs` (python -m tools.stubs), check the diff, then release again.")


def solution_lines(solutions_dir, stub_texts):
    """The lines of every solution region that would give code away, stripped.

    Trivial lines (under MIN_LEAK_CHARS characters) and lines that also occur in the stubs
    (shared comments, `pass`) are left out; a line with a trailing comment also counts without it.
    """
    in_stubs = {line.strip() for text in stub_texts for line in text.splitlines()}
    lines = set()
    for path in sorted(Path(solutions_dir).glob("*.py")):
        for _, _, region in solution_regions(path.read_text()):
            for line in region:
                full = line.strip()
                code = re.split(r"\s+#", full, maxsplit=1)[0].strip()
                for candidate in {full, code}:
                    if len(candidate) >= MIN_LEAK_CHARS and candidate not in in_stubs:
                        lines.add(candidate)
    return lines


def file_texts(path):
    """The text of a file for leak scanning; a notebook also yields its decoded cell sources."""
    raw = Path(path).read_bytes()
    texts = [raw.decode("utf-8", errors="ignore")]
    if path.suffix == ".ipynb":
        try:
            notebook = json.loads(texts[0])
            texts += ["".join(cell.get("source", "")) for cell in notebook.get("cells", [])]
        except ValueError:
            pass
    return texts


def find_leaks(folder, lines):
    """[(relative path, solution line)] for every solution line found in a file under `folder`."""
    leaks = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        texts = file_texts(path)
        for line in sorted(lines):
            if any(line in text for text in texts):
                leaks.append((path.relative_to(folder).as_posix(), line))
    return leaks


# --------------------------------------------------------------------------- pieces

def provided_sha256(source):
    """The tamper mark of a provided cell: sha256 of its source (one string, as nbformat joins it)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def clean_notebook(notebook):
    """Clear outputs and execution counts; mark each provided cell with the sha256 of its source."""
    for cell in notebook.cells:
        cell.metadata.pop("grader", None)
        cell.metadata.pop("execution", None)      # nbclient's timing record
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if PROVIDED in cell.metadata.get("tags", []):
            cell.metadata["grader"] = {"provided_sha256": provided_sha256(cell.source)}
    return notebook


def read_notebook(path):
    notebook = nbformat.read(path, as_version=4)
    if notebook.nbformat_minor < 5 or any(not cell.get("id") for cell in notebook.cells):
        raise ReleaseError(f"{path.name}: some cells have no id (nbformat 4.{notebook.nbformat_minor}); the "
                           "grader matches cells by id. Open and save it with a current Jupyter, or run "
                           "nbformat.validator.normalize, and commit the result before releasing.")
    return notebook


def ordered_notebooks(names):
    """Notebook file names in the order students work through them."""
    rank = {name: index for index, name in enumerate(NOTEBOOK_ORDER)}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))


def student_requirements(requirements_text):
    """The student's requirements.txt: the repository's pins of STUDENT_PACKAGES."""
    pins = {}
    for line in requirements_text.splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*==\s*(\S+)$", line)
        if match:
            pins[match.group(1).lower().replace("-", "_")] = match.group(2)
    missing = [name for name in STUDENT_PACKAGES if name not in pins]
    if missing:
        raise ReleaseError("requirements.txt pins no version of " + ", ".join(missing))
    return ("# The packages of the notebooks and the public checks (Python 3.11 or newer), pinned as\n"
            "# the course staff tested them. `make lab` installs them into .venv, and JupyterLab too.\n"
            + "".join(f"{name}=={pins[name]}\n" for name in STUDENT_PACKAGES))


def render_readme(notebook_names):
    text = (TEMPLATES / "README.md").read_text()
    listing = "\n".join(f"  {number}. {name}" for number, name in enumerate(notebook_names, start=1))
    return text.replace("{{NOTEBOOKS}}", listing or "  (none yet)")


def render_collect_submission(notebook_names):
    text = (TEMPLATES / "collect_submission.py").read_text()
    placeholder = ("NOTEBOOKS = None  # the notebooks of the handout; written in by the course's "
                   "release tool\n")
    if placeholder not in text:
        raise ReleaseError("tools/handout/collect_submission.py lost its NOTEBOOKS placeholder line")
    filled = f"NOTEBOOKS = {list(notebook_names)!r}  # the notebooks of this handout\n"
    return text.replace(placeholder, filled)


def write_zip(folder, zip_path, prefix):
    """Zip `folder` as `prefix/...`, members sorted and time-stamped alike (reproducible bytes)."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{prefix}/{path.relative_to(folder).as_posix()}", (1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


# --------------------------------------------------------------------------- the release

def build_handout(dest, root=ROOT):
    """Write the handout folder `dest` from the repository at `root`."""
    root, dest = Path(root), Path(dest)
    check_stubs_current(root)
    shutil.copytree(root / "assignment", dest / "assignment", ignore=IGNORED)

    (dest / "notebooks").mkdir()
    names = ordered_notebooks([path.name for path in (root / "notebooks").glob("*.ipynb")])
    for name in names:
        nbformat.write(clean_notebook(read_notebook(root / "notebooks" / name)), dest / "notebooks" / name)

    (dest / "data").mkdir()
    if not (root / "data" / "digits.npz").is_file():
        raise ReleaseError("data/digits.npz is missing: the notebooks need it")
    for name in DATA_FILES:
        if (root / "data" / name).is_file():
            shutil.copy2(root / "data" / name, dest / "data" / name)

    (dest / "requirements.txt").write_text(student_requirements((root / "requirements.txt").read_text()))
    shutil.copy2(TEMPLATES / "Makefile", dest / "Makefile")
    (dest / "README.md").write_text(render_readme(names))
    (dest / "collect_submission.py").write_text(render_collect_submission(names))

    stubs = [(root / "assignment" / name).read_text() for name in STUDENT_FILES]
    leaks = find_leaks(dest, solution_lines(root / "solutions", stubs))
    if leaks:
        raise ReleaseError("solution code would be handed out:\n" + "\n".join(
            f"  {path}: {line}" for path, line in leaks[:20]) + ("\n  ..." if len(leaks) > 20 else ""))
    return dest


def release(out_dir=ROOT / "dist", root=ROOT):
    """Write out_dir/handout/ and out_dir/handout.zip; return the handout folder.

    Everything is built in a scratch folder first, so a refused release leaves out_dir as it was.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="handout-", dir=out_dir) as scratch:
        built = build_handout(Path(scratch) / "handout", root)
        write_zip(built, Path(scratch) / "handout.zip", prefix="handout")
        target = out_dir / "handout"
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(built), target)
        shutil.move(str(Path(scratch) / "handout.zip"), out_dir / "handout.zip")
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "dist"), help="output folder (default: dist/)")
    args = parser.parse_args(argv)
    try:
        handout = release(Path(args.out))
    except ReleaseError as exc:
        print(f"release refused: {exc}", file=sys.stderr)
        return 1
    files = sorted(p.relative_to(handout).as_posix() for p in handout.rglob("*") if p.is_file())
    print(f"wrote {handout} ({len(files)} files) and {handout.parent / 'handout.zip'}")
    for name in files:
        print("  " + name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
