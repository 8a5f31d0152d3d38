"""Real student code graded fairly: a one-line mistake costs the broken function's points only
(dependency credit), shapes that differ by axes of length 1 pass with a note unless the rubric
says strict, standard variant formulas pass and are named, known contract differences are
explained, and hostile shortcuts (lists from update rules, a dropout network's zero loss) fail.

Each mistake is a whole overriding definition in the reference's cache format, so exactly one
function is wrong; the catalogue runs in-process against a real student process."""
import pytest

from grader.hidden_tests.catalogue import CATALOGUE
from grader.report.prose import output_of
from grader.rubric import Group, load_rubric
from tests.grader.test_hidden_tests import failing, grade, names_of
from tests.support import overridden

UNBIASED_BATCHNORM = '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    out, cache = None, None
    if mode == "train":
        mu = np.mean(x, axis=0)
        xmu = x - mu
        var = np.var(x, axis=0, ddof=1)
        sqrtvar = np.sqrt(var + eps)
        ivar = 1.0 / sqrtvar
        xhat = xmu * ivar
        out = gamma * xhat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError(mode)
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return out, cache
'''
ALT_SUMS_INSTEAD_OF_MEAN = '''
def batchnorm_backward_alt(dout, cache):
    xhat, gamma, _, ivar, _, _, _ = cache
    g = dout * gamma
    dx = ivar * (g - g.mean(axis=0) - xhat * (g * xhat).sum(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
'''
UNBIASED_LAYERNORM = '''
def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True, ddof=1)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)
'''
AFFINE_WITHOUT_BIAS = '''
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w
    return out, (x, w, b)
'''
ONE_LINE_MISTAKES = {   # mistake: (the broken function, the functions built on it)
    UNBIASED_BATCHNORM: ("batchnorm_forward", {
        "batchnorm_backward", "batchnorm_backward_alt", "spatial_batchnorm_forward",
        "spatial_batchnorm_backward", "FullyConnectedNet"}),
    ALT_SUMS_INSTEAD_OF_MEAN: ("batchnorm_backward_alt", {"spatial_batchnorm_backward",
                                                          "FullyConnectedNet"}),
    UNBIASED_LAYERNORM: ("layernorm_forward", {"layernorm_backward", "FullyConnectedNet"}),
    AFFINE_WITHOUT_BIAS: ("affine_forward", {"FullyConnectedNet"}),
}


def points_lost(results) -> dict:
    lost = {}
    for result in results.values():
        if result.score < result.max_score:
            lost[result.function] = round(lost.get(result.function, 0) + result.max_score
                                          - result.score, 4)
    return lost


@pytest.mark.parametrize("mistake", ONE_LINE_MISTAKES, ids=lambda m: m.split("(")[0].split()[-1])
def test_a_one_line_mistake_costs_only_the_broken_functions_points(tmp_path, mistake):
    broken, built_on_it = ONE_LINE_MISTAKES[mistake]
    results, _ = grade(tmp_path, {"layers.py": overridden("layers.py", mistake)})
    assert set(points_lost(results)) == {broken}
    relying = [r for r in results.values() if r.outcome == "relies_on_wrong"]
    assert {r.function for r in relying} == built_on_it
    for result in relying:
        assert not result.passed and result.score == result.max_score
        assert result.data["dependencies"] == [broken]
        assert "%s is wrong; fix it first: your %s" % (broken, result.function) in output_of(result)
        assert "diagnosis" not in result.data     # the broken function's own test names the mistake


def test_dependency_credit_is_a_rubric_setting(tmp_path):
    rubric = load_rubric()
    rubric = rubric.with_groups(**{name: {"dependency_credit": 0.0} for name in rubric.groups})
    results, _ = grade(tmp_path, {"layers.py": overridden("layers.py", UNBIASED_BATCHNORM)},
                       rubric=rubric)
    assert set(points_lost(results)) == {"batchnorm_forward", "batchnorm_backward",
                                         "batchnorm_backward_alt", "spatial_batchnorm_forward",
                                         "spatial_batchnorm_backward", "FullyConnectedNet"}
    spatial = results["spatial_batchnorm_forward: (N, C, L) 1-D maps"]
    assert spatial.outcome == "relies_on_wrong" and spatial.score == 0   # still explained


def test_a_backward_right_for_its_own_forward_follows_dependency_credit():
    assert load_rubric().groups["layernorm_backward"].backward_credit == 1.0
    assert Group(points=1, dependency_credit=0.3).backward_credit == 0.3
    assert Group(points=1, dependency_credit=0.3, consistent_backward_credit=0.5).backward_credit == 0.5


def test_a_function_wrong_on_its_own_gets_no_dependency_credit(tmp_path):
    """A spatial batch norm with its own mistake on top of a broken batchnorm_forward."""
    own_mistake = '''
    _spatial = spatial_batchnorm_forward
    def spatial_batchnorm_forward(x, gamma, beta, bn_param):
        out, cache = _spatial(x, gamma, beta, bn_param)
        return out + 1e-3, cache
    '''
    layers = overridden("layers.py", UNBIASED_BATCHNORM, own_mistake)
    results, _ = grade(tmp_path, {"layers.py": layers})
    for name in names_of("spatial_batchnorm_forward", matching="maps"):
        assert results[name].outcome == "failed" and results[name].score == 0
        assert "Against your own batchnorm_forward" in output_of(results[name])


# --------------------------------------------------------------------------- shapes


SINGLETON_AXES = '''
_batchnorm_forward, _batchnorm_backward = batchnorm_forward, batchnorm_backward
def batchnorm_forward(x, gamma, beta, bn_param):
    out, cache = _batchnorm_forward(x, gamma, beta, bn_param)
    for key in ("running_mean", "running_var"):
        bn_param[key] = np.reshape(bn_param[key], (1, -1))
    return out, cache


def batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = _batchnorm_backward(dout, cache)
    return dx, dgamma.reshape(1, -1), dbeta
'''


def test_a_shape_differing_by_axes_of_length_one_passes_with_a_note(tmp_path):
    results, _ = grade(tmp_path, {"layers.py": overridden("layers.py", SINGLETON_AXES)})
    assert failing(results) == set()
    text = output_of(results["batchnorm_backward: small batch (N=4, D=5)"])
    assert "Accepted: dgamma has shape (1, 5) where (5,) is expected" in text
    assert "gamma, beta and the running averages are (D,)" in text
    assert "Accepted: bn_param['running_mean'] has shape (1, 5)" in output_of(
        results["batchnorm_forward: train mode, shifted and scaled input"])


def test_the_strict_shape_policy_fails_them(tmp_path):
    rubric = load_rubric()
    rubric = rubric.with_groups(**{name: {"shapes": "strict"} for name in rubric.groups})
    results, _ = grade(tmp_path, {"layers.py": overridden("layers.py", SINGLETON_AXES)},
                       rubric=rubric)
    assert names_of("batchnorm_backward") <= failing(results)
    assert names_of("batchnorm_forward", matching="^train mode") <= failing(results)
    text = output_of(results["batchnorm_backward: small batch (N=4, D=5)"])
    assert "dgamma: shape (1, 5), expected (5,)" in text and "Accepted" not in text


# --------------------------------------------------------------------------- variants


RMSPROP_EPS_INSIDE = '''
def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw ** 2
    return w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"]), config
'''
MOMENTUM_WITHOUT_RATE = '''
def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) + dw
    config["velocity"] = v
    return w - config["learning_rate"] * v, config
'''
ADAM_FOLDED = '''
def adam(w, dw, config=None):
    config = {} if config is None else config
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999),
                       ("epsilon", 1e-8), ("t", 0)):
        config.setdefault(key, value)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config["t"] += 1
    b1, b2, t = config["beta1"], config["beta2"], config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw ** 2
    step = config["learning_rate"] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return w - step * config["m"] / (np.sqrt(config["v"]) + config["epsilon"]), config
