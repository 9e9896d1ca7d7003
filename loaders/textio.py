"""Open input files whatever their compression: plain, gzip (``.gz``) or Zstandard (``.zst``).

Every importer reads its files through :func:`open_text` / :func:`open_binary`, so a
compression suffix works with every format. Zstandard frames are read with a 2 GiB window,
which Pushshift's Reddit dumps need (they are written with ``zstd --long=31``).
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import BinaryIO

__all__ = ["COMPRESSIONS", "MAX_DOCUMENT_BYTES", "MAX_RECORD_BYTES", "base_name", "bounded_lines",
           "is_compressed", "open_binary", "open_text", "read_bytes", "read_document", "too_long"]

#: Compression suffixes every importer understands.
COMPRESSIONS: tuple[str, ...] = (".gz", ".zst")

#: Largest Zstandard window accepted (``zstd --long=31``).
_ZSTD_WINDOW = 1 << 31

#: The most one record (a line of a CSV, JSON lines or edge-list file) may hold, uncompressed.
#: A longer line is a bad record, read in blocks and dropped: memory stays bounded whatever a
#: small compressed file expands to (a 1 MB gzip of one 1 GiB line).
MAX_RECORD_BYTES = 64 << 20

#: The most a JSON *document* (a Mastodon ``outbox.json``, an API response page) may hold,
#: uncompressed: it is parsed whole. JSON lines have no such limit (one record at a time).
MAX_DOCUMENT_BYTES = 1 << 30

_SKIP_BLOCK = 1 << 20


def is_compressed(path: Path) -> bool:
    """Whether ``path``'s name ends with a compression suffix."""
    return path.name.lower().endswith(COMPRESSIONS)


def base_name(path: Path) -> str:
    """The lower-case file name without its compression suffix (``tweets.jsonl.zst`` ->
    ``tweets.jsonl``)."""
    name = path.name.lower()
    for suffix in COMPRESSIONS:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def open_binary(path: Path) -> BinaryIO:
    """``path`` as a stream of its uncompressed bytes."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".zst"):
        import zstandard

        raw = open(path, "rb")
        reader = zstandard.ZstdDecompressor(max_window_size=_ZSTD_WINDOW).stream_reader(
            raw, closefd=True)
        return io.BufferedReader(reader, buffer_size=1 << 20)
    return open(path, "rb")


def bounded_lines(fh, limit: int = MAX_RECORD_BYTES):
    """The lines of ``fh`` (text or binary, line ends kept) as ``(line, too_long)``.

    A line longer than ``limit`` is not kept: its rest is read in 1 MiB blocks and dropped,
    and ``(its first 200 characters, True)`` stands for it. Memory is one line of at most
    ``limit`` whatever the file holds.
    """
    newline = b"\n" if isinstance(fh.read(0), bytes) else "\n"
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(newline):
            while True:
                rest = fh.readline(_SKIP_BLOCK)
                if not rest or rest.endswith(newline):
                    break
            yield line[:200], True
            continue
        yield line, False


def too_long(limit: int = MAX_RECORD_BYTES) -> str:
    """The reason given for a line over ``limit``."""
    return (f"the line is longer than {limit >> 20} MiB, the most one record may hold "
            "(is the file what it claims to be?)")


def read_document(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> str:
    """All the text of a JSON document, refused beyond ``limit`` uncompressed (without
    decompressing more than that).

    Raises
    ------
    ValueError
        If the document is larger than ``limit``.
    """
    with open_text(path) as fh:
        text = fh.read(limit + 1)
    if len(text) > limit:
        raise ValueError(
            f"the JSON document is larger than {limit >> 20} MiB uncompressed, the most one "
            "document may hold — write it as JSON lines (jq -c '.[]' FILE > FILE.jsonl)")
    return text


def open_text(path: Path, *, newline: str | None = None) -> io.TextIOBase:
    """``path`` as UTF-8 text, decompressed. ``newline=""`` keeps line endings as they are
    (what the ``csv`` module wants)."""
    if not is_compressed(path):
        return open(path, encoding="utf-8", newline=newline)
    return io.TextIOWrapper(open_binary(path), encoding="utf-8", newline=newline)


def read_bytes(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """All the uncompressed bytes of ``path`` (a document parsed whole: a graph file).

    Raises
    ------
    ValueError
        If it holds more than ``limit`` bytes (no more than that is decompressed).
    """
    with open_binary(path) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path}: larger than {limit >> 20} MiB uncompressed, the most a file "
                         "read whole may hold")
    return data
