"""bench_load's students in Chromium: the burst student, a lesson's pace, and a browser
student pressing ▶ and Train at that pace."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from load_server import (  # noqa: E402
    APP_IDLE_JS,
    OPEN_TIMEOUT_MS,
    SIDEBAR,
    STEP_TIMEOUT_MS,
    TITLE_T_JS,
    TRAIN_TIMEOUT_MS,
    cpu_seconds,
    form_values,
)

from rnnviz.app.contents import STEP, TRAINING  # noqa: E402
from rnnviz.ui.player import BACK_KEY, FORWARD_KEY  # noqa: E402

# ----- one student --------------------------------------------------------------------------

@dataclass
class Student:
    """What one session measured (seconds) and the errors it met."""

    open_s: float | None = None
    step_s: list[float] = field(default_factory=list)       # click -> chart redrawn
    step_ws_s: list[float] = field(default_factory=list)    # click -> script_finished
    train_first_curve_s: float | None = None
    train_done_s: float | None = None
    errors: list[str] = field(default_factory=list)
    server_cpu_s: dict[str, float] = field(default_factory=dict)  # per phase; exact at N=1


@functools.cache
def _browser_fixtures():
    """tests/browser/conftest.py as a module: its websocket parsing is the one this uses."""
    path = ROOT / "tests" / "browser" / "conftest.py"
    if str(ROOT / "tests") not in sys.path:  # its helpers' home, on pytest's pythonpath too
        sys.path.insert(0, str(ROOT / "tests"))
    spec = importlib.util.spec_from_file_location("rnnviz_browser_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RunCounter:
    """Counts script_finished messages on a page's websocket (as tests/browser/conftest)."""

    def __init__(self, page) -> None:
        self.finished = 0
        self.closed = False
        self.times: list[float] = []
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws) -> None:
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framereceived", self._on_frame)
            ws.on("close", lambda _ws: setattr(self, "closed", True))

    def _on_frame(self, payload) -> None:
        if _browser_fixtures().is_finished_run(payload):
            self.finished += 1
            self.times.append(time.perf_counter())

    async def wait_for(self, target: int, timeout_ms: int) -> float:
        """Wait until `target` runs have finished; the time the target-th one arrived."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self.finished < target:
            if self.closed:
                raise RuntimeError("the websocket closed")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no finished script run within {timeout_ms / 1000:.0f} s")
            await asyncio.sleep(0.01)
        return self.times[target - 1]


async def fill_training_form(page, values: dict[str, int], timeout_ms: int) -> None:
    """Fill the training page's number boxes {label: value}, each confirmed with Tab."""
    form = page.get_by_test_id("stForm")
    for label, value in values.items():
        box = form.get_by_label(label, exact=True)
        await box.wait_for(state="visible", timeout=timeout_ms)
        await box.fill(str(value))
        await box.press("Tab")


