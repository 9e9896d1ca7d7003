"""The engine's walks computed inside Neo4j with Open GDS: one projection, then its algorithms.

The projection builds, on the server and from the store's own rows, what
:func:`graph_influence.walk.walk_of` builds from a graph view: the attention edges (decayed event
weights per (source, target, type), type weights, the concave transform, the follow weight once
per followed pair; no self-loops), each user's out-weight on no edge (ground weight + faded
attention) and the trust teleport (a floor plus one per distinct engager not engaged back). GDS
2.13 loses dangling mass and takes no weighted source nodes, so (docs/architecture.md):

- the out-weight on no edge goes to a virtual **ground** node G (no out-edges: lost, like
  dangling mass);
- the teleport is a virtual node T, the only source node, with an edge to each user weighted by
  the user's trust (a uniform teleport needs no T: every node is a source).

On the users GDS then computes a vector proportional to the engine's; without T and G and
normalised it is the engine's influence (the tests hold it to 1e-9 of ``pagerank``). A seed
teleport is T with an edge to each seed; each topic's walk restarts at its own virtual node
(edges weighted by affinity) and adds its boosted edges (:class:`GdsGraph`). Every user value
travels as a parameter. Design and measurements: docs/gds-engine-design.md.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from graph_influence.errors import StoreError

from .common import DECAY_CYPHER

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from graph_influence.graph_view import GraphView
    from graph_influence.params import AnalysisParams

    from .neo4j_store import Neo4jStore

__all__ = ["GDS_PAGERANK_CONFIG", "GdsGraph", "gds_version",
           "gds_walk_influence", "user_view", "walk_parameters"]

#: The virtual nodes of a projection take the integer ids right above the database's highest
#: node id, so they never meet a real node (ids far above it, such as 2**50, make GDS size its
#: id map by the highest id and run out of memory): the teleport T, the ground G, then one
#: teleport per topic.
Q_NEXT_NODE_ID = "MATCH (n) RETURN coalesce(max(id(n)), -1) + 1 AS next"

#: GDS's tolerance is an absolute change per node: its default (1e-7, 20 iterations) is 2e-5 to
#: 3.5e-5 off the converged vector; one thread sums the messages in a fixed order (the same
#: scores twice).
GDS_PAGERANK_CONFIG = {"relationshipWeightProperty": "w", "maxIterations": 1000,
                       "tolerance": 1e-20, "scaler": "NONE", "concurrency": 1}

# g(x) for x > 0. Cypher has no log1p: log(1 + x) loses ~1e-16/x for small x, so the
# compensated form log(u) * x / (u - 1), u = 1 + x, exact to a few ulps.
_CONCAVE = """CASE $concave
      WHEN 'log1p' THEN CASE WHEN {u} = 1.0 THEN {x} ELSE log({u}) * {x} / ({u} - 1.0) END
      WHEN 'sqrt' THEN sqrt({x})
      ELSE {x} END"""
_IN_VIEW = """(e.ts IS NULL OR $as_of IS NULL OR e.ts <= $as_of)
    AND e.load_id IN $loads"""

#: The walk as rows fed to ``gds.graph.project`` (see the module docstring): ``src``, ``dst`` (a
#: node or a virtual node's id), ``w``, the relationship ``type`` (:data:`ATTENTION`,
#: :data:`TRUST`, :data:`GROUND`, :data:`FADE`, or a type of ``$virtual_edges``/``$user_edges``:
#: seed teleports, topic teleports and topic boosts sent by the client), each end's ``uid`` (-1
#: for a virtual node), ``pair`` (1: an engaged pair's attention edge, 2: a trusted pair) and
#: ``events`` (the user's events in the view, on one row of each user with any).
Q_PROJECT_WALK = """
CALL () {
  CALL () {
    MATCH (a:User)-[e:INTERACTED]->(b:User)
    WHERE a <> b AND """ + _IN_VIEW + """
    WITH a, b, e.type AS type, sum(e.weight * """ + DECAY_CYPHER + """) AS w,
         sum(e.weight) AS total, count(*) AS n
    WITH a, b, coalesce($type_weights[type], 1.0) AS tw, w, total, n
    RETURN a, b,
           sum(CASE WHEN tw * w > 0 THEN tw * w ELSE 0.0 END) AS dw,
           sum(CASE WHEN tw * total > 0 THEN tw * total ELSE 0.0 END) AS uw,
           max(CASE WHEN tw > 0 AND w > 0 THEN 1 ELSE 0 END) AS engaged, 0 AS f, sum(n) AS n
    UNION ALL
    MATCH (a:User)-[e:FOLLOWS]->(b:User)
    WHERE a <> b AND """ + _IN_VIEW + """
    RETURN DISTINCT a, b, 0.0 AS dw, 0.0 AS uw, 0 AS engaged, 1 AS f, 0 AS n
  }
  WITH a, b, sum(dw) AS dw, sum(uw) AS uw, max(engaged) AS engaged, max(f) AS f, sum(n) AS n
  WITH a, b, dw, uw, engaged, n, 1.0 + dw AS du, 1.0 + uw AS uu,
       CASE WHEN f = 1 THEN toFloat($follow_weight) ELSE 0.0 END AS fw
  WITH a, b, engaged, n,
       (CASE WHEN dw > 0 THEN """ + _CONCAVE.format(x="dw", u="du") + """ ELSE 0.0 END) + fw AS A,
       (CASE WHEN uw > 0 THEN """ + _CONCAVE.format(x="uw", u="uu") + """ ELSE 0.0 END) + fw AS F
  WITH a, b, A, F, engaged, n,
       engaged = 1 AND $trust AND NOT EXISTS {
         MATCH (b)-[e:INTERACTED]->(a)
         WHERE """ + _IN_VIEW + """ AND coalesce($type_weights[e.type], 1.0) > 0
           AND e.weight * """ + DECAY_CYPHER + """ > 0 } AS trusts
  WITH a, sum(A) AS rowA, sum(F) AS rowF, sum(n) AS events,
       collect(CASE WHEN A > 0 THEN [b, A, engaged] END) AS out,
       collect(CASE WHEN trusts THEN b END) AS trusted
  WITH a, out, trusted, events,
       CASE WHEN $fade AND $half_life IS NOT NULL AND rowF - rowA > 0 THEN rowF - rowA
            ELSE 0.0 END AS faded
  UNWIND [[a, null, null, null, 0, events]]
         + [o IN out | [a, o[0], o[1], 'ATTENTION', o[2], 0]]
         + [x IN trusted | [$T, x, 1.0, 'TRUST', 2, 0]]
         + CASE WHEN faded > 0 THEN [[a, $G, faded, 'GROUND', 0, 0],
                                     [a, $G, faded, 'FADE', 0, 0]]
                ELSE [] END AS row
  RETURN row[0] AS src, row[1] AS dst, row[2] AS w, row[3] AS type, row[4] AS pair,
         -1 AS topic, row[5] AS events
  UNION ALL
  MATCH (u:User) WHERE u.load_id IN $loads
  UNWIND CASE WHEN $trust THEN [[$T, u, $floor, 'TRUST']] ELSE [[u, null, null, null]] END
         + CASE WHEN $ground > 0 THEN [[u, $G, toFloat($ground), 'GROUND']] ELSE [] END AS row
  RETURN row[0] AS src, row[1] AS dst, row[2] AS w, row[3] AS type, 0 AS pair, -1 AS topic,
         0 AS events
  UNION ALL
  UNWIND $virtual_edges AS r
  MATCH (b:User {uid: r[1]})
  RETURN r[0] AS src, b AS dst, r[2] AS w, r[3] AS type, 0 AS pair, r[4] AS topic,
         0 AS events
  UNION ALL
  UNWIND $user_edges AS r
  MATCH (a:User {uid: r[0]}), (b:User {uid: r[1]})
  RETURN a AS src, b AS dst, r[2] AS w, r[3] AS type, 0 AS pair, r[4] AS topic,
         0 AS events
}
WITH src, dst, w, type, pair, topic, events,
     CASE WHEN src IS :: NODE THEN src.uid ELSE -1 END AS su,
     CASE WHEN dst IS :: NODE THEN dst.uid ELSE -1 END AS du
