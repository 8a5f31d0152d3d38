"""diagnose() and diagnose_error(): what the numbers show, one name or none, errors by type and
message, and robustness to whatever a student's code returns."""
import dataclasses

import numpy as np
import pytest

from grader.feedback import diagnose, diagnose_error, load_catalogue
from grader.feedback.catalogue import Catalogue
from grader.feedback.evidence import NON_FINITE, RIGHT, SHAPE, WRONG

TOL = 1e-7


def softmax(x, y):
    """A right softmax loss, written here for the inputs of these tests."""
    N = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return -log_probs[np.arange(N), y].mean(), dx / N


def softmax_case(rng, N=6, C=4):
    x, y = rng.normal(0, 1, (N, C)), rng.integers(0, C, N)
    loss, dx = softmax(x, y)
    return {"x": x, "y": y}, {"loss": loss, "dx": dx}


def test_evidence_says_which_output_is_wrong_where_and_by_how_much():
    rng = np.random.default_rng(0)
    inputs, expected = softmax_case(rng)
    dx = expected["dx"].copy()
    dx[2, 1] += 0.5
    result = diagnose("softmax_loss", inputs, {"loss": expected["loss"], "dx": dx}, expected, TOL)
    assert result.mistake is None and result.candidates == ()
    loss, shown = result.evidence
    assert (loss.name, loss.status) == ("loss", RIGHT)
    assert (shown.name, shown.status, shown.worst, shown.wrong_entries, shown.entries) == ("dx", WRONG, (2, 1), 1, 24)
    assert shown.got == pytest.approx(dx[2, 1]) and shown.expected == pytest.approx(expected["dx"][2, 1])
    assert shown.rel_error > 0.1 and shown.factor is None


def test_a_loss_n_times_too_large_is_named_with_its_factor():
    rng = np.random.default_rng(1)
    inputs, expected = softmax_case(rng, N=5)
    result = diagnose("softmax_loss", inputs, {"loss": 5 * expected["loss"], "dx": expected["dx"]},
                      expected, TOL)
    assert result.mistake_id == "softmax_loss_summed"
    assert result.evidence[0].factor == pytest.approx(5.0)


def test_shape_and_non_finite_evidence():
    rng = np.random.default_rng(2)
    inputs, expected = softmax_case(rng)
    dx = expected["dx"].copy()
    dx[0, 0] = np.nan
    result = diagnose("softmax_loss", inputs, {"loss": np.float64(np.inf), "dx": dx.T}, expected, TOL)
    loss, shown = result.evidence
    assert loss.status == NON_FINITE and shown.status == SHAPE
    assert shown.shape == (4, 6) and shown.expected_shape == (6, 4)


def test_whatever_the_student_returns_is_evidence_not_a_crash():
    rng = np.random.default_rng(3)
    inputs, expected = softmax_case(rng)
    for got in ({}, {"loss": "a string", "dx": None}, {"loss": object(), "dx": [[1, 2]]},
                {"loss": {"nested": 1}, "dx": np.array(["a"])}):
        result = diagnose("softmax_loss", inputs, got, expected, TOL)
        assert result.mistake is None
        assert all(item.status != RIGHT for item in result.evidence)


def test_a_variant_that_cannot_run_on_the_inputs_does_not_match():
    """Inputs missing what a variant needs (no bn_param, no gamma) are not an error."""
    x = np.ones((3, 4))
    result = diagnose("batchnorm_forward", {"x": x}, {"out": x}, {"out": np.zeros((3, 4))}, TOL)
    assert result.mistake is None


def test_two_matching_entries_name_none():
    catalogue = load_catalogue()
    summed = catalogue.mistake("softmax_loss_summed")
    twin = dataclasses.replace(summed, id="softmax_loss_summed_twin")
    doubled = Catalogue(catalogue.mistakes + (twin,), catalogue.knowledge, catalogue.functions,
                        catalogue.phrases, catalogue.ui)
    rng = np.random.default_rng(4)
    inputs, expected = softmax_case(rng)
    result = diagnose("softmax_loss", inputs, {"loss": 6 * expected["loss"], "dx": expected["dx"]},
                      expected, TOL, catalogue=doubled)
    assert result.mistake is None
    assert set(result.candidates) == {"softmax_loss_summed", "softmax_loss_summed_twin"}


def error_of(call):
    try:
        call()
    except Exception as error:
        return type(error).__name__, str(error)
    raise AssertionError("no error")


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 2, 3, 4)])
def test_a_fixed_four_axis_transpose_on_other_ranks_is_named(shape):
    error_type, message = error_of(lambda: np.zeros(shape).transpose(0, 2, 3, 1))
    result = diagnose_error("spatial_batchnorm_forward", error_type, message, {"x": np.zeros(shape)})
    assert result.mistake_id == "sbn_fixed_4d_layout"
    assert result.error == (error_type, message)


