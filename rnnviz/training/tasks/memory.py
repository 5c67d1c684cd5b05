"""Memory tasks: something seen early must be held until it is asked for (the adding
problem, copy, the 3-bit flip-flop)."""

from __future__ import annotations

import numpy as np

from rnnviz.engine.losses import Loss
from rnnviz.training.tasks.base import Batch, Task

# ----- the adding problem --------------------------------------------------------------------

class AddingTask(Task):
    """The adding problem (Hochreiter & Schmidhuber, 1997).

    x<t> = (value<t>, marker<t>): values uniform in [0, 1]; exactly two markers are 1, the
    first in the first half of the sequence, the second in the second half. The target is
    the sum of the two marked values, read at the last step (squared error at t = T_x).
    Always answering 1 (the mean) gives a loss of about 1/12 and accuracy about 0.08.
    """

    name = "adding"
    title = "Adding problem"
    description = ("Two numbers in a long stream are marked; at the end, output their sum. "
                   "The network must remember the first marked number until the very end.")
    T_x_meaning = "T_x is the stream's length; the two marked numbers can be up to T_x - 1 apart."
    loss = Loss("squared_error", "last")
    min_T_x = 2
    n_x = 2
    n_y = 1
    tolerance = 0.04
    chance = 0.08  # P(|S - 1| < 0.04) for S the sum of two uniforms

    def batch(self, rng: np.random.Generator, m: int, T_x: int) -> Batch:
        """m streams of T_x (value, marker) pairs.

        Returns:
            Batch with x (2, m, T_x) and targets (1, m, T_x): the sum at t = T_x, 0 elsewhere
            (those positions do not count).
        """
        self.check_batch_size(m, T_x)
        half = T_x // 2
        values = rng.random((m, T_x))
        first = rng.integers(0, half, size=m)
        second = rng.integers(half, T_x, size=m)
        rows = np.arange(m)
        x = np.zeros((2, m, T_x))
        x[0] = values
        x[1, rows, first] = 1.0
        x[1, rows, second] = 1.0
        targets = np.zeros((1, m, T_x))
        targets[0, :, -1] = values[rows, first] + values[rows, second]
        return Batch(x=x, targets=targets)

    def accuracy(self, y_hat: np.ndarray, targets: np.ndarray) -> float | None:
        """Share of examples with |y_hat<T_x> - y| < 0.04."""
        return float(np.mean(np.abs(y_hat[0, :, -1] - targets[0, :, -1]) < self.tolerance))


# ----- copy / delayed recall -----------------------------------------------------------------

