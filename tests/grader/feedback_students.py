'''Students who make one catalogued mistake each, written here independently of the package's
own variants (testing the recognizers with their own variants would be circular).

TEMPLATES are right implementations of every graded function, written for these tests in the
reference's style. A student is the reference solution files with every template appended
(the last definition of a name wins) and one mistake made in one of them: a replacement of
one line, or of the few lines one conceptual mistake touches (the two running averages, the
mean and the variance of one statistic).
'''
from __future__ import annotations

from dataclasses import dataclass

LAYERS = {}
NET = {}
OPTIM = {}

LAYERS["affine_forward"] = """
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)
"""

LAYERS["affine_backward"] = """
def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
"""

LAYERS["relu_forward"] = """
def relu_forward(x):
    out = np.maximum(0, x)
    return out, x
"""

LAYERS["relu_backward"] = """
def relu_backward(dout, cache):
    x = cache
    dx = dout * (x > 0)
    return dx
"""

LAYERS["softmax_loss"] = """
def softmax_loss(x, y):
    N = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
"""

LAYERS["batchnorm_forward"] = """
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    out, cache = None, None
    if mode == "train":
        mu = np.mean(x, axis=0)
        xmu = x - mu
        sq = xmu ** 2
        var = np.mean(sq, axis=0)
        sqrtvar = np.sqrt(var + eps)
        ivar = 1.0 / sqrtvar
        xhat = xmu * ivar
        out = gamma * xhat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
    elif mode == "test":
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_hat + beta
    else:
        raise ValueError(mode)
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache
"""

LAYERS["batchnorm_backward"] = """
def batchnorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / N * np.ones((N, D)) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta
"""

LAYERS["batchnorm_backward_alt"] = """
def batchnorm_backward_alt(dout, cache):
    xhat, gamma, _, ivar, _, _, _ = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    g = dout * gamma
    dx = ivar * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))
    return dx, dgamma, dbeta
"""

LAYERS["layernorm_forward"] = """
def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma * x_hat + beta
    return out, (x_hat, inv_std, gamma)
"""

LAYERS["layernorm_backward"] = """
def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta
"""

LAYERS["dropout_forward"] = """
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask, out = None, None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        out = x
    else:
        raise ValueError(mode)
    return out, (dropout_param, mask)
"""

LAYERS["dropout_backward"] = """
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        dx = dout * mask
    else:
        dx = dout
    return dx
"""

LAYERS["spatial_batchnorm_forward"] = """
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    C = x.shape[1]
    x_last = np.moveaxis(x, 1, -1)
    rows = x_last.reshape(-1, C)
    out_rows, cache = batchnorm_forward(rows, gamma, beta, bn_param)
    out = np.moveaxis(out_rows.reshape(x_last.shape), -1, 1)
    return out, (cache, x_last.shape)
"""

LAYERS["spatial_batchnorm_backward"] = """
def spatial_batchnorm_backward(dout, cache):
    cache, last_shape = cache
    C = dout.shape[1]
    rows = np.moveaxis(dout, 1, -1).reshape(-1, C)
    dx_rows, dgamma, dbeta = batchnorm_backward_alt(rows, cache)
    dx = np.moveaxis(dx_rows.reshape(last_shape), -1, 1)
    return dx, dgamma, dbeta
"""

LAYERS["spatial_groupnorm_forward"] = """
def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, G, C // G, H, W)
    axes = (2, 3, 4)
    mu = xg.mean(axis=axes, keepdims=True)
    var = xg.var(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = ((xg - mu) * inv_std).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    return out, (x_hat, inv_std, gamma, G)
"""

