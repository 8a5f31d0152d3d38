"""The Stanford names of the workspace (grader/intake/cs231n_view.py), the student's own
layer_utils.py, and FullyConnectedNet built for an older starter (child/runner.py), each seen
where student code runs: a plain interpreter, the hidden-test child and a notebook kernel."""
import importlib
import importlib.util
import subprocess
import sys
import textwrap

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader.hidden_tests.child import runner
from grader.hidden_tests.student_process import StudentProcess
from grader.intake.cs231n_view import FORWARDER, imports_two_levels_up
from grader.intake.submission import take_submission
from grader.intake.workspace import build_workspace
from grader.isolation import sandbox
from grader.notebooks.execute import run_notebook
from grader.report.prose import output_of
from grader.results import TestResult
from tests.support import ROOT, sandbox_level

CORPUS = ROOT / "tests" / "corpus"
STANFORD_2021 = CORPUS / "2021_keep_ratio_helpers" / "submission"   # from ..layers import *
STANFORD_2017 = CORPUS / "2017_absolute_use_batchnorm" / "submission"  # from cs231n.layers import *

# Run inside the workspace: every name of a student module is that one module object.
SAME_MODULES = """
import assignment.layers, assignment.fc_net, assignment.layer_utils, assignment.optim
import cs231n.layers, cs231n.layer_utils, cs231n.optim, cs231n.classifiers.fc_net
import cs231n.solver, cs231n.gradient_check, cs231n.data_utils, cs231n.im2col, cs231n.fast_layers
from cs231n.classifiers import FullyConnectedNet
from cs231n.layers import *
assert cs231n.layers is assignment.layers
assert cs231n.layer_utils is assignment.layer_utils
assert cs231n.optim is assignment.optim and cs231n.solver.optim is assignment.optim
assert cs231n.classifiers.fc_net is assignment.fc_net
assert FullyConnectedNet is assignment.fc_net.FullyConnectedNet
assert affine_forward is assignment.layers.affine_forward
assert assignment.layer_utils.affine_forward is assignment.layers.affine_forward
assert assignment.fc_net.affine_forward is assignment.layers.affine_forward
print("same modules")
"""


def workspace_from(source, tmp_path):
    job = tmp_path / "job"
    job.mkdir(parents=True)
    intake = take_submission(source, job, [])
    return build_workspace(intake, job)


def run_python(workspace, code):
    """`code` in a fresh interpreter whose sys.path starts at the workspace root, as the child's
    and the kernel's do."""
    return subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, %r)\n%s"
                           % (str(workspace.root), code)], capture_output=True, text=True,
                          cwd=workspace.root / "notebooks", timeout=60)


def flat_submission(tmp_path, fc_net_imports):
    """The reference solutions as loose files, fc_net.py importing its siblings as given."""
    folder = tmp_path / "flat"
    folder.mkdir()
    for name in ("layers.py", "optim.py"):
        (folder / name).write_text((ROOT / "solutions" / name).read_text())
    fc_net = (ROOT / "solutions" / "fc_net.py").read_text()
    (folder / "fc_net.py").write_text(fc_net.replace(
        "from .layer_utils import", fc_net_imports + "\nfrom .layer_utils import"))
    return folder


# --------------------------------------------------------------------------- the view


@pytest.mark.parametrize("source", [STANFORD_2021, STANFORD_2017], ids=["relative", "absolute"])
def test_every_name_of_a_student_module_is_one_module_object(source, tmp_path):
    done = run_python(workspace_from(source, tmp_path), SAME_MODULES)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "same modules" in done.stdout


