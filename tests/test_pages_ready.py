"""AppTest: the ready-trained networks open from the sidebar on every page and from a lesson
link (network=), as a loaded run of the session and the snapshot the views show; hostile
values are refused with a warning; the experiments section breaks a copy run."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.app import lesson
from rnnviz.training import experiments
from rnnviz.training.bundled import NETWORKS, load
from rnnviz.ui import break_it, ready, state
from rnnviz.ui import training as tr

ROOT = Path(__file__).resolve().parents[1]
HOME, STEP, GATES = "app.py", "pages/1_Step_through.py", "pages/2_Gates_and_cell_state.py"
FLOW, TRAINING, CHECK = "pages/3_Gradient_flow.py", "pages/4_Training.py", \
    "pages/5_Gradient_check.py"
TIMEOUT = 120


def open_app(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / HOME), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page != HOME:
        at.switch_page(page)
    at.run()
    no_exception(at)
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def open_from_sidebar(at: AppTest, key: str) -> AppTest:
    at.selectbox(key=ready.PICK_WIDGET).set_value(key).run()
    at.button(key=ready.OPEN_BUTTON).click().run()
    no_exception(at)
    return at


def banner(at: AppTest) -> str:
    return next(i.value for i in at.info if "as trained to step" in i.value)


def kept_runs(at: AppTest) -> list:
    return at.session_state[tr.RUNS_KEY] if tr.RUNS_KEY in at.session_state else []


def shown(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def warnings(at: AppTest) -> str:
    return shown("\n".join(w.value for w in at.warning))


def test_a_links_network_is_the_last_value_given_and_anything_else_is_named():
    assert lesson.parse_network(None) == (None, [])
    assert lesson.parse_network(["names-gru", "copy-lstm"]) == ("copy-lstm", [])
    key, (warning,) = lesson.parse_network("x" * 500)
    assert key is None and warning.startswith("network='xxxx") and len(warning) < 200


def test_opening_a_network_on_step_through_shows_the_banner_and_its_weights():
    at = open_from_sidebar(open_app(STEP), "names-gru")
    loaded = load("names-gru")
    steps = loaded.trained.trained_steps
    assert (f"Showing the ready-trained GRU on the dinosaur names, as trained to step "
            f"{steps:,}, on a batch of its task.") == shown(banner(at))
    snapshot = at.session_state[tr.SNAPSHOT_KEY]
    np.testing.assert_array_equal(snapshot.params["Wu"], loaded.trained.params.Wu)
    config = at.session_state[state.CONFIG_KEY]
    assert (config.cell, config.input, config.n_a) == ("gru", "chars",
                                                       loaded.trained.config.n_a)
    (run,) = at.session_state[tr.RUNS_KEY]
    assert run.status == "loaded" and run.first_step == steps
    assert at.query_params["network"] == "names-gru"
    at.button(key="rnnviz_close_snapshot").click().run()
    assert not any("as trained to step" in i.value for i in at.info)
    assert "network" not in at.query_params


def test_opening_it_again_opens_the_run_already_kept():
    at = open_from_sidebar(open_app(GATES), "copy-lstm")
    at.button(key="rnnviz_close_snapshot").click().run()
    open_from_sidebar(at, "copy-lstm")
    assert len(at.session_state[tr.RUNS_KEY]) == 1
    assert "trained to step 1,500" in banner(at)


@pytest.mark.parametrize("page", [HOME, CHECK])
def test_a_page_that_shows_no_snapshot_opens_it_in_step_through(page):
    at = open_from_sidebar(open_app(page), "names-lstm")
    assert at.session_state[state.PAGE_KEY].script == STEP
    assert "Showing the ready-trained LSTM on the dinosaur names, as trained to step" \
        in shown(banner(at))
    assert any(c.value == "Opened “LSTM on the dinosaur names”." for c in at.caption)


def test_on_the_training_page_it_is_a_loaded_run_in_the_table_and_the_detail():
    at = open_from_sidebar(open_app(TRAINING), "names-lstm")
    (run,) = at.session_state[tr.RUNS_KEY]
    table = at.dataframe[0].value
    assert list(table["status"]) == ["loaded from a file"]
    assert "ready-trained: LSTM on the dinosaur names" in table["settings"][0]
    assert at.selectbox(key="rnnviz_tr_detail").value == run.id
    steps = NETWORKS["names-lstm"].config.steps
    assert any(m.value.startswith(f"**Five samples at step {steps:,}:**") for m in at.markdown)
    assert not at.button(key="rnnviz_tr_continue").disabled


def test_a_lesson_link_opens_a_network_and_keeps_it_in_the_address():
    at = open_app(FLOW, {"network": "copy-lstm", "where": "last"})
    assert f"Showing the ready-trained {NETWORKS['copy-lstm'].title}, as trained to step " \
        "1,500" in shown(banner(at))
    assert at.query_params["network"] == "copy-lstm"
    assert at.query_params["input"] == "copy" and at.query_params["T_x"] == "21"
    assert not at.warning


def test_a_link_that_also_sets_other_network_settings_says_the_network_wins():
    at = open_app(STEP, {"network": "names-gru", "cell": "rnn", "n_a": "32"})
    assert at.session_state[state.CONFIG_KEY].cell == "gru"
    assert ("cell was ignored: the ready-trained network names-gru sets the network's cell, "
            "sizes, input and seed") in warnings(at)


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "", "names-lstm ", "x" * 5000,
                                   "../../etc/passwd", "NAMES-LSTM"])
def test_a_hostile_network_value_is_ignored_with_a_warning(value):
    at = open_app(GATES, {"network": value})
    assert "was ignored: it is not one of the ready-trained networks (names-lstm, names-gru, " \
           "copy-lstm)" in warnings(at)
    assert not kept_runs(at)
    assert tr.SNAPSHOT_KEY not in at.session_state
    assert "network" not in at.query_params


def test_of_several_values_the_last_counts():
    at = AppTest.from_file(str(ROOT / HOME), default_timeout=TIMEOUT)
    at.query_params["network"] = ["copy-lstm", "nonsense"]
    at.switch_page(STEP)
    at.run()
    no_exception(at)
    assert "network='nonsense' was ignored" in warnings(at)


def test_a_link_can_hide_the_menu():
    at = open_app(STEP, {"hide": "networks"})
    assert ready.PICK_WIDGET not in {s.key for s in at.selectbox}
    assert ready.OPEN_BUTTON not in {b.key for b in at.button}


def test_every_network_is_offered_by_its_title():
    at = open_app(STEP)
    menu = at.selectbox(key=ready.PICK_WIDGET)
    assert menu.options == [network.title for network in NETWORKS.values()]


def test_the_experiments_section_breaks_a_copy_run_with_the_reports_numbers():
    at = open_app(TRAINING, {"network": "copy-lstm"})
    loaded = load("copy-lstm")
    # the page's own report, from the server's cache (tests/test_experiments.py checks it)
    result = break_it.report(loaded.trained.params.as_dict(), "lstm", "copy", 21)
    assert result.trained == experiments.score(
        loaded.trained.params, loaded.trained.task,
        experiments.fresh_batch(loaded.trained.task, 21))
    assert any(h.value == "Break it: shut its memory, silence its units" for h in at.subheader)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["recalled, as trained"] == f"{100 * result.trained.accuracy:.1f}%"
    assert metrics["recalled, f = 0 at t = 2…20"] == f"{100 * result.shut.accuracy:.1f}%"
    assert metrics["recalled, f = 0, a = 0 at t = 2…20"] == f"{100 * result.cut.accuracy:.1f}%"
    assert metrics["chance"] == "12.5%"
    ranking = at.dataframe[-1].value
    assert list(ranking["unit j"]) == result.order[:8].tolist()
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Recall with k units silenced" in spec for spec in titles)
    assert any(m.value.startswith("Silencing the ") for m in at.markdown)


def test_no_experiments_section_for_a_names_run():
    at = open_app(TRAINING, {"network": "names-gru"})
    assert not any(h.value.startswith("Break it") for h in at.subheader)


def test_the_gate_lab_breaks_a_ready_trained_copy_network_before_and_after():
    at = open_app("pages/6_Gate_lab.py", {"network": "copy-lstm"})
    assert any(h.value == "On the trained network: recall before and after" for h in at.header)
    trained = load("copy-lstm").trained
    result = break_it.report(trained.params.as_dict(), trained.config.cell, trained.config.task,
                             trained.config.T_x)
    text = " ".join(m.value for m in at.markdown)
    assert f"{result.sequences:,} fresh sequences" in text
    at = open_app("pages/6_Gate_lab.py")   # the sidebar's untrained network: no experiments
    assert not any(h.value.startswith("On the trained network") for h in at.header)


def test_a_names_network_opened_on_units_on_text_is_read_there():
    at = open_from_sidebar(open_app("pages/7_Units_on_text.py"), "names-gru")
    assert [t.value for t in at.title] == ["Units on text"]   # stays: the page reads it
    run = next(s for s in at.selectbox if s.label == "training run")
    assert run.options == ["1: GRU · chars · n_a=32 · Adam lr=0.01 · clip ‖g‖≤5 · seed 1 "
                           "(ready-trained: GRU on the dinosaur names)"]
