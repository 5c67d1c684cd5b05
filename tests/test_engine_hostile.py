"""Property: whatever a caller hands the public engine and notebook functions (random shapes,
dtypes, values and None), the outcome is a result with no NaN or infinity in it, or a
TypeError or ValueError whose message names the argument that was wrong, never another
exception and never a warning.

Each example spoils one argument of an otherwise good call: it is replaced by an array of a
random shape (half the time the shape expected) and dtype, filled with values among NaN,
+-inf, 1e308, huge and tiny numbers, or by None, a number, a string or a ragged list.
"""

import dataclasses
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnviz import notebook
from rnnviz.engine import (
    CELLS,
    Loss,
    analysis,
    backward,
    forward,
    gradient_check,
    init_params,
    loss_and_gradients,
    loss_value,
)
from rnnviz.engine.gradcheck import ArrayCheck
from rnnviz.engine.model import hidden_backward
from rnnviz.engine.optim import OPTIMIZERS, make_optimizer

N_X, N_A, N_Y, M, T_X = 2, 3, 2, 2, 3
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SPECIAL = [np.nan, np.inf, -np.inf, 1e308, -1e308, 1.7e308, 1e200, -1e200, 1e100, 5e-324,
           -5e-324, 1e-300, 0.0, -0.0, 1.0, -1.0]
DTYPES = ["float64", "float32", "int64", "uint8", "bool", "complex128", "object", "str"]


@st.composite
def hostile_arrays(draw, shape: tuple) -> np.ndarray:
    """An array of `shape` half the time (else of a random shape), of a random dtype."""
    if draw(st.booleans()):
        shape = tuple(draw(st.lists(st.integers(0, 4), max_size=4)))
    size = math.prod(shape)
    floats = draw(st.lists(st.sampled_from(SPECIAL) | st.floats(-10, 10), min_size=size,
                           max_size=size))
    dtype = draw(st.sampled_from(DTYPES))
    values = np.array(floats, dtype=np.float64).reshape(shape)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dtype in ("int64", "uint8", "bool"):
            return np.nan_to_num(values, posinf=2 ** 40, neginf=-(2 ** 40)).astype(dtype)
        if dtype == "complex128":
            return values + 1j * draw(st.sampled_from(SPECIAL))
        if dtype == "object":
            return values.astype(object)
        return values.astype(dtype)


def hostile(shape: tuple):
    """Anything a caller could pass where an array of `shape` belongs."""
    return st.one_of(
        hostile_arrays(shape), hostile_arrays(shape), hostile_arrays(shape),
        st.none(), st.sampled_from(SPECIAL), st.text(max_size=3),
        st.just([[1.0, 2.0], [3.0]]), st.just([[1.0, "a"]]), st.just(object()),
    )


HOSTILE_NUMBERS = st.one_of(
    st.sampled_from(SPECIAL), st.integers(-3, 6), st.sampled_from([10 ** 9, 2 ** 70, 10 ** 400]),
    st.none(), st.just("3"), st.just(True), st.just(1 + 2j), st.just(np.float32(np.inf)),
)
HOSTILE_NAMES = st.one_of(st.text(max_size=6), st.none(), st.integers(), st.just(["rnn"]),
                          st.just(np.array(["a", "b"])))


