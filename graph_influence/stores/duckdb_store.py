"""The embedded store: one DuckDB file.

Tables (every data row carries the ``load_id`` that first brought it)::

    users(uid, id, name, created_at, topics, attributes, load_id)
    follows(src, dst, ts, load_id)                      -- src/dst are uids; one row per pair
    interactions(src, dst, type, ts, post_id, topics, weight, seq, load_id)  -- one row per event
    posts(id, author, ts, text, topics, load_id)
    loads(load_id, source, format, fingerprint, started_at, finished_at, status, report)
    user_claims(uid, load_id), follow_claims(src, dst, load_id), post_claims(id, load_id),
    interaction_claims(src, dst, type, ts, post_id, seq, load_id)   -- the shared-row ledger
    runs(run_id, created_at, params, as_of, n_users, n_edges, n_events, iterations, error,
         converged, calibration, timings, extras)
    scores(run_id, uid, influence, score, rank)
    topics(run_id, topic_id, name, users, iterations, error, calibration)
    topic_scores(run_id, topic_id, uid, topic_influence, score, rank)
    affinities(run_id, uid, topic_id, affinity)
    communities(run_id, community, size, modularity_contribution, top_topics, top_members)
    memberships(run_id, uid, community)

Every run's results are kept (``capabilities.results_of_every_run``).

A load is one transaction: it either lands whole or not at all. Rows are merged by natural key
(users by id, follows by pair, posts by id, events by (src, dst, type, ts, post_id, seq) where
``seq`` numbers exact repeats of an event within one load), so loading the same snapshot again
adds nothing.

The load ledger: the ``load_id`` of a row is the load that holds it, the earliest load that
contains it. A later load that contains a row already held records it in the table's
``*_claims`` table (only when the table was not empty before the load, so a first load writes
no claims). :meth:`DuckDBStore.drop_load` deletes, in one transaction, the rows the load holds
that no claim names, hands the claimed ones to the earliest claiming load, and forgets the
load's claims; the runs computed on it go too when asked.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import duckdb

from graph_influence.errors import StoreError, StoreNotReadyError
from graph_influence.schema import TABLE_ORDER

from .base import (
    HISTORY_COLUMNS,
    STAGE,
    SUGGEST_FROM_IDS,
    DropSummary,
    LoadSummary,
    Rows,
    RunRecord,
    Store,
    StoreCapabilities,
    runs_use_load_message,
    unknown_user,
)
from .common import DECAY_SQL, new_load_id, quantile_position
from .common import now_utc as _now

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from graph_influence.graph_view import GraphView
    from graph_influence.loaders.snapshot import Snapshot
    from graph_influence.results import CommunityResults, TopicResults

__all__ = ["SCHEMA_VERSION", "DuckDBStore"]

SCHEMA_VERSION = 2

_ALL = 2**62  # a LIMIT that keeps every row

_DDL = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS users (
        uid INTEGER NOT NULL, id VARCHAR NOT NULL, name VARCHAR, created_at TIMESTAMP,
        topics VARCHAR, attributes VARCHAR, load_id VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS follows (
        src INTEGER NOT NULL, dst INTEGER NOT NULL, ts TIMESTAMP, load_id VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS interactions (
        src INTEGER NOT NULL, dst INTEGER NOT NULL, type VARCHAR NOT NULL, ts TIMESTAMP,
        post_id VARCHAR, topics VARCHAR, weight DOUBLE NOT NULL, seq INTEGER NOT NULL,
        load_id VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS posts (
        id VARCHAR NOT NULL, author INTEGER NOT NULL, ts TIMESTAMP, text VARCHAR,
        topics VARCHAR, load_id VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS loads (
        load_id VARCHAR PRIMARY KEY, source VARCHAR, format VARCHAR, fingerprint VARCHAR,
        started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR, report VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id INTEGER PRIMARY KEY, created_at TIMESTAMP, params VARCHAR, as_of TIMESTAMP,
        n_users BIGINT, n_edges BIGINT, n_events BIGINT, iterations INTEGER, error DOUBLE,
        converged BOOLEAN, calibration VARCHAR, timings VARCHAR, extras VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS topics (
        run_id INTEGER NOT NULL, topic_id INTEGER NOT NULL, name VARCHAR NOT NULL,
        users BIGINT, iterations INTEGER, error DOUBLE, calibration VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS topic_scores (
        run_id INTEGER NOT NULL, topic_id INTEGER NOT NULL, uid INTEGER NOT NULL,
        topic_influence DOUBLE NOT NULL, score DOUBLE NOT NULL, rank BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS affinities (
        run_id INTEGER NOT NULL, uid INTEGER NOT NULL, topic_id INTEGER NOT NULL,
        affinity DOUBLE NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS communities (
        run_id INTEGER NOT NULL, community INTEGER NOT NULL, size BIGINT,
        modularity_contribution DOUBLE, top_topics VARCHAR, top_members VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS memberships (
        run_id INTEGER NOT NULL, uid INTEGER NOT NULL, community INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS scores (
        run_id INTEGER NOT NULL, uid INTEGER NOT NULL, influence DOUBLE NOT NULL,
        score DOUBLE NOT NULL, rank BIGINT NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS user_claims (uid INTEGER NOT NULL, load_id VARCHAR NOT NULL)",
    """CREATE TABLE IF NOT EXISTS follow_claims (
        src INTEGER NOT NULL, dst INTEGER NOT NULL, load_id VARCHAR NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS post_claims (id VARCHAR NOT NULL, load_id VARCHAR NOT NULL)",
    """CREATE TABLE IF NOT EXISTS interaction_claims (
        src INTEGER NOT NULL, dst INTEGER NOT NULL, type VARCHAR NOT NULL, ts TIMESTAMP,
        post_id VARCHAR, seq INTEGER NOT NULL, load_id VARCHAR NOT NULL)""",
]

