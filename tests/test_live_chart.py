"""The player's charts that keep their plot in the browser (rnnviz.ui.page.live_chart)."""

import json

import numpy as np
from streamlit.testing.v1 import AppTest

from rnnviz.figures import forward
from rnnviz.ui import page


def test_the_data_revision_follows_the_traces_and_nothing_else():
    values = np.arange(12.0).reshape(3, 4)
    one = forward.heatmap(values, "state", "a", current_t=1)
    moved = forward.heatmap(values, "state", "a", current_t=3)  # only the outline moved
    other = forward.heatmap(values + 1e-12, "state", "a", current_t=1)
    assert page.data_revision(one["data"]) == page.data_revision(moved["data"])
    assert page.data_revision(one["data"]) != page.data_revision(other["data"])
    assert page.data_revision([]) == page.data_revision([])


def test_a_live_figure_has_its_data_revision_and_no_empty_template():
    """An empty template (the figures' look keeps Plotly's default out with one) made
    Plotly.react plot the chart anew at every frame: it compares templates by identity."""
    fig = forward.heatmap(np.eye(3), "state", "a", current_t=2)
    assert fig["layout"]["template"] == {}
    live = page.live_figure(fig)
    assert "template" not in live["layout"]
    assert live["layout"]["datarevision"] == page.data_revision(fig["data"])
    assert live["data"] is fig["data"] and fig["layout"]["template"] == {}  # fig untouched
    styled = {"data": [], "layout": {"template": {"layout": {"font": {"size": 30}}}}}
    assert page.live_figure(styled)["layout"]["template"] == styled["layout"]["template"]


def test_streamlits_chart_module_is_found():
    """The browser side imports it for Plotly: without it the charts fall back to
    st.plotly_chart, which works but builds every chart anew at each frame."""
    assert page.PLOTLY_MODULE is not None and page.PLOTLY_MODULE.startswith("static/js/")


def _one_chart(fallback: bool) -> None:
    import numpy as np
    import streamlit as st  # noqa: F401

    from rnnviz.figures import forward
    from rnnviz.ui import page
    found = page.PLOTLY_MODULE
    if fallback:
        page.PLOTLY_MODULE = None
    try:
        page.live_chart(forward.heatmap(np.eye(3), "state", "a", current_t=2), key="k")
    finally:
        page.PLOTLY_MODULE = found


def test_a_live_chart_sends_the_figure_with_its_data_revision_or_falls_back():
    at = AppTest.from_function(_one_chart, kwargs={"fallback": False}).run()
    (component,) = at.get("bidi_component")
    data = json.loads(component.proto.json)
    figure = json.loads(data["figure"])
    assert figure["layout"]["datarevision"] and figure["data"][0]["type"] == "heatmap"
    assert "template" not in figure["layout"]
    assert data["plotly"] == page.PLOTLY_MODULE and data["config"]["responsive"]
    at = AppTest.from_function(_one_chart, kwargs={"fallback": True}).run()
    assert not at.get("bidi_component") and len(at.get("plotly_chart")) == 1
    assert page.PLOTLY_MODULE is not None
