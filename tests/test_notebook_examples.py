"""The course notebook's own checks, run through rnnviz.notebook.

The RNN example reproduces the values the notebook prints. The notebook's LSTM cell stores
the integer n_x where x<t> belongs (``concat[na:, :] = nx``); with reproduce_concat_bug=True
the engine reproduces the numbers it printed, and by default it gives the corrected ones.
"""

import numpy as np
import pytest

from rnnviz.engine import LSTMParams, RNNParams
from rnnviz.notebook import (
    gru_cell_forward,
    gru_forward,
    lstm_cell_forward,
    lstm_forward,
    notebook_example,
    rnn_forward,
    rnn_forward_block,
    sigmoid,
    softmax,
)

PRINTED = 5e-9  # the notebook prints 8 decimals


def notebook_rnn_draws():
    """The notebook's cell, verbatim in order: np.random.seed(1); randn ..."""
    draw = np.random.RandomState(1).randn
    x, a0 = draw(3, 10, 4), draw(5, 10)
    Waa, Wax, Wya, ba, by = draw(5, 5), draw(5, 3), draw(2, 5), draw(5, 1), draw(2, 1)
    return x, a0, {"Waa": Waa, "Wax": Wax, "Wya": Wya, "ba": ba, "by": by}


def notebook_lstm_draws():
    draw = np.random.RandomState(1).randn
    x, a0 = draw(3, 10, 7), draw(5, 10)
    p = {}
    for gate in "fuoc":
        p["W" + gate], p["b" + gate] = draw(5, 5 + 3), draw(5, 1)
    p["Wy"], p["by"] = draw(2, 5), draw(2, 1)
    return x, a0, p


def test_notebook_example_draws_exactly_the_notebooks_arrays():
    x, a0, p = notebook_rnn_draws()
    params, x2, a02 = notebook_example("rnn")
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(a02, a0)
    for name, value in p.items():
        np.testing.assert_array_equal(getattr(params, name), value)
    x, a0, p = notebook_lstm_draws()
    params, x2, a02 = notebook_example("lstm")
    np.testing.assert_array_equal(x2, x)
    for name, value in p.items():
        np.testing.assert_array_equal(getattr(params, name), value)
    assert isinstance(params, LSTMParams)


def test_notebook_example_leaves_the_global_random_state_alone():
    before = np.random.get_state()  # noqa: NPY002 - the global state is what this guards
    notebook_example("rnn")
    notebook_example("lstm")
    after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2:] == before[2:]


def test_rnn_example_reproduces_the_notebooks_printed_values():
    x, a0, parameters = notebook_rnn_draws()
    y_pred, a, caches = rnn_forward(x, a0, parameters)
    np.testing.assert_allclose(a[4][1], [-0.99999375, 0.77911235, -0.99861469, -0.99833267],
                               rtol=0, atol=PRINTED)
    assert a.shape == (5, 10, 4)
    np.testing.assert_allclose(y_pred[1][3], [1.82870192, 1.98141611, -0.7803359, 1.26637504],
                               rtol=0, atol=PRINTED)
    assert y_pred.shape == (2, 10, 4)
    np.testing.assert_allclose(caches[1][1][3],
                               [-1.1425182, -0.34934272, -0.20889423, 0.58662319],
                               rtol=0, atol=PRINTED)
    assert len(caches) == 2
    assert len(caches[0]) == 4


def test_rnn_caches_keep_the_notebooks_per_step_form():
    x, a0, parameters = notebook_rnn_draws()
    _, a, (steps, x_cached) = rnn_forward(x, a0, parameters)
    np.testing.assert_array_equal(x_cached, x)
    a_next, a_prev, p, xt = steps[2]
    np.testing.assert_array_equal(a_next, a[:, :, 2])
    np.testing.assert_array_equal(a_prev, a[:, :, 1])
    np.testing.assert_array_equal(xt, x[:, :, 2])
    assert p is parameters
    np.testing.assert_array_equal(steps[0][1], a0)


