"""Stage 1, intake: find the student's files in a submission (a folder or a .zip).

The student's editable files and notebooks are found by file name at any depth; every
other file is ignored (never unpacked, never read, never counted against a limit). A file
with a wanted name that is a link, not a regular file, or too large is refused and reported
by its own path, and the handout file is graded in its place. Zip archives are unpacked
defensively: members that are absolute, contain '..', are links, or break the size or
compression-ratio limits are refused one by one and reported, and nothing is written outside
the scratch folder. When an archive holds several members of the same name, the last one is
taken, as unzip does (an archive updated by appending holds the newest copy last).

`fingerprint_submission()` hashes exactly what intake would read, within the same bounds, so
a batch can tell that a report is current without reading a 10 GB file nobody grades.
"""
from __future__ import annotations

import os
import stat
import struct
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

STUDENT_FILES = ("layers.py", "fc_net.py", "optim.py")
# Student code too, taken when present (else the handout's): the helper layers a CS231n
# fc_net.py calls (affine_bn_relu_forward, ...) live in the student's own layer_utils.py.
STUDENT_HELPERS = ("layer_utils.py",)
IGNORED_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".git"}
NAME_SHOWN = 200          # characters of a member name quoted in a message


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 2000               # members unpacked (wanted names only)
    max_entries: int = 100_000            # entries in the central directory (parsing costs
                                          # memory: ~0.5 KiB each), all of them counted
    max_member_bytes: int = 64 << 20      # one file, uncompressed (in a folder too)
    max_total_bytes: int = 256 << 20      # all files, uncompressed
    max_ratio: float = 200.0              # uncompressed / compressed, for members over 1 MiB


@dataclass
class Intake:
    """What the grader takes from a submission: {file name: path} and notes for the report."""

    name: str
    files: dict[str, Path] = field(default_factory=dict)
    found_at: dict[str, str] = field(default_factory=dict)   # {file name: path in the submission}
    messages: list[str] = field(default_factory=list)
    unreadable: bool = False   # a corrupt or refused archive: nothing could be taken
    refused: set[str] = field(default_factory=set)   # wanted names with a refused copy

    def missing(self, expected) -> list[str]:
        return [name for name in expected if name not in self.files]


def submission_name(source: Path) -> str:
    return source.stem if source.suffix.lower() == ".zip" else source.name


def wanted_names(notebook_names) -> set[str]:
    """The file names intake takes from a submission."""
    return set(STUDENT_FILES) | set(STUDENT_HELPERS) | set(notebook_names)


def is_zip(source: Path) -> bool:
    return source.is_file() and source.suffix.lower() == ".zip"


def take_submission(source: Path, scratch: Path, notebook_names, limits=ZipLimits()) -> Intake:
    """Locate the student's files in `source`; a zip is unpacked into scratch/unpacked."""
    source = Path(source)
    intake = Intake(name=submission_name(source))
    wanted = wanted_names(notebook_names)
    shown = {}   # unpacked path -> the member name it came from (zips), for messages
    if is_zip(source):
        folder = scratch / "unpacked"
        folder.mkdir(parents=True, exist_ok=True)
        if not _unpack_zip(source, folder, wanted, limits, intake, shown):
            intake.unreadable = True
            return intake
    elif source.is_dir():
        folder = source
    else:
        intake.messages.append(f"{source.name} is neither a folder nor a .zip file; nothing was graded "
                               "from it.")
        intake.unreadable = True
        return intake
    _find_by_name(folder, wanted, limits, intake, shown)
    for name in sorted(wanted - set(intake.files) - set(STUDENT_HELPERS)):
        kind = "notebook" if name.endswith(".ipynb") else "file"
        how = "was refused (see above)" if name in intake.refused else \
            "was not found in the submission"
        intake.messages.append(f"{name} {how}: the untouched handout {kind} was graded in its place.")
    return intake


