"""The controls of the one shared Config: the sidebar every page draws (the page links, then
the network's settings) and the same settings as sliders on a page (Gradient flow's knobs).

Each control is a widget mirrored in the Config (rnnviz.ui.state.mirrored): it shows the
Config's value and changes it through `update_config` (validated, a task's sizes applied, a
refused value named in a warning), so the URL and every other page follow. A control that a
lesson link hides (by the field's name) is not drawn.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import streamlit as st

from rnnviz.app import build, lesson, readouts
from rnnviz.app.config import FIELD_BY_NAME, GATE_BIASES, GAUSSIAN, MEMORY_KNOBS, NOTEBOOK, Config
from rnnviz.app.contents import PAGES
from rnnviz.fields import format_value
from rnnviz.limits import SIZES
from rnnviz.ui import ready, state
from rnnviz.ui.widgets import field_widget

PRESET_WIDGET = "rnnviz_preset"
PRESET_PLACEHOLDER = "Choose a preset…"
KNOB_PREFIX = "rnnviz_gf_"     # the knobs' widgets (the sidebar's own keys are taken)
KNOB_ROW = "rnnviz_knob_row"   # the container of a page's row of knobs (projector.css)
WEIGHT_KNOBS = ("weight_scale", "spectral_radius")
NUMBER_STEP = {"weight_scale": 0.1, "spectral_radius": 0.1, **dict.fromkeys(GATE_BIASES, 0.5)}
KNOB_STEP = {"spectral_radius": 0.05, "weight_scale": 0.05, **dict.fromkeys(GATE_BIASES, 0.5)}


def _apply(name: str, value) -> None:
    state.update_config(**{name: value})


def _apply_bias(knob: str, value) -> None:
    """A gate's bias knob moved: back to unset (None) at the value it stands at unset, so
    the configuration, its URL and its cache entries are the default's again."""
    unset = build.knob_value(state.current_config().replace(**{knob: None}), knob)
    state.update_config(**{knob: None if value == unset else value})


def _knob_hidden(name: str) -> bool:
    """Whether a lesson link removed the knob `name` (older links name the memory gates'
    knobs forget_bias)."""
    return state.hidden(name) or (name in MEMORY_KNOBS and state.hidden("forget_bias"))


def _on_preset() -> None:
    name = st.session_state.get(PRESET_WIDGET)
    if name in build.PRESETS:
        state.store_config(build.PRESETS[name])
        st.session_state[state.NOTICE_KEY] = f"Loaded the preset “{name}”."
    st.session_state[PRESET_WIDGET] = None


def _on_reset() -> None:
    state.store_config(Config())
    st.session_state[state.NOTICE_KEY] = "Back to the default configuration."


def _limit_help(name: str) -> str:
    f = FIELD_BY_NAME[name]
    if f.kind == "choice":
        return f.help
    limit = " (the limit)" if name in SIZES else ""
    return f"{f.help} Allowed: {format_value(f.low)} to {format_value(f.high)}{limit}."


def _number(config: Config, name: str, disabled: bool = False, extra_help: str = "") -> None:
    if state.hidden(name):
        return
    f = FIELD_BY_NAME[name]
    whole = f.kind == "int"
    state.mirrored(partial(field_widget, f), state.WIDGET_PREFIX + name, getattr(config, name),
                   partial(_apply, name), disabled=disabled, help=_limit_help(name) + extra_help,
                   step=1 if whole else NUMBER_STEP[name], **({} if whole else {"format": "%.2f"}))


def _choice(config: Config, name: str) -> None:
    if state.hidden(name):
        return
    state.mirrored(partial(field_widget, FIELD_BY_NAME[name]), state.WIDGET_PREFIX + name,
                   getattr(config, name), partial(_apply, name))


def _navigation() -> None:
    for page in PAGES:
        st.page_link(page.script, label=page.title)
    st.divider()


PRESENT_TOGGLE = "rnnviz_present_toggle"


def _present_toggle() -> None:
    """Presentation mode on or off (the state is the app's, the toggle only shows it)."""
    st.session_state[PRESENT_TOGGLE] = state.presenting()
    st.toggle("Presentation mode", key=PRESENT_TOGGLE, on_change=_on_present,
              help="For a projector: the sidebar folded away, the introductions folded, "
                   "charts taller in larger type. The address keeps it (present=1).")


def _on_present() -> None:
    st.session_state[state.PRESENT_KEY] = st.session_state[PRESENT_TOGGLE]


