"""The timestep player: ◀, a slider, ▶ and Play/Pause over t = 1 … T_x, in a fragment.

The timestep is the view field t (rnnviz.ui.state), shared by the pages that have one, so a
student who moves to another page comes back to the same step. Moving t reruns only the
fragment, from cached results, and writes the URL again so the address bar follows.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from rnnviz.ui import state, url

PLAY_INTERVAL_S = 0.8

BACK_KEY, FORWARD_KEY = "rnnviz_step_back", "rnnviz_step_forward"  # the ◀ ▶ buttons


def current_step(T_x: int) -> int:
    """The shared timestep t, clamped to 1..T_x."""
    t = min(max(int(state.view_value("t")), 1), T_x)
    st.session_state[state.view_key("t")] = t
    return t


def _step_by(delta: int, T_x: int) -> None:
    st.session_state[state.view_key("t")] = min(max(current_step(T_x) + delta, 1), T_x)


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
        back.button("", icon=":material/chevron_left:", key=BACK_KEY,
                    on_click=_step_by, args=(-1, T_x), disabled=t <= 1,
                    help="One step back", width="stretch")
        forward.button("", icon=":material/chevron_right:", key=FORWARD_KEY,
                       on_click=_step_by, args=(1, T_x), disabled=t >= T_x,
                       help="One step forward", width="stretch")
        with slider:
            if T_x > 1:
                state.mirrored(st.slider, state.widget_key("t"), t,
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
                t = min(t + 1, T_x)
                st.session_state[state.view_key("t")] = t
        _controls(t, T_x, playing)
        url.write(state.running_page())  # t may have moved inside this fragment
        draw(t)
        if playing and t >= T_x:
            st.session_state[state.PLAYING_KEY] = False
            st.rerun()  # the whole page, once, to stop the timer

    player()
