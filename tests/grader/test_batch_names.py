"""Which entries of a batch folder are graded, and the report folder each one gets (the batch
itself runs in tests/grader/test_batch.py)."""
from pathlib import Path

from grader.batch import BATCH_OUTPUTS, list_submissions, report_names_for, usable_report_name


def test_report_folders_never_collide_with_each_other_or_the_batch_outputs():
    sources = [Path(p) for p in ("s/a", "s/a.zip", "s/a_", "s/gradebook.csv.zip", "s/summary.png",
                                 "x/b", "y/b", "s/.hidden", "s/.models.zip")]
    names = report_names_for(sources)
    assert names == ["a", "a.zip", "a_", "gradebook.csv.zip", "summary.png-2", "b-2", "b-3",
                     "hidden-2", "models.zip-2"]
    assert len(set(names)) == len(names) and all(map(usable_report_name, names))
    assert not any(usable_report_name(name) for name in BATCH_OUTPUTS)


def test_a_source_keeps_its_own_name_whatever_the_others_are_called():
    alone = report_names_for([Path("s/a_")])
    assert report_names_for([Path("s/a"), Path("s/a.zip"), Path("s/a_")])[2] == alone[0]


def test_every_entry_is_listed_graded_or_skipped_with_a_reason(tmp_path):
    for folder in ("alice", ".git", "__MACOSX", "reports"):
        (tmp_path / folder).mkdir()
    for name in ("bob.zip", "notes.txt", ".DS_Store"):
        (tmp_path / name).write_text("x")
    (tmp_path / "gone.zip").symlink_to(tmp_path / "nowhere")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    sources, skipped = list_submissions(tmp_path, out=tmp_path / "reports")
    assert [p.name for p in sources] == ["alice", "bob.zip"]
    assert {s.entry: s.reason for s in skipped} == {
        ".DS_Store": "a hidden entry (its name starts with a dot)",
        ".git": "a hidden entry (its name starts with a dot)",
        "__MACOSX": "macOS archive metadata",
        "dangling": "a link to nothing",
        "gone.zip": "a link to nothing",
        "notes.txt": "neither a folder nor a .zip file",
        "reports": "the reports folder of this batch"}
