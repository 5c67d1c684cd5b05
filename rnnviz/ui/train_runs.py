"""The runs a session keeps, on the Training page: their table, which of them the charts show,
removing one, and a run loaded from a model file."""

from __future__ import annotations

import streamlit as st

from rnnviz.app.runs import Run, status_words
from rnnviz.ui import state, training

SHOWN_WIDGET = "rnnviz_tr_shown_w"
UPLOAD_WIDGET = "rnnviz_tr_upload"
UPLOADED_KEY = "rnnviz_train_uploaded"   # the last upload handled, so a rerun does not repeat it
UPLOAD_NOTE_KEY = "rnnviz_train_upload_note"   # ("success" or "error", what became of it)

# Widths in px that keep every column in sight with the sidebar open at 1024 px, the numbers
# first: the settings, last, take what is left and end in "…" where it is too little (the
# menu "runs to show in the charts" below names each run in full).
COLUMNS = {
    "run": st.column_config.NumberColumn(width=44),
    "status": st.column_config.TextColumn(width=76),
    "steps": st.column_config.NumberColumn(width=56),
    "last loss": st.column_config.NumberColumn(format="%.4f", width=76),
    "last accuracy": st.column_config.NumberColumn(format="%.3f", width=100),
    "steps/s": st.column_config.NumberColumn(
        format="%.0f", width=64,
        help="Training steps per second, beside the runs trained with it."),
    "settings": st.column_config.TextColumn(width=60),
}


def labels(kept: list[Run]) -> dict[int, str]:
    """{run id: "id: settings in words"}, how a menu names each run."""
    return {r.id: r.name for r in kept}


def table(kept: list[Run]) -> None:
    """One row per run: its settings, status, steps, last loss and accuracy, and how fast
    it trained."""
    rows = [{"run": r.id, "status": status_words(r), "steps": r.steps_done,
             "last loss": r.last("loss"), "last accuracy": r.last("accuracy"),
             "steps/s": r.speed(), "settings": r.label}
            for r in kept]
    st.dataframe(rows, hide_index=True, width="stretch", column_config=COLUMNS)


def choose_shown(kept: list[Run]) -> None:
    """The runs the charts draw, as a menu of several, and a run to remove."""
    named = labels(kept)
    shown = [r.id for r in training.shown_runs()]
    state.mirrored(st.multiselect, SHOWN_WIDGET, shown, training.show_only,
                   "runs to show in the charts", list(named), format_func=named.get)
    remove, _ = st.columns([1, 3])
    with remove:
        doomed = st.selectbox("remove a run", [None, *named], key="rnnviz_tr_remove",
                              format_func=lambda i: "—" if i is None else named[i])
        if doomed is not None and st.button("Remove", key="rnnviz_tr_remove_go"):
            training.remove_run(doomed)
            st.rerun()


def _on_upload() -> None:
    """Load the model file just chosen as a run, before the page is drawn (so Continue is
    already lit for it), or keep the reason it was not."""
    uploaded = st.session_state.get(UPLOAD_WIDGET)
    if uploaded is None or st.session_state.get(UPLOADED_KEY) == uploaded.file_id:
        return
    st.session_state[UPLOADED_KEY] = uploaded.file_id
    try:
        loaded = training.add_loaded(uploaded.getvalue(), uploaded.name)
    except ValueError as why:
        st.session_state[UPLOAD_NOTE_KEY] = ("error", f"{uploaded.name} was not loaded: {why}")
        return
    more = (f"press Continue to train it {loaded.config.steps:,} steps further"
            if loaded.resumable else "it cannot be trained further")
    st.session_state[UPLOAD_NOTE_KEY] = (
        "success", f"Loaded {uploaded.name} as run {loaded.id}, trained for "
                   f"{loaded.steps_done:,} steps: look inside it below, or {more}.")


def upload() -> None:
    """A model file saved from this page, loaded as a run (once per file chosen), and what
    became of it."""
    st.file_uploader("a model file saved from this page (.npz)", type=None,
                     key=UPLOAD_WIDGET, on_change=_on_upload)
    if UPLOAD_NOTE_KEY in st.session_state:
        kind, note = st.session_state[UPLOAD_NOTE_KEY]
        if kind == "error":
            st.error(note, icon=":material/block:")
        else:
            st.success(note)
