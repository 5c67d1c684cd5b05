"""A class on one server: N students' browsers against one `streamlit run app.py`.

Run:  python benchmarks/bench_load.py [--sessions 10 20 30] [--duration-s 150]
                                      [--press-every-s 3] [--train-every-s 60] [--json out.json]
      python benchmarks/bench_load.py --clients protocol [--browsers 1] [--sessions 10 20 30]
      python benchmarks/bench_load.py --mode burst [--sessions 1 5 10 20]

For each N it starts a fresh server (headless, 127.0.0.1, a free port), then, in a process
of its own at the lowest CPU priority (nice 19, --browser-nice; the server keeps its own),
one headless Chromium (the system's /usr/bin/chromium; a browser is never downloaded) with N
contexts, one per student. So the browsers take only the CPU the server leaves: the figures
are the server's, not those of N pages rendered on its cores.

Lesson (the default): each student opens two tabs, two sessions, at once: Step through
(LSTM, n_a=16, T_x=20, its own seed) and Training. Once every student is in, the lesson
lasts --duration-s. On Step through the student presses ▶ every --press-every-s (±20 %,
from a random first second; ◀ back from t = T_x, the same cost). Latency = from the click
to the cell diagram's title showing the new t (the Plotly chart redrawn in the DOM); the
websocket's script_finished message is timed too. On Training the student presses Train (the
page's default run: both cells, 500 steps) at a random second of each --train-every-s,
unless its last run still waits or trains (that minute is counted as skipped), and follows
the run on the page: queued = from Train to the progress bar (training started; the page
says "waiting for a free slot" until then), training = from there to the run finished (Stop
greyed, no progress bar, the runs' table). A run still waiting or training when the lesson
ends is counted as such, with how long it had waited. The server trains at most cores - 1
jobs at once (rnnviz.app.workers), so runs queue.

Protocol clients (--clients protocol [--browsers 1]): the browsers above share the server's
cores, so with many students they measure themselves as much as the server. So --browsers
students (default 1: two tabs) stay in Chromium at nice 19, measuring ▶ to the chart
redrawn end to end, while the others are protocol clients
(benchmarks/streamlit_protocol.py), in a process of their own at this script's priority:
each opens the same two sessions over Streamlit's websocket and sends, at the same pace,
the reruns a browser sends (the widgets' states, ◀ ▶ as their press counts, Train as the
form's trigger, the live fragment's polls as rnnviz/ui/follow_runs.js asks for them), timed
from sending to script_finished; the t in the chart the server sends back is checked against
the press, and a run is followed in the elements it sends (waiting, the progress bar, then
Stop greyed and the runs' table). They
draw nothing: what they cost is reading the messages (their CPU is reported, apart from the
browser's), and what the server does for a student is all there. Reported besides: the
script runs each page finished in the lesson (Step through's are its presses; Training's
its Train and polls) and the server process's CPU per run.

Burst (--mode burst, the earlier measure): all students at once open Step through, press ▶
--steps times --think-ms (±50 %) apart, then move to Training and train a short run.

Errors counted: exception elements on the page, timeouts, a lost websocket connection, and
for a protocol client a chart sent back at another t than the press asked for.
Reported: latencies (median, 95th percentile, max), the server's CPU (user + system seconds
per second of the lesson, its children, the training workers, included; and the server
process alone), its peak RSS (VmRSS of the server and its children, sampled every 0.2 s),
the browsers' CPU, and the 1-minute load average (sampled with the RSS: the machine may be
shared with other work).

Every wait has a timeout, every loop a count, and each N a time cap; each N runs in a child
process, and the script stops the browser, the server and its workers whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import signal
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from load_browser import Lesson, LessonStudent, Student, lesson_student, student  # noqa: E402
from load_protocol import ProtocolClients, chart_t, train_state  # noqa: E402, F401
from load_server import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    SERVER_START_S,
    Replicas,
    RssSampler,
    Server,
    class_cap_s,
    cpu_model,
    server_cpu_s,
)

# ----- one class of N -----------------------------------------------------------------------

def _percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (None without values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def _stats(values: list[float]) -> dict:
    return {"count": len(values), "median": statistics.median(values) if values else None,
            "p95": _percentile(values, 95), "max": max(values, default=None)}


def summarise(n: int, students: list[Student], peak_rss: int, wall_s: float,
              server_cpu_s: float, browser_cpu_s: float, load: list[float]) -> dict:
    steps = [s for st in students for s in st.step_s]
    return {
        "sessions": n,
        "step_chart": _stats(steps),
        "step_script_finished": _stats([s for st in students for s in st.step_ws_s]),
        "open": _stats([st.open_s for st in students if st.open_s is not None]),
        "train_first_curve": _stats([st.train_first_curve_s for st in students
                                    if st.train_first_curve_s is not None]),
        "train_done": _stats([st.train_done_s for st in students
                             if st.train_done_s is not None]),
        "errors": [f"session {i}: {e}" for i, st in enumerate(students) for e in st.errors],
        "peak_rss_mb": peak_rss / 1e6,
        "wall_s": wall_s,
        "server_cpu_s": server_cpu_s,
        "browser_cpu_s": browser_cpu_s,
        "load_average_1min": load,
        "students": [asdict(st) for st in students],
    }


def summarise_lesson(n: int, students: list[LessonStudent], marks: dict,
                     sampler: RssSampler, wall_s: float, errors: list[str],
                     protocol_cpu_per_s: float = 0.0) -> dict:
    """The lesson's figures; server CPU per second over the lesson itself (from its start,
    once every student had opened its pages, to its end). Step times by kind of client: the
    browsers' (to the chart redrawn, and to script_finished), the protocol clients' (to
    script_finished)."""
    browsers = [st for st in students if st.client == "browser"]
    protocol = [st for st in students if st.client == "protocol"]
    (t0, total0, main0), (t1, total1, main1) = marks.get("start", (0, 0, 0)), \
        marks.get("end", (0, 0, 0))
    span = max(t1 - t0, 1e-9)
    trains = [p for st in students for p in st.trains]
    return {
        "mode": "lesson",
        "sessions": n,
        "lesson_s": t1 - t0,
        "browsers": len(browsers),
        "protocol_clients": len(protocol),
        "step_chart": _stats([s for st in browsers for s in st.step_s]),
        "step_script_finished": _stats([s for st in browsers for s in st.step_ws_s]),
        "step_click": _stats([s for st in browsers for s in st.click_s]),
        "protocol_step_finished": _stats([s for st in protocol for s in st.step_ws_s]),
        "late_presses": sum(st.late_presses for st in browsers),
        "protocol_late_presses": sum(st.late_presses for st in protocol),
        "open": _stats([st.open_s for st in students if st.open_s is not None]),
        "train_presses": len(trains),
        "train_skipped": sum(st.skipped_trains for st in students),
        "train_queued": _stats([p.queued_s for p in trains if p.queued_s is not None]),
        "train_training": _stats([p.training_s for p in trains if p.training_s is not None]),
        "train_finished": sum(p.state == "finished" for p in trains),
        "train_still_training": sum(p.state == "training" for p in trains),
        "train_still_queued": _stats([p.waited_s for p in trains if p.state == "queued"]),
        "train_lost": sum(p.state == "lost" for p in trains),
        "server_cpu_per_s": (total1 - total0) / span,
        "server_main_cpu_per_s": (main1 - main0) / span,
        "script_runs": sum(st.script_runs for st in students),
        "training_runs": sum(st.training_runs for st in students),
        "server_main_cpu_ms_per_run": 1000 * (main1 - main0)
        / max(sum(st.script_runs for st in students), 1),
        "workers_cpu_per_s": ((total1 - total0) - (main1 - main0)) / span,
        "browser_cpu_per_s": sampler.client_cpu_s / max(wall_s, 1e-9),
        "protocol_cpu_per_s": protocol_cpu_per_s,
        "peak_rss_mb": sampler.peak / 1e6,
        "load_1min": [min(sampler.loads, default=0.0), max(sampler.loads, default=0.0)],
        "wall_s": wall_s,
        "errors": errors + [f"student {i}: {e}" for i, st in enumerate(students)
                            for e in st.errors],
        "students": [asdict(st) for st in students],
    }


async def _lesson_marks(lesson: Lesson, server: Server, marks: dict) -> None:
    """The time and the server's CPU (total; the server process alone) at the lesson's
    start and end."""
    def mark() -> tuple[float, float, float]:
        return time.monotonic(), server_cpu_s(server.proc.pid), server.main_cpu_s()

    await lesson.begins()
    marks["start"] = mark()
    await asyncio.sleep(max(0.0, lesson.end - time.monotonic()))
    marks["end"] = mark()


async def _chromium(stack: contextlib.AsyncExitStack):
    """Headless Chromium (the system's), closed with `stack`."""
    from playwright.async_api import async_playwright

    pw = await stack.enter_async_context(async_playwright())
    return await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


async def run_class(n: int, args) -> dict:
    """One class of `n` students against a fresh server. After the server starts (and the
    protocol clients' process, with --clients protocol), this process lowers its priority to
    nice --browser-nice (19), and Playwright's driver and Chromium, started after, inherit it:
    the browsers take only what CPU the server leaves."""
    server = Replicas(args.replicas) if args.replicas else Server()
    pid = server.proc.pid
    browsers = min(args.browsers, n) if args.clients == "protocol" else n
    clients = (ProtocolClients(server.url, n, range(browsers, n), args)
               if browsers < n else None)
    os.nice(args.browser_nice)
    sampler = RssSampler(pid, renice=args.browser_nice,
                         exclude=(clients.process.pid,) if clients else ())
    started, cpu_before = time.monotonic(), server_cpu_s(pid)
    load = [os.getloadavg()[0]]
    errors: list[str] = []
    marks: dict = {}
    protocol = {"students": [], "cpu_per_s": 0.0}
    try:
        async with contextlib.AsyncExitStack() as stack:
            browser = await _chromium(stack) if browsers else None
            try:
                rngs = [random.Random(1000 * n + i) for i in range(n)]
                if args.mode == "lesson":
                    lesson = Lesson(browsers, args.duration_s,
                                    clients.barrier if clients else None)
                    students = [LessonStudent() for _ in range(browsers)]
                    tasks = [lesson_student(browser, server.url, i, args, rngs[i], lesson,
                                            students[i]) for i in range(browsers)]
                    tasks += [lesson.clock(), _lesson_marks(lesson, server, marks)]
                    try:
                        await asyncio.wait_for(asyncio.gather(*tasks), class_cap_s(args))
                    except TimeoutError:
                        errors.append(f"the class's cap of {class_cap_s(args):.0f} s was "
                                      "reached")
                else:
                    tasks = [student(browser, server.url, i, args, rngs[i], pid)
                             for i in range(n)]
                    students = await asyncio.wait_for(asyncio.gather(*tasks),
                                                      class_cap_s(args))
                load.append(os.getloadavg()[0])
            finally:
                if browser is not None:
                    await browser.close()
        if clients:
            protocol = await asyncio.to_thread(clients.result, class_cap_s(args))
            if "failed" in protocol:
                errors.append(f"the protocol clients: {protocol['failed']}")
        cpu = server_cpu_s(pid) - cpu_before
    finally:
        sampler.stop()
        if clients:
            clients.stop()
        server.stop()
    wall = time.monotonic() - started
    if args.mode == "lesson":
        return summarise_lesson(n, students + protocol["students"], marks, sampler, wall,
                                errors, protocol["cpu_per_s"])
    return summarise(n, students, sampler.peak, wall, cpu, sampler.client_cpu_s, load)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _ruled(head: str) -> None:
    """A table's head and a rule under it."""
    print(f"{head}\n{'-' * len(head)}")


def print_table(results: list[dict], args) -> None:
    print(f"\nStep-through: LSTM n_a={args.n_a}, T_x={args.T_x}, {args.steps} presses of ▶ "
          f"per student, think time {args.think_ms} ms ±50 %; training: both cells, "
          f"n_a={args.n_a}, m=16, T_x={args.T_x}, {args.train_steps} steps. Seconds.")
    head = (f"{'N':>3} | {'▶→chart p50':>11} {'p95':>6} {'max':>6} | {'▶→finished p50':>14} "
            f"{'p95':>6} | {'open p50':>8} {'p95':>6} | {'train 1st curve p50':>19} {'p95':>6} "
            f"| {'train done p50':>14} {'p95':>6} | {'RSS MB':>6} | {'CPU s server':>12} "
            f"{'browser':>7} | {'load':>4} | errors")
    _ruled(head)
    for r in results:
        sc, sf, op = r["step_chart"], r["step_script_finished"], r["open"]
        tf, td = r["train_first_curve"], r["train_done"]
        print(f"{r['sessions']:>3} | {_fmt(sc['median']):>11} {_fmt(sc['p95']):>6} "
              f"{_fmt(sc['max']):>6} | {_fmt(sf['median']):>14} {_fmt(sf['p95']):>6} | "
              f"{_fmt(op['median']):>8} {_fmt(op['p95']):>6} | "
              f"{_fmt(tf['median']):>19} {_fmt(tf['p95']):>6} | {_fmt(td['median']):>14} "
              f"{_fmt(td['p95']):>6} | {r['peak_rss_mb']:>6.0f} | {r['server_cpu_s']:>12.0f} "
              f"{r['browser_cpu_s']:>7.0f} | {max(r['load_average_1min']):>4.0f} | "
              f"{len(r['errors'])}")
    for r in results:
        per_student = r["server_cpu_s"] / r["sessions"]
        print(f"  N={r['sessions']}: server CPU per student {per_student:.1f} s"
              + ("; by phase " + ", ".join(f"{k} {v:.2f} s" for k, v in
                                           r["students"][0]["server_cpu_s"].items())
                 if r["sessions"] == 1 else ""))
        for e in r["errors"]:
            print(f"  N={r['sessions']}: {e}")


def _lesson_intro(args, clients: str = "") -> None:
    """What the lesson was, above its table."""
    print(f"\nLesson: {args.duration_s:.0f} s; each student ▶ every {args.press_every_s:g} s "
          f"±20 % on Step through (LSTM, n_a={args.n_a}, T_x={args.T_x}) and Train (the "
          f"default run) every {args.train_every_s:g} s in a second tab{clients}. Seconds; "
          "CPU in seconds per second of the lesson.")


def _measured(results: list[dict]) -> list[dict]:
    """The classes that ran to a result; a line for each that did not."""
    for r in results:
        if "step_chart" not in r:
            print(f"{r['sessions']:>3} | failed: {r.get('failed')}")
    return [r for r in results if "step_chart" in r]


def print_lesson(results: list[dict], args) -> None:
    _lesson_intro(args)
    head = (f"{'N':>3} | {'▶→chart p50':>11} {'p95':>5} {'max':>5} | {'▶→fin p95':>9} | "
            f"{'presses':>7} {'late':>4} | {'trains':>6} {'done':>4} | {'queued p50':>10} "
            f"{'max':>5} | {'training p50':>12} | {'still queued':>12} {'waited max':>10} | "
            f"{'CPU server':>10} {'main':>5} {'workers':>7} {'browser':>7} | {'RSS MB':>6} | "
            f"{'load':>9} | errors")
    _ruled(head)
    for r in _measured(results):
        sc, sf, q, tr = (r["step_chart"], r["step_script_finished"], r["train_queued"],
                         r["train_training"])
        sq = r["train_still_queued"]
        print(f"{r['sessions']:>3} | {_fmt(sc['median']):>11} {_fmt(sc['p95']):>5} "
              f"{_fmt(sc['max']):>5} | {_fmt(sf['p95']):>9} | {sc['count']:>7} "
              f"{r['late_presses']:>4} | {r['train_presses']:>6} {r['train_finished']:>4} | "
              f"{_fmt(q['median']):>10} {_fmt(q['max']):>5} | {_fmt(tr['median']):>12} | "
              f"{sq['count']:>12} {_fmt(sq['max']):>10} | {r['server_cpu_per_s']:>10.2f} "
              f"{r['server_main_cpu_per_s']:>5.2f} {r['workers_cpu_per_s']:>7.2f} "
              f"{r['browser_cpu_per_s']:>7.2f} | {r['peak_rss_mb']:>6.0f} | "
              f"{r['load_1min'][0]:>4.1f}–{r['load_1min'][1]:<4.1f} | {len(r['errors'])}")
    for r in results:
        if "step_chart" in r:
            print(f"  N={r['sessions']}: opening both tabs p50 {_fmt(r['open']['median'])} s, "
                  f"max {_fmt(r['open']['max'])} s; trains skipped (the last still waiting) "
                  f"{r['train_skipped']}, still training at the end "
                  f"{r['train_still_training']}, never shown {r['train_lost']}")
        for e in r.get("errors", []):
            print(f"  N={r['sessions']}: {e}")


def print_protocol_lesson(results: list[dict], args) -> None:
    _lesson_intro(args, f"; {args.browsers} student(s) in Chromium at nice "
                        f"{args.browser_nice}, the others protocol clients")
    head = (f"{'N':>3} | {'browser ▶→chart p50':>19} {'p95':>5} {'max':>5} | "
            f"{'protocol ▶→finished p50':>23} {'p95':>5} {'max':>5} | {'presses':>7} "
            f"{'late':>4} | {'runs':>4} {'done':>4} {'queued at end':>13} | "
            f"{'queued p50':>10} {'max':>5} | {'CPU server':>10} {'main':>5} | "
            f"{'runs/s Step':>11} {'Training':>8} {'main ms/run':>11} | "
            f"{'clients':>7} {'browser':>7} | "
            f"{'RSS MB':>6} | {'load':>9} | errors")
    _ruled(head)
    for r in _measured(results):
        sc, pf, q = r["step_chart"], r["protocol_step_finished"], r["train_queued"]
        print(f"{r['sessions']:>3} | {_fmt(sc['median']):>19} {_fmt(sc['p95']):>5} "
              f"{_fmt(sc['max']):>5} | {_fmt(pf['median']):>23} {_fmt(pf['p95']):>5} "
              f"{_fmt(pf['max']):>5} | {sc['count'] + pf['count']:>7} "
              f"{r['late_presses'] + r['protocol_late_presses']:>4} | "
              f"{r['train_presses']:>4} {r['train_finished']:>4} "
              f"{r['train_still_queued']['count']:>13} | {_fmt(q['median']):>10} "
              f"{_fmt(q['max']):>5} | {r['server_cpu_per_s']:>10.2f} "
              f"{r['server_main_cpu_per_s']:>5.2f} | "
              f"{(r['script_runs'] - r['training_runs']) / r['lesson_s']:>11.1f} "
              f"{r['training_runs'] / r['lesson_s']:>8.1f} "
              f"{r['server_main_cpu_ms_per_run']:>11.1f} | {r['protocol_cpu_per_s']:>7.2f} "
              f"{r['browser_cpu_per_s']:>7.2f} | {r['peak_rss_mb']:>6.0f} | "
              f"{r['load_1min'][0]:>4.1f}–{r['load_1min'][1]:<4.1f} | {len(r['errors'])}")
    for r in results:
        for e in r.get("errors", [])[:20]:
            print(f"  N={r['sessions']}: {e}")


def _class_in_child(n: int, args, conn) -> None:
    """One class, in a forked process (its nice 19 stays there): the result sent on conn.
    SIGTERM raises KeyboardInterrupt, so the browser and the server are still stopped."""
    def interrupt(*_) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        conn.send(asyncio.run(run_class(n, args)))
    except Exception as why:  # noqa: BLE001 - reported as the class's result
        conn.send({"sessions": n, "failed": f"{type(why).__name__}: {why}"[:500],
                   "errors": [str(why)[:500]]})
    finally:
        conn.close()


def one_class(n: int, args) -> dict:
    """Run one class in a child process (each server starts at this script's priority; the
    child lowers its own), within the class's cap."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe(duplex=False)
    child = context.Process(target=_class_in_child, args=(n, args, theirs))
    child.start()
    theirs.close()
    result = {"sessions": n, "failed": "no result within the cap", "errors": ["no result"]}
    try:
        if ours.poll(class_cap_s(args) + SERVER_START_S + 120):
            result = ours.recv()
    except EOFError:
        result = {"sessions": n, "failed": "the class's process ended", "errors": ["ended"]}
    finally:
        child.join(30)
        for stop in (child.terminate, child.kill):
            if child.is_alive():
                stop()
                child.join(60)
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line's settings (`argv`, or sys.argv's), with the class sizes filled in."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("lesson", "burst"), default="lesson",
                        help="lesson: a lesson's pace for --duration-s (default); burst: "
                             "--steps presses --think-ms apart, then one short run")
    parser.add_argument("--sessions", type=int, nargs="+",
                        help="class sizes (default: 10 20 30 for a lesson, 1 5 10 20 burst)")
    parser.add_argument("--duration-s", type=float, default=150.0,
                        help="lesson: how long the lesson lasts once every student is in")
    parser.add_argument("--press-every-s", type=float, default=3.0,
                        help="lesson: seconds between a student's presses of ▶ (±20 %%)")
    parser.add_argument("--train-every-s", type=float, default=60.0,
                        help="lesson: seconds between a student's presses of Train")
    parser.add_argument("--steps", type=int, default=10, help="burst: presses of ▶ per student")
    parser.add_argument("--think-ms", type=int, default=1000, help="burst: between presses")
    parser.add_argument("--n-a", dest="n_a", type=int, default=16)
    parser.add_argument("--T-x", dest="T_x", type=int, default=20)
    parser.add_argument("--train-steps", type=int, default=60, help="burst: the run's steps")
    parser.add_argument("--browser-nice", type=int, default=19,
                        help="the browsers' niceness (default 19, the lowest priority)")
    parser.add_argument("--clients", choices=("browser", "protocol"), default="browser",
                        help="lesson: browser: every student in Chromium (default); protocol: "
                             "--browsers students in Chromium, the others protocol clients "
                             "(Streamlit's websocket protocol, no browser)")
    parser.add_argument("--browsers", type=int, default=1,
                        help="with --clients protocol: students in Chromium (default 1)")
    parser.add_argument("--replicas", type=int, default=0,
                        help="K > 0: K replicas behind nginx (deploy/serve.py), the students "
                             "through it; 0: one `streamlit run app.py` (default)")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)
    if args.sessions is None:
        args.sessions = [10, 20, 30] if args.mode == "lesson" else [1, 5, 10, 20]
    return args


def main() -> None:
    args = parse_args()
    if args.clients == "protocol" and args.mode == "burst":
        sys.exit("--clients protocol is for a lesson (--mode lesson)")
    if not os.access(CHROMIUM, os.X_OK) and (args.clients == "browser" or args.browsers):
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    show = {"burst": print_table, "lesson": print_lesson}[args.mode]
    if args.mode == "lesson" and args.clients == "protocol":
        show = print_protocol_lesson
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; load average at the start: "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()), flush=True)
    results = []
    for n in args.sessions:
        print(f"N = {n} …", flush=True)
        results.append(one_class(n, args))
        show(results[-1:], args)
        sys.stdout.flush()
        if args.json:
            args.json.write_text(json.dumps({"settings": vars(args) | {"json": str(args.json)},
                                             "results": results}, indent=1))
    show(results, args)


if __name__ == "__main__":
    main()
