"""Experiments on a trained network: recall on fresh sequences, the memory gate shut between
the symbol and the cue, units silenced, their importance and the ablation curve; on small
random networks (what each intervention does) and on the bundled copy LSTM (what it finds)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import CELLS, forward, init_params
from rnnviz.training import bundled, experiments
from rnnviz.training.experiments import (
    fresh_batch,
    importance,
    k_grid,
    ranking,
    score,
    shut_memory,
    silence,
)
from rnnviz.training.tasks import make_task

COPY = make_task("copy")


def small(cell: str, n_a: int = 5, seed: int = 0):
    return init_params(cell, COPY.n_x, n_a, COPY.n_y, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def copy_lstm():
    """The bundled copy LSTM and every experiment on it."""
    loaded = bundled.load("copy-lstm")
    params, task = loaded.trained.params, loaded.trained.task
    return params, task, experiments.report(params, task, loaded.trained.config.T_x)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_silencing_no_unit_changes_nothing(cell):
    params = small(cell)
    batch = fresh_batch(COPY, 9, sequences=20, seed=3)
    assert silence(params, []) == ()
    as_is = forward(params, batch.x)
    silenced = forward(params, batch.x, interventions=silence(params, []))
    for state in ("a", "y_hat"):
        np.testing.assert_array_equal(getattr(silenced, state), getattr(as_is, state))
    assert score(params, COPY, batch, silence(params, [])) == score(params, COPY, batch)


@pytest.mark.parametrize("cell, states", [("rnn", ("a",)), ("lstm", ("a", "c")),
                                          ("gru", ("a",))])
def test_a_silenced_unit_holds_every_state_at_zero_at_every_step_and_the_others_move(
        cell, states):
    params = small(cell)
    batch = fresh_batch(COPY, 9, sequences=20, seed=3)
    trace = forward(params, batch.x, interventions=silence(params, [1, 3]))
    for state in states:
        values = getattr(trace, state)
        assert np.all(values[[1, 3]] == 0), state
        assert np.all(np.abs(values[[0, 2, 4]]).max(axis=(1, 2)) > 0), state


def test_the_lstm_forget_gate_is_shut_strictly_between_the_symbol_and_the_cue():
    params = small("lstm")
    T_x = 9
    batch = fresh_batch(COPY, T_x, sequences=20, seed=3)
    shut = shut_memory("lstm", T_x)
    assert (shut.target, shut.value, shut.steps) == ("f", 0.0, tuple(range(2, T_x)))
    trace = forward(params, batch.x, interventions=[shut])
    assert np.all(trace.f[:, :, 1:T_x - 1] == 0)   # t = 2 .. T_x - 1
    assert np.all(trace.f[:, :, [0, T_x - 1]] > 0)  # t = 1 and t = T_x as the network has them
    np.testing.assert_array_equal(trace.c[:, :, 1:T_x - 1],
                                  trace.u[:, :, 1:T_x - 1] * trace.c_tilde[:, :, 1:T_x - 1])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_cutting_every_road_leaves_nothing_of_the_symbol_at_the_cue(cell):
    params = small(cell)
    T_x = 8
    batch = fresh_batch(COPY, T_x, sequences=20, seed=3)
    trace = forward(params, batch.x, interventions=experiments.cut_everything(cell, T_x))
    assert np.all(trace.a[:, :, 1:T_x - 1] == 0)
    other = batch.x.copy()
    other[:COPY.symbols, :, 0] = np.roll(other[:COPY.symbols, :, 0], 1, axis=0)  # symbols
    changed = forward(params, other, interventions=experiments.cut_everything(cell, T_x))
    assert not np.allclose(trace.a[:, :, 0], changed.a[:, :, 0])   # it saw another symbol
    np.testing.assert_array_equal(changed.y_hat[:, :, -1], trace.y_hat[:, :, -1])


def test_a_large_network_is_measured_on_fewer_sequences_and_a_huge_one_refused():
    assert experiments.sequences_for("lstm", 10, 32, 8, 21) == experiments.EVAL_SEQUENCES
    fewer = experiments.sequences_for("lstm", 10, 64, 8, 21)
    assert experiments.MIN_SEQUENCES <= fewer < experiments.EVAL_SEQUENCES and fewer % 100 == 0
    passes = experiments.forward_passes(64)
    assert passes == 3 + 64 + len(k_grid(64)) * (1 + experiments.RANDOM_DRAWS)
    assert fewer * passes * CELLS["lstm"].multiply_adds(10, 64, 8, 1, 21) \
        <= experiments.MAX_MULTIPLY_ADDS
    with pytest.raises(ValueError, match="n_a = 256 on sequences of T_x = 200 is too large"):
        experiments.sequences_for("lstm", 10, 256, 8, 200)


def test_the_gru_update_gate_is_opened_wide_and_the_rnn_has_no_memory_gate():
    assert (shut_memory("gru", 9).target, shut_memory("gru", 9).value) == ("u", 1.0)
    assert shut_memory("rnn", 9) is None
    assert shut_memory("lstm", 2) is None   # no step between the symbol and the cue


def test_importance_is_the_rise_of_the_loss_with_the_unit_alone_silenced():
    params = small("lstm", n_a=4)
    batch = fresh_batch(COPY, 7, sequences=30, seed=1)
    rise, alone = importance(params, COPY, batch)
    base = score(params, COPY, batch)
    for j in range(4):
        silenced = score(params, COPY, batch, silence(params, [j]))
        assert rise[j] == silenced.loss - base.loss
        assert alone[j] == silenced.accuracy
    assert len(set(rise.tolist())) == 4   # each unit changes the loss its own way


def test_the_ranking_puts_the_largest_rise_first_and_ties_by_the_lower_unit():
    np.testing.assert_array_equal(ranking(np.array([0.1, 0.5, 0.1, -0.2, 0.5])), [1, 4, 0, 2, 3])


@pytest.mark.parametrize("n_a", [1, 5, 8, 9, 32, 256])
def test_the_grid_of_k_runs_from_none_to_every_unit_and_takes_every_small_k(n_a):
    ks = k_grid(n_a)
    assert ks[0] == 0 and ks[-1] == n_a and np.all(np.diff(ks) > 0)
    assert set(range(min(n_a, 8) + 1)) <= set(ks.tolist())
    assert len(ks) <= 20


def test_the_ablation_silences_the_first_k_of_the_order_and_random_draws_of_k():
    params = small("gru", n_a=6)
    batch = fresh_batch(COPY, 7, sequences=30, seed=1)
    order = np.array([5, 2, 0, 1, 4, 3])
    curve = experiments.ablation(params, COPY, batch, order, ks=[0, 2, 6], draws=3)
    base = score(params, COPY, batch).accuracy
    assert curve.top[0] == base and np.all(curve.random[0] == base)
    assert curve.top[1] == score(params, COPY, batch, silence(params, [5, 2])).accuracy
    assert curve.top[2] == score(params, COPY, batch, silence(params, range(6))).accuracy
    assert np.all(curve.random[2] == curve.top[2])   # every unit: the same set
    assert curve.random.shape == (3, 3)


def test_a_report_refuses_a_task_without_a_symbol_to_recall():
    with pytest.raises(ValueError, match="copy task"):
        experiments.report(small("lstm"), make_task("adding"), 9)


def test_a_report_on_an_rnn_has_no_gate_to_shut_but_ranks_its_units():
    result = experiments.report(small("rnn", n_a=3), COPY, 6, sequences=40)
    assert result.shut is None and result.shut_gate is None
    assert sorted(result.order.tolist()) == [0, 1, 2] and result.chance == 1 / 8


def test_the_bundled_copy_lstm_loses_the_symbol_with_its_forget_gate_shut(copy_lstm):
    _, task, result = copy_lstm
    assert result.sequences == experiments.EVAL_SEQUENCES and result.T_x == 21
    trained, shut, cut = result.trained.accuracy, result.shut.accuracy, result.cut.accuracy
    assert trained >= 0.9
    # f = 0 takes it most of the way to chance: what is left crosses through a<t-1>
    assert (trained - shut) / (trained - task.chance) >= 0.85 and shut < 2 * task.chance
    # and with that road cut too, it recalls what guessing does
    assert experiments.near_chance(cut, task.chance, result.sequences)


def test_on_the_bundled_copy_lstm_the_top_units_hurt_at_least_as_much_as_random_ones(copy_lstm):
    params, _, result = copy_lstm
    curve = result.curve
    assert curve.top[0] == result.trained.accuracy
    assert curve.top[-1] == curve.random_mean[-1]   # every unit silenced either way
    assert np.all(curve.top <= curve.random_mean + 0.02)
    # and somewhere it hurts clearly more: the symbol is not spread evenly
    assert np.any(curve.top < curve.random_mean - 0.2)
    assert result.rise[result.order[0]] == result.rise.max() > 0
