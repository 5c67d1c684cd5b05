"""AppTest: the home, step-through and gates pages run, their controls act, links restore them.

Each test drives the real scripts in-process (streamlit.testing.v1.AppTest), feeding URLs
through `at.query_params` and moving between pages with `at.switch_page`.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import rnnviz.engine.model
from rnnviz.app.build import PRESETS, build
from rnnviz.app.config import FIELDS, GATE_BIASES, Config
from rnnviz.engine import CELLS
from rnnviz.training.tasks import make_task
from rnnviz.ui import cache, player, sidebar, state, training

ROOT = Path(__file__).resolve().parents[1]
HOME, STEP, GATES = "app.py", "pages/1_Step_through.py", "pages/2_Gates_and_cell_state.py"
PAGES = (HOME, STEP, GATES)
TIMEOUT = 60
STEP_SLIDER = state.WIDGET_PREFIX + "t"   # the timestep t, kept under state.VIEW_PREFIX + "t"
STEP_KEY = state.VIEW_PREFIX + "t"


def open_app(page: str = HOME, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / HOME), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page != HOME:
        at.switch_page(page)
    return at.run()


def config_of(at: AppTest) -> Config:
    return at.session_state[state.CONFIG_KEY]


def widget(at: AppTest, kind: str, name: str):
    return getattr(at, kind)(key=state.WIDGET_PREFIX + name)


def chart_specs(at: AppTest) -> list[dict]:
    """The figures drawn: the timestep player's (browser components that keep their plot,
    rnnviz.ui.page.live_chart), then Streamlit's charts."""
    components = [json.loads(e.proto.json) for e in at.get("bidi_component")]
    return ([json.loads(data["figure"]) for data in components if "figure" in data]
            + [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")])


def chart_titles(at: AppTest) -> list[str]:
    return [spec["layout"]["title"]["text"] for spec in chart_specs(at)]


def latex(at: AppTest) -> str:
    return "\n".join(element.value for element in at.latex)


def shown(markdown: str) -> str:
    """Markdown source as the reader sees it: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(autouse=True)
def fresh_cache():
    st.cache_data.clear()
    yield


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_exception(page, cell):
    at = open_app(page, {"cell": cell})
    no_exception(at)
    assert at.title and not at.error
    assert config_of(at).cell == cell


def test_home_shape_table_follows_the_sizes():
    at = open_app(HOME)
    widget(at, "number_input", "n_a").set_value(9).run()
    widget(at, "number_input", "n_x").set_value(4).run()
    table = at.dataframe[0].value.set_index("tensor")
    assert table.loc["Wf", "size"] == "(9, 13)"
    assert table.loc["concat", "size"] == "(13, 10)"
    widget(at, "radio", "cell").set_value("rnn").run()
    table = at.dataframe[0].value.set_index("tensor")
    assert table.loc["Waa", "size"] == "(9, 9)" and "Wf" not in table.index


def test_home_shows_every_cells_equations_under_its_name():
    from rnnviz.app.equations import equations

    at = open_app(HOME)
    assert [h.value for h in at.subheader][:len(CELLS)] == [c.label for c in CELLS.values()]
    shown = [element.value.strip("$\n") for element in at.latex]
    assert shown == [line for cell in CELLS.values() for line in equations(cell)]


def test_home_shows_the_notebooks_values_and_its_lstm_bug():
    at = open_app(HOME)
    assert "-0.99999375" in at.code[0].value
    comparison = at.dataframe[1].value
    assert comparison["notebook"].iloc[0] == pytest.approx(0.0007505869303062002)
    assert any("concat[na:, :] = nx" in info.value for info in at.info)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_load_into_the_config_and_the_url(name):
    at = open_app(STEP)
    at.selectbox(key=sidebar.PRESET_WIDGET).set_value(name).run()
    no_exception(at)
    assert config_of(at) == PRESETS[name]
    assert dict(at.query_params) == PRESETS[name].to_query()
    assert widget(at, "number_input", "T_x").value == PRESETS[name].T_x
    assert any(name in caption.value for caption in at.sidebar.caption)


def test_a_url_with_every_parameter_restores_that_configuration():
    wanted = Config(cell="gru", n_x=4, n_a=6, n_y=3, m=2, T_x=9, seed=42, input="gaussian",
                    weight_scale=0.5, spectral_radius=1.2, lstm_bf=3.0, lstm_bu=-1.5,
                    lstm_bo=2.0, gru_br=0.5, gru_bu=-4.0)
    # every field but data, which names a student's sequences for input=sequences only
    assert {f.name for f in FIELDS} - set(wanted.to_query()) == {"data"}
    at = open_app(STEP, wanted.to_query())
    no_exception(at)
    assert not at.warning
    assert config_of(at) == wanted
    assert widget(at, "radio", "cell").value == "gru"
    assert widget(at, "selectbox", "input").value == "gaussian"
    for name in ("n_x", "n_a", "n_y", "m", "T_x", "seed", "weight_scale", "spectral_radius",
                 "gru_br", "gru_bu"):
        assert widget(at, "number_input", name).value == getattr(wanted, name), name
    assert dict(at.query_params) == wanted.to_query()


@pytest.mark.parametrize("query, field", [
    ({"n_a": "-5"}, "n_a"),
    ({"T_x": "0"}, "T_x"),
    ({"m": "100000000000"}, "m"),
    ({"seed": "banana"}, "seed"),
    ({"cell": "<script>alert(1)</script>"}, "cell"),
    ({"weight_scale": "nan"}, "weight_scale"),
    ({"n_x": "1" * 5000}, "n_x"),
    ({"n_a": ["4", "[x](javascript:alert(1))"]}, "n_a"),
    ({"input": "$\\LaTeX$"}, "input"),
    ({"lstm_bf": "1e999"}, "lstm_bf"),
    ({"gru_bu": "-10.5"}, "gru_bu"),
])
@pytest.mark.parametrize("page", [STEP, GATES])
def test_hostile_urls_give_a_warning_and_the_default(query, field, page):
    at = open_app(page, query)
    no_exception(at)
    assert len(at.warning) == 1
    assert shown(at.warning[0].value).startswith(f"{field}=")
    assert "ignored" in at.warning[0].value
    assert getattr(config_of(at), field) == getattr(Config(), field)
    assert "<script>" not in at.warning[0].value  # shown escaped, never as markup
    assert field not in at.query_params  # the URL now holds the valid config only


def test_warning_goes_away_after_the_next_change():
    at = open_app(STEP, {"n_a": "-5"})
    assert len(at.warning) == 1
    widget(at, "number_input", "seed").set_value(3).run()
    assert not at.warning and config_of(at).seed == 3


@pytest.mark.parametrize("page", [STEP, GATES, "pages/3_Gradient_flow.py",
                                  "pages/6_Gate_lab.py", "pages/8_Memory_map.py"])
@pytest.mark.parametrize("hide", [None, "sidebar"])
def test_an_engine_error_is_a_message_not_a_traceback(page, hide):
    # the adding task needs two steps: the task refuses T_x = 1 when the network is built
    at = open_app(page, {"input": "adding", "T_x": "1", **({"hide": hide} if hide else {})})
    no_exception(at)
    assert at.error and "cannot be computed" in at.error[0].value
    assert "T_x" in at.error[0].value
    # it says where to change it: the sidebar, or the link when the lesson hides the sidebar
    assert ("in its link" in at.error[0].value) == (hide == "sidebar")
    assert ("in the sidebar" in at.error[0].value) == (hide is None)


def test_task_input_sets_n_x_and_n_y_and_disables_them():
    at = open_app(STEP)
    widget(at, "selectbox", "input").set_value("copy").run()
    no_exception(at)
    task = make_task("copy")
    assert (config_of(at).n_x, config_of(at).n_y) == (task.n_x, task.n_y)
    assert widget(at, "number_input", "n_x").disabled
    assert widget(at, "number_input", "n_y").disabled
    assert widget(at, "number_input", "n_x").value == task.n_x
    assert any("set by the task" in c.value for c in at.sidebar.caption)


def test_weight_knobs_are_disabled_for_the_notebook_input_only():
    at = open_app(HOME)
    assert widget(at, "number_input", "weight_scale").disabled
    widget(at, "selectbox", "input").set_value("gaussian").run()
    assert not widget(at, "number_input", "weight_scale").disabled


def test_the_sidebar_has_a_bias_knob_for_each_gate_of_the_cell_on_every_input():
    at = open_app(HOME)  # the notebook's draws: each knob shifts the drawn bias
    knobs = {key: widget(at, "number_input", key) for key in ("lstm_bf", "lstm_bu", "lstm_bo")}
    assert [k.label for k in knobs.values()] == ["LSTM bf shift (forget gate)",
                                                 "LSTM bu shift (update gate)",
                                                 "LSTM bo shift (output gate)"]
    assert all(not k.disabled and k.value == 0.0 for k in knobs.values())
    assert any("shift added to the drawn bias" in c.value for c in at.sidebar.caption)
    widget(at, "selectbox", "input").set_value("gaussian").run()
    assert widget(at, "number_input", "lstm_bf").value == 1.0  # the bias as initialised
    assert widget(at, "number_input", "lstm_bf").label == "LSTM bf (forget gate)"
    assert any("sets every entry" in c.value for c in at.sidebar.caption)
    widget(at, "radio", "cell").set_value("gru").run()
    assert [n.key for n in at.sidebar.number_input][-2:] == [
        state.WIDGET_PREFIX + "gru_br", state.WIDGET_PREFIX + "gru_bu"]
    widget(at, "radio", "cell").set_value("rnn").run()
    no_exception(at)
    assert not any(n.key.removeprefix(state.WIDGET_PREFIX) in GATE_BIASES
                   for n in at.sidebar.number_input)


def test_widget_changes_reach_the_config_and_the_url():
    at = open_app(STEP)
    widget(at, "radio", "cell").set_value("rnn").run()
    widget(at, "number_input", "T_x").set_value(12).run()
    widget(at, "selectbox", "input").set_value("gaussian").run()
    widget(at, "number_input", "spectral_radius").set_value(0.5).run()
    no_exception(at)
    assert config_of(at) == Config(cell="rnn", T_x=12, input="gaussian", spectral_radius=0.5)
    assert dict(at.query_params) == {"cell": "rnn", "T_x": "12", "input": "gaussian",
                                     "spectral_radius": "0.5"}
    assert "RNN cell at t = 1" in chart_titles(at)[0]


def test_reset_returns_to_the_defaults():
    at = open_app(STEP, {"n_a": "8", "cell": "rnn"})
    next(b for b in at.sidebar.button if b.label == "Reset to defaults").click().run()
    assert config_of(at) == Config() and dict(at.query_params) == {}


def test_config_persists_when_moving_between_pages():
    at = open_app(HOME)
    widget(at, "number_input", "n_a").set_value(11).run()
    widget(at, "number_input", "seed").set_value(9).run()
    for page in (STEP, GATES, HOME):
        at.switch_page(page).run()
        no_exception(at)
        assert (config_of(at).n_a, config_of(at).seed) == (11, 9)
        assert widget(at, "number_input", "n_a").value == 11


def browser_buttons(at: AppTest) -> dict[str, dict]:
    """{key: its data}: the ◀ ▶ and Play buttons (browser components, pressed in
    tests/browser) as the page drew them."""
    buttons = [json.loads(e.proto.json) for e in at.get("bidi_component")]
    return {b["name"]: b for b in buttons if "name" in b}


def step_buttons(at: AppTest) -> dict[str, dict]:
    """{"One step back": its data, "One step forward": ...}: the ◀ ▶ buttons."""
    return {b["help"]: b for name, b in browser_buttons(at).items()
            if name in (player.BACK_KEY, player.FORWARD_KEY)}


def test_timestep_slider_moves_the_step_and_the_buttons_stop_at_the_ends():
    at = open_app(STEP, {"T_x": "5"})
    assert "t = 1" in chart_titles(at)[0] and r"\langle 1 \rangle" in latex(at)
    buttons = step_buttons(at)
    assert buttons["One step back"]["disabled"] and not buttons["One step forward"]["disabled"]
    at.slider(key=STEP_SLIDER).set_value(3).run()
    assert "t = 3" in chart_titles(at)[0] and r"\langle 3 \rangle" in latex(at)
    assert not any(b["disabled"] for b in step_buttons(at).values())
    at.slider(key=STEP_SLIDER).set_value(5).run()
    assert at.session_state[STEP_KEY] == 5 and step_buttons(at)["One step forward"]["disabled"]


def test_heatmap_marks_the_current_step():
    at = open_app(STEP, {"T_x": "6"})
    at.slider(key=STEP_SLIDER).set_value(4).run()
    heatmap = chart_specs(at)[1]
    assert heatmap["layout"]["title"]["text"].startswith("hidden state a⟨t⟩")
    (marker,) = heatmap["layout"]["shapes"]
    assert (marker["x0"], marker["x1"]) == (3.5, 4.5)


def test_step_is_clamped_when_t_x_shrinks():
    at = open_app(STEP, {"T_x": "9"})
    at.slider(key=STEP_SLIDER).set_value(9).run()
    widget(at, "number_input", "T_x").set_value(4).run()
    no_exception(at)
    assert at.session_state[STEP_KEY] == 4 and "t = 4" in chart_titles(at)[0]


def test_one_timestep_needs_no_slider():
    at = open_app(STEP, {"T_x": "1", "n_a": "1", "m": "1"})
    no_exception(at)
    assert not at.slider and "t = 1" in chart_titles(at)[0]


def test_example_and_unit_choices_change_the_equations():
    at = open_app(STEP)
    at.selectbox(key=state.WIDGET_PREFIX + "unit").set_value(3).run()
    at.selectbox(key=state.WIDGET_PREFIX + "example").set_value(7).run()
    assert "unit j = 3, example i = 7" in chart_titles(at)[0]
    assert "f_{3}" in latex(at)
    at.switch_page(HOME).run()
    at.switch_page(STEP).run()
    assert "unit j = 3, example i = 7" in chart_titles(at)[0]


def test_play_is_drawn_with_what_the_player_has_seen_and_stops_at_the_last_step():
    at = open_app(STEP, {"T_x": "4"})
    play = browser_buttons(at)[player.PLAY_KEY]
    assert (play["playing"], play["seq"], play["ticks"], play["disabled"]) == (False, 0, 0, False)
    assert play["play"]["label"] == "Play" and play["pause"]["label"] == "Pause"
    assert play["interval"] == player.FRAME_INTERVAL_MS
    assert 1000 / play["interval"] >= 6  # room above the four frames a second Play must reach
    at.session_state[state.PLAYING_KEY] = True
    at.session_state[state.PLAY_SEEN_KEY] = {"seq": 1, "ticks": 3}
    at.run()
    play = browser_buttons(at)[player.PLAY_KEY]
    assert (play["playing"], play["seq"], play["ticks"]) == (True, 1, 3)


def test_play_is_disabled_with_a_single_step_and_hidden_by_a_lesson_link():
    assert browser_buttons(open_app(STEP, {"T_x": "1"}))[player.PLAY_KEY]["disabled"]
    assert player.PLAY_KEY not in browser_buttons(open_app(STEP, {"hide": "play"}))


def test_moving_the_timestep_never_recomputes_the_forward_pass(monkeypatch):
    calls = []
    real_forward = rnnviz.engine.model.forward

    def counting_forward(*args, **kwargs):
        calls.append(1)
        return real_forward(*args, **kwargs)

    monkeypatch.setattr(rnnviz.engine.model, "forward", counting_forward)
    at = open_app(STEP, {"T_x": "6"})
    assert len(calls) == 1
    at.slider(key=STEP_SLIDER).set_value(3).run()
    at.slider(key=STEP_SLIDER).set_value(4).run()
    at.selectbox(key=state.WIDGET_PREFIX + "unit").set_value(2).run()
    at.selectbox(key=state.WIDGET_PREFIX + "example").set_value(5).run()
    at.switch_page(GATES).run()
    at.slider(key=STEP_SLIDER).set_value(5).run()
    no_exception(at)
    assert len(calls) == 1
    widget(at, "number_input", "n_a").set_value(7).run()
    assert len(calls) == 2


def test_gates_page_notes_that_the_rnn_has_no_gates():
    at = open_app(GATES, {"cell": "rnn"})
    no_exception(at)
    assert at.info and "LSTM" in at.info[0].value
    assert not at.error and not chart_specs(at)


def test_gates_page_draws_every_gate_and_state_with_the_right_scales():
    at = open_app(GATES, {"T_x": "5"})
    no_exception(at)
    specs = chart_specs(at)
    titles = [spec["layout"]["title"]["text"] for spec in specs]
    for name in ("forget gate", "update gate", "output gate", "candidate", "cell state",
                 "hidden state"):
        assert any(title.startswith(name) for title in titles), name
    gate = specs[0]["data"][0]
    assert (gate["zmin"], gate["zmax"]) == (0.0, 1.0)
    state = specs[4]["data"][0]
    assert state["zmid"] == 0.0 and state["zmin"] == -state["zmax"]


def test_step_through_draws_the_gru_cell_with_the_numbers_of_its_equations():
    at = open_app(STEP, {"cell": "gru", "T_x": "5", "input": "gaussian", "t": "3"})
    no_exception(at)
    assert chart_titles(at)[0].startswith("GRU cell at t = 3")
    text = latex(at)
    for symbol in ("r_{0}", "u_{0}", r"\tilde{c}_{0}", "a_{0}"):
        assert symbol in text, symbol
    diagram = chart_specs(at)[0]
    drawn = " ".join(a["text"] for a in diagram["layout"]["annotations"])
    for label in ("r = σ", "u = σ", "c̃ = tanh", "r∘a⟨t−1⟩", "1 − u", "a⟨3⟩"):
        assert label in drawn, label


def test_gates_page_shows_the_grus_gates_and_that_it_remembers():
    at = open_app(GATES, {"cell": "gru", "n_a": "32", "m": "8", "T_x": "60",
                          "input": "gaussian", "forget_bias": "5"})   # GRU remembers
    no_exception(at)
    titles = chart_titles(at)
    for name in ("reset gate r⟨t⟩", "update gate u⟨t⟩", "candidate c̃⟨t⟩",
                 "hidden state a⟨t⟩"):
        assert any(title.startswith(name) for title in titles), name
    metrics = {m.label: m.value for m in at.metric}
    assert list(metrics) == ["reset gate > 0.9", "update gate < 0.1", "candidate |c̃| > 0.9"]
    assert metrics["update gate < 0.1"] == "100%"    # bu = -5: every u near 0
    assert any("the cell is remembering: a⟨t−1⟩ is carried forward" in m.value
               for m in at.markdown)
    assert titles[-1].startswith("hidden state a⟨t⟩")   # the memory's lines: a, not c


def test_gates_page_example_choice_changes_the_saturation_readout():
    at = open_app(GATES, {"preset": "ignored", "forget_bias": "6", "input": "gaussian",
                          "n_a": "8", "T_x": "20"})
    assert "batch mean" in chart_titles(at)[0]
    at.selectbox(key=state.WIDGET_PREFIX + "gates_example").set_value(2).run()
    no_exception(at)
    assert "example i = 2" in chart_titles(at)[0]
    assert at.metric[0].label == "forget gate > 0.9"
    assert at.metric[0].value == "100%"
    assert "the cell is remembering" in at.markdown[-1].value or any(
        "remembering" in m.value for m in at.markdown)


def test_gates_page_unit_lines_and_csv_download():
    at = open_app(GATES)
    lines = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert [trace["name"] for trace in lines["data"]] == ["unit 0", "unit 1", "unit 2"]
    at.multiselect(key=state.WIDGET_PREFIX + "units").set_value([4]).run()
    lines = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert [trace["name"] for trace in lines["data"]] == ["unit 4"]
    (download,) = at.get("download_button")
    assert download.proto.label == "Download this trace as CSV"


def test_the_csv_download_holds_the_shown_view():
    text = cache.trace_csv(Config(n_a=3, T_x=4), None)
    lines = text.strip().splitlines()
    assert lines[0] == "t,unit,a,c,f,u,o,c_tilde"
    assert len(lines) == 1 + 3 * 4
    assert lines[1].startswith("1,0,") and lines[-1].startswith("4,2,")


def test_home_links_every_page():
    at = open_app(HOME)
    labels = [link.proto.label for link in at.get("page_link")]
    assert any(label.startswith("**Step through**") for label in labels)
    assert any(label.startswith("**Gates and cell state**") for label in labels)


@pytest.mark.parametrize("page", [STEP, GATES])
def test_an_open_training_snapshot_is_shown_and_can_be_closed(page):
    from rnnviz.app.readouts import example_view, step_terms

    config = Config(cell="lstm", input="gaussian", n_a=4, m=3, T_x=5, seed=2)
    LSTM = CELLS["lstm"]
    trained = build(config.replace(seed=99)).params  # other weights, same sizes
    at = AppTest.from_file(str(ROOT / HOME), default_timeout=TIMEOUT)
    for key, value in config.to_query().items():
        at.query_params[key] = value
    at.session_state[training.SNAPSHOT_KEY] = training.OpenSnapshot(
        config=config, params=trained.as_dict(), step=120, run_label="LSTM · Adam")
    at.switch_page(page).run()
    no_exception(at)
    assert any("trained to step 120" in info.value for info in at.info)
    setup = build(config)
    trace = rnnviz.engine.model.forward(trained, setup.x, setup.a0)
    if page == STEP:
        terms = step_terms(LSTM, trained, example_view(LSTM, trace, 0), 1, 0)
        assert f"{terms['a']:.4f}" in latex(at)
    else:  # the trained biases are shown as they are: no knob on the page to move them
        assert not [s for s in at.slider if s.key.startswith(sidebar.KNOB_PREFIX)]
        np.testing.assert_allclose(unit_chart(at)["data"][0]["y"],
                                   trace.f[0].mean(axis=0), rtol=1e-12)
    at.button(key="rnnviz_close_snapshot").click().run()
    assert not any("trained to step" in info.value for info in at.info)
    if page == GATES:
        assert [s for s in at.slider if s.key.startswith(sidebar.KNOB_PREFIX)]
    if page == STEP:
        initial = rnnviz.engine.model.forward(setup.params, setup.x, setup.a0)
        terms = step_terms(LSTM, setup.params, example_view(LSTM, initial, 0), 1, 0)
        assert f"{terms['a']:.4f}" in latex(at)


# ----- Gates and cell state: the gate biases' knobs and one unit's lines ----------------------

def unit_chart(at: AppTest) -> dict:
    """The figure of one unit's gates and states over t."""
    return next(spec for spec in chart_specs(at)
                if spec["layout"]["title"]["text"].startswith("unit j = "))


def knob(at: AppTest, name: str):
    return at.slider(key=sidebar.KNOB_PREFIX + name)


@pytest.mark.parametrize("cell", list(CELLS))
def test_gates_page_has_a_knob_per_gate_and_one_units_lines(cell):
    at = open_app(GATES, {"cell": cell, "input": "gaussian"})
    no_exception(at)
    gates = CELLS[cell].gates
    knobs = [s for s in at.slider if s.key.startswith(sidebar.KNOB_PREFIX)]
    assert [s.key for s in knobs] == [sidebar.KNOB_PREFIX + f"{cell}_{g.bias}" for g in gates]
    if not gates:  # the RNN: no gates, so no knobs and no lines
        assert at.info and not chart_specs(at)
        return
    lines = unit_chart(at)
    names = [trace["name"].split()[-1] for trace in lines["data"]]
    assert names == [readouts_symbol(cell, name) for name in CELLS[cell].sequences]
    assert lines["layout"]["yaxis"]["range"] == [-0.03, 1.03]
    assert lines["layout"]["title"]["text"] == "unit j = 0, the batch mean"


def readouts_symbol(cell: str, name: str) -> str:
    from rnnviz.app.readouts import quantity
    return quantity(CELLS[cell], name).symbol


@pytest.mark.parametrize("input_", ["notebook", "gaussian"])
def test_a_gate_knob_on_the_gates_page_changes_the_bias_and_the_gate(input_):
    at = open_app(GATES, {"input": input_, "n_a": "4", "T_x": "5", "example": "1",
                          "unit": "2"})
    before = unit_chart(at)["data"][0]   # the forget gate of unit 2, example 1
    drawn = build(config_of(at)).params.bf
    knob(at, "lstm_bf").set_value(6.0).run()
    no_exception(at)
    assert config_of(at).lstm_bf == 6.0 and at.query_params["lstm_bf"] == "6"
    bf = cache.setup(config_of(at)).params.bf
    expected = drawn + 6.0 if input_ == "notebook" else np.full((4, 1), 6.0)
    np.testing.assert_allclose(bf, expected, rtol=0, atol=1e-12)
    after = unit_chart(at)["data"][0]
    assert min(after["y"]) > 0.9 > min(before["y"])  # a bias of 6 opens the gate
    # back to where it stood unset: the configuration and its URL are the default's again
    knob(at, "lstm_bf").set_value(0.0 if input_ == "notebook" else 1.0).run()
    assert config_of(at).lstm_bf is None and "lstm_bf" not in at.query_params


def test_the_gru_knobs_set_its_own_biases_only():
    at = open_app(GATES, {"cell": "gru", "input": "copy", "n_a": "3"})
    knob(at, "gru_bu").set_value(-6.0).run()
    knob(at, "gru_br").set_value(2.5).run()
    no_exception(at)
    params = cache.setup(config_of(at)).params
    np.testing.assert_array_equal(params.bu, np.full((3, 1), -6.0))
    np.testing.assert_array_equal(params.br, np.full((3, 1), 2.5))
    assert (config_of(at).lstm_bf, config_of(at).lstm_bu) == (None, None)
    assert {m.label: m.value for m in at.metric}["update gate < 0.1"] == "100%"


def test_the_unit_of_the_lines_is_in_the_url_and_its_menu():
    at = open_app(GATES, {"unit": "3", "example": "2"})
    assert unit_chart(at)["layout"]["title"]["text"] == "unit j = 3, example i = 2"
    at.selectbox(key=state.WIDGET_PREFIX + "unit").set_value(4).run()
    no_exception(at)
    assert unit_chart(at)["layout"]["title"]["text"] == "unit j = 4, example i = 2"
    assert at.query_params["unit"] == "4"
    at = open_app(GATES, {"unit": "5"})   # n_a = 5: units 0 … 4
    assert any(shown(w.value).startswith("unit='5' was ignored") for w in at.warning)
    assert unit_chart(at)["layout"]["title"]["text"].startswith("unit j = 0")


def test_an_older_links_forget_bias_still_opens_the_same_view_and_is_rewritten():
    at = open_app(GATES, {"input": "gaussian", "forget_bias": "5", "hide": "forget_bias"})
    no_exception(at)
    assert not at.warning
    assert (config_of(at).lstm_bf, config_of(at).gru_bu) == (5.0, -5.0)
    assert "forget_bias" not in at.query_params and at.query_params["lstm_bf"] == "5"
    # hide=forget_bias, as older links wrote it, removes the memory gates' knobs
    keys = {s.key for s in at.slider} | {n.key for n in at.number_input}
    assert sidebar.KNOB_PREFIX + "lstm_bf" not in keys
    assert state.WIDGET_PREFIX + "lstm_bf" not in keys
    assert sidebar.KNOB_PREFIX + "lstm_bu" in keys
