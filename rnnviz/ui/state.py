"""The session's state: every key the app keeps per session, the Config, the view fields, the
controls a lesson link hid, and the one helper for a widget mirrored in the session.

Streamlit drops a widget's key when a page that does not draw the widget runs,
so every value that must survive moving between pages lives under a non-widget key here. A
widget shows it through `mirrored`: re-seeded from it on every run, writing back in its
``on_change`` callback (callbacks run before the script).

Session keys (the Training page keeps its own beside its code: the runs, the open snapshot
and the runs queued or shown in rnnviz.ui.training, the settings form's in train_form, the
last upload's in train_runs):

    CONFIG_KEY      the Config every page reads
    WARNINGS_KEY    messages about values that were ignored, shown until the next change
    NOTICE_KEY      a one-time note under the presets ("Loaded the preset …")
    HIDDEN_KEY      the controls a lesson link removed (hide=)
    PRESENT_KEY     whether the app is in presentation mode (present=1, the sidebar's toggle)
    ASK_KEY         {page: the question its lesson link asked (ask=)}
    PAGE_KEY        the page running (a rnnviz.app.contents.Page)
    URL_KEY         the app's part of the query string, as last written
    PLAYING_KEY     whether the timestep player is playing
    PLAY_SEEN_KEY   {"seq": Play/Pause clicks, "ticks": frames} seen from the Play button
    PRESSES_KEY     {◀ or ▶ button's key: its presses counted so far} (rnnviz.ui.player)
    T_MOVES_KEY     how many times ◀ ▶ or Play moved t: numbers the slider's key (player)
    GO_TO_KEY       the page (its script) a widget's callback asked to open next
    CHECKED_KEY     the (Config, inputs too) the gradient check last ran for, shown until
                    either changes
    VIEW_PREFIX + store    each view field of a page (rnnviz.app.lesson.VIEWS), see `store`
    WIDGET_PREFIX + name   the widget of a Config field (its name) or of a view field (its store)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextvars import ContextVar
from functools import partial
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import (
    ThreadState,
    get_script_run_ctx,
)

from rnnviz.app import build, lesson
from rnnviz.app.config import Config
from rnnviz.app.contents import GATES, Page
from rnnviz.fields import Field

CONFIG_KEY = "rnnviz_config"
WARNINGS_KEY = "rnnviz_warnings"
NOTICE_KEY = "rnnviz_notice"
HIDDEN_KEY = "rnnviz_hidden"
PRESENT_KEY = "rnnviz_present"
ASK_KEY = "rnnviz_ask"
PAGE_KEY = "rnnviz_page"
URL_KEY = "rnnviz_url_written"
PLAYING_KEY = "rnnviz_playing"
PLAY_SEEN_KEY = "rnnviz_play_seen"
PRESSES_KEY = "rnnviz_presses"
T_MOVES_KEY = "rnnviz_t_moves"
CHECKED_KEY = "rnnviz_gc_done"
GO_TO_KEY = "rnnviz_go_to"
VIEW_PREFIX = "rnnviz_view_"
WIDGET_PREFIX = "rnnviz_w_"

# The key of the part of the page being drawn (rnnviz.ui.page.part), None outside every part
DRAWING_PART: ContextVar[str | None] = ContextVar("rnnviz_drawing_part", default=None)

# A view field's value is kept under its name, shared by every page with a field of that name
# (one timestep t for Step through and Gates, one batch example i for Step through and Gradient
# flow); a field that means something else on its page keeps a store of its own.
OWN_STORE = {(GATES, "example"): "gates_example"}  # there it may be the batch mean


# ----- the configuration ------------------------------------------------------------------

def current_config() -> Config:
    """The session's Config (rnnviz.ui.page.setup must have run in this script run)."""
    return st.session_state[CONFIG_KEY]


def store_config(config: Config, warnings: list[str] | tuple = ()) -> None:
    """Make `config` current, with a task's sizes applied, and `warnings` the messages shown;
    a task that cannot be used becomes one more warning and the default input."""
    messages = list(warnings)
    try:
        config = build.resolve(config)
    except ValueError as why:
        messages.append(f"input={config.input!r} cannot be used: {why}; using "
                        f"{Config().input!r}")
        config = dataclasses.replace(config, input=Config().input, data=None)
    st.session_state[CONFIG_KEY] = config
    st.session_state[WARNINGS_KEY] = messages


def update_config(**changes) -> bool:
    """Change the session's Config (validated; a task's sizes applied), as the sidebar does.

    Returns:
        True if applied; False if a value was refused, which is then shown as a warning
        and the Config is left as it was.
    """
    try:
        config = current_config().replace(**changes)
    except ValueError as why:
        shown = ", ".join(f"{name}={value!r}" for name, value in changes.items())
        st.session_state[WARNINGS_KEY] = [f"{shown} was not applied: {why}"]
        return False
    store_config(config)
    return True


def presenting() -> bool:
    """Whether the app is in presentation mode (for a projector; rnnviz.ui.page)."""
    return bool(st.session_state.get(PRESENT_KEY, False))


def question() -> str | None:
    """The question the running page's lesson link asked (ask=), or None."""
    return st.session_state.get(ASK_KEY, {}).get(st.session_state.get(PAGE_KEY))


