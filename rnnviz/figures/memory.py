"""Figures of what a network remembers: the memory map of each cell (how much output step t
depends on input step s) and one unit by hand (its cobweb plot and the gradient it hands
back).

Every builder is pure: arrays in, a Plotly figure out as a plain dict (see rnnviz.figures).
Timesteps are 1-based.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from rnnviz.engine import CELLS
from rnnviz.figures import style
from rnnviz.figures._axes import count_axis, log_axis
from rnnviz.figures.gradients import FLOOR, _power_ticks

GAP = 0.06  # between the maps, as a fraction of the figure's width


def _exponent_text(exponent: int) -> str:
    """10^e as a label a student reads at a glance: 1, 10, 0.1, else "1e-5"."""
    return {0: "1", 1: "10", -1: "0.1"}.get(exponent, f"1e{exponent}")


SUBPLOT_TITLE_PX = 40   # a cell's name over its map


def memory_maps(maps: Mapping[str, np.ndarray], example: int, height: int = 430) -> dict:
    """One t x s heatmap per cell, side by side on one shared log colour scale.

    Args:
        maps: {cell: (T_x, T_x) S[t - 1, s - 1] = ||d y_hat<t> / d x<s>||}, zero above the
            diagonal (drawn empty: an output never depends on a later input).
        example: the batch example the maps are of, for the title.

    Returns:
        a figure: x the input step s, y the output step t (t = 1 at the top, so the
        diagonal runs down to the right), colour log10 S with labelled powers of ten; hover
        gives t, s and S.
    """
    if not maps:
        raise ValueError("maps is empty: give at least one cell's map")
    for cell in maps:
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}")
    arrays = {cell: np.asarray(S, dtype=np.float64) for cell, S in maps.items()}
    T_x = next(iter(arrays.values())).shape[0]
    positive = np.concatenate([S[S > 0] for S in arrays.values()] or [np.zeros(0)])
    logs = np.log10(np.maximum(positive, FLOOR)) if positive.size else np.zeros(1)
    low, high = float(logs.min()), float(logs.max())
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    ticks = _power_ticks(low, high)
    width = (1.0 - GAP * (len(arrays) - 1)) / len(arrays)
    title = f"How much output step t depends on input step s (example {example})"
    base = style.layout(title, "", "", height=height)
    data, layout = [], style.merged(base, {
        "coloraxis": {"colorscale": style.GATE_SCALE, "cmin": low, "cmax": high,
                      "colorbar": {**style.COLORBAR, "thickness": 18, "title": {
                          "text": "‖∂ŷ⟨t⟩/∂x⟨s⟩‖", "side": "right",
                          "font": {"size": style.FONT_SIZE}},
                          "tickvals": ticks, "ticktext": [_exponent_text(e) for e in ticks],
                          "tickfont": {"size": style.FONT_SIZE}}},
        # the cells' names sit between the title (however many lines) and the maps
        "margin": {"t": base["margin"]["t"] + SUBPLOT_TITLE_PX}, "annotations": []})
    for i, (cell, S) in enumerate(arrays.items()):
        suffix = "" if i == 0 else str(i + 1)
        with np.errstate(divide="ignore"):
            z = np.where(S > 0, np.log10(np.maximum(S, FLOOR)), np.nan)
        steps = np.arange(1, T_x + 1)
        data.append({"type": "heatmap", "z": z, "x": steps, "y": steps, "customdata": S,
                     "coloraxis": "coloraxis", "xaxis": "x" + suffix, "yaxis": "y" + suffix,
                     "hoverongaps": False, "name": CELLS[cell].label,
                     "hovertemplate": "output t=%{y}<br>input s=%{x}<br>"
                                      "‖∂ŷ/∂x‖=%{customdata:.2e}<extra>"
                                      f"{CELLS[cell].label}</extra>"})
        x0 = i * (width + GAP)
        axis = {**count_axis(1, T_x),
                "gridcolor": style.GRID, "linecolor": style.EDGE, "zeroline": False}
        layout["xaxis" + suffix] = {**axis, "domain": [x0, x0 + width], "anchor": "y" + suffix,
                                    "title": {"text": "input step s",
                                              "font": {"size": style.AXIS_TITLE_SIZE}}}
        layout["yaxis" + suffix] = {**axis, "range": [T_x + 0.5, 0.5], "anchor": "x" + suffix,
                                    "scaleanchor": "x" + suffix, "constrain": "domain",
                                    **({"title": {"text": "output step t",
                                                  "font": {"size": style.AXIS_TITLE_SIZE}}}
                                       if i == 0 else {})}
        layout["annotations"].append({
            "text": f"<b>{CELLS[cell].label}</b>", "xref": "paper", "yref": "paper",
            "x": x0 + width / 2, "y": 1.0, "yanchor": "bottom", "showarrow": False,
            "font": {"size": style.TITLE_SIZE, "color": style.CELL_COLORS[cell]}})
    return {"data": data, "layout": layout}


def cobweb(curve_a: np.ndarray, curve: np.ndarray, path: np.ndarray,
           fixed: Sequence[tuple[float, bool]], height: int = 620) -> dict:
    """The cobweb plot of a one-unit RNN: its map a<t-1> -> a<t>, the diagonal, a run's
    staircase and the fixed points.

    Args:
        curve_a, curve: the map F drawn as a line, a<t> = curve at a<t-1> = curve_a.
        path: (T + 1,) a<0>, a<1>, ..., a<T>: the run drawn as a staircase between the map
            and the diagonal.
        fixed: (a*, stable) for each fixed point: filled dots stable, hollow unstable.

    Returns:
        a figure on [-1, 1] x [-1, 1], one to one.
    """
    path = np.asarray(path, dtype=np.float64)
    # (a0, a0) on the diagonal, up or down to (a0, a1) on the map, across to (a1, a1), ...
    staircase_x = np.repeat(path, 2)[:-1]
    staircase_y = np.concatenate([path[:1], np.repeat(path[1:], 2)])
    data = [
        {"type": "scatter", "x": [-1, 1], "y": [-1, 1], "mode": "lines", "name": "a⟨t⟩ = a⟨t−1⟩",
         "line": {"color": style.MUTED_INK, "dash": "dash", "width": 2}, "hoverinfo": "skip"},
        {"type": "scatter", "x": curve_a, "y": curve, "mode": "lines",
         "name": "a⟨t⟩ = tanh(w a⟨t−1⟩ + v x + b)",
         "line": {"color": style.CELL_COLORS["rnn"], "width": 4},
         "hovertemplate": "a⟨t−1⟩=%{x:.3f}<br>a⟨t⟩=%{y:.3f}<extra></extra>"},
        {"type": "scatter", "x": staircase_x, "y": staircase_y, "mode": "lines+markers",
         "name": "a run from a⟨0⟩", "line": {"color": style.COLORWAY[0], "width": 2},
         "marker": {"size": 5}, "hovertemplate": "(%{x:.3f}, %{y:.3f})<extra></extra>"},
    ]
    for stable in (True, False):
        points = [a for a, s in fixed if s is stable]
        if points:
            data.append({"type": "scatter", "x": points, "y": points, "mode": "markers",
                         "name": "stable fixed point" if stable else "unstable fixed point",
                         "marker": {"size": 16, "color": style.MARKER_COLOR if stable else "white",
                                    "line": {"color": style.MARKER_COLOR, "width": 3}},
                         "hovertemplate": "a*=%{x:.4f}<extra></extra>"})
    layout = style.merged(style.layout("The map a⟨t−1⟩ → a⟨t⟩", "a⟨t−1⟩", "a⟨t⟩",
                                       height=height),
                          style.legend_below(len(data)),
                          {"xaxis": {"range": [-1.05, 1.05], "dtick": 0.5},
                           "yaxis": {"range": [-1.05, 1.05], "dtick": 0.5, "scaleanchor": "x",
                                     "constrain": "domain"}})
    return {"data": data, "layout": layout}


def unit_gain(gain: np.ndarray, height: int = 620) -> dict:
    """|d a<T> / d a<1>| for T = 1..len(gain) on a log axis.

    Args:
        gain: (T,) d a<T> / d a<1>, 1 at T = 1.
    """
    gain = np.abs(np.asarray(gain, dtype=np.float64))
    shown = [float(g) if g > 0 else None for g in gain]
    steps = np.arange(1, len(gain) + 1)
    data = [{"type": "scatter", "x": steps, "y": shown, "mode": "lines+markers",
             "name": "|∂a⟨T⟩/∂a⟨1⟩|", "line": {"color": style.CELL_COLORS["rnn"], "width": 3},
             "hovertemplate": "T=%{x}<br>|∂a⟨T⟩/∂a⟨1⟩|=%{y:.3e}<extra></extra>"}]
    layout = style.merged(style.layout("What a⟨T⟩ hands back to a⟨1⟩", "T",
                                       "|∂a⟨T⟩/∂a⟨1⟩|", height=height), {
        "margin": {"l": 120},
        "yaxis": {**log_axis([gain]), "title": {"standoff": 14}},
        "xaxis": count_axis(1, len(gain)),
        "showlegend": False})
    return {"data": data, "layout": layout}


def _unit_circle() -> dict:
    angle = np.linspace(0.0, 2.0 * np.pi, 181)
    return {"type": "scatter", "x": np.cos(angle), "y": np.sin(angle), "mode": "lines",
            "name": "|λ| = 1", "line": {"color": style.MUTED_INK, "dash": "dash", "width": 2},
            "hoverinfo": "skip"}


def _plane(title: str, values: list[np.ndarray], height: int) -> dict:
    """The complex plane's layout, one to one, holding the unit circle and every value."""
    reach = max([1.0, *(float(np.max(np.abs(v))) for v in values if np.size(v))]) * 1.1
    return style.merged(style.layout(title, "real part", "imaginary part", height=height),
                        {"xaxis": {"range": [-reach, reach], "zeroline": True},
                         "yaxis": {"range": [-reach, reach], "zeroline": True,
                                   "scaleanchor": "x", "constrain": "domain"}})


