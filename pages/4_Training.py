"""Training: train the RNN, the LSTM and the GRU on a task with Adam (or SGD, momentum, RMSProp) and
watch the curves grow while exploring; compare runs, look inside Adam, sample names, reopen a
snapshot."""

import streamlit as st

from rnnviz.app.contents import TRAINING
from rnnviz.ui import page, run_detail, scrub, train_form, train_live, train_runs, training

page.setup(TRAINING)
training.collect()   # what the workers trained since this session last looked
training.have_a_worker_ready()   # so that Train starts at once

st.title("Training")
page.intro(
    "Pick a task and an optimizer, press **Train**, and watch the loss fall. Train the RNN, "
    "the LSTM and the GRU on the same batches to see which one learns the task; every run "
    "stays here so you can compare them. A run trains beside the page: move any control, open "
    "another page and come back, it goes on until it finishes or you press **Stop**. These "
    "are this page's settings (the sidebar's network settings are for the other views):"
)
settings = st.container()  # drawn above the live part, but after it in the run (below)

# The curves grow while the runs train, polled a few times a second. The live part runs
# first: Streamlit's own Stop (top right) ends a run where it stands and the page keeps only
# what that run drew, so the polling is drawn before anything else can be cut short (and
# the browser asks for the whole page again when a Stop cut even that short).
train_live.live()
with settings:
    train_form.draw()

runs = training.runs()
if not runs:
    st.stop()

train_runs.choose_shown(runs)

st.header("Inside one run")
run = run_detail.choose(runs, train_runs.labels(runs))
run_detail.downloads(run)
run_detail.optimizer_insides(run)

st.subheader("Snapshots: the network as it was")


def snapshots() -> None:
    """The snapshot chosen with its slider, and everything drawn from it: a part of the page,
    so moving the slider redraws only this."""
    step = run_detail.snapshot_step(run)
    st.markdown("**The recurrence at this snapshot.** Each recurrent block's eigenvalues λ "
                "(faint: at the first snapshot); inside the dashed unit circle a direction of "
                "the state shrinks at every step. Move the slider to watch them move as the "
                "run learns, and the spectral radius (the largest |λ|) head toward 1 or away "
                "from it.")
    scrub.spectrum_through_training(run, step, key="rnnviz_tr_scrub")
    run_detail.samples(run, step)
    run_detail.predictions(run, step)
    st.markdown("Open this snapshot in another view (the sidebar switches to this network's "
                "task and sizes):")
    run_detail.open_in_views(run, step)
    run_detail.break_the_network(run, step)


page.part(snapshots, key="rnnviz_tr_part_snapshots")

st.header("Load a model")
train_runs.upload()

st.caption("What to notice: on the copy and adding tasks with a long T_x the RNN's loss "
           "stalls where the LSTM's falls; without clipping a high learning rate makes the "
           "gradient norm spike.")
