"""Memory map: how much each output step depends on each input step, for every cell on the
same inputs, and one unit by hand, where vanishing and saturating fit on one line."""

from functools import partial

import streamlit as st

from rnnviz.app import build, lesson
from rnnviz.app import chart_readings as readings
from rnnviz.app import memory as words
from rnnviz.app.contents import MEMORY
from rnnviz.engine import CELLS
from rnnviz.figures import memory as figures
from rnnviz.ui import memory, page, scrub, sidebar, view

config = page.setup(MEMORY)

st.title("What a network remembers")
page.intro(
    "A network remembers an input if its later outputs still depend on it. The **memory "
    "map** measures that dependence for one example: the square at row t and column s is "
    "‖∂ŷ⟨t⟩/∂x⟨s⟩‖, how much output step t moves when input step s moves (zero above the "
    "diagonal: no output depends on a later input). A bright band that reaches far to the "
    "left of the diagonal is a long memory; one that hugs the diagonal is a short one."
)

with page.engine_errors():
    snapshot = page.snapshot_params(config)  # a training snapshot opened for this config

example = view.index("example", "batch example i", config.m,
                     help="The example whose memory map is drawn.")
cells = [config.cell] if snapshot is not None else list(CELLS)
with page.engine_errors():  # a task refuses sizes it cannot use (the adding task's T_x = 1)
    sizes = memory.sizes(config)
if reason := words.too_large(sizes["n_a"], sizes["n_y"], sizes["T_x"]):
    st.info(reason)
else:
    with page.engine_errors():
        maps = {cell: memory.saliency(build.for_cell(config, cell), example, snapshot)
                for cell in cells}
        drawn = figures.memory_maps(maps, example)
        page.live_chart(drawn, key="rnnviz_mem_maps")
        st.caption(readings.memory_colour_reading(
            maps, drawn["layout"]["coloraxis"]["colorbar"]["tickvals"]))
        st.markdown(words.memory_sentence(maps))
if knobs := sidebar.visible_knobs():
    st.subheader("The knobs that shape it")
    sidebar.knobs(config, knobs, columns=len(lesson.FLOW_KNOBS))

st.header("The spectrum of the recurrence")
st.markdown(
    "What the recurrence does to the state, direction by direction: the eigenvalues λ of "
    f"the {CELLS[config.cell].label}'s recurrent weights (the blocks that multiply a⟨t−1⟩) "
    "and of each step's Jacobian J⟨t⟩, which back-propagation multiplies by. Inside the "
    "dashed unit circle a direction shrinks at every step; outside it grows. The spectral "
    "radius knob puts the largest |λ| of every block where you set it."
)
with page.engine_errors():
    memory.spectrum(config, example, snapshot)
st.subheader("Through training")
st.markdown("On a snapshot of a training run: the same blocks at each of the run's snapshots "
            "(faint: its first), and each block's spectral radius over training, whether "
            "learning pushed the recurrence toward the unit circle, where it keeps a state.")
page.part(partial(scrub.on_memory_map, config), key="rnnviz_mem_part_scrub")

st.header("How the state moves")
st.markdown(
    "Every example's hidden state a⟨t⟩ is a point in n_a dimensions; here the batch's states "
    "are drawn along the directions where they spread most (their first two principal "
    "components, a plane, or three, a space you turn by dragging), with a few examples' paths "
    "as lines, coloured by what the task asks the network to hold (or by t): on the sine "
    "wave a path goes round a loop, once per period; a network that has learned the copy "
    "task keeps one cluster per symbol it holds. The black marks are the network's fixed "
    "points with the input at 0, the states a step leaves where they are: memories it can "
    "keep. Open a snapshot of a run trained on the 3-bit flip-flop to see its 8."
)
page.part(page.engine_errors()(partial(memory.state_trajectories, config, snapshot)),
          key="rnnviz_mem_part_states")   # its 2-D / 3-D radio redraws this part alone

st.header("One unit by hand")
st.markdown(
    "The smallest RNN has one hidden unit: a⟨t⟩ = tanh(w a⟨t−1⟩ + v x + b). Each step is the "
    "curve below, from a⟨t−1⟩ on the x axis to a⟨t⟩ on the y axis; a run bounces between the "
    "curve and the diagonal and settles where they cross, at a **fixed point**. The gradient "
    "one step hands back is the curve's slope at the state reached, w (1 − a⟨t⟩²): below 1 "
    "in size it shrinks at every step. A large w does not make it explode for long: it "
    "pushes a⟨t⟩ to tanh's flat ends, where the slope is small."
)
page.part(page.engine_errors()(memory.one_unit), key="rnnviz_mem_part_unit")
