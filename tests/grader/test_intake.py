"""Stage 1: finding the student's files in folders and zips, and refusing hostile archives."""
import stat
import zipfile

import pytest

from grader.intake.submission import ZipLimits, take_submission

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


def test_zip_with_too_many_members_is_refused(tmp_path):
    source = make_zip(tmp_path / "many.zip", {f"f{i}.txt": "x" for i in range(30)})
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS, ZipLimits(max_members=10))
    assert intake.unreadable and "members" in intake.messages[0]


def test_corrupt_zip_gets_a_clear_message(tmp_path):
    source = tmp_path / "broken.zip"
    source.write_bytes(b"PK\x03\x04 this is not really a zip")
    intake = take_submission(source, tmp_path / "job", NOTEBOOKS)
    assert intake.unreadable and intake.files == {}
    assert "could not be read as a zip archive" in intake.messages[0]
