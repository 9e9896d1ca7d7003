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

__all__ = ["COMPRESSIONS", "base_name", "is_compressed", "open_binary", "open_text", "read_bytes"]

#: Compression suffixes every importer understands.
COMPRESSIONS: tuple[str, ...] = (".gz", ".zst")

#: Largest Zstandard window accepted (``zstd --long=31``).
_ZSTD_WINDOW = 1 << 31


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


def open_text(path: Path, *, newline: str | None = None) -> io.TextIOBase:
    """``path`` as UTF-8 text, decompressed. ``newline=""`` keeps line endings as they are
    (what the ``csv`` module wants)."""
    if not is_compressed(path):
        return open(path, encoding="utf-8", newline=newline)
    return io.TextIOWrapper(open_binary(path), encoding="utf-8", newline=newline)


def read_bytes(path: Path) -> bytes:
    """All the uncompressed bytes of ``path``."""
    if not is_compressed(path):
        return path.read_bytes()
    with open_binary(path) as fh:
        return fh.read()
