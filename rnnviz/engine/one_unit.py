"""One unit by hand: the smallest RNN, a<t> = tanh(w a<t-1> + v x + b), one hidden unit and a
constant input x, where the whole story of vanishing and exploding gradients fits on a
line.

Its step is the map a -> F(a) = tanh(w a + v x + b). A fixed point a* = F(a*) is where the
map's curve crosses the diagonal; its slope there, F'(a*) = w (1 - a*^2), says whether runs
near it settle (|F'| < 1, stable) or leave (|F'| > 1, unstable). The gradient one step
hands back is the same slope at the state reached::

    d a<t> / d a<t-1> = w (1 - a<t>^2),    d a<T> / d a<1> = prod_{t=2..T} w (1 - a<t>^2)

so |w| < 1 shrinks it at every step (it vanishes), and |w| > 1 cannot make it explode for
long: a large w drives a<t> into tanh's flat ends, where 1 - a<t>^2 is small, and at a
stable fixed point the factor is below 1 in size.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from rnnviz.engine._arrays import check_number, check_whole

GRID = 4001  # points of [-1, 1] where F(a) - a is looked at for its sign changes
MAX_STEPS = 1000
LARGEST = 1000.0  # |w|, |v|, |b|, |x|, |a0| at most this: tanh is flat long before


def _numbers(**values) -> list[float]:
    """The values as floats; TypeError or ValueError naming one that is not a finite number
    of at most LARGEST in size."""
    checked = []
    for name, value in values.items():
        number = check_number(name, value)
        if abs(number) > LARGEST:
            raise ValueError(f"{name} must be between -{LARGEST:g} and {LARGEST:g}; got {value!r}")
        checked.append(number)
    return checked


class FixedPoint(NamedTuple):
    """a* = F(a*), its slope F'(a*) = w (1 - a*^2), and whether runs near it settle there."""

    a: float
    slope: float

    @property
    def stable(self) -> bool:
        return abs(self.slope) < 1.0


def one_unit_run(w: float, v: float, b: float, x: float, a0: float, steps: int):
    """a<1..steps> from a<0> = a0, and d a<T> / d a<1> for T = 1..steps.

    Returns:
        a: (steps,) the states a<1> ... a<steps>.
        gain: (steps,) gain[T - 1] = d a<T> / d a<1> = prod_{t=2..T} w (1 - a<t>^2) (1 at
            T = 1).
    """
    w, v, b, x, a0 = _numbers(w=w, v=v, b=b, x=x, a0=a0)
    steps = check_whole("steps", steps, 1, MAX_STEPS)
    a = np.empty(steps)
    previous = a0
    for t in range(steps):
        previous = a[t] = math.tanh(w * previous + v * x + b)
    factors = w * (1.0 - a[1:] ** 2)
    with np.errstate(under="ignore"):
        gain = np.concatenate([[1.0], np.cumprod(factors)])
    return a, gain


def one_unit_fixed_points(w: float, v: float, b: float, x: float) -> list[FixedPoint]:
    """Every a* in (-1, 1) with a* = tanh(w a* + v x + b), in increasing order.

    F(a) - a is continuous, positive at a = -1 and negative at a = 1, so there is always at
    least one; each sign change on a fine grid is narrowed by bisection to round-off. A
    tangency (F touching the diagonal without crossing, only at exact values of b) may be
    missed; every point returned is a fixed point.
    """
    w, v, b, x = _numbers(w=w, v=v, b=b, x=x)
    drive = v * x + b

    def gap(a):
        return np.tanh(w * a + drive) - a

    grid = np.linspace(-1.0, 1.0, GRID)
    values = gap(grid)
    points = []
    for i in np.flatnonzero(values[:-1] * values[1:] <= 0):
        low, high = grid[i], grid[i + 1]
        if values[i] == 0.0:
            root = low
        else:
            for _ in range(200):  # bisection: gap(low) > 0 >= gap(high) or the reverse
                middle = 0.5 * (low + high)
                if middle in (low, high):
                    break
                if (gap(middle) > 0) == (values[i] > 0):
                    low = middle
                else:
                    high = middle
            root = 0.5 * (low + high)
        if not points or root - points[-1].a > 1e-9:
            points.append(FixedPoint(float(root), float(w * (1.0 - root ** 2))))
    return points
