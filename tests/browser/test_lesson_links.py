"""Lesson links in headless Chromium: a link fixes the page's view, hides the controls it
names, and the address bar follows the student's moves so it can be copied again."""

import re

from playwright.sync_api import expect

CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'
MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'


def test_a_lesson_link_restores_the_view_and_removes_the_named_controls(goto_app,
                                                                       expect_query):
    page = goto_app("/Step_through?cell=rnn&T_x=9&t=4&unit=2&example=3"
                    "&hide=presets,seed,unit,play")
    expect(page.locator(f"{CHART} .gtitle").first).to_contain_text(
        "RNN cell at t = 4: unit j = 2, example i = 3")
    expect(page.get_by_role("slider")).to_have_value("4")
    main, sidebar = page.locator(MAIN), page.locator(SIDEBAR)
    expect(main.get_by_text("batch example i", exact=True)).to_be_visible()
    expect(main.get_by_text("hidden unit j", exact=True)).to_have_count(0)
    expect(page.locator(".st-key-rnnviz_play")).to_have_count(0)
    expect(sidebar.get_by_text("Presets", exact=True)).to_have_count(0)
    expect(sidebar.get_by_role("spinbutton", name="seed", exact=True)).to_have_count(0)
    expect(sidebar.get_by_role("spinbutton", name="n_a (hidden units)",
                               exact=True)).to_be_visible()
    expect_query(page, {"cell": "rnn", "T_x": "9", "t": "4", "unit": "2", "example": "3",
                        "hide": "presets,seed,unit,play"})


def test_the_address_follows_the_timestep_so_the_teacher_can_copy_it(goto_app, expect_rerun,
                                                                    expect_query):
    page = goto_app("/Step_through?T_x=6&hide=sidebar")
    expect(page.locator(SIDEBAR)).to_have_count(0)  # hide=sidebar: no sidebar at all
    with expect_rerun(page):
        page.locator(".st-key-rnnviz_step_forward").get_by_role("button").click()
    with expect_rerun(page):
        page.locator(".st-key-rnnviz_step_forward").get_by_role("button").click()
    expect(page.locator(f"{CHART} .gtitle").first).to_contain_text("t = 3")
    expect_query(page, {"T_x": "6", "t": "3", "hide": "sidebar"})


def test_a_copied_address_reopens_the_same_view_in_a_new_session(goto_app, new_page,
                                                                  open_app):
    page = goto_app("/Gates_and_cell_state?input=gaussian&n_a=8&example=2&units=1,6&t=5"
                    "&hide=units,example")
    address = page.url
    other = new_page()  # another browser context: a new session, nothing shared but the URL
    open_app(other, address)
    expect(other.locator(f"{CHART} .gtitle").first).to_contain_text("example i = 2")
    expect(other.locator(CHART).last.locator(".legendtext")).to_have_text(
        ["unit 1", "unit 6"])
    expect(other.get_by_role("slider", name="timestep t")).to_have_value("5")
    expect(other.locator(MAIN).get_by_text("units j", exact=True)).to_have_count(0)
    expect(other.locator(MAIN).get_by_text("batch example i", exact=True)).to_have_count(0)


def test_a_gradient_flow_lesson_shows_one_idea(goto_app):
    page = goto_app("/Gradient_flow?cell=rnn&n_a=32&m=8&T_x=60&input=gaussian"
                    "&spectral_radius=0.8&where=all&hide=sidebar,knobs,clipping")
    main = page.locator(MAIN)
    expect(page.locator(CHART).first.locator(".gtitle")).to_contain_text("every step")
    expect(main.get_by_role("radio", name="every step")).to_be_checked()
    expect(main.get_by_role("slider")).to_have_count(0)
    expect(main.get_by_role("heading", name="Gradient clipping")).to_have_count(0)
    expect(page.locator(SIDEBAR)).to_have_count(0)


def test_the_gru_lesson_link_shows_its_update_gates_keeping_the_memory(goto_app):
    page = goto_app("/Gates_and_cell_state?cell=gru&n_a=32&m=8&T_x=60&input=gaussian"
                    "&forget_bias=5&t=30&units=0,1,2,3&hide=sidebar")
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="update gate < 0.1")
    expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text("100%")
    expect(page.locator(f"{CHART} .gtitle").first).to_contain_text("reset gate r⟨t⟩")
    expect(page.locator(CHART).last.locator(".gtitle")).to_contain_text("hidden state a⟨t⟩")
    expect(page.locator(CHART).last.locator(".legendtext")).to_have_text(
        ["unit 0", "unit 1", "unit 2", "unit 3"])
    expect(page.locator(SIDEBAR)).to_have_count(0)


def test_hostile_lesson_parameters_warn_and_the_page_still_works(goto_app):
    page = goto_app("/Step_through?t=9999&unit=%3Cscript%3E&hide=bogus,play&zz=1")
    alerts = page.locator('[data-testid="stAlertContentWarning"]')
    expect(alerts).to_have_count(4)
    text = " ".join(alerts.all_inner_texts())
    assert re.search(r"t='9999' was ignored", text) and "<script>" in text
    expect(page.locator(f"{CHART} .gtitle").first).to_contain_text("t = 1")
    expect(page.locator(".st-key-rnnviz_play")).to_have_count(0)


def test_hidden_controls_stay_hidden_on_the_other_pages_of_the_session(goto_app, expect_rerun,
                                                                       expect_query):
    page = goto_app("/Step_through?cell=rnn&t=3&hide=presets,seed")
    sidebar = page.locator(SIDEBAR)
    with expect_rerun(page, whole_page=True):
        sidebar.get_by_role("link", name="Gradient flow").click()
    expect(page.get_by_role("heading", name="Gradient flow through time")).to_be_visible()
    expect(sidebar.get_by_text("Presets", exact=True)).to_have_count(0)
    expect(sidebar.get_by_role("spinbutton", name="seed", exact=True)).to_have_count(0)
    # the timestep belongs to the other page's view: not in this page's address
    expect_query(page, {"cell": "rnn", "hide": "presets,seed"})
    with expect_rerun(page, whole_page=True):
        sidebar.get_by_role("link", name="Step through").click()
    expect(page.get_by_role("slider")).to_have_value("3")  # and comes back with it