def test_rnn_forward_block_is_one_step_of_rnn_forward():
    x, a0, parameters = notebook_rnn_draws()
    y_pred, a, _ = rnn_forward(x, a0, parameters)
    y1, a1, cache = rnn_forward_block(x[:, :, 0], a0, parameters)
    np.testing.assert_allclose(a1, a[:, :, 0], rtol=1e-15)
    np.testing.assert_allclose(y1, y_pred[:, :, 0], rtol=1e-14)
    np.testing.assert_allclose(a1, np.tanh(parameters["Wax"] @ x[:, :, 0]
                                           + parameters["Waa"] @ a0 + parameters["ba"]),
                               rtol=1e-14)
    assert len(cache) == 4


# The values the notebook printed for its (buggy) LSTM cell.
BUGGY = {"a[4][3][6]": 0.0007505869303062002, "y[1][4][3]": 0.9089844972350362,
         "c[1][2][1]": 0.03131035093604401}
# The same cells from the corrected LSTM (concat = [a<t-1>; x<t>]); tests in
# test_engine_reference.py check the whole arrays against a plain per-step implementation.
CORRECTED = {"a[4][3][6]": 0.1721177675329167, "y[1][4][3]": 0.9508734618501101,
             "c[1][2][1]": -0.8555449167181982}


def picked(a, y, c):
    return {"a[4][3][6]": a[4][3][6], "y[1][4][3]": y[1][4][3], "c[1][2][1]": c[1][2][1]}


def test_lstm_example_with_the_concat_bug_reproduces_the_notebooks_printed_values():
    x, a0, parameters = notebook_lstm_draws()
    a, y, c, caches = lstm_forward(x, a0, parameters, reproduce_concat_bug=True)
    for key, value in picked(a, y, c).items():
        assert value == pytest.approx(BUGGY[key], rel=1e-13), key
    assert a.shape == (5, 10, 7) and y.shape == (2, 10, 7)
    np.testing.assert_allclose(
        caches[1][1][1],
        [0.82797464, 0.23009474, 0.76201118, -0.22232814, -0.20075807, 0.18656139, 0.41005165],
        rtol=0, atol=PRINTED)
    assert len(caches) == 2


def test_corrected_lstm_example_gives_the_corrected_values_and_differs_from_the_notebook():
    x, a0, parameters = notebook_lstm_draws()
    a, y, c, caches = lstm_forward(x, a0, parameters)
    values = picked(a, y, c)
    for key, value in values.items():
        assert value == pytest.approx(CORRECTED[key], rel=1e-13), key
        assert abs(value - BUGGY[key]) > 0.04, key
    np.testing.assert_array_equal(caches[1], x)  # the caches still hold the real inputs


def test_concat_bug_means_the_input_is_ignored():
    x, a0, parameters = notebook_lstm_draws()
    buggy = lstm_forward(x, a0, parameters, reproduce_concat_bug=True)
    other = lstm_forward(-3 * x, a0, parameters, reproduce_concat_bug=True)
    np.testing.assert_array_equal(buggy[0], other[0])
    assert not np.array_equal(lstm_forward(x, a0, parameters)[0],
                              lstm_forward(-3 * x, a0, parameters)[0])


def test_lstm_cell_forward_is_one_step_of_lstm_forward_with_c0_zero():
    x, a0, parameters = notebook_lstm_draws()
    a, y, c, caches = lstm_forward(x, a0, parameters)
    a1, c1, y1, cache = lstm_cell_forward(x[:, :, 0], a0, np.zeros_like(a0), parameters)
    # float64 round-off: relative, and absolute near 0, where the "exp" kernel's tanh
    # (2 sigmoid(2 z) - 1, the fast one without AVX-512) keeps about 1e-16 of absolute error
    close = {"rtol": 1e-14, "atol": 1e-15}
    np.testing.assert_allclose(a1, a[:, :, 0], **close)
    np.testing.assert_allclose(c1, c[:, :, 0], **close)
    np.testing.assert_allclose(y1, y[:, :, 0], **close)
    a_next, c_next, a_prev, c_prev, f, u, c_tilde, o, xt, p = cache
    np.testing.assert_allclose(c_next, f * c_prev + u * c_tilde, **close)
    np.testing.assert_allclose(a_next, o * np.tanh(c_next), **close)
    np.testing.assert_array_equal(c_prev, 0.0)
    np.testing.assert_array_equal(xt, x[:, :, 0])
    assert p is parameters
    for step, (_, _, _, c_prev_t, *_rest) in enumerate(caches[0]):
        np.testing.assert_array_equal(c_prev_t, 0.0 if step == 0 else c[:, :, step - 1])


