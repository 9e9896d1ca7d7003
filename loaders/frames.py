"""DataFrames and Arrow tables already in memory, as a snapshot (``gi.load_frames``).

Each frame is one snapshot table (``users``, ``follows``, ``interactions``, ``posts``) with the
columns of ``graph_influence.schema.TABLES``; it goes through the same checks as a file, so a
bad value is named ``<interactions frame>:row N:COLUMN`` (rows counted from 0, like Parquet).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph_influence.errors import SnapshotError
from graph_influence.loaders.files import RawTable
from graph_influence.loaders.snapshot import Snapshot, SnapshotBuilder
from graph_influence.schema import TABLE_ORDER

__all__ = ["read_frames"]


def _as_arrow(name: str, frame: Any) -> pa.Table:
    """A pandas DataFrame, an Arrow table or anything with ``__arrow_c_stream__`` as Arrow."""
    if isinstance(frame, pa.Table):
        return frame
    if hasattr(frame, "to_arrow") and not hasattr(frame, "iloc"):  # polars, DuckDB relations
        frame = frame.to_arrow()
        if isinstance(frame, pa.Table):
            return frame
    try:
        import pandas as pd

        if isinstance(frame, pd.DataFrame):
            return pa.Table.from_pandas(frame, preserve_index=False)
    except ImportError:  # pragma: no cover - pandas is a core dependency
        pass
    if hasattr(frame, "__arrow_c_stream__"):
        return pa.table(frame)
    raise SnapshotError(
        f"{name}= must be a pandas DataFrame or an Arrow table, not {type(frame).__name__}")


def _fingerprint(tables: dict[str, pa.Table]) -> str:
    """BLAKE2 of the tables' names and Arrow IPC bytes: the same frames, the same snapshot."""
    digest = hashlib.blake2b(digest_size=16)
    for name, table in tables.items():
        digest.update(name.encode())
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        digest.update(sink.getvalue())
    return digest.hexdigest()


def read_frames(
    *,
    users: Any = None,
    follows: Any = None,
    interactions: Any = None,
    posts: Any = None,
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    ts_unit: str = "s",
    source: str = "frames",
) -> Snapshot:
    """Validate in-memory tables as a snapshot.

    Parameters
    ----------
    users, follows, interactions, posts : pandas.DataFrame or pyarrow.Table, optional
        The snapshot's tables, with the columns of ``graph_influence.schema.TABLES``
        (e.g. ``src``, ``dst``, ``type``, ``ts`` for interactions). At least one is needed.
    on_error : {"fail", "skip"}, optional
        ``"fail"`` (default): raise on the first bad row. ``"skip"``: keep the good rows and
        return the bad ones in ``Snapshot.rejects``.
    interaction_types : iterable of str, optional
        Interaction types to allow besides the defaults.
    ts_unit : {"s", "ms", "us"}, optional
        The unit of epoch numbers in timestamp columns (default seconds).
    source : str, optional
        What the load ledger calls the input (default ``"frames"``).

    Returns
    -------
    Snapshot

    Raises
    ------
    SnapshotError
        If no table is given or one is not a table.
    InputError
        On the first bad row with ``on_error="fail"``.

    Examples
    --------
    >>> import pandas as pd
    >>> snap = read_frames(interactions=pd.DataFrame(
    ...     {"src": ["a", "b"], "dst": ["b", "c"], "type": ["retweet", "Like"]}))
    >>> snap.tables["interactions"]["type"].to_pylist(), snap.format
    (['retweet', 'like'], 'frames')
    """
    given = {"users": users, "follows": follows, "interactions": interactions, "posts": posts}
    tables = {name: _as_arrow(name, frame) for name, frame in given.items()
              if frame is not None}
    if not tables:
        raise SnapshotError("give at least one of users=, follows=, interactions=, posts=")
    builder = SnapshotBuilder(source, "frames", on_error=on_error,
                              interaction_types=interaction_types, ts_unit=ts_unit)
    for name in TABLE_ORDER:
        if name in tables:
            table = tables[name]
            builder.add(name, RawTable(Path(f"<{name} frame>"), "frame", table,
                                       list(table.column_names)))
    return builder.build(_fingerprint(tables))
