"""What a click costs the server: its CPU time per action of one student in a real browser.

Run:  python benchmarks/bench_server_cost.py [--presses 15] [--sizes default large]
                                             [--pause-s 1.0] [--json out.json]
                                             [--knob-only | --play-only] [--app-root DIR]

It starts a real `streamlit run app.py` (headless, 127.0.0.1, a free port; load_server's
Server) and one headless Chromium (the system's /usr/bin/chromium) at the lowest CPU priority:
this script lowers its own priority to nice 19 after starting the server, and Playwright's
driver and Chromium inherit it. One student then, for each size (the default configuration,
and n_a = 64, T_x = 60):

- presses ▶ (and ◀ when t reaches T_x) on Step through and on Gates and cell state, and
  moves their timestep slider with the arrow keys;
- changes the seed in the sidebar (a new seed each time: a new forward pass);
- moves Gradient flow's spectral-radius knob (a new configuration each time: BPTT and the
  Jacobian readouts of every cell again);
- opens each page afresh (a new session each time);
- for the default size, trains the Training page's default run (500 steps, both cells)
  and compares it with the same run of the engine alone, timed in this process first.

The server's CPU time is read from its CPU-time clock (clock_gettime on the process's clock:
user + system, every thread, those that ended too, in nanoseconds; /proc/<pid>/stat counts
10 ms ticks), plus its children's (/proc). An action's cost is the CPU time from its click to
the next action's click, minus the idle rate (the server's CPU per second while the page sits
open, measured before and after) times that span: so work the server does after the
page has redrawn counts too. Every wait is a condition with a timeout: the run finished
(the websocket's script_finished), the charts' content changed (a hash of their SVG) and
the page idle. The pause between actions (--pause-s) only paces the student. The script
stops the server and the browser whatever happens.

Gradient flow's knob alone: --knob-only (with --sizes large, the knob at n_a = 64, T_x = 60;
--app-root to measure another checkout's app with this script, in turn with this one).

Play (--play-only: Play alone, three times per size) is measured from the click to t = T_x
drawn: the server's CPU per frame, the frames per second the page drew (each new t in the
cell diagram's title) and the browser's CPU per frame (user + system time of Chromium's
processes, from their CPU-time clocks).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from load_browser import RunCounter  # noqa: E402
from load_server import (  # noqa: E402
    APP_IDLE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    cpu_model,
    descendants,
    process_cpu_s,
    server_cpu_s,
)

from rnnviz.app.contents import CHECK, FLOW, GATES, HOME, STEP, TRAINING  # noqa: E402
from rnnviz.training.settings import TrainConfig  # noqa: E402
from rnnviz.ui.player import BACK_KEY, FORWARD_KEY  # noqa: E402
from rnnviz.ui.sidebar import KNOB_PREFIX  # noqa: E402
from rnnviz.ui.state import WIDGET_PREFIX  # noqa: E402

SIZES = {"default": "", "large": "n_a=64&T_x=60"}
SIZE_LABELS = {"default": "default", "large": "n_a = 64, T_x = 60"}
TIMEOUT_MS = 120_000
TRAIN_TIMEOUT_MS = 600_000
CHARTS = '[data-testid$="PlotlyChart"]'
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
CHARTS_DRAWN_JS = """() => [...document.querySelectorAll('[data-testid$="PlotlyChart"]')]
  .every((chart) => chart.querySelector('.main-svg'))"""


# ----- measuring --------------------------------------------------------------------------------

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


async def settled(page, counter: RunCounter, runs_before: int, hash_before: int | None) -> None:
    """Wait for the rerun the action asked for, for the charts' content to change (when
    `hash_before` is given) and for the page to be idle with every chart drawn."""
    await counter.wait_for(runs_before + 1, TIMEOUT_MS)
    if hash_before is not None:
        await page.wait_for_function(f"() => ({CHART_HASH_JS})() !== {hash_before}",
                                     timeout=TIMEOUT_MS)
    await page.wait_for_function(APP_IDLE_JS, timeout=TIMEOUT_MS)
    await page.wait_for_function(CHARTS_DRAWN_JS, timeout=TIMEOUT_MS)


async def interaction(page, counter: RunCounter, do: Callable[[], Awaitable[None]]) -> None:
    """Do something that redraws the charts, and wait until it has."""
    runs, before = counter.finished, await page.evaluate(CHART_HASH_JS)
    await do()
    await settled(page, counter, runs, before)


async def open_page(page, counter: RunCounter, url: str) -> None:
    runs = counter.finished
    await page.goto(url, timeout=TIMEOUT_MS)
    await settled(page, counter, runs, None)


# ----- the student ----------------------------------------------------------------------------

def _t_x(query: str) -> int:
    for part in query.split("&"):
        if part.startswith("T_x="):
            return int(part[4:])
    from rnnviz.app.config import Config
    return Config().T_x


async def step_presses(meter: Meter, page, counter: RunCounter, action: Action, T_x: int,
                       presses: int) -> int:
    """▶ until t = T_x, then ◀ back to 1, and so on: `presses` presses from t = 1.

    Returns:
        the timestep t reached.
    """
    buttons = {+1: page.locator(f".st-key-{FORWARD_KEY}").get_by_role("button"),
               -1: page.locator(f".st-key-{BACK_KEY}").get_by_role("button")}
    t, direction = 1, +1
    for _ in range(presses):
        if not 1 <= t + direction <= T_x:
            direction = -direction
        await meter.run(action, lambda d=direction: interaction(page, counter,
                                                                buttons[d].click))
        t += direction
    return t


async def slider_moves(meter: Meter, page, counter: RunCounter, action: Action, slider,
                       low: int, high: int, start: int, moves: int) -> None:
    """Arrow keys on a focused slider: right until `high`, then left, and so on."""
    value, direction = start, +1
    for _ in range(moves):
        if not low <= value + direction <= high:
            direction = -direction
        key = "ArrowRight" if direction > 0 else "ArrowLeft"
        await slider.focus()
        await meter.run(action, lambda k=key: interaction(page, counter,
                                                          lambda: slider.press(k)))
        value += direction


async def repeated(meter: Meter, page, counter: RunCounter, action: Action,
                   do: Callable[[int], Awaitable[None]], times: int) -> Action:
    """`do(k)` for k = 0 … times − 1, each an interaction measured as `action`."""
    for k in range(times):
        await meter.run(action, lambda k=k: interaction(page, counter, lambda: do(k)))
    meter.close()
    return action


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


async def play(meter: Meter, page, counter: RunCounter, url: str, suffix: str, T_x: int,
               label: str) -> tuple[Action, float, float]:
    """Play on Step through from t = 1 to T_x: the server's CPU per frame, the frames per
    second the browser drew (changes of t in the cell diagram's title) and the browser's
    CPU ms per frame drawn."""
    await open_page(page, counter, f"{url}/{STEP.url_path}{suffix}")
    await page.evaluate(FRAMES_JS)
    frames = Action("Step through: Play, per frame", label, note="t = 1 to T_x")
    browser_before = browser_cpu_s()
    await meter.run(frames, page.locator(".st-key-rnnviz_play").get_by_role("button").click)
    await page.wait_for_function(f"() => window.rnnvizFrames.some(([, t]) => t === {T_x})",
                                 timeout=TIMEOUT_MS)
    await page.wait_for_function(APP_IDLE_JS, timeout=TIMEOUT_MS)
    meter.close()
    browser_ms = 1000 * (browser_cpu_s() - browser_before)
    drawn = await page.evaluate("window.rnnvizFrames")
    shown = [when for when, t in drawn if t > 1]  # the frames Play drew
    cpu, span = frames.samples[0]
    frames.samples = [(cpu / len(shown), span / len(shown))] * len(shown)
    fps = (len(shown) - 1) / ((shown[-1] - shown[0]) / 1000) if len(shown) > 1 else 0.0
    return frames, fps, browser_ms / len(shown)


def _play_note(fps: float, browser_ms: float) -> str:
    return f", {fps:.1f} frames/s drawn, browser {browser_ms:.0f} ms CPU per frame"


async def play_only(meter: Meter, page, counter: RunCounter, url: str,
                    size: str) -> list[Action]:
    """Play on Step through alone, three times from t = 1 to T_x."""
    query = SIZES[size]
    actions = []
    for _ in range(3):
        frames, fps, browser_ms = await play(meter, page, counter, url,
                                             f"?{query}" if query else "", _t_x(query),
                                             SIZE_LABELS[size])
        frames.note += _play_note(fps, browser_ms)
        actions.append(frames)
    return actions


async def one_size(meter: Meter, page, counter: RunCounter, url: str, size: str,
                   presses: int, loads: int) -> list[Action]:
    query = SIZES[size]
    suffix = f"?{query}" if query else ""
    T_x = _t_x(query)
    label = SIZE_LABELS[size]
    actions = []

    for target in (STEP, GATES):
        await open_page(page, counter, f"{url}/{target.url_path}{suffix}")
        await meter.measure_idle(5.0)
        press = Action(f"{target.title}: ▶ / ◀", label)
        t = await step_presses(meter, page, counter, press, T_x, presses)
        slide = Action(f"{target.title}: timestep slider", label)
        # the slider's key is numbered once ◀ ▶ moved t (rnnviz.ui.player)
        slider = page.locator(f'[class*="st-key-{WIDGET_PREFIX}t"]').get_by_role("slider")
        await slider_moves(meter, page, counter, slide, slider, 1, T_x, t, presses)
        meter.close()
        actions += [press, slide]
        if target == STEP:
            frames, fps, browser_ms = await play(meter, page, counter, url, suffix, T_x, label)
            frames.note += _play_note(fps, browser_ms)
            actions.append(frames)

    await open_page(page, counter, f"{url}/{STEP.url_path}{suffix}")
    box = page.locator(f".st-key-{WIDGET_PREFIX}seed").get_by_role("spinbutton")

    async def new_seed(k: int) -> None:
        await box.fill(str(100 + k))
        await box.press("Enter")

    actions.append(await repeated(meter, page, counter, Action(
        "Step through: seed changed in the sidebar", label,
        note="a new forward pass each time"), new_seed, presses))

    actions.append(await knob_moves(meter, page, counter, url, size, presses))

    for target in (HOME, STEP, GATES, FLOW, TRAINING, CHECK):
        opened = Action(f"page load: {target.title}", label, note="a new session each time")
        for _ in range(loads):
            await meter.run(opened, lambda t=target: open_page(
                page, counter, f"{url}/{t.url_path}{suffix}"))
        meter.close()
        actions.append(opened)
    await meter.measure_idle(5.0)
    return actions


async def knob_moves(meter: Meter, page, counter: RunCounter, url: str, size: str,
                     presses: int) -> Action:
    """Gradient flow's spectral-radius knob moved one step right `presses` times."""
    query = SIZES[size]
    await open_page(page, counter, f"{url}/{FLOW.url_path}" + (f"?{query}" if query else ""))
    knob = page.locator(f".st-key-{KNOB_PREFIX}spectral_radius").get_by_role("slider")

    async def knob_right(_: int) -> None:
        await knob.focus()
        await knob.press("ArrowRight")

    return await repeated(meter, page, counter, Action(
        "Gradient flow: spectral-radius knob", SIZE_LABELS[size],
        note="a new configuration each time: every cell anew"), knob_right, presses)


async def training_run(meter: Meter, page, counter: RunCounter, url: str) -> Action:
    """The Training page's default run, from Train to its row in the runs' table."""
    await open_page(page, counter, f"{url}/{TRAINING.url_path}")
    run = Action("Training: Train (default run)", SIZE_LABELS["default"])

    async def train() -> None:
        await page.get_by_role("button", name="Train", exact=True).click()
        await page.get_by_text("Runs in this session").wait_for(timeout=TRAIN_TIMEOUT_MS)
        await page.wait_for_function(APP_IDLE_JS, timeout=TRAIN_TIMEOUT_MS)

    await meter.run(run, train)
    meter.close()
    return run


def engine_alone_ms() -> tuple[float, str]:
    """CPU ms of the Training page's default run with the engine alone: each cell the page
    trains by default, TrainConfig's defaults, stepped in turn as the page does."""
    from rnnviz.engine import keep_freed_memory_for_reuse
    from rnnviz.training.settings import SETTING
    from rnnviz.training.trainer import Trainer

    keep_freed_memory_for_reuse()  # as the app does
    cells = list(SETTING["train_cell"].default)
    trainers = [Trainer(TrainConfig(cell=cell)) for cell in cells]
    steps = TrainConfig().steps
    start = time.process_time()
    for _ in range(steps):
        for trainer in trainers:
            trainer.step()
    return 1000 * (time.process_time() - start), f"{' + '.join(cells)}, {steps} steps"


# ----- the report -------------------------------------------------------------------------------

def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1))]


