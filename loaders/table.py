"""Any table of edges, its columns chosen by name (``--format table``).

One row is one edge: ``--src author --dst parent_author --ts created_utc --type reply
--topics subreddit`` says which input column holds what. The input is a header-aware CSV,
TSV or space-separated ``.txt``, JSON lines (``.jsonl``/``.ndjson``), a JSON document
(``.json``: an array of records, pretty-printed or not, or an object whose records are under
``data``, ``items``, ...), or Parquet; text files optionally ``.gz`` or ``.zst``; a directory of
such files is one table, read in name order. A file without a known suffix (``load -``
reads standard input into one) is recognised by its first bytes: Parquet, JSON or delimited.

Mapping (:func:`read_table`):

- The snapshot columns ``src``, ``dst``, ``ts``, ``weight``, ``topics``, ``post_id`` come from
  the input columns ``column_map`` names. A role that is not named is recognised by its header
  name only when nothing is named at all (``src/source/from``, ``dst/target/to``,
  ``ts/time/timestamp``, ``weight/count``: ``edgelist.HEADER_NAMES``, and ``topics``,
  ``post_id``); once a column is named, only a missing ``src``/``dst`` is recognised. Every other
  column is ignored and listed in the load report.
- The edge type (``edge_kind``, the CLI's first ``--type``): ``follow`` (the default) makes
  every row a follow; ``retweet``, ``quote``, ``reply``, ``mention``, ``like`` or any other
  word that is not a column of the file gives every row that interaction type (a type named
  this way is allowed without further declaration); the name of a column reads each row's type
  from it: rows whose type is ``follow``/``follows`` go to ``follows``, the others to
  ``interactions``, where values other than the five known types are rejected unless allowed
  by ``interaction_types`` (the CLI's further ``--type NAME``).
- Values are checked as every snapshot table's (``validate.py``): a bad record is
  ``FILE:LINE:COLUMN`` (the file's own column position, the input column's name in the
  message); for JSON the line and column of the bad value and its JSON path
  (``events.json:14:12: $[2].created_utc: cannot read timestamp 'soon'``); Parquet names
  ``row N``.

Detection: none. A generic table cannot be told from a snapshot table or an edge list by its
looks, so it is read only when named (``--format table``) or, in the CLI, implied by the column
flags (``--src``/``--dst``...).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders.checks import Records
from graph_influence.loaders.edgelist import HEADER_NAMES
from graph_influence.loaders.files import (
    RawTable,
    delimited_header,
    read_delimited,
    read_json_lines,
    sniff_delimiter,
)
from graph_influence.loaders.registry import Importer, ReadOptions
from graph_influence.loaders.snapshot import Snapshot, SnapshotBuilder, fingerprint_files
from graph_influence.loaders.sniff import BadJson, describe, iter_json_records, looks_like_json
from graph_influence.loaders.social import RECORD_CHARS, dump, no_gc, record_texts
from graph_influence.loaders.textio import COMPRESSIONS, base_name, is_compressed, open_text
from graph_influence.schema import DEFAULT_INTERACTION_TYPES

__all__ = ["IMPORTER", "ROLES", "TABLE_SUFFIXES", "read_table"]

#: The snapshot columns an input column can be mapped to (``column_map`` keys), and the CLI
#: flag naming each; ``type`` is the CLI's ``--type COLUMN``.
ROLES: dict[str, str] = {"src": "--src", "dst": "--dst", "ts": "--ts", "weight": "--weight",
                         "topics": "--topics", "post_id": "--post-id", "type": "--type"}

#: File suffixes read (each text one also ``.gz`` or ``.zst``).
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json",
                                   ".parquet")

_FOLLOW = ("follow", "follows")
#: Type names that are always a type given to every row, never a column's name.
_KNOWN_TYPES = frozenset((*_FOLLOW, *DEFAULT_INTERACTION_TYPES))
#: Columns the snapshot tables read: an unmapped input column of such a name is hidden.
_RESERVED = frozenset((*ROLES, "id", "author", "name", "text", "created_at", "attributes"))
#: Roles whose values are ids (a JSON number read as a float could lose digits).
_ID_ROLES = ("src", "dst", "post_id")
#: Roles a follow keeps (``follows`` has no weight, topics or post).
_FOLLOW_ROLES = ("src", "dst", "ts")
_FIX_SCALAR = ("make each record a JSON object whose mapped keys hold strings or numbers "
               "(topics may be a list of strings; nested values are fine in the other keys)")
_PARQUET_MAGIC = b"PAR1"


# --- which file is what -----------------------------------------------------------------------


def _input_kind(path: Path) -> str:
    """``"parquet"``, ``"json"`` or ``"csv"`` (delimited text), by suffix, else by content."""
    name = base_name(path)
    if name.endswith(".parquet"):
        if is_compressed(path):
            raise SnapshotError(f"{path}: a Parquet file is compressed inside — do not "
                                "compress it again (remove the .gz/.zst)")
        return "parquet"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "json"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    if not is_compressed(path):
        with open(path, "rb") as fh:
            if fh.read(4) == _PARQUET_MAGIC:
                return "parquet"
    return "json" if looks_like_json(path) else "csv"


def _table_files(path: Path) -> list[Path]:
    if not path.exists():
        raise SnapshotError(f"{path}: no such file or directory")
    if path.is_file():
        return [path]
    found = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                   and base_name(p).endswith(TABLE_SUFFIXES))
    if not found:
        suffixes = ", ".join(TABLE_SUFFIXES)
        raise SnapshotError(f"{path}: no table files in the directory — expected {suffixes} "
                            f"(text ones also {'/'.join(COMPRESSIONS)})")
    return found


# --- the mapping -----------------------------------------------------------------------------


@dataclass
class _Mapping:
    """Input columns per role (``type`` when types come from a column) and the type given to
    every row otherwise."""

    columns: dict[str, str]
    constant_type: str | None

    @property
    def type_column(self) -> str | None:
        return self.columns.get("type")


def _find(header: list[str], name: str) -> str | None:
    """The header column ``name`` (exact, else the one that matches ignoring case)."""
    if name in header:
        return name
    matches = [h for h in header if h.casefold() == name.casefold()]
    return matches[0] if len(matches) == 1 else None


def _columns_text(header: list[str]) -> str:
    return ", ".join(header) if header else "none"


def _plan(path: Path, header: list[str], column_map: Mapping[str, str],
          edge_kind: str | None) -> _Mapping:
    """Resolve the roles against the first file's header."""
    unknown = sorted(set(column_map) - set(ROLES))
    if unknown:
        raise SnapshotError(f"unknown column role {unknown[0]!r} in column_map — use "
                            f"{', '.join(ROLES)}")
    wanted = {role: col for role, col in column_map.items() if col}
    constant = None
    kind = (edge_kind or "").strip()
    if kind and "type" in wanted:
        raise SnapshotError("give the edge type once: edge_kind or column_map['type']")
    if kind:
        if kind.lower() not in _KNOWN_TYPES and _find(header, kind) is not None:
            wanted["type"] = kind
        else:
            constant = kind.lower()
    elif "type" not in wanted:
        constant = "follow"
    columns = {}
    for role, col in wanted.items():
        found = _find(header, col)
        if found is None:
            raise SnapshotError(
                f"{path}: no column {col!r} (given as {ROLES[role]} {col}) — the file's "
                f"columns are: {_columns_text(header)}")
        columns[role] = found
    recognise = ("src", "dst", "ts", "weight", "topics", "post_id") if not wanted else (
        "src", "dst")
    for role in recognise:
        if role in columns:
            continue
        taken = set(columns.values())
        hits = [h for h in header if h not in taken
                and (HEADER_NAMES.get(h.lower()) == role or h.lower() == role)]
        if len(hits) > 1:
            raise SnapshotError(
                f"{path}: columns {' and '.join(map(repr, hits))} could both be the {role} — "
                f"say which with {ROLES[role]} COLUMN")
        if hits:
            columns[role] = hits[0]
    missing = [r for r in ("src", "dst") if r not in columns]
    if missing:
        raise SnapshotError(
            f"{path}: which column is the {' and which the '.join(missing)}? The file's columns "
            f"are: {_columns_text(header)} — give --src COLUMN --dst COLUMN (the actor or "
            "follower, and the user acted upon or followed; also --ts, --weight, --topics, "
            "--post-id, --type COLUMN), or name them src/source/from and dst/target/to; a "
            "file without a header row is an edge list: --format edgelist --columns src,dst")
    twice = [c for c in set(columns.values()) if list(columns.values()).count(c) > 1]
    if twice:
        roles = [ROLES[r] for r, c in columns.items() if c == twice[0]]
        raise SnapshotError(f"{path}: column {twice[0]!r} is given for both "
                            f"{' and '.join(roles)} — one column holds one thing")
    return _Mapping(columns, constant)


