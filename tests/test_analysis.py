"""Step Jacobians against finite differences of the forward step; norms, readout, clipping."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnnviz.engine import analysis, init_params, model, spectral
from rnnviz.engine.cells import CELLS
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import forward, loss_and_gradients

EPS = 1e-6


def _setup(cell, n_x=3, n_a=4, n_y=2, m=3, T_x=5, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    params = init_params(cell, n_x, n_a, n_y, rng, weight_scale=scale)
    x = rng.standard_normal((n_x, m, T_x))
    a0 = rng.standard_normal((n_a, m))
    c0 = rng.standard_normal((n_a, m)) if cell == "lstm" else None
    return params, x, a0, c0, rng


def _numerical_step_jacobian(step, state):
    """Central differences of `step(state) -> next state` (both (n_s,)) column by column."""
    n_s = state.size
    J = np.empty((n_s, n_s))
    for j in range(n_s):
        e = np.zeros(n_s)
        e[j] = EPS
        J[:, j] = (step(state + e) - step(state - e)) / (2 * EPS)
    return J


def _rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def _forward_step(params, trace, example, t):
    """The cell's forward step at step t (0-based) for one example, as s<t-1> -> s<t>."""
    n_a = params.sizes["n_a"]
    xt = trace.x[:, example: example + 1, t]
    cell = CELLS[params.cell]

    def step(s):
        previous = (s[k * n_a: (k + 1) * n_a, None] for k in range(cell.state_size))
        *states, _ = cell.step_forward(xt, *previous, params)
        return np.concatenate([state[:, 0] for state in states])

    return step


def _state_before(params, trace, example, t):
    return np.concatenate([getattr(trace, state + "_prev")[:, example, t]
                           for state in CELLS[params.cell].states])


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("sizes", [(3, 4, 2, 3, 5), (1, 1, 1, 1, 1), (2, 3, 2, 1, 4)])
def test_step_jacobians_match_finite_differences_of_the_forward_step(cell, sizes):
    n_x, n_a, n_y, m, T_x = sizes
    params, x, a0, c0, _ = _setup(cell, n_x, n_a, n_y, m, T_x, scale=1.5)
    trace = forward(params, x, a0, c0)
    for example in range(m):
        J = analysis.step_jacobians(params, trace, example)
        assert J.shape == (T_x, analysis.state_size(params), analysis.state_size(params))
        for t in range(T_x):
            numerical = _numerical_step_jacobian(
                _forward_step(params, trace, example, t),
                _state_before(params, trace, example, t))
            assert _rel(numerical, J[t]) < 1e-7


