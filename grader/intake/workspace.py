"""Stage 2, workspace: a scratch copy of the pristine handout with only the student's
editable files and notebooks laid over it.

    <job>/workspace/      what student code sees (read-only inside the sandbox)
        assignment/       pristine package; layers.py, fc_net.py, optim.py from the student,
                          and layer_utils.py when the submission has its own
        cs231n/           the Stanford module names of the same modules (cs231n_view.py)
        notebooks/        pristine notebooks; the student's laid over (provided cells restored)
        data/digits.npz   the embedded data set (grading never uses CIFAR-10: speed, determinism)
    <job>/scratch/        the only place student code may write (one folder per process)

Files that must stay pristine (gradient_check.py, solver.py, data_utils.py, the notebooks'
provided cells) always come from the handout. The reference solutions are never copied here.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader.intake.cs231n_view import write_view
from grader.intake.submission import STUDENT_FILES, STUDENT_HELPERS, Intake
from grader.notebooks.tamper import restore_provided_cells

ROOT = Path(__file__).resolve().parents[2]
HANDOUT = ROOT                       # the instructor repository holds the pristine handout


def pristine_notebooks(handout: Path = HANDOUT) -> list[Path]:
    return sorted((handout / "notebooks").glob("*.ipynb"))


@dataclass
class Workspace:
    root: Path                       # <job>/workspace
    scratch: Path                    # <job>/scratch
    notebooks: list[Path] = field(default_factory=list)   # the notebooks to execute
    messages: list[str] = field(default_factory=list)
    unsubmitted: set[str] = field(default_factory=set)    # notebooks run from the handout

    def scratch_for(self, name: str) -> Path:
        folder = self.scratch / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def build_workspace(intake: Intake, job: Path, handout: Path = HANDOUT) -> Workspace:
    """Lay the student's files from `intake` over a fresh copy of the handout in `job`."""
    return lay_notebooks(lay_code(intake, job, handout), intake, handout)


def lay_code(intake: Intake, job: Path, handout: Path = HANDOUT) -> Workspace:
    """The first half of build_workspace(): the handout's package with the student's modules,
    and the data; enough for the hidden tests, which start while lay_notebooks() runs."""
    root = job / "workspace"
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
    shutil.copytree(handout / "assignment", root / "assignment", ignore=ignore)
    (root / "data").mkdir(parents=True)
    shutil.copy(handout / "data" / "digits.npz", root / "data" / "digits.npz")
    workspace = Workspace(root=root, scratch=job / "scratch")
    workspace.scratch.mkdir(parents=True, exist_ok=True)

    used = []
    for name in STUDENT_FILES + STUDENT_HELPERS:
        if name not in intake.files:
            continue
        given = handout / "assignment" / name
        if name in STUDENT_HELPERS and _same_bytes(intake.files[name], given):
            continue   # the handout's own helpers, sent back unchanged
        shutil.copyfile(intake.files[name], root / "assignment" / name)
        used.append(name)
    fc_net_module = write_view(root)
    workspace.messages += _used_files_message(used, intake.found_at, fc_net_module)
    return workspace


def lay_notebooks(workspace: Workspace, intake: Intake, handout: Path = HANDOUT) -> Workspace:
    """The second half of build_workspace(): the handout's notebooks with the student's laid
    over them (provided cells restored: grader/notebooks/tamper.py)."""
    root = workspace.root
    (root / "notebooks").mkdir()
    for pristine in pristine_notebooks(handout):
        target = root / "notebooks" / pristine.name
        student = intake.files.get(pristine.name)
        if student is None:
            shutil.copyfile(pristine, target)
            workspace.unsubmitted.add(pristine.name)
        else:
            restored = restore_provided_cells(student, pristine, target)
            workspace.messages += restored.messages
            if restored.from_handout:
                workspace.unsubmitted.add(pristine.name)
        workspace.notebooks.append(target)
    return workspace


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _used_files_message(used: list[str], found_at: dict[str, str], fc_net_module: str) -> list[str]:
    """One note naming the student's files that were graded and where each was found."""
    if not used:
        return []
    def where(name):
        path = found_at.get(name, name)
        return name if path == name else f"{name} ({path})"
    graded = [where(n) for n in used if n in STUDENT_FILES]
    helpers = [where(n) for n in used if n in STUDENT_HELPERS]
    parts = []
    if graded:
        parts.append("Your files graded: " + ", ".join(graded) + ".")
    if helpers:
        parts.append("Your own helper layers were used by your code: " + ", ".join(helpers) + ".")
    if fc_net_module == "cs231n.classifiers.fc_net" and "fc_net.py" in used:
        parts.append("fc_net.py imports its siblings from the package above it, as the CS231n "
                     "starter's cs231n/classifiers/fc_net.py does, so it ran unchanged as "
                     "cs231n.classifiers.fc_net.")
    return [" ".join(parts)]