def _for_file(plan: _Mapping, path: Path, header: list[str]) -> dict[str, str]:
    """The plan's columns in another file of a directory (matched by name again)."""
    out = {}
    for role, col in plan.columns.items():
        found = _find(header, col)
        if found is None:
            raise SnapshotError(
                f"{path}: no column {col!r} ({ROLES[role]} {col}), which the directory's first "
                f"file has — the file's columns are: {_columns_text(header)}")
        out[role] = found
    return out


# --- raw tables --------------------------------------------------------------------------------


class _JsonRows(RawTable):
    """JSON records as a table: each row knows its line (read lazily for JSON lines) and its
    JSON path; a rejected row's text is its JSON, read again from the file."""

    def __init__(self, path: Path, table: pa.Table, header: list[str],
                 malformed: list[tuple[int, str, str]], *, lines: np.ndarray | None = None,
                 where: list[str] | None = None) -> None:
        super().__init__(path, "jsonl", table, header, sorted(malformed))
        self._rows_lines = lines
        self._where = where

    def where(self, row: int) -> str:
        return "$" if self._where is None else self._where[row]

    def lines(self, rows: np.ndarray) -> np.ndarray:
        if self._rows_lines is None:
            return super().lines(rows)
        return self._rows_lines[np.asarray(rows, dtype=np.int64)]

    def rows_on_line(self, line: int) -> np.ndarray:
        """The rows whose records start on ``line`` (several for an array on one line)."""
        all_lines = self.lines(np.arange(self.table.num_rows))
        return np.arange(np.searchsorted(all_lines, line), np.searchsorted(all_lines, line,
                                                                          side="right"))

    def record_text(self, rows: np.ndarray) -> list[str]:
        rows = np.asarray(rows, dtype=np.int64)
        lines = self.lines(rows)
        return record_texts(self.path, [(int(line), self.where(int(r)))
                                        for line, r in zip(lines, rows, strict=True)])

    def records(self) -> Records:
        return Records(str(self.path), self.lines, self.record_text, header=(),
                       malformed=self.malformed, malformed_fix=_FIX_SCALAR)