def test_lstm_jacobian_blocks_hold_the_forget_gate_on_the_cell_path():
    params, x, a0, c0, _ = _setup("lstm")
    trace = forward(params, x, a0, c0)
    J = analysis.step_jacobians(params, trace, 1)
    n_a = 4
    for t in range(x.shape[2]):
        np.testing.assert_allclose(J[t, n_a:, n_a:], np.diag(trace.f[:, 1, t]), atol=1e-15)


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("n_a", [1, 4, 40, 70])
def test_explicit_jacobians_equal_the_forward_mode_applied_to_the_basis(cell, n_a, monkeypatch):
    """The cell's step_jacobian against step_jvp on every basis vector (the way a cell
    without one gets its Jacobians), for many (example, step) pairs at once, at state sizes
    from 1 to 140."""
    params, x, a0, c0, _ = _setup(cell, n_a=n_a, m=3, T_x=4, scale=1.5)
    trace = forward(params, x, a0, c0)
    examples, steps = np.array([0, 2, 1, 2, 0]), np.array([0, 3, 1, 0, 2])
    explicit = analysis.jacobians_of_pairs(params, trace, examples, steps)
    monkeypatch.setitem(CELLS, cell, dataclasses.replace(CELLS[cell], step_jacobian=None))
    by_jvp = analysis.jacobians_of_pairs(params, trace, examples, steps)
    n_s = analysis.state_size(params)
    assert explicit.shape == by_jvp.shape == (5, n_s, n_s)
    np.testing.assert_allclose(explicit, by_jvp, rtol=1e-10, atol=1e-14)
    monkeypatch.undo()
    for k, (e, t) in enumerate(zip(examples, steps, strict=True)):
        np.testing.assert_allclose(explicit[k], analysis.step_jacobians(params, trace, e)[t],
                                   rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("cell", list(CELLS))
def test_step_backward_applies_the_transposed_jacobian(cell):
    params, x, a0, c0, rng = _setup(cell)
    trace = forward(params, x, a0, c0)
    J = analysis.step_jacobians(params, trace, 2)
    description = CELLS[cell]
    for t in range(x.shape[2]):
        previous = [getattr(trace, state + "_prev")[:, 2:3, t] for state in description.states]
        *_, cache = description.step_forward(x[:, 2:3, t], *previous, params)
        w = rng.standard_normal((analysis.state_size(params), 1))
        _, *back, _ = description.step_backward(*np.split(w, description.state_size), cache)
        np.testing.assert_allclose(np.concatenate(back), J[t].T @ w, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", list(CELLS))
def test_jacobian_norms_are_the_spectral_norms(cell):
    params, x, a0, c0, _ = _setup(cell, m=2)
    trace = forward(params, x, a0, c0)
    norms = analysis.jacobian_norms(params, trace)
    assert norms.shape == (2, x.shape[2])
    for e in range(2):
        expected = np.linalg.svd(analysis.step_jacobians(params, trace, e), compute_uv=False)
        np.testing.assert_allclose(norms[e], expected[:, 0], rtol=1e-12)


@pytest.mark.parametrize("cell", list(CELLS))
def test_jacobian_norms_of_large_states_in_small_chunks_are_the_spectral_norms(cell,
                                                                                monkeypatch):
    params, x, a0, c0, _ = _setup(cell, n_a=40, m=2, T_x=5, scale=2.0)
    trace = forward(params, x, a0, c0)
    whole = analysis.jacobian_norms(params, trace)
    n_s = analysis.state_size(params)
    monkeypatch.setattr(analysis, "JACOBIAN_CHUNK_BYTES", 3 * 8 * n_s * n_s)  # 3 per chunk
    chunked = analysis.jacobian_norms(params, trace)
    np.testing.assert_allclose(chunked, whole, rtol=1e-13)
    for e in range(2):
        expected = np.linalg.svd(analysis.step_jacobians(params, trace, e), compute_uv=False)
        np.testing.assert_allclose(whole[e], expected[:, 0], rtol=1e-12)


def _matrices_that_are_hard_to_norm(rng):
    """(8, 50, 50): Gaussian, with the two largest singular values 1e-9 apart, orthogonal
    (all singular values 1), rank one, zero, Gaussian scaled by 1e-200 and by 1e200, and
    symmetric positive definite."""
    n = 50
    gaussian = rng.standard_normal((3, n, n))
    left, _, right = np.linalg.svd(gaussian[1])
    close = left @ np.diag(np.r_[1.0, 1.0 - 1e-9, np.linspace(0.9, 0.1, n - 2)]) @ right
    rank_one = np.outer(gaussian[2, 0], gaussian[2, 1])
    return np.stack([gaussian[0], close, left, rank_one, np.zeros((n, n)),
                     1e-200 * gaussian[1], 1e200 * gaussian[2], gaussian[0].T @ gaussian[0]])


def test_spectral_norms_are_the_largest_singular_values():
    M = _matrices_that_are_hard_to_norm(np.random.default_rng(3))
    expected = np.linalg.svd(M, compute_uv=False)[:, 0]
    np.testing.assert_allclose(spectral.spectral_norms(M), expected, rtol=1e-13)
    assert spectral.spectral_norms(M)[4] == 0.0
    assert spectral.spectral_norms(np.zeros((0, 3, 3))).shape == (0,)


def test_lanczos_norms_are_the_largest_singular_values_from_below(monkeypatch):
    M = _matrices_that_are_hard_to_norm(np.random.default_rng(4))
    expected = np.linalg.svd(M, compute_uv=False)[:, 0]
    estimated = spectral.lanczos_spectral_norms(M)
    np.testing.assert_allclose(estimated, expected, rtol=2 * spectral.LANCZOS_TOLERANCE)
    assert np.all(estimated <= expected * (1 + 1e-13))
    assert estimated[4] == 0.0
    monkeypatch.setattr(spectral, "LANCZOS_CHECKS", (2,))  # none settles: every one exact
    np.testing.assert_allclose(spectral.lanczos_spectral_norms(M), expected, rtol=1e-13)


@pytest.mark.parametrize("cell", list(CELLS))
def test_lanczos_agrees_with_the_exact_norms_of_jacobians_and_their_products(cell):
    params, x, a0, c0, _ = _setup(cell, n_a=40, m=1, T_x=30, scale=1.5)
    trace = forward(params, x, a0, c0)
    J = analysis.step_jacobians(params, trace, 0)
    products = np.array([np.linalg.multi_dot([np.eye(len(J[0])), *J[::-1][: 30 - t]])
                         for t in range(30)])
    for stack in (J, products):
        exact = np.linalg.svd(stack, compute_uv=False)[:, 0]
        np.testing.assert_allclose(spectral.lanczos_spectral_norms(stack), exact,
                                   rtol=2 * spectral.LANCZOS_TOLERANCE)
        np.testing.assert_allclose(spectral.spectral_norms(stack), exact, rtol=1e-12)


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("n_a", [3, 40])
def test_jacobian_readouts_are_the_two_readouts(cell, n_a, monkeypatch):
    params, x, a0, c0, _ = _setup(cell, n_a=n_a, m=2, T_x=8, scale=1.5)
    trace = forward(params, x, a0, c0)
    for limit in (analysis.PRODUCT_MAX_STATE, 2):  # products computed, and not
        monkeypatch.setattr(analysis, "PRODUCT_MAX_STATE", limit)
        norms, actual = analysis.jacobian_readouts(params, trace, 1)
        np.testing.assert_allclose(norms, analysis.jacobian_norms(params, trace, 1)[0],
                                   rtol=1e-13)
        np.testing.assert_allclose(actual, analysis.log10_product_norms(params, trace, 1),
                                   rtol=1e-13)


@pytest.mark.parametrize("cell", [c for c in CELLS if CELLS[c].unit_by_unit])
def test_a_cell_that_carries_its_later_states_unit_by_unit_has_diagonal_jacobian_blocks(cell):
    params, x, a0, c0, _ = _setup(cell, n_a=5, m=2, T_x=4, scale=1.5)
    J = analysis.step_jacobians(params, forward(params, x, a0, c0), 1)
    off_diagonal = ~np.eye(5, dtype=bool)
    for r in range(CELLS[cell].state_size):
        for c in range(1, CELLS[cell].state_size):
            block = J[:, r * 5: (r + 1) * 5, c * 5: (c + 1) * 5]
            assert np.all(block[:, off_diagonal] == 0.0)
    assert analysis.dense_columns(params) == 5


def test_the_lstm_carries_its_cell_state_unit_by_unit_and_the_others_have_one_state():
    assert CELLS["lstm"].unit_by_unit
    assert all(CELLS[c].state_size == 1 for c in CELLS if not CELLS[c].unit_by_unit)


def _dense_then_diagonal(rng, dense, blocks, count=4):
    """(count, n, n), n = dense * blocks: dense columns, then diagonal (dense, dense) blocks;
    and the mask of the entries outside the dense columns and those diagonals."""
    n = dense * blocks
    unread = np.zeros((n, n), dtype=bool)
    unread[:, dense:] = ~np.tile(np.eye(dense, dtype=bool), (blocks, blocks - 1))
    M = rng.standard_normal((count, n, n))
    M[:, unread] = 0.0
    return M, unread


@pytest.mark.parametrize("dense, blocks", [(5, 2), (4, 3), (1, 2), (6, 1)])
def test_gram_and_products_of_dense_then_diagonal_matrices_are_the_whole_ones(dense, blocks):
    rng = np.random.default_rng(dense * blocks)
    M, unread = _dense_then_diagonal(rng, dense, blocks)
    size = np.linalg.norm(M, axis=(1, 2))[:, None, None] ** 2
    np.testing.assert_allclose(spectral.gram(M, dense) / size,
                               M.transpose(0, 2, 1) @ M / size, rtol=0, atol=1e-15)
    product = rng.standard_normal(M.shape[1:])
    out = np.empty_like(product)
    assert spectral.times(product, M[0], dense, out=out) is out
    size = np.linalg.norm(product) * np.linalg.norm(M[0])
    np.testing.assert_allclose(out / size, product @ M[0] / size, rtol=0, atol=1e-15)
    # the entries outside the structure are not read
    noisy = M.copy()
    noisy[:, unread] = rng.standard_normal((M.shape[0], int(unread.sum())))
    np.testing.assert_array_equal(spectral.gram(noisy, dense), spectral.gram(M, dense))
    np.testing.assert_array_equal(spectral.times(product, noisy[0], dense, np.empty_like(out)),
                                  out)


def test_spectral_norms_of_dense_then_diagonal_matrices_are_the_exact_ones():
    M, _ = _dense_then_diagonal(np.random.default_rng(11), 8, 2, count=6)
    M[1] *= 1e-200  # scaled into range first, as any matrix
    M[2] *= 1e200
    M[3] = 0.0
    M[4, :, 8:] = 0.0  # nothing through the later columns
    expected = np.linalg.svd(M, compute_uv=False)[:, 0]
    np.testing.assert_allclose(spectral.spectral_norms(M, 8), expected, rtol=1e-13)
    np.testing.assert_allclose(spectral.spectral_norms(M, 8), spectral.spectral_norms(M),
                               rtol=1e-13)
    assert spectral.spectral_norms(M, 8)[3] == 0.0


@pytest.mark.parametrize("scale, forget_bias", [(1.0, 1.0), (0.5, 3.0), (3.0, 0.0)])
def test_lstm_readouts_from_its_diagonal_blocks_are_those_of_the_whole_jacobians(
        scale, forget_bias):
    """At the Gradient flow page's large size: the readouts are those the whole matrices give
    (the products' and the step norms' eigensolver without the structure) to 1e-10."""
    rng = np.random.default_rng(7)
    params = init_params("lstm", 8, 64, 4, rng, weight_scale=scale, forget_bias=forget_bias)
    trace = forward(params, rng.standard_normal((8, 2, 60)), rng.standard_normal((64, 2)),
                    rng.standard_normal((64, 2)))
    norms, actual = analysis.jacobian_readouts(params, trace, 1)
    J = analysis.step_jacobians(params, trace, 1)
    np.testing.assert_allclose(norms, spectral.spectral_norms(J), rtol=1e-10)
    whole = analysis._log10_product_norms(J)
    assert np.all(np.isfinite(actual)) and np.all(np.isfinite(whole))
    np.testing.assert_allclose(10.0 ** (actual - whole), 1.0, rtol=1e-10)


def test_rnn_jacobian_norm_is_zero_when_tanh_saturates():
    params, x, a0, _, _ = _setup("rnn", n_x=1, n_a=2, m=1, T_x=2)
    params.Wax[:] = 1e4  # |z| huge, so 1 - a^2 == 0 exactly
    trace = forward(params, np.ones((1, 1, 2)), np.zeros((2, 1)))
    np.testing.assert_array_equal(analysis.jacobian_norms(params, trace, 0), 0.0)


def test_log10_norm_product_sums_the_logs_of_the_later_steps():
    readout = analysis.log10_norm_product(np.array([10.0, 0.1, 100.0]))
    np.testing.assert_allclose(readout, [2.0, 1.0, 2.0, 0.0])
    both = analysis.log10_norm_product(np.array([[0.5, 0.5], [2.0, 0.0]]))
    np.testing.assert_allclose(both[0], [2 * np.log10(0.5), np.log10(0.5), 0.0])
    assert both[1, 1] == -300.0 and both[1, 0] == pytest.approx(np.log10(2) - 300)


@pytest.mark.parametrize("cell", list(CELLS))
def test_norm_product_bounds_how_much_gradient_reaches_back(cell):
    params, x, a0, c0, _ = _setup(cell, n_a=6, m=3, T_x=12, scale=1.2)
    n_y, m, T_x = 2, 3, 12
    targets = np.random.default_rng(5).integers(0, n_y, (m, T_x))
    trace, bp = loss_and_gradients(params, x, targets, Loss("cross_entropy", "last"), a0, c0)
    if bp.dC is None:  # the hidden state is the only state
        state_grad = bp.dA
    else:  # dL/dc<t> holding a<t> fixed: what reaches c<t> through c<t+1> only
        through_next = np.zeros_like(bp.dC)
        through_next[:, :, :-1] = bp.dC[:, :, 1:] * trace.f[:, :, 1:]
        state_grad = np.concatenate([bp.dA, through_next], axis=0)
    norms = np.linalg.norm(state_grad, axis=0)  # (m, T_x)
    readout = analysis.log10_norm_product(analysis.jacobian_norms(params, trace))
    bound = norms[:, -1:] * 10.0 ** readout[:, 1:]  # entry t is state t, dA[..., t-1]
    assert np.all(norms <= bound * (1 + 1e-9))
    assert np.all(norms[:, :-1] < bound[:, :-1])  # the bound is not an identity
    for e in range(m):  # the norm of the product is a tighter bound, below the product of norms
        actual = analysis.log10_product_norms(params, trace, e)
        assert np.all(norms[e] <= norms[e, -1] * 10.0 ** actual[1:] * (1 + 1e-9))
        assert np.all(actual <= readout[e] + 1e-9)


def test_product_norms_are_the_norms_of_the_products_of_the_jacobians():
    params, x, a0, c0, _ = _setup("lstm", n_a=3, m=2, T_x=4)
    trace = forward(params, x, a0, c0)
    J = analysis.step_jacobians(params, trace, 1)
    expected = [np.linalg.norm(np.linalg.multi_dot([np.eye(6), *J[::-1][: 4 - t]]), 2)
                for t in range(4)]
    np.testing.assert_allclose(10.0 ** analysis.log10_product_norms(params, trace, 1),
                               [*expected, 1.0], rtol=1e-10)


def test_product_norms_survive_products_that_would_underflow():
    params, x, a0, _, _ = _setup("rnn", n_x=1, n_a=2, m=1, T_x=200)
    params.Waa[:] = [[0.01, 0.0], [0.0, 0.02]]  # 0.02^200 = 1e-340 is below float64's range
    trace = forward(params, x[:1], np.zeros((2, 1)))
    logs = analysis.log10_product_norms(params, trace, 0)
    assert np.all(np.isfinite(logs)) and logs[0] < -330
    np.testing.assert_allclose(np.diff(logs)[:-1], -np.log10(0.02), atol=0.05)


def test_product_norms_are_not_computed_for_large_states(monkeypatch):
    params, x, a0, c0, _ = _setup("rnn", n_a=4, m=1, T_x=3)
    trace = forward(params, x, a0, c0)
    monkeypatch.setattr(analysis, "PRODUCT_MAX_STATE", 3)
    logs = analysis.log10_product_norms(params, trace, 0)
    assert np.all(np.isnan(logs[:3])) and logs[3] == 0.0


def test_examples_out_of_range_are_refused():
    params, x, a0, c0, _ = _setup("rnn", m=2)
    trace = forward(params, x, a0, c0)
    for bad in (2, -1, [], [0, 5]):
        with pytest.raises(ValueError, match="examples must be indices"):
            analysis.jacobian_norms(params, trace, bad)


def test_gradient_norms_are_frobenius_norms_per_parameter():
    params, _, _, _, _ = _setup("rnn")
    grads = params.map(lambda w: np.full_like(w, 2.0))
    norms = analysis.gradient_norms(grads)
    assert list(norms) == ["Wax", "Waa", "ba", "Wya", "by"]
    assert norms["Waa"] == pytest.approx(2.0 * 4)  # 16 entries of 2
    assert norms["ba"] == pytest.approx(2.0 * 2)


def test_clipping_scales_every_gradient_to_the_threshold_and_keeps_direction():
    params, x, a0, c0, _ = _setup("lstm")
    grads = params.map(lambda w: 3.0 * w)
    raw = grads.global_norm()
    report = analysis.clip_report(grads, raw / 4)
    assert report.clipped and report.scale == pytest.approx(0.25)
    assert report.raw_norm == pytest.approx(raw)
    assert report.clipped_norm == pytest.approx(raw / 4)
    for name, g in report.grads.items():
        np.testing.assert_allclose(g, 0.25 * getattr(grads, name))
        assert report.clipped_norms[name] == pytest.approx(0.25 * report.raw_norms[name])


def test_clipping_below_the_threshold_changes_nothing():
    params, *_ = _setup("rnn")
    report = analysis.clip_report(params, params.global_norm() * 1.01)
    assert not report.clipped and report.scale == 1.0
    assert report.clipped_norm == pytest.approx(report.raw_norm)
    np.testing.assert_array_equal(report.grads.Waa, params.Waa)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_clipping_refuses_a_threshold_that_is_not_positive_and_finite(bad):
    params, *_ = _setup("rnn")
    with pytest.raises(ValueError, match="threshold"):
        analysis.clip_report(params, bad)


def _summed(grads_list):
    first = grads_list[0]
    return first.map(lambda _: 0.0) if not grads_list else type(first)(**{
        name: sum(getattr(g, name) for g in grads_list) for name in first.names()})


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("kind", ["cross_entropy", "squared_error"])
def test_per_step_gradients_sum_to_the_full_gradient(cell, kind):
    params, x, a0, c0, rng = _setup(cell, m=3, T_x=6)
    if kind == "cross_entropy":
        targets = rng.integers(-1, 2, (3, 6))  # some positions skipped
    else:
        targets = rng.standard_normal((2, 3, 6))
    loss = Loss(kind, "all")
    _, full = loss_and_gradients(params, x, targets, loss, a0, c0)
    per_step = analysis.per_step_gradients(params, x, targets, loss, a0, c0)
    assert len(per_step) == 6
    for name, g in _summed(per_step).items():
        np.testing.assert_allclose(g, getattr(full.grads, name), rtol=1e-10, atol=1e-14)


def test_per_step_gradients_with_the_loss_at_the_last_step_only():
    params, x, a0, _, rng = _setup("rnn", m=2, T_x=4)
    targets = rng.integers(0, 2, (2, 4))
    loss = Loss("cross_entropy", "last")
    _, full = loss_and_gradients(params, x, targets, loss, a0)
    per_step = analysis.per_step_gradients(params, x, targets, loss, a0, steps=[1, 4])
    assert per_step[0].global_norm() == 0.0
    np.testing.assert_allclose(per_step[1].Waa, full.grads.Waa, rtol=1e-12)


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_first_steps_of_a_trace_are_the_forward_pass_over_the_first_inputs(cell):
    params, x, a0, c0, _ = _setup(cell, m=3, T_x=7)
    trace = forward(params, x, a0, c0)
    for t in (1, 4, 7):
        alone = forward(params, x[:, :, :t], a0, c0)
        first = trace.first(t)
        assert first.time_major is not None and first.time_major.hold(first)  # no copy
        for name in trace.arrays():
            np.testing.assert_array_equal(getattr(first, name), getattr(alone, name))
        # BPTT reads the buffers: the same gradients, bit for bit
        targets = np.zeros((3, t), dtype=int)
        mine, theirs = (model.backward(params, tr, targets, Loss("cross_entropy", "last"))
                        for tr in (first, alone))
        for name, g in mine.grads.items():
            np.testing.assert_array_equal(g, getattr(theirs.grads, name))
        np.testing.assert_array_equal(mine.dA, theirs.dA)


def test_per_step_gradients_run_one_forward_pass(monkeypatch):
    params, x, a0, c0, rng = _setup("lstm", m=3, T_x=6)
    calls = []
    monkeypatch.setattr(analysis, "forward",
                        lambda *args, **kw: calls.append(1) or forward(*args, **kw))
    analysis.per_step_gradients(params, x, rng.integers(0, 2, (3, 6)),
                                Loss("cross_entropy", "all"), a0, c0)
    assert len(calls) == 1


def test_a_step_with_every_label_skipped_has_no_gradient_and_bad_steps_are_refused():
    params, x, a0, _, _ = _setup("lstm", m=2, T_x=3)
    targets = np.array([[1, -1, 0], [0, -1, 1]])
    per_step = analysis.per_step_gradients(params, x, targets, Loss(), a0, steps=[2, 3])
    assert per_step[0].global_norm() == 0.0 and per_step[1].global_norm() > 0.0
    with pytest.raises(ValueError, match="steps must be a whole number from 1 to 3"):
        analysis.per_step_gradients(params, x, targets, Loss(), a0, steps=[4])


def test_late_steps_have_the_largest_gradients_when_gradients_explode():
    rng = np.random.default_rng(3)
    params = init_params("rnn", 3, 16, 2, rng, weight_scale=0.1, spectral_radius=3.0)
    x = rng.standard_normal((3, 4, 30))
    targets = rng.integers(0, 2, (4, 30))
    norms = [g.global_norm() for g in
             analysis.per_step_gradients(params, x, targets, Loss(), steps=[1, 10, 30])]
    assert norms[0] < norms[1] < norms[2] and norms[2] > 100 * norms[0]
