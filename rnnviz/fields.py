"""One kind of setting for every table: the network's configuration, the lesson-link views and
the training settings are each a table of `Field`s, parsed and written back by the same code.

A field turns text (a URL's value, a form's entry) into a value or refuses it with a reason
("must be between 1 and 256"); the caller turns the reason into a warning that names the
value, and keeps the default. Plain Python: nothing here imports NumPy or Streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

KINDS = ("int", "float", "choice", "int_list", "int_or_mean")
MAX_TEXT = 200      # longer raw values are refused unread
SHOWN_TEXT = 40     # a refused value is quoted up to this many characters
MAX_LIST = 16       # an int_list holds at most this many numbers
MEAN = "mean"       # the word an int_or_mean field takes for "the batch mean"


@dataclass(frozen=True)
class Field:
    """One setting.

    Attributes:
        name: the key in URLs and forms.
        kind: "int", "float", "choice", "int_list" (comma-separated ints) or "int_or_mean"
            (an int, or "mean").
        default: the value when the key is absent (None: the page's own default).
        low, high: bounds. A string names a size of the configuration ("T_x", "n_a", "m"),
            with `high_offset` added to the upper one (unit j = 0 … n_a − 1: "n_a", -1).
        choices: the allowed words of a "choice".
        label: the control's label on screen.
        help: one line saying what the setting does.
    """

    name: str
    kind: str
    default: Any
    low: float | str | None = None
    high: float | str | None = None
    high_offset: int = 0
    choices: tuple[str, ...] = ()
    label: str = ""
    help: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"field {self.name}: kind must be one of {KINDS}")

    def bounds(self, sizes: dict | None = None) -> tuple[float, float]:
        """(low, high) with size names replaced by `sizes` ({"T_x": 7, ...})."""
        def resolve(bound, offset):
            return int((sizes or {})[bound]) + offset if isinstance(bound, str) else bound
        return resolve(self.low, 0), resolve(self.high, self.high_offset)

    def parse(self, raw, sizes: dict | None = None):
        """The value in `raw` (text, or a list of texts of which the last counts).

        Raises:
            ValueError: saying why it was refused, to follow "it", e.g. "must be between 1
                and 256", "is not a number".
        """
        text = last(raw).strip()
        if len(text) > MAX_TEXT:
            raise ValueError("is too long")
        if self.kind == "choice":
            if text.lower() not in self.choices:
                raise ValueError(f"must be one of {', '.join(self.choices)}")
            return text.lower()
        if self.kind == "int_or_mean" and text.lower() == MEAN:
            return MEAN
        low, high = self.bounds(sizes)
        if self.kind == "int_list":
            return self._parse_list(text, low, high)
        number = parse_number(text, whole=self.kind != "float")
        if not low <= number <= high:
            raise ValueError(f"must be between {format_value(low)} and {format_value(high)}")
        return number

    def _parse_list(self, text: str, low: float, high: float) -> list[int]:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if len(parts) > MAX_LIST:
            raise ValueError(f"lists more than {MAX_LIST} numbers")
        try:
            values = [parse_number(p, whole=True) for p in parts]
        except ValueError:
            raise ValueError("must be whole numbers separated by commas") from None
        if any(not low <= v <= high for v in values):
            raise ValueError(f"must be between {format_value(low)} and {format_value(high)}")
        return list(dict.fromkeys(values))  # unique, in the given order


def parse_number(text: str, whole: bool) -> int | float:
    """A finite number from text (an int when `whole`), or ValueError saying why not."""
    try:
        number = float(text)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(number):
        raise ValueError("is not a finite number")
    if whole:
        if number != int(number):
            raise ValueError("must be a whole number")
        return int(number)
    return number


def format_value(value) -> str:
    """The text a value is written back as: 0.5, 2 (not 2.0), 0,3,7 for a list."""
    if isinstance(value, list | tuple):
        return ",".join(format_value(v) for v in value)
    if isinstance(value, float):
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    return str(value)


def last(raw) -> str:
    """A URL value as text: the last of several, "" for none."""
    if isinstance(raw, list | tuple):
        return str(raw[-1]) if raw else ""
    return str(raw)


def shown(raw) -> str:
    """A value as quoted in a warning, cut short when long."""
    text = last(raw)
    return text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT - 3] + "..."


def refused(name: str, raw, why: ValueError | str, using=None) -> str:
    """The warning for a refused value: "n_a='-3' was ignored: it must be between 1 and 256;
    using 5" (without the last part when `using` is None)."""
    tail = "" if using is None else f"; using {format_value(using)}"
    return f"{name}={shown(raw)!r} was ignored: it {why}{tail}"
