"""Student workspaces for the tests: the handout's assignment/ with files laid over it.

Mistakes are made by appending whole function definitions to a solution file (the last
definition of a name wins), never by editing the solutions' code, which may change.
"""
import shutil
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_workspace(folder: Path, files: dict | None = None, *, solutions: bool = True) -> Path:
    """folder/ws/assignment = the handout, the reference solutions over it (unless
    solutions=False: the untouched stubs), then `files` ({name: text}) over that."""
    workspace = folder / "ws"
    shutil.copytree(ROOT / "assignment", workspace / "assignment",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if solutions:
        for solution in (ROOT / "solutions").glob("*.py"):
            shutil.copy(solution, workspace / "assignment" / solution.name)
    for name, text in (files or {}).items():
        (workspace / "assignment" / name).write_text(text)
    return workspace


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
