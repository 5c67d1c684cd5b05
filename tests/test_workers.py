"""rnnviz.app.workers and rnnviz.app.worker_process, and the runs they train
(rnnviz.app.runs), without Streamlit: a job trains its trainers side by side in a process of
its own and gives them back, stops after the step in progress, a pool trains at most its
slots at once and keeps the others in line; a worker is warmed up before the job that takes
it and goes back to the pool after it, sleeping while idle, and no worker outlives its pool
or the server. Tests wait for conditions, never for a set time."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import processes
import pytest

from rnnviz.app import budget, worker_process
from rnnviz.app import runs as run_records
from rnnviz.app.runs import Run
from rnnviz.app.workers import Job, Pool
from rnnviz.engine import activations
from rnnviz.engine.activations import KERNELS, use_kernel
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


@pytest.fixture
def pool():
    """A pool of one slot, closed at the end; its workers must have ended by then."""
    made = Pool(slots=1)
    yield made
    workers = made.idle_workers()
    made.close()
    for worker in workers:
        wait_until(lambda w=worker: not w.alive, "the closed pool's worker ended")


def ended(pid: int) -> bool:
    """Exited (a zombie waiting for whoever reaps it counts: it runs no more)."""
    return not processes.running(pid)


def asleep_on_its_socket(pid: int) -> bool:
    """Every thread of the process sleeps, the main one in a read of its socket (where the
    kernel says it waits: not in a poll with a timeout, say, that would wake it again)."""
    tasks = Path(f"/proc/{pid}/task")
    states = [Path(tasks / t / "stat").read_text().rsplit(")", 1)[1].split()[0]
              for t in os.listdir(tasks)]
    return set(states) == {"S"} and "read" in Path(f"/proc/{pid}/wchan").read_text()


def test_runs_train_side_by_side_in_a_worker_as_they_would_here(pool):
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


def test_a_worker_computes_with_the_kernel_of_the_server_that_starts_it():
    """The server hands its kernel to the workers it starts (each process's own calibration
    could choose the other kernel where the two are close), so a run trains to the same bits
    in a worker as in the server. Under the other kernel the same run differs in its last
    bits, so the comparison tells them apart."""
    other = next(k for k in KERNELS if k != activations.KERNEL)
    with use_kernel(activations.KERNEL):
        usual = [r.loss for r in Trainer(SMALL).run(6)]
    with use_kernel(other):
        here = Trainer(SMALL)
        expected = [r.loss for r in here.run(6)]
        assert expected != usual
        made = Pool(slots=1)   # its workers start under `other`
        try:
            run = new_run(SMALL, 1)
            run_records.start([run], made)
            collect_until_ended([run])
        finally:
            made.close()
    assert run.status == "finished" and run.history["loss"] == expected
    np.testing.assert_array_equal(run.params.Wf, here.params.Wf)


def test_stop_ends_the_job_after_the_step_in_progress_and_continue_goes_on_from_there(pool):
    run = new_run(ENDLESS)
    job = run_records.start([run], pool)
    wait_until(lambda: run_records.collect([run]) or run.steps_done >= 3, "a few steps")
    run_records.stop([run])
    assert run.status == "stopping"
    collect_until_ended([run])
    assert run.status == "stopped" and run.resumable
    assert run.trainer.t == run.steps_done == len(run.history["step"]) < ENDLESS.steps
    assert run.trainer.snapshots == {} and 0 in run.snapshots   # the records carried them
    assert not job.worker_alive
    stopped_at = run.steps_done
    run_records.start([run], pool)
    wait_until(lambda: run_records.collect([run]) or run.steps_done > stopped_at + 2,
               "training went on")
    run_records.stop([run])
    collect_until_ended([run])
    assert run.history["step"] == list(range(1, run.steps_done + 1))


def test_a_pool_trains_at_most_its_slots_and_the_others_wait_in_line(pool):
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


def test_a_worker_that_dies_fails_its_runs_saying_so_and_frees_its_slot(pool):
    run = new_run(ENDLESS)
    job = run_records.start([run], pool)
    wait_until(lambda: job.worker_alive, "the worker started")
    job._worker.process.kill()
    collect_until_ended([run])
    assert run.status == "failed" and "ended unexpectedly" in run.message
    assert not run.resumable and run.params is run.snapshots[max(run.snapshots)]
    wait_until(lambda: pool.counts() == (0, 0), "the slot was freed")
    assert pool.idle_workers() == []   # never used again


def test_a_message_the_server_cannot_read_fails_its_runs_saying_so_and_frees_its_slot(pool):
    run = new_run(ENDLESS)
    job = run_records.start([run], pool)
    wait_until(lambda: job.worker_alive, "the worker started")
    worker = job._worker

    def unreadable():
        raise pickle.UnpicklingError("a message cut short")

    worker.conn.recv = unreadable   # what the worker sends next cannot be read
    collect_until_ended([run])
    assert run.status == "failed" and "could not read" in run.message
    wait_until(lambda: pool.counts() == (0, 0), "the slot was freed")
    wait_until(lambda: not worker.alive, "the worker ended")   # never used again
    assert pool.idle_workers() == []


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_a_diverging_run_ends_diverged_in_its_worker(cell, pool):
    run = new_run(SMALL.replace(cell=cell, task="sine", optimizer="sgd", learning_rate=1e4,
                                clip="none", steps=50))
    run_records.start([run], pool)
    collect_until_ended([run])
    assert run.status == "diverged" and "diverged at step" in run.message
    assert run.steps_done < 50 and not run.resumable


def test_a_warm_worker_trains_the_next_job_and_goes_back_to_the_pool_for_another(
        pool, monkeypatch):
    started_on = []   # the worker each job was handed (not looked up while it trains: a
    real_start = Job._start   # warm worker can end a 6-step job before a test looks)
    monkeypatch.setattr(Job, "_start", lambda job, w: (started_on.append(w), real_start(job, w)))
    pool.warm()
    [worker] = pool.idle_workers()
    assert worker.wait_warm(WAIT_S)
    for run_id in (1, 2):
        run = new_run(SMALL, run_id)
        run_records.start([run], pool)
        assert started_on == [worker] * run_id   # the job took it, not a new one
        collect_until_ended([run])
        assert run.status == "finished" and run.history["step"] == [1, 2, 3, 4, 5, 6]
        assert run.history["loss"] == [r.loss for r in Trainer(SMALL).run(6)]
        # the job hands its worker back just after its last record arrives: wait for it
        wait_until(lambda: pool.idle_workers() == [worker], "the worker went back to the pool")
        assert worker.alive


def test_an_idle_worker_sleeps_on_its_socket_and_ends_when_its_pool_closes(pool):
    pool.warm()
    [worker] = pool.idle_workers()
    assert worker.wait_warm(WAIT_S)
    wait_until(lambda: asleep_on_its_socket(worker.process.pid), "the idle worker sleeps")
    pool.close()
    wait_until(lambda: not worker.alive, "the worker ended with its pool")
    pool.warm()
    assert pool.idle_workers() == []   # a closed pool starts no more


def test_a_worker_trains_at_a_lower_priority_than_the_server_and_so_does_its_session(pool):
    pool.warm()
    [worker] = pool.idle_workers()
    assert worker.wait_warm(WAIT_S)
    pid = worker.process.pid
    server_nice = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, pid) == max(server_nice, budget.TRAINING_NICE) > 0
    group = Path(f"/proc/{pid}/autogroup")
    if group.exists():   # Linux scheduling sessions as groups: the worker's session too
        assert int(group.read_text().split()[-1]) == budget.TRAINING_NICE
        assert Path("/proc/self/autogroup").read_text() != group.read_text()  # its own


def resident_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("VmRSS")).split()[1]) / 1024


def test_an_idle_worker_gives_back_the_memory_its_last_job_freed(pool):
    pool.warm()
    [worker] = pool.idle_workers()
    assert worker.wait_warm(WAIT_S)
    warm_mb = resident_mb(worker.process.pid)
    run = new_run(TrainConfig(n_a=256, m=64, T_x=40, steps=2))   # buffers of tens of MB
    run_records.start([run], pool)
    collect_until_ended([run])
    assert run.status == "finished"
    wait_until(lambda: pool.idle_workers() == [worker], "the worker went back to the pool")
    wait_until(lambda: resident_mb(worker.process.pid) < warm_mb + 16,
               "the worker's resident memory fell back near its size when warm")


def test_a_job_skips_an_idle_worker_that_died_and_trains_on_a_new_one(pool):
    pool.warm()
    [dead] = pool.idle_workers()
    dead.process.kill()
    wait_until(lambda: not dead.alive, "the idle worker died")
    run = new_run(SMALL)
    run_records.start([run], pool)
    collect_until_ended([run])
    assert run.status == "finished" and pool.idle_workers() not in ([], [dead])


def test_a_stop_that_reaches_a_worker_after_its_job_ended_does_not_stop_the_next(pool):
    pool.warm()
    [worker] = pool.idle_workers()
    worker.conn.send(worker_process.STOP)   # as a Stop pressed just as the last job ended would
    run = new_run(SMALL)
    run_records.start([run], pool)
    collect_until_ended([run])
    assert run.status == "finished" and run.steps_done == SMALL.steps


# A server in miniature: a pool of two slots, one job training and one worker warm.
SERVER = f"""
import sys
import time
from rnnviz.app import runs
from rnnviz.app.runs import Run
from rnnviz.app.workers import Pool
from rnnviz.training.settings import TrainConfig
from rnnviz.training.trainer import Trainer
pool = Pool(slots=2)
config = TrainConfig.from_dict({ENDLESS.to_dict()!r})
run = Run(id=1, label="", config=config, trainer=Trainer(config))
job = runs.start([run], pool)
[idle] = pool.idle_workers()
idle.wait_warm()
while not run.history["step"]:
    runs.collect([run])
    time.sleep(0.01)
print(job._worker.process.pid, idle.process.pid, flush=True)
sys.stdin.read()
"""


ENDINGS = {   # how a server ends: a signal to it, or Ctrl+C in its terminal (to its group)
    "killed": lambda server: os.kill(server.pid, signal.SIGKILL),
    "terminated": lambda server: os.kill(server.pid, signal.SIGTERM),
    "Ctrl+C": lambda server: os.killpg(server.pid, signal.SIGINT),
}


@pytest.mark.parametrize("ending", ENDINGS)
def test_the_workers_end_quietly_when_the_server_does_however_it_ends(ending):
    root = Path(__file__).resolve().parents[1]
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=root, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, start_new_session=True,
                              env={**os.environ, "PYTHONPATH": str(root)})
    try:
        training, idle = map(int, server.stdout.readline().split())
        assert not ended(training) and not ended(idle)
        ENDINGS[ending](server)
        _, errors = server.communicate(timeout=WAIT_S)
        wait_until(lambda: ended(training) and ended(idle), "the server's workers ended")
        assert "worker_process.py" not in errors   # no worker printed a traceback
    finally:
        server.kill()
        server.wait(WAIT_S)
