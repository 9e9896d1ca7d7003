"""Read one table file (CSV/TSV, gzipped or Zstandard-compressed, Parquet, JSON lines) into
Arrow.

Text files are read with every column as a string, so that validation (``validate.py``) can say
exactly which value is wrong. Line numbers and record text are worked out only when a message or
a rejects row needs them (``RawTable.records()``, what the check engine in ``checks.py`` reads).
A reader may keep only some of a file's columns (``include_columns``, the nested values of JSON
lines): the header still lists them all, so positions in messages stay the file's, and a
rejected record's text is read again from the file.
"""

from __future__ import annotations

import csv
import io
import mmap
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders.checks import Records
from graph_influence.loaders.textio import (
    MAX_RECORD_BYTES,
    bounded_lines,
    is_compressed,
    open_binary,
    open_text,
    too_long,
)

__all__ = [
    "DELIMITERS",
    "SUFFIXES",
    "RawTable",
    "column_strings",
    "delimited_header",
    "read_delimited",
    "read_json_lines",
    "read_table_file",
    "sniff_delimiter",
    "table_suffix",
]

#: File suffixes a snapshot table may have.
SUFFIXES: tuple[str, ...] = (
    ".csv", ".csv.gz", ".csv.zst", ".tsv", ".tsv.gz", ".tsv.zst", ".parquet", ".jsonl",
    ".jsonl.gz", ".jsonl.zst",
)


def table_suffix(path: Path) -> str | None:
    """Return the snapshot suffix of ``path`` (``".csv.gz"``, ...) or ``None``."""
    name = path.name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return None


@dataclass
class RawTable:
    """A table as read from its file, before validation.

    Attributes
    ----------
    path : Path
        The file.
    kind : str
        ``"csv"`` (any delimited text), ``"jsonl"`` or ``"parquet"``.
    table : pyarrow.Table
        The well-formed records (strings for text files, native types for Parquet).
    header : list of str
        Column names in file order (positions in messages are 1-based indexes into it).
    malformed : list of (int, str, str)
        Records the parser could not split into the header's columns: ``(line, text, problem)``.
    skip_lines : int
        Physical lines before the first data record (header, comments, blank lines).
    delimiter : str
        Field separator of a delimited file.
    read_types : dict of str to pyarrow.DataType
        JSON lines: the type Arrow read each column as, before it became strings (a
        ``double`` column's text is Arrow's, not the file's: ``1.2345678901234567e+19``).
    snap_text : bool
        SNAP-style text (``read_delimited(snap_text=True)``): ``#``/``%`` comment lines
        anywhere, spaces and tabs at line ends dropped.

    Notes
    -----
    ``table`` may hold fewer columns than ``header`` (a reader's ``include_columns``, nested
    JSON columns); the record text of a delimited file is then read again from the file.
    """

    path: Path
    kind: str
    table: pa.Table
    header: list[str]
    malformed: list[tuple[int, str, str]] = field(default_factory=list)
    skip_lines: int = 0
    delimiter: str = ","
    _record_lines: np.ndarray | None = None
    read_types: dict[str, pa.DataType] = field(default_factory=dict)
    snap_text: bool = False

    @property
    def has_lines(self) -> bool:
        """Whether records have line numbers (text files) or only row indexes (Parquet, frames)."""
        return self.kind not in ("parquet", "frame")

    @property
    def nested(self) -> list[str]:
        """JSON lines: the columns holding objects or arrays (not in ``table``)."""
        return [c for c, t in self.read_types.items() if pa.types.is_nested(t)]

    def column_position(self, name: str) -> int | None:
        """1-based position of ``name`` in the file's header, or ``None``."""
        try:
            return self.header.index(name) + 1
        except ValueError:
            return None

    def lines(self, rows: np.ndarray) -> np.ndarray:
        """Physical 1-based line numbers of well-formed record indexes (row indexes for Parquet)."""
        rows = np.asarray(rows, dtype=np.int64)
        if not self.has_lines:
            return rows
        if self._record_lines is None:
            self._record_lines = _record_start_lines(self)
        return self._record_lines[rows]

    def record_text(self, rows: np.ndarray) -> pa.Array:
        """The well-formed records ``rows`` as text: their fields joined by the delimiter."""
        have = set(self.table.column_names)
        if self.kind == "csv" and any(c not in have for c in self.header):
            return pa.array(_texts_from_file(self, rows), pa.string())
        take = pa.array(np.asarray(rows, dtype=np.int64))
        cols = [column_strings(self.table.column(c)).take(take) for c in self.header if c in have]
        if not cols:
            return pa.array([""] * len(rows), pa.string())
        return pc.binary_join_element_wise(*cols, self.delimiter if self.kind == "csv" else ",")

    def records(self) -> Records:
        """How the check engine (:func:`graph_influence.loaders.checks.settle`) names this
        table's records: file, lines (row indexes for Parquet), text, malformed records."""
        return Records(
            str(self.path),
            self.lines if self.has_lines else None,
            self.record_text,
            header=self.header,
            malformed=self.malformed,
            malformed_fix='make each line one flat JSON object {"column": value, ...} in UTF-8'
            if self.kind == "jsonl" else f"give every record the header's {len(self.header)} "
            f"fields ({', '.join(self.header)}); quote values that hold the delimiter",
        )