def test_student_files_run_byte_for_byte_where_their_imports_need_them(tmp_path):
    workspace = workspace_from(STANFORD_2021, tmp_path / "a")
    fc_net = (STANFORD_2021 / "assignment2/cs231n/classifiers/fc_net.py").read_bytes()
    assert imports_two_levels_up(STANFORD_2021 / "assignment2/cs231n/classifiers/fc_net.py")
    assert (workspace.root / "cs231n/classifiers/fc_net.py").read_bytes() == fc_net
    assert b"cs231n.classifiers.fc_net" in (workspace.root / "assignment/fc_net.py").read_bytes()
    assert any("ran unchanged as cs231n.classifiers.fc_net" in m for m in workspace.messages)

    flat = workspace_from(flat_submission(tmp_path, "from cs231n.layers import affine_forward"),
                          tmp_path / "b")   # no `from ..`: stays assignment.fc_net
    assert (flat.root / "assignment/fc_net.py").read_text().startswith(
        (ROOT / "solutions" / "fc_net.py").read_text()[:200])
    assert not any("cs231n.classifiers.fc_net" in m for m in flat.messages)
    done = run_python(flat, SAME_MODULES)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("text", [
    "x = " + "1 + " * 200000 + "1\n",                     # exhausts the parser's recursion
    "x = " + "-" * 200000 + "1\n",                        # MemoryError in the parser
    "from ..layers import *\n" + "#" * (2 << 20) + "\n",  # too large to parse: scanned
], ids=["deep", "memory", "large"])
def test_a_hostile_fc_net_cannot_break_the_workspace_stage(text, tmp_path):
    folder = flat_submission(tmp_path, "")
    (folder / "fc_net.py").write_text(text)
    workspace = workspace_from(folder, tmp_path)
    assert (workspace.root / "assignment/fc_net.py").exists()
    moved = (workspace.root / "cs231n/classifiers/fc_net.py").read_text()
    assert (moved == text) == text.startswith("from ..")


def test_the_old_rewrite_of_relative_imports_is_gone(tmp_path):
    workspace = workspace_from(STANFORD_2021, tmp_path)
    moved = (workspace.root / "cs231n/classifiers/fc_net.py").read_text()
    assert "from ..layers import *" in moved and "from .layers import *" not in moved


# --------------------------------------------------------------------------- the child


@pytest.mark.parametrize("source", [STANFORD_2021, STANFORD_2017], ids=["relative", "absolute"])
def test_the_child_imports_stanford_layouts_and_builds_the_net_with_student_helpers(source, tmp_path):
    workspace = workspace_from(source, tmp_path)
    init = {"hidden_dims": [5, 4], "input_dim": 6, "num_classes": 3, "dtype": "float64",
            "normalization": "batchnorm"}
    rng = np.random.default_rng(0)
    run = {"X": rng.normal(size=(4, 6)), "y": rng.integers(0, 3, 4)}
    with StudentProcess(workspace.root, workspace.scratch_for("child"), sandbox.Limits(),
                        level=sandbox_level()) as child:
        assert child.import_errors == {}
        reply = child.request({"op": "model", "init": init, "runs": [run]}, timeout=30)
    # both layer_utils.py files define affine_bn_relu_forward, which the handout's lacks
    assert reply.ok, reply.message
    assert set(reply.result["runs"][0]["grads"]) == {"W1", "b1", "gamma1", "beta1", "W2", "b2",
                                                     "gamma2", "beta2", "W3", "b3"}


def test_an_import_error_shows_the_students_frames_not_the_forwarders(tmp_path):
    folder = tmp_path / "sub" / "a2" / "cs231n" / "classifiers"
    folder.mkdir(parents=True)
    (folder / "fc_net.py").write_text("from ..layers import *\n\nundefined_helper()\n")
    workspace = workspace_from(tmp_path / "sub", tmp_path)
    with StudentProcess(workspace.root, workspace.scratch_for("child"), sandbox.Limits(),
                        level=sandbox_level()) as child:
        error = child.import_errors["fc_net"]
    assert error.splitlines()[0] == '  File "cs231n/classifiers/fc_net.py", line 3, in <module>'
    assert "NameError" in error and "frozen" not in error and "_sys.modules" not in error
    assert runner.FORWARDER_LINE in FORWARDER   # the child knows the forwarders' one line


def test_a_kernel_sees_the_stanford_names_from_its_first_cell(tmp_path):
    workspace = workspace_from(STANFORD_2021, tmp_path)
    notebook = workspace.root / "notebooks" / "view.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(SAME_MODULES), new_code_cell(
        "from cs231n.layer_utils import affine_bn_relu_forward\n"
        "from cs231n.fast_layers import conv_forward_fast\nprint('helpers')")]), notebook)
    out = tmp_path / "out.ipynb"
    run = run_notebook(notebook, out, workspace=workspace.root, scratch=tmp_path / "s",
                       cell_timeout=30, notebook_timeout=60, continue_on_error=True,
                       limits=sandbox.Limits(), level=sandbox_level())
    assert run.grader_error is None, run.kernel_log
    assert run.ran_to_end and not run.errors, run.errors
    executed = nbformat.read(out, as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells for o in c.outputs)
    assert "same modules" in text and "helpers" in text


# --------------------------------------------------------------------------- layer_utils.py


