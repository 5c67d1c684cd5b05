"""The training settings, in one table: the Training page's form draws its controls from it,
`TrainConfig` takes its defaults and its validation from it, and a lesson link's training
fields (rnnviz.app.lesson) are the rows named in `LINKED`.

A form describes one run per cell it names (any of the RNN, the LSTM and the GRU, all on the
same batches from the same seed); `train_configs` turns it into those runs' TrainConfigs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from rnnviz.engine.cells import CELLS
from rnnviz.engine.optim import OPTIMIZER_CLASSES
from rnnviz.fields import Field
from rnnviz.limits import (
    KNOBS,
    MAX_CSV_BYTES,
    MAX_SEED,
    MAX_SNAPSHOTS,
    MAX_TEXT_BYTES,
    MAX_TRAIN_STEPS,
    SIZES,
)
from rnnviz.training import sequences
from rnnviz.training.tasks import OWN, TASKS, Task, make_task

# train_cell=both, in links made when there were two cells, still means these two.
BOTH = ("both", ("rnn", "lstm"))
OPTIMIZER_LABELS = {"adam": "Adam", "sgd": "SGD", "momentum": "SGD + momentum",
                    "rmsprop": "RMSProp"}
CLIP_LABELS = {"norm": "by global norm", "value": "by value", "none": "off"}
HYPER = ("learning_rate", "beta1", "beta2", "epsilon")   # each optimizer takes some of them
SNAPSHOT_BYTES = 10e6   # parameter snapshots a form's run keeps (8 runs: 80 MB per session)
SNAPSHOTS_PER_RUN = 100  # a form's run keeps at most this many (MAX_SNAPSHOTS: any run)
STATS_PER_RUN = 200      # optimizer statistics and gradient flow this many times per run

SETTINGS: tuple[Field, ...] = (
    Field("task", "choice", "chars", choices=tuple(TASKS),
          choice_labels=tuple(task.title for task in TASKS.values()), label="task",
          help="; ".join(f"{task.title}: {task.description}" for task in TASKS.values())),
    Field("cell", "choice", "lstm", choices=tuple(CELLS),
          choice_labels=tuple(cell.label for cell in CELLS.values()), label="cell",
          widget="radio"),
    Field("train_cell", "choices", BOTH[1], choices=tuple(CELLS),
          choice_labels=tuple(cell.label for cell in CELLS.values()), aliases=(BOTH,),
          label="cells", widget="radio",
          help="One cell, or several side by side on the same batches from the same seed."),
    Field("n_a", "int", 32, 1, SIZES["n_a"], label="n_a (hidden units)"),
    Field("m", "int", 32, 1, SIZES["m"], label="m (batch size)"),
    Field("T_x", "int", 20, 1, SIZES["T_x"], label="T_x (timesteps)",
          help="What T_x means depends on the task: for the adding and copy tasks it is how "
               "far back the network must remember."),
    Field("seed", "int", 1, 0, MAX_SEED, label="seed",
          help="Seeds the weights and the batches: same seed, same data."),
    Field("optimizer", "choice", "adam", choices=tuple(OPTIMIZER_LABELS),
          choice_labels=tuple(OPTIMIZER_LABELS.values()), label="optimizer",
          help="Adam uses β1, β2 and ε; momentum uses β1; RMSProp β2 and ε."),
    Field("learning_rate", "float", 0.01, 1e-6, 1e6, label="learning rate α",
          help="How far each update moves the weights."),
    Field("beta1", "float", 0.9, 0.0, 0.999, label="β1"),
    Field("beta2", "float", 0.999, 0.0, 0.999999, label="β2"),
    Field("epsilon", "float", 1e-8, 1e-12, 1.0, label="ε"),
    Field("steps", "int", 500, 1, MAX_TRAIN_STEPS,
          label=f"steps (at most {MAX_TRAIN_STEPS:,})", help="How many updates the run makes."),
    Field("clip", "choice", "norm", choices=tuple(CLIP_LABELS),
          choice_labels=tuple(CLIP_LABELS.values()), label="gradient clipping", widget="radio"),
    Field("clip_value", "float", 5.0, 1e-6, 1e6, label="clipping threshold"),
    Field("truncate", "int", 0, 0, SIZES["T_x"], label="BPTT truncation k (0: full)",
          help="Truncated back-propagation through time: each step's loss sends its gradient "
               "back k steps only (the state before them held constant). 0: all the way."),
    Field("stats_every", "int", 10, 0, MAX_TRAIN_STEPS,
          help="optimizer statistics and gradient flow every this many steps (0: never)"),
    Field("snapshot_every", "int", 100, 1, MAX_TRAIN_STEPS,
          help=f"a parameter snapshot every this many steps (at most {MAX_SNAPSHOTS} per run)"),
    Field("weight_scale", "float", 1.0, *KNOBS["weight_scale"], label="weight scale"),
    Field("spectral_radius", "float", 0.0, *KNOBS["spectral_radius"],
          label="spectral radius of Waa",
          help="The largest |eigenvalue| of Waa after rescaling; 0 leaves Waa as drawn."),
    Field("forget_bias", "float", 1.0, *KNOBS["forget_bias"],
          label="memory bias (LSTM bf, GRU −bu)"),
    Field("text", "text", None, high=MAX_TEXT_BYTES,
          label=f"your own text (character task, up to {MAX_TEXT_BYTES // 1000} kB)",
          help="Empty: the dinosaur names."),
    Field("csv", "text", None, high=MAX_CSV_BYTES,
          label=f"your sequences (CSV, up to {MAX_CSV_BYTES // 1000} kB)",
          help="Numbers separated by commas, for the task “your sequences”."),
    Field("layout", "choice", "rows", choices=tuple(sequences.LAYOUTS),
          choice_labels=tuple(sequences.LAYOUTS.values()), label="the CSV holds",
          help="One sequence per row (all the same length), or one long series whose time "
               "runs down the rows, each column a channel, cut into windows of T_x."),
    Field("label_column", "choice", "header", choices=tuple(sequences.LABEL_COLUMNS),
          choice_labels=tuple(sequences.LABEL_COLUMNS.values()), label="label column",
          help="With labels the network classifies each sequence (at its last step); "
               "without, it predicts each next value."),
)
OWN_DATA = ("csv", "layout", "label_column")   # the settings of a student's own sequences
SETTING = {f.name: f for f in SETTINGS}
# Sampling names from a trained character model: the range a page offers (CharTask.sample
# takes any temperature above 0; near 0 it always picks the likeliest character).
TEMPERATURE = Field("temperature", "float", 1.0, 0.1, 2.0, label="temperature",
                    help="Below 1: safer, more repetitive choices; above 1: more surprising "
                         "ones.")
# The form, section by section (the Training page draws a column for each).
FORM_SECTIONS = {"Task and network": ("task", "train_cell", "n_a", "m", "T_x", "seed"),
                 "Optimizer": ("optimizer", *HYPER),
                 "Run": ("steps", "clip", "clip_value", "truncate")}
# A student's own data, below the three columns in an expander (open when it holds some, or
# when the task is the student's sequences): a text for the character task, a CSV of sequences.
OWN_DATA_TITLE = "Your own data: a text for the character task, a CSV for “Your sequences”"
OWN_DATA_SECTIONS = {"Your text": ("text",), "Your sequences": OWN_DATA}
FORM = tuple(name for sections in (FORM_SECTIONS, OWN_DATA_SECTIONS)
             for names in sections.values() for name in names)
# The rows a lesson link's hide= removes, and the name it hides each with: the optimizer's
# hyper-parameters go with the optimizer (rnnviz.app.lesson.HIDEABLE).
HIDDEN_BY = {"task": "task", "train_cell": "train_cell", "optimizer": "optimizer",
             **{name: "optimizer" for name in HYPER}}
LINKED = {"task": "task", "train_cell": "train_cell", "optimizer": "optimizer",
          "steps": "steps", "lr": "learning_rate"}   # lesson-link key: setting
_D = {f.name: f.default for f in SETTINGS}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run. Hashable; invalid values raise ValueError.
    Defaults and ranges are SETTINGS'.

    Attributes:
        task: a key of rnnviz.training.tasks.TASKS.
        cell: a key of rnnviz.engine.CELLS.
        n_a: hidden units (n_x and n_y come from the task).
        m: batch size.
        T_x: sequence length (what it means depends on the task; see rnnviz.training.tasks).
        seed: seeds the initial parameters and the batches.
        optimizer: "adam", "sgd", "momentum" or "rmsprop".
        learning_rate, beta1, beta2, epsilon: hyper-parameters. Momentum uses beta1, RMSProp
            beta2 and epsilon; a value the chosen optimizer does not use is ignored.
        steps: how many updates.
        clip: "none", "norm" (rescale by the global norm) or "value" (clip each entry).
        clip_value: the norm's or the entries' limit.
        truncate: truncated BPTT's k (each loss term's gradient reaches k steps back; see
            rnnviz.engine.truncation); 0 for full BPTT.
        stats_every: optimizer statistics and gradient flow every this many steps (0: never).
        snapshot_every: a parameter snapshot every this many steps.
        weight_scale, spectral_radius, forget_bias: initialisation knobs
            (rnnviz.engine.init_params); spectral_radius 0 leaves the weights as drawn.
        text: for the chars task, text to learn from instead of the bundled names.
        csv, layout, label_column: for the sequences task (and needed there), the CSV's text
            and how to read it (rnnviz.training.sequences).
    """

    task: str = _D["task"]
    cell: str = _D["cell"]
    n_a: int = _D["n_a"]
    m: int = _D["m"]
    T_x: int = _D["T_x"]
    seed: int = _D["seed"]
    optimizer: str = _D["optimizer"]
    learning_rate: float = _D["learning_rate"]
    beta1: float = _D["beta1"]
    beta2: float = _D["beta2"]
    epsilon: float = _D["epsilon"]
    steps: int = _D["steps"]
    clip: str = _D["clip"]
    clip_value: float = _D["clip_value"]
    truncate: int = _D["truncate"]
    stats_every: int = _D["stats_every"]
    snapshot_every: int = _D["snapshot_every"]
    weight_scale: float = _D["weight_scale"]
    spectral_radius: float = _D["spectral_radius"]
    forget_bias: float = _D["forget_bias"]
    text: str | None = _D["text"]
    csv: str | None = _D["csv"]
    layout: str = _D["layout"]
    label_column: str = _D["label_column"]

    def __post_init__(self):
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, SETTING[f.name].check(getattr(self, f.name)))
        shortest = TASKS[self.task].min_T_x
        if self.T_x < shortest:
            raise ValueError(f"T_x must be between {shortest} and {SIZES['T_x']} for the "
                             f"{self.task} task; got {self.T_x}")
        if math.ceil(self.steps / self.snapshot_every) > MAX_SNAPSHOTS:
            raise ValueError(f"snapshot_every={self.snapshot_every} would keep more than "
                             f"{MAX_SNAPSHOTS} snapshots over {self.steps:,} steps; use at "
                             f"least {math.ceil(self.steps / MAX_SNAPSHOTS)}")
        if self.text is not None and self.task != "chars":
            raise ValueError("text is only for the chars task")
        if (self.csv is not None) != (self.task == OWN):
            raise ValueError(f"the {OWN} task needs a CSV: upload your sequences"
                             if self.task == OWN else f"a CSV is only for the {OWN} task")

    def make_task(self) -> Task:
        """The task this run learns, on its text or its CSV; ValueError saying why the
        data cannot be used."""
        return task_of(self.task, self.text, self.csv, self.layout, self.label_column)

    def hyper(self) -> dict[str, float]:
        """The hyper-parameters the chosen optimizer takes."""
        takes = OPTIMIZER_CLASSES[self.optimizer].defaults
        return {k: getattr(self, k) for k in HYPER if k in takes}

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Back from `to_dict`; unknown keys raise ValueError."""
        unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(unknown)}")
        return cls(**values)

    def label(self) -> str:
        """The run in words, e.g. "LSTM · chars · n_a=32 · Adam lr=0.01 · clip ‖g‖≤5 · seed 1"."""
        rate = self.hyper().get("learning_rate")
        clip = {"none": "no clip", "norm": f"clip ‖g‖≤{self.clip_value:g}",
                "value": f"clip |g|≤{self.clip_value:g}"}[self.clip]
        return (f"{CELLS[self.cell].label} · {self.task} · n_a={self.n_a} · "
                f"{OPTIMIZER_LABELS[self.optimizer]}"
                + (f" lr={rate:g}" if rate is not None else "")
                + f" · {clip}" + (f" · TBPTT k={self.truncate}" if self.truncate else "")
                + f" · seed {self.seed}")


def task_of(task: str, text: str | None, csv: str | None, layout: str,
            label_column: str) -> Task:
    """The task `task` on the text or the CSV (read as `layout` and `label_column` say) of a
    run's settings; ValueError saying why the data cannot be used."""
    data = sequences.load(csv, layout, label_column) if task == OWN else None
    return make_task(task, text=text, data=data)


