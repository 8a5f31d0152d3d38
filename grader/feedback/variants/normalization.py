"""Variants of batch, layer, spatial batch and spatial group normalization.

The forward passes are one parametrized implementation (`Flags` says which mistake it makes);
a batch norm input may be one call (x, gamma, beta, bn_param) or a sequence of calls sharing
bn_param ({"bn_param": ..., "steps": [{x, gamma, beta, mode}, ...]}): the outputs are then
the last call's "out", the outputs of the calls before it ("earlier_outs", a list) and the
running averages after the last call.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.feedback.norm import Layout, bn_backward_rows, family, standardize
from grader.feedback.registry import variant


@dataclass(frozen=True)
class Flags:
    ddof: int = 0                 # 1: the unbiased N - 1 variance
    eps_mode: str = "inside"      # train-mode eps: inside | outside | none
    eps_mode_test: str = "inside"
    running: str = "ok"           # ok | swapped | std | std_eps (std with eps)
    test: str = "running"         # running | batch | no_sqrt
    stat_axis: int = 0            # batch norm statistics over axis 0 (right) or 1
    layout: str = "ok"            # spatial: ok | reshape_only | no_move_back
    ln_axis: int = 1
    ln_eps: float | None = None   # a fixed eps instead of ln_param's
    groups: str = "ok"            # group norm: ok | interleaved | swapped | batch | channels


def _std(var, eps, eps_mode):
    if eps_mode == "inside":
        return np.sqrt(var + eps)
    return np.sqrt(var) + eps if eps_mode == "outside" else np.sqrt(var)


def bn_core(x, gamma, beta, param: dict, f: Flags):
    """Batch norm of (N, D) rows; updates param's running averages like the student would."""
    mode, eps, m = param["mode"], param.get("eps", 1e-5), param.get("momentum", 0.9)
    D = x.shape[1]
    rm = np.asarray(param.get("running_mean", np.zeros(D)), dtype=float)
    rv = np.asarray(param.get("running_var", np.zeros(D)), dtype=float)
    if mode == "train":
        x_hat, mu, var = standardize(x, f.stat_axis, eps, f.ddof, f.eps_mode)
        if f.stat_axis == 0:        # statistics over the other axis stay (N, 1) and broadcast
            mu, var = mu[0], var[0]
        statistic = {"ok": var, "swapped": var, "std": np.sqrt(var), "std_eps": np.sqrt(var + eps)}
        if f.running == "swapped":
            rm, rv = (1 - m) * rm + m * mu, (1 - m) * rv + m * var
        else:
            rm, rv = m * rm + (1 - m) * mu, m * rv + (1 - m) * statistic[f.running]
    elif mode == "test":
        if f.test == "batch":
            x_hat = standardize(x, 0, eps, f.ddof, f.eps_mode)[0]
        elif f.test == "no_sqrt":
            x_hat = (x - rm) / (rv + eps)
        else:
            x_hat = (x - rm) / _std(rv, eps, f.eps_mode_test)
    else:
        raise ValueError(mode)
    param["running_mean"], param["running_var"] = rm, rv
    return gamma * x_hat + beta


def spatial_core(x, gamma, beta, param: dict, f: Flags):
    C = x.shape[1]
    if f.layout == "reshape_only":
        return bn_core(x.reshape(-1, C), gamma, beta, param, f).reshape(x.shape)
    last = np.moveaxis(x, 1, -1)
    out = bn_core(last.reshape(-1, C), gamma, beta, param, f)
    if f.layout == "no_move_back":
        return out.reshape(x.shape)
    return np.moveaxis(out.reshape(last.shape), -1, 1)


def bn_sequence(function, inputs, f: Flags):
    param = dict(inputs.get("bn_param") or {})
    steps = inputs.get("steps") or [{k: inputs[k] for k in ("x", "gamma", "beta")}]
    core = spatial_core if function.startswith("spatial") else bn_core
    outs = []
    for step in steps:
        if "mode" in step:
            param["mode"] = step["mode"]
        x, gamma, beta = (np.asarray(step[k], dtype=float) for k in ("x", "gamma", "beta"))
        outs.append(core(x, gamma, beta, param, f))
    result = {"out": outs[-1], "running_mean": param["running_mean"], "running_var": param["running_var"]}
    if len(outs) > 1:
        result["earlier_outs"] = outs[:-1]
    return result


def layernorm(inputs, f: Flags):
    x, gamma, beta = (np.asarray(inputs[k], dtype=float) for k in ("x", "gamma", "beta"))
    eps = f.ln_eps if f.ln_eps is not None else (inputs.get("ln_param") or {}).get("eps", 1e-5)
    return {"out": gamma * standardize(x, f.ln_axis, eps, f.ddof, f.eps_mode)[0] + beta}


