"""A ready-trained network opened from the sidebar in headless Chromium: on Gates it shows
the snapshot's banner and draws the network's gates."""

import re

from playwright.sync_api import expect

from rnnviz.training.bundled import NETWORKS

CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'


def test_opening_the_copy_lstm_on_gates_shows_the_banner_and_draws_its_gates(
        goto_app, expect_rerun, assert_no_exception):
    page = goto_app("/Gates_and_cell_state")
    sidebar = page.get_by_test_id("stSidebar")
    menu = sidebar.get_by_test_id("stSelectbox").filter(has_text="Ready-trained networks")
    menu.click()
    with expect_rerun(page):
        page.get_by_role("option", name=NETWORKS["copy-lstm"].title).click()
    expect(sidebar.get_by_role("combobox", name="Ready-trained networks")) \
        .to_have_value(NETWORKS["copy-lstm"].title)
    with expect_rerun(page, whole_page=True):
        sidebar.get_by_role("button", name="Open this network").click()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(re.compile(r"Showing the ready-trained LSTM recalling a symbol "
                                       r"after 20 steps, as trained to step 1,500"))) \
        .to_be_visible()
    expect(main.get_by_role("button", name="Back to the initial weights")).to_be_visible()
    # the forget gate's heatmap, now over the copy task's 32 units and 21 steps
    forget = page.locator(CHART).filter(
        has=page.locator(".gtitle", has_text=re.compile(r"^forget gate f⟨t⟩")))
    expect(forget).to_have_count(1)
    expect(forget.locator(".heatmaplayer image")).to_have_count(1)
    expect(forget.locator(".xtick text").last).to_have_text(re.compile(r"^2\d$"))
    assert re.search(r"network=copy-lstm", page.url)
    assert_no_exception(page)
