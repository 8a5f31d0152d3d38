"""What the tests share: student workspaces and submissions, rubric copies with overrides, and
running the grader's command line on a folder.

Mistakes are made by appending whole function definitions to a solution file (the last
definition of a name wins), never by editing the solutions' code, which may change.
"""
import functools
import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_RUBRIC = ROOT / "grader" / "rubric.toml"
STUDENT_PY = ("layers.py", "fc_net.py", "optim.py")


# --------------------------------------------------------------------------- student code


def make_workspace(folder: Path, files: dict | None = None, *, solutions: bool = True) -> Path:
    """folder/ws/assignment = the handout, the reference solutions over it (unless
    solutions=False: the untouched stubs), then `files` ({name: text}) over that."""
    workspace = folder / "ws"
    shutil.copytree(ROOT / "assignment", workspace / "assignment",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if solutions:
        for solution_file in (ROOT / "solutions").glob("*.py"):
            shutil.copy(solution_file, workspace / "assignment" / solution_file.name)
    for name, text in (files or {}).items():
        (workspace / "assignment" / name).write_text(text)
    return workspace


def submission(folder: Path, files: dict | None = None, *, solutions: bool = True) -> Path:
    """A folder submission: the reference solutions (or the untouched stubs) with `files`
    ({name: text}) laid over them."""
    folder.mkdir(parents=True)
    source = ROOT / ("solutions" if solutions else "assignment")
    for name in STUDENT_PY:
        shutil.copy(source / name, folder / name)
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    return folder


def solution(name: str) -> str:
    return (ROOT / "solutions" / name).read_text()


def overridden(name: str, *definitions: str) -> str:
    """The solution file `name` followed by `definitions`, which replace what they redefine."""
    return solution(name) + "".join("\n\n" + textwrap.dedent(d).strip() + "\n" for d in definitions)


def batchnorm_family(ddof: int = 0, in_place: bool = False) -> str:
    """A student's own batch norm (forward, both backwards, spatial), right for ddof=0.
    in_place=True computes out by overwriting x."""
    scale_and_shift = ("out = x\n        out -= mu\n        out *= inv_std\n        out *= gamma\n"
                       "        out += beta") if in_place else "out = gamma * x_hat + beta"
    return BATCHNORM_FAMILY % (ddof, scale_and_shift)


BATCHNORM_FAMILY = '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0, ddof=%d)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mu) * inv_std
        %s
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (x_hat, inv_std, gamma)
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError(mode)
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return out, cache


def batchnorm_backward_alt(dout, cache):
    x_hat, inv_std, gamma = cache
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


batchnorm_backward = batchnorm_backward_alt


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    x_last = np.moveaxis(x, 1, -1)
    out, cache = batchnorm_forward(x_last.reshape(-1, x.shape[1]), gamma, beta, bn_param)
    return np.moveaxis(out.reshape(x_last.shape), -1, 1), (cache, x_last.shape)


def spatial_batchnorm_backward(dout, cache):
    cache, shape = cache
    dx, dgamma, dbeta = batchnorm_backward_alt(
        np.moveaxis(dout, 1, -1).reshape(-1, dout.shape[1]), cache)
    return np.moveaxis(dx.reshape(shape), -1, 1), dgamma, dbeta
'''


@functools.cache
def sandbox_level() -> str:
    """The isolation level this machine offers, detected once for the test session (the
    grader itself decides it once per run, in its command line, and passes it on)."""
    from grader.isolation.sandbox import detect_level
    return detect_level()


# --------------------------------------------------------------------------- rubrics


def write_rubric(path: Path, overrides: dict | None = None, *, notebooks: bool = False,
                 comment: str = "") -> Path:
    """The shipped rubric with `overrides` ({table: {key: value}}, nested as in the file)
    merged over it, notebooks off unless `notebooks`, written to `path`. Every overridden
    table must exist in the shipped rubric, so a renamed key fails here, not silently.
    `comment` adds a comment line: the file changes, the rubric does not."""
    rubric = tomllib.loads(SHIPPED_RUBRIC.read_text())
    assert "run" in rubric["notebooks"], "the shipped rubric has no [notebooks] run switch"
    rubric["notebooks"]["run"] = notebooks
    _merge(rubric, overrides or {}, "")
    path.write_text(dump_toml(rubric) + (f"# {comment}\n" if comment else ""))
    return path


def _merge(into: dict, overrides: dict, where: str) -> None:
    for key, value in overrides.items():
        if isinstance(value, dict):
            assert isinstance(into.get(key), dict), f"the shipped rubric has no [{where}{key}]"
            _merge(into[key], value, f"{where}{key}.")
        else:
            into[key] = value


def dump_toml(table: dict, prefix: str = "") -> str:
    """TOML for the value types a rubric holds (tables, str, bool, int, float, lists)."""
    scalars = [f"{_key(k)} = {_value(v)}" for k, v in table.items() if not isinstance(v, dict)]
    text = (f"[{prefix}]\n" if prefix and scalars else "") + "".join(s + "\n" for s in scalars)
    for key, value in table.items():
        if isinstance(value, dict):
            text += "\n" + dump_toml(value, f"{prefix}.{_key(key)}" if prefix else _key(key))
    return text


def _key(key: str) -> str:
    return key if key.replace("_", "").isalnum() else json.dumps(key)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(_value(v) for v in value) + "]"


# --------------------------------------------------------------------------- the grader's CLI


def run_grader(args: list, *, tmpdir: Path | None = None, timeout: float = 600,
               check: bool = True) -> subprocess.CompletedProcess:
    """`python -m grader ARGS` from the repository, optionally with its own TMPDIR (job folders
    and kernel sockets live there: keep it short)."""
    env = {**os.environ, **({"TMPDIR": str(tmpdir)} if tmpdir else {})}
    done = subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def results_in(out: Path) -> dict:
    """{report folder name: results.json} of every report under `out`."""
    return {p.parent.name: json.loads(p.read_text()) for p in Path(out).glob("*/results.json")}


# --------------------------------------------------------------------------- Gradescope

# Gradescope's results.json (gradescope-autograders.readthedocs.io/en/latest/specs/).
VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
            "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output",
             "output_format", "tags", "visibility", "extra_data"}


def assert_gradescope_format(data: dict) -> None:
    """`data` is a results.json Gradescope accepts, with everything our contract requires."""
    json.dumps(data, allow_nan=False)   # plain JSON: no NaN or Infinity
    assert set(data) <= TOP_KEYS, set(data) - TOP_KEYS
    assert {"score", "execution_time", "output", "visibility", "extra_data", "tests"} <= set(data)
    assert isinstance(data["score"], (int, float)) and math.isfinite(data["score"])
    assert isinstance(data["execution_time"], (int, float)) and data["execution_time"] >= 0
    assert isinstance(data["output"], str) and isinstance(data["extra_data"], dict)
    assert data["visibility"] in VISIBILITIES
    assert data.get("stdout_visibility", "hidden") in VISIBILITIES
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert data.get(key, "text") in FORMATS
    assert isinstance(data["tests"], list)
    for test in data["tests"]:
        assert set(test) <= TEST_KEYS, set(test) - TEST_KEYS
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert isinstance(test["name"], str) and ": " in test["name"]
        assert 0 <= test["score"] <= test["max_score"] + 1e-9
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["output"], str)
        assert test["visibility"] in VISIBILITIES
        assert test.get("name_format", "text") in FORMATS
        assert test.get("output_format", "text") in FORMATS
    if data["tests"]:   # the tests' points, less a late penalty (extra_data says how much)
        penalty = data["extra_data"].get("late_penalty", 0.0)
        assert data["score"] == pytest.approx(
            max(0.0, sum(t["score"] for t in data["tests"]) - penalty), abs=1e-3)


# --------------------------------------------------------------------------- kept reports


def keep_report(out: Path, result) -> Path:
    """Lay `result` under `out` as a finished worker would: out/<name>/ reports and the model at
    out/.models/<name>.json (batch-wide files are then rebuilt from it, no grading needed)."""
    from grader.batch import model_path
    from grader.report import write_reports
    write_reports(result, Path(out) / result.name, model_path(out, result.name))
    return Path(out) / result.name
