"""rnnviz.app.runs without Streamlit: a Run keeps what its steps recorded and what its task
left out of its data, runs train side by side with a redraw between chunks, a diverged run
says what to try, and a run's network opens with the Config that shows it."""

import numpy as np
import pytest

from rnnviz.app.runs import HISTORY_COLUMNS, Run, train_live, view_config, what_to_try
from rnnviz.training.settings import TrainConfig
from rnnviz.training.trainer import Trainer

SMALL = TrainConfig(n_a=3, m=2, T_x=4, steps=6, stats_every=2, snapshot_every=3)


def new_run(config: TrainConfig = SMALL, run_id: int = 1) -> Run:
    trainer = Trainer(config)
    return Run(id=run_id, label=config.label(), config=config, trainer=trainer,
               snapshots=dict(trainer.snapshots))


def test_runs_train_side_by_side_to_the_end_and_each_is_charged_its_share_of_the_time():
    rnn, lstm = new_run(SMALL.replace(cell="rnn"), 1), new_run(SMALL, 2)
    draws = []
    train_live([rnn, lstm], lambda: draws.append(rnn.steps_done), refresh_s=0.0)
    assert rnn.status == lstm.status == "finished" and not rnn.can_continue
    assert rnn.history["step"] == lstm.history["step"] == [1, 2, 3, 4, 5, 6]
    assert draws == [1, 2, 3, 4, 5, 6]  # refresh_s 0: a redraw after every step
    assert rnn.draws == 6 and rnn.train_seconds > 0 and rnn.draw_seconds >= 0
    steps_per_second, redraws_per_second, drawing = rnn.speed()
    assert steps_per_second > 0 and redraws_per_second > 0 and 0 <= drawing < 1
    assert sorted(rnn.snapshots) == [0, 3, 6] and rnn.trainer is None
    np.testing.assert_array_equal(rnn.params.Waa, rnn.snapshots[6].Waa)


def test_a_run_records_every_column_and_the_optimizers_statistics():
    run = new_run()
    train_live([run], lambda: None)
    assert {len(run.history[c]) for c in HISTORY_COLUMNS} == {6}
    assert run.last("loss") == run.history["loss"][-1]
    steps, by_param = run.stat_series("step")
    assert {2, 4, 6} <= set(steps.tolist()) and set(by_param) == set(run.params.as_dict())
    assert np.isnan(new_run().last("accuracy")) and np.isnan(new_run().speed()[0])


def test_a_run_that_was_stopped_is_resumable_and_one_that_finished_is_not():
    run = new_run()
    run.add(run.trainer.step())
    run.status = "stopped"
    assert run.resumable
    train_live([run], lambda: None)
    assert run.steps_done == 6 and not run.resumable


def test_a_run_opens_in_the_views_with_its_tasks_sizes_unless_it_learned_a_pasted_text():
    config = view_config(SMALL.replace(task="copy", cell="rnn", T_x=5, seed=4))
    assert (config.cell, config.input, config.n_a, config.m, config.T_x, config.seed) == (
        "rnn", "copy", 3, 2, 5, 4)
    assert (config.n_x, config.n_y) != (3, 2)  # the task's sizes, not the defaults
    with pytest.raises(ValueError, match="pasted text"):
        view_config(SMALL.replace(text="abab\nbaba\n"))


def test_a_run_keeps_the_note_of_the_characters_its_text_lost_after_training():
    text = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 " * 2 + "\né"
    run = new_run(SMALL.replace(text=text))
    assert len(run.notes) == 1 and run.notes[0].startswith("1 rare character was left out")
    train_live([run], lambda: None)
    assert run.trainer is None and run.notes[0].startswith("1 rare character")
    assert new_run().notes == ()


def test_what_to_try_after_a_divergence_is_a_tenth_of_the_rate_and_clipping_if_it_was_off():
    assert what_to_try(SMALL.replace(optimizer="sgd", learning_rate=10.0, clip="none")) == (
        "a smaller learning rate (α = 1 rather than 10) or clipping the gradient (by global "
        "norm at 5)")
    # Adam's and RMSProp's steps are about α whatever the gradient: clipping is no advice
    assert what_to_try(SMALL.replace(optimizer="adam", learning_rate=10.0, clip="none")) == (
        "a smaller learning rate (α = 1 rather than 10); clipping would not help: each of "
        "Adam's steps is about α long")
    sgd = SMALL.replace(optimizer="sgd")
    assert what_to_try(sgd.replace(learning_rate=0.3, clip="value")) == (
        "a smaller learning rate (α = 0.03 rather than 0.3)")
    assert what_to_try(sgd.replace(learning_rate=5e-6)) == (
        "a smaller learning rate (α = 1e-06 rather than 5e-06)")
    assert what_to_try(sgd.replace(learning_rate=1e-6)) == "a smaller learning rate"
