"""The Neo4j store: a snapshot as a property graph on a Neo4j 5 server, over Bolt.

Model::

    (:User {id, uid, name, created_at, topics, attributes, load_id, also,
            influence, score, rank, run_id})          -- the last four: the latest run
    (:User)-[:FOLLOWS {ts, load_id, also}]->(:User)    -- one per pair
    (:User)-[:INTERACTED {key, type, ts, post_id, topics, weight, seq, load_id, also}]->(:User)
                                                       -- one per event; key = MD5 of the event
    (:User)-[:POSTED]->(:Post {id, ts, text, topics, load_id, also})
    (:Load {id, source, format, fingerprint, status, started_at, finished_at, report,
            ts_min, ts_max})                           -- the load ledger
    (:Run {id, created_at, params, as_of, ..., results})-[:HAS_SCORES]->(:RunScores {chunk,
            uids, influence, score, rank})             -- every run's results, in chunks
    (:RunCounter {last, on_users})                     -- the last run id (never reused); the
                                                       -- run whose scores the users carry
    (:WriteLock {name: 'store', owner, what, started_at, expires_at})   -- the writers' lease

Writers (load, recovery, drop, analyze's ``write_run``, delete of a run) hold the lease of the
one ``:WriteLock`` node, renewed by a heartbeat thread; another writer waits, then fails with
"another load ID (started …) is writing to URL; wait or retry". Recovery runs under the lease,
so only loads whose writer is gone are rolled back, restoring the attributes they overwrote on
existing users (``undo_*`` properties). A run is written whole under its id, then made the
latest in one transaction (readers see the previous run until then).

Every query is a literal string with parameters: labels and relationship types are fixed in this
module, user values only ever travel as parameters. Writes go in ``UNWIND`` batches of columnar
lists through managed transactions (retried on transient errors).

The load ledger: a ``:Load`` node is created with ``status = 'running'`` before any row and set
to ``'complete'`` after the last; every node and relationship a load creates carries its
``load_id``. A load interrupted by a crash is found at the next ``load`` or ``analyze`` and
rolled back (everything it created is deleted), so counts are always exact; loading the same
snapshot again then completes it.

``load_id`` is the load that holds a row (the earliest load containing it); ``also`` lists the
later loads that contained it too (the shared-row ledger). Dropping a load marks its ``:Load``
``'dropping'`` first, then hands each row it holds that ``also`` names another load for to the
earliest of those, removes it from every ``also``, deletes the rest of its rows and finally its
``:Load``; a drop cut short is finished, like an interrupted load, by the next load or
analysis. ``Run.results`` is true on the one run whose topic scores, affinities and memberships
are kept (the latest; none once the latest run is deleted).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from graph_influence.errors import Interrupted, StoreError, StoreNotReadyError

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
from .common import (
    BULK_MODES,
    DECAY_CYPHER,
    new_load_id,
    now_utc,
    quantile_position,
    redact_url,
    refuse_credentials,
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from graph_influence.graph_view import GraphView
    from graph_influence.loaders.snapshot import Snapshot
    from graph_influence.results import CommunityResults, TopicResults

    from .neo4j_bulk import OfflineServer

__all__ = ["CREDENTIAL_ENV", "Neo4jStore"]

# The driver logs connection failures itself; the store reports them as one clear StoreError.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

#: The environment variables credentials are read from (never from the command line).
CREDENTIAL_ENV = ("NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE")

#: The write lock's lease (seconds) and how long a writer waits for another one's lease.
LOCK_TTL_ENV, LOCK_WAIT_ENV = "GRAPH_INFLUENCE_NEO4J_LOCK_TTL", "GRAPH_INFLUENCE_NEO4J_LOCK_WAIT"
LOCK_TTL_S, LOCK_WAIT_S = 30.0, 120.0
#: Test hook: the name of a point (``load:posts``, ``write_run:switch``) where the store stops
#: for an hour (its lease stays alive), for the fault tests to kill the process there.
PAUSE_ENV = "GRAPH_INFLUENCE_TEST_PAUSE_AT"

logger = logging.getLogger(__name__)

BATCH_SIZE = 10_000
#: See :class:`Neo4jStore` (``bulk_min_rows``, input rows); measured in docs/benchmarks.md.
BULK_MIN_ROWS = 1_000_000
#: The lease a bulk import brings into the new database: long enough for the import and the
#: restart, after which it is renewed; a bulk load that dies in between holds the store that
#: long at most.
BULK_LEASE_S = 900
#: How long a bulk load waits for the constraints and indexes it creates to come online.
INDEX_WAIT_S = 3600
Q_AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"
READ_CHUNK_USERS = 200_000
SCORE_CHUNK = 100_000
CONNECT_TIMEOUT_S = 5.0

SCHEMA = [
    "CREATE CONSTRAINT user_id IF NOT EXISTS FOR (u:User) REQUIRE u.id IS UNIQUE",
    "CREATE CONSTRAINT user_uid IF NOT EXISTS FOR (u:User) REQUIRE u.uid IS UNIQUE",
    "CREATE CONSTRAINT post_id IF NOT EXISTS FOR (p:Post) REQUIRE p.id IS UNIQUE",
    "CREATE CONSTRAINT load_id IF NOT EXISTS FOR (l:Load) REQUIRE l.id IS UNIQUE",
    "CREATE CONSTRAINT run_id IF NOT EXISTS FOR (r:Run) REQUIRE r.id IS UNIQUE",
    "CREATE CONSTRAINT event_key IF NOT EXISTS FOR ()-[e:INTERACTED]-() REQUIRE e.key IS UNIQUE",
    "DROP CONSTRAINT topic_name IF EXISTS",  # topics are per run since the atomic analyze
    "CREATE CONSTRAINT topic_key IF NOT EXISTS FOR (t:Topic) REQUIRE (t.run_id, t.name) "
    "IS UNIQUE",
    "CREATE CONSTRAINT write_lock IF NOT EXISTS FOR (w:WriteLock) REQUIRE w.name IS UNIQUE",
    "CREATE INDEX user_undo IF NOT EXISTS FOR (u:User) ON (u.undo_load)",
    "CREATE CONSTRAINT community_key IF NOT EXISTS FOR (c:Community) REQUIRE (c.run_id, c.id) "
    "IS UNIQUE",
    "CREATE INDEX user_rank IF NOT EXISTS FOR (u:User) ON (u.rank)",
    "CREATE INDEX influential_rank IF NOT EXISTS FOR ()-[r:INFLUENTIAL_IN]-() ON (r.rank)",
    "CREATE INDEX user_load IF NOT EXISTS FOR (u:User) ON (u.load_id)",
    "CREATE INDEX post_load IF NOT EXISTS FOR (p:Post) ON (p.load_id)",
    "CREATE INDEX follow_load IF NOT EXISTS FOR ()-[f:FOLLOWS]-() ON (f.load_id)",
    "CREATE INDEX event_load IF NOT EXISTS FOR ()-[e:INTERACTED]-() ON (e.load_id)",
    "CREATE INDEX load_status IF NOT EXISTS FOR (l:Load) ON (l.status)",
]

#: Epoch microseconds -> DateTime. Cypher's ``/`` and ``%`` truncate toward zero, so the
#: sub-second part is taken modulo (floored) to keep the nanosecond in [0, 1e9) before 1970.
_TS = ("CASE WHEN {v} IS NULL THEN null ELSE datetime({{"
       "epochSeconds: ({v} - (({v} % 1000000) + 1000000) % 1000000) / 1000000, "
       "nanosecond: ((({v} % 1000000) + 1000000) % 1000000) * 1000}}) END")

#: The fenced prefix of a commit: nothing happens unless this writer still holds the lease.
_FENCE = """
MATCH (w:WriteLock {name: 'store'}) WHERE w.owner = $owner AND w.expires_at > timestamp()
"""
# -- the write lock: one (:WriteLock {name: 'store'}) node holds a lease (owner token, what it
# is for, expires_at in server epoch milliseconds), renewed by a heartbeat while its owner writes.
# ``SET w.grab = ...`` first takes the node's write lock, so the owner is then read fresh.
Q_ACQUIRE_LOCK = """
MERGE (w:WriteLock {name: 'store'})
SET w.grab = $owner
WITH w, timestamp() AS now
WITH w, now, w.owner IS NULL OR w.owner = $owner OR w.expires_at < now AS free,
     coalesce(w.owner = $owner, false) AS mine
SET w.started_at = CASE WHEN free AND NOT mine THEN datetime() ELSE w.started_at END,
    w.what = CASE WHEN free AND NOT mine THEN $what ELSE w.what END,
    w.expires_at = CASE WHEN free THEN now + $ttl_ms ELSE w.expires_at END,
    w.owner = CASE WHEN free THEN $owner ELSE w.owner END
REMOVE w.grab
RETURN free, w.what AS what, w.started_at AS started_at, w.expires_at - now AS left_ms
"""
Q_RENEW_LOCK = """
MATCH (w:WriteLock {name: 'store'}) WHERE w.owner = $owner
SET w.expires_at = timestamp() + $ttl_ms
RETURN count(*) AS n
"""
Q_RELEASE_LOCK = """
MATCH (w:WriteLock {name: 'store'}) WHERE w.owner = $owner
REMOVE w.owner, w.what, w.started_at, w.expires_at
"""

Q_EXISTING_USERS = "MATCH (u:User) RETURN collect([u.id, u.uid, elementId(u)]) AS rows"
Q_MERGE_USERS = """
UNWIND range(0, size($id) - 1) AS i
MERGE (u:User {id: $id[i]})
ON CREATE SET u.uid = $uid[i], u.load_id = $load_id
RETURN collect(elementId(u)) AS eid
"""
Q_SET_USER_ATTRS = f"""
UNWIND range(0, size($id) - 1) AS i
MATCH (u:User {{id: $id[i]}})
FOREACH (_ IN CASE WHEN u.load_id <> $load_id AND coalesce(u.undo_load, '') <> $load_id
                   THEN [1] ELSE [] END |
    SET u.undo_load = $load_id, u.undo_name = u.name, u.undo_created_at = u.created_at,
        u.undo_topics = u.topics, u.undo_attributes = u.attributes)
SET u.name = coalesce($name[i], u.name),
    u.created_at = coalesce({_TS.format(v="$created_at[i]")}, u.created_at),
    u.topics = coalesce($topics[i], u.topics),
    u.attributes = coalesce($attributes[i], u.attributes)
"""
#: Rolling back a load restores the attributes it overwrote on users it did not create;
#: a completed load forgets them.
Q_RESTORE_USERS = """
MATCH (u:User {undo_load: $load_id}) WITH u LIMIT $limit
SET u.name = u.undo_name, u.created_at = u.undo_created_at, u.topics = u.undo_topics,
    u.attributes = u.undo_attributes