BLOCK_SYMBOLS = ("circle", "diamond", "square", "triangle-up")


def spectrum(blocks: Mapping[str, np.ndarray], title: str, height: int = 560,
             behind: Mapping[str, np.ndarray] | None = None, behind_name: str = "") -> dict:
    """The eigenvalues of each recurrent block on the complex plane, with the unit circle.

    Args:
        blocks: {legend label ("Waa", "Wf[:, :n_a]", ...): (n_a,) complex eigenvalues}.
        behind: the same blocks' eigenvalues elsewhere (the first snapshot of a run), drawn
            faint behind them in the same colours and shapes, out of the legend (the title
            says what they are), hovering as "label (behind_name)".
    """
    data = [_unit_circle()]
    for faint, shown in ((True, behind or {}), (False, blocks)):
        for i, (label, values) in enumerate(shown.items()):
            values = np.asarray(values, dtype=complex)
            name = f"{label} ({behind_name})" if faint else label
            data.append({"type": "scatter", "x": values.real, "y": values.imag,
                         "mode": "markers", "name": name, "legendgroup": label,
                         "showlegend": not faint,
                         "marker": {"size": 9 if faint else 11, "opacity": 0.25 if faint else 0.85,
                                    "color": style.COLORWAY[i % len(style.COLORWAY)],
                                    "symbol": BLOCK_SYMBOLS[i % len(BLOCK_SYMBOLS)]},
                         "hovertemplate": f"{name}<br>λ = %{{x:.3f}} %{{y:+.3f}}i"
                                          "<extra></extra>"})
    layout = style.merged(_plane(title, [*blocks.values(), *(behind or {}).values()], height),
                          style.legend_below(1))
    return {"data": data, "layout": layout}


