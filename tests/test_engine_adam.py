"""Adam: the engine's update against hand-computed steps and the notebook's own formula."""

import numpy as np
import pytest

from rnnviz.engine.optim import adam_update
from rnnviz.notebook import initialize_adam, update_parameters_with_adam


def parameters():
    return {"W1": np.array([[1.0, -2.0], [0.5, 3.0]]), "b1": np.array([[0.1], [-0.1]])}


def grads():
    return {"dW1": np.array([[0.2, -1e-3], [0.0, 4.0]]), "db1": np.array([[-0.5], [1e-6]])}


def test_first_adam_step_matches_hand_computation():
    """At t = 1: v = 0.1 g, s = 0.001 g^2, v_hat = g, s_hat = g^2,
    step = lr g / (|g| + eps)."""
    p, g = parameters(), grads()
    v, s = initialize_adam(p)
    new, v1, s1 = update_parameters_with_adam(p, g, v, s, t=1, learning_rate=0.01)
    for name in p:
        grad = g["d" + name]
        np.testing.assert_allclose(v1["d" + name], 0.1 * grad, rtol=1e-15)
        np.testing.assert_allclose(s1["d" + name], 0.001 * grad ** 2, rtol=1e-12)
        expected = p[name] - 0.01 * grad / (np.abs(grad) + 1e-8)
        np.testing.assert_allclose(new[name], expected, rtol=1e-14, atol=1e-16)
    # a zero gradient moves nothing; an O(1) gradient moves by almost exactly lr
    assert new["W1"][1, 0] == p["W1"][1, 0]
    assert new["W1"][1, 1] == pytest.approx(3.0 - 0.01, abs=1e-10)


def test_second_adam_step_matches_hand_computation():
    p, g = parameters(), grads()
    v, s = initialize_adam(p)
    p1, v1, s1 = update_parameters_with_adam(p, g, v, s, t=1)
    g2 = {k: -2.0 * value for k, value in g.items()}
    p2, v2, s2 = update_parameters_with_adam(p1, g2, v1, s1, t=2, learning_rate=0.01)
    for name in p:
        gr1, gr2 = g["d" + name], g2["d" + name]
        v_ = 0.9 * 0.1 * gr1 + 0.1 * gr2
        s_ = 0.999 * 0.001 * gr1 ** 2 + 0.001 * gr2 ** 2
        v_hat, s_hat = v_ / (1 - 0.9 ** 2), s_ / (1 - 0.999 ** 2)
        np.testing.assert_allclose(v2["d" + name], v_, rtol=1e-13)
        np.testing.assert_allclose(
            p2[name], p1[name] - 0.01 * v_hat / (np.sqrt(s_hat) + 1e-8), rtol=1e-13, atol=1e-16)


def notebook_update(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                    epsilon=1e-8):
    """The notebook's loop, copied: note np.sqrt(s_corrected + epsilon)."""
    L = len(parameters) // 2
    v_corrected, s_corrected = {}, {}
    for layer in range(L):
        for kind in ("W", "b"):
            key, name = "d" + kind + str(layer + 1), kind + str(layer + 1)
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            v_corrected[key] = v[key] / (1 - beta1 ** t)
            s[key] = beta2 * s[key] + (1 - beta2) * (grads[key] ** 2)
            s_corrected[key] = s[key] / (1 - beta2 ** t)
            parameters[name] = parameters[name] - learning_rate * v_corrected[key] / np.sqrt(
                s_corrected[key] + epsilon)
    return parameters, v, s


def test_eps_inside_sqrt_reproduces_the_notebook_and_differs_from_kingma_ba():
    p, g = parameters(), grads()
    v, s = initialize_adam(p)
    ours, _, _ = update_parameters_with_adam(p, g, v, s, 1, eps_inside_sqrt=True)
    v_nb, s_nb = initialize_adam(p)
    notebook, _, _ = notebook_update(parameters(), g, v_nb, s_nb, 1)
    standard, _, _ = update_parameters_with_adam(p, g, v, s, 1)
    for name in p:
        np.testing.assert_allclose(ours[name], notebook[name], rtol=1e-15)
    # with a tiny gradient the two differ a lot: sqrt(1e-12 + 1e-8) vs 1e-6 + 1e-8
    tiny = (g["db1"][1, 0], ours["b1"][1, 0] - p["b1"][1, 0], standard["b1"][1, 0] - p["b1"][1, 0])
    assert tiny[0] == 1e-6
    assert tiny[1] == pytest.approx(-0.01 * 1e-6 / np.sqrt(1e-12 + 1e-8), rel=1e-9)
    assert tiny[2] == pytest.approx(-0.01 * 1e-6 / (1e-6 + 1e-8), rel=1e-9)
    assert abs(tiny[1]) < abs(tiny[2]) / 50


def test_adam_does_not_modify_its_arguments():
    p, g = parameters(), grads()
    v, s = initialize_adam(p)
    before = {k: a.copy() for k, a in (p | g | v | {"s" + k: a for k, a in s.items()}).items()}
    update_parameters_with_adam(p, g, v, s, 1)
    after = p | g | v | {"s" + k: a for k, a in s.items()}
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)


def test_adam_rejects_step_zero_and_missing_gradients():
    p, g = parameters(), grads()
    v, s = initialize_adam(p)
    with pytest.raises(ValueError, match="t must be a whole number from 1 to"):
        update_parameters_with_adam(p, g, v, s, 0)
    with pytest.raises(ValueError, match="grads has no 'db1'"):
        update_parameters_with_adam(p, {"dW1": g["dW1"]}, v, s, 1)


def test_adam_update_returns_bias_corrected_moments_and_step():
    theta, grad = np.array([1.0, 2.0]), np.array([0.5, -0.25])
    new, v, s, v_hat, s_hat, step = adam_update(theta, grad, np.zeros(2), np.zeros(2), 1, 0.1,
                                                0.9, 0.999, 1e-8)
    np.testing.assert_allclose(v_hat, grad, rtol=1e-15)
    np.testing.assert_allclose(s_hat, grad ** 2, rtol=1e-12)
    np.testing.assert_allclose(step, 0.1 * grad / (np.abs(grad) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(new, theta - step, rtol=0)
