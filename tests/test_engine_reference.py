"""The engine's forward traces and loss values against a plain per-step reference.

The reference below is written straight from the notebook's equations, one timestep at a
time, with no fusing, no time-major buffers and no shared code with the engine.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.engine import init_params
from rnnviz.engine.cells import CELLS
from rnnviz.engine.losses import Loss, loss_and_output_gradient
from rnnviz.engine.model import forward, loss_value
from rnnviz.notebook import lstm_forward, notebook_example

RTOL, ATOL = 1e-12, 1e-14


def ref_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ref_softmax(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def reference_rnn(p: dict, x, a0):
    """a<t> = tanh(Wax x<t> + Waa a<t-1> + ba), z_y<t> = Wya a<t> + by, step by step."""
    n_x, m, T_x = x.shape
    n_a, n_y = p["Waa"].shape[0], p["Wya"].shape[0]
    out = {k: np.zeros((n_a, m, T_x)) for k in ("z", "a")}
    out["z_y"] = np.zeros((n_y, m, T_x))
    a_prev = a0
    for t in range(T_x):
        z = np.dot(p["Wax"], x[:, :, t]) + np.dot(p["Waa"], a_prev) + p["ba"]
        a_next = np.tanh(z)
        out["z"][:, :, t], out["a"][:, :, t] = z, a_next
        out["z_y"][:, :, t] = np.dot(p["Wya"], a_next) + p["by"]
        a_prev = a_next
    return out


def reference_lstm(p: dict, x, a0, c0):
    """The LSTM cell on concat = [a<t-1>; x<t>], step by step."""
    n_x, m, T_x = x.shape
    n_a, n_y = p["Wf"].shape[0], p["Wy"].shape[0]
    names = ("a", "c", "f", "u", "o", "c_tilde", "z_f", "z_u", "z_o", "z_c")
    out = {k: np.zeros((n_a, m, T_x)) for k in names}
    out["z_y"] = np.zeros((n_y, m, T_x))
    a_prev, c_prev = a0, c0
    for t in range(T_x):
        concat = np.zeros((n_a + n_x, m))
        concat[:n_a, :] = a_prev
        concat[n_a:, :] = x[:, :, t]
        z_f = np.dot(p["Wf"], concat) + p["bf"]
        z_u = np.dot(p["Wu"], concat) + p["bu"]
        z_c = np.dot(p["Wc"], concat) + p["bc"]
        z_o = np.dot(p["Wo"], concat) + p["bo"]
        forget, update, output = ref_sigmoid(z_f), ref_sigmoid(z_u), ref_sigmoid(z_o)
        candidate = np.tanh(z_c)
        c_next = forget * c_prev + update * candidate
        a_next = output * np.tanh(c_next)
        for name, value in zip(names, (a_next, c_next, forget, update, output, candidate,
                                       z_f, z_u, z_o, z_c), strict=True):
            out[name][:, :, t] = value
        out["z_y"][:, :, t] = np.dot(p["Wy"], a_next) + p["by"]
        a_prev, c_prev = a_next, c_next
    return out


def reference_gru(p: dict, x, a0):
    """The GRU cell of the course (reset before the product), step by step."""
    n_x, m, T_x = x.shape
    n_a, n_y = p["Wr"].shape[0], p["Wy"].shape[0]
    names = ("a", "r", "u", "c_tilde", "z_r", "z_u", "z_c")
    out = {k: np.zeros((n_a, m, T_x)) for k in names}
    out["z_y"] = np.zeros((n_y, m, T_x))
    a_prev = a0
    for t in range(T_x):
        concat = np.zeros((n_a + n_x, m))
        concat[:n_a, :] = a_prev
        concat[n_a:, :] = x[:, :, t]
        z_r = np.dot(p["Wr"], concat) + p["br"]
        z_u = np.dot(p["Wu"], concat) + p["bu"]
        reset, update = ref_sigmoid(z_r), ref_sigmoid(z_u)
        reset_concat = np.zeros((n_a + n_x, m))
        reset_concat[:n_a, :] = reset * a_prev
        reset_concat[n_a:, :] = x[:, :, t]
        z_c = np.dot(p["Wc"], reset_concat) + p["bc"]
        candidate = np.tanh(z_c)
        a_next = update * candidate + (1 - update) * a_prev
        for name, value in zip(names, (a_next, reset, update, candidate, z_r, z_u, z_c),
                               strict=True):
            out[name][:, :, t] = value
        out["z_y"][:, :, t] = np.dot(p["Wy"], a_next) + p["by"]
        a_prev = a_next
    return out


def reference_loss(loss: Loss, z_y, targets):
    """Mean over the counted positions, written as two plain loops."""
    n_y, m, T_x = z_y.shape
    steps = range(T_x) if loss.where == "all" else [T_x - 1]
    total, count = 0.0, 0
    for t in steps:
        for i in range(m):
            if loss.kind == "cross_entropy":
                if targets[i, t] < 0:
                    continue
                total -= np.log(ref_softmax(z_y[:, i, t])[targets[i, t]])
            else:
                total += 0.5 * np.sum((z_y[:, i, t] - targets[:, i, t]) ** 2)
            count += 1
    return total / count if count else 0.0


def random_problem(cell, n_x, n_a, n_y, m, T_x, seed):
    rng = np.random.default_rng(seed)
    params = init_params(cell, n_x, n_a, n_y, rng, weight_scale=1.5)
    for name, value in params.items():  # non-zero biases, so every term is exercised
        if name.startswith("b"):
            value[:] = rng.standard_normal(value.shape)
    x = rng.standard_normal((n_x, m, T_x))
    a0 = rng.standard_normal((n_a, m))
    c0 = rng.standard_normal((n_a, m))
    return params, x, a0, c0


def assert_trace_matches_reference(cell, params, x, a0, c0, output):
    p = params.as_dict()
    if cell == "rnn":
        trace = forward(params, x, a0, output=output)
        ref = reference_rnn(p, x, a0)
    elif cell == "gru":
        trace = forward(params, x, a0, output=output)
        ref = reference_gru(p, x, a0)
    else:
        trace = forward(params, x, a0, c0, output=output)
        ref = reference_lstm(p, x, a0, c0)
        np.testing.assert_allclose(trace.c_prev[:, :, 0], c0, rtol=0, atol=0)
        np.testing.assert_allclose(trace.c_prev[:, :, 1:], ref["c"][:, :, :-1], RTOL, ATOL)
    for name, expected in ref.items():
        np.testing.assert_allclose(getattr(trace, name), expected, RTOL, ATOL, err_msg=name)
    np.testing.assert_allclose(trace.a_prev[:, :, 0], a0, rtol=0, atol=0)
    np.testing.assert_allclose(trace.a_prev[:, :, 1:], ref["a"][:, :, :-1], RTOL, ATOL)
    expected_y = ref_softmax(ref["z_y"]) if output == "softmax" else ref["z_y"]
    np.testing.assert_allclose(trace.y_hat, expected_y, RTOL, ATOL)
    assert trace.a.shape == (params.sizes["n_a"],) + x.shape[1:]


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("output", ["softmax", "linear"])
@pytest.mark.parametrize("sizes", [(3, 5, 2, 4, 6), (1, 1, 1, 1, 1), (2, 1, 3, 1, 5),
                                   (1, 4, 1, 3, 1)])
def test_forward_trace_matches_per_step_reference(cell, output, sizes):
    params, x, a0, c0 = random_problem(cell, *sizes, seed=7)
    assert_trace_matches_reference(cell, params, x, a0, c0, output)


@settings(max_examples=30, deadline=None)
@given(cell=st.sampled_from(["rnn", "lstm"]), n_x=st.integers(1, 4), n_a=st.integers(1, 5),
       n_y=st.integers(1, 4), m=st.integers(1, 3), T_x=st.integers(1, 5),
       seed=st.integers(0, 2**31 - 1))
def test_forward_trace_matches_reference_for_any_shape_and_seed(cell, n_x, n_a, n_y, m, T_x,
                                                                seed):
    params, x, a0, c0 = random_problem(cell, n_x, n_a, n_y, m, T_x, seed)
    assert_trace_matches_reference(cell, params, x, a0, c0, "softmax")


def test_lstm_gates_are_stacked_f_u_o_c_tilde():
    params, x, a0, c0 = random_problem("lstm", 2, 3, 2, 2, 3, seed=3)
    trace = forward(params, x, a0, c0)
    n_a = 3
    np.testing.assert_array_equal(trace.gates[:n_a], trace.f)
    np.testing.assert_array_equal(trace.gates[n_a:2 * n_a], trace.u)
    np.testing.assert_array_equal(trace.gates[2 * n_a:3 * n_a], trace.o)
    np.testing.assert_array_equal(trace.gates[3 * n_a:], trace.c_tilde)
    np.testing.assert_array_equal(trace.z_gates[3 * n_a:], trace.z_c)


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("kind", ["cross_entropy", "squared_error"])
@pytest.mark.parametrize("where", ["all", "last"])
def test_loss_value_matches_reference(cell, kind, where):
    params, x, a0, c0 = random_problem(cell, 3, 4, 3, 4, 5, seed=11)
    rng = np.random.default_rng(5)
    loss = Loss(kind, where)
    if kind == "cross_entropy":
        targets = rng.integers(-1, 3, size=(4, 5))
        targets[:, -1] = rng.integers(0, 3, size=4)  # the last step always counts something
    else:
        targets = rng.standard_normal((3, 4, 5))
    z_y = forward(params, x, a0, c0 if cell == "lstm" else None, output=loss.output).z_y
    expected = reference_loss(loss, z_y, targets)
    assert expected > 0
    value = loss_value(params, x, targets, loss, a0, c0 if cell == "lstm" else None)
    assert value == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_with_every_position_skipped_is_zero_with_zero_gradient():
    z_y = np.random.default_rng(0).standard_normal((3, 2, 4))
    value, dz = loss_and_output_gradient(Loss(), z_y, -np.ones((2, 4), dtype=int))
    assert value == 0.0
    assert not dz.any()


def test_notebook_lstm_example_corrected_matches_reference():
    params, x, a0 = notebook_example("lstm")
    a, y, c, caches = lstm_forward(x, a0, params.as_dict())
    ref = reference_lstm(params.as_dict(), x, a0, np.zeros_like(a0))
    np.testing.assert_allclose(a, ref["a"], RTOL, ATOL)
    np.testing.assert_allclose(c, ref["c"], RTOL, ATOL)
    np.testing.assert_allclose(y, ref_softmax(ref["z_y"]), RTOL, ATOL)


def test_notebook_lstm_concat_bug_matches_reference_fed_the_constant_n_x():
    params, x, a0 = notebook_example("lstm")
    a, y, c, _ = lstm_forward(x, a0, params.as_dict(), reproduce_concat_bug=True)
    ref = reference_lstm(params.as_dict(), np.full_like(x, 3.0), a0, np.zeros_like(a0))
    np.testing.assert_allclose(a, ref["a"], RTOL, ATOL)
    np.testing.assert_allclose(c, ref["c"], RTOL, ATOL)
    np.testing.assert_allclose(y, ref_softmax(ref["z_y"]), RTOL, ATOL)


@pytest.mark.parametrize("y_hat_given", [False, True])
def test_cross_entropy_of_a_confidently_wrong_prediction_is_exact(y_hat_given):
    """softmax rounds the right class's probability to 0 here; the loss must still be the
    exact -log_softmax, not inf, and the gradient softmax - onehot."""
    z_y = np.array([[800.0, 0.0], [0.0, 0.0]])[:, :, None] * np.ones((1, 1, 2))  # (2, 2, 2)
    targets = np.array([[1, 1], [0, 1]])
    y_hat = ref_softmax(z_y) if y_hat_given else None
    value, dz = loss_and_output_gradient(Loss(), z_y, targets, y_hat)
    # column (example 0): log p(class 1) = -800; example 1: log(1/2) at both steps
    expected = (800.0 + 800.0 + 2 * np.log(2.0)) / 4
    assert value == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(dz[:, 0, 0], [0.25, -0.25], rtol=1e-15)
    np.testing.assert_allclose(dz[:, 1, 0], [0.125 - 0.25, 0.125], rtol=1e-15)
