"""What every page shares: the sidebar, the one Config, its URL round trip, cached engine calls.

State (see DESIGN.md): the Config lives in ``st.session_state[CONFIG_KEY]``, a non-widget
key, so it survives pages that do not draw the sidebar's widgets. Each widget is re-seeded
from it at the top of every run and writes back through an ``on_change`` callback (callbacks
run before the script). The URL holds the same Config (only values that differ from the
defaults): a link restores the view; a value in it that is out of range or unparsable is
replaced by its default and named in a warning.

Engine results are ``st.cache_data`` functions of the (hashable) Config, so a widget that
only picks what to show (a timestep, a unit) never recomputes the forward pass.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import streamlit as st

from rnnviz.app import build as engine_build
from rnnviz.app import lesson, readouts
from rnnviz.app.config import FIELD_BY_NAME, FIELDS, Config, from_query
from rnnviz.engine import model
from rnnviz.engine.cells import CELLS
from rnnviz.engine.losses import Loss
from rnnviz.fields import MAX_LIST
from rnnviz.limits import SIZES

CONFIG_KEY = "rnnviz_config"          # the Config every page reads
URL_KEY = "rnnviz_url_written"        # the config part of the query string last written
WARNINGS_KEY = "rnnviz_warnings"      # messages about ignored values, shown until a change
NOTICE_KEY = "rnnviz_notice"          # e.g. "Loaded preset ..."
HIDE_KEY = "rnnviz_hidden"            # controls a lesson link removed (hide=...)
LESSON_URL_KEY = "rnnviz_lesson_url"  # the view part of the query string last written
PREFILL_KEY = "rnnviz_train_prefill"  # training settings from a lesson link, for the page
WIDGET_PREFIX = "rnnviz_w_"
PRESET_WIDGET = "rnnviz_preset"
PRESET_PLACEHOLDER = "Choose a preset…"

INPUT_LABELS = {
    "notebook": "the notebook's randn draws",
    "gaussian": "random Gaussian x",
    "chars": "task: characters (names)",
    "adding": "task: adding problem",
    "copy": "task: copy a symbol",
    "sine": "task: predict a sine wave",
}
CELL_LABELS = {"rnn": "RNN", "lstm": "LSTM"}
FLOAT_STEP = {"weight_scale": 0.1, "spectral_radius": 0.1, "forget_bias": 0.5}


# ----- the configuration ------------------------------------------------------------------

def _query_config_part() -> dict[str, list[str]]:
    """The Config's keys in the current URL, each with all its values."""
    return {f.name: st.query_params.get_all(f.name) for f in FIELDS
            if f.name in st.query_params}


def _store(config: Config, warnings: list[str] | None = None) -> None:
    """Make `config` current, with task sizes applied; failures become warnings."""
    messages = list(warnings or [])
    try:
        config = engine_build.resolve(config)
    except ValueError as why:
        messages.append(f"input={config.input!r} cannot be used: {why}; using "
                        f"{Config().input!r}")
        config = dataclasses.replace(config, input=Config().input)
    st.session_state[CONFIG_KEY] = config
    st.session_state[WARNINGS_KEY] = messages


def _sync_from_url() -> None:
    """Adopt the URL's configuration on a session's first run or when the URL changed
    under us (a pasted link, the back button); otherwise keep the session's."""
    query = _query_config_part()
    flat = {name: values[-1] if values else "" for name, values in query.items()}
    first_run = CONFIG_KEY not in st.session_state
    if first_run or (query and flat != st.session_state.get(URL_KEY)):
        config, warnings = from_query(query)
        _store(config, warnings)
        st.session_state[URL_KEY] = flat


def _write_url(config: Config) -> None:
    """Put the config (non-default values only) in the URL; other keys are left alone."""
    wanted = config.to_query()
    for f in FIELDS:
        current = st.query_params.get_all(f.name)
        if f.name in wanted:
            if current != [wanted[f.name]]:
                st.query_params[f.name] = wanted[f.name]
        elif current:
            del st.query_params[f.name]
    st.session_state[URL_KEY] = wanted


def current_config() -> Config:
    """The session's Config (page_setup must have run in this script run)."""
    return st.session_state[CONFIG_KEY]


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
    _store(config)
    return True


