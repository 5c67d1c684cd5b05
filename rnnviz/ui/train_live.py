"""Training live on the page, beside everything else: Stop and Continue, the runs waiting for
a slot, the progress (steps/s and time left), three charts (loss, accuracy, gradient norm) and
the runs' table, in a fragment that asks the workers what they trained every POLL_S seconds
while runs train, and every QUEUED_POLL_S while they all wait for a slot. The runs train in
worker processes (rnnviz.ui.training), so clicks, other pages and this polling never
interrupt them.

The browser asks for the polls (follow_runs.js), not Streamlit's `run_every`: each run of the
whole page stops that timer in the browser and only the fragment's call starts it again, so
Streamlit's own Stop (top right) landing before the live part left nothing polling, and the
end of that run took off everything it had not drawn again: a blank page until the next
click. The browser asks only while no script run is going, and when the live part has been
taken off the page it asks for the whole page again."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import streamlit as st

from rnnviz.app import chart_readings
from rnnviz.app import runs as run_records
from rnnviz.app.runs import Run
from rnnviz.engine.cells import CELLS
from rnnviz.figures import training as figures
from rnnviz.ui import page, train_runs, training
from rnnviz.ui.page import plain

# How often the page asks the workers while runs train: each poll costs the server a run of
# the fragment, and a run's end shows up to this late (README: the polling interval).
POLL_S = 0.5
# While every run of the page waits for a training slot nothing changes but its place in
# line, so a class whose runs wait asks the server for a quarter of the polls.
QUEUED_POLL_S = 2.0
FIGURES_KEY = "rnnviz_train_figures"   # {chart: figure} refreshed in place between polls
CHARTS = ("loss", "accuracy", "grad_norm")
FOLLOW_PAGE_KEY, FOLLOW_POLL_KEY = "rnnviz_tr_follow_page", "rnnviz_tr_follow_poll"
_follow_runs = st.components.v2.component(
    "rnnviz_follow_runs", js=(Path(__file__).parent / "follow_runs.js").read_text(),
    # nothing to see: their places take no room in the page
    css=f".st-key-{FOLLOW_PAGE_KEY}, .st-key-{FOLLOW_POLL_KEY} {{ display: none; }}",
    isolate_styles=False)


def live() -> None:
    """The live part of the page, polled while runs train; the whole page reruns when a
    run starts or ends (so the run detail and the buttons follow)."""
    polling = bool(training.training_now())
    _follow_runs(key=FOLLOW_PAGE_KEY, data={"role": "page"})

    @st.fragment
    def _live() -> None:
        ended = training.collect()
        if ended or bool(training.training_now()) != polling:
            st.rerun()   # the whole page, once: the detail updated
        _follow_runs(key=FOLLOW_POLL_KEY, data={"role": "poll", "on": polling,
                                                "interval": round(poll_seconds() * 1000),
                                                "drawn": time.time_ns()})
        controls()
        progress()
        task_notes()
        curves()
        notes()
        kept = training.runs()
        if kept:
            st.header("Runs in this session")
            st.caption(f"Up to {training.MAX_RUNS} runs are kept (the oldest goes first); "
                       "they are yours alone and vanish when you close the tab.")
            train_runs.table(kept)

    _live()


def poll_seconds() -> float:
    """How long the browser waits between polls: QUEUED_POLL_S while every run the session
    trains is waiting for a slot, else POLL_S (a run training or stopping, or none)."""
    now = training.training_now()
    return QUEUED_POLL_S if now and all(r.status == "queued" for r in now) else POLL_S


def controls() -> None:
    """Stop (while runs train), Continue (for runs stopped or loaded), and where each run
    that is not simply training or finished stands."""
    now = training.training_now()
    # wide enough for "Continue" in a page 500 px wide (1024 px with the sidebar open)
    stop, go_on, slots = st.columns([2, 3, 6], vertical_alignment="center")
    stop.button("Stop", key="rnnviz_tr_stop", on_click=training.stop_training,
                disabled=not any(r.status in ("queued", "running") for r in now),
                width="stretch", help="Stops training; everything trained so far is kept.")
    go_on.button("Continue", key="rnnviz_tr_continue", on_click=training.continue_waiting,
                 disabled=bool(now) or not any(r.resumable for r in training.runs()),
                 width="stretch", help="Go on training the stopped or loaded runs.")
    total, busy, waiting = training.slots()
    slots.caption(f"This server trains {total} job{'s' if total > 1 else ''} at a time "
                  f"(a job is the runs one Train starts): {busy} training now, "
                  f"{waiting} waiting.")
    for run in training.runs():
        if run.status == "queued":
            st.info(f"Run {run.id} is waiting for a free slot: {run_records.place_words(run)}. "
                    f"It starts when a slot frees (this page checks every {poll_seconds():g} s).",
                    icon=":material/hourglass_top:")
        elif run.status == "stopping":
            st.info(f"Run {run.id} is stopping after the step it is taking.",
                    icon=":material/pause_circle:")
        elif run.resumable and run.status == "stopped":
            st.info(f"Run {run.id} stopped at step {run.steps_done:,} of "
                    f"{run.last_step:,}: Continue trains it on.", icon=":material/pause_circle:")
        elif run.status == "failed":
            st.error(f"Run {run.id} failed: {plain(run.message)}. What it trained until its "
                     "last snapshot is kept.", icon=":material/error:")


def progress() -> None:
    """For the runs training: how far, how fast, how long still, and their last loss."""
    running = [r for r in training.runs() if r.status == "running"]
    if not running:
        return
    done = sum(r.steps_done - r.first_step for r in running)
    total = sum(r.last_step - r.first_step for r in running)
    steps = " · ".join(f"{r.id}: step {r.steps_done:,} of {r.last_step:,}" for r in running)
    speeds = [r.speed() for r in running]
    pace = ""
    if all(np.isfinite(speeds)):
        left = max(r.seconds_left() for r in running)
        pace = f" · {min(speeds):,.0f} steps/s · about {_duration(left)} left"
    losses = ", ".join(f"{CELLS[r.config.cell].label} {r.last('loss'):.3f}"
                       for r in running if r.history["loss"])
    st.progress(min(done / max(total, 1), 1.0),
                text=f"{steps}{pace}" + (f" · loss {losses}" if losses else ""))


def _duration(seconds: float) -> str:
    """"12 s", "3 min 5 s"."""
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"


def task_notes() -> None:
    """What the tasks of the runs shown changed in their data (rare characters left out of a
    text), once per note with the runs it concerns."""
    concerned: dict[str, list[int]] = {}
    for run in training.shown_runs():
        for note in run.notes:
            concerned.setdefault(note, []).append(run.id)
    for note, ids in concerned.items():
        st.warning(f"{'Runs' if len(ids) > 1 else 'Run'} {_listed(ids)}: {plain(note)}",
                   icon=":material/filter_alt:")


def _listed(ids: list[int]) -> str:
    """Run ids in words: "1", "1 and 2", "1, 2 and 3"."""
    return " and ".join(filter(None, (", ".join(map(str, ids[:-1])), str(ids[-1]))))


def curve(run: Run, column: str, color: str) -> figures.Curve:
    """A run's history `column` over steps (grad_norm marks the clipped steps)."""
    marks = np.asarray(run.history["clipped"]) if column == "grad_norm" else None
    return figures.Curve(run.name, color, np.asarray(run.history["step"]),
                         np.asarray(run.history[column], dtype=np.float64), marks)