WITH gds.graph.project($name, src, dst, {
       sourceNodeLabels: CASE WHEN su >= 0 THEN 'User' ELSE 'Virtual' END,
       targetNodeLabels: CASE WHEN dst IS NULL THEN null WHEN du >= 0 THEN 'User'
                              ELSE 'Virtual' END,
       sourceNodeProperties: {uid: su},
       targetNodeProperties: CASE WHEN dst IS NULL THEN null ELSE {uid: du} END,
       relationshipType: type,
       relationshipProperties: CASE WHEN dst IS NULL THEN null
                                     ELSE {w: w, topic: toFloat(topic)} END}) AS g,
     sum(CASE WHEN type = 'ATTENTION' THEN 1 ELSE 0 END) AS attention,
     sum(CASE pair WHEN 1 THEN 1 ELSE 0 END) AS engaged,
     sum(CASE pair WHEN 2 THEN 1 ELSE 0 END) AS trusted, sum(events) AS events
RETURN g.nodeCount AS nodes, g.relationshipCount AS rels, attention, engaged, trusted, events
"""
#: Relationship types of the projection: a few fixed ones (GDS allocates buffers per type: a
#: type per topic ran a 2 GB heap out of memory at 48 topics); a topic's edges carry its index
#: in the property ``topic`` (-1 elsewhere).
ATTENTION, TRUST, GROUND, FADE = "ATTENTION", "TRUST", "GROUND", "FADE"
SEED, TOPIC, BOOST = "SEED", "TOPIC", "BOOST"
UNDIRECTED = "UNDIRECTED"  # the symmetrised attention graph (communities)

#: A topic's walk: every edge but other topics' boosts (other topics' teleport edges leave
#: source nodes that hold nothing in this walk).
Q_FILTER_TOPIC = """
CALL gds.graph.filter($name, $graph, '*',
  'r:ATTENTION OR r:FADE OR r:TOPIC OR (r:BOOST AND r.topic = $topic)',
  {parameters: {topic: $topic}})
