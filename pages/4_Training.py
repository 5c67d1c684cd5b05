"""Training: train the RNN and the LSTM on a task with Adam (or SGD, momentum, RMSProp) and
watch the curves grow; compare runs, look inside Adam, sample names, reopen a snapshot."""

import numpy as np
import streamlit as st

from rnnviz.app.contents import FLOW, GATES, STEP, TRAINING
from rnnviz.figures import training as figures
from rnnviz.limits import MAX_SEED, MAX_TEXT_BYTES, MAX_TRAIN_STEPS
from rnnviz.training.settings import OPTIMIZER_LABELS, train_configs
from rnnviz.training.tasks import TASKS
from rnnviz.ui import page, state
from rnnviz.ui import training as tr

W = "rnnviz_tr_w_"                    # this page's widget keys
SETTINGS_KEY = "rnnviz_train_settings"  # the last settings submitted (non-widget key)
# The lesson-link fields of this page (its view, rnnviz.app.lesson.VIEWS) and their settings.
LINKED = {"task": "task", "train_cell": "cell", "optimizer": "optimizer", "steps": "steps",
          "lr": "learning_rate"}
PENDING_KEY = "rnnviz_train_pending"    # run ids to train in this script run
ERROR_KEY = "rnnviz_train_error"
HIDDEN_KEY = "rnnviz_train_hidden"      # ids of runs left out of the charts
UPLOADED_KEY = "rnnviz_train_uploaded"  # the last upload handled, so a rerun does not repeat it
CELL_CHOICES = {"lstm": "LSTM", "rnn": "RNN", "both": "both, same data and seed"}
CLIP_CHOICES = {"norm": "by global norm", "value": "by value", "none": "off"}
DEFAULTS = {"task": "chars", "cell": "both", "n_a": 32, "m": 32, "T_x": 20, "seed": 1,
            "optimizer": "adam", "learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999,
            "epsilon": 1e-8, "steps": 500, "clip": "norm", "clip_value": 5.0, "text": ""}
STATUS_WORDS = {"running": "training", "stopped": "stopped", "finished": "finished",
                "diverged": "diverged", "loaded": "loaded from a file"}


def settings() -> dict:
    return st.session_state.setdefault(SETTINGS_KEY, dict(DEFAULTS))


def _on_train() -> None:
    stored = settings()  # a control a lesson link hides keeps its stored value
    values = {name: st.session_state.get(W + name, stored.get(name, default))
              for name, default in DEFAULTS.items()}
    st.session_state[SETTINGS_KEY] = values
    state.set_view(TRAINING, {field: values[name] for field, name in LINKED.items()})
    try:
        configs = train_configs({**values, "train_cell": values["cell"]})
        started = [tr.start_run(c) for c in configs]
    except ValueError as why:
        st.session_state[ERROR_KEY] = f"These settings cannot be trained: {why}."
        return
    st.session_state.pop(ERROR_KEY, None)
    st.session_state[PENDING_KEY] = [r.id for r in started]


def _on_continue() -> None:
    st.session_state[PENDING_KEY] = [r.id for r in tr.runs()
                                     if r.status in ("stopped", "loaded") and r.can_continue]


page.setup(TRAINING)
interrupted = tr.mark_interrupted()

st.title("Training")
st.markdown(
    "Pick a task and an optimizer, press **Train**, and watch the loss fall. Train the RNN "
    "and the LSTM on the same batches to see which one learns the task; every run stays "
    "here so you can compare them. The sidebar's network settings are for the other "
    "views; this page has its own settings, here:"
)

# ----- settings -----------------------------------------------------------------------------
stored = settings()
link = state.view(TRAINING)
for field, name in LINKED.items():
    if stored[name] != link[field]:  # a lesson link asked for another value
        stored[name] = st.session_state[W + name] = link[field]
for name, value in stored.items():
    st.session_state.setdefault(W + name, value)

