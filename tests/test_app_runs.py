"""rnnviz.app.runs without Streamlit: a Run keeps what its steps recorded and what its task
left out of its data, a diverged run says what to try, and a run's network opens with the
Config that shows it. (Runs trained in workers: tests/test_workers.py.)"""

import numpy as np
import pytest

from rnnviz.app.runs import (
    HISTORY_COLUMNS,
    STATUS_WORDS,
    Run,
    place_words,
    start,
    status_words,
    stop,
    view_config,
    what_to_try,
)
from rnnviz.app.workers import Pool
from rnnviz.training.settings import TrainConfig
from rnnviz.training.trainer import Trainer

SMALL = TrainConfig(n_a=3, m=2, T_x=4, steps=6, stats_every=2, snapshot_every=3)


def new_run(config: TrainConfig = SMALL, run_id: int = 1) -> Run:
    trainer = Trainer(config)
    return Run(id=run_id, label=config.label(), config=config, trainer=trainer,
               snapshots=dict(trainer.snapshots))


def train_here(run: Run) -> None:
    """Train a run to its end in this thread, as its worker would, and end it."""
    for record in run.trainer:
        run.add(record)
    run.end(run.trainer, None)


def test_a_run_records_every_column_and_the_optimizers_statistics():
    run = new_run()
    train_here(run)
    assert {len(run.history[c]) for c in HISTORY_COLUMNS} == {6}
    assert run.last("loss") == run.history["loss"][-1]
    steps, by_param = run.stat_series("step")
    assert {2, 4, 6} <= set(steps.tolist()) and set(by_param) == set(run.params.as_dict())
    assert np.isnan(new_run().last("accuracy")) and np.isnan(new_run().speed())
    assert run.status == "finished" and run.trainer is None and sorted(run.snapshots) == [0, 3, 6]


def test_a_run_that_was_stopped_is_resumable_and_one_that_finished_is_not():
    run = new_run()
    run.add(run.trainer.step())
    run.status = "stopped"
    assert run.resumable
    train_here(run)
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
    train_here(run)
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


def test_a_waiting_run_says_its_place_in_the_servers_line():
    line = Pool(slots=0)   # no slot: every job waits, and no worker process starts
    first, second, third = (new_run(run_id=k) for k in (1, 2, 3))
    start([first], line)
    start([second, third], line)   # one job: both have its place
    assert [r.place for r in (first, second, third)] == [1, 2, 2]
    assert place_words(first) == "place 1 in line, next to start"
    assert place_words(third) == "place 2 in line, 1 job ahead of it"
    assert status_words(third) == f"{STATUS_WORDS['queued']} (place 2 in line, 1 job ahead of it)"
    fourth = new_run(run_id=4)
    start([fourth], line)
    assert place_words(fourth) == "place 3 in line, 2 jobs ahead of it"
    stop([first])   # withdrawn from the line: the others move up
    assert first.place == 0 and status_words(first) == STATUS_WORDS["stopping"]
    assert [second.place, fourth.place] == [1, 2]
    assert place_words(fourth) == "place 2 in line, 1 job ahead of it"
    line.withdraw(fourth.job)   # as the pool does when a slot frees, before the page knows
    assert fourth.status == "queued" and place_words(fourth) == "starting"


def test_a_run_not_waiting_has_no_place_in_line():
    run = new_run()
    assert run.place == 0 and status_words(run) == STATUS_WORDS["stopped"]


def test_a_snapshot_slider_follows_the_newest_or_keeps_the_step_chosen():
    from rnnviz.app.runs import shown_snapshot, snapshot_choice
    steps = [0, 3, 6, 9]
    assert shown_snapshot(steps, None) == 9            # following the run
    assert shown_snapshot(steps, 3) == 3
    assert shown_snapshot(steps, 4) == 3 and shown_snapshot(steps, 5) == 6
    assert shown_snapshot(steps, 7.5) == 9             # the later of two as near
    assert snapshot_choice(steps, 9) is None and snapshot_choice(steps, 6) == 6
