"""Behind nginx (deploy/): the notice a student sees on a replica it was moved to, its own
having stopped, and the watch that brings the page back there without a click.

Streamlit's page reconnects its websocket by itself when its server stops, but asks the
new server for no script run, so the old page would stay on the screen, dead, until the
student clicked. The watch (replica.js) asks for a run of the whole page when the cookie in
which nginx names the websocket's replica stops naming the replica that drew the page.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from rnnviz.app.replicas import COOKIE, MOVED_NOTICE, REPLICA_VARIABLE, moved_here

DISMISSED_KEY = "rnnviz_moved_notice_dismissed"
WATCH_KEY = "rnnviz_replica_watch"
_watch = st.components.v2.component(
    "rnnviz_replica_watch", js=(Path(__file__).parent / "replica.js").read_text(),
    css=f".st-key-{WATCH_KEY} {{ display: none; }}",  # nothing to see
    isolate_styles=False)


def _dismiss() -> None:
    st.session_state[DISMISSED_KEY] = True


def moved_notice() -> None:
    """On a replica (RNNVIZ_REPLICA set): the watch, and the notice on every page until
    the student closes it if the websocket that opened this session named another replica
    (st.context keeps that request's cookies for the whole session)."""
    own = os.environ.get(REPLICA_VARIABLE)
    if not own:
        return
    _watch(key=WATCH_KEY, data={"cookie": COOKIE, "replica": own})
    if st.session_state.get(DISMISSED_KEY):
        return
    if moved_here(st.context.cookies.get(COOKIE), own):
        note, close = st.columns([5, 1], vertical_alignment="center")
        note.warning(MOVED_NOTICE, icon=":material/swap_horiz:")
        close.button("OK", on_click=_dismiss, key="rnnviz_moved_ok")
