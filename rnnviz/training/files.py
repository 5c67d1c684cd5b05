"""Save and load a trained model: one .npz archive, parameters plus their settings as JSON.

Layout of the archive (no pickled objects; loading uses allow_pickle=False)::

    format        "rnnviz-model"        marks the file as ours
    version       1
    cell          "rnn" or "lstm"
    config        JSON text: the settings the model was trained with (any JSON object)
    param/<name>  one float64 array per parameter, in the notebook's names (param/Wax, ...)

Loading never trusts the file: a classroom server reads every student's upload in one
process. Each zip entry's declared size, compression method and flags, and its .npy header
(dtype, shape, order) are checked against what a model of the largest sizes
(rnnviz.limits.SIZES) holds before anything is decompressed, and every entry is read through
a bounded stream. So a file holds at most MAX_ENTRIES entries, each parameter at most its
shape at the largest sizes, the settings at most MAX_CONFIG_CHARS characters of JSON, and the
whole file at most MAX_FILE_BYTES. Entries may be stored or deflated (np.savez_compressed);
other compression methods and encrypted entries are refused. Parameters may be any real
floats or integers of at most 8 bytes, in either byte order and C or Fortran order: they are
converted to float64.

Every problem on loading (not an npz, not ours, a newer version, missing, misshapen or
oversized arrays, non-finite values, damaged or truncated entries, settings that disagree
with the arrays) raises ValueError with a sentence a student can act on.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import zipfile
import zlib

import numpy as np

from rnnviz.engine.cells import CELLS
from rnnviz.engine.params import Params
from rnnviz.limits import MAX_CONFIG_CHARS, SIZES

FORMAT = "rnnviz-model"
VERSION = 1
PREFIX = "param/"
HEADER_ENTRIES = ("format", "version", "cell", "config")

# Each cell's parameters at the largest sizes: no model file holds a larger array.
LARGEST_SHAPES = {name: cell.shapes(SIZES["n_x"], SIZES["n_a"], SIZES["n_y"])
                  for name, cell in CELLS.items()}
# as many entries as there are names a model of any cell may hold
MAX_ENTRIES = len(HEADER_ENTRIES) + len(set().union(*LARGEST_SHAPES.values()))
NUMBER_BYTES = 8          # float64; a parameter may be stored in at most 8 bytes a number
CHARACTER_BYTES = 4       # NumPy stores text as UTF-32
NPY_HEADER_BYTES = 4096   # an entry's .npy header: NumPy writes 128 bytes for one array
ZIP_ENTRY_BYTES = 1024    # an entry's zip headers, local and central: NumPy writes under 200
# The largest data of each entry (after its .npy header), and of all parameters together.
MAX_DATA_BYTES = {"format": CHARACTER_BYTES * len(FORMAT), "version": NUMBER_BYTES,
                  "cell": CHARACTER_BYTES * max(map(len, CELLS)),
                  "config": CHARACTER_BYTES * MAX_CONFIG_CHARS}
MAX_PARAMETER_BYTES = NUMBER_BYTES * max(
    cell.parameter_count(SIZES["n_x"], SIZES["n_a"], SIZES["n_y"]) for cell in CELLS.values())
MAX_READ_BYTES = (sum(MAX_DATA_BYTES.values()) + MAX_PARAMETER_BYTES
                  + MAX_ENTRIES * NPY_HEADER_BYTES)   # decompressed, all entries together
MAX_FILE_BYTES = MAX_READ_BYTES + MAX_ENTRIES * ZIP_ENTRY_BYTES

NOT_OURS = "this file is not an rnnviz model; choose a .npz file saved by rnnviz"
DAMAGED = "the model file is damaged: {}; save or download the model again"
LIMITS_IN_WORDS = ", ".join(f"{name} ≤ {SIZES[name]}" for name in ("n_x", "n_a", "n_y"))
# What the zip layer raises on a damaged archive or member (no rnnviz code runs inside).
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
              zlib.error, NotImplementedError, RuntimeError, struct.error, OverflowError)
FLAG_ENCRYPTED = 0x1 | 0x40     # zip's "encrypted" and "strong encryption" flag bits
FLAG_PATCHED = 0x20             # "compressed patched data", which nothing here reads
METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # as np.savez and np.savez_compressed write


def save_model(file, params: Params, config: dict) -> None:
    """Write params and config to `file` (a path or a writable binary file object).

    Args:
        file: path (".npz" is appended by NumPy if missing) or a binary file object.
        params: a cell's parameters (e.g. RNNParams, LSTMParams), within the size limits.
        config: a JSON-serialisable dict of the settings (e.g. TrainConfig.to_dict()), at
            most MAX_CONFIG_CHARS characters as JSON.

    Raises:
        ValueError: the settings are not JSON or too long, or the parameters are larger than
            the size limits: such a file could not be loaded back.
    """
    try:
        text = json.dumps(config, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as why:
        raise ValueError(f"the settings cannot be saved as JSON: {why}") from None
    if len(text) > MAX_CONFIG_CHARS:
        raise ValueError(f"the settings are {len(text):,} characters long as JSON; a model "
                         f"file holds at most {MAX_CONFIG_CHARS:,}")
    largest = LARGEST_SHAPES[params.cell]
    for name, value in params.items():
        if not _within(np.shape(value), largest[name]):
            raise ValueError(f"{name} has shape {np.shape(value)}, beyond the size limits "
                             f"({LIMITS_IN_WORDS}); such a model cannot be saved")
    arrays = {PREFIX + name: np.asarray(value, dtype=np.float64) for name, value in params.items()}
    np.savez(file, format=np.array(FORMAT), version=np.array(VERSION),
             cell=np.array(params.cell), config=np.array(text), **arrays)


def load_model(file) -> tuple[Params, dict]:
    """Read a model written by `save_model`, reading no more than a model of the largest
    sizes holds (MAX_FILE_BYTES from the file, MAX_READ_BYTES decompressed).

    Args:
        file: a path or a readable binary file object (e.g. an uploaded file).

    Returns:
        (params, config): the cell's parameters (float64) and the settings dict.

    Raises:
        ValueError: the file is not a valid rnnviz model; the message says why.
    """
    data = _file_bytes(file)
    if data.startswith(np.lib.format.MAGIC_PREFIX):
        raise ValueError(NOT_OURS + " (it holds a single array, not an .npz archive)")
    _check_directory(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        raise ValueError(NOT_OURS + " (it could not be read as an .npz archive)") from None
    with archive:
        return _read(_Entries(archive))


def _within(shape: tuple, largest: tuple[int, int]) -> bool:
    return len(shape) == len(largest) and all(
        0 <= n <= most for n, most in zip(shape, largest, strict=True))


def _file_bytes(file) -> bytes:
    """The whole file, refused unread beyond MAX_FILE_BYTES."""
    try:
        if isinstance(file, (str, os.PathLike)):
            with open(file, "rb") as opened:
                data = opened.read(MAX_FILE_BYTES + 1)
        else:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as why:
        raise ValueError(f"the model file could not be read ({why.strerror or why})") from None
    if not isinstance(data, bytes):
        raise ValueError("the model file must be opened in binary mode ('rb')")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"the file is larger than any rnnviz model (at most "
                         f"{MAX_FILE_BYTES / 1e6:.1f} MB); choose a .npz file saved by rnnviz")
    return data


def _check_directory(data: bytes) -> None:
    """Refuse a zip whose directory lists more entries than a model has, before zipfile reads
    it (zipfile keeps an object per entry listed). NumPy's archives end with a plain
    end-of-directory record: no comment, no zip64 record."""
    end = data[-zipfile.sizeEndCentDir:]
    locator = data[-zipfile.sizeEndCentDir - zipfile.sizeEndCentDir64Locator:][:4]
    if (len(end) < zipfile.sizeEndCentDir or not end.startswith(zipfile.stringEndArchive)
            or end[-2:] != b"\0\0" or locator == zipfile.stringEndArchive64Locator):
        raise ValueError(NOT_OURS + " (it could not be read as an .npz archive; if it was cut "
                                    "short, download it again)")
    _, _, _, _, count, directory_bytes, _, _ = struct.unpack(zipfile.structEndArchive, end)
    if count > MAX_ENTRIES or directory_bytes > MAX_ENTRIES * ZIP_ENTRY_BYTES:
        raise ValueError(f"{NOT_OURS} (it lists {count:,} entries; a model has at most "
                         f"{MAX_ENTRIES})")


class _Entries:
    """The archive's .npy entries by key (name without ".npy", as np.load names them), read
    through bounded streams, with what has been decompressed so far counted."""

    def __init__(self, archive: zipfile.ZipFile):
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise ValueError(f"{NOT_OURS} (it holds {len(infos):,} entries; a model has at "
                             f"most {MAX_ENTRIES})")
        self.archive = archive
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            key = info.filename.removesuffix(".npy")
            if key in self.infos:
                raise ValueError(DAMAGED.format(f"it holds two entries named {key!r}"))
            self.infos[key] = info
        self.read_bytes = 0

    def __contains__(self, key: str) -> bool:
        return key in self.infos

    def keys(self) -> list[str]:
        return list(self.infos)

    def array(self, key: str, what: str, kinds: str, largest: tuple, max_data: int,
              refusal: str | None = None) -> np.ndarray:
        """The entry `key` as a native, C-ordered array, checked before it is decompressed.

        Args:
            key: the entry's name without ".npy".
            what: how a message names it ("the model's Wf", "the 'config' entry").
            kinds: the dtype kinds accepted ("f", "i", "u", "U").
            largest: the largest shape accepted, or () for a single value.
            max_data: the most bytes its data may take.
            refusal: the message for a dtype, shape or size beyond these, if not the usual.
        """
        info = self.infos[key]
        self._check_member(info, key, max_data + NPY_HEADER_BYTES)
        with self._open(info, key) as stream:
            dtype, shape, fortran, header_size = self._header(stream, key, info.file_size)
            if dtype.hasobject:
                raise ValueError(f"the model file's {key!r} entry holds Python objects; rnnviz "
                                 "only loads plain arrays, so this file was not saved by rnnviz")
            size = math.prod(shape) * dtype.itemsize if _within(shape, largest) else None
            numbers_too_long = dtype.kind != "U" and dtype.itemsize > NUMBER_BYTES
            if dtype.kind not in kinds or dtype.itemsize == 0 or numbers_too_long:
                raise ValueError(refusal or f"{what} is not {_KIND_WORDS[kinds[0]]} (it holds "
                                            f"{_dtype_words(dtype)})")
            if size is None:
                raise ValueError(refusal or f"{what} has shape {shape}; in an rnnviz model it "
                                            f"is at most {largest}, at the size limits "
                                            f"({LIMITS_IN_WORDS})")
            if size > max_data:   # a long text: its itemsize counts its characters
                unit, per = ("characters", CHARACTER_BYTES) if dtype.kind == "U" else ("bytes", 1)
                raise ValueError(refusal or f"{what} is {size // per:,} {unit} long; an "
                                            f"rnnviz model's is at most {max_data // per:,}")
            if header_size + size != info.file_size:
                raise ValueError(DAMAGED.format(
                    f"its {key!r} entry holds {info.file_size - header_size:,} bytes of data "
                    f"but its header describes {size:,}"))
            data = self._read(stream, key, size)
        values = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        return np.array(values, dtype=dtype.newbyteorder("="), order="C")

    def _check_member(self, info: zipfile.ZipInfo, key: str, max_size: int) -> None:
        """The zip's own record of the entry: flags, method and declared size."""
        if info.flag_bits & FLAG_ENCRYPTED:
            raise ValueError(f"{NOT_OURS} (its {key!r} entry is encrypted; rnnviz never "
                             "encrypts a model)")
        if info.flag_bits & FLAG_PATCHED or info.compress_type not in METHODS:
            raise ValueError(f"{NOT_OURS} (its {key!r} entry is compressed with zip method "
                             f"{info.compress_type}; rnnviz reads only stored or deflated "
                             "entries)")
        if info.file_size > max_size:
            raise ValueError(f"{NOT_OURS} (its {key!r} entry would take {info.file_size:,} "
                             f"bytes; an rnnviz model's takes at most {max_size:,})")

    def _open(self, info: zipfile.ZipInfo, key: str):
        try:
            return self.archive.open(info)
        except ZIP_ERRORS:
            raise ValueError(DAMAGED.format(f"its {key!r} entry cannot be read")) from None

    def _read(self, stream, key: str, size: int) -> bytes:
        """The entry's `size` bytes of data, refused if it inflates to more or holds fewer."""
        if self.read_bytes + size > MAX_READ_BYTES:
            raise ValueError(f"{NOT_OURS} (its entries hold more than a model of the largest "
                             f"sizes, {MAX_READ_BYTES:,} bytes)")
        data = self._read_some(stream, key, size + 1)
        if len(data) != size:
            longer_or_shorter = "longer" if len(data) > size else "shorter"
            raise ValueError(DAMAGED.format(f"its {key!r} entry is {longer_or_shorter} than "
                                            "it declares"))
        return data

    def _header(self, stream, key: str, declared: int) -> tuple[np.dtype, tuple, bool, int]:
        """(dtype, shape, Fortran order, the header's length) from the entry's .npy header,
        leaving `stream` at its data."""
        prefix = self._read_some(stream, key, min(declared, np.lib.format.MAGIC_LEN))
        try:
            version = np.lib.format.read_magic(io.BytesIO(prefix))
        except ValueError:
            raise ValueError(f"{NOT_OURS} (its {key!r} entry is not a NumPy array)") from None
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"{NOT_OURS} (its {key!r} entry is a NumPy array of format "
                             f"{version[0]}.{version[1]}, which rnnviz does not read)")
        length_bytes = 2 if version == (1, 0) else 4
        length = self._read_some(stream, key, length_bytes)
        header_bytes = int.from_bytes(length, "little")
        if len(length) != length_bytes or len(prefix) + length_bytes + header_bytes > min(
                declared, NPY_HEADER_BYTES):
            raise ValueError(DAMAGED.format(f"the header of its {key!r} entry is cut short "
                                            "or too long"))
        header = self._read_some(stream, key, header_bytes)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        try:
            shape, fortran, dtype = read_header(io.BytesIO(length + header),
                                                max_header_size=NPY_HEADER_BYTES)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            raise ValueError(DAMAGED.format(f"the header of its {key!r} entry cannot be "
                                            "read")) from None
        return dtype, shape, bool(fortran), len(prefix) + length_bytes + header_bytes

    def _read_some(self, stream, key: str, size: int) -> bytes:
        """Up to `size` bytes of the entry (zipfile decompresses no more than it returns),
        counted."""
        try:
            data = stream.read(size)
        except ZIP_ERRORS:
            raise ValueError(DAMAGED.format(f"its {key!r} entry cannot be decompressed")) \
                from None
        self.read_bytes += len(data)
        return data


