"""What a click costs the server: its CPU time per action of one student in a real browser.

Run:  python benchmarks/bench_server_cost.py [--presses 15] [--loads 5] [--sizes default large]
                                             [--pause-s 1.0] [--no-train] [--json out.json]
                                             [--play-only | --knob-only | --views-only]
                                             [--app-root DIR] [--port PORT]

It starts a real `streamlit run app.py` (headless, 127.0.0.1, a free port; load_server's
Server) and one headless Chromium (the system's /usr/bin/chromium) at the lowest CPU priority:
this script lowers its own priority to nice 19 after starting the server, Playwright's
driver and Chromium inherit it, and Chromium's session (Playwright starts it in one of its
own, which Linux schedules as a group) is set to 19 too (load_server.renice). One student
then, for each size (the default configuration, and n_a = 64, T_x = 60; server_cost_views):

- presses ▶ (and ◀ when t reaches T_x) on Step through and on Gates and cell state, and
  moves their timestep slider with the arrow keys; presses Play on Step through;
- changes the seed in the sidebar (a new seed each time: a new forward pass);
- moves Gradient flow's spectral-radius knob (a new configuration each time: BPTT and the
  Jacobian readouts of every cell again);
- on the Memory map: switches the principal components drawn between 3 and 2 (the 3-D and
  the 2-D drawing measured apart), moves one unit's w slider with the arrow keys, and moves
  its spectral-radius knob (every cell's memory map, the spectra and the fixed points again);
- opens each page afresh (a new session each time): Home, Step through, Gates and cell
  state, Gradient flow, Training, Gradient check, Gate lab, Units on text, Memory map.

Then, once (not per size), it trains the Training page's default run (500 steps, both cells)
to its end and compares it with the same run of the engine alone, timed in this process
first with NumPy's BLAS limited to one thread as the app limits it; and on the Training
page, under "Inside one run", moves the snapshot slider --presses times, presses "Open in
Memory map" (measured to the Memory map drawn) and, there, moves the "Through training"
snapshot slider --presses times. --no-train skips the training run and these actions.

The server's CPU time is read from its CPU-time clock (clock_gettime on the process's clock:
user + system, every thread, those that ended too, in nanoseconds; /proc/<pid>/stat counts
10 ms ticks), plus its children's (/proc). An action's cost is the CPU time from its click to
the next action's click, minus the idle rate (the server's CPU per second while the page sits
open, measured before and after) times that span: so work the server does after the
page has redrawn counts too (server_cost_meter). Every wait is a condition with a timeout:
the run finished (the websocket's script_finished), the charts' content changed (a hash of
their SVG) and the page idle; the training run, until its runs have finished. The pause
between actions (--pause-s) only paces the student. The script stops the server and the
browser whatever happens. Each action's note in the report says what it makes the server
compute.

One part alone (the three flags exclude each other):

- --knob-only: Gradient flow's knob alone (with --sizes large, the knob at n_a = 64,
  T_x = 60; --app-root to measure another checkout's app with this script, in turn with
  this one).
- --play-only: Play alone, three times per size, measured from the click to t = T_x drawn:
  the server's CPU per frame, the frames per second the page drew (each new t in the cell
  diagram's title) and the browser's CPU per frame (user + system time of Chromium's
  processes, from their CPU-time clocks).
- --views-only: the Memory map's actions and the openings of Gate lab, Units on text and
  the Memory map per size, then the training run and its snapshot actions (unless
  --no-train; without the engine-alone comparison).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from load_browser import RunCounter  # noqa: E402
from load_server import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    cpu_model,
    descendants,
    renice,
)
from server_cost_meter import TIMEOUT_MS, Action, Meter, Student, engine_alone_ms  # noqa: E402
from server_cost_views import (  # noqa: E402
    SIZES,
    TRAIN_RUN,
    knob_only,
    one_size,
    play_only,
    snapshots,
    training_run,
    views_size,
)

from rnnviz.app.budget import BLAS_THREADS  # noqa: E402

ALL, PLAY, KNOB, VIEWS = "all", "play", "knob", "views"   # --*-only: what is measured
TRAINED = (ALL, VIEWS)   # the modes with the training run (unless --no-train)


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


async def measure_size(student: Student, size: str, args) -> list[Action]:
    """What the mode measures at one size."""
    if args.mode == PLAY:
        return await play_only(student, size)
    if args.mode == KNOB:
        return await knob_only(student, size, args.presses)
    sizes_actions = views_size if args.mode == VIEWS else one_size
    return await sizes_actions(student, size, args.presses, args.loads)


async def bench(args) -> dict:
    from playwright.async_api import async_playwright

    # the engine alone is the training run's comparison, in the full run only
    engine_ms, engine_run = (engine_alone_ms() if args.train and args.mode == ALL
                             else (None, ""))
    server = Server(port=args.port, app_root=args.app_root)
    os.nice(19)  # this script, Playwright's driver and Chromium: the lowest priority
    loads = [os.getloadavg()]
    actions: list[Action] = []
    meter = Meter(server.proc.pid, args.pause_s)
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                               args=CHROMIUM_ARGS)
            server_side = {server.proc.pid, *descendants(server.proc.pid)}
            for pid in descendants(os.getpid()):
                if pid not in server_side:
                    renice(pid, 19)   # Chromium's session too (its processes to come join it)
            try:
                context = await browser.new_context(viewport={"width": 1400, "height": 900})
                context.set_default_timeout(TIMEOUT_MS)
                page = await context.new_page()
                student = Student(meter, page, RunCounter(page), server.url)
                for size in args.sizes:
                    actions += await measure_size(student, size, args)
                    loads.append(os.getloadavg())
                if args.train:
                    actions.append(await training_run(student))
                    actions += await snapshots(student, args.presses)
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
                        help="presses (and slider moves, seeds, knob moves, switches of the "
                             "components drawn) per action")
    parser.add_argument("--loads", type=int, default=5, help="openings of each page")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--pause-s", type=float, default=1.0,
                        help="seconds between one action's end and the next click")
    parser.add_argument("--no-train", dest="train", action="store_false",
                        help="skip the training run and the snapshot actions that follow it")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--play-only", dest="mode", action="store_const", const=PLAY,
                       help="measure Play alone (three runs per size; no training run)")
    modes.add_argument("--knob-only", dest="mode", action="store_const", const=KNOB,
                       help="measure Gradient flow's spectral-radius knob alone (--presses "
                            "moves per size; no training run)")
    modes.add_argument("--views-only", dest="mode", action="store_const", const=VIEWS,
                       help="measure the Memory map's actions, the loads of Gate lab, Units "
                            "on text and Memory map, and (unless --no-train) the training "
                            "run and its snapshots' actions")
    parser.set_defaults(mode=ALL)
    parser.add_argument("--app-root", type=Path, default=ROOT,
                        help="the checkout whose app.py to serve (default: this one)")
    parser.add_argument("--port", type=int, help="the server's port (default: a free one)")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    args.train = args.train and args.mode in TRAINED
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
    train = next((a for a in result["actions"] if a.name == TRAIN_RUN), None)
    if train and train.samples and result["engine_ms"] is not None:
        total = train.costs_ms(result["idle_rate"])[0]
        print(f"training run ({result['engine_run']}): server {total:.0f} ms, engine alone "
              f"{result['engine_ms']:.0f} ms (NumPy's BLAS on {BLAS_THREADS} thread, as the app "
              f"limits it), everything else {total - result['engine_ms']:.0f} ms")
    if args.json:
        args.json.write_text(json.dumps(
            {**result, "actions": [{**vars(a), "costs_ms": a.costs_ms(result["idle_rate"])}
                                   for a in result["actions"]]}, indent=1))


if __name__ == "__main__":
    main()
