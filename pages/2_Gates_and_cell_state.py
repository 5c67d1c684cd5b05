"""Gates and cell state: what the cell's gates do over time, and how full its memory is."""

import streamlit as st

from rnnviz.app import equations, readouts
from rnnviz.app.contents import GATES
from rnnviz.engine import CELLS
from rnnviz.figures import forward
from rnnviz.ui import cache, page, player, sidebar, state, view

config = page.setup(GATES)
cell = CELLS[config.cell]

st.title("Gates and cell state")
if not cell.gates:
    st.info(readouts.no_gates_note(cell), icon="ℹ️")
    st.stop()

page.intro(
    "Each picture is one quantity for every hidden unit (rows) at every timestep "
    "(columns). Gates run from 0 (closed) to 1 (open) on one fixed colour scale; the states "
    "and the candidate are blue below 0 and red above it."
)
page.latex_columns(equations.EQUATIONS[cell.name])

with page.engine_errors():
    params = page.snapshot_params(config)
if params is None and (knobs := sidebar.gate_knobs(config)):  # a snapshot has its own biases
    st.subheader("Open or shut a gate: its bias")
    sidebar.knobs(config, knobs)
    st.caption(readouts.knobs_note(config))

with page.engine_errors():
    example = view.index("example", "batch example i", config.m,
                         help="One sequence of the batch, or the mean over all m.")
    sequences = cache.example_view(config, example, params)
shown = "the batch mean" if example is None else f"example i = {example}"

st.subheader("How saturated are the gates?")
saturation = readouts.saturation(cell, sequences)
metrics = readouts.saturation_metrics(cell, saturation)
for column, (label, share) in zip(st.columns(len(metrics)), metrics.items(), strict=True):
    column.metric(label, f"{100 * share:.0f}%")
saturation_sentences = "\n".join(f"- {sentence}" for sentence
                                 in readouts.saturation_sentences(cell, saturation))
if not state.presenting():
    st.markdown(saturation_sentences)
gate_values = {gate.value for gate in cell.gates}


def draw(t: int) -> None:
    for k in range(0, len(cell.sequences), 2):  # two pictures a row
        for column, name in zip(st.columns(2), cell.sequences[k:k + 2], strict=False):
            quantity = readouts.QUANTITIES[name]
            with column:
                page.live_chart(forward.heatmap(
                    sequences[name], "gate" if name in gate_values else "state",
                    f"{quantity.name} {quantity.symbol}, {shown}", current_t=t,
                    zmax=quantity.zmax, height=360), key=f"rnnviz_gates_{name}")
    st.subheader("One unit over time")
    st.markdown("Its gates on the fixed 0–1 scale above, the other quantities below; the "
                "shaded column is t.")
    with st.columns(4)[0]:
        unit = view.index("unit", "hidden unit j", config.n_a)
    page.live_chart(forward.unit_over_time(**readouts.unit_lines(cell, sequences, unit),
                                           title=f"unit j = {unit}, {shown}", current_t=t),
                    key="rnnviz_gates_unit")




def memory_chart(presenting: bool) -> None:
    """The memory of the chosen units over time: in presentation mode the lesson's chart,
    right under the gates' counts and before the words, so it comes into the first screen."""
    memory = cell.states[-1]  # the state that keeps the memory: the LSTM's c
    words = readouts.QUANTITIES[memory]
    if not presenting:
        st.subheader(f"The {words.name} of chosen units")
        st.markdown(readouts.MEMORY_NOTES.get(cell.name, ""))
    if units := view.units(config.n_a):
        page.chart(forward.lines_over_time({f"unit {j}": sequences[memory][j] for j in units},
                                           f"{words.name} {words.symbol}, {shown}",
                                           words.symbol))
    if presenting:
        st.markdown(readouts.MEMORY_NOTES.get(cell.name, ""))
        st.markdown(saturation_sentences)


if state.presenting():
    memory_chart(presenting=True)
st.subheader("Every gate over time")
player.timestep_player(config.T_x, draw)
if not state.presenting():
    memory_chart(presenting=False)

columns = ", ".join(readouts.QUANTITIES[name].letter for name in readouts.trace_columns(cell))
st.download_button("Download this trace as CSV",
                   lambda: cache.trace_csv(config, example, params),
                   file_name=f"rnnviz-{cell.name}-trace-{'mean' if example is None else example}"
                             ".csv",
                   mime="text/csv", help=f"One row per timestep t and unit j: {columns}.")

st.caption("What to notice: a gate near 0 or 1 is saturated: it blocks or passes almost "
           "everything, and its slope, so its gradient, is almost 0 there.")
