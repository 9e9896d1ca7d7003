"""Load a snapshot into a store: read and validate with a loader, then merge atomically."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from graph_influence.errors import StoreError
from graph_influence.loaders import read_snapshot
from graph_influence.loaders.snapshot import Snapshot, fingerprint_read
from graph_influence.progress import Stages
from graph_influence.stores import LoadSummary, Store
from graph_influence.stores.common import BULK_MODES

__all__ = ["load_frames", "load_snapshot", "read_input"]


def read_input(
    snapshot: str | Path,
    *,
    format: str = "auto",
    on_error: str = "fail",
    interaction_types: Sequence[str] = (),
    edge_kind: str | None = None,
    columns: Sequence[str] | None = None,
    ts_unit: str = "s",
    column_map: Mapping[str, str] | None = None,
    exclude_users: Sequence[str] | None = None,
) -> Snapshot:
    """Read and validate a snapshot as :func:`load_snapshot` loads it.

    Its ``fingerprint`` covers the files and how they were read: the format and every read
    option that changes the rows (``on_error``, ``interaction_types``, ``edge_kind``,
    ``columns``, ``ts_unit``, ``column_map``, ``exclude_users``), so the same files read with
    other options are another snapshot (never "loaded before"). Options are normalised first
    (type names case-folded and sorted, ``edge_kind="follow"`` as the default), so spellings
    of the same reading agree.

    Parameters
    ----------
    snapshot, format, on_error, interaction_types, edge_kind, columns, ts_unit, column_map, \
