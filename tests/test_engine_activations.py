"""Stable sigmoid and softmax: exact saturation, no warnings, no floating-point traps."""

import numpy as np
import pytest

from rnnviz.engine import init_params
from rnnviz.engine.activations import log_softmax, sigmoid, softmax, use_kernel
from rnnviz.engine.cells import CELLS
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import forward, loss_and_gradients

EXTREMES = np.array([-1e4, -1000.0, -745.5, -709.0, -40.0, -1e-300, 0.0, 1e-300, 40.0, 709.0,
                     745.5, 1000.0, 1e4])


def test_sigmoid_saturates_exactly_at_extreme_inputs(strict):
    s = sigmoid(EXTREMES)
    assert s[0] == 0.0 and s[1] == 0.0
    assert s[-1] == 1.0 and s[-2] == 1.0
    assert s[6] == 0.5
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s) >= 0)


def test_sigmoid_is_accurate_in_the_tails(strict):
    # relative accuracy where 1/(1+exp(-z)) would round to 0 or lose digits
    assert sigmoid(np.array([-40.0]))[0] == pytest.approx(np.exp(-40.0) / (1 + np.exp(-40.0)),
                                                          rel=1e-15)
    assert sigmoid(np.array([-700.0]))[0] == pytest.approx(np.exp(-700.0), rel=1e-13)
    z = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=0, atol=4.5e-16)


def test_sigmoid_keeps_shape_and_accepts_scalars(strict):
    assert sigmoid(np.zeros((2, 3, 4))).shape == (2, 3, 4)
    assert float(sigmoid(0.0)) == 0.5


def test_softmax_columns_sum_to_one_and_saturate_at_extremes(strict):
    z = np.array([[1e4, -1e4, 0.0, 745.0, -1e4],
                  [-1e4, 1e4, 0.0, -745.0, -1e4],
                  [0.0, 0.0, 0.0, 0.0, -1e4]])
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(p[:, 0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(p[:, 1], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(p[:, 2], 1 / 3, rtol=1e-15)
    np.testing.assert_allclose(p[:, 4], 1 / 3, rtol=1e-15)  # shift-invariant at -1e4


def test_softmax_normalises_each_column_of_a_sequence(strict):
    z = np.random.default_rng(0).standard_normal((4, 3, 5)) * 1e3
    p = softmax(z)
    assert p.shape == z.shape
    np.testing.assert_allclose(p.sum(axis=0), 1.0, rtol=0, atol=1e-15)
    assert np.all((p >= 0) & (p <= 1))


def test_log_softmax_is_finite_at_extremes(strict):
    z = np.array([[1e4, 0.0], [-1e4, 0.0]])
    lp = log_softmax(z)
    assert np.all(np.isfinite(lp))
    assert lp[0, 0] == 0.0 and lp[1, 0] == -2e4
    np.testing.assert_allclose(lp[:, 1], -np.log(2), rtol=1e-15)


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("kind", ["cross_entropy", "squared_error"])
def test_forward_and_bptt_at_saturating_inputs_raise_nothing(strict, cell, kind):
    rng = np.random.default_rng(0)
    params = init_params(cell, 3, 4, 3, rng, weight_scale=50.0)
    x = rng.standard_normal((3, 2, 6)) * 1e4
    loss = Loss(kind)
    targets = (rng.integers(0, 3, size=(2, 6)) if kind == "cross_entropy"
               else rng.standard_normal((3, 2, 6)))
    trace, result = loss_and_gradients(params, x, targets, loss)
    if cell == "lstm":
        assert set(np.unique(trace.f)) <= {0.0, 1.0}  # saturated exactly
    for _, grad in result.grads.items():
        assert np.all(np.isfinite(grad))
    assert np.isfinite(result.loss)


@use_kernel("tanh")
def test_lstm_gates_are_the_exact_sigmoid_of_their_pre_activations(strict):
    """The "tanh" kernel computes sigmoid gates as (1 + tanh(z/2)) / 2: within 2.3e-16 of
    1 / (1 + exp(-z)), and saturated exactly (the "exp" kernel: tests/test_engine_kernels.py)."""
    rng = np.random.default_rng(1)
    params = init_params("lstm", 4, 6, 2, rng, weight_scale=8.0)
    x = rng.standard_normal((4, 5, 7)) * 3
    trace = forward(params, x)
    for gate, z in ((trace.f, trace.z_f), (trace.u, trace.z_u), (trace.o, trace.z_o)):
        np.testing.assert_allclose(gate, sigmoid(z), rtol=0, atol=2.3e-16)
    np.testing.assert_array_equal(trace.c_tilde, np.tanh(trace.z_c))
    saturated = forward(params, x * 1e4)
    assert set(np.unique(saturated.f[np.abs(saturated.z_f) > 80])) <= {0.0, 1.0}


@use_kernel("tanh")
def test_lstm_sigmoid_gates_are_within_two_ulp_over_a_dense_sweep(strict):
    """With n_a = n_x = 1, a0 = 0 and each gate's input weight 1, every example's gate
    pre-activations are its x: the fused forward's gates, z from -60 to 60."""
    z = np.linspace(-60.0, 60.0, 24001)
    params = init_params("lstm", 1, 1, 1, np.random.default_rng(0))
    for gate in "fuoc":
        getattr(params, "W" + gate)[...] = [[0.0, 1.0]]
        getattr(params, "b" + gate)[...] = 0.0
    trace = forward(params, z[None, :, None])
    np.testing.assert_array_equal(trace.z_gates[:, :, 0], np.tile(z, (4, 1)))
    gates = trace.gates[:, :, 0]
    np.testing.assert_allclose(gates[:3], np.tile(sigmoid(z), (3, 1)), rtol=0, atol=2.3e-16)
    np.testing.assert_array_equal(gates[3], np.tanh(z))
