"""One kind of setting for every table: the network's configuration, the lesson-link views and
the training settings are each a table of `Field`s, parsed and written back by the same code.

A field turns text (a URL's value, a form's entry) into a value or refuses it with a reason
("must be between 1 and 256"); the caller turns the reason into a warning that names the
value, and keeps the default. Plain Python: nothing here imports NumPy or Streamlit.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Any

KINDS = ("int", "float", "choice", "choices", "int_list", "int_or_mean", "text", "coded")
WIDGETS = ("", "radio")
MAX_TEXT = 200      # longer raw values are refused unread
SHOWN_TEXT = 40     # a refused value is quoted up to this many characters
MAX_LIST = 16       # an int_list holds at most this many numbers
MEAN = "mean"       # the word an int_or_mean field takes for "the batch mean"
SPACE = " \t\r\n"   # ASCII white space around a value is ignored; no other kind
# A number as a URL or a form writes it: ASCII digits, an optional sign, point and exponent
# (so no "５", "٣", "1_0", "0x10" or "∞", which Python's float() would take).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)


@dataclass(frozen=True)
class Field:
    """One setting.

    Attributes:
        name: the key in URLs and forms.
        kind: "int", "float", "choice" (one of `choices`), "choices" (one or more of
            `choices`, comma-separated; the value is a tuple in the order of `choices`),
            "int_list" (comma-separated ints), "int_or_mean" (an int, or "mean"), "text"
            (free text of at most `high` UTF-8 bytes, or None) or "coded" (read and written
            by its `codec`).
        default: the value when the key is absent (None: the page's own default).
        low, high: bounds. A string names a size of the configuration ("T_x", "n_a", "m"),
            with `high_offset` added to the upper one (unit j = 0 … n_a − 1: "n_a", -1).
        choices: the allowed words of a "choice" or "choices".
        choice_labels: how each choice is written on screen, in the order of `choices`
            (empty: as the word itself).
        aliases: words a "choices" field also reads, each standing for several choices:
            (("both", ("rnn", "lstm")),) reads "both" as rnn and lstm.
        label: the control's label on screen.
        help: one line saying what the setting does.
        widget: how a form draws a "choice" or "choices": "radio" (buttons side by side) or
            "" (a menu).
        codec: a "coded" field's reader and writer: parse(text, sizes) -> value (ValueError
            saying why, to follow "it"), format(value) -> text, and max_chars, the longest
            text it reads.
    """

    name: str
    kind: str
    default: Any
    low: float | str | None = None
    high: float | str | None = None
    high_offset: int = 0
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    label: str = ""
    help: str = ""
    widget: str = ""
    codec: Any = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"field {self.name}: kind must be one of {KINDS}")
        if self.choice_labels and len(self.choice_labels) != len(self.choices):
            raise ValueError(f"field {self.name}: one label per choice")
        if self.widget not in WIDGETS:
            raise ValueError(f"field {self.name}: widget must be one of {WIDGETS}")
        if any(not set(meant) <= set(self.choices) for _, meant in self.aliases):
            raise ValueError(f"field {self.name}: an alias stands for some of the choices")
        if (self.kind == "coded") != (self.codec is not None):
            raise ValueError(f"field {self.name}: a codec goes with the kind coded, and only")

    def label_of(self, choice) -> str:
        """How `choice` is written on screen; several (a "choices" value) joined by commas."""
        if isinstance(choice, list | tuple):
            return ", ".join(self.label_of(one) for one in choice)
        if self.choice_labels and choice in self.choices:
            return self.choice_labels[self.choices.index(choice)]
        return str(choice)

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
        text = last(raw).strip(SPACE)
        if len(text) > (self.codec.max_chars if self.codec else MAX_TEXT):
            raise ValueError("is too long")
        if self.codec:
            return self.codec.parse(text, sizes)
        if self.kind == "choice":
            if text.lower() not in self.choices:
                raise ValueError(f"must be one of {', '.join(self.choices)}")
            return text.lower()
        if self.kind == "choices":
            return self._parse_choices(text)
        if self.kind == "text":
            return text
        if self.kind == "int_or_mean" and text.lower() == MEAN:
            return MEAN
        low, high = self.bounds(sizes)
        if self.kind == "int_list":
            return self._parse_list(text, low, high)
        number = parse_number(text, whole=self.kind != "float")
        if not low <= number <= high:
            raise ValueError(f"must be between {format_value(low)} and {format_value(high)}")
        return number

    def check(self, value, sizes: dict | None = None):
        """A typed value (from code or a form, not text) validated: returned as int, float,
        or the text itself.

        Raises:
            ValueError: naming the field and why, e.g. "steps must be between 1 and 20,000;
                got 30,000".
        """
        try:
            return self._check(value, sizes)
        except ValueError as why:
            raise ValueError(f"{self.name} {why}") from None

    def format(self, value) -> str:
        """The text `value` is written as in a URL: `format_value`, or the codec's."""
        return self.codec.format(value) if self.codec else format_value(value)

    def _check(self, value, sizes):
        if self.codec:
            return self.codec.parse(self.codec.format(value), sizes)
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(f"must be one of {', '.join(self.choices)}; got {value!r}")
            return value
        if self.kind == "choices":
            return self._check_choices(value)
        if self.kind == "text":
            if value is not None and not isinstance(value, str):
                raise ValueError(f"must be text; got {type(value).__name__}")
            if value is not None and len(value.encode("utf-8")) > self.high:
                raise ValueError(f"is longer than {self.high:,} bytes")
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"must be a {'whole' if self.kind != 'float' else 'finite'} "
                             f"number; got {value!r}")
        if self.kind == "float":
            if not math.isfinite(value):
                raise ValueError(f"must be a finite number; got {value!r}")
            value = float(value)
        elif not isinstance(value, numbers.Integral):
            raise ValueError(f"must be a whole number; got {value!r}")
        else:
            value = int(value)
        low, high = self.bounds(sizes)
        if not low <= value <= high:
            raise ValueError(f"must be between {_number(low)} and {_number(high)}; "
                             f"got {_number(value)}")
        return value

    def _parse_choices(self, text: str) -> tuple[str, ...]:
        aliases = dict(self.aliases)
        chosen = []
        for part in (p.strip(SPACE).lower() for p in text.split(",")):
            if part in aliases:
                chosen.extend(aliases[part])
            elif part in self.choices:
                chosen.append(part)
            elif part:
                raise ValueError(f"must list one or more of {', '.join(self._words())}")
        if not chosen:
            raise ValueError(f"must name at least one of {', '.join(self.choices)}")
        return self.ordered(chosen)

    def _check_choices(self, value) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
            raise ValueError(f"must be a list of choices; got {value!r}")
        unknown = [one for one in value if one not in self.choices]
        if unknown:
            raise ValueError(f"must list some of {', '.join(self.choices)}; got "
                             f"{unknown[0]!r}")
        if not value:
            raise ValueError(f"must name at least one of {', '.join(self.choices)}; got none")
        return self.ordered(value)

    def ordered(self, chosen) -> tuple[str, ...]:
        """The choices in `chosen`, once each, in the order of `choices`."""
        return tuple(choice for choice in self.choices if choice in chosen)

    def _words(self) -> tuple[str, ...]:
        return (*self.choices, *(word for word, _ in self.aliases))

    def _parse_list(self, text: str, low: float, high: float) -> list[int]:
        parts = [p.strip(SPACE) for p in text.split(",") if p.strip(SPACE)]
        if len(parts) > MAX_LIST:
            raise ValueError(f"lists more than {MAX_LIST} numbers")
        try:
            values = [parse_number(p, whole=True) for p in parts]
        except ValueError:
            raise ValueError("must be whole numbers separated by commas") from None
        if any(not low <= v <= high for v in values):
            raise ValueError(f"must be between {format_value(low)} and {format_value(high)}")
        return list(dict.fromkeys(values))  # unique, in the given order


def to_query(fields, values: dict) -> dict[str, str]:
    """The query-string form of `values` ({name: value}) for a table of fields: only the
    values set (not None) that differ from their field's default, written as they parse."""
    return {f.name: f.format(values[f.name]) for f in fields
            if values.get(f.name) is not None and values[f.name] != f.default}


def parse_number(text: str, whole: bool) -> int | float:
    """A finite number from text written in ASCII decimal notation (an int when `whole`), or
    ValueError saying why not."""
    if _NOT_FINITE.fullmatch(text):
        raise ValueError("is not a finite number")
    if not _DECIMAL.fullmatch(text):
        raise ValueError("is not a number written with the digits 0-9")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("is not a finite number")
    mantissa = text.lower().partition("e")[0]
    if number == 0 and any(digit in mantissa for digit in "123456789"):
        raise ValueError("is so close to 0 that it rounds to 0")
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


def _number(value) -> str:
    """A bound or value in a message: 20,000 for whole numbers, 1e-06 and 0.5 otherwise."""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()
                                  and abs(value) < 1e15):
        return f"{int(value):,}"
    return f"{value:g}"


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
