"""The Units on text page's parts: the session's character-model runs and a snapshot of one,
the stretch of its text read by the network (cached), the unit and quantity that colour the
text (Find units and Match are rnnviz.ui.unit_find's).

Each control is a widget mirrored in a session key of its own (KEY + name; its widget:
KEY + "w_" + name), so it survives visiting other pages. The engine pass over a stretch is
cached per (snapshot and text, stretch) with `st.cache_resource`: a `Reading` is a pure
function of its key, its arrays are read-only, and handing the same object to every rerun
copies nothing, so a click that only changes the unit never touches the engine (at most
READINGS of them, each at most 6 · n_a · TEXT_VIEW_CHARS float32, 12 MB at n_a = 256).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st

from rnnviz.app import readouts
from rnnviz.app import unit_text as ut
from rnnviz.app.contents import TRAINING
from rnnviz.app.runs import Run, shown_snapshot, snapshot_choice
from rnnviz.engine import CELLS, Cell
from rnnviz.engine.params import Params
from rnnviz.figures import text as text_figure
from rnnviz.limits import TEXT_VIEW_CHARS
from rnnviz.training.tasks import make_task
from rnnviz.ui import page, state, training

KEY = "rnnviz_ut_"
READINGS = 8            # readings kept by the server, for every session together
CACHE_TTL = "1h"
CHARS_STEP = 50


# ----- a control mirrored in the session ----------------------------------------------------

def kept(name: str, default=None):
    """The value kept under KEY + name, or `default`."""
    return st.session_state.get(KEY + name, default)


def control(widget: Callable, name: str, value, *args, **kwargs):
    """`widget` showing `value`, its changes kept under KEY + name (rnnviz.ui.state.mirrored)."""
    return state.mirrored(widget, KEY + "w_" + name, value, state.keeper(KEY + name),
                          *args, **kwargs)


# ----- which network ------------------------------------------------------------------------

def chars_runs() -> list[Run]:
    """The session's runs on the character task, oldest first."""
    return [r for r in training.runs() if r.config.task == "chars"]


def no_run() -> None:
    """What to do when the session has no character-model run."""
    st.info("There is no character-model network in this session yet. Train one on the "
            "Training page with the task **Character language model** (a few hundred steps "
            "of an LSTM are enough to see units that track where a name is), or load a "
            "model file there. Ready-trained networks opened from the sidebar appear here "
            "as runs too.", icon="ℹ️")
    st.page_link(TRAINING.script, label="Open the Training page", icon="➡️")


def open_snapshot(run: Run, step: int) -> None:
    """Have the page show `run` at `step` (the Training page's button)."""
    st.session_state[KEY + "run"] = run.id
    st.session_state[KEY + "steps"] = {**kept("steps", {}), run.id: step}


def choose_run(runs: list[Run]) -> Run:
    """A menu of the runs, the newest until the student (or the Training page) picks one."""
    by_id = {r.id: r for r in runs}
    chosen = kept("run")
    chosen = chosen if chosen in by_id else runs[-1].id
    control(st.selectbox, "run", chosen, "training run", list(by_id),
            format_func=lambda i: by_id[i].name)
    return by_id[chosen]


def _keep_step(run_id: int, step: int | None) -> None:
    st.session_state[KEY + "steps"] = {**kept("steps", {}), run_id: step}


def choose_step(run: Run) -> int:
    """The snapshot to read: the newest until the student picks an older one; picked at the
    newest, it follows the run as it trains further (as the Training page's slider does)."""
    steps = sorted(run.snapshots)
    step = shown_snapshot(steps, kept("steps", {}).get(run.id))
    if len(steps) == 1:
        st.caption(f"Its only snapshot: step {step:,}.")
        return step
    state.mirrored(st.select_slider, f"{KEY}w_step_{run.id}", step,
                   lambda value: _keep_step(run.id, snapshot_choice(steps, value)),
                   "training step", steps,
                   help="The network as it was at this step of its training. At the newest "
                        "snapshot it follows the run as it trains further.")
    if run.training:
        st.caption("This run is still training: its later snapshots appear when the page is "
                   "drawn again.")
    return step


# ----- the text, read by the network --------------------------------------------------------

@dataclass(frozen=True)
class Text:
    """A stretch of a run's text read by one snapshot.

    Attributes:
        reading: rnnviz.app.unit_text.Reading, one column per position.
        hovers: (N,) what hovering over each position says.
        key: the snapshot's and text's digest, the stretch's first name and length: what
            every cached result for it is keyed by.
        cell: the cell's description.
        stretch: the names read.
    """

    reading: ut.Reading
    hovers: tuple[str, ...]
    key: tuple
    cell: Cell
    stretch: ut.Stretch


@st.cache_data(max_entries=32, ttl=CACHE_TTL, show_spinner=False)
def _lines(text: str | None) -> tuple[str, ...]:
    return tuple(make_task("chars", text=text).lines)


