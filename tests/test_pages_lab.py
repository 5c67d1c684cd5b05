"""AppTest: the Gate lab runs for every cell, its controls change the intervened run and never
the original, its sentence carries the engine's numbers, and its interventions go through the
URL (a hostile one is a warning that loses nothing else)."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from apptest_charts import line_under
from streamlit.testing.v1 import AppTest

from rnnviz.app import lab
from rnnviz.app.build import build
from rnnviz.app.config import Config
from rnnviz.engine import CELLS, Intervention, Loss, backward, forward
from rnnviz.limits import MAX_INTERVENTIONS
from rnnviz.ui import state, training
from rnnviz.ui.lab import PREFIX

ROOT = Path(__file__).resolve().parents[1]
LAB = "pages/6_Gate_lab.py"
TIMEOUT = 60
SMALL = {"input": "gaussian", "n_x": "3", "n_a": "5", "n_y": "3", "m": "3", "T_x": "10",
         "seed": "2"}


def open_lab(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(LAB)
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def figures(at: AppTest) -> dict[str, dict]:
    """{live chart key: figure} of the charts drawn."""
    out = {}
    for element in at.get("bidi_component"):
        data = json.loads(element.proto.json)
        if "figure" in data:
            out[element.proto.id.rsplit("-", 1)[-1]] = json.loads(data["figure"])
    return out


def array(value) -> np.ndarray:
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value, dtype=np.float64)


def data_of(fig: dict) -> list[np.ndarray]:
    return [array(trace.get("z", trace.get("y"))) for trace in fig["data"]]


def sentence(at: AppTest) -> str:
    return next(info.value for info in at.info if "the loss at" in info.value)


def query(at: AppTest, key: str) -> str:
    """The URL's value of `key` as the script last wrote it."""
    value = at.query_params[key]
    return value[-1] if isinstance(value, list) else value


def stored(at: AppTest):
    return at.session_state[state.VIEW_PREFIX + "intervene"] if (
        state.VIEW_PREFIX + "intervene") in at.session_state else None


@pytest.fixture(autouse=True)
def fresh_cache():
    st.cache_data.clear()
    yield


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_lab_runs_for_every_cell_with_both_runs_side_by_side(cell):
    at = open_lab({**SMALL, "cell": cell})
    no_exception(at)
    assert at.title[0].value == "Gate lab" and not at.error and not at.warning
    keys = figures(at)
    rows = ["memory", "a", "outputs", "loss", "flow"]
    assert sorted(keys) == sorted(f"rnnviz_lab_{row}_{run}" for row in rows
                                  for run in ("original", "intervened"))
    for row in rows:
        left, right = keys[f"rnnviz_lab_{row}_original"], keys[f"rnnviz_lab_{row}_intervened"]
        assert left["layout"]["title"]["text"].startswith("original")
        assert right["layout"]["title"]["text"].startswith("intervened")
        assert left["layout"]["yaxis"].get("range") == right["layout"]["yaxis"].get("range")
    assert len(at.selectbox(key=f"{PREFIX}target_0").options) == len(CELLS[cell].targets)
    assert lab.describe(lab.default_change(CELLS[cell], 10)) in sentence(at)


def test_moving_the_value_changes_the_intervened_run_and_never_the_original():
    at = open_lab({**SMALL, "cell": "lstm", "intervene": "f:0:4-10"})
    before = figures(at)
    at.slider(key=f"{PREFIX}value_0").set_value(0.5).run()
    no_exception(at)
    after = figures(at)
    assert stored(at) == (Intervention("f", 0.5, steps=range(4, 11)),)
    for row in ("memory", "a", "outputs", "loss", "flow"):
        old, new = (data_of(figs[f"rnnviz_lab_{row}_original"]) for figs in (before, after))
        assert all(np.array_equal(o, n, equal_nan=True) for o, n in zip(old, new, strict=True))
    for row in ("memory", "a", "loss"):
        old, new = (data_of(figs[f"rnnviz_lab_{row}_intervened"]) for figs in (before, after))
        assert not all(np.array_equal(o, n, equal_nan=True)
                       for o, n in zip(old, new, strict=True)), row
    assert query(at, "intervene") == "f:0.5:4-10"


