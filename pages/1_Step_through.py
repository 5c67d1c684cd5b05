"""Step through: the cell at one timestep, with its numbers, and the whole sequence around it."""

import streamlit as st

from rnnviz.app import equations, readouts
from rnnviz.app.contents import STEP
from rnnviz.engine import CELLS
from rnnviz.figures import forward
from rnnviz.ui import cache, page, player, view

config = page.setup(STEP)
cell = CELLS[config.cell]

st.title("Step through time")
page.intro(
    "The same cell runs at every timestep: it takes a⟨t−1⟩ and x⟨t⟩ "
    + readouts.carried_states(cell)
    + "and produces a⟨t⟩ and ŷ⟨t⟩. Move **t**, or press **Play**, and follow one hidden "
    "unit j of one batch example i through the equations."
)

with page.engine_errors():
    params = page.snapshot_params(config)
    setup = cache.setup(config, params)
    example_col, unit_col = st.columns(2)
    with example_col:
        example = view.index("example", "batch example i", config.m,
                             help="Which of the m sequences in the batch to follow.")
    with unit_col:
        unit = view.index("unit", "hidden unit j", config.n_a,
                          help="Which entry of a⟨t⟩ the equations and boxes show.")
    sequences = cache.example_view(config, example, params)


def draw(t: int) -> None:
    terms = cache.step_terms(config, example, t, unit, params)
    page.live_chart(forward.cell_diagram(cell.name, terms, example), key="rnnviz_step_cell")
    st.markdown(f"**The equations at t = {t}, for unit j = {unit} of example i = {example}**: "
                "each pre-activation is the recurrent part, the input part and the bias.")
    for line in equations.step_latex(cell, terms):
        st.latex(line)
    st.markdown("The hidden state of every unit over time: each column is one a⟨t⟩. "
                "The black frame is the current step.")
    page.live_chart(forward.heatmap(sequences["a"], "state",
                                    f"hidden state a⟨t⟩, example i = {example}",
                                    current_t=t, zmax=readouts.QUANTITIES["a"].zmax),
                    key="rnnviz_step_state")
    st.markdown("The output at every step: " + (
        "softmax probabilities of the n_y classes." if setup.loss.output == "softmax"
        else "linear outputs."))
    page.live_chart(forward.outputs_over_time(sequences["y_hat"], setup.loss.output,
                                              current_t=t,
                                              title=f"output ŷ⟨t⟩, example i = {example}"),
                    key="rnnviz_step_outputs")


player.timestep_player(config.T_x, draw)

st.caption("What to notice: the same weights act at every step, so a⟨t⟩ carries what the "
           "network has seen so far into the next step. The numbers in the cell picture "
           "are the ones in the equations.")
