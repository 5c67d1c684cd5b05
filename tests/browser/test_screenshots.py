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
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from rnnviz.app.build import PRESETS
from rnnviz.app.lesson import ASK_KEY

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("RNNVIZ_SCREENSHOT_DIR", ROOT / "docs" / "screenshots"))
WIDTH, TALL = 1280, 3200      # tall: Streamlit scrolls inside its own container
MAX_HEIGHT = 1500             # crop: the top of the page, where its idea is
MAX_BYTES = 700_000
SAME_PICTURE_PIXELS = 400     # fewer changed pixels than this: the same picture
LONG_MS = 300_000             # a training run or a page on a busy machine; bounds a hang
STEADY_S = 120.0              # how long the page may keep changing before the test fails
MAIN = '[data-testid="stMainBlockContainer"]'  # the page's content, as tall as it is
CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'


UNITS_STEPS = 3000            # an LSTM trained this long on the names, read on Units on text
FLIPFLOP_STEPS = 2000         # an LSTM trained this long on the flip-flop: its 8 fixed points
SCRUB_STEPS = 600             # an RNN trained this long on the sine: its radius 1.0 to 1.6


def _query(config) -> str:
    return "&".join(f"{k}={v}" for k, v in config.to_query().items())


VANISHING = _query(PRESETS["Vanishing gradients"])
REMEMBERS = _query(PRESETS["LSTM remembers"])
GRU_REMEMBERS = _query(PRESETS["GRU remembers"])

SHOTS = [
    # name, path, crop to (main content or the whole window incl. the sidebar), charts,
    # the heading the crop starts at (None: the top of the page)
    ("home", "/", "window", 0, None),
    ("step_through", "/Step_through?t=4&unit=1&example=2", MAIN, 3, None),
    ("gates", f"/Gates_and_cell_state?{REMEMBERS}&t=30&example=mean&units=0,1,2,3", MAIN, 8,
     "Open or shut a gate: its bias"),
    ("gates_unit", "/Gates_and_cell_state?cell=gru&n_a=8&T_x=20&input=gaussian&gru_bu=-2&t=12"
     "&example=3&unit=2", MAIN, 6, "One unit over time"),
    ("gradient_flow", f"/Gradient_flow?{VANISHING}&where=last", MAIN, 4, None),
    ("training", "/Training?task=chars&train_cell=rnn,lstm,gru&steps=200", MAIN, 8, None),
    ("gradient_check", "/Gradient_check?cell=rnn&T_x=5", MAIN, 0, None),
    ("step_through_gru", "/Step_through?cell=gru&t=4&unit=1&example=2", MAIN, 3, None),
    ("gradient_flow_gru", f"/Gradient_flow?{GRU_REMEMBERS}&where=last", MAIN, 4, None),
    ("gate_lab", f"/Gate_lab?{REMEMBERS}&intervene=f:0:10-60&units=0,1,2,3", MAIN, 10,
     "What to change"),
    ("units_on_text", f"/Training?task=chars&train_cell=lstm&steps={UNITS_STEPS}", MAIN, 0,
     "The text, coloured by one unit"),
    ("memory_map", f"/Memory_map?{REMEMBERS}&T_x=20", MAIN, 6, None),
    ("memory_one_unit", "/Memory_map?w=2.5&b=0.2&a0=-0.3&unit_steps=20", MAIN, 6,
     "One unit by hand"),
    ("memory_spectrum", "/Memory_map?cell=rnn&input=gaussian&n_a=32&T_x=30&spectral_radius=1.1",
     MAIN, 6, "The spectrum of the recurrence"),
    ("memory_states", f"/Training?task=flipflop&train_cell=lstm&steps={FLIPFLOP_STEPS}", MAIN,
     0, "How the state moves"),
    ("break_it", "/Training?network=copy-lstm", MAIN, 4,
     "Break it: shut its memory, silence its units"),
    ("memory_scrub", f"/Training?task=sine&train_cell=rnn&steps={SCRUB_STEPS}", MAIN, 7,
     "Snapshots: the network as it was"),
    ("memory_states_3d", "/Memory_map?network=copy-lstm&pcs=3", MAIN, 6, "How the state moves"),
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


def _prepare(page, name: str, expect_rerun) -> None:
    if name == "training":
        # training runs the page, then reruns it (st.rerun) to draw the runs table
        with expect_rerun(page, timeout_ms=LONG_MS, whole_page=True):
            page.get_by_role("button", name="Train", exact=True).click()
        expect(page.get_by_role("heading", name="Runs in this session")).to_be_visible()
    elif name == "units_on_text":
        with expect_rerun(page, timeout_ms=LONG_MS, whole_page=True):
            page.get_by_role("button", name="Train", exact=True).click()
        # the whole page is drawn again when the run ends: its last snapshot is offered
        expect(page.get_by_text(f"Five samples at step {UNITS_STEPS:,}")).to_be_visible(
            timeout=LONG_MS)
        with expect_rerun(page, timeout_ms=LONG_MS, whole_page=True):
            page.get_by_role("button", name="Open in Units on text").click()
        expect(page.locator('.rnnviz-text .ch[data-pos="0"]')).to_be_visible()
    elif name in ("memory_states", "memory_scrub"):
        with expect_rerun(page, timeout_ms=LONG_MS, whole_page=True):
            page.get_by_role("button", name="Train", exact=True).click()
        stop = page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)
        expect(stop).to_be_disabled(timeout=LONG_MS)   # trained to the end: the last snapshot
        if name == "memory_scrub":
            expect(page.get_by_text(re.compile(f"to step {SCRUB_STEPS:,}:"))).to_be_visible()
            return
        with expect_rerun(page, timeout_ms=LONG_MS, whole_page=True):
            page.get_by_role("button", name="Open in Memory map").click()
        expect(page.get_by_role("heading", name="How the state moves")).to_be_visible()
    elif name == "gradient_check":
        with expect_rerun(page, timeout_ms=LONG_MS, whole_page=True):
            page.get_by_role("button", name="Run the check").click()
        expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible()


