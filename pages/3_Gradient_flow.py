"""Gradient flow: how much of the loss's gradient reaches back to each timestep, for every cell
on the same inputs, and the knobs that make it vanish or explode."""

import streamlit as st

from rnnviz.app import build, flow_readings, lesson
from rnnviz.app.config import NOTEBOOK
from rnnviz.app.contents import FLOW
from rnnviz.engine import CELLS
from rnnviz.figures import gradients as figures
from rnnviz.ui import gradients, page, sidebar, state, view

KNOB_HELP = {
    "spectral_radius": "The largest |eigenvalue| of Waa: below 1 the RNN's gradient vanishes, "
                       "above 1 it can explode. 0 leaves Waa as drawn.",
    "weight_scale": "Scales every weight; large weights saturate tanh, whose slope 1 − a² "
                    "then kills the gradient.",
    "lstm_bf": "Large values keep the LSTM's f near 1: c⟨t⟩ carries the gradient back.",
    "gru_bu": "Very negative values keep the GRU's u near 0: a⟨t⟩ carries the gradient back.",
    "T_x": "How many steps the gradient must travel.",
}

config = page.setup(FLOW)

st.title("Gradient flow through time")
page.intro(
    "Back-propagation through time hands the gradient from a⟨t⟩ to a⟨t−1⟩ by multiplying "
    "it by the step's Jacobian, once per step. If those factors are below 1 the gradient "
    "shrinks geometrically on its way back: early timesteps hear almost nothing from the "
    "loss, and the network cannot learn to remember them. That is the **vanishing "
    "gradient**; factors above 1 make it **explode**."
)

with page.engine_errors():
    snapshot = page.snapshot_params(config)  # a training snapshot opened for this config

if knobs := sidebar.visible_knobs():
    st.subheader("The knobs that cause it")
    sidebar.knobs(config, knobs, KNOB_HELP, columns=len(lesson.FLOW_KNOBS))
    if config.input == NOTEBOOK:
        st.caption("With the notebook's input the weights are its own randn draws; moving "
                   "the weight scale or the spectral radius switches to a random Gaussian "
                   "input so the knob applies. The biases shift the drawn ones.")

where_col, example_col, truncate_col = view.row("where", "example", "truncate")
with where_col:
    where = view.choice("where", "where the loss sits",
                        help="Last step only: every gradient has to travel back from t = T_x, "
                             "the clearest picture. Every step: each a⟨t⟩ also gets its own "
                             "output's gradient.")
with example_col:
    example = view.index("example", "batch example i", config.m,
                         help="The example for the heatmap and the Jacobians.")
cells = [config.cell] if snapshot is not None else list(CELLS)
with truncate_col:
    truncate = view.truncation(config, where, cells)

with page.engine_errors():
    reports = {cell: gradients.flow_report(build.for_cell(config, cell), where, example, snapshot,
                                           truncate) for cell in cells}

flows = {cell: report["flow"] for cell, report in reports.items()}
drawn = figures.gradient_flow(flows, state.view_field("where").label_of(where))
page.live_chart(drawn, key="rnnviz_gf_flow")
st.markdown(
    "**How to read it.** The y axis is logarithmic: equal distances up the axis are "
    "equal factors (from 10⁻⁶ to 10⁻³ is a factor of 1000). "
    "A straight line falling to the left means the gradient loses the same factor at "
    "every step back, which is exponential decay; its slope is that factor. A line "
    "that stays flat means the gradient arrives undiminished. The LSTM's cell state "
    "c⟨t⟩ (dashed) is its gradient highway: c⟨t−1⟩ gets c⟨t⟩'s gradient times f, so "
    "with forget gates near 1 it hardly shrinks."
)
st.caption(flow_readings.flow_reading(flows, page.log_decades(drawn)))
if truncate and truncate < config.T_x:
    st.caption(flow_readings.truncation_reading(config.T_x, truncate, where))

