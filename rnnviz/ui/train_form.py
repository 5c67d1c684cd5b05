"""The Training page's settings form, drawn from the table in rnnviz.training.settings: a
column per section of FORM_SECTIONS, a control per row (rnnviz.ui.widgets), and one script run
per press of Train (an ``st.form``).

The settings are kept under their own names in ``SETTINGS_KEY`` (a non-widget key, so they
survive other pages) and the controls (``WIDGET_PREFIX`` + name) are seeded from it. The rows
a lesson link sets (settings.LINKED) are the page's view fields: a link fills them in, and
Train writes them back to the view, and so to the URL. A row a link hides (settings.HIDDEN_BY)
keeps its value, and the value a link set is written beside its section.
"""

from __future__ import annotations

import streamlit as st

from rnnviz.app.contents import TRAINING
from rnnviz.training.settings import FORM, FORM_SECTIONS, HIDDEN_BY, LINKED, SETTING, train_configs
from rnnviz.ui import state, training
from rnnviz.ui.widgets import field_widget, shown_value

WIDGET_PREFIX = "rnnviz_tr_w_"
SETTINGS_KEY = "rnnviz_train_settings"   # {name: value} of the settings last submitted
ERROR_KEY = "rnnviz_train_error"         # why the settings submitted could not be trained


def stored() -> dict:
    """The settings last submitted or set by a lesson link, {name: value} over FORM."""
    return st.session_state.setdefault(SETTINGS_KEY,
                                       {name: SETTING[name].default for name in FORM})


def hidden(name: str) -> bool:
    """Whether a lesson link removed the control of the setting `name`."""
    return name in HIDDEN_BY and state.hidden(HIDDEN_BY[name])


def _seed(values: dict) -> None:
    """Take the values a lesson link asked for, and show the settings in the controls."""
    link = state.view(TRAINING)
    for key, name in LINKED.items():
        if values[name] != link[key]:
            values[name] = st.session_state[WIDGET_PREFIX + name] = link[key]
    for name, value in values.items():  # an entry not yet submitted stays as typed
        st.session_state.setdefault(WIDGET_PREFIX + name, value)


def _on_train() -> None:
    values = stored()  # a control a lesson link hides keeps its stored value
    values.update({name: st.session_state.get(WIDGET_PREFIX + name, values[name])
                   for name in FORM})
    state.set_view(TRAINING, {key: values[name] for key, name in LINKED.items()})
    try:
        started = [training.start_run(config) for config in train_configs(values)]
    except ValueError as why:
        st.session_state[ERROR_KEY] = f"These settings cannot be trained: {why}."
        return
    st.session_state.pop(ERROR_KEY, None)
    training.train_next(started)


def draw(expanded: bool) -> None:
    """The settings in an expander (open when `expanded`) and the Train button; below, why
    the last settings submitted could not be trained."""
    values = stored()
    _seed(values)
    with st.expander("Settings: task, network, optimizer, steps", expanded=expanded), \
            st.form("train_settings", border=False):
        columns = st.columns(len(FORM_SECTIONS))
        for column, (heading, names) in zip(columns, FORM_SECTIONS.items(), strict=True):
            with column:
                st.markdown(f"**{heading}**")
                fixed = [shown_value(SETTING[name], values[name]) for name in names
                         if hidden(name) and name in LINKED.values()]
                if fixed:
                    st.markdown(" · ".join(fixed))
                for name in names:
                    if not hidden(name):
                        field_widget(SETTING[name], WIDGET_PREFIX + name)
        st.form_submit_button("Train", type="primary", on_click=_on_train)
    if ERROR_KEY in st.session_state:
        st.error(st.session_state[ERROR_KEY], icon=":material/block:")
