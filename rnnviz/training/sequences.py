"""A student's own sequences: CSV text read, checked and standardised into a data set that
rnnviz.training.tasks.own learns from like a built-in task.

Two layouts (`LAYOUTS`)::

    rows     one sequence per row, every row the same length L (one channel):
             values (N, L, 1), N = the rows
    series   one long series, time running down the rows and a channel per column (n_x =
             the columns); a single row with no header is one series along the row:
             values (1, L, n_c), L = the rows

A label column (the column headed "label", or the last column when asked: `LABEL_COLUMNS`)
makes it classification: a row's label is its sequence's class (rows), or the class at its
step (series). Its distinct values, at most MAX_CLASSES, are the classes.

Each channel is standardised with the data's own mean and standard deviation,
v' = (v - mean) / std, and `SequenceData.in_units` turns values back into the data's units.

Rows and columns are counted from 1 as a spreadsheet shows them (the header, if any, is row
1). A first row in which no cell is a number is the header. Every problem is a ValueError
whose sentence names the row, the column or the cell.

Data sets are kept, at most KEPT of them, by `key` (a hash of the CSV and the options) so a
view's configuration can name one in its URL: `keep` and `kept`. They are kept for the whole
server, not a session, because a cached view is keyed by its Config alone; a key is a hash of
the data, so only a session that had the CSV (or a link from one that had) can name it. A
link to data not kept on this server names none, and the page says so.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from rnnviz.fields import parse_number
from rnnviz.limits import (
    MAX_CLASSES,
    MAX_CSV_BYTES,
    MAX_CSV_COLUMNS,
    MAX_CSV_ROWS,
    MIN_SEQUENCES,
    SIZES,
)
from rnnviz.training.text import read_text

LAYOUTS = {"rows": "one sequence per row", "series": "one long series, a channel per column"}
LABEL_COLUMNS = {"header": "the column headed “label”, if any", "last": "the last column"}
LABEL_HEADER = "label"
DELIMITERS = ",;\t"     # the first of these in the first line separates the cells
SHOWN_CELL = 20         # a refused cell is quoted up to this many characters
KEPT = 32               # data sets kept for the views (each at most a few MB of float64)
KIND = "numbers separated by commas (a .csv file saved as UTF-8)"


@dataclass(frozen=True, eq=False)
class SequenceData:
    """A student's sequences, standardised.

    Attributes:
        values: (N, L, n_c) float64 standardised values: N sequences of L steps, n_c channels.
        step_labels: (N, L) int64 class index at each step, or None (next-value prediction).
        classes: the class names, in the order of their indices (empty without labels).
        channels: the channels' names (their columns' headers, or "column 3").
        mean, std: (n_c,) what was subtracted and divided by.
        layout: a key of LAYOUTS.
        key: a hash of the CSV and the options it was read with.
    """

    values: np.ndarray
    step_labels: np.ndarray | None
    classes: tuple[str, ...]
    channels: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    layout: str
    key: str

    @property
    def classify(self) -> bool:
        return self.step_labels is not None

    @property
    def length(self) -> int:
        """L, the steps of each sequence."""
        return self.values.shape[1]

    @property
    def longest_T_x(self) -> int:
        """The longest window a batch can take: L, or L - 1 when each step's target is the
        value after it."""
        return self.length if self.classify else self.length - 1

    def in_units(self, values: np.ndarray) -> np.ndarray:
        """Standardised values (n_c, ...) back in the data's units."""
        shape = (-1,) + (1,) * (np.ndim(values) - 1)
        return np.asarray(values) * self.std.reshape(shape) + self.mean.reshape(shape)

    def describe(self) -> str:
        """The data set in one sentence, for a student."""
        count, length, channels = self.values.shape
        what = (f"{count:,} sequences of {length:,} steps" if self.layout == "rows"
                else f"one series of {length:,} steps")
        of = f", {channels} channels ({', '.join(self.channels)})" if channels > 1 else ""
        task = (f"classified into {len(self.classes)} classes ({', '.join(self.classes)})"
                if self.classify else "next-value prediction")
        scale = "; ".join(f"{name}: mean {m:.4g}, standard deviation {s:.4g}"
                          for name, m, s in zip(self.channels, self.mean, self.std,
                                                strict=True))
        return (f"{what}{of}, {task}. Standardised with the data's own {scale}: the network "
                "sees (value − mean) / standard deviation.")


