"""assignment/public_checks.py: statuses for stubs, partial work, mistakes and crashes.

Student code is laid over a scratch copy of the package and checked in a subprocess, as a student
runs it (`python -m assignment.public_checks`); the all-PASS run on the solutions is in
test_release.py, from inside the handout.
"""
import ast
import io
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from assignment import public_checks
from tests.support import make_workspace
from tools import public_values as public_values_tool

ROOT = Path(__file__).resolve().parents[2]


def package_with(tmp_path, solutions=True, append=None, replace=None):
    """A copy of assignment/ (with the solutions laid over), code appended to or files replaced."""
    folder = make_workspace(tmp_path, solutions=solutions)
    for name, code in (append or {}).items():
        with open(folder / "assignment" / name, "a") as f:
            f.write("\n\n" + textwrap.dedent(code))
    for name, code in (replace or {}).items():
        (folder / "assignment" / name).write_text(textwrap.dedent(code))
    return folder


def check(folder, *names):
    result = subprocess.run([sys.executable, "-m", "assignment.public_checks", *names], cwd=folder,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = {}
    for line in result.stdout.splitlines():
        match = re.match(r"^(\w+)\s+(PASS|FAIL|NOT IMPLEMENTED|ERROR)\b", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found, result.stdout


def test_select_names_functions_and_files():
    assert public_checks.select(["optim"]) == ["sgd_momentum", "rmsprop", "adam"]
    assert public_checks.select(["adam", "optim"]) == ["adam", "sgd_momentum", "rmsprop"]
    assert len(public_checks.select()) == 20
    with pytest.raises(ValueError, match="batchnorm_forward"):
        public_checks.select(["batchnorm"])


def test_run_on_the_stubs_says_not_implemented():
    out = io.StringIO()
    summary = public_checks.run(["layers", "FullyConnectedNet"], out=out)
    assert set(summary.statuses.values()) == {"NOT IMPLEMENTED"} and not summary.all_passed
    assert repr(summary) == "public checks: 17 NOT IMPLEMENTED"
    assert "batchnorm_backward           NOT IMPLEMENTED: needs batchnorm_forward first" in out.getvalue()
    assert out.getvalue().rstrip().endswith("does not guarantee full marks.")


def test_unknown_name_on_the_command_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "assignment.public_checks", "batchnorm"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no public check called 'batchnorm'" in result.stderr


def test_partial_work_is_not_implemented_and_the_net_skips_what_it_needs(tmp_path):
    folder = package_with(tmp_path, append={"layers.py": """
        def batchnorm_forward(x, gamma, beta, bn_param):
            return None, None
    """})
    found, stdout = check(folder, "batchnorm_forward", "batchnorm_backward", "FullyConnectedNet", "affine_forward")
    assert found == {"batchnorm_forward": "NOT IMPLEMENTED", "batchnorm_backward": "NOT IMPLEMENTED",
                     "FullyConnectedNet": "PASS", "affine_forward": "PASS"}
    assert "SKIPPED  batchnorm: loss and scores: needs batchnorm_forward" in stdout
    assert "SKIPPED  batchnorm, reg=0.0: gradients: needs batchnorm_forward" in stdout


def test_classic_mistakes_fail_and_crashes_are_errors(tmp_path):
    folder = package_with(tmp_path, append={
        "layers.py": """
            _softmax_loss, _dropout_forward = softmax_loss, dropout_forward

            def softmax_loss(x, y):          # forgets to average the gradient over the batch
                loss, dx = _softmax_loss(x, y)
                return loss, dx * x.shape[0]

            def dropout_forward(x, dropout_param):   # not inverted: no 1/p scaling
                out, cache = _dropout_forward(x, dropout_param)
                if dropout_param["mode"] == "train":
                    out = out * dropout_param["p"]
                return out, cache
        """,
        "optim.py": """
            def rmsprop(w, dw, config=None):
                raise KeyError("cache")
        """})
    found, stdout = check(folder, "softmax_loss", "dropout_forward", "rmsprop", "adam")
    assert found == {"softmax_loss": "FAIL", "dropout_forward": "FAIL", "rmsprop": "ERROR", "adam": "PASS"}
    assert "dx vs numerical gradient" in stdout and "<-- too large" in stdout
    assert "rmsprop                      ERROR: KeyError: 'cache' (at optim.py:" in stdout


def test_a_file_that_does_not_import_costs_only_its_checks(tmp_path):
    folder = package_with(tmp_path, replace={"optim.py": "def adam(:\n"})
    found, stdout = check(folder, "adam", "relu_forward")
    assert found == {"adam": "ERROR", "relu_forward": "PASS"}
    assert "optim.py does not import: SyntaxError" in stdout


def test_strict_exit_status(tmp_path):
    folder = package_with(tmp_path)
    ok = subprocess.run([sys.executable, "-m", "assignment.public_checks", "--strict", "optim"], cwd=folder,
                        capture_output=True, text=True, timeout=60)
    stubs = subprocess.run([sys.executable, "-m", "assignment.public_checks", "--strict", "optim"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert (ok.returncode, stubs.returncode) == (0, 1)


def test_needs_nothing_but_numpy_the_standard_library_and_the_package():
    tree = ast.parse((ROOT / "assignment" / "public_checks.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or "").split(".")[0])
    assert imported <= {"argparse", "contextlib", "importlib", "io", "math", "sys", "traceback", "dataclasses",
                        "numpy", ".gradient_check", ".public_values"}


# --------------------------------------------------------------------------- the stored values

def test_stored_values_are_what_the_tool_writes_from_the_solutions():
    """Fails when solutions/ or a check's fixed inputs changed and public_values.py was not
    regenerated (python -m tools.public_values)."""
    fresh = public_values_tool.generate().encode("utf-8")
    stored = (ROOT / "assignment" / "public_values.py").read_bytes()
    assert stored == fresh, "assignment/public_values.py is stale: run `python -m tools.public_values`"


def test_stored_values_are_a_generated_table_of_numbers_and_nothing_else():
    text = (ROOT / "assignment" / "public_values.py").read_text()
    assert text.startswith('"""GENERATED by `python -m tools.public_values`')
    module = ast.parse(text)
    docstring, assignment = module.body    # nothing else: no code, no imports
    assert isinstance(docstring, ast.Expr) and isinstance(assignment, ast.Assign)
    assert [target.id for target in assignment.targets] == ["VALUES"]
    values = ast.literal_eval(assignment.value)
    assert set(values) == {name for name in public_checks.CHECKS
                           if name not in ("dropout_forward", "dropout_backward")}   # random masks
    for check, by_key in values.items():
        for key, (shape, flat) in by_key.items():
            assert len(flat) == int(np.prod(shape)) and all(isinstance(v, float) for v in flat), (check, key)


def test_every_stored_value_is_compared_and_the_solutions_match_them(tmp_path):
    folder = package_with(tmp_path)
    found, stdout = check(folder)
    assert set(found.values()) == {"PASS"} and len(found) == 20, stdout
    compared = stdout.count("vs correct values")
    stored = sum(len(by_key) for by_key in public_checks.VALUES.values())
    assert compared == stored


# --------------------------------------------------------------------------- needs(), for notebook cells

def test_needs_stops_a_cell_with_one_line_naming_what_to_write():
    with pytest.raises(public_checks.NotImplementedYet) as info:
        public_checks.needs("batchnorm_backward_alt", "adam")
    message = str(info.value)
    assert message == ("not implemented yet: batchnorm_forward, batchnorm_backward_alt in assignment/layers.py; "
                       "adam in assignment/optim.py. Write them, save the files and run this cell again.")
    assert info.value._render_traceback_() == [message]   # what Jupyter shows instead of a traceback


def test_needs_checks_the_layers_a_network_configuration_uses():
    with pytest.raises(public_checks.NotImplementedYet) as info:
        public_checks.needs("FullyConnectedNet", normalization=(None, "layernorm"), dropout=True)
    message = str(info.value)
    assert message.startswith("not implemented yet: affine_forward, affine_backward, relu_forward, relu_backward, "
                              "softmax_loss, dropout_forward, dropout_backward, layernorm_forward, "
                              "layernorm_backward in assignment/layers.py; FullyConnectedNet (it creates no "
                              "parameters), FullyConnectedNet (normalization='layernorm': it creates no "
                              "parameters) in assignment/fc_net.py.")
    assert "\n" not in message and "batchnorm" not in message


def test_needs_leaves_the_random_state_alone_and_rejects_unknown_names():
    np.random.seed(7)
    expected = np.random.rand(3)
    np.random.seed(7)
    with pytest.raises(public_checks.NotImplementedYet):
        public_checks.needs("dropout_forward", "FullyConnectedNet", dropout=True)
    assert np.array_equal(np.random.rand(3), expected)
    public_checks.needs("sgd")   # given, so written
    with pytest.raises(ValueError, match="no function called 'batchnorm'"):
        public_checks.needs("batchnorm")


NEEDS_EVERYTHING = """
from assignment.public_checks import needs
needs("affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss", "batchnorm_forward",
      "batchnorm_backward", "batchnorm_backward_alt", "layernorm_forward", "layernorm_backward",
      "dropout_forward", "dropout_backward", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
      "spatial_groupnorm_forward", "spatial_groupnorm_backward", "sgd", "sgd_momentum", "rmsprop", "adam",
      "FullyConnectedNet", normalization=(None, "batchnorm", "layernorm"), dropout=True)
print("all written")
"""


def test_needs_is_silent_once_everything_is_written(tmp_path):
    result = subprocess.run([sys.executable, "-c", NEEDS_EVERYTHING], cwd=package_with(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "all written\n", result.stderr


def test_needs_names_the_unwritten_layer_not_the_network_that_calls_it(tmp_path):
    folder = package_with(tmp_path, append={"layers.py": """
        def batchnorm_forward(x, gamma, beta, bn_param):
            return None, None
    """})
    code = ("from assignment.public_checks import needs, NotImplementedYet\n"
            "try:\n    needs('FullyConnectedNet', normalization='batchnorm')\n"
            "except NotImplementedYet as exc:\n    print(exc)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=60)
    assert result.stdout == ("not implemented yet: batchnorm_forward, batchnorm_backward_alt or "
                             "batchnorm_backward in assignment/layers.py. Write them, save the file and run "
                             "this cell again.\n")