def spectral_radii(steps: Sequence[int], radii: Mapping[str, np.ndarray], step: int,
                   height: int = 560) -> dict:
    """Each recurrent block's spectral radius over a run's snapshots, the unit circle's
    radius 1 dashed and the snapshot shown marked.

    Args:
        steps: (K,) the snapshots' training steps, in order.
        radii: {legend label: (K,) largest |eigenvalue| at each}.
        step: the training step whose spectrum is shown beside it.
    """
    data = [{"type": "scatter", "x": list(steps), "y": np.asarray(values, dtype=np.float64),
             "mode": "lines+markers", "name": label,
             "line": {"color": style.COLORWAY[i % len(style.COLORWAY)], "width": 3},
             "marker": {"size": 7, "symbol": BLOCK_SYMBOLS[i % len(BLOCK_SYMBOLS)]},
             "hovertemplate": f"{label}<br>step %{{x:,}}<br>largest |λ| = %{{y:.3f}}"
                              "<extra></extra>"}
            for i, (label, values) in enumerate(radii.items())]
    top = max([1.0, *(float(np.max(v)) for v in radii.values())]) * 1.1
    layout = style.merged(
        style.layout("Spectral radius over training", "training step", "largest |λ|",
                     height=height),
        style.legend_below(1 + (len(radii) - 1) // 4),
        {"yaxis": {"range": [0, top]},
         "xaxis": count_axis(min(steps), max(steps)) if len(steps) else {},
         "shapes": [{**style.hline(1.0), "line": {"color": style.MUTED_INK, "dash": "dash",
                                                   "width": 2}},
                    {"type": "line", "xref": "x", "yref": "paper", "x0": step, "x1": step,
                     "y0": 0, "y1": 1, "line": {"color": style.MARKER_COLOR, "width": 2}}]})
    return {"data": data, "layout": layout}


def jacobian_spectrum(values: np.ndarray, title: str, height: int = 560) -> dict:
    """The eigenvalues of J<t> at every step, coloured by t, with the unit circle.

    Args:
        values: (T_x, n_s) complex, row t - 1 for J<t>.
    """
    values = np.asarray(values, dtype=complex)
    T_x, n_s = values.shape
    steps = np.repeat(np.arange(1, T_x + 1), n_s)
    flat = values.ravel()
    data = [_unit_circle(),
            {"type": "scatter", "x": flat.real, "y": flat.imag, "mode": "markers",
             "name": "eigenvalues of J⟨t⟩", "customdata": steps,
             "marker": {"size": 8, "color": steps, "colorscale": style.GATE_SCALE,
                        "cmin": 1, "cmax": max(T_x, 2),
                        "colorbar": _colorbar_below("t = ")},
             "hovertemplate": "t=%{customdata}<br>λ = %{x:.3f} %{y:+.3f}i<extra></extra>"}]
    layout = style.merged(_plane(title, [values], height), {"showlegend": False},
                          {"margin": style.legend_below(1)["margin"]})
    return {"data": data, "layout": layout}


def _colorbar_below(prefix: str) -> dict:
    """A horizontal colour bar where `style.legend_below` puts a legend, under the x axis's
    title, its ticks read "prefix10" ("t = 10"): a plane one to one then keeps the width of
    its neighbour, whose legend is there, instead of giving it to a bar at its side. (A
    horizontal bar's title sits on the bar: the ticks say what it is instead.)"""
    return {**style.COLORBAR, "orientation": "h", "thickness": 14, "len": 0.9, "x": 0.5,
            "xanchor": "center", "y": 0, "yanchor": "bottom", "yref": "container",
            "tickprefix": prefix, "tickfont": {"size": style.FONT_SIZE}}


AXES = ("x", "y", "z")


def _at(coords: Sequence[np.ndarray]) -> dict:
    """{"x": ..., "y": ...(, "z": ...)}: a trace's coordinates on the components drawn."""
    return dict(zip(AXES, coords, strict=False))


def trajectories(projected: np.ndarray, labels: np.ndarray | None, label_names: Sequence[str],
                 points: Sequence[tuple[np.ndarray, str]], share: np.ndarray,
                 lines: int = 8, height: int = 620) -> dict:
    """A batch's states on their first two principal components (a plane) or three (a 3-D
    scene the student turns).

    Args:
        projected: (k, m, T_x) every example's state at every step on the k = 2 or 3
            components.
        labels: (m, T_x) int indices into label_names to colour the states by (what the
            network should hold there), or None to colour them by t.
        points: (coordinates (k,), kind) of each fixed or slow point, kind "stable",
            "unstable" or "slow".
        share: (k,) the variance each component explains, for the axis titles.
        lines: how many examples' paths are drawn as lines.
    """
    count, m, T_x = projected.shape
    if count not in (2, 3):
        raise ValueError(f"the states are drawn on 2 or 3 components, not {count}")
    kind = "scatter" if count == 2 else "scatter3d"
    size = 6 if count == 2 else 5   # in 3-D Plotly draws a marker larger for the same size
    data = []
    for i in range(min(lines, m)):
        data.append({"type": kind, **_at(projected[:, i]), "mode": "lines", "showlegend": False,
                     "hoverinfo": "skip",
                     "line": {"color": "rgba(80,80,80,0.35)", "width": 1.5 if count == 2 else 3}})
    steps = np.broadcast_to(np.arange(1, T_x + 1), (m, T_x))
    if labels is None:
        data.append({"type": kind, **_at(projected.reshape(count, -1)), "mode": "markers",
                     "name": "a⟨t⟩", "customdata": steps.ravel(),
                     "marker": {"size": size, "color": steps.ravel(),
                                "colorscale": style.GATE_SCALE, "cmin": 1, "cmax": max(T_x, 2),
                                "colorbar": {**style.COLORBAR, "thickness": 18,
                                             "title": {"text": "t", "side": "right"}}},
                     "hovertemplate": "t=%{customdata}<extra></extra>", "showlegend": False})
    else:
        for k, name in enumerate(label_names):
            chosen = labels == k
            if chosen.any():
                data.append({"type": kind, **_at(projected[:, chosen]), "mode": "markers",
                             "name": name,
                             "marker": {"size": size,  # past the palette: another shape
                                        "color": style.GROUP_COLORS[k % len(style.GROUP_COLORS)],
                                        "symbol": ("circle", "diamond", "square")[
                                            k // len(style.GROUP_COLORS) % 3]},
                             "hovertemplate": f"{name}<extra></extra>"})
    marks = {"stable": ("stable fixed point", "circle", style.MARKER_COLOR),
             "unstable": ("unstable fixed point", "circle-open", style.MARKER_COLOR),
             "slow": ("slow point", "x", style.MUTED_INK)}
    for kind_of_point, (name, symbol, color) in marks.items():
        chosen = [at for at, k in points if k == kind_of_point]
        if chosen:
            data.append({"type": kind, **_at(np.array(chosen).T), "mode": "markers",
                         "name": name,
                         "marker": {"size": 18 if count == 2 else 10, "symbol": symbol,
                                    "color": color, "line": {"width": 3, "color": color}},
                         "hovertemplate": f"{name}<extra></extra>"})
    rows = 1 + (len(label_names) + 3) // 4 if labels is not None else 1
    titles = [f"PC{k + 1} ({s:.0%} of variance)" for k, s in enumerate(share)]
    layout = style.merged(style.layout("How the state moves", titles[0], titles[1],
                                       height=height), style.legend_below(rows))
    if count == 3:
        axis = {"gridcolor": style.GRID, "zerolinecolor": style.EDGE,
                "tickfont": {"size": style.FONT_SIZE - 2}}
        layout["scene"] = {f"{name}axis": {**axis, "title": {
            "text": title, "font": {"size": style.AXIS_TITLE_SIZE - 2}}}
            for name, title in zip(AXES, titles, strict=True)}
        layout["scene"]["aspectmode"] = "cube"
        # a little further out than Plotly's default eye: the axis titles stay in the picture
        layout["scene"]["camera"] = {"eye": {"x": 1.7, "y": 1.7, "z": 1.1}}
        layout["height"] = height + 120
    return {"data": data, "layout": layout}
