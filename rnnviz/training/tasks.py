"""Training tasks: seeded batch generators in the notebook's layout, each with its loss.

Every task draws a `Batch` from an explicit ``np.random.Generator``: x of shape
(n_x, m, T_x) and targets that match its loss (rnnviz.engine.losses). What T_x means::

    chars   a window of T_x characters of one name (or one line of pasted text)
    adding  T_x (value, marker) pairs; the two marked values may be up to T_x - 1 apart
    copy    the symbol is shown at t = 1 and asked for at t = T_x: a delay of T_x - 1 steps
    sine    T_x samples of one noisy sine wave
    flipflop  T_x steps of three flip-flops' pulses

The four tasks::

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

import math
from dataclasses import dataclass

import numpy as np

from rnnviz.engine.activations import softmax
from rnnviz.engine.cells import cell_of
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import forward
from rnnviz.engine.params import Params
from rnnviz.training.text import END, bundled_text, clean_text


@dataclass(frozen=True)
class Batch:
    """One batch of examples.

    Attributes:
        x: (n_x, m, T_x) float64 inputs.
        targets: cross-entropy: int64 (m, T_x) class indices, -1 where a position does not
            count; squared error: float64 (n_y, m, T_x).
    """

    x: np.ndarray
    targets: np.ndarray


class Task:
    """What every task offers: sizes, loss, a batch generator and an accuracy.

    Attributes:
        name: the key in TASKS ("chars", "adding", "copy", "sine").
        title: a short human name.
        description: one or two sentences for a student.
        T_x_meaning: what T_x sets for this task, in one sentence.
        n_x, n_y: input and output sizes.
        loss: the rnnviz.engine.losses.Loss to train with (its .output is "softmax" or "linear").
        min_T_x: the shortest sequence the task makes sense for.
        chance: the accuracy of guessing, or None where accuracy is undefined.
        notes: sentences on what the task changed in the data it was given (rare
            characters left out of a text), for the student to read.
    """

    name = ""
    title = ""
    description = ""
    T_x_meaning = ""
    loss = Loss()
    min_T_x = 1
    chance: float | None = None
    notes: tuple[str, ...] = ()
    n_x = 1
    n_y = 1

    @property
    def output(self) -> str:
        return self.loss.output

    @property
    def guess_loss(self) -> float | None:
        """The cross-entropy of guessing every one of the n_y classes alike, log(n_y), that
        a network starts near and learns to go below; None for squared error, whose scale
        depends on the data."""
        return math.log(self.n_y) if self.loss.kind == "cross_entropy" else None

    def check_batch_size(self, m: int, T_x: int) -> None:
        """Raise ValueError with a readable sentence if (m, T_x) cannot be drawn."""
        if int(m) != m or m < 1:
            raise ValueError(f"the batch size m must be a positive whole number; got {m!r}")
        if int(T_x) != T_x or T_x < self.min_T_x:
            raise ValueError(f"the {self.title.lower()} task needs T_x of at least "
                             f"{self.min_T_x}; got {T_x!r}")

    def batch(self, rng: np.random.Generator, m: int, T_x: int) -> Batch:
        raise NotImplementedError

    def accuracy(self, y_hat: np.ndarray, targets: np.ndarray) -> float | None:
        """Accuracy of outputs y_hat (n_y, m, T_x) against a batch's targets, or None."""
        return None

    def labels(self, targets: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]] | None:
        """What the network should be holding at each step of a batch, as a label per
        (example, step) to colour its states by: ((m, T_x) int indices, their names), or
        None for a task without one."""
        return None


# ----- character-level language model --------------------------------------------------------