with st.expander("Settings: task, network, optimizer, steps", expanded=not tr.runs()), \
        st.form("train_settings", border=False):
    left, middle, right = st.columns(3)
    with left:
        st.markdown("**Task and network**")
        if state.hidden("task"):
            st.markdown(f"task: **{TASKS[stored['task']].title}**")
        else:
            st.selectbox("task", list(TASKS), key=W + "task",
                         format_func=lambda name: TASKS[name].title,
                         help="; ".join(f"{TASKS[n].title}: {TASKS[n].description}"
                                        for n in TASKS))
        if not state.hidden("train_cell"):
            st.radio("cell", list(CELL_CHOICES), key=W + "cell", format_func=CELL_CHOICES.get,
                     horizontal=True)
        st.number_input("n_a (hidden units)", 1, 256, key=W + "n_a")
        st.number_input("m (batch size)", 1, 64, key=W + "m")
        st.number_input("T_x (timesteps)", 1, 200, key=W + "T_x",
                        help="What T_x means depends on the task: for the adding and copy "
                             "tasks it is how far back the network must remember.")
        st.number_input("seed", 0, MAX_SEED, key=W + "seed",
                        help="Seeds the weights and the batches: same seed, same data.")
    with middle:
        st.markdown("**Optimizer**")
        if state.hidden("optimizer"):
            st.markdown(f"{OPTIMIZER_LABELS[stored['optimizer']]}, "
                        f"learning rate {stored['learning_rate']:g}")
        else:
            st.selectbox("optimizer", list(OPTIMIZER_LABELS), key=W + "optimizer",
                         format_func=OPTIMIZER_LABELS.get,
                         help="Adam uses β1, β2 and ε; momentum uses β1; RMSProp β2 and ε.")
            st.number_input("learning rate α", min_value=1e-6, max_value=1e6, format="%.4g",
                            key=W + "learning_rate")
            st.number_input("β1", min_value=0.0, max_value=0.999, format="%.3f",
                            key=W + "beta1")
            st.number_input("β2", min_value=0.0, max_value=0.999999, format="%.6f",
                            key=W + "beta2")
            st.number_input("ε", min_value=1e-12, max_value=1.0, format="%.1e",
                            key=W + "epsilon")
    with right:
        st.markdown("**Run**")
        st.number_input(f"steps (at most {MAX_TRAIN_STEPS:,})", 1, MAX_TRAIN_STEPS,
                        key=W + "steps")
        st.radio("gradient clipping", list(CLIP_CHOICES), key=W + "clip",
                 format_func=CLIP_CHOICES.get, horizontal=True)
        st.number_input("clipping threshold", min_value=1e-6, max_value=1e6, format="%.4g",
                        key=W + "clip_value")
        st.text_area("your own text (character task, up to 100 kB; empty: dinosaur names)",
                     key=W + "text", height=90, max_chars=MAX_TEXT_BYTES)
    st.form_submit_button("Train", type="primary", on_click=_on_train)

if ERROR_KEY in st.session_state:
    st.error(st.session_state[ERROR_KEY], icon=":material/block:")

# ----- live training ------------------------------------------------------------------------
runs = tr.runs()
pending_ids = st.session_state.pop(PENDING_KEY, [])
pending = [r for r in runs if r.id in pending_ids]

controls = st.columns([1, 1, 4])
controls[0].button("Stop", key="rnnviz_tr_stop", disabled=not pending, width="stretch",
                   help="Stops training; everything trained so far is kept.")
controls[1].button("Continue", key="rnnviz_tr_continue", on_click=_on_continue,
                   disabled=bool(pending) or not any(
                       r.status in ("stopped", "loaded") and r.can_continue for r in runs),
                   width="stretch", help="Go on training the stopped runs.")
for run in interrupted:
    controls[2].info(f"Stopped at step {run.steps_done:,}: {run.label}",
                     icon=":material/pause_circle:")

progress = st.empty()
loss_slot = st.empty()
lower = st.columns(2)
accuracy_slot, grad_slot = lower[0].empty(), lower[1].empty()
draw_count = [0]
live_figures: dict = {}  # this script run's figures, refreshed in place while training



def shown_runs() -> list:
    hidden = st.session_state.get(HIDDEN_KEY, set())
    return [r for r in runs if r.id not in hidden or r in pending]


