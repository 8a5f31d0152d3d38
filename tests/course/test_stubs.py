"""The student stubs in assignment/ and their generator, tools/stubs.py.

assignment/{layers,fc_net,optim}.py must be exactly what generation from solutions/ produces,
every function a student writes must hold a marked region, and the untouched stubs must import and
run (returning None) without raising, so an unfinished assignment never breaks a notebook or the
grader's import.
"""
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.hidden_tests.reference import load_reference
from tools import stubs

ROOT = Path(__file__).resolve().parents[2]
START = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
END = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"

# The functions students write, per file (shared/spec/assignment.md); `sgd` is given.
STUBBED = {
    "layers.py": {
        "affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss",
        "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
        "layernorm_forward", "layernorm_backward", "dropout_forward", "dropout_backward",
        "spatial_batchnorm_forward", "spatial_batchnorm_backward",
        "spatial_groupnorm_forward", "spatial_groupnorm_backward",
    },
    "fc_net.py": {"FullyConnectedNet.__init__", "FullyConnectedNet.loss"},
    "optim.py": {"sgd_momentum", "rmsprop", "adam"},
}


def functions_with_regions(text):
    """Qualified names of the innermost functions that contain a marked region."""
    spans = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if isinstance(child, ast.FunctionDef):
                    spans.append((child.lineno, child.end_lineno, name))
                visit(child, name + ".")

    visit(ast.parse(text), "")
    found = set()
    for start, _, _ in stubs.solution_regions(text):
        inside = [s for s in spans if s[0] <= start + 1 <= s[1]]
        assert inside, f"region at line {start + 1} is outside any function"
        found.add(max(inside)[2])  # the latest-starting enclosing function is the innermost
    return found


# --------------------------------------------------------------------------------------------
# assignment/ is generated from solutions/

@pytest.mark.parametrize("name", stubs.STUDENT_FILES)
def test_assignment_is_what_generation_produces(name):
    generated = stubs.generate()[name]
    on_disk = (ROOT / "assignment" / name).read_text()
    assert on_disk == generated, f"assignment/{name} is stale: run `make stubs`"


def test_generation_follows_a_changed_solution(tmp_path):
    # The staleness check is only as good as generate() reading solutions_dir: a changed
    # solution must give a different stub.
    for name in stubs.STUDENT_FILES:
        shutil.copy(ROOT / "solutions" / name, tmp_path / name)
    with open(tmp_path / "optim.py", "a") as f:
        f.write("\n\ndef extra(w, dw, config=None):\n    return w, config\n")
    generated = stubs.generate(tmp_path)
    assert generated["optim.py"] != (ROOT / "assignment" / "optim.py").read_text()
    assert generated["layers.py"] == (ROOT / "assignment" / "layers.py").read_text()