#: Per data table: its claims table and the row key (fixed names, never user input).
_CLAIMS = {
    "interactions": ("interaction_claims", ("src", "dst", "type", "ts", "post_id", "seq")),
    "follows": ("follow_claims", ("src", "dst")),
    "posts": ("post_claims", ("id",)),
    "users": ("user_claims", ("uid",)),
}
#: The tables holding a run's results (fixed names).
_RUN_TABLES = ("scores", "topics", "topic_scores", "affinities", "communities", "memberships",
               "runs")
#: Every id a staged snapshot mentions.
_SEEN_IDS = """(
    SELECT id FROM s_users UNION SELECT src FROM s_follows
    UNION SELECT dst FROM s_follows UNION SELECT src FROM s_interactions
    UNION SELECT dst FROM s_interactions UNION SELECT author FROM s_posts)"""


#: One user's results in every run (:meth:`DuckDBStore.user_history`): the user's score rows
#: joined with their runs, and with every score row of the same run to count those with lower
#: influence (``explain``'s percentile: ``(lower / users) * 100``).
_Q_USER_HISTORY = """
SELECT r.run_id, r.created_at, r.as_of, m.score, m.rank,
       count(*) FILTER (WHERE o.influence < m.influence)::DOUBLE / count(*) * 100
           AS percentile,
       m.influence, r.n_users AS users
FROM users u
JOIN scores m ON m.uid = u.uid
JOIN runs r ON r.run_id = m.run_id
JOIN scores o ON o.run_id = m.run_id
WHERE u.id = $id
GROUP BY r.run_id, r.created_at, r.as_of, m.score, m.rank, m.influence, r.n_users
ORDER BY r.run_id
"""
_Q_HAS_USER = "SELECT count(*) FROM users WHERE id = ?"
_Q_SOME_IDS = "SELECT id FROM users ORDER BY id LIMIT ?"


def _load_memory_limit(rows: int) -> str:
    """DuckDB's memory limit during a load of ``rows`` input rows.

    ``$GRAPH_INFLUENCE_LOAD_MEMORY`` if set, else 20 bytes per row with a floor of 256MB
    (~275MB for a 10M-edge snapshot; DuckDB spills to disk beyond it). The snapshot's own
    Arrow tables are not counted: they are already in memory.
    """
    default = f"{max(256, rows * 20 // 10**6)}MB"
    value = os.environ.get("GRAPH_INFLUENCE_LOAD_MEMORY", default).strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, re.I):
        raise StoreError(
            f"GRAPH_INFLUENCE_LOAD_MEMORY={value!r} is not a size — use a value like 512MB or 2GB"
        )
    return value


