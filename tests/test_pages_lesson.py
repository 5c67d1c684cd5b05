"""AppTest: lesson links restore each page's view, hide the controls they name, and write
the view back to the URL as the student moves it; hostile values give warnings."""

import json
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from rnnviz.app.build import PRESETS
from rnnviz.training.tasks import TASKS
from rnnviz.ui import sidebar, state
from rnnviz.ui import training as tr

ROOT = Path(__file__).resolve().parents[1]
HOME, STEP, GATES = "app.py", "pages/1_Step_through.py", "pages/2_Gates_and_cell_state.py"
FLOW, TRAINING = "pages/3_Gradient_flow.py", "pages/4_Training.py"
TIMEOUT = 90
STEP_SLIDER = state.WIDGET_PREFIX + "t"
WHERE = state.WIDGET_PREFIX + "where"


def open_app(page: str, query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / HOME), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def keys(at: AppTest, kind: str) -> set:
    return {getattr(w, "key", None) for w in getattr(at, kind)}


def browser_buttons(at: AppTest) -> set[str]:
    """The keys of the ◀ ▶ and Play buttons drawn (browser components)."""
    return {data["name"] for data in (json.loads(e.proto.json) for e in at.get("bidi_component"))
            if "name" in data}


def warnings(at: AppTest) -> str:
    return re.sub(r"\\(.)", r"\1", "\n".join(w.value for w in at.warning))


def test_step_through_link_restores_t_unit_and_example():
    at = open_app(STEP, {"t": "4", "unit": "2", "example": "3"})
    assert at.slider(key=STEP_SLIDER).value == 4
    assert at.selectbox(key=state.WIDGET_PREFIX + "unit").value == 2
    assert at.selectbox(key=state.WIDGET_PREFIX + "example").value == 3
    text = "\n".join(m.value for m in at.markdown)
    assert "t = 4, for unit j = 2 of example i = 3" in text
    assert not at.warning


def test_moving_the_view_writes_it_to_the_url_and_defaults_leave_it():
    at = open_app(STEP, {"cell": "rnn"})
    assert dict(at.query_params) == {"cell": "rnn"}
    at.slider(key=STEP_SLIDER).set_value(6).run()
    at.selectbox(key=state.WIDGET_PREFIX + "unit").set_value(4).run()
    assert dict(at.query_params) == {"cell": "rnn", "t": "6", "unit": "4"}
    at.slider(key=STEP_SLIDER).set_value(1).run()
    assert dict(at.query_params) == {"cell": "rnn", "unit": "4"}


def test_hide_removes_the_named_controls_and_keeps_the_rest():
    at = open_app(STEP, {"t": "3", "hide": "presets,cell,seed,play,unit"})
    assert sidebar.PRESET_WIDGET not in keys(at, "selectbox")
    assert state.WIDGET_PREFIX + "unit" not in keys(at, "selectbox")
    assert state.WIDGET_PREFIX + "example" in keys(at, "selectbox")
    assert state.WIDGET_PREFIX + "cell" not in keys(at, "radio")
    numbers = keys(at, "number_input")
    assert state.WIDGET_PREFIX + "seed" not in numbers and state.WIDGET_PREFIX + "n_a" in numbers
    assert "rnnviz_play" not in browser_buttons(at)
    assert "rnnviz_step_forward" in browser_buttons(at)
    assert at.slider(key=STEP_SLIDER).value == 3
    assert at.query_params["hide"] == "presets,cell,seed,play,unit"


def test_hidden_unit_still_uses_the_value_the_link_fixed():
    at = open_app(STEP, {"t": "2", "unit": "3", "hide": "unit,t"})
    assert STEP_SLIDER not in keys(at, "slider")
    text = "\n".join(m.value for m in at.markdown)
    assert "timestep t = 2" in text and "for unit j = 3 of example i = 0" in text
    assert dict(at.query_params) == {"t": "2", "unit": "3", "hide": "unit,t"}  # as given


def test_hide_sidebar_leaves_the_sidebar_empty():
    at = open_app(STEP, {"hide": "sidebar"})
    assert len(at.sidebar) == 0
    assert STEP_SLIDER in keys(at, "slider")
    at = open_app(STEP, {"hide": "nav"})
    assert len(at.sidebar) > 0 and not at.get("page_link")


def test_gates_link_restores_example_units_and_t():
    at = open_app(GATES, {"example": "mean", "units": "4,0", "t": "5"})
    lines = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert [trace["name"] for trace in lines["data"]] == ["unit 4", "unit 0"]
    assert at.selectbox(key=state.WIDGET_PREFIX + "gates_example").value == "mean"
    assert at.slider(key=STEP_SLIDER).value == 5
    at = open_app(GATES, {"example": "2", "hide": "units,example"})
    assert state.WIDGET_PREFIX + "units" not in keys(at, "multiselect")
    assert state.WIDGET_PREFIX + "gates_example" not in keys(at, "selectbox")
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"]
              for c in at.get("plotly_chart")]
    assert any("example i = 2" in title for title in titles)


