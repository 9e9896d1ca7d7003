"""The store contract: what every backend (embedded DuckDB, Neo4j, ...) offers the pipeline.

:class:`Store` is an abstract base class. Its abstract members are what a backend implements
(loading, the graph view, writing a run, and the light row queries); everything built on top of
them is implemented here once: run resolution, ``info``, topic checks, the DataFrame queries
(``top``, ``top_topic``, ``topics_summary``, ``communities_summary``), ``scores`` and the
``user_extras`` join. What differs between backends is declared, not discovered: each backend
class has a :class:`StoreCapabilities` as ``capabilities``.

This module is light: it imports nothing heavier than the standard library at import time, so
that ``graph-influence top`` starts fast. numpy, pandas and pyarrow are imported inside the
members that need them; annotations name them under ``TYPE_CHECKING`` only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Self

from graph_influence.errors import StoreNotReadyError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from graph_influence.graph_view import GraphView
    from graph_influence.loaders.snapshot import Snapshot
    from graph_influence.loaders.validate import TableReport
    from graph_influence.results import CommunityResults, TopicResults

__all__ = [
    "STAGE",
    "DropSummary",
    "LoadSummary",
    "Rows",
    "RunRecord",
    "Store",
    "StoreCapabilities",
    "check_topic",
    "store_info",
    "unknown_user",
]

#: A progress callback: called with a short description of the stage starting now.
STAGE = Callable[[str], None]

#: Column dtypes of the DataFrame queries (string columns are left to pandas' inference).
TOP_DTYPES = {"rank": "int64", "score": "float64", "influence": "float64"}
TOP_TOPIC_DTYPES = {"rank": "int64", "score": "float64", "topic_influence": "float64",
                    "influence": "float64", "score_overall": "float64"}
TOPICS_DTYPES = {"users": "int64", "iterations": "int32", "top_influencers": "object"}
#: The columns of :meth:`Store.user_history`, in order.
HISTORY_COLUMNS = ["run_id", "created_at", "as_of", "score", "rank", "percentile", "influence",
                   "users"]
#: How many ids (the first, in id order) an unknown user's id is compared with for the
#: "did you mean" of its message (as ``explain`` does).
SUGGEST_FROM_IDS = 200_000
COMMUNITIES_DTYPES = {"community": "int32", "size": "int64",
                      "modularity_contribution": "float64", "top_topics": "object",
                      "top_members": "object"}


@dataclass
class LoadSummary:
    """What a load did: its id, and per table the counts of :class:`TableReport`; ``bulk``:
    written by an offline bulk import (Neo4j, :mod:`graph_influence.stores.neo4j_bulk`)."""

    load_id: str
    source: str
    format: str
    fingerprint: str
    reports: dict[str, TableReport]
    already_loaded_as: str | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (file, why), not read
    bulk: bool = False


@dataclass
class DropSummary:
    """What :meth:`Store.drop_load` did.

    Attributes
    ----------
    load_id, source, format : str
        The dropped load, as its ledger entry named it.
    removed : dict of str to int
        Per data table (``users, follows, interactions, posts``): rows deleted (the load held
        them and no other load contains them).
    kept : dict of str to int
        Per data table: rows the load held that another load also contains; they stay, and
        the earliest such load holds them from now on.
    runs_deleted : list of int
        The runs computed on data that included the load (deleted with it).
    """

    load_id: str
    source: str
    format: str
    removed: dict[str, int]
    kept: dict[str, int]
    runs_deleted: list[int] = field(default_factory=list)


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


@dataclass
class Rows:
    """A small query result in plain Python: column names and row tuples.

    What the light queries return (no numpy, pandas or pyarrow needed to build or read it).

    Attributes
    ----------
    columns : list of str
    rows : list of tuple
        One tuple per row, values in ``columns`` order (Python ints, floats, strings, lists,
        datetimes, None).

    Examples
    --------
    >>> r = Rows(["rank", "id"], [(1, "a"), (2, "b")])
    >>> r.records()
    [{'rank': 1, 'id': 'a'}, {'rank': 2, 'id': 'b'}]
    >>> len(r), r.column("id")
    (2, ['a', 'b'])
    """

    columns: list[str]
    rows: list[tuple]

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict]:
        """One ``{column: value}`` dict per row."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list:
        """The values of one column, in row order."""
        i = self.columns.index(name)
        return [row[i] for row in self.rows]

    def to_pandas(self, dtypes: dict[str, str] | None = None) -> pd.DataFrame:
        """The rows as a DataFrame (imports pandas).

        Parameters
        ----------
        dtypes : dict, optional
            Column -> dtype for the columns whose dtype must not depend on the values (an
            empty result, Python ints). Other columns are inferred by pandas.

        Returns
        -------
        pandas.DataFrame
            Columns in ``columns`` order, one row per tuple.
        """
        import pandas as pd

        dtypes = dtypes or {}
        values = list(zip(*self.rows, strict=True)) if self.rows else [()] * len(self.columns)
        return pd.DataFrame({
            name: pd.Series(list(col), dtype=dtypes.get(name))
            for name, col in zip(self.columns, values, strict=True)
        })


