"""The reference implementation, importable in the grader's own process (never in a child).

The reference package is the pristine handout `assignment/` with the solution files laid
over it, imported under a private name (`reference_assignment_<n>`) so that it can never be
confused with a student's `assignment`. Nothing is left behind: once its modules are
imported they are taken out of `sys.modules` and their temporary folder is removed (every
import happens at module level, so the functions need neither afterwards).
"""
import importlib
import importlib.util
import itertools
import shutil
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
HANDOUT_PACKAGE = ROOT / "assignment"
SOLUTIONS = ROOT / "solutions"
MODULES = ("layers", "fc_net", "optim", "layer_utils", "gradient_check", "solver")
_names = itertools.count()
_preloaded: list[SimpleNamespace] = []   # at most one copy, imported ahead by preload_reference()


def preload_reference() -> None:
    """Import one copy ahead of need: the next load_reference() in this process takes it. The
    grader workers call this before they fork, so that each child (a copy of the worker, whose
    copy nobody else uses) takes its own without importing the solutions again."""
    _preloaded[:] = [load_reference()]


def load_reference() -> SimpleNamespace:
    """A namespace with the reference modules: layers, fc_net, optim, layer_utils,
    gradient_check, solver. Each call gives a fresh, independent copy (the one imported ahead
    by preload_reference(), once)."""
    if _preloaded:
        return _preloaded.pop()
    name = f"reference_assignment_{next(_names)}"
    with tempfile.TemporaryDirectory(prefix="reference-") as tmp:
        folder = Path(tmp) / name
        shutil.copytree(HANDOUT_PACKAGE, folder, ignore=shutil.ignore_patterns("__pycache__"))
        for solution in SOLUTIONS.glob("*.py"):
            shutil.copy(solution, folder / solution.name)
        spec = importlib.util.spec_from_file_location(
            name, folder / "__init__.py", submodule_search_locations=[str(folder)])
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        try:
            spec.loader.exec_module(package)
            modules = {module: importlib.import_module(f"{name}.{module}") for module in MODULES}
        finally:
            for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
                del sys.modules[key]
    return SimpleNamespace(**modules)