def test_gradient_flow_link_sets_where_and_hides_knobs_and_clipping():
    query = {**PRESETS["Vanishing gradients"].to_query(), "where": "all", "example": "5",
             "hide": "knobs,clipping"}
    at = open_app(FLOW, query)
    assert at.radio(key=WHERE).value == "all"
    assert at.selectbox(key=state.WIDGET_PREFIX + "example").value == 5
    assert not any((k or "").startswith("rnnviz_gf_") for k in keys(at, "slider"))
    assert "Gradient clipping" not in [s.value for s in at.subheader]
    at = open_app(FLOW, {"hide": "spectral_radius"})
    sliders = keys(at, "slider")
    assert "rnnviz_gf_spectral_radius" not in sliders and "rnnviz_gf_T_x" in sliders
    assert "Gradient clipping" in [s.value for s in at.subheader]


def test_gradient_flow_knob_changes_the_config_through_update_config():
    at = open_app(FLOW, {})
    at.slider(key="rnnviz_gf_spectral_radius").set_value(0.5).run()
    config = at.session_state[state.CONFIG_KEY]
    assert config.spectral_radius == 0.5 and config.input == "gaussian"
    assert at.query_params["spectral_radius"] == "0.5"


def test_training_link_prefills_the_settings_and_can_hide_them():
    query = {"task": "copy", "train_cell": "rnn,gru", "optimizer": "sgd", "lr": "0.05",
             "steps": "40"}
    at = open_app(TRAINING, query)
    w = "rnnviz_tr_w_"
    assert at.selectbox(key=w + "task").value == "copy"
    assert list(at.segmented_control(key=w + "train_cell").value) == ["rnn", "gru"]
    assert at.selectbox(key=w + "optimizer").value == "sgd"
    assert at.number_input(key=w + "learning_rate").value == 0.05
    assert at.number_input(key=w + "steps").value == 40
    assert dict(at.query_params) == query
    at = open_app(TRAINING, {"task": "adding", "steps": "5", "train_cell": "gru,lstm",
                             "hide": "task,train_cell,optimizer"})
    assert w + "task" not in keys(at, "selectbox") and w + "optimizer" not in keys(at, "selectbox")
    assert w + "train_cell" not in keys(at, "button_group")
    text = "\n".join(m.value for m in at.markdown)
    assert f"task: **{TASKS['adding'].title}**" in text and "SGD" not in text
    assert "cells: **LSTM, GRU**" in text


def test_hostile_view_parameters_warn_and_fall_back_to_defaults():
    at = open_app(STEP, {"t": "999", "unit": "-1", "example": "1e400", "where": "all",
                         "units": "x", "zz<script>": "1", "hide": "bogus,play"})
    assert at.slider(key=STEP_SLIDER).value == 1
    assert at.selectbox(key=state.WIDGET_PREFIX + "unit").value == 0
    text = warnings(at)
    for name in ("t='999'", "unit='-1'", "example='1e400'", "where was ignored",
                 "units was ignored", "'zz<script>' was ignored", "'bogus'"):
        assert name in text, name
    assert "rnnviz_play" not in browser_buttons(at)
    assert "t" not in at.query_params and "where" not in at.query_params


def test_training_with_hidden_settings_trains_what_the_link_fixed():
    at = open_app(TRAINING, {"task": "adding", "train_cell": "both", "optimizer": "sgd",
                             "steps": "3", "hide": "task,train_cell,optimizer"})
    w = "rnnviz_tr_w_"
    at.number_input(key=w + "n_a").set_value(4)
    at.number_input(key=w + "T_x").set_value(6)
    next(b for b in at.button if b.label == "Train").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    rnn, lstm = at.session_state[tr.RUNS_KEY]   # both: what a link made for two cells meant
    for run, cell in ((rnn, "rnn"), (lstm, "lstm")):
        assert (run.config.task, run.config.cell, run.config.optimizer) == ("adding", cell, "sgd")
        # a worker trains it beside the page (a warm one may have taken the 3 steps already)
        assert run.config.steps == 3 and (run.training or run.status == "finished")


