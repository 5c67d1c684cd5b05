"""One training run in detail, on the Training page: its files to download, the optimizer's
insides over training, its snapshots, names sampled from a snapshot (or its predictions on
a student's sequences), a snapshot opened in another view, and (on the copy task) a
snapshot broken on purpose."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from rnnviz.app import chart_readings
from rnnviz.app.contents import SNAPSHOT_VIEWS, UNITS
from rnnviz.app.runs import HISTORY_COLUMNS, Run, shown_snapshot, snapshot_choice, view_config
from rnnviz.figures import training as figures
from rnnviz.training.experiments import applies_to
from rnnviz.training.settings import OPTIMIZER_LABELS, TEMPERATURE
from rnnviz.training.tasks import OWN
from rnnviz.ui import break_it, page, state, training, unit_text

DETAIL_WIDGET = "rnnviz_tr_detail"
SNAPSHOT_CHOICES = "rnnviz_snapshot_choices"  # {slider's place: runs.snapshot_choice}
OPEN_ROW = 3   # "Open in …" buttons a row: five in a row cut "Open in Gates and cell state" short
PREDICTED = 8   # windows of a student's sequences the predictions are shown on
ADAM_TABS = {"v_hat": ("m̂ (first moment)", "m"), "s_hat": ("v̂ (second moment)", "v"),
             "step": ("step size", "s")}   # statistic: (tab, widget key)


def choose(kept: list[Run], names: dict[int, str]) -> Run:
    """The run to look at: the newest started or loaded, until the student picks another."""
    run = training.detail_run()
    state.mirrored(st.selectbox, DETAIL_WIDGET, run.id,
                   state.then_whole_page(training.choose_detail), "run",
                   list(names), format_func=names.get)
    if run.training:
        st.caption(f"Run {run.id} is training: what follows is as it was when the page was "
                   "last drawn (any click draws it again), and its snapshots so far.")
    return run


def history_frame(run: Run) -> pd.DataFrame:
    """The run's history as a table, one row per step (the CSV download)."""
    return pd.DataFrame({c: run.history[c] for c in HISTORY_COLUMNS})


def downloads(run: Run) -> None:
    """The history as CSV, the latest parameters as a model file and as a PyTorch script
    with its weights, side by side."""
    left, right, torch = st.columns(3)
    left.download_button("Download the history (CSV)", history_frame(run).to_csv(index=False),
                         file_name=f"rnnviz-run-{run.id}.csv", mime="text/csv",
                         key="rnnviz_tr_csv", width="stretch")
    right.download_button("Download the model (.npz)", run.model_bytes(),
                          file_name=f"rnnviz-run-{run.id}.npz",
                          mime="application/octet-stream", key="rnnviz_tr_model",
                          width="stretch")
    torch.download_button("Take it to PyTorch (.zip)", run.pytorch_bytes,
                          file_name=f"rnnviz-run-{run.id}-pytorch.zip", mime="application/zip",
                          key="rnnviz_tr_pytorch", width="stretch",
                          help="A PyTorch script (nn.RNN, nn.LSTM, or the course's GRU as a "
                               "module) and the weights; `python rnnviz_model.py` checks it "
                               "gives these outputs.")


def optimizer_insides(run: Run) -> None:
    """Adam's m̂, v̂ and step per parameter over training, in tabs (another optimizer: its
    step); nothing before the run has recorded statistics."""
    steps, _ = run.stat_series("step")
    if not steps.size:
        return
    if run.config.optimizer != "adam":
        st.subheader(f"Inside {OPTIMIZER_LABELS[run.config.optimizer]}")
        statistic(run, "step", key="rnnviz_tr_opt_step")
        return
    st.subheader("Adam's insides")
    st.markdown(
        "Adam keeps, for every weight, a running mean of its gradient (m̂) and of its "
        "square (v̂), and moves it by α·m̂/(√v̂+ε). Where v̂ is large the step is damped; "
        "early on the bias correction keeps both from starting at zero. Each line is the "
        "mean over one parameter array.")
    tabs = st.tabs([tab for tab, _ in ADAM_TABS.values()])
    for tab, (stat, (_, key)) in zip(tabs, ADAM_TABS.items(), strict=True):
        with tab:
            statistic(run, stat, key=f"rnnviz_tr_adam_{key}")


def statistic(run: Run, stat: str, key: str) -> None:
    """One optimizer statistic per parameter over training (a log axis) and how to read it."""
    steps, values = run.stat_series(stat)
    fig = figures.optimizer_stats(steps, values, stat)
    page.chart(fig, key=key)
    st.caption(chart_readings.optimizer_reading(steps, values, figures.STAT_TITLES[stat][1],
                                                page.log_decades(fig)))


