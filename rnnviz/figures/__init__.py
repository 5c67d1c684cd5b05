"""Plotly figure builders: arrays or a trace in, a figure out. No Streamlit here.

The figures the app redraws on a click (rnnviz.figures.forward, rnnviz.figures.gradients)
are plain dicts, {"data": [traces], "layout": {...}}, exactly what `go.Figure(spec)` takes:
building one costs microseconds, where Plotly's validated graph objects cost tens of
milliseconds (the template alone is half of that). `st.plotly_chart` validates a dict once,
on its way out; the tests read a builder's dict through `go.Figure`, which validates every
property. The training page's curves stay graph objects, refreshed in place while they grow
(rnnviz.figures.training).
"""
