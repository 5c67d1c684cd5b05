"""Truncated BPTT (backward(..., truncate=k)): against its definition, each loss term's
output computed from the state k steps before it held fixed, by central differences; k at
least T_x is full BPTT; bad values and interventions are refused."""

import dataclasses

import numpy as np
import pytest

from rnnviz.engine import CELLS, Intervention, Loss, backward, forward, init_params
from rnnviz.engine.losses import loss_and_output_gradient
from rnnviz.engine.model import loss_and_gradients

EPS = 1e-6
N_X, N_A, N_Y, M, T_X = 2, 3, 3, 2, 6


def problem(cell: str, kind: str):
    rng = np.random.default_rng(11)
    params = init_params(cell, N_X, N_A, N_Y, rng, weight_scale=1.4)
    x = rng.standard_normal((N_X, M, T_X))
    if kind == "cross_entropy":
        targets = rng.integers(0, N_Y, (M, T_X))
    else:
        targets = rng.standard_normal((N_Y, M, T_X))
    return params, x, targets


def truncated_loss(params, x, targets, loss: Loss, k: int, held) -> float:
    """The definition: output t computed over steps t - k + 1 ... t from the state the
    unchanged network's run (`held`, a trace) had before them, held fixed (a<0> and c<0>
    are zeros)."""
    states = CELLS[params.cell].states
    z_y = np.empty_like(held.z_y)
    for t in range(1, T_X + 1):
        start = max(0, t - k)
        initial = {f"{s}0": (getattr(held, s)[:, :, start - 1] if start else None)
                   for s in states}
        window = forward(params, x[:, :, start:t], output=loss.output, **initial)
        z_y[:, :, t - 1] = window.z_y[:, :, -1]
    return loss_and_output_gradient(loss, z_y, targets)[0]


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize(("kind", "where"), [("cross_entropy", "all"), ("cross_entropy", "last"),
                                             ("squared_error", "all")])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_the_gradient_is_that_of_the_truncated_loss(cell, kind, where, k):
    params, x, targets = problem(cell, kind)
    loss = Loss(kind, where)
    held, back = loss_and_gradients(params, x, targets, loss, truncate=k)
    for name in params.names():
        value = getattr(params, name)
        grad = getattr(back.grads, name)
        for index in [(0, 0), (value.shape[0] - 1, value.shape[1] - 1)]:
            moved = []
            for sign in (1, -1):
                changed = value.copy()
                changed[index] += sign * EPS
                moved.append(truncated_loss(dataclasses.replace(params, **{name: changed}),
                                            x, targets, loss, k, held))
            assert grad[index] == pytest.approx((moved[0] - moved[1]) / (2 * EPS),
                                                rel=1e-5, abs=1e-10), (name, index)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_a_truncation_as_long_as_the_sequence_is_full_bptt(cell):
    params, x, targets = problem(cell, "cross_entropy")
    trace, full = loss_and_gradients(params, x, targets, Loss())
    for k in (T_X, T_X + 5):
        cut = backward(params, trace, targets, Loss(), truncate=k)
        for name in params.names():
            np.testing.assert_array_equal(getattr(cut.grads, name), getattr(full.grads, name))


def test_truncation_shortens_the_gradient_flow_and_reaches_a0_only_from_early_terms():
    params, x, targets = problem("lstm", "cross_entropy")
    trace = forward(params, x)
    last = backward(params, trace, targets, Loss("cross_entropy", "last"), truncate=2)
    assert np.all(last.dA[:, :, : T_X - 2] == 0) and np.all(last.dA[:, :, -2:] != 0)
    assert np.all(last.da0 == 0) and np.all(last.dc0 == 0)   # a<T_x - 2> held: a<0> unreached
    every = backward(params, trace, targets, Loss(), truncate=3)
    assert np.all(every.da0 != 0)   # the terms at t = 1, 2 reach a<0>


@pytest.mark.parametrize(("truncate", "error"), [(0, ValueError), (-2, ValueError),
                                                 (1.5, ValueError), ("3", TypeError)])
def test_bad_truncation_lengths_are_refused(truncate, error):
    params, x, targets = problem("rnn", "cross_entropy")
    with pytest.raises(error, match="truncate"):
        loss_and_gradients(params, x, targets, Loss(), truncate=truncate)


def test_truncation_with_interventions_is_refused_with_a_reason():
    params, x, targets = problem("gru", "cross_entropy")
    trace = forward(params, x, interventions=[Intervention("u", 0.0)])
    with pytest.raises(ValueError, match="truncate: truncated BPTT through interventions"):
        backward(params, trace, targets, Loss(), truncate=2)


@pytest.mark.parametrize("T_x, k, every_step", [(1, 1, True), (7, 1, True), (7, 3, True),
                                                 (7, 7, True), (7, 12, True), (7, 3, False),
                                                 (7, 9, False)])
def test_truncated_steps_counts_the_cell_steps_truncated_bptt_runs(monkeypatch, T_x, k,
                                                                    every_step):
    from rnnviz.engine import model, truncation
    from rnnviz.engine.truncation import truncated_steps

    params = init_params("rnn", 2, 3, 2, np.random.default_rng(0))
    rng = np.random.default_rng(1)
    trace = forward(params, rng.standard_normal((2, 2, T_x)))
    targets = rng.integers(0, 2, (2, T_x))
    cell = truncation.cell_of(params)
    run = []   # the steps of each window back-propagated

    def counted(p, window, flow, **options):
        run.append(flow.shape[0])
        return cell.bptt(p, window, flow, **options)

    counting = dataclasses.replace(cell, bptt=counted)
    for module in (model, truncation):   # full BPTT (k >= T_x) and truncated
        monkeypatch.setattr(module, "cell_of", lambda p, *_: counting)
    backward(params, trace, targets, Loss("cross_entropy", "all" if every_step else "last"),
             truncate=k)
    assert sum(run) == truncated_steps(T_x, k, every_step)
