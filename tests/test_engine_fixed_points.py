"""Fixed points and slow points (rnnviz.engine.fixed_points): a network whose fixed points
are known by hand (Waa = 3 I: nine, four of them stable), F(s*) = s* to round-off for every
cell, and the refusals."""

import itertools

import numpy as np
import pytest

from rnnviz.engine import CELLS, forward, init_params
from rnnviz.engine.fixed_points import find_state_points, search_state_points
from rnnviz.engine.one_unit import one_unit_fixed_points
from rnnviz.engine.params import Params


def two_bits() -> Params:
    """An RNN with two independent units a = tanh(3 a): each has -a*, 0, a* as fixed points."""
    params = init_params("rnn", 1, 2, 1, np.random.default_rng(0))
    return params.__class__(Wax=np.zeros((2, 1)), Waa=3.0 * np.eye(2), ba=np.zeros((2, 1)),
                            Wya=params.Wya, by=params.by)


def test_the_nine_fixed_points_of_two_independent_bits_and_which_are_stable():
    grid = np.linspace(-1.0, 1.0, 9)
    starts = np.array(list(itertools.product(grid, grid))).T   # (2, 81)
    points = find_state_points(two_bits(), starts, iterations=200)
    low, middle, high = (p.a for p in one_unit_fixed_points(3.0, 0.0, 0.0, 0.0))
    expected = {(a, b) for a in (low, middle, high) for b in (low, middle, high)}
    found = [p for p in points if p.fixed]
    assert len(found) == 9
    for point in found:
        nearest = min(expected, key=lambda e: np.linalg.norm(point.state - e))
        np.testing.assert_allclose(point.state, nearest, atol=1e-12)
        corner = abs(nearest[0]) > 0.5 and abs(nearest[1]) > 0.5
        assert point.stable == corner   # the four corners hold; the saddles and 0 do not
        assert point.speed < 1e-10


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_every_fixed_point_found_maps_to_itself(cell):
    rng = np.random.default_rng(3)
    params = init_params(cell, 3, 5, 2, rng, weight_scale=2.5)
    n_s = 5 * len(CELLS[cell].states)
    points = find_state_points(params, rng.uniform(-1, 1, (n_s, 40)), iterations=300)
    assert any(p.fixed for p in points)
    step = CELLS[cell].step_forward
    for point in points:
        parts = [point.state[i * 5:(i + 1) * 5, None] for i in range(len(CELLS[cell].states))]
        following = np.concatenate(step(np.zeros((3, 1)), *parts, params)[:-1])[:, 0]
        gap = np.linalg.norm(following - point.state)
        assert gap == pytest.approx(point.speed, abs=1e-14)
        if point.fixed:
            assert gap < 1e-10
        assert list(np.abs(point.eigenvalues)) == sorted(np.abs(point.eigenvalues), reverse=True)
        # they are the eigenvalues of the step's Jacobian at this point (central differences)
        jacobian = np.column_stack([(_state_step(step, params, point.state + h)
                                     - _state_step(step, params, point.state - h)) / 2e-6
                                    for h in 1e-6 * np.eye(n_s)])
        for value in np.linalg.eigvals(jacobian):
            assert np.min(np.abs(point.eigenvalues - value)) < 1e-5


def _state_step(step, params, state: np.ndarray) -> np.ndarray:
    """The cell's state after one step from `state` (its states stacked) with a zero input."""
    n_a = params.sizes["n_a"]
    parts = [state[i * n_a:(i + 1) * n_a, None] for i in range(state.size // n_a)]
    return np.concatenate(step(np.zeros((params.sizes["n_x"], 1)), *parts, params)[:-1])[:, 0]


@pytest.mark.parametrize(("starts", "match"), [(np.zeros((3, 4)), "shape"),
                                               (np.zeros((2, 0)), "shape"),
                                               (np.full((2, 3), np.nan), "finite")])
def test_bad_starts_are_refused(starts, match):
    with pytest.raises(ValueError, match=match):
        find_state_points(two_bits(), starts)


def test_a_network_slow_almost_everywhere_gives_a_few_slow_points_not_a_cloud():
    from rnnviz.engine.fixed_points import MAX_SLOW_POINTS, SLOW_MERGE_DISTANCE

    rng = np.random.default_rng(1)
    params = init_params("lstm", 3, 32, 2, rng, forget_bias=5.0)   # f near 1: c hardly moves
    trace = forward(params, rng.standard_normal((3, 8, 20)))
    visited = np.concatenate([trace.a, trace.c]).reshape(64, -1)
    points = find_state_points(params, visited[:, rng.choice(160, 128, replace=False)],
                               iterations=500)
    slow = [p for p in points if not p.fixed]
    assert 0 < len(slow) <= MAX_SLOW_POINTS
    for i, p in enumerate(slow):
        for q in slow[i + 1:]:
            assert np.linalg.norm(p.state - q.state) >= SLOW_MERGE_DISTANCE
    assert [p.speed for p in slow] == sorted(p.speed for p in slow)


def test_newton_polishes_a_large_lstm_whose_determinant_underflows():
    """At n_a = 64 the LSTM's state has 128 numbers, and det(J - I) at its fixed point is far
    below any fixed threshold (each of 128 factors is about 0.5) while J - I is well
    conditioned: the polish must still reach F(s*) = s* to round-off."""
    rng = np.random.default_rng(5)
    params = init_params("lstm", 2, 64, 2, rng, weight_scale=0.3)
    starts = rng.uniform(-0.2, 0.2, (128, 16))
    points = find_state_points(params, starts, iterations=300)
    fixed = [p for p in points if p.fixed]
    assert len(fixed) == 1 and fixed[0].stable
    assert fixed[0].speed < 1e-10
    # the determinant the polish would have had to trust
    jac_minus_identity = np.abs(fixed[0].eigenvalues - 1.0)
    assert np.prod(jac_minus_identity) < 1e-12



def test_the_search_tells_how_slow_its_slowest_end_point_was():
    grid = np.linspace(-1.0, 1.0, 5)
    starts = np.array(list(itertools.product(grid, grid))).T   # (2, 25)
    found = search_state_points(two_bits(), starts, iterations=200)
    assert [p.state.tolist() for p in found.points] == [
        p.state.tolist() for p in find_state_points(two_bits(), starts, iterations=200)]
    assert found.slowest == min(p.speed for p in found.points) < 1e-10   # a fixed point
    # F(s) = tanh(20) = 1 everywhere: its one fixed point (1, 1) lies beyond the polish's
    # reach from starts around (-5, -5), so no point is found, and the slowest start
    # (-4, -4) still moves by its distance to (1, 1)
    params = two_bits()
    constant = params.__class__(Wax=params.Wax, Waa=np.zeros((2, 2)), ba=np.full((2, 1), 20.0),
                                Wya=params.Wya, by=params.by)
    away = search_state_points(constant, starts - 5.0, iterations=0)
    assert away.points == []
    assert away.slowest == pytest.approx(5 * np.sqrt(2), rel=1e-12)