def test_the_students_layer_utils_is_used_and_named_and_an_unchanged_copy_is_not(tmp_path):
    workspace = workspace_from(STANFORD_2021, tmp_path / "a")
    student = (STANFORD_2021 / "assignment2/cs231n/layer_utils.py").read_text()
    assert (workspace.root / "assignment/layer_utils.py").read_text() == student
    assert workspace.messages == [
        "Your files graded: layers.py (assignment2/cs231n/layers.py), fc_net.py "
        "(assignment2/cs231n/classifiers/fc_net.py), optim.py (assignment2/cs231n/optim.py). "
        "Your own helper layers were used by your code: layer_utils.py "
        "(assignment2/cs231n/layer_utils.py). fc_net.py imports its siblings from the package "
        "above it, as the CS231n starter's cs231n/classifiers/fc_net.py does, so it ran "
        "unchanged as cs231n.classifiers.fc_net."]

    folder = flat_submission(tmp_path, "")
    (folder / "layer_utils.py").write_text((ROOT / "assignment" / "layer_utils.py").read_text())
    workspace = workspace_from(folder, tmp_path / "b")
    assert workspace.messages == ["Your files graded: layers.py, fc_net.py, optim.py."]


def test_a_missing_layer_utils_is_not_reported_missing(tmp_path):
    intake = take_submission(flat_submission(tmp_path, ""), tmp_path / "job", [])
    assert not any("layer_utils" in m for m in intake.messages)
    assert intake.found_at == {"layers.py": "layers.py", "optim.py": "optim.py",
                               "fc_net.py": "fc_net.py"}


# --------------------------------------------------------------------------- keywords


def constructor(signature: str):
    namespace = {}
    exec(textwrap.dedent(f"""
        class FullyConnectedNet:
            def __init__(self, {signature}):
                pass
        """), namespace)
    return namespace["FullyConnectedNet"]


CURRENT = {"hidden_dims": [3], "dropout_keep_ratio": 0.6, "normalization": "batchnorm"}


@pytest.mark.parametrize("signature, passed, starter", [
    # 2017: dropout is the probability of dropping a unit; batch norm is a flag
    ("hidden_dims, dropout=0, use_batchnorm=False, reg=0.0",
     {"hidden_dims": [3], "dropout": 0.4, "use_batchnorm": True}, "2017"),
    # 2018-2020: dropout is the probability of keeping a unit
    ("hidden_dims, dropout=1, normalization=None, reg=0.0",
     {"hidden_dims": [3], "dropout": 0.6, "normalization": "batchnorm"}, "2018-2020"),
    ("hidden_dims, dropout=1.0, normalization=None",
     {"hidden_dims": [3], "dropout": 0.6, "normalization": "batchnorm"}, "2018-2020"),
    ("hidden_dims, dropout=0.0, use_batchnorm=False",
     {"hidden_dims": [3], "dropout": 0.4, "use_batchnorm": True}, "2017"),
    # no telling default: a use_batchnorm signature is the 2017 one
    ("hidden_dims, dropout=0.5, use_batchnorm=False",
     {"hidden_dims": [3], "dropout": 0.4, "use_batchnorm": True}, "2017"),
])
def test_older_starters_keywords_are_passed_under_their_names(signature, passed, starter):
    init, adapted = runner.starter_keywords(constructor(signature), dict(CURRENT))
    assert init == pytest.approx(passed) and set(init) == set(passed)
    assert adapted and all(a["starter"] == starter and a["kind"] == "keyword" for a in adapted)


@pytest.mark.parametrize("signature", [
    "hidden_dims, dropout_keep_ratio=1, normalization=None, reg=0.0",   # 2021-2024
    "hidden_dims, **kwargs",                                            # takes anything
])
def test_current_or_open_signatures_are_called_as_they_are(signature):
    assert runner.starter_keywords(constructor(signature), dict(CURRENT)) == (CURRENT, [])


def test_layer_norm_has_no_2017_keyword_and_is_passed_as_asked():
    init, adapted = runner.starter_keywords(
        constructor("hidden_dims, dropout=0, use_batchnorm=False"),
        {"hidden_dims": [3], "normalization": "layernorm"})
    assert init == {"hidden_dims": [3], "normalization": "layernorm"}
    assert adapted == [{"kind": "keyword", "given": "normalization", "value": "layernorm",
                        "as": None, "as_value": None, "starter": "2017"}]


