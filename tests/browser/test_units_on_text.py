"""The Units on text page in headless Chromium against the real `streamlit run app.py`: a
small character-model run trained on the Training page opens there, its text is drawn
coloured with the predictions on hover, and a unit chosen from the menu recolours it."""

from __future__ import annotations

LONG_MS = 120_000


def test_a_unit_chosen_recolours_the_text(goto_app, expect_rerun, assert_no_exception):
    from playwright.sync_api import expect

    page = goto_app("/Training?task=chars&train_cell=lstm&steps=30")
    form = page.get_by_test_id("stForm")
    for label, value in (("n_a (hidden units)", 6), ("m (batch size)", 4)):
        box = form.get_by_label(label, exact=True)
        box.fill(str(value))
        box.press("Tab")
    page.get_by_role("button", name="Train", exact=True).click()
    opener = page.get_by_role("button", name="Open in Units on text")
    expect(opener).to_be_visible(timeout=LONG_MS)
    with expect_rerun(page, timeout_ms=LONG_MS, whole_page=True):
        opener.click()
    expect(page.get_by_role("heading", name="Units on text")).to_be_visible(timeout=LONG_MS)

    character = page.locator('.rnnviz-text .ch[data-pos="2"]')
    expect(character).to_be_visible(timeout=LONG_MS)
    before = character.get_attribute("style")
    assert before and "background:" in before
    assert (character.get_attribute("data-hover") or "").startswith("#2  next:")
    character.hover()   # the three guesses show below it, drawn by CSS from data-hover
    shown = character.evaluate("e => getComputedStyle(e, '::after').content")
    assert "next:" in shown

    page.get_by_role("combobox", name="unit j, by how much it varies over the text").click()
    with expect_rerun(page, timeout_ms=LONG_MS):
        page.get_by_role("option").nth(3).click()
    expect(character).not_to_have_attribute("style", before, timeout=LONG_MS)
    assert_no_exception(page)