def hidden(name: str) -> bool:
    """Whether a lesson link removed the control `name` (see rnnviz.app.lesson.HIDEABLE)."""
    return name in st.session_state.get(HIDE_KEY, frozenset())


def _on_widget(name: str) -> None:
    value = st.session_state[WIDGET_PREFIX + name]
    try:
        config = current_config().replace(**{name: value})
    except ValueError as why:
        st.session_state[WARNINGS_KEY] = [f"{name}={value!r} was not applied: {why}"]
        return
    _store(config)


def _on_preset() -> None:
    name = st.session_state.get(PRESET_WIDGET)
    if name in engine_build.PRESETS:
        _store(engine_build.PRESETS[name])
        st.session_state[NOTICE_KEY] = f"Loaded the preset “{name}”."
    st.session_state[PRESET_WIDGET] = None


def _on_reset() -> None:
    _store(Config())
    st.session_state[NOTICE_KEY] = "Back to the default configuration."


def _limit_help(name: str) -> str:
    f = FIELD_BY_NAME[name]
    if f.kind == "choice":
        return f.help
    limit = " (the limit)" if name in SIZES else ""
    return f"{f.help} Allowed: {f.low:g} to {f.high:g}{limit}."


def _number(name: str, disabled: bool = False, extra_help: str = "") -> None:
    if hidden(name):
        return
    f = FIELD_BY_NAME[name]
    common = {"key": WIDGET_PREFIX + name, "on_change": _on_widget, "args": (name,),
              "disabled": disabled, "help": _limit_help(name) + extra_help}
    if f.kind == "int":
        st.number_input(f.label, min_value=int(f.low), max_value=int(f.high), step=1, **common)
    else:
        st.number_input(f.label, min_value=float(f.low), max_value=float(f.high),
                        step=FLOAT_STEP[name], format="%.2f", **common)


def _sidebar(config: Config) -> None:
    for f in FIELDS:  # re-seed every widget from the Config (widget keys may have been dropped)
        st.session_state[WIDGET_PREFIX + f.name] = getattr(config, f.name)
    sb = st.sidebar
    with sb:
        st.header("Network")
        if not hidden("presets"):
            st.selectbox("Presets", list(engine_build.PRESETS), index=None,
                         placeholder=PRESET_PLACEHOLDER, key=PRESET_WIDGET,
                         on_change=_on_preset,
                         help="Load a whole configuration that shows one idea.")
        if NOTICE_KEY in st.session_state:
            st.caption(st.session_state.pop(NOTICE_KEY))
        if not hidden("cell"):
            st.radio("cell", list(CELL_LABELS), format_func=CELL_LABELS.get, horizontal=True,
                     key=WIDGET_PREFIX + "cell", on_change=_on_widget, args=("cell",),
                     help=FIELD_BY_NAME["cell"].help)
        if not hidden("input"):
            st.selectbox("input", list(INPUT_LABELS), format_func=INPUT_LABELS.get,
                         key=WIDGET_PREFIX + "input", on_change=_on_widget, args=("input",),
                         help=FIELD_BY_NAME["input"].help)
        is_task = engine_build.is_task(config)
        if is_task:
            st.caption(f"n_x = {config.n_x} and n_y = {config.n_y} are set by the task.")
        left, right = st.columns(2)
        with left:
            _number("n_x", disabled=is_task, extra_help=" Set by the task." if is_task else "")
            _number("n_a")
            _number("T_x")
        with right:
            _number("n_y", disabled=is_task, extra_help=" Set by the task." if is_task else "")
            _number("m")
            _number("seed")
        st.header("Initialisation")
        applies = engine_build.knobs_apply(config)
        if config.input == "notebook":
            st.caption("The notebook input uses its own randn weights: these knobs do not "
                       "apply. Choose the Gaussian input to use them.")
        for name in ("weight_scale", "spectral_radius", "forget_bias"):
            _number(name, disabled=not applies[name])
        if not hidden("reset"):
            st.button("Reset to defaults", on_click=_on_reset, width="stretch")
        st.caption("The address bar holds this whole configuration: copy it to share "
                   "the view.")


