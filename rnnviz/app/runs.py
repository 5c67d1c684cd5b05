"""Training runs as the Training page keeps them: a `Run` records one run's history, optimizer
statistics, snapshots and speed; `start` hands runs to a worker (rnnviz.app.workers), `stop`
asks it to stop, `collect` keeps what it sent; `what_to_try` after a run diverged;
`view_config` is the shared Config that shows a run's network in the other views.

Plain Python over rnnviz.training: the session that holds the runs is rnnviz.ui.training's.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rnnviz.app.build import resolve
from rnnviz.app.config import Config
from rnnviz.app.workers import Job, Pool
from rnnviz.engine.losses import Loss
from rnnviz.engine.optim import OPTIMIZER_CLASSES
from rnnviz.engine.params import Params
from rnnviz.training.export import pytorch_archive
from rnnviz.training.files import save_model
from rnnviz.training.settings import SETTING, TrainConfig
from rnnviz.training.tasks import OWN
from rnnviz.training.trainer import Record, Trainer

HISTORY_COLUMNS = ("step", "loss", "accuracy", "grad_norm", "clipped", "param_norm")
STATUS_WORDS = {"queued": "waiting for a free slot", "running": "training",
                "stopping": "stopping", "stopped": "stopped", "finished": "finished",
                "diverged": "diverged", "loaded": "loaded from a file", "failed": "failed"}
TRAINING = ("queued", "running", "stopping")   # the statuses of a run its job still has
RESUMABLE = ("stopped", "loaded")   # the statuses Continue goes on training


@dataclass
class Run:
    """One training run and everything recorded so far.

    Attributes:
        id: unique within the session, counting from 1.
        label: the settings in words.
        config: the TrainConfig.
        trainer: the Trainer while the run waits here (stopped or loaded, so it can
            continue); None while its job has it, and once the run has ended (its optimizer
            state is then dropped to keep the session small).
        job: the rnnviz.app.workers.Job training it (queued, running or stopping), or None.
        job_index: its place among the job's trainers.
        final: the parameters the run ended with, once `trainer` is dropped.
        first_step: the step it started from (a model file's trained steps; else 0).
        history: {column: list} with one entry per step: step, loss, accuracy (NaN where
            undefined), grad_norm (NaN if not finite), clipped, param_norm.
        stats: [(step, Optimizer.stats())] every config.stats_every steps.
        status: a key of STATUS_WORDS.
        message: the divergence message (or why the run failed), or None.
        notes: what the task changed in the data it was given (rare characters left out of
            a text), in sentences; taken from the trainer's task when not given.
        snapshots: {step: Params}; the first is where it started (0: the initialisation).
        train_seconds: time its jobs spent training (beside the runs trained with it).
        loss: its task's Loss; taken from the trainer's task when not given.
    """

    id: int
    label: str
    config: TrainConfig
    trainer: Trainer | None
    job: Job | None = None
    job_index: int = 0
    final: Params | None = None
    first_step: int = 0
    history: dict[str, list] = field(default_factory=lambda: {c: [] for c in HISTORY_COLUMNS})
    stats: list[tuple[int, dict]] = field(default_factory=list)
    status: str = "stopped"
    message: str | None = None
    notes: tuple[str, ...] = ()
    snapshots: dict[int, Params] = field(default_factory=dict)
    train_seconds: float = 0.0
    loss: Loss | None = None

    def __post_init__(self):
        if not self.notes and self.trainer is not None:
            self.notes = self.trainer.task.notes
        if self.loss is None:   # a student's sequences set theirs by their labels
            task = self.trainer.task if self.trainer is not None else self.config.make_task()
            self.loss = task.loss

    @property
    def name(self) -> str:
        """How menus and legends name it: "3: LSTM · chars · ..." (two runs with the same
        settings differ by their ids)."""
        return f"{self.id}: {self.label}"

    @property
    def steps_done(self) -> int:
        return self.history["step"][-1] if self.history["step"] else self.first_step

    @property
    def last_step(self) -> int:
        """The step the run ends at if it trains to the end."""
        if self.trainer is not None:
            return self.trainer.last_step
        return max(self.first_step + self.config.steps, self.steps_done)

    @property
    def place(self) -> int:
        """Its job's place in the server's line while it waits for a slot: 1 for the next
        to start, 2 for the one after, ...; 0 when it does not wait (or its job has just
        left the line)."""
        return self.job.place if self.status == "queued" and self.job is not None else 0

    @property
    def training(self) -> bool:
        """Whether a job has it (waiting, training or stopping)."""
        return self.status in TRAINING

    @property
    def can_continue(self) -> bool:
        return self.trainer is not None and not self.trainer.done

    @property
    def resumable(self) -> bool:
        """Whether Continue trains it further: stopped or loaded, with steps left."""
        return self.status in RESUMABLE and self.can_continue

    @property
    def params(self) -> Params:
        """The latest parameters (while it trains: its latest snapshot)."""
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

    def speed(self) -> float:
        """Training steps per second (beside the runs trained with it); NaN before any."""
        trained = len(self.history["step"])
        return trained / self.train_seconds if self.train_seconds > 0 else float("nan")

    def seconds_left(self) -> float:
        """Time to its last step at its speed so far; NaN before any."""
        return (self.last_step - self.steps_done) / self.speed()

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

    def end(self, trainer: Trainer | None, failure: str | None) -> None:
        """Its job has ended: take the Trainer back (or, if the worker failed, say why and
        keep the latest snapshot)."""
        self.job = None
        if trainer is None:
            self.status, self.message = "failed", failure or "the training process ended"
            self.final = self.snapshots[max(self.snapshots)]
            return
        self.trainer = trainer
        if self.status != "diverged":
            self.status = "finished" if trainer.done else "stopped"
        self.release_trainer()

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

    def pytorch_bytes(self) -> bytes:
        """The latest parameters as a PyTorch script and weights (rnnviz.training.export)."""
        return pytorch_archive(self.params, self.config.label(), self.loss.output)


def shown_snapshot(steps: Sequence[int], chosen: int | None) -> int:
    """The snapshot a slider over `steps` (sorted) shows for the choice kept: the newest when
    `chosen` is None (the slider follows the run), else the kept step nearest to `chosen`
    (the later of two as near)."""
    if chosen is None:
        return steps[-1]
    return min(reversed(steps), key=lambda k: abs(k - chosen))


def snapshot_choice(steps: Sequence[int], value: int) -> int | None:
    """What a move of that slider to `value` keeps: None at the newest of `steps` (follow the
    run as it trains further), else the step itself (stay there)."""
    return None if value == steps[-1] else value


def place_words(run: Run) -> str:
    """Where a waiting run stands, in words: "place 1 in line, next to start", "place 3 in
    line, 2 jobs ahead of it", or "starting" (its job has just left the line)."""
    place = run.place
    if place == 0:
        return "starting"
    ahead = place - 1
    return f"place {place} in line, " + (f"{ahead} job{'s' if ahead > 1 else ''} ahead of it"
                                         if ahead else "next to start")


def status_words(run: Run) -> str:
    """Its status in words (STATUS_WORDS), with its place in line while it waits."""
    words = STATUS_WORDS[run.status]
    return f"{words} ({place_words(run)})" if run.status == "queued" else words


def start(chosen: Sequence[Run], pool: Pool) -> Job | None:
    """Train these runs (those that can continue) side by side in one job of `pool`; None
    if none can."""
    chosen = [r for r in chosen if r.can_continue]
    if not chosen:
        return None
    job = pool.submit([r.trainer for r in chosen])
    for index, run in enumerate(chosen):
        run.job, run.job_index, run.trainer, run.status = job, index, None, "queued"
    return job


def stop(runs: Sequence[Run]) -> None:
    """Ask the jobs of these runs to stop (each after the step it is taking)."""
    for run in runs:
        if run.job is not None:
            run.job.stop()
            run.status = "stopping"


def collect(runs: Sequence[Run]) -> list[Run]:
    """Keep what the jobs of these runs sent since last asked; returns the runs whose job
    ended just now. Each run is charged its job's whole training time."""
    jobs: dict[int, tuple[Job, list[Run]]] = {}
    for run in runs:
        if run.job is not None:
            jobs.setdefault(id(run.job), (run.job, []))[1].append(run)
    ended = []
    for job, members in jobs.values():
        update = job.take()
        by_index = {r.job_index: r for r in members}
        for index, record in update.records:
            if index in by_index:
                by_index[index].add(record)
        for run in members:
            run.train_seconds += update.seconds
            if run.status == "queued" and (job.state != "queued" or update.records):
                run.status = "running"
        if update.trainers is not None or update.failure is not None:
            for run in members:
                run.end(None if update.trainers is None else update.trainers[run.job_index],
                        update.failure)
            ended.extend(members)
    return ended


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
    the task; a student's sequences kept on this server and named by their key); ValueError
    if the views cannot show it (a pasted text: the views only know the bundled names)."""
    if config.text is not None:
        raise ValueError("this run learned a pasted text; the other views can only show "
                         "the bundled names")
    data = config.make_task().data.key if config.task == OWN else None
    return resolve(Config().replace(cell=config.cell, n_a=config.n_a, m=config.m,
                                    T_x=config.T_x, seed=config.seed, input=config.task,
                                    data=data))
