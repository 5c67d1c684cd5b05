"""The memory map, rnnviz.engine.input_saliency: S[t, s] = ||d y_hat<t> / d x<s>||_F of one
example, checked against central differences of the forward pass for every cell, both
output layers, n_y above and below n_a (the QR path), and its refusals."""

import numpy as np
import pytest

from rnnviz.engine import CELLS, forward, init_params, input_saliency

EPS = 1e-6


def numerical_saliency(params, x, initial, example, output):
    """S by central differences: every input entry of the example moved by +-EPS."""
    n_x, _, T_x = x.shape
    jac = np.zeros((T_x, T_x, params.sizes["n_y"], n_x))  # [t, s, output entry, input entry]
    for s in range(T_x):
        for i in range(n_x):
            ys = []
            for sign in (1, -1):
                moved = x.copy()
                moved[i, example, s] += sign * EPS
                ys.append(forward(params, moved, output=output, **initial).y_hat[:, example])
            jac[:, s, :, i] = ((ys[0] - ys[1]) / (2 * EPS)).T
    return np.sqrt((jac ** 2).sum(axis=(2, 3)))


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize(("n_x", "n_a", "n_y"), [(3, 5, 2), (2, 3, 6)])  # n_y < and > n_a
@pytest.mark.parametrize("output", ["softmax", "linear"])
def test_the_map_is_the_norm_of_the_output_jacobian(cell, n_x, n_a, n_y, output):
    rng = np.random.default_rng(7)
    params = init_params(cell, n_x, n_a, n_y, rng, weight_scale=1.5)
    m, T_x, example = 3, 6, 1
    x = rng.standard_normal((n_x, m, T_x))
    initial = {f"{state}0": rng.standard_normal((n_a, m)) * 0.5 for state in CELLS[cell].states}
    S = input_saliency(params, x, example=example, output=output, **initial)
    expected = numerical_saliency(params, x, initial, example, output)
    assert S.shape == (T_x, T_x)
    assert np.all(S[np.triu_indices(T_x, 1)] == 0.0)   # no output depends on a later input
    assert np.all(np.diag(S) > 0)
    np.testing.assert_allclose(S, expected, rtol=1e-6, atol=1e-9)


def test_only_the_chosen_example_matters():
    rng = np.random.default_rng(3)
    params = init_params("lstm", 3, 4, 2, rng)
    x = rng.standard_normal((3, 4, 5))
    S = input_saliency(params, x, example=2)
    others = x.copy()
    others[:, [0, 1, 3]] = rng.standard_normal((3, 3, 5))
    np.testing.assert_array_equal(input_saliency(params, others, example=2), S)
    assert not np.allclose(input_saliency(params, x, example=0), S)


@pytest.mark.parametrize(("example", "error"), [(4, ValueError), (-1, ValueError),
                                                (1.5, ValueError), ("0", TypeError)])
def test_an_example_that_is_not_one_of_the_batch_is_refused(example, error):
    params = init_params("gru", 2, 3, 2, np.random.default_rng(0))
    with pytest.raises(error, match="example"):
        input_saliency(params, np.zeros((2, 4, 3)), example=example)


def test_wrong_inputs_are_refused_with_the_forward_pass_messages():
    params = init_params("rnn", 2, 3, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="x"):
        input_saliency(params, np.zeros((5, 4, 3)))
    with pytest.raises(ValueError, match="c0"):
        input_saliency(params, np.zeros((2, 4, 3)), c0=np.zeros((3, 4)))
