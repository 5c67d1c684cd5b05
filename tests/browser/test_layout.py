"""Every page readable on a classroom projector (issue 16): at 1024×768 and at 1280×900, no
overlapping or turned tick labels, no axis title over its ticks, integer labels on the
axes that count, powers of ten on log axes, no cut-off button label, nothing off the right
edge (tests/browser/layout.js says how each is read from the drawn page). Each page is
opened with the settings that broke it: T_x = 20 and n_a = 16 on Gates, T_x = 4 on Step
through, a ready-trained names LSTM on Gates."""

import pytest
from playwright.sync_api import expect

CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'
SIZES = ((1024, 768), (1280, 900))  # a classroom projector's, and a laptop's

# path, charts it draws (0: none to wait for)
PAGES = [
    ("/", 0),
    ("/Step_through?T_x=4", 3),
    ("/Gates_and_cell_state?T_x=20&n_a=16", 8),
    ("/Gates_and_cell_state?network=names-lstm", 8),
    ("/Gradient_flow", 4),
    ("/Training", 0),
    ("/Gradient_check", 0),
    ("/Gate_lab", 2),
    ("/Units_on_text", 0),
    ("/Memory_map", 4),
]


@pytest.mark.parametrize("width, height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("path, charts", PAGES, ids=[p for p, _ in PAGES])
def test_the_page_reads_on_a_projector(page, app_server, open_app, wait_for_app,
                                       assert_no_exception, layout_problems, path, charts,
                                       width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_app(page, app_server + path)
    if charts:
        expect(page.locator(CHART).nth(charts - 1)).to_be_attached()
    wait_for_app(page)
    assert_no_exception(page)
    assert layout_problems(page) == []
