"""Training runs in the browser session: kept, trained by a worker beside the page, stopped,
continued, shown or hidden, removed, and a snapshot of one opened in the other views.

Everything here is per session: runs live in ``st.session_state`` only (never in module
globals or ``st.cache_resource``), so two students on one server never see each other's
work. Only the pool of worker slots (rnnviz.app.workers.POOL) is shared. Keys, all
non-widget keys so they survive visiting other pages:

- ``RUNS_KEY`` ("rnnviz_runs"): list of `rnnviz.app.runs.Run`, newest last, at most
  MAX_RUNS (the oldest run not training is dropped first); ``RUN_COUNTER_KEY`` numbers them.
- ``JOBS_KEY``: the session's `SessionJobs`, which stops its workers when the session ends.
- ``HIDDEN_RUNS_KEY``: ids of the runs left out of the charts.
- ``DETAIL_KEY``: the id of the run "Inside one run" shows (the newest started, until the
  student chooses another).
- ``SNAPSHOT_KEY`` ("rnnviz_snapshot"): the `OpenSnapshot` chosen on the training page,
  or absent. A view uses its parameters instead of the configuration's initial ones while
  the shared Config equals ``snapshot.config`` (use `snapshot_for(config)`); changing the
  configuration in the sidebar leaves the snapshot aside.

The settings form keeps its own keys (rnnviz.ui.train_form), and so does the upload of a
model file (rnnviz.ui.train_runs).

Training: Train and Continue hand the runs to a worker process (rnnviz.app.workers), kept
warm by the server between jobs (the Training page has one warmed up when it opens,
`have_a_worker_ready`); the worker never touches the session. The Training page polls
(`collect`) and keeps what the worker sent in the Runs. A session's end is Streamlit's
release of its session-scoped resources (on disconnect, a reload or a closed tab):
`SessionJobs` is registered there and stops every job of the session, so no worker trains
for it after it ends (the worker goes back to the server's idle ones).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import streamlit as st

from rnnviz.app import runs as run_records
from rnnviz.app.config import Config
from rnnviz.app.runs import Run, view_config
from rnnviz.app.workers import POOL, Job
from rnnviz.engine.cells import CELLS
from rnnviz.training.settings import TrainConfig
from rnnviz.training.tasks import make_task
from rnnviz.training.tasks.own import Predictions
from rnnviz.training.trainer import Trained, Trainer, load_trained
from rnnviz.ui import state

RUNS_KEY = "rnnviz_runs"
RUN_COUNTER_KEY = "rnnviz_run_counter"
JOBS_KEY = "rnnviz_train_jobs"
HIDDEN_RUNS_KEY = "rnnviz_train_hidden"
DETAIL_KEY = "rnnviz_train_detail"
SNAPSHOT_KEY = "rnnviz_snapshot"
MAX_RUNS = 8


class SessionJobs:
    """The jobs one session started; `stop_all` when the session ends. Thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._jobs: list[Job] = []

    def add(self, job: Job) -> None:
        with self._lock:
            self._jobs = [j for j in self._jobs if j.state != "ended"] + [job]

    def stop_all(self) -> None:
        with self._lock:
            jobs = list(self._jobs)
        for job in jobs:
            job.stop()


@st.cache_resource(scope="session", on_release=SessionJobs.stop_all, show_spinner=False)
def _ends_with_session(jobs_id: int, _jobs: SessionJobs) -> SessionJobs:
    """Streamlit releases a session's session-scoped resources when the session ends: this
    one stops the session's jobs then."""
    return _jobs


def _session_jobs() -> SessionJobs:
    jobs = st.session_state.get(JOBS_KEY)
    if jobs is None:
        jobs = st.session_state[JOBS_KEY] = SessionJobs()
    return _ends_with_session(id(jobs), jobs)


# ----- the session's runs -------------------------------------------------------------------

def runs() -> list[Run]:
    """This session's runs, oldest first."""
    return st.session_state.setdefault(RUNS_KEY, [])


def run_with_id(run_id: int | None) -> Run | None:
    """The session's run with this id, if it is still kept."""
    return next((r for r in runs() if r.id == run_id), None)


def training_now() -> list[Run]:
    """The runs a job has (waiting, training or stopping)."""
    return [r for r in runs() if r.training]


def _next_id() -> int:
    st.session_state[RUN_COUNTER_KEY] = st.session_state.get(RUN_COUNTER_KEY, 0) + 1
    return st.session_state[RUN_COUNTER_KEY]


def _keep(run: Run) -> Run:
    kept = runs()
    kept.append(run)
    while len(kept) > MAX_RUNS:
        oldest = next((r for r in kept if not r.training), kept[0])
        kept.remove(oldest)
    st.session_state[DETAIL_KEY] = run.id   # "Inside one run" turns to the newest
    return run


def start_run(config: TrainConfig) -> Run:
    """A new run (not yet trained) kept in the session; ValueError if the settings fail."""
    trainer = Trainer(config)
    run = Run(id=_next_id(), label=config.label(), config=config, trainer=trainer,
              snapshots=dict(trainer.snapshots))
    return _keep(run)


def add_loaded(data: bytes, name: str) -> Run:
    """A run from an uploaded model file (rnnviz.training.files format); ValueError with a
    sentence if the file is not one. Continue trains it the steps of its settings further,
    counting on from the steps it was trained."""
    if not data:
        raise ValueError(f"{name} is empty")
    return add_trained(load_trained(io.BytesIO(data)), f"loaded from {name}")


