"""Training tasks: seeded batch generators in the notebook's layout, each with its loss.

Every task draws a `Batch` from an explicit ``np.random.Generator``: x of shape
(n_x, m, T_x) and targets that match its loss (rnnviz.engine.losses). What T_x means::

    chars   a window of T_x characters of one name (or one line of pasted text)
    adding  T_x (value, marker) pairs; the two marked values may be up to T_x - 1 apart
    copy    the symbol is shown at t = 1 and asked for at t = T_x: a delay of T_x - 1 steps
    sine    T_x samples of one noisy sine wave
    flipflop  T_x steps of three flip-flops' pulses
    sequences a window of T_x steps of a student's own sequences (a CSV)

The tasks::

    chars   x<t> = onehot(char<t>)              y<t> = char<t+1>           cross-entropy, all t
    adding  x<t> = (value<t>, marker<t>)        y = sum of the 2 marked    squared error, t = T_x
    copy    x<1> = onehot(symbol) + marker,     y<T_x> = marked symbol     cross-entropy, t = T_x
            then random symbols, cue at T_x
    sine    x<t> = sin(w t + phi) + noise       y<t> = sin(w (t+1) + phi)  squared error, all t
    flipflop  x<t>_i = +-1 pulses (or 0)        y<t>_i = last pulse's sign  squared error, all t
    sequences x<t> = v<t> (standardised)        y<t> = v<t+1>              squared error, all t
              or, with labels,                  y<T_x> = the class         cross-entropy, t = T_x

Accuracy: chars, the share of counted positions where argmax y_hat<t> is the next
character; adding, the share of examples with |y_hat<T_x> - y| < 0.04 (Hochreiter &
Schmidhuber's threshold); copy, the share recalled right (chance = 1/K); sine: none;
flipflop, the share of outputs with the sign of their target; sequences: the share of
windows classified right (chance = 1/K), none for prediction.
"""

from __future__ import annotations

from rnnviz.training.sequences import SequenceData
from rnnviz.training.tasks.base import Batch, Task
from rnnviz.training.tasks.chars import CharTask
from rnnviz.training.tasks.memory import AddingTask, CopyTask, FlipFlopTask
from rnnviz.training.tasks.own import OwnTask
from rnnviz.training.tasks.signals import SineTask

__all__ = ["OWN", "TASKS", "AddingTask", "Batch", "CharTask", "CopyTask", "FlipFlopTask",
           "OwnTask", "SineTask", "Task", "make_task"]

TASKS: dict[str, type[Task]] = {task.name: task for task in (CharTask, AddingTask, CopyTask,
                                                               SineTask, FlipFlopTask, OwnTask)}
OWN = OwnTask.name   # the task whose data a student brings


def make_task(name: str, text: str | None = None, data: SequenceData | None = None,
              **options) -> Task:
    """Build a task by its key.

    Args:
        name: a key of TASKS.
        text: for "chars" only: text to learn from instead of the bundled names (up to
            100 kB). Empty, binary-looking or one-character text raises ValueError.
        data: for "sequences" only, and needed there: the rnnviz.training.sequences data.
        options: the task's own options (copy: symbols, distractors; sine: noise,
            period_low, period_high; flipflop: pulse).

    Returns:
        the task.
    """
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    if (data is not None) != (name == OWN):
        raise ValueError("your sequences need their data (a CSV)" if name == OWN else
                         f"only the {OWN} task learns from a CSV; {name!r} makes its own data")
    if name == OWN:
        if options or text is not None:
            raise ValueError(f"the {OWN} task takes its data only")
        return OwnTask(data)
    if name == "chars":
        if options:
            raise ValueError(f"the chars task takes no options; got {', '.join(options)}")
        return CharTask(text)
    if text is not None:
        raise ValueError(f"only the chars task learns from text; {name!r} makes its own data")
    try:
        return TASKS[name](**options)
    except TypeError:
        raise ValueError(f"unknown option for the {name} task: {', '.join(options)}") from None
