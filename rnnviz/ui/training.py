"""Training runs in the browser session: start, train live, stop, keep, compare, reopen.

Everything here is per session: runs live in ``st.session_state`` only (never in module
globals or ``st.cache_resource``), so two students on one server never see each other's
work. Keys, all non-widget keys so they survive visiting other pages:

- ``RUNS_KEY`` ("rnnviz_runs"): list of `Run`, newest last, at most MAX_RUNS (the oldest
  finished run is dropped first).
- ``SNAPSHOT_KEY`` ("rnnviz_snapshot"): the `OpenSnapshot` chosen on the training page,
  or absent. A view uses its parameters instead of the configuration's initial ones while
  the shared Config equals ``snapshot.config`` (use `snapshot_for(config)`); changing the
  configuration in the sidebar leaves the snapshot aside.

Stopping: Streamlit interrupts a running script when the user clicks anything (the Stop
button included) and starts a new run. The training loop appends every step's record to
the Run in session_state as it goes, so nothing trained is lost; at the top of the next run
`mark_interrupted` turns a Run still marked "running" into "stopped" (it can continue).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz.app.config import Config
from rnnviz.engine.cells import CELLS
from rnnviz.engine.params import Params
from rnnviz.figures import training as training_figures
from rnnviz.training.files import save_model
from rnnviz.training.settings import TrainConfig
from rnnviz.training.tasks import make_task
from rnnviz.training.trainer import Record, Trainer, load_trained

RUNS_KEY = "rnnviz_runs"
RUN_COUNTER_KEY = "rnnviz_run_counter"
SNAPSHOT_KEY = "rnnviz_snapshot"
MAX_RUNS = 8
REFRESH_S = 0.12          # train this long between redraws of the live curves (about 7 Hz)
HISTORY_COLUMNS = ("step", "loss", "accuracy", "grad_norm", "clipped", "param_norm")


# ----- one run ------------------------------------------------------------------------------

@dataclass
class Run:
    """One training run and everything recorded so far.

    Attributes:
        id: unique within the session, counting from 1.
        label: the settings in words (legend entry).
        config: the TrainConfig.
        trainer: the Trainer (kept so a stopped run can continue), or None once the run
            has ended: its optimizer state is then dropped to keep the session small.
        final: the parameters the run ended with, once `trainer` is dropped.
        history: {column: list} with one entry per step: step, loss, accuracy (NaN where
            undefined), grad_norm (NaN if not finite), clipped, param_norm.
        stats: [(step, Optimizer.stats())] every config.stats_every steps.
        status: "running", "stopped", "finished", "diverged" or "loaded".
        message: the divergence message, or None.
        snapshots: {step: Params}; 0 is the initialisation.
        train_seconds, draw_seconds, draws: time spent in the engine and in redrawing
            while training live, and how many redraws.
        train_cpu, draw_cpu: the same in CPU time of the training thread (unaffected by
            other processes competing for the cores).
    """

    id: int
    label: str
    config: TrainConfig
    trainer: Trainer | None
    final: Params | None = None
    history: dict[str, list] = field(default_factory=lambda: {c: [] for c in HISTORY_COLUMNS})
    stats: list[tuple[int, dict]] = field(default_factory=list)
    status: str = "stopped"
    message: str | None = None
    snapshots: dict[int, Params] = field(default_factory=dict)
    train_seconds: float = 0.0
    draw_seconds: float = 0.0
    draws: int = 0
    train_cpu: float = 0.0
    draw_cpu: float = 0.0

    @property
    def steps_done(self) -> int:
        return self.history["step"][-1] if self.history["step"] else 0

    @property
    def can_continue(self) -> bool:
        return self.trainer is not None and not self.trainer.done

    @property
    def params(self) -> Params:
        """The latest parameters."""
        if self.trainer is not None:
            return self.trainer.params
        if self.final is not None:
            return self.final
        return self.snapshots[max(self.snapshots)]

    def release_trainer(self) -> None:
        """Keep the final parameters and drop the Trainer (its optimizer's moments and
        task) once the run can no longer continue."""
        if self.trainer is not None and self.trainer.done:
            self.final = self.trainer.params
            self.trainer = None

    def speed(self) -> tuple[float, float, float]:
        """(training steps per second, redraws per second, share of time spent drawing)
        while this run trained live; NaN before it has."""
        total = self.train_seconds + self.draw_seconds
        if total <= 0:
            return float("nan"), float("nan"), float("nan")
        return self.steps_done / total, self.draws / total, self.draw_seconds / total

    def add(self, record: Record) -> None:
        """Keep one step's record (a diverged record only sets the status and message)."""
        if record.diverged is not None:
            self.status, self.message = "diverged", record.diverged
            return
        h = self.history
        h["step"].append(record.step)
        h["loss"].append(record.loss)
        h["accuracy"].append(np.nan if record.accuracy is None else record.accuracy)
        h["grad_norm"].append(np.nan if record.grad_norm is None else record.grad_norm)
        h["clipped"].append(record.clipped)
        h["param_norm"].append(record.param_norm)
        if record.stats:
            self.stats.append((record.step, record.stats))
        if record.snapshot is not None:
            self.snapshots[record.step] = record.snapshot

    def frame(self) -> pd.DataFrame:
        """The history as a table, one row per step (the CSV download)."""
        return pd.DataFrame({c: self.history[c] for c in HISTORY_COLUMNS})

    def curve(self, column: str, color: str) -> training_figures.Curve:
        """This run's `column` over steps as a figure Curve (grad_norm marks clipped steps)."""
        marks = np.asarray(self.history["clipped"]) if column == "grad_norm" else None
        return training_figures.Curve(self.label, color, np.asarray(self.history["step"]),
                                      np.asarray(self.history[column], dtype=np.float64),
                                      marks)

    def stat_series(self, stat: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(steps (k,), {parameter: (k,) values}) of one optimizer statistic."""
        rows = [(step, s) for step, s in self.stats if s]
        if not rows:
            return np.zeros(0), {}
        names = list(rows[0][1])
        steps = np.array([step for step, _ in rows])
        return steps, {n: np.array([s[n].get(stat, np.nan) for _, s in rows]) for n in names}

    def model_bytes(self, step: int | None = None) -> bytes:
        """The parameters (latest, or the snapshot at `step`) as an rnnviz .npz file."""
        params = self.params if step is None else self.snapshots[step]
        buffer = io.BytesIO()
        trained = self.steps_done if step is None else step
        save_model(buffer, params, {**self.config.to_dict(), "trained_steps": trained})
        return buffer.getvalue()


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


def train_live(active: Sequence[Run], draw: Callable[[], None],
               refresh_s: float = REFRESH_S) -> None:
    """Train the runs side by side (one step each in turn) until all are done, calling
    `draw` every `refresh_s` seconds and once at the end. Records are kept as they come,
    so an interruption at any redraw loses nothing."""
    active = [r for r in active if r.can_continue]
    for run in active:
        run.status = "running"
    while active:
        in_chunk = list(active)
        started, started_cpu = time.perf_counter(), time.thread_time()
        while active and time.perf_counter() - started < refresh_s:
            for run in list(active):
                run.add(run.trainer.step())
                if run.trainer.done:
                    active.remove(run)
                    run.release_trainer()
                    if run.status == "running":
                        run.status = "finished"
        trained, trained_cpu = time.perf_counter(), time.thread_time()
        draw()
        drawn, drawn_cpu = time.perf_counter(), time.thread_time()
        share = 1.0 / len(in_chunk)  # each run is charged its share of the chunk
        for run in in_chunk:
            run.train_seconds += (trained - started) * share
            run.draw_seconds += (drawn - trained) * share
            run.train_cpu += (trained_cpu - started_cpu) * share
            run.draw_cpu += (drawn_cpu - trained_cpu) * share
            run.draws += 1


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


def view_config(run: Run) -> Config:
    """The shared Config that shows this run's network on the task's data; ValueError if
    the views cannot show it (a pasted text: the views only know the bundled names)."""
    c = run.config
    if c.text is not None:
        raise ValueError("this run learned a pasted text; the other views can only show "
                         "the bundled names")
    task = make_task(c.task)
    return Config(cell=c.cell, n_x=task.n_x, n_a=c.n_a, n_y=task.n_y, m=c.m, T_x=c.T_x,
                  seed=c.seed, input=c.task).replace()


def open_snapshot(run: Run, step: int, config_key: str) -> Config:
    """Make the snapshot at `step` the open one and the shared Config (under config_key)
    the one that shows it. Returns that Config."""
    config = view_config(run)
    st.session_state[SNAPSHOT_KEY] = OpenSnapshot(
        config=config, params=run.snapshots[step].as_dict(), step=step, run_label=run.label)
    st.session_state[config_key] = config
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

