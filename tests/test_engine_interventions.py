"""Interventions (rnnviz.engine.interventions): a gate clamped or a state set on chosen units
at chosen steps changes the forward pass exactly there and as the cell's equations say, the
trace records it, BPTT through the intervened network matches central differences for every
cell and every kind of intervention, and a bad intervention is a ValueError that says why."""

import dataclasses
import pickle

import numpy as np
import pytest

from rnnviz.engine import CELLS, Intervention, Loss, backward, forward, init_params
from rnnviz.engine.activations import use_kernel
from rnnviz.engine.analysis import step_jacobians
from rnnviz.engine.gradcheck import gradient_check
from rnnviz.engine.model import hidden_backward, loss_and_gradients, loss_value

TOLERANCE = 1e-7
KINDS = [(cell, target) for cell in CELLS for target in CELLS[cell].targets]
N_X, N_A, N_Y, M, T_X = 3, 4, 3, 2, 6


def problem(cell, seed=0):
    """Parameters with non-zero biases, inputs, targets and random initial states."""
    rng = np.random.default_rng(seed)
    drawn = init_params(cell, N_X, N_A, N_Y, rng, weight_scale=1.3)
    params = dataclasses.replace(drawn, **{name: 0.5 * rng.standard_normal(value.shape)
                                           for name, value in drawn.items() if name[0] == "b"})
    x = rng.standard_normal((N_X, M, T_X))
    initial = {state + "0": rng.standard_normal((N_A, M)) for state in CELLS[cell].states}
    return params, x, rng.integers(0, N_Y, size=(M, T_X)), initial


def held(target):
    """A value an intervention on `target` may hold that no unit takes by itself."""
    return 0.3 if target not in ("a", "c") else -1.7


def test_each_cell_describes_the_gates_and_states_it_can_intervene_on():
    assert CELLS["lstm"].targets == ("f", "u", "o", "a", "c")
    assert CELLS["gru"].targets == ("r", "u", "a")
    assert CELLS["rnn"].targets == ("a",)


def test_an_intervention_normalises_its_units_and_steps():
    change = Intervention("f", 1, units=[3, 1, 3], steps=range(4, 1, -1))
    assert change == Intervention("f", 1.0, units=(1, 3), steps=(2, 3, 4))
    assert isinstance(change.value, float)
    assert Intervention("a", 0.5).units is None and Intervention("a", 0.5).steps is None


# ----- forward: where and how the values are held ---------------------------------------------

def test_lstm_forget_gate_at_zero_gives_c_equal_to_u_times_the_candidate():
    params, x, _, initial = problem("lstm")
    trace = forward(params, x, **initial, interventions=[Intervention("f", 0.0, steps=[3, 4])])
    for t in (2, 3):  # array index t - 1
        np.testing.assert_array_equal(trace.f[:, :, t], 0.0)
        np.testing.assert_array_equal(trace.c[:, :, t], trace.u[:, :, t] * trace.c_tilde[:, :, t])
    assert np.all(trace.f[:, :, [0, 1, 4, 5]] > 0)


def test_lstm_forget_gate_at_one_and_update_at_zero_keep_the_initial_cell_state():
    params, x, _, initial = problem("lstm")
    trace = forward(params, x, **initial,
                    interventions=[Intervention("f", 1.0), Intervention("u", 0.0)])
    for t in range(T_X):
        np.testing.assert_array_equal(trace.c[:, :, t], initial["c0"])
    np.testing.assert_allclose(trace.a, trace.o * np.tanh(trace.c), rtol=0, atol=1e-15)


def test_lstm_set_cell_state_is_what_its_output_gate_reads():
    params, x, _, initial = problem("lstm")
    trace = forward(params, x, **initial, interventions=[Intervention("c", 2.0, units=[1])])
    np.testing.assert_array_equal(trace.c[1], 2.0)
    np.testing.assert_allclose(trace.a[1], trace.o[1] * np.tanh(2.0), rtol=1e-15)


def test_gru_update_gate_at_zero_keeps_the_initial_state_and_at_one_takes_the_candidate():
    params, x, _, initial = problem("gru")
    kept = forward(params, x, **initial, interventions=[Intervention("u", 0.0)])
    for t in range(T_X):
        np.testing.assert_array_equal(kept.a[:, :, t], initial["a0"])
    replaced = forward(params, x, **initial, interventions=[Intervention("u", 1.0)])
    np.testing.assert_allclose(replaced.a, replaced.c_tilde, rtol=0, atol=1e-15)


def test_gru_reset_gate_at_zero_makes_the_candidate_forget_the_previous_state():
    params, x, _, initial = problem("gru")
    shut = [Intervention("r", 0.0, steps=[1])]
    one = forward(params, x, **initial, interventions=shut)
    other = forward(params, x, a0=initial["a0"] + 1.0, interventions=shut)
    np.testing.assert_array_equal(one.c_tilde[:, :, 0], other.c_tilde[:, :, 0])
    assert not np.allclose(one.u[:, :, 0], other.u[:, :, 0])  # the gates still read a0