def test_the_sentence_carries_the_engines_numbers():
    at = open_lab({**SMALL, "cell": "lstm", "intervene": "f:0:4-10", "where": "all"})
    text = sentence(at)
    config = at.session_state[state.CONFIG_KEY]
    setup = build(config)
    change = Intervention("f", 0.0, steps=range(4, 11))
    loss = Loss(setup.loss.kind, "all")
    old = backward(setup.params, forward(setup.params, setup.x, setup.a0), setup.targets, loss)
    new = backward(setup.params, forward(setup.params, setup.x, setup.a0,
                                         interventions=[change]), setup.targets, loss)
    assert text.startswith(f"With {lab.describe(change)}, the cell keeps nothing of c⟨t−1⟩")
    assert "the largest difference is 0)" in text
    assert f"the loss at every step rises from {lab.number(old.loss)} to " \
           f"{lab.number(new.loss)}" in text or \
           f"falls from {lab.number(old.loss)} to {lab.number(new.loss)}" in text
    flows = [np.linalg.norm(back.dA[:, :, 0]) for back in (old, new)]
    assert f"from {lab.number(flows[0])} to {lab.number(flows[1])}." in text


def test_under_the_gradient_charts_a_line_reads_the_log_axis_with_what_reaches_t_1():
    at = open_lab({**SMALL, "cell": "lstm", "intervene": "f:0:4-10", "where": "all"})
    no_exception(at)
    setup = build(at.session_state[state.CONFIG_KEY])
    loss = Loss(setup.loss.kind, "all")
    flows = [np.linalg.norm(backward(setup.params, forward(setup.params, setup.x, setup.a0,
                                                           interventions=changes),
                                     setup.targets, loss).dA[:, :, 0])
             for changes in ([], [Intervention("f", 0.0, steps=range(4, 11))])]
    decades = figures(at)["rnnviz_lab_flow_intervened"]["layout"]["yaxis"]["dtick"]
    line = line_under(at, "intervened: gradient back in time")
    assert line.startswith(f"Each gridline is {['ten', 'a hundred'][decades - 1]} times the one "
                           "below, on both charts alike: ‖∂L/∂a⟨1⟩‖ is "
                           f"{lab.number(flows[0])} in the original and "
                           f"{lab.number(flows[1])} intervened")


def test_where_a_state_set_cuts_the_gradient_the_line_says_it_is_not_drawn():
    # a⟨2⟩ set at every step from 2: the loss at the last step no longer reaches a⟨1⟩
    at = open_lab({**SMALL, "cell": "rnn", "intervene": "a:0:2-10", "where": "last"})
    no_exception(at)
    line = line_under(at, "intervened: gradient back in time")
    assert "in the original and 0 intervened; the intervened line has no point at t = 1" in line


def test_a_link_restores_the_interventions_and_the_url_follows_the_controls():
    link = {**SMALL, "cell": "lstm", "intervene": "f:0:4-10;c:1.5:2:0,3", "units": "1,2",
            "example": "2"}
    at = open_lab(link)
    no_exception(at)
    assert not at.warning
    assert stored(at) == (Intervention("f", 0.0, steps=range(4, 11)),
                          Intervention("c", 1.5, units=(0, 3), steps=(2,)))
    assert at.selectbox(key=f"{PREFIX}target_1").value == "c"
    assert at.slider(key=f"{PREFIX}steps_0").value == (4, 10)
    assert at.multiselect(key=f"{PREFIX}units_1").value == [0, 3]
    assert {k: query(at, k) for k in ("intervene", "units", "example")} == {
        k: link[k] for k in ("intervene", "units", "example")}
    at.slider(key=f"{PREFIX}steps_1").set_value((2, 5)).run()
    at.multiselect(key=f"{PREFIX}units_0").set_value([4]).run()
    no_exception(at)
    assert query(at, "intervene") == "f:0:4-10:4;c:1.5:2-5:0,3"
    again = open_lab({**link, "intervene": query(at, "intervene")})
    assert stored(again) == stored(at)


def test_interventions_are_added_up_to_the_limit_and_removed_down_to_one():
    at = open_lab({**SMALL, "cell": "gru"})
    assert at.button(key=f"{PREFIX}remove_0").disabled
    for k in range(1, MAX_INTERVENTIONS):
        at.button(key=f"{PREFIX}add").click().run()
        no_exception(at)
        assert len(stored(at)) == k + 1
    assert at.button(key=f"{PREFIX}add").disabled
    at.selectbox(key=f"{PREFIX}target_2").set_value("r").run()
    at.button(key=f"{PREFIX}remove_0").click().run()
    no_exception(at)
    assert len(stored(at)) == MAX_INTERVENTIONS - 1 and stored(at)[1].target == "r"
    assert "r = 1" in sentence(at)  # u = 1's value kept, r's range holds it


