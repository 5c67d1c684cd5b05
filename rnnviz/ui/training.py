"""Training runs in the browser session: kept, queued to train, shown or hidden, removed, and
a snapshot of one opened in the other views.

Everything here is per session: runs live in ``st.session_state`` only (never in module
globals or ``st.cache_resource``), so two students on one server never see each other's
work. Keys, all non-widget keys so they survive visiting other pages:

- ``RUNS_KEY`` ("rnnviz_runs"): list of `rnnviz.app.runs.Run`, newest last, at most
  MAX_RUNS (the oldest finished run is dropped first); ``RUN_COUNTER_KEY`` numbers them.
- ``PENDING_KEY``: ids of the runs to train in this script run (set by Train or Continue).
- ``HIDDEN_RUNS_KEY``: ids of the runs left out of the charts.
- ``SNAPSHOT_KEY`` ("rnnviz_snapshot"): the `OpenSnapshot` chosen on the training page,
  or absent. A view uses its parameters instead of the configuration's initial ones while
  the shared Config equals ``snapshot.config`` (use `snapshot_for(config)`); changing the
  configuration in the sidebar leaves the snapshot aside.

The settings form keeps its own keys (rnnviz.ui.train_form), and so does the upload of a
model file (rnnviz.ui.train_runs).

Stopping: Streamlit interrupts a running script when the user clicks anything (the Stop
button included) and starts a new run. The training loop appends every step's record to
the Run in session_state as it goes, so nothing trained is lost; at the top of the next run
`mark_interrupted` turns a Run still marked "running" into "stopped" (it can continue).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import streamlit as st

from rnnviz.app.config import Config
from rnnviz.app.runs import Run, view_config
from rnnviz.engine.cells import CELLS
from rnnviz.training.settings import TrainConfig
from rnnviz.training.tasks import make_task
from rnnviz.training.trainer import Trainer, load_trained
from rnnviz.ui import state

RUNS_KEY = "rnnviz_runs"
RUN_COUNTER_KEY = "rnnviz_run_counter"
PENDING_KEY = "rnnviz_train_pending"
HIDDEN_RUNS_KEY = "rnnviz_train_hidden"
SNAPSHOT_KEY = "rnnviz_snapshot"
MAX_RUNS = 8


# ----- the session's runs -------------------------------------------------------------------

def runs() -> list[Run]:
    """This session's runs, oldest first."""
    return st.session_state.setdefault(RUNS_KEY, [])


def _next_id() -> int:
    st.session_state[RUN_COUNTER_KEY] = st.session_state.get(RUN_COUNTER_KEY, 0) + 1
    return st.session_state[RUN_COUNTER_KEY]


def _keep(run: Run) -> Run:
    kept = runs()
    kept.append(run)
    while len(kept) > MAX_RUNS:
        oldest = next((r for r in kept if r.status != "running"), kept[0])
        kept.remove(oldest)
    return run


def start_run(config: TrainConfig) -> Run:
    """A new run (not yet trained) kept in the session; ValueError if the settings fail."""
    trainer = Trainer(config)
    run = Run(id=_next_id(), label=config.label(), config=config, trainer=trainer,
              snapshots=dict(trainer.snapshots))
    return _keep(run)


def add_loaded(data: bytes, name: str) -> Run:
    """A run from an uploaded model file (rnnviz.training.files format); ValueError with a
    sentence if the file is not one. The run can continue training from the loaded weights."""
    if not data:
        raise ValueError(f"{name} is empty")
    config, params, task = load_trained(io.BytesIO(data))
    trainer = Trainer(config, params=params, task=task)
    run = Run(id=_next_id(), label=f"{config.label()} (loaded from {name})", config=config,
              trainer=trainer, status="loaded", snapshots={0: params.copy()})
    return _keep(run)


def remove_run(run_id: int) -> None:
    st.session_state[RUNS_KEY] = [r for r in runs() if r.id != run_id]


def mark_interrupted() -> list[Run]:
    """Runs still marked "running" were interrupted by a click: mark them "stopped"."""
    stopped = [r for r in runs() if r.status == "running"]
    for run in stopped:
        run.status = "stopped"
    return stopped


# ----- which runs train now, which are drawn ------------------------------------------------

def train_next(chosen: Iterable[Run]) -> None:
    """Train these runs in this script run (call from a button's callback)."""
    st.session_state[PENDING_KEY] = [r.id for r in chosen]


def continue_waiting() -> None:
    """Train every run that was stopped or loaded further (the Continue button)."""
    train_next(r for r in runs() if r.resumable)


def take_pending() -> list[Run]:
    """The runs to train in this script run; asked once, the queue is then empty."""
    ids = st.session_state.pop(PENDING_KEY, [])
    return [r for r in runs() if r.id in ids]


def shown_runs(training: list[Run]) -> list[Run]:
    """The runs the charts draw: all but the ones hidden, and always those `training`."""
    hidden = st.session_state.get(HIDDEN_RUNS_KEY, set())
    return [r for r in runs() if r.id not in hidden or r in training]


def show_only(ids: Iterable[int]) -> None:
    """Draw only these runs in the charts."""
    chosen = set(ids)
    st.session_state[HIDDEN_RUNS_KEY] = {r.id for r in runs() if r.id not in chosen}


# ----- opening a snapshot in the other views ------------------------------------------------

@dataclass(frozen=True)
class OpenSnapshot:
    """Parameters from a training run, opened in the step-through, gates and gradient views.

    Attributes:
        config: the shared Config the views show it with (cell, sizes, task input, seed).
        params: {name: array} the parameters at that step.
        step: the training step.
        run_label: the run's label.
    """

    config: Config
    params: dict[str, np.ndarray]
    step: int
    run_label: str


def open_snapshot(run: Run, step: int) -> Config:
    """Make the snapshot at `step` the open one, and the session's Config (validated, as the
    sidebar sets it) the one that shows it. Returns that Config; ValueError if the views
    cannot show this run (rnnviz.app.runs.view_config)."""
    config = view_config(run.config)
    state.store_config(config)
    st.session_state[SNAPSHOT_KEY] = OpenSnapshot(
        config=config, params=run.snapshots[step].as_dict(), step=step, run_label=run.label)
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
