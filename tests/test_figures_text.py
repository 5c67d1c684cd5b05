"""Text coloured by a unit, as HTML: every character and hover escaped (a student's text can
hold markup), each value on the app's scales, ink readable on every background, groups kept
whole, marks, and the legend."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import plotly.colors
import pytest

from rnnviz.figures import style
from rnnviz.figures import text as text_figure

HOSTILE = ["<", "script", ">", "alert('x')", "</script>", '"', "'", "&", "&amp;", "😀", " ",
           "\t", "<img src=x onerror=alert(1)>", "\n", "-->", "]]>"]


class Spans(HTMLParser):
    """The tags, the characters' spans (their attributes and text) of the markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.spans, self._inside = [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "span" and "ch" in attrs.get("class", "").split():
            self._inside = {**attrs, "text": ""}

    def handle_endtag(self, tag):
        if tag == "span" and self._inside is not None:
            self.spans.append(self._inside)
            self._inside = None

    def handle_data(self, data):
        if self._inside is not None:
            self._inside["text"] += data


def parsed(markup: str) -> Spans:
    parser = Spans()
    parser.feed(markup)
    parser.close()
    return parser


def build(chars, values=None, hovers=None, groups=None, **marks) -> str:
    n = len(chars)
    return text_figure.coloured_text(
        chars, np.linspace(-1, 1, n) if values is None else values, "state", 1.0,
        hovers or [f"#{p}" for p in range(n)], groups or [0] * n, **marks)


def test_every_character_and_hover_is_escaped_and_shows_as_itself():
    hovers = [f"#{p}\n{ch} 50%\n\" ' & <b>" for p, ch in enumerate(HOSTILE)]
    markup = build(HOSTILE, hovers=hovers)
    found = parsed(markup)
    assert set(found.tags) == {"style", "div", "span"}      # no script, img or b element
    assert [s["text"] for s in found.spans] == HOSTILE
    assert [s["data-hover"] for s in found.spans] == hovers
    assert [int(s["data-pos"]) for s in found.spans] == list(range(len(HOSTILE)))
    assert "<script" not in markup and "<img" not in markup and "<b>" not in markup


def test_each_value_takes_its_colour_on_the_scale_and_a_readable_ink():
    values = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, np.nan])
    spans = parsed(build(list("abcdef"), values)).spans
    backgrounds = [dict(part.split(":") for part in s["style"].split(";"))["background"]
                   for s in spans]
    ends = [style.colour_at(style.DIVERGING_SCALE, 0), style.colour_at(style.DIVERGING_SCALE, 1)]
    middle = style.colour_at(style.DIVERGING_SCALE, 0.5)
    assert backgrounds[0] == backgrounds[1] == ends[0]       # clamped below -limit
    assert backgrounds[2] == backgrounds[5] == middle        # 0, and NaN at the middle
    assert backgrounds[4] == ends[1]
    gate = text_figure.colours([0.0, 1.0], "gate")
    assert gate == [style.colour_at(style.GATE_SCALE, 0), style.colour_at(style.GATE_SCALE, 1)]
    for span, background in zip(spans, backgrounds, strict=True):
        ink = dict(part.split(":") for part in span["style"].split(";"))["color"]
        assert ink == style.ink_on(background)
    with pytest.raises(ValueError, match="kind"):
        text_figure.colours([0.0], "probability")


@pytest.mark.parametrize("scale", [style.DIVERGING_SCALE, style.GATE_SCALE])
def test_the_ink_on_every_colour_of_both_scales_has_aa_contrast(scale):
    backgrounds = style.colours_at(scale, np.linspace(0, 1, 201))
    inks = style.inks_on(backgrounds)
    assert inks == [style.ink_on(c) for c in backgrounds]   # all at once, as one by one
    assert min(style.contrast(ink, c) for ink, c in zip(inks, backgrounds, strict=True)) >= 4.5
    assert {style.DARK_INK, style.LIGHT_INK} == set(inks)   # AA: 4.5 for text of any size


def test_colours_between_stops_are_plotlys_own():
    for scale in (style.DIVERGING_SCALE, style.GATE_SCALE):
        for where in (0.0, 0.13, 0.5, 0.77, 1.0):
            (theirs,) = plotly.colors.sample_colorscale(
                [[float(at), plotly.colors.convert_colors_to_same_type(c, "rgb")[0][0]]
                 for at, c in scale], [where])
            ours = style.colour_at(scale, where)
            rgb = [int(ours[k:k + 2], 16) for k in (1, 3, 5)]
            got = [float(v) for v in theirs[theirs.index("(") + 1:-1].split(",")]
            assert np.allclose(rgb, got, atol=1.01), (where, ours, theirs)


def test_a_name_is_kept_on_one_line_and_a_long_line_may_break():
    chars = list("ab") + ["x"] * (text_figure.KEPT_WHOLE + 1)
    groups = [0, 0] + [1] * (text_figure.KEPT_WHOLE + 1)
    markup = build(chars, groups=groups)
    assert markup.count('<span class="group">') == 1 and markup.count('<span class="run">') == 1
    assert markup.count("</span> ") == 1                    # a break between the groups


def test_picked_positions_get_a_bar_below_and_found_ones_a_bar_above():
    spans = parsed(build(list("abcd"), picked=[True, False, True, False],
                         found=[False, False, True, True])).spans
    assert [s["class"] for s in spans] == ["ch picked", "ch", "ch picked found", "ch found"]


def test_the_legend_shows_the_range_a_gradient_and_its_escaped_label():
    legend = text_figure.legend("state", 2.5, "cell state <c> of unit 3")
    assert ">-2.5<" in legend and ">2.5<" in legend
    assert style.colour_at(style.DIVERGING_SCALE, 0) in legend
    assert "&lt;c&gt;" in legend and "<c>" not in legend
    gate = text_figure.legend("gate", 99.0, "forget gate")
    assert ">0<" in gate and ">1<" in gate
