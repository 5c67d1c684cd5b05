"""What every page does around its lesson: the setup it calls first, the parts of a page that
rerun alone, the banner of an open training snapshot, engine errors shown as messages, charts,
and text from a URL shown literally."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io
import streamlit as st

from rnnviz.app.budget import limit_blas_threads
from rnnviz.app.config import Config
from rnnviz.app.contents import Page
from rnnviz.engine import CELLS, keep_freed_memory_for_reuse
from rnnviz.figures import style
from rnnviz.training.bundled import NETWORKS
from rnnviz.ui import replica, sidebar, state, training, url

PROJECTOR_CSS = f"<style>{(Path(__file__).parent / 'projector.css').read_text()}</style>"
PRESENT_CSS = f"<style>{(Path(__file__).parent / 'present.css').read_text()}</style>"


def setup(page: Page) -> Config:
    """Call first on every page: the page's config, the URL round trip around the shared
    sidebar, and the warnings about values that were ignored.

    Returns:
        the Config every view on the page reads.
    """
    st.set_page_config(page_title=f"{page.title} · rnnviz", page_icon="🔁", layout="wide")
    state.take_the_way()
    st.html(PROJECTOR_CSS)  # style only: Streamlit puts it out of the page's flow
    keep_freed_memory_for_reuse()  # once per process, whichever page is opened first
    limit_blas_threads()           # likewise
    st.session_state[state.PAGE_KEY] = page
    url.adopt(page)
    presenting = state.presenting()
    # again, now that the link is read: presentation mode starts with the sidebar folded away
    st.set_page_config(initial_sidebar_state="collapsed" if presenting else "auto")
    if presenting:
        st.html(PRESENT_CSS)
    config = state.current_config()
    if not state.hidden("sidebar"):
        sidebar.draw(config, network=not page.own_settings)
    url.write(page)
    for message in st.session_state.get(state.WARNINGS_KEY, []):
        st.warning(plain(message), icon="⚠️")
    replica.moved_notice()
    return config


def part(draw: Callable[[], None], key: str) -> None:
    """Draw a part of the page with `draw`, in a fragment named `key`: a control inside it
    reruns the part alone, not the page above and below it.

    A part is for a section whose controls change only what it draws (one unit's sliders,
    a snapshot's step): a change then costs the server the part's own drawing, not the
    whole page's expensive charts (the memory maps, the spectra). It draws only into the
    elements it creates itself, and it reads what the page computed as it was at the page's
    last whole run. Its widgets take `rnnviz.ui.state.follow_change()` as their callback
    (`state.mirrored` does so by itself); a change that must reach the rest of the page (a
    button that opens another page, or changes the page's state) calls `state.whole_page`
    or `st.rerun()` in its callback instead. Each run of the part writes the URL again,
    since a view field may have changed (setup writes it only in a whole run). An exception
    raised in a fragment is drawn there as a traceback, whatever surrounds the call, so
    `draw` turns an engine error into a message itself (`engine_errors()(draw)`).

    Caveat: a change that lands in the Training page's poll (a fragment itself) reruns the
    part in place of the poll (`st.rerun(key)` from the callback replaces that run): the
    poll's answer is lost, and the page's follower of runs (rnnviz/ui/follow_runs.js) asks
    again after its UNANSWERED_MS.
    """

    def drawn() -> None:
        token = state.DRAWING_PART.set(key)
        try:
            url.write(state.running_page())   # a view field may have moved in this part
            draw()
        finally:
            state.DRAWING_PART.reset(token)

    st.fragment(drawn, key=key)()


def table_height(rows: int) -> int:
    """Pixels that show a table of `rows` rows (and its header) whole, in the app's font."""
    return 39 * (rows + 1) + 8


def plain(text: str) -> str:
    """`text` with Markdown's (and LaTeX's $) special characters escaped, so a value from a
    URL is shown literally and never formatted or turned into a link."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>$~:])", r"\\\1", text)


def snapshot_params(config: Config) -> dict | None:
    """The weights of a training snapshot opened for this configuration (from the training
    page), announced with a button that closes it; None when none is open."""
    snapshot = training.snapshot_for(config)
    if snapshot is None:
        return None
    # wide enough for the button's label at 1280 px with the sidebar open
    note, close = st.columns([2, 1], vertical_alignment="center")
    trained = (f"the ready-trained {NETWORKS[snapshot.network].title}, as trained to step "
               f"{snapshot.step:,}" if snapshot.network in NETWORKS else
               f"the {CELLS[config.cell].label} as trained to step {snapshot.step:,} "
               f"({snapshot.run_label})")  # a ready network's run label repeats its title
    note.info(f"Showing {trained}, on a batch of its task.", icon=":material/push_pin:")
    close.button("Back to the initial weights", on_click=training.close_snapshot,
                 key="rnnviz_close_snapshot")
    return snapshot.params


@contextlib.contextmanager
def engine_errors() -> Iterator[None]:
    """Show an engine ValueError as a message (and stop the page) instead of a traceback."""
    try:
        yield
    except ValueError as why:
        where = ("its link: this lesson hides the sidebar" if state.hidden("sidebar")
                 else "the sidebar")
        st.error(f"This configuration cannot be computed: {why}. Change it in {where}.",
                 icon="🚫")
        st.stop()


_HERE = Path(__file__).parent
# Streamlit's own chart module, which brings Plotly to the browser (see live_chart.js)
_PLOTLY_MODULES = sorted((Path(st.__file__).parent / "static" / "static" / "js")
                         .glob("PlotlyChart.*.js"))
PLOTLY_MODULE = f"static/js/{_PLOTLY_MODULES[0].name}" if len(_PLOTLY_MODULES) == 1 else None
_live_chart = st.components.v2.component(
    "rnnviz_live_chart",
    html="<div data-testid='rnnvizPlotlyChart'><div class='rnnviz-chart'></div></div>",
    css=".rnnviz-chart { width: 100%; }", js=(_HERE / "live_chart.js").read_text(),
    isolate_styles=False)


def data_revision(data: list[dict]) -> str:
    """A digest of a figure's traces: the same for the same data, whatever else changed."""
    digest = hashlib.blake2b(digest_size=12)
    for trace in data:
        for name, value in sorted(trace.items()):
            digest.update(name.encode())
            if isinstance(value, np.ndarray):
                digest.update(f"{value.dtype}{value.shape}".encode())
                digest.update(np.ascontiguousarray(value).tobytes())
            else:
                digest.update(repr(value).encode())
    return digest.hexdigest()


def live_figure(fig: dict) -> dict:
    """The figure as a live chart sends it to Plotly.react.

    Its layout gets the traces' digest as Plotly's datarevision, so a frame that moves only
    the outline of step t, or changes the numbers in the cell's boxes, redraws no trace. It
    loses an empty template: Plotly.react compares a template by identity, so any template,
    an empty one too, made every frame a full replot of the chart, and Plotly.js adds none
    of its own (the empty one is there to keep Plotly's Python side from adding its default).
    A heatmap's values go as a typed array (`typed_array`). The cell diagram's
    `meta.fit_text` (rnnviz.figures.forward) goes as the figure's `fit_text`.
    """
    data = fig.get("data", [])
    layout = {**fig.get("layout", {}), "datarevision": data_revision(data)}
    if layout.get("template") == {}:
        del layout["template"]
    # a diagram's fit_text goes beside the layout: Plotly.react takes a new meta object for a
    # change and plots the whole chart anew
    fit = {"fit_text": layout.pop("meta")["fit_text"]} if "meta" in layout else {}
    return {**fig, "data": [{name: typed_array(value) for name, value in trace.items()}
                            for trace in data], "layout": layout, **fit}


def typed_array(value):
    """A finite (rows, cols) float array (a heatmap's z) as Plotly.js's typed-array spec, its
    float64 bytes in base64: the same numbers, bit for bit, far cheaper to write than JSON's
    decimal text and about half as long; any other value as it is."""
    if not (isinstance(value, np.ndarray) and value.ndim == 2 and value.size
            and value.dtype == np.float64 and np.isfinite(value).all()):
        return value  # (JSON writes a NaN or an infinity as null: a gap, kept as it was)
    rows, cols = value.shape
    return {"dtype": "f8", "shape": f"{rows}, {cols}",
            "bdata": base64.b64encode(np.ascontiguousarray(value, dtype="<f8")).decode("ascii")}


def live_chart(fig, key: str) -> None:
    """A chart redrawn in place when its figure changes (the timestep player, a knob).

    `st.plotly_chart` builds a chart anew in the browser whenever its figure changes: at
    every frame of Play, most of what the browser does for it; and on the server it
    validates the figure property by property first. This one stays and Plotly redraws
    only what changed (live_chart.js, live_figure), from the figure as it is, unvalidated:
    the builders in rnnviz.figures write Plotly's own property names. Where Streamlit's
    chart module is not found (another Streamlit version), it is an ordinary chart.
    """
    if PLOTLY_MODULE is None:
        chart(fig, key=key)
        return
    fig = _as_presented(fig)
    _live_chart(key=key, data={"figure": plotly.io.to_json(live_figure(fig), validate=False),
                               "plotly": PLOTLY_MODULE,
                               "config": {"displaylogo": False, "responsive": True}})


def chart(fig, key: str | None = None) -> None:
    """Show a figure with the figures' own look (not Streamlit's theme) and no logo; taller
    and in larger type in presentation mode."""
    st.plotly_chart(_as_presented(fig), theme=None, key=key, config={"displaylogo": False})


def log_decades(fig) -> int:
    """How many powers of ten apart the labels of a figure's log y axis are, as it is shown
    (rnnviz.figures._axes.log_axis; fewer in presentation mode's larger type): what a line
    under it says a gridline is worth."""
    fig = _as_presented(fig)
    dtick = (fig["layout"].get("yaxis", {}).get("dtick") if isinstance(fig, dict)
             else fig.layout.yaxis.dtick)
    return int(dtick or 1)


def _as_presented(fig):
    """The figure (a dict or a graph object) as presentation mode shows it, or as it is."""
    if not state.presenting():
        return fig
    if isinstance(fig, dict):
        return {**fig, "layout": style.presented(fig.get("layout", {}))}
    return go.Figure(fig).update_layout(style.presented(fig.layout.to_plotly_json()))


def intro(text: str) -> None:
    """A page's introduction, under its title, after the question a lesson link asked (as
    written, never formatted); folded into "About this page" in presentation mode, so the
    lesson's chart comes into the first screen."""
    if question := state.question():
        with st.container(key="rnnviz_question"):
            st.info(plain(question), icon=":material/help:")
    if state.presenting():
        about = st.expander("About this page")
        st.session_state[ABOUT_KEY] = about   # the equations join it (latex_columns)
        with about:
            st.markdown(text)
    else:
        st.session_state.pop(ABOUT_KEY, None)
        st.markdown(text)


ABOUT_KEY = "rnnviz_about_this_page"   # the running page's "About this page" (presenting)


def folded(label: str):
    """Where a section that a lesson does not need in its first screen goes: an expander
    with `label` in presentation mode, the page itself otherwise."""
    return st.expander(label) if state.presenting() else contextlib.nullcontext()


def latex_columns(lines: list[str], columns: int = 2) -> None:
    """LaTeX lines split over side-by-side columns, the first ones on the left: each column
    wide enough for one of a cell's equations (three columns cut them off at 1280 px). In
    presentation mode they go into "About this page", under "The equations", so the lesson's
    chart comes into the first screen."""
    per = -(-len(lines) // columns)
    about = st.session_state.get(ABOUT_KEY) if state.presenting() else None
    with about if about is not None else contextlib.nullcontext():
        if about is not None:
            st.markdown("**The equations**")
        for column, k in zip(st.columns(columns), range(0, len(lines), per), strict=False):
            with column:
                for line in lines[k:k + per]:
                    st.latex(line)
