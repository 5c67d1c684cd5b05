"""The readable step pairs against the fused sequence kernel and against central differences.

Each cell module opens with rnn_step_forward / rnn_step_backward (lstm_...), the equations a
student reads, and runs sequences through a private fused kernel. Looping the pair over t
must give the fused forward's states and gates and the fused BPTT's gradients to 1e-12, on
random sizes including the edge ones (n_a = 1, m = 1, T_x = 1); the pair's own gradients and
its forward-mode step must match central differences.
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rnnviz.engine import CELLS, init_params
from rnnviz.engine.model import forward, hidden_backward

SAME = {"rtol": 1e-12, "atol": 1e-12}
TOLERANCE = 1e-7
EPS = 1e-5

sizes = {"n_x": st.integers(1, 4), "n_a": st.integers(1, 5), "m": st.integers(1, 4),
         "T_x": st.integers(1, 6), "seed": st.integers(0, 2**31 - 1)}


def problem(cell, n_x, n_a, m, T_x, seed):
    """Parameters with non-zero biases, inputs, initial states and an upstream dA."""
    rng = np.random.default_rng(seed)
    params = init_params(cell, n_x, n_a, 2, rng, weight_scale=1.2)
    for name, value in params.items():
        if name.startswith("b"):
            value[:] = 0.5 * rng.standard_normal(value.shape)
    x = rng.standard_normal((n_x, m, T_x))
    initial = [rng.standard_normal((n_a, m)) for _ in CELLS[cell].states]
    dA_out = rng.standard_normal((n_a, m, T_x))
    return params, x, initial, dA_out, rng


def loop_forward(cell, params, x, initial):
    """The step forward over t = 1..T_x: the caches, one per step."""
    states, caches = list(initial), []
    for t in range(x.shape[2]):
        *states, cache = cell.step_forward(x[:, :, t], *states, params)
        caches.append(cache)
    return caches


def loop_backward(cell, caches, dA_out):
    """The step backward over t = T_x..1, with dA_out arriving at every a<t> from outside:
    the summed parameter gradients, dx, the initial states' gradients and dA."""
    n_a, m, T_x = dA_out.shape
    from_later = [np.zeros((n_a, m)) for _ in cell.states]  # gradients from step t + 1
    grads, dx, dA = {}, [], np.empty_like(dA_out)
    for t in range(T_x - 1, -1, -1):
        from_later[0] = from_later[0] + dA_out[:, :, t]  # the first state is a
        dA[:, :, t] = from_later[0]
        dxt, *from_later, step_grads = cell.step_backward(*from_later, caches[t])
        dx.insert(0, dxt)
        for name, grad in step_grads.items():
            grads[name] = grads.get(name, 0.0) + grad
    initial = {"d" + state + "0": d for state, d in zip(cell.states, from_later, strict=True)}
    return grads, np.stack(dx, axis=2), initial, dA


def traced_value(cell, cache, name):
    """A trace's sequence `name` at one step, as the step's cache holds it."""
    return getattr(cache, name + "_next" if name in cell.states else name)


@pytest.mark.parametrize("cell_name", list(CELLS))
@settings(max_examples=40, deadline=None)
@given(**sizes)
@example(n_x=1, n_a=1, m=1, T_x=1, seed=0)
@example(n_x=3, n_a=1, m=2, T_x=4, seed=1)
@example(n_x=2, n_a=4, m=1, T_x=3, seed=2)
def test_looping_the_step_pair_reproduces_the_fused_forward_and_bptt(cell_name, n_x, n_a, m,
                                                                     T_x, seed):
    cell = CELLS[cell_name]
    params, x, initial, dA_out, _ = problem(cell_name, n_x, n_a, m, T_x, seed)
    trace = forward(params, x, *initial)
    caches = loop_forward(cell, params, x, initial)
    for name in cell.sequences:
        looped = np.stack([traced_value(cell, cache, name) for cache in caches], axis=2)
        np.testing.assert_allclose(looped, getattr(trace, name), **SAME, err_msg=name)

    fused = hidden_backward(params, trace, dA_out)
    grads, dx, initial_grads, dA = loop_backward(cell, caches, dA_out)
    assert set(grads) == {"d" + name for p in cell.projections for name in (*p.weights, p.bias)}
    for name, grad in {**grads, **initial_grads, "dx": dx, "dA": dA}.items():
        np.testing.assert_allclose(grad, fused[name], **SAME, err_msg=name)


@settings(max_examples=25, deadline=None)
@given(**sizes)
@example(n_x=1, n_a=1, m=1, T_x=1, seed=0)
def test_the_lstm_cell_state_flow_is_the_pairs_total_dc(n_x, n_a, m, T_x, seed):
    """dC<t>, the total dL/dc<t> of the fused BPTT, is the first line of the step backward:
    dc = dc<t+1->t> + da<t> o (1 - tanh(c<t>)^2), with dc<t+1->t> the later step's dc_prev."""
    cell = CELLS["lstm"]
    params, x, initial, dA_out, _ = problem("lstm", n_x, n_a, m, T_x, seed)
    fused = hidden_backward(params, forward(params, x, *initial), dA_out)
    caches = loop_forward(cell, params, x, initial)
    dc_later = np.zeros((n_a, m))
    for t in range(T_x - 1, -1, -1):
        cache, da = caches[t], fused["dA"][:, :, t]
        dc = dc_later + da * cache.o * (1 - np.tanh(cache.c_next) ** 2)
        np.testing.assert_allclose(dc, fused["dC"][:, :, t], **SAME)
        dc_later = cell.step_backward(da, dc_later, cache)[2]


