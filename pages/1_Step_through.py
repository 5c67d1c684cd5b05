"""Step through: the cell at one timestep, with its numbers, and the whole sequence around it."""

import streamlit as st

from rnnviz import ui
from rnnviz.app import readouts
from rnnviz.engine import CELLS
from rnnviz.figures import forward

config = ui.page_setup("Step through")

st.title("Step through time")
st.markdown(
    "The same cell runs at every timestep: it takes a⟨t−1⟩ and x⟨t⟩ "
    + ("(and the cell state c⟨t−1⟩) " if config.cell == "lstm" else "")
    + "and produces a⟨t⟩ and ŷ⟨t⟩. Move **t**, or press **Play**, and follow one hidden "
    "unit j of one batch example i through the equations."
)

with ui.engine_errors():
    params = ui.snapshot_params(config)
    setup = ui.cached_setup(config, params)
    example_col, unit_col = st.columns(2)
    with example_col:
        example = ui.remembered_choice("batch example i", "example", config.m,
                                       help="Which of the m sequences in the batch to follow.",
                                       control="example")
    with unit_col:
        unit = ui.remembered_choice("hidden unit j", "unit", config.n_a,
                                    help="Which entry of a⟨t⟩ the equations and boxes show.",
                                    control="unit")
    view = ui.cached_view(config, example, params)


def draw(t: int) -> None:
    terms = ui.cached_step_terms(config, example, t, unit, params)
    ui.chart(forward.cell_diagram(config.cell, terms, example))
    st.markdown(f"**The equations at t = {t}, for unit j = {unit} of example i = {example}**: "
                "each pre-activation is the recurrent part, the input part and the bias.")
    for line in readouts.step_latex(CELLS[config.cell], terms):
        st.latex(line)
    st.markdown("The hidden state of every unit over time: each column is one a⟨t⟩. "
                "The black frame is the current step.")
    ui.chart(forward.heatmap(view["a"], "state", f"hidden state a⟨t⟩, example i = {example}",
                             current_t=t, zmax=1.0))
    st.markdown("The output at every step: " + (
        "softmax probabilities of the n_y classes." if setup.loss.output == "softmax"
        else "linear outputs."))
    ui.chart(forward.outputs_over_time(view["y_hat"], setup.loss.output, current_t=t,
                                       title=f"output ŷ⟨t⟩, example i = {example}"))


ui.timestep_player(config.T_x, draw)

st.caption("What to notice: the same weights act at every step, so a⟨t⟩ carries what the "
           "network has seen so far into the next step. The numbers in the cell picture "
           "are the ones in the equations.")
