"""What the reference solutions do, beyond their gradients: the contract of
shared/spec/assignment.md, checked against formulas written out independently here.
"""
import numpy as np
import pytest

from assignment.data_utils import get_digits_data
from assignment.gradient_check import rel_error
from grader.hidden_tests.reference import load_reference

EPS, MOMENTUM = 1e-5, 0.9  # the contract's defaults


@pytest.fixture(scope="module")
def ref():
    return load_reference()


@pytest.fixture(scope="module")
def L(ref):
    return ref.layers


@pytest.fixture
def global_seed():
    """The reference draws weights, minibatches and dropout masks from np.random's global state:
    seed it for the test and give the previous state back afterwards."""
    state = np.random.get_state()
    np.random.seed(0)
    yield
    np.random.set_state(state)


def features(rng, n, loc=(-3.0, 0.0, 12.0), scale=(0.5, 2.0, 5.0)):
    """(n, 3) data whose features have different means and spreads."""
    return rng.normal(loc, scale, size=(n, len(loc)))


# --------------------------------------------------------------------------------------------
# batch normalization

@pytest.mark.parametrize("shape, seed", [((4, 5), 0), ((100, 500), 1), ((50, 20), 2), ((7, 3), 3)])
def test_batchnorm_backward_and_alt_agree(L, shape, seed):
    rng = np.random.default_rng(seed)
    x = 5 * rng.standard_normal(shape) + 12
    gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    dout = rng.standard_normal(shape)
    _, cache = L.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    staged = L.batchnorm_backward(dout, cache)
    alt = L.batchnorm_backward_alt(dout, cache)
    for name, a, b in zip(("dx", "dgamma", "dbeta"), staged, alt):
        assert rel_error(a, b) < 1e-10, name


def test_batchnorm_train_standardizes_then_scales_and_shifts(L):
    x = features(np.random.default_rng(0), 200)
    var = x.var(axis=0)
    shrink = np.sqrt(var / (var + EPS))  # what eps does to the standard deviation
    out, _ = L.batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), shrink, rtol=1e-12)

    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([11.0, 12.0, 13.0])
    out, _ = L.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), beta, rtol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), gamma * shrink, rtol=1e-12)


def test_batchnorm_uses_biased_variance_and_default_eps(L):
    # N = 4 makes 1/N and 1/(N - 1) differ by a third; a variance near eps makes eps visible.
    x = np.array([[1.0, 10.0], [2.0, 10.001], [4.0, 10.003], [7.0, 9.999]])
    gamma, beta = np.array([2.0, 0.5]), np.array([-1.0, 1.0])
    bn_param = {"mode": "train"}
    out, _ = L.batchnorm_forward(x, gamma, beta, bn_param)
    mu = x.sum(axis=0) / 4
    biased = ((x - mu) ** 2).sum(axis=0) / 4
    np.testing.assert_allclose(out, gamma * (x - mu) / np.sqrt(biased + EPS) + beta, rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], (1 - MOMENTUM) * biased, rtol=1e-12)


def test_batchnorm_running_averages(L):
    rng = np.random.default_rng(1)
    gamma, beta = np.ones(3), np.zeros(3)
    bn_param = {"mode": "train"}
    batches = [features(rng, 16) + k for k in range(5)]  # the statistics drift batch by batch

    L.batchnorm_forward(batches[0], gamma, beta, bn_param)
    # From the default zeros, one step leaves (1 - momentum) * the batch statistics, written
    # back into bn_param.
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * batches[0].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.1 * batches[0].var(axis=0), rtol=1e-12)

    running_mean, running_var = 0.1 * batches[0].mean(axis=0), 0.1 * batches[0].var(axis=0)
    for x in batches[1:]:
        L.batchnorm_forward(x, gamma, beta, bn_param)
        running_mean = 0.9 * running_mean + 0.1 * x.mean(axis=0)
        running_var = 0.9 * running_var + 0.1 * x.var(axis=0)
    np.testing.assert_allclose(bn_param["running_mean"], running_mean, rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], running_var, rtol=1e-12)