_TRAINING_DONE_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const stop = main && [...main.querySelectorAll('button')].find(
      (b) => b.innerText.trim() === 'Stop');
  return !!stop && stop.disabled && !document.querySelector('[data-testid="stProgress"]')
      && !!document.querySelector('[data-testid="stDataFrame"]');
}"""


async def wait_training_done(page, timeout_ms: int) -> None:
    """After the rerun that Train asked for: wait until the session's runs have finished (the
    page's Stop greyed, no progress bar, the runs' table drawn)."""
    await page.wait_for_function(_TRAINING_DONE_JS, timeout=timeout_ms)


async def _exceptions(page) -> int:
    return await page.locator('[data-testid="stException"]').count()


async def _idle(page, timeout_ms: int) -> None:
    await page.wait_for_function(APP_IDLE_JS, timeout=timeout_ms)


async def student(browser, url: str, index: int, args, rng: random.Random,
                  server_pid: int) -> Student:
    """One student's session: open, step through, train; everything timed, and the
    server's CPU time over each phase (the whole server's: exact only when N = 1)."""
    result = Student()
    cpu_mark = [cpu_seconds(server_pid)]

    def phase(name: str) -> None:
        now = cpu_seconds(server_pid)
        result.server_cpu_s[name] = now - cpu_mark[0]
        cpu_mark[0] = now

    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = await context.new_page()
    counter = RunCounter(page)
    try:
        start = time.perf_counter()
        await page.goto(f"{url}/{STEP.url_path}?n_a={args.n_a}&T_x={args.T_x}&seed={index + 1}",
                        timeout=OPEN_TIMEOUT_MS)
        await counter.wait_for(1, OPEN_TIMEOUT_MS)
        await page.wait_for_function(TITLE_T_JS, arg=1, timeout=OPEN_TIMEOUT_MS)
        await _idle(page, OPEN_TIMEOUT_MS)
        result.open_s = time.perf_counter() - start
        phase("open")
        forward = page.locator(f".st-key-{FORWARD_KEY}").get_by_role("button")
        for t in range(2, min(args.steps, args.T_x - 1) + 2):
            await asyncio.sleep(args.think_ms / 1000 * rng.uniform(0.5, 1.5))
            before = counter.finished
            start = time.perf_counter()
            await forward.click()
            await page.wait_for_function(TITLE_T_JS, arg=t, timeout=STEP_TIMEOUT_MS)
            result.step_s.append(time.perf_counter() - start)
            finished_at = await counter.wait_for(before + 1, STEP_TIMEOUT_MS)
            result.step_ws_s.append(finished_at - start)
            await _idle(page, STEP_TIMEOUT_MS)
        phase("steps")
        if n := await _exceptions(page):
            result.errors.append(f"{n} exception element(s) on the step-through page")

        before = counter.finished
        await page.locator(SIDEBAR).get_by_role("link", name=TRAINING.title).click()
        await counter.wait_for(before + 1, OPEN_TIMEOUT_MS)
        await _idle(page, OPEN_TIMEOUT_MS)
        await fill_training_form(page, form_values(n_a=args.n_a, m=16, T_x=args.T_x,
                                                   steps=args.train_steps),
                                 OPEN_TIMEOUT_MS)
        start = time.perf_counter()
        await page.get_by_role("button", name="Train", exact=True).click()
        curve = page.locator('[data-testid$="PlotlyChart"] .scatterlayer .trace').first
        await curve.wait_for(state="attached", timeout=TRAIN_TIMEOUT_MS)
        result.train_first_curve_s = time.perf_counter() - start
        await page.get_by_text("Runs in this session").wait_for(timeout=TRAIN_TIMEOUT_MS)
        await wait_training_done(page, TRAIN_TIMEOUT_MS)
        result.train_done_s = time.perf_counter() - start
        phase("train")
        await _idle(page, TRAIN_TIMEOUT_MS)
        if n := await _exceptions(page):
            result.errors.append(f"{n} exception element(s) on the training page")
        if await page.get_by_text("diverged", exact=False).count():
            result.errors.append("a run diverged")
    except Exception as why:  # noqa: BLE001 - every failure is a finding to report
        result.errors.append(f"{type(why).__name__}: {str(why).splitlines()[0][:200]}")
    finally:
        if counter.closed:
            result.errors.append("the websocket closed")
        with contextlib.suppress(Exception):
            await context.close()
    return result


# ----- one student at a lesson's pace -------------------------------------------------------

@dataclass
class TrainPress:
    """One press of Train at a lesson's pace (seconds; None: not reached by the lesson's end).

    state: "finished", or what the run was doing when the lesson ended ("queued",
    "training"), or "lost" (the press never showed a run)."""

    at_s: float                       # from the lesson's start
    queued_s: float | None = None     # Train -> the progress bar shown (training started)
    training_s: float | None = None   # training started -> finished
    waited_s: float = 0.0             # Train -> training started, or the lesson's end
    state: str = "lost"


@dataclass
class LessonStudent:
    """What one student measured at a lesson's pace (seconds) and the errors it met."""

    open_s: float | None = None
    step_s: list[float] = field(default_factory=list)       # click -> chart redrawn
    step_ws_s: list[float] = field(default_factory=list)    # click -> script_finished
    click_s: list[float] = field(default_factory=list)      # Playwright's click returned
    late_presses: int = 0      # pressed more than a second after its time (the last was slow)
    script_runs: int = 0       # runs its two sessions finished in the lesson (presses, polls)
    training_runs: int = 0     # of which the Training page's (Train, the live part's polls)
    trains: list[TrainPress] = field(default_factory=list)
    skipped_trains: int = 0    # minute marks passed while its last run still waited or trained
    errors: list[str] = field(default_factory=list)
    client: str = "browser"    # or "protocol": a protocol client, no browser


