"""The Gate lab in headless Chromium against `streamlit run app.py`: moving an intervention's
value redraws the intervened run's charts and leaves the original's as they were."""

from playwright.sync_api import expect

CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'
# {title: the y (lines) or z (heatmap) of each trace} of every chart drawn
CHART_DATA_JS = """() => Object.fromEntries(
  [...document.querySelectorAll('[data-testid$="PlotlyChart"] .js-plotly-plot')].map(p => [
    p.layout.title.text,
    // the data as Plotly decoded it: a heatmap's z arrives as a typed array (rows of numbers)
    p._fullData.map(trace => (trace.z ? trace.z.flatMap(row => Array.from(row))
                                      : Array.from(trace.y)).map(String))]))"""


def _of(charts: dict, run: str, what: str) -> list:
    return next(data for title, data in charts.items()
                if title.startswith(f"{run}:") and what in title)


def test_moving_the_value_redraws_the_intervened_run_only(goto_app, expect_rerun,
                                                          assert_no_exception, expect_query):
    page = goto_app("/Gate_lab?input=gaussian&n_a=4&T_x=12&intervene=f:0:4-12")
    expect(page.locator(CHART)).to_have_count(10)
    before = page.evaluate(CHART_DATA_JS)
    assert _of(before, "intervened", "cell state") != _of(before, "original", "cell state")
    value = page.get_by_role("slider", name="value of f")
    expect(value).to_have_value("0")
    value.focus()
    with expect_rerun(page):
        value.press("End")  # f = 1: the cell keeps all of c⟨t−1⟩
    expect(value).to_have_value("1")
    expect_query(page, {"input": "gaussian", "n_a": "4", "T_x": "12",
                        "intervene": "f:1:4-12"})
    # the intervened cell state's lines are redrawn with the new run: wait for that
    page.wait_for_function(
        "(old) => { const now = (" + CHART_DATA_JS + ")();"
        " const key = Object.keys(now).find(t => t.startsWith('intervened:')"
        " && t.includes('cell state'));"
        " return key && JSON.stringify(now[key]) !== JSON.stringify(old); }",
        arg=_of(before, "intervened", "cell state"))
    after = page.evaluate(CHART_DATA_JS)
    for what in ("cell state", "hidden state", "output", "loss", "gradient"):
        assert _of(after, "original", what) == _of(before, "original", what), what
    assert _of(after, "intervened", "hidden state") != _of(before, "intervened", "hidden state")
    expect(page.get_by_text("the cell keeps all of c⟨t−1⟩")).to_be_visible()
    assert_no_exception(page)
