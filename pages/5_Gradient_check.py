"""Gradient check: BPTT's gradients against central differences of the loss."""

import streamlit as st

from rnnviz.app import check_words, equations
from rnnviz.app.contents import CHECK
from rnnviz.engine import CELLS, gradcheck
from rnnviz.ui import gradients, page, state

config = page.setup(CHECK)
cell = CELLS[config.cell]

st.title("Gradient check")
page.intro(
    "Is back-propagation through time computed right? Nudge one weight θᵢ up and down by a "
    "small step ε, measure how the loss changes, and compare with the gradient BPTT computed:"
)
st.latex(equations.GRADIENT_CHECK)
st.markdown(
    f"The step starts at ε = {check_words.power_of_ten(gradcheck.EPS)} · max(|θᵢ|, 1). Where the "
    "loss bends within it (the forward and backward differences disagree), the check tries up "
    "to two smaller steps, each chosen to balance the bend against round-off. Where no step "
    "resolves the gradient, because it explodes or vanishes or the loss overflows, the table "
    "says it cannot be checked rather than blame BPTT."
)

inputs = ", ".join(f"{state}⟨0⟩" for state in cell.states)
include_inputs = st.checkbox(f"also check the inputs x, {inputs}", value=False,
                             key="rnnviz_gc_inputs")
plan = gradients.check_plan(config, include_inputs)
st.caption(check_words.check_plan_note(cell, config, plan))

if st.button("Run the check", type="primary", key="rnnviz_gc_run") or st.session_state.get(
        state.CHECKED_KEY) == (config, include_inputs):
    with page.engine_errors():
        results = gradients.check_results(config, plan, include_inputs)
    st.session_state[state.CHECKED_KEY] = (config, include_inputs)
    st.dataframe(gradients.styled_check(gradients.check_table(results)), hide_index=True,
                 width="stretch")
    gradients.show_verdicts(config, results)
    st.markdown(
        "**What it means.** A relative error around 10⁻⁹ says the two gradients agree in "
        "their first nine significant digits: BPTT is right. The check cannot do much "
        "better, because L(θ+ε) − L(θ−ε) is a small difference of two large numbers; "
        "when a gradient is tiny (see mean |∂L/∂θ|), round-off alone can push the error "
        "to 10⁻⁶, which is still agreement. An error above "
        f"{check_words.power_of_ten(gradients.PASS_BELOW)} that the differences resolve means a "
        "bug. A smallest step h below the first one shows where the loss bent within it: "
        "there the gradient grows steeply."
    )
else:
    st.info("Press **Run the check**: it runs two forward passes for every step it tries on "
            "every entry it checks.")
