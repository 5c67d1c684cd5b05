"""Gates and cell state: what the LSTM's gates do over time, and how full its memory is."""

import streamlit as st

from rnnviz import ui
from rnnviz.app import readouts
from rnnviz.engine import CELLS
from rnnviz.figures import forward

config = ui.page_setup("Gates and cell state")

st.title("Gates and cell state")
if config.cell != "lstm":
    st.info("Gates and a cell state belong to the **LSTM**; the vanilla RNN has neither. "
            "Choose **LSTM** as the cell in the sidebar, or load the preset "
            "**LSTM remembers**.", icon="ℹ️")
    st.stop()

st.markdown(
    "Each picture is one quantity for every hidden unit (rows) at every timestep "
    "(columns). Gates run from 0 (closed) to 1 (open) on one fixed colour scale; the cell "
    "state c⟨t⟩, the candidate c̃⟨t⟩ and a⟨t⟩ are blue below 0 and red above it."
)
gate_equations, state_equations = st.columns(2)
for column, lines in ((gate_equations, readouts.EQUATIONS["lstm"][0:3]),
                      (state_equations, readouts.EQUATIONS["lstm"][3:6])):
    with column:
        for line in lines:
            st.latex(line)

with ui.engine_errors():
    params = ui.snapshot_params(config)
    example = ui.remembered_choice("batch example i", "gates_example", config.m, with_mean=True,
                                   help="One sequence of the batch, or the mean over all m.",
                                   control="example")
    view = ui.cached_view(config, example, params)
shown = "the batch mean" if example is None else f"example i = {example}"

st.subheader("How saturated are the gates?")
cell = CELLS[config.cell]
saturation = readouts.saturation(cell, view)
labels = readouts.saturation_labels(cell)
for column, (name, label) in zip(st.columns(len(labels)), labels.items(), strict=True):
    column.metric(label, f"{100 * saturation[name]['high']:.0f}%")
st.markdown("\n".join(f"- {sentence}"
                      for sentence in readouts.saturation_sentences(cell, saturation)))


def draw(t: int) -> None:
    gate_rows = (("f", "forget gate f⟨t⟩", "gate"), ("u", "update gate u⟨t⟩", "gate"),
                 ("o", "output gate o⟨t⟩", "gate"), ("c_tilde", "candidate c̃⟨t⟩", "state"),
                 ("c", "cell state c⟨t⟩", "state"), ("a", "hidden state a⟨t⟩", "state"))
    for first, second in (gate_rows[0:2], gate_rows[2:4], gate_rows[4:6]):
        for column, (name, title, kind) in zip(st.columns(2), (first, second), strict=True):
            with column:
                bounded = name in ("c_tilde", "a")  # tanh outputs: a fixed ±1 scale
                ui.chart(forward.heatmap(view[name], kind, f"{title}, {shown}", current_t=t,
                                         zmax=1.0 if bounded else None, height=360))


st.subheader("Every gate over time")
ui.timestep_player(config.T_x, draw)

st.subheader("The cell state of chosen units")
st.markdown("A forget gate near 1 keeps c⟨t−1⟩: the line moves only by what the update "
            "gate writes, u⟨t⟩∘c̃⟨t⟩, and never drops back. Near 0 it wipes it.")
units = ui.chosen_units(config.n_a)
if units:
    ui.chart(forward.lines_over_time({f"unit {j}": view["c"][j] for j in units},
                                     f"cell state c⟨t⟩, {shown}", "c⟨t⟩"))

st.download_button("Download this trace as CSV",
                   lambda: ui.cached_trace_csv(config, example, params),
                   file_name=f"rnnviz-lstm-trace-{'mean' if example is None else example}.csv",
                   mime="text/csv", help="One row per timestep t and unit j: a, c, f, u, o, c̃.")
