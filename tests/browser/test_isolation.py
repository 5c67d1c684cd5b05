"""Two students on one server: two browser contexts side by side on the same `streamlit run
app.py`, with different sidebar settings and a training run in one of them. Neither sees
the other's configuration or runs (per-session state lives in st.session_state only)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
SIDEBAR = '[data-testid="stSidebar"]'
LONG_MS = 60_000


@pytest.fixture
def other_page(browser, expect_rerun):
    """A second browser context (another student, own cookies and websocket), its script
    runs counted like the `page` fixture's."""
    # conftest.py is not importable under --import-mode=importlib; track_runs sits in its
    # module, beside the function (unwrapped from @contextmanager) expect_rerun returns.
    track_runs = expect_rerun.__wrapped__.__globals__["track_runs"]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    track_runs(pg)
    try:
        yield pg
    finally:
        context.close()


def _sidebar_number(page, label: str):
    return page.locator(SIDEBAR).get_by_role("spinbutton", name=label, exact=True)


def _go_to(page, link: str, expect_rerun) -> None:
    """Move to another page through the sidebar (same session; a reload would start anew)."""
    with expect_rerun(page):
        page.locator(SIDEBAR).get_by_role("link", name=link).click()


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_two_sessions_keep_their_own_settings_and_training_runs(
        goto_app, app_server, other_page, expect_rerun, assert_no_exception):
    alice = goto_app("/Step_through?cell=rnn&n_a=7&T_x=9&seed=3&input=gaussian")
    bob = other_page
    with expect_rerun(bob):
        bob.goto(app_server + "/Step_through?cell=lstm&n_a=4&T_x=6")
    expect(alice.locator(f"{CHART} .gtitle").first).to_contain_text("RNN cell at t = 1")
    expect(bob.locator(f"{CHART} .gtitle").first).to_contain_text("LSTM cell at t = 1")

    # Alice changes n_a in her sidebar; Bob trains a short run on the training page.
    box = _sidebar_number(alice, "n_a (hidden units)")
    with expect_rerun(alice):
        box.fill("11")
        box.press("Enter")
    _go_to(bob, "Training", expect_rerun)
    form = bob.get_by_test_id("stForm")
    for label, value in (("n_a (hidden units)", 4), ("m (batch size)", 4),
                         ("steps (at most 20,000)", 20)):
        form.get_by_label(label, exact=True).fill(str(value))
        form.get_by_label(label, exact=True).press("Tab")
    bob.get_by_role("button", name="Train", exact=True).click()
    expect(bob.get_by_text("Runs in this session")).to_be_visible(timeout=LONG_MS)
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
    heatmap_rows = alice.locator(f"{CHART} >> nth=1").locator(".yaxislayer-above g.ytick")
    expect(heatmap_rows).to_have_count(11)
    assert _query(alice) == {"cell": ["rnn"], "n_a": ["11"], "T_x": ["9"], "seed": ["3"],
                             "input": ["gaussian"]}

    # Bob's sidebar is Bob's own, and his run is still there after a round trip.
    _go_to(bob, "Step through", expect_rerun)
    expect(bob.locator(f"{CHART} .gtitle").first).to_contain_text("LSTM cell")
    expect(_sidebar_number(bob, "n_a (hidden units)")).to_have_value("4")
    expect(_sidebar_number(bob, "T_x (timesteps)")).to_have_value("6")
    assert _query(bob) == {"n_a": ["4"], "T_x": ["6"]}
    _go_to(bob, "Training", expect_rerun)
    expect(bob.get_by_text("Runs in this session")).to_be_visible()
    expect(bob.get_by_text(re.compile(r"LSTM · chars · n_a=4")).first).to_be_visible()
    assert_no_exception(alice)
    assert_no_exception(bob)
