"""Hostile model files: every one is refused with a ValueError a student can act on, before
anything large is decompressed, and loading one keeps the process's memory bounded."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
import tomllib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnviz.engine import CELLS, init_params
from rnnviz.engine.params import Params
from rnnviz.limits import MAX_CONFIG_CHARS, MAX_TEXT_BYTES, SIZES
from rnnviz.training import files
from rnnviz.training.files import load_model, save_model
from rnnviz.training.settings import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
MiB = 1 << 20
CONFIG = {"task": "adding", "cell": "lstm", "n_a": 3}


# ----- building archives byte by byte ---------------------------------------------------------

@dataclass(frozen=True)
class Member:
    """One zip entry as it is written: `stored` is the bytes after the local header (compressed
    or not); the other fields are what the local header and the directory declare."""

    name: str
    stored: bytes
    method: int
    crc: int
    file_size: int
    flags: int = 0


def member(name: str, content: bytes, method: int = zipfile.ZIP_STORED) -> Member:
    """An honest entry holding `content`."""
    stored = content
    if method == zipfile.ZIP_DEFLATED:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        stored = packer.compress(content) + packer.flush()
    return Member(name, stored, method, zlib.crc32(content), len(content))


def archive(members: list[Member]) -> bytes:
    """A zip file of these entries, written as declared (lies included)."""
    out, directory = io.BytesIO(), io.BytesIO()
    for entry in members:
        name = entry.name.encode()
        fields = (20, 0, entry.flags, entry.method, 0, 33, entry.crc,
                  len(entry.stored), entry.file_size, len(name), 0)
        offset = out.tell()
        out.write(struct.pack(zipfile.structFileHeader, zipfile.stringFileHeader, *fields)
                  + name + entry.stored)
        directory.write(struct.pack(zipfile.structCentralDir, zipfile.stringCentralDir, 20, 3,
                                    *fields, 0, 0, 0, 0, offset) + name)
    start = out.tell()
    out.write(directory.getvalue())
    out.write(struct.pack(zipfile.structEndArchive, zipfile.stringEndArchive, 0, 0,
                          len(members), len(members), len(directory.getvalue()), start, 0))
    return out.getvalue()


def npy(value) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(value), allow_pickle=False)
    return buffer.getvalue()


def npy_header(descr: str, shape: tuple, fortran: bool = False) -> bytes:
    """An .npy header alone, declaring whatever it is told."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": fortran,
                                                  "shape": shape})
    return buffer.getvalue()


def lstm() -> Params:
    return init_params("lstm", 2, 3, 1, np.random.default_rng(0))


def entries(params: Params | None = None, settings: dict = CONFIG,
            **changes) -> dict[str, bytes]:
    """{entry name: .npy bytes} as save_model writes them, some replaced or (None) removed."""
    params = params or lstm()
    found = {"format.npy": npy("rnnviz-model"), "version.npy": npy(1),
             "cell.npy": npy(params.cell), "config.npy": npy(json.dumps(settings))}
    found.update({f"param/{name}.npy": npy(value) for name, value in params.items()})
    found.update({name.replace("__", "/") + ".npy": value for name, value in changes.items()})
    return {name: value for name, value in found.items() if value is not None}


def model_file(method: int = zipfile.ZIP_STORED, **changes) -> bytes:
    return archive([member(n, c, method) for n, c in entries(**changes).items()])


def edited(data: bytes, name: str, **fields) -> bytes:
    """`data` (written by `archive`) with the entry `name` declaring other fields."""
    parsed = read_members(data)
    return archive([replace(m, **fields) if m.name == name else m for m in parsed])


def read_members(data: bytes) -> list[Member]:
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        return [Member(info.filename,
                       data[info.header_offset + zipfile.sizeFileHeader + len(info.filename):][
                           :info.compress_size],
                       info.compress_type, info.CRC, info.file_size, info.flag_bits)
                for info in zipped.infolist()]


