"""Units on text: a trained character model's units read on the text it learned, character by
character; the units that respond to chosen positions; where a span's units are on again."""

import streamlit as st

from rnnviz.app.contents import UNITS
from rnnviz.ui import page, training, unit_find, unit_text

page.setup(UNITS)
training.collect()   # what the workers trained since this session last looked

st.title("Units on text")
page.intro(
    "A character model reads a name one letter at a time, and some of its units learn to "
    "track something as they read: the start of a name, a vowel, a usual ending. Colour the "
    "text by one unit to see what it tracks, let the page find the units that respond to "
    "positions you choose, or pick a span and see where the same units are on together again."
)

runs = unit_text.chars_runs()
if not runs:
    unit_text.no_run()
    st.stop()
left, right = st.columns(2)
with left:
    run = unit_text.choose_run(runs)
with right:
    step = unit_text.choose_step(run)
text = unit_text.read_text(run, step)

st.subheader("The text, coloured by one unit")
quantity = unit_text.choose_quantity(text.cell)
unit = unit_text.choose_unit(text, quantity)
coloured = st.container()  # drawn last: Find units and Match mark what they select in it

st.subheader("Find units")
st.markdown("Choose positions: the page ranks the units by how differently they behave "
            "there. The chosen positions have a bar below them in the text.")
selection = unit_find.choose_positions(text)
unit_find.find_units(text, quantity, selection)

st.subheader("Match")
st.markdown("The units on across the span (above the threshold at every one of its "
            "positions), and the other places where that whole set is on together.")
found = unit_find.match(text, quantity, selection.span)

with coloured:
    unit_text.draw_text(text, quantity, unit, selection.picked, found)

st.caption("What to notice: a unit whose colour builds up through a name, or stays on through "
           "a usual ending, keeps track of where the network is in a name, though nothing in "
           "the training told it to. Move the training step back to 0 to see the untrained "
           "network's units on the same names.")