def rel_error(numerical, analytic):
    numerical, analytic = np.ravel(numerical), np.ravel(analytic)
    denominator = np.linalg.norm(numerical) + np.linalg.norm(analytic)
    return 0.0 if denominator == 0 else np.linalg.norm(numerical - analytic) / denominator


def assert_matches(numerical, analytic, name):
    """Relative error < 1e-7, or, where the derivative is so small (a saturated tanh, say)
    that central differences cannot resolve it, an absolute error below their own noise
    (~1e-16 |L| / eps)."""
    assert np.shape(analytic) == np.shape(numerical), name
    error = rel_error(numerical, analytic)
    assert error < TOLERANCE or np.linalg.norm(numerical - analytic) < 1e-9, (name, error)


def central_differences(scalar, array):
    """d scalar() / d array; `array` is perturbed in place and restored."""
    numerical = np.zeros(array.shape)
    for i in np.ndindex(array.shape):
        original = array[i]
        array[i] = original + EPS
        plus = scalar()
        array[i] = original - EPS
        minus = scalar()
        array[i] = original
        numerical[i] = (plus - minus) / (2 * EPS)
    return numerical


@pytest.mark.parametrize("cell_name", list(CELLS))
@settings(max_examples=20, deadline=None)
@given(n_x=sizes["n_x"], n_a=sizes["n_a"], m=sizes["m"], seed=sizes["seed"])
@example(n_x=1, n_a=1, m=1, seed=0)
def test_step_backward_matches_central_differences(cell_name, n_x, n_a, m, seed):
    """L = sum over the next states of upstream * state; every input of the step checked."""
    cell = CELLS[cell_name]
    params, x, previous, _, rng = problem(cell_name, n_x, n_a, m, 1, seed)
    xt = x[:, :, 0].copy()
    upstream = [rng.standard_normal((n_a, m)) for _ in cell.states]

    def scalar():
        *states, _ = cell.step_forward(xt, *previous, params)
        return float(sum(np.sum(u * s) for u, s in zip(upstream, states, strict=True)))

    *_, cache = cell.step_forward(xt, *previous, params)
    dxt, *d_previous, grads = cell.step_backward(*upstream, cache)
    checks = [(xt, dxt, "dxt")]
    checks += [(state, d, "d" + name + "_prev")
               for state, d, name in zip(previous, d_previous, cell.states, strict=True)]
    checks += [(getattr(params, key[1:]), grad, key) for key, grad in grads.items()]
    for array, analytic, name in checks:
        assert_matches(central_differences(scalar, array), analytic, name)


@pytest.mark.parametrize("cell_name", list(CELLS))
@settings(max_examples=20, deadline=None)
@given(n_x=sizes["n_x"], n_a=sizes["n_a"], m=sizes["m"], seed=sizes["seed"])
@example(n_x=1, n_a=1, m=1, seed=0)
def test_step_jvp_is_the_directional_derivative_and_the_adjoint_of_step_backward(
        cell_name, n_x, n_a, m, seed):
    """J v matches (step(s + eps v) - step(s - eps v)) / (2 eps), and <w, J v> = <J^T w, v>
    with J^T w from the step backward."""
    cell = CELLS[cell_name]
    params, x, previous, _, rng = problem(cell_name, n_x, n_a, m, 1, seed)
    xt = x[:, :, 0]
    v = [rng.standard_normal((n_a, m)) for _ in cell.states]
    w = [rng.standard_normal((n_a, m)) for _ in cell.states]
    *_, cache = cell.step_forward(xt, *previous, params)
    moved = cell.step_jvp(*v, cache)
    moved = list(moved) if isinstance(moved, tuple) else [moved]

    def step(sign):
        shifted = [s + sign * EPS * d for s, d in zip(previous, v, strict=True)]
        return cell.step_forward(xt, *shifted, params)[:-1]

    for plus, minus, analytic in zip(step(1), step(-1), moved, strict=True):
        assert_matches((plus - minus) / (2 * EPS), analytic, "J v")
    _, *back, _ = cell.step_backward(*w, cache)
    forward_side = sum(np.vdot(a, b) for a, b in zip(w, moved, strict=True))
    backward_side = sum(np.vdot(a, b) for a, b in zip(back, v, strict=True))
    assert forward_side == pytest.approx(backward_side, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("cell_name", list(CELLS))
@settings(max_examples=20, deadline=None)
@given(n_x=sizes["n_x"], n_a=st.integers(1, 40), m=sizes["m"], seed=sizes["seed"])
@example(n_x=1, n_a=1, m=1, seed=0)
@example(n_x=3, n_a=40, m=2, seed=1)
def test_step_jacobian_is_the_matrix_of_step_jvp(cell_name, n_x, n_a, m, seed):
    """Column j of example i's J<t> is step_jvp of the basis vector e_j, to 1e-10, with the
    states stacked in the description's order."""
    cell = CELLS[cell_name]
    params, x, previous, _, _ = problem(cell_name, n_x, n_a, m, 1, seed)
    *_, cache = cell.step_forward(x[:, :, 0], *previous, params)
    J = cell.step_jacobian(cache)
    n_s = cell.state_size * n_a
    assert J.shape == (m, n_s, n_s)
    for j in range(n_s):
        basis = np.zeros((n_s, m))
        basis[j] = 1.0
        moved = cell.step_jvp(*np.split(basis, cell.state_size), cache)
        moved = np.concatenate(moved) if isinstance(moved, tuple) else moved  # (n_s, m)
        np.testing.assert_allclose(J[:, :, j], moved.T, rtol=1e-10, atol=1e-14)