def bomb(name: str, header: bytes, mebibytes: int) -> Member:
    """An entry of `header` then `mebibytes` MiB of zeros, deflated without ever holding them:
    fully flushed deflate blocks are self-contained, so one block of 1 MiB repeats."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(header) + packer.flush(zlib.Z_FULL_FLUSH)
    zeros = bytes(MiB)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(header)
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    stored = start + block * mebibytes + packer.flush()
    return Member(name, stored, zipfile.ZIP_DEFLATED, crc, len(header) + mebibytes * MiB)


def with_members(*replacements: Member) -> bytes:
    """A good model file whose entries of the same names are replaced."""
    by_name = {m.name: m for m in replacements}
    return archive([by_name.get(n, member(n, c)) for n, c in entries().items()])


def refused(data: bytes) -> str:
    with pytest.raises(ValueError) as raised:
        load_model(io.BytesIO(data))
    message = str(raised.value)
    assert message and "Traceback" not in message
    return message


# ----- each hostile file, refused with a sentence -------------------------------------------

def test_a_small_file_inflating_to_256_mib_is_refused_by_its_declared_size():
    data = with_members(bomb("param/Wf.npy", npy_header("<f8", (256, 131072)), 256))
    assert len(data) < MiB
    assert "its 'param/Wf' entry would take 268,435,584 bytes" in refused(data)


def test_a_bomb_whose_header_lies_about_its_size_is_refused_by_its_declared_size():
    data = with_members(bomb("param/Wf.npy", npy_header("<f8", (3, 5)), 256))
    assert "its 'param/Wf' entry would take 268,435,584 bytes" in refused(data)


def test_a_member_that_inflates_beyond_what_it_declares_is_refused():
    header = npy_header("<f8", (3, 5))
    lying = replace(bomb("param/Wf.npy", header, 64), file_size=len(header) + 3 * 5 * 8)
    assert "cannot be decompressed" in refused(with_members(lying))


def test_a_bloated_config_is_refused_before_it_is_decompressed():
    data = with_members(bomb("config.npy", npy_header(f"<U{160 * MiB}", ()), 640))
    assert "its 'config' entry would take 671,088,768 bytes" in refused(data)


def test_a_config_whose_header_declares_100_million_characters_is_refused():
    data = model_file(config=npy_header("<U100000000", ()) + bytes(400))
    assert (f"'config' entry is 100,000,000 characters long; an rnnviz model's is at most "
            f"{MAX_CONFIG_CHARS:,}") in refused(data)


def test_a_config_nested_5000_deep_is_refused():
    nested = '{"a": ' * 5000 + "1" + "}" * 5000
    assert "nested too deeply" in refused(model_file(config=npy(nested)))


@pytest.mark.parametrize("number", ["1" * 5000, "NaN", "Infinity"])
def test_a_config_with_a_number_json_does_not_allow_is_refused(number):
    assert "not valid JSON" in refused(model_file(config=npy('{"x": ' + number + "}")))


def test_a_corrupt_deflate_stream_is_refused():
    data = model_file(zipfile.ZIP_DEFLATED)
    wf = next(m for m in read_members(data) if m.name == "param/Wf.npy")
    broken = replace(wf, stored=wf.stored[:10] + bytes(255 - b for b in wf.stored[10:40])
                     + wf.stored[40:])
    assert "'param/Wf' entry cannot be decompressed" in refused(
        edited(data, "param/Wf.npy", stored=broken.stored))


def test_an_unknown_compression_method_is_refused():
    message = refused(edited(model_file(), "config.npy", method=99))
    assert "zip method 99" in message and "stored or deflated" in message


def test_an_entry_flagged_encrypted_is_refused():
    assert "encrypted" in refused(edited(model_file(), "param/Wf.npy", flags=1))


def test_a_header_declaring_ten_billion_rows_in_a_small_file_is_refused():
    data = model_file(param__Wf=npy_header("<f8", (10**10, 5)) + bytes(2000))
    assert len(data) < 6000
    assert "has shape (10000000000, 5)" in refused(data)


def test_an_entry_shorter_than_its_header_says_is_called_damaged():
    message = refused(model_file(param__Wf=npy_header("<f8", (3, 5)) + bytes(40)))
    assert "damaged" in message and "header describes 120" in message
    assert "Python objects" not in message


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9, 0.999])
def test_a_truncated_file_is_refused_with_a_hint_to_download_it_again(keep):
    data = model_file()
    assert "download it again" in refused(data[:int(len(data) * keep)])


def test_a_zip_holding_a_model_says_to_extract_it():
    outer = archive([member("model.npz", model_file())])
    assert "holds model.npz; extract that file" in refused(outer)


def test_an_entry_that_is_itself_a_zip_is_refused():
    assert "'config' entry is not a NumPy array" in refused(
        model_file(config=model_file()))


@pytest.mark.parametrize("code_point", [0xD800, 0x110000])
def test_a_config_that_is_not_valid_unicode_is_refused(code_point):
    text = npy('{"x": "ab"}')
    bad = text[:-12] + code_point.to_bytes(4, "little") + text[-8:]   # in place of b
    assert "not valid Unicode text" in refused(model_file(config=bad))


def test_a_config_of_bytes_is_refused_as_not_text():
    assert "not text (it holds bytes)" in refused(model_file(config=npy(b'{"x": "\xff"}')))


@pytest.mark.parametrize("value, words", [
    (np.ones((3, 5), dtype=complex), "complex numbers"),
    (np.full((3, 5), "x"), "text"),
    (np.ones((3, 5), dtype=bool), "true/false values"),
    (np.ones((3, 5), dtype=np.longdouble), np.dtype(np.longdouble).name),
    (np.zeros(15, dtype="i4,i4")[:15].reshape(3, 5), "records"),
])
def test_a_parameter_that_is_not_plain_real_numbers_is_refused(value, words):
    message = refused(model_file(param__Wf=npy(value)))
    assert "the model's Wf is not an array of float64 (or smaller) numbers" in message
    assert f"(it holds {words}" in message


def test_a_parameter_of_python_objects_is_refused_unread():
    header = npy_header("|O", (3, 5))
    assert "holds Python objects" in refused(model_file(param__Wf=header + b"\x80" * 100))


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_parameter_with_nan_or_infinity_is_refused(bad):
    by = np.array([[bad]])
    assert "the model's by holds NaN or infinite values" in refused(model_file(param__by=npy(by)))


def test_big_endian_and_fortran_ordered_parameters_are_converted_to_native_float64():
    params = lstm()
    converted = {f"param__{name}": npy(np.asfortranarray(value.astype(">f4")))
                 for name, value in params.items()}
    loaded, _ = load_model(io.BytesIO(model_file(**converted)))
    for name, value in loaded.items():
        assert value.dtype == np.float64 and value.dtype.isnative, name
        assert value.flags.c_contiguous, name
        np.testing.assert_array_equal(value, getattr(params, name).astype(np.float32), err_msg=name)


def test_a_compressed_model_loads():
    loaded, config = load_model(io.BytesIO(model_file(zipfile.ZIP_DEFLATED)))
    np.testing.assert_array_equal(loaded.Wf, lstm().Wf)
    assert config == CONFIG


def test_a_directory_listing_more_entries_than_a_model_has_is_refused_before_it_is_read():
    many = archive([member(f"{i}.npy", b"") for i in range(files.MAX_ENTRIES + 1)])
    assert f"lists {files.MAX_ENTRIES + 1} entries" in refused(many)


def test_two_entries_of_the_same_name_are_refused():
    good = model_file()
    twice = archive([*read_members(good), member("cell.npy", npy("rnn"))])
    assert "two entries named 'cell'" in refused(twice)


def test_a_file_larger_than_any_model_is_refused_unread(tmp_path):
    path = tmp_path / "big.npz"
    path.write_bytes(model_file() + bytes(files.MAX_FILE_BYTES))
    with pytest.raises(ValueError, match="larger than any rnnviz model"):
        load_model(path)


def test_a_missing_path_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="could not be read"):
        load_model(tmp_path / "none.npz")


# ----- the limits: what the largest model holds, saves and uploads ---------------------------

def largest_config(cell: str) -> dict:
    """The longest settings a run can have: a text of the most bytes JSON lengthens most."""
    text = "\x01" * MAX_TEXT_BYTES
    config = TrainConfig(task="chars", cell=cell, n_a=SIZES["n_a"], steps=20_000, text=text,
                         learning_rate=0.30000000000000004, seed=2**31 - 1)
    return {**config.to_dict(), "trained_steps": 20_000}


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_largest_model_with_the_longest_settings_saves_and_loads(cell):
    params = init_params(cell, SIZES["n_x"], SIZES["n_a"], SIZES["n_y"],
                         np.random.default_rng(0))
    buffer = io.BytesIO()
    save_model(buffer, params, largest_config(cell))
    assert len(buffer.getvalue()) <= files.MAX_FILE_BYTES
    buffer.seek(0)
    loaded, config = load_model(buffer)
    assert config == largest_config(cell)
    np.testing.assert_array_equal(loaded.by, params.by)


def test_the_upload_limit_admits_the_largest_model_file_and_little_more():
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    upload = server["maxUploadSize"]   # in megabytes, 10^6 or 2^20 bytes by who counts
    assert files.MAX_FILE_BYTES <= upload * 10**6 < files.MAX_FILE_BYTES + 10**6


def test_the_readme_states_the_model_file_limits_the_code_applies():
    readme = " ".join((ROOT / "README.md").read_text().split())
    upload = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    lstm_wf = files.LARGEST_SHAPES["lstm"]["Wf"]
    for fact in (f"at most {files.MAX_ENTRIES} entries", f"Wf at most {lstm_wf[0]} × {lstm_wf[1]}",
                 f"at most {MAX_CONFIG_CHARS:,} characters", f"{MAX_TEXT_BYTES // 1000} kB",
                 f"{files.MAX_FILE_BYTES / 1e6:.1f} MB in all",
                 f"up to {upload['maxUploadSize']} MB"):
        assert fact in readme, fact
    for name, shapes in files.LARGEST_SHAPES.items():   # a row per cell, its arrays by shape
        by_shape: dict[tuple[int, int], list[str]] = {}
        for parameter, shape in shapes.items():
            by_shape.setdefault(shape, []).append(parameter)
        row = "; ".join(f"{', '.join(names)} {rows} × {cols}"
                        for (rows, cols), names in by_shape.items())
        assert f"| {CELLS[name].label} | {row} |" in readme, name


def test_settings_or_parameters_a_file_could_not_hold_are_not_saved():
    with pytest.raises(ValueError, match=f"at most {MAX_CONFIG_CHARS:,}"):
        save_model(io.BytesIO(), lstm(), {"note": "x" * MAX_CONFIG_CHARS})
    too_wide = init_params("rnn", SIZES["n_x"] + 1, 3, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="beyond the size limits"):
        save_model(io.BytesIO(), too_wide, {})


# ----- any damage: a model or a ValueError, never another exception --------------------------

def loads_or_refuses(data: bytes) -> None:
    try:
        params, config = load_model(io.BytesIO(data))
    except ValueError as why:
        assert str(why), "a ValueError with no message"
    else:
        assert isinstance(params, Params) and isinstance(config, dict)


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_every_truncation_of_a_model_file_is_refused(method):
    data = model_file(method)
    for length in range(len(data)):
        with pytest.raises(ValueError):
            load_model(io.BytesIO(data[:length]))
        loads_or_refuses(data[length:])


PROPERTY = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.binary(max_size=4096))
def test_random_bytes_are_refused(data):
    loads_or_refuses(data)
    loads_or_refuses(b"PK\x03\x04" + data)


@PROPERTY
@given(st.data())
def test_random_byte_edits_of_a_model_file_load_or_are_refused(draw):
    data = bytearray(model_file(draw.draw(st.sampled_from([0, 8]))))
    for _ in range(draw.draw(st.integers(1, 8))):
        data[draw.draw(st.integers(0, len(data) - 1))] = draw.draw(st.integers(0, 255))
    loads_or_refuses(bytes(data))


ZIP_FIELDS = {"method": st.integers(0, 2**16 - 1), "flags": st.integers(0, 2**16 - 1),
              "crc": st.integers(0, 2**32 - 1), "file_size": st.integers(0, 2**32 - 1)}


@PROPERTY
@given(st.data())
def test_edited_zip_headers_load_or_are_refused(draw):
    good = model_file(draw.draw(st.sampled_from([0, 8])))
    members = read_members(good)
    target = draw.draw(st.sampled_from(members))
    fields = draw.draw(st.dictionaries(st.sampled_from(list(ZIP_FIELDS)), st.just(None),
                                       min_size=1))
    changes = {name: draw.draw(ZIP_FIELDS[name]) for name in fields}
    if draw.draw(st.booleans()):
        changes["stored"] = target.stored[:draw.draw(st.integers(0, len(target.stored)))]
    loads_or_refuses(edited(good, target.name, **changes))


DESCRS = ["<f8", ">f8", "<f4", ">f2", "<i8", ">u4", "|b1", "<c16", "|O", "<U5", ">U3", "|S4",
          "|V8", "<f16", "<M8[s]", "<m8[D]", "|u1", "<i2"]
DIMENSION = st.one_of(st.integers(0, 400), st.integers(-5, 10**12))


@PROPERTY
@given(st.data())
def test_edited_npy_headers_load_or_are_refused(draw):
    key = draw.draw(st.sampled_from(list(entries())))
    descr = draw.draw(st.sampled_from(DESCRS))
    shape = tuple(draw.draw(st.lists(DIMENSION, max_size=3)))
    header = npy_header(descr, shape, draw.draw(st.booleans()))
    body = draw.draw(st.one_of(st.binary(max_size=512),
                               st.integers(0, 2000).map(lambda n: bytes(n))))
    name = key.removesuffix(".npy").replace("/", "__")
    loads_or_refuses(model_file(**{name: header + body}))


# ----- memory: refusing a hostile file costs little -------------------------------------------

# The child's own peak resident memory (VmHWM) before and after loading: ru_maxrss would also
# count the memory of the test process it was forked from.
MEASURE = """
import sys
from rnnviz.training.files import load_model

def peak():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

before = peak()
try:
    load_model(sys.argv[1])
except ValueError as why:
    print(why, file=sys.stderr)
print(peak() - before)
"""


HOSTILE = {
    "a 256 MiB bomb": lambda: with_members(
        bomb("param/Wf.npy", npy_header("<f8", (256, 131072)), 256)),
    "a bomb whose header lies": lambda: with_members(
        bomb("param/Wf.npy", npy_header("<f8", (3, 5)), 256)),
    "a 10^10-row header": lambda: model_file(
        param__Wf=npy_header("<f8", (10**10, 5)) + bytes(2000)),
    "a 640 MB config": lambda: with_members(
        bomb("config.npy", npy_header(f"<U{160 * MiB}", ()), 640)),
}


@pytest.mark.parametrize("what", list(HOSTILE))
def test_loading_a_hostile_file_grows_the_process_by_less_than_64_mb(what, tmp_path):
    path = tmp_path / "hostile.npz"
    path.write_bytes(HOSTILE[what]())
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert done.stderr.strip(), "refused with a message"
    assert int(done.stdout) < 64 * 10**6, (what, done.stdout, done.stderr)