def test_gru_cell_forward_is_one_step_of_gru_forward_in_the_courses_form():
    params, x, a0 = notebook_example("gru")
    parameters = params.as_dict()
    a, y, (caches, x_seen) = gru_forward(x, a0, parameters)
    assert a.shape == (5, 10, 7) and y.shape == (2, 10, 7) and len(caches) == 7
    np.testing.assert_array_equal(x_seen, x)
    a1, y1, cache = gru_cell_forward(x[:, :, 0], a0, parameters)
    np.testing.assert_allclose(a1, a[:, :, 0], rtol=1e-14)
    np.testing.assert_allclose(y1, y[:, :, 0], rtol=1e-14)
    np.testing.assert_allclose(y1.sum(axis=0), 1.0, rtol=1e-14)
    a_next, a_prev, r, u, c_tilde, xt, p = cache
    np.testing.assert_array_equal(a_prev, a0)
    np.testing.assert_array_equal(xt, x[:, :, 0])
    assert p is parameters
    reset_input = np.concatenate([r * a_prev, xt])  # the reset gate acts before the product
    np.testing.assert_allclose(c_tilde, np.tanh(parameters["Wc"] @ reset_input
                                                + parameters["bc"]), rtol=1e-13)
    np.testing.assert_allclose(a_next, u * c_tilde + (1 - u) * a_prev, rtol=1e-14)
    for step, (a_t, a_prev_t, *_rest) in enumerate(caches):
        np.testing.assert_array_equal(a_t, a[:, :, step])
        np.testing.assert_array_equal(a_prev_t, a0 if step == 0 else a[:, :, step - 1])


def test_the_gru_example_draws_in_the_lstms_pattern():
    params, x, a0 = notebook_example("gru", seed=3)
    draw = np.random.RandomState(3).randn
    np.testing.assert_array_equal(x, draw(3, 10, 7))
    np.testing.assert_array_equal(a0, draw(5, 10))
    for name in ("Wr", "br", "Wu", "bu", "Wc", "bc", "Wy", "by"):
        np.testing.assert_array_equal(getattr(params, name),
                                      draw(*getattr(params, name).shape), err_msg=name)


def test_notebook_softmax_and_sigmoid_match_the_notebooks_at_ordinary_inputs():
    z = np.random.default_rng(0).standard_normal((4, 6))
    e = np.exp(z - np.max(z))
    np.testing.assert_allclose(softmax(z), e / e.sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)


def test_notebook_api_accepts_engine_containers_round_trip():
    params, x, a0 = notebook_example("rnn")
    assert isinstance(params, RNNParams)
    y, a, _ = rnn_forward(x, a0, params.as_dict())
    assert y.shape == (2, 10, 4)


def test_notebook_sequence_outputs_are_plain_c_ordered_arrays_of_their_own():
    x, a0, parameters = notebook_rnn_draws()
    y, a, _ = rnn_forward(x, a0, parameters)
    x, a0, lstm_parameters = notebook_lstm_draws()
    outputs = (y, a) + lstm_forward(x, a0, lstm_parameters)[:3]
    for array in outputs:
        assert array.flags.c_contiguous and array.flags.owndata


def test_a_cell_the_notebook_has_no_example_of_is_named():
    with pytest.raises(ValueError, match="one of rnn, lstm, gru; got 'elman'"):
        notebook_example("elman")
