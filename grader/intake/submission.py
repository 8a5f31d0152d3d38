"""Stage 1, intake: find the student's files in a submission (a folder or a .zip).

The student's editable files and notebooks are found by file name at any depth; every
other file is ignored. Zip archives are unpacked defensively: members that are absolute,
contain '..', are links, or break the size, count or compression-ratio limits are refused
and reported, and nothing is written outside the scratch folder.
"""
from __future__ import annotations

import os
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

STUDENT_FILES = ("layers.py", "fc_net.py", "optim.py")
# Student code too, taken when present (else the handout's): the helper layers a CS231n
# fc_net.py calls (affine_bn_relu_forward, ...) live in the student's own layer_utils.py.
STUDENT_HELPERS = ("layer_utils.py",)
IGNORED_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".git"}


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 2000
    max_member_bytes: int = 64 << 20      # one file, uncompressed
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

    def missing(self, expected) -> list[str]:
        return [name for name in expected if name not in self.files]


def submission_name(source: Path) -> str:
    return source.stem if source.suffix.lower() == ".zip" else source.name


def take_submission(source: Path, scratch: Path, notebook_names, limits=ZipLimits()) -> Intake:
    """Locate the student's files in `source`; a zip is unpacked into scratch/unpacked."""
    source = Path(source)
    intake = Intake(name=submission_name(source))
    wanted = set(STUDENT_FILES) | set(STUDENT_HELPERS) | set(notebook_names)
    if source.is_file() and source.suffix.lower() == ".zip":
        folder = scratch / "unpacked"
        folder.mkdir(parents=True, exist_ok=True)
        if not _unpack_zip(source, folder, wanted, limits, intake):
            intake.unreadable = True
            return intake
    elif source.is_dir():
        folder = source
    else:
        intake.messages.append(f"{source.name} is neither a folder nor a .zip file; nothing was graded "
                               "from it.")
        intake.unreadable = True
        return intake
    _find_by_name(folder, wanted, intake, unpacked=folder is not source)
    for name in sorted(wanted - set(intake.files) - set(STUDENT_HELPERS)):
        kind = "notebook" if name.endswith(".ipynb") else "file"
        intake.messages.append(f"{name} was not found in the submission: the untouched handout {kind} "
                               "was graded in its place.")
    return intake


def _find_by_name(folder: Path, wanted: set[str], intake: Intake, unpacked: bool = False) -> None:
    """Pick each wanted file by name at any depth (shallowest wins; links are never followed).
    `unpacked`: folder holds a zip unpacked by _unpack_zip (one numbered folder per member)."""
    def shown(path: Path) -> str:   # the path as the student knows it
        return "/".join(path.relative_to(folder).parts[1 if unpacked else 0:])

    candidates: dict[str, list[Path]] = {}
    for path in regular_files(folder):
        if path.name in wanted:
            candidates.setdefault(path.name, []).append(path)
    for name, paths in candidates.items():
        paths.sort(key=lambda p: (len(p.relative_to(folder).parts), str(p)))
        intake.files[name] = paths[0]
        intake.found_at[name] = shown(paths[0])
        if len(paths) > 1:
            others = ", ".join(shown(p) for p in paths[1:])
            intake.messages.append(f"{name}: several copies found; graded "
                                   f"{shown(paths[0])} and ignored {others}.")


def regular_files(folder: Path, ignored=IGNORED_DIRS, skip_unreadable: bool = True):
    """Yield the regular files below `folder`, never following links and never entering a
    folder named in `ignored`. Iterative: a submission may nest folders deeper than Python's
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
                yield Path(entry.path)


def _refusal(info: zipfile.ZipInfo, limits: ZipLimits) -> str | None:
    """Why this member may not be unpacked, or None."""
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
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


def _unpack_zip(source: Path, folder: Path, wanted: set[str], limits: ZipLimits,
                intake: Intake) -> bool:
    """Unpack the wanted members of a zip into folder. False when the archive is unusable."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            if len(members) > limits.max_members:
                intake.messages.append(f"{source.name} has {len(members)} members (limit "
                                       f"{limits.max_members}); the archive was refused.")
                return False
            total = 0
            for index, info in enumerate(members):
                if info.is_dir():
                    continue
                reason = _refusal(info, limits)
                if reason:
                    intake.messages.append(f"zip member '{info.filename}' refused: {reason}.")
                    continue
                if PurePosixPath(info.filename).name not in wanted:
                    continue  # everything else the student sent is ignored, not even unpacked
                total += info.file_size
                if total > limits.max_total_bytes:
                    intake.messages.append(f"{source.name} unpacks to more than "
                                           f"{limits.max_total_bytes} bytes; the rest was refused.")
                    break
                # Members are written under a numbered folder with a sanitised relative path,
                # so nothing can land outside `folder` whatever the archive says.
                relative = PurePosixPath(info.filename.replace("\\", "/"))
                target = folder / f"{index:05d}" / Path(*relative.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    _copy_bounded(archive, info, target, limits.max_member_bytes)
                except (ValueError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
                    target.unlink(missing_ok=True)
                    intake.messages.append(f"zip member '{info.filename}' refused: {exc}.")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError) as exc:
        intake.messages.append(f"{source.name} could not be read as a zip archive "
                               f"({type(exc).__name__}: {exc}).")
        return False
    return True


def _copy_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int):
    """Copy one member, stopping at `limit` bytes whatever its header claims."""
    written = 0
    with archive.open(info) as src, open(target, "wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise ValueError(f"member {info.filename!r} is larger than its header says")
            dst.write(chunk)