def test_batchnorm_momentum_and_eps_are_read_from_bn_param(L):
    rng = np.random.default_rng(2)
    x = features(rng, 8, scale=(1e-3, 1e-2, 1.0))
    start_mean, start_var = rng.standard_normal(3), rng.uniform(1, 2, 3)
    bn_param = {"mode": "train", "momentum": 0.5, "eps": 1e-3,
                "running_mean": start_mean.copy(), "running_var": start_var.copy()}
    out, _ = L.batchnorm_forward(x, np.ones(3), np.zeros(3), bn_param)
    mu, var = x.mean(axis=0), x.var(axis=0)
    np.testing.assert_allclose(out, (x - mu) / np.sqrt(var + 1e-3), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_mean"], 0.5 * start_mean + 0.5 * mu, rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.5 * start_var + 0.5 * var, rtol=1e-12)


def test_batchnorm_test_mode_uses_running_averages_and_keeps_them(L):
    rng = np.random.default_rng(3)
    x = features(rng, 6)
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    running_mean, running_var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    bn_param = {"mode": "test", "running_mean": running_mean.copy(),
                "running_var": running_var.copy()}
    out, _ = L.batchnorm_forward(x, gamma, beta, bn_param)
    expected = gamma * (x - running_mean) / np.sqrt(running_var + EPS) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_array_equal(bn_param["running_mean"], running_mean)
    np.testing.assert_array_equal(bn_param["running_var"], running_var)
    # Each row on its own: test-time output does not depend on the rest of the batch.
    one, _ = L.batchnorm_forward(x[:1], gamma, beta, bn_param)
    np.testing.assert_allclose(one, expected[:1], rtol=1e-12)


def test_batchnorm_train_then_test_normalizes_the_distribution(L):
    """The BatchNormalization notebook's check: after many training batches, test mode
    standardizes fresh data from the same distribution."""
    rng = np.random.default_rng(4)
    bn_param = {"mode": "train"}
    for _ in range(100):
        L.batchnorm_forward(features(rng, 200), np.ones(3), np.zeros(3), bn_param)
    bn_param["mode"] = "test"
    out, _ = L.batchnorm_forward(features(rng, 2000), np.ones(3), np.zeros(3), bn_param)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=0.1)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=0.1)


@pytest.mark.parametrize("layer", ["batchnorm_forward", "spatial_batchnorm_forward",
                                   "dropout_forward"])
@pytest.mark.parametrize("mode", ["bogus", "Train", "eval"])
def test_unknown_mode_raises_value_error(L, layer, mode):
    x = np.random.default_rng(0).standard_normal((4, 3, 2))
    with pytest.raises(ValueError):
        if layer == "dropout_forward":
            L.dropout_forward(x, {"mode": mode, "p": 0.5})
        elif layer == "batchnorm_forward":
            L.batchnorm_forward(x[:, :, 0], np.ones(3), np.zeros(3), {"mode": mode})
        else:
            L.spatial_batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": mode})


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 5), (2, 3, 2, 3, 4)])
def test_spatial_batchnorm_normalizes_each_channel_over_batch_and_positions(L, shape):
    rng = np.random.default_rng(5)
    C = shape[1]
    x = rng.standard_normal(shape) * rng.uniform(1, 3, C).reshape(1, C, *[1] * (len(shape) - 2))
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    bn_param = {"mode": "train"}
    out, _ = L.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    axes = (0,) + tuple(range(2, len(shape)))
    bcast = (1, C) + (1,) * (len(shape) - 2)
    mu, var = x.mean(axis=axes), x.var(axis=axes)
    expected = (gamma.reshape(bcast) * (x - mu.reshape(bcast)) / np.sqrt(var.reshape(bcast) + EPS)
                + beta.reshape(bcast))
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * mu, rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.1 * var, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# layer normalization

def test_layernorm_normalizes_rows_identically_at_train_and_test(L):
    rng = np.random.default_rng(6)
    x = features(rng, 5, loc=(-3, 0, 12, 1, 4), scale=(0.5, 2, 5, 1, 3))
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    outs = [L.layernorm_forward(x, gamma, beta, param)[0]
            for param in ({}, {"mode": "train"}, {"mode": "test"})]
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    np.testing.assert_allclose(outs[0], gamma * (x - mu) / np.sqrt(var + EPS) + beta, rtol=1e-12)
    # Statistics per row: a row alone gives the same output as in its batch.
    alone, _ = L.layernorm_forward(x[2:3], gamma, beta, {})
    np.testing.assert_allclose(alone, outs[0][2:3], rtol=1e-12)


# --------------------------------------------------------------------------------------------
# inverted dropout

