"""From a Config to everything one forward and backward pass needs: parameters, inputs, targets.

Three kinds of input (Config.input):

- "notebook": the course notebook's own draws, ``np.random.seed(seed)`` then randn in its
  order (x, a<0>, then the weights; rnnviz.notebook.notebook_example). The weight knobs
  (weight scale, spectral radius) do not apply: the weights are the notebook's
  standard-normal draws. A gate's bias knob is added to its drawn bias.
- "gaussian": with ``rng = np.random.default_rng(seed)``: x ~ N(0, 1) of shape (n_x, m, T_x),
  then the labels, then the weights from rnnviz.engine.init_params with the knobs; a<0> = 0.
  A gate's bias knob, when set, is every entry of that bias.
- a task ("chars", "adding", "copy", "sine", ...): rnnviz.training.tasks draws a batch (x and
  its targets) from the same generator and dictates n_x, n_y and the loss; weights as for
  "gaussian". The task "sequences" reads the student's data that Config.data names, kept on
  this server (rnnviz.training.sequences); a name not kept is refused with a sentence.

For the two non-task inputs the loss is cross-entropy at every step, against random class
labels y<t> drawn uniformly from {0, ..., n_y - 1} by ``default_rng(seed)``: there is nothing
to learn, but it gives the gradient pages a loss to back-propagate::

    L = -(1 / (m T_x)) sum_i sum_t log y_hat<t>[y<t>_i, i]

x and the labels are drawn before the weights, so the RNN and the LSTM see the same inputs
and labels for the same seed and sizes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnviz.app.config import (
    FIELD_BY_NAME,
    GATE_BIASES,
    GAUSSIAN,
    NOTEBOOK,
    Config,
    initial_bias,
    memory_biases,
)
from rnnviz.engine import CELLS, init_params, model
from rnnviz.engine.description import Trace
from rnnviz.engine.losses import Loss
from rnnviz.engine.params import Params
from rnnviz.engine.truncation import truncated_steps
from rnnviz.limits import SIZES, TRUNCATION_WORK
from rnnviz.notebook import NOTEBOOK_SEED, NOTEBOOK_SIZES, NOTEBOOK_T_X, notebook_example
from rnnviz.training import sequences
from rnnviz.training.tasks import OWN, TASKS, Task, make_task

# Named starting points for a lesson; values not named keep the Config defaults.
PRESETS: dict[str, Config] = {
    **{f"Notebook example ({CELLS[cell].label})": Config(
        cell=cell, **NOTEBOOK_SIZES, T_x=T_x, seed=NOTEBOOK_SEED, input=NOTEBOOK)
       for cell, T_x in NOTEBOOK_T_X.items()},
    "Vanishing gradients": Config(cell="rnn", n_x=3, n_a=32, n_y=2, m=8, T_x=60, seed=1,
                                  input=GAUSSIAN, weight_scale=1.0, spectral_radius=0.8),
    "Exploding gradients": Config(cell="rnn", n_x=3, n_a=32, n_y=2, m=8, T_x=60, seed=1,
                                  input=GAUSSIAN, weight_scale=0.3, spectral_radius=2.0),
    # the memory bias at 5 for both: the LSTM's bf = 5 keeps f near 1, the GRU's bu = -5
    # keeps u near 0 (and a<t-1>), as the links of older versions set them
    "LSTM remembers": Config(cell="lstm", n_x=3, n_a=32, n_y=2, m=8, T_x=60, seed=1,
                             input=GAUSSIAN, weight_scale=1.0, spectral_radius=0.0,
                             **memory_biases(5.0)),
    "GRU remembers": Config(cell="gru", n_x=3, n_a=32, n_y=2, m=8, T_x=60, seed=1,
                            input=GAUSSIAN, weight_scale=1.0, spectral_radius=0.0,
                            **memory_biases(5.0)),
}


@dataclass(frozen=True)
class Setup:
    """The network and its data for one configuration.

    Attributes:
        config: the configuration, with n_x and n_y set by the task when there is one.
        params: the cell's parameters.
        x: (n_x, m, T_x) inputs.
        a0: (n_a, m) initial hidden state a<0>.
        targets: cross-entropy: (m, T_x) int class indices; squared error: (n_y, m, T_x).
        loss: the Loss the targets go with (its .output is the output layer's activation).
        task: the task object for a task input, else None.
    """

    config: Config
    params: Params
    x: np.ndarray
    a0: np.ndarray
    targets: np.ndarray
    loss: Loss
    task: Any = None

    def forward(self, interventions=()) -> Trace:
        """The forward pass of the network on x from a<0>, with the loss's output layer and
        the rnnviz.engine.Interventions given (none: the network as it is)."""
        return model.forward(self.params, self.x, self.a0, output=self.loss.output,
                             interventions=interventions)

    def loss_at(self, where: str) -> Loss:
        """The setup's loss placed at every step ("all") or only at the last ("last")."""
        return Loss(self.loss.kind, where)

    def backward(self, trace: Trace, where: str, truncate: int | None = None) -> model.Backprop:
        """BPTT from `trace` (`forward`'s) with `loss_at(where)`, truncated to `truncate`
        steps back (rnnviz.engine.truncation) unless it is None."""
        return model.backward(self.params, trace, self.targets, self.loss_at(where),
                              truncate=truncate)


def largest_truncation(config: Config, cells: Sequence[str], where: str) -> int:
    """The largest truncation k of BPTT computed for these cells at the configuration's sizes:
    T_x (every k), unless with the loss at every step (one BPTT per step's loss) a k below T_x
    would pass TRUNCATION_WORK; at least 1, which costs what full BPTT does."""
    blocks = max(len(CELLS[cell].projections) for cell in cells)
    work = config.m * config.n_a ** 2 * blocks
    k = config.T_x - 1   # the costliest k: T_x itself is full BPTT
    while k > 1 and truncated_steps(config.T_x, k, where == "all") * work > TRUNCATION_WORK:
        k -= 1
    return config.T_x if k == config.T_x - 1 else k


def is_task(config: Config) -> bool:
    """Whether the input is a task's batch (which then sets n_x and n_y)."""
    return config.input in TASKS


def task_of(config: Config) -> Task:
    """The task of a task input, on its kept data for a student's sequences.

    Raises:
        ValueError: the sequences it names are not kept on this server, or none are named.
    """
    if config.input != OWN:
        return make_task(config.input)
    if config.data is None:
        raise ValueError(f"no CSV is chosen; train “{TASKS[OWN].title}” on the Training page "
                         "and open a snapshot from there")
    return make_task(OWN, data=sequences.kept(config.data))


def resolve(config: Config) -> Config:
    """`config` with the sizes a task dictates (n_x, n_y), and no data named unless its input
    is a student's sequences; other inputs are returned as is.

    Raises:
        ValueError: the task's sizes exceed the limits, or its data cannot be had.
    """
    if config.data is not None and config.input != OWN:
        config = config.replace(data=None)
    if not is_task(config):
        return config
    task = task_of(config)
    n_x, n_y = int(task.n_x), int(task.n_y)
    if n_x > SIZES["n_x"] or n_y > SIZES["n_y"]:
        raise ValueError(f"the {config.input!r} task needs n_x={n_x}, n_y={n_y}, "
                         f"above the limits n_x <= {SIZES['n_x']}, n_y <= {SIZES['n_y']}")
    return config.replace(n_x=n_x, n_y=n_y)


def random_labels(rng: np.random.Generator, n_y: int, m: int, T_x: int) -> np.ndarray:
    """(m, T_x) int64 class labels, uniform over {0, ..., n_y - 1}."""
    return rng.integers(0, n_y, size=(m, T_x), dtype=np.int64)


def build(config: Config) -> Setup:
    """Parameters, inputs, a<0>, targets and loss for `config` (see the module docstring).

    Raises:
        ValueError: the input is a task that does not fit the limits or the sizes.
    """
    config = resolve(config)
    c = config
    spectral_radius = c.spectral_radius if c.spectral_radius > 0 else None
    if c.input == NOTEBOOK:
        params, x, a0 = notebook_example(c.cell, c.n_x, c.n_a, c.n_y, c.m, c.T_x, c.seed)
        targets = random_labels(np.random.default_rng(c.seed), c.n_y, c.m, c.T_x)
        return Setup(c, with_gate_biases(params, c), x, a0, targets,
                     Loss("cross_entropy", "all"))
    rng = np.random.default_rng(c.seed)
    if c.input == GAUSSIAN:
        x = rng.standard_normal((c.n_x, c.m, c.T_x))
        targets = random_labels(rng, c.n_y, c.m, c.T_x)
        loss, task = Loss("cross_entropy", "all"), None
    else:
        task = task_of(c)
        batch = task.batch(rng, c.m, c.T_x)
        x, targets, loss = np.asarray(batch.x, dtype=np.float64), batch.targets, task.loss
    params = init_params(c.cell, c.n_x, c.n_a, c.n_y, rng, weight_scale=c.weight_scale,
                         spectral_radius=spectral_radius)
    return Setup(c, with_gate_biases(params, c), x, np.zeros((c.n_a, c.m)), targets, loss,
                 task)


def gate_knobs(config: Config) -> tuple[str, ...]:
    """The bias knobs of the configuration's cell, one per gate: ("lstm_bf", "lstm_bu",
    "lstm_bo") for the LSTM, none for the RNN."""
    return tuple(knob for knob, (cell, _) in GATE_BIASES.items() if cell == config.cell)


def knob_value(config: Config, knob: str) -> float:
    """What a gate's bias knob stands at: its setting, or when it is not set, the bias as
    initialised (Gaussian input, tasks) or no shift (the notebook's draws)."""
    value = getattr(config, knob)
    if value is not None:
        return value
    return 0.0 if config.input == NOTEBOOK else initial_bias(*GATE_BIASES[knob])


def with_gate_biases(params: Params, config: Config) -> Params:
    """`params` with the gate biases the knobs set: each the knob's value, or on the
    notebook's draws the drawn bias plus the knob's."""
    changes = {}
    for knob in gate_knobs(config):
        value, bias = getattr(config, knob), GATE_BIASES[knob][1]
        if value is not None:
            drawn = getattr(params, bias)  # (n_a, 1)
            changes[bias] = drawn + value if config.input == NOTEBOOK else np.full_like(
                drawn, value)
    return dataclasses.replace(params, **changes) if changes else params


def knobs_apply(config: Config) -> dict[str, bool]:
    """Which initialisation knobs change the weights for `config` (the UI greys the others).

    The notebook input draws every weight with randn, so the weight knobs do not apply; a
    gate's bias knob applies to its own cell, on every input (on the notebook's draws as a
    shift of the drawn bias).
    """
    drawn = config.input != NOTEBOOK
    own = gate_knobs(config)
    return {"weight_scale": drawn, "spectral_radius": drawn,
            **{knob: knob in own for knob in GATE_BIASES}}


def for_cell(config: Config, cell: str) -> Config:
    """`config` with `cell` and the initialisation knobs that do not apply to it
    (`knobs_apply`) at their defaults: configurations that build the same network and data
    are one, so they share what is cached for it (the RNN's whatever the gate biases)."""
    config = config.replace(cell=cell)
    return config.replace(**{knob: FIELD_BY_NAME[knob].default
                             for knob, applies in knobs_apply(config).items() if not applies})