def column_strings(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """``column`` as one string array: timestamps and dates ISO-formatted, nulls as ``""``."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_nested(arr.type):  # (a Parquet list or struct column): its JSON text
        import json

        return pa.array([json.dumps(v, default=str, ensure_ascii=False) if v is not None
                         else "" for v in arr.to_pylist()], pa.string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
            arr = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S")
        arr = arr.cast(pa.string())
    return arr.cast(pa.string()).fill_null("")


def _open_text(path: Path) -> io.TextIOBase:
    return open_text(path, newline="")


def _records(path: Path, delimiter: str, skip_lines: int, *, snap_text: bool = False
             ) -> Iterator[tuple[int, list[str]]]:
    """``(start line, fields)`` of every non-empty record after ``skip_lines`` (error path)."""
    with _open_text(path) as fh:
        for _ in range(skip_lines):
            fh.readline()
        lines = (_snap_line(line) for line in fh) if snap_text else fh
        reader = csv.reader(lines, delimiter=delimiter)
        start = skip_lines + 1
        for record in reader:
            if record:
                yield start, record
            start = skip_lines + reader.line_num + 1


def _snap_line(line: str) -> str:
    """A line of SNAP-style text as Arrow reads it: a comment is empty, trailing blanks gone."""
    body = line.rstrip("\r\n")
    end = line[len(body):]
    body = body.rstrip(" \t")
    return end if body.lstrip(" \t").startswith(("#", "%")) else body + end


def _texts_from_file(raw: RawTable, rows: np.ndarray) -> list[str]:
    """The text of records ``rows`` of a delimited file, read again from it (error path: the
    table does not hold every column)."""
    lines = raw.lines(rows)
    wanted = {int(x) for x in lines}
    found = {}
    for start, record in _records(raw.path, raw.delimiter, raw.skip_lines,
                                  snap_text=raw.snap_text):
        if start in wanted:
            found[start] = raw.delimiter.join(record)
            if len(found) == len(wanted):
                break
    return [found.get(int(x), "") for x in lines]


#: Bytes that are whitespace in JSON (and to Arrow's JSON reader, which skips blank lines).
_JSON_SPACE = np.zeros(256, dtype=bool)
_JSON_SPACE[[0x09, 0x0A, 0x0D, 0x20]] = True

#: Blank bytes of SNAP-style text (dropped at line ends), and its comment marks.
_TEXT_SPACE = np.zeros(256, dtype=bool)
_TEXT_SPACE[[0x09, 0x0D, 0x20]] = True
_COMMENT_BYTES = (ord("#"), ord("%"))

#: Block size of the error path's line scan: its memory is one block and the longest line, not
#: the decompressed file (a 784 KB gzip bomb used to cost 1 GB here).
SCAN_BLOCK = 8 << 20


def _scan_lines(path: Path, mode: str) -> Iterator[np.ndarray]:
    """Line numbers of the lines of ``path`` that hold a record, block by block (streamed).

    ``mode``: ``"json"`` (a line with anything but JSON whitespace), ``"csv"`` (a non-empty
    line; a lone CR, LF or CRLF ends a line, as in Arrow's CSV reader), ``"text"`` (SNAP-style
    text: a line with something besides spaces and tabs that is not a ``#``/``%`` comment).
    """
    cr_ends = mode != "json"
    line0 = 0  # lines before the current block
    carry = b""
    with open_binary(path) as fh:
        while True:
            chunk = fh.read(SCAN_BLOCK)
            data = carry + chunk
            if not data:
                return
            buf = np.frombuffer(data, dtype=np.uint8)
            ends_at = buf == 10
            if cr_ends:
                cr = buf == 13
                ends_at |= cr & np.concatenate((buf[1:] != 10, [not chunk]))
            ends = np.flatnonzero(ends_at)
            if chunk:
                if len(ends) and cr_ends and ends[-1] == len(buf) - 1 and buf[-1] == 13:
                    ends = ends[:-1]  # a CR at the block's end may be followed by LF
                cut = int(ends[-1]) + 1 if len(ends) else 0
            else:
                cut = len(buf)
                if not len(ends) or ends[-1] != len(buf) - 1:
                    ends = np.concatenate((ends, [len(buf)]))
            carry = data[cut:]
            if not len(ends):
                continue
            starts = np.concatenate(([0], ends[:-1] + 1))
            yield _content_lines(buf, starts, ends, mode) + line0 + 1
            line0 += len(ends)
            if not chunk:
                return


def _content_lines(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, mode: str
                   ) -> np.ndarray:
    """Indexes of the lines ``[starts, ends)`` of ``buf`` that hold a record (only lines that
    start with a blank are looked at one by one)."""
    length = ends - starts
    first = buf[np.minimum(starts, max(len(buf) - 1, 0))] if len(buf) else starts
    if mode == "csv":
        return np.flatnonzero((length > 0) & ~((length == 1) & (first == 13)))
    space = _JSON_SPACE if mode == "json" else _TEXT_SPACE
    maybe_blank = (length == 0) | space[first]
    content = ~maybe_blank
    if mode == "text":
        content &= ~np.isin(first, _COMMENT_BYTES)
    data = buf.tobytes() if np.any(maybe_blank & (length > 0)) else b""
    for k in np.flatnonzero(maybe_blank & (length > 0)):
        body = data[starts[k]:ends[k]].strip(b" \t\r")
        content[k] = bool(body) and not (mode == "text" and body.startswith((b"#", b"%")))
    return np.flatnonzero(content)


def _record_start_lines(raw: RawTable) -> np.ndarray:
    """Line numbers where each well-formed data record starts (error path only, streamed)."""
    if raw.kind == "jsonl":
        return np.concatenate([np.zeros(0, np.int64), *_scan_lines(raw.path, "json")])
    if raw.snap_text or (not raw.malformed and not _holds_quote(raw.path)):
        # One record per line: a vectorised scan of the line ends.
        mode = "text" if raw.snap_text else "csv"
        lines = np.concatenate([np.zeros(0, np.int64), *_scan_lines(raw.path, mode)])
        return lines[lines > raw.skip_lines]
    # Quoted fields may span lines, or some records were malformed: follow the csv module.
    bad = {line for line, _, _ in raw.malformed}
    return np.fromiter(
        (s for s, _ in _records(raw.path, raw.delimiter, raw.skip_lines,
                                snap_text=raw.snap_text) if s not in bad),
        dtype=np.int64,
    )


def _first_record(path: Path, delimiter: str) -> tuple[int, list[str]]:
    """The first non-empty record and the number of physical lines it ends on."""
    for start, record in _records(path, delimiter, 0):
        return start, record
    return 0, []


#: Arrow pool for parsed tables: the C library's allocator. Arrow's default (mimalloc) keeps
#: the pages its parser threads freed in per-thread heaps that the loading thread cannot give
#: back; the system allocator returns large blocks at once (10M edges: whole-process peak
#: 1.77-1.78 GB -> 1.68-1.74 GB, same speed).
_PARSE_POOL = pa.system_memory_pool()


def _holds_quote(path: Path) -> bool:
    """Whether ``path``'s (uncompressed) bytes hold a ``"`` (streamed for compressed files)."""
    if not is_compressed(path):
        return _may_quote(path)
    with open_binary(path) as fh:
        while chunk := fh.read(SCAN_BLOCK):
            if b'"' in chunk:
                return True
    return False


def _may_quote(path: Path) -> bool:
    """False when an uncompressed file holds no ``"`` at all (a memory-mapped scan, ~40 ms for
    240 MB): then no value can span lines, and Arrow's parallel reader may split the file at
    any newline, which parses ~2.5x faster than quote-aware splitting."""
    if is_compressed(path):
        return True
    with open(path, "rb") as fh:
        if fh.seek(0, 2) == 0:
            return False
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return view.find(b'"') != -1


#: Field separators :func:`sniff_delimiter` recognises, in the order they are looked for.
DELIMITERS: tuple[str, ...] = ("\t", ",", ";", "|")


def sniff_delimiter(line: str, preferred: str | None = None) -> str:
    """The field separator of a header ``line``.

    ``preferred`` (the suffix's: ``","`` for ``.csv``, tab for ``.tsv``) when the line holds it,
    else the first of :data:`DELIMITERS` it holds, else a space when it holds one.

    Examples
    --------
    >>> sniff_delimiter("author\\tparent_author\\tcreated_utc"), sniff_delimiter("src;dst")
    ('\\t', ';')
    >>> sniff_delimiter("a,b\\tc", preferred="\\t"), sniff_delimiter("src dst")
    ('\\t', ' ')
    """
    line = line.strip("\r\n")
    if preferred and preferred in line:
        return preferred
    for delimiter in DELIMITERS:
        if delimiter in line:
            return delimiter
    if " " in line.strip():
        return " "
    return preferred or ","


def delimited_header(path: Path, delimiter: str) -> tuple[int, list[str]]:
    """The header of a delimited file: the physical line it ends on and its column names
    (stripped); ``(0, [])`` for an empty file."""
    line, header = _first_record(path, delimiter)
    return line, _header_names(header)


def _header_names(header: list[str]) -> list[str]:
    """Header fields stripped, without the byte-order mark spreadsheets write first."""
    if header:
        header = [header[0].removeprefix("\ufeff"), *header[1:]]
    return [c.strip() for c in header]


def read_delimited(
    path: Path,
    *,
    column_names: list[str] | None = None,
    delimiter: str = ",",
    skip_lines: int | None = None,
    include_columns: Sequence[str] | None = None,
    snap_text: bool = False,
) -> RawTable:
    """Read a delimited text file (plain, ``.gz`` or ``.zst``) with every column as a string.

    Parameters
    ----------
    path : Path
        The file.
    column_names : list of str, optional
        Names for a file without a header row. Default: the names in the first non-empty line.
    delimiter : str, optional
        Field separator (default ``","``).
    skip_lines : int, optional
        Physical lines before the first data record (default: up to and including the header
        row, or 0 when ``column_names`` is given).
    include_columns : sequence of str, optional
        Parse only these columns (default: all). ``RawTable.header`` still names every column.
    snap_text : bool, optional
        SNAP-style text (edge lists): lines starting with ``#`` or ``%`` are comments wherever
        they are, and spaces or tabs at the end of a line are not a field.

    Returns
    -------
    RawTable

    Raises
    ------
    SnapshotError
        If the file is empty or cannot be parsed at all (one line naming the file, and the
        line where it is known: text that is not UTF-8, a truncated or corrupt ``.gz``).
    InputError
        If the header names a column twice.
    """
    try:
        return _read_delimited(path, column_names, delimiter, skip_lines, include_columns,
                               snap_text)
    except READ_ERRORS as exc:
        raise read_error(path, exc) from exc


def _read_delimited(
    path: Path, column_names: list[str] | None, delimiter: str, skip_lines: int | None,
    include_columns: Sequence[str] | None, snap_text: bool,
) -> RawTable:
    if column_names is None:
        header_line, header = _first_record(path, delimiter)
        header = _header_names(header)
        if not header:
            raise SnapshotError(f"{path}: the file is empty — a table needs a header row")
        skip = header_line if skip_lines is None else skip_lines
    else:
        header = list(column_names)
        header_line = 0
        skip = 0 if skip_lines is None else skip_lines
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise InputError(
            str(path), header_line or 1, len(header) - header[::-1].index(dupes[0]),
            f"column {dupes[0]!r} appears twice in the header", "rename or drop one of them",
            column_name=dupes[0],
        )
    malformed_seen: list[str] = []
    first_try = [snap_text]  # SNAP-style text: stop at the first malformed record, then filter

    def on_invalid(row: pacsv.InvalidRow) -> str:
        malformed_seen.append(row.text)
        return "error" if first_try[0] else "skip"

    included = list(header if include_columns is None else include_columns)

    def parse(filtered: bool) -> pa.Table | None:
        for block_size in _BLOCK_SIZES:
            malformed_seen.clear()
            try:
                with _arrow_input(path, snap_skip=skip if filtered else None) as source:
                    return pacsv.read_csv(
                        source,
                        read_options=pacsv.ReadOptions(column_names=header,
                                                       skip_rows=0 if filtered else skip,
                                                       block_size=block_size),
                        parse_options=pacsv.ParseOptions(
                            delimiter=delimiter, newlines_in_values=_may_quote(path),
                            invalid_row_handler=on_invalid,
                        ),
                        convert_options=pacsv.ConvertOptions(
                            column_types=dict.fromkeys(included, pa.string()),
                            include_columns=included,
                            strings_can_be_null=False,
                            quoted_strings_can_be_null=False,
                        ),
                        memory_pool=_PARSE_POOL,
                    )
            except pa.ArrowInvalid as exc:
                if first_try[0] and malformed_seen:
                    return None
                if "straddl" not in str(exc):
                    raise
                last = exc
        where = _first_overlong_line(path)
        if where is not None:
            raise InputError(str(path), where, 1, f"malformed record: {too_long()}",
                             "split the value, or check the file is the table it claims to be"
                             ) from last
        raise SnapshotError(f"{path}: a value or record is larger than {_BLOCK_SIZES[-1] >> 20} "
                            "MiB, the most a table file may hold in one record") from last

    table = parse(filtered=False)
    first_try[0] = False
    if table is None or snap_text and _snap_suspect(table, header, included):
        # comment lines after the first records, or blanks at line ends: read it again through
        # the filter (Arrow's own reader, parallel and decompressing natively, stays the rule)
        table = parse(filtered=True)
    malformed = []
    if malformed_seen:
        malformed = [
            (start, delimiter.join(rec), f"expected {len(header)} fields, found {len(rec)}")
            for start, rec in _records(path, delimiter, skip, snap_text=snap_text)
            if len(rec) != len(header)
        ]
    return RawTable(path, "csv", table, header, malformed, skip, delimiter, snap_text=snap_text)


def _first_overlong_line(path: Path) -> int | None:
    """The number of the first line over :data:`MAX_RECORD_BYTES` (error path; streamed)."""
    with open_binary(path) as fh:
        for lineno, (_, overlong) in enumerate(bounded_lines(fh), start=1):
            if overlong:
                return lineno
    return None  # a quoted value spanning lines: no single line is too long


#: Arrow's block sizes tried in turn: the default (1 MiB), then larger ones when a value or
#: record does not fit in a block (a value of 1 MB or more).
_BLOCK_SIZES = (1 << 20, MAX_RECORD_BYTES)

#: What reading a file may raise besides the project's errors: Arrow's errors, text that is not
#: UTF-8, a truncated or corrupt ``.gz``/``.zst``, a file gone or unreadable.
READ_ERRORS: tuple[type[BaseException], ...] = (
    pa.ArrowException, UnicodeError, EOFError, OSError, zlib.error,
)
try:  # pragma: no branch
    import zstandard as _zstandard

    READ_ERRORS += (_zstandard.ZstdError,)
except ImportError:  # pragma: no cover
    pass


def read_error(path: Path, exc: BaseException) -> SnapshotError:
    """One line for an error raised while reading ``path``: the file, the line of the first
    bytes that are not UTF-8, or what is wrong with its compression."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, UnicodeError) or "utf8" in text.lower() or "utf-8" in text.lower():
        where = _first_bad_utf8(path)
        if where is not None:
            line, column, byte = where
            return SnapshotError(
                f"{path}:{line}:{column}: byte 0x{byte:02x} is not UTF-8 — save the file as "
                "UTF-8 (e.g. iconv -f latin1 -t utf-8)")
    if isinstance(exc, FileNotFoundError):
        return SnapshotError(f"{path}: the file is gone (it was there when the load started)")
    if is_compressed(path) and isinstance(exc, EOFError | zlib.error | OSError
                                          | pa.ArrowException) or (
            is_compressed(path) and "zstd" in type(exc).__module__.lower()):
        return SnapshotError(
            f"{path}: cannot be decompressed ({text}) — the file is truncated, corrupt, or not "
            f"{path.suffix} compressed")
    return SnapshotError(f"{path}: cannot be read: {text}")


def _first_bad_utf8(path: Path) -> tuple[int, int, int] | None:
    """``(line, 1-based column, byte)`` of the first bytes of ``path`` that are not UTF-8."""
    try:
        with open_binary(path) as fh:
            for lineno, line in enumerate(fh, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    column = len(line[:exc.start].decode("utf-8")) + 1
                    return lineno, column, line[exc.start]
    except READ_ERRORS:
        return None
    return None


def _snap_suspect(table: pa.Table, header: list[str], included: list[str]) -> bool:
    """Whether SNAP-style text read as it is (without malformed records: a blank at a line end
    is one more field) holds what the filter would change: a first field that is empty or starts
    with a comment mark (a comment line after the leading ones, a line starting with a blank)."""
    if header[0] not in included:
        return True
    first = table.column(header[0])
    if not len(first):
        return False
    marks = pc.or_(pc.starts_with(first, "#"), pc.starts_with(first, "%"))
    return bool(pc.any(pc.or_(marks, pc.equal(pc.binary_length(first), 0))).as_py())


class _SnapTextStream(io.RawIOBase):
    """The bytes of SNAP-style text as Arrow's CSV reader should see them, line numbers kept:
    the first ``skip`` lines and comment lines become empty lines, blanks at line ends go."""

    def __init__(self, source: BinaryIO, skip: int) -> None:
        self._source = source
        self._skip = skip
        self._carry = b""
        self._out = b""
        self._pos = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._pos >= len(self._out) and not self._done:
            self._fill()
        n = min(len(buffer), len(self._out) - self._pos)
        buffer[:n] = memoryview(self._out)[self._pos:self._pos + n]
        self._pos += n
        return n

    def _fill(self) -> None:
        chunk = self._source.read(SCAN_BLOCK)
        data = self._carry + chunk
        if chunk:
            cut = data.rfind(b"\n") + 1
            data, self._carry = data[:cut], data[cut:]
        else:
            self._done, self._carry = True, b""
        self._out, self._pos = (_snap_block(data, self) if data else b""), 0

    def close(self) -> None:
        self._source.close()
        super().close()


def _snap_block(data: bytes, stream: _SnapTextStream) -> bytes:
    """Whole lines of SNAP-style text, filtered (see :class:`_SnapTextStream`)."""
    lines = None
    if stream._skip:
        lines = data.split(b"\n")
        k = min(stream._skip, len(lines) - 1 if data.endswith(b"\n") else len(lines))
        lines[:k] = [b""] * k
        stream._skip -= k
    if lines is not None or data.startswith((b"#", b"%", b" ", b"\t")) or any(
            mark in data for mark in (b"\n#", b"\n%", b"\n ", b"\n\t")):
        lines = data.split(b"\n") if lines is None else lines
        lines = [b"" if ln.lstrip(b" \t").startswith((b"#", b"%")) else ln for ln in lines]
        data = b"\n".join(lines)
    while any(mark in data for mark in (b" \n", b"\t\n", b" \r\n", b"\t\r\n")):
        data = (data.replace(b" \n", b"\n").replace(b"\t\n", b"\n")
                .replace(b" \r\n", b"\r\n").replace(b"\t\r\n", b"\r\n"))
    if not data.endswith(b"\n"):  # the last line, without a newline
        data = data.rstrip(b" \t")
        if data[data.rfind(b"\n") + 1:].lstrip(b" \t").startswith((b"#", b"%")):
            data = data[:data.rfind(b"\n") + 1]
    return data


@contextmanager
def _arrow_input(path: Path, *, snap_skip: int | None = None) -> Iterator[Path | BinaryIO]:
    """What Arrow's readers read ``path`` from: the path itself (Arrow decompresses ``.gz``
    natively), or for ``.zst`` a stream from :func:`~graph_influence.loaders.textio.open_binary`
    (Arrow's own Zstandard reader refuses ``zstd --long=31`` windows). ``snap_skip``: SNAP-style
    text through :class:`_SnapTextStream`, its first ``snap_skip`` lines blanked."""
    if snap_skip is not None:
        with io.BufferedReader(_SnapTextStream(open_binary(path), snap_skip), 1 << 20) as stream:
            yield stream
        return
    if not path.name.lower().endswith(".zst"):
        yield path
        return
    with open_binary(path) as stream:
        yield stream


def _jsonl_malformed(path: Path) -> list[tuple[int, str, str]]:
    """Lines that are not one JSON object each (error path only)."""
    import json

    out = []
    with _open_text(path) as fh:
        for lineno, (line, overlong) in enumerate(bounded_lines(fh), start=1):
            if overlong:
                out.append((lineno, line, too_long()))
                continue
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                out.append((lineno, line.rstrip("\r\n"), f"invalid JSON ({exc})"))
                continue
            if not isinstance(obj, dict):
                out.append((lineno, line.rstrip("\r\n"), "a JSON object is expected"))
    return out


def _as_strings(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_null(column.type):
        return pa.chunked_array([pa.nulls(len(column), pa.string())]).fill_null("")
    if pa.types.is_nested(column.type):
        raise TypeError("nested value")
    return column.cast(pa.string()).fill_null("")


def read_json_lines(path: Path, *, nested: str = "error", schema: pa.Schema | None = None,
                    find_bad_line: bool = True) -> RawTable:
    """Read JSON lines (one flat object per line; plain, ``.gz`` or ``.zst``) with Arrow's
    parallel reader, every scalar column as a string.

    Parameters
    ----------
    path : Path
        The file.
    nested : {"error", "drop"}, optional
        What a column holding objects or arrays does: ``"error"`` (default) raises;
        ``"drop"`` leaves it out of ``table`` and lists it in ``RawTable.nested`` (the header
        still names it), for callers that use only some columns.
    schema : pyarrow.Schema, optional
        Read only these fields, with these types (a field missing from a line is null; other
        keys are skipped while parsing, which is much faster when they hold nested values).
        A value of another type raises :class:`SnapshotError`.
    find_bad_line : bool, optional
        When Arrow cannot read the file, look for the first line that is not a JSON object (a
        second pass, to raise :class:`InputError` naming it; default). ``False``: raise
        :class:`SnapshotError` at once (for callers that read the file another way then).

    Returns
    -------
    RawTable
        ``kind="jsonl"``; numbers and booleans as their text, nulls as ``""``.

    Raises
    ------
    SnapshotError
        If the file cannot be read as JSON lines (a column changing between numbers and
        strings, arrays as records), or a column is nested and ``nested="error"``.
    InputError
        For the first line that is not one JSON object.

    Examples
    --------
    >>> from pathlib import Path
    >>> _ = Path("events.jsonl").write_text('{"a": "x", "n": 1, "meta": {"k": 1}}\\n\\n'
    ...                                     '{"a": "y", "n": 2, "meta": {"k": 2}}\\n')
    >>> raw = read_json_lines(Path("events.jsonl"), nested="drop")
    >>> raw.header, raw.nested, raw.table.to_pydict(), raw.lines([0, 1]).tolist()
    (['a', 'n', 'meta'], ['meta'], {'a': ['x', 'y'], 'n': ['1', '2']}, [1, 3])
    """
    import pyarrow.json as pajson

    try:
        options = None if schema is None else pajson.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore")
        with _arrow_input(path) as source:
            table = pajson.read_json(source, parse_options=options)
    except (pa.ArrowInvalid, UnicodeDecodeError, EOFError, OSError) as exc:
        malformed = _jsonl_malformed(path) if find_bad_line else []
        if not malformed:
            raise SnapshotError(f"{path}: cannot be read as JSON lines: {exc}") from exc
        line, _, problem = malformed[0]
        raise InputError(
            str(path), line, 1, problem, 'make each line one JSON object {"column": value, ...}'
        ) from exc
    header = list(table.column_names)
    columns, kept = [], []
    for name in header:
        try:
            columns.append(_as_strings(table.column(name)))
            kept.append(name)
        except (TypeError, pa.ArrowNotImplementedError) as exc:
            if nested != "drop":
                raise SnapshotError(
                    f"{path}: column {name!r} holds nested values — use strings or numbers"
                ) from exc
    return RawTable(path, "jsonl", pa.table(columns, names=kept), header,
                    read_types={name: table.schema.field(name).type for name in header})


def _read_jsonl(path: Path, text_columns: Sequence[str] = ()) -> RawTable:
    """A snapshot table in JSON lines: Arrow's parallel reader, or line by line when Arrow
    cannot read it (a bad line, an array or a nested value, a key holding numbers and strings,
    bytes that are not UTF-8, a value larger than its blocks) or would change a value of
    ``text_columns`` (a number above int64 read as a float): then each bad line is a malformed
    record, rejected with its number like any bad row."""
    try:
        raw = read_json_lines(path, find_bad_line=False)
        raw.table.validate(full=True)  # Arrow's JSON reader lets bytes that are not UTF-8 in
    except (SnapshotError, pa.ArrowInvalid):
        return _jsonl_by_line(path, text_columns)
    for name in text_columns:
        t = raw.read_types.get(name)
        if t is not None and not (pa.types.is_string(t) or pa.types.is_integer(t)
                                  or pa.types.is_null(t)):
            return _jsonl_by_line(path, text_columns)
    return raw


def _jsonl_text(value: object) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _jsonl_by_line(path: Path, text_columns: Sequence[str] = ()) -> RawTable:
    """JSON lines read one line at a time, every value as its text in the file (numbers
    verbatim: ``12345678901234567891`` stays itself); lines that are not one flat JSON object
    in UTF-8, or that hold ``true``/``false`` in one of ``text_columns`` (ids), are malformed
    records."""
    import json

    text = frozenset(text_columns)

    rows: list[dict] = []
    lines: list[int] = []
    malformed: list[tuple[int, str, str]] = []
    keys: dict[str, None] = {}
    try:
        with open_binary(path) as fh:
            for lineno, (data, overlong) in enumerate(bounded_lines(fh), start=1):
                if overlong:
                    malformed.append((lineno, data.decode("utf-8", "replace"), too_long()))
                    continue
                data = data.rstrip(b"\r\n")
                if lineno == 1:
                    data = data.removeprefix(b"\xef\xbb\xbf")
                if not data.strip(b" \t\r"):
                    continue
                try:
                    line = data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    malformed.append((lineno, data.decode("utf-8", "replace"),
                                      f"byte 0x{data[exc.start]:02x} is not UTF-8"))
                    continue
                try:
                    obj = json.loads(line, parse_int=str, parse_float=str, parse_constant=str)
                except ValueError as exc:
                    malformed.append((lineno, line, f"invalid JSON ({exc})"))
                    continue
                if not isinstance(obj, dict):
                    malformed.append((lineno, line, "a JSON object is expected"))
                    continue
                nested = [k for k, v in obj.items() if isinstance(v, dict | list)]
                if nested:
                    malformed.append((lineno, line, f"{nested[0]!r} holds a nested value"))
                    continue
                flags = [k for k, v in obj.items() if k in text and isinstance(v, bool)]
                if flags:
                    malformed.append((lineno, line, f"{flags[0]!r} holds a boolean"
                                      " — give a string or a number"))
                    continue
                keys.update(dict.fromkeys(obj))
                rows.append(obj)
                lines.append(lineno)
    except READ_ERRORS as exc:
        raise read_error(path, exc) from exc
    header = list(keys)
    table = pa.table({k: pa.array([_jsonl_text(r.get(k)) for r in rows], pa.string())
                      for k in header}) if header else pa.table({})
    raw = RawTable(path, "jsonl", table, header, malformed,
                   read_types=dict.fromkeys(header, pa.string()))
    raw._record_lines = np.asarray(lines, dtype=np.int64)
    return raw


def _read_parquet(path: Path) -> RawTable:
    try:
        table = pq.read_table(path)
    except READ_ERRORS as exc:
        raise SnapshotError(f"{path}: cannot be read as Parquet: {exc}") from exc
    return RawTable(path, "parquet", table, list(table.column_names))


def read_table_file(path: Path, *, text_columns: Sequence[str] = ()) -> RawTable:
    """Read one table file of a snapshot.

    Parameters
    ----------
    path : Path
        A ``.csv``, ``.tsv``, ``.parquet`` or ``.jsonl`` file (text files also ``.gz`` or
        ``.zst``).
    text_columns : sequence of str, optional
        Columns read verbatim as text (the table's ids): JSON numbers that Arrow would read as
        floats are read as the file's digits.

    Returns
    -------
    RawTable
        The records, with what is needed to name lines and columns in messages.

    Raises
    ------
    SnapshotError
        If the file cannot be parsed at all.
    """
    suffix = table_suffix(path) or ""
    if suffix.startswith(".csv"):
        return read_delimited(path)
    if suffix.startswith(".tsv"):
        return read_delimited(path, delimiter="\t")
    if suffix.startswith(".jsonl"):
        return _read_jsonl(path, text_columns)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise SnapshotError(f"{path}: unknown table format — use one of {', '.join(SUFFIXES)}")