@pytest.mark.parametrize("p", [0.25, 0.4, 0.7])
def test_dropout_train_keeps_p_and_scales_by_one_over_p(L, p):
    x = np.random.default_rng(7).standard_normal((500, 500)) + 10  # no zeros of its own
    out, cache = L.dropout_forward(x, {"mode": "train", "p": p, "seed": 0})
    kept = out != 0
    assert abs(kept.mean() - p) < 0.01, f"kept {kept.mean():.3f} of the units, p = {p} keeps"
    np.testing.assert_allclose(out[kept], x[kept] / p, rtol=1e-15)
    assert abs(out.mean() - x.mean()) < 0.1  # inverted dropout keeps the expectation

    dout = np.random.default_rng(8).standard_normal(x.shape)
    dx = L.dropout_backward(dout, cache)
    np.testing.assert_allclose(dx, np.where(kept, dout / p, 0.0), rtol=1e-15)


def test_dropout_seed_fixes_the_mask_and_test_mode_is_identity(L):
    x = np.random.default_rng(9).standard_normal((50, 40)) + 10
    a, _ = L.dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 123})
    b, _ = L.dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 123})
    c, _ = L.dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 124})
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()

    param = {"mode": "test", "p": 0.3}
    out, cache = L.dropout_forward(x, param)
    np.testing.assert_array_equal(out, x)
    dout = np.ones_like(x)
    np.testing.assert_array_equal(L.dropout_backward(dout, cache), dout)


# --------------------------------------------------------------------------------------------
# update rules, against formulas written out here, for three steps

def steps(rule, w, grads, config):
    for dw in grads:
        w, config = rule(w, dw, config)
    return w, config


@pytest.fixture
def problem():
    rng = np.random.default_rng(10)
    return rng.standard_normal((4, 5)), [rng.standard_normal((4, 5)) for _ in range(3)]


def test_sgd_momentum_by_hand(ref, problem):
    w0, grads = problem
    w, config = steps(ref.optim.sgd_momentum, w0.copy(), grads, {"learning_rate": 0.1})
    expect_w, v = w0.copy(), np.zeros_like(w0)
    for dw in grads:
        v = 0.9 * v - 0.1 * dw
        expect_w = expect_w + v
    np.testing.assert_allclose(w, expect_w, rtol=1e-12)
    np.testing.assert_allclose(config["velocity"], v, rtol=1e-12)
    assert config["momentum"] == 0.9


def test_rmsprop_by_hand(ref, problem):
    w0, grads = problem
    w, config = steps(ref.optim.rmsprop, w0.copy(), grads, None)
    expect_w, cache = w0.copy(), np.zeros_like(w0)
    for dw in grads:
        cache = 0.99 * cache + 0.01 * dw ** 2
        expect_w = expect_w - 1e-2 * dw / (np.sqrt(cache) + 1e-8)
    np.testing.assert_allclose(w, expect_w, rtol=1e-12)
    np.testing.assert_allclose(config["cache"], cache, rtol=1e-12)
    assert (config["learning_rate"], config["decay_rate"], config["epsilon"]) == (1e-2, 0.99, 1e-8)


