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
import weakref
from pathlib import Path
from types import CodeType, FunctionType, ModuleType, SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
HANDOUT_PACKAGE = ROOT / "assignment"
SOLUTIONS = ROOT / "solutions"
MODULES = ("layers", "fc_net", "optim", "layer_utils", "gradient_check", "solver")
_names = itertools.count()
_preloaded: list[SimpleNamespace] = []   # at most one copy, imported ahead by preload_reference()
# The reference's functions that cannot reach NumPy's global generator (see never_draws).
_QUIET: "weakref.WeakSet[FunctionType]" = weakref.WeakSet()


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
    _QUIET.update(quiet_functions(modules.values()))
    return SimpleNamespace(**modules)


# --------------------------------------------------------------------------- np.random

# The grader keeps NumPy's global generator as it was around each reference call (the
# reference's dropout_forward seeds and draws from it, FullyConnectedNet draws its weights);
# saving and restoring its state costs a tenth of a millisecond each time, and most reference
# calls (affine, relu, norms, softmax) never touch it. Which ones can is decided once, when
# the reference is imported, from the code itself: the reference is the course's own code.


def never_draws(function) -> bool:
    """Whether `function` is one of the reference's functions that cannot reach NumPy's global
    generator. Anything else (a method bound on the fly, a stand-in a test put there) may."""
    return function in _QUIET if isinstance(function, FunctionType) else False


def quiet_functions(modules) -> list[FunctionType]:
    """The functions (and methods) defined in `modules` whose code, and the code of everything
    it may call, names neither `random` (np.random.seed, numpy.random.rand, ...) nor an object
    of numpy.random. Calls are followed by name: a global that is a function, and any function
    or method of the package with the name called (self.helper(), layer_utils.x_forward())."""
    modules = list(modules)
    package = {module.__name__ for module in modules}
    by_name: dict[str, list[FunctionType]] = {}
    for module in modules:
        for value in vars(module).values():
            for function in _defined_in(value, package):
                by_name.setdefault(function.__name__, []).append(function)
    functions = {f for found in by_name.values() for f in found}
    return [f for f in functions if not _may_draw(f, by_name)]


def _defined_in(value, package, depth=0) -> list[FunctionType]:
    if isinstance(value, FunctionType):
        return [value] if value.__module__ in package else []
    if not isinstance(value, type) or value.__module__ not in package or depth > 4:
        return []
    found = []
    for member in vars(value).values():
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if isinstance(member, property):
            found += [f for f in (member.fget, member.fset, member.fdel) if f is not None]
        else:
            found += _defined_in(member, package, depth + 1)
    return found


def _may_draw(function: FunctionType, by_name: dict) -> bool:
    seen, todo = set(), [function]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        names, strings = _looked_up(current.__code__)
        if "random" in names or "random" in strings:
            return True
        bound = [current.__globals__.get(name) for name in names]
        bound += list(current.__defaults__ or ()) + list((current.__kwdefaults__ or {}).values())
        bound += [cell.cell_contents for cell in current.__closure__ or () if _filled(cell)]
        for value in bound:
            if _of_numpy_random(value):
                return True
            if isinstance(value, FunctionType):
                todo.append(value)
        for name in names:
            todo += by_name.get(name, ())
    return False


def _looked_up(code: CodeType) -> tuple[set, set]:
    """The names `code` and the code nested in it (lambdas, comprehensions) look up, and
    its string constants (for getattr(np, "random"))."""
    names, strings = set(code.co_names) | set(code.co_freevars), set()
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            nested = _looked_up(constant)
            names |= nested[0]
            strings |= nested[1]
        elif isinstance(constant, str):
            strings.add(constant)
    return names, strings


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _of_numpy_random(value) -> bool:
    """numpy.random itself, or anything it defines (RandomState, np.random.rand bound to the
    global RandomState, Generator, ...)."""
    for thing in (value, getattr(value, "__self__", None)):
        if isinstance(thing, ModuleType):
            where = thing.__name__
        else:
            where = getattr(thing, "__module__", None) or getattr(type(thing), "__module__", "")
        if isinstance(where, str) and where.split(".")[:2] == ["numpy", "random"]:
            return True
        kind = getattr(type(thing), "__module__", "")
        if isinstance(kind, str) and kind.split(".")[:2] == ["numpy", "random"]:
            return True
    return False
