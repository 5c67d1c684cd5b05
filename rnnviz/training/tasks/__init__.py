"""Training tasks: seeded batch generators in the notebook's layout, each with its loss.

Every task draws a `Batch` from an explicit ``np.random.Generator``: x of shape
(n_x, m, T_x) and targets that match its loss (rnnviz.engine.losses). What T_x means::

    chars   a window of T_x characters of one name (or one line of pasted text)
    adding  T_x (value, marker) pairs; the two marked values may be up to T_x - 1 apart
    copy    the symbol is shown at t = 1 and asked for at t = T_x: a delay of T_x - 1 steps
    sine    T_x samples of one noisy sine wave
    flipflop  T_x steps of three flip-flops' pulses

The tasks::

    chars   x<t> = onehot(char<t>)              y<t> = char<t+1>           cross-entropy, all t
    adding  x<t> = (value<t>, marker<t>)        y = sum of the 2 marked    squared error, t = T_x
    copy    x<1> = onehot(symbol) + marker,     y<T_x> = marked symbol     cross-entropy, t = T_x
            then random symbols, cue at T_x
    sine    x<t> = sin(w t + phi) + noise       y<t> = sin(w (t+1) + phi)  squared error, all t
    flipflop  x<t>_i = +-1 pulses (or 0)        y<t>_i = last pulse's sign  squared error, all t

Accuracy: chars, the share of counted positions where argmax y_hat<t> is the next
character; adding, the share of examples with |y_hat<T_x> - y| < 0.04 (Hochreiter &
Schmidhuber's threshold); copy, the share recalled right (chance = 1/K); sine: none;
flipflop, the share of outputs with the sign of their target.
"""

from __future__ import annotations

from rnnviz.training.tasks.base import Batch, Task
from rnnviz.training.tasks.chars import CharTask
from rnnviz.training.tasks.memory import AddingTask, CopyTask, FlipFlopTask
from rnnviz.training.tasks.signals import SineTask

__all__ = ["TASKS", "AddingTask", "Batch", "CharTask", "CopyTask", "FlipFlopTask",
           "SineTask", "Task", "make_task"]

TASKS: dict[str, type[Task]] = {task.name: task for task in (CharTask, AddingTask, CopyTask,
                                                               SineTask, FlipFlopTask)}


def make_task(name: str, text: str | None = None, **options) -> Task:
    """Build a task by its key.

    Args:
        name: a key of TASKS.
        text: for "chars" only: text to learn from instead of the bundled names (up to
            100 kB). Empty, binary-looking or one-character text raises ValueError.
        options: the task's own options (copy: symbols, distractors; sine: noise,
            period_low, period_high; flipflop: pulse).

    Returns:
        the task.
    """
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
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