class _Part(RawTable):
    """Some rows of a file (its follows, or its interactions): lines and texts are the file's."""

    def __init__(self, parent: RawTable, rows: np.ndarray,
                 malformed: list[tuple[int, str, str]]) -> None:
        super().__init__(parent.path, parent.kind, parent.table.take(pa.array(rows)),
                         parent.header, malformed, parent.skip_lines, parent.delimiter)
        self.parent = parent
        self.rows = rows

    def lines(self, rows: np.ndarray) -> np.ndarray:
        return self.parent.lines(self.rows[np.asarray(rows, dtype=np.int64)])

    def record_text(self, rows: np.ndarray):
        return self.parent.record_text(self.rows[np.asarray(rows, dtype=np.int64)])

    def records(self) -> Records:
        base = self.parent.records()
        return Records(base.path, self.lines if base.lines is not None else None,
                       self.record_text, header=base.header, malformed=self.malformed,
                       malformed_fix=base.malformed_fix)


def _scalar(value: Any, *, topics: bool) -> str | None:
    """A JSON value as the text of a cell (``None`` for null); raises TypeError if nested."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if topics and isinstance(value, list) and all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
        return ";".join(str(v) for v in value)
    raise TypeError(describe(value))


def _json_path(where: str, key: str) -> str:
    step = f".{key}" if key.isidentifier() else f"[{json.dumps(key)}]"
    if where == "$":
        return f"${step}"
    return f"${'' if where.startswith('[') else '.'}{where}{step}"


def _read_json_slow(path: Path, plan_for) -> tuple[RawTable, list[str], dict[str, str]]:
    """JSON documents, arrays per line, mixed or nested values: record by record."""
    records: list[dict] = []
    lines: list[int] = []
    where: list[str] = []
    malformed: list[tuple[int, str, str]] = []
    keys: dict[str, None] = {}
    with no_gc():
        for line, at, value in iter_json_records(path):
            if isinstance(value, BadJson):
                malformed.append((line, value.text[:RECORD_CHARS], f"{at}: {value.problem}"))
            elif not isinstance(value, dict):
                malformed.append((line, f"{at}: {dump(value)}"[:RECORD_CHARS],
                                  f"{at}: {describe(value)} — a record must be a JSON object"))
            else:
                records.append(value)
                lines.append(line)
                where.append(at)
                keys.update(dict.fromkeys(value))
    header = list(keys)
    columns = plan_for(header)
    good = np.ones(len(records), dtype=bool)
    values: dict[str, list] = {role: [None] * len(records) for role in columns}
    for role, col in columns.items():
        out = values[role]
        topics = role == "topics"
        for i, record in enumerate(records):
            try:
                out[i] = _scalar(record.get(col), topics=topics)
            except TypeError as exc:
                if good[i]:
                    good[i] = False
                    malformed.append((lines[i], f"{where[i]}: {dump(record)}"[:RECORD_CHARS],
                                      f"{_json_path(where[i], col)} holds {exc}, not a string "
                                      "or number"))
    keep = np.flatnonzero(good)
    table = pa.table({columns[role]: pa.array([values[role][i] for i in keep], pa.string())
                      for role in columns})
    raw = _JsonRows(path, table, header, malformed,
                    lines=np.asarray(lines, dtype=np.int64)[keep],
                    where=[where[i] for i in keep])
    return raw, header, columns


def _first_line_record(path: Path) -> dict | None:
    """The first line's object when the file looks like JSON lines (else ``None``)."""
    with open_text(path) as fh:
        for line in fh:
            if line.strip():
                try:
                    value = json.loads(line)
                except ValueError:
                    return None
                return value if isinstance(value, dict) else None
    return None


