"""The URL round trip: the address bar holds the Config, the running page's view and the
controls a lesson link hid, so any view can be shared as a link.

One table, `KEYS`, names every parameter the app writes or reads: the Config's fields
(rnnviz.app.config.URL_KEYS, with an older link's forget_bias, read and then removed), the
view fields of every page (rnnviz.app.lesson.VIEWS: a page writes its own and removes the
others'), ``network`` (a ready-trained network, opened as the snapshot shown: it stays in the
address while its weights are the ones shown), ``hide``, ``present`` (presentation mode) and
``ask`` (a lesson's question, kept for the page the link opened). `adopt` reads them in one pass and
`write` writes them in one loop. Other keys (Streamlit's own, such as ``embed``, and unknown
ones) are never removed; an unknown one is named in a warning when a link is adopted.

A link is adopted on a session's first run and when the URL changed under the session (a
pasted link, the back button), that is when its part of the query string differs from what
was last written; otherwise the session's own state wins and is written back. A value that is
out of range or unparsable is ignored with one warning naming it, never an exception.
"""

from __future__ import annotations

import streamlit as st

from rnnviz.app import lesson
from rnnviz.app.config import URL_KEYS, from_query
from rnnviz.app.contents import Page
from rnnviz.ui import ready, state, training

KEYS = (*URL_KEYS, *sorted(lesson.VIEW_KEYS), lesson.NETWORK_KEY, "hide", lesson.PRESENT_KEY,
        lesson.ASK_KEY)


def _written_part() -> dict[str, str]:
    """The URL's values of the app's own keys (the last of several; "" for none)."""
    return {key: (st.query_params.get_all(key) or [""])[-1] for key in KEYS
            if key in st.query_params}


def adopt(page: Page) -> None:
    """Take the Config, `page`'s view and the hidden controls from the URL, on a session's
    first run or when the URL changed under the session; warnings name every value ignored."""
    ours = _written_part()
    if state.CONFIG_KEY in st.session_state and (
            not ours or ours == st.session_state.get(state.URL_KEY)):
        return
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    config, warnings = from_query(query)
    network, network_warnings = lesson.parse_network(query.get(lesson.NETWORK_KEY))
    if network is not None:
        config, network_warnings = _open_network(network, config, query)
    warnings += network_warnings
    sizes = {"T_x": config.T_x, "n_a": config.n_a, "m": config.m, "cell": config.cell}
    view, view_warnings = lesson.parse_view(page, query, sizes)
    hide, hide_warnings = lesson.parse_hide(query.get("hide", ""))
    present, present_warnings = lesson.parse_present(query.get(lesson.PRESENT_KEY))
    question, ask_warnings = lesson.parse_ask(query.get(lesson.ASK_KEY))
    state.set_view(page, view)
    st.session_state[state.HIDDEN_KEY] = hide
    st.session_state[state.PRESENT_KEY] = present
    st.session_state[state.ASK_KEY] = {page: question} if question else {}
    state.store_config(config, warnings + view_warnings + hide_warnings + present_warnings
                       + ask_warnings)


def _open_network(network: str, config, query: dict):
    """Open the ready-trained network a link names (rnnviz.ui.ready): (the Config that shows
    it, a warning naming the link's network settings it overrides, or none)."""
    try:
        opened = ready.open_network(network)
    except ValueError as why:
        return config, [f"{lesson.NETWORK_KEY}={network} was ignored: {why}"]
    ours, link = opened.to_query(), config.to_query()
    overridden = [key for key in URL_KEYS if key in query and ours.get(key) != link.get(key)]
    if not overridden:
        return opened, []
    return opened, [f"{', '.join(overridden)} {'was' if len(overridden) == 1 else 'were'} "
                    f"ignored: the ready-trained network {network} sets the network's cell, "
                    "sizes, input and seed"]


def write(page: Page) -> None:
    """Put the Config and `page`'s view (the values that differ from the defaults) and the
    hidden controls in the URL, so the address bar always reproduces what the student sees."""
    hidden = st.session_state.get(state.HIDDEN_KEY, frozenset())
    config = state.current_config()
    snapshot = training.snapshot_for(config)
    network = {} if snapshot is None or snapshot.network is None else {
        lesson.NETWORK_KEY: snapshot.network}   # while its weights are the ones shown
    wanted = {**config.to_query(), **lesson.view_to_query(page, state.view(page)), **network,
              **lesson.hide_to_query(hidden), **lesson.present_to_query(state.presenting()),
              **lesson.ask_to_query(state.question())}
    given = st.query_params.get_all("hide")
    if len(given) == 1 and lesson.parse_hide(given)[0] == hidden:
        wanted["hide"] = given[0]  # the link's own spelling and order: leave it
    for key in KEYS:
        current = st.query_params.get_all(key)
        if key in wanted:
            if current != [wanted[key]]:
                st.query_params[key] = wanted[key]
        elif current:
            del st.query_params[key]
    st.session_state[state.URL_KEY] = wanted