def _find_by_name(folder: Path, wanted: set[str], limits: ZipLimits, intake: Intake,
                  shown: dict) -> None:
    """Pick each wanted file by name at any depth (shallowest wins; links are never followed,
    and a link or special file with a wanted name is refused by name)."""
    candidates: dict[str, list[Path]] = {}

    def label(path: Path) -> str:   # the path as the student knows it
        return shown.get(path) or "/".join(path.relative_to(folder).parts)

    for path, kind in tree_entries(folder):
        if path.name not in wanted:
            continue
        reason = {"link": "a symbolic link", "other": "not a regular file"}.get(kind)
        if reason is None:
            size = _size(path)
            if size > limits.max_member_bytes:
                reason = f"{size} bytes (limit {limits.max_member_bytes})"
        if reason:
            intake.refused.add(path.name)
            intake.messages.append(f"'{label(path)}' refused: {reason}.")
        else:
            candidates.setdefault(path.name, []).append(path)
    for name, paths in candidates.items():
        paths.sort(key=lambda p: (len(PurePosixPath(label(p)).parts), label(p)))
        intake.files[name] = paths[0]
        intake.found_at[name] = label(paths[0])
        if len(paths) > 1:
            others = ", ".join(label(p) for p in paths[1:])
            intake.messages.append(f"{name}: several copies found; graded "
                                   f"{label(paths[0])} and ignored {others}.")


def tree_entries(folder: Path, ignored=IGNORED_DIRS, skip_unreadable: bool = True):
    """Yield (path, kind) for everything below `folder` but folders: kind is "file" (regular),
    "link" or "other" (FIFO, socket, device). Links are never followed and folders named in
    `ignored` never entered. Iterative: a submission may nest folders deeper than Python's
    recursion limit (Path.rglob and, before 3.12, os.walk recurse). An unreadable folder is
    skipped, or raises OSError when `skip_unreadable` is False."""
    stack = [Path(folder)]
    while stack:
        try:
            with os.scandir(stack.pop()) as scan:
                entries = list(scan)
        except OSError:
            if skip_unreadable:
                continue
            raise
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in ignored:
                    stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                yield Path(entry.path), "file"
            elif entry.is_symlink():
                yield Path(entry.path), "link"
            else:
                yield Path(entry.path), "other"


def regular_files(folder: Path, ignored=IGNORED_DIRS, skip_unreadable: bool = True):
    """The regular files of tree_entries()."""
    return (path for path, kind in tree_entries(folder, ignored, skip_unreadable)
            if kind == "file")


def _size(path: Path) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


# ---------------------------------------------------------------------------------- zips


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath:
    return PurePosixPath(info.filename.replace("\\", "/"))


def _ignored(path: PurePosixPath) -> bool:
    return any(part in IGNORED_DIRS for part in path.parts[:-1])


def _refusal(info: zipfile.ZipInfo, limits: ZipLimits) -> str | None:
    """Why this member may not be unpacked, or None."""
    name = info.filename
    parts = _member_path(info).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in parts:
        return "path contains '..'"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "not a regular file"
    if info.file_size > limits.max_member_bytes:
        return f"{info.file_size} bytes uncompressed (limit {limits.max_member_bytes})"
    if info.file_size > (1 << 20) and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        return f"compression ratio over {limits.max_ratio:.0f}:1 (zip bomb?)"
    return None


def _quoted(name: str) -> str:
    return name if len(name) <= NAME_SHOWN else name[:NAME_SHOWN] + "..."