#: Arrow types of the JSON scalars of a first record (for the fast path's explicit schema).
_JSON_TYPES = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}


def _read_json(path: Path, plan_for) -> tuple[RawTable, list[str], dict[str, str]]:
    """JSON lines through Arrow's reader when every mapped value is flat, else the records.

    Fastest: the mapped keys only, typed as in the first line (the other keys are skipped
    while parsing). Then every key with Arrow's type inference (nested keys dropped). Else,
    or when a mapped value is nested or an id is a float, record by record (``sniff``)."""
    first = _first_line_record(path)
    if first is None:
        return _read_json_slow(path, plan_for)
    header = list(first)
    try:
        columns = plan_for(header)
    except SnapshotError:  # a mapped key missing from the first line: look at every line
        columns = None
    if columns is not None:
        types = {c: _JSON_TYPES.get(type(first[c])) for c in dict.fromkeys(columns.values())}
        ids_ok = not any(types[columns[r]] == pa.float64() for r in _ID_ROLES if r in columns)
        if ids_ok and None not in types.values():
            try:
                fast = read_json_lines(path, schema=pa.schema(types), find_bad_line=False)
            except SnapshotError:
                fast = None
            if fast is not None:
                return _JsonRows(path, fast.table, header, []), header, columns
    try:
        fast = read_json_lines(path, nested="drop", find_bad_line=False)
    except SnapshotError:  # a bad line, numbers and strings in one key, arrays as records
        return _read_json_slow(path, plan_for)
    columns = plan_for(fast.header)
    have = fast.table.column_names
    flat = all(c in have for c in columns.values()) and not any(
        pa.types.is_floating(fast.read_types[columns[r]]) for r in _ID_ROLES if r in columns)
    if not flat:
        return _read_json_slow(path, plan_for)
    table = fast.table.select(list(dict.fromkeys(columns.values())))
    return _JsonRows(path, table, fast.header, []), fast.header, columns


