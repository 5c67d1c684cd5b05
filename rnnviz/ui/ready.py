"""The ready-trained networks (rnnviz.training.bundled) on every page: a menu in the sidebar
that opens one, and a lesson link's ``network=`` that does the same (rnnviz.ui.url).

Opening one adds it to the session's training runs as a loaded run, as an uploaded model
file is (once: opening it again opens the run already there), and opens it as the snapshot
the views show. A page that shows no snapshot (Home, Gradient check) goes to Step through.

Session keys: RUNS_KEY {network key: the id of its run}; PICK_KEY the network chosen in the
menu; NOTE_KEY what became of the last Open, shown once under the menu.
"""

from __future__ import annotations

import streamlit as st

from rnnviz.app.config import Config
from rnnviz.app.contents import SNAPSHOT_VIEWS, STEP, TRAINING, UNITS
from rnnviz.app.runs import Run
from rnnviz.training.bundled import NETWORKS, load
from rnnviz.ui import state, training

RUNS_KEY = "rnnviz_ready_runs"
PICK_KEY = "rnnviz_ready_pick"
PICK_WIDGET = "rnnviz_ready_pick_w"
OPEN_BUTTON = "rnnviz_ready_open"
NOTE_KEY = "rnnviz_ready_note"
ERROR_KEY = "rnnviz_ready_error"   # why the network chosen could not be opened, shown once


def _kept_run(key: str) -> Run | None:
    """The session's run of the network `key`, if it is still kept."""
    return training.run_with_id(st.session_state.get(RUNS_KEY, {}).get(key))


def open_network(key: str) -> Config:
    """Open the ready-trained network `key` (of NETWORKS) as trained, in a run of the
    session; the Config that shows it. ValueError if it cannot be read."""
    run = _kept_run(key)
    if run is None:
        loaded = load(key)
        run = training.add_trained(loaded.trained, f"ready-trained: {loaded.network.title}")
        st.session_state.setdefault(RUNS_KEY, {})[key] = run.id
    else:
        training.choose_detail(run.id)
    return training.open_snapshot(run, run.first_step, network=key)


def _open(chosen: str) -> None:
    """Open the network `chosen` here if this page shows snapshots, else in Step through."""
    try:
        open_network(chosen)
    except ValueError as why:
        st.session_state[ERROR_KEY] = f"This network cannot be opened: {why}."
        state.whole_page()
        return
    st.session_state[NOTE_KEY] = f"Opened “{NETWORKS[chosen].title}”."
    running = state.running_page()
    if running in SNAPSHOT_VIEWS or running in (TRAINING, UNITS):  # it shows it here
        state.whole_page()
        return
    state.go_to(STEP.script)


def draw() -> None:
    """The sidebar's menu of the ready-trained networks and its Open button (unless a lesson
    link hid it)."""
    if state.hidden("networks"):
        return
    keys = list(NETWORKS)
    chosen = state.mirrored(st.selectbox, PICK_WIDGET, st.session_state.get(PICK_KEY, keys[0]),
                            state.keeper(PICK_KEY), "Ready-trained networks", keys,
                            format_func=lambda key: NETWORKS[key].title,
                            help="Networks trained before the lesson, from a fixed seed. Open "
                                 "one to see it here as a snapshot (on Home and Gradient "
                                 "check: in Step through; on Units on text, a names "
                                 "network is read on its text); it joins your training runs.")
    st.caption(NETWORKS[chosen].blurb)
    # in a callback: a click that came in the Training page's poll (a fragment) still opens it
    st.button("Open this network", key=OPEN_BUTTON, width="stretch", on_click=_open,
              args=(chosen,))
    if ERROR_KEY in st.session_state:
        st.error(st.session_state.pop(ERROR_KEY), icon="🚫")
    if NOTE_KEY in st.session_state:
        st.caption(st.session_state.pop(NOTE_KEY))
    st.divider()
