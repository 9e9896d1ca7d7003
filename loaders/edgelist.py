"""Plain edge lists: ``src dst [weight]`` per line, the kind of edge given by an option.

Whitespace-, tab- or comma-separated (sniffed from the first data line); leading lines that start
with ``#`` or ``%`` are comments. Optionally gzipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa

from graph_influence.errors import SnapshotError
from graph_influence.loaders.files import RawTable, _open_text, read_delimited
from graph_influence.loaders.snapshot import Snapshot, SnapshotBuilder

__all__ = ["read_edgelist"]

_COMMENT = ("#", "%")


def _sniff(path: Path) -> tuple[str, int, int]:
    """Delimiter, number of leading comment/blank lines, and fields in the first data line."""
    skip = 0
    with _open_text(path) as fh:
        for line in fh:
            stripped = line.strip()
            if not stripped or stripped.startswith(_COMMENT):
                skip += 1
                continue
            for delimiter in ("\t", ",", " "):
                if delimiter in stripped:
                    return delimiter, skip, len(stripped.split(delimiter))
            return " ", skip, 1
    return " ", skip, 0


def read_edgelist(
    path: Path,
    *,
    edge_kind: str = "follow",
    columns: Sequence[str] | None = None,
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
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
        Names of the columns in order, from ``src``, ``dst``, ``weight``, ``ts``. Default
        ``src dst`` or ``src dst weight`` by the number of fields in the first line.
    on_error : {"fail", "skip"}, optional
        What to do with a bad record.
    interaction_types : iterable of str, optional
        Extra interaction types to allow.

    Returns
    -------
    Snapshot
    """
    if not path.is_file():
        raise SnapshotError(f"{path}: no such file")
    delimiter, skip, n_fields = _sniff(path)
    if n_fields == 0:
        raise SnapshotError(f"{path}: the edge list has no edges")
    if columns is None:
        columns = ["src", "dst", "weight"][: max(2, min(n_fields, 3))]
    columns = list(columns)
    unknown = sorted(set(columns) - {"src", "dst", "weight", "ts"})
    if unknown or "src" not in columns or "dst" not in columns:
        raise SnapshotError(
            f"edge list columns must include src and dst and may add weight and ts, "
            f"not {', '.join(columns)}"
        )
    raw = read_delimited(path, column_names=columns, delimiter=delimiter, skip_lines=skip)
    kind = edge_kind.strip().lower()
    builder = SnapshotBuilder(str(path), "edgelist", on_error=on_error,
                              interaction_types=interaction_types)
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
