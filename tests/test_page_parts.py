"""AppTest: the parts of a page (rnnviz.ui.page.part) rerun alone. A control inside one of
the Memory map's parts or inside the Training page's snapshots redraws that part from its
new value, computes none of the page's expensive charts, and keeps the URL in step; a change
that lands in another fragment's run still redraws its own part; a button inside a part that
opens another page still opens it.

AppTest reruns the whole page on every run; `run_in_part` makes a run a run of one fragment
alone, as the browser asks for when a widget inside a fragment changes."""

from __future__ import annotations

import dataclasses
from unittest import mock

import numpy as np
import pytest
from apptest_charts import array, figures
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequests
from streamlit.testing.v1 import AppTest, app_test
from streamlit.testing.v1.local_script_runner import LocalScriptRunner
from test_pages_memory_views import (
    MEMORY,
    SCRUB_SLIDER,
    SNAP_SLIDER,
    assert_spectrum_of,
    memory_page,
    trained_run,
    training_page_with,
)

from rnnviz.app import contents
from rnnviz.ui import memory, state
from rnnviz.ui import training as tr

TIMEOUT = 60
UNIT, STATES, SCRUB = "rnnviz_mem_part_unit", "rnnviz_mem_part_states", "rnnviz_mem_part_scrub"
SNAPSHOTS = "rnnviz_tr_part_snapshots"


def run_in_part(at: AppTest, key: str) -> AppTest:
    """Run `at` as the browser runs the part `key` when a widget inside it changed: that
    fragment alone, with every widget's value (the ones set since the last run changed)."""
    return run_fragment(at, at._fragment_storage.resolve_target(key)[0])


def run_in_poll(at: AppTest) -> AppTest:
    """Run `at` as the browser runs the Training page's poll (its one fragment without a
    key), with every widget's value."""
    storage = at._fragment_storage
    unnamed = [f for f in storage._fragments if f not in storage._target_key_by_id]
    assert len(unnamed) == 1
    return run_fragment(at, unnamed[0])


