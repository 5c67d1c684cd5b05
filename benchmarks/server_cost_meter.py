"""bench_server_cost's measuring: the server's CPU time marked at each click of one student in
a real browser, the conditions every action waits for, the ways of repeating an action
(presses, slider moves, Play), and the engine's own time for the training run.

An action's cost is the server's CPU time from its click to the next action's click, less
the server's idle CPU over that span (Meter). Every wait is a condition with a timeout: the
script run finished (load_browser's RunCounter), the charts' content changed (a hash of
their SVG), the page idle with every chart drawn.
"""

from __future__ import annotations

import asyncio
import functools
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # rnnviz
from load_browser import RunCounter  # noqa: E402
from load_server import APP_IDLE_JS, descendants, process_cpu_s, server_cpu_s  # noqa: E402

from rnnviz.app.contents import STEP, Page  # noqa: E402
from rnnviz.ui.player import BACK_KEY, FORWARD_KEY  # noqa: E402

TIMEOUT_MS = 120_000
TRAIN_TIMEOUT_MS = 600_000
# FNV-1a over the charts' SVG: changes when any chart is redrawn with other content
CHART_HASH_JS = """() => {
  let h = 2166136261;
  for (const svg of document.querySelectorAll('[data-testid$="PlotlyChart"] .main-svg')) {
    const s = svg.outerHTML;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
  }
  return h >>> 0;
}"""
# each new t in the first chart's title (the cell diagram's), with when it was drawn
FRAMES_JS = """() => {
  window.rnnvizFrames = [];
  let last = 0;
  const tick = () => {
    const title = document.querySelector('[data-testid$="PlotlyChart"] .gtitle');
    const match = title && title.textContent.match(/t = (\\d+)/);
    if (match && Number(match[1]) > last) {
      last = Number(match[1]);
      window.rnnvizFrames.push([performance.now(), last]);
    }
    requestAnimationFrame(tick);
  };
  tick();
}"""
# where a slider's thumb (an <input type="range">) stands: [value, min, max]
SLIDER_AT_JS = "(thumb) => [thumb.valueAsNumber, Number(thumb.min), Number(thumb.max)]"
CHARTS_DRAWN_JS = """() => [...document.querySelectorAll('[data-testid$="PlotlyChart"]')]
  .every((chart) => chart.querySelector('.main-svg'))"""


# ----- the meter --------------------------------------------------------------------------------

@dataclass
class Action:
    """One kind of action: each time, the server's CPU ms and the seconds it spanned."""

    name: str
    size: str
    samples: list[tuple[float, float]] = field(default_factory=list)
    note: str = ""

    def costs_ms(self, idle_ms_per_s: float) -> list[float]:
        """Each time's server CPU ms less what the server spends idle over its span."""
        return [cpu - idle_ms_per_s * span for cpu, span in self.samples]


class Meter:
    """Marks the server's CPU time at each click; an action's cost runs to the next mark."""

    def __init__(self, pid: int, pause_s: float) -> None:
        self.pid, self.pause_s = pid, pause_s
        self.idle_ms_per_s: list[float] = []
        self._open: tuple[Action, float, float] | None = None

    def idle_rate(self) -> float:
        """The median idle rate measured, ms of server CPU per second."""
        return statistics.median(self.idle_ms_per_s) if self.idle_ms_per_s else 0.0

    async def measure_idle(self, seconds: float) -> None:
        """The server's CPU per second while the open page sits idle, after it has settled."""
        self.close()
        await asyncio.sleep(2.0)
        cpu, start = server_cpu_s(self.pid), time.monotonic()
        await asyncio.sleep(seconds)
        self.idle_ms_per_s.append(1000 * (server_cpu_s(self.pid) - cpu)
                                  / (time.monotonic() - start))

    def mark(self, action: Action | None) -> None:
        """Close the open action here and open `action` (None: open nothing)."""
        now_cpu, now = server_cpu_s(self.pid), time.monotonic()
        if self._open is not None:
            opened, cpu, start = self._open
            opened.samples.append((1000 * (now_cpu - cpu), now - start))
        self._open = (action, now_cpu, now) if action is not None else None

    def close(self) -> None:
        self.mark(None)

    async def run(self, action: Action, act: Callable[[], Awaitable[None]]) -> None:
        """Pause (pacing), then click and wait: `act` does both."""
        await asyncio.sleep(self.pause_s)
        self.mark(action)
        await act()


# ----- the student ------------------------------------------------------------------------------

@dataclass
class Student:
    """One student in one browser tab on the server at `url`, measured by `meter`."""

    meter: Meter
    page: object   # Playwright's Page
    counter: RunCounter
    url: str

    async def settled(self, runs_before: int, hash_before: int | None,
                      timeout_ms: int = TIMEOUT_MS) -> None:
        """Wait for the rerun the action asked for, for the charts' content to change (when
        `hash_before` is given) and for the page to be idle with every chart drawn."""
        await self.counter.wait_for(runs_before + 1, timeout_ms)
        if hash_before is not None:
            await self.page.wait_for_function(f"() => ({CHART_HASH_JS})() !== {hash_before}",
                                              timeout=timeout_ms)
        await self.idle(timeout_ms)
        await self.page.wait_for_function(CHARTS_DRAWN_JS, timeout=timeout_ms)

    async def idle(self, timeout_ms: int = TIMEOUT_MS) -> None:
        await self.page.wait_for_function(APP_IDLE_JS, timeout=timeout_ms)

    async def interact(self, do: Callable[[], Awaitable[None]]) -> None:
        """Do something that redraws the charts, and wait until it has."""
        runs, before = self.counter.finished, await self.page.evaluate(CHART_HASH_JS)
        await do()
        await self.settled(runs, before)

    async def open(self, target: Page, query: str = "") -> None:
        """Open `target` (with the query string `query`, "?…" or ""): a new session."""
        runs = self.counter.finished
        await self.page.goto(f"{self.url}/{target.url_path}{query}", timeout=TIMEOUT_MS)
        await self.settled(runs, None)

    async def measured(self, action: Action, do: Callable[[], Awaitable[None]]) -> None:
        """`do` as one time of `action`: an interaction, paced and measured."""
        await self.meter.run(action, lambda: self.interact(do))


