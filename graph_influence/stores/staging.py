"""Prepare a snapshot for a store that merges row by row (Neo4j): the same keys and counts the
embedded store computes in SQL, computed here with an in-memory DuckDB over the Arrow tables.

- users: every id seen anywhere; attribute rows (the last row of an id wins)
- follows: one row per pair (earliest ``ts``), with duplicate and self-loop counts
- events: ``seq`` numbers exact repeats of ``(src, dst, type, ts, post_id)`` within the load, and
  ``key`` (an MD5 of those six values) identifies an event across loads
- posts: one row per id (the first wins)
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from graph_influence.loaders.snapshot import Snapshot

__all__ = ["StagedSnapshot", "stage_snapshot"]


@dataclass
class StagedSnapshot:
    """Arrow tables ready to merge, and the counts for the load report."""

    user_ids: pa.Table  # id
    users: pa.Table  # id, name, created_at, topics, attributes
    follows: pa.Table  # src, dst, ts
    events: pa.Table  # src, dst, type, ts, post_id, topics, weight, seq, key
    posts: pa.Table  # id, author, ts, text, topics
    counts: dict[str, dict[str, int]]
    ts_range: tuple[object, object]


def stage_snapshot(snapshot: Snapshot) -> StagedSnapshot:
    """Deduplicate and key a validated snapshot (vectorised, in memory).

    Parameters
    ----------
    snapshot : Snapshot

    Returns
    -------
    StagedSnapshot
    """
    con = duckdb.connect()
    try:
        for name, table in snapshot.tables.items():
            rows = pa.array(np.arange(table.num_rows, dtype=np.int64))
            con.register(f"s_{name}", table.append_column("_row", rows))

        def arrow(sql: str) -> pa.Table:
            return con.sql(sql).to_arrow_table()

        def scalar(sql: str) -> int:
            return int(con.execute(sql).fetchall()[0][0] or 0)

        user_ids = arrow(
            """SELECT id FROM (
                SELECT id FROM s_users UNION SELECT src FROM s_follows
                UNION SELECT dst FROM s_follows UNION SELECT src FROM s_interactions
                UNION SELECT dst FROM s_interactions UNION SELECT author FROM s_posts)
               ORDER BY id"""
        )
        users = arrow(
            """SELECT id, name, created_at, topics, attributes FROM s_users
               QUALIFY row_number() OVER (PARTITION BY id ORDER BY _row DESC) = 1"""
        )
        follows = arrow(
            "SELECT src, dst, min(ts) AS ts FROM s_follows GROUP BY src, dst ORDER BY src, dst"
        )
        events = arrow(
            """
            WITH numbered AS (
                SELECT src, dst, type, ts, post_id, topics, weight, _row,
                       (row_number() OVER (PARTITION BY src, dst, type, ts, post_id
                                           ORDER BY _row) - 1)::INTEGER AS seq
                FROM s_interactions)
            SELECT src, dst, type, ts, post_id, topics, weight, seq,
                   md5(to_json([src, dst, type, CAST(epoch_us(ts) AS VARCHAR), post_id,
                                CAST(seq AS VARCHAR)])::VARCHAR) AS key
            FROM numbered ORDER BY _row
            """
        )
        posts = arrow(
            """SELECT id, author, ts, text, topics FROM s_posts
               QUALIFY row_number() OVER (PARTITION BY id ORDER BY _row) = 1"""
        )
        counts = {
            "users": {"duplicates": scalar("SELECT count(*) - count(DISTINCT id) FROM s_users")},
            "follows": {
                "duplicates": scalar(
                    "SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT src, dst "
                    "FROM s_follows)) FROM s_follows"),
                "self_loops": scalar("SELECT count(*) FROM (SELECT DISTINCT src, dst FROM "
                                     "s_follows) WHERE src = dst"),
            },
            "interactions": {
                "duplicates": scalar("SELECT count(*) FROM s_interactions") - scalar(
                    "SELECT count(*) FROM (SELECT DISTINCT src, dst, type, ts, post_id "
                    "FROM s_interactions)"),
                "self_loops": scalar("SELECT count(*) FROM s_interactions WHERE src = dst"),
            },
            "posts": {"duplicates": scalar("SELECT count(*) - count(DISTINCT id) FROM s_posts")},
        }
        ts_range = con.execute(
            """SELECT min(lo), max(hi) FROM (
                 SELECT min(ts) lo, max(ts) hi FROM s_interactions
                 UNION ALL SELECT min(ts), max(ts) FROM s_follows
                 UNION ALL SELECT min(ts), max(ts) FROM s_posts)"""
        ).fetchall()[0]
    finally:
        con.close()
    return StagedSnapshot(user_ids, users, follows, events, posts, counts, tuple(ts_range))