def read_sequences(data, layout: str = "rows", label_column: str = "header",
                   source: str = "The CSV") -> SequenceData:
    """The sequences in CSV `data`, or ValueError with a sentence naming what is wrong.

    Args:
        data: str (pasted) or bytes (a file) of UTF-8 CSV, at most MAX_CSV_BYTES.
        layout: a key of LAYOUTS.
        label_column: a key of LABEL_COLUMNS.
        source: what the sentences call it (a file's name).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"the layout must be one of {', '.join(LAYOUTS)}; got {layout!r}")
    if label_column not in LABEL_COLUMNS:
        raise ValueError(f"the label column must be one of {', '.join(LABEL_COLUMNS)}; got "
                         f"{label_column!r}")
    text = read_text(data, source, MAX_CSV_BYTES, KIND)
    rows = _rows(text, source)
    header = None if any(_is_number(cell) for cell in rows[0][1]) else rows[0][1]
    body = rows[1:] if header is not None else rows
    if not body:
        raise ValueError(f"{source} has a header row and no data: add rows of numbers "
                         "under it.")
    width = len(rows[0][1])
    for row, cells in body:
        if len(cells) != width:
            raise ValueError(f"row {row} has {_cells(len(cells))} and row {rows[0][0]} has "
                             f"{width:,}: every row must have as many cells (sequences one "
                             "per row must all be the same length).")
    label = _label_index(header, width, label_column, source)
    names = tuple(header) if header is not None else tuple(f"column {j + 1}"
                                                           for j in range(width))
    value_columns = [j for j in range(width) if j != label]
    if not value_columns:
        raise ValueError(f"{source} has only a label column: add columns of numbers.")
    numbers = np.array([[_number(cells[j], row, j) for j in value_columns]
                        for row, cells in body])  # (rows, value columns)
    labels = None if label is None else [_label(cells[label], row, label) for row, cells
                                         in body]
    if layout == "rows":
        values, channels = numbers[:, :, None], ("value",)   # (N, L, 1)
        if len(body) < MIN_SEQUENCES:
            raise ValueError(f"{source} holds {len(body)} sequence{'s' * (len(body) != 1)}; "
                             f"one per row, it needs at least {MIN_SEQUENCES}. For one long "
                             f"series, choose the layout “{LAYOUTS['series']}”.")
        if values.shape[1] < 2:
            raise ValueError(f"{source} has one value a row: a sequence needs at least 2 "
                             "steps. For one long column, choose the layout "
                             f"“{LAYOUTS['series']}”.")
    elif len(body) == 1 and header is None and label is None:
        values, channels = numbers.reshape(1, -1, 1), ("value",)   # one series along the row
    else:
        values, channels = numbers[None, :, :], tuple(names[j] for j in value_columns)
        if len(channels) > SIZES["n_x"]:
            raise ValueError(f"{source} has {len(channels)} channels (columns of numbers); "
                             f"the network takes at most n_x = {SIZES['n_x']}.")
    if values.shape[1] < 2:
        raise ValueError(f"{source} is one step long; a series needs at least 2.")
    classes, step_labels = _classes(labels, values.shape[:2], layout, names[label]
                                    if label is not None else "")
    mean, std = _scale(values, channels, source)
    return SequenceData((values - mean) / std, step_labels, classes, channels, mean, std,
                        layout, _key(data, layout, label_column))


def _key(data, layout: str, label_column: str) -> str:
    """A hash of the CSV as given (str or bytes) and how it is read."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    return hashlib.sha256(f"{layout}\n{label_column}\n".encode() + raw).hexdigest()[:16]


