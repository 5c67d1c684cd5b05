"""The home, step-through and gates pages in headless Chromium against `streamlit run app.py`."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
MAIN = '[data-testid="stMain"]'


def chart_titles(page) -> list[str]:
    return page.locator(f"{CHART} .gtitle").all_text_contents()


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_home_page_shows_equations_shapes_and_the_notebook_values(goto_app):
    page = goto_app("/")
    main = page.locator(MAIN)
    title = main.get_by_role("heading", name=re.compile("inside a recurrent network"))
    expect(title).to_be_visible()
    expect(main.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    expect(main.get_by_text("-0.99999375", exact=False)).to_be_visible()
    expect(main.get_by_text(re.compile(r"concat\[na:, :\] = nx"))).to_be_visible()
    assert main.locator(".katex").count() >= 8  # the RNN and LSTM equations


@pytest.mark.parametrize("path, charts", [("/Step_through", 3), ("/Gates_and_cell_state", 7)])
def test_page_loads_with_its_charts(goto_app, assert_no_exception, path, charts):
    page = goto_app(path)
    expect(page.locator(CHART)).to_have_count(charts)
    assert all(title for title in chart_titles(page))
    assert_no_exception(page)


def test_moving_the_timestep_changes_the_charts(goto_app, expect_rerun, assert_no_exception):
    page = goto_app("/Step_through?T_x=6")
    expect(page.locator(CHART)).to_have_count(3)
    expect(page.locator(f"{CHART} .gtitle").first).to_contain_text("t = 1")
    marker_before = page.locator(f"{CHART} >> nth=1").locator(".shapelayer path").first
    before = marker_before.get_attribute("d")
    thumb = page.get_by_role("slider")
    thumb.focus()
    with expect_rerun(page):
        thumb.press("ArrowRight")
    expect(page.locator(f"{CHART} .gtitle").first).to_contain_text("t = 2")
    after = page.locator(f"{CHART} >> nth=1").locator(".shapelayer path").first.get_attribute("d")
    assert after != before  # the frame on the heatmap moved to the new column
    with expect_rerun(page):
        page.locator(".st-key-rnnviz_step_forward").get_by_role("button").click()
    expect(page.locator(f"{CHART} .gtitle").first).to_contain_text("t = 3")
    assert_no_exception(page)


def test_every_press_of_the_step_buttons_counts(goto_app, wait_for_app):
    page = goto_app("/Step_through?T_x=40")
    title = page.locator(f"{CHART} .gtitle").first
    expect(title).to_contain_text("t = 1:")
    forward = page.locator(".st-key-rnnviz_step_forward").get_by_role("button")
    back = page.locator(".st-key-rnnviz_step_back").get_by_role("button")
    for _ in range(10):  # 60 ms apart: faster than the server reruns
        forward.click()
        page.wait_for_timeout(60)
    expect(title).to_contain_text("t = 11:")
    for _ in range(3):
        back.click()
        page.wait_for_timeout(60)
    expect(title).to_contain_text("t = 8:")
    wait_for_app(page)
    assert "t = 8:" in chart_titles(page)[0]


def test_play_advances_time_and_pause_stops_it(goto_app, expect_rerun, wait_for_app):
    page = goto_app("/Step_through?T_x=40")
    with expect_rerun(page):
        page.locator(".st-key-rnnviz_play").get_by_role("button").click()
    expect(page.locator(f"{CHART} .gtitle").first).to_contain_text(
        re.compile(r"t = ([3-9]|\d\d)\b"), timeout=15_000)
    with expect_rerun(page):
        page.locator(".st-key-rnnviz_play").get_by_role("button").click()
    wait_for_app(page)
    stopped = chart_titles(page)[0]
    page.wait_for_timeout(2500)
    assert chart_titles(page)[0] == stopped


def test_a_shared_link_opens_the_same_view(goto_app, expect_rerun, wait_for_app):
    link = "/Step_through?cell=rnn&n_a=7&T_x=9&seed=3&input=gaussian"
    page = goto_app(link)
    expect(page.locator(f"{CHART} .gtitle").first).to_contain_text("RNN cell at t = 1")
    sidebar = page.locator('[data-testid="stSidebar"]')
    for label, value in (("n_a (hidden units)", "7"), ("T_x (timesteps)", "9"), ("seed", "3")):
        expect(sidebar.get_by_role("spinbutton", name=label, exact=True)).to_have_value(value)
    assert query_of(page) == {"cell": ["rnn"], "n_a": ["7"], "T_x": ["9"], "seed": ["3"],
                              "input": ["gaussian"]}
    heatmap_rows = page.locator(f"{CHART} >> nth=1").locator(".yaxislayer-above g.ytick")
    expect(heatmap_rows).to_have_count(7)
    # Moving to another page keeps the configuration (and the URL follows it).
    with expect_rerun(page):
        sidebar.get_by_role("link", name="Gates and cell state").click()
    wait_for_app(page)
    expect(page.locator(MAIN).get_by_text(re.compile("RNN has no gates"))).to_be_visible()
    assert query_of(page)["n_a"] == ["7"]


def test_a_hostile_link_shows_a_warning_not_an_exception(goto_app):
    page = goto_app("/Step_through?n_a=-1&cell=%3Cscript%3Ealert(1)%3C/script%3E&T_x=abc")
    alerts = page.locator('[data-testid="stAlert"]')
    expect(alerts).to_have_count(3)
    expect(alerts.first).to_contain_text("was ignored")
    expect(page.locator(CHART)).to_have_count(3)
    assert "cell" not in query_of(page)
