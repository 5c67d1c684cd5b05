"""Hostile and clumsy arguments to the engine and the notebook API (issue 10, items 3, 4, 5, 7
and 9): each is a TypeError or ValueError whose message names the argument and what was
expected, never a silently wrong result, a warning or a message from inside NumPy."""

import dataclasses
import re

import numpy as np
import pytest

from rnnviz.engine import (
    CELLS,
    Loss,
    backward,
    forward,
    gradient_check,
    init_params,
    loss_and_gradients,
    loss_value,
)
from rnnviz.engine.model import hidden_backward
from rnnviz.engine.optim import OPTIMIZERS, make_optimizer
from rnnviz.notebook import (
    gru_backward,
    gru_forward,
    initialize_adam,
    lstm_backward,
    lstm_cell_forward,
    lstm_forward,
    notebook_example,
    rnn_backward,
    rnn_forward,
    rnn_forward_block,
    update_parameters_with_adam,
)

N_X, N_A, N_Y, M, T_X = 3, 5, 2, 2, 4


@pytest.fixture(params=list(CELLS))
def cell(request):
    return request.param


def make(cell, n_a=N_A):
    return init_params(cell, N_X, n_a, N_Y, np.random.default_rng(0))


def inputs():
    rng = np.random.default_rng(1)
    return rng.standard_normal((N_X, M, T_X)), rng.integers(0, N_Y, size=(M, T_X))


def refused(kind, *words):
    """pytest.raises for `kind` whose message holds every one of `words`, in order."""
    return pytest.raises(kind, match=".*".join(map(re.escape, words)))


def notebook_forward(cell, x, a0, parameters):
    """(caches, dA of their shape) from the notebook's forward of the cell."""
    sequence = {"rnn": rnn_forward, "lstm": lstm_forward, "gru": gru_forward}[cell]
    caches = sequence(x, a0, parameters)[-1]
    return caches, np.ones((N_A, x.shape[1], x.shape[2]))


def notebook_backward(cell):
    return {"rnn": rnn_backward, "lstm": lstm_backward, "gru": gru_backward}[cell]


def adam_arguments():
    parameters = make("rnn").as_dict()
    grads = {"d" + name: np.full_like(value, 0.1) for name, value in parameters.items()}
    v, s = initialize_adam(parameters)
    return parameters, grads, v, s


# ----- 3. a gradient must have its parameter's shape ------------------------------------------

@pytest.mark.parametrize("gradient", [np.zeros(N_A), np.float64(0.5)],
                         ids=["vector (5,) for (5, 1)", "scalar"])
def test_adam_refuses_a_gradient_that_is_not_its_parameters_shape(gradient):
    parameters, grads, v, s = adam_arguments()
    with refused(ValueError, "grads['dba'] has shape", "expected ba's shape = (5, 1)"):
        update_parameters_with_adam(parameters, {**grads, "dba": gradient}, v, s, 1)


@pytest.mark.parametrize("moment", ["v", "s"])
def test_adam_refuses_a_moment_that_is_not_its_parameters_shape(moment):
    parameters, grads, v, s = adam_arguments()
    moments = {"v": v, "s": s}
    moments[moment] = {**moments[moment], "dba": np.zeros(N_A)}
    with refused(ValueError, f"{moment}['dba'] has shape (5,)", "expected ba's shape"):
        update_parameters_with_adam(parameters, grads, moments["v"], moments["s"], 1)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("gradient", [np.zeros(N_A), np.float64(0.5)], ids=["vector", "scalar"])
def test_the_engine_optimizers_refuse_a_gradient_that_is_not_its_parameters_shape(name,
                                                                                  gradient):
    params = make("rnn")
    grads = dataclasses.replace(params.zeros_like(), ba=gradient)
    with refused(ValueError, "the gradient of ba has shape", "expected ba's shape = (5, 1)"):
        make_optimizer(name).step(params, grads)