def test_the_2017_starters_mode_line_is_recognised_only_with_batch_norm(tmp_path):
    source = tmp_path / "starter_net.py"
    source.write_text(textwrap.dedent("""
        class Net:
            def __init__(self, bn):
                self.bn_params = [{'mode': 'train'}] if bn else []
            def loss(self, X, y=None):
                mode = 'test' if y is None else 'train'
                for bn_param in self.bn_params:
                    bn_param[mode] = mode
        """))
    spec = importlib.util.spec_from_file_location("starter_net", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert runner.keeps_starter_mode_line(module.Net(bn=True))
    assert not runner.keeps_starter_mode_line(module.Net(bn=False))
    fixed = module.Net(bn=True)
    runner.set_bn_modes(fixed, "test")
    assert fixed.bn_params == [{"mode": "test"}]


def test_the_child_reports_what_it_passed_and_the_report_says_it(tmp_path):
    workspace = workspace_from(STANFORD_2017, tmp_path)
    init = {"hidden_dims": [4], "input_dim": 5, "num_classes": 3, "dtype": "float64",
            "dropout_keep_ratio": 0.75, "seed": 3}
    run = {"X": np.ones((2, 5)), "y": np.array([0, 1])}
    with StudentProcess(workspace.root, workspace.scratch_for("child"), sandbox.Limits(),
                        level=sandbox_level()) as child:
        reply = child.request({"op": "model", "init": init, "runs": [run]}, timeout=30)
        refused = child.request({"op": "model", "init": {**init, "normalization": "layernorm"},
                                 "runs": [run]}, timeout=30)
    assert reply.ok, reply.message
    assert reply.result["adapted"] == [{"kind": "keyword", "given": "dropout_keep_ratio",
                                        "value": 0.75, "as": "dropout", "as_value": 0.25,
                                        "starter": "2017"}]
    assert refused.status == "raised" and refused.error["adapted"][0]["as"] is None

    test = TestResult("FullyConnectedNet", "x", "FullyConnectedNet", True, header="Built it.",
                      data={"starter_adaptations": reply.result["adapted"]
                            + refused.error["adapted"] + [{"kind": "bn_mode_line",
                                                           "starter": "2016-2017"}]})
    english = output_of(test, "en")
    assert "built with dropout=0.25 where this test says dropout_keep_ratio=0.75 (there, " \
           "dropout is the probability of dropping a unit)" in english
    assert "no keyword for normalization='layernorm'" in english
    assert "named after the mode's own value" in english
    both = output_of(test, "both")
    assert "丢弃一个单元的概率" in both and english.splitlines()[1] in both


# --------------------------------------------------------------------------- given helpers


def naive_conv(x, w, b, stride, pad):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    out = np.zeros((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def test_the_given_fast_layers_compute_convolution_and_pooling():
    fast = importlib.import_module("grader.intake.cs231n_helpers.fast_layers")
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 3, 7, 7)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    conv_param = {"stride": 2, "pad": 1}
    out, cache = fast.conv_forward_fast(x, w, b, conv_param)
    assert np.allclose(out, naive_conv(x, w, b, 2, 1))
    dout = rng.normal(size=out.shape)
    dx, dw, db = fast.conv_backward_fast(dout, cache)
    h = 1e-6   # one entry of each gradient against a central difference of <out, dout>
    for grad, array, index in ((dx, x, (1, 2, 3, 4)), (dw, w, (3, 1, 0, 2))):
        plus, minus = array.copy(), array.copy()
        plus[index] += h
        minus[index] -= h
        args = lambda a: (a, w, b) if array is x else (x, a, b)
        numeric = np.sum((naive_conv(*args(plus), 2, 1) - naive_conv(*args(minus), 2, 1)) * dout) / (2 * h)
        assert grad[index] == pytest.approx(numeric, rel=1e-5)
    assert np.allclose(db, dout.sum(axis=(0, 2, 3)))

    for size, side in ((2, 8), (3, 7)):   # 2x2 pools tile 8x8 (reshape path); 3x3 ones overlap
        pool_param = {"pool_height": size, "pool_width": size, "stride": 2}
        x = rng.normal(size=(2, 3, side, side))
        out, cache = fast.max_pool_forward_fast(x, pool_param)
        stride = 2
        expected = np.array([[[[x[n, c, i * stride:i * stride + size, j * stride:j * stride + size].max()
                                for j in range(out.shape[3])] for i in range(out.shape[2])]
                              for c in range(3)] for n in range(2)])
        assert np.allclose(out, expected)
        dx = fast.max_pool_backward_fast(np.ones_like(out), cache)
        assert dx.shape == x.shape and dx.sum() == pytest.approx(out.size)
