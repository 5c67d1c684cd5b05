"""Two students on one server: two browser contexts side by side on the same `streamlit run
app.py`, with different sidebar settings and a training run in one of them. Neither sees
the other's configuration or runs (per-session state lives in st.session_state only)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'
SIDEBAR = '[data-testid="stSidebar"]'
LONG_MS = 300_000  # a training run on a busy machine; bounds a hang only


def _sidebar_number(page, label: str):
    return page.locator(SIDEBAR).get_by_role("spinbutton", name=label, exact=True)


def _go_to(page, link: str, expect_rerun) -> None:
    """Move to another page through the sidebar (same session; a reload would start anew)."""
    with expect_rerun(page, whole_page=True):
        page.locator(SIDEBAR).get_by_role("link", name=link).click()


def test_two_sessions_keep_their_own_settings_and_training_runs(
        goto_app, app_server, new_page, open_app, expect_rerun, expect_query,
        assert_no_exception):
    alice = goto_app("/Step_through?cell=rnn&n_a=7&T_x=9&seed=3&input=gaussian")
    bob = new_page()  # a second browser context: another student, own cookies and websocket
    open_app(bob, app_server + "/Step_through?cell=lstm&n_a=4&T_x=6")
    expect(alice.locator(f"{CHART} .gtitle").first).to_contain_text("RNN cell at t = 1")
    expect(bob.locator(f"{CHART} .gtitle").first).to_contain_text("LSTM cell at t = 1")

    # Alice changes n_a in her sidebar; Bob trains a short run on the training page.
    box = _sidebar_number(alice, "n_a (hidden units)")
    with expect_rerun(alice, whole_page=True):
        box.fill("11")
        box.press("Enter")
    _go_to(bob, "Training", expect_rerun)
    form = bob.get_by_test_id("stForm")
    for label, value in (("n_a (hidden units)", 4), ("m (batch size)", 4),
                         ("steps (at most 20,000)", 20)):
        form.get_by_label(label, exact=True).fill(str(value))
        form.get_by_label(label, exact=True).press("Tab")
    # Train runs the page while it trains, then reruns it (st.rerun) to show the finished
    # runs: that second run of the whole page is the one to wait for.
    with expect_rerun(bob, timeout_ms=LONG_MS, whole_page=True):
        bob.get_by_role("button", name="Train", exact=True).click()
    expect(bob.get_by_text("Runs in this session")).to_be_visible()
    bob_table = bob.locator('[data-testid="stDataFrame"]').first
    expect(bob_table).to_be_visible()

    # Alice's training page has no runs; her settings are still hers after these reruns.
    _go_to(alice, "Training", expect_rerun)
    expect(alice.get_by_text("No runs yet", exact=False)).to_be_visible()
    expect(alice.get_by_text("Runs in this session")).to_have_count(0)
    expect(alice.get_by_role("button", name="Continue")).to_be_disabled()
    _go_to(alice, "Step through", expect_rerun)
    expect(alice.locator(f"{CHART} .gtitle").first).to_contain_text("RNN cell")
    expect(_sidebar_number(alice, "n_a (hidden units)")).to_have_value("11")
    expect(_sidebar_number(alice, "T_x (timesteps)")).to_have_value("9")
    # her 11 units: the heatmap's rows run to unit 10 (labelled by integers as many as fit)
    heatmap_rows = alice.locator(f"{CHART} >> nth=1").locator(".yaxislayer-above g.ytick text")
    expect(heatmap_rows.filter(has_text=re.compile(r"^10$"))).to_have_count(1)
    expect_query(alice, {"cell": "rnn", "n_a": "11", "T_x": "9", "seed": "3",
                         "input": "gaussian"})

    # Bob's sidebar is Bob's own, and his run is still there after a round trip.
    _go_to(bob, "Step through", expect_rerun)
    expect(bob.locator(f"{CHART} .gtitle").first).to_contain_text("LSTM cell")
    expect(_sidebar_number(bob, "n_a (hidden units)")).to_have_value("4")
    expect(_sidebar_number(bob, "T_x (timesteps)")).to_have_value("6")
    expect_query(bob, {"n_a": "4", "T_x": "6"})
    _go_to(bob, "Training", expect_rerun)
    expect(bob.get_by_text("Runs in this session")).to_be_visible()
    expect(bob.get_by_text(re.compile(r"LSTM · chars · n_a=4")).first).to_be_visible()
    assert_no_exception(alice)
    assert_no_exception(bob)