class CharTask(Task):
    """Character-level language model on names (or lines of pasted text).

    Every line becomes the sequence END + line + END. An example is a window of T_x + 1
    characters of one line, starting at a random offset (offset 0 when the line fits):
    x<t> = onehot(char<t>), y<t> = char<t+1>. Past the end of a short line, x is END and
    y is -1, so those positions do not count.

    Attributes:
        vocab: the characters, END first, then the rest sorted; n_x = n_y = len(vocab).
        lines: the training lines.
        dropped: rare characters left out of a pasted text ("" if none); `notes` says
            which and why.
        bundled: True for the built-in corpus.
    """

    name = "chars"
    title = "Character language model"
    description = ("Read a name one letter at a time and predict the next letter. "
                   "Trained on dinosaur names (or your own text), it can then invent new ones.")
    T_x_meaning = "T_x is how many characters of a name the network reads in one example."
    loss = Loss("cross_entropy", "all")

    def __init__(self, text: str | None = None):
        self.bundled = text is None
        self.text = bundled_text() if text is None else text
        self.lines, self.dropped, self.notes = clean_text(self.text)
        chars = sorted({ch for line in self.lines for ch in line} - {END})
        self.vocab = [END, *chars]
        self.n_x = self.n_y = len(self.vocab)
        self.chance = 1.0 / len(self.vocab)
        self.char_to_ix = {ch: i for i, ch in enumerate(self.vocab)}
        # All sequences END + line + END back to back in one int array, so a batch is a gather.
        encoded = [self.encode(END + line + END) for line in self.lines]
        self._lengths = np.array([len(e) for e in encoded])
        self._starts = np.concatenate([[0], np.cumsum(self._lengths)[:-1]])
        self._stream = np.concatenate(encoded)

    def encode(self, text: str) -> np.ndarray:
        """Character indices (len(text),); ValueError naming a character not in the vocabulary."""
        try:
            return np.array([self.char_to_ix[ch] for ch in text], dtype=np.int64)
        except KeyError as missing:
            raise ValueError(f"the character {missing.args[0]!r} is not in this task's "
                             "vocabulary") from None

    def decode(self, indices) -> str:
        """The characters for a sequence of indices."""
        return "".join(self.vocab[int(i)] for i in indices)

    def one_hot(self, indices: np.ndarray) -> np.ndarray:
        """(n_x, m, T_x) one-hot inputs from indices (m, T_x)."""
        m, T_x = indices.shape
        x = np.zeros((self.n_x, m, T_x))
        x[indices, np.arange(m)[:, None], np.arange(T_x)[None, :]] = 1.0
        return x

    def batch(self, rng: np.random.Generator, m: int, T_x: int) -> Batch:
        """m windows of T_x characters.

        Returns:
            Batch with x (n_x, m, T_x) one-hot and targets int64 (m, T_x), -1 past a line's end.
        """
        self.check_batch_size(m, T_x)
        line = rng.integers(0, len(self._lengths), size=m)
        length = self._lengths[line]
        room = np.maximum(length - 1 - T_x, 0)  # last offset that still fills the window
        offset = np.floor(rng.random(m) * (room + 1)).astype(np.int64)
        within = offset[:, None] + np.arange(T_x + 1)[None, :]  # (m, T_x + 1)
        valid = within < length[:, None]
        positions = np.minimum(self._starts[line][:, None] + within, len(self._stream) - 1)
        ids = np.where(valid, self._stream[positions], 0)  # 0 is END
        targets = np.where(valid[:, 1:], ids[:, 1:], -1)
        return Batch(x=self.one_hot(ids[:, :-1]), targets=targets)

    def accuracy(self, y_hat: np.ndarray, targets: np.ndarray) -> float | None:
        """Share of counted positions (targets >= 0) where argmax y_hat<t> is the target."""
        counted = targets >= 0
        if not counted.any():
            return None
        right = (np.argmax(y_hat, axis=0) == targets) & counted
        return float(right.sum() / counted.sum())

    def sample(self, params: Params, rng: np.random.Generator, temperature: float = 1.0,
               max_len: int = 40, prefix: str = "") -> str:
        """Generate one name: feed END + prefix, then draw each next character.

        Each draw is from softmax(z_y<t> / temperature): below 1 the choices are safer and
        more repetitive, above 1 more surprising; as the temperature goes to 0 the draw
        becomes the most likely character (greedy). Stops at END or after max_len characters.

        Args:
            params: trained parameters with n_x = n_y = len(vocab).
            rng: where the draws come from.
            temperature: any finite number > 0.
            max_len: the most characters to generate after the prefix.
            prefix: the start of the name.

        Returns:
            prefix + the generated characters (without the final END).
        """
        sizes = params.sizes
        if sizes["n_x"] != self.n_x or sizes["n_y"] != self.n_y:
            raise ValueError(f"these parameters have n_x={sizes['n_x']}, n_y={sizes['n_y']}; "
                             f"this text needs {self.n_x} (its vocabulary size)")
        given = temperature
        try:
            temperature = float(temperature)
        except (TypeError, ValueError):
            temperature = math.nan
        if not math.isfinite(temperature) or temperature <= 0:
            raise ValueError(f"the temperature must be a finite number above 0; got {given!r}")
        if END in prefix:
            raise ValueError("the prefix must be on one line")
        ids = self.encode(END + prefix)
        out = []
        carried = {}  # the cell's states after the last step: a0=..., (c0=...)
        x = self.one_hot(ids[None, :])  # (n_x, 1, len(prefix) + 1)
        for _ in range(int(max_len)):
            trace = forward(params, x, output="softmax", **carried)
            carried = {state + "0": getattr(trace, state)[:, :, -1]
                       for state in cell_of(params).states}
            z = trace.z_y[:, 0, -1]
            # Shifted first, so the top logit stays 0 and a tiny temperature sends the
            # others to -inf (probability 0) instead of inf - inf = NaN.
            with np.errstate(over="ignore"):
                p = softmax((z - z.max()) / temperature)
            nxt = int(rng.choice(self.n_y, p=p / p.sum()))
            if nxt == 0:
                break
            out.append(self.vocab[nxt])
            x = self.one_hot(np.array([[nxt]]))
        return prefix + "".join(out)


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


