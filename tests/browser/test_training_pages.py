"""The gradient, training and gradient-check pages in headless Chromium against the real
`streamlit run app.py`: a short run trains and draws its curves, Stop keeps a partial run, a
text file chosen beside the text box is learned, the gradient-flow page draws its charts, each
with the line that says how to read its log axis, the gradient check passes."""

from __future__ import annotations

from rnnviz.training.settings import OWN_DATA_TITLE, SETTING
from rnnviz.ui.train_form import TEXT_FILE_KEY

LONG_MS = 120_000


def _set_number(page, label: str, value) -> None:
    box = page.get_by_test_id("stForm").get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Tab")


def _charts(page):
    return page.locator('[data-testid$="PlotlyChart"]')


def test_a_short_training_run_finishes_with_its_curve_drawn(goto_app, assert_no_exception):
    from playwright.sync_api import expect

    page = goto_app("/Training")
    _set_number(page, "n_a (hidden units)", 8)
    _set_number(page, "m (batch size)", 8)
    _set_number(page, "steps (at most 20,000)", 40)
    # the RNN and the LSTM are on by default; a click on GRU adds the third cell
    gru = page.get_by_test_id("stForm").get_by_role("button", name="GRU", exact=True)
    gru.click()
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text("Runs in this session")).to_be_visible(timeout=LONG_MS)
    loss = _charts(page).first
    expect(loss.locator(".gtitle")).to_have_text("Loss while training", timeout=LONG_MS)
    # three runs (RNN, LSTM and GRU), each one line in the loss chart
    expect(loss.locator(".scatterlayer .trace")).to_have_count(3, timeout=LONG_MS)
    expect(loss.locator(".legendtext").nth(2)).to_contain_text("GRU")
    line = loss.locator(".scatterlayer .trace path.js-line").first.get_attribute("d")
    assert line and line.count("L") >= 30  # a drawn curve, one vertex per step
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_be_visible()
    # under the gradient norm, how to read its log axis and its dashed threshold (clip at 5)
    expect(page.get_by_test_id("stCaptionContainer").filter(
        has_text="The dashed line is the clipping threshold 5")).to_contain_text(
        "of run 3's 40 steps")
    assert_no_exception(page)


def test_stop_keeps_the_partial_run(goto_app, assert_no_exception):
    from playwright.sync_api import expect

    page = goto_app("/Training")
    _set_number(page, "steps (at most 20,000)", 20000)
    _set_number(page, "n_a (hidden units)", 8)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text("step ", exact=False).first).to_be_visible(timeout=LONG_MS)
    stop = page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_enabled(timeout=LONG_MS)
    page.wait_for_timeout(1500)
    stop.click()
    expect(page.get_by_text("Stopped at step", exact=False).first).to_be_visible(
        timeout=LONG_MS)
    expect(page.get_by_text("Runs in this session")).to_be_visible(timeout=LONG_MS)
    expect(page.get_by_role("button", name="Continue")).to_be_enabled(timeout=LONG_MS)
    expect(_charts(page).first.locator(".scatterlayer .trace")).to_have_count(2)
    assert_no_exception(page)


def test_a_text_file_beside_the_box_is_learned_and_its_rare_characters_named(
        goto_app, assert_no_exception):
    from playwright.sync_api import expect

    page = goto_app("/Training")
    for label, value in (("n_a (hidden units)", 4), ("m (batch size)", 4),
                         ("steps (at most 20,000)", 20)):
        _set_number(page, label, value)
    text = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n" * 3 + "*é€_"
    page.get_by_test_id("stForm").get_by_test_id("stExpander").get_by_text(
        OWN_DATA_TITLE).click()   # the student's own data, shut while there is none
    chooser = page.locator(f".st-key-{TEXT_FILE_KEY}")
    # the widget announces its own cap, not the model files' 6 MB
    expect(chooser.get_by_text("1MB per file", exact=False)).to_be_visible()
    chooser.locator('input[type="file"]').set_input_files(
        files=[{"name": "names.txt", "mimeType": "text/plain", "buffer": text.encode()}])
    expect(chooser.get_by_text("names.txt")).to_be_visible(timeout=LONG_MS)  # uploaded
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text("4 rare characters were left out of the text")).to_be_visible(
        timeout=LONG_MS)
    expect(page.get_by_text("Runs in this session")).to_be_visible(timeout=LONG_MS)
    box = page.get_by_test_id("stForm").get_by_label(SETTING["text"].label, exact=True)
    expect(box).to_have_value(text)
    assert_no_exception(page)


def test_gradient_flow_page_draws_its_charts(goto_app, assert_no_exception):
    from playwright.sync_api import expect

    page = goto_app("/Gradient_flow?input=gaussian&cell=rnn&n_a=16&T_x=30&spectral_radius=0.8")
    expect(_charts(page)).to_have_count(4, timeout=LONG_MS)
    flow = _charts(page).first
    expect(flow.locator(".gtitle")).to_contain_text("Gradient flowing back through time")
    # RNN a, LSTM a and c, GRU a: a line per state of every cell
    expect(flow.locator(".scatterlayer .trace")).to_have_count(4)
    expect(flow.locator(".legendtext").last).to_have_text("GRU ‖∂L/∂a⟨t⟩‖")
    expect(page.get_by_test_id("stCaptionContainer").filter(
        has_text="the RNN's ‖∂L/∂a⟨t⟩‖ fell from")).to_contain_text("at t = 30 to")
    assert_no_exception(page)


def test_gradient_check_page_passes(goto_app, assert_no_exception):
    from playwright.sync_api import expect

    page = goto_app("/Gradient_check")
    page.get_by_role("button", name="Run the check").click()
    expect(page.get_by_text("Every relative error is below")).to_be_visible(timeout=LONG_MS)
    assert_no_exception(page)
