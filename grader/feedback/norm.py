"""The normalization layers seen one way: every function groups its values, normalizes each
group, then scales and shifts per feature or channel.

`Layout(function, inputs)` puts any of batch, layer, spatial batch and spatial group norm in
one (groups, K) view, where each row is one normalized group of K values:

    batch norm        x (N, D)        -> (D, N)        a feature over the batch
    layer norm        x (N, D)        -> (N, D)        an example over its features
    spatial batch     x (N, C, *S)    -> (C, N * S)    a channel over batch and positions
    spatial group     x (N, C, H, W)  -> (N * G, C/G * H * W)   a group of one example

In that view the correct gradient splits into three paths (section 5 of
BatchNormalization.ipynb): with s = 1/sqrt(var + eps), g = dout * gamma and means over a row,

    dx = s * g  -  s * mean(g)  -  s * x_hat * mean(g * x_hat)
         direct    through mean    through variance

and the signatures test which coefficients in front of those paths a student's dx has.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

FAMILIES = {
    "batchnorm_forward": "batchnorm", "batchnorm_backward": "batchnorm",
    "batchnorm_backward_alt": "batchnorm",
    "layernorm_forward": "layernorm", "layernorm_backward": "layernorm",
    "spatial_batchnorm_forward": "spatial_batchnorm", "spatial_batchnorm_backward": "spatial_batchnorm",
    "spatial_groupnorm_forward": "spatial_groupnorm", "spatial_groupnorm_backward": "spatial_groupnorm",
}
PARAM_KEYS = ("bn_param", "ln_param", "gn_param")


def family(function: str) -> str | None:
    return FAMILIES.get(function)


def eps_of(inputs: dict) -> float:
    for key in PARAM_KEYS:
        if isinstance(inputs.get(key), dict):
            return float(inputs[key].get("eps", 1e-5))
    return 1e-5


def standardize(x, axes, eps, ddof=0, eps_mode="inside"):
    """(x_hat, mean, var) with statistics over `axes` (kept as size-1 axes); eps_mode is where
    eps goes: "inside" the square root (correct), "outside" it, or "none"."""
    mu = x.mean(axis=axes, keepdims=True)
    count = np.prod([x.shape[a] for a in np.atleast_1d(axes)])
    var = ((x - mu) ** 2).sum(axis=axes, keepdims=True) / (count - ddof)
    if eps_mode == "inside":
        std = np.sqrt(var + eps)
    elif eps_mode == "outside":
        std = np.sqrt(var) + eps
    else:
        std = np.sqrt(var)
    return (x - mu) / std, mu, var


class Layout:
    """One normalization function's grouping of x, and the correct train-mode quantities."""

    def __init__(self, function: str, inputs: dict):
        self.function, self.kind = function, FAMILIES[function]
        self.x = np.asarray(inputs["x"], dtype=float)
        self.gamma = np.asarray(inputs["gamma"], dtype=float)
        self.eps = eps_of(inputs)
        self.G = int(inputs.get("G", 1))
        dout = inputs.get("dout")
        self.dout = None if dout is None else np.asarray(dout, dtype=float)

    # ---------------------------------------------------------------- the (groups, K) view

    def view(self, a: np.ndarray) -> np.ndarray:
        if self.kind == "batchnorm":
            return a.T
        if self.kind == "layernorm":
            return a
        if self.kind == "spatial_batchnorm":
            return np.moveaxis(a, 1, 0).reshape(a.shape[1], -1)
        return a.reshape(a.shape[0] * self.G, -1)

    def unview(self, v: np.ndarray) -> np.ndarray:
        shape = self.x.shape
        if self.kind == "batchnorm":
            return v.T
        if self.kind == "layernorm":
            return v
        if self.kind == "spatial_batchnorm":
            return np.moveaxis(v.reshape((shape[1], shape[0]) + shape[2:]), 0, 1)
        return v.reshape(shape)

    @property
    def K(self) -> int:
        return self.view(self.x).shape[1]

    @property
    def param_axes(self) -> tuple:
        """Axes of x that dgamma and dbeta sum over."""
        if self.kind in ("batchnorm", "layernorm"):
            return (0,)
        if self.kind == "spatial_batchnorm":
            return tuple(a for a in range(self.x.ndim) if a != 1)
        return (0, 2, 3)

    def gamma_full(self) -> np.ndarray:
        """gamma broadcast against x."""
        if self.kind in ("batchnorm", "layernorm"):
            return self.gamma.reshape(1, -1)
        return self.gamma.reshape((1, -1) + (1,) * (self.x.ndim - 2))

    # ---------------------------------------------------------------- statistics

    @cached_property
    def stats(self):
        """(x_hat, s) in the view; s = 1/sqrt(var + eps) is one number per row."""
        v = self.view(self.x)
        mu = v.mean(axis=1, keepdims=True)
        var = ((v - mu) ** 2).mean(axis=1, keepdims=True)
        s = 1.0 / np.sqrt(var + self.eps)
        return (v - mu) * s, s

    @property
    def x_hat(self) -> np.ndarray:
        return self.unview(self.stats[0])

    def paths(self, g_full: np.ndarray):
        """(direct, through the mean, through the variance) in the view, for the upstream
        gradient of x_hat `g_full` (dout * gamma when correct)."""
        xh, s = self.stats
        g = self.view(g_full)
        direct = g * s
        mean_path = -s * g.mean(axis=1, keepdims=True)
        var_path = -s * xh * (g * xh).mean(axis=1, keepdims=True)
        return direct, mean_path, var_path

    def dx_with(self, c=1.0, a=1.0, b=1.0, g_full=None) -> np.ndarray:
        """dx with the three paths weighted by c, a, b (scalars or one per row)."""
        direct, mean_path, var_path = self.paths(self.dout * self.gamma_full() if g_full is None else g_full)
        return self.unview(c * direct + a * mean_path + b * var_path)

    def param_grads(self):
        """Correct (dgamma, dbeta) in the shape of gamma."""
        axes = self.param_axes
        keep = self.kind == "spatial_groupnorm"
        dgamma = (self.dout * self.x_hat).sum(axis=axes, keepdims=keep)
        dbeta = self.dout.sum(axis=axes, keepdims=keep)
        return dgamma, dbeta


def bn_backward_rows(x_rows, gamma, d_rows, eps):
    """Correct batch norm gradients of (M, C) rows: (dx_rows, dgamma, dbeta)."""
    x_hat, _, var = standardize(x_rows, 0, eps)
    s = 1.0 / np.sqrt(var + eps)
    g = d_rows * gamma
    dx = s * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, (d_rows * x_hat).sum(axis=0), d_rows.sum(axis=0)
