"""Plotly figure builders: arrays or a trace in, ``go.Figure`` out. No Streamlit here."""
