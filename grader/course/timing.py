"""When a submission was handed in, and by whom.

Gradescope puts `submission_metadata.json` beside the submission (/autograder/submission_metadata.json
next to /autograder/submission): its `created_at` is the submission time, `assignment.due_date` the
due date and `users` the students. A batch folder may hold one inside a submission folder. Without
it, the newest modification time of the student's files stands in (a zip's member times, which
are the student's local clock: the report says where the time came from).
"""
from __future__ import annotations

import json
import zipfile

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from grader.intake.submission import regular_files

METADATA = "submission_metadata.json"
MAX_METADATA_BYTES = 1 << 20
FROM_METADATA = METADATA
FROM_FILE_TIMES = "file times"


def parse_time(text) -> datetime | None:
    """An aware datetime from ISO 8601 text ("2018-07-01T14:22:32.365935-07:00", "...Z");
    None for anything else, a date without a time zone included (it would be ambiguous)."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


@dataclass
class Handed:
    """What a submission says about its hand-in: time, where that came from, Gradescope's data."""

    submitted_at: str | None = None
    source: str = ""
    metadata: dict = field(default_factory=dict)


def find_metadata(source: Path) -> Path | None:
    """source/submission_metadata.json, or Gradescope's, beside a folder named `submission`."""
    source = Path(source)
    candidates = [source / METADATA] if source.is_dir() else []
    if source.name == "submission":
        candidates.append(source.parent / METADATA)
    return next((c for c in candidates if c.is_file()), None)


def read_metadata(path: Path) -> dict:
    """The parts of Gradescope's metadata the grader uses, as plain values; {} when unreadable."""
    try:
        if path.stat().st_size > MAX_METADATA_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    assignment = data.get("assignment") if isinstance(data.get("assignment"), dict) else {}
    users = [u for u in data.get("users", []) if isinstance(u, dict)] \
        if isinstance(data.get("users"), list) else []
    return {
        "id": _plain(data.get("id")),
        "created_at": _plain(data.get("created_at")),
        "due_date": _plain(assignment.get("due_date")),
        "late_due_date": _plain(assignment.get("late_due_date")),
        "assignment": _plain(assignment.get("title")),
        "users": [{key: _plain(u.get(key)) for key in ("name", "email", "id", "sid")
                   if u.get(key) is not None} for u in users[:20]],
    }


def _plain(value):
    return value if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None


def _newest_file_time(source: Path, names: set[str]) -> datetime | None:
    """The newest modification time of the files called `names` in the folder or zip."""
    times = []
    try:
        if source.is_file() and zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as archive:
                for info in archive.infolist():
                    if Path(info.filename).name in names:
                        # Zip times have no zone: the student's local clock, read as ours.
                        times.append(datetime(*info.date_time).astimezone())
        elif source.is_dir():   # regular_files: iterative, never follows links (rglob recurses)
            for path in regular_files(source):
                if path.name in names:
                    times.append(datetime.fromtimestamp(path.lstat().st_mtime, timezone.utc))
    except (OSError, ValueError, RecursionError, zipfile.BadZipFile):
        return None
    return max(times) if times else None


def handed_in(source: Path, names) -> Handed:
    """When `source` was handed in: from its metadata when there is one, else file times."""
    source = Path(source)
    path = find_metadata(source)
    metadata = read_metadata(path) if path else {}
    created = parse_time(metadata.get("created_at"))
    if created is not None:
        return Handed(created.isoformat(), FROM_METADATA, metadata)
    newest = _newest_file_time(source, set(names))
    return Handed(newest.isoformat() if newest else None, FROM_FILE_TIMES if newest else "", metadata)
