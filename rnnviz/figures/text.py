"""Text coloured character by character by one value each, as HTML, with its legend.

Every character is escaped: a student's text may hold `<script>`, quotes, ampersands or
emoji, and each shows as itself, never as markup. The markup is plain HTML and CSS (no
script), for st.html. The text is large and each character's ink is picked for contrast
with its background (rnnviz.figures.style.ink_on), so it reads on a projector. Hovering
over a character shows its `hovers` line(s) below it.

Scales as on the other pages: "gate" values on the fixed 0–1 gate scale, "state" values on
the diverging scale centred at 0 over ±limit.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from rnnviz.figures import style

KINDS = ("gate", "state")
TEXT_SIZE = 28       # px: the coloured text, read from the back of a room
HOVER_SIZE = 20      # px: the predictions shown on hover
LEGEND_STOPS = 11    # colours written into the legend's gradient
KEPT_WHOLE = 40      # a group (name) up to this long is never broken across lines
CSS_CLASS = "rnnviz-text"

_CSS = f"""<style>
.{CSS_CLASS} {{ font-family: ui-monospace, Menlo, Consolas, monospace; font-size: {TEXT_SIZE}px;
  line-height: 2.3; color: {style.INK}; overflow-wrap: anywhere; }}
.{CSS_CLASS} .group {{ white-space: nowrap; }}
.{CSS_CLASS} .ch {{ position: relative; white-space: pre-wrap; padding: 3px 1px; }}
.{CSS_CLASS} .ch.picked {{ box-shadow: inset 0 -5px 0 {style.INK}; }}
.{CSS_CLASS} .ch.found {{ box-shadow: inset 0 5px 0 {style.INK}; }}
.{CSS_CLASS} .ch.picked.found {{ box-shadow: inset 0 -5px 0 {style.INK},
  inset 0 5px 0 {style.INK}; }}
.{CSS_CLASS} .ch:hover::after {{ content: attr(data-hover); position: absolute; top: 100%;
  left: 0; z-index: 20; white-space: pre; background: {style.LIGHT_INK}; color: {style.INK};
  border: 2px solid {style.EDGE}; border-radius: 4px; padding: 4px 10px;
  font-size: {HOVER_SIZE}px; line-height: 1.35; pointer-events: none; }}
.rnnviz-legend {{ display: flex; align-items: center; gap: 14px; font-size: {HOVER_SIZE}px;
  color: {style.INK}; margin: 6px 0 14px; }}
.rnnviz-legend .bar {{ width: 320px; height: 22px; border: 1px solid {style.EDGE}; }}
</style>"""


def scale_of(kind: str) -> list[list]:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
    return style.GATE_SCALE if kind == "gate" else style.DIVERGING_SCALE


def range_of(kind: str, limit: float) -> tuple[float, float]:
    """(low, high) of the colour scale: 0 … 1 for a gate, −limit … limit for a state."""
    return (0.0, 1.0) if kind == "gate" else (-limit, limit)


def colours(values, kind: str, limit: float = 1.0) -> list[str]:
    """The background colour ("#rrggbb") of each value on the kind's scale (limit > 0: the
    state scale's half-width); NaN is drawn at the scale's middle."""
    low, high = range_of(kind, limit)
    where = (np.asarray(values, np.float64) - low) / (high - low)
    return style.colours_at(scale_of(kind), np.where(np.isfinite(where), where, 0.5))


def coloured_text(chars: Sequence[str], values, kind: str, limit: float,
                  hovers: Sequence[str], groups: Sequence[int],
                  picked: Sequence[bool] | None = None,
                  found: Sequence[bool] | None = None) -> str:
    """The characters, each on its value's colour, as HTML.

    Args:
        chars: (N,) the characters to write, one per position (each escaped).
        values: (N,) a value per position.
        kind: "gate" or "state" (see the module docstring); limit: the state scale's ±.
        hovers: (N,) what hovering over each says (lines; escaped).
        groups: (N,) which group (name) each position is in, in runs: a group of at
            most KEPT_WHOLE positions is kept on one line; lines break between groups, at
            spaces, and (a longer group) anywhere.
        picked: (N,) bool, positions with a bar below (a selection), or None.
        found: (N,) bool, positions with a bar above (matches), or None.

    Returns:
        a <style> and a <div> holding one <span class="ch"> per character, carrying its
        position (data-pos) and hover text (data-hover).
    """
    size = len(chars)
    picked = np.zeros(size, bool) if picked is None else np.asarray(picked, bool)
    found = np.zeros(size, bool) if found is None else np.asarray(found, bool)
    parts = [_CSS, f'<div class="{CSS_CLASS}">']
    groups = np.asarray(groups)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])[:size]
    lengths = dict(zip(starts.tolist(), np.diff(np.r_[starts, size]).tolist(), strict=True))
    backgrounds = colours(values, kind, limit)
    for p, (ch, background, ink) in enumerate(zip(chars, backgrounds,
                                                   style.inks_on(backgrounds), strict=True)):
        if p in lengths:
            if p:
                parts.append("</span> ")
            parts.append(f'<span class="{"group" if lengths[p] <= KEPT_WHOLE else "run"}">')
        marks = " picked" * bool(picked[p]) + " found" * bool(found[p])
        parts.append(f'<span class="ch{marks}" data-pos="{p}" '
                     f'data-hover="{html.escape(hovers[p], quote=True)}" '
                     f'style="background:{background};color:{ink}">'
                     f"{html.escape(ch, quote=True)}</span>")
    parts.append("</span></div>" if size else "</div>")
    return "".join(parts)


def legend(kind: str, limit: float, label: str) -> str:
    """The colour scale as HTML: its low end, a gradient bar, its high end, and what it shows
    (escaped)."""
    low, high = range_of(kind, limit)
    scale = scale_of(kind)
    where = np.linspace(0, 1, LEGEND_STOPS)
    stops = ", ".join(f"{colour} {100 * w:.0f}%"
                      for colour, w in zip(style.colours_at(scale, where), where, strict=True))
    middle = (low + high) / 2
    return (f'<div class="rnnviz-legend"><span>{low:.3g}</span>'
            f'<span class="bar" style="background: linear-gradient(to right, {stops})"></span>'
            f"<span>{high:.3g}</span><span>(middle {middle:.3g}) · "
            f"{html.escape(label, quote=True)}</span></div>")
