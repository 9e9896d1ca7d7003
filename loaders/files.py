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
from graph_influence.loaders.textio import is_compressed, open_binary, open_text, read_bytes

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
            malformed_fix=f"give every record the header's {len(self.header)} fields "
            f"({', '.join(self.header)}); quote values that hold the delimiter",
        )


def column_strings(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """``column`` as one string array: timestamps and dates ISO-formatted, nulls as ``""``."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
            arr = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S")
        arr = arr.cast(pa.string())
    return arr.cast(pa.string()).fill_null("")


def _open_text(path: Path) -> io.TextIOBase:
    return open_text(path, newline="")


def _records(path: Path, delimiter: str, skip_lines: int) -> Iterator[tuple[int, list[str]]]:
    """``(start line, fields)`` of every non-empty record after ``skip_lines`` (error path)."""
    with _open_text(path) as fh:
        for _ in range(skip_lines):
            fh.readline()
        reader = csv.reader(fh, delimiter=delimiter)
        start = skip_lines + 1
        for record in reader:
            if record:
                yield start, record
            start = skip_lines + reader.line_num + 1


def _texts_from_file(raw: RawTable, rows: np.ndarray) -> list[str]:
    """The text of records ``rows`` of a delimited file, read again from it (error path: the
    table does not hold every column)."""
    lines = raw.lines(rows)
    wanted = {int(x) for x in lines}
    found = {}
    for start, record in _records(raw.path, raw.delimiter, raw.skip_lines):
        if start in wanted:
            found[start] = raw.delimiter.join(record)
            if len(found) == len(wanted):
                break
    return [found.get(int(x), "") for x in lines]


#: Bytes that are whitespace in JSON (and to Arrow's JSON reader, which skips blank lines).
_JSON_SPACE = np.zeros(256, dtype=bool)
_JSON_SPACE[[0x09, 0x0A, 0x0D, 0x20]] = True


def _json_record_lines(data: bytes) -> np.ndarray:
    """Line numbers of the lines of JSON lines ``data`` that hold something (a vectorised scan
    of the newlines; only lines that start with whitespace are looked at one by one)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    if not len(buf):
        return np.zeros(0, dtype=np.int64)
    newlines = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(buf)]))
    first = buf[np.minimum(starts, len(buf) - 1)]
    maybe_blank = (ends == starts) | _JSON_SPACE[first]
    content = ~maybe_blank
    for k in np.flatnonzero(maybe_blank & (ends > starts)):
        content[k] = bool(data[starts[k]:ends[k]].strip(b" \t\r"))
    return np.flatnonzero(content) + 1


def _record_start_lines(raw: RawTable) -> np.ndarray:
    """Line numbers where each well-formed data record starts (error path only)."""
    data = read_bytes(raw.path)
    if raw.kind == "jsonl":
        return _json_record_lines(data)
    if b'"' not in data and not raw.malformed:
        # One record per non-empty line: a vectorised scan of the newlines.
        buf = np.frombuffer(data, dtype=np.uint8)
        newlines = np.flatnonzero(buf == 10)
        starts = np.concatenate(([0], newlines + 1))
        ends = np.concatenate((newlines, [len(buf)]))
        length = ends - starts
        first = buf[np.minimum(starts, max(len(buf) - 1, 0))] if len(buf) else starts
        only_cr = (length == 1) & (first == 13)
        line_numbers = np.flatnonzero((length > 0) & ~only_cr) + 1
        return line_numbers[line_numbers > raw.skip_lines]
    # Quoted fields may span lines, or some records were malformed: follow the csv module.
    bad = {line for line, _, _ in raw.malformed}
    return np.fromiter(
        (s for s, _ in _records(raw.path, raw.delimiter, raw.skip_lines) if s not in bad),
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

    Returns
    -------
    RawTable

    Raises
    ------
    SnapshotError
        If the file is empty or cannot be parsed at all.
    InputError
        If the header names a column twice.
    """
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

    def on_invalid(row: pacsv.InvalidRow) -> str:
        malformed_seen.append(row.text)
        return "skip"

    included = list(header if include_columns is None else include_columns)
    try:
        with _arrow_input(path) as source:
            table = pacsv.read_csv(
                source,
                read_options=pacsv.ReadOptions(column_names=header, skip_rows=skip),
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
    except (pa.ArrowInvalid, UnicodeDecodeError, EOFError, OSError) as exc:
        raise SnapshotError(f"{path}: cannot be parsed as delimited text: {exc}") from exc
    malformed = []
    if malformed_seen:
        malformed = [
            (start, delimiter.join(rec), f"expected {len(header)} fields, found {len(rec)}")
            for start, rec in _records(path, delimiter, skip)
            if len(rec) != len(header)
        ]
    return RawTable(path, "csv", table, header, malformed, skip, delimiter)


@contextmanager
def _arrow_input(path: Path) -> Iterator[Path | BinaryIO]:
    """What Arrow's readers read ``path`` from: the path itself (Arrow decompresses ``.gz``
    natively), or for ``.zst`` a stream from :func:`~graph_influence.loaders.textio.open_binary`
    (Arrow's own Zstandard reader refuses ``zstd --long=31`` windows)."""
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
        for lineno, line in enumerate(fh, start=1):
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


def _read_jsonl(path: Path) -> RawTable:
    return read_json_lines(path)


def _read_parquet(path: Path) -> RawTable:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SnapshotError(f"{path}: cannot be read as Parquet: {exc}") from exc
    return RawTable(path, "parquet", table, list(table.column_names))


def read_table_file(path: Path) -> RawTable:
    """Read one table file of a snapshot.

    Parameters
    ----------
    path : Path
        A ``.csv``, ``.tsv``, ``.parquet`` or ``.jsonl`` file (text files also ``.gz`` or
        ``.zst``).

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
        return _read_jsonl(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise SnapshotError(f"{path}: unknown table format — use one of {', '.join(SUFFIXES)}")


