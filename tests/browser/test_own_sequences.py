"""Your own sequences in headless Chromium against the real `streamlit run app.py`: the example
weather CSV chosen in the Training form's file box (Playwright's set_input_files) as one long
series trains an LSTM, whose predictions are drawn in the data's units (the README's
screenshot, docs/screenshots/own_sequences.png), and its last snapshot opens on every view
that shows snapshots, each drawing its charts with no exception."""

from __future__ import annotations

from pathlib import Path

from browser.test_screenshots import OUT, TALL, WIDTH, _save_png, _steady_picture

from rnnviz.app.contents import SNAPSHOT_VIEWS
from rnnviz.training.sequences import LAYOUTS
from rnnviz.training.settings import SETTING
from rnnviz.ui.train_form import CSV_FILE_KEY

ROOT = Path(__file__).resolve().parents[2]
WEATHER = ROOT / "examples" / "data" / "weather.csv"
STEPS = 300
LONG_MS = 300_000
CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'


def test_a_csv_uploaded_trains_and_its_snapshot_opens_on_every_view(
        goto_app, expect_rerun, wait_for_app, assert_no_exception):
    from playwright.sync_api import expect

    page = goto_app(f"/Training?task=sequences&train_cell=lstm&steps={STEPS}")
    page.set_viewport_size({"width": WIDTH, "height": TALL})
    form = page.get_by_test_id("stForm")
    for label, value in (("n_a (hidden units)", 16), ("T_x (timesteps)", 30)):
        box = form.get_by_label(label, exact=True)
        box.fill(str(value))
        box.press("Tab")
    form.get_by_role("combobox", name=SETTING["layout"].label).click()
    page.get_by_role("option", name=LAYOUTS["series"]).click()
    chooser = page.locator(f".st-key-{CSV_FILE_KEY}")
    chooser.locator('input[type="file"]').set_input_files(str(WEATHER))
    expect(chooser.get_by_text("weather.csv")).to_be_visible(timeout=LONG_MS)   # uploaded
    page.get_by_role("button", name="Train", exact=True).click()
    stop = page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)
    expect(page.get_by_text("Runs in this session")).to_be_visible(timeout=LONG_MS)
    expect(stop).to_be_disabled(timeout=LONG_MS)   # trained to the end: its last snapshot
    predictions = page.locator(CHART).filter(has_text="Next-value predictions")
    expect(predictions.locator(".main-svg").first).to_be_visible(timeout=LONG_MS)
    expect(predictions.locator(".ytitle")).to_have_text("temperature")
    expect(form.get_by_label(SETTING["csv"].label, exact=True)).to_have_value(
        WEATHER.read_text())
    page.mouse.move(0, 0)   # no hover: Plotly's toolbar stays hidden
    wait_for_app(page, LONG_MS)
    assert_no_exception(page)
    box, raw = _steady_picture(page, '[data-testid="stMainBlockContainer"]',
                               "Snapshots: the network as it was")
    OUT.mkdir(parents=True, exist_ok=True)
    _save_png(raw, OUT / "own_sequences.png")
    assert (OUT / "own_sequences.png").is_file()

    sidebar = page.get_by_test_id("stSidebar")
    for view in SNAPSHOT_VIEWS:
        with expect_rerun(page, timeout_ms=LONG_MS, whole_page=True):
            page.get_by_role("button", name=f"Open in {view.title}").click()
        expect(page.get_by_text(f"as trained to step {STEPS}").first).to_be_visible(
            timeout=LONG_MS)   # the view's banner: this run's last snapshot
        expect(page.locator(f"{CHART} .main-svg").first).to_be_visible(timeout=LONG_MS)
        wait_for_app(page, LONG_MS)
        assert_no_exception(page)
        assert "input=sequences" in page.url and "data=" in page.url
        with expect_rerun(page, timeout_ms=LONG_MS, whole_page=True):
            sidebar.get_by_role("link", name="Training").click()
        expect(page.get_by_text("Runs in this session")).to_be_visible(timeout=LONG_MS)
