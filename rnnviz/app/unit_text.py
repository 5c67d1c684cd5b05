"""A trained character model's units read on its own text: the engine pass over a stretch of
names, the top next-character predictions, which positions a class picks, how selectively a
unit responds there, and where the units on across a span are on together again.

Each name of the stretch is run as the chars task feeds it (rnnviz.training.tasks.CharTask):
one sequence from a zero state, x⟨1⟩ = END, then its characters. So position p of the
stretch is one step of one name: the start (END read; place 0) or its k-th character
(place k), and every array here has one column per position.

Selectivity of unit j for a set S of positions (the rest R), the difference of means over
the pooled standard deviation (Cohen's d)::

    d_j = (mean_S v_j − mean_R v_j) / s_j,   s_j² = ((|S|−1) var_S v_j + (|R|−1) var_R v_j)
                                                     / (|S| + |R| − 2)

|d| = 1: the unit's values at S sit one typical spread away from the rest; the sign says
higher (+) or lower (−) there. Units are ranked by |d|. With no spread at all (s_j = 0), d
is 0 when the means agree and ±∞ when they differ.

Match (as LSTMVis does): the units "on" across a span are those above a threshold at every
position of it; the places where that whole set is on again are the maximal runs of
positions, within one name, where every unit of the set is above the threshold.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

import numpy as np

from rnnviz.engine import cell_of, forward
from rnnviz.engine.params import Params
from rnnviz.limits import TEXT_VIEW_CHARS
from rnnviz.training.tasks import CharTask
from rnnviz.training.text import END

TOP = 3                   # next-character predictions shown on hover
VOWELS = "aeiou"          # with their accented and capital forms
SHOWN_END = "⏎"           # how END (the start or the end of a name) is written on screen
SHOWN_SPACE = "␣"         # a space in a list of predictions
POSITION_CLASSES = {      # what "Find units" can select: key -> how it is said
    "span": "the span below",
    "vowels": "vowels (a, e, i, o, u)",
    "last": "the last character of each name",
    "kth": "the k-th character of each name",
}
DEFAULT_CHARS = 400       # characters of text shown at first
CONTEXT = 20              # characters shown on either side of a span in a sentence or table
GATE_THRESHOLD, STATE_THRESHOLD = 0.5, 0.3   # "on", for a gate and for a state (LSTMVis's 0.3)


@dataclass(frozen=True)
class Stretch:
    """Names of a text taken for reading.

    Attributes:
        lines: the names (lines), in the text's order.
        first: the index of the first one among the text's lines (0-based).
        cut: the last name was cut short to keep within the limit.
    """

    lines: tuple[str, ...]
    first: int
    cut: bool


def stretch(lines: list[str], first: int, chars: int) -> Stretch:
    """The names from lines[first] on that fit in `chars` positions (each name takes its
    length plus one, its start); the first always, cut to fit if it alone is longer.

    Args:
        lines: the task's lines.
        first: 0-based index of the first name, clamped to the lines there are.
        chars: positions to fill, 2 … TEXT_VIEW_CHARS (clamped).
    """
    chars = int(min(max(chars, 2), TEXT_VIEW_CHARS))
    first = int(min(max(first, 0), len(lines) - 1))
    taken, used = [], 0
    for line in lines[first:]:
        if used + len(line) + 1 > chars:
            if not taken:
                return Stretch((line[:chars - 1],), first, True)
            break
        taken.append(line)
        used += len(line) + 1
    return Stretch(tuple(taken), first, False)


@dataclass(frozen=True)
class Reading:
    """A network read over a stretch of names: one column per position.

    Attributes:
        chars: (N,) the character read at each position, END at a name's start.
        name: (N,) int, which name of the stretch (0-based).
        place: (N,) int, 0 at a name's start, k at its k-th character.
        ends: (N,) bool, True at the last character of a name (none in a name cut short).
        values: {sequence of the cell's trace ("a", "c", "f", ...): (n_a, N) float32}.
        top: (N, TOP) int, the most likely next characters (indices into vocab), best first.
        top_p: (N, TOP) float, their probabilities.
        vocab: the task's characters, END first.
    """

    chars: tuple[str, ...]
    name: np.ndarray
    place: np.ndarray
    ends: np.ndarray
    values: dict[str, np.ndarray]
    top: np.ndarray
    top_p: np.ndarray
    vocab: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.chars)

    @property
    def n_a(self) -> int:
        return next(iter(self.values.values())).shape[0]


def top_predictions(probs: np.ndarray, k: int = TOP) -> tuple[np.ndarray, np.ndarray]:
    """The k most likely classes at each position, best first (ties: the lower index first).

    Args:
        probs: (n_y, N) probabilities (ŷ at each position).
        k: how many, at most n_y.

    Returns:
        (ids (N, k) int, p (N, k) float).
    """
    k = min(k, probs.shape[0])
    order = np.argsort(-probs, axis=0, kind="stable")[:k].T  # (N, k)
    return order, np.take_along_axis(probs.T, order, axis=1)


def read(params: Params, task: CharTask, lines: tuple[str, ...], cut: bool = False
         ) -> Reading:
    """Run each name through the network as the task feeds it, and keep every sequence of
    the cell's trace at every position, with the top next-character predictions.

    Names of one length go through in one batch (no padding, so no step is wasted).

    Args:
        params: a character model's parameters (n_x = n_y = len(task.vocab)).
        task: the chars task the names come from.
        lines: the names.
        cut: the last name was cut short (its last character read is not its end).
    """
    cell = cell_of(params)
    lengths = np.array([len(line) + 1 for line in lines])   # each with its start
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    size = int(lengths.sum())
    values = {name: np.empty((params.sizes["n_a"], size), np.float32) for name in cell.sequences}
    top = np.empty((size, min(TOP, task.n_y)), np.int64)
    top_p = np.empty(top.shape)
    for length in np.unique(lengths):
        which = np.flatnonzero(lengths == length)
        ids = np.stack([task.encode(END + lines[i]) for i in which])      # (m, T)
        trace = forward(params, task.one_hot(ids), output="softmax")
        columns = (starts[which][:, None] + np.arange(length)).ravel()    # example-major
        for name in cell.sequences:
            values[name][:, columns] = getattr(trace, name).reshape(-1, columns.size)
        n_y = trace.y_hat.shape[0]
        top[columns], top_p[columns] = top_predictions(trace.y_hat.reshape(n_y, -1))
    name = np.repeat(np.arange(len(lines)), lengths)
    place = np.arange(size) - starts[name]
    ends = np.zeros(size, bool)
    ends[starts + lengths - 1] = lengths > 1
    ends[-1] &= not cut
    return Reading(chars=tuple(ch for line in lines for ch in END + line), name=name,
                   place=place, ends=ends, values=values, top=top, top_p=top_p,
                   vocab=tuple(task.vocab))


def digest(params: Params, text: str | None) -> str:
    """A key for a snapshot and its text: the same for the same numbers and text."""
    hashed = hashlib.blake2b(digest_size=16)
    hashed.update(cell_of(params).name.encode())
    for name, array in params.items():
        hashed.update(f"{name}{array.dtype}{array.shape}".encode())
        hashed.update(np.ascontiguousarray(array).tobytes())
    hashed.update(b"bundled" if text is None else b"text" + text.encode())
    return hashed.hexdigest()


# ----- what a student reads ---------------------------------------------------------------

def shown(ch: str) -> str:
    """A character as the text view writes it: END as ⏎."""
    return SHOWN_END if ch == END else ch


def hover(reading: Reading, position: int) -> str:
    """What hovering over a position says: its position, then the top predictions, a line
    each ("#12  next:\na 41%\n…")."""
    guesses = [f"{SHOWN_SPACE if reading.vocab[i] == ' ' else shown(reading.vocab[i])} "
               f"{100 * p:.0f}%"
               for i, p in zip(reading.top[position], reading.top_p[position], strict=True)]
    return "\n".join([f"#{position}  next:", *guesses])


def span_text(reading: Reading, start: int, end: int, most: int | None = None) -> str:
    """The characters of positions start … end (inclusive) as shown; at most `most` of
    them, the middle left out (…) of a longer span."""
    text = "".join(shown(ch) for ch in reading.chars[start:end + 1])
    if most is None or len(text) <= most:
        return text
    return text[:most // 2] + "…" + text[len(text) - (most - most // 2 - 1):]


def in_context(reading: Reading, start: int, end: int, around: int = CONTEXT) -> str:
    """The name holding positions start … end, with them between « and », and at most
    `around` of its characters on either side (… where more are left out)."""
    whole = np.flatnonzero(reading.name == reading.name[start])
    before, after = max(whole[0], start - around), min(whole[-1], end + around)
    return ("…" * bool(before > whole[0]) + span_text(reading, before, start - 1)
            + "«" + span_text(reading, start, end) + "»"
            + span_text(reading, end + 1, after) + "…" * bool(after < whole[-1]))


def default_threshold(is_gate: bool) -> float:
    return GATE_THRESHOLD if is_gate else STATE_THRESHOLD


def default_span(reading: Reading) -> tuple[int, int]:
    """The last four characters of the first name (all of it if shorter)."""
    end = int(np.flatnonzero(reading.name == 0)[-1])
    return max(end - 3, min(1, end)), end


# ----- positions, measures, matches ---------------------------------------------------------

def is_vowel(ch: str) -> bool:
    """a, e, i, o, u in any case and with any accent (é, Ö, ...)."""
    return unicodedata.normalize("NFD", ch)[:1].lower() in VOWELS if ch else False


def positions(reading: Reading, kind: str, span: tuple[int, int] = (0, 0), k: int = 1
              ) -> np.ndarray:
    """(N,) bool: the positions a class picks (POSITION_CLASSES).

    Args:
        reading: the text read.
        kind: "span" (positions span[0] … span[1], inclusive), "vowels", "last" (the last
            character of each whole name), "kth" (the k-th character of each name, k ≥ 1).
    """
    if kind == "span":
        picked = np.zeros(reading.size, bool)
        picked[max(span[0], 0):span[1] + 1] = True
        return picked
    if kind == "vowels":
        return np.array([is_vowel(ch) for ch in reading.chars], bool)
    if kind == "last":
        return reading.ends.copy()
    if kind == "kth":
        return reading.place == k
    raise ValueError(f"unknown class of positions {kind!r}; choose one of "
                     f"{', '.join(POSITION_CLASSES)}")


def spread(values: np.ndarray) -> np.ndarray:
    """(n_a,) each unit's standard deviation over the positions; values (n_a, N)."""
    return np.asarray(values, np.float64).std(axis=1)


def selectivity(values: np.ndarray, picked: np.ndarray) -> np.ndarray:
    """(n_a,) Cohen's d of each unit between the picked positions and the rest (module
    docstring); ValueError if fewer than one position is on either side, or two in all.

    Args:
        values: (n_a, N) the units' values at each position.
        picked: (N,) bool, the selected positions.
    """
    values = np.asarray(values, np.float64)
    inside, outside = values[:, picked], values[:, ~picked]
    n_in, n_out = inside.shape[1], outside.shape[1]
    if n_in == 0 or n_out == 0 or n_in + n_out < 3:
        raise ValueError("the selection must hold some positions of the text and leave some "
                         "out")
    difference = inside.mean(axis=1) - outside.mean(axis=1)
    pooled = np.sqrt((inside.var(axis=1, ddof=0) * n_in + outside.var(axis=1, ddof=0) * n_out)
                     / (n_in + n_out - 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        d = difference / pooled
    return np.where(pooled > 0, d, np.where(difference == 0, 0.0,
                                            np.copysign(np.inf, difference)))


def ranked(scores: np.ndarray) -> np.ndarray:
    """Unit indices by |score|, largest first (ties: the lower unit first)."""
    return np.argsort(-np.abs(scores), kind="stable")


def units_on(values: np.ndarray, start: int, end: int, threshold: float) -> np.ndarray:
    """The units above `threshold` at every position start … end (inclusive)."""
    return np.flatnonzero((values[:, start:end + 1] > threshold).all(axis=1))


def matches(values: np.ndarray, units: np.ndarray, threshold: float, name: np.ndarray
            ) -> list[tuple[int, int]]:
    """The maximal runs (start, end), inclusive, within one name, where every one of
    `units` is above `threshold`; longest first, then in the text's order; none for no
    units.

    Args:
        values: (n_a, N) the units' values.
        units: the unit indices (units_on).
        threshold: "on" means above it.
        name: (N,) which name each position belongs to.
    """
    if len(units) == 0:
        return []
    on = (values[units] > threshold).all(axis=0)
    # a run starts where on begins or a new name begins while on
    begins = on & np.r_[True, ~on[:-1] | (name[1:] != name[:-1])]
    finishes = on & np.r_[~on[1:] | (name[1:] != name[:-1]), True]
    runs = list(zip(np.flatnonzero(begins).tolist(), np.flatnonzero(finishes).tolist(),
                    strict=True))
    return sorted(runs, key=lambda run: (run[0] - run[1], run[0]))


def overlaps(run: tuple[int, int], start: int, end: int) -> bool:
    return run[0] <= end and start <= run[1]