# ----- repeated actions -------------------------------------------------------------------------

async def repeated(student: Student, action: Action, do: Callable[[int], Awaitable[None]],
                   times: int) -> Action:
    """`do(k)` for k = 0 … times − 1, each an interaction measured as `action`."""
    for k in range(times):
        await student.measured(action, lambda k=k: do(k))
    student.meter.close()
    return action


async def step_presses(student: Student, action: Action, T_x: int, presses: int) -> None:
    """▶ until t = T_x, then ◀ back to 1, and so on: `presses` presses from t = 1."""
    page = student.page
    buttons = {+1: page.locator(f".st-key-{FORWARD_KEY}").get_by_role("button"),
               -1: page.locator(f".st-key-{BACK_KEY}").get_by_role("button")}
    t, direction = 1, +1
    for _ in range(presses):
        if not 1 <= t + direction <= T_x:
            direction = -direction
        await student.measured(action, buttons[direction].click)
        t += direction
    student.meter.close()


async def slider_moves(student: Student, action: Action, slider, moves: int) -> Action:
    """Arrow keys on a slider (a locator of its thumb): right until its end, then left to its
    start, and so on, from where it stands."""
    direction = +1
    for _ in range(moves):
        value, low, high = await slider.evaluate(SLIDER_AT_JS)
        if (direction > 0 and value >= high) or (direction < 0 and value <= low):
            direction = -direction
        key = "ArrowRight" if direction > 0 else "ArrowLeft"
        await student.measured(action, functools.partial(_press, slider, key))
    student.meter.close()
    return action


async def _press(slider, key: str) -> None:
    await slider.focus()
    await slider.press(key)


def browser_cpu_s() -> float:
    """User + system CPU seconds of Chromium's live processes started by this script (its
    descendants named chromium or chrome; not the server, not Playwright's driver)."""
    total = 0.0
    for pid in descendants(os.getpid()):
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if name.startswith("chrom"):
            total += process_cpu_s(pid) or 0.0
    return total


async def play(student: Student, query: str, T_x: int, label: str) -> Action:
    """Play on Step through from t = 1 to T_x: the server's CPU per frame; its note says the
    frames per second the browser drew (changes of t in the cell diagram's title) and the
    browser's CPU ms per frame drawn."""
    page = student.page
    await student.open(STEP, query)
    await page.evaluate(FRAMES_JS)
    frames = Action("Step through: Play, per frame", label,
                    note="t = 1 to T_x, each frame's t drawn; the forward pass from the cache")
    browser_before = browser_cpu_s()
    await student.meter.run(frames,
                            page.locator(".st-key-rnnviz_play").get_by_role("button").click)
    await page.wait_for_function(f"() => window.rnnvizFrames.some(([, t]) => t === {T_x})",
                                 timeout=TIMEOUT_MS)
    await student.idle()
    student.meter.close()
    browser_ms = 1000 * (browser_cpu_s() - browser_before)
    drawn = await page.evaluate("window.rnnvizFrames")
    shown = [when for when, t in drawn if t > 1]  # the frames Play drew
    cpu, span = frames.samples[0]
    frames.samples = [(cpu / len(shown), span / len(shown))] * len(shown)
    fps = (len(shown) - 1) / ((shown[-1] - shown[0]) / 1000) if len(shown) > 1 else 0.0
    frames.note += (f", {fps:.1f} frames/s drawn, browser {browser_ms / len(shown):.0f} ms "
                    "CPU per frame")
    return frames


# ----- the engine alone -------------------------------------------------------------------------

def engine_alone_ms() -> tuple[float, str]:
    """CPU ms of the Training page's default run with the engine alone: each cell the page
    trains by default, TrainConfig's defaults, stepped in turn as the page does, in this
    process with NumPy's BLAS limited to BLAS_THREADS thread(s) (rnnviz.app.budget), as the
    app limits it in the server and in every training worker (limit_blas_threads), so that
    the two are timed alike.

    Returns:
        the CPU ms, and what was trained ("rnn + lstm, 500 steps").
    """
    from rnnviz.app.budget import limit_blas_threads
    from rnnviz.engine import keep_freed_memory_for_reuse
    from rnnviz.training.settings import SETTING, TrainConfig
    from rnnviz.training.trainer import Trainer

    keep_freed_memory_for_reuse()  # as the app does
    limit_blas_threads()           # likewise
    cells = list(SETTING["train_cell"].default)
    trainers = [Trainer(TrainConfig(cell=cell)) for cell in cells]
    steps = TrainConfig().steps
    start = time.process_time()
    for _ in range(steps):
        for trainer in trainers:
            trainer.step()
    return 1000 * (time.process_time() - start), f"{' + '.join(cells)}, {steps} steps"
