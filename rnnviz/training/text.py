"""The text a character task learns from: the bundled names, or a student's own text read and
checked (UTF-8, at most MAX_TEXT_BYTES, not binary), and its vocabulary cut to the model's
inputs, naming the rare characters left out.
"""

from __future__ import annotations

import codecs
import collections
import functools
import unicodedata
from importlib import resources

from rnnviz.limits import MAX_TEXT_BYTES, SIZES

END = "\n"  # marks the start and the end of every name
MAX_VOCAB = SIZES["n_x"]  # one input and one output per character
BUNDLED_CORPUS = "dinos.txt"
SHOWN_DROPPED = 20  # a note about rare characters left out names at most this many


@functools.cache
def bundled_text() -> str:
    """The bundled corpus: a few hundred dinosaur genus names, one per line."""
    corpus = resources.files("rnnviz.training") / "data" / BUNDLED_CORPUS
    return corpus.read_text(encoding="utf-8")


def read_text(data, source: str = "The text", limit: int = MAX_TEXT_BYTES,
              kind: str = "plain text, such as a list of names") -> str:
    """`data` as text with "\n" line endings, or ValueError with a sentence saying why not.

    Args:
        data: a str (pasted), or bytes (a file) that must be UTF-8 (a byte-order mark is
            skipped). At most `limit` bytes of UTF-8; not binary; not empty.
        source: what the sentences call it: "The text", or a file's name.
        kind: what to choose instead of binary data, in the sentences.
    """
    if isinstance(data, bytes):
        _check_size(len(data), source, limit)
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ValueError(f"{source} is saved as UTF-16, not UTF-8. Save it as UTF-8 (in "
                             "most editors: Save as, then Encoding: UTF-8) and try again.")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as why:
            if b"\x00" in data:
                raise ValueError(f"{source} looks like binary data, not text: it is not "
                                 f"UTF-8 and holds zero bytes. Choose {kind}.") from None
            raise ValueError(f"{source} is not valid UTF-8: byte 0x{data[why.start]:02x} at "
                             f"position {why.start:,} is not UTF-8 (the text may be Latin-1 "
                             "or Windows-1252). Save it as UTF-8 and try again.") from None
    if not isinstance(data, str):
        raise ValueError(f"{source} must be a string of characters.")
    _check_size(len(data.encode("utf-8")), source, limit)
    text = data.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ValueError(f"{source} is empty. Use {kind} to learn from.")
    odd = sum(1 for ch in text if ch == "\ufffd"
              or (unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\t"))
    if "\x00" in text or odd > 0.01 * len(text):
        raise ValueError(f"{source} looks like binary data, not text: it is full of control "
                         f"characters. Use {kind}.")
    return text


def _check_size(size: int, source: str, limit: int) -> None:
    if size > limit:
        raise ValueError(f"{source} is {size:,} bytes; the limit is {limit:,} bytes "
                         f"({limit // 1000} kB). Use a shorter piece of it.")


def clean_text(text) -> tuple[list[str], str, tuple[str, ...]]:
    """The lines of a text (read_text), the rare characters left out, and a sentence saying
    which and why (none if none were).

    Blank lines go. If more than MAX_VOCAB - 1 distinct characters remain (END takes one
    input), the rarest are dropped, and so are the lines left blank without them.
    """
    lines = [line for line in read_text(text).split("\n") if line.strip()]
    counts = collections.Counter(ch for line in lines for ch in line)
    if len(counts) < 2:
        only = next(iter(counts))
        raise ValueError(f"The text uses only one character ({only!r}). A language model "
                         "needs at least two different characters to learn anything.")
    if len(counts) <= MAX_VOCAB - 1:
        return lines, "", ()
    ranked = sorted(counts, key=lambda ch: (-counts[ch], ch))
    dropped = "".join(sorted(ranked[MAX_VOCAB - 1:]))
    table = str.maketrans("", "", dropped)
    lines = [kept for kept in (line.translate(table) for line in lines) if kept.strip()]
    share = sum(counts[ch] for ch in dropped) / sum(counts.values())
    return lines, dropped, (_dropped_note(dropped, share),)


def _dropped_note(dropped: str, share: float) -> str:
    """A sentence naming the characters left out of a text, and why."""
    count = len(dropped)
    listed = ", ".join(repr(ch) for ch in dropped[:SHOWN_DROPPED])
    if count > SHOWN_DROPPED:
        listed += f" and {count - SHOWN_DROPPED:,} more"
    return (f"{count:,} rare character{'s were' if count > 1 else ' was'} left out of the "
            f"text: {listed}, because the model has at most {MAX_VOCAB} inputs, one for each "
            f"of the {MAX_VOCAB - 1} most frequent characters and one for the end of a line. "
            f"{'They' if count > 1 else 'It'} made up {100 * share:.2g}% of the characters.")
