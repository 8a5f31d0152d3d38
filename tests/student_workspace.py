"""Student workspaces for the tests: the handout's assignment/ with files laid over it."""
import re
import shutil
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_workspace(folder: Path, files: dict | None = None, *, solutions: bool = True) -> Path:
    """folder/ws/assignment = the handout, the reference solutions over it (unless
    solutions=False: the untouched stubs), then `files` ({name: text}) over that."""
    workspace = folder / "ws"
    shutil.copytree(ROOT / "assignment", workspace / "assignment",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if solutions:
        for solution in (ROOT / "solutions").glob("*.py"):
            shutil.copy(solution, workspace / "assignment" / solution.name)
    for name, text in (files or {}).items():
        (workspace / "assignment" / name).write_text(text)
    return workspace


def solution(name: str) -> str:
    return (ROOT / "solutions" / name).read_text()


def with_function(source: str, name: str, definition: str) -> str:
    """`source` with the top-level function `name` replaced by `definition`."""
    match = re.search(r"^def %s\(.*?(?=^def |^class |\Z)" % re.escape(name), source, re.S | re.M)
    assert match, name
    return source[:match.start()] + textwrap.dedent(definition).strip() + "\n\n\n" + source[match.end():]


def edited(source: str, old: str, new: str) -> str:
    """`source` with the one occurrence of `old` replaced by `new`."""
    assert source.count(old) == 1, old
    return source.replace(old, new)
