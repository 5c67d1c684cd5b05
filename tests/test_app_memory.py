"""The Memory map page's words and numbers (rnnviz.app.memory)."""

import numpy as np
import pytest

from rnnviz.app import memory


def test_the_principal_components_find_the_directions_the_states_spread_in():
    rng = np.random.default_rng(0)
    along = np.array([3.0, 4.0, 0.0]) / 5.0
    across = np.array([0.0, 0.0, 1.0])
    t = rng.standard_normal((2, 200))
    states = (np.outer(along, 10 * t[0]) + np.outer(across, t[1]) + 7.0).reshape(3, 20, 10)
    mean, components, share = memory.principal_components(states, 3)
    np.testing.assert_allclose(mean, 7.0 * np.ones(3), atol=1.0)
    assert abs(components[0] @ along) == pytest.approx(1.0, abs=1e-3)
    assert abs(components[1] @ across) == pytest.approx(1.0, abs=1e-2)
    np.testing.assert_allclose(components @ components.T, np.eye(3), atol=1e-12)
    assert share[0] > 0.95 and share[2] < 1e-20 and share.sum() == pytest.approx(1.0)
    flat = memory.project(states, mean, components)
    assert flat.shape == (3, 20, 10)
    np.testing.assert_allclose(flat[:2], memory.project(
        states, *memory.principal_components(states, 2)[:2]), atol=1e-9)
    np.testing.assert_allclose(   # the variance each component holds is its share
        flat.reshape(3, -1).var(axis=1) / states.reshape(3, -1).var(axis=1).sum(), share,
        atol=1e-12)


def test_a_single_state_has_no_components_and_no_variance():
    mean, components, share = memory.principal_components(np.ones((4, 1, 1)), 3)
    assert np.all(share == 0) and components.shape == (3, 4)
    _, components, share = memory.principal_components(np.ones((2, 3, 1)) * [[[1], [2], [4]]], 3)
    assert components.shape == (3, 2) and np.all(components[2] == 0)   # 2 directions at most


def test_reach_is_the_oldest_input_still_heard():
    S = np.tril(np.ones((5, 5)))
    S[-1] = [1e-4, 0.02, 0.5, 0.9, 1.0]
    assert memory.reach(S) == 2 and memory.reach(S, fraction=0.5) == 3


def test_the_fixed_point_search_starts_from_fewer_states_as_the_state_grows():
    assert memory.search_starts(5) == memory.SEARCH_STARTS == 128
    assert memory.search_starts(memory.FULL_SEARCH_STATE) == 128
    assert memory.search_starts(128) == 32        # the LSTM at n_a = 64
    assert memory.search_starts(10_000) == 8      # never fewer than 8
    counts = [memory.search_starts(n) for n in range(1, memory.SEARCH_MAX_STATE + 1)]
    assert counts == sorted(counts, reverse=True)


def test_a_search_that_found_nothing_says_so_in_words():
    said = memory.points_sentence([], np.array([0.5, 0.2]))
    assert "no fixed or slow point" in said and "0 stable" not in said
    assert "the slowest" not in said   # not known
    said = memory.points_sentence([], np.array([0.5, 0.2]), 0.0712)
    assert "the slowest by 0.071 a step" in said and "less than 0.014" in said
    assert "the slowest" not in memory.points_sentence([], np.array([0.5, 0.2]), np.inf)
