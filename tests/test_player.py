"""The timestep player's Play / Pause, server side: what a click of Play or Pause and a
frame asked for by the browser do to the session (the browser side, play_button.js, is
driven in tests/browser/test_forward_pages.py)."""

import pytest
import streamlit as st

from rnnviz.app.contents import STEP
from rnnviz.ui import player, state


@pytest.fixture
def session(monkeypatch):
    """A session on Step through at t = 1, as a plain dict in place of st.session_state."""
    values = {state.PAGE_KEY: STEP}
    monkeypatch.setattr(st, "session_state", values)
    return values


def t(session) -> int:
    return session.get(state.view_key("t", STEP), 1)


def test_play_then_frames_move_t_one_at_a_time_and_stop_at_the_last_step(session):
    player.on_play_request({"seq": 1, "on": True}, T_x=4)
    assert session[state.PLAYING_KEY] is True
    for ticks, expected in ((1, 2), (2, 3), (3, 4)):
        player.on_play_ticks(ticks, T_x=4)
        assert t(session) == expected
    assert session[state.PLAYING_KEY] is False  # t = T_x: Play stops by itself
    player.on_play_ticks(4, T_x=4)  # a frame asked for before the browser saw the stop
    assert t(session) == 4


def test_a_slow_rerun_moves_t_by_one_however_many_frames_were_asked_for(session):
    player.on_play_request({"seq": 1, "on": True}, T_x=10)
    player.on_play_ticks(3, T_x=10)
    assert t(session) == 2


def test_pause_stops_frames_and_the_same_click_seen_twice_counts_once(session):
    player.on_play_request({"seq": 1, "on": True}, T_x=10)
    player.on_play_ticks(1, T_x=10)
    player.on_play_request({"seq": 2, "on": False}, T_x=10)
    assert session[state.PLAYING_KEY] is False
    player.on_play_ticks(2, T_x=10)  # a frame already on its way when Pause was clicked
    assert t(session) == 2
    player.on_play_request({"seq": 2, "on": False}, T_x=10)  # sent again with a rerun
    assert session[state.PLAYING_KEY] is False and t(session) == 2


def test_play_at_the_last_step_starts_again_from_the_first(session):
    session[state.view_key("t", STEP)] = 6
    player.on_play_request({"seq": 1, "on": True}, T_x=6)
    assert session[state.PLAYING_KEY] is True and t(session) == 1


def test_play_with_a_single_step_does_nothing(session):
    player.on_play_request({"seq": 1, "on": True}, T_x=1)
    assert session[state.PLAYING_KEY] is False and t(session) == 1


@pytest.mark.parametrize("request_value", [None, "play", {"seq": "1", "on": True},
                                           {"on": True}, [1, True]])
def test_what_is_not_a_click_is_ignored(session, request_value):
    player.on_play_request(request_value, T_x=5)
    player.on_play_ticks("7", T_x=5)
    assert not session.get(state.PLAYING_KEY) and t(session) == 1


def test_a_move_of_a_slider_that_steps_have_replaced_is_ignored(session):
    old = player._slider_key()
    player._step_by(1, T_x=10)  # ▶: t = 2, and the slider gets a new key
    player._slider_moved(old, 1)  # the browser still had the old slider at t = 1
    assert t(session) == 2
    player._slider_moved(player._slider_key(), 7)  # a move of the slider on screen
    assert t(session) == 7
