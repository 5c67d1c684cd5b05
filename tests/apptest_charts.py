"""What an AppTest run drew as charts: every live chart's figure, by title, and the arrays in
a figure spec (the pages' charts are live charts, rnnviz.ui.page.live_chart)."""

from __future__ import annotations

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest


def figures(at: AppTest) -> dict[str, dict]:
    """{title: figure} of the charts drawn, all live charts (rnnviz.ui.page.live_chart)."""
    assert not at.get("plotly_chart")  # none validated by st.plotly_chart
    specs = [json.loads(json.loads(e.proto.json)["figure"]) for e in at.get("bidi_component")]
    return {spec["layout"]["title"]["text"]: spec for spec in specs}


def array(value) -> np.ndarray:
    """A figure-spec array: plotly writes numeric arrays as {"bdata": base64, "dtype": ...}."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)
