"""Interventions: clamp a gate or set a state on chosen units at chosen steps, forward and back.

    trace = forward(params, x, interventions=[Intervention("f", 0.0, steps=range(10, 21))])

An `Intervention(target, value, units, steps)` replaces one quantity of the step by `value`
on the units `units` (0-based row indices j of the (n_a, m) arrays; None: all n_a) at the
timesteps `steps` (t = 1..T_x, as in x<t>; None: all), for every example of the batch. The
targets a cell offers are its description's `Cell.targets`: its gates (the LSTM's f, u, o;
the GRU's r, u), clamped to a value in [0, 1], and its states (a; and c for the LSTM), set to
any finite value.

Forward, at a step t and a unit j the intervention covers::

    gate g:    g<t>_j = value     in place of sigmoid(z_g<t>)_j; the step goes on with it
    state s:   s<t>_j = value     in place of the cell's update; step t + 1 and the output at
                                  t read it (the LSTM's a<t> = o<t> * tanh(c<t>) the set c)

so the LSTM's f = 0 gives c<t> = u<t> * c~<t>, and f = 1 with u = 0 keeps c<t-1>. The trace
holds the values the network used (the clamped gates, the set states), its pre-activations
z<t> as the network computed them, and the interventions themselves (`trace.interventions`),
from which `backward` knows what to hold constant.

Backward: a clamped gate or a set state is a constant, so::

    gate g clamped at (j, t):   dz_g<t>_j = 0      no gradient reaches its pre-activation;
                                                   the gradient through its value is unchanged
    state s set at (j, t):      dL/ds<t>_j arrives as usual (the flows dA, dC record it: it is
                                the loss's derivative with respect to the value set), and
                                goes no further back: the step's backward receives 0 for it

Each cell's fused kernel applies a `Schedule` of the interventions (built here once for all
cells) at its points of the step: forward by writing the values into its row-form buffers
(`Schedule.set`), backward by zeroing, at the covered units and steps, the recurrence-free
factors through which the constant's inputs would receive a gradient (`Schedule.cut`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from rnnviz.engine._arrays import check_number, check_whole, shown
from rnnviz.engine.description import Cell
from rnnviz.limits import MAX_INTERVENTIONS

GATE_VALUES = (0.0, 1.0)  # a clamped gate's values: the sigmoid's range


@dataclass(frozen=True)
class Intervention:
    """Replace `target` by `value` on `units` at `steps` (see the module's docstring).

    Attributes:
        target: a gate ("f", "u", "o"; "r", "u") or a state ("a", "c") of the cell.
        value: the value held: in [0, 1] for a gate, any finite number for a state.
        units: the units j (0-based), in increasing order without repeats; None: all.
        steps: the timesteps t (1-based), in increasing order without repeats; None: all.

    Raises (on construction): TypeError if target is not text, value not a real number, or
    units or steps not None or a collection of whole numbers; ValueError if value is not
    finite, or units or steps are empty or hold a negative unit or a step below 1. Whether
    the target, value, units and steps fit a cell and a sequence is checked by `forward`
    (`check_interventions`).
    """

    target: str
    value: float
    units: tuple[int, ...] | None = None
    steps: tuple[int, ...] | None = None

    def __post_init__(self):
        if not isinstance(self.target, str):
            raise TypeError(f"an intervention's target must be the name of a gate or a state "
                            f"(text); got {shown(self.target)}")
        object.__setattr__(self, "value", check_number(f"the value of {self.target}",
                                                       self.value))
        object.__setattr__(self, "units", _indices("units", self.units, 0))
        object.__setattr__(self, "steps", _indices("steps", self.steps, 1))


def _indices(name: str, values, low: int) -> tuple[int, ...] | None:
    """None, or `values` as sorted distinct ints >= low; TypeError or ValueError naming
    `name` otherwise (empty, not whole numbers, below low)."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a list of whole numbers, or None for all; got "
                        f"{shown(values)}")
    checked = {check_whole(f"each {name[:-1]}", value, low=low) for value in values}
    if not checked:
        raise ValueError(f"{name} is empty: name at least one, or None for all")
    return tuple(sorted(checked))


