"""Lesson links: URL parameters that fix a page's view and hide chosen controls.

Besides the configuration (rnnviz.app.config), a URL can say what a page shows (the timestep t,
the hidden unit j, the batch example i, the units plotted, where the loss sits, the training
settings to start from) and which controls to remove (``hide=sidebar,presets,play``), so a
teacher can hand out a link that shows exactly one idea, as TensorFlow Playground's hide
flags do.

One declarative table per page (`VIEWS`, keyed by the pages of rnnviz.app.contents) says
each view parameter's kind and range; ranges that depend on the network's size name the size
("T_x", "n_a", "m"). Parsing validates every value here, in plain Python: a value that is
unknown, unparsable or out of range is ignored and named in a warning, never raised.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from rnnviz.app import lab
from rnnviz.app.config import (
    FIELD_BY_NAME,
    FIELDS,
    GATE_BIASES,
    MEMORY_KNOBS,
    OLD_MEMORY_BIAS,
    URL_KEYS,
)
from rnnviz.app.contents import FLOW, GATES, LAB, MEMORY, STEP, TRAINING, Page
from rnnviz.app.memory import PRINCIPAL_COMPONENTS
from rnnviz.engine.losses import WHERE
from rnnviz.fields import MAX_LIST, MAX_TEXT, Field, last, refused, shown, to_query
from rnnviz.limits import MAX_INTERVENTIONS
from rnnviz.training.bundled import NETWORKS
from rnnviz.training.settings import HIDDEN_BY, LINKED, SETTING

MAX_NAMED = 5           # unknown keys named in a warning
# Keys Streamlit itself reads from the URL: never warned about or removed.
STREAMLIT_KEYS = frozenset({"embed", "embed_options"})


_T = Field("t", "int", 1, 1, "T_x", help="the timestep shown, 1 … T_x")
_UNIT = Field("unit", "int", 0, 0, "n_a", -1, help="hidden unit j, 0 … n_a−1")
_UNITS = Field("units", "int_list", None, 0, "n_a", -1,
               help="units whose memory is plotted (the LSTM's c⟨t⟩, the GRU's a⟨t⟩), "
                    f"e.g. 0,3,7 (at most {MAX_LIST})")
_WHERE = Field("where", "choice", "last", choices=WHERE,
               choice_labels=("the last step only", "every step"),
               help="where the loss sits: the last step only, or every step")
VIEWS: dict[Page, tuple[Field, ...]] = {
    STEP: (
        _T,
        _UNIT,
        Field("example", "int", 0, 0, "m", -1, help="batch example i, 0 … m−1"),
    ),
    GATES: (
        _T,
        Field("example", "int_or_mean", "mean", 0, "m", -1,
              help="batch example i, 0 … m−1, or mean"),
        replace(_UNIT, help="hidden unit j whose gates and states are drawn as lines, "
                            "0 … n_a−1"),
        _UNITS,
    ),
    FLOW: (
        _WHERE,
        Field("example", "int", 0, 0, "m", -1,
              help="batch example i for the heatmap and Jacobians, 0 … m−1"),
        Field("truncate", "int", 0, 0, "T_x",
              help="truncated BPTT: each step's loss reaches back this many steps, 0 … T_x "
                   "(0: all the way)"),
    ),
    LAB: (
        Field("intervene", "coded", None, codec=lab.CODEC,
              help=f"the interventions, {lab.SYNTAX}; several joined by ; (at most "
                   f"{MAX_INTERVENTIONS})"),
        _UNITS,
        Field("example", "int", 0, 0, "m", -1, help="batch example i, 0 … m−1"),
        _WHERE,
    ),
    TRAINING: tuple(replace(SETTING[name], name=key) for key, name in LINKED.items()),
    MEMORY: (
        Field("example", "int", 0, 0, "m", -1, help="batch example i of the maps, 0 … m−1"),
        Field("w", "float", 0.9, -3.0, 3.0, help="one unit's recurrent weight w, −3 … 3"),
        Field("v", "float", 1.0, -3.0, 3.0, help="one unit's input weight v, −3 … 3"),
        Field("b", "float", 0.0, -2.0, 2.0, help="one unit's bias b, −2 … 2"),
        Field("x", "float", 0.0, -1.0, 1.0, help="the constant input x, −1 … 1"),
        Field("a0", "float", 0.5, -1.0, 1.0, help="the unit's first state a⟨0⟩, −1 … 1"),
        Field("unit_steps", "int", 30, 2, 100, help="how many steps T the unit runs, 2 … 100"),
        Field("pcs", "choice", str(min(PRINCIPAL_COMPONENTS)),
              choices=tuple(map(str, PRINCIPAL_COMPONENTS)),
              choice_labels=tuple(PRINCIPAL_COMPONENTS.values()),
              help="the principal components the states are drawn on, 2 or 3"),
    ),
}
VIEW_KEYS = frozenset(f.name for fields in VIEWS.values() for f in fields)
# A ready-trained network (rnnviz.training.bundled.NETWORKS) to open as a snapshot, on any page.
NETWORK_KEY = "network"
# Presentation mode on any page (present=1): for a projector, see rnnviz.ui.page.
PRESENT_KEY = "present"
# A lesson link's question (ask=...), shown under the title of the page the link opens.
ASK_KEY = "ask"
MAX_ASK = MAX_TEXT   # characters of a question
# Unicode categories that are not text a student could read: control, format (bidirectional
# overrides, invisible characters), surrogate, private use and unassigned characters.
NOT_TEXT = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
JOINERS = frozenset("\u200d")  # a format character that composes emoji: kept

# Controls a lesson link can remove (hide=name1,name2,...). Each configuration field's control
# is hidden by the field's name, in the sidebar and, for the sliders of a page (Gradient
# flow's FLOW_KNOBS, the gate biases on Gates), on that page. Older links hide the memory
# gates' knobs by the one name they had, forget_bias.
FLOW_KNOBS = ("spectral_radius", "weight_scale", *MEMORY_KNOBS, "T_x")


def _rows_hidden_by() -> dict[str, list[str]]:
    """{hide name: the Training form's rows it removes} (rnnviz.training.settings.HIDDEN_BY)."""
    rows: dict[str, list[str]] = {}
    for row, name in HIDDEN_BY.items():
        rows.setdefault(name, []).append(row)
    return rows


SIDEBAR_CONTROLS = ("presets", *(f.name for f in FIELDS), "reset")
GATE_KNOBS = frozenset(GATE_BIASES)  # each has a slider on Gates too


def _sliders_of(name: str) -> str:
    """", and its slider on Gradient flow and Gates": the pages that draw `name` as a slider."""
    pages = [title for title, knobs in ((FLOW.title, FLOW_KNOBS), (GATES.title, GATE_KNOBS))
             if name in knobs]
    return f", and its slider on {' and on '.join(pages)}" if pages else ""
HIDEABLE: dict[str, str] = {
    "sidebar": "the whole sidebar: page links and network settings",
    "nav": "the page links in the sidebar",
    "networks": "the ready-trained networks menu in the sidebar",
    **{name: "sidebar: " + ("the presets menu" if name == "presets" else
                            "the Reset button" if name == "reset" else f"the {name} setting")
       + _sliders_of(name) for name in SIDEBAR_CONTROLS},
    OLD_MEMORY_BIAS.name: "the memory gates' bias knobs, "
                          + ", ".join(FIELD_BY_NAME[knob].label for knob in MEMORY_KNOBS)
                          + " (the name older links give them)",
    "t": "the timestep slider and its ◀ ▶ buttons (Step through, Gates)",
    "play": "the Play button (Step through, Gates)",
    "unit": "the hidden-unit menu (Step through, Gates)",
    "example": "the batch-example menu (Step through, Gates, Gradient flow, Gate lab, Memory "
               "map)",
    "units": "the units menu of the memory plot (Gates, Gate lab)",
    "where": "where the loss sits (Gradient flow, Gate lab)",
    "intervene": "the Gate lab's interventions editor (the interventions the link set apply)",
    "knobs": f"the {len(FLOW_KNOBS)} sliders of {', '.join(FLOW_KNOBS)} (Gradient flow, "
             "Memory map), Gradient flow's BPTT truncation slider and the gate biases' "
             "sliders (Gates)",
    "truncate": "the BPTT truncation slider (Gradient flow)",
    "clipping": "the gradient-clipping section (Gradient flow)",
    **{name: f"the Training form's {', '.join(SETTING[row].label for row in rows)}"
       for name, rows in _rows_hidden_by().items()},
}


def _page_of(name: str) -> list[str]:
    return [page.title for page, fields in VIEWS.items() if any(f.name == name for f in fields)]


def parse_view(page: Page, query: dict, sizes: dict) -> tuple[dict, list[str]]:
    """The view parameters of `page` in a query string.

    Args:
        page: a page (other pages than the keys of VIEWS have no view parameters).
        query: {key: text or [texts]}; configuration keys and Streamlit's own are skipped.
        sizes: {"T_x", "n_a", "m"} of the configuration the view is for, and its "cell".

    Returns:
        ({name: value} for the valid values present, warnings): one warning per value that
        was refused, per view key of another page and per unknown key.
    """
    own = {f.name: f for f in VIEWS.get(page, ())}
    view, warnings, unknown = {}, [], []
    for key, raw in query.items():
        if key in URL_KEYS or key in STREAMLIT_KEYS or key in ("hide", NETWORK_KEY,
                                                               PRESENT_KEY, ASK_KEY):
            continue
        if key in own:
            try:
                view[key] = own[key].parse(raw, sizes)
            except ValueError as why:
                warnings.append(refused(key, raw, why))
        elif key in VIEW_KEYS:
            pages = ", ".join(_page_of(key))
            warnings.append(f"{key} was ignored: it sets the view of another page ({pages})")
        else:
            unknown.append(shown(key))
    if len(unknown) == 1:
        warnings.append(f"{unknown[0]!r} was ignored: it is not a setting of rnnviz")
    elif unknown:  # one message, however many a link carries
        names = ", ".join(repr(k) for k in unknown[:MAX_NAMED])
        more = f" and {len(unknown) - MAX_NAMED} more" if len(unknown) > MAX_NAMED else ""
        warnings.append(f"{len(unknown)} parameters were ignored: {names}{more} are not "
                        "settings of rnnviz")
    return view, warnings


def parse_network(raw) -> tuple[str | None, list[str]]:
    """The ready-trained network a link's ``network=key`` opens (the last value given), or
    None and a warning naming the value when it is not one of NETWORKS; (None, []) for
    None (no such key)."""
    if raw is None:
        return None, []
    key = last(raw)
    if key in NETWORKS:
        return key, []
    return None, [refused(NETWORK_KEY, raw, "is not one of the ready-trained networks ("
                          + ", ".join(NETWORKS) + ")")]


def parse_hide(raw) -> tuple[frozenset[str], list[str]]:
    """The controls named in ``hide=a,b,c`` (case-insensitive); unknown names are warned
    about and skipped."""
    if isinstance(raw, (list, tuple)):
        raw = ",".join(str(r) for r in raw)
    text = str(raw)
    if len(text) > 10 * MAX_TEXT:
        return frozenset(), ["hide=... was ignored: it is too long"]
    by_lower = {name.lower(): name for name in HIDEABLE}   # "t_x" -> "T_x", "t" -> "t"
    names, unknown = [], []
    for part in text.split(","):
        name = part.strip()
        if not name:
            continue
        if name.lower() in by_lower:
            names.append(by_lower[name.lower()])
        else:
            unknown.append(shown(name))
    more = f" and {len(unknown) - MAX_NAMED} more" if len(unknown) > MAX_NAMED else ""
    warnings = [f"hide={', '.join(repr(u) for u in unknown[:MAX_NAMED])}{more} was ignored: "
                f"{'it is not a control' if len(unknown) == 1 else 'they are not controls'} "
                f"that can be hidden"] if unknown else []
    return frozenset(names), warnings


def view_to_query(page: Page, view: dict) -> dict[str, str]:
    """The query-string form of a page's view: only values that differ from the defaults."""
    return to_query(VIEWS.get(page, ()), view)


def hide_to_query(hidden) -> dict[str, str]:
    """{"hide": "a,b"} in HIDEABLE's order, or {} when nothing is hidden."""
    names = [name for name in HIDEABLE if name in hidden]
    return {"hide": ",".join(names)} if names else {}


def parse_present(raw) -> tuple[bool, list[str]]:
    """Whether a link's present= asks for presentation mode ("1"; "0" or none: not), with a
    warning for any other value, which is ignored."""
    if not raw:
        return False, []
    value = last(raw)
    if value in ("0", "1"):
        return value == "1", []
    return False, [refused(PRESENT_KEY, raw, "must be 1 (presentation mode) or 0")]


def present_to_query(presenting: bool) -> dict[str, str]:
    """{"present": "1"} in presentation mode, else {}."""
    return {PRESENT_KEY: "1"} if presenting else {}


def parse_ask(raw) -> tuple[str | None, list[str]]:
    """The question a link's ``ask=`` puts under the page's title: the last value given, its
    white space collapsed to single spaces; None for none or an empty one. A value longer
    than MAX_ASK characters or holding characters that are not text (NOT_TEXT) is ignored
    with a warning naming it."""
    if raw is None:
        return None, []
    text = " ".join(last(raw).split())
    if not text:
        return None, []
    if len(text) > MAX_ASK:
        return None, [refused(ASK_KEY, raw, f"is longer than {MAX_ASK} characters")]
    if any(unicodedata.category(ch) in NOT_TEXT and ch not in JOINERS for ch in text):
        return None, [refused(ASK_KEY, raw, "holds characters that are not text "
                                            "(control or invisible characters)")]
    return text, []


def ask_to_query(question: str | None) -> dict[str, str]:
    """{"ask": the question} when there is one, else {}."""
    return {ASK_KEY: question} if question else {}