class DuckDBStore(Store):
    """The embedded store in a DuckDB file.

    Parameters
    ----------
    path : str or Path
        The database file (created if missing).
    read_only : bool, optional
        Open without write access (several readers may share the file).
    """

    backend = "duckdb"
    capabilities = StoreCapabilities(results_of_every_run=True, atomic_loads=True)

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise StoreNotReadyError(
                f"no store at {self.path} — load a snapshot first: graph-influence load SNAPSHOT"
            )
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        except duckdb.Error as exc:
            raise StoreError(
                f"{self.path} is not a graph-influence store (DuckDB could not open it: {exc})"
            ) from exc
        try:
            if self._tables():  # an existing database: a store of this version, or refused
                self._check_schema()
            if not read_only:
                self._create_schema()
            self._check_schema()
        except BaseException:
            self.con.close()
            raise

    # -- lifecycle -----------------------------------------------------------------------
    @classmethod
    def from_url(cls, url: str, *, read_only: bool = False) -> DuckDBStore:
        """Open ``duckdb://PATH`` or a plain ``PATH.duckdb``."""
        path = url[len("duckdb://"):] if url.startswith("duckdb://") else url
        return cls(Path(path), read_only=read_only)

    @property
    def url(self) -> str:
        """``duckdb://PATH``."""
        return f"duckdb://{self.path}"

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.con.close()

    def _create_schema(self) -> None:
        for ddl in _DDL:
            self.con.execute(ddl)
        self.con.execute(
            "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
            [str(SCHEMA_VERSION)],
        )

    def _tables(self) -> list[str]:
        """The tables of the database's main schema."""
        return [r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND NOT temporary ORDER BY table_name").fetchall()]

    def _check_schema(self) -> None:
        """Raise unless the database is a store of this schema version (nothing is changed
        in a database that is not: a foreign DuckDB file is refused as it is)."""
        try:
            rows = self.con.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchall()
            row = rows[0] if rows else None
        except duckdb.Error as exc:  # no meta table, or one of another shape
            tables = self._tables()
            held = (f"; it holds table{'s' if len(tables) > 1 else ''} "
                    f"{', '.join(tables[:5])}{', ...' if len(tables) > 5 else ''}"
                    if tables else "")
            raise StoreError(
                f"{self.path} is a DuckDB database but not a graph-influence store{held} — "
                "it was left unchanged; give --store a new file or an existing store"
            ) from exc
        if row is None:
            raise StoreError(
                f"{self.path} is a DuckDB database but not a graph-influence store (its meta "
                "table has no schema version) — it was left unchanged; give --store a new "
                "file or an existing store")
        if row is None or int(row[0]) != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has store schema version {row and row[0]}, this graph-influence "
                f"reads version {SCHEMA_VERSION} — load the snapshot into a new store"
            )

    # -- transactions --------------------------------------------------------------------
    def _rollback(self) -> None:
        """Roll back after an error; a rollback that fails too (a full disk, an invalidated
        database) is not shown: the first error is the one that says what went wrong."""
        try:
            self.con.execute("ROLLBACK")
        except duckdb.Error:
            pass

    def _quietly(self, sql: str) -> None:
        """A clean-up statement after a transaction; after a fatal error it cannot run, and
        its own error would hide the first one."""
        try:
            self.con.execute(sql)
        except duckdb.Error:
            pass

    def _fail(self, exc: BaseException, what: str) -> NoReturn:
        """Roll back after ``exc`` and raise the first error: an interrupted query (Ctrl-C)
        as :class:`KeyboardInterrupt`, a failed write (full disk, read-only file system, out
        of memory) as one :class:`StoreError`, anything else as it is."""
        self._rollback()
        if isinstance(exc, duckdb.InterruptException):
            raise KeyboardInterrupt from None
        if isinstance(exc, duckdb.IOException | duckdb.OutOfMemoryException
                      | duckdb.FatalException):
            text = str(exc).strip()
            first = text.splitlines()[0] if text else type(exc).__name__
            raise StoreError(f"{what} failed in {self.path}: {first} — nothing was "
                             "committed") from exc
        raise exc

    # -- loading -------------------------------------------------------------------------
    def write_snapshot(
        self, snapshot: Snapshot, *, stage: STAGE | None = None, consume: bool = False
    ) -> LoadSummary:
        """Merge a validated snapshot into the store in one transaction.

        Parameters
        ----------
        snapshot : Snapshot
            From :func:`graph_influence.loaders.read_snapshot`.
        stage : callable, optional
            Called with the name of each stage as it starts (for progress display).
        consume : bool, optional
            Empty ``snapshot.tables`` once the load is committed, so that the caller's snapshot
            no longer keeps the rows alive (default False). DuckDB holds the registered tables
            until the transaction ends, so nothing can be freed earlier.

        Returns
        -------
        LoadSummary
            The load id and, per table, rows read/loaded/rejected/new, self-loops, duplicates.
        """
        import numpy as np
        import pyarrow as pa

        stage = stage or (lambda _s: None)
        t0 = time.perf_counter()
        load_id = new_load_id()
        previous = self.con.execute(
            "SELECT load_id FROM loads WHERE fingerprint = ? AND status = 'complete' "
            "ORDER BY started_at LIMIT 1",
            [snapshot.fingerprint],
        ).fetchall()
        previous = previous[0] if previous else None
        reports = snapshot.reports
        con = self.con
        staged = []
        bounded = False
        for name in TABLE_ORDER:
            rows = pa.array(np.arange(snapshot.tables[name].num_rows, dtype=np.int64))
            con.register(f"s_{name}", snapshot.tables[name].append_column("_row", rows))
            staged.append(f"s_{name}")
        try:
            con.execute("BEGIN TRANSACTION")
            con.execute(
                "INSERT INTO loads VALUES (?, ?, ?, ?, ?, NULL, 'running', NULL)",
                [load_id, snapshot.source, snapshot.format, snapshot.fingerprint, _now()],
            )
            # Stream the rows without keeping their order (less memory; order is not data),
            # and bound DuckDB's working memory: it spills to the store's temp directory
            # rather than growing beside the snapshot's Arrow tables.
            con.execute("SET preserve_insertion_order = false")
            bounded = True
            n_rows = sum(t.num_rows for t in snapshot.tables.values())
            con.execute(f"SET memory_limit = '{_load_memory_limit(n_rows)}'")
            for name, merge in (("users", self._merge_users), ("follows", self._merge_follows),
                                ("posts", self._merge_posts),
                                ("interactions", self._merge_interactions)):
                stage(f"store: {name}")
                if hasattr(stage, "count"):  # a progress display: say how many rows
                    stage.count(snapshot.tables[name].num_rows, unit="rows")
                merge(load_id, reports)
            if previous and any(r.new for r in reports.values()):
                previous = None  # same fingerprint, yet rows were added: not "loaded before"
            report_json = json.dumps({k: vars(v) for k, v in reports.items()})
            con.execute(
                "UPDATE loads SET finished_at = ?, status = 'complete', report = ? "
                "WHERE load_id = ?",
                [_now(), report_json, load_id],
            )
            stage("store: commit")
            con.execute("COMMIT")
        except BaseException as exc:
            self._fail(exc, "the load")
        finally:
            self._quietly("SET preserve_insertion_order = true")
            if bounded:  # back to DuckDB's default (the connection is the store's own)
                self._quietly("RESET memory_limit")
            for view in staged:
                con.unregister(view)
            self._quietly("DROP TABLE IF EXISTS temp.staged_follows")
            self._quietly("DROP TABLE IF EXISTS temp.repeated_events")
            self._quietly("DROP TABLE IF EXISTS temp.repeat_seq")
        if consume:
            for name, table in snapshot.tables.items():
                snapshot.tables[name] = table.schema.empty_table()
        return LoadSummary(
            load_id, snapshot.source, snapshot.format, snapshot.fingerprint, reports,
            already_loaded_as=previous[0] if previous else None,
            seconds=time.perf_counter() - t0,
        )

    def _count(self, sql: str, params: list | None = None) -> int:
        return int(self.con.execute(sql, params or []).fetchall()[0][0])

    def _merge_users(self, load_id: str, reports: dict) -> None:
        con = self.con
        before = self._count("SELECT count(*) FROM users")
        users = reports["users"]
        users.duplicates = self._count("SELECT count(*) - count(DISTINCT id) FROM s_users")
        # Attributes from the users table: the last row of an id wins (the window only runs
        # when an id repeats); absent values keep the old ones.
        latest = "s_users" if users.duplicates == 0 else (
            "(SELECT * FROM s_users "
            "QUALIFY row_number() OVER (PARTITION BY id ORDER BY _row DESC) = 1)"
        )
        anti = "" if before == 0 else (
            "WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = seen.id)"
        )
        con.execute(
            f"""
            INSERT INTO users (uid, id, name, created_at, topics, attributes, load_id)
            SELECT ?::INTEGER + row_number() OVER (ORDER BY seen.id) - 1, seen.id,
                   s.name, s.created_at, s.topics, s.attributes, ?
            FROM {_SEEN_IDS} AS seen
            LEFT JOIN {latest} AS s ON s.id = seen.id
            {anti}
            """,
            [self._next_uid(), load_id],
        )
        users.new = self._count("SELECT count(*) FROM users") - before
        if before:  # users that were already there: shared with their load; take new values
            con.execute(
                f"INSERT INTO user_claims SELECT u.uid, $load FROM {_SEEN_IDS} AS seen "
                "JOIN users u ON u.id = seen.id WHERE u.load_id <> $load",
                {"load": load_id},
            )
            con.execute(
                f"""
                UPDATE users SET
                    name = coalesce(s.name, users.name),
                    created_at = coalesce(s.created_at, users.created_at),
                    topics = coalesce(s.topics, users.topics),
                    attributes = coalesce(s.attributes, users.attributes)
                FROM {latest} AS s
                WHERE users.id = s.id AND users.load_id <> ?
                """,
                [load_id],
            )

    def _next_uid(self) -> int:
        return self._count("SELECT coalesce(max(uid) + 1, 0) FROM users")

    def _merge_follows(self, load_id: str, reports: dict) -> None:
        con = self.con
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE staged_follows AS
            SELECT a.uid AS src, b.uid AS dst, min(s.ts) AS ts, count(*) AS n
            FROM s_follows s JOIN users a ON a.id = s.src JOIN users b ON b.id = s.dst
            GROUP BY a.uid, b.uid
            """
        )
        r = reports["follows"]
        r.duplicates, r.self_loops = (int(v or 0) for v in con.execute(
            "SELECT sum(n) - count(*), count(*) FILTER (WHERE src = dst) FROM staged_follows"
        ).fetchall()[0])
        before = self._count("SELECT count(*) FROM follows")
        anti = "" if before == 0 else (
            "WHERE NOT EXISTS (SELECT 1 FROM follows f WHERE f.src = s.src AND f.dst = s.dst)"
        )
        con.execute(
            f"INSERT INTO follows SELECT s.src, s.dst, s.ts, ? FROM staged_follows s {anti}",
            [load_id],
        )
        r.new = self._count("SELECT count(*) FROM follows") - before
        if before:
            con.execute(
                "INSERT INTO follow_claims SELECT s.src, s.dst, $load FROM staged_follows s "
                "JOIN follows f ON f.src = s.src AND f.dst = s.dst WHERE f.load_id <> $load",
                {"load": load_id},
            )

    def _merge_interactions(self, load_id: str, reports: dict) -> None:
        con = self.con
        r = reports["interactions"]
        key = "src, dst, type, ts, post_id"
        # Exact repeats of an event (same key) are numbered 0, 1, 2, ... in file order by
        # ``seq``. Found on the staged rows (ids map 1:1 to uids, so string keys group alike);
        # the window that numbers them runs on the repeats only.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE repeated_events AS SELECT {key}, count(*) AS n "
            f"FROM s_interactions GROUP BY {key} HAVING count(*) > 1"
        )
        r.duplicates = self._count("SELECT coalesce(sum(n - 1), 0) FROM repeated_events")
        seq, repeats = "0", ""
        if r.duplicates:
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE repeat_seq AS
                SELECT s._row, (row_number() OVER (PARTITION BY {key} ORDER BY s._row)
                                - 1)::INTEGER AS seq
                FROM s_interactions s SEMI JOIN repeated_events d
                  ON s.src = d.src AND s.dst = d.dst AND s.type = d.type
                 AND s.ts IS NOT DISTINCT FROM d.ts AND s.post_id IS NOT DISTINCT FROM d.post_id
                """
            )
            seq, repeats = "coalesce(q.seq, 0)", "LEFT JOIN repeat_seq q ON q._row = s._row"
        r.self_loops = self._count("SELECT count(*) FROM s_interactions WHERE src = dst")
        before = self._count("SELECT count(*) FROM interactions")
        events = f"""(
                SELECT a.uid AS src, b.uid AS dst, s.type, s.ts, s.post_id, s.topics, s.weight,
                       {seq}::INTEGER AS seq
                FROM s_interactions s JOIN users a ON a.id = s.src JOIN users b ON b.id = s.dst
                {repeats}
            )"""
        if before == 0:  # a first load: every event is new, none is shared (streamed)
            con.execute(
                "INSERT INTO interactions SELECT e.src, e.dst, e.type, e.ts, e.post_id, "
                f"e.topics, e.weight, e.seq, ? FROM {events} AS e",
                [load_id],
            )
            r.new = self._count("SELECT count(*) FROM interactions")
            return
        # the events already stored are shared with their load (claims first: then every
        # match is an earlier load's row), the others are inserted; the staged rows are read
        # twice rather than kept
        match = """i.src = e.src AND i.dst = e.dst AND i.type = e.type AND i.seq = e.seq
                  AND i.ts IS NOT DISTINCT FROM e.ts AND i.post_id IS NOT DISTINCT FROM e.post_id"""
        con.execute(
            "INSERT INTO interaction_claims SELECT e.src, e.dst, e.type, e.ts, e.post_id, "
            f"e.seq, ? FROM {events} AS e JOIN interactions i ON {match}",
            [load_id],
        )
        con.execute(
            "INSERT INTO interactions SELECT e.src, e.dst, e.type, e.ts, e.post_id, e.topics, "
            f"e.weight, e.seq, ? FROM {events} AS e "
            f"WHERE NOT EXISTS (SELECT 1 FROM interactions i WHERE {match})",
            [load_id],
        )
        r.new = self._count("SELECT count(*) FROM interactions") - before

    def _merge_posts(self, load_id: str, reports: dict) -> None:
        con = self.con
        r = reports["posts"]
        r.duplicates = self._count("SELECT count(*) - count(DISTINCT id) FROM s_posts")
        before = self._count("SELECT count(*) FROM posts")
        first = "s_posts" if r.duplicates == 0 else (  # the first row of a repeated id wins
            "(SELECT * FROM s_posts QUALIFY row_number() OVER (PARTITION BY id ORDER BY _row) = 1)"
        )
        anti = "" if before == 0 else "WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.id = s.id)"
        if before:
            con.execute(
                "INSERT INTO post_claims SELECT DISTINCT s.id, $load FROM s_posts s "
                "JOIN posts p ON p.id = s.id",
                {"load": load_id},
            )
        con.execute(
            f"INSERT INTO posts SELECT s.id, a.uid, s.ts, s.text, s.topics, ? "
            f"FROM {first} s JOIN users a ON a.id = s.author {anti}",
            [load_id],
        )
        r.new = self._count("SELECT count(*) FROM posts") - before

    # -- graph view ----------------------------------------------------------------------
    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """Oldest and newest timestamp over all events, follows and posts."""
        return self.con.execute(
            """
            SELECT min(lo), max(hi) FROM (
                SELECT min(ts) AS lo, max(ts) AS hi FROM interactions
                UNION ALL SELECT min(ts), max(ts) FROM follows
                UNION ALL SELECT min(ts), max(ts) FROM posts)
            """
        ).fetchall()[0]

    def event_time_quantile(self, q: float) -> datetime | None:
        """The ``q``-quantile of the events' timestamps (see :meth:`Store.event_time_quantile`)."""
        n = self._count("SELECT count(ts) FROM interactions")
        if not n:
            return None
        return self.con.execute(
            "SELECT ts FROM interactions WHERE ts IS NOT NULL ORDER BY ts LIMIT 1 OFFSET $i",
            {"i": quantile_position(q, n)}).fetchall()[0][0]

    def graph_view(
        self, *, as_of: datetime | None, half_life_seconds: float | None,
        load_ids: list[str] | None = None,
    ) -> GraphView:
        """Integer-indexed arrays of the graph, interactions aggregated with time decay.

        One aggregation query: ``fsum(weight * decay)`` per (src, dst, type) (compensated
        summation: a plain parallel ``sum`` of doubles depends on how threads split the rows,
        so two runs on the same snapshot could differ in the last bits), the decay factor
        being :data:`~graph_influence.stores.common.DECAY_SQL`. See :meth:`Store.graph_view`.
        """
        from graph_influence.graph_view import canonical_view

        con = self.con
        # a fixed fragment; the load ids travel as a parameter
        of_loads = "" if load_ids is None else " AND list_contains($loads::VARCHAR[], load_id)"
        loads = {} if load_ids is None else {"loads": list(load_ids)}
        n = self._count(f"SELECT count(*) FROM users WHERE true{of_loads}", loads)
        if n == 0:
            raise StoreNotReadyError(
                f"the store {self.url} is empty — load a snapshot first: "
                "graph-influence load SNAPSHOT"
            )
        users = con.sql(f"SELECT uid, id FROM users WHERE true{of_loads}",
                        params=loads or None).to_arrow_table()
        follows = con.execute(
            "SELECT src, dst FROM follows WHERE src <> dst AND (ts IS NULL "
            f"OR ts <= $as_of::TIMESTAMP OR $as_of::TIMESTAMP IS NULL){of_loads}",
            {"as_of": as_of, **loads},
        ).fetchnumpy()
        type_names = [r[0] for r in con.execute(
            f"SELECT DISTINCT type FROM interactions WHERE true{of_loads} ORDER BY type", loads
        ).fetchall()]
        hl = half_life_seconds
        agg = con.execute(
            f"""
            SELECT src, dst, (list_position($types::VARCHAR[], type) - 1)::INTEGER AS type_code,
                   count(*) AS n,
                   fsum(weight * {DECAY_SQL}) AS decayed,
                   fsum(weight) AS total
            FROM interactions
            WHERE src <> dst AND (ts IS NULL OR $as_of::TIMESTAMP IS NULL
                                  OR ts <= $as_of::TIMESTAMP){of_loads}
            GROUP BY src, dst, type
            """,
            {"types": type_names, "half_life": hl, "as_of": as_of, **loads},
        ).fetchnumpy()
        return canonical_view(
            uids=users["uid"].to_numpy(),
            ids=users["id"].combine_chunks(),
            follow_src=follows["src"],
            follow_dst=follows["dst"],
            inter_src=agg["src"],
            inter_dst=agg["dst"],
            inter_type=agg["type_code"],
            inter_count=agg["n"],
            inter_decayed=agg["decayed"],
            type_names=type_names,
            as_of=as_of,
            half_life_seconds=hl,
            inter_weight=agg["total"],
        )

    def topic_rows(self, *, load_ids: list[str] | None = None) -> dict[str, pa.Table]:
        """Rows carrying topic signals, keyed by uid (see :meth:`Store.topic_rows`)."""
        con = self.con
        loads = None if load_ids is None else {"loads": list(load_ids)}

        def of(alias: str) -> str:  # a fixed fragment; the ids travel as a parameter
            return "" if loads is None else f" AND list_contains($loads, {alias}load_id)"

        return {
            "users": con.sql(
                f"SELECT uid, topics FROM users WHERE topics IS NOT NULL{of('')}",
                params=loads).to_arrow_table(),
            "posts": con.sql(
                "SELECT author, ts, text, topics FROM posts "
                f"WHERE (text IS NOT NULL OR topics IS NOT NULL){of('')}",
                params=loads).to_arrow_table(),
            "interactions": con.sql(
                f"""
                SELECT i.src, i.dst, i.type, i.ts, i.weight, i.topics,
                       p.topics AS post_topics, p.text AS post_text
                FROM interactions i LEFT JOIN posts p ON p.id = i.post_id{of('p.')}
                WHERE (i.topics IS NOT NULL OR p.topics IS NOT NULL OR p.text IS NOT NULL)
                      {of('i.')}
                """, params=loads).to_arrow_table(),
        }

    # -- results -------------------------------------------------------------------------
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
        """Store a run and its results in one transaction (see :meth:`Store.write_run`)."""
        import numpy as np
        import pyarrow as pa

        con = self.con
        results = pa.table({
            "uid": pa.array(view.uids.astype(np.int32)),
            "influence": pa.array(np.asarray(influence, dtype=np.float64)),
            "score": pa.array(np.asarray(score, dtype=np.float64)),
            "rank": pa.array(np.asarray(rank, dtype=np.int64)),
        })
        con.register("s_results", results)
        try:
            con.execute("BEGIN TRANSACTION")
            # ids are not reused: meta keeps the last one, also once that run is deleted
            run_id = self._count(
                "SELECT greatest((SELECT coalesce(max(run_id), 0) FROM runs), (SELECT "
                "coalesce(max(value::INTEGER), 0) FROM meta WHERE key = 'last_run_id')) + 1")
            con.execute("INSERT OR REPLACE INTO meta VALUES ('last_run_id', ?)", [str(run_id)])
            created = _now()
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, created, json.dumps(run.params, sort_keys=True), run.as_of,
                 run.n_users, run.n_edges, run.n_events, run.iterations, run.error,
                 run.converged, json.dumps(run.calibration), json.dumps(run.timings),
                 json.dumps(run.extras)],
            )
            con.execute(
                "INSERT INTO scores SELECT ?, uid, influence, score, rank FROM s_results "
                "ORDER BY rank, uid",
                [run_id],
            )
            if topics is not None:
                self._write_topics(run_id, view, topics)
            if communities is not None:
                self._write_communities(run_id, view, communities)
            con.execute("COMMIT")
        except BaseException as exc:
            self._fail(exc, "writing the run")
        finally:
            con.unregister("s_results")
        run.run_id = run_id
        run.created_at = created
        return run_id

    def _insert_arrow(self, table_name: str, table: pa.Table) -> None:
        """Append an Arrow table to one of the fixed result tables (name from this module)."""
        self.con.register("s_insert", table)
        try:
            self.con.execute(f"INSERT INTO {table_name} SELECT * FROM s_insert")
        finally:
            self.con.unregister("s_insert")

    def _write_topics(self, run_id: int, view: GraphView, topics: TopicResults) -> None:
        import numpy as np
        import pyarrow as pa
        import scipy.sparse as sp

        t = topics.n_topics
        self._insert_arrow("topics", pa.table({
            "run_id": pa.array(np.full(t, run_id, np.int32)),
            "topic_id": pa.array(np.arange(t, dtype=np.int32)),
            "name": pa.array(topics.names, pa.string()),
            "users": pa.array(topics.users.astype(np.int64)),
            "iterations": pa.array(topics.iterations.astype(np.int32)),
            "error": pa.array(topics.errors.astype(np.float64)),
            "calibration": pa.array([json.dumps(c) for c in topics.calibrations], pa.string()),
        }))
        users, tids = topics.stored_rows()
        self._insert_arrow("topic_scores", pa.table({
            "run_id": pa.array(np.full(len(users), run_id, np.int32)),
            "topic_id": pa.array(tids.astype(np.int32)),
            "uid": pa.array(view.uids[users].astype(np.int32)),
            "topic_influence": pa.array(topics.influence[users, tids]),
            "score": pa.array(topics.score[users, tids]),
            "rank": pa.array(topics.rank[users, tids].astype(np.int64)),
        }))
        aff = sp.coo_array(topics.affinity)
        self._insert_arrow("affinities", pa.table({
            "run_id": pa.array(np.full(aff.nnz, run_id, np.int32)),
            "uid": pa.array(view.uids[aff.row].astype(np.int32)),
            "topic_id": pa.array(aff.col.astype(np.int32)),
            "affinity": pa.array(aff.data.astype(np.float64)),
        }))

    def _write_communities(self, run_id: int, view: GraphView, found: CommunityResults) -> None:
        import numpy as np
        import pyarrow as pa

        table = found.table
        self._insert_arrow("communities", pa.table({
            "run_id": pa.array(np.full(len(table), run_id, np.int32)),
            "community": pa.array(table["community"].to_numpy().astype(np.int32)),
            "size": pa.array(table["size"].to_numpy().astype(np.int64)),
            "modularity_contribution": pa.array(
                table["modularity_contribution"].to_numpy().astype(np.float64)),
            "top_topics": pa.array([json.dumps(v, default=float) for v in table["top_topics"]],
                                   pa.string()),
            "top_members": pa.array([json.dumps(list(v)) for v in table["top_members"]],
                                    pa.string()),
        }))
        self._insert_arrow("memberships", pa.table({
            "run_id": pa.array(np.full(len(view.uids), run_id, np.int32)),
            "uid": pa.array(view.uids.astype(np.int32)),
            "community": pa.array(found.membership.astype(np.int32)),
        }))

    # -- queries -------------------------------------------------------------------------
    def run_ids(self) -> list[int]:
        """Ids of every run, oldest first."""
        return [r[0] for r in self.con.execute(
            "SELECT run_id FROM runs ORDER BY run_id").fetchall()]

    def _rows(self, sql: str, params: dict | list | None = None) -> Rows:
        """Run a query and fetch it as plain Python rows (needs no numpy)."""
        result = self.con.execute(sql, params or [])
        columns = [d[0] for d in result.description]
        return Rows(columns, result.fetchall())

    def top_rows(self, k: int = 10, *, run_id: int | None = None) -> Rows:
        """The k best users of a run (see :meth:`Store.top_rows`)."""
        rid = self.resolve_run_id(run_id)
        return self._rows(
            """
            SELECT s.rank, u.id, s.score, s.influence, u.name
            FROM scores s JOIN users u USING (uid)
            WHERE s.run_id = $rid AND s.rank <= (
                SELECT max(rank) FROM (
                    SELECT rank FROM scores WHERE run_id = $rid ORDER BY rank LIMIT $k))
            ORDER BY s.rank, u.id
            LIMIT $k
            """,
            {"rid": rid, "k": int(k)},
        )

    def top_topic_rows(self, topic: str, k: int = 10, *, run_id: int | None = None) -> Rows:
        """The k best users for a topic (see :meth:`Store.top_topic_rows`)."""
        rid = self._results_run_id(run_id, "topic scores")
        self.check_topic(topic, run_id=rid)
        return self._rows(
            """
            SELECT ts.rank, u.id, ts.score, ts.topic_influence, s.influence,
                   s.score AS score_overall, u.name
            FROM topics t
            JOIN topic_scores ts ON ts.run_id = t.run_id AND ts.topic_id = t.topic_id
            JOIN users u ON u.uid = ts.uid
            JOIN scores s ON s.run_id = ts.run_id AND s.uid = ts.uid
            WHERE t.run_id = $rid AND t.name = $topic AND ts.rank <= $k
            ORDER BY ts.rank, u.id LIMIT $k
            """,
            {"rid": rid, "topic": topic, "k": int(k)},
        )

    def topics_rows(self, *, run_id: int | None = None, top: int = 3) -> Rows:
        """Every topic of a run with its top influencers (see :meth:`Store.topics_rows`)."""
        rid = self._results_run_id(run_id, "topic scores")
        return self._rows(
            """
            SELECT t.name AS topic, t.users, t.iterations,
                   coalesce(list(u.id ORDER BY ts.rank, u.id) FILTER (WHERE ts.rank <= $top),
                            []::VARCHAR[]) AS top_influencers
            FROM topics t
            LEFT JOIN topic_scores ts ON ts.run_id = t.run_id AND ts.topic_id = t.topic_id
                                     AND ts.rank <= $top
            LEFT JOIN users u ON u.uid = ts.uid
            WHERE t.run_id = $rid
            GROUP BY t.topic_id, t.name, t.users, t.iterations
            ORDER BY t.topic_id
            """,
            {"rid": rid, "top": int(top)},
        )

    def communities_rows(self, *, run_id: int | None = None,
                         limit: int | None = None) -> tuple[float, Rows]:
        """Modularity and one row per community (see :meth:`Store.communities_rows`)."""
        rid, modularity = self._communities_run(run_id)
        rows = self._rows(
            "SELECT community, size, modularity_contribution, top_topics, top_members "
            "FROM communities WHERE run_id = ? ORDER BY community LIMIT ?",
            [rid, _ALL if limit is None else int(limit)])
        rows.rows = [(c, size, part, json.loads(topics), json.loads(members))
                     for c, size, part, topics, members in rows.rows]
        return modularity, rows

    def membership_table(self, *, run_id: int | None = None) -> pa.Table:
        """Community of every user in a run (see :meth:`Store.membership_table`)."""
        rid = self._results_run_id(run_id, "communities")
        return self.con.sql(
            "SELECT u.id, m.community FROM memberships m JOIN users u USING (uid) "
            "WHERE m.run_id = $rid", params={"rid": rid}).to_arrow_table()

    def topic_scores_table(self, *, run_id: int | None = None) -> pa.Table:
        """Every stored (user, topic) score of a run (see :meth:`Store.topic_scores_table`)."""
        rid = self._results_run_id(run_id, "topic scores")
        return self.con.sql(
            "SELECT u.id, t.name, ts.score FROM topic_scores ts JOIN users u USING (uid) "
            "JOIN topics t ON t.run_id = ts.run_id AND t.topic_id = ts.topic_id "
            "WHERE ts.run_id = $rid", params={"rid": rid}).to_arrow_table()

    def scores_arrow(self, *, run_id: int | None = None) -> pa.Table:
        """Every user's id, influence, score and rank for a run, ordered by rank then id."""
        rid = self.resolve_run_id(run_id)
        return self.con.sql(
            "SELECT u.id, s.influence, s.score, s.rank FROM scores s JOIN users u USING (uid) "
            "WHERE s.run_id = $rid ORDER BY s.rank, u.id",
            params={"rid": rid},
        ).to_arrow_table()

    def user_history(self, user_id: str) -> Rows:
        """One user's results in every run, oldest first, in one query (see
        :meth:`Store.user_history`)."""
        rows = Rows(list(HISTORY_COLUMNS),
                    self.con.execute(_Q_USER_HISTORY, {"id": user_id}).fetchall())
        if rows.rows:
            return rows
        if not self._count(_Q_HAS_USER, [user_id]):
            ids = [r[0] for r in self.con.execute(_Q_SOME_IDS, [SUGGEST_FROM_IDS]).fetchall()]
            raise unknown_user(user_id, self.url, ids)
        self.resolve_run_id()  # no run at all: "no analysis ... yet"
        return rows

    def runs(self) -> list[RunRecord]:
        """Every analysis run, oldest first."""
        rows = self.con.execute(
            "SELECT run_id, created_at, params, as_of, n_users, n_edges, n_events, iterations, "
            "error, converged, calibration, timings, extras FROM runs ORDER BY run_id"
        ).fetchall()
        return [
            RunRecord(
                params=json.loads(r[2]), as_of=r[3], n_users=r[4], n_edges=r[5], n_events=r[6],
                iterations=r[7], error=r[8], converged=r[9], calibration=json.loads(r[10]),
                timings=json.loads(r[11]), extras=json.loads(r[12] or "{}"), run_id=r[0],
                created_at=r[1],
            )
            for r in rows
        ]

    def events(self) -> pd.DataFrame:
        """Every stored interaction event (see :meth:`Store.events`)."""
        return self.con.execute(
            """
            SELECT a.id AS src, b.id AS dst, i.type, i.ts, i.post_id, i.seq, i.load_id
            FROM interactions i JOIN users a ON a.uid = i.src JOIN users b ON b.uid = i.dst
            ORDER BY i.ts NULLS FIRST, src, dst, i.type, i.post_id NULLS FIRST, i.seq
            """
        ).fetchdf()

    def counts(self) -> dict[str, int]:
        """Rows per data table."""
        return {
            name: self._count(f"SELECT count(*) FROM {name}")  # names from the fixed TABLE_ORDER
            for name in TABLE_ORDER
        }

    def loads(self) -> list[dict]:
        """Every load, oldest first (see :meth:`Store.loads`)."""
        rows = self.con.execute(
            "SELECT load_id, source, format, fingerprint, started_at, finished_at, status, report "
            "FROM loads ORDER BY started_at, load_id"
        ).fetchall()
        keys = ("load_id", "source", "format", "fingerprint", "started_at", "finished_at",
                "status", "report")
        out = []
        for r in rows:
            d = dict(zip(keys, r, strict=True))
            d["report"] = json.loads(d["report"]) if d["report"] else None
            out.append(d)
        return out

    # -- managing loads and runs -----------------------------------------------------------
    def _has_claims(self) -> bool:
        """Whether the shared-row ledger exists (a store created before it, opened read-only,
        lacks it)."""
        return self._count("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                           "'user_claims' AND NOT temporary") > 0

    def loads_rows(self) -> Rows:
        """The load ledger with the rows each load holds (see :meth:`Store.loads_rows`)."""
        held = " ".join(
            f"LEFT JOIN (SELECT load_id, count(*) AS n FROM {t} GROUP BY load_id) AS h_{t} "
            f"USING (load_id)" for t in TABLE_ORDER)  # names from the fixed TABLE_ORDER
        claims = " UNION ALL ".join(f"SELECT load_id FROM {c}" for c, _ in _CLAIMS.values())
        if not self._has_claims():
            claims = "SELECT NULL::VARCHAR AS load_id WHERE false"
        return self._rows(
            f"""
            SELECT l.load_id, l.started_at, l.status, l.format, l.source,
                   {", ".join(f"coalesce(h_{t}.n, 0) AS {t}" for t in TABLE_ORDER)},
                   coalesce(c.n, 0) AS shared
            FROM loads l {held}
            LEFT JOIN (SELECT load_id, count(*) AS n FROM ({claims}) GROUP BY load_id) AS c
                USING (load_id)
            ORDER BY l.started_at, l.load_id
            """
        )

    def drop_load(self, load_id: str, *, delete_runs: bool = False) -> DropSummary:
        """Remove a load in one transaction (see :meth:`Store.drop_load`)."""
        entry = self.load(load_id)
        load_id = entry["load_id"]
        runs = self.runs_using_load(load_id)
        if runs and not delete_runs:
            raise StoreNotReadyError(runs_use_load_message(load_id, runs))
        con = self.con
        removed, kept = {}, {}
        try:
            con.execute("BEGIN TRANSACTION")
            for rid in runs:
                self._delete_run_rows(rid)
            for table in ("interactions", "follows", "posts", "users"):
                kept[table] = self._hand_over(table, load_id)
                before = self._count(f"SELECT count(*) FROM {table}")
                con.execute(f"DELETE FROM {table} WHERE load_id = ?", [load_id])
                removed[table] = before - self._count(f"SELECT count(*) FROM {table}")
                con.execute(f"DELETE FROM {_CLAIMS[table][0]} WHERE load_id = ?", [load_id])
            con.execute("DELETE FROM loads WHERE load_id = ?", [load_id])
            con.execute("COMMIT")
        except BaseException as exc:
            self._fail(exc, "dropping the load")
        finally:
            self._quietly("DROP TABLE IF EXISTS temp.heirs")
        return DropSummary(load_id, entry["source"], entry["format"],
                           {t: removed[t] for t in TABLE_ORDER}, {t: kept[t] for t in TABLE_ORDER},
                           runs)

    def _hand_over(self, table: str, load_id: str) -> int:
        """Give the rows of ``table`` that ``load_id`` holds and another load also contains to
        the earliest such load; return how many (inside :meth:`drop_load`'s transaction)."""
        con = self.con
        claims, key = _CLAIMS[table]  # fixed names, from this module
        same = " AND ".join(f"t.{k} IS NOT DISTINCT FROM c.{k}" for k in key)
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE heirs AS
            SELECT {", ".join(f"c.{k}" for k in key)}, arg_min(c.load_id, l.started_at) AS heir
            FROM {table} t JOIN {claims} c ON {same} JOIN loads l ON l.load_id = c.load_id
            WHERE t.load_id = $load AND c.load_id <> $load
            GROUP BY {", ".join(f"c.{k}" for k in key)}
            """,
            {"load": load_id},
        )
        handed = self._count("SELECT count(*) FROM heirs")
        if handed:
            on = " AND ".join(f"{table}.{k} IS NOT DISTINCT FROM h.{k}" for k in key)
            con.execute(f"UPDATE {table} SET load_id = h.heir FROM heirs h "
                        f"WHERE {table}.load_id = $load AND {on}", {"load": load_id})
            on = " AND ".join(f"{claims}.{k} IS NOT DISTINCT FROM h.{k}" for k in key)
            con.execute(f"DELETE FROM {claims} USING heirs h "
                        f"WHERE {claims}.load_id = h.heir AND {on}")
        if table == "users":
            # a user that rows of other loads still name stays (stores loaded before the
            # shared-row ledger existed recorded no user claims), held by such a load
            before = self._count("SELECT count(*) FROM users WHERE load_id = ?", [load_id])
            con.execute(
                """
                UPDATE users SET load_id = r.load_id FROM (
                    SELECT uid, min(load_id) AS load_id FROM (
                        SELECT src AS uid, load_id FROM follows
                        UNION ALL SELECT dst, load_id FROM follows
                        UNION ALL SELECT src, load_id FROM interactions
                        UNION ALL SELECT dst, load_id FROM interactions
                        UNION ALL SELECT author, load_id FROM posts)
                    GROUP BY uid) AS r
                WHERE users.uid = r.uid AND users.load_id = $load
                """,
                {"load": load_id},
            )
            handed += before - self._count("SELECT count(*) FROM users WHERE load_id = ?",
                                           [load_id])
        return handed

    def _delete_run_rows(self, run_id: int) -> None:
        for table in _RUN_TABLES:  # fixed names, from this module
            self.con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])

    def delete_run(self, run_id: int) -> None:
        """Delete a run and its results in one transaction (see :meth:`Store.delete_run`)."""
        rid = self.resolve_run_id(int(run_id))
        try:
            self.con.execute("BEGIN TRANSACTION")
            self._delete_run_rows(rid)
            self.con.execute("COMMIT")
        except BaseException as exc:
            self._fail(exc, "deleting the run")
