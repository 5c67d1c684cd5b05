"""The player's charts that keep their plot in the browser (rnnviz.ui.page.live_chart)."""

import base64
import json

import numpy as np
import plotly.io
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
    assert fig["layout"]["template"] == {} and isinstance(fig["data"][0]["z"], np.ndarray)
    assert [set(trace) for trace in live["data"]] == [set(trace) for trace in fig["data"]]
    styled = {"data": [], "layout": {"template": {"layout": {"font": {"size": 30}}}}}
    assert page.live_figure(styled)["layout"]["template"] == styled["layout"]["template"]


def test_a_diagrams_fit_text_goes_beside_its_layout():
    """Plotly.react takes a new layout.meta object for a change and plots the whole chart
    anew: the cell diagram's fit_text (its text drawn smaller with it) travels outside."""
    fig = {"data": [], "layout": {"meta": {"fit_text": forward.FIT_TEXT}, "height": 520}}
    live = page.live_figure(fig)
    assert live["fit_text"] == forward.FIT_TEXT and "meta" not in live["layout"]
    assert fig["layout"]["meta"] == {"fit_text": forward.FIT_TEXT}   # the figure unchanged
    assert "fit_text" not in page.live_figure(forward.heatmap(np.eye(3), "state", "a"))


def _decoded(spec: dict) -> np.ndarray:
    """A typed-array spec read back as Plotly.js reads it: float64 rows of the shape's
    columns."""
    rows, cols = (int(n) for n in spec["shape"].split(","))
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<f8").reshape(rows, cols)


def test_a_heatmaps_values_go_as_a_typed_array_of_the_same_numbers_bit_for_bit():
    values = np.random.default_rng(0).standard_normal((5, 7)) * 10.0 ** np.arange(-3, 4)
    live = page.live_figure(forward.heatmap(values, "state", "dL/da"))
    z = live["data"][0]["z"]
    assert z["dtype"] == "f8" and z["shape"] == "5, 7"
    np.testing.assert_array_equal(_decoded(z), values)
    sent = json.loads(plotly.io.to_json(live, validate=False))["data"][0]
    np.testing.assert_array_equal(_decoded(sent["z"]), values)
    np.testing.assert_array_equal(sent["x"], np.arange(1, 8))  # 1-D arrays: as they were
    # transposed (not contiguous) values too, and any other value is left as it is
    np.testing.assert_array_equal(_decoded(page.typed_array(values.T)), values.T)
    gaps = values.copy()
    gaps[1, 2] = np.nan   # JSON's null, a gap: kept on that path
    for other in (gaps, values[0], values.astype(np.float32), np.zeros((0, 3)), [[1.0]], 2.0):
        assert page.typed_array(other) is other


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
