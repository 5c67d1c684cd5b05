"""Experiments on a trained network: break it on purpose and measure what it can still do.

On the copy task (rnnviz.training.tasks.CopyTask) a network must name at t = T_x the symbol
shown with the marker at t = 1. Every experiment scores the network on the same fresh
sequences (EVAL_SEQUENCES of them, fewer for a large network, see `sequences_for`; drawn
from EVAL_SEED, never seen in training), as the share recalled (chance 1/K for K symbols) and
the cross-entropy at the cue::

    the memory shut between the symbol and the cue, t = 2 .. T_x - 1 (SHUT_MEMORY):
        LSTM  f<t> = 0    c<t> = u<t> * c~<t>: the cell keeps nothing of c<t-1> itself, but
                          c~<t> still reads a<t-1>
        GRU   u<t> = 1    a<t> = c~<t>: it keeps a<t-1> only through the candidate
    every road cut: the same, and a<t> = 0 there too (the RNN: a<t> = 0 alone), so nothing
        of the symbol can cross the gap: the recall of a network that never saw it
    units J silenced: a<t>_j = 0 (and the LSTM's c<t>_j = 0) at every t, for j in J
    a unit's importance: how much the cross-entropy at the cue rises when that unit alone
        is silenced (nats); the ranking sorts the units by it, largest first
    the ablation curve: recall with the k most important units silenced, against k units
        drawn at random (the mean over RANDOM_DRAWS draws from RANDOM_SEED), for k on a grid

The importance is the task's own loss changed by the silencing itself: it counts a unit that
weakens the answer without yet turning it (which the recall alone would score 0), and it is
no linear estimate, as a gradient would be, of a change that is not small. It costs one
forward pass a unit.

Everything here is a pure function of the parameters: the same numbers on every call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.engine.cells import CELLS, cell_of
from rnnviz.engine.interventions import Intervention
from rnnviz.engine.losses import loss_and_output_gradient
from rnnviz.engine.model import forward
from rnnviz.engine.params import Params
from rnnviz.training.tasks import Batch, CopyTask, Task

EVAL_SEQUENCES = 1000   # fresh sequences each figure is measured on
EVAL_SEED = 12345       # the seed they are drawn from (training draws from its own)
RANDOM_DRAWS = 5        # random sets of units silenced for each k, averaged
RANDOM_SEED = 0
# A report's work bound, in multiply-adds: the bundled copy LSTM's (n_a = 32, T_x = 21) takes
# 1.3e10 on its 1,000 sequences; a larger network is measured on fewer, down to MIN_SEQUENCES.
MAX_MULTIPLY_ADDS = 1.6e10
MIN_SEQUENCES = 200
# The gate that keeps a cell's memory, and the value at which it keeps none of it: the
# LSTM's forget gate shut, the GRU's update gate wide open (a<t> = c~<t>). The RNN has none.
SHUT_MEMORY = {"lstm": ("f", 0.0), "gru": ("u", 1.0)}


@dataclass(frozen=True)
class Score:
    """A network on a batch: its loss (the task's, e.g. the cross-entropy at the cue) and its
    accuracy (None where the task has none)."""

    loss: float
    accuracy: float | None


def fresh_batch(task: Task, T_x: int, sequences: int = EVAL_SEQUENCES,
                seed: int = EVAL_SEED) -> Batch:
    """`sequences` examples of the task drawn from `seed`: x (n_x, sequences, T_x)."""
    return task.batch(np.random.default_rng(seed), sequences, T_x)


def score(params: Params, task: Task, batch: Batch, interventions=()) -> Score:
    """The task's loss and accuracy of the network on `batch`, with `interventions`
    (rnnviz.engine.Intervention) applied in the forward pass."""
    trace = forward(params, batch.x, output=task.loss.output, interventions=interventions)
    loss, _ = loss_and_output_gradient(task.loss, trace.z_y, batch.targets,
                                       y_hat=trace.y_hat if task.output == "softmax" else None)
    return Score(float(loss), task.accuracy(trace.y_hat, batch.targets))


def applies_to(task: str) -> bool:
    """Whether these experiments read the task named `task`: a symbol to recall at the cue."""
    return task == CopyTask.name


def shut_memory(cell: str, T_x: int) -> Intervention | None:
    """The memory gate held shut at t = 2 .. T_x - 1, every unit (SHUT_MEMORY); None for a
    cell without one, or a sequence with no step between the symbol and the cue."""
    if cell not in SHUT_MEMORY or T_x < 3:
        return None
    gate, value = SHUT_MEMORY[cell]
    return Intervention(gate, value, steps=range(2, T_x))


def cut_everything(cell: str, T_x: int) -> tuple[Intervention, ...]:
    """The memory gate shut (if the cell has one) and a<t> = 0 at t = 2 .. T_x - 1: no road
    left from the symbol to the cue. () for a sequence with no step between them."""
    if T_x < 3:
        return ()
    shut = shut_memory(cell, T_x)
    return (*([shut] if shut else []), Intervention("a", 0.0, steps=range(2, T_x)))


def silence(params: Params, units: Sequence[int]) -> tuple[Intervention, ...]:
    """The interventions that silence `units`: each state of the cell (a; and c) set to 0 at
    every step on them. No units: no intervention, the network as it is."""
    units = [int(j) for j in units]
    if not units:
        return ()
    return tuple(Intervention(state, 0.0, units=units) for state in cell_of(params).states)


def importance(params: Params, task: Task, batch: Batch,
               base: Score | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each unit silenced alone.

    Returns:
        (rise (n_a,): the loss with unit j silenced minus the loss as trained, in nats;
         accuracy (n_a,): the accuracy with unit j silenced).
    """
    base = base or score(params, task, batch)
    scores = [score(params, task, batch, silence(params, [j]))
              for j in range(params.sizes["n_a"])]
    return (np.array([s.loss - base.loss for s in scores]),
            np.array([s.accuracy for s in scores], dtype=np.float64))


def ranking(rise: np.ndarray) -> np.ndarray:
    """The units by importance, the largest rise first (ties: the lower unit first)."""
    return np.lexsort((np.arange(rise.size), -rise))


def k_grid(n_a: int) -> np.ndarray:
    """How many units to silence: every k up to 8, then about 1.4 times the last, and all
    n_a (13 values at n_a = 32, 19 at 256)."""
    ks = {k for k in range(min(n_a, 8) + 1)}
    k = 8
    while k < n_a:
        ks.add(k)
        k = int(np.ceil(k * 1.4))
    ks.add(n_a)
    return np.array(sorted(ks))


@dataclass(frozen=True)
class Ablation:
    """Recall with k units silenced, for each k of a grid.

    Attributes:
        k: (g,) how many units, increasing from 0 to n_a.
        top: (g,) the accuracy with the k most important silenced.
        random: (g, RANDOM_DRAWS) the accuracy with k drawn at random, one column a draw.
    """

    k: np.ndarray
    top: np.ndarray
    random: np.ndarray

    @property
    def random_mean(self) -> np.ndarray:
        return self.random.mean(axis=1)


def ablation(params: Params, task: Task, batch: Batch, order: np.ndarray,
             ks: np.ndarray | None = None, draws: int = RANDOM_DRAWS,
             seed: int = RANDOM_SEED) -> Ablation:
    """The accuracy with the first k units of `order` silenced, and with k units drawn at
    random (`draws` draws a k, without repeats within a draw, from `seed`), for each k of
    `ks` (default: k_grid(n_a))."""
    n_a = params.sizes["n_a"]
    ks = k_grid(n_a) if ks is None else np.asarray(ks)
    rng = np.random.default_rng(seed)

    def accuracy(units) -> float:
        return score(params, task, batch, silence(params, units)).accuracy

    top = np.array([accuracy(order[:k]) for k in ks])
    random = np.array([[accuracy(rng.choice(n_a, size=k, replace=False)) for _ in range(draws)]
                       for k in ks])
    return Ablation(ks, top, random)


def forward_passes(n_a: int, draws: int = RANDOM_DRAWS) -> int:
    """How many forward passes a report makes: the network as trained, its memory shut, every
    road cut, each unit silenced alone, and the ablation curve."""
    return 3 + n_a + len(k_grid(n_a)) * (1 + draws)


def sequences_for(cell: str, n_x: int, n_a: int, n_y: int, T_x: int) -> int:
    """The fresh sequences a report measures on: EVAL_SEQUENCES, or as many hundreds as keep
    its work within MAX_MULTIPLY_ADDS.

    Raises:
        ValueError: not even MIN_SEQUENCES fit: the network is too large to break here.
    """
    per_sequence = forward_passes(n_a) * CELLS[cell].multiply_adds(n_x, n_a, n_y, 1, T_x)
    fit = int(MAX_MULTIPLY_ADDS // per_sequence) // 100 * 100
    if fit < MIN_SEQUENCES:
        raise ValueError(f"a network of n_a = {n_a} on sequences of T_x = {T_x} is too large "
                         f"to break here: it would take {forward_passes(n_a)} forward passes "
                         f"of {MIN_SEQUENCES} sequences at least, "
                         f"{MIN_SEQUENCES * per_sequence:.1e} multiply-adds where the limit is "
                         f"{MAX_MULTIPLY_ADDS:.1e}")
    return min(EVAL_SEQUENCES, fit)


def near_chance(accuracy: float, chance: float, sequences: int) -> bool:
    """Whether an accuracy measured on `sequences` sequences is within three standard errors
    of guessing's."""
    return abs(accuracy - chance) <= 3 * np.sqrt(chance * (1 - chance) / sequences)


@dataclass(frozen=True)
class Report:
    """Every experiment on one network and task (see the module's docstring).

    Attributes:
        cell: the cell's name.
        T_x: the sequences' length (the delay is T_x - 1).
        sequences, seed: how many fresh sequences, drawn from which seed.
        chance: the accuracy of guessing.
        trained: the network as it is.
        shut: the memory gate shut between the symbol and the cue, or None (no such gate).
        shut_gate: (gate, value) held there, or None.
        cut: every road cut between the symbol and the cue (`cut_everything`).
        rise, alone: each unit silenced alone: the loss's rise and the accuracy.
        order: the units by importance, the most important first.
        curve: the ablation curve.
    """

    cell: str
    T_x: int
    sequences: int
    seed: int
    chance: float
    trained: Score
    shut: Score | None
    shut_gate: tuple[str, float] | None
    cut: Score
    rise: np.ndarray
    alone: np.ndarray
    order: np.ndarray
    curve: Ablation


def report(params: Params, task: Task, T_x: int, sequences: int | None = None,
           seed: int = EVAL_SEED) -> Report:
    """All the experiments on `params` for `task` at sequence length T_x, on `sequences`
    fresh sequences drawn from `seed` (default: `sequences_for` the network).

    Raises:
        ValueError: the task is not one they read, or the network is too large to break.
    """
    if not applies_to(task.name):
        raise ValueError(f"these experiments read the copy task's recall, not the "
                         f"{task.title.lower()}")
    cell = params.cell
    if sequences is None:
        sequences = sequences_for(cell, T_x=T_x, **params.sizes)
    batch = fresh_batch(task, T_x, sequences, seed)
    trained = score(params, task, batch)
    shut = shut_memory(cell, T_x)
    rise, alone = importance(params, task, batch, trained)
    order = ranking(rise)
    return Report(cell=cell, T_x=T_x, sequences=sequences, seed=seed, chance=task.chance,
                  trained=trained,
                  shut=None if shut is None else score(params, task, batch, [shut]),
                  shut_gate=None if shut is None else SHUT_MEMORY[cell],
                  cut=score(params, task, batch, cut_everything(cell, T_x)),
                  rise=rise, alone=alone, order=order,
                  curve=ablation(params, task, batch, order))