REMOVE u.undo_load, u.undo_name, u.undo_created_at, u.undo_topics, u.undo_attributes
RETURN count(*) AS n
"""
Q_FORGET_UNDO = """
MATCH (u:User {undo_load: $load_id}) WITH u LIMIT $limit
REMOVE u.undo_load, u.undo_name, u.undo_created_at, u.undo_topics, u.undo_attributes
RETURN count(*) AS n
"""
#: ``also`` of an existing row ``{x}`` with this load added (once; never its own load).
_ALSO = ("CASE WHEN {x}.load_id = $load_id OR $load_id IN coalesce({x}.also, []) THEN {x}.also "
         "ELSE coalesce({x}.also, []) + $load_id END")
Q_MERGE_FOLLOWS = f"""
UNWIND range(0, size($src) - 1) AS i
MATCH (a) WHERE elementId(a) = $src[i]
MATCH (b) WHERE elementId(b) = $dst[i]
MERGE (a)-[f:FOLLOWS]->(b)
ON CREATE SET f.ts = {_TS.format(v="$ts[i]")}, f.load_id = $load_id
ON MATCH SET f.also = {_ALSO.format(x="f")}
"""
Q_SHARE_USERS = f"""
UNWIND $id AS x
MATCH (u:User {{id: x}})
SET u.also = {_ALSO.format(x="u")}
"""
Q_SHARE_EVENTS = f"""
UNWIND $key AS k
MATCH ()-[e:INTERACTED {{key: k}}]->()
SET e.also = {_ALSO.format(x="e")}
"""
Q_MERGE_EVENTS = f"""
UNWIND range(0, size($key) - 1) AS i
MATCH (a:User {{id: $src[i]}}) MATCH (b:User {{id: $dst[i]}})
MERGE (a)-[e:INTERACTED {{key: $key[i]}}]->(b)
ON CREATE SET e.type = $type[i], e.ts = {_TS.format(v="$ts[i]")}, e.post_id = $post_id[i],
              e.topics = $topics[i], e.weight = $weight[i], e.seq = $seq[i],
              e.load_id = $load_id
"""
Q_CREATE_EVENTS = f"""
UNWIND range(0, size($key) - 1) AS i
MATCH (a) WHERE elementId(a) = $src[i]
MATCH (b) WHERE elementId(b) = $dst[i]
CREATE (a)-[e:INTERACTED {{key: $key[i], type: $type[i], post_id: $post_id[i],
                           topics: $topics[i], weight: $weight[i], seq: $seq[i],
                           load_id: $load_id}}]->(b)
SET e.ts = {_TS.format(v="$ts[i]")}
"""
Q_EXISTING_EVENT_KEYS = """
UNWIND $key AS k
MATCH ()-[e:INTERACTED {key: k}]->()
RETURN collect(e.key) AS keys
"""
Q_MERGE_POSTS = f"""
UNWIND range(0, size($id) - 1) AS i
MATCH (a) WHERE elementId(a) = $author[i]
MERGE (p:Post {{id: $id[i]}})
ON CREATE SET p.ts = {_TS.format(v="$ts[i]")}, p.text = $text[i], p.topics = $topics[i],
              p.load_id = $load_id
ON MATCH SET p.also = {_ALSO.format(x="p")}
FOREACH (_ IN CASE WHEN p.load_id = $load_id AND NOT EXISTS {{ ()-[:POSTED]->(p) }}
                   THEN [1] ELSE [] END |
    CREATE (a)-[:POSTED {{load_id: $load_id}}]->(p))
"""
Q_START_LOAD = """
CREATE (l:Load {id: $load_id, source: $source, format: $format, fingerprint: $fingerprint,
                status: 'running', started_at: datetime()})
"""
Q_DATED_EVENTS = """
MATCH ()-[e:INTERACTED]->() WHERE e.ts IS NOT NULL AND e.load_id IN $loads RETURN count(e) AS n
"""
Q_EVENT_TIME_AT = """
MATCH ()-[e:INTERACTED]->() WHERE e.ts IS NOT NULL AND e.load_id IN $loads
WITH e.ts.epochSeconds * 1000000 + e.ts.nanosecond / 1000 AS us ORDER BY us
SKIP $i LIMIT 1 RETURN us
"""
Q_LOAD_STATUS = "MATCH (l:Load {id: $load_id}) RETURN l.status AS status"
Q_FINISH_LOAD = _FENCE + """
MATCH (l:Load {id: $load_id}) WHERE l.status = 'running'
SET l.status = 'complete', l.finished_at = datetime(), l.report = $report,
    l.ts_min = $ts_min, l.ts_max = $ts_max
RETURN count(*) AS n
"""
Q_INTERRUPTED = """
MATCH (l:Load) WHERE l.status <> 'complete' RETURN l.id AS id, l.status AS status ORDER BY id
"""
Q_DELETE_EVENTS_OF_LOAD = """
MATCH ()-[e:INTERACTED {load_id: $load_id}]->() WITH e LIMIT $limit DELETE e RETURN count(*) AS n
"""
Q_DELETE_FOLLOWS_OF_LOAD = """
MATCH ()-[f:FOLLOWS {load_id: $load_id}]->() WITH f LIMIT $limit DELETE f RETURN count(*) AS n
"""
Q_DELETE_POSTS_OF_LOAD = """
MATCH (p:Post {load_id: $load_id}) WITH p LIMIT $limit DETACH DELETE p RETURN count(*) AS n
"""
Q_DELETE_USERS_OF_LOAD = """
MATCH (u:User {load_id: $load_id}) WITH u LIMIT $limit DETACH DELETE u RETURN count(*) AS n
"""
Q_DELETE_LOAD = "MATCH (l:Load {id: $load_id}) DELETE l"
Q_MARK_DROPPING = "MATCH (l:Load {id: $load_id}) SET l.status = 'dropping'"
#: Per data table, how to match the rows a load holds and every row (fixed patterns).
_ROWS = {
    "interactions": ("()-[x:INTERACTED {load_id: $load_id}]->()", "()-[x:INTERACTED]->()"),
    "follows": ("()-[x:FOLLOWS {load_id: $load_id}]->()", "()-[x:FOLLOWS]->()"),
    "posts": ("(x:Post {load_id: $load_id})", "(x:Post)"),
    "users": ("(x:User {load_id: $load_id})", "(x:User)"),
}
# rows the dropped load holds that later loads contain: to the earliest complete one ($order)
Q_HAND_OVER = {table: f"""
MATCH {held}
WITH x, [l IN $order WHERE l IN coalesce(x.also, [])]
        + [l IN coalesce(x.also, []) WHERE l <> $load_id] AS heirs
WHERE size(heirs) > 0
WITH x, heirs LIMIT $limit
SET x.load_id = heirs[0], x.also = [l IN x.also WHERE l <> heirs[0] AND l <> $load_id]
RETURN count(*) AS n
""" for table, (held, _) in _ROWS.items()}
Q_FORGET_SHARES = {table: f"""
MATCH {every} WHERE $load_id IN x.also
WITH x LIMIT $limit
SET x.also = [l IN x.also WHERE l <> $load_id]
RETURN count(*) AS n
""" for table, (_, every) in _ROWS.items()}
# a user that other loads' rows still name stays (loads written before the shared-row ledger
# recorded no shares), held by such a load
Q_KEEP_NAMED_USERS = """
MATCH (x:User {load_id: $load_id})
WITH x, [l IN [(x)-[r:FOLLOWS|INTERACTED]-() | r.load_id] + [(x)-[:POSTED]->(p) | p.load_id]
         WHERE l IS NOT NULL AND l <> $load_id] AS heirs
WHERE size(heirs) > 0
WITH x, heirs LIMIT $limit
SET x.load_id = heirs[0]
RETURN count(*) AS n
"""
Q_HELD = {table: f"MATCH {every} RETURN x.load_id AS id, count(*) AS n"
          for table, (_, every) in _ROWS.items()}
Q_SHARED = {table: f"MATCH {every} WHERE x.also IS NOT NULL UNWIND x.also AS l "
                   "RETURN l AS id, count(*) AS n"
            for table, (_, every) in _ROWS.items()}
Q_PREVIOUS_LOAD = """
MATCH (l:Load {fingerprint: $fingerprint, status: 'complete'})
RETURN l.id AS id ORDER BY l.started_at LIMIT 1
"""
Q_COUNTS = {
    "users": "MATCH (u:User) RETURN count(u) AS n",
    "follows": "MATCH ()-[f:FOLLOWS]->() RETURN count(f) AS n",
    "interactions": "MATCH ()-[e:INTERACTED]->() RETURN count(e) AS n",
    "posts": "MATCH (p:Post) RETURN count(p) AS n",
}
# the loads whose rows are not (or no longer) part of the store: running, or cut short
Q_OPEN_LOADS = "MATCH (l:Load) WHERE l.status <> 'complete' RETURN collect(l.id) AS ids"
# rows added by those loads (the load_id indexes find them)
Q_OPEN_ROWS = {table: f"MATCH {every} WHERE x.load_id IN $open RETURN count(x) AS n"
               for table, (_, every) in _ROWS.items()}
Q_ANY_NODE = "RETURN EXISTS { MATCH (n) WHERE NOT n:WriteLock } AS found"
Q_DATABASE_NAME = "CALL db.info() YIELD name RETURN name"
Q_TIME_RANGE = """
MATCH (l:Load {status: 'complete'})
RETURN min(l.ts_min) AS lo, max(l.ts_max) AS hi
"""
Q_USERS = "MATCH (u:User) RETURN collect(u.uid) AS uid, collect(u.id) AS id"
Q_VIEW_USERS = """
MATCH (u:User) WHERE $loads IS NULL OR u.load_id IN $loads
RETURN collect(u.uid) AS uid, collect(u.id) AS id
"""
Q_MAX_UID = "MATCH (u:User) RETURN max(u.uid) AS m"
Q_FOLLOWS_VIEW = """
MATCH (a:User) WHERE a.uid >= $lo AND a.uid < $hi
MATCH (a)-[f:FOLLOWS]->(b:User)
WHERE a <> b AND (f.ts IS NULL OR $as_of IS NULL OR f.ts <= $as_of)
  AND ($loads IS NULL OR f.load_id IN $loads)
RETURN collect(a.uid) AS src, collect(b.uid) AS dst
"""
Q_EVENTS_VIEW = """
MATCH (a:User) WHERE a.uid >= $lo AND a.uid < $hi
MATCH (a)-[e:INTERACTED]->(b:User)
WHERE a <> b AND (e.ts IS NULL OR $as_of IS NULL OR e.ts <= $as_of)
  AND ($loads IS NULL OR e.load_id IN $loads)
WITH a.uid AS s, b.uid AS d, e.type AS t, count(*) AS n,
     sum(e.weight * """ + DECAY_CYPHER + """) AS w, sum(e.weight) AS total
RETURN collect(s) AS src, collect(d) AS dst, collect(t) AS type, collect(n) AS n,
       collect(w) AS w, collect(total) AS total
