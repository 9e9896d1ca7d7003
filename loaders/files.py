"""Read one snapshot table file (CSV, gzipped CSV, Parquet, JSON lines) into Arrow.

Text files are read with every column as a string, so that validation (``validate.py``) can say
exactly which value is wrong. Line numbers and record text are worked out only when a message or
a rejects row needs them (``RawTable.records()``, what the check engine in ``checks.py`` reads).
"""

from __future__ import annotations

import csv
import io
import mmap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders.checks import Records
from graph_influence.loaders.textio import is_compressed, open_text, read_bytes

__all__ = [
    "SUFFIXES",
    "RawTable",
    "column_strings",
    "read_delimited",
    "read_table_file",
    "table_suffix",
]

#: File suffixes a snapshot table may have.
SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet", ".jsonl", ".jsonl.gz")


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
    """

    path: Path
    kind: str
    table: pa.Table
    header: list[str]
    malformed: list[tuple[int, str, str]] = field(default_factory=list)
    skip_lines: int = 0
    delimiter: str = ","
    _record_lines: np.ndarray | None = None

    @property
    def has_lines(self) -> bool:
        """Whether records have line numbers (text files) or only row indexes (Parquet, frames)."""
        return self.kind not in ("parquet", "frame")

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
        take = pa.array(np.asarray(rows, dtype=np.int64))
        cols = [column_strings(self.table.column(c)).take(take) for c in self.header]
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


def _record_start_lines(raw: RawTable) -> np.ndarray:
    """Line numbers where each well-formed data record starts (error path only)."""
    data = read_bytes(raw.path)
    if raw.kind == "jsonl" or (b'"' not in data and not raw.malformed):
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


def read_delimited(
    path: Path,
    *,
    column_names: list[str] | None = None,
    delimiter: str = ",",
    skip_lines: int | None = None,
) -> RawTable:
    """Read a delimited text file (optionally gzipped) with every column as a string.

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
        header = [c.strip() for c in header]
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

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=skip),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=_may_quote(path),
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
            memory_pool=_PARSE_POOL,
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: cannot be parsed as delimited text: {exc}") from exc
    malformed = []
    if malformed_seen:
        malformed = [
            (start, delimiter.join(rec), f"expected {len(header)} fields, found {len(rec)}")
            for start, rec in _records(path, delimiter, skip)
            if len(rec) != len(header)
        ]
    return RawTable(path, "csv", table, header, malformed, skip, delimiter)


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


def _read_jsonl(path: Path) -> RawTable:
    import pyarrow.json as pajson

    try:
        table = pajson.read_json(path)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        malformed = _jsonl_malformed(path)
        if not malformed:
            raise SnapshotError(f"{path}: cannot be read as JSON lines: {exc}") from exc
        line, _, problem = malformed[0]
        raise InputError(
            str(path), line, 1, problem, 'make each line one JSON object {"column": value, ...}'
        ) from exc
    header = list(table.column_names)
    columns = []
    for name in header:
        try:
            columns.append(_as_strings(table.column(name)))
        except (TypeError, pa.ArrowNotImplementedError) as exc:
            raise SnapshotError(
                f"{path}: column {name!r} holds nested values — use strings or numbers"
            ) from exc
    return RawTable(path, "jsonl", pa.table(columns, names=header), header)


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
        A ``.csv``, ``.csv.gz``, ``.parquet``, ``.jsonl`` or ``.jsonl.gz`` file.

    Returns
    -------
    RawTable
        The records, with what is needed to name lines and columns in messages.

    Raises
    ------
    SnapshotError
        If the file cannot be parsed at all.
    """
    suffix = table_suffix(path)
    if suffix in (".csv", ".csv.gz"):
        return read_delimited(path)
    if suffix in (".jsonl", ".jsonl.gz"):
        return _read_jsonl(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise SnapshotError(f"{path}: unknown table format — use one of {', '.join(SUFFIXES)}")