def _read_file(path: Path, plan_for) -> tuple[RawTable, list[str], dict[str, str]]:
    """One file's mapped columns (named as in the file), its header, and the mapping."""
    kind = _input_kind(path)
    if kind == "json":
        return _read_json(path, plan_for)
    if kind == "parquet":
        try:
            header = list(pq.read_schema(path).names)
        except (pa.ArrowInvalid, OSError) as exc:
            raise SnapshotError(f"{path}: cannot be read as Parquet: {exc}") from exc
        columns = plan_for(header)
        try:
            table = pq.read_table(path, columns=list(dict.fromkeys(columns.values())))
        except (pa.ArrowInvalid, OSError) as exc:
            raise SnapshotError(f"{path}: cannot be read as Parquet: {exc}") from exc
        return RawTable(path, "parquet", table, header), header, columns
    first = ""
    with open_text(path) as fh:
        for line in fh:
            if line.strip():
                first = line
                break
    if not first:
        raise SnapshotError(f"{path}: the file is empty — a table needs a header row")
    name = base_name(path)
    preferred = "\t" if name.endswith(".tsv") else "," if name.endswith(".csv") else None
    delimiter = sniff_delimiter(first, preferred)
    _, header = delimited_header(path, delimiter)
    columns = plan_for(header)
    raw = read_delimited(path, delimiter=delimiter,
                         include_columns=list(dict.fromkeys(columns.values())))
    return raw, header, columns


def _renamed(raw: RawTable, columns: dict[str, str]) -> RawTable:
    """``raw`` with its mapped columns named as the snapshot's, and unmapped columns whose
    names the snapshot tables read hidden (``ts (not mapped)``)."""
    to_role = {col: role for role, col in columns.items()}
    raw.header = [to_role.get(h, f"{h} (not mapped)" if h in _RESERVED else h)
                  for h in raw.header]
    raw.table = raw.table.rename_columns([to_role[c] for c in raw.table.column_names])
    return raw


def _with_type(raw: RawTable, kind: str) -> RawTable:
    raw.table = raw.table.append_column(
        "type", pa.repeat(pa.scalar(kind, pa.string()), raw.table.num_rows))
    raw.header = [*raw.header, "type"]
    return raw


# --- errors ----------------------------------------------------------------------------------


@dataclass
class _FileInfo:
    raw: RawTable
    columns: dict[str, str]
    part: _Part | None = None