def draw() -> None:
    """Redraw the progress and the curves of the runs shown."""
    draw_count[0] += 1
    k = draw_count[0]
    if pending:
        done = sum(r.steps_done for r in pending)
        total = sum(r.config.steps for r in pending)
        losses = ", ".join(f"{r.config.cell.upper()} {r.history['loss'][-1]:.3f}"
                           for r in pending if r.history["loss"])
        progress.progress(min(done / total, 1.0),
                          text=f"step {done // len(pending):,} of {total // len(pending):,}"
                               + (f" · loss {losses}" if losses else ""))
    else:
        progress.empty()
    visible = [r for r in shown_runs() if r.history["step"]]
    if not visible:
        loss_slot.info("No runs yet: choose the settings above and press Train.")
        return
    colors = figures.run_colors([r.config.cell for r in visible])
    log_loss = any(r.config.task in ("adding", "sine") for r in visible)
    clip_at = {r.config.clip_value for r in visible if r.config.clip == "norm"}
    charts = (
        (loss_slot, "loss", lambda cs: figures.run_curves(
            cs, "Loss while training", "loss L", log_y=log_loss)),
        (accuracy_slot, "accuracy", lambda cs: figures.run_curves(
            cs, "Accuracy on each batch", "accuracy", height=360, legend=False)),
        (grad_slot, "grad_norm", lambda cs: figures.run_curves(
            cs, "Gradient norm ‖g‖ (× clipped)", "‖g‖ before clipping", log_y=True,
            threshold=clip_at.pop() if len(clip_at) == 1 else None, height=360,
            legend=False)),
    )
    for slot, column, build in charts:
        curves = [r.curve(column, c) for r, c in zip(visible, colors, strict=True)]
        fig = live_figures.get(column)
        # Rebuilding a figure costs ~25 ms; refreshing its data in place ~1 ms.
        if fig is None or not figures.refresh_run_curves(fig, curves):
            fig = live_figures[column] = build(curves)
        with slot:
            page.chart(fig, key=f"rnnviz_tr_{column}_{k}")

draw()
if pending:
    tr.train_live(pending, draw)
    st.rerun()  # redraw the page around the finished runs (Stop greyed out, tables updated)
if any(r.history["step"] for r in runs):
    st.caption("Colours as in the loss chart. The dashed line is the clipping threshold; "
               "× marks steps whose gradient was clipped.")

for run in runs:
    if run.status == "diverged":
        st.error(f"{run.label}: {run.message}. The curves show the {run.steps_done:,} steps "
                 "trained before it.", icon=":material/warning:")

if not runs:
    st.stop()

# ----- the runs kept ------------------------------------------------------------------------
st.header("Runs in this session")
st.caption(f"Up to {tr.MAX_RUNS} runs are kept (the oldest goes first); they are yours "
           "alone and vanish when you close the tab.")
table = [{"run": r.id, "settings": r.label, "status": STATUS_WORDS[r.status],
          "steps": r.steps_done,
          "last loss": r.history["loss"][-1] if r.history["loss"] else np.nan,
          "last accuracy": r.history["accuracy"][-1] if r.history["accuracy"] else np.nan,
          "steps/s": r.speed()[0], "time drawing": r.speed()[2]}
         for r in runs]
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"last loss": st.column_config.NumberColumn(format="%.4f"),
                            "last accuracy": st.column_config.NumberColumn(format="%.3f"),
                            "steps/s": st.column_config.NumberColumn(format="%.0f"),
                            "time drawing": st.column_config.NumberColumn(
                                format="percent", help="Share of the live training time "
                                "spent redrawing the curves.")})
labels = {r.id: f"{r.id}: {r.label}" for r in runs}


def _on_shown() -> None:
    chosen = set(st.session_state["rnnviz_tr_shown_w"])
    st.session_state[HIDDEN_KEY] = {i for i in labels if i not in chosen}


st.session_state["rnnviz_tr_shown_w"] = [
    i for i in labels if i not in st.session_state.get(HIDDEN_KEY, set())]
st.multiselect("runs to show in the charts", list(labels), format_func=labels.get,
               key="rnnviz_tr_shown_w", on_change=_on_shown)
remove_col, _ = st.columns([1, 3])
with remove_col:
    to_remove = st.selectbox("remove a run", [None, *labels], format_func=lambda i: "—"
                             if i is None else labels[i], key="rnnviz_tr_remove")
    if to_remove is not None and st.button("Remove", key="rnnviz_tr_remove_go"):
        tr.remove_run(to_remove)
        st.rerun()

# ----- one run in detail --------------------------------------------------------------------
st.header("Inside one run")
run_id = st.selectbox("run", list(labels), format_func=labels.get, index=len(labels) - 1,
                      key="rnnviz_tr_detail")
run = next(r for r in runs if r.id == run_id)

