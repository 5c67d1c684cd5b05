"""The one configuration every page reads, and its round trip through a URL query string.

A declarative table (`FIELDS`) says each setting's type, default and allowed range; parsing a
query string validates every value in this one place. A value that is missing takes its
default silently; a value that is present but unparsable or out of range takes its default
and produces a warning naming it, so a shared link never breaks a page.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace

from rnnviz.engine.cells import CELLS
from rnnviz.fields import Field, refused, to_query
from rnnviz.limits import SIZES
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
    replace(SETTING["weight_scale"],
            help="Multiplies every weight's standard deviation 1/√fan_in."),
    replace(SETTING["spectral_radius"],
            help="Rescales each recurrent block (Waa, the gates' first n_a columns) so its "
                 "largest |eigenvalue| is this; 0 leaves it as drawn."),
    replace(SETTING["forget_bias"],
            help="How strongly the cell keeps its memory at the start: the LSTM's forget bias "
                 "bf is this value, so large values keep f near 1; the GRU's update bias bu "
                 "is minus this value, so large values keep u near 0. Either way the cell "
                 "remembers."),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
_DEFAULTS = {f.name: f.default for f in FIELDS}


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
        weight_scale: multiplies every weight's 1/sqrt(fan_in) standard deviation.
        spectral_radius: rescale Waa (the LSTM's recurrent blocks) to this; 0 leaves it as drawn.
        forget_bias: the memory bias: the LSTM's bf, the GRU's -bu.
    """

    cell: str = _DEFAULTS["cell"]
    n_x: int = _DEFAULTS["n_x"]
    n_a: int = _DEFAULTS["n_a"]
    n_y: int = _DEFAULTS["n_y"]
    m: int = _DEFAULTS["m"]
    T_x: int = _DEFAULTS["T_x"]
    seed: int = _DEFAULTS["seed"]
    input: str = _DEFAULTS["input"]
    weight_scale: float = _DEFAULTS["weight_scale"]
    spectral_radius: float = _DEFAULTS["spectral_radius"]
    forget_bias: float = _DEFAULTS["forget_bias"]

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

    Unknown keys are ignored. Returns the config and a list of warnings, one per value that
    was refused, e.g. "n_a=-3 was ignored: it must be between 1 and 256; using 5".
    """
    chosen, problems = {}, []
    for f in FIELDS:
        if f.name in values:
            try:
                chosen[f.name] = f.parse(values[f.name])
            except ValueError as why:
                problems.append(refused(f.name, values[f.name], why, using=f.default))
    return Config(**chosen), problems


def from_query(query: dict) -> tuple[Config, list[str]]:
    """A Config from a URL query string's {key: value or [values]}; see `from_mapping`."""
    return from_mapping(query)
