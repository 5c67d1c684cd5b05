"""The timestep player: ◀, a slider, ▶ and Play/Pause over t = 1 … T_x, in a fragment.

The timestep is the view field t (rnnviz.ui.state), shared by the pages that have one, so a
student who moves to another page comes back to the same step. Moving t reruns only the
fragment, from cached results, and writes the URL again so the address bar follows.

◀ and ▶ count their presses in the browser (step_button.js) and send the count: Streamlit
merges a button's presses that arrive while a rerun is pending into one, so with plain
buttons quick presses were lost; a count loses none, and t moves by the difference.

Every rerun also sends the slider's value as the browser last drew it, which lags behind a
t that ◀ ▶ or Play moved meanwhile: Streamlit takes that for a move of the slider and t
would jump back. So the slider gets a new key each time ◀ ▶ or Play move t, and the lagging
value belongs to a slider that is gone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import streamlit as st

from rnnviz.ui import state, url

PLAY_INTERVAL_S = 0.8   # frames of Play: each is one rerun of the fragment

BACK_KEY, FORWARD_KEY = "rnnviz_step_back", "rnnviz_step_forward"  # the ◀ ▶ buttons
# Material Design's chevrons, as Streamlit draws its icons
CHEVRONS = {-1: "M15.41 7.41 14 6l-6 6 6 6 1.41-1.41L10.83 12z",
            +1: "M10 6 8.59 7.41 13.17 12l-4.58 4.59L10 18l6-6z"}
_HERE = Path(__file__).parent
_step_button_component = st.components.v2.component(
    "rnnviz_step_button", html="<button type='button'></button>",
    css=(_HERE / "step_button.css").read_text(), js=(_HERE / "step_button.js").read_text())


def current_step(T_x: int) -> int:
    """The shared timestep t, clamped to 1..T_x."""
    t = min(max(int(state.view_value("t")), 1), T_x)
    st.session_state[state.view_key("t")] = t
    return t


def _step_by(delta: int, T_x: int) -> None:
    """Move t by `delta` (◀ ▶, Play), within 1..T_x."""
    st.session_state[state.view_key("t")] = min(max(current_step(T_x) + delta, 1), T_x)
    st.session_state[state.T_MOVES_KEY] = st.session_state.get(state.T_MOVES_KEY, 0) + 1


def _slider_key() -> str:
    """The slider's key: the view field's widget key, numbered once ◀ ▶ or Play moved t."""
    moves = st.session_state.get(state.T_MOVES_KEY, 0)
    return state.widget_key("t") + (f"_{moves}" if moves else "")


def _on_presses(key: str, direction: int, T_x: int) -> None:
    """Move t by the presses of ◀ or ▶ (`key`) counted since the last run."""
    count = int((st.session_state.get(key) or {}).get("presses") or 0)
    seen = st.session_state.setdefault(state.PRESSES_KEY, {})
    new = count - seen.get(key, 0)
    seen[key] = count
    if new < 0:  # a new tab counts from 0 again
        new = count
    if new:
        _step_by(direction * new, T_x)


def _step_button(key: str, direction: int, T_x: int, disabled: bool, help: str) -> None:
    icon = (f"<svg viewBox='0 0 24 24' aria-hidden='true'><path d='{CHEVRONS[direction]}'/>"
            "</svg>")
    _step_button_component(key=key, data={"name": key, "icon": icon, "disabled": disabled,
                                          "help": help},
                           on_presses_change=partial(_on_presses, key, direction, T_x))


def _toggle_play(t: int, T_x: int) -> None:
    playing = not st.session_state.get(state.PLAYING_KEY, False)
    st.session_state[state.PLAYING_KEY] = playing
    st.session_state[state.LAST_TICK_KEY] = time.monotonic()
    if playing and t >= T_x:
        st.session_state[state.view_key("t")] = 1
    st.rerun()  # the whole page, once, to switch the fragment's timer on or off


def _controls(t: int, T_x: int, playing: bool) -> None:
    """◀, the slider and ▶ (unless a lesson link hid them), and Play (unless hidden)."""
    if not state.hidden("t"):
        back, slider, forward, play = st.columns([1, 10, 1, 2], vertical_alignment="bottom")
        with back:
            _step_button(BACK_KEY, -1, T_x, disabled=t <= 1, help="One step back")
        with forward:
            _step_button(FORWARD_KEY, +1, T_x, disabled=t >= T_x, help="One step forward")
        with slider:
            if T_x > 1:
                state.mirrored(st.slider, _slider_key(), t,
                               state.keeper(state.view_key("t")), "timestep t", 1, T_x)
            else:
                st.markdown("timestep t = 1 (T_x = 1: a single step)")
    else:
        slider, play = st.columns([12, 2], vertical_alignment="bottom")
        slider.markdown(f"**timestep t = {t}** of T_x = {T_x}")
    if not state.hidden("play") or playing:
        label, icon = (("Pause", ":material/pause:") if playing
                       else ("Play", ":material/play_arrow:"))
        if play.button(label, icon=icon, key="rnnviz_play", disabled=T_x <= 1 and not playing,
                       width="stretch", help="Animate through time"):
            _toggle_play(t, T_x)


def timestep_player(T_x: int, draw: Callable[[int], None]) -> None:
    """The timestep controls and `draw(t)` below them, in a fragment: moving t reruns only
    this part of the page, from cached results.

    While playing, the fragment reruns itself every PLAY_INTERVAL_S seconds and advances t;
    starting, pausing and reaching T_x rerun the page once to switch that timer on or off.
    """
    playing = bool(st.session_state.get(state.PLAYING_KEY, False))

    @st.fragment(run_every=PLAY_INTERVAL_S if playing else None)
    def player() -> None:
        t = current_step(T_x)
        if playing:
            now = time.monotonic()
            if now - st.session_state.get(state.LAST_TICK_KEY, 0.0) >= 0.9 * PLAY_INTERVAL_S:
                st.session_state[state.LAST_TICK_KEY] = now
                _step_by(1, T_x)
                t = current_step(T_x)
        _controls(t, T_x, playing)
        url.write(state.running_page())  # t may have moved inside this fragment
        draw(t)
        if playing and t >= T_x:
            st.session_state[state.PLAYING_KEY] = False
            st.rerun()  # the whole page, once, to stop the timer

    player()