@pytest.mark.parametrize("value, words", [
    ("f:0:1-5:999", "its units must be between 0 and 4"),
    ("f:0:0-5", "its steps must be between 1 and 10"),
    ("f:7:1-5", "the gate f can only be clamped to a value from 0 to 1"),
    ("<script>alert(1)</script>", "must be target:value:steps"),
    (";".join(["f:0:1"] * (MAX_INTERVENTIONS + 1)), f"at most {MAX_INTERVENTIONS} apply at once"),
    ("o:0:1-3", "the GRU has no gate or state 'o'"),
])
def test_a_hostile_link_is_a_warning_and_loses_nothing_else(value, words):
    link = {**SMALL, "cell": "gru" if value.startswith("o") else "lstm", "units": "1,2",
            "intervene": value, "where": "all"}
    at = open_lab(link)
    no_exception(at)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and warnings[0].startswith("intervene=") and words in \
        warnings[0].replace("\\", "")
    assert at.session_state[state.CONFIG_KEY].n_a == 5
    assert at.multiselect(key=state.WIDGET_PREFIX + "units").value == [1, 2]
    assert at.radio(key=state.WIDGET_PREFIX + "where").value == "all"
    assert stored(at) is None and len(figures(at)) == 10


def test_switching_to_a_cell_without_the_target_says_what_is_left_out():
    at = open_lab({**SMALL, "cell": "lstm", "intervene": "c:1:2-3;f:0:5"})
    at.radio(key=state.WIDGET_PREFIX + "cell").set_value("gru").run()
    no_exception(at)
    notes = [w.value.replace("\\", "") for w in at.warning]
    assert any(n.startswith("c = 1 at t = 2 … 3 on every unit is left out: the GRU has no")
               for n in notes)
    assert any("Nothing was left to change" in n for n in notes)
    assert "u = 1" in sentence(at)  # the GRU's default


def test_a_training_snapshot_is_compared_with_itself_intervened():
    config = Config(cell="gru", n_x=3, n_a=4, n_y=3, m=3, T_x=6, seed=2, input="gaussian")
    trained = build(config).params.map(lambda w: 0.5 * w)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in {**config.to_query(), "intervene": "u:0:2-6"}.items():
        at.query_params[key] = value
    at.session_state[training.SNAPSHOT_KEY] = training.OpenSnapshot(
        config=config, params=trained.as_dict(), step=30, run_label="GRU · Adam")
    at.switch_page(LAB).run()
    no_exception(at)
    assert any("trained to step 30" in info.value for info in at.info)
    setup = build(config)
    loss = Loss(setup.loss.kind, "last")
    new = backward(trained, forward(trained, setup.x, setup.a0, interventions=[
        Intervention("u", 0.0, steps=range(2, 7))]), setup.targets, loss)
    assert f"to {lab.number(new.loss)}" in sentence(at)
    at.button(key="rnnviz_close_snapshot").click().run()
    assert not any("trained to step" in info.value for info in at.info)
    initial = backward(setup.params, forward(setup.params, setup.x, setup.a0, interventions=[
        Intervention("u", 0.0, steps=range(2, 7))]), setup.targets, loss)
    assert f"to {lab.number(initial.loss)}" in sentence(at)


def test_a_new_intervention_reruns_only_the_intervened_network(monkeypatch):
    calls = []
    original_run = lab.run

    def counted(setup, changes, where, example):
        calls.append(changes)
        return original_run(setup, changes, where, example)

    monkeypatch.setattr(lab, "run", counted)
    at = open_lab({**SMALL, "cell": "lstm", "intervene": "f:0:4-10"})
    assert sorted(map(len, calls)) == [0, 1]  # the network as it is, and intervened
    calls.clear()
    at.slider(key=f"{PREFIX}value_0").set_value(0.25).run()
    no_exception(at)
    assert calls == [(Intervention("f", 0.25, steps=range(4, 11)),)]


def test_a_link_can_hide_the_editor_and_the_page_lists_what_it_applies():
    at = open_lab({**SMALL, "cell": "lstm", "intervene": "o:0:3-5:1", "hide": "intervene"})
    no_exception(at)
    assert not [box for box in at.selectbox if (box.key or "").startswith(PREFIX)]
    assert any("- o = 0 at t = 3 … 5 on unit 1" in m.value for m in at.markdown)
    assert sentence(at).startswith("With o = 0 at t = 3 … 5 on unit 1, the cell shows nothing")