def _explained(exc: InputError, info: _FileInfo) -> InputError:
    """``exc`` naming the input column, and for JSON the value's line, column and path."""
    role = exc.column_name
    col = info.columns.get(role) if role else None
    problem, fix, line, column, row = exc.problem, exc.fix, exc.line, exc.column, exc.row
    if role == "type" and col is not None:
        fix = fix.replace("--type NAME", f"--type {col} --type NAME")
    if info.part is not None and row is not None and line is None:  # Parquet: the file's row
        row = int(info.part.rows[row])
    raw = info.raw
    if col is None:
        return InputError(exc.path, line, column, problem, fix, column_name=role, row=row)
    if isinstance(raw, _JsonRows) and line is not None:
        rows = raw.rows_on_line(line)
        if len(rows) == 1:  # (a line holding several records: which one is not known here)
            at = _json_path(raw.where(int(rows[0])), col)
            found = _value_position(raw.path, line, col)
            if found is not None:
                line, column = found
        else:
            at = col
        return InputError(exc.path, line, column, f"{at}: {problem}", fix,
                          column_name=role, row=row)
    if col != role:
        problem = f"{problem} (column {col!r})"
    return InputError(exc.path, line, column, problem, fix, column_name=role, row=row)


_DECODER = json.JSONDecoder()
_WS = re.compile(r"\s*")
_MAX_RECORD_LINES = 100_000


def _value_position(path: Path, line: int, key: str) -> tuple[int, int] | None:
    """Line and 1-based column of the value of ``key`` in the JSON object starting on
    ``line`` (where the object starts when it has no such key); error path only."""
    with open_text(path) as fh:
        text = next(islice(fh, line - 1, None), None)
        if text is None:
            return None
        start = text.find("{")
        if start < 0:
            return None
        for _ in range(_MAX_RECORD_LINES):
            try:
                pos = _key_offset(text, start, key)
                break
            except ValueError:  # the record goes on over the next lines
                more = fh.readline()
                if not more:
                    return None
                text += more
        else:
            return None
    offset = start if pos is None else pos
    before = text.rfind("\n", 0, offset)
    return line + text.count("\n", 0, offset), offset - before


def _key_offset(text: str, pos: int, key: str) -> int | None:
    """Offset of the value of ``key`` in the object at ``text[pos]`` (``None``: no such key)."""
    ws = _WS
    pos = ws.match(text, pos + 1).end()
    while not text.startswith("}", pos):
        name, pos = _DECODER.raw_decode(text, pos)
        pos = ws.match(text, pos).end()
        if not text.startswith(":", pos):
            raise ValueError("expected ':'")
        pos = ws.match(text, pos + 1).end()
        if name == key:
            return pos
        _, pos = _DECODER.raw_decode(text, pos)
        pos = ws.match(text, pos).end()
        if text.startswith(",", pos):
            pos = ws.match(text, pos + 1).end()
        elif not text.startswith("}", pos):
            raise ValueError("expected ',' or '}'")
    return None


# --- reading ---------------------------------------------------------------------------------


