"""The one configuration every page reads, and its round trip through a URL query string.

A declarative table (`FIELDS`) says each setting's type, default and allowed range; parsing a
query string validates every value in this one place. A value that is missing takes its
default silently; a value that is present but unparsable or out of range takes its default
and produces a warning naming it, so a shared link never breaks a page.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from rnnviz.engine import cells as engine_cells
from rnnviz.limits import MAX_SEED, SIZES

CELLS = tuple(engine_cells.CELLS)
INPUTS = ("notebook", "gaussian", "chars", "adding", "copy", "sine")


@dataclass(frozen=True)
class Field:
    """One setting: its kind ("int", "float", "choice"), default and bounds or choices."""

    name: str
    kind: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    label: str = ""


FIELDS: tuple[Field, ...] = (
    Field("cell", "choice", "lstm", choices=CELLS, label="cell"),
    Field("n_x", "int", 3, 1, SIZES["n_x"], label="n_x (input size)"),
    Field("n_a", "int", 5, 1, SIZES["n_a"], label="n_a (hidden units)"),
    Field("n_y", "int", 2, 1, SIZES["n_y"], label="n_y (output size)"),
    Field("m", "int", 10, 1, SIZES["m"], label="m (batch size)"),
    Field("T_x", "int", 7, 1, SIZES["T_x"], label="T_x (timesteps)"),
    Field("seed", "int", 1, 0, MAX_SEED, label="seed"),
    Field("input", "choice", "notebook", choices=INPUTS, label="input"),
    Field("weight_scale", "float", 1.0, 0.01, 5.0, label="weight scale"),
    Field("spectral_radius", "float", 0.0, 0.0, 3.0,
          label="spectral radius of Waa (0 = as drawn)"),
    Field("forget_bias", "float", 1.0, -10.0, 10.0, label="forget-gate bias bf"),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}


@dataclass(frozen=True)
class Config:
    """Everything that determines the network and its input. Hashable, so it can key caches.

    Attributes:
        cell: "rnn" or "lstm".
        n_x, n_a, n_y, m, T_x: sizes in the notebook's names.
        seed: seeds the np.random.Generator (or, for input "notebook", the notebook's
            np.random.seed draws).
        input: "notebook" (x, a0 and every weight drawn with randn in the notebook's order),
            "gaussian" (x ~ N(0, 1), weights by the knobs below), or a task's name.
        weight_scale: multiplies every weight's 1/sqrt(fan_in) standard deviation.
        spectral_radius: rescale Waa (the LSTM's recurrent blocks) to this; 0 leaves it as drawn.
        forget_bias: the LSTM's bf.
    """

    cell: str = "lstm"
    n_x: int = 3
    n_a: int = 5
    n_y: int = 2
    m: int = 10
    T_x: int = 7
    seed: int = 1
    input: str = "notebook"
    weight_scale: float = 1.0
    spectral_radius: float = 0.0
    forget_bias: float = 1.0

    def replace(self, **changes) -> Config:
        """A copy with `changes`, validated; raises ValueError naming a bad value."""
        merged = {**dataclasses.asdict(self), **changes}
        config, problems = from_mapping(merged)
        if problems:
            raise ValueError("; ".join(problems))
        return config

    def to_query(self) -> dict[str, str]:
        """The query-string form: only the values that differ from the defaults."""
        out = {}
        for f in FIELDS:
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = _format(value)
        return out


def _format(value) -> str:
    if isinstance(value, float):
        return repr(float(value)).removesuffix(".0") if value.is_integer() else repr(value)
    return str(value)


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


def parse_value(f: Field, raw) -> Any:
    """One value from text, or ValueError saying why it was refused."""
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    text = str(raw).strip()
    if len(text) > 40:
        raise ValueError("is too long")
    if f.kind == "choice":
        value = text.lower()
        if value not in f.choices:
            raise ValueError(f"must be one of {', '.join(f.choices)}")
        return value
    number = parse_number(text, whole=f.kind == "int")
    if not f.low <= number <= f.high:
        raise ValueError(f"must be between {_format(f.low)} and {_format(f.high)}")
    return number


def from_mapping(values: dict) -> tuple[Config, list[str]]:
    """A Config from any mapping of names to text or values (a query string, widget values).

    Unknown keys are ignored. Returns the config and a list of warnings, one per value that
    was refused, e.g. "n_a=-3 was ignored: it must be between 1 and 256; using 5".
    """
    chosen, problems = {}, []
    for f in FIELDS:
        if f.name not in values:
            continue
        raw = values[f.name]
        try:
            chosen[f.name] = parse_value(f, raw)
        except ValueError as why:
            shown = str(raw[-1] if isinstance(raw, (list, tuple)) and raw else raw)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            problems.append(f"{f.name}={shown!r} was ignored: it {why}; "
                            f"using {_format(f.default)}")
    return Config(**chosen), problems


def from_query(query: dict) -> tuple[Config, list[str]]:
    """A Config from a URL query string's {key: value or [values]}; see `from_mapping`."""
    return from_mapping(query)