def hidden(name: str) -> bool:
    """Whether a lesson link removed the control `name` (see rnnviz.app.lesson.HIDEABLE)."""
    return name in st.session_state.get(HIDDEN_KEY, frozenset())


# ----- the view fields of a page ----------------------------------------------------------

def running_page() -> Page:
    """The page whose script is running (set by rnnviz.ui.page.setup)."""
    return st.session_state[PAGE_KEY]


def store(name: str, page: Page | None = None) -> str:
    """Where the view field `name` of `page` (default: the running page) is kept."""
    return OWN_STORE.get((page or running_page(), name), name)


def view_key(name: str, page: Page | None = None) -> str:
    """The session key holding the view field `name` of `page` (default: the running page)."""
    return VIEW_PREFIX + store(name, page)


def widget_key(name: str, page: Page | None = None) -> str:
    """The key of the widget that shows the view field `name`."""
    return WIDGET_PREFIX + store(name, page)


def view_field(name: str, page: Page | None = None) -> Field:
    """The Field that describes the view field `name` of `page` (rnnviz.app.lesson.VIEWS)."""
    return next(f for f in lesson.VIEWS[page or running_page()] if f.name == name)


def view_value(name: str, page: Page | None = None):
    """The value of a view field: as set, else its default (None: the page's own default)."""
    return st.session_state.get(view_key(name, page), view_field(name, page).default)


def view(page: Page) -> dict[str, Any]:
    """{name: value} of every view field of `page`."""
    return {f.name: view_value(f.name, page) for f in lesson.VIEWS.get(page, ())}


def set_view(page: Page, values: dict) -> None:
    """Set the view fields of `page` to `values`; the fields it does not name go back to
    their defaults."""
    for f in lesson.VIEWS.get(page, ()):
        if f.name in values:
            st.session_state[view_key(f.name, page)] = values[f.name]
        else:
            st.session_state.pop(view_key(f.name, page), None)


# ----- a widget mirrored in the session --------------------------------------------------

def keeper(key: str) -> Callable[[Any], None]:
    """A writer for `mirrored` that keeps the widget's value under the session key `key`."""
    return partial(_keep, key)


def _keep(key: str, value) -> None:
    st.session_state[key] = value


def mirrored(widget: Callable, key: str, value, write: Callable[[Any], None], *args, **kwargs):
    """Draw `widget` (st.slider, st.selectbox, ...) under the widget key `key`, showing
    `value`; when the student changes it, its new value goes to `write` before the script
    reruns. `args` and `kwargs` go to the widget (label, options, help, ...).

    The value itself lives elsewhere, under a non-widget key (see `keeper`) or in the Config,
    so it survives pages that do not draw the widget; the widget is re-seeded from it here.
    Drawn in a part of the page (rnnviz.ui.page.part), a change then reruns that part
    (`follow_change`).

    Returns:
        what the widget returns (its value, `value` in this run).
    """
    st.session_state[key] = value
    return widget(*args, key=key, on_change=_write_back, args=(key, write, DRAWING_PART.get()),
                  **kwargs)


def _write_back(key: str, write: Callable[[Any], None], part: str | None) -> None:
    write(st.session_state[key])
    if part is not None:
        _rerun_part(part)


def go_to(script: str) -> None:
    """In a widget's callback: open the page `script` (st.switch_page needs the pages, which
    are known only once the script runs: `take_the_way` switches at the start of the run)."""
    st.session_state[GO_TO_KEY] = script
    whole_page()


def take_the_way() -> None:
    """At the start of every page: go to the page a callback asked for (`go_to`), if any."""
    if GO_TO_KEY in st.session_state:
        st.switch_page(st.session_state.pop(GO_TO_KEY))


def whole_page() -> None:
    """In the callback of a widget drawn outside every fragment, or of one in a part whose
    change must reach the whole page: if its change came in a fragment's run, ask for a run
    of the whole page, so the page follows the change.

    Streamlit sends the widget changes of one moment in one message, scoped to the first
    fragment among them: a click landing beside the Training page's poll (a fragment) came
    in the poll's run, and the rest of the page never saw it. Callbacks run in any run."""
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.fragment_ids_this_run:
        st.rerun()


def then_whole_page(write: Callable[[Any], None]) -> Callable[[Any], None]:
    """`write`, then `whole_page()`: for `mirrored` widgets outside every fragment."""
    return partial(_write_then_whole_page, write)


def _write_then_whole_page(write: Callable[[Any], None], value) -> None:
    write(value)
    whole_page()


def follow_change() -> Callable[[], None]:
    """The ``on_change`` (or ``on_click``) a widget drawn here takes so that what it changes
    is drawn again: outside every part of the page, `whole_page`; inside a part
    (rnnviz.ui.page.part), a rerun of that part alone."""
    part = DRAWING_PART.get()
    return whole_page if part is None else partial(_rerun_part, part)


def _rerun_part(key: str) -> None:
    """In the callback of a widget in the part `key`: if its change came in the run of
    another fragment (the Training page's poll), ask for a run of the part instead, so the
    part follows the change. In the part's own run, or in a run of the whole page, the part
    is drawn again anyway."""
    ctx = get_script_run_ctx()
    if (ctx is not None and ctx.fragment_ids_this_run
            and ThreadState.get().fragment_id not in ctx.fragment_ids_this_run):
        st.rerun(key)