def _read(entries: _Entries) -> tuple[Params, dict]:
    if "format" not in entries:
        inner = [key for key in entries.keys() if key.endswith((".npz", ".zip"))]
        if inner:
            raise ValueError(f"this file is a zip archive that holds {inner[0]}; extract that "
                             "file and choose it")
        raise ValueError(NOT_OURS)
    if _text(entries, "format", refusal=NOT_OURS) != FORMAT:
        raise ValueError(NOT_OURS)
    if "version" not in entries:
        raise ValueError(f"{NOT_OURS} (its version is missing)")
    version = int(entries.array("version", "the model file's version", "iu", (),
                                MAX_DATA_BYTES["version"]))
    if version != VERSION:
        raise ValueError(f"this model was saved by a different rnnviz (file format version "
                         f"{version}; this one reads version {VERSION})")
    not_a_cell = f"the model's cell is not one of {', '.join(CELLS)}"
    cell = _text(entries, "cell", refusal=not_a_cell)
    if cell not in CELLS:
        raise ValueError(f"the model's cell {cell!r} is not one of {', '.join(CELLS)}")
    kind = CELLS[cell].params
    largest = LARGEST_SHAPES[cell]
    names = [key[len(PREFIX):] for key in entries.keys() if key.startswith(PREFIX)]
    extra = sorted(set(names) - set(largest))
    if extra:
        raise ValueError(f"a model of the {CELLS[cell].label} should not hold {', '.join(extra)}")
    config = _settings(_text(entries, "config"))
    arrays = {name: entries.array(PREFIX + name, f"the model's {name}", "fiu", largest[name],
                                  NUMBER_BYTES * math.prod(largest[name]))
              for name in names}
    for name in sorted(arrays):
        if not np.all(np.isfinite(arrays[name])):
            raise ValueError(f"the model's {name} holds NaN or infinite values")
    try:
        params = kind.from_dict(arrays)
    except ValueError as why:
        raise ValueError(f"the model's parameters do not fit together: {why}") from None
    if config.get("cell", cell) != cell:
        raise ValueError(f"the file's settings say {config['cell']!r} but its parameters are "
                         f"the {CELLS[cell].label}'s")
    if "n_a" in config and config["n_a"] != params.sizes["n_a"]:
        raise ValueError(f"the file's settings say n_a={config['n_a']} but its parameters "
                         f"have n_a={params.sizes['n_a']}")
    return params, config


