"""The home, step-through and gates pages in headless Chromium against `streamlit run app.py`."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from rnnviz.ui.player import FORWARD_KEY, PLAY_KEY

CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'
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
    expect(main.locator(".katex").nth(7)).to_be_attached()  # 8+: the RNN and LSTM equations


@pytest.mark.parametrize("path, charts", [("/Step_through", 3), ("/Gates_and_cell_state", 8)])
def test_page_loads_with_its_charts(goto_app, assert_no_exception, path, charts):
    page = goto_app(path)
    expect(page.locator(CHART)).to_have_count(charts)
    titles = page.locator(f"{CHART} .gtitle")
    expect(titles).to_have_count(charts)  # every chart drawn, each with a title
    expect(titles.filter(has_text=re.compile(r"\S"))).to_have_count(charts)
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
    # the frame on the heatmap moves to the new column (each chart redraws on its own)
    expect(marker_before).not_to_have_attribute("d", before)
    with expect_rerun(page):
        page.locator(f".st-key-{FORWARD_KEY}").get_by_role("button").click()
    expect(page.locator(f"{CHART} .gtitle").first).to_contain_text("t = 3")
    assert_no_exception(page)


def test_a_step_redraws_only_what_changed_in_each_chart(goto_app, expect_rerun):
    """The charts keep their plot and Plotly redraws only what a step changed: no chart is
    plotted anew (Plotly's plotly_beforeplot) and the cell diagram's arrows stay the same
    elements. Either costs the browser most of a frame of Play: a template in the figure,
    or a range Plotly widened to keep the diagram's scale, made every step a whole redraw."""
    page = goto_app("/Step_through?T_x=6")
    expect(page.locator(CHART)).to_have_count(3)
    title = page.locator(f"{CHART} .gtitle").first
    expect(title).to_contain_text("t = 1:")
    page.evaluate("""() => {
      window.rnnvizReplots = 0;
      for (const plot of document.querySelectorAll('[data-testid$="PlotlyChart"] .js-plotly-plot'))
        plot.on('plotly_beforeplot', () => { window.rnnvizReplots += 1; });
      window.rnnvizArrows = [...document.querySelectorAll(
        '[data-testid$="PlotlyChart"] .js-plotly-plot .annotation-arrow-g')];
    }""")
    assert page.evaluate("window.rnnvizArrows.length") > 5
    forward = page.locator(f".st-key-{FORWARD_KEY}").get_by_role("button")
    for t in (2, 3):
        with expect_rerun(page):
            forward.click()
        expect(title).to_contain_text(f"t = {t}:")
    assert page.evaluate("window.rnnvizReplots") == 0
    assert page.evaluate("window.rnnvizArrows.every((arrow) => arrow.isConnected)")


def test_every_press_of_the_step_buttons_counts(goto_app, wait_for_app, script_runs):
    page = goto_app("/Step_through?T_x=40")
    runs = script_runs(page)
    title = page.locator(f"{CHART} .gtitle").first
    expect(title).to_contain_text("t = 1:")
    forward = page.locator(".st-key-rnnviz_step_forward").get_by_role("button")
    back = page.locator(".st-key-rnnviz_step_back").get_by_role("button")
    for _ in range(10):  # 60 ms apart: faster than the server reruns
        forward.click()
        page.wait_for_timeout(60)
    try:
        expect(title).to_contain_text("t = 11:")
    except AssertionError as failed:  # say whether the browser or the server lost a press
        sent = [states.get("rnnviz_step_forward") for states in runs.sent_states]
        raise AssertionError(f"the presses the browser sent: {sent}") from failed
    for _ in range(3):
        back.click()
        page.wait_for_timeout(60)
    expect(title).to_contain_text("t = 8:")
    wait_for_app(page)
    assert "t = 8:" in chart_titles(page)[0]


def play_ticks(runs) -> int:
    """The frames of Play the browser has asked for so far."""
    return max((states.get(PLAY_KEY, {}).get("ticks", 0) for states in runs.sent_states),
               default=0)


def test_play_advances_time_and_pause_stops_it_at_once(goto_app, expect_rerun, script_runs,
                                                       wait_for_app):
    page = goto_app("/Step_through?T_x=40")
    play = page.locator(f".st-key-{PLAY_KEY}").get_by_role("button")
    title = page.locator(f"{CHART} .gtitle").first
    slider = page.get_by_role("slider")
    runs = script_runs(page)
    # Not `expect_rerun`: while playing, the browser asks for one rerun per frame, so the
    # page may never be idle; what Play did shows in the button and the titles.
    play.click()
    expect(play).to_contain_text("Pause")
    expect(title).to_contain_text(re.compile(r"t = ([3-9]|\d\d)\b"))

    play.click()  # Pause: the browser stops asking for frames at once
    expect(play).to_contain_text("Play")
    wait_for_app(page)
    # Every frame the server saw before Pause moved t by one (from t = 1); a frame still on
    # its way when Pause was clicked (at most one: the browser asks for the next only once
    # the last has been drawn) moves nothing, so t stays where the student paused it; none
    # is asked for after it.
    ticks = play_ticks(runs)
    assert 2 <= ticks < 39
    paused = int(slider.input_value())
    assert paused in (ticks, ticks + 1), (paused, ticks)
    # A step asked for now is run after every rerun the browser asked for before it, so
    # once it shows, whatever else the player still did has shown too.
    with expect_rerun(page):
        page.locator(f".st-key-{FORWARD_KEY}").get_by_role("button").click()
    expect(slider).to_have_value(str(paused + 1))
    expect(title).to_contain_text(f"t = {paused + 1}:")
    wait_for_app(page)
    assert slider.input_value() == str(paused + 1) and play_ticks(runs) == ticks
    expect(play).to_contain_text("Play")


def test_play_runs_to_the_last_step_one_frame_at_a_time_and_stops(goto_app, script_runs,
                                                                  wait_for_app):
    page = goto_app("/Step_through?T_x=6")
    play = page.locator(f".st-key-{PLAY_KEY}").get_by_role("button")
    title = page.locator(f"{CHART} .gtitle").first
    runs = script_runs(page)
    page.evaluate("""() => {
      window.rnnvizTitles = [];
      const seen = () => {
        const title = document.querySelector('[data-testid$="PlotlyChart"] .gtitle');
        const text = title ? title.textContent : '';
        if (text !== window.rnnvizTitles.at(-1)) window.rnnvizTitles.push(text);
      };
      new MutationObserver(seen).observe(document.body, {subtree: true, childList: true,
                                                          characterData: true});
    }""")
    play.click()
    expect(title).to_contain_text("t = 6:")
    expect(play).to_contain_text("Play")  # it stopped by itself
    wait_for_app(page)
    drawn = [int(m.group(1)) for text in page.evaluate("window.rnnvizTitles")
             if (m := re.search(r"t = (\d+):", text))]
    drawn = [t for k, t in enumerate(drawn) if t > 1 and (k == 0 or drawn[k - 1] != t)]
    assert drawn == [2, 3, 4, 5, 6], drawn  # every step drawn, none skipped
    assert play_ticks(runs) == 5  # one frame asked for per step, none after the last
    # Play again at the last step starts from the first
    play.click()
    expect(title).to_contain_text(re.compile(r"t = [1-5]:"))


def test_a_shared_link_opens_the_same_view(goto_app, expect_rerun, expect_query):
    link = "/Step_through?cell=rnn&n_a=7&T_x=9&seed=3&input=gaussian"
    page = goto_app(link)
    expect(page.locator(f"{CHART} .gtitle").first).to_contain_text("RNN cell at t = 1")
    sidebar = page.locator('[data-testid="stSidebar"]')
    for label, value in (("n_a (hidden units)", "7"), ("T_x (timesteps)", "9"), ("seed", "3")):
        expect(sidebar.get_by_role("spinbutton", name=label, exact=True)).to_have_value(value)
    expect_query(page, {"cell": "rnn", "n_a": "7", "T_x": "9", "seed": "3",
                        "input": "gaussian"})
    # the heatmap's 7 rows: units 0 … 6, labelled by integers as many as fit (issue 16)
    heatmap_rows = page.locator(f"{CHART} >> nth=1").locator(".yaxislayer-above g.ytick text")
    expect(heatmap_rows.filter(has_text=re.compile(r"^6$"))).to_have_count(1)
    assert all(re.fullmatch(r"\d", label) for label in heatmap_rows.all_text_contents())
    # Moving to another page keeps the configuration (and the URL follows it).
    with expect_rerun(page, whole_page=True):
        sidebar.get_by_role("link", name="Gates and cell state").click()
    expect(page.locator(MAIN).get_by_text(re.compile("RNN has no gates"))).to_be_visible()
    expect_query(page, {"cell": "rnn", "n_a": "7", "T_x": "9", "seed": "3",
                        "input": "gaussian"})


def test_a_hostile_link_shows_a_warning_not_an_exception(goto_app):
    page = goto_app("/Step_through?n_a=-1&cell=%3Cscript%3Ealert(1)%3C/script%3E&T_x=abc")
    alerts = page.locator('[data-testid="stAlert"]')
    expect(alerts).to_have_count(3)
    expect(alerts.first).to_contain_text("was ignored")
    expect(page.locator(CHART)).to_have_count(3)
    assert "cell" not in query_of(page)  # written by the run goto_app waited for


UNIT_LINES_JS = """() => {
  const plot = [...document.querySelectorAll('[data-testid$="PlotlyChart"] .js-plotly-plot')]
    .find(p => (p.layout.title.text || '').startsWith('unit j = '));
  return plot ? plot.data.map(trace => Array.from(trace.y)) : null;
}"""


def test_moving_a_gate_knob_changes_the_gates_charts(goto_app, expect_rerun,
                                                     assert_no_exception, expect_query):
    page = goto_app("/Gates_and_cell_state?input=gaussian&n_a=4&T_x=6&example=0&unit=1")
    expect(page.locator(CHART)).to_have_count(8)
    before = page.evaluate(UNIT_LINES_JS)
    assert before is not None and max(before[0]) < 0.99  # the forget gate, bf = 1
    knob = page.get_by_role("slider", name="LSTM bf (forget gate)")
    expect(knob).to_have_value("1")
    knob.focus()
    with expect_rerun(page):
        knob.press("End")   # bf = 10: every forget gate open
    expect(knob).to_have_value("10")
    expect_query(page, {"input": "gaussian", "n_a": "4", "T_x": "6", "example": "0",
                        "unit": "1", "lstm_bf": "10"})
    page.wait_for_function("() => (" + UNIT_LINES_JS + ")()?.[0].every(f => f > 0.99)")
    after = page.evaluate(UNIT_LINES_JS)
    # f opened; u at t = 1 (from a<0> = 0 and x<1>, which bf does not touch) left as it was
    assert min(after[0]) > 0.99 and after[1][0] == before[1][0] and after[1] != before[1]
    # the values Plotly drew (a heatmap's come as a typed array: rows of Float64Array)
    heatmap_z = page.locator(CHART).first.evaluate(
        "p => p._fullData[0].z.flatMap((row) => Array.from(row))")
    assert len(heatmap_z) == 4 * 6
    assert min(heatmap_z) > 0.99  # the forget gate's heatmap, every unit and step
    assert_no_exception(page)