LAYERS["spatial_groupnorm_backward"] = """
def spatial_groupnorm_backward(dout, cache):
    x_hat, inv_std, gamma, G = cache
    N, C, H, W = dout.shape
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)
    g = (dout * gamma).reshape(N, G, C // G, H, W)
    xh = x_hat.reshape(N, G, C // G, H, W)
    axes = (2, 3, 4)
    dx = inv_std * (g - g.mean(axis=axes, keepdims=True) - xh * (g * xh).mean(axis=axes, keepdims=True))
    return dx.reshape(N, C, H, W), dgamma, dbeta
"""

NET["FullyConnectedNet"] = """
class FullyConnectedNet(object):
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])
            if self.normalization is not None and i < self.num_layers - 1:
                self.params["gamma%d" % (i + 1)] = np.ones(dims[i + 1])
                self.params["beta%d" % (i + 1)] = np.zeros(dims[i + 1])
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for i in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for i in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode
        caches, h, L = [], X, self.num_layers
        for i in range(1, L):
            h, fc_cache = affine_forward(h, self.params["W%d" % i], self.params["b%d" % i])
            norm_cache = None
            if self.normalization == "batchnorm":
                h, norm_cache = batchnorm_forward(h, self.params["gamma%d" % i], self.params["beta%d" % i],
                                                  self.bn_params[i - 1])
            elif self.normalization == "layernorm":
                h, norm_cache = layernorm_forward(h, self.params["gamma%d" % i], self.params["beta%d" % i],
                                                  self.bn_params[i - 1])
            h, relu_cache = relu_forward(h)
            drop_cache = None
            if self.use_dropout:
                h, drop_cache = dropout_forward(h, self.dropout_param)
            caches.append((fc_cache, norm_cache, relu_cache, drop_cache))
        scores, last_cache = affine_forward(h, self.params["W%d" % L], self.params["b%d" % L])
        if mode == "test":
            return scores
        grads = {}
        loss, dscores = softmax_loss(scores, y)
        regularized = [k for k in self.params if k.startswith("W")]
        loss += 0.5 * self.reg * sum(np.sum(self.params[k] ** 2) for k in regularized)
        dh, grads["W%d" % L], grads["b%d" % L] = affine_backward(dscores, last_cache)
        for i in range(L - 1, 0, -1):
            fc_cache, norm_cache, relu_cache, drop_cache = caches[i - 1]
            if self.use_dropout:
                dh = dropout_backward(dh, drop_cache)
            dh = relu_backward(dh, relu_cache)
            if self.normalization == "batchnorm":
                dh, grads["gamma%d" % i], grads["beta%d" % i] = batchnorm_backward_alt(dh, norm_cache)
            elif self.normalization == "layernorm":
                dh, grads["gamma%d" % i], grads["beta%d" % i] = layernorm_backward(dh, norm_cache)
            dh, grads["W%d" % i], grads["b%d" % i] = affine_backward(dh, fc_cache)
        for k in regularized:
            grads[k] = grads[k] + self.reg * self.params[k]
        return loss, grads
"""

OPTIM["sgd_momentum"] = """
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    config["velocity"] = v
    return next_w, config
"""

OPTIM["rmsprop"] = """
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    decay = config["decay_rate"]
    cache = decay * config["cache"] + (1 - decay) * dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return next_w, config
"""

OPTIM["adam"] = """
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw ** 2
    m_hat = m / (1 - b1 ** config["t"])
    v_hat = v / (1 - b2 ** config["t"])
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["m"], config["v"] = m, v
    return next_w, config
"""

FILES = {"layers.py": LAYERS, "fc_net.py": NET, "optim.py": OPTIM}
TEMPLATE_FILE = {name: file for file, templates in FILES.items() for name in templates}