def _crop(page, crop: str, start: str | None) -> dict:
    if crop == "window":
        return {"x": 0, "y": 0, "width": WIDTH, "height": 1000}
    if crop == "screen":  # the first screen, as a class sees it
        return {"x": 0, "y": 0, **page.viewport_size}
    area = page.locator(crop).bounding_box()
    assert area is not None
    top = area["y"]
    if start is not None:
        # scrolled to the top of the window: a heading far down a tall page would otherwise
        # leave part of the crop below the window, where nothing is drawn
        heading = page.get_by_role("heading", name=start)
        heading.evaluate("e => e.scrollIntoView({block: 'start'})")
        box = heading.bounding_box()
        assert box is not None
        top = box["y"] - 16
    top = round(top)   # whole pixels: a clip's fractional edge is cut, not rounded
    return {"x": area["x"], "y": top, "width": area["width"],
            "height": int(min(area["y"] + area["height"] - top, MAX_HEIGHT))}


def _steady_picture(page, crop: str, start: str | None) -> tuple[dict, bytes]:
    """The crop box and the picture in it, once two pictures in a row are the same: the
    page has finished its last layout pass (Plotly's, KaTeX's, a font's) however slowly."""
    deadline = time.monotonic() + STEADY_S
    box = _crop(page, crop, start)
    raw = page.screenshot(clip=box)
    while True:
        box_again = _crop(page, crop, start)
        raw_again = page.screenshot(clip=box_again)
        if box_again == box and raw_again == raw:
            return box, raw
        if time.monotonic() > deadline:
            raise AssertionError(f"the page kept changing for {STEADY_S:.0f} s")
        box, raw = box_again, raw_again


@pytest.mark.parametrize("name, path, crop, charts, start", SHOTS, ids=[s[0] for s in SHOTS])
def test_screenshot_of_each_page(page, app_server, name, path, crop, charts, start,
                                 open_app, expect_rerun, wait_for_app, assert_no_exception):
    from PIL import Image

    page.set_viewport_size({"width": WIDTH, "height": TALL})
    open_app(page, app_server + path, LONG_MS)
    assert_no_exception(page)
    _prepare(page, name, expect_rerun)
    if charts:
        expect(page.locator(CHART)).to_have_count(charts)
        expect(page.locator(f"{CHART} .main-svg").first).to_be_visible()
    page.mouse.move(0, 0)  # no hover: Plotly's toolbar stays hidden
    wait_for_app(page)     # every chart drawn, no skeleton left, the fonts loaded
    assert_no_exception(page)
    assert page.locator('[data-testid="stAlertContentWarning"]').count() == 0

    box, raw = _steady_picture(page, crop, start)
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"{name}.png"
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


README = (ROOT / "README.md").read_text()
_LESSON = README[README.index("## A 15-minute lesson"):]
_LESSON = _LESSON[:_LESSON.index("\n## ", 5)]
PROJECTOR = {"width": 1024, "height": 768}


def _lesson_links() -> list[tuple[str, str]]:
    """(screenshot name, path) of each link of the README's lesson, in its order: lesson n's
    links as present_lesson{n}{a, b, ...}_{page}."""
    links = []
    for number, item in re.findall(r"^(\d+)\. (.*?)(?=^\d+\. |\Z)", _LESSON, re.S | re.M):
        paths = re.findall(r"http://localhost:8501(/[^\s)`]*)", item)
        for k, path in enumerate(paths):
            letter = "abcdefgh"[k] if len(paths) > 1 else ""
            page_name = urlparse(path).path.strip("/").lower()
            links.append((f"present_lesson{number}{letter}_{page_name}", path))
    return links


LESSON_LINKS = _lesson_links()


def _in_first_screen(locator) -> None:
    """Wait for `locator` to be whole in the first screen (the page may still be mounting
    its charts, a later one first)."""
    expect(locator).to_be_in_viewport(ratio=0.99)
    box = locator.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PROJECTOR["height"] + 1


@pytest.mark.parametrize("name, path", LESSON_LINKS, ids=[n for n, _ in LESSON_LINKS])
def test_each_lesson_link_on_a_projector_shows_its_question_and_its_chart(
        page, app_server, name, path, open_app, wait_for_app, assert_no_exception,
        layout_problems):
    """Presentation mode at 1024×768: the question the link asks and the lesson's chart
    (on Training, its Train button: the chart comes with the run) whole in the first
    screen, readable (tests/browser/layout.js); the screenshot is the README's."""
    page.set_viewport_size(PROJECTOR)
    open_app(page, f"{app_server}{path}&present=1", LONG_MS)
    wait_for_app(page)
    assert_no_exception(page)
    assert page.locator('[data-testid="stAlertContentWarning"]').count() == 0
    question = page.locator(".st-key-rnnviz_question")
    expect(question).to_contain_text(parse_qs(urlparse(path).query)[ASK_KEY][0])
    _in_first_screen(question)
    training = urlparse(path).path == "/Training"
    _in_first_screen(page.get_by_role("button", name="Train", exact=True) if training
                     else page.locator(CHART).first)
    assert layout_problems(page) == []
    page.mouse.move(0, 0)
    _box, raw = _steady_picture(page, "screen", None)
    OUT.mkdir(parents=True, exist_ok=True)
    _save_png(raw, OUT / f"{name}.png")
