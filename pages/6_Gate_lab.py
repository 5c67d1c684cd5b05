"""Gate lab: hold a gate or set a state on chosen units and steps, and compare the network
with itself, untouched."""

import streamlit as st

from rnnviz.app import chart_readings as readings
from rnnviz.app import lab, readouts
from rnnviz.app.contents import LAB
from rnnviz.engine import CELLS
from rnnviz.limits import STATE_VALUES
from rnnviz.ui import lab as ui_lab
from rnnviz.ui import page, state, view

config = page.setup(LAB)
cell = CELLS[config.cell]

st.title("Gate lab")
page.intro(
    "Break the network on purpose and watch what it forgets. Clamp a gate to a value (0 "
    "shut, 1 open) or set a state, on every unit or chosen ones, over a range of steps: "
    "the same network runs twice on the same batch, as it is (**original**, left) and with "
    "your changes (**intervened**, right), on the same axes and colour scales. The shaded "
    "steps are the ones you changed."
)

with page.engine_errors():
    params = page.snapshot_params(config)

presenting = state.presenting()  # the lesson's charts first: the editor folded, words below
with page.folded("What to change"):
    if not presenting:
        st.subheader("What to change")
    targets = ", ".join(f"{t} ({readouts.quantity(cell, t).name})" for t in cell.targets)
    ranges = "; ".join(f"{name} from {low:g} to {high:g}" for name, (low, high)
                       in STATE_VALUES.items() if name in cell.states)
    st.caption(f"The {cell.label} offers {targets}. Gates take 0 … 1; states: {ranges}. "
               "Later interventions win where two hold the same unit and step.")
    changes = ui_lab.editor(config)

units_col, example_col, where_col = view.row("units", "example", "where", widths=[2, 1, 2])
with units_col:
    memory = readouts.quantity(cell, cell.states[-1])
    units = view.units(config.n_a, f"units j whose {memory.name} is drawn")
with example_col:
    example = view.index("example", "batch example i", config.m,
                         help="The example the lines and heatmaps show; the loss and the "
                              "gradient are the whole batch's.")
with where_col:
    where = view.choice("where", "where the loss sits",
                        help="The loss whose gradient flows back, as on Gradient flow.")
loss_at = state.view_field("where").label_of(where)

with page.engine_errors():
    result = ui_lab.comparison(config, changes, where, example, params)


def what_changed() -> None:
    st.subheader("What changed")
    st.info(lab.sentence(cell, result, loss_at), icon=":material/science:")
    st.caption(f"Lines, heatmaps and outputs: batch example i = {example}. The loss of each "
               f"step and the gradient: the whole batch, the gradient from the loss at "
               f"{loss_at}.")


if not presenting:
    what_changed()
for k, (key, original, intervened) in enumerate(ui_lab.pictures(cell, result, units, loss_at)):
    left, right = st.columns(2)
    with left:
        page.live_chart(original, key=f"rnnviz_lab_{key}_original")
    with right:
        page.live_chart(intervened, key=f"rnnviz_lab_{key}_intervened")
    if presenting and k == 0:
        what_changed()
    if key == "flow":
        st.caption(readings.lab_flow_reading(result.original.flow["a"],
                                             result.intervened.flow["a"],
                                             page.log_decades(intervened)))

ui_lab.trained_experiments(config, params)
st.caption(
    "What to notice: a gate held at 0 or 1 makes the cell's update simpler, and the sentence "
    "above checks that simpler update on the intervened numbers. Where the memory is cut "
    "(the LSTM's f = 0, the GRU's u = 1, a state set), the gradient reaching the early steps "
    "drops: the network could not learn from them there."
)
