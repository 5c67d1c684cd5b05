"""BPTT against central differences, for every backward path the engine has (the step
pairs' own checks are in test_engine_step_pairs.py).

Each check perturbs one entry at a time by +-eps in float64 and compares
(L(theta + eps) - L(theta - eps)) / (2 eps) with the analytic gradient; the relative error
||num - ana|| / (||num|| + ||ana||) must stay below 1e-7.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.engine import init_params
from rnnviz.engine.activations import KERNELS, use_kernel
from rnnviz.engine.cells import CELLS
from rnnviz.engine.gradcheck import gradient_check
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import backward, forward, hidden_backward, loss_and_gradients
from rnnviz.notebook import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)

TOLERANCE = 1e-7
EPS = 1e-5


def rel_error(numerical, analytic):
    numerical, analytic = np.ravel(numerical), np.ravel(analytic)
    denominator = np.linalg.norm(numerical) + np.linalg.norm(analytic)
    return 0.0 if denominator == 0 else np.linalg.norm(numerical - analytic) / denominator


def numerical_gradient(scalar, array):
    """d scalar() / d array by central differences; `array` is perturbed in place."""
    grad = np.zeros(array.shape)
    for i in np.ndindex(array.shape):
        original = array[i]
        array[i] = original + EPS
        plus = scalar()
        array[i] = original - EPS
        minus = scalar()
        array[i] = original
        grad[i] = (plus - minus) / (2 * EPS)
    return grad


def problem(cell, n_x, n_a, n_y, m, T_x, seed=0):
    rng = np.random.default_rng(seed)
    params = init_params(cell, n_x, n_a, n_y, rng, weight_scale=1.2)
    for name, value in params.items():
        if name.startswith("b"):
            value[:] = 0.5 * rng.standard_normal(value.shape)
    x = rng.standard_normal((n_x, m, T_x))
    a0 = rng.standard_normal((n_a, m))
    c0 = rng.standard_normal((n_a, m)) if cell == "lstm" else None
    return params, x, a0, c0, rng


def targets_for(loss, n_y, m, T_x, rng):
    if loss.kind == "cross_entropy":
        return rng.integers(0, n_y, size=(m, T_x))
    return rng.standard_normal((n_y, m, T_x))


def assert_all_small(checks):
    bad = {name: check.relative_error for name, check in checks.items()
           if not check.relative_error < TOLERANCE}
    assert not bad, f"relative errors above {TOLERANCE}: {bad}"


SHAPES = [(3, 4, 2, 3, 4), (1, 1, 1, 1, 1), (2, 1, 2, 1, 3), (1, 3, 2, 2, 1), (2, 2, 3, 1, 2)]
LOSSES = [Loss("cross_entropy", "all"), Loss("cross_entropy", "last"),
          Loss("squared_error", "all"), Loss("squared_error", "last")]


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: f"{loss.kind}-{loss.where}")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_bptt_matches_numerical_gradient_for_params_and_inputs(cell, loss, shape):
    params, x, a0, c0, rng = problem(cell, *shape)
    n_y, m, T_x = shape[2], shape[3], shape[4]
    targets = targets_for(loss, n_y, m, T_x, rng)
    errors = gradient_check(params, x, targets, loss, a0, c0, include_inputs=True)
    expected = set(params.names()) | {"x", "a0"} | ({"c0"} if cell == "lstm" else set())
    assert set(errors) == expected
    assert_all_small(errors)


@pytest.mark.parametrize("cell", list(CELLS))
def test_cross_entropy_skipped_positions_get_no_gradient(cell):
    params, x, a0, c0, rng = problem(cell, 2, 3, 3, 3, 4)
    targets = rng.integers(0, 3, size=(3, 4))
    targets[1, :] = -1
    targets[:, 2] = -1
    errors = gradient_check(params, x, targets, Loss(), a0, c0, include_inputs=True)
    assert_all_small(errors)
    _, result = loss_and_gradients(params, x, targets, Loss(), a0, c0)
    assert not result.dz_y[:, 1, :].any() and not result.dz_y[:, :, 2].any()


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("t", [0, 1, 3])
def test_gradient_flow_is_total_gradient_of_each_state(cell, t):
    """dA[:, :, t] = dL/da<t> and dC[:, :, t] = dL/dc<t> over every path, where L is
    sum(dA_out * a): found numerically by restarting the sequence at step t from a perturbed
    state and running the remaining steps."""
    params, x, a0, c0, rng = problem(cell, 2, 3, 2, 2, 4)
    trace = forward(params, x, a0, c0)
    dA_out = rng.standard_normal(trace.a.shape)
    flow = hidden_backward(params, trace, dA_out)
    a_t = np.array(trace.a[:, :, t])
    c_t = np.array(trace.c[:, :, t]) if cell == "lstm" else None
    rest = x[:, :, t + 1:]

    def loss_from(a_state, c_state):
        value = float(np.sum(dA_out[:, :, t] * a_state))
        if rest.shape[2]:
            later = forward(params, rest, a_state, c_state).a
            value += float(np.sum(dA_out[:, :, t + 1:] * later))
        return value

    assert rel_error(numerical_gradient(lambda: loss_from(a_t, c_t), a_t),
                     flow["dA"][:, :, t]) < TOLERANCE
    if cell == "lstm":
        o_t = trace.o[:, :, t]
        # a<t> = o<t> tanh(c<t>) moves with c<t>
        assert rel_error(numerical_gradient(lambda: loss_from(o_t * np.tanh(c_t), c_t), c_t),
                         flow["dC"][:, :, t]) < TOLERANCE


# Each notebook sequence pair: (forward, backward, where the forward returns a, its caches).
NOTEBOOK = {"rnn": (rnn_forward, rnn_backward, 1, 2), "lstm": (lstm_forward, lstm_backward, 0, 3),
            "gru": (gru_forward, gru_backward, 0, 2)}


@pytest.mark.parametrize("cell", list(NOTEBOOK))
@pytest.mark.parametrize("shape", [(3, 5, 4, 3), (1, 1, 1, 1), (2, 3, 1, 2)])
def test_notebook_backward_matches_numerical_gradient(cell, shape):
    n_x, n_a, m, T_x = shape
    cell_forward, cell_backward, a_at, caches_at = NOTEBOOK[cell]
    params, x, a0, _, rng = problem(cell, n_x, n_a, 2, m, T_x)
    p = params.as_dict()
    dA = rng.standard_normal((n_a, m, T_x))

    def scalar():
        return float(np.sum(dA * cell_forward(x, a0, p)[a_at]))

    grads = cell_backward(dA, cell_forward(x, a0, p)[caches_at])
    # the step's parameters, not the output layer's (the notebook's backward starts at dA)
    keys = {"dx", "da0"} | {"d" + name for name in p
                            if name not in (CELLS[cell].output_weight, "by")}
    assert set(grads) == keys
    for key in sorted(keys):
        array = {"dx": x, "da0": a0}.get(key, p.get(key[1:]))
        assert grads[key].shape == array.shape, key
        assert rel_error(numerical_gradient(scalar, array), grads[key]) < TOLERANCE, key


@pytest.mark.parametrize("cell", list(CELLS))
def test_notebook_backward_reads_the_caches_it_is_given(cell):
    """The forward's own caches take the fast path (its buffers); the same caches copied into
    a plain list are stacked; both give the same gradients. A cache changed by hand counts."""
    params, x, a0, _, rng = problem(cell, 3, 4, 2, 5, 6)
    p = params.as_dict()
    dA = rng.standard_normal((4, 5, 6))
    forward_fn, backward_fn, a_prev_field = {"rnn": (rnn_forward, rnn_backward, 1),
                                             "lstm": (lstm_forward, lstm_backward, 2),
                                             "gru": (gru_forward, gru_backward, 1)}[cell]
    steps, x_seen = forward_fn(x, a0, p)[-1]
    fast = backward_fn(dA, (steps, x_seen))
    stacked = backward_fn(dA, (list(steps), x_seen))
    for key in fast:
        np.testing.assert_allclose(fast[key], stacked[key], rtol=1e-13, atol=1e-15)
    first = list(steps[0])
    first[a_prev_field] = first[a_prev_field] + 1.0  # another a<0>, put in by hand
    steps[0] = tuple(first)
    changed = backward_fn(dA, (steps, x_seen))
    weight = "dWaa" if cell == "rnn" else "dWu"  # (dWf sees c<0> = 0 times the change)
    assert not np.allclose(changed[weight], fast[weight])


@settings(max_examples=25, deadline=None)
@given(cell=st.sampled_from(["rnn", "lstm"]), n_x=st.integers(1, 3), n_a=st.integers(1, 4),
       n_y=st.integers(1, 3), m=st.integers(1, 3), T_x=st.integers(1, 4),
       loss=st.sampled_from(LOSSES), seed=st.integers(0, 2**31 - 1))
def test_bptt_matches_numerical_gradient_for_any_shape_and_seed(cell, n_x, n_a, n_y, m, T_x,
                                                                loss, seed):
    """Relative error < 1e-7, except where a gradient is so small (a saturated tanh, say)
    that central differences cannot resolve it: there the absolute error must be below the
    differences' own noise, ~1e-16 |L| / eps = 1e-11, with margin."""
    params, x, a0, c0, rng = problem(cell, n_x, n_a, n_y, m, T_x, seed)
    targets = targets_for(loss, n_y, m, T_x, rng)
    errors = gradient_check(params, x, targets, loss, a0, c0, include_inputs=True)
    _, result = loss_and_gradients(params, x, targets, loss, a0, c0)
    analytic = dict(result.grads.items()) | {"x": result.dx, "a0": result.da0, "c0": result.dc0}
    for name, check in errors.items():
        err = check.relative_error
        absolute = 2 * err * np.linalg.norm(analytic[name])  # ~ ||numerical - analytic||
        assert err < TOLERANCE or absolute < 1e-9, (name, err, absolute)