left, right = st.columns(2)
left.download_button("Download the history (CSV)", run.frame().to_csv(index=False),
                     file_name=f"rnnviz-run-{run.id}.csv", mime="text/csv",
                     key="rnnviz_tr_csv", width="stretch")
right.download_button("Download the model (.npz)", run.model_bytes(),
                      file_name=f"rnnviz-run-{run.id}.npz", mime="application/octet-stream",
                      key="rnnviz_tr_model", width="stretch")

steps, _ = run.stat_series("step")
if run.config.optimizer == "adam" and steps.size:
    st.subheader("Adam's insides")
    st.markdown(
        "Adam keeps, for every weight, a running mean of its gradient (m̂) and of its "
        "square (v̂), and moves it by α·m̂/(√v̂+ε). Where v̂ is large the step is damped; "
        "early on the bias correction keeps both from starting at zero. Each line is the "
        "mean over one parameter array.")
    tabs = st.tabs(["m̂ (first moment)", "v̂ (second moment)", "step size"])
    for tab, stat, key in zip(tabs, ("v_hat", "s_hat", "step"), ("m", "v", "s"), strict=True):
        with tab:
            stat_steps, values = run.stat_series(stat)
            page.chart(figures.optimizer_stats(stat_steps, values, stat),
                       key=f"rnnviz_tr_adam_{key}")
elif steps.size:
    st.subheader(f"Inside {OPTIMIZER_LABELS[run.config.optimizer]}")
    stat_steps, values = run.stat_series("step")
    page.chart(figures.optimizer_stats(stat_steps, values, "step"), key="rnnviz_tr_opt_step")

st.subheader("Snapshots: the network as it was")
snapshot_steps = sorted(run.snapshots)
step = snapshot_steps[0]
if len(snapshot_steps) > 1:
    step = st.select_slider("training step", snapshot_steps, value=snapshot_steps[-1],
                            key=f"rnnviz_tr_snap_{run.id}",
                            help="Parameters are kept every few steps; 0 is the start.")
else:
    st.caption(f"Only one snapshot: step {step:,}.")

if run.config.task == "chars":
    temperature = st.slider("temperature", 0.1, 2.0, 1.0, 0.1, key="rnnviz_tr_temperature",
                            help="Below 1: safer, more repetitive choices; above 1: "
                                 "more surprising ones.")
    names = tr.samples(run.snapshots[step].as_dict(), run.config.cell, run.config.text,
                       float(temperature), 5, seed=step)
    st.markdown(f"**Five samples at step {step:,}:** " + " · ".join(
        f"`{name}`" if name else "`(empty)`" for name in names))

st.markdown("Open this snapshot in another view (the sidebar switches to this network's "
            "task and sizes):")
try:
    tr.view_config(run)
    can_open = True
except ValueError as why:
    st.caption(f"Not available: {why}.")
    can_open = False
views = st.columns(3)
for col, view in zip(views, (STEP, GATES, FLOW), strict=True):
    if col.button(f"Open in {view.title}", key=f"rnnviz_tr_open_{view.title}",
                  disabled=not can_open, width="stretch"):
        tr.open_snapshot(run, step, state.CONFIG_KEY)
        st.switch_page(view.script)

# ----- upload -------------------------------------------------------------------------------
st.header("Load a model")
uploaded = st.file_uploader("a model file saved from this page (.npz)", type=None,
                            key="rnnviz_tr_upload")
if uploaded is not None and st.session_state.get(UPLOADED_KEY) != uploaded.file_id:
    st.session_state[UPLOADED_KEY] = uploaded.file_id
    try:
        loaded = tr.add_loaded(uploaded.getvalue(), uploaded.name)
    except ValueError as why:
        st.session_state[ERROR_KEY + "_upload"] = f"{uploaded.name} was not loaded: {why}"
    else:
        st.session_state.pop(ERROR_KEY + "_upload", None)
        st.success(f"Loaded {uploaded.name} as run {loaded.id}: choose it above to sample "
                   "or open its snapshot, or press Continue to train it further.")
if ERROR_KEY + "_upload" in st.session_state:
    st.error(st.session_state[ERROR_KEY + "_upload"], icon=":material/block:")

st.caption("What to notice: on the copy and adding tasks with a long T_x the RNN's loss "
           "stalls where the LSTM's falls; without clipping a high learning rate makes the "
           "gradient norm spike.")
