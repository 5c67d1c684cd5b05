"""The character-level language model: names, or lines of pasted text."""

from __future__ import annotations

import math

import numpy as np

from rnnviz.engine.activations import softmax
from rnnviz.engine.cells import cell_of
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import forward
from rnnviz.engine.params import Params
from rnnviz.training.tasks.base import Batch, Task
from rnnviz.training.text import END, bundled_text, clean_text


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