def add_trained(trained: Trained, source: str) -> Run:
    """A run of a network trained elsewhere (a model file, a ready-trained network), kept as
    loaded: `source` says where it came from in its label."""
    config, params, task, steps = trained
    trainer = Trainer(config, params=params, task=task, trained_steps=steps)
    run = Run(id=_next_id(), label=f"{config.label()} ({source})", config=config,
              trainer=trainer, status="loaded", first_step=steps,
              snapshots=dict(trainer.snapshots))
    return _keep(run)


def remove_run(run_id: int) -> None:
    """Forget a run (one that is training is stopped first)."""
    doomed = [r for r in runs() if r.id == run_id]
    run_records.stop(doomed)
    st.session_state[RUNS_KEY] = [r for r in runs() if r.id != run_id]


# ----- training, stopping, continuing ---------------------------------------------------------

def train(chosen: Iterable[Run]) -> None:
    """Train these runs side by side in a worker (now, or when a slot frees)."""
    job = run_records.start(list(chosen), POOL)
    if job is not None:
        _session_jobs().add(job)


def continue_waiting() -> None:
    """Train every run that was stopped or loaded further (the Continue button)."""
    train([r for r in runs() if r.resumable])


def stop_training() -> None:
    """Stop every run of the session that is training (the Stop button)."""
    run_records.stop(training_now())


def collect() -> list[Run]:
    """Keep what the workers sent; the runs whose training ended just now."""
    return run_records.collect(runs())


def have_a_worker_ready() -> None:
    """Have the server warm up a worker in the background (if none is ready), so that Train
    starts training at once; the Training page calls it when it opens."""
    POOL.warm()


def slots() -> tuple[int, int, int]:
    """(worker slots on this server, jobs training, jobs waiting): the whole server's."""
    return (POOL.slots, *POOL.counts())


# ----- which runs are drawn, which is looked at ---------------------------------------------

def shown_runs() -> list[Run]:
    """The runs the charts draw: all but the ones hidden, and always those training."""
    hidden = st.session_state.get(HIDDEN_RUNS_KEY, set())
    return [r for r in runs() if r.id not in hidden or r.training]


def show_only(ids: Iterable[int]) -> None:
    """Draw only these runs in the charts."""
    chosen = set(ids)
    st.session_state[HIDDEN_RUNS_KEY] = {r.id for r in runs() if r.id not in chosen}


def detail_run() -> Run | None:
    """The run "Inside one run" shows: the one chosen, else the newest."""
    kept = runs()
    chosen = st.session_state.get(DETAIL_KEY)
    return next((r for r in kept if r.id == chosen), kept[-1] if kept else None)


def choose_detail(run_id: int) -> None:
    st.session_state[DETAIL_KEY] = run_id


# ----- opening a snapshot in the other views ------------------------------------------------

@dataclass(frozen=True)
class OpenSnapshot:
    """Parameters from a training run, opened in the step-through, gates and gradient views.

    Attributes:
        config: the shared Config the views show it with (cell, sizes, task input, seed).
        params: {name: array} the parameters at that step.
        step: the training step.
        run_label: the run's name (its id and settings).
        network: the key of the ready-trained network it is, as trained (a lesson link's
            network=), or None.
        run_id: the run's id, to find its other snapshots (None: not known).
    """

    config: Config
    params: dict[str, np.ndarray]
    step: int
    run_label: str
    network: str | None = None
    run_id: int | None = None


def open_snapshot(run: Run, step: int, network: str | None = None) -> Config:
    """Make the snapshot at `step` the open one (the ready-trained `network`, if it is one),
    and the session's Config (validated, as the sidebar sets it) the one that shows it.
    Returns that Config; ValueError if the views cannot show this run
    (rnnviz.app.runs.view_config)."""
    config = view_config(run.config)
    state.store_config(config)
    st.session_state[SNAPSHOT_KEY] = OpenSnapshot(
        config=config, params=run.snapshots[step].as_dict(), step=step, run_label=run.name,
        network=network, run_id=run.id)
    return config


def snapshot_for(config: Config) -> OpenSnapshot | None:
    """The open snapshot if it belongs to this exact configuration, else None."""
    snapshot = st.session_state.get(SNAPSHOT_KEY)
    if isinstance(snapshot, OpenSnapshot) and snapshot.config == config:
        return snapshot
    return None


def close_snapshot() -> None:
    st.session_state.pop(SNAPSHOT_KEY, None)


# ----- samples from the character model -----------------------------------------------------

@st.cache_data(max_entries=64, show_spinner=False)
def samples(params: dict[str, np.ndarray], cell: str, text: str | None, temperature: float,
            count: int = 5, seed: int = 0) -> list[str]:
    """`count` names drawn from a character model at `temperature` (rnnviz.training.tasks)."""
    task = make_task("chars", text=text)
    weights = CELLS[cell].params.from_dict(params)
    rng = np.random.default_rng(seed)
    return [task.sample(weights, rng, temperature) for _ in range(count)]


# ----- predictions of a model of a student's sequences ----------------------------------------

@st.cache_data(max_entries=64, show_spinner=False)
def predictions(params: dict[str, np.ndarray], config: TrainConfig, count: int,
                seed: int = 0) -> Predictions:
    """A snapshot's outputs on `count` windows of its run's sequences drawn from `seed`
    (rnnviz.training.tasks.own)."""
    weights = CELLS[config.cell].params.from_dict(params)
    return config.make_task().predictions(weights, np.random.default_rng(seed), count,
                                          config.T_x)
