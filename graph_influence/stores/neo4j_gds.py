"""The engine's walk computed inside Neo4j with Open GDS: one projection query, one PageRank.

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
normalised it is the engine's influence (the tests hold it to 1e-9 of ``pagerank``). Every user
value travels as a parameter. Design and measurements: docs/gds-engine-design.md.
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

    from graph_influence.params import AnalysisParams

    from .neo4j_store import Neo4jStore

__all__ = ["GDS_PAGERANK_CONFIG", "VIRTUAL_TELEPORT", "gds_walk_influence", "walk_parameters"]

#: The integer ids of the virtual nodes in a Cypher projection: far above any node id Neo4j
#: hands out, so they never meet a real node.
VIRTUAL_TELEPORT = 1 << 50
VIRTUAL_GROUND = VIRTUAL_TELEPORT + 1

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

#: The walk as rows (src, dst, w) fed to ``gds.graph.project`` (see the module docstring).
Q_PROJECT_WALK = """
CALL () {
  CALL () {
    MATCH (a:User)-[e:INTERACTED]->(b:User)
    WHERE a <> b AND """ + _IN_VIEW + """
    WITH a, b, e.type AS type, sum(e.weight * """ + DECAY_CYPHER + """) AS w,
         sum(e.weight) AS total
    WITH a, b, coalesce($type_weights[type], 1.0) AS tw, w, total
    RETURN a, b,
           sum(CASE WHEN tw * w > 0 THEN tw * w ELSE 0.0 END) AS dw,
           sum(CASE WHEN tw * total > 0 THEN tw * total ELSE 0.0 END) AS uw,
           max(CASE WHEN tw > 0 AND w > 0 THEN 1 ELSE 0 END) AS engaged, 0 AS f
    UNION ALL
    MATCH (a:User)-[e:FOLLOWS]->(b:User)
    WHERE a <> b AND """ + _IN_VIEW + """
    RETURN DISTINCT a, b, 0.0 AS dw, 0.0 AS uw, 0 AS engaged, 1 AS f
  }
  WITH a, b, sum(dw) AS dw, sum(uw) AS uw, max(engaged) AS engaged, max(f) AS f
  WITH a, b, dw, uw, engaged, 1.0 + dw AS du, 1.0 + uw AS uu,
       CASE WHEN f = 1 THEN toFloat($follow_weight) ELSE 0.0 END AS fw
  WITH a, b, engaged,
       (CASE WHEN dw > 0 THEN """ + _CONCAVE.format(x="dw", u="du") + """ ELSE 0.0 END) + fw AS A,
       (CASE WHEN uw > 0 THEN """ + _CONCAVE.format(x="uw", u="uu") + """ ELSE 0.0 END) + fw AS F
  WITH a, b, A, F,
       engaged = 1 AND $trust AND NOT EXISTS {
         MATCH (b)-[e:INTERACTED]->(a)
         WHERE """ + _IN_VIEW + """ AND coalesce($type_weights[e.type], 1.0) > 0
           AND e.weight * """ + DECAY_CYPHER + """ > 0 } AS trusts
  WITH a, sum(A) AS rowA, sum(F) AS rowF,
       collect(CASE WHEN A > 0 THEN [b, A] END) AS out,
       collect(CASE WHEN trusts THEN b END) AS trusted
  WITH a, out, trusted,
       CASE WHEN $fade AND $half_life IS NOT NULL AND rowF - rowA > 0 THEN rowF - rowA
            ELSE 0.0 END AS faded
  UNWIND [o IN out | [a, o[0], o[1]]]
         + [x IN trusted | [$T, x, 1.0]]
         + CASE WHEN faded > 0 THEN [[a, $G, faded]] ELSE [] END AS row
  RETURN row[0] AS src, row[1] AS dst, row[2] AS w
  UNION ALL
  MATCH (u:User) WHERE u.load_id IN $loads
  UNWIND CASE WHEN $trust THEN [[$T, u, $floor]] ELSE [[u, null, null]] END
         + CASE WHEN $ground > 0 THEN [[u, $G, toFloat($ground)]] ELSE [] END AS row
  RETURN row[0] AS src, row[1] AS dst, row[2] AS w
}
WITH gds.graph.project($name, src, dst,
       {relationshipProperties: CASE WHEN dst IS NULL THEN null ELSE {w: w} END}) AS g
RETURN g.nodeCount AS nodes, g.relationshipCount AS rels
"""
Q_STREAM = """
CALL gds.pageRank.stream($name, $config) YIELD nodeId, score
WITH nodeId, score WHERE nodeId <> $T AND nodeId <> $G
RETURN collect(gds.util.asNode(nodeId).uid) AS uid, collect(score) AS score
"""
Q_DROP = "CALL gds.graph.drop($name, false) YIELD graphName RETURN graphName"
Q_HAS_GDS = ("SHOW PROCEDURES YIELD name WHERE name = 'gds.pageRank.stream' "
             "RETURN count(*) > 0 AS found")


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
        reported (projected nodes and relationships, iterations, convergence).
    """
    import numpy as np

    params = params.validated()
    loads = store._view_loads(None)
    name = f"graph-influence-{uuid.uuid4().hex}"
    arguments = walk_parameters(params, as_of=as_of, loads=loads)
    config = dict(GDS_PAGERANK_CONFIG, dampingFactor=float(params.damping))
    if params.teleport == "trust":
        config["sourceNodes"] = [VIRTUAL_TELEPORT]
    virtual = {"T": VIRTUAL_TELEPORT, "G": VIRTUAL_GROUND}
    if not store._read(Q_HAS_GDS)[0]["found"]:
        raise StoreError(
            f"the Neo4j server at {store.url} has no Graph Data Science plugin: start it with "
            "make neo4j-up GDS=1, or with Docker NEO4J_PLUGINS='[\"graph-data-science\"]'")
    try:
        projected = store._read(Q_PROJECT_WALK, name=name, **virtual, **arguments)[0]
        row = store._read(Q_STREAM, name=name, config=config, **virtual)[0]
    finally:
        with contextlib.suppress(StoreError):  # (the error above is the one to see)
            store._read(Q_DROP, name=name)
    uid = np.asarray(row["uid"], dtype=np.int64)
    score = np.asarray(row["score"], dtype=np.float64)
    total = score.sum()
    return uid, score / total if total > 0 else score, dict(projected)
