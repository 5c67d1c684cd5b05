"""The two ways the fused kernels compute sigmoid and tanh (rnnviz.engine.activations.KERNELS):
the same numbers to float64 round-off on every cell, each passing the gradient check, and
"exp" never overflowing however large the pre-activations."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnnviz.engine import CELLS, activations, init_params
from rnnviz.engine.activations import (
    EXP_SAFE,
    KERNELS,
    activate,
    kernel_for,
    sigmoid,
    tanh_into,
    use_kernel,
)
from rnnviz.engine.gradcheck import gradient_check
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import forward, loss_and_gradients
from rnnviz.engine.params import stacked_gates

TOLERANCE = 1e-7
SHAPES = [(1, 1, 1, 1), (3, 4, 2, 5), (5, 7, 3, 9)]  # (n_x, n_a, m, T_x)

ROOT = Path(__file__).resolve().parents[1]


def problem(cell, n_x, n_a, m, T_x, weight_scale=1.5, seed=0):
    rng = np.random.default_rng(seed)
    params = init_params(cell, n_x, n_a, 3, rng, weight_scale=weight_scale)
    x = 2.0 * rng.standard_normal((n_x, m, T_x))
    initial = {state + "0": rng.standard_normal((n_a, m)) for state in CELLS[cell].states}
    return params, x, rng.integers(0, 3, size=(m, T_x)), initial


def run_each_kernel(fn):
    """{kernel: fn()} with each kernel forced in turn."""
    results = {}
    for kernel in KERNELS:
        with use_kernel(kernel):
            results[kernel] = fn()
    return results


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("shape", SHAPES)
def test_both_kernels_give_the_same_trace_and_gradients_to_round_off(strict, cell, shape):
    params, x, targets, initial = problem(cell, *shape)
    results = run_each_kernel(lambda: loss_and_gradients(params, x, targets, Loss(), **initial))
    (trace_t, back_t), (trace_e, back_e) = results["tanh"], results["exp"]
    for name in CELLS[cell].sequences + ("y_hat", "z_y"):
        np.testing.assert_allclose(getattr(trace_e, name), getattr(trace_t, name),
                                   rtol=0, atol=4e-15, err_msg=name)
    assert back_e.loss == pytest.approx(back_t.loss, rel=1e-14)
    for name, grad in back_t.grads.items():
        scale = max(1.0, float(np.max(np.abs(grad))))
        np.testing.assert_allclose(getattr(back_e.grads, name), grad, rtol=0,
                                   atol=1e-14 * scale, err_msg=name)


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("kernel", KERNELS)
def test_each_kernel_passes_the_gradient_check(cell, kernel):
    params, x, targets, initial = problem(cell, 3, 4, 2, 5, weight_scale=1.0, seed=3)
    with use_kernel(kernel):
        checks = gradient_check(params, x, targets, Loss(), include_inputs=True, **initial)
    errors = {name: check.relative_error for name, check in checks.items()}
    assert max(errors.values()) < TOLERANCE, errors


def test_the_exp_kernel_matches_sigmoid_and_tanh_over_a_dense_sweep(strict):
    """With n_a = n_x = 1, a0 = 0 and each gate's input weight 1, every example's gate
    pre-activations are its x: the gates from z = -60 to 60 under the "exp" kernel."""
    z = np.linspace(-60.0, 60.0, 24001)
    params = init_params("lstm", 1, 1, 1, np.random.default_rng(0))
    for gate in "fuoc":
        getattr(params, "W" + gate)[...] = [[0.0, 1.0]]
        getattr(params, "b" + gate)[...] = 0.0
    with use_kernel("exp"):
        trace = forward(params, z[None, :, None])
    np.testing.assert_array_equal(trace.z_gates[:, :, 0], np.tile(z, (4, 1)))
    gates = trace.gates[:, :, 0]
    # 1 / (1 + exp(-z)) is accurate relative to its value, far into the tail
    np.testing.assert_allclose(gates[:3], np.tile(sigmoid(z), (3, 1)), rtol=6e-16, atol=0)
    np.testing.assert_allclose(gates[3], np.tanh(z), rtol=0, atol=4.5e-16)


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_exp_kernel_never_overflows_at_huge_pre_activations(strict, cell):
    """Pre-activations far beyond exp's range: the kernel falls back to tanh, so the states
    saturate exactly, with no warning, inf or NaN."""
    params, x, targets, initial = problem(cell, 3, 4, 2, 6, weight_scale=50.0)
    initial = {name: value * 1e5 for name, value in initial.items()}
    with use_kernel("exp"):
        trace, back = loss_and_gradients(params, x * 1e4, targets, Loss(), **initial)
    # tanh and o tanh(c) lie in [-1, 1]; the GRU's a<t> mixes a<t-1> with c~ in [-1, 1]
    assert np.all(np.abs(trace.a) <= max(1.0, np.max(np.abs(initial["a0"]))))
    assert np.isfinite(back.loss)
    for _, grad in back.grads.items():
        assert np.all(np.isfinite(grad))


def test_kernel_for_keeps_exp_only_below_its_safe_range():
    with use_kernel("exp"):
        assert kernel_for(10.0) == "exp"
        assert kernel_for(EXP_SAFE) == "tanh"
    with use_kernel("tanh"):
        assert kernel_for(10.0) == "tanh"


def test_kernel_for_computes_a_bound_given_as_a_function_only_for_exp():
    asked = []

    def bound(value):
        return lambda: asked.append(value) or value

    with use_kernel("tanh"):   # tanh takes any argument: the bound is not computed
        assert kernel_for(bound(EXP_SAFE)) == "tanh" and asked == []
    with use_kernel("exp"):
        assert kernel_for(bound(10.0)) == "exp"
        assert kernel_for(bound(EXP_SAFE)) == "tanh"
    assert asked == [10.0, EXP_SAFE]


@pytest.mark.parametrize("kernel", KERNELS)
def test_activate_and_tanh_into_compute_sigmoid_then_tanh_rows(strict, kernel):
    z = np.tile(np.linspace(-30.0, 30.0, 61), (3, 1, 1))  # (3, 1, 61)
    scales = activations.SCALES[kernel]
    scaled = z * np.array([scales["sigmoid"], scales["sigmoid"], scales["tanh"]])[:, None, None]
    out = np.empty_like(z)
    activate(scaled, out, 2, kernel)
    np.testing.assert_allclose(out[:2], sigmoid(z[:2]), rtol=0, atol=4.5e-16)
    np.testing.assert_allclose(out[2], np.tanh(z[2]), rtol=0, atol=4.5e-16)
    tanh_c = np.empty_like(z)
    tanh_into(z, tanh_c, kernel)
    np.testing.assert_allclose(tanh_c, np.tanh(z), rtol=0, atol=4.5e-16)


def test_the_process_runs_the_kernel_its_calibration_measured_fastest(monkeypatch):
    assert set(activations.CALIBRATION) == set(KERNELS)
    assert all(seconds > 0 for seconds in activations.CALIBRATION.values())
    fastest = min(activations.CALIBRATION, key=activations.CALIBRATION.get)
    named = os.environ.get(activations.KERNEL_VARIABLE)   # a test run may name one
    assert activations.KERNEL == (named if named in KERNELS else fastest)
    monkeypatch.delenv(activations.KERNEL_VARIABLE, raising=False)
    assert activations._chosen_kernel({"tanh": 2.0, "exp": 1.0}) == "exp"
    assert activations._chosen_kernel({"tanh": 1.0, "exp": 2.0}) == "tanh"


@pytest.mark.parametrize("kernel", KERNELS)
def test_the_environment_can_name_the_kernel(monkeypatch, kernel):
    monkeypatch.setenv(activations.KERNEL_VARIABLE, kernel)
    slower = {k: 1.0 if k == kernel else 0.5 for k in KERNELS}   # the calibration says the other
    assert activations._chosen_kernel(slower) == kernel


def test_a_kernel_the_environment_names_wrongly_is_refused_with_a_warning(monkeypatch):
    monkeypatch.setenv(activations.KERNEL_VARIABLE, "sin")
    with pytest.warns(UserWarning, match="RNNVIZ_KERNEL='sin' is not one of tanh, exp"):
        assert activations._chosen_kernel({"tanh": 2.0, "exp": 1.0}) == "exp"


def test_a_new_process_takes_the_kernel_the_environment_names():
    for kernel in KERNELS:
        printed = subprocess.run(
            [sys.executable, "-c", "from rnnviz.engine import activations; "
                                   "print(activations.KERNEL)"],
            env={**os.environ, activations.KERNEL_VARIABLE: kernel}, capture_output=True,
            text=True, check=True, cwd=ROOT).stdout.strip()
        assert printed == kernel


def test_use_kernel_names_the_kernels_it_accepts():
    with pytest.raises(ValueError, match="kernel must be one of tanh, exp"), use_kernel("sin"):
        pass


@pytest.mark.parametrize("cell, order", [("lstm", ("f", "u", "o", "c")), ("gru", ("r", "u", "c"))])
def test_stacked_gates_scale_the_sigmoid_rows_and_the_candidate_rows_apart(cell, order):
    params = init_params(cell, 2, 3, 2, np.random.default_rng(0), forget_bias=2.0)
    W, b = stacked_gates(params, order)
    assert W.shape == (3 * len(order), 5) and b.shape == (3 * len(order),)
    for k, gate in enumerate(order):
        np.testing.assert_array_equal(W[3 * k: 3 * k + 3], getattr(params, "W" + gate))
        np.testing.assert_array_equal(b[3 * k: 3 * k + 3], getattr(params, "b" + gate)[:, 0])
    W_scaled, b_scaled = stacked_gates(params, order, {"sigmoid": -0.5, "tanh": 2.0})
    sigmoid_rows = 3 * (len(order) - 1)
    np.testing.assert_array_equal(W_scaled[:sigmoid_rows], -0.5 * W[:sigmoid_rows])
    np.testing.assert_array_equal(W_scaled[sigmoid_rows:], 2.0 * W[sigmoid_rows:])
    np.testing.assert_array_equal(b_scaled[:sigmoid_rows], -0.5 * b[:sigmoid_rows])
    # scaling works on the stacked copy: the parameters keep their values
    np.testing.assert_array_equal(getattr(params, "W" + order[0]), W[:3])