@dataclass(frozen=True)
class StoreCapabilities:
    """What a backend can do, where backends differ. Call sites check these, never exceptions.

    Attributes
    ----------
    results_of_every_run : bool
        Topic scores, topic summaries, affinities and community memberships are readable for
        every run. When False they are kept for the latest run only (overall scores, run
        records and community summaries are kept for every run by every backend), and the
        queries raise :class:`~graph_influence.errors.StoreNotReadyError` for older runs;
        :meth:`Store.has_run_results` says beforehand.
    atomic_loads : bool
        A load lands whole or not at all (one transaction). When False a load interrupted
        midway leaves a ``running`` entry in :meth:`Store.loads` and its rows in place until
        :meth:`Store.recover_interrupted_loads` rolls it back (every load and analysis does
        that first); likewise an interrupted :meth:`Store.drop_load` leaves a ``dropping``
        entry that the next load or analysis finishes.
    bulk_loads : bool
        A load may take another write path, chosen by :attr:`Store.bulk` (Neo4j: an offline
        ``neo4j-admin`` import into an empty database of a server this machine controls).
        When False there is one write path, and ``bulk`` stays ``"auto"``.
    """

    results_of_every_run: bool = True
    atomic_loads: bool = True
    bulk_loads: bool = False


def store_info(store: Store) -> dict:
    """What ``graph-influence info`` shows (see :meth:`Store.info`)."""
    return store.info()


def check_topic(topic: str, known: list[str]) -> None:
    """Raise a clear error for an unknown topic, suggesting the closest known ones."""
    if topic in known:
        return
    import difflib

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


def unknown_user(user: str, url: str, ids: list[str]) -> StoreNotReadyError:
    """The error for an id no user of the store has, naming the closest ids (as ``explain``).

    Parameters
    ----------
    user : str
        The id asked for.
    url : str
        The store's URL (:attr:`Store.url`).
    ids : list of str
        Known ids to suggest from (the first :data:`SUGGEST_FROM_IDS` in id order).

    Returns
    -------
    StoreNotReadyError
        To raise.

    Examples
    --------
    >>> str(unknown_user("alic", "duckdb://s.duckdb", ["alice", "bob"]))
    "no user 'alic' in duckdb://s.duckdb — did you mean: alice?"
    """
    import difflib

    close = difflib.get_close_matches(user, ids, n=5, cutoff=0.6)
    hint = f" — did you mean: {', '.join(close)}?" if close else ""
    return StoreNotReadyError(f"no user {user!r} in {url}{hint}")


def runs_use_load_message(load_id: str, runs: list[int]) -> str:
    """Why :meth:`Store.drop_load` refuses: the runs computed on the load."""
    which = ", ".join(str(r) for r in runs)
    return (f"run{'s' if len(runs) > 1 else ''} {which} used load {load_id} — drop the load "
            f"with {'them' if len(runs) > 1 else 'it'} (graph-influence drop-load {load_id} "
            "--delete-runs), or delete the runs first (graph-influence delete-run ID)")


def _finished_by(load: dict, when: datetime | None) -> bool:
    """Whether a ledger entry's load had completed at ``when`` (a run's ``created_at``)."""
    done = load.get("finished_at")
    return done is not None and when is not None and done <= when


def _extras_table(members: pd.DataFrame, long: pd.DataFrame, names: list[str]) -> pa.Table:
    """Join communities and pivot topic scores into one row per user id."""
    import pyarrow as pa

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