# ----- noisy sine wave -----------------------------------------------------------------------

class SineTask(Task):
    """Next-step prediction of a noisy sine wave.

    Each example has its own period (uniform in [period_low, period_high] steps) and phase:
    x<t> = sin(w t + phi) + noise<t>, noise ~ N(0, noise^2); the target is the noise-free
    next value sin(w (t + 1) + phi), at every step (squared error, linear output). The first
    steps are guesses; as the hidden state settles on the wave, the error drops.
    """

    name = "sine"
    title = "Noisy sine wave"
    description = ("Watch a wiggly wave and predict where it goes next. The first guesses "
                   "are poor; as the hidden state settles on the rhythm, they improve.")
    T_x_meaning = "T_x is how many samples of the wave the network sees."
    loss = Loss("squared_error", "all")
    n_x = 1
    n_y = 1

    def __init__(self, noise: float = 0.1, period_low: float = 8.0, period_high: float = 24.0):
        if not (np.isfinite(noise) and noise >= 0):
            raise ValueError(f"noise must be 0 or more; got {noise!r}")
        if not 2.0 <= period_low <= period_high:
            raise ValueError("periods must satisfy 2 <= period_low <= period_high")
        self.noise = float(noise)
        self.period_low = float(period_low)
        self.period_high = float(period_high)

    def batch(self, rng: np.random.Generator, m: int, T_x: int) -> Batch:
        """m waves of T_x samples.

        Returns:
            Batch with x (1, m, T_x) and targets (1, m, T_x).
        """
        self.check_batch_size(m, T_x)
        omega = 2 * np.pi / rng.uniform(self.period_low, self.period_high, size=(m, 1))
        phase = rng.uniform(0, 2 * np.pi, size=(m, 1))
        angle = omega * np.arange(T_x + 1)[None, :] + phase  # (m, T_x + 1)
        wave = np.sin(angle)
        x = wave[None, :, :-1] + self.noise * rng.standard_normal((1, m, T_x))
        return Batch(x=x, targets=wave[None, :, 1:].copy())


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