YIELD graphName RETURN graphName
"""
Q_DROP = "CALL gds.graph.drop($name, false) YIELD graphName RETURN graphName"
Q_HAS_GDS = ("SHOW PROCEDURES YIELD name WHERE name = 'gds.pageRank.stream' "
             "RETURN count(*) > 0 AS found")
Q_GDS_VERSION = "RETURN gds.version() AS version"
Q_TYPES = ("CALL gds.graph.list($name) YIELD schemaWithOrientation "
           "RETURN keys(schemaWithOrientation.relationships) AS types")
Q_NODE_IDS = """
CALL gds.graph.nodeProperty.stream($name, 'uid', ['User']) YIELD nodeId, propertyValue
RETURN collect(nodeId) AS node, collect(propertyValue) AS uid
"""
Q_PAGERANK = """
CALL gds.pageRank.mutate($name, $config)
YIELD ranIterations, didConverge RETURN ranIterations, didConverge
"""
Q_PROPERTY = """
CALL gds.graph.nodeProperty.stream($name, $property, ['User']) YIELD nodeId, propertyValue
RETURN collect(nodeId) AS node, collect(propertyValue) AS value
"""
Q_DROP_PROPERTY = ("CALL gds.graph.nodeProperties.drop($name, [$property]) "
                   "YIELD propertiesRemoved RETURN propertiesRemoved")
Q_DEGREE = """
CALL gds.degree.stream($name, $config) YIELD nodeId, score
RETURN collect(nodeId) AS node, collect(score) AS value
"""
Q_TO_UNDIRECTED = """
CALL gds.graph.relationships.toUndirected($name, {relationshipType: $type,
                                                   mutateRelationshipType: $undirected})
