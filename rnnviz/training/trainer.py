"""The training loop: one record per step, deterministic, stopping cleanly on divergence.

Step t (t = 1, 2, ..., steps), with theta_{t-1} the parameters so far::

    batch_t            = task.batch(data_rng, m, T_x)
    L_t, g_t           = loss and full BPTT gradients at theta_{t-1} on batch_t
    ||g_t||            = global gradient norm, before clipping (rnnviz.engine.optim)
    g_t                <- clip(g_t)                       by global norm, by value, or not
    theta_t            = optimizer.step(theta_{t-1}, g_t)

The record of step t holds L_t, the accuracy of the same forward pass, ||g_t||, whether g_t
was clipped and ||theta_t||; every `stats_every` steps also the optimizer's statistics and
the gradient flow ||dL/da<t>|| through time; every `snapshot_every` steps (and at the last
step) a copy of theta_t. `Trainer.snapshots[0]` holds the initial parameters.

Randomness: the initial parameters come from ``np.random.default_rng(seed)`` and the
batches from a second generator spawned from the same seed, so a run is reproducible bit for
bit, and the RNN and the LSTM see the same batches for the same seed.

Divergence: the run ends with a record whose `diverged` message says at which step and why,
when

- L_t, g_t or theta_t is not finite;
- L_t exceeds EXPLODED times max(L_1, 1): a loss that large has left any useful region even
  while still finite (a squared error grows with the square of a runaway output);
- or, for cross-entropy, L_t has stayed above FAR_ABOVE times max(log n_y, the best loss so
  far) for SUSTAINED steps in a row. Guessing every class alike costs log n_y, where an
  untrained network starts; a softmax that is sure of wrong answers costs many times that
  but only grows with its logits, so it never reaches the EXPLODED line. The best loss so
  far in the reference keeps a run that starts above log n_y (large initial weights) from
  being stopped while it is still coming down.

The bad update is not applied and no record ever holds NaN or inf.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from rnnviz.engine.cells import CELLS, cell_of, init_params
from rnnviz.engine.model import loss_and_gradients
from rnnviz.engine.optim import (
    clip_by_global_norm,
    clip_by_value,
    global_norm,
    make_optimizer,
    max_abs,
)
from rnnviz.engine.params import Params
from rnnviz.training.experiments import fresh_batch, score
from rnnviz.training.files import load_model, save_model
from rnnviz.training.settings import TrainConfig
from rnnviz.training.tasks import Task

EXPLODED = 1000.0   # a loss this many times its first one (or 1) has exploded
FAR_ABOVE = 5.0     # a cross-entropy this many times max(log n_y, its best so far) ...
SUSTAINED = 20      # ... for this many steps in a row has diverged


@dataclass(frozen=True)
class Record:
    """What one training step produced. No field ever holds NaN or inf.

    Attributes:
        step: t, counting from 1.
        loss: L_t at the parameters before the update (None only in a diverged record).
        accuracy: the task's accuracy on the same batch, or None where undefined.
        grad_norm: ||g_t|| before clipping (None if it was not finite).
        clipped: whether clipping changed g_t.
        param_norm: ||theta_t|| after the update (in a diverged record: before it, or None
            if even that is too large to represent).
        stats: every stats_every steps, {parameter name: {"grad", "step", ...}} from
            Optimizer.stats(); else None.
        flow: every stats_every steps, {"a": [||dL/da<t>|| for t = 1..T_x]} (and "c" for
            the LSTM) as lists of floats; else None.
        snapshot: a copy of theta_t every snapshot_every steps and at the last step, else None.
        diverged: None, or a sentence saying where and why the run stopped.
    """

    step: int
    loss: float | None
    accuracy: float | None
    grad_norm: float | None
    clipped: bool
    param_norm: float | None
    stats: dict | None = None
    flow: dict | None = None
    snapshot: Params | None = None
    diverged: str | None = None


def _finite(params: Params) -> bool:
    return all(bool(np.all(np.isfinite(v))) for _, v in params.items())


class Trainer:
    """A training run that keeps its state, so a page can pull a few steps at a time.

    Attributes:
        config: the TrainConfig.
        task: the Task being learned.
        params: the current parameters theta_t.
        optimizer: the Optimizer (its state holds the moments).
        t: steps taken so far (counting those of a model file it continues).
        last_step: the step the run ends at.
        snapshots: {step: parameters}; the first is where the run starts (0 for new weights).
        diverged: None or the divergence message.
        first_loss, best_loss: L_1 and the lowest L_t so far (None and inf before step 1).
        far_steps: how many steps in a row the loss has been above `far_line()`.
    """

    def __init__(self, config: TrainConfig, params: Params | None = None,
                 task: Task | None = None, trained_steps: int = 0):
        """Start a run. `params` (optional) continues from given weights, trained for
        `trained_steps` steps already (the steps are counted on from there, and the run makes
        config.steps more); `task` (optional) reuses an already built task with the config's
        name."""
        self.config = config
        self.task = task if task is not None else config.make_task()
        if self.task.name != config.task:
            raise ValueError(f"the task given is {self.task.name!r}; the config says "
                             f"{config.task!r}")
        self.task.check_batch_size(config.m, config.T_x)
        seed_sequence = np.random.SeedSequence(config.seed)
        if params is None:
            params = init_params(
                config.cell, self.task.n_x, config.n_a, self.task.n_y,
                np.random.default_rng(config.seed), weight_scale=config.weight_scale,
                spectral_radius=config.spectral_radius or None, forget_bias=config.forget_bias)
        check_params_fit(params, config, self.task)
        self.params = params.copy()
        self.data_rng = np.random.default_rng(seed_sequence.spawn(1)[0])
        self.optimizer = make_optimizer(config.optimizer, **config.hyper())
        self.t = trained_steps
        self.last_step = trained_steps + config.steps
        self.diverged: str | None = None
        self.snapshots: dict[int, Params] = {trained_steps: self.params.copy()}
        self.first_loss: float | None = None
        self.best_loss = math.inf
        self.far_steps = 0   # steps in a row with the loss above far_line()

    @property
    def done(self) -> bool:
        """True once every step has run or the run diverged."""
        return self.diverged is not None or self.t >= self.last_step

    def step(self) -> Record:
        """Take one step and return its record; RuntimeError if the run is done."""
        if self.done:
            raise RuntimeError("this training run has finished; start a new one")
        cfg = self.config
        t = self.t + 1
        batch = self.task.batch(self.data_rng, cfg.m, cfg.T_x)
        with np.errstate(all="ignore"):  # overflow is detected below, not warned about
            trace, back = loss_and_gradients(self.params, batch.x, batch.targets,
                                             self.task.loss, truncate=cfg.truncate or None)
            loss = float(back.loss)
            grads = back.grads
            grad_norm = global_norm(grads)
            problem = None
            if not math.isfinite(loss):
                problem = f"loss became {loss}"
            elif not math.isfinite(grad_norm):
                problem = f"the gradient norm became {grad_norm}"
            elif self.first_loss is not None and loss > EXPLODED * max(self.first_loss, 1.0):
                problem = (f"loss became {loss:.3g}, over {EXPLODED:.0f} times its first "
                           f"value {self.first_loss:.3g}")
            elif self._stayed_far_above(loss):
                line, reference = self.far_line()
                problem = (f"the loss has stayed above {line:.3g} for {SUSTAINED} steps "
                           f"(now {loss:.3g}), {FAR_ABOVE:g} times {reference}")
            if problem is None:
                clipped = False
                if cfg.clip == "norm":
                    grads, _, clipped = clip_by_global_norm(grads, cfg.clip_value)
                elif cfg.clip == "value":
                    clipped = max_abs(grads) > cfg.clip_value
                    grads = clip_by_value(grads, cfg.clip_value)
                new_params = self.optimizer.step(self.params, grads)
                param_norm = new_params.global_norm()
                if not (_finite(new_params) and math.isfinite(param_norm)):
                    problem = "the parameters became infinite"
            last = t == self.last_step
            stats = flow = None
            if problem is None and cfg.stats_every and (t % cfg.stats_every == 0 or t == 1
                                                         or last):
                flows = back.flow_norms()
                if all(np.all(np.isfinite(v)) for v in flows.values()):
                    stats = self.optimizer.stats()
                    flow = {k: v.tolist() for k, v in flows.items()}
                else:
                    problem = "the gradient flowing back through time became infinite"
        if problem is not None:
            return self._diverge(t, problem, loss, grad_norm)

        accuracy = self.task.accuracy(trace.y_hat, batch.targets)
        if self.first_loss is None:
            self.first_loss = loss
        self.best_loss = min(self.best_loss, loss)
        self.params = new_params
        self.t = t
        snapshot = None
        if t % cfg.snapshot_every == 0 or last:
            snapshot = new_params.copy()
            self.snapshots[t] = snapshot
        return Record(step=t, loss=loss, accuracy=accuracy, grad_norm=grad_norm,
                      clipped=bool(clipped), param_norm=param_norm,
                      stats=stats, flow=flow, snapshot=snapshot)

    def far_line(self) -> tuple[float, str] | None:
        """(the loss above which a cross-entropy run counts a step as far too high, what that
        line is FAR_ABOVE times, in words); None for squared error or before the first step."""
        guess = self.task.guess_loss
        if guess is None or self.first_loss is None:
            return None
        guessing = (f"guessing among the {self.task.n_y} outputs alike "
                    f"(log {self.task.n_y} = {guess:.3g})")
        if self.best_loss <= guess:
            return FAR_ABOVE * guess, "what " + guessing + " gives"
        return (FAR_ABOVE * self.best_loss,
                f"its best so far ({self.best_loss:.3g}), itself no better than {guessing}")

    def _stayed_far_above(self, loss: float) -> bool:
        """Count a step whose loss is above far_line() (a step below resets the count);
        True once SUSTAINED steps in a row were."""
        line = self.far_line()
        self.far_steps = self.far_steps + 1 if line is not None and loss > line[0] else 0
        return self.far_steps >= SUSTAINED

    def _diverge(self, t: int, problem: str, loss: float, grad_norm: float) -> Record:
        self.diverged = f"diverged at step {t}: {problem}"
        self.t = t
        with np.errstate(over="ignore"):
            norm = self.params.global_norm()
        return Record(step=t, loss=loss if math.isfinite(loss) else None, accuracy=None,
                      grad_norm=grad_norm if math.isfinite(grad_norm) else None,
                      clipped=False, param_norm=norm if math.isfinite(norm) else None,
                      diverged=self.diverged)

    def run(self, n: int) -> list[Record]:
        """Up to n more steps (fewer if the run finishes); their records."""
        records = []
        while len(records) < n and not self.done:
            records.append(self.step())
        return records

    def __iter__(self) -> Iterator[Record]:
        while not self.done:
            yield self.step()

    def save(self, file) -> None:
        """Save the current parameters with the config (rnnviz.training.files), to resume or
        sample later."""
        save_model(file, self.params, {**self.config.to_dict(), "trained_steps": self.t})

    def evaluate(self, m: int = 64, seed: int = 0) -> tuple[float, float | None]:
        """(loss, accuracy) on a fresh batch of m examples drawn from `seed`, without training."""
        result = score(self.params, self.task, fresh_batch(self.task, self.config.T_x, m, seed))
        return result.loss, result.accuracy


def check_params_fit(params: Params, config: TrainConfig, task: Task) -> None:
    """Raise ValueError with a sentence if params are not for this cell, n_a and task."""
    if params.cell != config.cell:
        raise ValueError(f"these parameters are the {cell_of(params).label}'s; the settings "
                         f"say {CELLS[config.cell].label}")
    sizes = params.sizes
    expected = {"n_x": task.n_x, "n_a": config.n_a, "n_y": task.n_y}
    for key, value in expected.items():
        if sizes[key] != value:
            raise ValueError(f"these parameters have {key}={sizes[key]}; the {task.name} task "
                             f"with these settings needs {key}={value}")


def train(config: TrainConfig) -> Iterator[Record]:
    """Yield one Record per step until config.steps or divergence (see Trainer)."""
    yield from Trainer(config)


class Trained(NamedTuple):
    """A model file read back: its settings, parameters, rebuilt task, and how many steps it
    had been trained (0 if the file does not say)."""

    config: TrainConfig
    params: Params
    task: Task
    trained_steps: int


MAX_TRAINED_STEPS = 2**31 - 1   # the most steps a model file may say it was trained
RECIPE = "recipe"   # how a ready-trained network was made (rnnviz.training.bundled): no setting


def load_trained(file) -> Trained:
    """A model saved by Trainer.save (or a run's model download).

    Raises:
        ValueError: the file is not an rnnviz model, its settings are not a training
            config, its step count is not one, or its parameters do not fit the task those
            settings describe.
    """
    return trained_from(*load_model(file))


def trained_from(params: Params, values: dict) -> Trained:
    """A model file's parameters and settings (rnnviz.training.files.load_model) as a run;
    ValueError as `load_trained`."""
    values = {name: value for name, value in values.items() if name != RECIPE}
    trained = values.pop("trained_steps", 0)
    if (not isinstance(trained, int) or isinstance(trained, bool)
            or not 0 <= trained <= MAX_TRAINED_STEPS):
        raise ValueError(f"the file's trained_steps ({str(trained)[:40]}) is not a count of "
                         f"steps from 0 to {MAX_TRAINED_STEPS:,}")
    try:
        config = TrainConfig.from_dict(values)
    except (TypeError, ValueError) as why:
        raise ValueError(f"the file's training settings are not usable: {why}") from None
    task = config.make_task()
    check_params_fit(params, config, task)
    return Trained(config, params, task, trained)
