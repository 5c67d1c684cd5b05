"""Presentation mode in headless Chromium (issue 16): present=1 folds the sidebar and the
introduction away, and a lesson link shows its chart in the first screen at 1024×768; the
sidebar's toggle turns it on and off and the address follows."""

from playwright.sync_api import expect

CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'
LESSON = ("/Gradient_flow?cell=rnn&n_a=32&m=8&T_x=60&input=gaussian&spectral_radius=0.8"
          "&hide=sidebar,weight_scale,lstm_bf,gru_bu,T_x,clipping")


def test_a_lesson_link_in_presentation_mode_shows_its_chart_in_the_first_screen(
        page, app_server, open_app, wait_for_app):
    page.set_viewport_size({"width": 1024, "height": 768})
    open_app(page, app_server + LESSON + "&present=1")
    chart = page.locator(CHART).first
    expect(chart.locator(".gtitle")).to_contain_text("Gradient flowing back")
    wait_for_app(page)
    expect(page.get_by_text("About this page")).to_be_visible()
    expect(page.get_by_text("Back-propagation through time hands")).not_to_be_visible()
    top = chart.bounding_box()["y"]
    assert 0 <= top < 768 - 200, f"the chart starts at y = {top}, below the first screen"
    # larger type than outside presentation mode (style.FONT_SIZE, 18 px)
    size = chart.locator(".xtick text").first.evaluate("t => parseFloat(t.style.fontSize)")
    assert size > 18


def test_the_toggle_turns_presentation_mode_on_and_the_address_keeps_it(
        page, app_server, open_app, expect_rerun, wait_for_app):
    page.set_viewport_size({"width": 1280, "height": 900})
    open_app(page, app_server + "/Step_through?T_x=4")
    expect(page.get_by_text("The same cell runs at every timestep")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    with expect_rerun(page, whole_page=True):
        sidebar.get_by_text("Presentation mode").click()
    expect(page.get_by_text("About this page")).to_be_visible()
    expect(sidebar).to_have_attribute("data-collapsed", "true")  # folded away
    assert "present=1" in page.url


def test_presentation_mode_folds_a_cells_equations_into_about_this_page(page, app_server,
                                                                        open_app):
    page.set_viewport_size({"width": 1024, "height": 768})
    open_app(page, app_server + "/Gates_and_cell_state?present=1")
    expect(page.locator(".katex").first).not_to_be_visible()
    page.get_by_text("About this page").click()
    expect(page.get_by_text("The equations")).to_be_visible()
    expect(page.locator(".katex").first).to_be_visible()
