"""Bad shapes and values raise ValueError naming the array and the shape expected."""

import re

import numpy as np
import pytest

from rnnviz.engine import LSTMParams, RNNParams, init_params
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import backward, forward, loss_and_gradients
from rnnviz.notebook import lstm_forward, rnn_backward, rnn_forward, rnn_forward_block


@pytest.fixture(params=["rnn", "lstm"])
def cell(request):
    return request.param


def make(cell, n_x=3, n_a=5, n_y=2):
    return init_params(cell, n_x, n_a, n_y, np.random.default_rng(0))


def raises(message):
    return pytest.raises(ValueError, match=re.escape(message))


def test_x_of_wrong_rank_names_x_and_the_notebook_shape(cell):
    with raises("x has shape (3, 10); expected (n_x, m, T_x)"):
        forward(make(cell), np.zeros((3, 10)))


def test_x_with_wrong_n_x_names_the_expected_size(cell):
    with raises("x has shape (4, 10, 2); expected (n_x, m, T_x) = (3, ?, ?)"):
        forward(make(cell), np.zeros((4, 10, 2)))


def test_empty_sequence_is_rejected(cell):
    with raises("x has shape (3, 2, 0); m and T_x must be at least 1"):
        forward(make(cell), np.zeros((3, 2, 0)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_rejected(cell, bad):
    x = np.zeros((3, 2, 4))
    x[1, 1, 2] = bad
    with raises("x contains NaN or infinite values"):
        forward(make(cell), x)


def test_non_numeric_input_is_rejected(cell):
    with pytest.raises(TypeError, match="x must be a numeric array of real numbers; got text"):
        forward(make(cell), [[["a"]]] * 3)


def test_a0_of_wrong_shape_names_a0(cell):
    with raises("a0 has shape (5, 3); expected (n_a, m) = (5, 2)"):
        forward(make(cell), np.zeros((3, 2, 4)), a0=np.zeros((5, 3)))


def test_nan_in_a0_is_rejected(cell):
    a0 = np.zeros((5, 2))
    a0[0, 0] = np.nan
    with raises("a0 contains NaN"):
        forward(make(cell), np.zeros((3, 2, 4)), a0=a0)


def test_c0_of_wrong_shape_names_c0():
    with raises("c0 has shape (4, 2); expected (n_a, m) = (5, 2)"):
        forward(make("lstm"), np.zeros((3, 2, 4)), c0=np.zeros((4, 2)))


def test_c0_for_the_rnn_is_rejected():
    with raises("c0 is for the LSTM"):
        forward(make("rnn"), np.zeros((3, 2, 4)), c0=np.zeros((5, 2)))


def test_unknown_output_is_rejected(cell):
    with raises("output must be one of"):
        forward(make(cell), np.zeros((3, 2, 4)), output="relu")


def test_wrong_parameter_shape_names_the_parameter():
    p = make("rnn").as_dict()
    p["Waa"] = np.zeros((5, 4))
    with raises("Waa has shape (5, 4); expected (n_a, n_a) = (5, 5)"):
        RNNParams.from_dict(p)
    with raises("Waa has shape (5, 4); expected (n_a, n_a) = (5, 5)"):
        rnn_forward(np.zeros((3, 2, 4)), np.zeros((5, 2)), p)


def test_wrong_parameter_shape_in_a_container_is_caught_by_forward():
    params = make("lstm")
    bad = LSTMParams(**{**params.as_dict(), "bu": np.zeros((5, 2))})
    with raises("bu has shape (5, 2); expected (n_a, 1) = (5, 1)"):
        forward(bad, np.zeros((3, 2, 4)))


def test_lstm_gate_matrix_must_act_on_concat():
    p = make("lstm").as_dict()
    p["Wc"] = np.zeros((5, 3))
    with raises("Wc has shape (5, 3); expected (n_a, n_a + n_x) = (5, 8)"):
        lstm_forward(np.zeros((3, 2, 4)), np.zeros((5, 2)), p)


def test_missing_parameter_is_named():
    p = make("rnn").as_dict()
    del p["by"]
    with raises("parameters are missing by"):
        rnn_forward(np.zeros((3, 2, 4)), np.zeros((5, 2)), p)


def test_notebook_step_rejects_a_sequence_for_xt():
    with raises("xt has shape (3, 2, 1); expected (n_x, m)"):
        rnn_forward_block(np.zeros((3, 2, 1)), np.zeros((5, 2)), make("rnn").as_dict())


def test_notebook_backward_checks_the_upstream_gradient_shape():
    p = make("rnn").as_dict()
    _, _, caches = rnn_forward(np.zeros((3, 2, 4)), np.zeros((5, 2)), p)
    with raises("dA has shape (5, 2, 3); expected (n_a, m, T_x) = (5, 2, 4)"):
        rnn_backward(np.zeros((5, 2, 3)), caches)


@pytest.mark.parametrize("targets, message", [
    (np.zeros((2, 3), dtype=int), "targets has shape (2, 3); expected (m, T_x) = (2, 4)"),
    (np.full((2, 4), 2), "targets must be class indices in [0, n_y) = [0, 2) or -1"),
    (np.full((2, 4), -2), "targets must be class indices in [0, n_y) = [0, 2) or -1"),
    (np.full((2, 4), 0.5), "targets must be integer class indices for cross-entropy"),
    (np.full((2, 4), np.nan), "targets contains NaN or infinite values"),
])
def test_bad_cross_entropy_targets_are_named(cell, targets, message):
    with raises(message):
        loss_and_gradients(make(cell), np.zeros((3, 2, 4)), targets, Loss())


def test_whole_valued_float_class_targets_are_accepted(cell):
    trace, result = loss_and_gradients(make(cell), np.ones((3, 2, 4)), np.ones((2, 4)), Loss())
    assert result.loss > 0


@pytest.mark.parametrize("targets, message", [
    (np.zeros((2, 4)), "targets has shape (2, 4); expected (n_y, m, T_x) = (2, 2, 4)"),
    (np.full((2, 2, 4), np.nan), "targets contains NaN or infinite values"),
])
def test_bad_squared_error_targets_are_named(cell, targets, message):
    with raises(message):
        loss_and_gradients(make(cell), np.zeros((3, 2, 4)), targets, Loss("squared_error"))


def test_loss_must_match_the_trace_output(cell):
    params = make(cell)
    trace = forward(params, np.zeros((3, 2, 4)), output="linear")
    with raises("a cross_entropy loss needs a softmax output"):
        backward(params, trace, np.zeros((2, 4), dtype=int), Loss())


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "hinge"}, "loss kind must be one of"),
    ({"where": "first"}, "loss position must be one of"),
])
def test_unknown_loss_is_rejected(kwargs, message):
    with raises(message):
        Loss(**kwargs)


@pytest.mark.parametrize("sizes, message", [
    ((0, 2, 2), "n_x must be a positive integer; got 0"),
    ((2, 1.5, 2), "n_a must be a positive integer; got 1.5"),
    ((2, 2, -1), "n_y must be a positive integer; got -1"),
])
def test_bad_sizes_are_named(cell, sizes, message):
    with raises(message):
        init_params(cell, *sizes, np.random.default_rng(0))


def test_unknown_cell_is_rejected():
    with raises("cell must be one of 'rnn', 'lstm', 'gru'; got 'elman'"):
        init_params("elman", 2, 2, 2, np.random.default_rng(0))
