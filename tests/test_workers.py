"""rnnviz.app.workers and the runs they train (rnnviz.app.runs), without Streamlit: a job
trains its trainers side by side in a process of its own and gives them back, stops after the
step in progress, a pool trains at most its slots at once and keeps the others in line, and
no worker process outlives its job. Tests wait for conditions, never for a set time."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rnnviz.app import runs as run_records
from rnnviz.app.runs import Run
from rnnviz.app.workers import Job, Pool
from rnnviz.training.settings import TrainConfig
from rnnviz.training.trainer import Trainer

SMALL = TrainConfig(n_a=3, m=2, T_x=4, steps=6, stats_every=2, snapshot_every=3)
ENDLESS = SMALL.replace(steps=20_000, snapshot_every=100)
WAIT_S = 300   # only a bound on a broken test: every wait ends on its condition


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.01)


def new_run(config: TrainConfig = SMALL, run_id: int = 1) -> Run:
    trainer = Trainer(config)
    return Run(id=run_id, label=config.label(), config=config, trainer=trainer,
               snapshots=dict(trainer.snapshots))


def collect_until_ended(runs: list[Run]) -> None:
    wait_until(lambda: run_records.collect(runs) or not any(r.training for r in runs),
               "the job ended")




def test_runs_train_side_by_side_in_a_worker_as_they_would_here():
    pool = Pool(slots=1)
    rnn, lstm = new_run(SMALL.replace(cell="rnn"), 1), new_run(SMALL, 2)
    job = run_records.start([rnn, lstm], pool)
    assert isinstance(job, Job) and rnn.job is job and rnn.trainer is None
    collect_until_ended([rnn, lstm])
    assert rnn.status == lstm.status == "finished" and rnn.job is None
    assert rnn.history["step"] == lstm.history["step"] == [1, 2, 3, 4, 5, 6]
    here = Trainer(SMALL)
    assert lstm.history["loss"] == [r.loss for r in here.run(6)]
    np.testing.assert_array_equal(lstm.params.Wf, here.params.Wf)
    assert sorted(lstm.snapshots) == [0, 3, 6] and lstm.trainer is None
    assert lstm.train_seconds > 0 and lstm.speed() > 0
    steps, by_param = lstm.stat_series("step")
    assert {2, 4, 6} <= set(steps.tolist()) and set(by_param) == set(lstm.params.as_dict())
    assert not job.worker_alive and pool.counts() == (0, 0)


def test_stop_ends_the_job_after_the_step_in_progress_and_continue_goes_on_from_there():
    pool = Pool(slots=1)
    run = new_run(ENDLESS)
    job = run_records.start([run], pool)
    wait_until(lambda: run_records.collect([run]) or run.steps_done >= 3, "a few steps")
    run_records.stop([run])
    assert run.status == "stopping"
    collect_until_ended([run])
    assert run.status == "stopped" and run.resumable
    assert run.trainer.t == run.steps_done == len(run.history["step"]) < ENDLESS.steps
    assert not job.worker_alive
    stopped_at = run.steps_done
    run_records.start([run], pool)
    wait_until(lambda: run_records.collect([run]) or run.steps_done > stopped_at + 2,
               "training went on")
    run_records.stop([run])
    collect_until_ended([run])
    assert run.history["step"] == list(range(1, run.steps_done + 1))


def test_a_pool_trains_at_most_its_slots_and_the_others_wait_in_line():
    pool = Pool(slots=1)
    first, second, third = (new_run(ENDLESS, i) for i in (1, 2, 3))
    jobs = [run_records.start([run], pool) for run in (first, second, third)]
    assert [j.state for j in jobs] == ["running", "queued", "queued"]
    assert [j.place for j in jobs] == [0, 1, 2] and pool.counts() == (1, 2)
    run_records.stop([third])   # leaving the line gives the trainer back at once
    run_records.collect([third])
    assert third.status == "stopped" and third.steps_done == 0 and third.resumable
    assert pool.counts() == (1, 1)
    run_records.stop([first])
    wait_until(lambda: jobs[1].state == "running", "the next in line started")
    collect_until_ended([first])
    run_records.stop([second])
    collect_until_ended([second])
    assert second.status == "stopped" and second.steps_done >= 0
    wait_until(lambda: pool.counts() == (0, 0), "the pool emptied")
    assert not any(job.worker_alive for job in jobs)


def test_a_worker_that_dies_fails_its_runs_saying_so_and_frees_its_slot():
    pool = Pool(slots=1)
    run = new_run(ENDLESS)
    job = run_records.start([run], pool)
    wait_until(lambda: job.worker_alive, "the worker started")
    job._process.kill()
    collect_until_ended([run])
    assert run.status == "failed" and "ended unexpectedly" in run.message
    assert not run.resumable and run.params is run.snapshots[max(run.snapshots)]
    wait_until(lambda: pool.counts() == (0, 0), "the slot was freed")


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_a_diverging_run_ends_diverged_in_its_worker(cell):
    run = new_run(SMALL.replace(cell=cell, task="sine", optimizer="sgd", learning_rate=1e4,
                                clip="none", steps=50))
    run_records.start([run], Pool(slots=1))
    collect_until_ended([run])
    assert run.status == "diverged" and "diverged at step" in run.message
    assert run.steps_done < 50 and not run.resumable