'''


def test_standard_variant_formulas_pass_and_are_named(tmp_path):
    optim = overridden("optim.py", RMSPROP_EPS_INSIDE, MOMENTUM_WITHOUT_RATE, ADAM_FOLDED)
    results, _ = grade(tmp_path, {"optim.py": optim})
    assert failing(results) == set()
    rmsprop = results["rmsprop: 5 steps with the default config"]
    assert rmsprop.data["variant"] == "eps_inside_sqrt"
    assert "epsilon inside the square root" in output_of(rmsprop)
    momentum = results["sgd_momentum: custom learning_rate and momentum, 3-D weights"]
    assert momentum.data["variant"] == "velocity_without_rate"
    assert "PyTorch's form" in output_of(momentum)
    # Adam's folded form moves w by amounts within the tolerance of the reference's: it
    # passes on the main formula (the variant is there for smaller weights).
    assert all(results[name].passed for name in names_of("adam"))


def test_a_variant_must_hold_for_every_step(tmp_path):
    """eps inside the root for the first step only matches no variant from end to end."""
    half = RMSPROP_EPS_INSIDE.replace(
        "np.sqrt(config[\"cache\"] + config[\"epsilon\"])",
        "(np.sqrt(config[\"cache\"] + config[\"epsilon\"]) if config[\"cache\"].max() < 0 "
        "else np.sqrt(config[\"cache\"]) * 1.001)")
    results, _ = grade(tmp_path, {"optim.py": overridden("optim.py", half)})
    assert names_of("rmsprop") <= failing(results)
    assert all("variant" not in results[name].data for name in names_of("rmsprop"))


# --------------------------------------------------------------------------- contracts


SPATIAL_FOUR_D_ONLY = '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out, cache = batchnorm_forward(flat, gamma, beta, bn_param)
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), (cache, (N, H, W, C))
'''
DROPOUT_P_DROPS = '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) >= p) / (1 - p)
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)
'''
ADAM_T_FROM_ONE = ADAM_FOLDED.replace('("t", 0)', '("t", 1)').replace(
    "step = config[\"learning_rate\"] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)\n"
    "    return w - step * config[\"m\"] / (np.sqrt(config[\"v\"]) + config[\"epsilon\"]), config",
    "m_hat, v_hat = config[\"m\"] / (1 - b1 ** t), config[\"v\"] / (1 - b2 ** t)\n"
    "    return w - config[\"learning_rate\"] * m_hat / (np.sqrt(v_hat) + config[\"epsilon\"]), config")


def test_known_contract_differences_are_explained_in_one_sentence(tmp_path):
    layers = overridden("layers.py", SPATIAL_FOUR_D_ONLY, DROPOUT_P_DROPS)
    results, _ = grade(tmp_path, {"layers.py": layers,
                                  "optim.py": overridden("optim.py", ADAM_T_FROM_ONE)})
    for name in ("spatial_batchnorm_forward: (N, C, L) 1-D maps",
                 "spatial_batchnorm_forward: (N, C, D, H, W) 3-D maps (5-D input), tiny variance"):
        assert results[name].data["contract"] == "spatial_4d_only"
        assert "handles (N, C, H, W) input only" in output_of(results[name])
    assert "contract" not in results["spatial_batchnorm_forward: (N, C, H, W) maps, train mode"].data
    for name in names_of("dropout_forward", matching="keeps|scales"):
        assert results[name].data["contract"] == "dropout_drop_probability"
        assert "treats p as the probability of dropping a unit" in output_of(results[name])
    adam = results["adam: 5 steps with the default config"]
    assert not adam.passed and adam.data["contract"] == "adam_t_from_1"
    assert "t starting at 1 instead of 0" in output_of(adam)


# --------------------------------------------------------------------------- hostile shortcuts


def test_an_update_rule_returning_a_list_fails(tmp_path):
    lists = "".join('''
    _%(rule)s = %(rule)s
    def %(rule)s(w, dw, config=None):
        next_w, config = _%(rule)s(w, dw, config)
        return next_w.tolist(), config
    ''' % {"rule": rule} for rule in ("sgd_momentum", "rmsprop", "adam"))
    results, _ = grade(tmp_path, {"optim.py": overridden("optim.py", lists)})
    assert failing(results) == names_of("sgd_momentum", "rmsprop", "adam")
    text = output_of(results["adam: 5 steps with the default config"])
    assert "next_w (step 1): a list, expected a NumPy array" in text and "not run" in text


@pytest.mark.parametrize("loss", ["0.0", "10.0"])
def test_a_dropout_network_with_a_loss_that_ignores_the_weights_fails(tmp_path, loss):
    net = '''
    _Net = FullyConnectedNet
    class FullyConnectedNet(_Net):
        def loss(self, X, y=None):
            if y is None or not self.use_dropout:
                return super().loss(X, y)
            return %s, {key: np.zeros_like(value) for key, value in self.params.items()}
    ''' % loss
    results, _ = grade(tmp_path, {"fc_net.py": overridden("fc_net.py", net)})
    dropout = next(r for r in results.values() if r.function == "FullyConnectedNet"
                   and "dropout" in r.what)
    assert not dropout.passed and dropout.score == 0
    assert "does not change when any parameter moves" in output_of(dropout)


def test_the_catalogue_still_names_every_graded_function_once():
    assert len({(t.function, t.what) for t in CATALOGUE}) == len(CATALOGUE)


ADAM_T_AFTER_USE = '''
def adam(w, dw, config=None):
    config = {} if config is None else config
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999),
                       ("epsilon", 1e-8), ("t", 1)):
        config.setdefault(key, value)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    b1, b2, t = config["beta1"], config["beta2"], config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw ** 2
    m_hat, v_hat = config["m"] / (1 - b1 ** t), config["v"] / (1 - b2 ** t)
    config["t"] = t + 1
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
'''


def test_adam_with_t_used_before_it_is_incremented(tmp_path):
    """The 2017 starter's t = 1, used then incremented: right steps from the defaults (an
    accepted variant), and a contract sentence when resuming from a given t."""
    results, _ = grade(tmp_path, {"optim.py": overridden("optim.py", ADAM_T_AFTER_USE)})
    defaults = results["adam: 5 steps with the default config"]
    assert defaults.passed and defaults.data["variant"] == "adam_t_after_use"
    assert "incremented after it is used" in output_of(defaults)
    resumed = results["adam: custom betas, resuming at t=5 with given moments"]
    assert not resumed.passed and resumed.data["contract"] == "adam_t_after_use_resumed"
    assert "before incrementing it" in output_of(resumed)


def test_the_report_marks_a_function_that_kept_its_points_apart(tmp_path):
    from grader.report.markdown import _mark
    results, _ = grade(tmp_path, {"layers.py": overridden("layers.py", UNBIASED_LAYERNORM)})
    by_function = {}
    for result in results.values():
        by_function.setdefault(result.function, []).append(result)
    assert _mark(by_function["layernorm_forward"]) == "❌"
    assert _mark(by_function["layernorm_backward"]) == "⚠️"
    assert _mark(by_function["affine_forward"]) == "✅"
