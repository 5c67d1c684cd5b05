"""Two students on one server: two browser contexts side by side on the same `streamlit run
app.py`, with different sidebar settings and a training run in one of them. Neither sees
the other's configuration or runs (per-session state lives in st.session_state only)."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from student_steps import go_to, set_sidebar_number, sidebar_number, train_short_run

CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'
LONG_MS = 300_000  # a training run on a busy machine; bounds a hang only


def test_two_sessions_keep_their_own_settings_and_training_runs(
        goto_app, app_server, new_page, open_app, expect_rerun, expect_query,
        assert_no_exception):
    alice = goto_app("/Step_through?cell=rnn&n_a=7&T_x=9&seed=3&input=gaussian")
    bob = new_page()  # a second browser context: another student, own cookies and websocket
    open_app(bob, app_server + "/Step_through?cell=lstm&n_a=4&T_x=6")
    expect(alice.locator(f"{CHART} .gtitle").first).to_contain_text("RNN cell at t = 1")
    expect(bob.locator(f"{CHART} .gtitle").first).to_contain_text("LSTM cell at t = 1")

    # Alice changes n_a in her sidebar; Bob trains a short run on the training page.
    set_sidebar_number(alice, "n_a (hidden units)", 11, expect_rerun)
    go_to(bob, "Training", expect_rerun)
    train_short_run(bob, expect_rerun, LONG_MS)
    expect(bob.get_by_text("Runs in this session")).to_be_visible()
    bob_table = bob.locator('[data-testid="stDataFrame"]').first
    expect(bob_table).to_be_visible()

    # Alice's training page has no runs; her settings are still hers after these reruns.
    go_to(alice, "Training", expect_rerun)
    expect(alice.get_by_text("No runs yet", exact=False)).to_be_visible()
    expect(alice.get_by_text("Runs in this session")).to_have_count(0)
    expect(alice.get_by_role("button", name="Continue")).to_be_disabled()
    go_to(alice, "Step through", expect_rerun)
    expect(alice.locator(f"{CHART} .gtitle").first).to_contain_text("RNN cell")
    expect(sidebar_number(alice, "n_a (hidden units)")).to_have_value("11")
    expect(sidebar_number(alice, "T_x (timesteps)")).to_have_value("9")
    # her 11 units: the heatmap's rows run to unit 10 (labelled by integers as many as fit)
    heatmap_rows = alice.locator(f"{CHART} >> nth=1").locator(".yaxislayer-above g.ytick text")
    expect(heatmap_rows.filter(has_text=re.compile(r"^10$"))).to_have_count(1)
    expect_query(alice, {"cell": "rnn", "n_a": "11", "T_x": "9", "seed": "3",
                         "input": "gaussian"})

    # Bob's sidebar is Bob's own, and his run is still there after a round trip.
    go_to(bob, "Step through", expect_rerun)
    expect(bob.locator(f"{CHART} .gtitle").first).to_contain_text("LSTM cell")
    expect(sidebar_number(bob, "n_a (hidden units)")).to_have_value("4")
    expect(sidebar_number(bob, "T_x (timesteps)")).to_have_value("6")
    expect_query(bob, {"n_a": "4", "T_x": "6"})
    go_to(bob, "Training", expect_rerun)
    expect(bob.get_by_text("Runs in this session")).to_be_visible()
    expect(bob.get_by_text(re.compile(r"LSTM · chars · n_a=4")).first).to_be_visible()
    assert_no_exception(alice)
    assert_no_exception(bob)