def check_interventions(cell: Cell, interventions, n_a: int,
                        T_x: int) -> tuple[Intervention, ...]:
    """The interventions as a tuple, once each fits the cell, n_a units and T_x steps.

    Args:
        cell: the description of the network's cell.
        interventions: Interventions, in the order they apply (a later one wins where two
            hold the same entry); one Intervention alone is taken as a list of one.
        n_a, T_x: the hidden size and the sequence's length.

    Raises:
        TypeError if an item is not an Intervention; ValueError if there are more than
        rnnviz.limits.MAX_INTERVENTIONS, or naming the intervention if its target is not one
        of cell.targets, a gate's value lies outside [0, 1], or a unit is not below n_a or a
        step above T_x.
    """
    if isinstance(interventions, Intervention):
        interventions = (interventions,)
    if isinstance(interventions, (str, bytes)) or not isinstance(interventions, Iterable):
        raise TypeError(f"interventions must be a list of Intervention; got "
                        f"{type(interventions).__name__}")
    interventions = tuple(interventions)
    if len(interventions) > MAX_INTERVENTIONS:
        raise ValueError(f"at most {MAX_INTERVENTIONS} interventions apply at once; got "
                         f"{len(interventions)}")
    for change in interventions:
        if not isinstance(change, Intervention):
            raise TypeError(f"interventions must be a list of Intervention (rnnviz.engine."
                            f"Intervention(target, value, units, steps)); got "
                            f"{type(change).__name__}")
        _check_fits(cell, change, n_a, T_x)
    return interventions


def _check_fits(cell: Cell, change: Intervention, n_a: int, T_x: int) -> None:
    """ValueError naming `change` unless the cell offers its target, a gate's value lies in
    [0, 1], its units are below n_a and its steps at most T_x."""
    gates = tuple(gate.value for gate in cell.gates)
    if change.target not in cell.targets:
        offered = " and ".join(f"the {kind}{'s' if len(names) > 1 else ''} {', '.join(names)}"
                               for kind, names in (("gate", gates), ("state", cell.states))
                               if names)
        raise ValueError(f"the {cell.label} has no gate or state {change.target!r} to "
                         f"intervene on; it offers {offered}")
    low, high = GATE_VALUES
    if change.target in gates and not low <= change.value <= high:
        raise ValueError(f"the gate {change.target} can only be clamped to a value from "
                         f"{low:g} to {high:g}; got {change.value:g}")
    if change.units is not None and change.units[-1] >= n_a:
        raise ValueError(f"the units of the intervention on {change.target} run from 0 to "
                         f"n_a - 1 = {n_a - 1}; got {change.units[-1]}")
    if change.steps is not None and change.steps[-1] > T_x:
        raise ValueError(f"the steps of the intervention on {change.target} run from t = 1 "
                         f"to T_x = {T_x}; got {change.steps[-1]}")


class Schedule:
    """The checked interventions of one forward pass, step by step, for the fused kernels.

    Attributes:
        by_step: for each step index i = t - 1 (0..T_x - 1), the list of (target, units,
            value) it applies there, in order; units is an index array, or slice(None) for
            every unit.
    """

    def __init__(self, interventions: tuple[Intervention, ...], T_x: int):
        self.by_step: list[list[tuple[str, object, float]]] = [[] for _ in range(T_x)]
        self.largest: dict[str, float] = {}  # the largest |value| each target is set to
        for change in interventions:
            units = slice(None) if change.units is None else np.array(change.units)
            for t in range(1, T_x + 1) if change.steps is None else change.steps:
                self.by_step[t - 1].append((change.target, units, change.value))
            self.largest[change.target] = max(self.largest.get(change.target, 0.0),
                                              abs(change.value))

    def bound(self, state: str, initial: np.ndarray) -> float:
        """The largest |entry| of the initial state and of the values `state` is set to: the
        kernels choose their sigmoid and tanh (rnnviz.engine.activations.kernel_for) from
        bounds on the states, which a set value may exceed."""
        return max(float(np.max(np.abs(initial))), self.largest.get(state, 0.0))

    def set(self, i: int, **rows: np.ndarray) -> None:
        """Forward, step index i: write each intervention of the step whose target is among
        `rows` into it, rows[target][:, units] = value; each row is the target's (m, n_a)
        row form (a view of the kernel's buffers)."""
        for target, units, value in self.by_step[i]:
            if target in rows:
                rows[target][:, units] = value

    def cut(self, start: int, **factors: tuple[np.ndarray, ...]) -> None:
        """Backward, the steps start, start + 1, ... of a chunk: zero, at the units and steps
        an intervention covers, each factor through which its target's inputs get a
        gradient (factors[target], arrays (k, m, n_a) whose [i] is step start + i)."""
        k = len(next(iter(factors.values()))[0])
        for i in range(start, start + k):
            for target, units, _ in self.by_step[i]:
                for factor in factors.get(target, ()):
                    factor[i - start][:, units] = 0.0


def schedule_of(interventions: tuple[Intervention, ...], T_x: int) -> Schedule | None:
    """The kernels' Schedule of checked interventions, or None for none (the fused kernels'
    fast path)."""
    return Schedule(interventions, T_x) if interventions else None

