"""The Memory map's views through training in headless Chromium, for the RNN, the LSTM and
the GRU: a short run's spectrum moves with the Training page's snapshot slider, opens on the
Memory map with the same slider, and its states turn into a 3-D scene; on initial weights
the 3-D scene is drawn and the page says where to scrub."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rnnviz.engine import CELLS

LONG_MS = 120_000
STEPS = 40
CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'


def chart(page, title: str | re.Pattern):
    """The chart whose title is (or matches) `title`."""
    return page.locator(CHART).filter(has=page.locator(".gtitle", has_text=title))


def expect_scrubbed(page, cell: str, step: int, first: int | None) -> None:
    """The spectrum at `step` (over the first snapshot's, faint) and the radius line of each
    recurrent block are drawn."""
    title = f"λ at step {step:,}" + (
        "" if first is None else f" (faint: step {first:,})")
    spectrum = chart(page, re.compile("^" + re.escape(title) + "$"))
    expect(spectrum).to_have_count(1)
    blocks = len(CELLS[cell].projections)   # the unit circle, the blocks (and the faint ones)
    expect(spectrum.locator(".scatterlayer .trace")).to_have_count(
        1 + blocks * (1 if first is None else 2))
    radii = chart(page, "Spectral radius over training")
    expect(radii.locator(".scatterlayer .trace")).to_have_count(blocks)


def choose_three_components(page, expect_rerun) -> None:
    with expect_rerun(page):
        page.get_by_test_id("stRadio").filter(has_text="principal components drawn") \
            .get_by_text("3 (in space)").click()
    states = chart(page, "How the state moves")
    expect(states.locator(".gl-container canvas").first).to_be_attached()   # WebGL's scene
    expect(states.locator(".g-gtitle", has_text="How the state moves")).to_have_count(1)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_a_runs_spectrum_scrubs_on_training_and_on_the_memory_map(
        cell, goto_app, expect_rerun, assert_no_exception):
    page = goto_app(f"/Training?task=sine&train_cell={cell}&steps={STEPS}")
    with expect_rerun(page, timeout_ms=LONG_MS, whole_page=True):
        page.get_by_role("button", name="Train", exact=True).click()
    stop = page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_disabled(timeout=LONG_MS)   # trained to the end
    expect_scrubbed(page, cell, STEPS, 0)
    with expect_rerun(page):
        page.get_by_role("slider", name="training step").press("Home")
    expect_scrubbed(page, cell, 0, None)
    with expect_rerun(page, whole_page=True):
        page.get_by_role("button", name="Open in Memory map").click()
    expect(page.get_by_role("heading", name="Through training")).to_be_visible()
    expect(page.get_by_text(re.compile(r"as trained to step 0 "))).to_be_visible()
    expect_scrubbed(page, cell, 0, None)
    with expect_rerun(page):
        page.get_by_role("slider", name="training step").press("End")
    expect_scrubbed(page, cell, STEPS, 0)
    choose_three_components(page, expect_rerun)
    assert_no_exception(page)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_on_initial_weights_the_states_turn_in_3d_and_the_page_says_where_to_scrub(
        cell, goto_app, expect_rerun, assert_no_exception):
    page = goto_app(f"/Memory_map?cell={cell}&input=sine&T_x=30")
    expect(page.get_by_text("To scrub through training, train a network")).to_be_visible()
    choose_three_components(page, expect_rerun)
    assert re.search(r"pcs=3", page.url)
    assert_no_exception(page)