@pytest.mark.parametrize(("cell", "target"), KINDS)
def test_only_the_chosen_units_and_steps_of_the_target_are_held(cell, target):
    params, x, _, initial = problem(cell, seed=1)
    plain = forward(params, x, **initial)
    change = Intervention(target, held(target), units=[0, 2], steps=[2, 5])
    trace = forward(params, x, **initial, interventions=[change])
    assert trace.interventions == (change,)
    for name in trace.arrays():  # nothing moves before the first step intervened on
        np.testing.assert_array_equal(getattr(trace, name)[..., :1],
                                      getattr(plain, name)[..., :1], err_msg=name)
    values, original = getattr(trace, target), getattr(plain, target)
    chosen = np.zeros(values.shape, dtype=bool)
    chosen[np.ix_([0, 2], range(M), [1, 4])] = True
    np.testing.assert_array_equal(values[chosen], held(target))
    np.testing.assert_array_equal(values[:, :, 1][~chosen[:, :, 1]],
                                  original[:, :, 1][~chosen[:, :, 1]])
    assert np.all(original[chosen] != held(target))


@pytest.mark.parametrize(("cell", "state"), [(c, s) for c in CELLS for s in CELLS[c].states])
def test_the_step_after_a_set_state_starts_from_the_value_set(cell, state):
    """Step 3 of the fused forward is the readable step pair run on the states step 2 left,
    the set value among them."""
    params, x, _, initial = problem(cell, seed=2)
    trace = forward(params, x, **initial, interventions=[Intervention(state, 0.9, steps=[2])])
    description = CELLS[cell]
    previous = [getattr(trace, s)[:, :, 1] for s in description.states]
    *states, _ = description.step_forward(x[:, :, 2], *previous, params)
    for name, value in zip(description.states, states, strict=True):
        np.testing.assert_allclose(getattr(trace, name)[:, :, 2], value, rtol=1e-13,
                                   atol=1e-15, err_msg=name)


def test_a_later_intervention_wins_where_two_hold_the_same_entries():
    params, x, _, initial = problem("lstm")
    trace = forward(params, x, **initial, interventions=[
        Intervention("o", 0.2, steps=[3]), Intervention("o", 0.7, units=[1], steps=[3])])
    np.testing.assert_array_equal(trace.o[1, :, 2], 0.7)
    np.testing.assert_array_equal(trace.o[[0, 2, 3], :, 2], 0.2)