@st.cache_resource(max_entries=READINGS, ttl=CACHE_TTL, show_spinner="Reading the text…")
def _read(key: tuple, _params: Params, _text: str | None) -> Text:
    """The engine pass over one stretch (rnnviz.app.unit_text.read), its arrays read-only."""
    first, chars = key[1:]
    stretch = ut.stretch(list(_lines(_text)), first, chars)
    reading = ut.read(_params, make_task("chars", text=_text), stretch.lines, stretch.cut)
    for array in (reading.name, reading.place, reading.ends, reading.top, reading.top_p,
                  *reading.values.values()):
        array.setflags(write=False)
    hovers = tuple(ut.hover(reading, p) for p in range(reading.size))
    return Text(reading, hovers, key, CELLS[_params.cell], stretch)


def _digest(run: Run, step: int) -> str:
    """The snapshot's and text's digest, computed once per session and snapshot."""
    digests = st.session_state.setdefault(KEY + "digests", {})
    if (run.id, step) not in digests:
        digests[(run.id, step)] = ut.digest(run.snapshots[step], run.config.text)
    return digests[(run.id, step)]


def read_text(run: Run, step: int) -> Text:
    """The stretch's controls (first name, characters), then the stretch read (cached)."""
    lines = _lines(run.config.text)
    name = "name" if run.config.text is None else "line"   # a student's text: its lines
    left, right = st.columns(2)
    with left:
        first = min(kept("first", 1), len(lines))
        first = control(st.number_input, "first", first, f"from {name} number", 1, len(lines),
                        help=f"The text has {len(lines):,} {name}s.")
    with right:
        chars = control(st.slider, "chars", kept("chars", ut.DEFAULT_CHARS), "characters",
                        CHARS_STEP, TEXT_VIEW_CHARS, step=CHARS_STEP,
                        help=f"How much text to read: at most {TEXT_VIEW_CHARS:,} characters "
                             f"(each {name}'s start ⏎ counts as one).")
    with page.engine_errors():
        text = _read((_digest(run, step), first - 1, chars), run.snapshots[step],
                     run.config.text)
    longest = max(len(line) for line in text.stretch.lines)
    st.caption(
        f"{name.capitalize()}s {first:,} to {first + len(text.stretch.lines) - 1:,}, "
        f"{text.reading.size:,} characters. Each {name} is read as training fed it: from a "
        "zero state, first ⏎ (the start), then one character per step. A character's colour "
        "is the unit's value after reading it; hover over it for the three characters the "
        "network expects next."
        + (f" The last {name} is cut short here." if text.stretch.cut else "")
        + (f" This network was trained on windows of T_x = {run.config.T_x} characters: "
           f"reading a longer {name} from its start goes further than training ever did."
           if longest >= run.config.T_x else ""))
    return text


# ----- colour the text by one unit ------------------------------------------------------------

def quantity_label(cell: Cell, name: str) -> str:
    words = readouts.quantity(cell, name)
    return f"{words.name} {words.symbol}"


def is_gate(cell: Cell, quantity: str) -> bool:
    return quantity in {gate.value for gate in cell.gates}


def choose_quantity(cell: Cell) -> str:
    """Radio buttons over the cell's sequences; its memory state (c, or a) at first."""
    options = list(cell.sequences)
    chosen = kept("quantity")
    chosen = chosen if chosen in options else cell.states[-1]
    control(st.radio, "quantity", chosen, "colour by", options, horizontal=True,
            format_func=lambda name: quantity_label(cell, name))
    return chosen


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)
def _spread(key: tuple, quantity: str, _text: Text) -> np.ndarray:
    return ut.spread(_text.reading.values[quantity])


def choose_unit(text: Text, quantity: str) -> int:
    """A menu of the units, most varied over the text first (their standard deviation)."""
    spread = _spread(text.key, quantity, text)
    order = ut.ranked(spread).tolist()
    chosen = kept("unit", order[0])
    chosen = chosen if chosen in order else order[0]
    control(st.selectbox, "unit", chosen, "unit j, by how much it varies over the text",
            order, format_func=lambda j: f"unit {j} (standard deviation {spread[j]:.3f})",
            help="The units in order of their standard deviation over these characters: "
                 "the first ones change most as the network reads.")
    return chosen


def draw_text(text: Text, quantity: str, unit: int, picked: np.ndarray,
              found: np.ndarray) -> None:
    """The legend and the text coloured by the unit's values, the selection marked below and
    the matches above."""
    row = text.reading.values[quantity][unit]
    zmax = readouts.quantity(text.cell, quantity).zmax
    kind = "gate" if is_gate(text.cell, quantity) else "state"
    limit = zmax or float(np.max(np.abs(row))) or 1.0
    label = f"{quantity_label(text.cell, quantity)} of unit {unit}"
    chars = [ut.shown(ch) for ch in text.reading.chars]
    st.html(text_figure.legend(kind, limit, label) + text_figure.coloured_text(
        chars, row, kind, limit, text.hovers, text.reading.name, picked, found))