def _build(column: str, curves: list[figures.Curve], shown: list[Run]):
    if column == "loss":  # a squared error falls by orders of magnitude
        log_loss = any(r.loss.kind == "squared_error" for r in shown)
        return figures.run_curves(curves, "Loss while training", "loss L", log_y=log_loss)
    if column == "accuracy":
        return figures.run_curves(curves, "Accuracy on each batch", "accuracy",
                                  height=360, legend=False)
    return figures.run_curves(curves, "Gradient norm ‖g‖ (× clipped)",
                              "‖g‖ before clipping", log_y=True, height=360, legend=False,
                              threshold=_threshold(shown))


def _threshold(shown: list[Run]) -> float | None:
    """The clipping threshold the gradient-norm chart draws dashed: the runs' that clip by
    norm, when they share one."""
    clip_at = {r.config.clip_value for r in shown if r.config.clip == "norm"}
    return clip_at.pop() if len(clip_at) == 1 else None


def reading(column: str, fig, shown: list[Run]) -> str | None:
    """The line under a chart on a log axis, how to read it with the newest run's numbers
    (of those clipping at the dashed threshold, where one is drawn); None on a linear axis."""
    if fig.layout.yaxis.type != "log":
        return None
    decades = page.log_decades(fig)
    threshold = _threshold(shown) if column == "grad_norm" else None
    run = max((r for r in shown if threshold is None or r.config.clip == "norm"),
              key=lambda r: r.id)
    steps, values = run.history["step"], run.history[column]
    if column == "loss":
        return chart_readings.loss_reading(run.id, steps, values, decades)
    return chart_readings.grad_norm_reading(run.id, steps, values, run.history["clipped"],
                                            threshold, decades)


def curves() -> None:
    """The loss chart and, under it side by side, accuracy (where the task has one) and
    gradient norm, for the runs shown. A figure from the last poll is refreshed in place
    when it fits (far cheaper than building it again)."""
    listed = training.shown_runs()
    shown = [r for r in listed if r.history["step"]]
    if not shown:
        st.info("The runs' curves appear here after their first steps." if listed else
                "No runs yet: choose the settings above and press Train.")
        return
    kept = st.session_state.setdefault(FIGURES_KEY, {})
    colors = figures.run_colors([r.config.cell for r in shown])
    # accuracy only where a run has one: a regression task's (the sine's) is undefined
    charts = [c for c in CHARTS if c != "accuracy" or any(
        np.isfinite(np.asarray(r.history["accuracy"], dtype=np.float64)).any() for r in shown)]
    slots = [st.container(), *(st.columns(2) if len(charts) == 3 else [st.container()])]
    for column, slot in zip(charts, slots, strict=True):
        lines = [curve(r, column, c) for r, c in zip(shown, colors, strict=True)]
        fig = kept.get(column)
        if fig is None or not figures.refresh_run_curves(fig, lines):
            fig = kept[column] = _build(column, lines, shown)
        with slot:
            page.chart(fig, key=f"rnnviz_tr_{column}")
            if line := reading(column, fig, shown):
                st.caption(line)


def notes() -> None:
    """What the marks on the charts mean, and why a run that diverged stopped and what to
    try instead."""
    kept = training.runs()
    if any(r.history["step"] for r in kept):
        st.caption("Colours as in the loss chart; × marks steps whose gradient was clipped.")
    for run in kept:
        if run.status == "diverged":
            st.error(f"Run {run.id} ({run.label}) {plain(run.message)}.\n\n"
                     f"Try {plain(run_records.what_to_try(run.config))}. The curves show "
                     f"the {run.steps_done:,} steps trained before it.",
                     icon=":material/warning:")
