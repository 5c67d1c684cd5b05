"""The Gate lab's controls and pictures: the interventions as a list (each a target, a value,
a range of steps and units; add, remove), kept in the page's view field ``intervene``, the
two runs compared (cached), and their figures side by side.

The list is stored as it was chosen; `rnnviz.app.lab.fit` drops, with a note, what no longer
fits the sidebar's network, and the widgets show what is applied. A widget's change writes
the whole list it was drawn with, changed, back to the view field.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from rnnviz.app import lab, readouts
from rnnviz.app.config import Config
from rnnviz.app.contents import LAB
from rnnviz.engine import CELLS, Cell, Intervention
from rnnviz.fields import MAX_LIST
from rnnviz.figures import forward, gradients
from rnnviz.figures import lab as figures
from rnnviz.limits import MAX_INTERVENTIONS
from rnnviz.training.experiments import applies_to
from rnnviz.ui import break_it, cache, page, state

PREFIX = "rnnviz_lab_"  # its widgets' keys: PREFIX + field + "_" + the intervention's index
STEPS_ON_A_SLIDER = 20  # a value's slider moves in (high − low) / this


@cache.data(max_entries=32, ttl=cache.CACHE_TTL, show_spinner="Running the network…")
def run(config: Config, changes: tuple[Intervention, ...], where: str, example: int,
        params: dict | None = None) -> lab.Run:
    """rnnviz.app.lab.run on the configuration's network (or a snapshot's `params`): cached
    apart for each list of changes, so a new intervention reruns only the intervened network."""
    return lab.run(cache.setup(config, params), changes, where, example)


def comparison(config: Config, changes: tuple[Intervention, ...], where: str, example: int,
               params: dict | None = None) -> lab.Comparison:
    """The network as it is and with `changes`, compared (rnnviz.app.lab.compare)."""
    return lab.compare(run(config, (), where, example, params),
                       run(config, changes, where, example, params))


def _store(changes) -> None:
    st.session_state[state.view_key("intervene", LAB)] = tuple(changes)


def _edit(changes: tuple, k: int, field: str, cell_name: str, T_x: int, value) -> None:
    """Intervention k of the list as drawn, with `field` set from its widget's `value`."""
    change = changes[k]
    if field == "target":  # the value kept, brought into the new target's range
        low, high = lab.value_range(CELLS[cell_name], value)
        change = dataclasses.replace(change, target=value,
                                     value=min(max(change.value, low), high))
    elif field == "value":
        change = dataclasses.replace(change, value=float(value))
    elif field == "steps":
        change = dataclasses.replace(change, steps=lab.steps_of(*value, T_x))
    else:
        change = dataclasses.replace(change, units=tuple(sorted(value)) or None)
    _store((*changes[:k], change, *changes[k + 1:]))


def _row(cell: Cell, config: Config, changes: tuple, k: int) -> None:
    change = changes[k]
    target, value, steps, units, remove = st.columns([2, 3, 3, 3, 1.6],
                                                     vertical_alignment="bottom")

    def writer(field):
        return lambda new: _edit(changes, k, field, cell.name, config.T_x, new)

    with target:
        state.mirrored(st.selectbox, f"{PREFIX}target_{k}", change.target, writer("target"),
                       "gate or state", list(cell.targets),
                       format_func=lambda t: f"{t}: {readouts.quantity(cell, t).name}")
    low, high = lab.value_range(cell, change.target)
    with value:
        state.mirrored(st.slider, f"{PREFIX}value_{k}", change.value, writer("value"),
                       f"value of {change.target}", low, high,
                       step=(high - low) / STEPS_ON_A_SLIDER,
                       help="A gate is clamped to it (0 shut, 1 open); a state is set to it.")
    with steps:
        if config.T_x > 1:
            state.mirrored(st.slider, f"{PREFIX}steps_{k}", lab.span(change, config.T_x),
                           writer("steps"), "steps t", 1, config.T_x)
        else:
            st.caption("at t = 1, the only step")
    with units:
        state.mirrored(st.multiselect, f"{PREFIX}units_{k}", list(change.units or ()),
                       writer("units"), "units j", list(range(config.n_a)),
                       max_selections=MAX_LIST, placeholder="every unit",
                       help="None chosen: every unit.")
    remove.button("Remove", key=f"{PREFIX}remove_{k}", disabled=len(changes) == 1,
                  on_click=_store, args=((*changes[:k], *changes[k + 1:]),),
                  help="At least one intervention stays.")


def editor(config: Config) -> tuple[Intervention, ...]:
    """The interventions applied: the list chosen (fitted to the network, a note for each
    one left out) and, unless a lesson link hid it, its controls."""
    cell = CELLS[config.cell]
    changes, notes = lab.fit(cell, config.n_a, config.T_x, state.view_value("intervene", LAB))
    for note in notes:
        st.warning(page.plain(note), icon="⚠️")
    if state.hidden("intervene"):
        st.markdown("\n".join(f"- {lab.describe(change)}" for change in changes))
        return changes
    for k in range(len(changes)):
        _row(cell, config, changes, k)
    full = len(changes) >= MAX_INTERVENTIONS
    st.button("Add an intervention", key=f"{PREFIX}add", disabled=full,
              on_click=_store, args=((*changes, lab.default_change(cell, config.T_x)),),
              help=f"At most {MAX_INTERVENTIONS} at once." if full else None)
    return changes


def pictures(cell: Cell, result: lab.Comparison, units: list[int],
             loss_at: str) -> list[tuple[str, dict, dict]]:
    """(key, original figure, intervened figure) for each row of the page: the memory of the
    chosen units, a⟨t⟩, the outputs (of the comparison's example), the loss of each step
    and the gradient flow (of the whole batch). Titles short enough for half a page."""
    T_x = result.original.losses.shape[0]
    spans = [lab.span(change, T_x) for change in result.changes]
    memory = readouts.quantity(cell, cell.states[-1])
    a = readouts.quantity(cell, "a")
    rows = {
        "memory": lambda run, label: forward.lines_over_time(
            {f"unit {j}": run.view[cell.states[-1]][j] for j in units},
            f"{label}: {memory.name} {memory.symbol}", memory.symbol),
        "a": lambda run, label: forward.heatmap(
            run.view["a"], "state", f"{label}: {a.name} {a.symbol}", zmax=a.zmax, height=360),
        "outputs": lambda run, label: forward.outputs_over_time(
            run.view["y_hat"], result.output, title=f"{label}: output ŷ⟨t⟩"),
        "loss": lambda run, label: forward.lines_over_time(
            {"L⟨t⟩": run.losses}, f"{label}: loss of each step", "L⟨t⟩"),
        "flow": lambda run, label: figures.titled(
            gradients.gradient_flow({cell.name: run.flow}, loss_at, height=420),
            f"{label}: gradient back in time"),
    }
    if not units:
        del rows["memory"]
    return [(key, *figures.side_by_side(build(result.original, "original"),
                                        build(result.intervened, "intervened"), spans))
            for key, build in rows.items()]


def trained_experiments(config: Config, params: dict | None) -> None:
    """On a trained copy-task network (a snapshot open here): its recall as trained and with
    its memory shut, its units silenced (rnnviz.ui.break_it); nothing otherwise."""
    if params is None or not applies_to(config.input):
        return
    st.header("On the trained network: recall before and after")
    break_it.section(params, config.cell, config.input, config.T_x, key="rnnviz_lab_break")
