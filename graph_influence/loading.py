"""Load a snapshot into a store: read and validate with a loader, then merge atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from graph_influence.loaders import read_snapshot
from graph_influence.progress import Stages
from graph_influence.stores import LoadSummary, Store

__all__ = ["load_snapshot"]


def load_snapshot(
    store: Store,
    snapshot: str | Path,
    *,
    format: str = "auto",
    on_error: str = "fail",
    rejects: str | Path | None = None,
    interaction_types: Sequence[str] = (),
    edge_kind: str = "follow",
    columns: Sequence[str] | None = None,
    ts_unit: str = "s",
    progress: bool | None = None,
) -> tuple[LoadSummary, Path | None]:
    """Read, validate and load a snapshot into ``store``.

    Parameters
    ----------
    store : Store
        From :func:`graph_influence.open_store`.
    snapshot : str or Path
        Snapshot directory, Higgs directory/file or edge list.
    format, on_error, interaction_types, edge_kind, columns, ts_unit
        As in :func:`graph_influence.loaders.read_snapshot`.
    rejects : str or Path, optional
        Where ``on_error="skip"`` writes rejected records (CSV). Default:
        ``graph-influence-rejects-<load id>.csv`` in the working directory. Nothing is written
        when no record was rejected.
    progress : bool, optional
        Show progress on stderr (default: when stderr is a terminal).

    Returns
    -------
    (LoadSummary, Path or None)
        What was loaded, and the rejects file if one was written.

    Raises
    ------
    InputError
        On the first bad record with ``on_error="fail"``; the store is left unchanged.
    """
    with Stages("load", enabled=progress) as stage:
        stage("read + validate")
        snap = read_snapshot(
            snapshot, format=format, on_error=on_error, interaction_types=interaction_types,
            edge_kind=edge_kind, columns=columns, ts_unit=ts_unit,
        )
        pa.default_memory_pool().release_unused()  # what parsing and validation freed
        summary = store.write_snapshot(snap, stage=stage, consume=True)
        pa.default_memory_pool().release_unused()  # the merged tables
        rejects_path = None
        if snap.n_rejected:
            stage("write rejects")
            rejects_path = Path(rejects or f"graph-influence-rejects-{summary.load_id}.csv")
            pacsv.write_csv(snap.rejects, rejects_path)
    summary.timings = dict(stage.timings)
    return summary, rejects_path