YIELD relationshipsWritten RETURN relationshipsWritten
"""
Q_LOUVAIN = """
CALL gds.louvain.mutate($name, $config) YIELD modularity, ranLevels
RETURN modularity, ranLevels AS levels
"""
Q_LEIDEN = """
CALL gds.leiden.mutate($name, $config) YIELD modularity, ranLevels
RETURN modularity, ranLevels AS levels
"""
Q_MODULARITY = """
CALL gds.modularity.stream($name, $config) YIELD communityId, modularity
RETURN collect(communityId) AS community, collect(modularity) AS modularity
"""


def walk_parameters(params: AnalysisParams, *, as_of: datetime | None,
                    loads: list[str]) -> dict:
    """The parameters of :data:`Q_PROJECT_WALK` for validated ``params``.

    Parameters
    ----------
    params : AnalysisParams
        Validated (merged type weights).
    as_of : datetime, optional
        Naive UTC: ages are measured from it, later events are left out.
    loads : list of str
        The loads whose rows the walk reads.

    Returns
    -------
    dict
    """
    from graph_influence.algorithms.trust import TRUST_FLOOR

    aware = as_of.replace(tzinfo=UTC) if as_of is not None else None
    return {
        "as_of": aware,
        "as_of_us": int(round(aware.timestamp() * 1e6)) if aware is not None else None,
        "half_life": params.half_life_seconds, "loads": loads,
        "type_weights": {k: float(v) for k, v in params.type_weights.items()},
        "follow_weight": float(params.follow_weight), "concave": params.concave,
        "ground": float(params.ground_weight), "fade": bool(params.fade),
        "trust": params.teleport == "trust", "floor": TRUST_FLOOR,
    }


def user_view(store: Neo4jStore, *, as_of: datetime | None,
              half_life_seconds: float | None) -> GraphView:
    """The users of the store's complete loads as a graph view without edges (what a run
    records and writes by; the edges stay on the server: :attr:`GdsGraph.counts` has the
    number of events in the view).

    Raises
    ------
    StoreNotReadyError
        If the store holds no users.
    """
    import numpy as np
    import pyarrow as pa

    from graph_influence.errors import StoreNotReadyError
    from graph_influence.graph_view import canonical_view

    from .neo4j_store import Q_TYPES, Q_VIEW_USERS

    store.recover_interrupted_loads()
    loads = store._view_loads(None)
    users = store._read(Q_VIEW_USERS, loads=loads)[0]
    if not users["uid"]:
        raise StoreNotReadyError(f"the store {store.url} is empty — load a snapshot first: "
                                 "graph-influence load SNAPSHOT")
    none = np.zeros(0, dtype=np.int64)
    return canonical_view(
        uids=np.asarray(users["uid"], dtype=np.int64), ids=pa.array(users["id"], pa.string()),
        follow_src=none, follow_dst=none, inter_src=none, inter_dst=none, inter_type=none,
        inter_count=none, inter_decayed=np.zeros(0),
        type_names=sorted(store._read(Q_TYPES, loads=loads)[0]["types"]), as_of=as_of,
        half_life_seconds=half_life_seconds, inter_weight=np.zeros(0))


def gds_version(store: Neo4jStore) -> str:
    """The version of the server's Graph Data Science plugin.

    Raises
    ------
    StoreError
        If the server has no GDS, saying how to start one that has.
    """
    if not store._read(Q_HAS_GDS)[0]["found"]:
        raise StoreError(
            f"the Neo4j server at {store.url} has no Graph Data Science plugin: start it with "
            "make neo4j-up GDS=1, or with Docker NEO4J_PLUGINS='[\"graph-data-science\"]'")
    return str(store._read(Q_GDS_VERSION)[0]["version"])


class GdsGraph:
    """The walk of a run projected into GDS's memory, and the algorithms that run on it.

    Use it as a context manager: the projection is dropped on exit, whatever happens.

    Parameters
    ----------
    store : Neo4jStore
        On a server with Open GDS 2.13.
    params : AnalysisParams
        The run's parameters (validated here).
    as_of : datetime, optional
        Naive UTC: ages are measured from it, later events are left out.
    seeds : mapping of int to float, optional
        A seed teleport (store uid -> weight > 0) that replaces ``params.teleport``.
    topic_teleports : list of (int, int, float), optional
        ``(topic, uid, affinity)``: topic ``t`` restarts at its users in proportion to their
        affinity (a virtual node per topic, :meth:`topic_source`).
    topic_boosts : list of (int, int, int, float), optional
        ``(topic, src uid, dst uid, weight)``: extra weight on that topic's walk only
        (relationship type ``BOOST``, property ``topic``).

    Attributes
    ----------
    name : str
        The projection's name in GDS's catalogue.
    counts : dict
        ``nodes`` and ``rels`` projected, ``attention`` edges, ``engaged`` pairs,
        ``trusted`` (engaged pairs not engaged back) and ``events`` (in the view).
    types : set of str
        The relationship types the projection holds.
    """

    def __init__(self, store: Neo4jStore, params: AnalysisParams, *, as_of: datetime | None,
                 seeds: dict[int, float] | None = None,
                 topic_teleports: list[tuple[int, int, float]] | None = None,
                 topic_boosts: list[tuple[int, int, int, float]] | None = None) -> None:
        self.store = store
        self.params = params.validated()
        self.name = f"graph-influence-{uuid.uuid4().hex}"
        self.as_of = as_of
        self._seeded = seeds is not None
        self._seeds = seeds or {}
        self._topic_teleports = topic_teleports or []
        self._topic_boosts = topic_boosts or []
        self.teleport_node = self.ground_node = -1  # (set by the projection)
        self.counts: dict = {}
        self.types: set[str] = set()
        self._node: np.ndarray | None = None

    def topic_source(self, topic: int) -> int:
        """The virtual node topic ``topic``'s walk restarts at."""
        return self.ground_node + 1 + int(topic)

    def __enter__(self) -> GdsGraph:
        self.teleport_node = int(self.store._read(Q_NEXT_NODE_ID)[0]["next"])
        self.ground_node = self.teleport_node + 1
        virtual = [[self.teleport_node, int(u), float(w), SEED, -1]
                   for u, w in self._seeds.items()]
        virtual += [[self.topic_source(t), int(u), float(w), TOPIC, int(t)]
                    for t, u, w in self._topic_teleports]
        users = [[int(a), int(b), float(w), BOOST, int(t)] for t, a, b, w in self._topic_boosts]
        arguments = walk_parameters(self.params, as_of=self.as_of,
                                    loads=self.store._view_loads(None))
        if self._seeded:
            arguments["trust"] = False  # (the seeds' edges are the teleport)
        try:
            self.counts = dict(self.store._read(
                Q_PROJECT_WALK, name=self.name, virtual_edges=virtual, user_edges=users,
                T=self.teleport_node, G=self.ground_node, **arguments)[0])
            self.types = set(self.store._read(Q_TYPES, name=self.name)[0]["types"])
        except BaseException:
            self.drop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.drop()

    def drop(self) -> None:
        """Drop the projection (nothing if it is gone)."""
        with contextlib.suppress(StoreError):  # (an error being raised is the one to see)
            self.store._read(Q_DROP, name=self.name)

    # -- reading node values back, by uid ---------------------------------------------------

    def uids(self) -> np.ndarray:
        """The store uid of every user node, in the order of :meth:`values`."""
        import numpy as np

        row = self.store._read(Q_NODE_IDS, name=self.name)[0]
        self._node = np.asarray(row["node"], dtype=np.int64)
        self._uid = np.asarray(row["uid"], dtype=np.int64)
        return self._uid

    def _aligned(self, node, value) -> np.ndarray:
        """Values of user nodes in the order of :meth:`uids`."""
        import numpy as np

        if self._node is None:
            self.uids()
        node = np.asarray(node, dtype=np.int64)
        value = np.asarray(value, dtype=np.float64)
        if len(node) == len(self._node) and (node == self._node).all():
            return value
        order = np.argsort(node, kind="stable")
        at = np.searchsorted(node[order], self._node)
        return value[order[at]]

    def _users_only(self, node, value) -> tuple:
        import numpy as np

        node = np.asarray(node, dtype=np.int64)
        keep = node < self.teleport_node
        return node[keep], np.asarray(value, dtype=np.float64)[keep]

    # -- algorithms ---------------------------------------------------------------------------

    def _present(self, types) -> list[str]:
        return [t for t in types if t in self.types]

    def pagerank(self, topic: int | None = None) -> tuple[np.ndarray, int, bool]:
        """The walk's influence of every user (summing to 1), in the order of :meth:`uids`.

        Parameters
        ----------
        topic : int, optional
            A topic's walk (its boosts, its teleport, the faded attention as its leak) instead
            of the overall one.

        Returns
        -------
        (numpy.ndarray, int, bool)
            Influence, GDS's iterations, whether GDS converged.
        """
        params = self.params
        config = dict(GDS_PAGERANK_CONFIG, dampingFactor=float(params.damping),
                      mutateProperty="rank")
        if topic is None:
            types = [ATTENTION, GROUND, SEED if self._seeded else TRUST]
            if self._seeded or params.teleport == "trust":
                config["sourceNodes"] = [self.teleport_node]
        else:
            types = [ATTENTION, FADE, TOPIC, BOOST]
            config["sourceNodes"] = [self.topic_source(topic)]
        config["relationshipTypes"] = self._present(types)
        name = self.name
        if topic is not None and BOOST in self.types:  # the topic's own boosts only
            name = f"{self.name}-topic"
            self.store._read(Q_FILTER_TOPIC, name=name, graph=self.name, topic=float(topic))
        try:
            run = self.store._read(Q_PAGERANK, name=name, config=config)[0]
            row = self.store._read(Q_PROPERTY, name=name, property="rank")[0]
        finally:
            if name == self.name:
                self.store._read(Q_DROP_PROPERTY, name=name, property="rank")
            else:
                self.store._read(Q_DROP, name=name)
        score = self._aligned(row["node"], row["value"])
        total = score.sum()
        return (score / total if total > 0 else score, int(run["ranIterations"]),
                bool(run["didConverge"]))

    def strength(self, types: list[str], *, incoming: bool = False) -> np.ndarray:
        """Each user's weighted out-degree (``incoming``: in-degree) on ``types``, in the order
        of :meth:`uids` (0 for a type the projection does not hold)."""
        import numpy as np

        present = self._present(types)
        if self._node is None:
            self.uids()
        if not present:
            return np.zeros(len(self._node))
        config = {"relationshipTypes": present, "relationshipWeightProperty": "w",
                  "orientation": "REVERSE" if incoming else "NATURAL", "concurrency": 1}
        row = self.store._read(Q_DEGREE, name=self.name, config=config)[0]
        return self._aligned(*self._users_only(row["node"], row["value"]))

    def communities(self, method: str, *, resolution: float, seed: int
                    ) -> tuple[np.ndarray, np.ndarray, float, int]:
        """GDS's Louvain or Leiden on the symmetrised attention graph (weights ``A + A^T``).

        Returns
        -------
        (numpy.ndarray, numpy.ndarray, float, int)
            Each user's community (GDS's ids, in the order of :meth:`uids`), every user's
            strength on the symmetrised graph, the partition's modularity at ``resolution``
            and GDS's levels.
        """
        if ATTENTION in self.types and UNDIRECTED not in self.types:
            self.store._read(Q_TO_UNDIRECTED, name=self.name, type=ATTENTION,
                             undirected=UNDIRECTED)
            self.types.add(UNDIRECTED)
        import numpy as np

        if UNDIRECTED not in self.types:  # no attention at all: every user on their own
            n = len(self.uids()) if self._node is None else len(self._node)
            return np.arange(n), np.zeros(n), float("nan"), 0
        config = {"nodeLabels": ["User"], "relationshipTypes": [UNDIRECTED],
                  "relationshipWeightProperty": "w", "mutateProperty": "community",
                  "concurrency": 1}
        if method == "leiden":
            config.update(gamma=float(resolution), randomSeed=int(seed))
            run = self.store._read(Q_LEIDEN, name=self.name, config=config)[0]
        else:
            run = self.store._read(Q_LOUVAIN, name=self.name, config=config)[0]
        row = self.store._read(Q_PROPERTY, name=self.name, property="community")[0]
        membership = self._aligned(row["node"], row["value"]).astype(np.int64)
        strength = self.strength([UNDIRECTED])
        return membership, strength, float(run["modularity"]), int(run["levels"])

    def modularity_by_community(self) -> tuple[np.ndarray, np.ndarray]:
        """GDS's modularity of each community of the last :meth:`communities` (resolution 1):
        community ids and their terms."""
        import numpy as np

        config = {"nodeLabels": ["User"], "relationshipTypes": [UNDIRECTED],
                  "relationshipWeightProperty": "w", "communityProperty": "community",
                  "concurrency": 1}
        row = self.store._read(Q_MODULARITY, name=self.name, config=config)[0]
        return (np.asarray(row["community"], dtype=np.int64),
                np.asarray(row["modularity"], dtype=np.float64))


def gds_walk_influence(store: Neo4jStore, params: AnalysisParams, *,
                       as_of: datetime | None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Influence of every user of the store's complete loads, computed by GDS on the server.

    Parameters
    ----------
    store : Neo4jStore
        On a server with Open GDS 2.13 (``make neo4j-up GDS=1``).
    params : AnalysisParams
        The run's parameters (validated here); ``teleport`` ``trust`` or ``uniform``.
    as_of : datetime, optional
        As :func:`graph_influence.analysis.analyze` takes it (``params.as_of_time``, else the
        store's newest timestamp).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, dict)
        Each user's ``uid``, their influence (summing to 1) in the same order, and what GDS
        reported (projected nodes and relationships, attention edges, engaged and trusted
        pairs, iterations, convergence).
    """
    gds_version(store)
    with GdsGraph(store, params, as_of=as_of) as graph:
        uid = graph.uids()
        influence, iterations, converged = graph.pagerank()
        return uid, influence, dict(graph.counts, iterations=iterations, converged=converged)