def outcome(call, *names: str) -> None:
    """Run `call`: a result must hold only finite numbers; an error must be a TypeError or
    ValueError naming one of `names`; a warning fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = call()
        except (TypeError, ValueError) as error:
            message = str(error)
            assert any(name in message for name in names), (
                f"{type(error).__name__}: {message!r} names none of {names}")
            return
    assert_finite(result)


def assert_finite(result, where="result") -> None:
    if isinstance(result, np.ndarray):
        if result.dtype.kind in "fc":
            assert np.all(np.isfinite(result)), f"{where} holds NaN or inf"
    elif isinstance(result, float):
        assert math.isfinite(result), f"{where} is {result}"
    elif isinstance(result, dict):
        for key, value in result.items():
            assert_finite(value, f"{where}[{key!r}]")
    elif isinstance(result, (list, tuple)):
        for k, value in enumerate(result):
            assert_finite(value, f"{where}[{k}]")
    elif isinstance(result, ArrayCheck):
        # with no entry measured (every step too steep or too small to resolve, e.g. a
        # first step eps of 1e9) the measured error and its resolution are NaN by design
        unmeasured = ("measured_error", "resolution") if result.measured == 0 else ()
        for name, value in dataclasses.asdict(result).items():
            if name not in unmeasured:
                assert_finite(value, f"{where}.{name}")
        assert result.checked == result.measured + sum(result.unmeasured.values()), where
    elif dataclasses.is_dataclass(result):
        for field in dataclasses.fields(result):
            if field.name != "time_major":  # the forward pass's buffers, not all of them used
                assert_finite(getattr(result, field.name), f"{where}.{field.name}")


def good(cell):
    rng = np.random.default_rng(0)
    params = init_params(cell, N_X, N_A, N_Y, rng)
    x = rng.standard_normal((N_X, M, T_X))
    return params, x, rng.integers(0, N_Y, size=(M, T_X))


# A parameter of another shape that fits the others changes the sizes they imply, and an
# input of another width changes m: then the message may blame another argument for not
# having them, naming the size it expected.
SIZES = ("n_x", "n_a", "n_y")
WIDTH = "m) = ("  # as in "a_prev has shape (3, 2); expected (n_a, m) = (3, 1)"


def names_for(spoiled: str) -> tuple[str, ...]:
    """The names a message about the argument `spoiled` may give."""
    return (spoiled, WIDTH) if spoiled in ("x", "xt", "a0", "a_prev", "c_prev") else (spoiled,)


def spoil_parameter(data, params):
    """(the container with one array spoiled, the names a message may give for it)."""
    name = data.draw(st.sampled_from(params.names()), label="parameter")
    value = data.draw(hostile(getattr(params, name).shape), label=name)
    return dataclasses.replace(params, **{name: value}), (name, "parameters", "params", *SIZES)


CELL_NAMES = st.sampled_from(list(CELLS))


# ----- the engine -----------------------------------------------------------------------------

@SETTINGS
@given(cell=CELL_NAMES, data=st.data())
def test_forward_and_the_loss_functions_name_any_bad_argument(cell, data):
    params, x, targets = good(cell)
    loss = Loss(data.draw(st.sampled_from(["cross_entropy", "squared_error"])))
    if loss.kind == "squared_error":
        targets = np.random.default_rng(2).standard_normal((N_Y, M, T_X))
    arguments = {"params": params, "x": x, "a0": None, "targets": targets, "loss": loss}
    spoiled = data.draw(st.sampled_from(list(arguments)), label="spoiled")
    names = names_for(spoiled)
    if spoiled == "params":
        arguments["params"], names = spoil_parameter(data, params)
    elif spoiled == "loss":
        arguments["loss"] = data.draw(HOSTILE_NAMES)
    else:
        shape = {"x": x.shape, "a0": (N_A, M), "targets": np.shape(targets)}[spoiled]
        arguments[spoiled] = data.draw(hostile(shape))
    a = arguments
    outcome(lambda: forward(a["params"], a["x"], a["a0"]), *names, "output")
    outcome(lambda: loss_value(a["params"], a["x"], a["targets"], a["loss"], a["a0"]), *names)
    outcome(lambda: loss_and_gradients(a["params"], a["x"], a["targets"], a["loss"], a["a0"]),
            *names)


@SETTINGS
@given(cell=CELL_NAMES, data=st.data())
def test_backward_names_a_bad_trace_parameter_or_gradient(cell, data):
    params, x, targets = good(cell)
    trace = forward(params, x)
    spoiled = data.draw(st.sampled_from(["params", "trace", "targets", "dA"]))
    names, dA = (spoiled,), np.ones((N_A, M, T_X))
    if spoiled == "params":
        params, names = spoil_parameter(data, params)
    elif spoiled == "trace":
        field = data.draw(st.sampled_from(["x", "a", "z_y"]))
        shape = getattr(trace, field).shape
        trace = dataclasses.replace(trace, **{field: data.draw(hostile_arrays(shape))})
        names = ("trace",)
    elif spoiled == "targets":
        targets = data.draw(hostile((M, T_X)))
    else:
        dA = data.draw(hostile((N_A, M, T_X)))
    outcome(lambda: backward(params, trace, targets, Loss()), *names)
    outcome(lambda: hidden_backward(params, trace, dA), *names)


@SETTINGS
@given(cell=CELL_NAMES, data=st.data())
def test_init_params_names_a_bad_size_knob_or_generator(cell, data):
    arguments = {"cell": cell, "n_x": N_X, "n_a": N_A, "n_y": N_Y,
                 "rng": np.random.default_rng(0), "weight_scale": 1.0,
                 "spectral_radius": None, "forget_bias": 1.0}
    spoiled = data.draw(st.sampled_from(list(arguments)))
    arguments[spoiled] = data.draw(HOSTILE_NAMES if spoiled == "cell" else HOSTILE_NUMBERS)
    if spoiled in ("n_x", "n_a", "n_y") and isinstance(arguments[spoiled], int) and not \
            isinstance(arguments[spoiled], bool) and 0 < arguments[spoiled] < 10 ** 6:
        arguments[spoiled] = min(arguments[spoiled], 50)  # a size that fits: just small
    outcome(lambda: init_params(**arguments), spoiled)


@SETTINGS
@given(cell=CELL_NAMES, data=st.data())
def test_the_step_pairs_name_a_bad_argument(cell, data):
    params, x, _ = good(cell)
    description = CELLS[cell]
    states = {name + "_prev": np.zeros((N_A, M)) for name in description.states}
    arguments = {"xt": x[:, :, 0], **states, "params": params}
    spoiled = data.draw(st.sampled_from(list(arguments)))
    names = names_for(spoiled)
    if spoiled == "params":
        arguments["params"], names = spoil_parameter(data, params)
    else:
        arguments[spoiled] = data.draw(hostile(np.shape(arguments[spoiled])))
    outcome(lambda: description.step_forward(*arguments.values()), *names)

    *_, cache = description.step_forward(x[:, :, 0], *states.values(), params)
    upstream = {"d" + name + "_next": np.ones((N_A, M)) for name in description.states}
    spoiled = data.draw(st.sampled_from([*upstream, "cache"]))
    if spoiled == "cache":
        cache = data.draw(st.one_of(st.none(), st.just(tuple(cache)), hostile((N_A, M))))
    else:
        upstream[spoiled] = data.draw(hostile((N_A, M)))
    outcome(lambda: description.step_backward(*upstream.values(), cache), spoiled)


@SETTINGS
@given(name=st.sampled_from(OPTIMIZERS), data=st.data())
def test_the_optimizers_name_a_bad_parameter_or_gradient(name, data):
    params = {"W": np.ones((2, 3)), "b": np.zeros((2, 1))}
    grads = {"W": np.full((2, 3), 0.5), "b": np.full((2, 1), -0.5)}
    which = data.draw(st.sampled_from(["params", "grads"]))
    key = data.draw(st.sampled_from(["W", "b"]))
    spoiled = {"params": params, "grads": grads}[which]
    spoiled[key] = data.draw(hostile(spoiled[key].shape))
    outcome(lambda: make_optimizer(name).step(params, grads), key)


@settings(SETTINGS, max_examples=30)
@given(cell=CELL_NAMES, data=st.data())
def test_gradient_check_names_a_bad_argument(cell, data):
    params, x, targets = good(cell)
    arguments = {"eps": 1e-5, "max_entries": 2, "rng": None, "include_inputs": False}
    spoiled = data.draw(st.sampled_from([*arguments, "x"]))
    if spoiled == "x":
        x = data.draw(hostile(x.shape))
    else:
        arguments[spoiled] = data.draw(st.one_of(HOSTILE_NUMBERS, HOSTILE_NAMES))
    outcome(lambda: gradient_check(params, x, targets, Loss(), **arguments), spoiled)


@settings(SETTINGS, max_examples=40)
@given(cell=CELL_NAMES, data=st.data())
def test_the_analyses_name_a_bad_argument(cell, data):
    params, x, targets = good(cell)
    trace = forward(params, x)
    spoiled = data.draw(st.sampled_from(["examples", "norms", "threshold", "steps", "x"]))
    value = data.draw(st.one_of(HOSTILE_NUMBERS, HOSTILE_NAMES, hostile((T_X,))))
    if spoiled == "examples":
        outcome(lambda: analysis.jacobian_norms(params, trace, value), "examples")
    elif spoiled == "norms":
        outcome(lambda: analysis.log10_norm_product(value), "norms")
    elif spoiled == "threshold":
        grads = loss_and_gradients(params, x, targets, Loss())[1].grads
        outcome(lambda: analysis.clip_report(grads, value), "threshold")
    elif spoiled == "steps":
        outcome(lambda: analysis.per_step_gradients(params, x, targets, Loss(), steps=[value]),
                "steps")
    else:
        outcome(lambda: analysis.per_step_gradients(params, value, targets, Loss()), "x")


# ----- the notebook API -----------------------------------------------------------------------

def spoil_dict(data, parameters: dict):
    name = data.draw(st.sampled_from(list(parameters)), label="parameter")
    return {**parameters, name: data.draw(hostile(np.shape(parameters[name])))}, name


@SETTINGS
@given(cell=CELL_NAMES, data=st.data())
def test_the_notebook_forward_functions_name_a_bad_argument(cell, data):
    params, x, _ = good(cell)
    parameters = params.as_dict()
    step, sequence = {"rnn": (notebook.rnn_forward_block, notebook.rnn_forward),
                      "lstm": (notebook.lstm_cell_forward, notebook.lstm_forward),
                      "gru": (notebook.gru_cell_forward, notebook.gru_forward)}[cell]
    states = {state + "_prev": np.zeros((N_A, M)) for state in CELLS[cell].states}
    calls = ((step, {"xt": x[:, :, 0], **states, "parameters": parameters}),
             (sequence, {"x": x, "a0": np.zeros((N_A, M)), "parameters": parameters}))
    for function, arguments in calls:
        spoiled = data.draw(st.sampled_from(list(arguments)))
        names = names_for(spoiled)
        if spoiled == "parameters":
            arguments["parameters"], name = spoil_dict(data, parameters)
            names = (name, "parameters", *SIZES)
        else:
            arguments[spoiled] = data.draw(hostile(np.shape(arguments[spoiled])))
        outcome(lambda f=function, a=arguments: f(*a.values()), *names)


@SETTINGS
@given(cell=CELL_NAMES, data=st.data())
def test_the_notebook_backward_functions_name_bad_caches_or_da(cell, data):
    params, x, _ = good(cell)
    forward_pass, backward_pass, size = {
        "rnn": (notebook.rnn_forward, notebook.rnn_backward, 4),
        "lstm": (notebook.lstm_forward, notebook.lstm_backward, 10),
        "gru": (notebook.gru_forward, notebook.gru_backward, 7)}[cell]
    steps, cached_x = forward_pass(x, np.zeros((N_A, M)), params.as_dict())[-1]
    dA = np.ones((N_A, M, T_X))
    spoiled = data.draw(st.sampled_from(["dA", "caches", "a cache", "an array of a cache"]))
    caches = (steps, cached_x)
    if spoiled == "dA":
        dA = data.draw(hostile(dA.shape))
    elif spoiled == "caches":
        caches = data.draw(st.one_of(hostile((2,)), st.just((steps,)), st.just(([], cached_x)),
                                     st.just((list(steps) + [(1, 2)], cached_x))))
    else:
        t = data.draw(st.integers(0, T_X - 1))
        field = data.draw(st.integers(0, size - 1))
        cache = list(steps[t])
        if spoiled == "a cache":
            cache = data.draw(st.one_of(st.none(), st.just(tuple(cache[:-1]))))
        elif isinstance(cache[field], dict):
            cache[field], _ = spoil_dict(data, cache[field])
        else:
            cache[field] = data.draw(hostile(np.shape(cache[field])))
        hand_made = list(steps)
        hand_made[t] = tuple(cache) if isinstance(cache, list) else cache
        caches = (hand_made, cached_x)
    names = ("dA",) if spoiled == "dA" else ("caches", "cache<", *params.names(), "parameters",
                                             *SIZES)
    outcome(lambda: backward_pass(dA, caches), *names)


@SETTINGS
@given(data=st.data())
def test_the_notebook_adam_names_a_bad_argument(data):
    parameters = init_params("rnn", N_X, N_A, N_Y, np.random.default_rng(0)).as_dict()
    grads = {"d" + name: np.full_like(value, 0.1) for name, value in parameters.items()}
    v, s = notebook.initialize_adam(parameters)
    dicts = {"parameters": parameters, "grads": grads, "v": v, "s": s}
    numbers = {"t": 1, "learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    spoiled = data.draw(st.sampled_from([*dicts, *numbers, "a dict"]))
    names = (spoiled,)
    if spoiled in dicts:
        key = data.draw(st.sampled_from(list(dicts[spoiled])))
        dicts[spoiled] = {**dicts[spoiled], key: data.draw(hostile(np.shape(parameters[
            key.removeprefix("d") if spoiled != "parameters" else key])))}
        names = (key, key.removeprefix("d"))
    elif spoiled == "a dict":
        spoiled = data.draw(st.sampled_from(list(dicts)))
        dicts[spoiled] = data.draw(st.one_of(st.none(), hostile((2,))))
        names = (spoiled,)
    else:
        numbers[spoiled] = data.draw(HOSTILE_NUMBERS)
    outcome(lambda: notebook.update_parameters_with_adam(*dicts.values(), **numbers), *names)
    outcome(lambda: notebook.initialize_adam(dicts["parameters"]), *names, "parameters")


@SETTINGS
@given(cell=st.one_of(CELL_NAMES, HOSTILE_NAMES), data=st.data())
def test_notebook_example_softmax_and_sigmoid_name_a_bad_argument(cell, data):
    arguments = {"n_x": N_X, "n_a": N_A, "n_y": N_Y, "m": M, "T_x": T_X, "seed": 1}
    spoiled = data.draw(st.sampled_from(list(arguments)))
    value = data.draw(HOSTILE_NUMBERS)
    if isinstance(value, int) and 0 < value < 10 ** 6 and spoiled != "seed":
        value = min(value, 50)  # a size that fits: just small
    arguments[spoiled] = value
    names = (spoiled, "cell")
    outcome(lambda: notebook.notebook_example(cell, **arguments), *names)
    x = data.draw(hostile((N_Y, M)))
    outcome(lambda: notebook.softmax(x), "x")
    outcome(lambda: notebook.sigmoid(x), "x")


@pytest.mark.parametrize("cell", list(CELLS))
def test_a_good_call_gives_a_finite_result(cell):
    """The property's baseline: with no argument spoiled every call returns numbers."""
    params, x, targets = good(cell)
    outcome(lambda: loss_and_gradients(params, x, targets, Loss()))
    outcome(lambda: notebook.notebook_example(cell))
