"""The Training page's settings form, drawn from the table in rnnviz.training.settings: a
column per section of FORM_SECTIONS (below them, in an expander, the student's own data), a
control per row (rnnviz.ui.widgets), and one script run per press of Train (an ``st.form``),
which hands the runs to a worker (rnnviz.ui.training).
They are the page's only settings: the sidebar shows no network settings there.

The settings are kept under their own names in ``SETTINGS_KEY`` (a non-widget key, so they
survive other pages) and the controls (``WIDGET_PREFIX`` + name) are seeded from it. The rows
a lesson link sets (settings.LINKED) are the page's view fields: a link fills them in, and
Train writes them back to the view, and so to the URL. A row a link hides (settings.HIDDEN_BY)
keeps its value, and the value a link set is written beside its section.

The text boxes (the character task's text, the CSV of "your sequences") take a text of any
length, so that one over the limit is named on Train rather than refused by the browser
without a word. Beside each, a file (`FILES`): on Train a newly chosen one is checked and its
text put into the box (``FILE_USED_PREFIX`` + row remembers which file that was, so later
edits to the box stand).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import streamlit as st

from rnnviz.app.contents import TRAINING
from rnnviz.limits import MAX_CSV_BYTES, MAX_TEXT_BYTES
from rnnviz.training import sequences
from rnnviz.training.settings import (
    FORM,
    FORM_SECTIONS,
    HIDDEN_BY,
    LINKED,
    OWN_DATA_SECTIONS,
    OWN_DATA_TITLE,
    SETTING,
    train_configs,
)
from rnnviz.training.tasks.own import OwnTask
from rnnviz.training.text import read_text
from rnnviz.ui import state, training
from rnnviz.ui.page import folded, plain
from rnnviz.ui.widgets import field_widget, shown_value, widget_value

WIDGET_PREFIX = "rnnviz_tr_w_"
SETTINGS_KEY = "rnnviz_train_settings"   # {name: value} of the settings last submitted
ERROR_KEY = "rnnviz_train_error"         # why the settings submitted could not be trained
TEXT = "text"                            # the row of the text box
TEXT_FILE_KEY = "rnnviz_tr_text_file"    # the text file chosen beside it (a widget)
CSV = "csv"                              # the row of the CSV box
CSV_FILE_KEY = "rnnviz_tr_csv_file"      # the .csv file chosen beside it (a widget)
FILE_USED_PREFIX = "rnnviz_train_file_used_"   # + row: file_id of the last file put in its box
TEXT_PUT_KEY = "rnnviz_train_text_put"   # the rows whose box a file's text went into on Train


@dataclass(frozen=True)
class BoxFile:
    """The file chosen beside a text box: its widget's key, its extension, its label, its
    limit in bytes, and what to choose instead of binary data (rnnviz.training.text)."""

    key: str
    extension: str
    label: str
    limit: int
    kind: str


FILES = {
    TEXT: BoxFile(TEXT_FILE_KEY, "txt",
                  f"or a text file (.txt, UTF-8, up to {MAX_TEXT_BYTES // 1000} kB)",
                  MAX_TEXT_BYTES, "plain text, such as a list of names"),
    CSV: BoxFile(CSV_FILE_KEY, "csv",
                 f"or a .csv file (UTF-8, up to {MAX_CSV_BYTES // 1000} kB)",
                 MAX_CSV_BYTES, sequences.KIND),
}


def stored() -> dict:
    """The settings last submitted or set by a lesson link, {name: value} over FORM."""
    return st.session_state.setdefault(SETTINGS_KEY,
                                       {name: SETTING[name].default for name in FORM})


def hidden(name: str) -> bool:
    """Whether a lesson link removed the control of the setting `name`."""
    return name in HIDDEN_BY and state.hidden(HIDDEN_BY[name])


def _seed(values: dict) -> set[str]:
    """Take the values a lesson link asked for, and show the settings in the controls.

    Returns:
        the names whose control's value was set in this run (Train's callback included).
    """
    link = state.view(TRAINING)
    fresh = set(st.session_state.pop(TEXT_PUT_KEY, ()))
    for key, name in LINKED.items():
        if values[name] != link[key]:
            values[name] = st.session_state[WIDGET_PREFIX + name] = link[key]
            fresh.add(name)
    for name, value in values.items():  # an entry not yet submitted stays as typed
        if WIDGET_PREFIX + name not in st.session_state:
            st.session_state[WIDGET_PREFIX + name] = value
            fresh.add(name)
    return fresh


def _take_files(values: dict) -> None:
    """Put the text of each newly chosen file into its box and into `values`; ValueError
    naming the file if it is not usable text (the box then keeps what it held)."""
    for row, file in FILES.items():
        chosen = st.session_state.get(file.key)
        used = FILE_USED_PREFIX + row
        if chosen is None or chosen.file_id == st.session_state.get(used):
            continue
        values[row] = st.session_state[WIDGET_PREFIX + row] = read_text(
            chosen.getvalue(), chosen.name, file.limit, file.kind)
        st.session_state[used] = chosen.file_id
        st.session_state.setdefault(TEXT_PUT_KEY, set()).add(row)


def _on_train() -> None:
    values = stored()  # a control a lesson link hides keeps its stored value
    values.update({name: widget_value(SETTING[name], WIDGET_PREFIX + name, values[name])
                   for name in FORM})
    state.set_view(TRAINING, {key: values[name] for key, name in LINKED.items()})
    try:
        _take_files(values)
        started = [training.start_run(config) for config in train_configs(values)]
    except ValueError as why:
        st.session_state[ERROR_KEY] = (f"These settings cannot be trained: "
                                       f"{str(why).rstrip('.')}.")
        return
    st.session_state.pop(ERROR_KEY, None)
    training.train(started)


def draw() -> None:
    """The settings, in view (folded in presentation mode, where the lesson's Train button
    comes into the first screen), and the Train button; below, why the last settings
    submitted could not be trained."""
    values = stored()
    fresh = _seed(values)
    with st.form("train_settings"):
        with folded("The settings"):
            _sections(FORM_SECTIONS, values, fresh)
        own = values["task"] == OwnTask.name or any(values[name] for name in ("text", "csv"))
        with st.expander(OWN_DATA_TITLE, expanded=own):
            _sections(OWN_DATA_SECTIONS, values, fresh)
        st.form_submit_button("Train", type="primary", on_click=_on_train)
    if ERROR_KEY in st.session_state:
        st.error(plain(st.session_state[ERROR_KEY]), icon=":material/block:")


def _sections(sections: dict[str, tuple[str, ...]], values: dict, fresh: set[str]) -> None:
    """A column per section, headed, with the control of each row the link did not hide (and
    the values of the hidden rows a link fixed)."""
    for column, (heading, names) in zip(st.columns(len(sections)), sections.items(),
                                        strict=True):
        with column:
            st.markdown(f"**{heading}**")
            fixed = [shown_value(SETTING[name], values[name]) for name in names
                     if hidden(name) and name in LINKED.values()]
            if fixed:
                st.markdown(" · ".join(fixed))
            for name in names:
                if not hidden(name):
                    _control(name, fresh)


def _control(name: str, fresh: set[str]) -> None:
    """The control of one row (`fresh`: the names whose control was set in this run); beside
    a text box, its file."""
    key = WIDGET_PREFIX + name
    # the browser shows the widget's default when it draws the control afresh (after a page
    # cleared by a Stop), and gets the value itself only in a run that sets it
    field_widget(SETTING[name], key,
                 **({} if name in fresh else {"shown": st.session_state[key]}))
    if name not in FILES:
        return
    file = FILES[name]
    st.file_uploader(file.label, type=[file.extension], key=file.key,
                     # the smallest cap the widget takes (whole megabytes), so that it does not
                     # announce the model files' 6 MB; a file over its limit is refused
                     # with its size where the text is used
                     max_upload_size=max(1, math.ceil(file.limit / 1_000_000)),
                     help="On Train its text goes into the box above, and the run learns it.")
