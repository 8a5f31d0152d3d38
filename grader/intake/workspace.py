"""Stage 2, workspace: a scratch copy of the pristine handout with only the student's
editable files and notebooks laid over it.

    <job>/workspace/      what student code sees (read-only inside the sandbox)
        assignment/       pristine package; layers.py, fc_net.py, optim.py from the student
        notebooks/        pristine notebooks; the student's laid over (provided cells restored)
        data/digits.npz   the embedded data set (grading never uses CIFAR-10: speed, determinism)
    <job>/scratch/        the only place student code may write (one folder per process)

Helper modules (gradient_check.py, solver.py, ...) always come from the pristine handout.
The reference solutions are never copied here.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader.intake.submission import STUDENT_FILES, Intake
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

    def scratch_for(self, name: str) -> Path:
        folder = self.scratch / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def build_workspace(intake: Intake, job: Path, handout: Path = HANDOUT) -> Workspace:
    """Lay the student's files from `intake` over a fresh copy of the handout in `job`."""
    root = job / "workspace"
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
    shutil.copytree(handout / "assignment", root / "assignment", ignore=ignore)
    (root / "data").mkdir(parents=True)
    shutil.copy(handout / "data" / "digits.npz", root / "data" / "digits.npz")
    workspace = Workspace(root=root, scratch=job / "scratch")
    workspace.scratch.mkdir(parents=True, exist_ok=True)

    for name in STUDENT_FILES:
        if name in intake.files:
            shutil.copyfile(intake.files[name], root / "assignment" / name)
    workspace.messages += _flatten_cs231n_imports(root / "assignment" / "fc_net.py")

    (root / "notebooks").mkdir()
    for pristine in pristine_notebooks(handout):
        target = root / "notebooks" / pristine.name
        student = intake.files.get(pristine.name)
        if student is None:
            shutil.copyfile(pristine, target)
        else:
            workspace.messages += restore_provided_cells(student, pristine, target)
        workspace.notebooks.append(target)
    return workspace


# CS231n's fc_net.py lives in cs231n/classifiers/ and imports its siblings with `..`;
# here the package is flat, so those two imports are rewritten (and the report says so).
CS231N_IMPORTS = {"from ..layers import": "from .layers import",
                  "from ..layer_utils import": "from .layer_utils import"}


def _flatten_cs231n_imports(path: Path) -> list[str]:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return []
    fixed = text
    for old, new in CS231N_IMPORTS.items():
        fixed = fixed.replace(old, new)
    if fixed == text:
        return []
    path.write_text(fixed)
    return ["fc_net.py: the CS231n package imports `from ..layers` / `from ..layer_utils` were "
            "read as `from .layers` / `from .layer_utils` (this assignment's package is flat)."]