class CopyTask(Task):
    """Delayed recall: remember the marked symbol while other symbols stream past.

    Inputs have K symbol channels, one "remember" marker and one cue (n_x = K + 2). At
    t = 1 one of the K symbols is shown together with the marker; at every step in between
    a random symbol is shown on the same channels (a distractor, when `distractors` is
    True; blanks otherwise); at t = T_x only the cue is on, and the output must name the
    marked symbol (cross-entropy at t = T_x, n_y = K, chance 1/K). Because the
    distractors arrive on the symbol's own channels, a vanilla RNN cannot simply ignore
    them: they keep rewriting its state, and its memory fades with the delay. An LSTM can
    open its update gate only when the marker is on, then hold the symbol in its cell state.
    """

    name = "copy"
    title = "Delayed recall"
    description = ("A marked symbol is shown at the start, then a stream of other symbols, "
                   "then a cue: name the marked one. Longer delays are where a vanilla RNN "
                   "forgets and an LSTM remembers.")
    T_x_meaning = "T_x is the sequence length: the symbol must be held for T_x - 1 steps."
    loss = Loss("cross_entropy", "last")

    def __init__(self, symbols: int = 8, distractors: bool = True):
        if isinstance(symbols, bool) or int(symbols) != symbols or not 2 <= symbols <= 32:
            raise ValueError(f"the copy task needs 2 to 32 symbols; got {symbols!r}")
        self.symbols = int(symbols)
        self.distractors = bool(distractors)
        self.n_x = self.symbols + 2
        self.n_y = self.symbols
        self.chance = 1.0 / self.symbols

    @property
    def marker(self) -> int:
        """Index of the "remember this" input channel."""
        return self.symbols

    @property
    def cue(self) -> int:
        """Index of the "answer now" input channel."""
        return self.symbols + 1

    def batch(self, rng: np.random.Generator, m: int, T_x: int) -> Batch:
        """m sequences: marked symbol at t = 1, distractors in between, cue at t = T_x.

        Returns:
            Batch with x (K + 2, m, T_x) and targets int64 (m, T_x): the symbol at
            t = T_x, -1 elsewhere.
        """
        self.check_batch_size(m, T_x)
        K = self.symbols
        symbol = rng.integers(0, K, size=m)
        x = np.zeros((self.n_x, m, T_x))
        rows = np.arange(m)
        if self.distractors and T_x > 2:
            noise = rng.integers(0, K, size=(m, T_x - 2))
            x[noise, rows[:, None], np.arange(1, T_x - 1)[None, :]] = 1.0
        x[symbol, rows, 0] = 1.0
        x[self.marker, :, 0] = 1.0
        x[self.cue, :, T_x - 1] = 1.0
        targets = np.full((m, T_x), -1, dtype=np.int64)
        targets[:, -1] = symbol
        return Batch(x=x, targets=targets)

    def accuracy(self, y_hat: np.ndarray, targets: np.ndarray) -> float | None:
        """Share of examples whose argmax y_hat<T_x> is the symbol."""
        return float(np.mean(np.argmax(y_hat[:, :, -1], axis=0) == targets[:, -1]))

    def labels(self, targets: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
        """The symbol each example holds, at every step."""
        held = np.repeat(targets[:, -1:], targets.shape[1], axis=1)
        return held, tuple(f"symbol {k}" for k in range(self.symbols))


# ----- the 3-bit flip-flop ------------------------------------------------------------------

class FlipFlopTask(Task):
    """Three flip-flops (Sussillo & Barak 2013): each of three input channels carries a
    pulse of +1 or -1 now and then (probability `pulse` a step, and one at t = 1 on every
    channel so every output is set from the start), and output i must hold the sign of
    channel i's last pulse: y<t>_i = +-1 at every step (squared error, linear output). A
    network that solves it holds 2^3 = 8 memories, one per combination of the three bits:
    its stable fixed points.
    """

    name = "flipflop"
    title = "3-bit flip-flop"
    description = ("Three switches, each flipped to +1 or -1 by an occasional pulse on its "
                   "own input; say where every switch stands at every step. A trained "
                   "network keeps 8 stable states, one for each setting of the switches.")
    T_x_meaning = "T_x is how many steps of pulses the network sees."
    loss = Loss("squared_error", "all")
    n_x = 3
    n_y = 3
    chance = 0.5

    def __init__(self, pulse: float = 0.05):
        if not 0.0 < pulse <= 0.5:
            raise ValueError(f"the pulse probability must be in (0, 0.5]; got {pulse!r}")
        self.pulse = float(pulse)

    def batch(self, rng: np.random.Generator, m: int, T_x: int) -> Batch:
        """m sequences of T_x steps.

        Returns:
            Batch with x (3, m, T_x) in {-1, 0, 1} and targets (3, m, T_x) in {-1, 1}.
        """
        self.check_batch_size(m, T_x)
        signs = rng.choice([-1.0, 1.0], size=(3, m, T_x))
        pulses = rng.random((3, m, T_x)) < self.pulse
        pulses[:, :, 0] = True
        x = np.where(pulses, signs, 0.0)
        # the last pulse's sign: carry each step's value forward until the next pulse
        last = np.where(pulses, np.arange(T_x), 0)
        np.maximum.accumulate(last, axis=2, out=last)
        targets = np.take_along_axis(signs, last, axis=2)
        return Batch(x=x, targets=targets)

    def accuracy(self, y_hat: np.ndarray, targets: np.ndarray) -> float | None:
        """Share of outputs (every channel, example and step) with their target's sign."""
        return float(np.mean(np.sign(y_hat) == targets))

    def labels(self, targets: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
        """The three bits held at each step, as one of 8 settings ("+ − +", ...)."""
        bits = (targets > 0).astype(int)  # (3, m, T_x)
        index = bits[0] * 4 + bits[1] * 2 + bits[2]
        names = tuple(" ".join("+" if (k >> (2 - i)) & 1 else "−" for i in range(3))
                      for k in range(8))
        return index, names