exclude_users
        As in :func:`graph_influence.loaders.read_snapshot`.

    Returns
    -------
    Snapshot
    """
    snap = read_snapshot(
        snapshot, format=format, on_error=on_error, interaction_types=interaction_types,
        edge_kind=edge_kind, columns=columns, ts_unit=ts_unit, column_map=column_map,
        exclude_users=exclude_users,
    )
    snap.fingerprint = fingerprint_read(snap.fingerprint, {
        "format": snap.format,
        "on_error": on_error,
        "interaction_types": sorted({t.strip().lower() for t in interaction_types}),
        "edge_kind": None if edge_kind in (None, "follow") else edge_kind,
        "columns": list(columns) if columns else None,
        "ts_unit": ts_unit,
        "column_map": dict(sorted((column_map or {}).items())),
        "exclude_users": None if exclude_users is None else sorted(set(exclude_users)),
    })
    return snap


def load_snapshot(
    store: Store,
    snapshot: str | Path,
    *,
    format: str = "auto",
    on_error: str = "fail",
    rejects: str | Path | None = None,
    interaction_types: Sequence[str] = (),
    edge_kind: str | None = None,
    columns: Sequence[str] | None = None,
    ts_unit: str = "s",
    column_map: Mapping[str, str] | None = None,
    exclude_users: Sequence[str] | None = None,
    progress: bool | None = None,
    bulk: str | None = None,
) -> tuple[LoadSummary, Path | None]:
    """Read, validate and load a snapshot into ``store``.

    Parameters
    ----------
    store : Store
        From :func:`graph_influence.open_store`.
    snapshot : str or Path
        What :func:`graph_influence.loaders.read_snapshot` reads: a snapshot directory, social
        media JSON, a graph file, a table or an edge list.
    format, on_error, interaction_types, edge_kind, columns, ts_unit, column_map, exclude_users
        As in :func:`graph_influence.loaders.read_snapshot`. The load's fingerprint covers
        them (:func:`read_input`).
    rejects : str or Path, optional
        Where ``on_error="skip"`` writes rejected records (CSV). Default:
        ``graph-influence-rejects-<load id>.csv`` in the working directory. Nothing is written
        when no record was rejected.
    progress : bool, optional
        Show progress on stderr (default: when stderr is a terminal).
    bulk : {"auto", "always", "never"}, optional
        A Neo4j store's write path (:class:`~graph_influence.stores.neo4j_store.Neo4jStore`;
        by default the store's own ``bulk``): ``auto`` imports a large first snapshot into an
        empty database of a server this machine controls offline with neo4j-admin,
        ``always`` insists, ``never`` writes over Bolt. Other stores have one write path
        (``always`` is an error there).

    Returns
    -------
    (LoadSummary, Path or None)
        What was loaded, and the rejects file if one was written.

    Raises
    ------
    InputError
        On the first bad record with ``on_error="fail"``; the store is left unchanged.
    """
    _check_rejects(store, rejects, (snapshot,))
    with Stages("load", enabled=progress) as stage, _bulk_mode(store, bulk):
        stage("read + validate")
        snap = read_input(
            snapshot, format=format, on_error=on_error, interaction_types=interaction_types,
            edge_kind=edge_kind, columns=columns, ts_unit=ts_unit, column_map=column_map,
            exclude_users=exclude_users,
        )
        stage.count(sum(r.read for r in snap.reports.values()), unit="records read")
        pa.default_memory_pool().release_unused()  # what parsing and validation freed
        summary = store.write_snapshot(snap, stage=stage, consume=True)
        summary.ignored = [(str(p), why) for p, why in getattr(snap, "ignored", ())]
        pa.default_memory_pool().release_unused()  # the merged tables
        rejects_path = _write_rejects(snap, summary, rejects, stage)
    summary.timings = dict(stage.timings)
    return summary, rejects_path


@contextmanager
def _bulk_mode(store: Store, bulk: str | None):
    """``store.bulk`` set to ``bulk`` for the block (stores with one write path: checked)."""
    if bulk is None:
        yield
        return
    if bulk not in BULK_MODES:
        raise StoreError(f"bulk must be one of {', '.join(BULK_MODES)}, not {bulk!r}")
    if not store.capabilities.bulk_loads:
        if bulk == "always":
            raise StoreError("this store has one write path, no bulk import (--bulk always is "
                             "for a Neo4j store); load without it")
        yield
        return
    before = store.bulk
    store.bulk = bulk
    try:
        yield
    finally:
        store.bulk = before


def load_frames(
    store: Store,
    *,
    users=None,
    follows=None,
    interactions=None,
    posts=None,
    on_error: str = "fail",
    rejects: str | Path | None = None,
    interaction_types: Sequence[str] = (),
    ts_unit: str = "s",
    source: str = "frames",
    progress: bool | None = None,
) -> tuple[LoadSummary, Path | None]:
    """Validate and load DataFrames or Arrow tables into ``store``, as :func:`load_snapshot`.

    Parameters
    ----------
    store : Store
        From :func:`graph_influence.open_store`.
    users, follows, interactions, posts : pandas.DataFrame or pyarrow.Table, optional
        The snapshot's tables with the columns of the snapshot schema (README, "Snapshot
        formats"); at least one.
    on_error, rejects, interaction_types, ts_unit, progress
        As in :func:`load_snapshot`.
    source : str, optional
        What the store's load ledger calls this input (default ``"frames"``).

    Returns
    -------
    (LoadSummary, Path or None)
        What was loaded, and the rejects file if one was written.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> from graph_influence import open_store
    >>> store = open_store(os.path.join(tempfile.mkdtemp(), "f.duckdb"))
    >>> summary, _ = load_frames(store, follows=pd.DataFrame({"src": ["a"], "dst": ["b"]}),
    ...                          progress=False)
    >>> store.counts()["follows"], summary.format
    (1, 'frames')
    """
    from graph_influence.loaders.frames import read_frames

    _check_rejects(store, rejects)
    with Stages("load", enabled=progress) as stage:
        stage("validate")
        snap = read_frames(users=users, follows=follows, interactions=interactions, posts=posts,
                           on_error=on_error, interaction_types=interaction_types,
                           ts_unit=ts_unit, source=source)
        snap.fingerprint = fingerprint_read(snap.fingerprint, {
            "format": snap.format, "on_error": on_error, "ts_unit": ts_unit,
            "interaction_types": sorted({t.strip().lower() for t in interaction_types})})
        summary = store.write_snapshot(snap, stage=stage, consume=True)
        rejects_path = _write_rejects(snap, summary, rejects, stage)
    summary.timings = dict(stage.timings)
    return summary, rejects_path


def _check_rejects(store, rejects: str | Path | None, inputs: tuple = ()) -> None:
    """Raise :class:`~graph_influence.errors.OutputError` before anything is read when the
    rejects file cannot be written, or is the store or an input: a load committed before
    that is found would lose the rejected rows."""
    if rejects is None:
        return
    from graph_influence.outputs import check_output

    check_output(rejects, store_url=getattr(store, "url", None), inputs=inputs,
                 what="write the rejects to")


def _write_rejects(snap, summary: LoadSummary, rejects: str | Path | None, stage) -> Path | None:
    """Write the snapshot's rejected records (CSV) if there are any; return the file."""
    if not snap.n_rejected:
        return None
    stage("write rejects")
    from graph_influence.formatting import output_path

    path = Path(rejects or f"graph-influence-rejects-{summary.load_id}.csv")
    with output_path(rejects or path, suffix=".csv") as target:  # "-": standard output
        pacsv.write_csv(snap.rejects, target)
    return path
