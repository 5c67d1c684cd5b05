"""The README's screenshots, taken from the real app by this test run (never by hand).

Each page is opened with a lesson link that shows its idea (the vanishing-gradients preset on
Gradient flow, a short training run on Training, ...) in a 1280-pixel-wide window, cropped to
the page's content and saved as an RGB PNG in docs/screenshots/ (or the folder named by
RNNVIZ_SCREENSHOT_DIR). The test checks that each file was written, is a valid PNG of the
cropped size, shows the page as it is now, and that the page showed no exception. A
rerun that changes nothing visible (a few anti-aliased pixels) leaves the files alone.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rnnviz.app.build import PRESETS

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("RNNVIZ_SCREENSHOT_DIR", ROOT / "docs" / "screenshots"))
WIDTH, TALL = 1280, 3200      # tall: Streamlit scrolls inside its own container
MAX_HEIGHT = 1500             # crop: the top of the page, where its idea is
MAX_BYTES = 700_000
SAME_PICTURE_PIXELS = 400     # fewer changed pixels than this: the same picture
MAIN = '[data-testid="stMainBlockContainer"]'  # the page's content, as tall as it is
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'


def _query(config) -> str:
    return "&".join(f"{k}={v}" for k, v in config.to_query().items())


VANISHING = _query(PRESETS["Vanishing gradients"])
REMEMBERS = _query(PRESETS["LSTM remembers"])

SHOTS = [
    # name, path, crop to (main content or the whole window incl. the sidebar), charts,
    # the heading the crop starts at (None: the top of the page)
    ("home", "/", "window", 0, None),
    ("step_through", "/Step_through?t=4&unit=1&example=2", MAIN, 3, None),
    ("gates", f"/Gates_and_cell_state?{REMEMBERS}&t=30&example=mean&units=0,1,2,3", MAIN, 7,
     "How saturated are the gates?"),
    ("gradient_flow", f"/Gradient_flow?{VANISHING}&where=last", MAIN, 4, None),
    ("training", "/Training?task=chars&train_cell=both&steps=200", MAIN, 6, None),
    ("gradient_check", "/Gradient_check?cell=rnn&T_x=5", MAIN, 0, None),
]


def _changed_pixels(old, new) -> int:
    from PIL import ImageChops

    if old.size != new.size:
        return old.size[0] * old.size[1]
    mask = ImageChops.difference(old.convert("RGB"), new).convert("L").point(
        lambda v: 255 if v else 0)
    return mask.histogram()[255]


def _save_png(raw: bytes, target: Path) -> bool:
    """Save as an RGB PNG (no alpha; a palette would band the heatmaps' colour scales) with
    the encoder's smallest settings, unless the file there already shows the same picture
    (anti-aliasing and timing figures change a few pixels from run to run: a rerun that
    changes nothing visible leaves the committed file alone). Returns whether it wrote."""
    from PIL import Image

    image = Image.open(io.BytesIO(raw)).convert("RGB")
    if target.is_file():
        with Image.open(target) as old:
            if _changed_pixels(old, image) <= SAME_PICTURE_PIXELS:
                return False
    image.save(target, format="PNG", optimize=True, compress_level=9)
    return True


def _prepare(page, name: str, expect_rerun, wait_for_app) -> None:
    if name == "training":
        with expect_rerun(page, timeout_ms=120_000):
            page.get_by_role("button", name="Train", exact=True).click()
        # training reruns the page when it finishes: wait for the runs table it then draws
        expect(page.get_by_role("heading", name="Runs in this session")).to_be_visible(
            timeout=120_000)
        wait_for_app(page, 120_000)
    elif name == "gradient_check":
        with expect_rerun(page, timeout_ms=120_000):
            page.get_by_role("button", name="Run the check").click()
        expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible()


@pytest.mark.parametrize("name, path, crop, charts, start", SHOTS, ids=[s[0] for s in SHOTS])
def test_screenshot_of_each_page(page, app_server, name, path, crop, charts, start,
                                 expect_rerun, wait_for_app, assert_no_exception):
    from PIL import Image

    page.set_viewport_size({"width": WIDTH, "height": TALL})
    with expect_rerun(page, timeout_ms=120_000):
        page.goto(app_server + path)
    assert_no_exception(page)
    _prepare(page, name, expect_rerun, wait_for_app)
    if charts:
        expect(page.locator(CHART)).to_have_count(charts, timeout=60_000)
        expect(page.locator(f"{CHART} .main-svg").first).to_be_visible()
    page.mouse.move(0, 0)  # no hover: Plotly's toolbar stays hidden
    page.wait_for_timeout(800)  # Plotly's and KaTeX's last layout pass
    assert_no_exception(page)
    assert page.locator('[data-testid="stAlertContentWarning"]').count() == 0

    if crop == "window":
        box = {"x": 0, "y": 0, "width": WIDTH, "height": 1000}
    else:
        area = page.locator(crop).bounding_box()
        assert area is not None
        top = area["y"]
        if start is not None:
            heading = page.get_by_role("heading", name=start).bounding_box()
            assert heading is not None
            top = heading["y"] - 16
        box = {"x": area["x"], "y": top, "width": area["width"],
               "height": min(area["y"] + area["height"] - top, MAX_HEIGHT)}
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"{name}.png"
    raw = page.screenshot(clip=box)
    _save_png(raw, target)

    assert target.is_file() and 0 < target.stat().st_size <= MAX_BYTES
    with Image.open(target) as image:
        image.verify()  # a well-formed PNG
    with Image.open(target) as image:
        assert image.format == "PNG"
        assert image.size == (round(box["width"]), round(box["height"]))
        # not a blank page: the picture has text and charts in many colours
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or ()) > 20
        # and the file in the folder is the page as it is now
        assert _changed_pixels(image, Image.open(io.BytesIO(raw)).convert("RGB")) \
            <= SAME_PICTURE_PIXELS
