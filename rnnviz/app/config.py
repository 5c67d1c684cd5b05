"""The one configuration every page reads, and its round trip through a URL query string.

A declarative table (`FIELDS`) says each setting's type, default and allowed range; parsing a
query string validates every value in this one place. A value that is missing takes its
default silently; a value that is present but unparsable or out of range takes its default
and produces a warning naming it, so a shared link never breaks a page.

Each gate of each cell has a bias knob, named by the cell and the bias ("lstm_bf", "gru_bu"),
so a cell keeps its own when the cell is switched and the cells compared on one page each
have theirs. Older links set one memory bias for every cell (``forget_bias=5``: the LSTM's
bf = 5, the GRU's bu = -5); `from_mapping` reads it into the memory gates' knobs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from functools import cache

import numpy as np

from rnnviz.engine.cells import CELLS, init_params
from rnnviz.fields import Field, refused, to_query
from rnnviz.limits import KNOBS, SIZES
from rnnviz.notebook import NOTEBOOK_SEED, NOTEBOOK_SIZES, NOTEBOOK_T_X
from rnnviz.training.settings import SETTING
from rnnviz.training.tasks import TASKS

NOTEBOOK, GAUSSIAN = "notebook", "gaussian"   # the inputs that are not a task
INPUTS = (NOTEBOOK, GAUSSIAN, *TASKS)

# The default configuration is the notebook's own LSTM example. The rows a training run has
# too (its cell, sizes, seed and initialisation knobs) are the training table's, with the
# explorer's defaults and help.
FIELDS: tuple[Field, ...] = (
    replace(SETTING["cell"],
            help="The recurrent cell: " + " or ".join(c.label for c in CELLS.values()) + "."),
    Field("n_x", "int", NOTEBOOK_SIZES["n_x"], 1, SIZES["n_x"], label="n_x (input size)",
          help="Input size: entries of x⟨t⟩."),
    replace(SETTING["n_a"], default=NOTEBOOK_SIZES["n_a"],
            help="Hidden units: entries of a⟨t⟩ (and of every other state the cell carries)."),
    Field("n_y", "int", NOTEBOOK_SIZES["n_y"], 1, SIZES["n_y"], label="n_y (output size)",
          help="Output size: entries of ŷ⟨t⟩."),
    replace(SETTING["m"], default=NOTEBOOK_SIZES["m"],
            help="Batch size: examples run side by side."),
    replace(SETTING["T_x"], default=NOTEBOOK_T_X["lstm"],
            help="Sequence length: timesteps t = 1 … T_x."),
    replace(SETTING["seed"], default=NOTEBOOK_SEED,
            help="Seeds every random draw: the same seed gives the same network and data."),
    Field("input", "choice", NOTEBOOK, choices=INPUTS, label="input",
          choice_labels=("the notebook's randn draws", "random Gaussian x",
                         *(f"task: {task.title}" for task in TASKS.values())),
          help="Where x comes from: the notebook's own draws, Gaussian noise, or a task's "
               "batch."),
    Field("data", "text", None, label="your sequences",
          help="Which of your sequences (a CSV trained on the Training page, kept on this "
               "server) the task “your sequences” reads."),
    replace(SETTING["weight_scale"],
            help="Multiplies every weight's standard deviation 1/√fan_in."),
    replace(SETTING["spectral_radius"],
            help="Rescales each recurrent block (Waa, the gates' first n_a columns) so its "
                 "largest |eigenvalue| is this; 0 leaves it as drawn."),
    *(Field(f"{cell.name}_{gate.bias}", "float", None, *KNOBS["gate_bias"],
            label=f"{cell.label} {gate.bias}",
            help=f"The {cell.label}'s {gate.value} gate's bias {gate.bias}: large values hold "
                 f"{gate.value} near 1 (open), very negative ones near 0 (shut). On the "
                 f"Gaussian input and the tasks it is every entry of {gate.bias}; on the "
                 f"notebook's draws it is added to the drawn {gate.bias}.")
      for cell in CELLS.values() for gate in cell.gates),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
_DEFAULTS = {f.name: f.default for f in FIELDS}
# {knob: (cell, bias parameter)} for every gate of every cell, in the order of FIELDS
GATE_BIASES = {f"{cell.name}_{gate.bias}": (cell.name, gate.bias)
               for cell in CELLS.values() for gate in cell.gates}
# the knobs of the biases that set how much a cell keeps (the LSTM's bf, the GRU's bu)
MEMORY_KNOBS = tuple(knob for knob, (cell, bias) in GATE_BIASES.items()
                     if CELLS[cell].memory_bias == bias)
# Older links' one memory bias for every cell: read into MEMORY_KNOBS, never written.
OLD_MEMORY_BIAS = SETTING["forget_bias"]
URL_KEYS = (*FIELD_BY_NAME, OLD_MEMORY_BIAS.name)   # every key of the configuration a URL has


@dataclass(frozen=True)
class Config:
    """Everything that determines the network and its input. Hashable, so it can key caches.

    Attributes:
        cell: the cell's name, a key of rnnviz.engine.CELLS.
        n_x, n_a, n_y, m, T_x: sizes in the notebook's names.
        seed: seeds the np.random.Generator (or, for input "notebook", the notebook's
            np.random.seed draws).
        input: "notebook" (x, a0 and every weight drawn with randn in the notebook's order),
            "gaussian" (x ~ N(0, 1), weights by the knobs below), or a task's name.
        data: for the input "sequences", the key of a student's sequences kept on this
            server (rnnviz.training.sequences.kept); None otherwise.
        weight_scale: multiplies every weight's 1/sqrt(fan_in) standard deviation.
        spectral_radius: rescale Waa (the LSTM's recurrent blocks) to this; 0 leaves it as drawn.
        lstm_bf, lstm_bu, lstm_bo, gru_br, gru_bu: each gate's bias knob (GATE_BIASES), for
            its own cell only: on the Gaussian input and the tasks every entry of the bias is
            the knob; on the notebook's draws the knob is added to the drawn bias. None: the
            bias as the engine initialises it (the LSTM's bf = 1, the GRU's bu = -1, the
            others 0) or as the notebook drew it.
    """

    cell: str = _DEFAULTS["cell"]
    n_x: int = _DEFAULTS["n_x"]
    n_a: int = _DEFAULTS["n_a"]
    n_y: int = _DEFAULTS["n_y"]
    m: int = _DEFAULTS["m"]
    T_x: int = _DEFAULTS["T_x"]
    seed: int = _DEFAULTS["seed"]
    input: str = _DEFAULTS["input"]
    data: str | None = _DEFAULTS["data"]
    weight_scale: float = _DEFAULTS["weight_scale"]
    spectral_radius: float = _DEFAULTS["spectral_radius"]
    lstm_bf: float | None = _DEFAULTS["lstm_bf"]
    lstm_bu: float | None = _DEFAULTS["lstm_bu"]
    lstm_bo: float | None = _DEFAULTS["lstm_bo"]
    gru_br: float | None = _DEFAULTS["gru_br"]
    gru_bu: float | None = _DEFAULTS["gru_bu"]

    def replace(self, **changes) -> Config:
        """A copy with `changes`, validated; raises ValueError naming a bad value."""
        merged = {**dataclasses.asdict(self), **changes}
        config, problems = from_mapping(merged)
        if problems:
            raise ValueError("; ".join(problems))
        return config

    def to_query(self) -> dict[str, str]:
        """The query-string form: only the values that differ from the defaults."""
        return to_query(FIELDS, dataclasses.asdict(self))


def from_mapping(values: dict) -> tuple[Config, list[str]]:
    """A Config from any mapping of names to text or values (a query string, widget values).

    Unknown keys are ignored; a field whose default is None may be given as None (not set).
    An older link's forget_bias sets the memory gates' knobs it does not set itself, except
    on the notebook's draws, which it never changed. Returns the config and a list of
    warnings, one per value that was refused, e.g. "n_a=-3 was ignored: it must be between 1
    and 256; using 5".
    """
    chosen, problems = {}, []
    for f in FIELDS:
        if f.name in values and not (f.default is None and values[f.name] is None):
            try:
                chosen[f.name] = f.parse(values[f.name])
            except ValueError as why:
                problems.append(refused(f.name, values[f.name], why, using=f.default))
    old = OLD_MEMORY_BIAS.name
    if old in values:
        try:
            memory = OLD_MEMORY_BIAS.parse(values[old])
        except ValueError as why:
            problems.append(refused(old, values[old], why))
        else:
            if chosen.get("input", _DEFAULTS["input"]) != NOTEBOOK:
                chosen = {**memory_biases(memory), **chosen}
    return Config(**chosen), problems


@cache
def initial_bias(cell: str, bias: str, forget_bias: float | None = None) -> float:
    """The value init_params gives every entry of the bias `bias` of `cell` (the LSTM's bf:
    1), with its memory bias `forget_bias` (None: the engine's default). Read from a one-unit
    network, so that the engine alone says it (and with which sign the GRU's bu takes it)."""
    memory = {} if forget_bias is None else {"forget_bias": forget_bias}
    params = init_params(cell, 1, 1, 1, np.random.default_rng(0), **memory)
    return float(getattr(params, bias)[0, 0])


def memory_biases(forget_bias: float) -> dict[str, float]:
    """{memory knob: the bias the engine's memory bias `forget_bias` gives it}:
    {"lstm_bf": 5.0, "gru_bu": -5.0} for 5."""
    return {knob: initial_bias(*GATE_BIASES[knob], forget_bias) for knob in MEMORY_KNOBS}


def from_query(query: dict) -> tuple[Config, list[str]]:
    """A Config from a URL query string's {key: value or [values]}; see `from_mapping`."""
    return from_mapping(query)
