"""The timestep player: ◀, a slider, ▶ and Play/Pause over t = 1 … T_x, in a fragment.

The timestep is the view field t (rnnviz.ui.state), shared by the pages that have one, so a
student who moves to another page comes back to the same step. Moving t reruns only the
fragment, from cached results, and writes the URL again so the address bar follows.

◀ and ▶ count their presses in the browser (step_button.js) and send the count: Streamlit
merges a button's presses that arrive while a rerun is pending into one, so with plain
buttons quick presses were lost; a count loses none, and t moves by the difference.

Every rerun also sends the slider's value as the browser last drew it, which lags behind a
t that ◀ ▶ or Play moved meanwhile: Streamlit takes that for a move of the slider and t
would jump back. So the slider gets a new key each time ◀ ▶ or Play move t, and a value
from a slider that is gone is ignored (_slider_moved).

Play runs in the browser (play_button.js): it asks for the next frame once the last one has
reached the page, FRAME_INTERVAL_MS after the last ask at the earliest, so Play draws up to
six or seven frames a second when the browser keeps up (below that, the browser's own
drawing sets the pace) and slows down when it does not, without frames piling up. Each
frame is one rerun of the fragment, like a press of ▶. Play and Pause are clicks counted in
the browser as ◀ ▶ presses are, so none is lost to a frame's rerun.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import streamlit as st

from rnnviz.ui import state, url

FRAME_INTERVAL_MS = 150  # at most 6.7 frames a second: a browser that keeps up sets Play's pace

BACK_KEY, FORWARD_KEY = "rnnviz_step_back", "rnnviz_step_forward"  # the ◀ ▶ buttons
PLAY_KEY = "rnnviz_play"  # Play / Pause
ROW_KEY = "rnnviz_player_row"  # the row of ◀ slider ▶ Play (rnnviz/ui/projector.css)
# Material Design's chevrons, as Streamlit draws its icons
CHEVRONS = {-1: "M15.41 7.41 14 6l-6 6 6 6 1.41-1.41L10.83 12z",
            +1: "M10 6 8.59 7.41 13.17 12l-4.58 4.59L10 18l6-6z"}
# Material Design's play_arrow and pause
PLAY_ICONS = {"play": "M8 5v14l11-7z", "pause": "M6 19h4V5H6v14zm8-14v14h4V5h-4z"}
_HERE = Path(__file__).parent
_BUTTON_CSS = (_HERE / "step_button.css").read_text()
_step_button_component = st.components.v2.component(
    "rnnviz_step_button", html="<button type='button'></button>",
    css=_BUTTON_CSS, js=(_HERE / "step_button.js").read_text())
_play_button_component = st.components.v2.component(
    "rnnviz_play_button", html="<button type='button'></button>",
    css=_BUTTON_CSS + (_HERE / "play_button.css").read_text(),
    js=(_HERE / "play_button.js").read_text())


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


def _slider_moved(key: str, value: int) -> None:
    """The slider `key` was moved to `value`: t follows, if that slider is still the current
    one. A slider that ◀ ▶ or Play have replaced since can still report a value: under load
    the browser sends its old slider with a press made before the new one arrived, and
    Streamlit, which has forgotten the old slider by then, takes that for a move."""
    if key == _slider_key():
        st.session_state[state.view_key("t")] = value


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


def _icon(name: str) -> str:
    return (f"<svg viewBox='0 0 24 24' aria-hidden='true'><path d='{PLAY_ICONS[name]}'/>"
            "</svg>")


def _play_seen() -> dict:
    """What the player has seen of the Play button: {"seq": clicks, "ticks": frames}."""
    return st.session_state.setdefault(state.PLAY_SEEN_KEY, {"seq": 0, "ticks": 0})


def on_play_request(request: dict | None, T_x: int) -> None:
    """A click of Play or Pause, the `seq`-th in its tab: play if it says `on`. Older clicks
    than the last one seen are ignored; a new tab counts from 1 again. Play at t = T_x starts
    again from t = 1."""
    if not isinstance(request, dict):
        return
    seq = request.get("seq")
    seen = _play_seen()
    if not isinstance(seq, int) or seq == seen["seq"]:
        return
    seen["seq"] = seq
    playing = bool(request.get("on")) and T_x > 1
    st.session_state[state.PLAYING_KEY] = playing
    if playing and current_step(T_x) >= T_x:
        st.session_state[state.view_key("t")] = 1


def on_play_ticks(ticks: int | None, T_x: int) -> None:
    """A frame of Play asked for: t moves on by one (by one per rerun, however many ticks
    came, so that a slow rerun never makes t jump); at T_x, Play stops."""
    if not isinstance(ticks, int):
        return
    seen = _play_seen()
    if ticks == seen["ticks"]:
        return
    seen["ticks"] = ticks
    if st.session_state.get(state.PLAYING_KEY, False):
        _step_by(1, T_x)
        if current_step(T_x) >= T_x:
            st.session_state[state.PLAYING_KEY] = False


def _play_button(T_x: int) -> None:
    seen = _play_seen()
    playing = bool(st.session_state.get(state.PLAYING_KEY, False))
    _play_button_component(
        key=PLAY_KEY,
        data={"name": PLAY_KEY, "playing": playing, "seq": seen["seq"],
              "ticks": seen["ticks"], "interval": FRAME_INTERVAL_MS, "disabled": T_x <= 1,
              "play": {"label": "Play", "icon": _icon("play"), "help": "Animate through time"},
              "pause": {"label": "Pause", "icon": _icon("pause"), "help": "Stop the animation"}},
        on_request_change=lambda: on_play_request(_component_value("request"), T_x),
        on_ticks_change=lambda: on_play_ticks(_component_value("ticks"), T_x))


def _component_value(name: str):
    return (st.session_state.get(PLAY_KEY) or {}).get(name)


def _controls(t: int, T_x: int):
    """◀, the slider and ▶ (unless a lesson link hid them); returns the place for Play."""
    if not state.hidden("t"):
        back, slider, forward, play = st.columns([1, 10, 1, 2], vertical_alignment="bottom")
        with back:
            _step_button(BACK_KEY, -1, T_x, disabled=t <= 1, help="One step back")
        with forward:
            _step_button(FORWARD_KEY, +1, T_x, disabled=t >= T_x, help="One step forward")
        with slider:
            if T_x > 1:
                key = _slider_key()
                state.mirrored(st.slider, key, t, partial(_slider_moved, key),
                               "timestep t", 1, T_x)
            else:
                st.markdown("timestep t = 1 (T_x = 1: a single step)")
    else:
        slider, play = st.columns([12, 2], vertical_alignment="bottom")
        slider.markdown(f"**timestep t = {t}** of T_x = {T_x}")
    return play


def timestep_player(T_x: int, draw: Callable[[int], None]) -> None:
    """The timestep controls and `draw(t)` below them, in a fragment: moving t reruns only
    this part of the page, from cached results.

    Play / Pause is drawn last, after `draw(t)`, into its place beside the slider: its
    browser side asks for the next frame when it sees this rerun's end (play_button.js).
    """

    @st.fragment
    def player() -> None:
        t = current_step(T_x)
        with st.container(key=ROW_KEY):  # a row that stays a row on a narrow page
            play = _controls(t, T_x)
        url.write(state.running_page())  # t may have moved inside this fragment
        draw(t)
        if not state.hidden("play") or st.session_state.get(state.PLAYING_KEY, False):
            with play:
                _play_button(T_x)

    player()
