"""Training live on the page: Stop and Continue, then a progress bar and three charts (loss,
accuracy, gradient norm) drawn once into slots and refreshed in place while the runs train
side by side (rnnviz.app.runs.train_live), a few times a second."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.app import runs as run_records
from rnnviz.app.runs import Run
from rnnviz.engine.cells import CELLS
from rnnviz.figures import training as figures
from rnnviz.training.tasks import TASKS
from rnnviz.ui import page, training
from rnnviz.ui.page import plain


def controls(training_now: list[Run], interrupted: list[Run]) -> None:
    """Stop (while runs train), Continue (for runs stopped or loaded) and a note for each
    run a click just stopped."""
    stop, go_on, notes = st.columns([1, 1, 4])
    stop.button("Stop", key="rnnviz_tr_stop", disabled=not training_now, width="stretch",
                help="Stops training; everything trained so far is kept.")
    go_on.button("Continue", key="rnnviz_tr_continue", on_click=training.continue_waiting,
                 disabled=bool(training_now) or not any(r.resumable for r in training.runs()),
                 width="stretch", help="Go on training the stopped runs.")
    for run in interrupted:
        notes.info(f"Stopped at step {run.steps_done:,}: {run.label}",
                   icon=":material/pause_circle:")


def task_notes(training_now: list[Run]) -> None:
    """What the tasks of the runs shown changed in their data (rare characters left out of a
    text), once per note with the runs it concerns."""
    concerned: dict[str, list[int]] = {}
    for run in training.shown_runs(training_now):
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
    return figures.Curve(run.label, color, np.asarray(run.history["step"]),
                         np.asarray(run.history[column], dtype=np.float64), marks)


class LiveCurves:
    """The progress of the runs training now and the curves of the runs shown, in slots
    made where it is created; `draw` fills them again."""

    def __init__(self, training_now: list[Run]):
        self.training_now = training_now
        self.progress = st.empty()
        loss = st.empty()
        left, right = st.columns(2)  # under the loss chart, side by side
        self.slots = {"loss": loss, "accuracy": left.empty(), "grad_norm": right.empty()}
        self.figures: dict = {}   # this script run's figures, refreshed in place
        self.draws = 0

    def _progress(self) -> None:
        if not self.training_now:
            self.progress.empty()
            return
        done = sum(r.steps_done for r in self.training_now)
        total = sum(r.config.steps for r in self.training_now)
        count = len(self.training_now)
        losses = ", ".join(f"{CELLS[r.config.cell].label} {r.last('loss'):.3f}"
                           for r in self.training_now if r.history["loss"])
        self.progress.progress(min(done / total, 1.0),
                               text=f"step {done // count:,} of {total // count:,}"
                                    + (f" · loss {losses}" if losses else ""))

    def _build(self, column: str, curves: list[figures.Curve], shown: list[Run]):
        if column == "loss":  # a squared error falls by orders of magnitude
            log_loss = any(TASKS[r.config.task].loss.kind == "squared_error" for r in shown)
            return figures.run_curves(curves, "Loss while training", "loss L", log_y=log_loss)
        if column == "accuracy":
            return figures.run_curves(curves, "Accuracy on each batch", "accuracy",
                                      height=360, legend=False)
        clip_at = {r.config.clip_value for r in shown if r.config.clip == "norm"}
        return figures.run_curves(curves, "Gradient norm ‖g‖ (× clipped)",
                                  "‖g‖ before clipping", log_y=True, height=360, legend=False,
                                  threshold=clip_at.pop() if len(clip_at) == 1 else None)

    def draw(self) -> None:
        """Redraw the progress and the curves of the runs shown."""
        self.draws += 1
        self._progress()
        shown = [r for r in training.shown_runs(self.training_now) if r.history["step"]]
        if not shown:
            self.slots["loss"].info("No runs yet: choose the settings above and press Train.")
            return
        colors = figures.run_colors([r.config.cell for r in shown])
        for column, slot in self.slots.items():
            curves = [curve(r, column, c) for r, c in zip(shown, colors, strict=True)]
            fig = self.figures.get(column)
            # Refreshing a figure's data in place costs far less than building it again.
            if fig is None or not figures.refresh_run_curves(fig, curves):
                fig = self.figures[column] = self._build(column, curves, shown)
            with slot:
                page.chart(fig, key=f"rnnviz_tr_{column}_{self.draws}")


def train(training_now: list[Run]) -> None:
    """Draw the curves; if runs are to train, train them side by side while the curves grow,
    then rerun the page around the finished runs (Stop greyed out, tables updated)."""
    live = LiveCurves(training_now)
    live.draw()
    if training_now:
        # looked up on its module, where benchmarks/bench_training_page.py times it
        run_records.train_live(training_now, live.draw)
        st.rerun()


def notes() -> None:
    """What the marks on the charts mean, and why a run that diverged stopped and what to
    try instead."""
    kept = training.runs()
    if any(r.history["step"] for r in kept):
        st.caption("Colours as in the loss chart. The dashed line is the clipping threshold; "
                   "× marks steps whose gradient was clipped.")
    for run in kept:
        if run.status == "diverged":
            st.error(f"Run {run.id} ({run.label}) {plain(run.message)}.\n\n"
                     f"Try {plain(run_records.what_to_try(run.config))}. The curves show "
                     f"the {run.steps_done:,} steps trained before it.",
                     icon=":material/warning:")