def _unpack_zip(source: Path, folder: Path, wanted: set[str], limits: ZipLimits,
                intake: Intake, shown: dict) -> bool:
    """Unpack the wanted members of a zip into folder. False when the archive is unusable."""
    try:
        entries = central_directory_entries(source)
        if entries is not None and entries > limits.max_entries:
            intake.messages.append(f"{source.name} has {entries} entries (limit "
                                   f"{limits.max_entries}); the archive was refused.")
            return False
        with zipfile.ZipFile(source) as archive:
            members = [(index, info) for index, info in enumerate(archive.infolist())
                       if not info.is_dir() and _member_path(info).name in wanted
                       and not _ignored(_member_path(info))]
            copies = Counter(info.filename for _, info in members)
            last = {info.filename: index for index, info in members}
            total = unpacked = 0
            for index, info in members:
                name = _quoted(info.filename)
                if last[info.filename] != index:
                    continue   # an earlier copy of a name the archive holds again later
                if copies[info.filename] > 1:
                    intake.messages.append(
                        f"zip member '{name}' appears {copies[info.filename]} times in the "
                        "archive; the last copy was graded (as unzip keeps the last).")
                reason = _refusal(info, limits)
                if reason is None and unpacked >= limits.max_members:
                    reason = f"more than {limits.max_members} files to unpack"
                if reason is None and total + info.file_size > limits.max_total_bytes:
                    reason = f"the archive unpacks to more than {limits.max_total_bytes} bytes"
                if reason:
                    intake.refused.add(_member_path(info).name)
                    intake.messages.append(f"zip member '{name}' refused: {reason}.")
                    continue
                total += info.file_size
                unpacked += 1
                # Members are written under a numbered folder with a sanitised relative path,
                # so nothing can land outside `folder` whatever the archive says.
                target = folder / f"{index:05d}" / Path(*_member_path(info).parts)
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    _copy_bounded(archive, info, target, limits.max_member_bytes)
                except (OSError, ValueError, zipfile.BadZipFile, zlib.error, EOFError,
                        NotImplementedError, RuntimeError) as exc:
                    # One bad member (a name too long for the file system, a corrupt
                    # stream, an encrypted file) costs that member only.
                    _unlink(target)
                    intake.refused.add(_member_path(info).name)
                    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                    intake.messages.append(f"zip member '{name}' refused: {detail}.")
                    continue
                shown[target] = str(_member_path(info))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError) as exc:
        intake.messages.append(f"{source.name} could not be read as a zip archive "
                               f"({type(exc).__name__}: {exc}).")
        return False
    return True


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _copy_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int):
    """Copy one member, stopping at `limit` bytes whatever its header claims."""
    written = 0
    with archive.open(info) as src, open(target, "wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise ValueError(f"member {info.filename!r} is larger than its header says")
            dst.write(chunk)


def central_directory_entries(path: Path) -> int | None:
    """The entry count an archive's end-of-central-directory record claims (zip64 too), read
    before zipfile parses the whole directory into memory; None when there is no such record
    (zipfile then says what is wrong)."""
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        tail_size = min(size, 22 + 0xFFFF + 20)   # record, longest comment, zip64 locator
        f.seek(size - tail_size)
        tail = f.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        entries = struct.unpack("<H", tail[at + 10:at + 12])[0]
        if entries == 0xFFFF and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
            f.seek(struct.unpack("<Q", tail[at - 12:at - 4])[0])
            record = f.read(40)
            if len(record) == 40 and record[:4] == b"PK\x06\x06":
                entries = struct.unpack("<Q", record[32:40])[0]
        return entries


# ---------------------------------------------------------------------------------- fingerprint


def fingerprint_submission(digest, source: Path, notebook_names, limits=ZipLimits()) -> None:
    """Feed `digest` with everything take_submission() reads of `source` and nothing else:
    for a zip its central directory (names, types, sizes and CRC-32s, which the unpacking
    checks the content against), for a folder the paths and kinds of the entries with a
    wanted name and the content of those it would take. Reads at most max_member_bytes of a
    file; raises OSError for an unreadable folder (the submission is then never "current")."""
    source = Path(source)
    wanted = wanted_names(notebook_names)
    if is_zip(source):
        digest.update(b"zip\0")
        try:
            entries = central_directory_entries(source)
            if entries is not None and entries > limits.max_entries:
                digest.update(b"too many entries %d\0" % entries)
                return
            with zipfile.ZipFile(source) as archive:
                for info in archive.infolist():
                    digest.update(repr((info.filename, info.external_attr, info.file_size,
                                        info.compress_size, info.CRC, info.compress_type,
                                        info.flag_bits)).encode() + b"\0")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
                NotImplementedError, RuntimeError) as exc:
            digest.update(f"unreadable {type(exc).__name__}: {exc}".encode())
        return
    if not source.is_dir():
        digest.update(f"neither {os.path.exists(source)}".encode())
        return
    digest.update(b"folder\0")
    for path, kind in sorted(tree_entries(source, skip_unreadable=False)):
        if path.name not in wanted:
            continue
        size = _size(path)
        digest.update(f"{path.relative_to(source)}\0{kind}\0{size}\0".encode())
        if kind == "file" and size <= limits.max_member_bytes:
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