_TRAIN_STATE_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main) return 'none';
  if (main.querySelector('[data-testid="stProgress"]')) return 'training';
  if (main.innerText.includes('is waiting for a free slot')) return 'queued';
  const stop = [...main.querySelectorAll('button')].find((b) => b.innerText.trim() === 'Stop');
  if (stop && stop.disabled && main.querySelector('[data-testid="stDataFrame"]')) return 'idle';
  return 'other';
}"""


class Lesson:
    """The lesson's clock, shared by the students: it starts once every student has opened
    its pages (or failed to), and lasts `duration_s`. With `barrier` (the students of another
    process: the protocol clients), once that process's students are in too."""

    def __init__(self, students: int, duration_s: float, barrier=None) -> None:
        self.waiting, self.duration_s, self.barrier = students, duration_s, barrier
        self.everyone_in, self.started = asyncio.Event(), asyncio.Event()
        self.start = self.end = 0.0
        if students == 0:
            self.everyone_in.set()

    def opened(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.everyone_in.set()

    async def clock(self) -> None:
        """Start the lesson once every student is in (it never starts if they are not within
        the opening's time: the students then report the wait as their error)."""
        wait_s = OPEN_TIMEOUT_MS / 1000 * 2
        with contextlib.suppress(TimeoutError, threading.BrokenBarrierError):
            await asyncio.wait_for(self.everyone_in.wait(), wait_s)
            if self.barrier is not None:
                await asyncio.to_thread(self.barrier.wait, wait_s)
            self.start = time.monotonic()
            self.end = self.start + self.duration_s
            self.started.set()

    async def begins(self) -> None:
        await asyncio.wait_for(self.started.wait(), OPEN_TIMEOUT_MS / 1000 * 3)

    def left_ms(self) -> int:
        """Milliseconds to the lesson's end (at least 1: a timeout of 0 waits forever)."""
        return max(1, int(1000 * (self.end - time.monotonic())))


async def _open(page, counter: RunCounter, url: str) -> None:
    await page.goto(url, timeout=OPEN_TIMEOUT_MS)
    await counter.wait_for(1, OPEN_TIMEOUT_MS)
    await _idle(page, OPEN_TIMEOUT_MS)


async def _pressing(press, args, rng: random.Random, lesson: Lesson,
                    result: LessonStudent) -> None:
    """▶ every --press-every-s (±20 %) until the lesson ends; ◀ back from t = T_x. Each press
    is `await press(direction, t)`, which presses and waits for the new t."""
    t, direction = 1, +1
    due = lesson.start + rng.uniform(0, args.press_every_s)
    while due < lesson.end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if time.monotonic() - due > 1.0:
            result.late_presses += 1
        if not 1 <= t + direction <= args.T_x:
            direction = -direction
        t += direction
        await press(direction, t)
        due += args.press_every_s * rng.uniform(0.8, 1.2)


def _browser_press(page, counter: RunCounter, result: LessonStudent):
    """A press of ◀ or ▶ in the browser, timed to the chart redrawn and to script_finished."""
    buttons = {+1: page.locator(f".st-key-{FORWARD_KEY}").get_by_role("button"),
               -1: page.locator(f".st-key-{BACK_KEY}").get_by_role("button")}

    async def press(direction: int, t: int) -> None:
        before = counter.finished
        start = time.perf_counter()
        await buttons[direction].click()
        result.click_s.append(time.perf_counter() - start)
        await page.wait_for_function(TITLE_T_JS, arg=t, timeout=STEP_TIMEOUT_MS)
        result.step_s.append(time.perf_counter() - start)
        finished_at = await counter.wait_for(before + 1, STEP_TIMEOUT_MS)
        result.step_ws_s.append(finished_at - start)
        await _idle(page, STEP_TIMEOUT_MS)

    return press


async def _train_state(page, wanted: tuple[str, ...], *, lesson: Lesson) -> str | None:
    """Wait (polling every 0.2 s) until the Training page shows one of `wanted`; None if the
    lesson ended first."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        handle = await page.wait_for_function(
            f"(wanted) => wanted.includes(({_TRAIN_STATE_JS})())", arg=list(wanted),
            polling=200, timeout=lesson.left_ms())
    except PlaywrightTimeout:
        return None
    await handle.dispose()
    return await page.evaluate(_TRAIN_STATE_JS)


async def _training(train, state, args, rng: random.Random, lesson: Lesson,
                    result: LessonStudent) -> None:
    """Train (the page's default run) at a random second of each --train-every-s, unless
    the last run still waits or trains; each run followed until it finishes or the lesson
    ends. `await train()` presses Train; `await state(wanted)` waits until the page shows one
    of the states `wanted` (None: the lesson ended first)."""
    due = lesson.start + rng.uniform(0, args.train_every_s)
    while due < lesson.end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        press = TrainPress(at_s=time.monotonic() - lesson.start)
        result.trains.append(press)
        start = time.monotonic()
        await train()
        seen = await state(("queued", "training"))
        if seen == "queued":
            press.state = "queued"
            seen = await state(("training", "idle"))
        if seen in ("training", "idle"):
            press.queued_s = time.monotonic() - start
            press.state = "training"
            started = time.monotonic()
            if seen == "training" and await state(("idle",)):
                press.training_s = time.monotonic() - started
                press.state = "finished"
        press.waited_s = press.queued_s if press.queued_s is not None else \
            time.monotonic() - start
        due += args.train_every_s
        while due < time.monotonic() and due < lesson.end:
            result.skipped_trains += 1
            due += args.train_every_s


async def _page_checks(step, train, result: LessonStudent) -> None:
    """The errors the browser's two tabs show at the lesson's end."""
    if n := await _exceptions(step):
        result.errors.append(f"{n} exception element(s) on the step-through page")
    if n := await _exceptions(train):
        result.errors.append(f"{n} exception element(s) on the training page")
    if await train.get_by_text("diverged", exact=False).count():
        result.errors.append("a run diverged")


def _runs_since(now: list[int], before: list[int]) -> tuple[int, int]:
    """(script runs of both tabs, of the Training tab) between two counts [Step, Training]."""
    return now[0] + now[1] - before[0] - before[1], now[1] - before[1]


async def _attend(lesson: Lesson, result: LessonStudent, open_tabs, take_part,
                  run_counts) -> None:
    """A student's lesson: `await open_tabs()` (timed), then, once the lesson begins,
    `await take_part()`. Every failure is one of its errors; its script runs are counted
    (`run_counts()`: [Step through's, Training's]) from the lesson's start to its end, or to
    the failure."""
    opened, runs_before = False, None
    try:
        start = time.perf_counter()
        await open_tabs()
        result.open_s = time.perf_counter() - start
        lesson.opened()
        opened = True
        await lesson.begins()
        runs_before = run_counts()
        await take_part()
    except Exception as why:  # noqa: BLE001 - every failure is a finding to report
        result.errors.append(f"{type(why).__name__}: {str(why).splitlines()[0][:200]}")
    finally:
        if not opened:
            lesson.opened()
        if runs_before is not None:
            result.script_runs, result.training_runs = _runs_since(run_counts(), runs_before)


async def lesson_student(browser, url: str, index: int, args, rng: random.Random,
                         lesson: Lesson, result: LessonStudent) -> None:
    """One student at a lesson's pace, in two tabs (two sessions): Step through, pressing ▶
    every few seconds, and Training, pressing Train once a minute and watching the run.

    Each tab is a window of its own (a browser context): two pages of one context are tabs
    of one window, and Chromium then treats the one behind as hidden, so a click on it took
    2 s and its chart another 1.1 s on an idle machine (0.03-0.15 s and 0.13-0.27 s in a
    window of its own), which is no student's view of the page they press on."""
    contexts = [await browser.new_context(viewport={"width": 1280, "height": 800})
                for _ in range(2)]
    for context in contexts:
        context.set_default_timeout(STEP_TIMEOUT_MS)
    tabs, counters = [], []

    async def open_tabs() -> None:
        tabs.extend([await context.new_page() for context in contexts])
        counters.extend(RunCounter(tab) for tab in tabs)
        await asyncio.gather(
            _open(tabs[0], counters[0], f"{url}/{STEP.url_path}?n_a={args.n_a}"
                                        f"&T_x={args.T_x}&seed={index + 1}"),
            _open(tabs[1], counters[1], f"{url}/{TRAINING.url_path}"))
        await tabs[0].wait_for_function(TITLE_T_JS, arg=1, timeout=OPEN_TIMEOUT_MS)
        await tabs[1].get_by_role("button", name="Train", exact=True).wait_for(
            timeout=OPEN_TIMEOUT_MS)

    async def take_part() -> None:
        step, train = tabs
        train_button = train.get_by_role("button", name="Train", exact=True)
        await asyncio.gather(
            _pressing(_browser_press(step, counters[0], result), args, rng, lesson, result),
            _training(train_button.click, functools.partial(_train_state, train, lesson=lesson),
                      args, rng, lesson, result))
        await _page_checks(step, train, result)

    try:
        await _attend(lesson, result, open_tabs, take_part,
                      lambda: [c.finished for c in counters])
    finally:
        if any(c.closed for c in counters):
            result.errors.append("a websocket closed")
        for context in contexts:
            with contextlib.suppress(Exception):
                await context.close()

