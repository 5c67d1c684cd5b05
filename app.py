"""Home: what the explorer is, the equations, every tensor's shape, the notebook's examples."""

import pandas as pd
import streamlit as st

from rnnviz import ui
from rnnviz.app import readouts
from rnnviz.engine import keep_freed_memory_for_reuse

keep_freed_memory_for_reuse()  # once per server process: the engine's freed buffers are reused
config = ui.page_setup("Home")

st.title("rnnviz: inside a recurrent network")
st.markdown(
    "A vanilla RNN and an LSTM, computed live in NumPy in the notebook's notation. "
    "Set the sizes and the seed in the sidebar, or load a **preset** there, then open a page. "
    "Everything you set is in the address bar: copy it to share exactly this view."
)
for script, label in ui.page_list()[1:]:
    st.page_link(script, label=f"**{label}**: {ui.PAGE_BLURBS.get(label, '')}".rstrip(": "))

left, right = st.columns(2)
with left:
    st.subheader("RNN")
    for line in readouts.EQUATIONS["rnn"]:
        st.latex(line)
with right:
    st.subheader("LSTM")
    for line in readouts.EQUATIONS["lstm"]:
        st.latex(line)

st.subheader(f"Shapes of every tensor ({ui.CELL_LABELS[config.cell]}, this configuration)")
st.markdown("Change n_x, n_a, n_y, m or T_x in the sidebar and watch the shapes follow.")
shapes = pd.DataFrame(readouts.shape_table(config))
st.dataframe(shapes, hide_index=True, height=38 * (len(shapes) + 1),
             column_config={"tensor": "tensor", "meaning": "what it is",
                            "shape": "shape (notebook names)", "size": "shape (numbers)"})

st.subheader("The notebook's own examples, computed live")
rnn_col, lstm_col = st.columns(2)
with rnn_col:
    st.markdown("**RNN** (`np.random.seed(1)`, T_x = 4, linear output): what the "
                "notebook prints.")
    printout = readouts.notebook_rnn_printout()
    st.code("\n".join(f"{expr} = {value}" for expr, value in printout.items()), language=None,
            wrap_lines=True)
with lstm_col:
    st.markdown("**LSTM** (`np.random.seed(1)`, T_x = 7): the values the notebook printed "
                "beside the correct ones.")
    st.dataframe(pd.DataFrame(readouts.notebook_lstm_comparison()), hide_index=True,
                 column_config={"expression": "printed expression",
                                "notebook": st.column_config.NumberColumn("notebook printed",
                                                                          format="%.6f"),
                                "correct": st.column_config.NumberColumn("correct",
                                                                         format="%.6f")})
    st.info("The notebook's LSTM cell writes `concat[na:, :] = nx`: it stores the integer "
            "n_x = 3 where x⟨t⟩ belongs, so every step sees the constant input 3 and the "
            "LSTM numbers it printed are wrong. This explorer uses the corrected cell, "
            "concat = [a⟨t−1⟩; x⟨t⟩].")
