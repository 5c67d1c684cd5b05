"""Optimizers: a hand-computed first step, convergence on a convex bowl, stats, clipping."""

import numpy as np
import pytest

import rnnviz.engine.optim as optim
from rnnviz.engine import RNNParams, init_params
from rnnviz.engine.optim import (
    OPTIMIZERS,
    clip_by_global_norm,
    clip_by_value,
    global_norm,
    make_optimizer,
)

TARGET = {"W": np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]), "b": np.array([[0.25], [-0.75]])}
START = {"W": np.zeros((2, 3)), "b": np.ones((2, 1))}


def bowl_gradient(params):
    """f = 1/2 sum ||theta - target||^2, so grad = theta - target."""
    return {name: value - TARGET[name] for name, value in params.items()}


def distance(params):
    return global_norm(bowl_gradient(params))


def hand_first_step(name, lr, g):
    if name == "sgd":
        return -lr * g
    if name == "momentum":
        return -lr * (1 - 0.9) * g  # v1 = (1 - beta1) g
    if name == "rmsprop":
        return -lr * g / (np.sqrt((1 - 0.9) * g * g) + 1e-8)  # s1 = (1 - beta2) g^2
    return -lr * g / (np.abs(g) + 1e-8)  # Adam: v_hat = g, s_hat = g^2


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_first_step_matches_the_hand_computed_update(name):
    lr = 0.05
    opt = make_optimizer(name, learning_rate=lr)
    grads = bowl_gradient(START)
    new = opt.step(START, grads)
    for key in START:
        np.testing.assert_allclose(new[key] - START[key], hand_first_step(name, lr, grads[key]),
                                   rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name, lr, steps", [
    ("sgd", 0.5, 60), ("momentum", 0.5, 300), ("rmsprop", 0.01, 1500), ("adam", 0.05, 1500),
])
def test_optimizer_converges_on_a_convex_bowl(name, lr, steps):
    opt = make_optimizer(name, learning_rate=lr)
    params = START
    for _ in range(steps):
        params = opt.step(params, bowl_gradient(params))
    assert distance(START) > 4.0
    assert distance(params) < 0.02
    assert opt.t == steps


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_returns_a_new_container_and_leaves_the_old_one(name):
    params = init_params("rnn", 2, 3, 2, np.random.default_rng(0))
    before = params.copy()
    grads = params.map(np.ones_like)
    new = make_optimizer(name).step(params, grads)
    assert isinstance(new, RNNParams)
    for key, value in params.items():
        np.testing.assert_array_equal(value, getattr(before, key))
        assert not np.array_equal(getattr(new, key), value)


def test_adam_goes_through_adam_update(monkeypatch):
    calls = []
    real = optim.adam_update

    def counting(*args, **kwargs):
        calls.append(args[4])  # t
        return real(*args, **kwargs)

    monkeypatch.setattr(optim, "adam_update", counting)
    opt = make_optimizer("adam")
    params = opt.step(START, bowl_gradient(START))
    opt.step(params, bowl_gradient(params))
    assert calls == [1, 1, 2, 2]  # two arrays, two steps


def test_adam_stats_show_bias_corrected_moments_and_the_step():
    lr = 0.01
    opt = make_optimizer("adam", learning_rate=lr)
    assert opt.stats() == {}
    grads = bowl_gradient(START)
    opt.step(START, grads)
    stats = opt.stats()
    assert set(stats) == {"W", "b"}
    g = grads["W"]
    # After one step the bias correction makes v_hat = g and s_hat = g^2 exactly.
    assert stats["W"]["v_hat"] == pytest.approx(np.mean(np.abs(g)))
    assert stats["W"]["s_hat"] == pytest.approx(np.mean(g * g))
    assert stats["W"]["step"] == pytest.approx(lr * np.mean(np.abs(g) / (np.abs(g) + 1e-8)))
    assert stats["W"]["grad"] == pytest.approx(np.mean(np.abs(g)))
    np.testing.assert_allclose(opt.last("b")["v_hat"], grads["b"])


def test_adam_notebook_variant_puts_epsilon_inside_the_root():
    g = {"w": np.array([[1e-5]])}
    zero = {"w": np.zeros((1, 1))}
    outside = make_optimizer("adam", learning_rate=1.0, epsilon=1e-8).step(zero, g)
    inside = make_optimizer("adam", learning_rate=1.0, epsilon=1e-8,
                            eps_inside_sqrt=True).step(zero, g)
    np.testing.assert_allclose(outside["w"], -1e-5 / (1e-5 + 1e-8))
    np.testing.assert_allclose(inside["w"], -1e-5 / np.sqrt(1e-10 + 1e-8))


def test_momentum_and_rmsprop_stats_name_their_state():
    grads = bowl_gradient(START)
    momentum = make_optimizer("momentum")
    momentum.step(START, grads)
    assert set(momentum.stats()["W"]) == {"v", "step", "grad"}
    rmsprop = make_optimizer("rmsprop")
    rmsprop.step(START, grads)
    assert rmsprop.stats()["b"]["s"] == pytest.approx(np.mean(0.1 * grads["b"] ** 2))


@pytest.mark.parametrize("name, hyper, message", [
    ("lbfgs", {}, "unknown optimizer"),
    ("sgd", {"beta1": 0.9}, "does not take beta1"),
    ("adam", {"learning_rate": -1.0}, "learning_rate must be positive"),
    ("adam", {"beta1": 1.0}, r"beta1 must be in \[0, 1\)"),
    ("rmsprop", {"epsilon": float("nan")}, "finite number"),
])
def test_bad_optimizer_settings_raise_value_error(name, hyper, message):
    with pytest.raises(ValueError, match=message):
        make_optimizer(name, **hyper)


# ----- clipping -----------------------------------------------------------------------------

def test_clip_by_global_norm_rescales_all_arrays_together():
    grads = {"a": np.array([3.0]), "b": np.array([[4.0]])}
    clipped, norm, was_clipped = clip_by_global_norm(grads, 1.0)
    assert norm == 5.0 and was_clipped
    np.testing.assert_allclose(clipped["a"], [0.6])
    np.testing.assert_allclose(clipped["b"], [[0.8]])
    assert global_norm(clipped) == pytest.approx(1.0)
    np.testing.assert_array_equal(grads["a"], [3.0])  # the input is untouched


def test_clip_by_global_norm_leaves_small_or_non_finite_gradients():
    grads = {"a": np.array([0.3, 0.4])}
    same, norm, was_clipped = clip_by_global_norm(grads, 1.0)
    assert same is grads and norm == pytest.approx(0.5) and not was_clipped
    with np.errstate(over="ignore"):
        _, norm, was_clipped = clip_by_global_norm({"a": np.array([1e200, 1e200])}, 1.0)
    assert norm == float("inf") and not was_clipped


def test_clip_by_global_norm_keeps_the_container_type():
    grads = init_params("rnn", 1, 1, 1, np.random.default_rng(0)).map(lambda v: v + 100.0)
    clipped, _, was_clipped = clip_by_global_norm(grads, 2.0)
    assert isinstance(clipped, RNNParams) and was_clipped
    assert clipped.global_norm() == pytest.approx(2.0)


def test_clip_by_value_clips_each_entry():
    grads = {"a": np.array([-7.0, -0.5, 0.0, 2.0, 9.0])}
    np.testing.assert_array_equal(clip_by_value(grads, 1.0)["a"], [-1.0, -0.5, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="positive"):
        clip_by_value(grads, 0.0)
    with pytest.raises(ValueError, match="positive"):
        clip_by_global_norm(grads, -1.0)
