"""Training: train the RNN and the LSTM on a task with Adam (or SGD, momentum, RMSProp) and
watch the curves grow; compare runs, look inside Adam, sample names, reopen a snapshot."""

import streamlit as st

from rnnviz.app.contents import TRAINING
from rnnviz.ui import page, run_detail, train_form, train_live, train_runs, training

page.setup(TRAINING)
interrupted = training.mark_interrupted()

st.title("Training")
st.markdown(
    "Pick a task and an optimizer, press **Train**, and watch the loss fall. Train the RNN "
    "and the LSTM on the same batches to see which one learns the task; every run stays "
    "here so you can compare them. The sidebar's network settings are for the other "
    "views; this page has its own settings, here:"
)
train_form.draw(expanded=not training.runs())

# The curves grow while the runs train; Stop keeps what they learned so far.
training_now = training.take_pending()
train_live.controls(training_now, interrupted)
train_live.task_notes(training_now)
train_live.train(training_now)
train_live.notes()

runs = training.runs()
if not runs:
    st.stop()

st.header("Runs in this session")
st.caption(f"Up to {training.MAX_RUNS} runs are kept (the oldest goes first); they are yours "
           "alone and vanish when you close the tab.")
train_runs.table(runs)
train_runs.choose_shown(runs)

st.header("Inside one run")
run = run_detail.choose(runs, train_runs.labels(runs))
run_detail.downloads(run)
run_detail.optimizer_insides(run)

st.subheader("Snapshots: the network as it was")
step = run_detail.snapshot_step(run)
run_detail.samples(run, step)
st.markdown("Open this snapshot in another view (the sidebar switches to this network's "
            "task and sizes):")
run_detail.open_in_views(run, step)

st.header("Load a model")
train_runs.upload()

st.caption("What to notice: on the copy and adding tasks with a long T_x the RNN's loss "
           "stalls where the LSTM's falls; without clipping a high learning rate makes the "
           "gradient norm spike.")
