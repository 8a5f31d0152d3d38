"""The reference's calls in the grader's process: NumPy's global generator kept as it was
around every call that can reach it (and only those pay for it), and the copies of the
inputs each call gets."""
import copy
import textwrap
import types

import numpy as np
import pytest

from grader.hidden_tests import harness
from grader.hidden_tests import reference as reference_module
from grader.hidden_tests.harness import copied, reference_call
from grader.hidden_tests.reference import load_reference, never_draws, quiet_functions


@pytest.fixture(scope="module")
def reference():
    return load_reference()


def test_only_the_reference_functions_that_draw_keep_the_global_generator(reference):
    drawing = [reference.layers.dropout_forward, reference.fc_net.FullyConnectedNet.__init__,
               reference.fc_net.FullyConnectedNet.loss]
    assert not any(never_draws(f) for f in drawing)
    quiet = [getattr(reference.layers, name) for name in (
        "affine_forward", "affine_backward", "relu_forward", "batchnorm_forward",
        "batchnorm_backward_alt", "layernorm_forward", "softmax_loss", "dropout_backward",
        "spatial_batchnorm_forward")] + [reference.optim.adam, reference.optim.sgd_momentum]
    assert all(never_draws(f) for f in quiet)
    assert not never_draws(lambda x: x)     # not the reference's: kept, whatever it does


def modules_from(sources: dict) -> list:
    """Modules of one made-up package `pkg` from {name: source}, in order."""
    made = {}
    for name, source in sources.items():
        module = types.ModuleType("pkg." + name)
        module.__dict__.update({f"{other}": made[other] for other in made})
        exec(textwrap.dedent(source), module.__dict__)
        made[name] = module
    return list(made.values())


def test_a_draw_is_found_through_helpers_methods_and_imported_names():
    modules = modules_from({
        "low": """
            import numpy as np
            from numpy.random import randn
            import numpy.random as npr

            def plain(x):
                return x + 1

            def seeds(x):
                np.random.seed(0)
                return x

            def imported(x):
                return randn(3)

            def aliased(x):
                return npr.rand(2)

            def by_default(x, draw=np.random.rand):
                return draw(2)

            def by_name(x):
                return getattr(np, "random").rand(2)

            def nested(x):
                return [np.random.rand() for _ in x]
            """,
        "high": """
            def calls_helper(x):
                return low.seeds(x)

            def calls_plain(x):
                return low.plain(x)

            class Net:
                def __init__(self):
                    self.w = 1

                def loss(self, x):
                    return self.forward(x)

                def forward(self, x):
                    return low.imported(x)

                def score(self, x):
                    return low.plain(x) * self.w
            """})
    quiet = {f.__qualname__ for f in quiet_functions(modules)}
    assert quiet == {"plain", "calls_plain", "Net.__init__", "Net.score"}


def test_reference_calls_keep_the_global_generator_and_give_the_same_answers(reference,
                                                                           monkeypatch):
    x = np.random.default_rng(0).standard_normal((4, 5))
    np.random.seed(123)
    np.random.standard_normal()            # a cached Gaussian is part of the state too
    before = np.random.get_state()
    for param in ({"mode": "train", "p": 0.5, "seed": 7}, {"mode": "train", "p": 0.5}):
        (out, _), after = reference_call(reference.layers.dropout_forward, [x, param])
        assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), before))
        assert after[1] == param and after[1] is not param
    # a function that cannot draw is called without saving and restoring the state
    monkeypatch.setattr(harness, "global_rng_kept", None)
    (out, cache), after = reference_call(reference.layers.affine_forward,
                                         [x, np.ones((5, 2)), np.zeros(2)])
    assert np.allclose(out, x.sum(axis=1, keepdims=True)) and after[0] is not x


def test_a_callable_argument_keeps_the_global_generator(monkeypatch):
    modules = modules_from({"apply": """
        def apply(function, x):
            return function(x)
        """})
    quiet = quiet_functions(modules)
    monkeypatch.setattr(reference_module, "_QUIET", set(quiet))
    assert [f.__name__ for f in quiet] == ["apply"] and never_draws(quiet[0])
    before = np.random.get_state()
    reference_call(quiet[0], [lambda x: np.random.seed(x), 5])
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), before))


class Tagged(np.ndarray):
    """An array subclass: copied the way copy.deepcopy copies it."""


def test_copies_are_those_of_deepcopy():
    a = np.arange(6.0).reshape(2, 3)
    shared = {"mode": "train", "running_mean": a}
    value = [a, a, np.asfortranarray(a), a[:, 1], shared, [shared, (a, 1)], (1, "s"),
             np.float64(2.0), np.array([None], dtype=object), a.view(Tagged), None]
    mine, theirs = copied(value), copy.deepcopy(value)

    def same(p, q):
        assert type(p) is type(q)
        if isinstance(p, np.ndarray):
            assert p.strides == q.strides and p.flags.owndata == q.flags.owndata
            assert p.dtype == q.dtype and (p.dtype == object or np.array_equal(p, q))
        elif isinstance(p, (list, tuple)):
            assert len(p) == len(q)
            for i, j in zip(p, q):
                same(i, j)
        elif isinstance(p, dict):
            assert list(p) == list(q)
            for key in p:
                same(p[key], q[key])
        else:
            assert p == q

    same(mine, theirs)
    assert mine[0] is mine[1] and mine[0] is not a and mine[4]["running_mean"] is mine[0]
    assert mine[5][0] is mine[4] and mine[5][1][0] is mine[0] and mine[6] is value[6]