def test_gradient_check_detects_a_wrong_gradient(monkeypatch):
    """The check can fail: a backward pass whose recurrent gradient is 1% off is caught."""
    import rnnviz.engine.gradcheck as gradcheck_module

    params, x, a0, _, rng = problem("rnn", 2, 3, 2, 2, 4)
    targets = rng.integers(0, 2, size=(2, 4))

    def broken(*args, **kwargs):
        trace, result = loss_and_gradients(*args, **kwargs)
        result.grads.Waa[...] *= 1.01
        return trace, result

    monkeypatch.setattr(gradcheck_module, "loss_and_gradients", broken)
    checks = gradient_check(params, x, targets, Loss(), a0)
    assert checks["Waa"].relative_error > 1e-3
    assert checks["Waa"].verdict(TOLERANCE).outcome == gradcheck_module.DISAGREE
    assert checks["Wax"].relative_error < TOLERANCE
    assert checks["Wax"].verdict(TOLERANCE).outcome == gradcheck_module.AGREE


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("cell", list(CELLS))
def test_backward_of_a_trace_without_its_buffers_gives_the_same_gradients(cell, kernel):
    """A trace rebuilt from its public arrays (time_major=None, e.g. after a round trip
    through a cache) is differentiated exactly like the original, with either kernel ("exp"
    is the fast one on processors without AVX-512)."""
    params, x, a0, c0, rng = problem(cell, 2, 3, 2, 2, 4)
    targets = rng.integers(0, 2, size=(2, 4))
    with use_kernel(kernel):
        trace, result = loss_and_gradients(params, x, targets, Loss(), a0, c0)
        bare = dataclasses.replace(trace, time_major=None,
                                   **{name: np.array(getattr(trace, name)) for name in ("x", "a")})
        assert bare.time_major is None
        np.testing.assert_array_equal(bare.a_prev, trace.a_prev)
        again = backward(params, bare, targets, Loss())
    for name, grad in result.grads.items():
        np.testing.assert_array_equal(getattr(again.grads, name), grad, err_msg=name)
    np.testing.assert_array_equal(again.dA, result.dA)
    np.testing.assert_array_equal(again.dx, result.dx)