# ----- 4. NaN and inf in parameters, in dA, in the knobs -------------------------------------

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_parameter_is_refused_by_every_entry_point(cell, bad):
    params = make(cell)
    name = CELLS[cell].projections[0].weights[0]
    weight = getattr(params, name).copy()
    weight[0, 0] = bad
    broken = dataclasses.replace(params, **{name: weight})
    x, targets = inputs()
    calls = [lambda: forward(broken, x), lambda: loss_value(broken, x, targets, Loss()),
             lambda: loss_and_gradients(broken, x, targets, Loss()),
             lambda: backward(broken, forward(params, x), targets, Loss()),
             lambda: CELLS[cell].step_forward(x[:, :, 0], *[None] * len(CELLS[cell].states),
                                              broken),
             lambda: notebook_forward(cell, x, np.zeros((N_A, M)), broken.as_dict())]
    for call in calls:
        with refused(ValueError, f"{name} contains NaN or infinite values"):
            call()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_upstream_gradient_da_is_refused(cell, bad):
    x, _ = inputs()
    caches, dA = notebook_forward(cell, x, np.zeros((N_A, M)), make(cell).as_dict())
    dA[1, 0, 2] = bad
    with refused(ValueError, "dA contains NaN or infinite values"):
        notebook_backward(cell)(dA, caches)
    with refused(ValueError, "dA contains NaN or infinite values"):
        hidden_backward(make(cell), forward(make(cell), x), dA)


