"""The Units on text page's Find units and Match: a class of positions and a span chosen,
the units ranked by how selectively they respond there (rnnviz.app.unit_text.selectivity),
one of them chosen to colour the text, and the places where the units on across the span
are on together again. Controls are kept as rnnviz.ui.unit_text keeps them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz.app import readouts
from rnnviz.app import unit_text as ut
from rnnviz.ui import page, state
from rnnviz.ui.unit_text import CACHE_TTL, KEY, Text, control, is_gate, kept

FOUND_LISTED = 20       # places a match lists
FIND_LISTED = 10        # units Find units offers


@dataclass(frozen=True)
class Selection:
    """Positions chosen: their mask, what they are in words, the span (start, end)."""

    picked: np.ndarray
    words: str
    span: tuple[int, int]


def choose_positions(text: Text) -> Selection:
    """A class of positions (POSITION_CLASSES), its k, and the span (used by Match too)."""
    reading = text.reading
    kinds = list(ut.POSITION_CLASSES)
    kind = kept("kind", kinds[0])
    control(st.radio, "kind", kind if kind in kinds else kinds[0], "positions", kinds,
            horizontal=True, format_func=ut.POSITION_CLASSES.get)
    longest = int(reading.place.max())
    k = min(kept("k", 1), longest)
    if kind == "kth":
        k = control(st.number_input, "k", k, "k", 1, longest,
                    help=f"1 is the first letter; the longest name here has {longest}.")
    last = reading.size - 1
    default = ut.default_span(reading)
    span = []
    for column, end, words in zip(st.columns(2), (0, 1), ("span from #", "to #"), strict=True):
        with column:
            span.append(control(st.number_input, f"span{end}",
                                min(kept(f"span{end}", default[end]), last), words, 0, last,
                                help="Hover over a character to see its position (#)."))
    span = (min(span), max(span))
    picked = ut.positions(reading, kind, span, k)
    words = (f"the span «{ut.span_text(reading, *span, most=2 * ut.CONTEXT)}»" if kind == "span"
             else ut.POSITION_CLASSES[kind].replace("the k-th character", f"character {k}"))
    st.caption(f"The span: positions {span[0]}–{span[1]}, "
               f"{page.plain(ut.in_context(reading, *span))}")
    return Selection(picked, words, span)


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)
def _selectivity(key: tuple, quantity: str, picked: bytes, _text: Text) -> np.ndarray:
    return ut.selectivity(_text.reading.values[quantity], np.frombuffer(picked, bool))


def find_units(text: Text, quantity: str, selection: Selection) -> None:
    """The units most selective for the positions (Cohen's d), as a table and as buttons
    that colour the text with one."""
    try:
        d = _selectivity(text.key, quantity, selection.picked.tobytes(), text)
    except ValueError as why:
        st.info(f"Nothing to rank: {why}. Choose other positions.", icon="ℹ️")
        return
    values = text.reading.values[quantity]
    top = ut.ranked(d)[:FIND_LISTED].tolist()
    st.markdown(f"The units that respond most selectively to {page.plain(selection.words)} "
                f"({int(selection.picked.sum()):,} of {text.reading.size:,} positions), by "
                "**d**: how many standard deviations higher (+) or lower (−) the unit is "
                "there than elsewhere. Click one to colour the text with it.")
    unit = kept("unit")
    state.mirrored(st.pills, KEY + "w_found", unit if unit in top else None,
                   _choose_found, "most selective units", top,
                   format_func=lambda j: f"unit {j}: d = {d[j]:+.2f}")
    table = pd.DataFrame({"unit": top, "d": d[top],
                          "mean there": values[top][:, selection.picked].mean(axis=1),
                          "mean elsewhere": values[top][:, ~selection.picked].mean(axis=1)})
    st.dataframe(table, hide_index=True, height=page.table_height(len(top)),
                 column_config={name: st.column_config.NumberColumn(name, format="%.3f")
                                for name in ("d", "mean there", "mean elsewhere")})


def _choose_found(unit: int | None) -> None:
    if unit is not None:
        st.session_state[KEY + "unit"] = unit


# ----- match ----------------------------------------------------------------------------------

def match(text: Text, quantity: str, span: tuple[int, int]) -> np.ndarray:
    """The units on across the span (above a threshold the student sets), and the other
    places where that whole set is on: listed, and returned as a mask to mark."""
    reading, values = text.reading, text.reading.values[quantity]
    gate = is_gate(text.cell, quantity)
    top = 1.0 if gate or readouts.quantity(text.cell, quantity).bounded else float(
        np.ceil(10 * np.abs(values).max()) / 10) or 1.0
    stored = kept("thresholds", {}).get(quantity, ut.default_threshold(gate))
    threshold = state.mirrored(
        st.slider, f"{KEY}w_threshold_{quantity}", min(stored, top),
        lambda value: _keep_threshold(quantity, value), "on: above", 0.0, top, step=0.01,
        help="A unit is on where its value is above this.")
    found = np.zeros(reading.size, bool)
    units = ut.units_on(values, *span, threshold)
    shown = page.plain(f"«{ut.span_text(reading, *span, most=2 * ut.CONTEXT)}»")
    if not len(units):
        st.info(f"No unit is above {threshold:.2f} at every position of {shown}: lower the "
                "threshold or choose a shorter span.", icon="ℹ️")
        return found
    places = [run for run in ut.matches(values, units, threshold, reading.name)
              if not ut.overlaps(run, *span)]
    st.markdown(f"**{len(units)} unit{'s' if len(units) > 1 else ''} on across {shown}:** "
                f"{', '.join(map(str, units.tolist()))}. That whole set is on again at "
                f"{len(places):,} other place{'' if len(places) == 1 else 's'} of the text"
                + (", with a bar above them in the text (the longest first):" if places
                   else "."))
    found[span[0]:span[1] + 1] = True
    for start, end in places[:FOUND_LISTED]:
        found[start:end + 1] = True
    if places:
        st.dataframe(pd.DataFrame({
            "name": [int(reading.name[s]) + text.stretch.first + 1 for s, _ in places],
            "where": [f"{s}–{e}" for s, e in places],
            "in the name": [ut.in_context(reading, s, e) for s, e in places],
            "length": [e - s + 1 for s, e in places]})[:FOUND_LISTED], hide_index=True)
    return found


def _keep_threshold(quantity: str, value: float) -> None:
    st.session_state[KEY + "thresholds"] = {**kept("thresholds", {}), quantity: value}