def read_table(
    path: Path,
    *,
    column_map: Mapping[str, str],
    edge_kind: str | None = None,
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    ts_unit: str = "s",
) -> Snapshot:
    """Read a table of edges whose columns are chosen by name.

    Parameters
    ----------
    path : Path
        A ``.csv``, ``.tsv``, ``.txt``, ``.jsonl``/``.ndjson``, ``.json`` or ``.parquet`` file
        (text ones optionally ``.gz`` or ``.zst``; without a known suffix, recognised by its
        content), or a directory of them (one table, in name order).
    column_map : mapping of str to str
        Snapshot column -> the input column holding it: ``src`` (the actor, or the follower),
        ``dst`` (the user acted upon, or followed), ``ts``, ``weight``, ``topics``, ``post_id``,
        and ``type`` (the column of each row's type, like ``edge_kind`` naming a column).
        Without ``src``/``dst``, columns named ``src/source/from/...`` and
        ``dst/target/to/...`` are used; with an empty map, ``ts``, ``weight``, ``topics`` and
        ``post_id`` are recognised by name too.
    edge_kind : str, optional
        ``"follow"`` (default), an interaction type for every row (``"reply"``, or a type of
        your own, which is then allowed), or the name of the column holding each row's type
        (rows typed ``follow``/``follows`` become follows). A known type name (follow, retweet,
        quote, reply, mention, like) is always a type, never a column's name.
    on_error : {"fail", "skip"}, optional
        ``"fail"``: stop at the first bad record; ``"skip"``: reject it and load the rest.
    interaction_types : iterable of str, optional
        Extra types a type column may hold (besides retweet, quote, reply, mention, like).
    ts_unit : {"s", "ms", "us"}, optional
        The unit of epoch numbers in the ``ts`` column (default seconds).

    Returns
    -------
    Snapshot
        ``follows`` and/or ``interactions``; ``reports[table].ignored_columns`` lists the input
        columns that were not used.

    Raises
    ------
    SnapshotError
        A mapped column is missing from a file (the message lists the file's columns), the
        source and target columns cannot be told, or a file cannot be read.
    InputError
        ``on_error="fail"`` and a record is bad: ``FILE:LINE:COLUMN`` naming the input column
        (for JSON, the bad value's line and column and its JSON path).

    Examples
    --------
    >>> from pathlib import Path
    >>> _ = Path("comments.csv").write_text(
    ...     "id,author,parent_author,created_utc,subreddit,score\\n"
    ...     "c1,ann,bob,1700000000,python,3\\n"
    ...     "c2,bob,ann,1700000060,rust,1\\n")
    >>> snap = read_table(Path("comments.csv"), edge_kind="reply", column_map={
    ...     "src": "author", "dst": "parent_author", "ts": "created_utc", "topics": "subreddit"})
    >>> snap.tables["interactions"].select(["src", "dst", "type", "topics"]).to_pylist()[0]
    {'src': 'ann', 'dst': 'bob', 'type': 'reply', 'topics': 'python'}
    >>> snap.reports["interactions"].ignored_columns
    ['id', 'score']
    """
    path = Path(path)
    files = _table_files(path)
    reader = _TableReader(column_map, edge_kind, interaction_types)
    builder = None
    ignored: dict[str, set[str]] = {"follows": set(), "interactions": set()}
    part_rows: dict[tuple[str, str], np.ndarray] = {}
    # Hash the files on a second thread while they are parsed and validated (hashlib releases
    # the GIL), as the snapshot directory format does.
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashed = pool.submit(fingerprint_files, files)
        for file in files:
            raw, header, columns = _read_file(file, reader.resolver(file))
            plan = reader.plan
            if builder is None:
                builder = SnapshotBuilder(str(path), "table", on_error=on_error,
                                          interaction_types=reader.allowed_types(),
                                          ts_unit=ts_unit)
            used = set(columns.values())
            unmapped = {h for h in header if h not in used}
            raw = _renamed(raw, columns)
            errors = []
            for table, part in _split(raw, plan):
                ignored[table] |= unmapped
                if table == "follows":  # what a follow has no place for
                    ignored[table] |= {c for r, c in columns.items()
                                       if r not in (*_FOLLOW_ROLES, "type")}
                info = _FileInfo(raw, columns, part if isinstance(part, _Part) else None)
                if info.part is not None and not raw.has_lines:
                    part_rows[(table, str(raw.path))] = info.part.rows
                try:
                    builder.add(table, part)
                except InputError as exc:  # a file's follows and interactions: the earliest
                    errors.append(_explained(exc, info))
            if errors:
                raise min(errors, key=lambda e: e.line if e.line is not None else e.row or 0)
            del raw
        snap = builder.build(_fingerprint(hashed.result(), reader.plan, ts_unit))
    for table, names in ignored.items():
        if snap.reports[table].files:
            snap.reports[table].ignored_columns = sorted(names)
    if part_rows and snap.rejects.num_rows:
        snap.rejects = _parquet_rows(snap.rejects, part_rows)
    return snap