@dataclass(frozen=True)
class Student:
    """One student's mistake: in `template`, each `old` text (which must occur exactly once)
    becomes `new`. `functions`: the graded functions to check (default: the entry's)."""

    template: str
    changes: tuple[tuple[str, str], ...]
    functions: tuple[str, ...] = ()

    def files(self) -> dict:
        """{file name: the solution file's text plus every template, this one mistaken}."""
        from tests.support import overridden
        texts = {}
        for file, templates in FILES.items():
            definitions = []
            for name, text in templates.items():
                if name == self.template:
                    for old, new in self.changes:
                        assert text.count(old) == 1, "%s: %r occurs %d times" % (name, old, text.count(old))
                        text = text.replace(old, new)
                definitions.append(text)
            texts[file] = overridden(file, *definitions)
        return texts


def student(template, *changes, functions=()):
    return Student(template, tuple(changes), tuple(functions))


# --------------------------------------------------------------------------- one per entry

S = student
MISTAKES = {
    # affine
    "affine_no_flatten": [S("affine_forward", ("x.reshape(x.shape[0], -1) @ w", "x @ w"))],
    "affine_missing_bias": [S("affine_forward", ("@ w + b", "@ w"))],
    "affine_dx_not_reshaped": [S("affine_backward", ("(dout @ w.T).reshape(x.shape)", "dout @ w.T"))],
    "affine_dw_transposed": [S("affine_backward", ("x.reshape(x.shape[0], -1).T @ dout",
                                                   "dout.T @ x.reshape(x.shape[0], -1)"))],
    "affine_db_wrong_axis": [S("affine_backward", ("db = dout.sum(axis=0)", "db = dout.sum(axis=1)"))],
    # relu
    "relu_forward_returns_mask": [S("relu_forward", ("out = np.maximum(0, x)", "out = x > 0"))],
    "relu_max_given_an_array": [S("relu_forward", ("np.maximum(0, x)", "np.max(0, x)"))],
    "relu_backward_not_gated": [S("relu_backward", ("dx = dout * (x > 0)", "dx = dout"))],
    "relu_backward_times_output": [S("relu_backward", ("dout * (x > 0)", "dout * np.maximum(0, x)"))],
    "relu_backward_gates_on_dout": [S("relu_backward", ("dout * (x > 0)", "dout * (dout > 0)"))],
    "relu_backward_ignores_dout": [S("relu_backward", ("dout * (x > 0)", "1.0 * (x > 0)"))],
    # softmax
    "softmax_no_max_shift": [S("softmax_loss", ("shifted = x - x.max(axis=1, keepdims=True)", "shifted = x"))],
    "softmax_loss_summed": [S("softmax_loss", ("y].mean()", "y].sum()"))],
    "softmax_dx_not_averaged": [S("softmax_loss", ("    dx /= N\n", ""))],
    "softmax_dx_no_label_term": [S("softmax_loss", ("    dx[np.arange(N), y] -= 1\n", ""))],
    # batch norm forward
    "bn_var_unbiased": [S("batchnorm_forward", ("var = np.mean(sq, axis=0)", "var = np.sum(sq, axis=0) / (N - 1)"))],
    "bn_eps_outside_sqrt": [S("batchnorm_forward", ("sqrtvar = np.sqrt(var + eps)", "sqrtvar = np.sqrt(var) + eps"))],
    "bn_no_eps": [S("batchnorm_forward", ("sqrtvar = np.sqrt(var + eps)", "sqrtvar = np.sqrt(var)"))],
    "bn_stats_over_features": [S("batchnorm_forward",
                                 ("mu = np.mean(x, axis=0)", "mu = np.mean(x, axis=1, keepdims=True)"),
                                 ("var = np.mean(sq, axis=0)", "var = np.mean(sq, axis=1, keepdims=True)"))],
    "bn_running_momentum_swapped": [S("batchnorm_forward",
                                      ("momentum * running_mean + (1 - momentum) * mu",
                                       "(1 - momentum) * running_mean + momentum * mu"),
                                      ("momentum * running_var + (1 - momentum) * var",
                                       "(1 - momentum) * running_var + momentum * var"))],
    "bn_running_var_from_std": [S("batchnorm_forward", ("(1 - momentum) * var", "(1 - momentum) * sqrtvar"))],
    "bn_running_var_unbiased": [S("batchnorm_forward", ("(1 - momentum) * var", "(1 - momentum) * var * N / (N - 1)"))],
    "bn_running_overwritten": [S("batchnorm_forward",
                                 ("running_mean = momentum * running_mean + (1 - momentum) * mu", "running_mean = mu"),
                                 ("running_var = momentum * running_var + (1 - momentum) * var", "running_var = var"))],
    "bn_running_not_stored": [S("batchnorm_forward", ('    bn_param["running_mean"] = running_mean\n'
                                                      '    bn_param["running_var"] = running_var\n', ""))],
    "bn_test_uses_batch_stats": [S("batchnorm_forward",
                                   ("(x - running_mean) / np.sqrt(running_var + eps)",
                                    "(x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)"))],
    "bn_test_no_sqrt": [S("batchnorm_forward", ("np.sqrt(running_var + eps)", "(running_var + eps)"))],
    # batch norm backward, staged
    "bn_backward_no_mean_path": [S("batchnorm_backward", ("dx = dx1 + dx2", "dx = dx1"))],
    "bn_backward_no_var_path": [S("batchnorm_backward", ("dx1 = dxmu1 + dxmu2", "dx1 = dxmu1"))],
    "bn_backward_sqrt_derivative": [S("batchnorm_backward", ("dvar = 0.5 * 1.0 /", "dvar = 1.0 /"))],
    "bn_backward_mean_node_sum": [S("batchnorm_backward", ("dsq = 1.0 / N * np.ones", "dsq = np.ones"))],
    "bn_backward_reciprocal": [S("batchnorm_backward", ("-1.0 / (sqrtvar ** 2) * divar", "-1.0 / sqrtvar * divar"))],
    "bn_dgamma_uses_input": [S("batchnorm_backward", ("np.sum(dout * xhat, axis=0)", "np.sum(dout * xmu, axis=0)"))],
    "norm_params_not_summed": [
        S("batchnorm_backward", ("np.sum(dout * xhat, axis=0)", "dout * xhat")),
        S("batchnorm_backward_alt", ("dbeta = dout.sum(axis=0)", "dbeta = dout")),
        S("layernorm_backward", ("dgamma = (dout * x_hat).sum(axis=0)", "dgamma = dout * x_hat")),
        S("spatial_groupnorm_backward", ("dout.sum(axis=(0, 2, 3), keepdims=True)", "dout.sum(axis=(2, 3), keepdims=True)"))],
    # batch norm backward, closed form
    "bn_alt_sums_for_means": [S("batchnorm_backward_alt", ("g.mean(axis=0) - xhat * (g * xhat).mean(axis=0)",
                                                           "g.sum(axis=0) - xhat * (g * xhat).sum(axis=0)"))],
    "bn_alt_missing_gamma": [S("batchnorm_backward_alt", ("g = dout * gamma", "g = dout")),
                             S("layernorm_backward", ("g = dout * gamma", "g = dout")),
                             S("spatial_groupnorm_backward", ("g = (dout * gamma).reshape", "g = dout.reshape")),
                             S("batchnorm_backward", ("dxhat = dout * gamma", "dxhat = dout"))],
    # layer norm
    "ln_over_batch_axis": [S("layernorm_forward", ("mu = x.mean(axis=1, keepdims=True)", "mu = x.mean(axis=0)"),
                             ("var = x.var(axis=1, keepdims=True)", "var = x.var(axis=0)"))],
    "ln_var_unbiased": [S("layernorm_forward", ("x.var(axis=1, keepdims=True)", "x.var(axis=1, keepdims=True, ddof=1)")),
                        S("spatial_groupnorm_forward", ("xg.var(axis=axes, keepdims=True)",
                                                        "xg.var(axis=axes, keepdims=True, ddof=1)"))],
    "ln_ignores_eps_param": [S("layernorm_forward", ('eps = ln_param.get("eps", 1e-5)', "eps = 1e-5"))],
    "ln_broadcast_without_keepdims": [S("layernorm_forward", ("mu = x.mean(axis=1, keepdims=True)", "mu = x.mean(axis=1)"))],
    "ln_backward_batch_axis": [S("layernorm_backward", ("g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True)",
                                                        "g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)"))],
    "ln_params_wrong_axis": [S("layernorm_backward", ("dbeta = dout.sum(axis=0)", "dbeta = dout.sum(axis=1)"))],
    # dropout
    "dropout_p_is_drop_probability": [S("dropout_forward", ("np.random.rand(*x.shape) < p", "np.random.rand(*x.shape) > p"))],
    "dropout_not_inverted": [S("dropout_forward", ("mask = (np.random.rand(*x.shape) < p) / p",
                                                   "mask = np.random.rand(*x.shape) < p"))],
    "dropout_test_scaled": [S("dropout_forward", ("        out = x\n", "        out = x * p\n"))],
    "dropout_test_masked": [S("dropout_forward", ("        out = x\n", "        out = x * (np.random.rand(*x.shape) < p) / p\n"))],
    "dropout_rand_tuple": [S("dropout_forward", ("np.random.rand(*x.shape)", "np.random.rand(x.shape)"))],
    "dropout_backward_fresh_mask": [S("dropout_backward", ("dx = dout * mask",
                                                           'dx = dout * (np.random.rand(*dout.shape) < dropout_param["p"]) / dropout_param["p"]'))],
    "dropout_backward_not_rescaled": [S("dropout_backward", ("dx = dout * mask", "dx = dout * (mask != 0)"))],
    "dropout_backward_scaled_twice": [S("dropout_backward", ("dx = dout * mask", 'dx = dout * mask / dropout_param["p"]'))],
    "dropout_mask_not_cached": [S("dropout_forward", ("        mask = (np.random.rand(*x.shape) < p) / p\n        out = x * mask",
                                                      "        out = x * (np.random.rand(*x.shape) < p) / p"),
                                  functions=("dropout_backward",))],
    # spatial batch norm
    "sbn_reshape_without_moveaxis": [
        S("spatial_batchnorm_forward", ("rows = x_last.reshape(-1, C)", "rows = x.reshape(-1, C)"),
          ("np.moveaxis(out_rows.reshape(x_last.shape), -1, 1)", "out_rows.reshape(x.shape)"),
          functions=("spatial_batchnorm_forward",)),
        S("spatial_batchnorm_backward", ("rows = np.moveaxis(dout, 1, -1).reshape(-1, C)", "rows = dout.reshape(-1, C)"),
          functions=("spatial_batchnorm_backward",))],
    "sbn_fixed_4d_layout": [S("spatial_batchnorm_forward", ("np.moveaxis(x, 1, -1)", "x.transpose(0, 2, 3, 1)"),
                              ("np.moveaxis(out_rows.reshape(x_last.shape), -1, 1)",
                               "out_rows.reshape(x_last.shape).transpose(0, 3, 1, 2)"))],
    "sbn_not_moved_back": [S("spatial_batchnorm_forward", ("np.moveaxis(out_rows.reshape(x_last.shape), -1, 1)",
                                                           "out_rows.reshape(x.shape)"))],
    # group norm
    "gn_groups_interleaved": [S("spatial_groupnorm_forward", ("xg = x.reshape(N, G, C // G, H, W)",
                                                              "xg = x.reshape(N, C // G, G, H, W).swapaxes(1, 2)"),
                                ("((xg - mu) * inv_std).reshape(N, C, H, W)",
                                 "((xg - mu) * inv_std).swapaxes(1, 2).reshape(N, C, H, W)"))],
    "gn_groups_swapped": [S("spatial_groupnorm_forward", ("xg = x.reshape(N, G, C // G, H, W)",
                                                          "xg = x.reshape(N, C // G, G, H, W)"))],
    "gn_stats_without_spatial": [S("spatial_groupnorm_forward", ("axes = (2, 3, 4)", "axes = (2,)"))],
    "gn_stats_include_batch": [S("spatial_groupnorm_forward", ("axes = (2, 3, 4)", "axes = (0, 2, 3, 4)"))],
    "gn_broadcast_without_keepdims": [S("spatial_groupnorm_forward", ("mu = xg.mean(axis=axes, keepdims=True)",
                                                                      "mu = xg.mean(axis=axes)"))],
    "gn_backward_ignores_groups": [S("spatial_groupnorm_backward", ("    axes = (2, 3, 4)\n", "    axes = (1, 2, 3, 4)\n"))],
    # the network
    "net_norm_after_last_layer": [
        S("FullyConnectedNet", ("self.normalization is not None and i < self.num_layers - 1",
                                "self.normalization is not None")),
        S("FullyConnectedNet", ('scores, last_cache = affine_forward(h, self.params["W%d" % L], self.params["b%d" % L])',
                                'scores, last_cache = affine_forward(h, self.params["W%d" % L], self.params["b%d" % L])\n'
                                '        if self.normalization == "batchnorm":\n'
                                '            scores, _ = batchnorm_forward(scores, self.params["gamma%d" % L], '
                                'self.params["beta%d" % L], {"mode": mode})'))],
    "net_reg_gamma_beta": [S("FullyConnectedNet", ('k.startswith("W")', 'k.startswith(("W", "gamma", "beta"))')),
                           S("FullyConnectedNet", ('[k for k in self.params if k.startswith("W")]', "list(self.params)"))],
    "net_l2_without_half": [S("FullyConnectedNet", ("loss += 0.5 * self.reg *", "loss += self.reg *"))],
    "net_reg_gradient_missing": [S("FullyConnectedNet", ("grads[k] = grads[k] + self.reg * self.params[k]", "pass"))],
    "net_test_mode_batch_stats": [S("FullyConnectedNet", ('bn_param["mode"] = mode', 'bn_param["mode"] = "train"'))],
    "net_init_without_weight_scale": [S("FullyConnectedNet", ("weight_scale * np.random.randn", "np.random.randn"))],
    # update rules
    "momentum_sign_flipped": [S("sgd_momentum", ('- config["learning_rate"] * dw', '+ config["learning_rate"] * dw'))],
    "momentum_step_reversed": [S("sgd_momentum", ("next_w = w + v", "next_w = w - v"))],
    "momentum_velocity_not_kept": [S("sgd_momentum", ('    config["velocity"] = v\n', ""))],
    "rmsprop_decay_swapped": [S("rmsprop", ("decay * config[\"cache\"] + (1 - decay) * dw ** 2",
                                            "(1 - decay) * config[\"cache\"] + decay * dw ** 2"))],
    "rmsprop_no_sqrt": [S("rmsprop", ("np.sqrt(cache)", "cache"))],
    "rmsprop_cache_not_kept": [S("rmsprop", ('    config["cache"] = cache\n', ""))],
    "adam_no_bias_correction": [S("adam", ('m_hat = m / (1 - b1 ** config["t"])', "m_hat = m"),
                                  ('v_hat = v / (1 - b2 ** config["t"])', "v_hat = v"))],
    "adam_t_not_incremented": [S("adam", ('    config["t"] += 1\n', ""))],
    "adam_t_incremented_after_use": [S("adam", ('    config["t"] += 1\n', ""),
                                       ('    config["m"], config["v"] = m, v\n',
                                        '    config["m"], config["v"] = m, v\n    config["t"] += 1\n'))],
    "adam_stores_corrected_moments": [S("adam", ('config["m"], config["v"] = m, v', 'config["m"], config["v"] = m_hat, v_hat'))],
}