def run_fragment(at: AppTest, fragment: str) -> AppTest:
    """Run `at` as a run of the fragment `fragment` alone (AppTest keeps the fragments
    between runs)."""

    class FragmentRunner(LocalScriptRunner):
        def request_rerun(self, rerun_data):
            self._requests = ScriptRequests()   # not the whole run a new runner has pending
            return super().request_rerun(dataclasses.replace(rerun_data, fragment_id=fragment))

    with mock.patch.object(app_test, "LocalScriptRunner", FragmentRunner):
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def counted(monkeypatch) -> dict[str, int]:
    """{name: calls} of the Memory map's expensive computations, counted from now on."""
    calls = {}

    def counting(name: str, compute):
        def counted_call(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return compute(*args, **kwargs)
        return counted_call

    for name in ("saliency", "spectra", "state_space"):
        monkeypatch.setattr(memory, name, counting(name, getattr(memory, name)))
    return calls


def cobweb_curve(at: AppTest) -> np.ndarray:
    return array(figures(at)["The map a⟨t−1⟩ → a⟨t⟩"]["data"][1]["y"])


def curve_at(w: float) -> np.ndarray:
    """The one-unit map tanh(w a + v x + b) over the cobweb's grid, the other sliders at
    their defaults."""
    v, x, b = (state.view_field(name, contents.MEMORY).default for name in ("v", "x", "b"))
    return np.tanh(w * np.linspace(-1.0, 1.0, memory.CURVE_POINTS) + v * x + b)


def test_moving_w_reruns_one_unit_alone_its_cobweb_follows_and_the_url_too(counted):
    at = memory_page({"T_x": "9"})
    assert counted["saliency"] == 3 and counted["spectra"] == counted["state_space"] == 1
    at.slider(key=state.widget_key("w", contents.MEMORY)).set_value(2.5)
    run_in_part(at, UNIT)
    assert counted == {"saliency": 3, "spectra": 1, "state_space": 1}   # nothing recomputed
    assert set(figures(at)) == {"The map a⟨t−1⟩ → a⟨t⟩", "What a⟨T⟩ hands back to a⟨1⟩"}
    np.testing.assert_allclose(cobweb_curve(at), curve_at(2.5))
    assert any("|w| = 2.5 ≥ 1" in m.value for m in at.markdown)
    assert at.query_params["w"] == "2.5" and at.query_params["T_x"] == "9"


def test_the_states_radio_redraws_its_part_alone_in_space_and_the_url_follows(counted):
    at = memory_page({"cell": "gru", "input": "gaussian", "n_a": "4", "T_x": "6"})
    assert {t["type"] for t in figures(at)["How the state moves"]["data"]} == {"scatter"}
    at.radio(key=state.widget_key("pcs", contents.MEMORY)).set_value("3")
    run_in_part(at, STATES)
    assert counted == {"saliency": 3, "spectra": 1, "state_space": 2}   # the part's own only
    assert set(figures(at)) == {"How the state moves"}
    assert {t["type"] for t in figures(at)["How the state moves"]["data"]} == {"scatter3d"}
    assert at.query_params["pcs"] == "3"


def test_a_change_that_lands_in_another_fragments_run_redraws_its_own_part(counted):
    at = memory_page({})
    at.slider(key=state.widget_key("w", contents.MEMORY)).set_value(-1.5)
    run_in_part(at, STATES)   # as when it comes with the Training page's poll
    assert counted["state_space"] == 1   # that run gave way to the part of the slider
    assert set(figures(at)) == {"The map a⟨t−1⟩ → a⟨t⟩", "What a⟨T⟩ hands back to a⟨1⟩"}
    np.testing.assert_allclose(cobweb_curve(at), curve_at(-1.5))
    assert at.query_params["w"] == "-1.5"


def test_follow_change_is_whole_page_outside_a_part_and_reruns_the_part_inside():
    def script():
        import streamlit as st

        from rnnviz.app.contents import MEMORY
        from rnnviz.ui import page, state

        page.setup(MEMORY)

        def draw():
            st.session_state["inside"] = (state.DRAWING_PART.get(), state.follow_change())

        page.part(draw, key="a_part")
        st.session_state["after"] = (state.DRAWING_PART.get(), state.follow_change())

    at = AppTest.from_function(script, default_timeout=TIMEOUT)
    at.query_params["hide"] = "sidebar"   # its links need the app's pages
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    part, follow = at.session_state["inside"]
    assert part == "a_part"
    assert (follow.func, follow.args) == (state._rerun_part, ("a_part",))
    assert at.session_state["after"] == (None, state.whole_page)
    assert state.follow_change() is state.whole_page   # outside every script run


def test_the_training_snapshot_slider_reruns_its_part_alone(monkeypatch):
    run = trained_run("gru")
    at = training_page_with(run)
    collected = []
    monkeypatch.setattr(tr, "collect", lambda: collected.append(1) or [])
    at.select_slider(key=SNAP_SLIDER).set_value(2)
    run_in_part(at, SNAPSHOTS)
    assert not collected   # the page above the part, its poll too, did not run
    assert_spectrum_of(at, run, 2)
    assert not any(t.startswith("Loss") for t in figures(at))


def test_a_snapshot_step_that_lands_in_the_poll_still_redraws_the_snapshots(monkeypatch):
    run = trained_run("rnn")
    at = training_page_with(run)
    at.select_slider(key=SNAP_SLIDER).set_value(4)
    run_in_poll(at)
    assert_spectrum_of(at, run, 4)
    assert not any(t.startswith("Loss") for t in figures(at))   # the poll gave way to it


def test_opening_a_snapshot_from_inside_the_part_opens_the_other_page():
    run = trained_run("lstm")
    at = training_page_with(run)
    at.select_slider(key=SNAP_SLIDER).set_value(4)
    run_in_part(at, SNAPSHOTS)
    at.button(key="rnnviz_tr_open_Memory map").click()
    run_in_part(at, SNAPSHOTS)
    assert any("trained to step 4" in i.value for i in at.info)   # the Memory map page
    assert_spectrum_of(at, run, 4)
    at.switch_page(MEMORY)   # AppTest reruns the page it was told, not the one switched to
    at.select_slider(key=SCRUB_SLIDER).set_value(0)
    run_in_part(at, SCRUB)
    assert set(figures(at)) == {"λ at step 0", "Spectral radius over training"}
    assert_spectrum_of(at, run, 0)
    assert at.select_slider(key=SCRUB_SLIDER).value == 0
