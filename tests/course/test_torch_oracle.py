"""The reference normalization layers against PyTorch, an independent oracle, in float64.

Forward outputs and the gradients autograd computes for sum(out * dout) must match ours to ~1e-10.
Running averages: torch's `momentum` is our 1 - momentum, and torch updates running_var with the
*unbiased* batch variance (times m / (m - 1), m the number of values per channel) where the
contract uses the biased one; the running-average tests convert between the two.

torch is optional (requirements.txt leaves it out); without it this module is skipped.
"""
import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="torch is an optional test oracle; `pip install torch` to compare against it")
F = torch.nn.functional

from grader.hidden_tests.reference import load_reference  # noqa: E402

EPS, MOMENTUM = 1e-5, 0.9
TOL = 1e-10


@pytest.fixture(scope="module")
def L():
    return load_reference().layers


def assert_matches(ours, theirs, what):
    """|ours - theirs| <= 1e-10 * (1 + |theirs|), elementwise."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, torch {theirs.shape}"
    worst = float(np.max(np.abs(ours - theirs) / (1 + np.abs(theirs))))
    assert worst <= TOL, f"{what}: differs from torch by {worst:.1e}"


def torch_run(fn, x, params, dout):
    """out and the gradients of sum(out * dout) w.r.t. x and params, by torch autograd."""
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tp = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    out = fn(tx, *tp)
    out.backward(torch.tensor(dout, dtype=torch.float64))
    return [out.detach().numpy(), tx.grad.numpy()] + [p.grad.numpy() for p in tp]


def problem(seed, shape, scale=3.0, shift=5.0):
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = scale * rng.standard_normal(shape) + shift
    return x, rng.standard_normal(C), rng.standard_normal(C), rng.standard_normal(shape)


# (shape, scale): ordinary data, and a variance of ~1e-6 where eps decides the result
BATCH_CASES = [((4, 5), 3.0), ((64, 10), 3.0), ((7, 3), 1e-3)]
SPATIAL_SHAPES = [(4, 3, 7), (2, 3, 4, 5), (2, 3, 2, 3, 4)]  # BatchNorm1d, 2d and 3d inputs


@pytest.mark.parametrize("backward", ["batchnorm_backward", "batchnorm_backward_alt"])
@pytest.mark.parametrize("shape, scale", BATCH_CASES)
def test_batchnorm_train_matches_torch(L, shape, scale, backward):
    x, gamma, beta, dout = problem(0, shape, scale)
    out, cache = L.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    ours = [out, *getattr(L, backward)(dout, cache)]
    theirs = torch_run(lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=EPS),
                       x, (gamma, beta), dout)
    for name, a, b in zip(("out", "dx", "dgamma", "dbeta"), ours, theirs):
        assert_matches(a, b, name)


@pytest.mark.parametrize("shape, scale", BATCH_CASES)
def test_batchnorm_test_mode_matches_torch_eval(L, shape, scale):
    x, gamma, beta, dout = problem(1, shape, scale)
    rng = np.random.default_rng(2)
    running_mean = x.mean(axis=0) + rng.standard_normal(shape[1])
    running_var = x.var(axis=0) * rng.uniform(0.5, 2, shape[1])
    bn_param = {"mode": "test", "running_mean": running_mean, "running_var": running_var}
    out, _ = L.batchnorm_forward(x, gamma, beta, bn_param)
    theirs = F.batch_norm(torch.tensor(x), torch.tensor(running_mean), torch.tensor(running_var),
                          torch.tensor(gamma), torch.tensor(beta), training=False, eps=EPS)
    assert_matches(out, theirs.numpy(), "out")


def running_averages_vs_torch(forward, batches, C):
    """Feed the same batches to our forward and to torch; return both running averages, torch's
    running_var converted to the biased convention."""
    bn_param = {"mode": "train"}
    t_mean, t_var = torch.zeros(C, dtype=torch.float64), torch.zeros(C, dtype=torch.float64)
    t_var_biased = np.zeros(C)
    for x in batches:
        forward(x, np.ones(C), np.zeros(C), bn_param)
        before = t_var.clone()
        F.batch_norm(torch.tensor(x), t_mean, t_var, training=True, momentum=1 - MOMENTUM, eps=EPS)
        m = x.size // C  # values per channel
        unbiased = ((t_var - MOMENTUM * before) / (1 - MOMENTUM)).numpy()
        t_var_biased = MOMENTUM * t_var_biased + (1 - MOMENTUM) * unbiased * (m - 1) / m
    return (bn_param["running_mean"], bn_param["running_var"]), (t_mean.numpy(), t_var_biased)


@pytest.mark.parametrize("shape", [(4, 5), (64, 10)])
def test_batchnorm_running_averages_match_torch(L, shape):
    rng = np.random.default_rng(3)
    batches = [3 * rng.standard_normal(shape) + k for k in range(4)]
    (mean, var), (t_mean, t_var) = running_averages_vs_torch(L.batchnorm_forward, batches, shape[1])
    assert_matches(mean, t_mean, "running_mean")
    assert_matches(var, t_var, "running_var")


@pytest.mark.parametrize("shape", SPATIAL_SHAPES)
def test_spatial_batchnorm_train_matches_torch(L, shape):
    x, gamma, beta, dout = problem(4, shape)
    out, cache = L.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    ours = [out, *L.spatial_batchnorm_backward(dout, cache)]
    theirs = torch_run(lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=EPS),
                       x, (gamma, beta), dout)
    for name, a, b in zip(("out", "dx", "dgamma", "dbeta"), ours, theirs):
        assert_matches(a, b, name)


@pytest.mark.parametrize("shape", SPATIAL_SHAPES)
def test_spatial_batchnorm_test_mode_and_running_averages_match_torch(L, shape):
    rng = np.random.default_rng(5)
    C = shape[1]
    batches = [3 * rng.standard_normal(shape) + k for k in range(3)]
    (mean, var), (t_mean, t_var) = running_averages_vs_torch(
        L.spatial_batchnorm_forward, batches, C)
    assert_matches(mean, t_mean, "running_mean")
    assert_matches(var, t_var, "running_var")

    x, gamma, beta, _ = problem(6, shape)
    bn_param = {"mode": "test", "running_mean": mean, "running_var": var}
    out, _ = L.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    theirs = F.batch_norm(torch.tensor(x), torch.tensor(mean), torch.tensor(var),
                          torch.tensor(gamma), torch.tensor(beta), training=False, eps=EPS)
    assert_matches(out, theirs.numpy(), "out")


@pytest.mark.parametrize("shape, scale", [((4, 5), 3.0), ((10, 64), 3.0), ((1, 7), 3.0),
                                          ((6, 3), 1e-3)])
def test_layernorm_matches_torch(L, shape, scale):
    x, gamma, beta, dout = problem(7, shape, scale)
    D = shape[1]
    out, cache = L.layernorm_forward(x, gamma, beta, {})
    ours = [out, *L.layernorm_backward(dout, cache)]
    theirs = torch_run(lambda x, g, b: F.layer_norm(x, (D,), g, b, eps=EPS),
                       x, (gamma, beta), dout)
    for name, a, b in zip(("out", "dx", "dgamma", "dbeta"), ours, theirs):
        assert_matches(a, b, name)


@pytest.mark.parametrize("shape, G", [((2, 6, 4, 5), 2), ((3, 4, 3, 3), 4), ((2, 6, 2, 3), 1),
                                      ((1, 8, 5, 5), 4)])
def test_groupnorm_matches_torch(L, shape, G):
    x, gamma, beta, dout = problem(8, shape)
    C = shape[1]
    gamma, beta = gamma.reshape(1, C, 1, 1), beta.reshape(1, C, 1, 1)
    out, cache = L.spatial_groupnorm_forward(x, gamma, beta, G, {})
    ours = [out, *L.spatial_groupnorm_backward(dout, cache)]
    theirs = torch_run(lambda x, g, b: F.group_norm(x, G, g, b, eps=EPS),
                       x, (gamma.ravel(), beta.ravel()), dout)
    theirs[2:] = [g.reshape(1, C, 1, 1) for g in theirs[2:]]
    for name, a, b in zip(("out", "dx", "dgamma", "dbeta"), ours, theirs):
        assert_matches(a, b, name)