def test_check_command_reports_up_to_date():
    result = subprocess.run([sys.executable, "-m", "tools.stubs", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", stubs.STUDENT_FILES)
def test_every_stubbed_function_has_a_region(name):
    text = (ROOT / "solutions" / name).read_text()
    regions = list(stubs.solution_regions(text))  # raises MarkerError when unbalanced
    assert text.count(START) == text.count(END) == len(regions)
    assert functions_with_regions(text) == STUBBED[name]
    for start, end, body in regions:
        assert any(line.strip() and not line.strip().startswith("#") for line in body), (
            f"solutions/{name}: the region at line {start + 1} holds no code")


@pytest.mark.parametrize("name", stubs.STUDENT_FILES)
def test_stub_regions_hold_only_pass(name):
    text = (ROOT / "assignment" / name).read_text()
    regions = list(stubs.solution_regions(text))
    assert len(regions) == len(list(stubs.solution_regions(
        (ROOT / "solutions" / name).read_text())))
    for start, _, body in regions:
        assert [line.strip() for line in body] == ["", "pass", ""], f"line {start + 1}"


# --------------------------------------------------------------------------------------------
# the untouched stubs import and run

def test_stubs_import_in_a_clean_interpreter():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        [sys.executable, "-c",
         "import assignment.layers, assignment.fc_net, assignment.optim, assignment.solver"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def stub():
    import assignment.fc_net
    import assignment.layers
    import assignment.optim
    for module in (assignment.layers, assignment.fc_net, assignment.optim):
        assert Path(module.__file__).resolve().parent == ROOT / "assignment"
    return assignment


def valid_inputs():
    """Inputs each layer accepts, with caches from the reference forward passes."""
    L = load_reference().layers
    rng = np.random.default_rng(0)
    x2, x3, x4 = (rng.standard_normal(s) for s in ((4, 5), (2, 3, 4), (2, 4, 3, 3)))
    g5, b5, g3, b3 = np.ones(5), np.zeros(5), np.ones(3), np.zeros(3)
    g4, b4 = np.ones((1, 4, 1, 1)), np.zeros((1, 4, 1, 1))
    w, b = rng.standard_normal((5, 6)), np.zeros(6)
    return {
        "x2": x2, "x3": x3, "x4": x4, "g5": g5, "b5": b5, "g3": g3, "b3": b3, "g4": g4, "b4": b4,
        "w": w, "b": b, "y": np.array([0, 1, 2, 3]),
        "affine": L.affine_forward(x2, w, b)[1],
        "bn": L.batchnorm_forward(x2, g5, b5, {"mode": "train"})[1],
        "ln": L.layernorm_forward(x2, g5, b5, {})[1],
        "drop": L.dropout_forward(x2, {"mode": "train", "p": 0.5, "seed": 0})[1],
        "sbn": L.spatial_batchnorm_forward(x3, g3, b3, {"mode": "train"})[1],
        "gn": L.spatial_groupnorm_forward(x4, g4, b4, 2, {})[1],
    }


# name -> calls of the stub, each with what it must give back untouched
STUB_CALLS = {
    "affine_forward": lambda s, v: [(s.affine_forward(v["x2"], v["w"], v["b"])[0], None)],
    "affine_backward": lambda s, v: [(s.affine_backward(np.ones((4, 6)), v["affine"]),
                                      (None, None, None))],
    "relu_forward": lambda s, v: [(s.relu_forward(v["x2"])[0], None)],
    "relu_backward": lambda s, v: [(s.relu_backward(v["x2"], v["x2"]), None)],
    "softmax_loss": lambda s, v: [(s.softmax_loss(v["x2"], v["y"]), (None, None))],
    "batchnorm_forward": lambda s, v: [
        (s.batchnorm_forward(v["x2"], v["g5"], v["b5"], {"mode": "train"}), (None, None)),
        (s.batchnorm_forward(v["x2"], v["g5"], v["b5"], {"mode": "test"}), (None, None))],
    "batchnorm_backward": lambda s, v: [(s.batchnorm_backward(v["x2"], v["bn"]),
                                         (None, None, None))],
    "batchnorm_backward_alt": lambda s, v: [(s.batchnorm_backward_alt(v["x2"], v["bn"]),
                                             (None, None, None))],
    "layernorm_forward": lambda s, v: [(s.layernorm_forward(v["x2"], v["g5"], v["b5"], {}),
                                        (None, None))],
    "layernorm_backward": lambda s, v: [(s.layernorm_backward(v["x2"], v["ln"]),
                                         (None, None, None))],
    "dropout_forward": lambda s, v: [
        (s.dropout_forward(v["x2"], {"mode": "train", "p": 0.5})[0], None),
        (s.dropout_forward(v["x2"], {"mode": "test", "p": 0.5})[0], None)],
    "dropout_backward": lambda s, v: [(s.dropout_backward(v["x2"], v["drop"]), None)],
    "spatial_batchnorm_forward": lambda s, v: [
        (s.spatial_batchnorm_forward(v["x3"], v["g3"], v["b3"], {"mode": "train"}),
         (None, None))],
    "spatial_batchnorm_backward": lambda s, v: [(s.spatial_batchnorm_backward(v["x3"], v["sbn"]),
                                                 (None, None, None))],
    "spatial_groupnorm_forward": lambda s, v: [
        (s.spatial_groupnorm_forward(v["x4"], v["g4"], v["b4"], 2, {}), (None, None))],
    "spatial_groupnorm_backward": lambda s, v: [(s.spatial_groupnorm_backward(v["x4"], v["gn"]),
                                                 (None, None, None))],
}
def optim_call(rule):
    return lambda s, v: [(getattr(s, rule)(v["w"].copy(), v["w"], None)[0], None)]


OPTIM_CALLS = {rule: optim_call(rule) for rule in ("sgd_momentum", "rmsprop", "adam")}


def test_stub_tables_cover_every_stubbed_function():
    assert set(STUB_CALLS) == STUBBED["layers.py"]
    assert set(OPTIM_CALLS) == STUBBED["optim.py"]


@pytest.mark.parametrize("name", sorted(STUB_CALLS) + sorted(OPTIM_CALLS))
def test_untouched_stub_returns_none(stub, name):
    module = stub.optim if name in OPTIM_CALLS else stub.layers
    calls = (OPTIM_CALLS.get(name) or STUB_CALLS[name])(module, valid_inputs())
    for got, expected in calls:
        assert repr(got) == repr(expected), f"{name} returned {got!r}, the stub gives {expected!r}"


def test_untouched_network_stub_builds_and_returns_placeholders(stub):
    model = stub.fc_net.FullyConnectedNet([5, 4], input_dim=6, num_classes=3,
                                          normalization="batchnorm", dropout_keep_ratio=0.5)
    assert model.params == {}
    X, y = np.ones((2, 6)), np.array([0, 2])
    assert model.loss(X) is None
    assert model.loss(X, y) == (0.0, {})


# --------------------------------------------------------------------------------------------
# tools.stubs on small texts

def lines(*rows):
    return "\n".join(rows) + "\n"


def test_make_stub_replaces_each_region_with_pass():
    text = lines("def f(x):",
                 "    out = None",
                 "    " + START,
                 "    out = 2 * x",
                 "    out += 1",
                 "    " + END,
                 "    return out")
    stub_text = stubs.make_stub(text)
    assert stub_text == lines("def f(x):",
                              "    out = None",
                              "    " + START,
                              "",
                              "    pass",
                              "",
                              "    " + END,
                              "    return out")
    namespace = {}
    exec(stub_text, namespace)
    assert namespace["f"](3) is None
    exec(text, namespace)
    assert namespace["f"](3) == 7


def test_make_stub_keeps_the_region_indentation_and_text_without_regions():
    nested = lines("def g(mode):",
                   '    if mode == "train":',
                   "        " + START,
                   "        y = 1",
                   "        " + END,
                   "    return None")
    assert "\n        pass\n" in stubs.make_stub(nested)
    plain = "def h():\n    return 1\n"
    assert stubs.make_stub(plain) == plain


@pytest.mark.parametrize("text", [
    f"def f():\n    {START}\n    x = 1\n",                                      # never closed
    f"def f():\n    x = 1\n    {END}\n",                                        # END alone
    f"def f():\n    {START}\n    {START}\n    x = 1\n    {END}\n",              # nested START
    f"def f():\n    {START}\n    x = 1\n    {END}\n    {END}\n",                # one END too many
], ids=["unclosed", "end-without-start", "nested-start", "extra-end"])
def test_make_stub_raises_marker_error_on_unbalanced_markers(text):
    with pytest.raises(stubs.MarkerError):
        stubs.make_stub(text)
