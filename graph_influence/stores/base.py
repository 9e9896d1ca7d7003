"""The store protocol: what every backend (embedded DuckDB, Neo4j) offers the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
import pyarrow as pa

from graph_influence.graph_view import GraphView
from graph_influence.loaders.snapshot import Snapshot
from graph_influence.loaders.validate import TableReport
from graph_influence.results import CommunityResults, TopicResults

__all__ = ["STAGE", "LoadSummary", "RunRecord", "Store", "check_topic", "store_info"]

#: A progress callback: called with a short description of the stage starting now.
STAGE = Callable[[str], None]


@dataclass
class LoadSummary:
    """What a load did: its id, and per table the counts of :class:`TableReport`."""

    load_id: str
    source: str
    format: str
    fingerprint: str
    reports: dict[str, TableReport]
    already_loaded_as: str | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class RunRecord:
    """One analysis run as stored: parameters, convergence and what it ran on."""

    params: dict
    as_of: datetime | None
    n_users: int
    n_edges: int
    n_events: int
    iterations: int
    error: float
    converged: bool
    calibration: dict
    timings: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    run_id: int | None = None
    created_at: datetime | None = None


def store_info(store: Store) -> dict:
    """What ``graph-influence info`` shows: counts, time range, loads and the last run."""
    runs = store.runs()
    lo, hi = store.time_range()
    return {
        "store": store.url,
        "backend": store.backend,
        "counts": store.counts(),
        "time_range": [lo, hi],
        "loads": store.loads(),
        "runs": len(runs),
        "last_run": runs[-1] if runs else None,
    }


def check_topic(topic: str, known: list[str]) -> None:
    """Raise a clear error for an unknown topic, suggesting the closest known ones."""
    if topic in known:
        return
    import difflib

    from graph_influence.errors import StoreNotReadyError

    if not known:
        raise StoreNotReadyError(
            "the latest analysis has no topics — the snapshot needs topics or hashtags "
            "(users.topics, posts.text/topics, interactions.topics)"
        )
    close = difflib.get_close_matches(topic, known, n=5, cutoff=0.5) or known[:5]
    raise StoreNotReadyError(
        f"no topic {topic!r} in the latest analysis — closest known topics: {', '.join(close)} "
        "(see graph-influence topics)"
    )


def _extras_table(members: pd.DataFrame, long: pd.DataFrame, names: list[str]) -> pa.Table:
    """Join communities and pivot topic scores into one row per user id."""
    wide = long.pivot_table(index="id", columns="name", values="score", aggfunc="first")
    wide = wide.reindex(columns=names)
    wide.columns = [f"topic:{c}" for c in wide.columns]
    if members.empty:
        frame = wide.reset_index()
    else:
        frame = members.set_index("id").join(wide, how="outer").reset_index()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.set_column(table.schema.get_field_index("id"), "id",
                            table.column("id").cast(pa.string()))


@runtime_checkable
class Store(Protocol):
    """A place snapshots are loaded into and results are kept.

    Implementations: :class:`~graph_influence.stores.duckdb_store.DuckDBStore`.
    """

    backend: str

    @property
    def url(self) -> str: ...

    def write_snapshot(
        self, snapshot: Snapshot, *, stage: STAGE | None = None, consume: bool = False
    ) -> LoadSummary:
        """Add a validated snapshot atomically; rows already present are not duplicated.

        With ``consume=True`` the store may empty ``snapshot.tables`` after the write, so the
        caller's snapshot no longer keeps the rows in memory.
        """
        ...

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """Oldest and newest timestamp over all events, follows and posts."""
        ...

    def graph_view(self, *, as_of: datetime | None, half_life_seconds: float | None) -> GraphView:
        """Integer-indexed arrays of the graph, interactions aggregated with time decay."""
        ...

    def write_run(
        self,
        run: RunRecord,
        view: GraphView,
        influence: np.ndarray,
        score: np.ndarray,
        rank: np.ndarray,
        *,
        topics: TopicResults | None = None,
        communities: CommunityResults | None = None,
    ) -> int:
        """Store a run and its results (arrays aligned with ``view.ids``); return its id."""
        ...

    def top(self, k: int = 10, *, run_id: int | None = None) -> pd.DataFrame:
        """The k best users of a run (default: the latest): rank, id, score, influence, name."""
        ...

    def scores(self, *, run_id: int | None = None) -> pd.DataFrame:
        """Every user's id, influence, score and rank for a run (default: the latest)."""
        ...

    def scores_arrow(self, *, run_id: int | None = None) -> pa.Table:
        """As :meth:`scores`, as an Arrow table (for fast export)."""
        ...

    def events(self) -> pd.DataFrame:
        """Every stored interaction event: src, dst, type, ts, post_id, seq, load_id."""
        ...

    def runs(self) -> list[RunRecord]:
        """Every analysis run, oldest first."""
        ...

    def info(self) -> dict:
        """Counts, loads and the last run."""
        ...

    def close(self) -> None: ...
