"""The app starts in a real browser and its home page renders without an exception."""

import re
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
