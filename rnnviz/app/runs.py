"""Training runs as the Training page keeps them: a `Run` records one run's history, optimizer
statistics, snapshots and speed; `train_live` trains several side by side, redrawing as they
go; `what_to_try` after a run diverged; `view_config` is the shared Config that shows a run's
network in the other views.

Plain Python over rnnviz.training: the session that holds the runs is rnnviz.ui.training's.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rnnviz.app.build import resolve
from rnnviz.app.config import Config
from rnnviz.engine.optim import OPTIMIZER_CLASSES
from rnnviz.engine.params import Params
from rnnviz.training.files import save_model
from rnnviz.training.settings import SETTING, TrainConfig
from rnnviz.training.trainer import Record, Trainer

REFRESH_S = 0.12          # train this long between redraws of the live curves (about 7 Hz)
HISTORY_COLUMNS = ("step", "loss", "accuracy", "grad_norm", "clipped", "param_norm")
STATUS_WORDS = {"running": "training", "stopped": "stopped", "finished": "finished",
                "diverged": "diverged", "loaded": "loaded from a file"}
RESUMABLE = ("stopped", "loaded")   # the statuses Continue goes on training


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
        status: a key of STATUS_WORDS.
        message: the divergence message, or None.
        notes: what the task changed in the data it was given (rare characters left out of
            a text), in sentences; taken from the trainer's task when not given.
        snapshots: {step: Params}; 0 is the initialisation.
        train_seconds, draw_seconds, draws: time spent in the engine and in redrawing
            while training live, and how many redraws.
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
    notes: tuple[str, ...] = ()
    snapshots: dict[int, Params] = field(default_factory=dict)
    train_seconds: float = 0.0
    draw_seconds: float = 0.0
    draws: int = 0

    def __post_init__(self):
        if not self.notes and self.trainer is not None:
            self.notes = self.trainer.task.notes

    @property
    def steps_done(self) -> int:
        return self.history["step"][-1] if self.history["step"] else 0

    @property
    def can_continue(self) -> bool:
        return self.trainer is not None and not self.trainer.done

    @property
    def resumable(self) -> bool:
        """Whether Continue trains it further: stopped or loaded, with steps left."""
        return self.status in RESUMABLE and self.can_continue

    @property
    def params(self) -> Params:
        """The latest parameters."""
        if self.trainer is not None:
            return self.trainer.params
        if self.final is not None:
            return self.final
        return self.snapshots[max(self.snapshots)]

    def last(self, column: str) -> float:
        """The latest value of a history column; NaN before the first step."""
        values = self.history[column]
        return values[-1] if values else float("nan")

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


def train_live(active: Sequence[Run], draw: Callable[[], None],
               refresh_s: float = REFRESH_S) -> None:
    """Train the runs side by side (one step each in turn) until all are done, calling
    `draw` after every `refresh_s` seconds of training (at least one step each in between)
    and once at the end. Records are kept as they come, so an interruption at any redraw
    loses nothing."""
    active = [r for r in active if r.can_continue]
    for run in active:
        run.status = "running"
    while active:
        in_chunk = list(active)
        started = time.perf_counter()
        while True:
            for run in list(active):
                run.add(run.trainer.step())
                if run.trainer.done:
                    active.remove(run)
                    run.release_trainer()
                    if run.status == "running":
                        run.status = "finished"
            if not active or time.perf_counter() - started >= refresh_s:
                break
        trained = time.perf_counter()
        draw()
        drawn = time.perf_counter()
        share = 1.0 / len(in_chunk)  # each run is charged its share of the chunk
        for run in in_chunk:
            run.train_seconds += (trained - started) * share
            run.draw_seconds += (drawn - trained) * share
            run.draws += 1


def what_to_try(config: TrainConfig) -> str:
    """After a divergence: a smaller learning rate (a tenth, within its row's range); and,
    for an optimizer whose step follows the gradient's size, clipping by global norm at its
    usual threshold if the run had none (a normalised one's steps are about α anyway)."""
    rate = config.learning_rate
    smaller = max(rate / 10, SETTING["learning_rate"].low)
    advice = "a smaller learning rate" + (f" (α = {smaller:g} rather than {rate:g})"
                                          if smaller < rate else "")
    optimizer = OPTIMIZER_CLASSES[config.optimizer]
    if optimizer.normalised:
        name = SETTING["optimizer"].label_of(config.optimizer)
        advice += f"; clipping would not help: each of {name}'s steps is about α long"
    elif config.clip == "none":
        usual = SETTING["clip_value"].default
        advice += f" or clipping the gradient (by global norm at {usual:g})"
    return advice


def view_config(config: TrainConfig) -> Config:
    """The shared Config that shows a run's network on its task's data (n_x and n_y set by
    the task); ValueError if the views cannot show it (a pasted text: the views only know
    the bundled names)."""
    if config.text is not None:
        raise ValueError("this run learned a pasted text; the other views can only show "
                         "the bundled names")
    return resolve(Config().replace(cell=config.cell, n_a=config.n_a, m=config.m,
                                    T_x=config.T_x, seed=config.seed, input=config.task))
