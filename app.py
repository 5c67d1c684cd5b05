"""Home: what the explorer is, the equations, every tensor's shape, the notebook's examples."""

import pandas as pd
import streamlit as st

from rnnviz.app import equations, readouts
from rnnviz.app.contents import HOME, PAGES
from rnnviz.engine import CELLS
from rnnviz.notebook import NOTEBOOK_SEED, NOTEBOOK_SIZES, NOTEBOOK_T_X
from rnnviz.ui import page

config = page.setup(HOME)

st.title("rnnviz: inside a recurrent network")
page.intro(
    "A vanilla RNN, an LSTM and a GRU, computed live in NumPy in the notebook's notation. "
    "Set the sizes and the seed in the sidebar, or load a **preset** there, then open a page. "
    "Everything you set is in the address bar: copy it to share exactly this view."
)
for other in PAGES[1:]:
    st.page_link(other.script, label=f"**{other.title}**: {other.blurb}")

for cell in CELLS.values():  # a row each: a column each would cut the equations off
    st.subheader(cell.label)
    page.latex_columns(equations.equations(cell))

st.subheader(f"Shapes of every tensor ({CELLS[config.cell].label}, this configuration)")
st.markdown("Change n_x, n_a, n_y, m or T_x in the sidebar and watch the shapes follow.")
shapes = pd.DataFrame(readouts.shape_table(config))
st.dataframe(shapes, hide_index=True, height=page.table_height(len(shapes)),
             # short headers and a set width for "what it is": sized to their longest line
             # the columns ran past the page's edge at 1024 px with the sidebar open
             column_config={"tensor": "tensor",
                            "meaning": st.column_config.TextColumn("what it is", width="medium"),
                            "shape": "shape", "size": "in numbers"})

st.subheader("The notebook's own examples, computed live")
rnn_col, lstm_col = st.columns(2)
with rnn_col:
    st.markdown(f"**RNN** (`np.random.seed({NOTEBOOK_SEED})`, T_x = {NOTEBOOK_T_X['rnn']}, "
                "linear output): what the notebook prints.")
    printout = readouts.notebook_rnn_printout()
    st.code("\n".join(f"{expr} = {value}" for expr, value in printout.items()), language=None,
            wrap_lines=True)
with lstm_col:
    st.markdown(f"**LSTM** (`np.random.seed({NOTEBOOK_SEED})`, T_x = {NOTEBOOK_T_X['lstm']}): "
                "the values the notebook printed beside the correct ones.")
    st.dataframe(pd.DataFrame(readouts.notebook_lstm_comparison()), hide_index=True,
                 column_config={"expression": "printed expression",
                                "notebook": st.column_config.NumberColumn("notebook printed",
                                                                          format="%.6f"),
                                "correct": st.column_config.NumberColumn("correct",
                                                                         format="%.6f")})
    n_x = NOTEBOOK_SIZES["n_x"]
    st.info("The notebook's LSTM cell writes `concat[na:, :] = nx`: it stores the integer "
            f"n_x = {n_x} where x⟨t⟩ belongs, so every step sees the constant input {n_x} and "
            "the LSTM numbers it printed are wrong. This explorer uses the corrected cell, "
            "concat = [a⟨t−1⟩; x⟨t⟩].")