def test_an_error_unrelated_to_the_catalogue_names_nothing():
    result = diagnose_error("spatial_batchnorm_forward", "ZeroDivisionError", "division by zero",
                            {"x": np.zeros((2, 3, 4, 5))})
    assert result.mistake is None and result.candidates == ()
    assert result.teaching()[0].id == load_catalogue().functions["spatial_batchnorm_forward"].knowledge


def test_unpacking_into_four_names_on_a_five_axis_input_is_the_same_mistake():
    def unpack(x):
        N, C, H, W = x.shape
    error_type, message = error_of(lambda: unpack(np.zeros((2, 3, 2, 3, 4))))
    result = diagnose_error("spatial_batchnorm_backward", error_type, message, {"x": np.zeros((2, 3, 2, 3, 4))})
    assert result.mistake_id == "sbn_fixed_4d_layout"


def test_the_missing_last_layer_gamma_is_named_from_the_key_error():
    init = {"hidden_dims": [5, 4], "normalization": "batchnorm"}
    result = diagnose_error("FullyConnectedNet", "KeyError", "'gamma3'", {"init": init, "runs": []})
    assert result.mistake_id == "net_norm_after_last_layer"
    assert diagnose_error("FullyConnectedNet", "KeyError", "'gamma2'",
                          {"init": init, "runs": []}).mistake is None


def test_the_sign_of_sgd_momentum_tells_two_mistakes_apart():
    rng = np.random.default_rng(5)
    w, dws = rng.normal(0, 1, (3, 4)), [rng.normal(0, 1, (3, 4)) for _ in range(4)]
    v, right = np.zeros_like(w), w.copy()
    for dw in dws:
        v = 0.9 * v - 1e-2 * dw
        right = right + v
    inputs, expected = {"w": w, "dws": dws, "config": None}, {"next_w": right, "velocity": v}
    reversed_step = diagnose("sgd_momentum", inputs, {"next_w": 2 * w - right, "velocity": v}, expected, TOL)
    flipped = diagnose("sgd_momentum", inputs, {"next_w": 2 * w - right, "velocity": -v}, expected, TOL)
    assert reversed_step.mistake_id == "momentum_step_reversed"
    assert flipped.mistake_id == "momentum_sign_flipped"
    assert flipped.evidence[1].factor == pytest.approx(-1.0)


def test_a_missing_mean_path_and_a_missing_variance_path_are_told_apart():
    """Σ dx = 0 fails without the mean path; Σ dx·x̂ = 0 fails without the variance path."""
    rng = np.random.default_rng(6)
    x, gamma, dout = rng.normal(1, 2, (6, 4)), rng.normal(1, 0.5, 4), rng.normal(0, 1, (6, 4))
    mu, var = x.mean(axis=0), x.var(axis=0)
    s = 1 / np.sqrt(var + 1e-5)
    x_hat, g = (x - mu) * s, dout * gamma
    direct, mean_path, var_path = s * g, -s * g.mean(axis=0), -s * x_hat * (g * x_hat).mean(axis=0)
    expected = {"dx": direct + mean_path + var_path, "dgamma": (dout * x_hat).sum(axis=0), "dbeta": dout.sum(axis=0)}
    inputs = {"x": x, "gamma": gamma, "beta": np.zeros(4), "bn_param": {"mode": "train"}, "dout": dout}
    no_mean = {**expected, "dx": direct + var_path}
    no_var = {**expected, "dx": direct + mean_path}
    assert np.abs(no_mean["dx"].sum(axis=0)).max() > 1e-3 and np.abs((no_var["dx"] * x_hat).sum(axis=0)).max() > 1e-3
    assert diagnose("batchnorm_backward", inputs, no_mean, expected, TOL).mistake_id == "bn_backward_no_mean_path"
    assert diagnose("batchnorm_backward", inputs, no_var, expected, TOL).mistake_id == "bn_backward_no_var_path"


class Weird:
    """An object a student's code might return: it refuses to become an array."""

    def __array__(self, *args, **kwargs):
        raise RuntimeError("no")

    def __len__(self):
        raise RuntimeError("no")


GARBAGE = [None, "text", Weird(), [[1, 2], [3]], {"a": 1}, np.array(["x"]), np.zeros((0,)),
           np.full((3, 3), np.nan), 1e300, -1]


def test_every_function_survives_any_returned_value():
    from tests.grader.feedback_scenarios import SCENARIOS, load_package, trials_for
    reference = load_package()
    for trial in trials_for(list(SCENARIOS), reference, reference):
        keys = list(trial.got) or ["out"]
        for value in GARBAGE:
            got = {key: value for key in keys}
            result = diagnose(trial.function, trial.inputs, got, trial.expected, trial.tolerance)
            assert result.function == trial.function
        result = diagnose_error(trial.function, Weird, Weird(), trial.inputs)
        assert result.mistake is None