"""
# collect() drops nulls, so rows are collected as lists (which keep them) and split here.
Q_TOPIC_USERS = """
MATCH (u:User) WHERE u.topics IS NOT NULL AND ($loads IS NULL OR u.load_id IN $loads)
RETURN collect([u.uid, u.topics]) AS rows
"""
Q_TOPIC_POSTS = """
MATCH (a:User)-[:POSTED]->(p:Post)
WHERE (p.text IS NOT NULL OR p.topics IS NOT NULL) AND ($loads IS NULL OR p.load_id IN $loads)
RETURN collect([a.uid, p.ts, p.text, p.topics]) AS rows
"""
Q_TOPIC_EVENTS = """
MATCH (a:User)-[e:INTERACTED]->(b:User)
WHERE (e.topics IS NOT NULL OR e.post_id IS NOT NULL)
  AND ($loads IS NULL OR e.load_id IN $loads)
OPTIONAL MATCH (p:Post {id: e.post_id}) WHERE $loads IS NULL OR p.load_id IN $loads
WITH a, b, e, p WHERE e.topics IS NOT NULL OR p.topics IS NOT NULL OR p.text IS NOT NULL
RETURN collect([a.uid, b.uid, e.type, e.ts, e.weight, e.topics, p.topics, p.text]) AS rows
"""
Q_TYPES = """
MATCH ()-[e:INTERACTED]->() WHERE $loads IS NULL OR e.load_id IN $loads
RETURN collect(DISTINCT e.type) AS types
"""
Q_NEXT_RUN = """
OPTIONAL MATCH (r:Run) WITH coalesce(max(r.id), 0) AS top
OPTIONAL MATCH (c:RunCounter) WITH top, coalesce(max(c.last), 0) AS last
RETURN CASE WHEN top > last THEN top ELSE last END + 1 AS id
"""
Q_COUNT_RUN = "MERGE (c:RunCounter) SET c.last = $run_id"  # ids are not reused after a delete
Q_CREATE_RUN = """
CREATE (r:Run {id: $run_id, created_at: $created_at, params: $params, as_of: $as_of,
               n_users: $n_users, n_edges: $n_edges, n_events: $n_events,
               iterations: $iterations, error: $error, converged: $converged,
               calibration: $calibration, timings: $timings, extras: $extras,
               complete: false, results: true})
"""
#: The one transaction that makes a fully written run the latest: readers see the previous
#: run until it commits, this one after. The users' score properties are then stale
#: (``on_users = -1``: readers use the score chunks) until they are copied.
Q_SWITCH_RUN = _FENCE + """
MATCH (r:Run {id: $run_id})
SET r.complete = true, r.results = true
WITH r
OPTIONAL MATCH (o:Run) WHERE o.id <> $run_id AND coalesce(o.results, true)
SET o.results = false
WITH DISTINCT r
MERGE (c:RunCounter)
SET c.on_users = -1
RETURN count(*) AS n
"""
Q_ON_USERS = "MERGE (c:RunCounter) SET c.on_users = $run_id"
Q_READ_ON_USERS = "MATCH (c:RunCounter) RETURN c.on_users AS id"
Q_UNFINISHED_RUNS = "MATCH (r:Run) WHERE NOT coalesce(r.complete, false) RETURN r.id AS id"
Q_RESULTS_RUN = """
MATCH (r:Run {complete: true}) WHERE coalesce(r.results, true) RETURN max(r.id) AS id
"""
Q_HIDE_RUN = """
MATCH (r:Run {id: $run_id}) SET r.complete = false
WITH r MERGE (c:RunCounter) SET c.on_users = CASE WHEN $stale THEN -1 ELSE c.on_users END
"""
Q_DELETE_RUN_PARTS = [  # a run's results, in batches; then the run itself
    "MATCH (:Run {id: $run_id})-[:HAS_SCORES]->(c:RunScores) WITH c LIMIT $limit "
    "DETACH DELETE c RETURN count(*) AS n",
    "MATCH (c:Community {run_id: $run_id}) WITH c LIMIT $limit DETACH DELETE c "
    "RETURN count(*) AS n",
    "MATCH ()-[x:INFLUENTIAL_IN {run_id: $run_id}]->() WITH x LIMIT $limit DELETE x "
    "RETURN count(*) AS n",
    "MATCH ()-[x:INTERESTED_IN {run_id: $run_id}]->() WITH x LIMIT $limit DELETE x "
    "RETURN count(*) AS n",
    "MATCH (t:Topic {run_id: $run_id}) WITH t LIMIT $limit DETACH DELETE t RETURN count(*) AS n",
    "MATCH (u:User) WHERE u.run_id = $run_id WITH u LIMIT $limit "
    "REMOVE u.influence, u.score, u.rank, u.run_id, u.community RETURN count(*) AS n",
]
Q_DELETE_RUN = "MATCH (r:Run {id: $run_id}) DETACH DELETE r"
Q_DROP_OLDER = [  # results of earlier runs that only the latest run keeps (after the switch)
    "MATCH ()-[r:INFLUENTIAL_IN]->() WHERE r.run_id <> $run_id WITH r LIMIT $limit DELETE r "
    "RETURN count(*) AS n",
    "MATCH ()-[r:INTERESTED_IN]->() WHERE r.run_id <> $run_id WITH r LIMIT $limit DELETE r "
    "RETURN count(*) AS n",
    "MATCH ()-[r:IN_COMMUNITY]->(c:Community) WHERE c.run_id <> $run_id WITH r LIMIT $limit "
    "DELETE r RETURN count(*) AS n",
    "MATCH (t:Topic) WHERE t.run_id <> $run_id WITH t LIMIT $limit DETACH DELETE t "
    "RETURN count(*) AS n",
]
Q_MERGE_TOPICS = """
UNWIND range(0, size($name) - 1) AS i
CREATE (t:Topic {name: $name[i], run_id: $run_id})
SET t.topic_id = i, t.users = $users[i], t.iterations = $iterations[i],
    t.error = $error[i]
"""
Q_INFLUENTIAL = """
UNWIND range(0, size($uid) - 1) AS i
MATCH (u:User {uid: $uid[i]}) MATCH (t:Topic {run_id: $run_id, name: $topic[i]})
CREATE (u)-[:INFLUENTIAL_IN {run_id: $run_id, rank: $rank[i], score: $score[i],
                             influence: $influence[i], overall_score: $overall_score[i],
                             overall_influence: $overall_influence[i]}]->(t)
"""
Q_INTERESTED = """
UNWIND range(0, size($uid) - 1) AS i
MATCH (u:User {uid: $uid[i]}) MATCH (t:Topic {run_id: $run_id, name: $topic[i]})
CREATE (u)-[:INTERESTED_IN {run_id: $run_id, affinity: $affinity[i]}]->(t)
"""
Q_COMMUNITIES = """
UNWIND range(0, size($id) - 1) AS i
CREATE (:Community {run_id: $run_id, id: $id[i], size: $size[i],
                    modularity_contribution: $contribution[i], top_topics: $top_topics[i],
                    top_members: $top_members[i]})
"""
Q_MEMBERS = """
UNWIND range(0, size($uid) - 1) AS i
MATCH (u:User {uid: $uid[i]}) MATCH (c:Community {run_id: $run_id, id: $community[i]})
CREATE (u)-[:IN_COMMUNITY]->(c)
"""
Q_TOP_TOPIC = """
MATCH (t:Topic {run_id: $run_id, name: $topic})<-[r:INFLUENTIAL_IN]-(u:User)
WHERE r.run_id = $run_id AND r.rank <= $k
RETURN r.rank AS rank, u.id AS id, r.score AS score, r.influence AS topic_influence,
       coalesce(r.overall_influence, u.influence) AS influence,
       coalesce(r.overall_score, u.score) AS score_overall, u.name AS name
ORDER BY rank, id LIMIT $k
"""
Q_TOPICS_SUMMARY = """
MATCH (t:Topic {run_id: $run_id})
OPTIONAL MATCH (t)<-[r:INFLUENTIAL_IN]-(u:User) WHERE r.rank <= $top
WITH t, r, u ORDER BY r.rank, u.id
WITH t.topic_id AS tid, t.name AS topic, t.users AS users, t.iterations AS iterations,
     [x IN collect(u.id) WHERE x IS NOT NULL][..$top] AS top_influencers
RETURN topic, users, iterations, top_influencers
ORDER BY tid
"""
Q_COMMUNITIES_SUMMARY = """
MATCH (c:Community {run_id: $run_id})
RETURN c.id AS community, c.size AS size, c.modularity_contribution AS modularity_contribution,
       c.top_topics AS top_topics, c.top_members AS top_members
ORDER BY community LIMIT $limit
"""
Q_MEMBERSHIP = """
MATCH (u:User)-[:IN_COMMUNITY]->(c:Community {run_id: $run_id})
RETURN collect([u.id, c.id]) AS rows
"""
Q_TOPIC_SCORES = """
MATCH (u:User)-[r:INFLUENTIAL_IN {run_id: $run_id}]->(t:Topic)
RETURN collect([u.id, t.name, r.score]) AS rows
"""
Q_RUN_SCORES = """
MATCH (r:Run {id: $run_id})
CREATE (r)-[:HAS_SCORES]->(:RunScores {run_id: $run_id, chunk: $chunk, uids: $uid,
                                       influence: $influence, score: $score, rank: $rank})
"""
Q_SET_USER_SCORES = """
UNWIND range(0, size($uid) - 1) AS i
MATCH (u:User {uid: $uid[i]})
SET u.influence = $influence[i], u.score = $score[i], u.rank = $rank[i], u.run_id = $run_id
"""
Q_RUNS = """
MATCH (r:Run {complete: true})
RETURN r.id AS run_id, r.created_at AS created_at, r.params AS params, r.as_of AS as_of,
       r.n_users AS n_users, r.n_edges AS n_edges, r.n_events AS n_events,
       r.iterations AS iterations, r.error AS error, r.converged AS converged,
       r.calibration AS calibration, r.timings AS timings, r.extras AS extras
ORDER BY r.id
"""
Q_TOP_LATEST = """
MATCH (u:User) WHERE u.rank <= $k AND u.run_id = $run_id
RETURN u.rank AS rank, u.id AS id, u.score AS score, u.influence AS influence, u.name AS name
ORDER BY rank, id LIMIT $k
"""
Q_RUN_SCORE_CHUNKS = """
MATCH (:Run {id: $run_id})-[:HAS_SCORES]->(c:RunScores)
RETURN c.uids AS uid, c.influence AS influence, c.score AS score, c.rank AS rank
ORDER BY c.chunk
"""
#: One user's results in every run (:meth:`Neo4jStore.user_history`), from the runs' score
#: chunks: the chunk holding the user's uid gives their position, and every chunk of the run
#: is counted for the users with lower influence (``explain``'s percentile).
Q_USER_HISTORY = """
MATCH (u:User {id: $id})
MATCH (r:Run {complete: true})-[:HAS_SCORES]->(c:RunScores)
WITH u.uid AS uid, r, collect(c) AS chunks
UNWIND [c IN chunks WHERE uid IN c.uids] AS c
WITH r, chunks, c, [i IN range(0, size(c.uids) - 1) WHERE c.uids[i] = uid][0] AS i
WITH r, chunks, c.influence[i] AS influence, c.score[i] AS score, c.rank[i] AS rank
WITH r, influence, score, rank,
     reduce(n = 0, x IN chunks | n + size([v IN x.influence WHERE v < influence])) AS lower,
     reduce(n = 0, x IN chunks | n + size(x.uids)) AS total