def print_table(actions: list[Action], idle_ms_per_s: float) -> None:
    head = f"{'action':<44} {'size':<18} {'median ms':>9} {'p95 ms':>7} {'mean ms':>8} {'n':>3}"
    print(head)
    print("-" * len(head))
    for a in actions:
        costs = a.costs_ms(idle_ms_per_s)
        if not costs:
            continue
        print(f"{a.name:<44} {a.size:<18} {statistics.median(costs):>9.1f} "
              f"{_p95(costs):>7.1f} {statistics.fmean(costs):>8.1f} "
              f"{len(costs):>3}" + (f"  ({a.note})" if a.note else ""))


async def bench(args) -> dict:
    from playwright.async_api import async_playwright

    engine_ms, engine_run = engine_alone_ms() if args.train else (None, "")
    server = Server(port=args.port, app_root=args.app_root)
    os.nice(19)  # this script, Playwright's driver and Chromium: the lowest priority
    loads = [os.getloadavg()]
    actions: list[Action] = []
    meter = Meter(server.proc.pid, args.pause_s)
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                               args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(viewport={"width": 1400, "height": 900})
                context.set_default_timeout(TIMEOUT_MS)
                page = await context.new_page()
                counter = RunCounter(page)
                for size in args.sizes:
                    if args.play_only:
                        actions += await play_only(meter, page, counter, server.url, size)
                    elif args.knob_only:
                        actions.append(await knob_moves(meter, page, counter, server.url,
                                                        size, args.presses))
                        await meter.measure_idle(5.0)
                    else:
                        actions += await one_size(meter, page, counter, server.url, size,
                                                  args.presses, args.loads)
                    loads.append(os.getloadavg())
                if args.train:
                    actions.append(await training_run(meter, page, counter, server.url))
                    loads.append(os.getloadavg())
            finally:
                await browser.close()
    finally:
        server.stop()
    return {"actions": actions, "idle_ms_per_s": meter.idle_ms_per_s,
            "idle_rate": meter.idle_rate(), "loadavg": loads, "engine_ms": engine_ms,
            "engine_run": engine_run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=15,
                        help="presses (and slider moves, seeds, knob moves) per action")
    parser.add_argument("--loads", type=int, default=5, help="openings of each page")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--pause-s", type=float, default=1.0,
                        help="seconds between one action's end and the next click")
    parser.add_argument("--no-train", dest="train", action="store_false",
                        help="skip the training run")
    parser.add_argument("--play-only", action="store_true",
                        help="measure Play alone (three runs per size; no training run)")
    parser.add_argument("--knob-only", action="store_true",
                        help="measure Gradient flow's spectral-radius knob alone (--presses "
                             "moves per size; no training run)")
    parser.add_argument("--app-root", type=Path, default=ROOT,
                        help="the checkout whose app.py to serve (default: this one)")
    parser.add_argument("--port", type=int, help="the server's port (default: a free one)")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    args.train = args.train and not (args.play_only or args.knob_only)
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    result = asyncio.run(bench(args))
    print(f"\nmachine: {cpu_model()}, {os.cpu_count()} cores; load average (1, 5, 15 min) "
          "at the start and after each part: "
          + "; ".join(", ".join(f"{x:.1f}" for x in la) for la in result["loadavg"]))
    print("server idle CPU: " + ", ".join(f"{x:.1f}" for x in result["idle_ms_per_s"])
          + f" ms/s; their median, {result['idle_rate']:.1f} ms/s, is subtracted")
    print("server CPU per action, ms:")
    print_table(result["actions"], result["idle_rate"])
    train = next((a for a in result["actions"] if a.name.startswith("Training")), None)
    if train and train.samples and result["engine_ms"] is not None:
        total = train.costs_ms(result["idle_rate"])[0]
        print(f"training run ({result['engine_run']}): server {total:.0f} ms, engine alone "
              f"{result['engine_ms']:.0f} ms, everything else {total - result['engine_ms']:.0f}"
              " ms")
    if args.json:
        args.json.write_text(json.dumps(
            {**result, "actions": [{**vars(a), "costs_ms": a.costs_ms(result["idle_rate"])}
                                   for a in result["actions"]]}, indent=1))


if __name__ == "__main__":
    main()
