"""Save and load a trained model: one .npz archive, parameters plus their settings as JSON.

Layout of the archive (no pickled objects; loading uses allow_pickle=False)::

    format        "rnnviz-model"        marks the file as ours
    version       1
    cell          "rnn" or "lstm"
    config        JSON text: the settings the model was trained with (any JSON object)
    param/<name>  one float64 array per parameter, in the notebook's names (param/Wax, ...)

Every problem on loading (not an npz, not ours, a newer version, missing or misshapen
arrays, non-finite values, settings that disagree with the arrays) raises ValueError with
a sentence a student can act on.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np

from rnnviz.engine.cells import CELLS
from rnnviz.engine.params import Params

FORMAT = "rnnviz-model"
VERSION = 1
PREFIX = "param/"


def save_model(file, params: Params, config: dict) -> None:
    """Write params and config to `file` (a path or a writable binary file object).

    Args:
        file: path (".npz" is appended by NumPy if missing) or a binary file object.
        params: a cell's parameters (e.g. RNNParams, LSTMParams).
        config: a JSON-serialisable dict of the settings (e.g. TrainConfig.to_dict()).
    """
    try:
        text = json.dumps(config, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as why:
        raise ValueError(f"the settings cannot be saved as JSON: {why}") from None
    arrays = {PREFIX + name: np.asarray(value, dtype=np.float64) for name, value in params.items()}
    np.savez(file, format=np.array(FORMAT), version=np.array(VERSION),
             cell=np.array(params.cell), config=np.array(text), **arrays)


def load_model(file) -> tuple[Params, dict]:
    """Read a model written by `save_model`.

    Args:
        file: a path or a readable binary file object (e.g. an uploaded file).

    Returns:
        (params, config): the cell's parameters and the settings dict.

    Raises:
        ValueError: the file is not a valid rnnviz model; the message says why.
    """
    not_ours = "this file is not an rnnviz model; choose a .npz file saved by rnnviz"
    try:
        archive = np.load(file, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        raise ValueError(not_ours + " (it could not be read as an .npz archive)") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(not_ours + " (it holds a single array, not an .npz archive)")
    try:
        with archive:
            return _read(archive, not_ours)
    except (OSError, EOFError, zipfile.BadZipFile, KeyError):
        raise ValueError(not_ours + " (the archive is damaged)") from None


def _get(archive, key: str) -> np.ndarray:
    """One entry; ValueError if it holds pickled objects (never loaded) or is unreadable."""
    try:
        return archive[key]
    except ValueError:
        raise ValueError(f"the model file's {key!r} entry holds Python objects; rnnviz only "
                         "loads plain arrays, so this file was not saved by rnnviz") from None


def _text(archive, key: str, not_ours: str) -> str:
    if key not in archive.files:
        raise ValueError(f"{not_ours} (it has no {key!r} entry)")
    value = _get(archive, key)
    if value.shape != () or value.dtype.kind != "U":
        raise ValueError(f"{not_ours} (its {key!r} entry is not text)")
    return str(value)


def _read(archive, not_ours: str) -> tuple[Params, dict]:
    if "format" not in archive.files or _text(archive, "format", not_ours) != FORMAT:
        raise ValueError(not_ours)
    try:
        version = int(_get(archive, "version"))
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{not_ours} (its version is missing)") from None
    if version != VERSION:
        raise ValueError(f"this model was saved by a different rnnviz (file format version "
                         f"{version}; this one reads version {VERSION})")
    cell = _text(archive, "cell", not_ours)
    if cell not in CELLS:
        raise ValueError(f"the model's cell {cell!r} is not one of {', '.join(CELLS)}")
    try:
        config = json.loads(_text(archive, "config", not_ours))
    except json.JSONDecodeError:
        raise ValueError("the model's settings are damaged (not valid JSON)") from None
    if not isinstance(config, dict):
        raise ValueError("the model's settings are damaged (not a JSON object)")
    arrays = {}
    for key in archive.files:
        if key.startswith(PREFIX):
            value = _get(archive, key)
            if value.dtype.kind not in "fi":
                raise ValueError(f"the model's {key[len(PREFIX):]} is not numeric")
            arrays[key[len(PREFIX):]] = value
    kind = CELLS[cell].params
    expected = set(kind.SHAPES)
    extra = sorted(set(arrays) - expected)
    if extra:
        raise ValueError(f"a model of the {CELLS[cell].label} should not hold {', '.join(extra)}")
    try:
        params = kind.from_dict(arrays)
    except ValueError as why:
        raise ValueError(f"the model's parameters do not fit together: {why}") from None
    for name, value in params.items():
        if not np.all(np.isfinite(value)):
            raise ValueError(f"the model's {name} holds NaN or infinite values")
    if config.get("cell", cell) != cell:
        raise ValueError(f"the file's settings say {config['cell']!r} but its parameters are "
                         f"the {CELLS[cell].label}'s")
    if "n_a" in config and config["n_a"] != params.sizes["n_a"]:
        raise ValueError(f"the file's settings say n_a={config['n_a']} but its parameters "
                         f"have n_a={params.sizes['n_a']}")
    return params, config
