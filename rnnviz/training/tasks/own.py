"""A student's own sequences (rnnviz.training.sequences) as a task: next-value prediction, or
sequence classification when the data has labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine.losses import Loss
from rnnviz.engine.model import forward
from rnnviz.engine.params import Params
from rnnviz.training.sequences import SequenceData
from rnnviz.training.tasks.base import Batch, Task


@dataclass(frozen=True)
class Predictions:
    """A network's outputs on windows of the sequences, values in the data's units.

    Attributes:
        inputs: (n_x, count, T_x) the values it read, x<1> ... x<T_x>.
        targets: prediction: (n_x, count, T_x) the next values x<2> ... x<T_x + 1>;
            classification: (count,) each window's class index.
        outputs: prediction: (n_x, count, T_x) its predictions of them; classification:
            (n_y, count) its softmax probabilities at t = T_x.
    """

    inputs: np.ndarray
    targets: np.ndarray
    outputs: np.ndarray


class OwnTask(Task):
    """Windows of a student's sequences.

    An example is a window of T_x steps (T_x + 1 for prediction) of one sequence, at a
    random offset (offset 0 when it fits exactly), drawn with the generator:

        prediction       x<t> = v<t>             y<t> = v<t+1>        squared error, all t
        classification   x<t> = v<t>             y<T_x> = the class   cross-entropy, t = T_x

    v are the standardised values of all n_c channels (n_x = n_c). A classification
    window's class is its sequence's (one sequence per row) or its last step's (one series).

    Attributes:
        data: the SequenceData.
    """

    name = "sequences"
    title = "Your sequences"
    description = ("Numbers of your own, from a CSV file: the network predicts each next "
                   "value or, with a label column, tells the sequences' classes apart.")
    T_x_meaning = "T_x is how many steps of one of your sequences the network reads."

    def __init__(self, data: SequenceData):
        self.data = data
        channels = data.values.shape[2]
        self.n_x = channels
        if data.classify:
            self.loss = Loss("cross_entropy", "last")
            self.n_y = len(data.classes)
            self.chance = 1.0 / self.n_y
        else:
            self.loss = Loss("squared_error", "all")
            self.n_y = channels
        self.notes = (data.describe(),)

    def check_batch_size(self, m: int, T_x: int) -> None:
        super().check_batch_size(m, T_x)
        if T_x > self.data.longest_T_x:
            steps = self.data.length
            why = "" if self.data.classify else " (each step's target is the value after it)"
            raise ValueError(f"your sequences are {steps:,} steps long, so T_x can be at most "
                             f"{self.data.longest_T_x:,}{why}; got T_x = {T_x}")

    def batch(self, rng: np.random.Generator, m: int, T_x: int) -> Batch:
        """m windows of T_x steps.

        Returns:
            Batch with x (n_x, m, T_x) and targets: prediction (n_x, m, T_x) float64, the
            next values; classification int64 (m, T_x), the class at T_x and -1 before.
        """
        self.check_batch_size(m, T_x)
        data = self.data
        span = T_x if data.classify else T_x + 1
        sequence = rng.integers(0, data.values.shape[0], size=m)
        offset = rng.integers(0, data.length - span + 1, size=m)
        steps = offset[:, None] + np.arange(span)[None, :]   # (m, span)
        window = data.values[sequence[:, None], steps]   # (m, span, n_c)
        x = window[:, :T_x].transpose(2, 0, 1)   # (n_x, m, T_x)
        if not data.classify:
            return Batch(x=x, targets=window[:, 1:].transpose(2, 0, 1))
        targets = np.full((m, T_x), -1, dtype=np.int64)
        targets[:, -1] = data.step_labels[sequence, offset + T_x - 1]
        return Batch(x=x, targets=targets)

    def predictions(self, params: Params, rng: np.random.Generator, count: int,
                    T_x: int) -> Predictions:
        """What `params` output on `count` windows of T_x steps drawn with `rng`."""
        batch = self.batch(rng, count, T_x)
        y_hat = forward(params, batch.x, output=self.loss.output).y_hat
        inputs = self.data.in_units(batch.x)
        if self.data.classify:
            return Predictions(inputs, batch.targets[:, -1], y_hat[:, :, -1])
        return Predictions(inputs, self.data.in_units(batch.targets), self.data.in_units(y_hat))

    def accuracy(self, y_hat: np.ndarray, targets: np.ndarray) -> float | None:
        """Classification: the share of examples whose argmax y_hat<T_x> is their class."""
        if not self.data.classify:
            return None
        return float(np.mean(np.argmax(y_hat[:, :, -1], axis=0) == targets[:, -1]))

    def labels(self, targets: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]] | None:
        """Classification: each example's class at every step (the class it must end up
        telling)."""
        if not self.data.classify:
            return None
        return np.repeat(targets[:, -1:], targets.shape[1], axis=1), self.data.classes