def test_update_config_applies_valid_changes_and_refuses_bad_ones_with_a_warning():
    def script():
        import streamlit as st

        from rnnviz.app.contents import HOME
        from rnnviz.ui import page, state

        def apply(**changes):  # as the page knobs do: in a callback, before the script
            st.session_state["applied"] = state.update_config(**changes)

        page.setup(HOME)
        st.button("good", key="good", on_click=apply, kwargs={"n_a": 12, "input": "copy"})
        st.button("bad", key="bad", on_click=apply, kwargs={"n_a": 999})

    at = AppTest.from_function(script, default_timeout=TIMEOUT)
    at.query_params["hide"] = "nav"  # a bare script has no pages to link to
    at.run()
    at.button(key="good").click().run()
    config = at.session_state[state.CONFIG_KEY]
    assert at.session_state["applied"] is True
    assert (config.n_a, config.input, config.n_x, config.n_y) == (12, "copy", 10, 8)  # task sizes
    at.button(key="bad").click().run()
    assert at.session_state["applied"] is False
    assert at.session_state[state.CONFIG_KEY] == config
    assert "n_a=999 was not applied" in warnings(at)


def test_gates_and_gradient_flow_write_their_view_back_as_it_moves():
    at = open_app(GATES, {})
    at.multiselect(key=state.WIDGET_PREFIX + "units").set_value([4, 1]).run()
    at.selectbox(key=state.WIDGET_PREFIX + "gates_example").set_value(7).run()
    assert dict(at.query_params) == {"units": "4,1", "example": "7"}
    at.multiselect(key=state.WIDGET_PREFIX + "units").set_value([]).run()
    assert at.query_params["units"] == ""  # no units is a choice too, and reopens as one
    at = open_app(FLOW, {"T_x": "5"})
    at.radio(key=WHERE).set_value("all").run()
    assert dict(at.query_params) == {"T_x": "5", "where": "all"}


def test_training_settings_submitted_are_written_to_the_url():
    at = open_app(TRAINING, {})
    w = "rnnviz_tr_w_"
    for name, value in (("task", "sine"), ("optimizer", "rmsprop")):
        at.selectbox(key=w + name).set_value(value)
    for name, value in (("steps", 2), ("n_a", 3), ("T_x", 5), ("learning_rate", 0.002)):
        at.number_input(key=w + name).set_value(value)
    next(b for b in at.button if b.label == "Train").click()
    at.run()
    assert not at.exception
    assert dict(at.query_params) == {"task": "sine", "optimizer": "rmsprop", "steps": "2",
                                     "lr": "0.002"}


def test_streamlits_own_keys_are_left_in_the_url_and_never_warned_about():
    at = open_app(STEP, {"embed": "true", "t": "3", "n_a": "6"})
    assert not at.warning and at.slider(key=STEP_SLIDER).value == 3
    assert dict(at.query_params) == {"embed": "true", "t": "3", "n_a": "6"}


def test_a_training_link_fills_the_form_once_and_the_submitted_settings_stay():
    at = open_app(TRAINING, {"task": "copy", "steps": "40"})
    w = "rnnviz_tr_w_"
    for name, value in (("steps", 2), ("n_a", 3), ("T_x", 5)):
        at.number_input(key=w + name).set_value(value)
    next(b for b in at.button if b.label == "Train").click()
    at.run()
    assert not at.exception
    assert dict(at.query_params) == {"task": "copy", "steps": "2"}
    at.switch_page(HOME).run()
    assert "steps" not in at.query_params  # the Home page has no view of its own
    at.switch_page(TRAINING).run()
    assert at.number_input(key=w + "steps").value == 2
    assert at.selectbox(key=w + "task").value == "copy"


def test_a_links_question_shows_literally_on_its_page_and_stays_with_that_page():
    asked = "Why does **c⟨t⟩** drift? [link](http://x) <b>$x$</b>"
    at = open_app(GATES, {"ask": asked})
    bodies = [e.value for e in at.info]
    # escaped, so Markdown, links, HTML and LaTeX show as typed
    assert [re.sub(r"\\(.)", r"\1", b) for b in bodies if "drift" in b] == [asked]
    assert any(r"\*\*c⟨t⟩\*\*" in b and r"\[link\]" in b and r"\$x\$" in b for b in bodies)
    assert at.query_params["ask"] == asked
    at.switch_page(STEP).run()          # another page: no question, none in its address
    assert not any("drift" in e.value for e in at.info) and "ask" not in at.query_params
    at.switch_page(GATES).run()         # back: the question is there again
    assert any("drift" in e.value for e in at.info) and at.query_params["ask"] == asked


def test_a_question_that_is_not_text_is_refused_with_a_warning():
    at = open_app(STEP, {"ask": "hidden\u202ereversed"})
    assert "ask=" in warnings(at) and "not text" in warnings(at)
    assert "ask" not in at.query_params