def _rows(text: str, source: str) -> list[tuple[int, list[str]]]:
    """The non-blank rows of `text`, (row number, stripped cells), within the limits."""
    first = next(line for line in text.split("\n") if line.strip())
    delimiter = next((d for d in DELIMITERS if d in first), ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_CSV_ROWS:
                raise ValueError(f"{source} has more than {MAX_CSV_ROWS:,} rows; use at most "
                                 f"{MAX_CSV_ROWS:,}.")
            if len(cells) > MAX_CSV_COLUMNS:
                raise ValueError(f"row {reader.line_num} has {_cells(len(cells))}; a row may "
                                 f"have at most {MAX_CSV_COLUMNS:,}.")
            rows.append((reader.line_num, [cell.strip() for cell in cells]))
    except csv.Error as why:
        raise ValueError(f"{source} is not a CSV file that can be read: row "
                         f"{reader.line_num}: {why}.") from None
    return rows


def _cells(count: int) -> str:
    return f"{count:,} cell{'s' * (count != 1)}"


def _is_number(cell: str) -> bool:
    try:
        parse_number(cell, whole=False)
    except ValueError:
        return False
    return True


def _number(cell: str, row: int, column: int) -> float:
    if not cell:
        raise ValueError(f"row {row}, column {column + 1} is empty: every cell must hold a "
                         "number.")
    try:
        return parse_number(cell, whole=False)
    except ValueError as why:
        raise ValueError(f"row {row}, column {column + 1}: {_quoted(cell)} {why}.") from None


def _label(cell: str, row: int, column: int) -> str:
    if not cell:
        raise ValueError(f"row {row}, column {column + 1} (the label) is empty: every "
                         "sequence needs its label.")
    return cell


def _quoted(cell: str) -> str:
    return repr(cell if len(cell) <= SHOWN_CELL else cell[:SHOWN_CELL - 3] + "...")


def _label_index(header, width: int, label_column: str, source: str) -> int | None:
    """The label column's index, or None."""
    if label_column == "last":
        if width < 2:
            raise ValueError(f"{source} has one column: with the last column as the label, "
                             "no numbers are left. Add the values before it.")
        return width - 1
    if header is None:
        return None
    named = [j for j, name in enumerate(header) if name.lower() == LABEL_HEADER]
    if len(named) > 1:
        raise ValueError(f"{source} has {len(named)} columns headed “{LABEL_HEADER}”; keep "
                         "one.")
    return named[0] if named else None


def _classes(labels, shape, layout: str, column: str):
    """(class names, (N, L) class index per step or None) from a label per row."""
    if labels is None:
        return (), None
    names = sorted(set(labels), key=lambda n: (0, float(n), n) if _is_number(n) else (1, 0, n))
    if len(names) < 2:
        raise ValueError(f"the label column “{column}” holds one class ({names[0]!r}): "
                         "classification needs at least 2.")
    if len(names) > MAX_CLASSES:
        raise ValueError(f"the label column “{column}” holds {len(names):,} classes; at most "
                         f"{MAX_CLASSES} are allowed (is it a column of values?).")
    index = {name: k for k, name in enumerate(names)}
    per_row = np.array([index[label] for label in labels], dtype=np.int64)
    # rows: a sequence's class at each of its steps; series: each step's own class
    steps = np.repeat(per_row[:, None], shape[1], axis=1) if layout == "rows" else per_row[None]
    return tuple(names), steps


def _scale(values: np.ndarray, channels, source: str) -> tuple[np.ndarray, np.ndarray]:
    """(n_c,) mean and standard deviation of each channel; ValueError for a constant one."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean = values.mean(axis=(0, 1))
        std = values.std(axis=(0, 1))
    for name, m, s in zip(channels, mean, std, strict=True):
        where = "" if len(channels) == 1 else f" in the channel “{name}”"
        if not (np.isfinite(m) and np.isfinite(s)):
            raise ValueError(f"{source}: the values{where} are too large to average (over "
                             "1e300 or so); use smaller units.")
        if s <= 1e-12 * max(1.0, abs(m)):
            raise ValueError(f"{source}: every value{where} is {m:.6g}; nothing varies, so "
                             "there is nothing to learn.")
    return mean, std


# ----- the data sets the views can name ------------------------------------------------------

_kept: OrderedDict[str, SequenceData] = OrderedDict()
_lock = threading.Lock()


def load(data, layout: str = "rows", label_column: str = "header") -> SequenceData:
    """`read_sequences`, read once and kept for the views: the kept data set if it is."""
    try:
        return kept(_key(data, layout, label_column))
    except ValueError:
        pass
    found = read_sequences(data, layout, label_column)
    keep(found)
    return found


def keep(data: SequenceData) -> str:
    """Keep `data` for the views (the least recently used goes past KEPT); its key."""
    with _lock:
        _kept[data.key] = data
        _kept.move_to_end(data.key)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return data.key


def kept(key: str) -> SequenceData:
    """The data set kept under `key`; ValueError saying it is not on this server."""
    with _lock:
        data = _kept.get(key)
        if data is not None:
            _kept.move_to_end(key)
    if data is None:
        raise ValueError(f"the sequences {key!r} are not on this server (an uploaded CSV "
                         "stays on the server it was uploaded to, for a while): upload it "
                         "again on the Training page")
    return data