@pytest.mark.parametrize(("setting", "per_step"), [("_FACTOR_CHUNK_BYTES", 9),
                                                   ("_GRADIENT_SPAN_BYTES", 4)])
@pytest.mark.parametrize("chunk_steps", [1, 2, 3])
def test_lstm_bptt_is_the_same_whatever_the_factor_chunk(monkeypatch, chunk_steps, setting,
                                                         per_step):
    """The LSTM backward computes its recurrence-free factors a chunk of steps at a time, and
    the weight gradients and dx a span of steps at a time; chunks or spans of 1, 2 or 3 steps
    over T_x = 5 (a ragged last one) give the one-chunk result."""
    import rnnviz.engine._lstm_kernel as lstm_module

    params, x, a0, c0, rng = problem("lstm", 2, 3, 2, 2, 5)
    targets = rng.integers(0, 2, size=(2, 5))
    _, whole = loss_and_gradients(params, x, targets, Loss(), a0, c0)
    m, n_a = 2, 3
    monkeypatch.setattr(lstm_module, setting, chunk_steps * 8 * m * per_step * n_a)
    _, chunked = loss_and_gradients(params, x, targets, Loss(), a0, c0)
    for name, grad in whole.grads.items():
        np.testing.assert_allclose(getattr(chunked.grads, name), grad, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(chunked.dC, whole.dC, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(chunked.dx, whole.dx, rtol=1e-14, atol=1e-16)
    errors = gradient_check(params, x, targets, Loss(), a0, c0, include_inputs=True)
    assert_all_small(errors)


@pytest.mark.parametrize("chunk_steps", [1, 2, 3])
def test_gru_bptt_is_the_same_whatever_the_factor_chunk(monkeypatch, chunk_steps):
    """The GRU backward computes its recurrence-free factors a chunk of steps at a time;
    chunks of 1, 2 or 3 steps over T_x = 5 (a ragged last one) give the one-chunk result."""
    import rnnviz.engine._gru_kernel as gru_module

    params, x, a0, _, rng = problem("gru", 2, 3, 2, 2, 5)
    targets = rng.integers(0, 2, size=(2, 5))
    _, whole = loss_and_gradients(params, x, targets, Loss(), a0)
    m, n_a = 2, 3
    monkeypatch.setattr(gru_module, "_FACTOR_CHUNK_BYTES", chunk_steps * 8 * m * 7 * n_a)
    _, chunked = loss_and_gradients(params, x, targets, Loss(), a0)
    for name, grad in whole.grads.items():
        np.testing.assert_allclose(getattr(chunked.grads, name), grad, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(chunked.dA, whole.dA, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(chunked.dx, whole.dx, rtol=1e-14, atol=1e-16)
    errors = gradient_check(params, x, targets, Loss(), a0, include_inputs=True)
    assert_all_small(errors)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("cell", list(CELLS))
def test_a_pickled_trace_drops_its_buffers_and_still_differentiates(cell, kernel):
    import pickle

    params, x, a0, c0, rng = problem(cell, 2, 3, 2, 2, 4)
    targets = rng.integers(0, 2, size=(2, 4))
    with use_kernel(kernel):
        trace, result = loss_and_gradients(params, x, targets, Loss(), a0, c0)
        restored = pickle.loads(pickle.dumps(trace))
        assert restored.time_major is None and trace.time_major is not None
        np.testing.assert_array_equal(restored.a, trace.a)
        np.testing.assert_array_equal(restored.a_prev, trace.a_prev)
        again = backward(params, restored, targets, Loss())
    for name, grad in result.grads.items():
        np.testing.assert_array_equal(getattr(again.grads, name), grad, err_msg=name)


def test_a_pickled_lstm_trace_keeps_the_kernel_its_forward_pass_chose():
    """Under "exp", a forward pass whose pre-activations could pass the kernel's safe range
    computes with "tanh" however small its c; the trace rebuilt after pickling must compute
    tanh(c) as that pass did, not choose again from its c."""
    import pickle

    from rnnviz.engine import activations

    params, x, a0, c0, rng = problem("lstm", 2, 3, 2, 2, 4)
    params.Wf[0, -1] = 400.0   # one unit's forget gate: pre-activations up to 400 or more
    targets = rng.integers(0, 2, size=(2, 4))
    with use_kernel("exp"):
        trace, result = loss_and_gradients(params, x, targets, Loss(), a0, c0)
        assert trace.kernel == "tanh" and activations.kernel_for(np.abs(trace.c).max()) == "exp"
        again = backward(params, pickle.loads(pickle.dumps(trace)), targets, Loss())
    for name, grad in result.grads.items():
        np.testing.assert_array_equal(getattr(again.grads, name), grad, err_msg=name)


@pytest.mark.parametrize("cell", list(CELLS))
def test_a_trace_with_replaced_states_is_differentiated_from_its_arrays(cell):
    """dataclasses.replace keeps the old buffers; BPTT must notice and use the new arrays."""
    params, x, a0, c0, rng = problem(cell, 2, 3, 2, 2, 4)
    targets = rng.integers(0, 2, size=(2, 4))
    x2 = rng.standard_normal(x.shape)
    other = forward(params, x2, a0, c0)
    trace = forward(params, x, a0, c0)
    fields = [name for name in trace.arrays() if name not in ("a0", "c0")]
    swapped = dataclasses.replace(trace, **{name: np.array(getattr(other, name))
                                            for name in fields})
    expected = backward(params, other, targets, Loss())
    got = backward(params, swapped, targets, Loss())
    for name, grad in expected.grads.items():
        np.testing.assert_allclose(getattr(got.grads, name), grad, rtol=1e-13, err_msg=name)
