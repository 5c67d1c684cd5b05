"""Each cell's state map (Cell.state_map), the step that the fixed-point search takes many
times, gives the readable step's numbers: F(s) as step_forward, J^T v as step_backward."""

import numpy as np
import pytest

from rnnviz.engine import CELLS, init_params

SIZES = [(3, 5, 7), (4, 16, 33)]   # (n_x, n_a, K)


def _readable(cell, params, x, states, v):
    """F(s) and J^T v by the cell's step_forward and step_backward."""
    n_a = params.sizes["n_a"]
    parts = [states[k * n_a:(k + 1) * n_a] for k in range(len(cell.states))]
    *following, cache = cell.step_forward(x, *parts, params)
    cotangents = [v[k * n_a:(k + 1) * n_a] for k in range(len(cell.states))]
    _, *previous, _ = cell.step_backward(*cotangents, cache)
    return np.concatenate(following), np.concatenate(previous)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("n_x, n_a, K", SIZES)
def test_the_state_map_is_the_readable_step_and_its_backward(cell, n_x, n_a, K):
    rng = np.random.default_rng(n_a)
    description = CELLS[cell]
    params = init_params(cell, n_x, n_a, 2, rng, weight_scale=1.5)
    n_s = n_a * len(description.states)
    x = rng.standard_normal((n_x, K))
    states, v = rng.uniform(-2, 2, (n_s, K)), rng.standard_normal((n_s, K))
    following, pullback = description.state_map(params, x)(states)
    expected_following, expected_pullback = _readable(description, params, x, states, v)
    np.testing.assert_allclose(following, expected_following, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(pullback(v), expected_pullback, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("cell", CELLS)
def test_the_state_maps_pullback_is_the_transpose_of_the_step_jacobian(cell):
    rng = np.random.default_rng(1)
    description = CELLS[cell]
    params = init_params(cell, 2, 4, 2, rng)
    n_s = 4 * len(description.states)
    x, states = rng.standard_normal((2, 3)), rng.uniform(-1, 1, (n_s, 3))
    step = description.state_map(params, x)
    _, pullback = step(states)
    # J column by column, by central differences of F
    h = 1e-6
    for k in range(3):
        J = np.empty((n_s, n_s))
        for j in range(n_s):
            e = np.zeros((n_s, 3))
            e[j, k] = h
            J[:, j] = ((step(states + e)[0] - step(states - e)[0]) / (2 * h))[:, k]
        v = rng.standard_normal((n_s, 3))
        np.testing.assert_allclose(pullback(v)[:, k], J.T @ v[:, k], rtol=1e-6, atol=1e-8)
