"""A page's view controls: the choices a lesson link can fix (rnnviz.app.lesson.VIEWS), such
as the batch example i, the hidden unit j, the units plotted, where the loss sits.

Each is a widget mirrored in its view field's session key (rnnviz.ui.state), so it survives
visiting other pages and the URL round trip reads it. A control that a lesson link hides (by
the field's name) is not drawn, and the page uses the value the link fixed. The timestep t
has its own player (rnnviz.ui.player).
"""

from __future__ import annotations

import contextlib

import streamlit as st

from rnnviz.app import build
from rnnviz.app.config import Config
from rnnviz.fields import MAX_LIST, MEAN
from rnnviz.ui import state

# Hide names that also remove a control besides its own: "knobs" takes the truncation slider
HIDDEN_WITH = {"truncate": ("knobs",)}


def _hidden(name: str) -> bool:
    return any(state.hidden(n) for n in (name, *HIDDEN_WITH.get(name, ())))


def row(*names: str, widths: list[float] | None = None) -> list:
    """Where to draw the controls `names` side by side: a column for each one a lesson link
    did not hide, from the left, as in a row of all of them (of `widths`, or equal); a hidden
    one draws nothing (or a note, in the page's flow) and takes no room: no row when all are."""
    shown = [name for name in names if not _hidden(name)]
    columns = iter(st.columns(widths or len(names))[:len(shown)]) if shown else iter(())
    return [next(columns) if name in shown else contextlib.nullcontext() for name in names]


def index(name: str, label: str, count: int, help: str | None = None) -> int | None:
    """A menu over 0 … count − 1 for the running page's view field `name`, with "batch mean"
    first when the field takes it.

    Returns:
        the chosen index, or None for the batch mean.
    """
    options = ([MEAN] if state.view_field(name).kind == "int_or_mean" else []) + list(range(count))
    value = state.view_value(name)
    if value not in options:
        value = options[0]
    st.session_state[state.view_key(name)] = value
    if not state.hidden(name):
        state.mirrored(st.selectbox, state.widget_key(name), value,
                       state.keeper(state.view_key(name)), label, options, help=help,
                       format_func=lambda v: "batch mean" if v == MEAN else str(v))
    return None if value == MEAN else int(value)


def choice(name: str, label: str, help: str | None = None) -> str:
    """Radio buttons for the running page's view field `name`, one per choice of its field,
    written as the field's choice labels."""
    field, value = state.view_field(name), state.view_value(name)
    if value not in field.choices:
        value = field.default
    st.session_state[state.view_key(name)] = value
    if not state.hidden(name):
        state.mirrored(st.radio, state.widget_key(name), value,
                       state.keeper(state.view_key(name)), label, list(field.choices),
                       format_func=field.label_of, horizontal=True, help=help)
    return value


def units(n_a: int, label: str = "units j") -> list[int]:
    """The units whose lines a chart shows (the view field "units"): a multiselect; the first
    three until the student (or a link) chooses."""
    stored = state.view_value("units")
    chosen = ([j for j in stored if 0 <= j < n_a] if stored is not None
              else list(range(min(3, n_a))))
    if not state.hidden("units"):
        state.mirrored(st.multiselect, state.widget_key("units"), chosen,
                       state.keeper(state.view_key("units")), label, list(range(n_a)),
                       max_selections=MAX_LIST)
    return chosen


def slider(name: str, label: str, step: float, high: float | None = None) -> float:
    """A slider over the running page's view field `name` (a number with its low and high;
    `high` for a field whose upper bound is a size of the network, such as T_x), moving by
    `step`."""
    field, value = state.view_field(name), state.view_value(name)
    whole = field.kind == "int"
    top = field.high if high is None else high
    low, high = (int(field.low), int(top)) if whole else (float(field.low), float(top))
    value = min(max(value, low), high)
    st.session_state[state.view_key(name)] = value
    if not state.hidden(name):
        state.mirrored(st.slider, state.widget_key(name), value,
                       state.keeper(state.view_key(name)), label, low, high,
                       step=int(step) if whole else float(step), help=field.help)
    return int(value) if whole else float(value)


def truncation(config: Config, where: str, cells: list[str]) -> int:
    """Truncated BPTT's k (0: full BPTT): a slider up to the largest k computed at these sizes,
    saying why when that is below T_x, or a lesson link's value where it hides the knobs."""
    largest = build.largest_truncation(config, cells, where)
    if _hidden("truncate"):  # a lesson's one idea
        k = min(state.view_value("truncate"), largest)
    else:
        k = slider("truncate", "BPTT truncation k (0: full)", 1, high=largest)
    if largest < config.T_x:
        st.caption(f"k goes up to {largest} here: with the loss at every step, truncated BPTT "
                   "back-propagates each step's loss on its own, about k times the work of "
                   "full BPTT, and at these sizes more would hold the server too long.")
    return k