class _TableReader:
    """The mapping, resolved on the first file's header and applied to the others."""

    def __init__(self, column_map: Mapping[str, str], edge_kind: str | None,
                 interaction_types: Iterable[str]) -> None:
        self.column_map = dict(column_map)
        self.kind = (edge_kind or "").strip()
        self.extra_types = {t.strip().lower() for t in interaction_types}
        self._plan: _Mapping | None = None

    @property
    def plan(self) -> _Mapping:
        if self._plan is None:  # (reading a file resolves it first)
            raise RuntimeError("no file was read yet")
        return self._plan

    def resolver(self, file: Path):
        """``header -> {role: column}`` for ``file``."""
        def resolve(header: list[str]) -> dict[str, str]:
            if self._plan is None:
                self._plan = _plan(file, header, self.column_map, self.kind or None)
                return dict(self._plan.columns)
            return _for_file(self._plan, file, header)
        return resolve

    def allowed_types(self) -> list[str]:
        """The extra interaction types: the ones given, less a type column's own name (the
        CLI passes it among them), plus a type given to every row."""
        allowed = set(self.extra_types)
        plan = self.plan
        if plan.type_column is not None:
            allowed.discard(plan.type_column.lower())
            allowed.discard(self.kind.lower())
        if plan.constant_type and plan.constant_type not in _FOLLOW:
            allowed.add(plan.constant_type)
        return sorted(allowed)


def _split(raw: RawTable, plan: _Mapping) -> list[tuple[str, RawTable]]:
    """The file's follows and interactions (a type column may hold both)."""
    if plan.type_column is None:
        if plan.constant_type in _FOLLOW:
            return [("follows", raw)]
        return [("interactions", _with_type(raw, plan.constant_type or "follow"))]
    types = raw.table.column("type")
    norm = pc.utf8_lower(pc.utf8_trim_whitespace(types.fill_null("")))
    follow = np.asarray(pc.is_in(norm, value_set=pa.array(_FOLLOW)).to_numpy(
        zero_copy_only=False), dtype=bool)
    if not follow.any():
        return [("interactions", raw)]
    rows_f = np.flatnonzero(follow)
    rows_i = np.flatnonzero(~follow)
    parts: list[tuple[str, RawTable]] = [("follows", _Part(raw, rows_f, []))]
    if len(rows_i) or raw.malformed:
        parts.append(("interactions", _Part(raw, rows_i, list(raw.malformed))))
    return parts


def _parquet_rows(rejects: pa.Table, part_rows: dict[tuple[str, str], np.ndarray]) -> pa.Table:
    """Rejects of split Parquet files named by the file's row, not the part's."""
    line = rejects.column("line").to_numpy(zero_copy_only=False).copy()
    tables = rejects.column("table").to_pylist()
    files = rejects.column("file").to_pylist()
    for k, (table, file) in enumerate(zip(tables, files, strict=True)):
        rows = part_rows.get((table, file))
        if rows is not None:
            line[k] = rows[line[k]]
    return rejects.set_column(rejects.schema.get_field_index("line"), "line",
                              pa.array(line, pa.int64()))


def _fingerprint(files_hash: str, plan: _Mapping, ts_unit: str) -> str:
    """The files' fingerprint and how they were read (another mapping is another snapshot)."""
    how = json.dumps({"columns": plan.columns, "type": plan.constant_type, "ts_unit": ts_unit},
                     sort_keys=True)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(files_hash.encode())
    digest.update(how.encode())
    return digest.hexdigest()


def _read(path: Path, options: ReadOptions) -> Snapshot:
    return read_table(path, column_map=options.column_map, edge_kind=options.edge_type,
                      on_error=options.on_error, interaction_types=options.interaction_types,
                      ts_unit=options.ts_unit)


#: ``--format table`` (never auto-detected: named, or implied by the column flags).
IMPORTER = Importer(
    name="table",
    summary="any table of edges, columns chosen by name (--src --dst --ts --type ...): CSV, "
            "TSV, JSON lines, JSON arrays, Parquet, compressed too",
    read=_read,
    options=frozenset({"column_map", "edge_type", "ts_unit"}),
)