@pytest.mark.parametrize(("cell", "target"), KINDS)
def test_both_activation_kernels_give_the_same_intervened_network(cell, target):
    params, x, targets, initial = problem(cell, seed=3)
    changes = [Intervention(target, held(target), units=[1], steps=[2, 3])]
    results = {}
    for kernel in ("tanh", "exp"):
        with use_kernel(kernel):
            results[kernel] = loss_and_gradients(params, x, targets, Loss(), **initial,
                                                 interventions=changes)
    (trace_t, back_t), (trace_e, back_e) = results["tanh"], results["exp"]
    for name in trace_t.arrays():
        np.testing.assert_allclose(getattr(trace_e, name), getattr(trace_t, name), rtol=0,
                                   atol=1e-14, err_msg=name)
    for name, grad in back_t.grads.items():
        np.testing.assert_allclose(getattr(back_e.grads, name), grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", list(CELLS))
def test_a_state_set_far_outside_its_range_keeps_the_kernels_finite(cell):
    """The "exp" kernel is safe only for bounded arguments: a state set to 1e3 must make the
    kernel choose the other (rnnviz.engine.activations.kernel_for), not overflow."""
    params, x, _, initial = problem(cell)
    changes = [Intervention("a", 1e3, steps=[1])]
    with use_kernel("tanh"):
        expected = forward(params, x, **initial, interventions=changes)
    with use_kernel("exp"):
        trace = forward(params, x, **initial, interventions=changes)
    np.testing.assert_allclose(trace.a, expected.a, rtol=0, atol=1e-14)


# ----- backward: exact BPTT through the intervened network -------------------------------------

@pytest.mark.parametrize(("cell", "target"), KINDS)
@pytest.mark.parametrize(("units", "steps"), [([1, 3], [2, 4, 5]), (None, [3]), ([0], None)])
def test_bptt_through_every_kind_of_intervention_matches_central_differences(cell, target,
                                                                             units, steps):
    params, x, targets, initial = problem(cell, seed=4)
    for value in ((0.0, 1.0, held(target)) if target not in ("a", "c") else (held(target),)):
        changes = [Intervention(target, value, units=units, steps=steps)]
        checks = gradient_check(params, x, targets, Loss(), **initial, include_inputs=True,
                                interventions=changes)
        errors = {name: check.relative_error for name, check in checks.items()}
        assert max(errors.values()) < TOLERANCE, (value, errors)


@pytest.mark.parametrize("cell", list(CELLS))
def test_bptt_through_several_interventions_at_once_matches_central_differences(cell):
    params, x, targets, initial = problem(cell, seed=5)
    changes = [Intervention(target, held(target), units=[j % N_A], steps=[j + 1, j + 2])
               for j, target in enumerate(CELLS[cell].targets)]
    checks = gradient_check(params, x, targets, Loss(), **initial, include_inputs=True,
                            interventions=changes)
    assert max(check.relative_error for check in checks.values()) < TOLERANCE


@pytest.mark.parametrize(("cell", "state"), [(c, s) for c in CELLS for s in CELLS[c].states])
def test_the_flow_at_a_set_state_is_the_loss_derivative_by_the_value_set(cell, state):
    """dA (dC) at a set entry is dL/d(value): the gradient arrives there, and stops."""
    params, x, targets, initial = problem(cell, seed=6)
    unit, step, value, h = 2, 3, 0.4, 1e-5

    def loss_at(v):
        return loss_value(params, x, targets, Loss(), **initial,
                          interventions=[Intervention(state, v, units=[unit], steps=[step])])

    _, back = loss_and_gradients(params, x, targets, Loss(), **initial,
                                 interventions=[Intervention(state, value, units=[unit],
                                                             steps=[step])])
    flow = {"a": back.dA, "c": back.dC}[state][unit, :, step - 1].sum()
    numerical = (loss_at(value + h) - loss_at(value - h)) / (2 * h)
    assert abs(numerical - flow) <= TOLERANCE * (abs(numerical) + abs(flow))
    assert flow != 0.0


@pytest.mark.parametrize("cell", list(CELLS))
def test_a_state_set_at_every_step_cuts_the_gradient_to_the_recurrence(cell):
    params, x, targets, initial = problem(cell)
    _, back = loss_and_gradients(params, x, targets, Loss(), **initial,
                                 interventions=[Intervention(s, 0.5) for s in CELLS[cell].states])
    assert not np.any(back.dx) and not np.any(back.da0)
    for projection in CELLS[cell].projections:
        assert not np.any(getattr(back.grads, projection.bias)), projection.bias


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("chunk_steps", [1, 2, 4])
def test_the_cuts_land_on_their_steps_whatever_the_factor_chunk(monkeypatch, cell,
                                                                 chunk_steps):
    """BPTT zeroes the factors a chunk of steps at a time: chunks of 1, 2 or 4 steps over
    T_x = 6 give the one-chunk gradients."""
    import importlib

    module = importlib.import_module(f"rnnviz.engine._{cell}_kernel")
    params, x, targets, initial = problem(cell, seed=7)
    changes = [Intervention(target, held(target), units=[1], steps=[2, 5])
               for target in CELLS[cell].targets]
    _, whole = loss_and_gradients(params, x, targets, Loss(), **initial, interventions=changes)
    monkeypatch.setattr(module, "_FACTOR_CHUNK_BYTES", chunk_steps * 8 * M * 9 * N_A)
    _, chunked = loss_and_gradients(params, x, targets, Loss(), **initial,
                                    interventions=changes)
    for name, grad in whole.grads.items():
        np.testing.assert_allclose(getattr(chunked.grads, name), grad, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(chunked.dx, whole.dx, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize(("cell", "target"), KINDS)
def test_a_pickled_intervened_trace_is_differentiated_the_same(cell, target):
    """A trace without its buffers (after a cache's pickling) keeps its interventions, and
    BPTT from its arrays holds them constant as the original's did."""
    params, x, targets, initial = problem(cell, seed=8)
    changes = [Intervention(target, held(target), units=[0, 3], steps=[1, 6])]
    trace, result = loss_and_gradients(params, x, targets, Loss(), **initial,
                                       interventions=changes)
    restored = pickle.loads(pickle.dumps(trace))
    assert restored.time_major is None and restored.interventions == trace.interventions
    again = backward(params, restored, targets, Loss())
    for name, grad in result.grads.items():
        np.testing.assert_allclose(getattr(again.grads, name), grad, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("cell", list(CELLS))
def test_hidden_backward_holds_the_trace_interventions_constant_too(cell):
    params, x, targets, initial = problem(cell, seed=9)
    changes = [Intervention(target, held(target), units=[2], steps=[3])
               for target in CELLS[cell].targets]
    trace, back = loss_and_gradients(params, x, targets, Loss(), **initial,
                                     interventions=changes)
    W = getattr(params, CELLS[cell].output_weight)
    hidden = hidden_backward(params, trace, np.einsum("yn,ymt->nmt", W, back.dz_y))
    np.testing.assert_allclose(hidden["dx"], back.dx, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(hidden["dA"], back.dA, rtol=1e-13, atol=1e-15)


# ----- what is refused, and how it is said -----------------------------------------------------

@pytest.mark.parametrize(("cell", "change", "words"), [
    ("lstm", Intervention("f", 1.5), "gate f can only be clamped to a value from 0 to 1; got 1.5"),
    ("gru", Intervention("r", -0.1), "gate r can only be clamped to a value from 0 to 1"),
    ("lstm", Intervention("r", 0.5), "LSTM has no gate or state 'r'.*f, u, o.*a, c"),
    ("gru", Intervention("c", 0.5), "GRU has no gate or state 'c'.*gates r, u and the state a$"),
    ("rnn", Intervention("f", 0.5), "RNN has no gate or state 'f'.*it offers the state a$"),
    ("rnn", Intervention("c_tilde", 0.5), "no gate or state 'c_tilde'"),
    ("lstm", Intervention("a", 0.5, units=[N_A]), f"run from 0 to n_a - 1 = {N_A - 1}; got 4"),
    ("gru", Intervention("u", 0.5, steps=[T_X + 1]), f"t = 1 to T_x = {T_X}; got 7"),
])
def test_an_intervention_that_does_not_fit_the_network_is_a_value_error(cell, change, words):
    params, x, targets, _ = problem(cell)
    with pytest.raises(ValueError, match=words):
        forward(params, x, interventions=[change])
    with pytest.raises(ValueError, match=words):
        gradient_check(params, x, targets, Loss(), interventions=change)


@pytest.mark.parametrize(("arguments", "error", "words"), [
    ({"units": []}, ValueError, "units is empty: name at least one, or None for all"),
    ({"steps": ()}, ValueError, "steps is empty"),
    ({"steps": [0, 2]}, ValueError, "each step must be a positive integer; got 0"),
    ({"units": [-1]}, ValueError, "each unit must be a whole number >= 0; got -1"),
    ({"units": [1.5]}, ValueError, "each unit must be a whole number >= 0; got 1.5"),
    ({"value": float("nan")}, ValueError, "value of f must be a finite number"),
    ({"value": "shut"}, TypeError, "value of f must be a number"),
    ({"steps": "12"}, TypeError, "steps must be a list of whole numbers, or None for all"),
    ({"units": 3}, TypeError, "units must be a list of whole numbers"),
    ({"target": None}, TypeError, "target must be the name of a gate or a state"),
])
def test_a_malformed_intervention_is_refused_when_made(arguments, error, words):
    with pytest.raises(error, match=words):
        Intervention(**{"target": "f", "value": 0.5, **arguments})


def test_interventions_must_be_interventions():
    params, x, _, _ = problem("rnn")
    with pytest.raises(TypeError, match="interventions must be a list of Intervention"):
        forward(params, x, interventions=[("a", 0.5)])
    with pytest.raises(TypeError, match="interventions must be a list of Intervention"):
        forward(params, x, interventions=0.5)


def test_backward_refuses_a_trace_whose_interventions_do_not_fit_it():
    params, x, targets, _ = problem("lstm")
    trace = forward(params, x, interventions=[Intervention("f", 0.0)])
    for bad, error in (((Intervention("f", 0.0, steps=[T_X + 1]),), ValueError),
                       ((Intervention("r", 0.0),), ValueError),
                       ([Intervention("f", 0.0)], TypeError)):
        with pytest.raises(error, match="intervene|intervention|Intervention"):
            backward(params, dataclasses.replace(trace, interventions=bad), targets, Loss())


def test_the_step_jacobians_refuse_an_intervened_trace():
    params, x, _, _ = problem("lstm")
    trace = forward(params, x, interventions=[Intervention("f", 0.0)])
    with pytest.raises(ValueError, match="without interventions"):
        step_jacobians(params, trace)


def test_more_interventions_than_the_limit_are_refused_and_the_limit_itself_runs():
    from rnnviz.limits import MAX_INTERVENTIONS

    params, x, targets, _ = problem("lstm")
    allowed = [Intervention("f", 0.0, steps=[t]) for t in range(1, MAX_INTERVENTIONS + 1)]
    trace = forward(params, x, interventions=allowed)
    assert len(trace.interventions) == MAX_INTERVENTIONS
    too_many = [*allowed, Intervention("u", 0.0)]
    with pytest.raises(ValueError, match=f"at most {MAX_INTERVENTIONS} interventions"):
        forward(params, x, interventions=too_many)
    with pytest.raises(ValueError, match=f"at most {MAX_INTERVENTIONS} interventions"):
        loss_and_gradients(params, x, targets, Loss(), interventions=too_many)