@pytest.mark.parametrize("knob", ["weight_scale", "spectral_radius", "forget_bias"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_initialisation_knob_is_refused(cell, knob, bad):
    with refused(ValueError, f"{knob} must be a finite number; got {bad!r}"):
        init_params(cell, N_X, N_A, N_Y, np.random.default_rng(0), **{knob: bad})


# ----- 5. complex numbers are refused, not cut to their real part ----------------------------

def test_complex_inputs_are_refused_naming_them(cell):
    params, (x, _) = make(cell), inputs()
    states = [None] * len(CELLS[cell].states)
    complex_weight = params.as_dict()
    name = CELLS[cell].output_weight
    complex_weight[name] = complex_weight[name] + 1j
    caches, dA = notebook_forward(cell, x, np.zeros((N_A, M)), params.as_dict())
    calls = {
        "x": lambda: forward(params, x + 0.5j),
        "xt": lambda: CELLS[cell].step_forward(x[:, :, 0] + 0.5j, *states, params),
        "dA": lambda: notebook_backward(cell)(dA + 0.5j, caches),
        name: lambda: notebook_forward(cell, x, np.zeros((N_A, M)), complex_weight),
    }
    for argument, call in calls.items():
        with refused(TypeError, f"{argument} must", "complex numbers"):
            call()


def test_complex_adam_inputs_are_refused_naming_them():
    parameters, grads, v, s = adam_arguments()
    arguments = {"Wax": ({**parameters, "Wax": parameters["Wax"] + 1j}, grads, v, s),
                 "grads['dWaa']": (parameters, {**grads, "dWaa": grads["dWaa"] * 1j}, v, s),
                 "v['dby']": (parameters, grads, {**v, "dby": v["dby"] + 1j}, s)}
    for argument, call in arguments.items():
        with refused(TypeError, f"{argument} must", "complex numbers"):
            update_parameters_with_adam(*call, 1)


def test_complex_gradients_are_refused_by_the_engine_optimizers():
    params = make("rnn")
    grads = params.map(lambda value: value * 0.1 + 0.1j)
    with refused(TypeError, "the gradient of Wax must", "complex numbers"):
        make_optimizer("adam").step(params, grads)


# ----- 7. our messages, never NumPy's ---------------------------------------------------------

@pytest.mark.parametrize("bad, kind, words", [
    (np.zeros((N_A, N_X, 2)), ValueError, ("has shape (5, 3, 2); expected (n_a, n_x)",)),
    (None, TypeError, ("must be a NumPy array; got NoneType",)),
], ids=["3-D", "None"])
def test_a_3d_or_none_weight_is_named_by_backward_and_the_step_pair(bad, kind, words):
    params, (x, targets) = make("rnn"), inputs()
    trace = forward(params, x)
    broken = dataclasses.replace(params, Wax=bad)
    calls = [lambda: backward(broken, trace, targets, Loss()),
             lambda: hidden_backward(broken, trace, np.zeros((N_A, M, T_X))),
             lambda: CELLS["rnn"].step_forward(x[:, :, 0], None, broken),
             lambda: rnn_forward(x, np.zeros((N_A, M)), {**params.as_dict(), "Wax": bad})]
    for call in calls[:3]:
        with refused(kind, "Wax", *words):
            call()
    with refused(TypeError, "Wax must be an array of numbers; got None") if bad is None else \
            refused(ValueError, "Wax", *words):
        calls[3]()


def test_an_output_layer_of_no_classes_is_refused(cell):
    params = make(cell)
    W = CELLS[cell].output_weight
    empty = dataclasses.replace(params, **{W: np.zeros((0, N_A)), "by": np.zeros((0, 1))})
    with refused(ValueError, f"{W} has shape (0, 5); n_y must be at least 1"):
        forward(empty, inputs()[0])


def test_a_ragged_x_is_named(cell):
    ragged = [[[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]]
    with refused(ValueError, "x must be a numeric array of one shape"):
        notebook_forward(cell, ragged, np.zeros((N_A, 2)), make(cell).as_dict())


def test_parameters_of_another_n_a_are_refused_by_backward(cell):
    x, targets = inputs()
    trace = forward(make(cell), x)
    with refused(ValueError, "trace.a0 has shape (5, 2); expected (n_a, m) of these "
                             "parameters = (6, 2)"):
        backward(make(cell, n_a=6), trace, targets, Loss())


def test_text_targets_are_refused_naming_them(cell):
    x, _ = inputs()
    for loss, shape in ((Loss(), (M, T_X)), (Loss("squared_error"), (N_Y, M, T_X))):
        with refused(TypeError, "targets must be a numeric array of real numbers; got text"):
            loss_and_gradients(make(cell), x, np.full(shape, "a"), loss)


@pytest.mark.parametrize("size, kind", [(float("inf"), ValueError), (float("nan"), ValueError),
                                        (2.5, ValueError), ("5", TypeError),
                                        (None, TypeError), (True, TypeError)])
def test_init_params_refuses_sizes_that_are_not_positive_integers(cell, size, kind):
    with refused(kind, "n_a must be a positive integer; got"):
        init_params(cell, N_X, size, N_Y, np.random.default_rng(0))


@pytest.mark.parametrize("n_a, shown", [(10 ** 6, "1000000"),
                                        (10 ** 400, "an integer of 401 digits")])
def test_init_params_refuses_sizes_whose_parameters_would_not_fit_in_memory(cell, n_a, shown):
    with refused(ValueError, f"n_x = 3, n_a = {shown}, n_y = 2 are too large",
                 "at most 134,217,728 numbers"):
        init_params(cell, N_X, n_a, N_Y, np.random.default_rng(0))


@pytest.mark.parametrize("caches", [
    ([], np.zeros((N_X, M, T_X))),
    ([(1, 2)], np.zeros((N_X, M, T_X))),
    ("caches",),
    None,
], ids=["no steps", "short step", "no pair", "None"])
def test_malformed_notebook_caches_are_named(cell, caches):
    with refused((TypeError, ValueError), "caches must be ([cache<1>, ..., cache<T_x>], x)"):
        notebook_backward(cell)(np.zeros((N_A, M, T_X)), caches)


def test_caches_whose_arrays_do_not_fit_are_named(cell):
    x, _ = inputs()
    caches, dA = notebook_forward(cell, x, np.zeros((N_A, M)), make(cell).as_dict())
    steps = list(caches[0])  # built by hand: stacked, so every array is checked
    steps[2] = (np.zeros((N_A, M + 1)),) + steps[2][1:]
    with refused(ValueError, "a_next in cache<3> has shape (5, 3); expected (n_a, m) = (5, 2)"):
        notebook_backward(cell)(dA, (steps, caches[1]))


@pytest.mark.parametrize("moment", ["v", "s"])
def test_a_missing_adam_moment_is_named(moment):
    parameters, grads, v, s = adam_arguments()
    moments = {"v": v, "s": s}
    moments[moment] = {key: value for key, value in moments[moment].items() if key != "dWax"}
    with refused(ValueError, f"{moment} has no 'dWax' for parameter 'Wax'",
                 "initialize_adam(parameters)"):
        update_parameters_with_adam(parameters, grads, moments["v"], moments["s"], 1)


@pytest.mark.parametrize("t, kind", [(10 ** 400, ValueError), (0, ValueError),
                                     (1.5, ValueError), ("1", TypeError), (None, TypeError)])
def test_adam_step_counter_must_be_a_whole_number_from_1(t, kind):
    with refused(kind, "t must be a whole number from 1 to 9007199254740992; got"):
        update_parameters_with_adam(*adam_arguments(), t)


# ----- 9. odd cases -----------------------------------------------------------------------------

def test_lstm_backward_refuses_the_caches_of_the_notebooks_concat_bug():
    x, _ = inputs()
    caches = lstm_forward(x, np.zeros((N_A, M)), make("lstm").as_dict(),
                          reproduce_concat_bug=True)[3]
    with refused(ValueError, "reproduce_concat_bug=True", "its gradients are not the LSTM's"):
        lstm_backward(np.ones((N_A, M, T_X)), caches)


@pytest.mark.parametrize("size", ["n_x", "n_a", "n_y", "m", "T_x"])
def test_notebook_example_refuses_a_size_of_zero(cell, size):
    with refused(ValueError, f"{size} must be a positive integer; got 0"):
        notebook_example(cell, **{size: 0})


@pytest.mark.parametrize("seed", [-1, 2 ** 32, 1.5])
def test_notebook_example_refuses_a_seed_that_np_random_seed_would_not_take(seed):
    with refused(ValueError, "seed must be a whole number from 0 to 4294967295"):
        notebook_example("rnn", seed=seed)


@pytest.mark.parametrize("knob", ["spectral_radius", "weight_scale"])
def test_negative_spectral_radius_or_weight_scale_is_refused(cell, knob):
    with refused(ValueError, f"{knob} must be at least 0; got -1"):
        init_params(cell, N_X, N_A, N_Y, np.random.default_rng(0), **{knob: -1})


def test_inputs_so_large_that_the_forward_pass_overflows_are_refused(cell):
    x, targets = inputs()
    huge = np.full_like(x, 1e308)
    # weights of about 1, so that W x, a sum of n_x = 3 products of 1e308, overflows
    params = init_params(cell, N_X, N_A, N_Y, np.random.default_rng(0), weight_scale=3.0)
    for call in (lambda: forward(params, huge),
                 lambda: loss_and_gradients(params, huge, targets, Loss())):
        with refused(ValueError, "overflows float64", "x up to 1e+308"):
            call()


def test_targets_so_large_that_the_loss_overflows_are_refused(cell):
    x, _ = inputs()
    targets = np.full((N_Y, M, T_X), 1e200)
    loss = Loss("squared_error")
    for call in (lambda: loss_and_gradients(make(cell), x, targets, loss),
                 lambda: loss_value(make(cell), x, targets, loss),
                 lambda: backward(make(cell), forward(make(cell), x, output="linear"),
                                  targets, loss)):
        with refused(ValueError, "overflows float64", "targets up to 1e+200"):
            call()


def test_a_caller_that_ignores_overflow_still_gets_the_infinite_loss(cell):
    """The trainer asks NumPy to ignore overflow and stops a diverging run itself."""
    x, _ = inputs()
    with np.errstate(all="ignore"):
        _, result = loss_and_gradients(make(cell), x, np.full((N_Y, M, T_X), 1e200),
                                       Loss("squared_error"))
    assert result.loss == np.inf


def test_the_step_pairs_name_a_cache_of_another_kind_and_upstream_gradients():
    params, (x, _) = make("rnn"), inputs()
    _, cache = CELLS["rnn"].step_forward(x[:, :, 0], None, params)
    with refused(TypeError, "cache must be the LSTMCache that lstm_step_forward returns"):
        CELLS["lstm"].step_backward(np.zeros((N_A, M)), None, cache)
    with refused(ValueError, "da_next has shape (5, 3); expected (n_a, m) = (5, 2)"):
        CELLS["rnn"].step_backward(np.zeros((N_A, M + 1)), cache)


def test_notebook_step_functions_name_their_own_arguments():
    params = make("lstm").as_dict()
    with refused(ValueError, "c_prev has shape (4, 2); expected (n_a, m) = (5, 2)"):
        lstm_cell_forward(np.zeros((N_X, M)), np.zeros((N_A, M)), np.zeros((4, M)), params)
    with refused(ValueError, "a_prev contains NaN"):
        rnn_forward_block(np.zeros((N_X, M)), np.full((N_A, M), np.nan),
                          make("rnn").as_dict())


@pytest.mark.parametrize("argument, value, kind", [
    ("eps", 0.0, ValueError), ("eps", float("nan"), ValueError), ("max_entries", 0, ValueError),
    ("rng", 1, TypeError), ("include_inputs", "yes", TypeError),
])
def test_gradient_check_names_its_own_bad_arguments(argument, value, kind):
    x, targets = inputs()
    with refused(kind, argument):
        gradient_check(make("rnn"), x, targets, Loss(), **{argument: value})


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_refused_step_leaves_the_optimizer_as_it_was(name):
    params = make("rnn")
    optimizer = make_optimizer(name, learning_rate=1e300)
    first = optimizer.step(params, params.map(np.ones_like))
    state = {key: {slot: value.copy() for slot, value in slots.items()}
             for key, slots in optimizer.state.items()}
    with refused(ValueError, "the update of", "overflows float64", "learning_rate = 1e+300"):
        optimizer.step(first, first.map(lambda value: np.full_like(value, 1e300)))
    assert optimizer.t == 1
    for key, slots in state.items():
        for slot, value in slots.items():
            np.testing.assert_array_equal(optimizer.state[key][slot], value)
