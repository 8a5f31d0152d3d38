"""The Stanford module names in the workspace: a `cs231n` package of small forwarding modules.

Code written for the CS231n starters of 2017-2024 imports its siblings by the starter's names:
`from cs231n.layers import *` (absolute), `from ..layers import *` (fc_net.py in
cs231n/classifiers/) or `from .layers import *` / `from .fast_layers import *` (layer_utils.py in
cs231n/). `write_view()` adds, next to the workspace's `assignment` package,

    cs231n/__init__.py
    cs231n/<name>.py                 one forwarder per name in FORWARDED: `cs231n.<name>` IS the
                                     module `assignment.<name>` (the student's layers.py, optim.py,
                                     layer_utils.py; the handout's gradient_check.py, solver.py,
                                     data_utils.py)
    cs231n/im2col.py, fast_layers.py the grader's NumPy versions of the starter's helpers
    cs231n/classifiers/__init__.py   `from cs231n.classifiers import FullyConnectedNet` (lazily)
    cs231n/classifiers/fc_net.py     forwarder to the student's fc_net.py (see below)
    cs231n/classifiers/<name>.py     forwarders (layers, layer_utils, im2col, fast_layers), for an
                                     fc_net.py that mixes `from ..` and `from .layers import`
    assignment/im2col.py, fast_layers.py
                                     forwarders, for a layer_utils.py that says `from .fast_layers`

A forwarder replaces itself in sys.modules by the module it names, so each student module is ONE
module object whatever name imports it (`cs231n.layers.affine_forward is
assignment.layers.affine_forward`): helpers that import layers by either name call the student's
code. Nothing is rewritten: the student's files run byte for byte as submitted, so line numbers
in tracebacks are theirs.

fc_net.py is the one file whose place depends on its imports: an fc_net.py that imports its
siblings two packages up (`from ..layers import *`, the starter's own line since 2019) can only
run as `cs231n.classifiers.fc_net`, so it is written there and `assignment/fc_net.py` becomes
the forwarder; any other fc_net.py stays `assignment.fc_net` and the classifiers name forwards.
Both names work either way, for the hidden-test child and the notebook kernel alike (each puts
the workspace root on sys.path; nothing else is needed).
"""
from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

HELPERS = Path(__file__).resolve().parent / "cs231n_helpers"
FORWARDED = ("layers", "layer_utils", "optim", "gradient_check", "solver", "data_utils")
GIVEN_HELPERS = ("im2col", "fast_layers")             # real modules, canonical under cs231n
# What an fc_net.py that also has a `from ..` import may still import as `from .x import`.
CLASSIFIER_SIBLINGS = ("layers", "layer_utils") + GIVEN_HELPERS

FORWARDER = '''"""{name} is {target} (the grader's view of the CS231n package names)."""
import importlib as _importlib
import sys as _sys

_sys.modules[__name__] = _importlib.import_module("{target}")
'''

CLASSIFIERS_INIT = '''"""cs231n.classifiers: the network classes of fc_net.py, imported on first use."""
import importlib as _importlib


def __getattr__(name):
    if name.startswith("_"):       # probes (IPython's, copy's) never import student code
        raise AttributeError(name)
    fc_net = _importlib.import_module(__name__ + ".fc_net")
    try:
        return getattr(fc_net, name)
    except AttributeError:
        raise AttributeError("module %r has no attribute %r" % (__name__, name)) from None
'''


PARSE_LIMIT = 1 << 20      # bytes: a real fc_net.py is a few dozen KB
TWO_DOTS = re.compile(rb"^[ \t]*from[ \t]+\.\.", re.MULTILINE)


def imports_two_levels_up(source: Path) -> bool:
    """True when the file has a relative import of level 2 or more (`from ..layers import *`).
    This runs in the grader's process on the student's file: a file too large to parse here is
    only scanned line by line, and one that does not parse (a SyntaxError, or nesting that
    exhausts the parser) stays where it is: importing it in the sandbox reports the error."""
    try:
        data = source.read_bytes()
        if len(data) > PARSE_LIMIT:
            return TWO_DOTS.search(data) is not None
        tree = ast.parse(data)
    except Exception:   # SyntaxError, ValueError, RecursionError, MemoryError, OSError
        return False
    return any(isinstance(node, ast.ImportFrom) and node.level >= 2 for node in ast.walk(tree))


def write_view(root: Path) -> str:
    """Write the cs231n package next to root/assignment (whose files are already in place).
    Returns the module name the student's fc_net.py runs as."""
    package, assignment = root / "cs231n", root / "assignment"
    classifiers = package / "classifiers"
    classifiers.mkdir(parents=True)
    (package / "__init__.py").write_text('"""The CS231n package names of this workspace."""\n')
    for name in FORWARDED:
        _forwarder(package / f"{name}.py", f"cs231n.{name}", f"assignment.{name}")
    for name in GIVEN_HELPERS:
        shutil.copyfile(HELPERS / f"{name}.py", package / f"{name}.py")
        _forwarder(assignment / f"{name}.py", f"assignment.{name}", f"cs231n.{name}")
    (classifiers / "__init__.py").write_text(CLASSIFIERS_INIT)
    for name in CLASSIFIER_SIBLINGS:
        _forwarder(classifiers / f"{name}.py", f"cs231n.classifiers.{name}", f"cs231n.{name}")

    fc_net = assignment / "fc_net.py"
    if imports_two_levels_up(fc_net):
        shutil.move(fc_net, classifiers / "fc_net.py")
        _forwarder(fc_net, "assignment.fc_net", "cs231n.classifiers.fc_net")
        return "cs231n.classifiers.fc_net"
    _forwarder(classifiers / "fc_net.py", "cs231n.classifiers.fc_net", "assignment.fc_net")
    return "assignment.fc_net"


def _forwarder(path: Path, name: str, target: str) -> None:
    path.write_text(FORWARDER.format(name=name, target=target))
