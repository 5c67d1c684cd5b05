"""What every task offers: a `Batch` and the `Task` base class (the tasks themselves are
in the modules beside this one; rnnviz.training.tasks lists them)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnnviz.engine.losses import Loss


@dataclass(frozen=True)
class Batch:
    """One batch of examples.

    Attributes:
        x: (n_x, m, T_x) float64 inputs.
        targets: cross-entropy: int64 (m, T_x) class indices, -1 where a position does not
            count; squared error: float64 (n_y, m, T_x).
    """

    x: np.ndarray
    targets: np.ndarray


class Task:
    """What every task offers: sizes, loss, a batch generator and an accuracy.

    Attributes:
        name: the key in TASKS ("chars", "adding", "copy", "sine").
        title: a short human name.
        description: one or two sentences for a student.
        T_x_meaning: what T_x sets for this task, in one sentence.
        n_x, n_y: input and output sizes.
        loss: the rnnviz.engine.losses.Loss to train with (its .output is "softmax" or "linear").
        min_T_x: the shortest sequence the task makes sense for.
        chance: the accuracy of guessing, or None where accuracy is undefined.
        notes: sentences on what the task changed in the data it was given (rare
            characters left out of a text), for the student to read.
    """

    name = ""
    title = ""
    description = ""
    T_x_meaning = ""
    loss = Loss()
    min_T_x = 1
    chance: float | None = None
    notes: tuple[str, ...] = ()
    n_x = 1
    n_y = 1

    @property
    def output(self) -> str:
        return self.loss.output

    @property
    def guess_loss(self) -> float | None:
        """The cross-entropy of guessing every one of the n_y classes alike, log(n_y), that
        a network starts near and learns to go below; None for squared error, whose scale
        depends on the data."""
        return math.log(self.n_y) if self.loss.kind == "cross_entropy" else None

    def check_batch_size(self, m: int, T_x: int) -> None:
        """Raise ValueError with a readable sentence if (m, T_x) cannot be drawn."""
        if int(m) != m or m < 1:
            raise ValueError(f"the batch size m must be a positive whole number; got {m!r}")
        if int(T_x) != T_x or T_x < self.min_T_x:
            raise ValueError(f"the {self.title.lower()} task needs T_x of at least "
                             f"{self.min_T_x}; got {T_x!r}")

    def batch(self, rng: np.random.Generator, m: int, T_x: int) -> Batch:
        raise NotImplementedError

    def accuracy(self, y_hat: np.ndarray, targets: np.ndarray) -> float | None:
        """Accuracy of outputs y_hat (n_y, m, T_x) against a batch's targets, or None."""
        return None

    def labels(self, targets: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]] | None:
        """What the network should be holding at each step of a batch, as a label per
        (example, step) to colour its states by: ((m, T_x) int indices, their names), or
        None for a task without one."""
        return None