class Store(ABC):
    """A place snapshots are loaded into and results are kept: the backend contract.

    Subclasses set the class attributes ``backend`` (a short name, e.g. ``"duckdb"``) and
    ``capabilities``, implement every abstract member, and register themselves with
    :func:`graph_influence.stores.register_backend` so that :func:`~graph_influence.stores.
    open_store` finds them by URL. Implementations:
    :class:`~graph_influence.stores.duckdb_store.DuckDBStore`,
    :class:`~graph_influence.stores.neo4j_store.Neo4jStore`.

    Conventions: a ``run_id`` of ``None`` means the latest run; lists of users are ordered by
    rank, then id; ids are strings; timestamps are naive UTC datetimes.
    """

    #: The backend's short name (``"duckdb"``, ``"neo4j"``), shown by ``info``.
    backend: str
    #: What the backend can do where backends differ.
    capabilities: StoreCapabilities = StoreCapabilities()
    #: How loads write, where ``capabilities.bulk_loads``: one of
    #: :data:`~graph_influence.stores.common.BULK_MODES`.
    bulk: str = "auto"

    # -- opening and closing -------------------------------------------------------------
    @classmethod
    @abstractmethod
    def from_url(cls, url: str, *, read_only: bool = False) -> Self:
        """Open the store a URL names (what :func:`~graph_influence.stores.open_store` calls).

        Parameters
        ----------
        url : str
            The URL as given (scheme included, if any).
        read_only : bool, optional
            Open for queries only; a backend may ignore it.

        Returns
        -------
        Store
        """

    @property
    @abstractmethod
    def url(self) -> str:
        """The store's URL, as ``open_store`` accepts it (never with credentials)."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection (the store is unusable afterwards)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- loading -------------------------------------------------------------------------
    @abstractmethod
    def write_snapshot(
        self, snapshot: Snapshot, *, stage: STAGE | None = None, consume: bool = False
    ) -> LoadSummary:
        """Merge a validated snapshot; rows already present are not duplicated.

        Parameters
        ----------
        snapshot : Snapshot
            From :func:`graph_influence.loaders.read_snapshot`.
        stage : callable, optional
            Called with the name of each stage as it starts (progress display).
        consume : bool, optional
            The store may empty ``snapshot.tables`` after the write, so that the caller's
            snapshot no longer keeps the rows in memory.

        Returns
        -------
        LoadSummary
            The load id and, per table, rows read/loaded/rejected/new, self-loops and
            duplicates; ``already_loaded_as``: the earliest complete load with the same
            fingerprint (the same files read with the same options), set only when this load
            added no row.

        Notes
        -----
        Every row carries the ``load_id`` of the load that holds it (the earliest load that
        contains it); a load that contains rows already held by another records them as
        *shared* (the load ledger), so that :meth:`drop_load` removes only the rows that no
        other load contains.
        """

    def recover_interrupted_loads(self, *, stage: STAGE | None = None) -> list[str]:
        """Roll back every load that did not complete; return their load ids.

        Stores with ``capabilities.atomic_loads`` have nothing to roll back (this returns
        ``[]``); others override it and call it before every load and analysis.
        """
        return []

    @abstractmethod
    def loads(self) -> list[dict]:
        """Every load, oldest first.

        Returns
        -------
        list of dict
            Keys ``load_id, source, format, fingerprint, started_at, finished_at, status``
            (``"complete"`` or ``"running"``) and ``report`` (per table counts, a dict, or None).
        """

    @abstractmethod
    def loads_rows(self) -> Rows:
        """The load ledger with what each load holds now (``graph-influence loads``).

        Returns
        -------
        Rows
            Columns ``load_id, started_at, status, format, source``, then ``users, follows,
            interactions, posts`` (rows the load holds: it was the earliest load to contain
            them) and ``shared`` (rows it contains that an earlier load holds); oldest first.
            The four held counts of all loads add up to :meth:`counts`.
        """

    @abstractmethod
    def drop_load(self, load_id: str, *, delete_runs: bool = False) -> DropSummary:
        """Remove a load: its ledger entry and the rows that no other load contains.

        A row the load holds that another load also contains is kept and passes to the
        earliest such load. User attributes a later load changed are not rolled back.

        Parameters
        ----------
        load_id : str
            A load of :meth:`loads` (any status).
        delete_runs : bool, optional
            Also delete the runs computed on data that included the load
            (:meth:`runs_using_load`). Without it such runs make this raise.

        Returns
        -------
        DropSummary

        Raises
        ------
        StoreNotReadyError
            For an unknown load, or when runs used the load and ``delete_runs`` is False.
        """

    @abstractmethod
    def delete_run(self, run_id: int) -> None:
        """Delete a run and every result stored with it.

        Raises
        ------
        StoreNotReadyError
            For an unknown run (as :meth:`resolve_run_id`).
        """

    def load(self, load_id: str) -> dict:
        """The ledger entry of a load (as :meth:`loads`); a unique prefix of its id will do.

        Raises
        ------
        StoreNotReadyError
            For an unknown or ambiguous id ("see graph-influence loads").
        """
        loads = self.loads()
        exact = [ld for ld in loads if ld["load_id"] == load_id]
        found = exact or [ld for ld in loads if load_id and ld["load_id"].startswith(load_id)]
        if len(found) == 1:
            return found[0]
        if found:
            raise StoreNotReadyError(
                f"{load_id!r} names {len(found)} loads in {self.url} — give more of the id "
                "(see graph-influence loads)")
        raise StoreNotReadyError(f"no load {load_id!r} in {self.url} — see graph-influence loads")

    def loads_of_run(self, run_id: int | None = None) -> list[str]:
        """Ids of the loads a run's data came from: those complete when it was written."""
        run = self.run(run_id)
        return [ld["load_id"] for ld in self.loads()
                if ld["status"] == "complete" and _finished_by(ld, run.created_at)]

    def runs_using_load(self, load_id: str) -> list[int]:
        """Ids of the runs computed on data that included the load (written after it
        completed), oldest first."""
        entry = self.load(load_id)
        if entry["status"] != "complete":
            return []
        return [r.run_id for r in self.runs() if _finished_by(entry, r.created_at)]

    def loads_after_run(self, run_id: int | None = None) -> list[dict]:
        """The complete loads finished after a run was written (its data lacks them)."""
        run = self.run(run_id)
        return [ld for ld in self.loads()
                if ld["status"] == "complete" and not _finished_by(ld, run.created_at)]

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Rows per data table.

        Returns
        -------
        dict
            ``{"users": n, "follows": n, "interactions": n, "posts": n}``, in that order.
        """

    @abstractmethod
    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """Oldest and newest timestamp over all events, follows and posts (None if none)."""

    def event_time_quantile(self, q: float) -> datetime | None:
        """The time that leaves a share ``1 - q`` of the dated events after it.

        The ``q``-quantile of the events' timestamps (the earliest timestamp with at least a
        share ``q`` of the dated events at or before it); ``None`` when no event is dated.
        ``backtest`` splits there by default. This default reads :meth:`events`; the built-in
        stores answer with one query.
        """
        from .common import quantile_position

        ts = self.events()["ts"].dropna().sort_values().to_numpy()
        if not len(ts):
            return None
        return _naive(ts[quantile_position(q, len(ts))])

    @abstractmethod
    def events(self) -> pd.DataFrame:
        """Every stored interaction event.

        Returns
        -------
        pandas.DataFrame
            Columns ``src, dst`` (user ids), ``type, ts, post_id, seq, load_id``; ordered by
            ts (undated first), src, dst, type, post_id (None first), seq.
        """

    # -- the graph -----------------------------------------------------------------------
    @abstractmethod
    def graph_view(self, *, as_of: datetime | None, half_life_seconds: float | None,
                   load_ids: list[str] | None = None) -> GraphView:
        """Integer-indexed arrays of the graph, interactions aggregated with time decay.

        Parameters
        ----------
        as_of : datetime or None
            Leave out follows and events after this instant; the age of events for decay.
        half_life_seconds : float or None
            Decay half-life (None: no decay). The factor is
            :func:`~graph_influence.stores.common.decay_weight`.
        load_ids : list of str, optional
            Only the rows these loads hold (users, follows, events): the graph as it was
            before later loads (:meth:`loads_of_run`). Default: every row.

        Returns
        -------
        GraphView
            Users in id order (uids, ids), follow pairs, and one row per (src, dst, type) with
            the event count, the sum of ``weight · decay`` and the undecayed sum of ``weight``,
            as ``canonical_view`` sorts them.

        Raises
        ------
        StoreNotReadyError
            If the store holds no users.
        """

    @abstractmethod
    def topic_rows(self, *, load_ids: list[str] | None = None) -> dict[str, pa.Table]:
        """Rows carrying topic signals, keyed by uid (see ``graph_influence.topic_signals``).

        ``load_ids``: only the rows these loads hold, as in :meth:`graph_view`.

        Returns
        -------
        dict of pyarrow.Table
            ``users`` (uid, topics), ``posts`` (author, ts, text, topics) and
            ``interactions`` (src, dst, type, ts, weight, topics, post_topics, post_text), only
            rows with a topic or a text.
        """

    # -- runs ----------------------------------------------------------------------------
    @abstractmethod
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
        """Store a run and its results (arrays aligned with ``view.ids``).

        Sets ``run.run_id`` and ``run.created_at``.

        Returns
        -------
        int
            The new run's id (1, 2, ...).
        """

    @abstractmethod
    def runs(self) -> list[RunRecord]:
        """Every completed analysis run, oldest first."""

    def run_ids(self) -> list[int]:
        """Ids of every completed run, oldest first (backends may answer it more cheaply)."""
        return [r.run_id for r in self.runs()]

    def resolve_run_id(self, run_id: int | None = None) -> int:
        """The id of a run: ``run_id`` if it exists, the latest run if it is None.

        Raises
        ------
        StoreNotReadyError
            If the store holds no run yet ("run: graph-influence analyze"), or no run
            ``run_id`` ("see graph-influence info").
        """
        return self._resolve_in(self.run_ids(), run_id)

    def _resolve_in(self, ids: list[int], run_id: int | None) -> int:
        if run_id is None:
            if not ids:
                raise StoreNotReadyError(
                    f"no analysis in {self.url} yet — run: graph-influence analyze")
            return ids[-1]
        if run_id not in ids:
            raise StoreNotReadyError(f"no run {run_id} in {self.url} — see graph-influence info")
        return run_id

    def run(self, run_id: int | None = None) -> RunRecord:
        """The record of a run (default: the latest).

        Raises
        ------
        StoreNotReadyError
            As :meth:`resolve_run_id`.
        """
        runs = self.runs()
        if run_id is None and runs:
            return runs[-1]
        for r in runs:
            if r.run_id == run_id:
                return r
        self.resolve_run_id(run_id)  # raises the message that fits
        raise AssertionError("unreachable")  # pragma: no cover

    def has_run_results(self, run_id: int | None = None) -> bool:
        """Whether the run's topic scores, topic summary and memberships can be read here.

        Always True with ``capabilities.results_of_every_run``; otherwise only for the latest
        run. Raises like :meth:`resolve_run_id` for a run that does not exist.
        """
        ids = self.run_ids()
        rid = self._resolve_in(ids, run_id)
        return self.capabilities.results_of_every_run or rid == self._run_with_results(ids)

    def _run_with_results(self, ids: list[int]) -> int | None:
        """Without ``results_of_every_run``: the run whose per-run results are kept (the
        latest; a backend where deleting the latest run leaves none kept overrides this)."""
        return ids[-1] if ids else None

    def _results_run_id(self, run_id: int | None, what: str) -> int:
        """Resolve ``run_id`` for a query of per-run results (``what``: for the message)."""
        ids = self.run_ids()
        rid = self._resolve_in(ids, run_id)
        if not self.capabilities.results_of_every_run and rid != self._run_with_results(ids):
            raise StoreNotReadyError(
                f"the {self.backend} store keeps {what} of the latest run only (run {ids[-1]}); "
                f"use an embedded store (PATH.duckdb) for older runs' {what}")
        return rid

    def _communities_run(self, run_id: int | None) -> tuple[int, float]:
        """The run's id and modularity; raises if the run was analysed without communities."""
        run = self.run(run_id)
        modularity = run.extras.get("modularity")
        if modularity is None:
            raise StoreNotReadyError(
                f"run {run.run_id} has no communities — run graph-influence analyze without "
                "--no-communities")
        return int(run.run_id), float(modularity)

    def info(self) -> dict:
        """What ``graph-influence info`` shows.

        Returns
        -------
        dict
            ``store`` (url), ``backend``, ``counts`` (:meth:`counts`), ``time_range``
            ([oldest, newest]), ``loads`` (:meth:`loads`), ``runs`` (how many) and
            ``last_run`` (a :class:`RunRecord` or None).
        """
        runs = self.runs()
        lo, hi = self.time_range()
        return {
            "store": self.url,
            "backend": self.backend,
            "counts": self.counts(),
            "time_range": [lo, hi],
            "loads": self.loads(),
            "runs": len(runs),
            "last_run": runs[-1] if runs else None,
        }

    # -- light queries (plain Python rows) -----------------------------------------------
    @abstractmethod
    def top_rows(self, k: int = 10, *, run_id: int | None = None) -> Rows:
        """The k best users of a run.

        Returns
        -------
        Rows
            Columns ``rank, id, score, influence, name``, ordered by rank then id, at most k.
        """

    @abstractmethod
    def top_topic_rows(self, topic: str, k: int = 10, *, run_id: int | None = None) -> Rows:
        """The k best users for a topic (an unknown topic raises, naming the closest ones).

        Returns
        -------
        Rows
            Columns ``rank, id, score`` (the topic's 0-100), ``topic_influence, influence,
            score_overall, name``; ordered by topic rank then id, at most k.

        Raises
        ------
        StoreNotReadyError
            For an unknown topic (:meth:`check_topic`), or an older run where
            ``capabilities.results_of_every_run`` is False.
        """

    @abstractmethod
    def topics_rows(self, *, run_id: int | None = None, top: int = 3) -> Rows:
        """Every topic of a run, most widespread first.

        Returns
        -------
        Rows
            Columns ``topic, users`` (users with an affinity), ``iterations`` and
            ``top_influencers`` (a list of the ``top`` best ids, by topic rank then id).

        Raises
        ------
        StoreNotReadyError
            For an older run where ``capabilities.results_of_every_run`` is False.
        """

    @abstractmethod
    def communities_rows(self, *, run_id: int | None = None,
                         limit: int | None = None) -> tuple[float, Rows]:
        """The partition's modularity and one row per community of a run.

        Parameters
        ----------
        run_id : int, optional
            Default: the latest run.
        limit : int, optional
            Only the ``limit`` largest communities (default: all).

        Returns
        -------
        (float, Rows)
            Modularity; columns ``community, size, modularity_contribution, top_topics`` (list
            of ``{"topic", "lift", "users"}`` dicts) and ``top_members`` (list of ids),
            ordered by community (0 = largest).

        Raises
        ------
        StoreNotReadyError
            If the run was analysed without communities (check ``run.extras["modularity"]``
            to know beforehand).
        """

    @abstractmethod
    def user_history(self, user_id: str) -> Rows:
        """One user's overall results in every run that scored them (``graph-influence
        history``).

        Parameters
        ----------
        user_id : str
            The user's id.

        Returns
        -------
        Rows
            Columns ``run_id, created_at, as_of`` (the run's), ``score, rank, percentile,
            influence`` (the user's in the run) and ``users`` (the run's ``n_users``), one row
            per run that has a score for the user (a user loaded after a run has none in it),
            oldest run first. ``percentile`` is what ``explain`` reports: the share of the
            run's scored users whose influence is lower than the user's, times 100 (``(lower
            / users) * 100``, so ties count as not lower and the best user of n gets
            ``100 * (n - 1) / n``). Empty when the user is known but no run scored them.

        Raises
        ------
        StoreNotReadyError
            For an id no user has (:func:`unknown_user`: ``no user 'x' in URL — did you
            mean: ...?``), or when the store holds no run yet (as :meth:`resolve_run_id`).
        """

    # -- heavy queries (Arrow) -----------------------------------------------------------
    @abstractmethod
    def scores_arrow(self, *, run_id: int | None = None) -> pa.Table:
        """Every user's results for a run, as Arrow (for fast export).

        Returns
        -------
        pyarrow.Table
            Columns ``id`` (string), ``influence, score`` (double), ``rank`` (int64),
            ordered by rank then id.
        """

    @abstractmethod
    def membership_table(self, *, run_id: int | None = None) -> pa.Table:
        """Community of every user in a run (empty if it has no communities).

        Returns
        -------
        pyarrow.Table
            Columns ``id`` (string), ``community`` (int32), in no particular order.

        Raises
        ------
        StoreNotReadyError
            For an older run where ``capabilities.results_of_every_run`` is False.
        """

    @abstractmethod
    def topic_scores_table(self, *, run_id: int | None = None) -> pa.Table:
        """Every stored (user, topic) score of a run, long format.

        Returns
        -------
        pyarrow.Table
            Columns ``id`` (string), ``name`` (the topic), ``score`` (double), in no
            particular order.

        Raises
        ------
        StoreNotReadyError
            For an older run where ``capabilities.results_of_every_run`` is False.
        """

    # -- built on the members above, once ------------------------------------------------
    def topic_names(self, *, run_id: int | None = None) -> list[str]:
        """Topics of a run (default: the latest), most widespread first."""
        return list(self.run(run_id).extras.get("topics") or [])

    def check_topic(self, topic: str, *, run_id: int | None = None) -> None:
        """Raise :class:`StoreNotReadyError` unless ``topic`` is a topic of the run, with the
        closest known topics in the message."""
        check_topic(topic, self.topic_names(run_id=run_id))

    def top(self, k: int = 10, *, run_id: int | None = None) -> pd.DataFrame:
        """The k best users of a run (default: the latest).

        Returns
        -------
        pandas.DataFrame
            ``rank`` (int64), ``id``, ``score``, ``influence`` (float64), ``name``; ordered by
            rank then id.
        """
        return self.top_rows(k, run_id=run_id).to_pandas(TOP_DTYPES)

    def top_topic(self, topic: str, k: int = 10, *, run_id: int | None = None) -> pd.DataFrame:
        """The k best users for a topic.

        Returns
        -------
        pandas.DataFrame
            ``rank`` (int64), ``id``, ``score`` (topic 0-100), ``topic_influence``,
            ``influence``, ``score_overall`` (float64), ``name``; ordered by rank then id.
        """
        return self.top_topic_rows(topic, k, run_id=run_id).to_pandas(TOP_TOPIC_DTYPES)

    def topics_summary(self, *, run_id: int | None = None, top: int = 3) -> pd.DataFrame:
        """Every topic of a run with its user count and top influencers.

        Returns
        -------
        pandas.DataFrame
            ``topic``, ``users`` (int64), ``iterations`` (int32), ``top_influencers`` (lists
            of ids); most widespread topic first.
        """
        return self.topics_rows(run_id=run_id, top=top).to_pandas(TOPICS_DTYPES)

    def communities_summary(self, *, run_id: int | None = None) -> tuple[float, pd.DataFrame]:
        """The partition's modularity and one row per community of a run.

        Returns
        -------
        (float, pandas.DataFrame)
            Modularity; ``community`` (int32), ``size`` (int64), ``modularity_contribution``
            (float64), ``top_topics`` (lists of dicts), ``top_members`` (lists of ids).
        """
        modularity, rows = self.communities_rows(run_id=run_id)
        return modularity, rows.to_pandas(COMMUNITIES_DTYPES)

    def scores(self, *, run_id: int | None = None) -> pd.DataFrame:
        """Every user's ``id, influence, score, rank`` for a run, ordered by rank then id."""
        return self.scores_arrow(run_id=run_id).to_pandas()

    def user_extras(self, *, run_id: int | None = None) -> pa.Table:
        """Per user: ``community`` and one ``topic:<name>`` score column per topic (export).

        Returns
        -------
        pyarrow.Table
            ``id`` (string), then ``community`` when the run has communities, then the topic
            columns in :meth:`topic_names` order (null where a user's score is not kept).

        Raises
        ------
        StoreNotReadyError
            For an older run where ``capabilities.results_of_every_run`` is False (check
            :meth:`has_run_results` first).
        """
        rid = self._results_run_id(run_id, "communities and topic scores")
        members = self.membership_table(run_id=rid).to_pandas()
        long = self.topic_scores_table(run_id=rid).to_pandas()
        return _extras_table(members, long, self.topic_names(run_id=rid))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"


def _naive(value) -> datetime:
    """A pandas/numpy timestamp as a naive UTC :class:`datetime`."""
    import pandas as pd

    return pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)
