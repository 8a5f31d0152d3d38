"""Stage 1: finding the student's files in folders and zips, and refusing hostile archives."""
import hashlib
import os
import stat
import time
import warnings
import zipfile

import pytest

from grader.intake.submission import (ZipLimits, central_directory_entries,
                                      fingerprint_submission, take_submission)
from tests.support import submission

NOTEBOOKS = ["BatchNormalization.ipynb"]


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_folder_files_found_by_name_at_any_depth(tmp_path):
    sub = tmp_path / "alice"
    (sub / "deep" / "er").mkdir(parents=True)
    (sub / "deep" / "er" / "layers.py").write_text("# layers")
    (sub / "optim.py").write_text("# optim")
    (sub / "notes.txt").write_text("ignored")
    intake = take_submission(sub, tmp_path / "job", NOTEBOOKS)
    assert set(intake.files) == {"layers.py", "optim.py"}
    assert intake.files["layers.py"].read_text() == "# layers"
    missing = [m for m in intake.messages if "was not found" in m]
    assert {m.split()[0] for m in missing} == {"fc_net.py", "BatchNormalization.ipynb"}


def test_shallowest_copy_wins_and_duplicates_are_reported(tmp_path):
    sub = tmp_path / "bob"
    (sub / "old").mkdir(parents=True)
    (sub / "layers.py").write_text("new")
    (sub / "old" / "layers.py").write_text("old")
    (sub / ".ipynb_checkpoints").mkdir()
    (sub / ".ipynb_checkpoints" / "optim.py").write_text("checkpoint copy")
    intake = take_submission(sub, tmp_path / "job", NOTEBOOKS)
    assert intake.files["layers.py"].read_text() == "new"
    assert "optim.py" not in intake.files
    assert any("several copies" in m for m in intake.messages)


def test_symlinks_in_a_folder_are_not_followed(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET")
    sub = tmp_path / "carol"
    sub.mkdir()
    (sub / "layers.py").symlink_to(secret)
    intake = take_submission(sub, tmp_path / "job", NOTEBOOKS)
    assert "layers.py" not in intake.files


def test_zip_members_found_and_unpacked_inside_scratch(tmp_path):
    source = make_zip(tmp_path / "dave.zip", {"a2/cs231n/layers.py": "L", "a2/optim.py": "O",
                                              "a2/big_dataset.bin": "x" * 1000})
    job = tmp_path / "job"
    intake = take_submission(source, job, NOTEBOOKS)
    assert intake.name == "dave"
    assert intake.files["layers.py"].read_text() == "L"
    assert all(job in p.parents for p in intake.files.values())
    assert not list(job.rglob("big_dataset.bin"))  # files not graded are not even unpacked


@pytest.mark.parametrize("evil", ["../layers.py", "a/../../layers.py", "/tmp/layers.py",
                                  "..\\..\\layers.py"])
def test_zip_traversal_members_are_refused(tmp_path, evil):
    source = make_zip(tmp_path / "eve.zip", {evil: "PWNED", "optim.py": "O"})
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS)
    assert "layers.py" not in intake.files
    assert intake.files["optim.py"].read_text() == "O"
    assert any("refused" in m and evil in m for m in intake.messages)
    assert not (tmp_path / "layers.py").exists() and not (tmp_path.parent / "layers.py").exists()


def test_zip_symlink_member_is_refused(tmp_path):
    source = tmp_path / "link.zip"
    with zipfile.ZipFile(source, "w") as archive:
        info = zipfile.ZipInfo("layers.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/work/main/solutions/layers.py")
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS)
    assert "layers.py" not in intake.files
    assert any("symbolic link" in m for m in intake.messages)


def test_zip_bomb_member_is_refused(tmp_path):
    source = make_zip(tmp_path / "bomb.zip", {"layers.py": "0" * (50 << 20), "optim.py": "O"})
    assert source.stat().st_size < 1 << 20
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS)
    assert "layers.py" not in intake.files and "optim.py" in intake.files
    assert any("compression ratio" in m for m in intake.messages)


def test_zip_with_too_many_entries_is_refused_before_it_is_parsed(tmp_path):
    source = make_zip(tmp_path / "many.zip", {f"f{i}.txt": "x" for i in range(30)})
    assert central_directory_entries(source) == 30
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS, ZipLimits(max_entries=10))
    assert intake.unreadable and "30 entries (limit 10)" in intake.messages[0]


def test_ignored_members_do_not_count_against_the_limits(tmp_path):
    # A .git folder of 2,107 objects used to refuse the whole archive (limit: 2,000 members).
    members = {f"hw/.git/objects/{i:02x}/{i:038x}": "blob" for i in range(2107)}
    members.update({f"hw/data/batch_{i}.npy": "x" for i in range(500)})
    source = make_zip(tmp_path / "git.zip", {**members, "hw/layers.py": "L"})
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS)
    assert not intake.unreadable and intake.files["layers.py"].read_text() == "L"
    assert not any("refused" in m for m in intake.messages)


