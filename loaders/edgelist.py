"""Plain edge lists: ``src dst [weight]`` per line, the kind of edge given by an option.

Whitespace-, tab- or comma-separated (sniffed from the first data line); lines that start with
``#`` or ``%`` are comments wherever they are, and spaces or tabs at the end of a line are not a
field. Optionally gzipped. A first line whose every field is a known
column name (``src,dst``, ``source target weight``, ``from,to,timestamp``, ... see
:data:`HEADER_NAMES`) is a header: its names say which column is which, and it is not read as an
edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa

from graph_influence.errors import SnapshotError
from graph_influence.loaders.files import (
    READ_ERRORS,
    RawTable,
    _open_text,
    read_delimited,
    read_error,
)
from graph_influence.loaders.registry import Importer, ReadOptions
from graph_influence.loaders.snapshot import Snapshot, SnapshotBuilder

__all__ = ["read_edgelist"]

_COMMENT = ("#", "%")

#: Header names an edge list may use (case-insensitive), and the column each one means.
HEADER_NAMES: dict[str, str] = {
    **dict.fromkeys(("src", "source", "from", "follower", "u", "node1", "actor"), "src"),
    **dict.fromkeys(("dst", "target", "to", "followed", "v", "node2"), "dst"),
    **dict.fromkeys(("weight", "w", "count", "value"), "weight"),
    **dict.fromkeys(("ts", "time", "timestamp", "created_at", "date"), "ts"),
}


def _sniff(path: Path) -> tuple[str, int, list[str]]:
    """Delimiter, number of leading comment/blank lines, and the fields of the first data line."""
    skip = 0
    with _open_text(path) as fh:
        for line in fh:
            stripped = line.strip()
            if not stripped or stripped.startswith(_COMMENT):
                skip += 1
                continue
            for delimiter in ("\t", ",", " "):
                if delimiter in stripped:
                    return delimiter, skip, [f.strip() for f in stripped.split(delimiter)]
            return " ", skip, [stripped]
    return " ", skip, []


def _header_columns(fields: list[str]) -> list[str] | None:
    """The columns a header line names (``None`` if ``fields`` is not a header)."""
    names = [HEADER_NAMES.get(f.lower()) for f in fields]
    if len(fields) < 2 or None in names or len(set(names)) < len(names):
        return None
    return names


def read_edgelist(
    path: Path,
    *,
    edge_kind: str = "follow",
    columns: Sequence[str] | None = None,
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    ts_unit: str = "s",
) -> Snapshot:
    """Read a plain edge list.

    Parameters
    ----------
    path : Path
        The file (``.txt``, ``.tsv``, ``.edgelist``, ... optionally ``.gz``).
    edge_kind : str, optional
        ``"follow"`` (default: ``src`` follows ``dst``) or an interaction type such as
        ``"retweet"`` (``src`` acted on ``dst``).
    columns : sequence of str, optional
        Names of the columns in order, from ``src``, ``dst``, ``weight``, ``ts``. Default: the
        names of a header line (see :data:`HEADER_NAMES`), else ``src dst`` or
        ``src dst weight`` by the number of fields in the first line.
    on_error : {"fail", "skip"}, optional
        What to do with a bad record.
    interaction_types : iterable of str, optional
        Extra interaction types to allow.
    ts_unit : {"s", "ms", "us"}, optional
        The unit of epoch numbers in a ``ts`` column (default seconds).

    Returns
    -------
    Snapshot
    """
    if not path.is_file():
        raise SnapshotError(f"{path}: no such file")
    try:
        delimiter, skip, first = _sniff(path)
    except READ_ERRORS as exc:  # not UTF-8, a corrupt .gz
        raise read_error(path, exc) from exc
    if not first:
        raise SnapshotError(f"{path}: the edge list has no edges")
    header = _header_columns(first)
    if header is not None:
        skip += 1  # the header line is not an edge
        columns = columns or header
    if columns is None:
        columns = ["src", "dst", "weight"][: max(2, min(len(first), 3))]
    columns = list(columns)
    unknown = sorted(set(columns) - {"src", "dst", "weight", "ts"})
    if unknown or "src" not in columns or "dst" not in columns:
        raise SnapshotError(
            f"edge list columns must include src and dst and may add weight and ts, "
            f"not {', '.join(columns)}"
        )
    raw = read_delimited(path, column_names=columns, delimiter=delimiter, skip_lines=skip,
                         snap_text=True)
    kind = edge_kind.strip().lower()
    builder = SnapshotBuilder(str(path), "edgelist", on_error=on_error,
                              interaction_types=interaction_types, ts_unit=ts_unit)
    if kind in ("follow", "follows"):
        builder.add("follows", raw)
    else:
        builder.add("interactions", raw, transform=lambda r: _with_type(r, kind))
    return builder.build()


def _with_type(raw: RawTable, kind: str) -> RawTable:
    column = pa.repeat(pa.scalar(kind, pa.string()), raw.table.num_rows)
    raw.table = raw.table.append_column("type", column)
    raw.header = [*raw.header, "type"]
    return raw


def _read(path: Path, options: ReadOptions) -> Snapshot:
    return read_edgelist(path, edge_kind=options.edge_type or "follow",
                         columns=options.columns, on_error=options.on_error,
                         interaction_types=options.interaction_types, ts_unit=options.ts_unit)


#: ``--format edgelist`` (what auto-detection falls back to for a text file).
IMPORTER = Importer(
    name="edgelist",
    summary="edge list: src dst [weight] [ts] per line, whitespace-, tab- or comma-separated, "
            "optional header row",
    read=_read,
    options=frozenset({"ts_unit", "columns", "edge_type"}),
)
