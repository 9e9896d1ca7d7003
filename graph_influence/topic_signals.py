"""Topic signals: which topics each user posts about, engages with or declares, and which
interactions are about a topic.

Signals (all normalised by :func:`~graph_influence.topic_names.normalize_topic`, one call per
distinct raw token: Unicode NFKC, case-folded, the leading ``#``s and the whitespace and
punctuation at both ends removed — ``#FF!``, ``ff`` and ``#ff`` are one topic ``ff`` —, a hashtag
cut at its first whitespace; like Twitter's hashtags, a topic must contain a letter, so ``#1`` or
``#...`` are dropped, and the stop words of ``STOP_TOPICS`` (``in``, ``of``, ``me``...) are no
topics; a topic of more than ``MAX_TOPIC_CHARS`` (256) characters is no topic either — Twitter's
hashtags stop at 139 — and is dropped, which also keeps topic names indexable in Neo4j):

- *declared*: the user's ``users.topics`` (``;``-separated);
- *posted*: the ``topics`` column and the ``#hashtags`` in the ``text`` of the user's posts;
- *engaged*: the topics of the user's interactions: their own ``topics`` column and the topics
  and hashtags of the post they refer to (``post_id``).

A post (or an interaction) counts once per topic, however many times it names the topic.

Affinity of user ``u`` to topic ``t`` (a sparse users x topics matrix)::

    affinity = 1.0 * [declared] + 1.0 * log1p(posts about t) + 0.5 * log1p(engagements with t)

so posting about a topic counts more than engaging with it, and both have diminishing returns.
A topic is kept when at least ``min_users`` users have an affinity to it; the ``max_topics``
topics with the most users are kept (ties by name).

Topic-tagged interactions feed the topic walks: per (src, dst, topic), the same weighted, decayed
sum as the attention graph (``w_type * weight * 2^(-age/half_life)``, events after the as-of time
ignored), later turned into a boost by the concave transform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from graph_influence.graph_view import GraphView
from graph_influence.topic_names import normalize_topic

#: The longest topic name kept, in characters (longer ones are dropped).
MAX_TOPIC_CHARS = 256

__all__ = [
    "AFFINITY_WEIGHTS",
    "TopicSignals",
    "extract_topic_signals",
    "normalize_topic",
]

#: Weights of the three signal kinds in the affinity (see the module docstring).
AFFINITY_WEIGHTS = {"declared": 1.0, "posted": 1.0, "engaged": 0.5}
_HASHTAG = r"#([\p{L}\p{N}_]+)"


@dataclass
class TopicSignals:
    """Topic vocabulary, user affinities and topic-tagged interaction sums, in view order.

    Attributes
    ----------
    names : list of str
        Topic names (normalised), index = topic id; most users first.
    users : numpy.ndarray of int64
        Users with an affinity to each topic.
    affinity : scipy.sparse.csr_array, shape (n_users, n_topics)
    tag_src, tag_dst, tag_topic : numpy.ndarray of int64
        Topic-tagged interaction aggregates (view positions and topic ids).
    tag_decayed : numpy.ndarray of float64
        Their sums of ``w_type * weight * 2^(-age/half_life)``.
    """

    names: list[str]
    users: np.ndarray
    affinity: sp.csr_array
    tag_src: np.ndarray
    tag_dst: np.ndarray
    tag_topic: np.ndarray
    tag_decayed: np.ndarray

    @property
    def n_topics(self) -> int:
        return len(self.names)


def _vocabulary_map(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``norm(raw, topic)`` for every raw token seen (Python per distinct token only)."""
    raw = con.execute("SELECT DISTINCT raw FROM tokens WHERE raw IS NOT NULL").fetchall()
    mapping = pa.table({
        "raw": pa.array([r[0] for r in raw], pa.string()),
        "topic": pa.array([normalize_topic(r[0]) for r in raw], pa.string()),
    })
    con.register("norm_map", mapping)