st.subheader("The step Jacobians and their product")
st.markdown(
    "‖J⟨t⟩‖ is the most that step t can stretch a gradient (its largest singular value): "
    "for the RNN J⟨t⟩ = diag(1 − a⟨t⟩²) Waa; for the LSTM, of (a⟨t⟩, c⟨t⟩) with respect "
    "to (a⟨t−1⟩, c⟨t−1⟩); for the GRU, of a⟨t⟩ with respect to a⟨t−1⟩, which (1 − u)∘a⟨t−1⟩ "
    "keeps near the identity where u is near 0. Chained from T_x back to t they give "
    "how much of the gradient at T_x can reach step t: the solid line is the norm of the "
    "chained product, the dashed line the product of the single norms, an upper bound "
    f"that can be far too generous. Batch example {example}."
)
left, right = st.columns(2)
with left:
    page.live_chart(figures.jacobian_norms({c: r["jacobian"] for c, r in reports.items()}),
                    key="rnnviz_gf_jac")
with right:
    page.live_chart(figures.norm_product({c: r["product"] for c, r in reports.items()}),
                    key="rnnviz_gf_product")
gradients.chain_metrics(config, reports, trained=snapshot is not None)

st.subheader("Which units carry the gradient")
heat_cell = st.radio("cell", cells, cells.index(config.cell), lambda c: CELLS[c].label,
                     horizontal=True, key="rnnviz_gf_heat_cell") if len(cells) > 1 else cells[0]
page.live_chart(figures.gradient_heatmap(reports[heat_cell]["dA"], heat_cell, example),
                key="rnnviz_gf_heat")
st.caption("Red: increasing that unit's a⟨t⟩ would increase the loss; blue: decrease it. "
           "White is zero; columns fading to white on the left are the vanishing gradient.")

if state.hidden("clipping"):
    st.stop()  # a lesson link removed the clipping section, the last on the page
st.subheader("Gradient clipping")
st.markdown(
    "Clipping by global norm rescales *all* gradients together when their combined norm "
    "‖g‖ = √(Σ‖∂L/∂W‖²) exceeds a threshold τ: g ← g·τ/‖g‖. The direction is kept, only "
    "the length is capped, so one exploding batch cannot throw the weights far away."
)
tau_col, *metrics = st.columns([1, *[2] * len(reports)])
threshold = tau_col.number_input("threshold τ", min_value=1e-6, max_value=1e6, value=1.0,
                                 format="%.4g", key="rnnviz_gf_tau")
table, clip_reports = gradients.clipping_table({c: r["grads"] for c, r in reports.items()},
                                               threshold)
for col, (cell, report) in zip(metrics, clip_reports.items(), strict=True):
    # words, not st.metric: a metric's large number is cut short in a quarter of the page
    col.markdown(f"**{CELLS[cell].label}**: ‖g‖ = {report.raw_norm:.3g} before, "
                 f"{report.clipped_norm:.3g} after clipping")
    col.markdown(f"**Clipped**: every gradient × {report.scale:.3g}" if report.clipped
                 else "Below τ: **not clipped**")
if where == "all":
    st.markdown(
        "**Which steps would clip.** The loss is a sum of one term per timestep, and so is "
        "its gradient. Each term alone has to travel back through all the steps before it; "
        "where gradients explode, the late terms grow past τ and would be clipped by "
        "themselves (points above the dashed line).")
    with page.engine_errors():
        per_step = {cell: gradients.per_step_report(build.for_cell(config, cell), where, snapshot)
                    for cell in cells}
    page.live_chart(figures.step_gradient_norms(per_step, threshold), key="rnnviz_gf_per_step")
    st.caption(flow_readings.steps_that_clip(per_step, threshold))
else:
    st.caption("With the loss at the last step only there is a single term; choose “every "
               "step” above to see which timesteps' loss terms would clip on their own.")
st.markdown("**Per-parameter gradient norms** ‖∂L/∂W‖, before and after clipping:")
st.dataframe(table, hide_index=True, width="stretch", height=page.table_height(len(table)),
             column_config={"‖∂L/∂W‖": st.column_config.NumberColumn(format="%.3e"),
                            "after clipping": st.column_config.NumberColumn(format="%.3e")})
st.caption("What to notice: in the RNN the recurrent weight Waa's gradient comes mostly "
           "from the last few steps when the gradient vanishes; on the training page, a "
           "run without clipping shows the spikes that clipping removes.")