def test_adam_by_hand(ref, problem):
    w0, grads = problem
    w, config = steps(ref.optim.adam, w0.copy(), grads, None)
    expect_w, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t, dw in enumerate(grads, start=1):
        m = 0.9 * m + 0.1 * dw
        v = 0.999 * v + 0.001 * dw ** 2
        m_hat, v_hat = m / (1 - 0.9 ** t), v / (1 - 0.999 ** t)
        expect_w = expect_w - 1e-3 * m_hat / (np.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(w, expect_w, rtol=1e-12)
    np.testing.assert_allclose(config["m"], m, rtol=1e-12)
    np.testing.assert_allclose(config["v"], v, rtol=1e-12)
    assert config["t"] == 3


def test_adam_increments_t_before_using_it(ref):
    # From t = 0 the first step must use t = 1: 1 - beta1 ** 0 = 0 would divide by zero, and
    # with bias correction at t = 1 the first step moves every weight by learning_rate * sign(dw).
    dw = np.array([0.5, -2.0, 3e-3])
    w, config = ref.optim.adam(np.zeros(3), dw, {"learning_rate": 0.1, "t": 0})
    assert config["t"] == 1
    np.testing.assert_allclose(w, -0.1 * np.sign(dw), rtol=1e-5)


# CS231n's published checks (FullyConnectedNets notebook): w = linspace(-0.4, 0.6), dw =
# linspace(-0.6, 0.4) on (4, 5), one step; expected arrays printed to 8 decimals.
def cs231n_problem():
    N, D = 4, 5
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    return w, dw, (N, D)


def test_sgd_momentum_cs231n_expected(ref):
    w, dw, (N, D) = cs231n_problem()
    v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    next_w, config = ref.optim.sgd_momentum(w, dw, {"learning_rate": 1e-3, "velocity": v})
    expected_next_w = np.asarray([
        [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
        [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
        [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
        [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096]])
    expected_velocity = np.asarray([
        [0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
        [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
        [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
        [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096]])
    assert rel_error(next_w, expected_next_w) < 1e-8
    assert rel_error(config["velocity"], expected_velocity) < 1e-8


def test_rmsprop_cs231n_expected(ref):
    w, dw, (N, D) = cs231n_problem()
    cache = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    next_w, config = ref.optim.rmsprop(w, dw, {"learning_rate": 1e-2, "cache": cache})
    expected_next_w = np.asarray([
        [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
        [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
        [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
        [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]])
    expected_cache = np.asarray([
        [0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
        [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
        [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
        [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926]])
    # 8 printed decimals of 0.02316247 leave a relative error of 1e-7 (the notebook shows 9.5e-08).
    assert rel_error(next_w, expected_next_w) < 1e-6
    assert rel_error(config["cache"], expected_cache) < 1e-8


def test_adam_cs231n_expected(ref):
    w, dw, (N, D) = cs231n_problem()
    m = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
    next_w, config = ref.optim.adam(w, dw, {"learning_rate": 1e-2, "m": m, "v": v, "t": 5})
    expected_next_w = np.asarray([
        [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
        [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
        [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
        [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]])
    expected_v = np.asarray([
        [0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
        [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
        [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
        [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966]])
    expected_m = np.asarray([
        [0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
        [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
        [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
        [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85]])
    assert config["t"] == 6
    assert rel_error(next_w, expected_next_w) < 1e-6  # the notebook shows 1.1e-07
    assert rel_error(config["v"], expected_v) < 1e-8
    assert rel_error(config["m"], expected_m) < 1e-8


# --------------------------------------------------------------------------------------------
# FullyConnectedNet

@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fully_connected_net_parameters(ref, global_seed, normalization):
    model = ref.fc_net.FullyConnectedNet([40, 30], input_dim=12, num_classes=7,
                                         normalization=normalization, weight_scale=0.1)
    shapes = {"W1": (12, 40), "b1": (40,), "W2": (40, 30), "b2": (30,), "W3": (30, 7), "b3": (7,)}
    if normalization:
        shapes.update({"gamma1": (40,), "beta1": (40,), "gamma2": (30,), "beta2": (30,)})
    assert {k: v.shape for k, v in model.params.items()} == shapes
    assert all(v.dtype == np.float32 for v in model.params.values())
    for k, v in model.params.items():
        if k.startswith("W"):
            assert 0.08 < v.std() < 0.12 and abs(v.mean()) < 0.02, k
        else:
            np.testing.assert_array_equal(v, 1.0 if k.startswith("gamma") else 0.0, err_msg=k)


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fully_connected_net_regularizes_weights_only(ref, global_seed, normalization):
    rng = np.random.default_rng(11)
    X, y = rng.standard_normal((6, 12)), rng.integers(7, size=6)
    model = ref.fc_net.FullyConnectedNet([10, 8], input_dim=12, num_classes=7, dtype=np.float64,
                                         normalization=normalization, weight_scale=0.1)
    for k in model.params:  # non-trivial gammas and betas, so regularizing them would show
        if k.startswith(("gamma", "beta")):
            model.params[k] = rng.standard_normal(model.params[k].shape)
    loss0, grads0 = model.loss(X, y)
    model.reg = 0.7
    loss1, grads1 = model.loss(X, y)
    weights = [model.params[f"W{i}"] for i in (1, 2, 3)]
    penalty = 0.5 * 0.7 * sum((W * W).sum() for W in weights)
    assert loss1 - loss0 == pytest.approx(penalty, rel=1e-10)
    for k in model.params:
        extra = 0.7 * model.params[k] if k.startswith("W") else 0.0
        np.testing.assert_allclose(grads1[k], grads0[k] + extra, rtol=1e-10, atol=1e-12, err_msg=k)

    scores = model.loss(X)
    assert scores.shape == (6, 7)


def test_fully_connected_net_batchnorm_scores_use_running_averages(ref, global_seed):
    rng = np.random.default_rng(12)
    X, y = rng.standard_normal((20, 12)), rng.integers(7, size=20)
    model = ref.fc_net.FullyConnectedNet([10], input_dim=12, num_classes=7, dtype=np.float64,
                                         normalization="batchnorm", weight_scale=0.1)
    model.loss(X, y)  # one training pass fills the running averages
    running = [p["running_mean"].copy() for p in model.bn_params]
    scores = model.loss(X)
    # Test-time scores of each sample do not depend on its batch, and scoring changes nothing.
    np.testing.assert_allclose(model.loss(X[:3]), scores[:3], rtol=1e-12)
    for before, p in zip(running, model.bn_params):
        np.testing.assert_array_equal(p["running_mean"], before)


# --------------------------------------------------------------------------------------------
# Solver

@pytest.fixture(scope="module")
def digits():
    return get_digits_data()


# Each reached >= 0.94 validation accuracy on four weight seeds (0.96-0.977 for Adam) in well
# under a second; chance is 0.1.
@pytest.mark.parametrize("update_rule, learning_rate, normalization", [
    ("adam", 1e-2, None),
    ("adam", 1e-2, "batchnorm"),
    ("adam", 1e-2, "layernorm"),
    ("sgd_momentum", 5e-2, "batchnorm"),
    ("rmsprop", 1e-3, "layernorm"),
])
def test_solver_trains_on_digits(ref, global_seed, digits, update_rule, learning_rate,
                                 normalization):
    model = ref.fc_net.FullyConnectedNet([64], input_dim=64, num_classes=10, weight_scale=0.1,
                                         normalization=normalization)
    solver = ref.solver.Solver(model, digits, update_rule=update_rule,
                               optim_config={"learning_rate": learning_rate}, num_epochs=5,
                               batch_size=100, verbose=False)
    solver.train()
    iterations = 5 * (len(digits["y_train"]) // 100)
    assert len(solver.loss_history) == iterations
    assert len(solver.val_acc_history) == len(solver.train_acc_history) == 6
    assert solver.loss_history[-1] < solver.loss_history[0]
    assert solver.best_val_acc >= 0.90
    if normalization != "batchnorm":
        # The best weights are back in the model. (With batch norm the running averages, which
        # are not in model.params, stay at their final values, as in CS231n's Solver, so the
        # restored model's accuracy can differ slightly from best_val_acc.)
        assert solver.check_accuracy(digits["X_val"], digits["y_val"]) == solver.best_val_acc


def test_solver_rejects_unknown_arguments(ref, global_seed, digits):
    model = ref.fc_net.FullyConnectedNet([8], input_dim=64, num_classes=10)
    with pytest.raises(ValueError, match="learning_rate"):
        ref.solver.Solver(model, digits, learning_rate=1e-3)
    with pytest.raises(ValueError, match="nesterov"):
        ref.solver.Solver(model, digits, update_rule="nesterov")


class OneWeight:
    """Scores class 0 above class 1 while w > 0; every step lowers w, so the model is best
    at the start of training and worst at the end."""

    def __init__(self):
        self.params = {"w": np.array([1.0])}

    def loss(self, X, y=None):
        scores = np.tile([self.params["w"][0], 0.0], (len(X), 1))
        if y is None:
            return scores
        return 0.0, {"w": np.array([1.0])}


def test_solver_restores_best_params(ref, global_seed):
    data = {"X_train": np.zeros((10, 1)), "y_train": np.zeros(10, dtype=int),
            "X_val": np.zeros((4, 1)), "y_val": np.zeros(4, dtype=int)}
    model = OneWeight()
    solver = ref.solver.Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 0.3},
                               batch_size=10, num_epochs=6, verbose=False)
    solver.train()
    # w went 0.7, 0.4, 0.1, -0.2, -0.5, -0.8; accuracy was 1 until w turned negative, then 0.
    assert solver.val_acc_history == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert model.params["w"][0] == pytest.approx(0.7)
    assert solver.best_val_acc == 1.0