def snapshot_step(run: Run, start: int | None = None, key: str = "rnnviz_tr_snap") -> int:
    """The training step of the snapshot to look at: a slider over the snapshots kept, or the
    only one.

    At first the slider is at `start`, or at the newest snapshot when `start` is None. At the
    newest snapshot it follows the run: when the run has trained further (a Continue, or a
    run still training when the page is drawn again) it moves to the new newest. Put on an
    older snapshot, it stays there until the student moves it again."""
    kept = sorted(run.snapshots)
    if len(kept) == 1:
        st.caption(f"Only one snapshot: step {kept[0]:,}.")
        return kept[0]
    place = snapshot_place(run.id, start, key)
    choices = st.session_state.setdefault(SNAPSHOT_CHOICES, {})
    step = shown_snapshot(kept, choices.get(place, start))

    def keep(value: int) -> None:
        choices[place] = snapshot_choice(kept, value)

    return state.mirrored(st.select_slider, snapshot_widget(place), step, keep, "training step",
                          kept,
                          help="Parameters are kept every few steps; the first is where the "
                               "run started. At the newest snapshot the slider follows the "
                               "run as it trains further.")


def snapshot_place(run_id: int, start: int | None = None, key: str = "rnnviz_tr_snap") -> str:
    """Where `snapshot_step` keeps the choice of one slider: a run's, opened at `start`."""
    return f"{key}_{run_id}" + ("" if start is None else f"_{start}")


def snapshot_widget(place: str) -> str:
    """The widget key of the snapshot slider kept at `place` (`snapshot_place`)."""
    return place + "_w"


def samples(run: Run, step: int) -> None:
    """For a character model: five names drawn from the snapshot at a chosen temperature."""
    if run.config.task != "chars":
        return
    low, high = TEMPERATURE.bounds()
    temperature = st.slider(TEMPERATURE.label, low, high, TEMPERATURE.default, 0.1,
                            key="rnnviz_tr_temperature", help=TEMPERATURE.help,
                            on_change=state.follow_change())
    names = training.samples(run.snapshots[step].as_dict(), run.config.cell, run.config.text,
                             float(temperature), 5, seed=step)
    st.markdown(f"**Five samples at step {step:,}:** " + " · ".join(
        f"`{name}`" if name else "`(empty)`" for name in names))


def predictions(run: Run, step: int) -> None:
    """For a run on a student's sequences: the snapshot's predictions on windows of them, in
    the data's units (a chart of the next values, or a table of the classes)."""
    if run.config.task != OWN:
        return
    task = run.config.make_task()
    # the same windows at every step, so moving the slider shows the same ones learned
    shown = training.predictions(run.snapshots[step].as_dict(), run.config, PREDICTED)
    if task.data.classify:
        st.markdown(f"**The network's answers at step {step:,}** on {PREDICTED} windows, at "
                    "their last step (each row: the right class, the class it gave most "
                    "probability, and that probability):")
        classes = task.data.classes
        best = shown.outputs.argmax(axis=0)
        answers = pd.DataFrame({"class": [classes[k] for k in shown.targets],
                                "answer": [classes[k] for k in best],
                                "probability": shown.outputs.max(axis=0)})
        probability = st.column_config.NumberColumn(format="%.2f")
        st.dataframe(answers, hide_index=True, column_config={"probability": probability})
        return
    channels = task.data.channels
    channel = channels.index(st.selectbox("channel", channels, key="rnnviz_tr_channel",
                                          on_change=state.follow_change())
                             if len(channels) > 1 else channels[0])
    page.chart(figures.next_values(shown.inputs[channel, 0], shown.targets[channel, 0, -1],
                                   shown.outputs[channel, 0], channels[channel]),
               key="rnnviz_tr_next_values")
    st.caption(f"At step {step:,} of training, in your data's units: each diamond is what "
               "the network predicted one step earlier for the value beside it. Early steps "
               "are guesses; where the diamonds follow the line, it has learned the pattern.")


def open_in_views(run: Run, step: int) -> None:
    """A button per view that opens the snapshot there (disabled, with the reason, when the
    views cannot show this run)."""
    try:
        view_config(run.config)
    except ValueError as why:
        st.caption(f"Not available: {why}.")
        can_open = False
    else:
        can_open = True
    buttons = [(view, training.open_snapshot, not can_open, f"rnnviz_tr_open_{view.title}")
               for view in SNAPSHOT_VIEWS]
    if run.config.task == "chars":   # a pasted text too: that page reads the run's own
        buttons.append((UNITS, unit_text.open_snapshot, False, "rnnviz_tr_open_text"))
    # in rows of OPEN_ROW, so that each label fits; in callbacks, so that a click that came
    # in the Training page's poll still opens the view
    for start in range(0, len(buttons), OPEN_ROW):
        row = buttons[start:start + OPEN_ROW]
        # the last row may be short
        for column, (view, opener, disabled, key) in zip(st.columns(OPEN_ROW), row,
                                                         strict=False):
            column.button(f"Open in {view.title}", key=key, disabled=disabled,
                          width="stretch", on_click=_open,
                          args=(opener, run, step, view.script))


def _open(open_snapshot: Callable[[Run, int], object], run: Run, step: int, script: str
          ) -> None:
    open_snapshot(run, step)
    state.go_to(script)


def break_the_network(run: Run, step: int) -> None:
    """For a run on the copy task: the snapshot broken on purpose, its memory gate shut and
    its units silenced (rnnviz.ui.break_it)."""
    if not applies_to(run.config.task):
        return
    st.subheader("Break it: shut its memory, silence its units")
    break_it.section(run.snapshots[step].as_dict(), run.config.cell, run.config.task,
                     run.config.T_x, key=f"rnnviz_tr_break_{run.id}")
