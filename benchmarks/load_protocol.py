"""bench_load's protocol clients (benchmarks/streamlit_protocol.py): students that speak
Streamlit's websocket protocol at a lesson's pace, in a process of their own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import random
import re
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from load_browser import Lesson, LessonStudent, _attend, _pressing, _training  # noqa: E402
from load_server import OPEN_TIMEOUT_MS, STEP_TIMEOUT_MS, class_cap_s  # noqa: E402

from rnnviz.app.contents import STEP, TRAINING  # noqa: E402
from rnnviz.ui.player import BACK_KEY, FORWARD_KEY  # noqa: E402

# ----- one student as a protocol client -----------------------------------------------------

def chart_t(tab) -> int | None:
    """The t in the title of the page's first chart (Step through's cell diagram), as the
    server last drew it in `tab`: what TITLE_T_JS reads in a browser."""
    for node in tab.elements("bidi_component"):
        figure = json.loads(node.element.json or "{}").get("figure")
        if figure is not None:
            title = json.loads(figure)["layout"].get("title", {}).get("text", "")
            found = re.search(r"t = (\d+)\b", title)
            return int(found[1]) if found else None
    return None


def train_state(tab) -> str:
    """What the Training page shows in `tab`, as _TRAIN_STATE_JS reads it in a browser."""
    if any(tab.elements("progress")):
        return "training"
    if any("is waiting for a free slot" in n.element.body for n in tab.elements("alert")):
        return "queued"
    stop = [n.element for n in tab.elements("button") if n.element.label == "Stop"]
    if stop and stop[0].disabled and any(tab.elements("dataframe")):
        return "idle"
    return "other"


def _protocol_press(tab, result: LessonStudent):
    """A press of ◀ or ▶ sent as the browser sends it, timed to script_finished; the new t
    is checked in the chart the server sent back."""
    keys = {+1: FORWARD_KEY, -1: BACK_KEY}

    async def press(direction: int, t: int) -> None:
        before = tab.finished()
        sent = tab.press_counted(keys[direction])
        run = await tab.wait_runs(before + 1, STEP_TIMEOUT_MS / 1000)
        result.step_ws_s.append(run.at - sent)
        if (shown := chart_t(tab)) != t:
            result.errors.append(f"pressed to t = {t}, the chart came back at t = {shown}")

    return press


async def protocol_student(url: str, index: int, args, rng: random.Random, lesson: Lesson,
                           result: LessonStudent) -> None:
    """One student at a lesson's pace as a protocol client (benchmarks/streamlit_protocol.py):
    the same two sessions, presses and runs as lesson_student, without a browser."""
    from streamlit_protocol import Tab

    step = Tab(url, STEP.url_path, f"n_a={args.n_a}&T_x={args.T_x}&seed={index + 1}")
    train = Tab(url, TRAINING.url_path)

    async def state(wanted: tuple[str, ...]) -> str | None:
        try:
            await train.wait_for(lambda: train_state(train) in wanted, lesson.left_ms() / 1000,
                                 " or ".join(wanted))
        except TimeoutError:
            return None
        return train_state(train)

    async def press_train() -> None:
        train.submit("Train")

    async def open_tabs() -> None:
        await asyncio.gather(step.open(OPEN_TIMEOUT_MS / 1000), train.open(OPEN_TIMEOUT_MS / 1000))
        if chart_t(step) != 1:
            result.errors.append(f"Step through opened at t = {chart_t(step)}")

    async def take_part() -> None:
        await asyncio.gather(_pressing(_protocol_press(step, result), args, rng, lesson, result),
                             _training(press_train, state, args, rng, lesson, result))
        if n := sum(1 for tab in (step, train) for _ in tab.elements("exception")):
            result.errors.append(f"{n} exception element(s) on the pages")

    try:
        await _attend(lesson, result, open_tabs, take_part,
                      lambda: [step.finished(), train.finished()])
    finally:
        result.errors.extend(step.errors + train.errors)
        for tab in (step, train):
            with contextlib.suppress(Exception):
                await tab.close()


async def _protocol_students(url: str, n: int, indices: range, args, barrier) -> dict:
    """The protocol clients' side of a class: their students, and this process's CPU
    seconds per second of the lesson."""
    lesson = Lesson(len(indices), args.duration_s, barrier)
    students = [LessonStudent(client="protocol") for _ in indices]
    marks = {}

    async def cpu_marks() -> None:
        await lesson.begins()
        marks["start"] = time.monotonic(), time.process_time()
        await asyncio.sleep(max(0.0, lesson.end - time.monotonic()))
        marks["end"] = time.monotonic(), time.process_time()

    tasks = [protocol_student(url, i, args, random.Random(1000 * n + i), lesson,
                              st) for i, st in zip(indices, students, strict=True)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(lesson.clock(), cpu_marks(), *tasks),
                               class_cap_s(args))
    (t0, cpu0), (t1, cpu1) = marks.get("start", (0, 0)), marks.get("end", (1, 0))
    return {"students": students, "cpu_per_s": (cpu1 - cpu0) / max(t1 - t0, 1e-9)}


def _protocol_process(url: str, n: int, indices: range, args, barrier, conn) -> None:
    """The protocol clients in a process of their own, at this script's priority (the
    browsers' process lowers its own): their result sent on conn."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        conn.send(asyncio.run(_protocol_students(url, n, indices, args, barrier)))
    except Exception as why:  # noqa: BLE001 - reported as the clients' result
        conn.send({"students": [], "cpu_per_s": 0.0, "failed": f"{type(why).__name__}: {why}"})
    finally:
        conn.close()


class ProtocolClients:
    """The protocol clients of a class (students `indices`), in a process of their own
    started before this one lowers its priority; `barrier` starts their lesson with the
    browsers'."""

    def __init__(self, url: str, n: int, indices: range, args) -> None:
        context = multiprocessing.get_context("fork")
        self.barrier = context.Barrier(2)
        self._result, theirs = context.Pipe(duplex=False)
        self.process = context.Process(target=_protocol_process,
                                       args=(url, n, indices, args, self.barrier, theirs))
        self.process.start()
        theirs.close()

    def result(self, timeout_s: float) -> dict:
        """Their students and CPU (waits for their lesson's end, within `timeout_s`)."""
        failed = {"students": [], "cpu_per_s": 0.0, "failed": "no result from the clients"}
        try:
            if self._result.poll(timeout_s):
                return self._result.recv()
        except EOFError:
            pass
        finally:
            self.stop()
        return failed

    def stop(self) -> None:
        self.process.join(10)
        for stop in (self.process.terminate, self.process.kill):
            if self.process.is_alive():
                stop()
                self.process.join(10)