def _text(entries: _Entries, key: str, refusal: str | None = None) -> str:
    """The text entry `key` (a 0-d array of text), refused beyond its MAX_DATA_BYTES: with
    `refusal` if given (a longer format or cell name is simply not ours)."""
    if key not in entries:
        raise ValueError(f"{NOT_OURS} (it has no {key!r} entry)")
    value = entries.array(key, f"the model file's {key!r} entry", "U", (), MAX_DATA_BYTES[key],
                          refusal)
    codes = value[None].view(np.uint32)   # one UTF-32 code a character
    if np.any((codes > 0x10FFFF) | ((codes >= 0xD800) & (codes <= 0xDFFF))):  # not Unicode
        raise ValueError(f"{NOT_OURS} (its {key!r} entry is not valid Unicode text)")
    return str(value)


def _settings(text: str) -> dict:
    """The settings from their JSON text: an object, with no NaN or infinity."""
    def refuse(constant):
        raise ValueError(f"{constant} is not a number JSON allows")

    try:
        config = json.loads(text, parse_constant=refuse)
    except RecursionError:
        raise ValueError("the model's settings are damaged (nested too deeply to read)") \
            from None
    except ValueError:
        raise ValueError("the model's settings are damaged (not valid JSON)") from None
    if not isinstance(config, dict):
        raise ValueError("the model's settings are damaged (not a JSON object)")
    return config


_KIND_WORDS = {"f": "an array of float64 (or smaller) numbers", "i": "a whole number",
               "U": "text"}


def _dtype_words(dtype: np.dtype) -> str:
    """What an array of `dtype` holds, in words: "complex numbers", "float128 numbers"."""
    words = {"c": "complex numbers", "U": "text", "S": "bytes", "b": "true/false values",
             "V": "records", "M": "dates", "m": "time spans"}
    return words.get(dtype.kind, f"{dtype.name} numbers")
