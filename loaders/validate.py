"""Validate and normalise a raw table into the snapshot schema (``graph_influence.schema``).

One checker per column kind (id, type, ts, weight, str) normalises the column and yields its
:class:`~graph_influence.loaders.checks.Check` objects, each a vectorised boolean mask of bad
records. The check engine (``checks.py``) settles them: in ``fail`` mode the earliest bad record
raises :class:`~graph_influence.errors.InputError` with its file, line and column; in ``skip``
mode bad records go to a rejects table with their reasons and the rest is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders.checks import REJECT_COLUMNS, Check, Verdict, check_on_error, settle
from graph_influence.loaders.files import RawTable, column_strings
from graph_influence.schema import MAX_ID_BYTES, ColumnSpec, TableSpec

__all__ = [
    "REJECT_COLUMNS",
    "TEXT_DATE_FORMATS",
    "TS_UNITS",
    "TableReport",
    "ValidatedTable",
    "empty_table",
    "parse_timestamps",
    "validate_table",
]

#: Epoch values above this are almost surely milliseconds (year 5138 in seconds).
_MAX_EPOCH_SECONDS = 1e11


@dataclass
class TableReport:
    """What happened to one table of a load.

    ``read = loaded + rejected`` always holds. ``self_loops`` and ``duplicates`` are filled in by
    the store, which also says how many rows were ``new`` (the rest were already there).
    ``unresolved`` counts what an importer could not turn into a row although the input refers to
    it (a retweet of a tweet that is not in the input: its author is unknown); such a reference
    is not a record of the file, so it is not in ``read``, and it is listed in
    ``Snapshot.unresolved``. ``excluded`` counts records left out on purpose (``--exclude-user``:
    their author, or the user they are aimed at, is excluded), also outside ``read``.
    """

    table: str
    files: list[str] = field(default_factory=list)
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    new: int = 0
    self_loops: int = 0
    duplicates: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    unresolved: int = 0
    excluded: int = 0

    def add(self, other: TableReport) -> None:
        """Merge the counts of another file (or part) of the same table."""
        self.files += [f for f in other.files if f not in self.files]
        self.read += other.read
        self.loaded += other.loaded
        self.rejected += other.rejected
        self.unresolved += other.unresolved
        self.excluded += other.excluded
        self.ignored_columns = sorted(set(self.ignored_columns) | set(other.ignored_columns))


@dataclass
class ValidatedTable:
    """A normalised table, the rejected records (skip mode) and the counts."""

    table: pa.Table
    rejects: pa.Table
    report: TableReport


def _plain_strings(column: pa.ChunkedArray | pa.Array) -> bool:
    """A string column without nulls: checked as it is, chunk by chunk."""
    return (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)) and (
        column.null_count == 0
    )


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.fill_null(True).to_numpy(zero_copy_only=False), dtype=bool)


def _quoted(prefix: str, values: pa.Array, suffix: str = "") -> Callable[[np.ndarray], list[str]]:
    def reasons(rows: np.ndarray) -> list[str]:
        shown = values.take(pa.array(rows, pa.int64())).to_pylist()
        return [f"{prefix}{(v or '')[:60]}{suffix}" for v in shown]

    return reasons


# First bytes a whitespace character can start with in UTF-8 (\t..\r, space, and the lead
# bytes of U+0085/U+00A0, U+1680, U+2000-U+205F, U+3000).
_SPACE_LEAD_BYTES = np.zeros(256, dtype=bool)
_SPACE_LEAD_BYTES[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20,
                   0xC2, 0xE1, 0xE2, 0xE3]] = True


def _blank(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Rows that are null, empty or only whitespace.

    Reads the offsets and first bytes straight from the Arrow buffers; only the rare values
    that start with a possible whitespace byte go through Arrow's Unicode check.
    """
    if isinstance(values, pa.ChunkedArray):
        parts = [_blank(chunk) for chunk in values.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
    n = len(values)
    offset_type = np.int64 if pa.types.is_large_string(values.type) else np.int32
    buffers = values.buffers()
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[values.offset:values.offset + n + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] else np.zeros(1, np.uint8)
    blank = offsets[1:] == offsets[:-1]
    if values.null_count:
        blank |= _mask(values.is_null())
    first = data[np.minimum(offsets[:-1], len(data) - 1)]  # (empty values read a neighbour)
    maybe = np.flatnonzero(_SPACE_LEAD_BYTES[first] & ~blank)
    if len(maybe):
        blank[maybe] = _mask(pc.utf8_is_space(values.take(pa.array(maybe))))
    return blank


def _check_id(spec: ColumnSpec, values: pa.Array) -> tuple[pa.Array, list[Check]]:
    blank = _blank(values)
    what = f" ({spec.help})" if spec.help else ""
    size = pc.binary_length(values)
    long = _mask(pc.greater(size, MAX_ID_BYTES)) & ~blank
    sizes = np.asarray(size.fill_null(0).to_numpy(zero_copy_only=False))

    def too_long(rows: np.ndarray) -> list[str]:
        return [f"{spec.name} is {int(sizes[r]):,} bytes long" for r in rows]

    return values, [
        Check(spec.name, blank, f"empty {spec.name}",
              f"give every row a non-empty {spec.name}{what}"),
        Check(spec.name, long, too_long,
              f"ids are at most {MAX_ID_BYTES:,} bytes of UTF-8 (the same limit in every "
              "store: Neo4j cannot index longer values); check the column holds ids"),
    ]


def _check_type(
    spec: ColumnSpec, values: pa.Array, known: frozenset[str]
) -> tuple[pa.Array, list[Check]]:
    # a handful of distinct values: normalise the dictionary, not every row
    codes = pc.dictionary_encode(values)
    names = pc.utf8_lower(pc.utf8_trim_whitespace(codes.dictionary))
    norm = names.take(codes.indices)
    empty = _mask(pc.equal(pc.utf8_length(norm), 0))
    unknown = ~_mask(pc.is_in(norm, value_set=pa.array(sorted(known), pa.string()))) & ~empty
    allowed = ", ".join(sorted(known))
    return norm, [
        Check(spec.name, empty, "empty interaction type", f"use one of: {allowed}"),
        Check(spec.name, unknown, _quoted("unknown interaction type '", values, "'"),
               f"use one of: {allowed}; or declare it when loading with --type NAME"),
    ]


#: Epoch units ``ts_unit`` may name, as microseconds per unit.
TS_UNITS: dict[str, int] = {"s": 1_000_000, "ms": 1_000, "us": 1}

#: Textual date formats read besides ISO-8601: Twitter API v1.1's ``created_at``
#: (``Wed Oct 10 20:19:24 +0000 2018``) and RFC 2822 / e-mail dates
#: (``Wed, 10 Oct 2018 20:19:24 +0000``, with or without the weekday).
TEXT_DATE_FORMATS: tuple[str, ...] = (
    "%a %b %d %H:%M:%S %z %Y",
    "%a, %d %b %Y %H:%M:%S %z",
    "%d %b %Y %H:%M:%S %z",
)


def parse_timestamps(
    values: pa.Array, *, unit: str = "s"
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Parse ISO-8601, Twitter/RFC 2822 dates or epoch numbers (or native timestamps).

    Whole-column Arrow casts are tried first; pandas handles the mixed or unusual cases.

    Parameters
    ----------
    values : pyarrow.Array
        Strings, numbers or timestamps.
    unit : {"s", "ms", "us"}, optional
        The unit of epoch numbers (default seconds). With seconds, values above 1e11 (year
        5138) are flagged as probable milliseconds instead of being read.

    Returns
    -------
    (timestamps, bad, millis)
        A ``timestamp[us]`` array (UTC, null where empty or bad), a mask of unparseable values,
        and a mask of epoch values that look like milliseconds (``unit="s"`` only).

    Examples
    --------
    >>> import pyarrow as pa
    >>> ts, bad, millis = parse_timestamps(pa.array(["Wed Oct 10 20:19:24 +0000 2018",
    ...                                              "1539202764000"]), unit="ms")
    >>> [t.isoformat() for t in ts.to_pylist()], bad.tolist(), millis.tolist()
    (['2018-10-10T20:19:24', '2018-10-10T20:19:24'], [False, False], [False, False])
    """
    if unit not in TS_UNITS:
        raise ValueError(f"unit must be one of {', '.join(TS_UNITS)}, not {unit!r}")
    per_unit = TS_UNITS[unit]
    check_millis = unit == "s"
    n = len(values)
    if pa.types.is_date(values.type):
        values = values.cast(pa.timestamp("s"))
    if pa.types.is_timestamp(values.type):
        return _native_timestamps(values)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
            or pa.types.is_integer(values.type) or pa.types.is_floating(values.type)
            or pa.types.is_null(values.type)):
        # booleans (a Parquet bool column would read as 1970-01-01), nested values, ...
        bad = ~_mask(values.is_null()) if len(values) else np.zeros(0, bool)
        return _ts(np.zeros(n, np.int64), np.zeros(n, bool)), bad, np.zeros(n, bool)
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        values = values.cast(pa.string())
    lo, hi = _MIN_MICROS / per_unit, _MAX_MICROS / per_unit
    if values.null_count == 0:
        try:  # the common case, all integer epochs: one cast, no copy of the text
            epoch = values.cast(pa.int64()).to_numpy()
            millis = (np.abs(epoch) > _MAX_EPOCH_SECONDS) if check_millis else np.zeros(n, bool)
            out = ~millis & ((epoch < lo) | (epoch > hi))
            ok = ~(millis | out)
            return _ts(np.where(ok, epoch, 0) * per_unit, ok), out, millis
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    text = pc.utf8_trim_whitespace(values.fill_null(""))
    empty_arr = pc.equal(pc.utf8_length(text), 0)
    empty = _mask(empty_arr)
    text = pc.if_else(empty_arr, pa.scalar(None, pa.string()), text)
    no_bad = np.zeros(n, dtype=bool)
    try:  # all epoch numbers
        epoch = text.cast(pa.float64()).to_numpy(zero_copy_only=False)
        epoch = np.where(empty, 0.0, epoch)
        finite = np.isfinite(epoch)
        millis = finite & (np.abs(epoch) > _MAX_EPOCH_SECONDS) if check_millis else (
            np.zeros(n, bool))
        bad = ~empty & ~millis & (~finite | (epoch < lo) | (epoch > hi))  # nan, inf, year > 9999
        valid = ~(empty | millis | bad)
        micros = np.round(np.where(valid, epoch, 0.0) * per_unit).astype(np.int64)
        return _ts(micros, valid), bad, millis
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:  # all ISO-8601 that Arrow reads
        ts = text.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
        return ts, no_bad, no_bad.copy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    series = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    epoch = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    numeric = np.isfinite(epoch)
    millis = numeric & (np.abs(epoch) > _MAX_EPOCH_SECONDS) if check_millis else (
        np.zeros(n, bool))
    micros = np.zeros(n, dtype=np.int64)
    bad = numeric & ~millis & ((epoch < lo) | (epoch > hi))
    ok_num = numeric & ~millis & ~bad
    micros[ok_num] = np.round(epoch[ok_num] * per_unit).astype(np.int64)
    need_text = ~numeric & ~empty
    if need_text.any():
        idx = np.flatnonzero(need_text)
        found = np.zeros(len(idx), dtype=bool)
        for fmt in ("ISO8601", *TEXT_DATE_FORMATS):  # then Twitter and RFC 2822 dates
            todo = np.flatnonzero(~found)
            if not len(todo):
                break
            parsed = pd.DatetimeIndex(pd.to_datetime(
                series.iloc[idx[todo]], utc=True, format=fmt, errors="coerce"))
            ok = ~parsed.isna()
            stamps = parsed[ok].tz_convert(None).to_numpy().astype("datetime64[us]")
            micros[idx[todo[ok]]] = stamps.astype(np.int64)
            found[todo[ok]] = True
        bad[idx[~found]] = True
    return _ts(micros, ~(empty | bad | millis)), bad, millis


#: Timestamps are read within years 1..9999 (``0001-01-01`` to ``9999-12-31T23:59:59.999999``,
#: in microseconds since the epoch): what ISO-8601 text and the stores can hold.
_MIN_MICROS = -62_135_596_800 * 1_000_000
_MAX_MICROS = 253_402_300_800 * 1_000_000 - 1

_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _native_timestamps(values: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """A timestamp column (Parquet) as ``timestamp[us]`` (UTC), years outside 1..9999 bad."""
    n = len(values)
    unit = values.type.unit
    raw = values.cast(pa.int64()).to_numpy(zero_copy_only=False)
    raw = np.nan_to_num(np.asarray(raw, dtype=float), nan=0.0)
    per = _PER_SECOND[unit] / 1_000_000
    bad = ~_mask(values.is_null()) & ((raw < _MIN_MICROS * per) | (raw > _MAX_MICROS * per))
    if bad.any():
        values = pc.if_else(pa.array(bad), pa.scalar(None, values.type), values)
    if values.type.tz is not None:
        values = values.cast(pa.timestamp(unit, tz="UTC")).cast(pa.timestamp(unit))
    return values.cast(pa.timestamp("us")), bad, np.zeros(n, bool)


def _ts(micros: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array(micros, type=pa.int64(), mask=~valid).cast(pa.timestamp("us"))


def _as_text(values: pa.Array) -> pa.Array:
    """``values`` as strings for messages (nested values as their Python text)."""
    try:
        return values.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else str(v) for v in values.to_pylist()], pa.string())


def _check_ts(spec: ColumnSpec, values: pa.Array, *, unit: str = "s"
              ) -> tuple[pa.Array, list[Check]]:
    ts, bad, millis = parse_timestamps(values, unit=unit)
    shown = values if pa.types.is_string(values.type) else _as_text(values)
    return ts, [
        Check(spec.name, bad, _quoted("cannot read timestamp '", shown, "'"),
               "use ISO-8601 (2024-05-01T12:00:00Z), a Twitter or RFC 2822 date, or epoch "
               "seconds (--ts-unit ms|us for milliseconds or microseconds), within years "
               "1..9999"),
        Check(spec.name, millis, _quoted("timestamp '", shown, "' looks like milliseconds"),
               "load with --ts-unit ms, or give epoch seconds or ISO-8601"),
    ]


def _check_weight(spec: ColumnSpec, values: pa.Array) -> tuple[pa.Array, list[Check]]:
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        num = values.cast(pa.float64()).fill_null(1.0).to_numpy(zero_copy_only=False)
        text = values.cast(pa.string()).fill_null("")
    else:
        text = pc.utf8_trim_whitespace(values.fill_null(""))
        empty_arr = pc.equal(pc.utf8_length(text), 0)
        empty = _mask(empty_arr)
        try:  # one vectorised cast when every value is a number
            nullable = pc.if_else(empty_arr, pa.scalar(None, pa.string()), text)
            num = np.array(nullable.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            series = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
            num = np.array(pd.to_numeric(series, errors="coerce").to_numpy(dtype=float))
        num[empty] = 1.0
    bad = ~np.isfinite(num) | (num < 0)
    num = np.where(bad, 0.0, num)
    return pa.array(num, pa.float64()), [
        Check(spec.name, bad, _quoted("weight '", text, "' is not a finite number >= 0"),
               "give a number >= 0, or leave the field empty for 1")
    ]


def _empty_as_null(arr: pa.Array) -> pa.Array:
    """``arr`` with empty strings as nulls, sharing its offsets and bytes (no copy)."""
    empty = pc.equal(pc.binary_length(arr), 0)
    if not pc.any(empty).as_py():
        return arr
    valid = pc.invert(empty)
    if arr.null_count:
        valid = pc.and_(valid, arr.is_valid())
    if arr.offset or valid.offset:  # (bitmaps would not line up: copy instead)
        return pc.if_else(empty, pa.scalar(None, arr.type), arr)
    buffers = arr.buffers()
    return pa.Array.from_buffers(arr.type, len(arr), [valid.buffers()[1], *buffers[1:]])


def _check_str(
    spec: ColumnSpec, values: pa.Array | pa.ChunkedArray
) -> tuple[pa.Array | pa.ChunkedArray, list[Check]]:
    if isinstance(values, pa.ChunkedArray):
        return pa.chunked_array([_empty_as_null(c) for c in values.chunks], values.type), []
    return _empty_as_null(values), []


#: The checker of each column kind: ``(column spec, values) -> (normalised values, checks)``
#: (``type`` also takes the allowed types, bound per table).
_CHECKERS: dict[str, Callable[..., tuple[pa.Array | pa.ChunkedArray, list[Check]]]] = {
    "id": _check_id,
    "type": _check_type,
    "ts": _check_ts,
    "weight": _check_weight,
    "str": _check_str,
}


def _attributes_json(table: pa.Table, names: list[str]) -> pa.Array:
    """One JSON object per row holding the extra (unknown) user columns."""
    import duckdb

    struct = pa.StructArray.from_arrays(
        [column_strings(table.column(n)) for n in names], names=names
    )
    con = duckdb.connect()
    try:
        con.register("extra", pa.table({"a": struct}))
        return con.sql("SELECT to_json(a)::VARCHAR AS j FROM extra").to_arrow_table()[
            "j"
        ].combine_chunks()
    finally:
        con.close()


def validate_table(
    raw: RawTable,
    spec: TableSpec,
    *,
    on_error: str = "fail",
    interaction_types: frozenset[str] = frozenset(),
    ts_unit: str = "s",
) -> ValidatedTable:
    """Check every record of ``raw`` against ``spec`` and normalise the good ones.

    Parameters
    ----------
    raw : RawTable
        The table as read from its file.
    spec : TableSpec
        The snapshot table it holds.
    on_error : {"fail", "skip"}, optional
        ``"fail"`` (default) raises on the first bad record; ``"skip"`` moves bad records to
        the rejects table.
    interaction_types : frozenset of str, optional
        Allowed values of a ``type`` column.
    ts_unit : {"s", "ms", "us"}, optional
        The unit of epoch numbers in timestamp columns (default seconds).

    Returns
    -------
    ValidatedTable

    Raises
    ------
    InputError
        A required column is missing (in both modes), or a record is bad (``fail`` mode).
    """
    check_on_error(on_error)
    _require_columns(raw, spec)
    columns, checks = _check_columns(raw, spec, interaction_types, ts_unit)
    verdict = settle(checks, raw.records(), table=spec.name, on_error=on_error)
    table, ignored = _normalised(raw, spec, columns, verdict)
    report = TableReport(
        spec.name, [str(raw.path)], read=raw.table.num_rows + len(raw.malformed),
        loaded=table.num_rows, rejected=verdict.rejects.num_rows, ignored_columns=ignored,
    )
    return ValidatedTable(table, verdict.rejects, report)


def _require_columns(raw: RawTable, spec: TableSpec) -> None:
    """Raise if ``raw`` lacks a column ``spec`` requires (a file-level error, in both modes)."""
    missing = [c for c in spec.required if c not in raw.header]
    if not missing:
        return
    have = ", ".join(raw.header) or "nothing"
    col = spec.column(missing[0])
    what = f" ({col.help})" if col.help else ""
    raise InputError(
        str(raw.path), 1 if raw.has_lines else None, None,
        f"the {spec.name} table has no {missing[0]!r} column (columns found: {have})",
        f"add a {missing[0]!r} column{what}; required: {', '.join(spec.required)}",
        column_name=missing[0], row=None if raw.has_lines else 0,
    )


def _column_values(raw: RawTable, col: ColumnSpec) -> pa.Array | pa.ChunkedArray:
    """The column ``col`` of ``raw`` as its checker takes it."""
    values = raw.table.column(col.name)
    _check_column_type(raw, col, values.type)
    if col.kind in ("id", "str") and _plain_strings(values):
        return values  # checked chunk by chunk: copying 5M strings into one array costs ~50 MB each
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return column_strings(values) if col.kind in ("id", "str", "type") else values


def _check_column_type(raw: RawTable, col: ColumnSpec, type_: pa.DataType) -> None:
    """Raise :class:`SnapshotError` for a column whose type cannot hold its kind's values (a
    Parquet ``list<string>`` or struct anywhere, booleans as ids, types or weights)."""
    t = type_.value_type if pa.types.is_dictionary(type_) else type_
    nested = pa.types.is_nested(t)
    boolean = pa.types.is_boolean(t) and col.kind in ("id", "type", "weight")
    binary = (pa.types.is_binary(t) or pa.types.is_large_binary(t)) and col.kind != "str"
    if nested or boolean or binary:
        what = {"id": "strings or integers", "type": "strings", "weight": "numbers",
                "ts": "timestamps, dates, numbers or strings", "str": "strings"}[col.kind]
        raise SnapshotError(f"{raw.path}: column {col.name!r} holds {t} values — a {col.kind} "
                            f"column needs {what}")


def _check_columns(
    raw: RawTable, spec: TableSpec, interaction_types: frozenset[str], ts_unit: str = "s"
) -> tuple[dict[str, pa.Array | pa.ChunkedArray], list[Check]]:
    """Normalised values and checks of every column of ``spec`` that ``raw`` has."""
    checkers = {**_CHECKERS, "type": partial(_check_type, known=interaction_types),
                "ts": partial(_check_ts, unit=ts_unit)}
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    checks: list[Check] = []
    for col in spec.columns:
        if col.name in raw.header:
            columns[col.name], found = checkers[col.kind](col, _column_values(raw, col))
            checks += found
    return columns, checks


def _normalised(
    raw: RawTable, spec: TableSpec, columns: dict[str, pa.Array | pa.ChunkedArray],
    verdict: Verdict,
) -> tuple[pa.Table, list[str]]:
    """The good records in normalised form, and the columns that were ignored."""
    n = int(verdict.good.sum())
    keep = None if verdict.all_good else pa.array(verdict.good)

    def kept(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        return values if keep is None else values.filter(keep)

    out = {c.name: kept(columns[c.name]) if c.name in columns else _absent(c, n)
           for c in spec.columns}
    known = {c.name for c in spec.columns}
    extra = [c for c in raw.header if c not in known]
    if not spec.keep_extra:
        return pa.table(out), extra
    out["attributes"] = (kept(_attributes_json(raw.table, extra)) if extra
                         else pa.nulls(n, pa.string()))
    return pa.table(out), []


def _absent(col: ColumnSpec, n: int) -> pa.Array:
    """An ``n``-row column for ``col`` when the file lacks it (weights default to 1)."""
    if col.kind == "weight":
        return pa.array(np.ones(n), pa.float64())
    return pa.nulls(n, _ARROW_TYPES[col.kind])


_ARROW_TYPES = {
    "id": pa.string(),
    "str": pa.string(),
    "type": pa.string(),
    "ts": pa.timestamp("us"),
    "weight": pa.float64(),
}


def empty_table(spec: TableSpec) -> pa.Table:
    """A zero-row table of ``spec`` in normalised form."""
    cols = {c.name: pa.array([], _ARROW_TYPES[c.kind]) for c in spec.columns}
    if spec.keep_extra:
        cols["attributes"] = pa.array([], pa.string())
    return pa.table(cols)