def draw(config: Config, network: bool = True) -> None:
    """The sidebar: the page links and the ready-trained networks (unless hidden), then (if
    `network`) presets, cell, input, sizes, seed, the initialisation knobs and Reset."""
    with st.sidebar:
        _present_toggle()
        if not state.hidden("nav"):
            _navigation()
        ready.draw()
        if not network:
            st.caption("This page has its own settings, on the page. The network settings "
                       "of the other views are kept for when you go back to them.")
            return
        st.header("Network")
        if not state.hidden("presets"):
            st.selectbox("Presets", list(build.PRESETS), index=None,
                         placeholder=PRESET_PLACEHOLDER, key=PRESET_WIDGET,
                         on_change=_on_preset,
                         help="Load a whole configuration that shows one idea.")
        if state.NOTICE_KEY in st.session_state:
            st.caption(st.session_state.pop(state.NOTICE_KEY))
        _choice(config, "cell")
        _choice(config, "input")
        is_task = build.is_task(config)
        set_by_task = " Set by the task." if is_task else ""
        if is_task:
            st.caption(f"n_x = {config.n_x} and n_y = {config.n_y} are set by the task.")
        left, right = st.columns(2)
        with left:
            _number(config, "n_x", disabled=is_task, extra_help=set_by_task)
            _number(config, "n_a")
            _number(config, "T_x")
        with right:
            _number(config, "n_y", disabled=is_task, extra_help=set_by_task)
            _number(config, "m")
            _number(config, "seed")
        st.header("Initialisation")
        applies = build.knobs_apply(config)
        if config.input == NOTEBOOK:
            st.caption("The notebook input uses its own randn weights: the weight scale and "
                       "the spectral radius do not apply. Choose the Gaussian input to use "
                       "them.")
        for name in WEIGHT_KNOBS:
            _number(config, name, disabled=not applies[name])
        knobs = _visible_gate_knobs(config)
        if knobs:
            st.markdown("**Gate biases**")
            st.caption(readouts.knobs_note(config))
        for knob in knobs:
            f = FIELD_BY_NAME[knob]
            state.mirrored(partial(field_widget, replace(f, label=readouts.knob_label(config,
                                                                                     knob))),
                           state.WIDGET_PREFIX + knob, build.knob_value(config, knob),
                           partial(_apply_bias, knob), help=_limit_help(knob),
                           step=NUMBER_STEP[knob], format="%.2f")
        if not state.hidden("reset"):
            st.button("Reset to defaults", on_click=_on_reset, width="stretch")
        st.caption("The address bar holds this whole configuration: copy it to share "
                   "the view.")


# ----- the same settings as sliders on a page ------------------------------------------------

def _on_knob(name: str, value) -> None:
    config = state.current_config()
    if name in GATE_BIASES:
        _apply_bias(name, value)
        return
    changes = {name: value}
    switched = name in WEIGHT_KNOBS and not build.knobs_apply(config)[name]
    if switched:  # the notebook's randn weights ignore the weight knobs: use weights they shape
        changes["input"] = GAUSSIAN
    if state.update_config(**changes) and switched:
        st.session_state[state.NOTICE_KEY] = (
            "The input is now random Gaussian: the notebook's own weights ignore the "
            "weight scale and the spectral radius.")


def visible_knobs() -> list[str]:
    """The Gradient flow page's knobs (rnnviz.app.lesson.FLOW_KNOBS) a lesson link left."""
    if state.hidden("knobs"):
        return []
    return [name for name in lesson.FLOW_KNOBS if not _knob_hidden(name)]


def knobs(config: Config, names: list[str], helps: dict[str, str] | None = None,
          columns: int | None = None) -> None:
    """The knobs `names` side by side (in `columns` columns, default one each): a slider
    per Config field (help: `helps[name]`, else the field's) that changes the shared Config
    as the sidebar does. Moving a weight knob while the input is the notebook's switches it
    to Gaussian, whose weights the knobs shape; a gate's bias knob shifts the notebook's
    drawn bias instead (rnnviz.app.build)."""
    # in a row of their own, which a narrow page wraps three to a line (projector.css)
    row = st.container(key=KNOB_ROW).columns(columns or len(names))
    for column, name in zip(row, names, strict=False):
        f = FIELD_BY_NAME[name]
        bounds = ((int(f.low), int(f.high)) if f.kind == "int"
                  else (float(f.low), float(f.high)))
        gate_bias = name in GATE_BIASES
        with column:
            state.mirrored(st.slider, KNOB_PREFIX + name,
                           build.knob_value(config, name) if gate_bias else getattr(config, name),
                           partial(_on_knob, name),
                           readouts.knob_label(config, name) if gate_bias else f.label, *bounds,
                           help=(helps or {}).get(name, f.help),
                           **({"step": KNOB_STEP[name]} if name in KNOB_STEP else {}))


def _visible_gate_knobs(config: Config) -> list[str]:
    return [knob for knob in build.gate_knobs(config) if not _knob_hidden(knob)]


def gate_knobs(config: Config) -> list[str]:
    """The current cell's gate-bias knobs a lesson link left on a page (hide=knobs removes
    them all)."""
    return [] if state.hidden("knobs") else _visible_gate_knobs(config)
