"""submissions/ ships what `make examples` writes from solutions/ and the handout, so the
examples `make grade` grades never drift from the code they stand for."""
from pathlib import Path

from tools.make_examples import OUT, write_examples


def files_below(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def test_shipped_examples_are_what_make_examples_writes(tmp_path):
    fresh = files_below(write_examples(tmp_path / "submissions"))
    shipped = files_below(OUT)
    assert sorted(shipped) == sorted(fresh)
    stale = [name for name in fresh if shipped[name] != fresh[name]]
    assert stale == [], f"submissions/ is out of date ({stale}): run `make examples`"
