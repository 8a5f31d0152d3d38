"""The reference implementation, importable in the grader's own process (never in a child).

The reference package is the pristine handout `assignment/` with the solution files laid
over it, imported under the private name `reference_assignment` so that it can never be
confused with a student's `assignment`.
"""
import atexit
import importlib
import importlib.util
import shutil
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
HANDOUT_PACKAGE = ROOT / "assignment"
SOLUTIONS = ROOT / "solutions"
PACKAGE_NAME = "reference_assignment"


@lru_cache(maxsize=1)
def load_reference():
    """Return a namespace with the reference modules: layers, fc_net, optim, layer_utils,
    gradient_check, solver."""
    folder = Path(tempfile.mkdtemp(prefix="reference-")) / PACKAGE_NAME
    # Every grader worker loads it once: without this, each graded submission left a copy of
    # the solutions in the temporary folder.
    atexit.register(shutil.rmtree, folder.parent, ignore_errors=True)
    shutil.copytree(HANDOUT_PACKAGE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for solution in SOLUTIONS.glob("*.py"):
        shutil.copy(solution, folder / solution.name)
    spec = importlib.util.spec_from_file_location(
        PACKAGE_NAME, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE_NAME] = package
    spec.loader.exec_module(package)
    names = ("layers", "fc_net", "optim", "layer_utils", "gradient_check", "solver")
    return SimpleNamespace(
        **{name: importlib.import_module(f"{PACKAGE_NAME}.{name}") for name in names},
        folder=folder,
    )
