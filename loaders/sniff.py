"""JSON input of every shape collectors write, record by record, with lines and JSON paths.

- **JSON lines** (NDJSON, ``.jsonl``): one value per line. A line holding an array is a batch
  of records (``[3]`` in its JSON path).
- **A JSON document** (``.json``, possibly pretty-printed over many lines): a top-level array
  of records, or an object whose records are in an array under a known key (ActivityPub's
  ``orderedItems``, an API response's ``data``, ``items``, ``records``, ``posts``, ``feed``,
  ``statuses``), or else one record. Each record's line is where it starts in the file.

:func:`iter_json_records` yields ``(line, path, value)``; a line that is not JSON is yielded
as a :class:`BadJson` value so that the importer counts it as a malformed record (``FILE:LINE``
in ``fail`` mode, a reject in ``skip`` mode).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph_influence.errors import SnapshotError
from graph_influence.loaders.textio import bounded_lines, open_text, read_document, too_long

__all__ = ["CONTAINER_KEYS", "BadJson", "first_json_record", "iter_json_records",
           "looks_like_json"]

#: Keys of a JSON document whose array holds its records, in the order they are looked for.
CONTAINER_KEYS: tuple[str, ...] = ("orderedItems", "data", "items", "records", "posts", "feed",
                                   "statuses")

_SNIFF_CHARS = 1 << 20
_WS = re.compile(r"\s*")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class BadJson:
    """A line or document that is not JSON: its text and what is wrong."""

    text: str
    problem: str


def _first_line(path: Path) -> str | None:
    try:
        with open_text(path) as fh:
            for line in fh:
                if line.strip():
                    return line
    except (OSError, EOFError, UnicodeDecodeError, ValueError):
        return None
    return None


def looks_like_json(path: Path) -> bool:
    """Whether the first non-blank character of a (possibly compressed) file opens JSON."""
    line = _first_line(path) if path.is_file() else None
    return line is not None and line.lstrip()[:1] in ("{", "[")


def _is_json_lines(first: str) -> bool:
    try:
        json.loads(first)
    except ValueError:
        return False
    return True


def first_json_record(path: Path, *, containers: tuple[str, ...] | None = None) -> Any:
    """The first record :func:`iter_json_records` would yield (``None`` when ``path`` is not
    a JSON file, or it is not JSON). Reads one line, or at most the first MiB of a document."""
    if not path.is_file():
        return None
    first = _first_line(path)
    if first is None or first.lstrip()[:1] not in ("{", "["):
        return None
    if _is_json_lines(first):
        value = json.loads(first)
        if isinstance(value, list):
            return value[0] if value else None
        return value
    try:
        with open_text(path) as fh:
            text = fh.read(_SNIFF_CHARS)
    except (OSError, EOFError, UnicodeDecodeError):
        return None
    for _, _, value in _document_records(text, partial=True, containers=containers):
        return None if isinstance(value, BadJson) else value
    return None


def iter_json_records(
    path: Path, *, containers: tuple[str, ...] | None = None
) -> Iterator[tuple[int, str, Any]]:
    """``(line, JSON path, value)`` of every record of a JSON lines file or JSON document.

    ``containers``: the keys of a document object whose array holds the records (default
    :data:`CONTAINER_KEYS`; ``()``: a document object is one record).

    Raises
    ------
    SnapshotError
        If the file cannot be read as UTF-8 text.
    """
    try:
        first = _first_line(path)
        if first is None:
            return
        if _is_json_lines(first) or first.lstrip()[:1] not in ("{", "["):
            yield from _json_lines(path)
            return
        try:
            text = read_document(path)
        except ValueError as exc:  # larger than MAX_DOCUMENT_BYTES
            raise SnapshotError(f"{path}: {exc}") from None
        yield from _document_records(text, containers=containers)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: cannot be read as JSON: {exc}") from exc


def _json_lines(path: Path) -> Iterator[tuple[int, str, Any]]:
    loads = json.loads
    with open_text(path) as fh:
        for n, (line, overlong) in enumerate(bounded_lines(fh), start=1):
            if overlong:
                yield n, "$", BadJson(line, too_long())
                continue
            if not line.strip():
                continue
            try:
                value = loads(line)
            except ValueError as exc:
                yield n, "$", BadJson(line.rstrip("\r\n"), f"not JSON ({exc})")
                continue
            if isinstance(value, list):
                for i, item in enumerate(value):
                    yield n, f"[{i}]", item
            else:
                yield n, "$", value


def _document_records(
    text: str, *, partial: bool = False, containers: tuple[str, ...] | None = None
) -> Iterator[tuple[int, str, Any]]:
    """Records of one JSON document with the line each starts on. ``partial``: ``text`` may
    be cut short (sniffing); stop quietly at the cut."""
    newlines = _LineCounter(text)
    pos = _WS.match(text, 0).end()
    try:
        if text.startswith("[", pos):
            yield from _array(text, pos, "", newlines)
            return
        if text.startswith("{", pos):
            found = _find_container(text, pos, CONTAINER_KEYS if containers is None
                                    else containers)
            if found is not None:
                key, start = found
                yield from _array(text, start, key, newlines)
                return
        value, end = _DECODER.raw_decode(text, pos)
        if _WS.match(text, end).end() != len(text):
            raise ValueError(f"extra data after the document at line {newlines.line(end)}")
        yield newlines.line(pos), "$", value
    except ValueError as exc:
        if partial:
            return
        if isinstance(exc, json.JSONDecodeError):  # where the document breaks
            line = exc.lineno
            lines = text.split("\n")
            bad = lines[line - 1] if line <= len(lines) else ""
            yield line, "$", BadJson(bad[:500], f"not JSON ({exc.msg}, column {exc.colno})")
        else:
            yield newlines.line(pos), "$", BadJson(text[pos:pos + 500], f"not JSON ({exc})")


def _array(text: str, pos: int, key: str, lines: _LineCounter) -> Iterator[tuple[int, str, Any]]:
    pos = _WS.match(text, pos + 1).end()
    i = 0
    if text.startswith("]", pos):
        return
    while True:
        value, end = _DECODER.raw_decode(text, pos)
        yield lines.line(pos), f"{key}[{i}]", value
        i += 1
        pos = _WS.match(text, end).end()
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()
        elif text.startswith("]", pos):
            return
        else:
            raise ValueError(f"expected ',' or ']' at line {lines.line(pos)}")


def _find_container(text: str, pos: int, keys: tuple[str, ...]) -> tuple[str, int] | None:
    """The first of ``keys`` of the object at ``pos`` whose value is an array,
    and where that array starts (other values are skipped without being kept)."""
    if not keys:
        return None
    pos = _WS.match(text, pos + 1).end()
    best: tuple[int, str, int] | None = None
    while pos < len(text) and not text.startswith("}", pos):
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _WS.match(text, pos).end()
        if not text.startswith(":", pos):
            raise ValueError("expected ':'")
        pos = _WS.match(text, pos + 1).end()
        if key in keys and text.startswith("[", pos):
            rank = keys.index(key)
            if best is None or rank < best[0]:
                best = (rank, key, pos)
            if rank == 0:
                break
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _WS.match(text, pos).end()
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()
    return None if best is None else (best[1], best[2])


class _LineCounter:
    """Line numbers of character offsets that only move forward (one pass over the text)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.count = 1

    def line(self, pos: int) -> int:
        if pos < self.pos:
            return 1 + self.text.count("\n", 0, pos)
        self.count += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.count


def describe(value: Any) -> str:
    """A short description of a JSON value for messages (``object with keys a, b, c``)."""
    if isinstance(value, dict):
        return f"an object with keys {', '.join(list(value)[:8]) or '(none)'}"
    return f"a JSON {type(value).__name__}"