def plain(text: str) -> str:
    """`text` with Markdown's (and LaTeX's $) special characters escaped, so a value from a
    URL is shown literally and never formatted or turned into a link."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>$~:])", r"\\\1", text)


APP_ROOT = Path(__file__).resolve().parents[2]


PAGE_BLURBS = {
    "Step through": "walk through the timesteps and see the cell's numbers at each one.",
    "Gates and cell state": "what the LSTM's forget, update and output gates do over time.",
    "Gradient flow": "watch ∂L/∂a⟨t⟩ shrink or grow as it flows back through time.",
    "Training": "train the RNN and the LSTM with Adam and compare their curves.",
    "Gradient check": "compare back-propagation with a numerical derivative.",
}


def page_list() -> list[tuple[str, str]]:
    """(script path relative to the app's folder, label) for Home and every file in pages/,
    in the order the pages/ convention uses (the number prefix), labelled like Streamlit."""
    entries = [("app.py", "Home")]
    for path in sorted((APP_ROOT / "pages").glob("*.py")):
        label = re.sub(r"^\d+[_ -]*", "", path.stem).replace("_", " ")
        entries.append((f"pages/{path.name}", label))
    return entries


def _navigation() -> None:
    with st.sidebar:
        for script, label in page_list():
            st.page_link(script, label=label)
        st.divider()


def page_setup(title: str) -> Config:
    """Call first on every page: page config, the shared sidebar, the URL round trip.

    Returns:
        the Config every view on the page reads.
    """
    st.set_page_config(page_title=f"{title} · rnnviz", page_icon="🔁", layout="wide")
    _sync_from_url()
    config = current_config()
    _sync_lesson(title, config)
    if not hidden("sidebar"):
        if not hidden("nav"):
            _navigation()
        _sidebar(config)
    _write_url(config)
    write_lesson_url(title)
    for message in st.session_state.get(WARNINGS_KEY, []):
        st.warning(plain(message), icon="⚠️")
    return config


# ----- cached engine calls ----------------------------------------------------------------
# Each takes optional `params` ({name: array}, e.g. a training snapshot) that replace the
# configuration's initial weights; None means the weights build(config) draws.
#
# Memory: these caches are the server's, shared by every session, and keep each entry
# pickled. At the limits (LSTM, n_x = n_y = 64, n_a = 256, m = 64, T_x = 200) an entry is
# about: trace 280 MB, Backprop 70 MB, Setup 10 MB, view 3 MB, CSV 7 MB. The entry counts
# bound them together at about 1 GB however many students there are
# (benchmarks/bench_memory.py measures it); entries nobody asked for within CACHE_TTL go.
CACHE_TTL = "1h"


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner=False)
def cached_setup(config: Config, params: dict | None = None) -> engine_build.Setup:
    """rnnviz.app.build.build(config): parameters, x, a<0>, targets and loss (with `params`
    in place of the drawn weights when given; ValueError if they do not fit the sizes)."""
    setup = engine_build.build(config)
    if params is None:
        return setup
    weights = CELLS[config.cell].params.from_dict(params)
    if weights.sizes != setup.params.sizes:
        raise ValueError(f"these parameters have sizes {weights.sizes}; the configuration "
                         f"needs {setup.params.sizes}")
    return dataclasses.replace(setup, params=weights)


@st.cache_data(max_entries=2, ttl=CACHE_TTL, show_spinner="Running the forward pass…")
def cached_trace(config: Config, params: dict | None = None):
    """The forward trace (RNNTrace or LSTMTrace) with the setup's output layer."""
    setup = cached_setup(config, params)
    return model.forward(setup.params, setup.x, setup.a0, output=setup.loss.output)


@st.cache_data(max_entries=2, ttl=CACHE_TTL, show_spinner="Back-propagating through time…")
def cached_backprop(config: Config, where: str = "all",
                    params: dict | None = None) -> model.Backprop:
    """Full BPTT with the setup's loss placed at every step ("all") or only the last."""
    setup = cached_setup(config, params)
    loss = Loss(setup.loss.kind, where)
    return model.backward(setup.params, cached_trace(config, params), setup.targets, loss)


@st.cache_data(max_entries=32, ttl=CACHE_TTL, show_spinner=False)
def cached_view(config: Config, example: int | None, params: dict | None = None) -> dict:
    """rnnviz.app.readouts.example_view: the trace's (n, T_x) slices for one example or the mean.
    Small, so redrawing a view at another timestep copies little from the cache."""
    return readouts.example_view(CELLS[config.cell], cached_trace(config, params), example)


@st.cache_data(max_entries=256, ttl=CACHE_TTL, show_spinner=False)
def cached_step_terms(config: Config, example: int, step: int, unit: int,
                      params: dict | None = None) -> dict:
    """rnnviz.app.readouts.step_terms for one example, step and unit."""
    return readouts.step_terms(CELLS[config.cell], cached_setup(config, params).params,
                               cached_view(config, example, params), step, unit)


@st.cache_data(max_entries=4, ttl=CACHE_TTL, show_spinner=False)
def cached_trace_csv(config: Config, example: int | None, params: dict | None = None) -> str:
    """The view of one example (or the batch mean) as CSV text, one row per (t, unit)."""
    view = cached_view(config, example, params)
    return pd.DataFrame(readouts.trace_table(CELLS[config.cell], view)).to_csv(index=False)


def snapshot_params(config: Config) -> dict | None:
    """The weights of a training snapshot opened for this configuration (from the training
    page), announced with a button that closes it; None when none is open."""
    from rnnviz.ui import training  # imported here: it builds on this module

    snapshot = training.snapshot_for(config)
    if snapshot is None:
        return None
    note, close = st.columns([5, 1], vertical_alignment="center")
    note.info(f"Showing the {CELL_LABELS[config.cell]} as trained to step {snapshot.step:,} "
              f"({snapshot.run_label}), on a batch of its task.", icon=":material/push_pin:")
    close.button("Back to the initial weights", on_click=training.close_snapshot,
                 key="rnnviz_close_snapshot")
    return snapshot.params


@contextlib.contextmanager
def engine_errors() -> Iterator[None]:
    """Show an engine ValueError as a message (and stop the page) instead of a traceback."""
    try:
        yield
    except ValueError as why:
        st.error(f"This configuration cannot be computed: {why}. Change it in the sidebar.",
                 icon="🚫")
        st.stop()


def chart(fig, key: str | None = None) -> None:
    """Show a figure with the figures' own look (not Streamlit's theme) and no logo."""
    st.plotly_chart(fig, theme=None, key=key, config={"displaylogo": False})


# ----- page controls that survive moving between pages ------------------------------------

STEP_KEY = "rnnviz_t"                 # the current timestep, shared by the pages
PLAYING_KEY = "rnnviz_playing"
LAST_TICK_KEY = "rnnviz_last_tick"
STEP_SLIDER = WIDGET_PREFIX + "t"
PLAY_INTERVAL_S = 0.8
MEAN = "mean"


def remembered_choice(label: str, key: str, count: int, with_mean: bool = False,
                      help: str | None = None, control: str | None = None) -> int | None:
    """A selectbox over 0..count-1 (and "batch mean" first when with_mean) whose value is
    kept under a non-widget key, so it survives visiting other pages. When a lesson link
    hides `control`, the value is used without drawing the selectbox.

    Returns:
        the chosen index, or None for the batch mean.
    """
    store, widget = "rnnviz_" + key, WIDGET_PREFIX + key
    options = ([MEAN] if with_mean else []) + list(range(count))
    value = st.session_state.get(store, options[0])
    if value not in options:
        value = options[0]
    st.session_state[store] = value
    if control is not None and hidden(control):
        return None if value == MEAN else int(value)
    st.session_state[widget] = value

    def remember() -> None:
        st.session_state[store] = st.session_state[widget]

    st.selectbox(label, options, key=widget, on_change=remember, help=help,
                 format_func=lambda v: "batch mean" if v == MEAN else str(v))
    return None if value == MEAN else int(value)


def current_step(T_x: int) -> int:
    """The shared timestep t, clamped to 1..T_x."""
    t = min(max(int(st.session_state.get(STEP_KEY, 1)), 1), T_x)
    st.session_state[STEP_KEY] = t
    return t


def _step_by(delta: int, T_x: int) -> None:
    st.session_state[STEP_KEY] = min(max(current_step(T_x) + delta, 1), T_x)


def _on_step_slider() -> None:
    st.session_state[STEP_KEY] = st.session_state[STEP_SLIDER]


def timestep_player(T_x: int, draw: Callable[[int], None]) -> None:
    """The timestep controls (◀, a slider, ▶, play/pause) and `draw(t)` below them, in a
    fragment: moving t reruns only this part of the page, from cached results.

    While playing, the fragment reruns itself every PLAY_INTERVAL_S seconds and advances t;
    starting, pausing and reaching T_x rerun the page once to switch that timer on or off.
    """
    playing = bool(st.session_state.get(PLAYING_KEY, False))

    @st.fragment(run_every=PLAY_INTERVAL_S if playing else None)
    def player() -> None:
        t = current_step(T_x)
        if playing:
            now = time.monotonic()
            if now - st.session_state.get(LAST_TICK_KEY, 0.0) >= 0.9 * PLAY_INTERVAL_S:
                st.session_state[LAST_TICK_KEY] = now
                t = min(t + 1, T_x)
                st.session_state[STEP_KEY] = t
        show_steps, show_play = not hidden("t"), not hidden("play") or playing
        if show_steps:
            back, slider, forward_col, play = st.columns([1, 10, 1, 2],
                                                         vertical_alignment="bottom")
            back.button("", icon=":material/chevron_left:", key="rnnviz_step_back",
                        on_click=_step_by, args=(-1, T_x), disabled=t <= 1,
                        help="One step back", width="stretch")
            forward_col.button("", icon=":material/chevron_right:",
                               key="rnnviz_step_forward", on_click=_step_by, args=(1, T_x),
                               disabled=t >= T_x, help="One step forward", width="stretch")
            with slider:
                if T_x > 1:
                    st.session_state[STEP_SLIDER] = t
                    st.slider("timestep t", 1, T_x, key=STEP_SLIDER,
                              on_change=_on_step_slider)
                else:
                    st.markdown("timestep t = 1 (T_x = 1: a single step)")
        else:
            slider, play = st.columns([12, 2], vertical_alignment="bottom")
            slider.markdown(f"**timestep t = {t}** of T_x = {T_x}")
        if show_play:
            label, icon = (("Pause", ":material/pause:") if playing
                           else ("Play", ":material/play_arrow:"))
            if play.button(label, icon=icon, key="rnnviz_play",
                           disabled=T_x <= 1 and not playing, width="stretch",
                           help="Animate through time"):
                _toggle_play(t, T_x)
        if PAGE_KEY in st.session_state:
            write_lesson_url(st.session_state[PAGE_KEY])  # t moved inside this fragment
        draw(t)
        if playing and t >= T_x:
            st.session_state[PLAYING_KEY] = False
            st.rerun()  # the whole page, once, to stop the timer

    player()


def _toggle_play(t: int, T_x: int) -> None:
    playing = not st.session_state.get(PLAYING_KEY, False)
    st.session_state[PLAYING_KEY] = playing
    st.session_state[LAST_TICK_KEY] = time.monotonic()
    if playing and t >= T_x:
        st.session_state[STEP_KEY] = 1
    st.rerun()  # the whole page, once, to switch the fragment's timer on or off


# ----- lesson links: the view and the hidden controls in the URL -----------------------------
# Where each page's view parameters live in session_state (rnnviz.app.lesson.VIEWS names them).

PAGE_KEY = "rnnviz_page"              # the title of the page running
GATES_UNITS_KEY = "rnnviz_gates_units"
WHERE_KEY = "rnnviz_gf_where"
TRAIN_SETTINGS_KEY = "rnnviz_train_settings"  # the Training page's last submitted settings
TRAIN_SETTING_NAMES = {"task": "task", "train_cell": "cell", "optimizer": "optimizer",
                       "steps": "steps", "lr": "learning_rate"}
VIEW_STORE = {
    (lesson.STEP, "t"): STEP_KEY, (lesson.STEP, "unit"): "rnnviz_unit",
    (lesson.STEP, "example"): "rnnviz_example",
    (lesson.GATES, "t"): STEP_KEY, (lesson.GATES, "example"): "rnnviz_gates_example",
    (lesson.GATES, "units"): GATES_UNITS_KEY,
    (lesson.FLOW, "where"): WHERE_KEY, (lesson.FLOW, "example"): "rnnviz_example",
}


def _lesson_query() -> dict[str, list[str]]:
    """Every key of the URL that is not the Config's, with all its values."""
    return {key: st.query_params.get_all(key) for key in st.query_params
            if key not in FIELD_BY_NAME}


def _adopt_view(page: str, view: dict) -> None:
    """Set the page's view from a lesson link; keys it does not name go back to defaults."""
    if page == lesson.TRAINING:
        st.session_state[PREFILL_KEY] = {
            TRAIN_SETTING_NAMES[f.name]: view.get(f.name, f.default)
            for f in lesson.VIEWS[page]}
        return
    for f in lesson.VIEWS.get(page, ()):
        key = VIEW_STORE[(page, f.name)]
        if f.name in view:
            st.session_state[key] = view[f.name]
        else:
            st.session_state.pop(key, None)


def _current_view(page: str) -> dict:
    if page == lesson.TRAINING:
        settings = {**st.session_state.get(TRAIN_SETTINGS_KEY, {}),
                    **st.session_state.get(PREFILL_KEY, {})}
        return {name: settings.get(setting) for name, setting in TRAIN_SETTING_NAMES.items()}
    return {f.name: st.session_state.get(VIEW_STORE[(page, f.name)])
            for f in lesson.VIEWS.get(page, ())}


def _sync_lesson(page: str, config: Config) -> None:
    """Adopt the URL's view and hidden controls on a session's first run or when the URL
    changed under us; warnings name every value ignored."""
    st.session_state[PAGE_KEY] = page
    query = _lesson_query()
    flat = {key: values[-1] if values else "" for key, values in query.items()
            if key in lesson.VIEW_KEYS or key == "hide"}
    first_run = LESSON_URL_KEY not in st.session_state
    changed = bool(st.query_params) and flat != st.session_state.get(LESSON_URL_KEY)
    if not (first_run or changed):
        return
    sizes = {"T_x": config.T_x, "n_a": config.n_a, "m": config.m}
    view, warnings = lesson.parse_view(page, query, sizes)
    hide, hide_warnings = lesson.parse_hide(query.get("hide", ""))
    _adopt_view(page, view)
    st.session_state[HIDE_KEY] = hide
    st.session_state[LESSON_URL_KEY] = flat
    messages = warnings + hide_warnings
    if messages:
        st.session_state[WARNINGS_KEY] = [*st.session_state.get(WARNINGS_KEY, []), *messages]


def write_lesson_url(page: str) -> None:
    """Put the page's view (values that differ from the defaults) and the hidden controls in
    the URL, so the address bar always reproduces what the student sees."""
    wanted = {**lesson.view_to_query(page, _current_view(page)),
              **lesson.hide_to_query(st.session_state.get(HIDE_KEY, frozenset()))}
    hidden_now = st.session_state.get(HIDE_KEY, frozenset())
    for key in (*sorted(lesson.VIEW_KEYS), "hide"):
        current = st.query_params.get_all(key)
        if key == "hide" and len(current) == 1 and lesson.parse_hide(current)[0] == hidden_now:
            wanted["hide"] = current[-1]  # the link's own spelling and order: leave it
        if key in wanted:
            if current != [wanted[key]]:
                st.query_params[key] = wanted[key]
        elif current:
            del st.query_params[key]
    st.session_state[LESSON_URL_KEY] = wanted


def take_training_prefill() -> dict:
    """Training settings a lesson link asked for ({} if none), handed over once."""
    return st.session_state.pop(PREFILL_KEY, {})


def chosen_units(n_a: int, label: str = "units j") -> list[int]:
    """The units whose lines a chart shows: a multiselect (unless hidden) remembered across
    pages; the first three by default."""
    default = list(range(min(3, n_a)))
    stored = st.session_state.get(GATES_UNITS_KEY)
    units = [j for j in stored if 0 <= j < n_a] if stored is not None else default
    if hidden("units"):
        return units
    widget = WIDGET_PREFIX + "gates_units"
    st.session_state[widget] = units

    def remember() -> None:
        st.session_state[GATES_UNITS_KEY] = list(st.session_state[widget])

    st.multiselect(label, list(range(n_a)), key=widget, on_change=remember,
                   max_selections=MAX_LIST)
    return units
