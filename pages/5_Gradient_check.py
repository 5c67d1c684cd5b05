"""Gradient check: BPTT's gradients against central differences of the loss."""

import streamlit as st

from rnnviz.app import equations, readouts
from rnnviz.app.contents import CHECK
from rnnviz.engine import CELLS, gradcheck
from rnnviz.ui import gradients, page, state

config = page.setup(CHECK)
cell = CELLS[config.cell]

st.title("Gradient check")
st.markdown(
    "Is back-propagation through time computed right? Nudge one weight θᵢ up and down by "
    f"ε = {readouts.power_of_ten(gradcheck.EPS)}, measure how the loss changes, and compare "
    "with the gradient BPTT computed:"
)
st.latex(equations.GRADIENT_CHECK)

plan = gradients.check_plan(config)
inputs = ", ".join(f"{state}⟨0⟩" for state in cell.states)
include_inputs = st.checkbox(f"also check the inputs x, {inputs}", value=False,
                             key="rnnviz_gc_inputs")
if plan is None:
    st.caption(f"Every entry of every array is checked ({cell.label}, "
               f"n_a = {config.n_a}, T_x = {config.T_x}, m = {config.m}).")
else:
    st.caption(f"At this size a full check would take long, so {plan} randomly chosen "
               "entries of each array are checked (chosen with the configuration's seed). "
               "Make the network smaller in the sidebar to check every entry.")

if st.button("Run the check", type="primary", key="rnnviz_gc_run") or st.session_state.get(
        state.CHECKED_KEY) == (config, include_inputs):
    with page.engine_errors():
        table = gradients.check_table(config, plan, include_inputs)
    st.session_state[state.CHECKED_KEY] = (config, include_inputs)
    st.dataframe(gradients.styled_check(table), hide_index=True, width="stretch")
    failures = table[table["result"] != "pass"]
    if failures.empty:
        st.success(f"Every relative error is below {gradients.PASS_BELOW:g}: BPTT and the finite "
                   "differences agree.", icon=":material/check_circle:")
    else:
        st.error(f"{len(failures)} array(s) fail: {', '.join(failures['array'])}. A "
                 f"relative error above {gradients.PASS_BELOW:g} means the backward pass and the "
                 "forward pass disagree (or the loss has a kink there, e.g. a unit "
                 "saturated exactly).", icon=":material/error:")
    st.markdown(
        "**What it means.** A relative error around 10⁻⁹ says the two gradients agree in "
        "their first nine significant digits: BPTT is right. The check cannot do much "
        "better, because L(θ+ε) − L(θ−ε) is a small difference of two large numbers; "
        "when a gradient is tiny (see mean |∂L/∂θ|), round-off alone can push the error "
        "to 10⁻⁶, which is still agreement. Errors of 10⁻³ or more mean a bug."
    )
else:
    st.info("Press **Run the check**: it runs two forward passes per checked entry.")
