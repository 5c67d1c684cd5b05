"""Every page readable on a classroom projector (issue 16): at 1024×768 and at 1280×900, and
in presentation mode (present=1: larger type, taller charts) at 1024×768, no overlapping or
turned tick labels, no axis title over its ticks, integer labels on the axes that count,
powers of ten on log axes, no cut-off or wrapped button or widget label, no text spilling
out of the cell diagram's boxes, no table with columns scrolled off, nothing off the right
edge (tests/browser/layout.js says how each is read from the drawn page). Each page is
opened with the settings that broke it: T_x = 20 and n_a = 16 on Gates, T_x = 4 on Step
through (the GRU too: its c̃ equation), a ready-trained names LSTM on Gates; and the
Training page after a short run, with its runs table and the run's detail, the sidebar
open."""

import pytest
from playwright.sync_api import expect
from student_steps import train_short_run

CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'
PROJECTOR, LAPTOP = (1024, 768), (1280, 900)
SIZES = (PROJECTOR, LAPTOP)
TRAINING_MS = 180_000   # bounds a hang: a short run takes seconds, many times that when busy

# path, charts it draws (0: none to wait for)
PAGES = [
    ("/", 0),
    ("/Step_through?T_x=4", 3),
    ("/Step_through?T_x=4&cell=gru", 3),
    ("/Gates_and_cell_state?T_x=20&n_a=16", 8),
    ("/Gates_and_cell_state?network=names-lstm", 8),
    ("/Gradient_flow", 4),
    ("/Training", 0),
    ("/Gradient_check", 0),
    ("/Gate_lab", 2),
    ("/Units_on_text", 0),
    ("/Memory_map", 4),
]
PRESENTED = [(f"{path}{'&' if '?' in path else '?'}present=1", charts) for path, charts in PAGES]


def _problems(page, wait_for_app, assert_no_exception, layout_problems) -> str:
    wait_for_app(page)
    assert_no_exception(page)
    return "\n".join(layout_problems(page))


@pytest.mark.parametrize("width, height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("path, charts", PAGES, ids=[p for p, _ in PAGES])
def test_the_page_reads_on_a_projector(page, app_server, open_app, wait_for_app,
                                       assert_no_exception, layout_problems, path, charts,
                                       width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_app(page, app_server + path)
    if charts:
        expect(page.locator(CHART).nth(charts - 1)).to_be_attached()
    problems = _problems(page, wait_for_app, assert_no_exception, layout_problems)
    assert not problems, problems


@pytest.mark.parametrize("path, charts", PRESENTED, ids=[p for p, _ in PRESENTED])
def test_the_page_reads_in_presentation_mode(page, app_server, open_app, wait_for_app,
                                             assert_no_exception, layout_problems, path,
                                             charts):
    width, height = PROJECTOR
    page.set_viewport_size({"width": width, "height": height})
    open_app(page, app_server + path)
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    if charts:
        expect(page.locator(CHART).nth(charts - 1)).to_be_attached()
    problems = _problems(page, wait_for_app, assert_no_exception, layout_problems)
    assert not problems, problems


def test_the_runs_table_and_a_runs_detail_read_with_the_sidebar_open(
        page, app_server, open_app, expect_rerun, wait_for_app, assert_no_exception,
        layout_problems):
    width, height = PROJECTOR
    page.set_viewport_size({"width": width, "height": height})
    open_app(page, app_server + "/Training")
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "false")
    train_short_run(page, expect_rerun, TRAINING_MS)
    expect(page.get_by_text("Runs in this session")).to_be_visible(timeout=TRAINING_MS)
    table = page.get_by_test_id("stDataFrame").first
    # the table's last column, steps/s, is among the columns it draws
    expect(table.locator('[role="columnheader"]', has_text="steps/s")).to_be_attached()
    expect(page.get_by_text("Inside one run")).to_be_visible()
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        problems = _problems(page, wait_for_app, assert_no_exception, layout_problems)
        assert not problems, f"at {width}x{height}:\n{problems}"
