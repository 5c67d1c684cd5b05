"""The Gate lab: interventions as a lesson link writes them, the original and the intervened
runs of one network compared, and the sentence that says what changed.

An intervention (rnnviz.engine.Intervention) is written ``target:value:steps`` or
``target:value:steps:units``, several joined by ``;`` (the view field ``intervene``)::

    f:0:10-60          f = 0 on every unit at t = 10 … 60
    c:1.5:5:0,3        c = 1.5 on units 0 and 3 at t = 5
    a:0:all            a = 0 on every unit at every step

Steps are ``all``, one t or a range ``a-b`` (1-based, as in x<t>); units ``all`` or a list of
j (0-based, at most rnnviz.fields.MAX_LIST). A gate takes a value in [0, 1]; a state one in
rnnviz.limits.STATE_VALUES, the range the lab offers; at most rnnviz.limits.MAX_INTERVENTIONS
apply at once. What a cell offers is its description's `targets`.

The sentence names each intervention and, where holding a gate at 0 or 1 or setting a state
makes one of the cell's updates simpler (`CLAIMS`), the simpler update, checked on the
intervened trace (its largest difference over the units, steps and examples held). Then it
says where the shown example's a<t> first changes, the page's loss before and after, and
||dL/da<1>||: how much of the gradient still reaches the first step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnnviz.app.build import Setup
from rnnviz.app.config import initial_bias
from rnnviz.app.readouts import example_view, quantity
from rnnviz.engine import CELLS, Cell, Intervention, cell_of
from rnnviz.engine.description import Trace
from rnnviz.engine.interventions import GATE_VALUES, check_interventions
from rnnviz.engine.losses import step_losses
from rnnviz.fields import MAX_LIST, SPACE, Field, format_value, parse_number, shown
from rnnviz.limits import MAX_INTERVENTIONS, STATE_VALUES

SYNTAX = "target:value:steps or target:value:steps:units, e.g. f:0:10-20"
ALL = "all"
_STEP = Field("steps", "int", None, 1, "T_x")
_UNITS = Field("units", "int_list", None, 0, "n_a", -1)


# ----- what an intervention may be, and how it is written ----------------------------------

def value_range(cell: Cell, target: str) -> tuple[float, float]:
    """The values the lab lets `target` take: [0, 1] for a gate, STATE_VALUES for a state."""
    return STATE_VALUES[target] if target in cell.states else GATE_VALUES


def problem(cell: Cell, change: Intervention, n_a: int, T_x: int) -> str | None:
    """Why `change` cannot be applied to this cell, n_a units and T_x steps (the engine's
    reason, or the lab's own ranges), or None when it can."""
    try:
        check_interventions(cell, (change,), n_a, T_x)
    except ValueError as why:
        return str(why)
    low, high = value_range(cell, change.target)
    if not low <= change.value <= high:
        return (f"the Gate lab sets {change.target} to a value from {low:g} to {high:g}; got "
                f"{change.value:.12g}")
    if change.units is not None and len(change.units) > MAX_LIST:
        return f"at most {MAX_LIST} units are named; choose all units instead"
    return None


def default_change(cell: Cell, T_x: int) -> Intervention:
    """What the lab holds before anyone chooses, from the middle of the sequence to its end:
    the gate that keeps the cell's memory, at the end where it forgets (the LSTM's f = 0; the
    GRU's u = 1, as its bias starts below 0), or, for a cell without one, its first state at 0."""
    steps = tuple(range(T_x // 2 + 1, T_x + 1))
    gate = next((g for g in cell.gates if g.bias == cell.memory_bias), None)
    if gate is None:
        return Intervention(cell.states[0], 0.0, steps=steps)
    keeps_near_one = initial_bias(cell.name, gate.bias) > 0
    return Intervention(gate.value, 0.0 if keeps_near_one else 1.0, steps=steps)


def fit(cell: Cell, n_a: int, T_x: int,
        changes: tuple[Intervention, ...] | None) -> tuple[tuple[Intervention, ...], list[str]]:
    """The interventions to apply, and a note for each one left out because it does not fit
    this cell and these sizes (the sidebar changed since it was chosen). None, or nothing left:
    `default_change`."""
    kept, notes = [], []
    for change in changes or ():
        why = problem(cell, change, n_a, T_x)
        if why is None:
            kept.append(change)
        else:
            notes.append(f"{describe(change)} is left out: {why}.")
    if not kept:
        kept.append(default_change(cell, T_x))
        if changes:
            notes.append(f"Nothing was left to change, so the lab shows {describe(kept[0])}.")
    return tuple(kept), notes


def span(change: Intervention, T_x: int) -> tuple[int, int]:
    """(first, last) step the change holds."""
    return (1, T_x) if change.steps is None else (change.steps[0], change.steps[-1])


def steps_of(first: int, last: int, T_x: int) -> tuple[int, ...] | None:
    """The steps first … last as an Intervention takes them: None for all of 1 … T_x."""
    return None if (first, last) == (1, T_x) else tuple(range(first, last + 1))


def describe(change: Intervention) -> str:
    """"f = 0 at t = 10 … 60 on every unit", "c = 1.5 at t = 5 on units 0, 3"."""
    steps = change.steps
    when = ("at every step" if steps is None else f"at t = {steps[0]}" if len(steps) == 1
            else f"at t = {steps[0]} … {steps[-1]}")
    units = change.units
    who = ("on every unit" if units is None else f"on unit {units[0]}" if len(units) == 1
           else f"on units {', '.join(map(str, units))}")
    return f"{change.target} = {change.value:g} {when} {who}"


class Codec:
    """Reads and writes the view field ``intervene`` (rnnviz.fields.Field's codec)."""

    max_chars = MAX_INTERVENTIONS * 100  # room for 16 units of 3 digits in each

    @staticmethod
    def format(changes: tuple[Intervention, ...]) -> str:
        return ";".join(_written(change) for change in changes)

    @staticmethod
    def parse(text: str, sizes: dict) -> tuple[Intervention, ...]:
        """The interventions in `text`, each checked against sizes' "cell" (its name),
        "n_a" and "T_x"; ValueError saying why not, to follow "it"."""
        parts = [part for part in text.split(";") if part.strip(SPACE)]
        if not parts:
            raise ValueError(f"names no intervention: write {SYNTAX}")
        if len(parts) > MAX_INTERVENTIONS:
            raise ValueError(f"lists {len(parts)} interventions; at most {MAX_INTERVENTIONS} "
                             "apply at once")
        return tuple(_read(part, sizes) for part in parts)


CODEC = Codec()


def _written(change: Intervention) -> str:
    steps = ALL if change.steps is None else "-".join(
        dict.fromkeys(map(str, (change.steps[0], change.steps[-1]))))
    text = f"{change.target}:{format_value(change.value)}:{steps}"
    return text if change.units is None else f"{text}:{format_value(change.units)}"


def _read(part: str, sizes: dict) -> Intervention:
    fields = [field.strip(SPACE) for field in part.split(":")]
    if len(fields) not in (3, 4):
        raise ValueError(f"must be {SYNTAX}; {shown(part)!r} is not")
    target, value, steps = fields[:3]
    units = fields[3] if len(fields) == 4 else ALL
    where = f"cannot be applied: in {shown(part)!r}, "
    readers = (("value", lambda: parse_number(value, whole=False)),
               ("steps", lambda: _steps(steps, sizes)),
               ("units", lambda: None if units.lower() == ALL
                else tuple(_UNITS.parse(units, sizes))))
    read = {}
    for name, reader in readers:
        try:
            read[name] = reader()
        except ValueError as why:
            raise ValueError(f"{where}its {name} {why}") from None
    change = Intervention(target, read["value"], read["units"], read["steps"])
    why = problem(CELLS[sizes["cell"]], change, sizes["n_a"], sizes["T_x"])
    if why is not None:
        raise ValueError(f"{where}{why}")
    return change


def _steps(text: str, sizes: dict) -> tuple[int, ...] | None:
    """all (None), one t, or a range a-b, each t in 1 … T_x."""
    if text.lower() == ALL:
        return None
    first, dash, last = text.partition("-")
    start = _STEP.parse(first, sizes)
    end = _STEP.parse(last, sizes) if dash else start
    if end < start:
        raise ValueError(f"run backwards, from t = {start} to t = {end}")
    return tuple(range(start, end + 1))


# ----- the two runs -----------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """What the lab shows of one forward and backward pass.

    Attributes:
        changes: the interventions applied (empty: the network as it is).
        view: rnnviz.app.readouts.example_view of the example shown, (n, T_x) arrays.
        losses: (T_x,) the loss of each step alone, L<t> (NaN where none counts).
        flow: {state: (T_x,) ||dL/ds<t>||} from the page's loss, as Gradient flow draws it.
        loss: the page's loss.
        gaps: for each change, the largest |difference| of its claim (`CLAIMS`) over the
            entries it holds in the whole batch, or None when it has none.
        output: the output layer's activation, "softmax" or "linear".
    """

    changes: tuple
    view: dict
    losses: np.ndarray
    flow: dict
    loss: float
    gaps: tuple
    output: str


def run(setup: Setup, changes: tuple[Intervention, ...], where: str, example: int) -> Run:
    """The setup's network on its batch with `changes` (checked by the engine; none: as it
    is), the page's loss at `where`, and example `example` for the views."""
    cell = cell_of(setup.params)
    trace = setup.forward(changes)
    back = setup.backward(trace, where)
    losses = step_losses(setup.loss, trace.z_y, setup.targets)
    return Run(tuple(changes), example_view(cell, trace, example), losses, back.flow_norms(),
               back.loss, tuple(_gap(cell, trace, change) for change in changes), trace.output)


@dataclass(frozen=True)
class Comparison:
    """The original run, the intervened one, and where the shown example's a<t> parts.

    Attributes:
        first_change: the first t at which the example's a<t> differs (None: nowhere).
        largest_change: the largest |difference| of its a<t> between the runs.
    """

    original: Run
    intervened: Run
    first_change: int | None
    largest_change: float

    @property
    def changes(self) -> tuple:
        return self.intervened.changes

    @property
    def gaps(self) -> tuple:
        return self.intervened.gaps

    @property
    def output(self) -> str:
        return self.intervened.output


def compare(original: Run, intervened: Run) -> Comparison:
    """Two runs of one network on one batch and example (`run`'s), side by side."""
    moved = np.abs(intervened.view["a"] - original.view["a"]).max(axis=0)  # (T_x,)
    changed = np.flatnonzero(moved > 0)
    return Comparison(original, intervened, int(changed[0]) + 1 if changed.size else None,
                      float(moved.max()))


# ----- what an intervention makes of a cell's update ---------------------------------------

def _tanh(value: float) -> float:
    return float(np.tanh(value))


# {(cell, target, value or None for any): (what it does, the update it leaves, the residual
# of that update on a trace, which is 0 where it holds)}; the GRU's u keeps its memory at 0.
CLAIMS: dict[tuple[str, str, float | None], tuple[str, str, Callable]] = {
    ("lstm", "f", 0.0): ("the cell keeps nothing of c⟨t−1⟩", "c⟨t⟩ = u∘c̃",
                         lambda tr, v: tr.c - tr.u * tr.c_tilde),
    ("lstm", "f", 1.0): ("the cell keeps all of c⟨t−1⟩", "c⟨t⟩ = c⟨t−1⟩ + u∘c̃",
                         lambda tr, v: tr.c - (tr.c_prev + tr.u * tr.c_tilde)),
    ("lstm", "u", 0.0): ("the cell writes nothing new", "c⟨t⟩ = f∘c⟨t−1⟩",
                         lambda tr, v: tr.c - tr.f * tr.c_prev),
    ("lstm", "o", 0.0): ("the cell shows nothing of its memory", "a⟨t⟩ = 0",
                         lambda tr, v: tr.a),
    ("lstm", "c", None): ("the cell's memory is overwritten", "a⟨t⟩ = o∘tanh(c)",
                          lambda tr, v: tr.a - tr.o * _tanh(v)),
    ("gru", "u", 0.0): ("the cell keeps a⟨t−1⟩ as it was", "a⟨t⟩ = a⟨t−1⟩",
                        lambda tr, v: tr.a - tr.a_prev),
    ("gru", "u", 1.0): ("the cell keeps nothing of a⟨t−1⟩", "a⟨t⟩ = c̃",
                        lambda tr, v: tr.a - tr.c_tilde),
}
for _name in CELLS:  # every cell's a: set, it is what the output and the next step read
    CLAIMS[(_name, "a", None)] = ("the next step starts from the value set", "a⟨t⟩ = value",
                                  lambda tr, v: tr.a - v)


def claim(cell: Cell, change: Intervention) -> tuple[str, str, Callable] | None:
    """What `change` does to the cell's update (`CLAIMS`), or None when it has no simpler form."""
    return (CLAIMS.get((cell.name, change.target, change.value))
            or CLAIMS.get((cell.name, change.target, None)))


def _gap(cell: Cell, trace: Trace, change: Intervention) -> float | None:
    said = claim(cell, change)
    if said is None:
        return None
    residual = said[2](trace, change.value)  # (n_a, m, T_x)
    units = slice(None) if change.units is None else list(change.units)
    steps = slice(None) if change.steps is None else [t - 1 for t in change.steps]
    return float(np.abs(residual[units][:, :, steps]).max())


# ----- the sentence -----------------------------------------------------------------------

def number(value: float) -> str:
    """A loss or a norm in a sentence: 0.693, 3.1e-04, and 0 for exactly 0."""
    if value == 0:
        return "0"
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.1e}"


def _goes(before: float, after: float) -> str:
    old, new = number(before), number(after)
    if old == new:
        return f"stays at {old}"
    return f"{'falls' if after < before else 'rises'} from {old} to {new}"


def sentence(cell: Cell, comparison: Comparison, loss_at: str) -> str:
    """What changed, from the numbers of the comparison: each intervention and the update it
    leaves (checked), where the example's a<t> first changes, the loss and ||dL/da<1>|| before
    and after.

    Args:
        cell: the description of the compared network's cell.
        comparison: `compare`'s.
        loss_at: where the page's loss sits, in words ("the last step").
    """
    parts = []
    for change, gap in zip(comparison.changes, comparison.gaps, strict=True):
        said = claim(cell, change)
        if said is None:
            words = quantity(cell, change.target).name
            parts.append(f"With {describe(change)}, the {words} is held at {change.value:g}.")
        else:
            what, update, _ = said
            parts.append(f"With {describe(change)}, {what}: {update} (checked on the whole "
                         f"batch: the largest difference is {number(gap)}).")
    before, after = comparison.original, comparison.intervened
    if comparison.first_change is None:
        moved = "In the example shown a⟨t⟩ does not change"
    else:
        moved = (f"In the example shown a⟨t⟩ first changes at t = "
                 f"{comparison.first_change}, by up to {number(comparison.largest_change)}")
    parts.append(f"{moved}; the loss at {loss_at} {_goes(before.loss, after.loss)} and "
                 f"‖∂L/∂a⟨1⟩‖ {_goes(before.flow['a'][0], after.flow['a'][0])}.")
    return " ".join(parts)
