"""Write dist/autograder.zip for Gradescope: setup.sh and run_autograder at its root, and
the grader with the pristine handout and the reference solutions beside them.

    python -m tools.autograder.build [--out dist/autograder.zip]
"""
import argparse
import stat
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CONTENT = ("grader", "assignment", "solutions", "notebooks", "data/digits.npz", "requirements.txt")
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def _files():
    for part in CONTENT:
        path = ROOT / part
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in candidates:
            if file.is_file() and "__pycache__" not in file.parts \
                    and ".ipynb_checkpoints" not in file.parts:
                yield file, file.relative_to(ROOT).as_posix()
    for script in ("setup.sh", "run_autograder"):
        yield HERE / script, script


def build(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for file, name in _files():
            info = zipfile.ZipInfo(name, FIXED_TIME)
            mode = 0o755 if name in ("setup.sh", "run_autograder") else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "autograder.zip")
    args = parser.parse_args(argv)
    print(f"wrote {build(args.out)}")


if __name__ == "__main__":
    main()