def snapshot_every(steps: int, cell: str, n_x: int, n_a: int, n_y: int) -> int:
    """The snapshot interval of a form's run: at most SNAPSHOTS_PER_RUN snapshots and at most
    SNAPSHOT_BYTES of them (8 bytes a number), and at least 5."""
    size = 8 * CELLS[cell].parameter_count(n_x, n_a, n_y)
    count = int(min(SNAPSHOTS_PER_RUN, max(5, SNAPSHOT_BYTES // size)))
    return max(1, -(-steps // count))


def train_configs(values: dict) -> list[TrainConfig]:
    """The TrainConfigs a settings form describes: one per cell its train_cell names, in the
    order of CELLS, on the same data from the same seed. ValueError with a sentence if they
    are invalid (no cell named among them).

    Args:
        values: the FORM settings by name; text "" or None means the bundled names; the
            CSV and how to read it count for the sequences task only.
    """
    if not values["train_cell"]:
        raise ValueError("no cell is chosen: pick at least one of "
                         + ", ".join(cell.label for cell in CELLS.values()))
    own = values["task"] == OWN
    if own and not (values.get("csv") or "").strip():
        raise ValueError(f"the task “{TASKS[OWN].title}” needs your CSV: choose a .csv file "
                         "or paste its numbers into the box")
    values = {name: SETTING[name].check(values[name]) for name in FORM
              if name not in ("text", "csv")} | {
        "text": (values.get("text") or None) if values["task"] == "chars" else None,
        "csv": values["csv"] if own else None}
    if not own:   # how to read a CSV is no setting of another task's run
        values |= {name: SETTING[name].default for name in OWN_DATA if name != "csv"}
    task = task_of(**{name: values[name] for name in ("task", "text", *OWN_DATA)})
    task.check_batch_size(values["m"], values["T_x"])
    cells = values["train_cell"]
    steps = values["steps"]
    shared = {name: values[name] for name in FORM if name != "train_cell"}
    return [TrainConfig(**shared, cell=cell, stats_every=max(1, steps // STATS_PER_RUN),
                        snapshot_every=snapshot_every(steps, cell, task.n_x, values["n_a"],
                                                      task.n_y))
            for cell in cells]