def extract_topic_signals(
    rows: Mapping[str, pa.Table],
    view: GraphView,
    *,
    type_weights: Mapping[str, float],
    min_users: int = 3,
    max_topics: int = 100,
) -> TopicSignals:
    """Build topic signals from the store's topic rows (see ``Store.topic_rows``).

    Parameters
    ----------
    rows : mapping
        ``users`` (uid, topics), ``posts`` (author, ts, text, topics) and ``interactions``
        (src, dst, type, ts, weight, topics, post_topics, post_text) as Arrow tables keyed by
        store uid.
    view : GraphView
        Gives the canonical user order, the as-of time and the half-life.
    type_weights : mapping of str to float
        Interaction type weights (types missing weigh 1).
    min_users : int, optional
        Minimum number of users with an affinity for a topic to be kept (default 3).
    max_topics : int, optional
        Keep at most this many topics, the most widespread first (default 100).

    Returns
    -------
    TopicSignals
    """
    if min_users < 1:
        raise ValueError(f"min_users must be >= 1, not {min_users}")
    if max_topics < 1:
        raise ValueError(f"max_topics must be >= 1, not {max_topics}")
    n = view.n_users
    con = duckdb.connect()
    try:
        for name in ("users", "posts", "interactions"):
            con.register(f"r_{name}", rows[name])
        con.register("positions", pa.table({
            "uid": pa.array(view.uids, pa.int64()),
            "pos": pa.array(np.arange(n, dtype=np.int64)),
        }))
        con.register("tw", pa.table({
            "type": pa.array(list(type_weights), pa.string()),
            "w": pa.array([float(v) for v in type_weights.values()], pa.float64()),
        }))
        as_of = view.as_of
        hl = view.half_life_seconds
        con.execute(
            """
            CREATE TEMP TABLE posts AS
            SELECT row_number() OVER () AS item, author, text, topics FROM r_posts
            WHERE ts IS NULL OR $as_of IS NULL OR ts <= $as_of
            """,
            {"as_of": as_of},
        )
        con.execute(
            f"""
            CREATE TEMP TABLE tokens AS
            SELECT uid, 'declared' AS kind, 0 AS item,
                   trim(unnest(string_split(topics, ';'))) AS raw
              FROM r_users WHERE topics IS NOT NULL
            UNION ALL
            SELECT author, 'posted', item, trim(unnest(string_split(topics, ';'))) FROM posts
              WHERE topics IS NOT NULL
            UNION ALL
            SELECT author, 'posted', item, unnest(regexp_extract_all(text, '{_HASHTAG}', 1))
              FROM posts WHERE text IS NOT NULL
            """
        )
        con.execute(
            """
            CREATE TEMP TABLE event_tokens AS
            SELECT row_number() OVER () AS ev, src, dst, type, ts, weight, topics, post_topics,
                   post_text FROM r_interactions
            WHERE src <> dst AND (ts IS NULL OR $as_of IS NULL OR ts <= $as_of)
            """,
            {"as_of": as_of},
        )
        con.execute(
            f"""
            CREATE TEMP TABLE event_raw AS
            SELECT ev, trim(unnest(string_split(topics, ';'))) AS raw FROM event_tokens
              WHERE topics IS NOT NULL
            UNION ALL
            SELECT ev, trim(unnest(string_split(post_topics, ';'))) FROM event_tokens
              WHERE post_topics IS NOT NULL
            UNION ALL
            SELECT ev, unnest(regexp_extract_all(post_text, '{_HASHTAG}', 1)) FROM event_tokens
              WHERE post_text IS NOT NULL
            """
        )
        con.execute(
            "INSERT INTO tokens "
            "SELECT e.src, 'engaged', ev, r.raw FROM event_raw r JOIN event_tokens e USING (ev)"
        )
        _vocabulary_map(con)
        con.execute(
            """
            CREATE TEMP TABLE signals AS
            SELECT p.pos AS u, m.topic, t.kind, count(DISTINCT t.item) AS n
            FROM tokens t JOIN norm_map m ON m.raw = t.raw
                 JOIN positions p ON p.uid = t.uid
            WHERE m.topic <> '' AND length(m.topic) <= $max_chars
            GROUP BY ALL
            """,
            {"max_chars": MAX_TOPIC_CHARS},
        )
        vocab = con.execute(
            """
            SELECT topic, count(DISTINCT u) AS users FROM signals GROUP BY topic
            HAVING count(DISTINCT u) >= $min_users
            ORDER BY users DESC, topic LIMIT $max_topics
            """,
            {"min_users": int(min_users), "max_topics": int(max_topics)},
        ).fetchall()
        names = [v[0] for v in vocab]
        con.register("vocab", pa.table({
            "topic": pa.array(names, pa.string()),
            "tid": pa.array(np.arange(len(names), dtype=np.int64)),
        }))
        aff = con.execute(
            f"""
            SELECT s.u, v.tid, fsum(CASE s.kind
                    WHEN 'declared' THEN {AFFINITY_WEIGHTS['declared']}
                    WHEN 'posted' THEN {AFFINITY_WEIGHTS['posted']} * ln(1 + s.n)
                    ELSE {AFFINITY_WEIGHTS['engaged']} * ln(1 + s.n) END) AS a
            FROM signals s JOIN vocab v USING (topic) GROUP BY ALL
            """
        ).fetchnumpy()
        tags = con.execute(
            """
            WITH tagged AS (
                SELECT DISTINCT r.ev, v.tid FROM event_raw r
                JOIN norm_map m ON m.raw = r.raw JOIN vocab v ON v.topic = m.topic)
            SELECT ps.pos AS s, pd.pos AS d, t.tid,
                   fsum(coalesce(tw.w, 1.0) * e.weight * CASE
                       WHEN e.ts IS NULL OR $hl IS NULL OR $as_of IS NULL THEN 1.0
                       ELSE exp(-ln(2.0) * ((epoch_us($as_of::TIMESTAMP) - epoch_us(e.ts)) / 1e6)
                                / $hl) END) AS w
            FROM tagged t JOIN event_tokens e USING (ev)
                 JOIN positions ps ON ps.uid = e.src JOIN positions pd ON pd.uid = e.dst
                 LEFT JOIN tw ON tw.type = e.type
            GROUP BY ALL
            """,
            {"hl": hl, "as_of": as_of},
        ).fetchnumpy()
    finally:
        con.close()
    n_topics = len(names)
    affinity = sp.csr_array(
        (np.asarray(aff["a"], np.float64), (np.asarray(aff["u"], np.int64),
                                             np.asarray(aff["tid"], np.int64))),
        shape=(n, n_topics),
    )
    users = np.asarray((affinity > 0).sum(axis=0)).ravel().astype(np.int64)
    order = np.lexsort((np.asarray(tags["tid"]), np.asarray(tags["d"]), np.asarray(tags["s"])))
    return TopicSignals(
        names=names,
        users=users,
        affinity=affinity,
        tag_src=np.asarray(tags["s"], np.int64)[order],
        tag_dst=np.asarray(tags["d"], np.int64)[order],
        tag_topic=np.asarray(tags["tid"], np.int64)[order],
        tag_decayed=np.asarray(tags["w"], np.float64)[order],
    )


