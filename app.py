import streamlit as st

st.set_page_config(page_title="rnnviz", layout="wide")
st.title("rnnviz")
