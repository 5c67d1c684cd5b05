"""The app starts in a real browser and its home page renders without an exception."""

import re
import time
import urllib.request


def test_health_endpoint(app_server):
    with urllib.request.urlopen(f"{app_server}/_stcore/health", timeout=5) as resp:
        assert resp.read().strip() == b"ok"


def test_home_page_renders(goto_app, assert_no_exception):
    from playwright.sync_api import expect

    page = goto_app()  # waits for the script to finish and checks for exceptions
    expect(page).to_have_title(re.compile("rnnviz", re.IGNORECASE))
    expect(page.locator('[data-testid="stMain"]')).to_be_visible()
    assert page.locator('[data-testid="stMain"] [data-testid="stElementContainer"]').count() > 0
    assert_no_exception(page)




# Bounds a hang only: a run of the page is seen within a few seconds on a busy machine.
AGAIN_MS = 60_000


def test_the_same_tab_opened_again_is_followed_on_its_new_documents_socket(
        page, app_server, open_app, expect_rerun, script_runs, assert_no_exception):
    open_app(page, app_server + "/Step_through?T_x=4")
    runs = script_runs(page)
    for again in (lambda: page.goto(app_server + "/Step_through?T_x=5"), page.reload):
        first, started = runs.websocket, time.monotonic()
        with expect_rerun(page, AGAIN_MS, whole_page=True):
            again()
        took = time.monotonic() - started
        # The old document's socket never reports its close: the wait for frames on it ran
        # out the whole bound before the new document's run was counted.
        assert took < AGAIN_MS / 1000 / 2, f"the new document's run was seen after {took:.0f} s"
        assert runs.websocket is not first
    assert_no_exception(page)