def groupnorm(inputs, f: Flags):
    x, gamma, beta = (np.asarray(inputs[k], dtype=float) for k in ("x", "gamma", "beta"))
    N, C, H, W = x.shape
    G = int(inputs["G"])
    eps = (inputs.get("gn_param") or {}).get("eps", 1e-5)
    if f.groups == "interleaved":       # group g holds channels g, g + G, g + 2G, ...
        grouped, axes = x.reshape(N, C // G, G, H, W), (1, 3, 4)
    elif f.groups == "swapped":         # C/G groups of G channels
        grouped, axes = x.reshape(N, C // G, G, H, W), (2, 3, 4)
    else:
        grouped = x.reshape(N, G, C // G, H, W)
        axes = {"ok": (2, 3, 4), "batch": (0, 2, 3, 4), "channels": (2,)}[f.groups]
    x_hat = standardize(grouped, axes, eps, f.ddof, f.eps_mode)[0].reshape(x.shape)
    return {"out": gamma * x_hat + beta}


def norm_forward(function, inputs, f: Flags):
    kind = family(function)
    # a mistake may divide by zero (N − 1 with N = 1): it then gives nan like the student's code
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if kind in ("batchnorm", "spatial_batchnorm"):
            return bn_sequence(function, inputs, f)
        return layernorm(inputs, f) if kind == "layernorm" else groupnorm(inputs, f)


def forward_variant(name: str, *flag_sets: dict, functions=None):
    """Register a forward variant: one candidate output per flag set."""
    @variant(name)
    def run(function, inputs):
        if not function.endswith("_forward") or family(function) is None:
            return None
        if functions and function not in functions:
            return None
        return [norm_forward(function, inputs, Flags(**flags)) for flags in flag_sets]
    return run


BN = ("batchnorm_forward", "spatial_batchnorm_forward")
forward_variant("bn_var_unbiased", {"ddof": 1})
forward_variant("bn_eps_outside_sqrt", {"eps_mode": "outside"},
                {"eps_mode": "outside", "eps_mode_test": "outside"})
forward_variant("bn_no_eps", {"eps_mode": "none"}, {"eps_mode": "none", "eps_mode_test": "none"})
forward_variant("bn_stats_over_features", {"stat_axis": 1}, functions=("batchnorm_forward",))
forward_variant("bn_running_momentum_swapped", {"running": "swapped"}, functions=BN)
forward_variant("bn_running_var_from_std", {"running": "std"}, {"running": "std_eps"}, functions=BN)
forward_variant("bn_test_uses_batch_stats", {"test": "batch"}, functions=BN)
forward_variant("bn_test_no_sqrt", {"test": "no_sqrt"}, functions=BN)
forward_variant("ln_over_batch_axis", {"ln_axis": 0}, functions=("layernorm_forward",))
forward_variant("ln_ignores_eps_param", {"ln_eps": 1e-5}, functions=("layernorm_forward",))
forward_variant("sbn_not_moved_back", {"layout": "no_move_back"}, functions=BN[1:])
forward_variant("gn_groups_interleaved", {"groups": "interleaved"}, functions=("spatial_groupnorm_forward",))
forward_variant("gn_groups_swapped", {"groups": "swapped"}, functions=("spatial_groupnorm_forward",))
forward_variant("gn_stats_include_batch", {"groups": "batch"}, functions=("spatial_groupnorm_forward",))
forward_variant("gn_stats_without_spatial", {"groups": "channels"}, functions=("spatial_groupnorm_forward",))


# --------------------------------------------------------------------------- backward passes


def _backward_inputs(inputs):
    return (np.asarray(inputs[k], dtype=float) for k in ("x", "gamma", "dout"))


@variant("sbn_reshape_without_moveaxis")
def sbn_reshape_without_moveaxis(function, inputs):
    """Forward: reshape to (-1, C) without moving the channel axis. Backward: the same in both
    passes, or a right forward whose backward reshapes dout that way."""
    if function == "spatial_batchnorm_forward":
        return norm_forward(function, inputs, Flags(layout="reshape_only"))
    if function != "spatial_batchnorm_backward":
        return None
    x, gamma, dout = _backward_inputs(inputs)
    C, eps = x.shape[1], (inputs.get("bn_param") or {}).get("eps", 1e-5)
    dx, dgamma, dbeta = bn_backward_rows(x.reshape(-1, C), gamma, dout.reshape(-1, C), eps)
    both = {"dx": dx.reshape(x.shape), "dgamma": dgamma, "dbeta": dbeta}
    last = np.moveaxis(x, 1, -1)
    dx, dgamma, dbeta = bn_backward_rows(last.reshape(-1, C), gamma, dout.reshape(-1, C), eps)
    backward_only = {"dx": np.moveaxis(dx.reshape(last.shape), -1, 1), "dgamma": dgamma, "dbeta": dbeta}
    return [both, backward_only]


@variant("norm_dx_missing_gamma")
def norm_dx_missing_gamma(function, inputs):
    if not function.endswith(("_backward", "_backward_alt")) or family(function) is None:
        return None
    layout = Layout(function, inputs)
    dgamma, dbeta = layout.param_grads()
    g = np.broadcast_to(layout.dout, layout.x.shape)
    return {"dx": layout.dx_with(g_full=g), "dgamma": dgamma, "dbeta": dbeta}


@variant("ln_backward_batch_axis")
def ln_backward_batch_axis(function, inputs):
    """Layer norm's backward with the batch norm closed form's means over the batch axis."""
    if function != "layernorm_backward":
        return None
    layout = Layout(function, inputs)
    x_hat, s = layout.stats
    g = layout.dout * layout.gamma_full()
    dx = s * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    dgamma, dbeta = layout.param_grads()
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


@variant("gn_backward_ignores_groups")
def gn_backward_ignores_groups(function, inputs):
    """Group norm's backward with the means over the whole example instead of each group."""
    if function != "spatial_groupnorm_backward":
        return None
    layout = Layout(function, inputs)
    x_hat, s = layout.stats
    N = layout.x.shape[0]
    s_full = layout.unview(np.broadcast_to(s, x_hat.shape)).reshape(N, -1)
    x_hat = layout.unview(x_hat).reshape(N, -1)
    g = (layout.dout * layout.gamma_full()).reshape(N, -1)
    dx = s_full * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    dgamma, dbeta = layout.param_grads()
    return {"dx": dx.reshape(layout.x.shape), "dgamma": dgamma, "dbeta": dbeta}