def test_wanted_members_beyond_the_limit_are_refused_one_by_one(tmp_path):
    source = make_zip(tmp_path / "copies.zip", {"a/layers.py": "A", "b/layers.py": "B",
                                                "c/layers.py": "C", "optim.py": "O"})
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS, ZipLimits(max_members=3))
    assert not intake.unreadable and set(intake.files) == {"layers.py"}
    assert "zip member 'optim.py' refused: more than 3 files to unpack." in intake.messages


def test_one_member_whose_name_the_file_system_refuses_costs_only_itself(tmp_path):
    long_name = "x" * 300 + "/layers.py"      # a folder name over the 255-byte limit
    source = make_zip(tmp_path / "long.zip", {long_name: "L", "optim.py": "O"})
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS)
    assert not intake.unreadable and intake.files["optim.py"].read_text() == "O"
    refusal = next(m for m in intake.messages if "refused" in m)
    assert "File name too long" in refusal and len(refusal) < 400
    assert "layers.py was refused (see above)" in " ".join(intake.messages)


def test_duplicate_members_the_last_copy_is_graded_and_the_report_says_so(tmp_path):
    source = tmp_path / "dup.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(source, "w") as archive:
        warnings.simplefilter("ignore")          # zipfile warns about the duplicate name
        archive.writestr("hw/layers.py", "first")
        archive.writestr("hw/layers.py", "last")
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS)
    assert intake.files["layers.py"].read_text() == "last"           # as unzip keeps it
    assert ("zip member 'hw/layers.py' appears 2 times in the archive; the last copy was "
            "graded (as unzip keeps the last).") in intake.messages
    assert not any("several copies" in m for m in intake.messages)


def test_links_and_special_files_with_a_wanted_name_are_refused_not_missing(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET")
    sub = tmp_path / "frank"
    (sub / "hw").mkdir(parents=True)
    (sub / "hw" / "layers.py").symlink_to(secret)
    os.mkfifo(sub / "hw" / "optim.py")
    intake = take_submission(sub, tmp_path / "job", NOTEBOOKS)
    assert "layers.py" not in intake.files and "optim.py" not in intake.files
    assert "'hw/layers.py' refused: a symbolic link." in intake.messages
    assert "'hw/optim.py' refused: not a regular file." in intake.messages
    for name in ("layers.py", "optim.py"):
        assert f"{name} was refused (see above): the untouched handout file was graded in its " \
               "place." in intake.messages
        assert not any(m.startswith(f"{name} was not found") for m in intake.messages)


def test_a_zip_link_with_a_wanted_name_is_refused_not_missing(tmp_path):
    source = tmp_path / "link.zip"
    with zipfile.ZipFile(source, "w") as archive:
        info = zipfile.ZipInfo("hw/layers.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/work/main/solutions/layers.py")
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS)
    assert "zip member 'hw/layers.py' refused: symbolic link." in intake.messages
    assert any(m.startswith("layers.py was refused (see above)") for m in intake.messages)


def test_fingerprint_reads_only_what_intake_reads_and_is_bounded(tmp_path):
    # A 10 GB sparse data file cost 25 s of hashing on every run; intake never reads it.
    sub = submission(tmp_path / "gina")
    with open(sub / "dataset.bin", "wb") as f:
        f.truncate(10 << 30)
    with open(sub / "fc_net.py", "ab") as f:    # a wanted file too large to grade
        f.truncate(10 << 30)

    def fingerprint():
        digest = hashlib.sha256()
        fingerprint_submission(digest, sub, NOTEBOOKS)
        return digest.hexdigest()

    started = time.monotonic()
    first = fingerprint()
    assert time.monotonic() - started < 2.0
    intake = take_submission(sub, tmp_path / "job", NOTEBOOKS)
    assert "fc_net.py" not in intake.files
    assert any(m.startswith("'fc_net.py' refused: 10737418240 bytes") for m in intake.messages)
    (sub / "notes.txt").write_text("not graded")           # what intake ignores: same
    assert fingerprint() == first
    with open(sub / "layers.py", "a") as f:                 # what it grades: different
        f.write("\n# changed\n")
    assert fingerprint() != first
    zipped = make_zip(tmp_path / "gina.zip", {"layers.py": "L"})
    digest = hashlib.sha256()
    fingerprint_submission(digest, zipped, NOTEBOOKS)
    make_zip(zipped, {"layers.py": "M"})
    again = hashlib.sha256()
    fingerprint_submission(again, zipped, NOTEBOOKS)
    assert digest.hexdigest() != again.hexdigest()


def test_corrupt_zip_gets_a_clear_message(tmp_path):
    source = tmp_path / "broken.zip"
    source.write_bytes(b"PK\x03\x04 this is not really a zip")
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS)
    assert intake.unreadable and intake.files == {}
    assert "could not be read as a zip archive" in intake.messages[0]