RETURN r.id AS run_id, r.created_at AS created_at, r.as_of AS as_of, score, rank,
       toFloat(lower) / total * 100 AS percentile, influence, r.n_users AS users
ORDER BY run_id
"""
Q_HAS_USER = "MATCH (u:User {id: $id}) RETURN count(u) AS n"
Q_SOME_IDS = "MATCH (u:User) RETURN u.id AS id ORDER BY id LIMIT $limit"
Q_EVENTS = """
MATCH (a:User)-[e:INTERACTED]->(b:User)
RETURN a.id AS src, b.id AS dst, e.type AS type, e.ts AS ts, e.post_id AS post_id,
       e.seq AS seq, e.load_id AS load_id
ORDER BY e.ts IS NOT NULL, e.ts, src, dst, type, e.post_id IS NOT NULL, post_id, seq
"""
Q_LOADS = """
MATCH (l:Load)
RETURN l.id AS load_id, l.source AS source, l.format AS format, l.fingerprint AS fingerprint,
       l.started_at AS started_at, l.finished_at AS finished_at, l.status AS status,
       l.report AS report
ORDER BY l.started_at, l.id
"""


def _micros(column: pa.ChunkedArray) -> list:
    """Timestamps as epoch microseconds (None for null), for a parameter list."""
    import pyarrow as pa

    return column.cast(pa.timestamp("us")).cast(pa.int64()).to_pylist()


def _naive_utc(value) -> datetime | None:
    if value is None:
        return None
    native = value.to_native() if hasattr(value, "to_native") else value
    if native.tzinfo is not None:
        native = native.astimezone(UTC).replace(tzinfo=None)
    return native


def _test_pause(point: str) -> None:
    """Stop here for an hour when ``$GRAPH_INFLUENCE_TEST_PAUSE_AT`` names this point (the
    fault tests kill the process there); a line on stderr says so."""
    if os.environ.get(PAUSE_ENV) == point:
        print(f"paused at {point}", file=sys.stderr, flush=True)
        time.sleep(3600)


def _seconds_env(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise StoreError(f"{name}={value!r} is not a number of seconds") from None


#: The URL schemes of the Neo4j driver (bolt: one server; neo4j: routing; +s/+ssc: TLS).
URL_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def _check_url(url: str) -> None:
    """Raise a :class:`StoreError` saying what is wrong with a URL the driver cannot use
    (before the driver gives a bare ``ValueError`` or tries for seconds)."""
    from urllib.parse import urlsplit

    refuse_credentials(str(url))
    shown = redact_url(url)
    fix = "write bolt://HOST:PORT or neo4j://HOST:PORT (neo4j+s:// for TLS)"
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError as exc:
        raise StoreError(f"{shown!r} is not a Neo4j URL: {exc} — {fix}") from None
    if parts.scheme.lower() not in URL_SCHEMES:
        raise StoreError(f"{shown!r} is not a Neo4j URL: the scheme is not one of "
                         f"{', '.join(URL_SCHEMES)} — {fix}")
    if not parts.hostname:
        raise StoreError(f"{shown!r} is not a Neo4j URL: it names no host — {fix}")
    if port == 0:
        raise StoreError(f"{shown!r} is not a Neo4j URL: port 0 — {fix}")


#: ``count(done, total, unit=...)``: progress within a stage (:meth:`Stages.count`).
COUNT = Callable[..., None]


def _batches(n: int, size: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, n, size):
        yield lo, min(n, lo + size)


class Neo4jStore(Store):
    """A store on a Neo4j 5 server.

    Parameters
    ----------
    url : str
        ``bolt://``, ``neo4j://`` or ``neo4j+s://`` URI.
    batch_size : int, optional
        Rows per write transaction (default 10,000).
    driver : neo4j.Driver, optional
        Use this driver instead of opening one (tests wrap the real driver with a spy).
    server : OfflineServer, optional
        The server behind ``url`` when this machine controls it (a
        :class:`~graph_influence.testing.neo4j_server.Neo4jServer`): a load into an empty
        database may then stop it and import offline. Without it, the development server of
        ``make neo4j-up`` is recognised by its URL.
    bulk : {"auto", "always", "never"}
        ``auto``: the first load into an empty database of a controlled server, of at least
        ``bulk_min_rows`` rows, is a bulk import (``neo4j-admin database import full``); every
        other load goes over Bolt. ``always``: bulk, or an error that says why not;
        ``never``: always Bolt.
    bulk_min_rows : int, optional
        The smallest snapshot (input rows of every table) that ``auto`` imports in bulk:
        below it the restart and index builds cost about what the Bolt writes do.

    Notes
    -----
    Credentials come from ``NEO4J_USERNAME`` and ``NEO4J_PASSWORD`` (no authentication when
    both are unset), the database from ``NEO4J_DATABASE`` (the server's default otherwise).
    They are never printed.

    Topic scores, affinities and community memberships are kept for the latest run only
    (``capabilities.results_of_every_run`` is False); overall scores, run records and community
    summaries for every run. A load is batched under a ledger entry, not one transaction
    (``capabilities.atomic_loads`` is False): an interrupted load is rolled back by the next
    load or analysis.
    """

    backend = "neo4j"
    capabilities = StoreCapabilities(results_of_every_run=False, atomic_loads=False,
                                     bulk_loads=True)

    def __init__(self, url: str, *, batch_size: int = BATCH_SIZE, driver=None,
                 server: OfflineServer | None = None, bulk: str = "auto",
                 bulk_min_rows: int = BULK_MIN_ROWS) -> None:
        import neo4j
        from neo4j import exceptions as nx_exc

        self._url = url
        self.server = server
        self.bulk = bulk
        self.bulk_min_rows = int(bulk_min_rows)
        shown = redact_url(url)  # the Python API may be given a URL with credentials
        _check_url(url)
        self.batch_size = int(batch_size)
        self.lock_ttl_s = _seconds_env(LOCK_TTL_ENV, LOCK_TTL_S)
        self.lock_wait_s = _seconds_env(LOCK_WAIT_ENV, LOCK_WAIT_S)
        self._lock_owner: str | None = None
        self._lock_depth = 0
        self._lock_valid_until = 0.0
        self._lock_lost = False
        self.database = os.environ.get("NEO4J_DATABASE") or None
        user = os.environ.get("NEO4J_USERNAME")
        password = os.environ.get("NEO4J_PASSWORD")
        auth = (user or "neo4j", password) if (user or password) else None
        self._owns_driver = driver is None
        read = ", ".join(f"{v} ({'set' if os.environ.get(v) else 'unset'})"
                         for v in CREDENTIAL_ENV)
        try:
            self.driver = driver or neo4j.GraphDatabase.driver(
                url, auth=auth, connection_timeout=CONNECT_TIMEOUT_S,
                notifications_min_severity="OFF",
                max_transaction_retry_time=15.0, connection_acquisition_timeout=10.0,
            )
        except (nx_exc.ConfigurationError, ValueError) as exc:
            raise StoreError(
                f"{shown!r} is not a Neo4j URL the driver can use: {redact_url(str(exc))} — "
                "write bolt://HOST:PORT or neo4j://HOST:PORT (neo4j+s:// for TLS)"
            ) from None
        try:
            self.driver.verify_connectivity()
        except nx_exc.AuthError as exc:
            self._close_driver()
            raise StoreError(
                f"Neo4j at {shown} refused the credentials — read {read}; set NEO4J_USERNAME "
                "and NEO4J_PASSWORD to a valid user"
            ) from exc
        except nx_exc.Neo4jError as exc:
            self._close_driver()
            if exc.code == "Neo.ClientError.Security.AuthenticationRateLimit":
                raise StoreError(
                    f"Neo4j at {shown} refuses logins for now: too many failed attempts with "
                    f"these credentials (read {read}) — fix NEO4J_USERNAME / NEO4J_PASSWORD, "
                    "wait a few seconds (the server's dbms.security.auth_lock_time) and run "
                    "the command again"
                ) from exc
            raise StoreError(
                f"Neo4j at {shown} refused the connection: {exc.code}: {exc.message}"
            ) from exc
        except (nx_exc.ServiceUnavailable, nx_exc.DriverError, OSError, ValueError) as exc:
            self._close_driver()
            raise StoreError(
                f"cannot reach Neo4j at {shown}: {exc.__class__.__name__} — is the server "
                "running and is the port right? (without Docker: make neo4j-up)"
            ) from exc
        self._ensure_schema()

    # -- lifecycle -----------------------------------------------------------------------
    @classmethod
    def from_url(cls, url: str, *, read_only: bool = False) -> Neo4jStore:
        """Connect to the server at a ``bolt://`` or ``neo4j://`` URL (``read_only`` is not
        enforced: the server's user permissions decide)."""
        return cls(url)

    @property
    def url(self) -> str:
        """The server's URI, as shown in messages (credentials in it, if the Python API was
        given any, are replaced by ``***``; they belong in the environment)."""
        return redact_url(self._url)

    def _close_driver(self) -> None:
        if getattr(self, "driver", None) is not None and self._owns_driver:
            self.driver.close()

    def close(self) -> None:
        """Close the driver (unless it was passed in)."""
        self._close_driver()

    # -- query helpers -------------------------------------------------------------------
    def _session(self):
        return self.driver.session(database=self.database)

    def _write(self, query: str, **params) -> dict:
        """Run one write query in a managed transaction; return its records and counters.
        While this store holds the write lock, nothing is written once its lease may have
        run out (another writer may then own the store)."""
        if self._lock_owner is not None and (
                self._lock_lost or time.monotonic() > self._lock_valid_until):
            raise StoreError(
                f"lost the write lock on {self.url} (its lease ran out or another writer took "
                "it); nothing more was written — run the command again")
        return self._write_unfenced(query, **params)

    def _commit(self, query: str, what: str, **params) -> None:
        """Run a fenced commit query (:data:`_FENCE`): it changes nothing unless this store
        still holds the lease."""
        out = self._write(query, owner=self._lock_owner, **params)
        if not out["records"] or not out["records"][0]["n"]:
            raise StoreError(
                f"lost the write lock on {self.url} before the {what} was committed; "
                "run the command again")

    def _write_unfenced(self, query: str, **params) -> dict:

        def work(tx):
            result = tx.run(query, params)
            records = [r.data() for r in result]
            return records, result.consume().counters

        with self._translate_errors(), self._session() as session:
            records, counters = session.execute_write(work)
        return {"records": records, "counters": counters}

    def _read(self, query: str, **params) -> list[dict]:
        def work(tx):
            return [r.data() for r in tx.run(query, params)]

        with self._translate_errors(), self._session() as session:
            return session.execute_read(work)

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        """Driver exceptions become one :class:`StoreError` with what to do (the one place)."""
        from neo4j import exceptions as nx_exc

        try:
            yield
        except (nx_exc.ServiceUnavailable, nx_exc.SessionExpired) as exc:
            raise StoreError(
                f"lost the connection to Neo4j at {self.url} ({exc.__class__.__name__}); "
                "an unfinished load is rolled back by the next load or analyze — restart the "
                "server and run the command again"
            ) from exc
        except nx_exc.AuthError as exc:
            raise StoreError(f"Neo4j at {self.url} refused the credentials: {exc.message}") from exc
        except nx_exc.Neo4jError as exc:
            raise StoreError(f"Neo4j at {self.url} failed: {exc.code}: {exc.message}") from exc
        except nx_exc.DriverError as exc:
            raise StoreError(f"Neo4j driver error for {self.url}: {exc}") from exc

    def _ensure_schema(self) -> None:
        for statement in SCHEMA:
            self._write(statement)

    # -- the write lock ----------------------------------------------------------------
    @contextmanager
    def _write_lock(self, what: str) -> Iterator[None]:
        """Hold the store's write lease while the block runs (re-entrant).

        One ``(:WriteLock)`` node holds the owner's token and an expiry (server time); a
        heartbeat thread renews it every quarter of the lease. Another writer waits (up to
        ``lock_wait_s``, saying so on stderr), then fails with a clear :class:`StoreError`.
        A crashed writer's lease simply runs out, and only then is its work rolled back.
        """
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        owner = uuid.uuid4().hex
        self._lock_valid_until = self._acquire_lock(owner, what)
        self._lock_owner, self._lock_depth, self._lock_lost = owner, 1, False
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(owner, stop),
                                name="neo4j-write-lease", daemon=True)
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join(timeout=10)
            self._lock_owner, self._lock_depth = None, 0
            try:
                self._write_unfenced(Q_RELEASE_LOCK, owner=owner)
            except StoreError:  # the server is gone: the lease runs out by itself
                pass

    def _lease_margin(self) -> float:
        return self.lock_ttl_s * 0.75

    def _acquire_lock(self, owner: str, what: str) -> float:
        """Take the lease, waiting for another holder's; return until when (monotonic) this
        process may write under it."""
        deadline = time.monotonic() + self.lock_wait_s
        said = False
        while True:
            sent = time.monotonic()
            row = self._write_unfenced(Q_ACQUIRE_LOCK, owner=owner, what=what,
                                       ttl_ms=int(self.lock_ttl_s * 1000))["records"][0]
            if row["free"]:
                return sent + self._lease_margin()
            started = _naive_utc(row["started_at"])
            holder = (f"another {row['what']} (started "
                      f"{started:%Y-%m-%d %H:%M:%S} UTC)" if started else
                      f"another {row['what']}")
            now = time.monotonic()
            if now >= deadline:
                raise StoreError(f"{holder} is writing to {self.url}; wait or retry")
            if not said:
                logger.warning("warning: %s is writing to %s; waiting up to %.0f s",
                               holder, self.url, self.lock_wait_s)
                said = True
            left = max(0.05, (row["left_ms"] or 0) / 1000)
            time.sleep(min(0.5, left, max(0.05, deadline - now)))

    def _heartbeat(self, owner: str, stop: threading.Event) -> None:
        """Renew the lease until ``stop``; a renewal that finds another owner marks it lost."""
        while not stop.wait(self.lock_ttl_s / 4):
            try:
                renewed = self._renewed(owner)
            except StoreError:
                continue  # the writer's own next query reports the lost connection
            if not renewed:
                if self._lock_owner == owner and not stop.is_set():
                    self._lock_lost = True  # (a renewal late from a lock released since: not)
                return

    def _renewed(self, owner: str) -> bool:
        """Extend ``owner``'s lease (and how long this process may write under it); False if
        ``owner`` no longer holds it."""
        sent = time.monotonic()
        n = self._write_unfenced(Q_RENEW_LOCK, owner=owner,
                                 ttl_ms=int(self.lock_ttl_s * 1000))["records"][0]["n"]
        if n:
            self._lock_valid_until = sent + self._lease_margin()
        return bool(n)

    # -- loading -------------------------------------------------------------------------
    def recover_interrupted_loads(self, *, stage: STAGE | None = None) -> list[str]:
        """Roll back every load that did not complete (crash, kill), and finish every drop
        that did not (:meth:`drop_load`); return their ids.

        A ``running`` load may be alive in another process: recovery takes the write lock
        first (waiting for that load's lease), so only loads whose writer is gone (lease
        released or run out) are rolled back; what they overwrote on existing users is
        restored."""
        if not self._read(Q_INTERRUPTED):
            return []
        rolled = []
        with self._write_lock("recovery of interrupted loads"):
            for row in self._read(Q_INTERRUPTED):
                load_id = row["id"]
                if stage:
                    stage(f"roll back interrupted load {load_id}")
                self._roll_back(load_id, restore_users=row["status"] == "running")
                rolled.append(load_id)
        return rolled

    def _roll_back(self, load_id: str, *, restore_users: bool) -> None:
        """Undo a load: restore what it overwrote on existing users (a load that was still
        running; a drop cut short has nothing to restore), then remove its rows and entry."""
        if restore_users:
            self._batched(Q_RESTORE_USERS, load_id=load_id)
        self._purge_load(load_id)

    def _batched(self, query: str, **params) -> int:
        """Run a ``... LIMIT $limit ... RETURN count(*) AS n`` write until it finds nothing;
        return the total."""
        total = 0
        while n := self._write(query, limit=self.batch_size, **params)["records"][0]["n"]:
            total += n
        return total

    def _purge_load(self, load_id: str) -> tuple[dict[str, int], dict[str, int]]:
        """Remove a load's rows but the ones later loads also contain (handed to the earliest
        of those), its shares and its ledger entry; return (removed, kept) per table. Each
        step is idempotent, so a purge cut short is finished by running it again."""
        order = [ld["load_id"] for ld in self.loads()
                 if ld["status"] == "complete" and ld["load_id"] != load_id]
        kept = {t: self._batched(Q_HAND_OVER[t], load_id=load_id, order=order) for t in _ROWS}
        for table in _ROWS:
            self._batched(Q_FORGET_SHARES[table], load_id=load_id)
        removed = {
            "interactions": self._batched(Q_DELETE_EVENTS_OF_LOAD, load_id=load_id),
            "follows": self._batched(Q_DELETE_FOLLOWS_OF_LOAD, load_id=load_id),
            "posts": self._batched(Q_DELETE_POSTS_OF_LOAD, load_id=load_id),
        }
        kept["users"] += self._batched(Q_KEEP_NAMED_USERS, load_id=load_id)
        removed["users"] = self._batched(Q_DELETE_USERS_OF_LOAD, load_id=load_id)
        self._write(Q_DELETE_LOAD, load_id=load_id)
        return removed, kept

    def write_snapshot(
        self, snapshot: Snapshot, *, stage: STAGE | None = None, consume: bool = False
    ) -> LoadSummary:
        """Merge a validated snapshot, in batches, under a load ledger entry.

        An earlier interrupted load is rolled back first. Rows already present are not
        duplicated (users by id, follows by pair, events by key, posts by id).
        """

        load_id = new_load_id()
        if self.bulk not in BULK_MODES:
            raise StoreError(f"bulk must be one of {', '.join(BULK_MODES)}, not {self.bulk!r}")
        if self.bulk != "never":
            summary = self._bulk_load(snapshot, load_id, stage=stage or (lambda _s: None))
            if summary is not None:
                return summary
        with self._write_lock(f"load {load_id}"):
            try:
                return self._write_snapshot(snapshot, load_id, stage=stage, consume=consume)
            except KeyboardInterrupt:
                raise self._roll_back_interrupted(load_id) from None

    def _offline_server(self) -> tuple[OfflineServer | None, str]:
        """The server a bulk load may stop, or None and why there is none."""
        if self.server is not None:
            return self.server, ""
        from graph_influence.testing.neo4j_server import DevServer

        found = DevServer.serving(self._url)
        if found is None:
            return None, (f"{self.url} is not a server this machine controls (the development "
                          "server of make neo4j-up, or a Neo4jServer given to the store)")
        return found, ""

    def _bulk_load(self, snapshot: Snapshot, load_id: str, *, stage: STAGE) -> LoadSummary | None:
        """The bulk initial load (:mod:`.neo4j_bulk`), or None when it does not apply and
        ``bulk`` is ``auto`` (then the caller writes over Bolt).

        The write lease is held from the emptiness check to the completed ledger entry: the
        import brings its own ``(:WriteLock)`` node, owned by this writer (the old one goes
        with the overwritten database), and the lease is renewed, fenced, just before the
        server is stopped and just after it is back."""
        import shutil

        from .neo4j_bulk import BulkImportFailed, import_offline, write_import_files

        server, why = self._offline_server()
        if server is None and self.bulk == "auto":
            return None
        rows = sum(t.num_rows for t in snapshot.tables.values())
        if self.bulk == "auto" and rows < self.bulk_min_rows:
            return None
        t0 = time.perf_counter()
        what = f"bulk load {load_id}"
        with self._write_lock(what):
            self.recover_interrupted_loads(stage=stage)
            if server is not None and self._read(Q_ANY_NODE)[0]["found"]:
                server, why = None, f"the database behind {self.url} is not empty"
            if server is not None and "," in str(Path(server.home) / "import"):
                server, why = None, (f"neo4j-admin reads no file under {server.home}: its "
                                     "path holds a comma")
            if server is None:
                if self.bulk == "always":
                    raise StoreError(f"cannot bulk load: {why}; load with --bulk auto or never "
                                     "to write over Bolt")
                return None
            database = self._read(Q_DATABASE_NAME)[0]["name"]
            staged, reports = self._staged(snapshot, stage)
            stage("store: write import files")
            imports = Path(server.home) / "import"
            for stale in imports.glob("bulk-*"):  # of a bulk load killed before it tidied up
                shutil.rmtree(stale, ignore_errors=True)
            folder = imports / f"bulk-{load_id}"
            try:
                plan = write_import_files(
                    staged, folder, load_id=load_id, source=snapshot.source,
                    format=snapshot.format, fingerprint=snapshot.fingerprint,
                    started_at=now_utc(), lease={
                        "owner": self._lock_owner, "what": what,
                        "expires_at": int(time.time() * 1000) + BULK_LEASE_S * 1000})
                self._renew_lease()  # still ours, right before the server stops
                import_offline(server, plan, database, stage=stage, describe=self.url)
            except BulkImportFailed as exc:
                if self.bulk == "always":
                    raise
                logger.warning("warning: %s; writing over Bolt instead", exc)
                return None
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            try:
                with self._translate_errors():
                    self.driver.verify_connectivity()
                self._renew_lease()  # the lease the import brought
                stage("store: constraints and indexes")
                self._ensure_schema()
                self._write(Q_AWAIT_INDEXES, seconds=INDEX_WAIT_S)
                for table, found in (("users", staged.user_ids), ("follows", staged.follows),
                                     ("interactions", staged.events), ("posts", staged.posts)):
                    reports[table].new = found.num_rows
                lo, hi = staged.ts_range
                self._commit(Q_FINISH_LOAD, "load", load_id=load_id,
                             report=json.dumps({k: vars(v) for k, v in reports.items()}),
                             ts_min=lo, ts_max=hi)
            except KeyboardInterrupt:
                raise Interrupted(
                    f"the bulk load {load_id} was imported but not completed: its rows are not "
                    "counted, and the next load or analyze rolls them back") from None
        return LoadSummary(load_id, snapshot.source, snapshot.format, snapshot.fingerprint,
                           reports, seconds=time.perf_counter() - t0, bulk=True)

    def _renew_lease(self) -> None:
        """Renew this writer's lease now (fenced: it must still own it), or fail."""
        if not self._renewed(self._lock_owner):
            raise StoreError(f"lost the write lock on {self.url} (its lease ran out or another "
                             "writer took it); nothing more was written — run the command again")
        self._lock_lost = False

    def _staged(self, snapshot: Snapshot, stage: STAGE):
        """The snapshot deduplicated and keyed, and its reports with the staging counts."""
        from .staging import stage_snapshot

        stage("stage rows")
        staged = stage_snapshot(snapshot)
        reports = snapshot.reports
        for table, extra in staged.counts.items():
            for key, value in extra.items():
                setattr(reports[table], key, value)
        return staged, reports

    def _roll_back_interrupted(self, load_id: str) -> Interrupted:
        """Undo this process's load after Ctrl-C, while it still holds the lock; what to say.
        A second Ctrl-C (or a lost server) leaves it to the next load or analysis."""
        try:
            entry = self._read(Q_LOAD_STATUS, load_id=load_id)
            if not entry:  # interrupted before its ledger entry was written
                return Interrupted("the store is unchanged by the unfinished load")
            if entry[0]["status"] == "complete":  # interrupted while tidying up after it
                return Interrupted(f"load {load_id} had completed; it is in the store")
            self._roll_back(load_id, restore_users=True)
        except (KeyboardInterrupt, StoreError):
            return Interrupted(
                f"the unfinished load {load_id} was not rolled back yet: its rows are not "
                "counted, and the next load or analyze rolls them back")
        return Interrupted(f"the unfinished load {load_id} was rolled back; the store is as "
                           "it was")

    def _write_snapshot(self, snapshot: Snapshot, load_id: str, *, stage: STAGE | None,
                        consume: bool) -> LoadSummary:
        import pyarrow.compute as pc

        stage = stage or (lambda _s: None)
        t0 = time.perf_counter()
        self.recover_interrupted_loads(stage=stage)
        staged, reports = self._staged(snapshot, stage)
        previous = self._read(Q_PREVIOUS_LOAD, fingerprint=snapshot.fingerprint)
        self._write(Q_START_LOAD, load_id=load_id, source=snapshot.source,
                    format=snapshot.format, fingerprint=snapshot.fingerprint)
        had_events = self._read(Q_COUNTS["interactions"])[0]["n"] > 0
        count = getattr(stage, "count", None) or (lambda *_a, **_k: None)
        stage("store: users")
        reports["users"].new, element_ids = self._merge_users(staged, load_id, count)

        def eid(column: pa.ChunkedArray) -> list:
            """User ids -> element ids (vectorised join on the id dictionary)."""
            index = pc.index_in(column, value_set=element_ids.column("id"))
            return element_ids.column("eid").take(index).to_pylist()

        stage("store: follows")
        reports["follows"].new = self._merge_rows(
            Q_MERGE_FOLLOWS, staged.follows, load_id, counter="relationships_created",
            columns={"src": eid, "dst": eid, "ts": _micros}, count=count)
        stage("store: interactions")
        reports["interactions"].new = self._merge_events(
            staged.events, load_id, eid, check_existing=had_events, count=count)
        _test_pause("load:posts")
        stage("store: posts")
        reports["posts"].new = self._merge_rows(
            Q_MERGE_POSTS, staged.posts, load_id, counter="nodes_created",
            columns={"id": None, "author": eid, "ts": _micros, "text": None, "topics": None},
            count=count)
        stage("store: complete load")
        lo, hi = staged.ts_range
        if previous and any(r.new for r in reports.values()):
            previous = []  # same fingerprint, yet rows were added: not "loaded before"
        self._commit(Q_FINISH_LOAD, "load", load_id=load_id,
                     report=json.dumps({k: vars(v) for k, v in reports.items()}),
                     ts_min=lo, ts_max=hi)
        self._batched(Q_FORGET_UNDO, load_id=load_id)
        return LoadSummary(
            load_id, snapshot.source, snapshot.format, snapshot.fingerprint, reports,
            already_loaded_as=previous[0]["id"] if previous else None,
            seconds=time.perf_counter() - t0,
        )

    def _merge_users(self, staged, load_id: str, count: COUNT) -> tuple[int, pa.Table]:
        """Create the new users and record the load on those already there (shared); return
        how many were created, and every user's (id, element id)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        existing = self._read(Q_EXISTING_USERS)[0]["rows"]
        known = pa.array([r[0] for r in existing], pa.string())
        max_uid = max((r[1] for r in existing), default=-1)
        ids = staged.user_ids.column("id").combine_chunks()
        present = pc.is_in(ids, value_set=known)
        new_ids = ids.filter(pc.invert(present))
        shared = ids.filter(present).to_pylist()
        for lo, hi in _batches(len(shared), self.batch_size):
            self._write(Q_SHARE_USERS, id=shared[lo:hi], load_id=load_id)
        uids = np.arange(max_uid + 1, max_uid + 1 + len(new_ids), dtype=np.int64)
        created = 0
        id_list = new_ids.to_pylist()
        new_eids: list[str] = []
        for lo, hi in _batches(len(id_list), self.batch_size):
            out = self._write(Q_MERGE_USERS, id=id_list[lo:hi], uid=uids[lo:hi].tolist(),
                              load_id=load_id)
            created += out["counters"].nodes_created
            new_eids += out["records"][0]["eid"]
            count(hi, len(id_list), unit="new users written")
        element_ids = pa.table({
            "id": pa.concat_arrays([known, pa.array(id_list, pa.string())]),
            "eid": pa.array([r[2] for r in existing] + new_eids, pa.string()),
        })
        users = staged.users
        if users.num_rows:
            cols = {
                "id": users.column("id").to_pylist(),
                "name": users.column("name").to_pylist(),
                "created_at": _micros(users.column("created_at")),
                "topics": users.column("topics").to_pylist(),
                "attributes": users.column("attributes").to_pylist(),
            }
            for lo, hi in _batches(users.num_rows, self.batch_size):
                self._write(Q_SET_USER_ATTRS, load_id=load_id,
                            **{k: v[lo:hi] for k, v in cols.items()})
        return created, element_ids

    def _merge_rows(self, query: str, table: pa.Table, load_id: str, *, counter: str,
                    columns: dict, count: COUNT) -> int:
        """Write ``table`` in batches; ``columns`` maps each column to a converter (or None)."""
        created = 0
        lists = {name: (conv(table.column(name)) if conv else table.column(name).to_pylist())
                 for name, conv in columns.items()}
        for lo, hi in _batches(table.num_rows, self.batch_size):
            out = self._write(query, load_id=load_id, **{k: v[lo:hi] for k, v in lists.items()})
            created += getattr(out["counters"], counter)
            count(hi, table.num_rows, unit="rows written")
        return created

    def _merge_events(self, events: pa.Table, load_id: str, eid, *,
                      check_existing: bool, count: COUNT) -> int:
        """Create the events not stored yet (the key check is skipped when the store had none
        before this load: then every event of the load is new)."""
        lists = {
            "src": eid(events.column("src")),
            "dst": eid(events.column("dst")),
            "type": events.column("type").to_pylist(),
            "ts": _micros(events.column("ts")),
            "post_id": events.column("post_id").to_pylist(),
            "topics": events.column("topics").to_pylist(),
            "weight": events.column("weight").to_pylist(),
            "seq": events.column("seq").to_pylist(),
            "key": events.column("key").to_pylist(),
        }
        created = 0
        for lo, hi in _batches(events.num_rows, self.batch_size):
            batch = {k: v[lo:hi] for k, v in lists.items()}
            found = (self._read(Q_EXISTING_EVENT_KEYS, key=batch["key"])[0]["keys"]
                     if check_existing else [])
            if found:  # some events are already stored: shared with their load; keep the rest
                self._write(Q_SHARE_EVENTS, key=found, load_id=load_id)
                seen = set(found)
                keep = [i for i, k in enumerate(batch["key"]) if k not in seen]
                batch = {k: [v[i] for i in keep] for k, v in batch.items()}
            if batch["key"]:
                out = self._write(Q_CREATE_EVENTS, load_id=load_id, **batch)
                created += out["counters"].relationships_created
            count(hi, events.num_rows, unit="rows written")
        return created

    # -- graph view ----------------------------------------------------------------------
    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """Oldest and newest timestamp over all complete loads' events, follows and posts."""
        row = self._read(Q_TIME_RANGE)[0]
        return _naive_utc(row["lo"]), _naive_utc(row["hi"])

    def event_time_quantile(self, q: float) -> datetime | None:
        """The ``q``-quantile of the complete loads' event timestamps, on the server (see
        :meth:`Store.event_time_quantile`)."""
        loads = self._view_loads(None)
        n = self._read(Q_DATED_EVENTS, loads=loads)[0]["n"]
        if not n:
            return None
        row = self._read(Q_EVENT_TIME_AT, i=quantile_position(q, n), loads=loads)[0]
        return datetime(1970, 1, 1) + timedelta(microseconds=int(row["us"]))

    def graph_view(self, *, as_of: datetime | None, half_life_seconds: float | None,
                   load_ids: list[str] | None = None) -> GraphView:
        """The graph view, aggregated on the server in chunks of users (decay:
        :data:`~graph_influence.stores.common.DECAY_CYPHER`). See :meth:`Store.graph_view`."""
        import numpy as np
        import pandas as pd
        import pyarrow as pa

        from graph_influence.graph_view import canonical_view

        self.recover_interrupted_loads()
        loads = self._view_loads(load_ids)
        users = self._read(Q_VIEW_USERS, loads=loads)[0]
        if not users["uid"]:
            raise StoreNotReadyError(
                f"the store {self.url} is empty — load a snapshot first: "
                "graph-influence load SNAPSHOT"
            )
        uids = np.asarray(users["uid"], dtype=np.int64)
        as_of_param = as_of.replace(tzinfo=UTC) if as_of is not None else None
        as_of_us = (int(round(as_of.replace(tzinfo=UTC).timestamp() * 1e6))
                    if as_of is not None else None)
        type_names = sorted(self._read(Q_TYPES, loads=loads)[0]["types"])
        type_code = {t: i for i, t in enumerate(type_names)}
        parts = {k: [] for k in ("fs", "fd", "s", "d", "t", "n", "w", "total")}
        top = int(uids.max()) + 1
        for lo in range(0, top, READ_CHUNK_USERS):
            hi = lo + READ_CHUNK_USERS
            f = self._read(Q_FOLLOWS_VIEW, lo=lo, hi=hi, as_of=as_of_param, loads=loads)[0]
            parts["fs"].append(np.asarray(f["src"], np.int64))
            parts["fd"].append(np.asarray(f["dst"], np.int64))
            e = self._read(Q_EVENTS_VIEW, lo=lo, hi=hi, as_of=as_of_param, as_of_us=as_of_us,
                           half_life=half_life_seconds, loads=loads)[0]
            parts["s"].append(np.asarray(e["src"], np.int64))
            parts["d"].append(np.asarray(e["dst"], np.int64))
            codes = pd.Series(e["type"], dtype=object).map(type_code)
            parts["t"].append(codes.to_numpy(dtype=np.int64) if len(codes) else np.zeros(0, int))
            parts["n"].append(np.asarray(e["n"], np.int64))
            parts["w"].append(np.asarray(e["w"], np.float64))
            parts["total"].append(np.asarray(e["total"], np.float64))
        cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
        return canonical_view(
            uids=uids, ids=pa.array(users["id"], pa.string()),
            follow_src=cat["fs"], follow_dst=cat["fd"],
            inter_src=cat["s"], inter_dst=cat["d"], inter_type=cat["t"],
            inter_count=cat["n"], inter_decayed=cat["w"],
            type_names=type_names, as_of=as_of, half_life_seconds=half_life_seconds,
            inter_weight=cat["total"],
        )

    def _view_loads(self, load_ids: list[str] | None) -> list[str] | None:
        """The loads whose rows a view reads: the given ones, else every complete load (a
        load another process is writing now is not part of the graph yet)."""
        if load_ids is not None:
            return list(load_ids)
        return [ld["load_id"] for ld in self.loads() if ld["status"] == "complete"]

    def topic_rows(self, *, load_ids: list[str] | None = None) -> dict[str, pa.Table]:
        """Rows carrying topic signals, keyed by uid (see :meth:`Store.topic_rows`)."""
        import pyarrow as pa

        loads = self._view_loads(load_ids)

        def columns(query: str, names: list[str]) -> dict[str, list]:
            rows = self._read(query, loads=loads)[0]["rows"]
            return {name: [r[i] for r in rows] for i, name in enumerate(names)}

        users = columns(Q_TOPIC_USERS, ["uid", "topics"])
        posts = columns(Q_TOPIC_POSTS, ["author", "ts", "text", "topics"])
        events = columns(Q_TOPIC_EVENTS, ["src", "dst", "type", "ts", "weight", "topics",
                                          "post_topics", "post_text"])

        def ts(values):
            return pa.array([_naive_utc(v) for v in values], pa.timestamp("us"))

        return {
            "users": pa.table({"uid": pa.array(users["uid"], pa.int64()),
                               "topics": pa.array(users["topics"], pa.string())}),
            "posts": pa.table({"author": pa.array(posts["author"], pa.int64()),
                               "ts": ts(posts["ts"]),
                               "text": pa.array(posts["text"], pa.string()),
                               "topics": pa.array(posts["topics"], pa.string())}),
            "interactions": pa.table({
                "src": pa.array(events["src"], pa.int64()),
                "dst": pa.array(events["dst"], pa.int64()),
                "type": pa.array(events["type"], pa.string()),
                "ts": ts(events["ts"]),
                "weight": pa.array(events["weight"], pa.float64()),
                "topics": pa.array(events["topics"], pa.string()),
                "post_topics": pa.array(events["post_topics"], pa.string()),
                "post_text": pa.array(events["post_text"], pa.string()),
            }),
        }

    # -- results -------------------------------------------------------------------------
    def write_run(self, run: RunRecord, view: GraphView, influence: np.ndarray,
                  score: np.ndarray, rank: np.ndarray, *, topics: TopicResults | None = None,
                  communities: CommunityResults | None = None) -> int:
        """Store a run: its record, score chunks, the latest-run properties and relationships
        (those of the previous run are dropped). See :meth:`Store.write_run`."""
        with self._write_lock("analysis"):
            return self._write_run(run, view, influence, score, rank, topics=topics,
                                   communities=communities)

    def _write_run(self, run, view, influence, score, rank, *, topics, communities) -> int:
        """Write every part of the run under its id first (readers do not see it), then switch
        to it in one transaction (:data:`Q_SWITCH_RUN`), then copy its scores onto the users
        and delete the earlier runs' latest-only results."""
        import numpy as np

        for row in self._read(Q_UNFINISHED_RUNS):  # a run (or delete) cut short: its parts go
            for query in Q_DELETE_RUN_PARTS:
                self._batched(query, run_id=row["id"])
            self._write(Q_DELETE_RUN, run_id=row["id"])
        run_id = int(self._read(Q_NEXT_RUN)[0]["id"])
        self._write(Q_COUNT_RUN, run_id=run_id)
        created = now_utc()
        self._write(
            Q_CREATE_RUN, run_id=run_id, created_at=created,
            params=json.dumps(run.params, sort_keys=True), as_of=run.as_of,
            n_users=run.n_users, n_edges=run.n_edges, n_events=run.n_events,
            iterations=run.iterations, error=float(run.error), converged=bool(run.converged),
            calibration=json.dumps(run.calibration), timings=json.dumps(run.timings),
            extras=json.dumps(run.extras),
        )
        uid = view.uids.tolist()
        infl = np.asarray(influence, np.float64)
        sc = np.asarray(score, np.float64)
        rk = np.asarray(rank, np.int64).tolist()
        for chunk, (lo, hi) in enumerate(_batches(len(uid), SCORE_CHUNK)):
            self._write(Q_RUN_SCORES, run_id=run_id, chunk=chunk, uid=uid[lo:hi],
                        influence=infl[lo:hi].tolist(), score=sc[lo:hi].tolist(),
                        rank=rk[lo:hi])
        if topics is not None:
            self._write_topics(run_id, view, topics, infl, sc)
        if communities is not None:
            self._write_communities(run_id, view, communities)
        _test_pause("write_run:switch")
        self._commit(Q_SWITCH_RUN, "analysis", run_id=run_id)
        infl_list, sc_list = infl.tolist(), sc.tolist()
        for lo, hi in _batches(len(uid), self.batch_size):
            self._write(Q_SET_USER_SCORES, run_id=run_id, uid=uid[lo:hi],
                        influence=infl_list[lo:hi], score=sc_list[lo:hi], rank=rk[lo:hi])
        self._write(Q_ON_USERS, run_id=run_id)
        for query in Q_DROP_OLDER:
            self._batched(query, run_id=run_id)
        run.run_id = run_id
        run.created_at = created
        return run_id

    def _write_topics(self, run_id: int, view: GraphView, topics: TopicResults,
                      influence: np.ndarray, score: np.ndarray) -> None:
        import numpy as np
        import scipy.sparse as sp

        self._write(Q_MERGE_TOPICS, run_id=run_id, name=list(topics.names),
                    users=topics.users.tolist(), iterations=topics.iterations.tolist(),
                    error=topics.errors.astype(float).tolist())
        users, tids = topics.stored_rows()
        names = np.asarray(topics.names, dtype=object)
        cols = {
            "uid": view.uids[users].tolist(), "topic": names[tids].tolist(),
            "rank": topics.rank[users, tids].tolist(),
            "score": topics.score[users, tids].tolist(),
            "influence": topics.influence[users, tids].tolist(),
            "overall_score": score[users].tolist(),
            "overall_influence": influence[users].tolist(),
        }
        for lo, hi in _batches(len(users), self.batch_size):
            self._write(Q_INFLUENTIAL, run_id=run_id, **{k: v[lo:hi] for k, v in cols.items()})
        aff = sp.coo_array(topics.affinity)
        cols = {"uid": view.uids[aff.row].tolist(), "topic": names[aff.col].tolist(),
                "affinity": aff.data.astype(float).tolist()}
        for lo, hi in _batches(aff.nnz, self.batch_size):
            self._write(Q_INTERESTED, run_id=run_id, **{k: v[lo:hi] for k, v in cols.items()})

    def _write_communities(self, run_id: int, view: GraphView, found: CommunityResults) -> None:
        table = found.table
        self._write(
            Q_COMMUNITIES, run_id=run_id, id=table["community"].astype(int).tolist(),
            size=table["size"].astype(int).tolist(),
            contribution=table["modularity_contribution"].astype(float).tolist(),
            top_topics=[json.dumps(v, default=float) for v in table["top_topics"]],
            top_members=[[str(x) for x in v] for v in table["top_members"]],
        )
        uid, member = view.uids.tolist(), found.membership.astype(int).tolist()
        for lo, hi in _batches(len(uid), self.batch_size):
            self._write(Q_MEMBERS, run_id=run_id, uid=uid[lo:hi], community=member[lo:hi])

    # -- queries -------------------------------------------------------------------------
    def top_rows(self, k: int = 10, *, run_id: int | None = None) -> Rows:
        """The k best users of a run: the latest from the ``:User`` properties (rank index),
        an older one from its score chunks. See :meth:`Store.top_rows`."""
        columns = ["rank", "id", "score", "influence", "name"]
        ids = self.run_ids()
        rid = self._resolve_in(ids, run_id)
        if rid == ids[-1] and self._scores_on_users(rid):
            rows = self._read(Q_TOP_LATEST, k=int(k), run_id=rid)
            return Rows(columns, [tuple(r[c] for c in columns) for r in rows])
        frame = self._run_frame(rid, head=int(k)).head(int(k))
        return Rows(columns, [
            (int(r.rank), r.id, float(r.score), float(r.influence),
             r.name if isinstance(r.name, str) else None)
            for r in frame.itertuples(index=False)])

    def _scores_on_users(self, run_id: int) -> bool:
        """Whether the users' score properties are complete for ``run_id`` (else readers use
        the run's score chunks; stores written before the pointer have none: the latest)."""
        rows = self._read(Q_READ_ON_USERS)
        on = rows[0]["id"] if rows else None
        return on is None or int(on) == run_id

    def top_topic_rows(self, topic: str, k: int = 10, *, run_id: int | None = None) -> Rows:
        """The k best users for a topic of the latest run (see :meth:`Store.top_topic_rows`)."""
        rid = self._results_run_id(run_id, "topic scores")
        self.check_topic(topic, run_id=rid)
        columns = ["rank", "id", "score", "topic_influence", "influence", "score_overall",
                   "name"]
        rows = self._read(Q_TOP_TOPIC, topic=topic, run_id=rid, k=int(k))
        return Rows(columns, [tuple(r[c] for c in columns) for r in rows])

    def topics_rows(self, *, run_id: int | None = None, top: int = 3) -> Rows:
        """Every topic of the latest run with its top influencers (see
        :meth:`Store.topics_rows`)."""
        rid = self._results_run_id(run_id, "topic scores")
        columns = ["topic", "users", "iterations", "top_influencers"]
        rows = self._read(Q_TOPICS_SUMMARY, run_id=rid, top=int(top))
        return Rows(columns, [(r["topic"], r["users"], r["iterations"],
                               list(r["top_influencers"] or [])) for r in rows])

    def communities_rows(self, *, run_id: int | None = None,
                         limit: int | None = None) -> tuple[float, Rows]:
        """Modularity and one row per community (kept for every run; see
        :meth:`Store.communities_rows`)."""
        rid, modularity = self._communities_run(run_id)
        columns = ["community", "size", "modularity_contribution", "top_topics", "top_members"]
        rows = self._read(Q_COMMUNITIES_SUMMARY, run_id=rid,
                          limit=2**62 if limit is None else int(limit))
        return modularity, Rows(columns, [
            (r["community"], r["size"], r["modularity_contribution"],
             json.loads(r["top_topics"]), list(r["top_members"])) for r in rows])

    def membership_table(self, *, run_id: int | None = None) -> pa.Table:
        """Community of every user in the latest run (see :meth:`Store.membership_table`)."""
        import pyarrow as pa

        rid = self._results_run_id(run_id, "communities")
        rows = self._read(Q_MEMBERSHIP, run_id=rid)[0]["rows"]
        return pa.table({"id": pa.array([r[0] for r in rows], pa.string()),
                         "community": pa.array([r[1] for r in rows], pa.int32())})

    def topic_scores_table(self, *, run_id: int | None = None) -> pa.Table:
        """Every stored (user, topic) score of the latest run (see
        :meth:`Store.topic_scores_table`)."""
        import pyarrow as pa

        rid = self._results_run_id(run_id, "topic scores")
        rows = self._read(Q_TOPIC_SCORES, run_id=rid)[0]["rows"]
        return pa.table({"id": pa.array([r[0] for r in rows], pa.string()),
                         "name": pa.array([r[1] for r in rows], pa.string()),
                         "score": pa.array([r[2] for r in rows], pa.float64())})

    def _run_frame(self, run_id: int, *, head: int | None = None) -> pd.DataFrame:
        """A run's results from its score chunks, ordered by rank then id; with ``head``,
        the names of the first ``head`` users in a ``name`` column."""
        import numpy as np
        import pandas as pd

        chunks = self._read(Q_RUN_SCORE_CHUNKS, run_id=run_id)
        cols = {k: np.concatenate([np.asarray(c[k]) for c in chunks])
                for k in ("uid", "influence", "score", "rank")}
        users = self._read(Q_USERS)[0]
        id_of = pd.Series(users["id"], index=np.asarray(users["uid"], np.int64))
        frame = pd.DataFrame({
            "id": id_of.reindex(cols["uid"].astype(np.int64)).to_numpy(),
            "influence": cols["influence"].astype(np.float64),
            "score": cols["score"].astype(np.float64),
            "rank": cols["rank"].astype(np.int64),
        })
        frame = frame.sort_values(["rank", "id"], kind="stable", ignore_index=True)
        if head is not None:
            first = frame.head(head)
            names = self._read(Q_USER_NAMES_BY_ID, id=first["id"].tolist())
            name_of = {r["id"]: r["name"] for r in names}
            frame = first.assign(name=first["id"].map(name_of))
        return frame

    def scores_arrow(self, *, run_id: int | None = None) -> pa.Table:
        """Every user's id, influence, score and rank for a run, ordered by rank then id."""
        import pyarrow as pa

        frame = self._run_frame(self.resolve_run_id(run_id))
        return pa.table({
            "id": pa.array(frame["id"].tolist(), pa.string()),
            "influence": pa.array(frame["influence"].to_numpy(), pa.float64()),
            "score": pa.array(frame["score"].to_numpy(), pa.float64()),
            "rank": pa.array(frame["rank"].to_numpy(), pa.int64()),
        })

    def user_history(self, user_id: str) -> Rows:
        """One user's results in every run, oldest first, in one query over the runs' score
        chunks (see :meth:`Store.user_history`)."""
        rows = [tuple(_naive_utc(r[c]) if c in ("created_at", "as_of") else r[c]
                      for c in HISTORY_COLUMNS)
                for r in self._read(Q_USER_HISTORY, id=user_id)]
        if rows:
            return Rows(list(HISTORY_COLUMNS), rows)
        if not self._read(Q_HAS_USER, id=user_id)[0]["n"]:
            ids = [r["id"] for r in self._read(Q_SOME_IDS, limit=SUGGEST_FROM_IDS)]
            raise unknown_user(user_id, self.url, ids)
        self.resolve_run_id()  # no run at all: "no analysis ... yet"
        return Rows(list(HISTORY_COLUMNS), [])

    def runs(self) -> list[RunRecord]:
        """Every completed analysis run, oldest first."""
        out = []
        for r in self._read(Q_RUNS):
            out.append(RunRecord(
                params=json.loads(r["params"]), as_of=_naive_utc(r["as_of"]),
                n_users=r["n_users"], n_edges=r["n_edges"], n_events=r["n_events"],
                iterations=r["iterations"], error=r["error"], converged=r["converged"],
                calibration=json.loads(r["calibration"]), timings=json.loads(r["timings"]),
                extras=json.loads(r["extras"] or "{}"),
                run_id=r["run_id"], created_at=_naive_utc(r["created_at"]),
            ))
        return out

    def run_ids(self) -> list[int]:
        """Ids of every completed run, oldest first."""
        return [r["id"] for r in self._read(Q_RUN_IDS)]

    def events(self) -> pd.DataFrame:
        """Every stored interaction event (see :meth:`Store.events`)."""
        import pandas as pd

        rows = self._read(Q_EVENTS)
        frame = pd.DataFrame(
            rows, columns=["src", "dst", "type", "ts", "post_id", "seq", "load_id"])
        frame["ts"] = pd.to_datetime([_naive_utc(t) for t in frame["ts"]])
        return frame

    def counts(self) -> dict[str, int]:
        """Users, follows, interactions and posts of the complete loads on the server.

        Rows a load is writing (or wrote before it was cut short, until the next load or
        analysis rolls them back) are not counted: a load is batched, and ``info`` during one
        shows the store as it was before it, like the embedded store's one transaction.
        """
        totals = {name: int(self._read(query)[0]["n"]) for name, query in Q_COUNTS.items()}
        open_loads = self._read(Q_OPEN_LOADS)[0]["ids"]
        if open_loads:
            for name in totals:
                totals[name] -= int(self._read(Q_OPEN_ROWS[name], open=open_loads)[0]["n"])
        return totals

    def loads(self) -> list[dict]:
        """Every load of the ledger, oldest first (see :meth:`Store.loads`)."""
        out = []
        for r in self._read(Q_LOADS):
            r = dict(r)
            r["started_at"] = _naive_utc(r["started_at"])
            r["finished_at"] = _naive_utc(r["finished_at"])
            r["report"] = json.loads(r["report"]) if r["report"] else None
            out.append(r)
        return out

    # -- managing loads and runs -----------------------------------------------------------
    def loads_rows(self) -> Rows:
        """The load ledger with the rows each load holds (see :meth:`Store.loads_rows`)."""
        tables = ("users", "follows", "interactions", "posts")
        held = {t: {r["id"]: r["n"] for r in self._read(Q_HELD[t])} for t in tables}
        shared: dict[str, int] = {}
        for t in tables:
            for r in self._read(Q_SHARED[t]):
                shared[r["id"]] = shared.get(r["id"], 0) + r["n"]
        columns = ["load_id", "started_at", "status", "format", "source", *tables, "shared"]
        return Rows(columns, [
            (ld["load_id"], ld["started_at"], ld["status"], ld["format"], ld["source"],
             *(int(held[t].get(ld["load_id"], 0)) for t in tables),
             int(shared.get(ld["load_id"], 0)))
            for ld in self.loads()])

    def drop_load(self, load_id: str, *, delete_runs: bool = False) -> DropSummary:
        """Remove a load under its ledger entry (see :meth:`Store.drop_load`): the entry is
        marked ``dropping`` first, so that a drop cut short is finished by the next load or
        analysis (:meth:`recover_interrupted_loads`). The runs go first, the latest last."""
        with self._write_lock(f"drop of load {load_id}"):
            return self._drop_load(load_id, delete_runs=delete_runs)

    def _drop_load(self, load_id: str, *, delete_runs: bool) -> DropSummary:
        entry = self.load(load_id)
        load_id = entry["load_id"]
        runs = self.runs_using_load(load_id)
        if runs and not delete_runs:
            raise StoreNotReadyError(runs_use_load_message(load_id, runs))
        for rid in runs:
            self.delete_run(rid)
        self._write(Q_MARK_DROPPING, load_id=load_id)
        removed, kept = self._purge_load(load_id)
        tables = ("users", "follows", "interactions", "posts")
        return DropSummary(load_id, entry["source"], entry["format"],
                           {t: removed[t] for t in tables}, {t: kept[t] for t in tables}, runs)

    def delete_run(self, run_id: int) -> None:
        """Delete a run, its score chunks, communities and, for the latest run, the results
        kept on the users and topics; the previous run's scores then go back onto the users
        (its topic scores and memberships are not kept: :meth:`has_run_results` says so).
        See :meth:`Store.delete_run`."""
        with self._write_lock("deletion of a run"):
            ids = self.run_ids()
            rid = self._resolve_in(ids, int(run_id))
            latest = rid == ids[-1]
            self._write(Q_HIDE_RUN, run_id=rid, stale=latest)  # from now on it is not a run
            previous = ids[-2] if latest and len(ids) > 1 else None
            for query in Q_DELETE_RUN_PARTS:
                self._batched(query, run_id=rid)
            if previous is not None:  # the latest run's scores live on the users
                for chunk in self._read(Q_RUN_SCORE_CHUNKS, run_id=previous):
                    for lo, hi in _batches(len(chunk["uid"]), self.batch_size):
                        self._write(Q_SET_USER_SCORES, run_id=previous,
                                    **{k: list(chunk[k][lo:hi])
                                       for k in ("uid", "influence", "score", "rank")})
                self._write(Q_ON_USERS, run_id=previous)
            self._write(Q_DELETE_RUN, run_id=rid)

    def _run_with_results(self, ids: list[int]) -> int | None:
        """The run whose topic scores, affinities and memberships are kept (``results``), or
        None once the latest run was deleted."""
        if not ids:
            return None
        found = self._read(Q_RESULTS_RUN)[0]["id"]
        return None if found is None else int(found)


Q_RUN_IDS = "MATCH (r:Run {complete: true}) RETURN r.id AS id ORDER BY id"
Q_USER_NAMES_BY_ID = """
UNWIND $id AS x MATCH (u:User {id: x}) RETURN u.id AS id, u.name AS name
"""
