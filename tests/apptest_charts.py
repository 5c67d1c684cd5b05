"""What an AppTest run drew as charts: every live chart's figure, by title, and the arrays in
a figure spec (the pages' charts are live charts, rnnviz.ui.page.live_chart)."""

from __future__ import annotations

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block


def figures(at: AppTest) -> dict[str, dict]:
    """{title: figure} of the charts drawn, all live charts (rnnviz.ui.page.live_chart)."""
    assert not at.get("plotly_chart")  # none validated by st.plotly_chart
    specs = [json.loads(json.loads(e.proto.json)["figure"]) for e in at.get("bidi_component")]
    return {spec["layout"]["title"]["text"]: spec for spec in specs}


def _title(node) -> str | None:
    """The title of the chart a node draws (a live chart or st.plotly_chart), else None."""
    if node.type == "plotly_chart":
        spec = json.loads(node.proto.spec)
    elif node.type == "bidi_component" and "figure" in (data := json.loads(node.proto.json)):
        spec = json.loads(data["figure"])
    else:
        return None
    return spec["layout"].get("title", {}).get("text")


def line_under(at: AppTest, title_start: str, paragraphs: int = 0) -> str:
    """The caption drawn right under the chart whose title starts with `title_start`: the
    next element in the page's order (in its column, or after the row), whatever block
    holds them, or the next after that many paragraphs of the page's own text."""
    elements = [node for node in at.main if not isinstance(node, Block)]
    at_chart = [k for k, node in enumerate(elements)
                if (_title(node) or "").startswith(title_start)]
    assert len(at_chart) == 1, f"{len(at_chart)} charts titled {title_start!r}"
    between = elements[at_chart[0] + 1:at_chart[0] + 1 + paragraphs]
    assert [node.type for node in between] == ["markdown"] * paragraphs
    after = at_chart[0] + 1 + paragraphs
    under = elements[after] if after < len(elements) else None
    assert under is not None and under.type == "caption", \
        f"under {title_start!r}: {None if under is None else under.type}"
    return under.value


def array(value) -> np.ndarray:
    """A figure-spec array: plotly writes numeric arrays as {"bdata": base64, "dtype": ...}."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)
