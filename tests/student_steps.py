"""What a student does in more than one browser test: sets a number in the sidebar, moves
to another page through the sidebar, trains a short run on the Training page."""

from __future__ import annotations

SIDEBAR = '[data-testid="stSidebar"]'
SHORT_RUN = {"n_a (hidden units)": 4, "m (batch size)": 4, "steps (at most 20,000)": 20}


def sidebar_number(page, label: str):
    return page.locator(SIDEBAR).get_by_role("spinbutton", name=label, exact=True)


def set_sidebar_number(page, label: str, value: int, expect_rerun) -> None:
    box = sidebar_number(page, label)
    with expect_rerun(page, whole_page=True):
        box.fill(str(value))
        box.press("Enter")


def go_to(page, link: str, expect_rerun) -> None:
    """Move to another page through the sidebar (same session; a reload would start anew)."""
    with expect_rerun(page, whole_page=True):
        page.locator(SIDEBAR).get_by_role("link", name=link).click()


def train_short_run(page, expect_rerun, timeout_ms: int) -> None:
    """On the Training page: an LSTM and an RNN of SHORT_RUN's settings, started (they train
    on in the session's worker; the caller waits for what it needs of them)."""
    form = page.get_by_test_id("stForm")
    for label, value in SHORT_RUN.items():
        form.get_by_label(label, exact=True).fill(str(value))
        form.get_by_label(label, exact=True).press("Tab")
    # Train submits the form: the whole page's run that hands the runs to a worker is the
    # one to wait for (the live part then polls them; their end reruns the page again).
    with expect_rerun(page, timeout_ms=timeout_ms, whole_page=True):
        page.get_by_role("button", name="Train", exact=True).click()
