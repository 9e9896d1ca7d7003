"""``analyze(engine="gds")``: the same run computed inside Neo4j by Open GDS.

The graph stays on the server: the client reads the users (ids and keys), the topic rows (as
the local engine does) and, from GDS, one value per user per algorithm; it never pulls the
edges. The steps:

1. the users of the store's complete loads, as a graph view without edges (ids in canonical
   order, keys, type names), and the number of events in the view;
2. topic signals from the store's topic rows (:func:`~graph_influence.topic_signals.
   extract_topic_signals`, as the local engine computes them);
3. one projection (:class:`~graph_influence.stores.neo4j_gds.GdsGraph`): the attention graph,
   the ground and fade leaks, the trust or seed teleport, and per topic its teleport and its
   boosted edges, as relationship types of one in-memory graph;
4. ``gds.pageRank`` on the overall walk, and on each topic's walk (its relationship types, its
   own source node); ``gds.degree`` for the users who received attention (the klout floor) and
   the out-weights of the walk record; ``gds.louvain``/``gds.leiden`` on the symmetrised
   attention graph, with ``gds.modularity`` for each community's share;
5. the same scaling, ranks, community descriptions and store writes as the local engine
   (:mod:`graph_influence.analysis`), so ``top``, ``top --topic``, ``communities``, ``explain``,
   ``compare`` and ``report`` read a GDS run as they read a local one.

Influence equals the local engine's after normalisation (GDS iterates to a per-node change
below 1e-20; the engine stops at its L1 ``tol``); communities come from GDS's own Louvain or
Leiden, a different implementation that finds a different partition (the run records the
method as ``gds-louvain``/``gds-leiden`` and its modularity). Reconciliations:
docs/architecture.md, "Analysis inside Neo4j (GDS)".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from graph_influence.algorithms.attention import CONCAVE_TRANSFORMS
from graph_influence.algorithms.communities import CommunityResult
from graph_influence.algorithms.ranking import competition_rank
from graph_influence.algorithms.scaling import Calibration, scale_scores
from graph_influence.analysis import (
    AnalysisResult,
    _describe_communities,
    _score_floor,
    analysis_result,
    personalization_of,
    results_summary,
    topic_results,
    topic_signals_of,
    walk_record,
)
from graph_influence.params import ENGINES, AnalysisParams, ParameterError, SeedUsers
from graph_influence.progress import Stages
from graph_influence.stores import RunRecord, Store
from graph_influence.walk import Walk

__all__ = ["ENGINES", "analyze_in_gds"]

def analyze_in_gds(
    store: Store,
    params: AnalysisParams,
    *,
    calibration: Calibration | None = None,
    progress: bool | None = None,
    seed_users: SeedUsers | Iterable[str] | Mapping[str, float] | None = None,
    warm_start: bool = False,
) -> AnalysisResult:
    """Compute a run inside the Neo4j server of ``store`` with Open GDS and save it there.

    Parameters are those of :func:`graph_influence.analysis.analyze` (which calls this with
    ``engine="gds"``).

    Raises
    ------
    ParameterError
        If the store is not a Neo4j store (``engine``), ``warm_start`` is asked for (GDS's
        PageRank takes no start vector), or ``community_method="louvain"`` comes with a
        ``resolution`` other than 1 (GDS's Louvain has none: use Leiden).
    StoreError
        If the server has no GDS plugin (saying how to start one that has).
    """
    from graph_influence.stores.neo4j_gds import (
        GDS_PAGERANK_CONFIG,
        GdsGraph,
        gds_version,
        user_view,
    )
    from graph_influence.stores.neo4j_store import Neo4jStore

    params = params.validated()
    if not isinstance(store, Neo4jStore):
        raise ParameterError("engine", f"gds runs inside a Neo4j server with Graph Data "
                             f"Science, and {store.url} is not one: use the local engine "
                             "(the default), or load the snapshot into Neo4j")
    if warm_start:
        raise ParameterError("warm_start", "does not work with the gds engine (GDS's PageRank "
                             "takes no start vector): drop it, or use the local engine")
    if params.communities and params.community_method == "louvain" and params.resolution != 1:
        raise ParameterError("resolution", "must be 1 with the gds engine's Louvain (GDS's "
                             "Louvain has no resolution): use community_method leiden, or "
                             "the local engine")
    seeds = None if seed_users is None else SeedUsers.of(seed_users)
    version = gds_version(store)
    as_of = params.as_of_time
    with Stages("analyze (GDS)", enabled=progress) as stage:
        stage("users")
        if as_of is None:
            as_of = store.time_range()[1]
        view = user_view(store, as_of=as_of, half_life_seconds=params.half_life_seconds)
        n = view.n_users
        warnings = params.check_types(view.type_names)
        seeded = None if seeds is None else personalization_of(view, seeds)
        signals = None
        if params.topics:
            stage("topic signals")
            signals = topic_signals_of(store, view, params)
            if not signals.n_topics:
                signals = None
        stage("projection")
        teleports, boosts = _topic_edges(view, signals, params)
        with GdsGraph(store, params, as_of=as_of,
                      seeds=None if seeded is None else _by_uid(view, seeded),
                      topic_teleports=teleports, topic_boosts=boosts) as graph:
            at = _positions(view.uids, graph.uids())  # GDS order -> view order
            stage("pagerank")
            raw, iterations, converged = graph.pagerank()
            influence = _in_view_order(raw, at, n)
            # users nobody gave attention to (the klout floor); with seeds, those not reached
            attended = (_in_view_order(graph.strength(["ATTENTION"], incoming=True), at, n) > 0
                        if seeded is None else influence > 0)
            extra = faded = out = None
            if "GROUND" in graph.types:
                extra = _in_view_order(graph.strength(["GROUND"]), at, n)
                faded = (_in_view_order(graph.strength(["FADE"]), at, n)
                         if "FADE" in graph.types else None)
                out = _in_view_order(graph.strength(["ATTENTION"]), at, n)
            found = None
            if params.communities:
                stage("communities")
                found = _communities(graph, params, at, n)
            topic_scores = None
            if signals is not None:
                stage(f"topic influence ({signals.n_topics} topics)")
                topic_scores = np.empty((n, signals.n_topics))
                topic_iterations = np.zeros(signals.n_topics, dtype=np.int64)
                tick = stage.iterations(signals.n_topics, unit="topics")
                for t in range(signals.n_topics):
                    raw_t, topic_iterations[t], _ = graph.pagerank(topic=t)
                    topic_scores[:, t] = _in_view_order(raw_t, at, n)
                    tick(t + 1)
            counts = dict(graph.counts)
        stage("scale 0-100")
        scores, cal = scale_scores(influence, params.scale, calibration, attended=attended)
        rank = competition_rank(influence)
        topic_result = None
        if topic_scores is not None:
            topic_result = topic_results(signals, topic_scores, topic_iterations,
                                         np.zeros(signals.n_topics), params, influence)
        community_results = None
        if found is not None:
            stage("describe communities")
            community_results = _describe_communities(found, influence, view, topic_result,
                                                      params)
        stage("store results")
        trust = seeded is None and params.teleport == "trust"
        share = (1.0 - counts["trusted"] / counts["engaged"] if counts["engaged"] else 0.0) \
            if trust else None
        walk = Walk(None, extra, None, faded, share, int(counts["engaged"]) if trust else 0)
        warnings += walk.notes()
        teleport = "seeds" if seeded is not None else params.teleport
        extras = {
            **results_summary(topic_result, community_results),
            "communities_split": None,  # (GDS's partition is kept as GDS returns it)
            "score_floor": _score_floor(scores, attended, cal, personalised=seeds is not None),
            "personalization": seeds.summary() if seeds is not None else None,
            "warm_start": {"from_run": None, "reason": "computed by GDS",
                           "iterations": iterations},
            "walk": walk_record(teleport, share, influence, out_weights=out, extra=extra,
                                faded=faded),
            "pagerank_input": None,
            "engine": {"name": "gds", "gds_version": version,
                       "tolerance": GDS_PAGERANK_CONFIG["tolerance"], "converged": converged,
                       "projected_nodes": int(counts["nodes"]),
                       "projected_relationships": int(counts["rels"]),
                       "community_method": found.method if found is not None else None},
        }
        run = RunRecord(
            params=params.to_record(store_types=view.type_names, as_of=as_of,
                                    calibration_reused=calibration is not None),
            as_of=as_of, n_users=n, n_edges=int(counts["attention"]),
            n_events=int(counts["events"]),
            iterations=iterations, error=0.0, converged=True,
            calibration={"method": cal.method, "params": cal.params, "fitted_on": cal.fitted_on},
            extras=extras,
        )
        run.timings = dict(stage.timings)
        store.write_run(run, view, influence, scores, rank, topics=topic_result,
                        communities=community_results)
    return analysis_result(run, view, influence, scores, rank, cal, topic_result,
                           community_results, warnings)


def _positions(view_uids: np.ndarray, gds_uids: np.ndarray) -> np.ndarray:
    """For each user in view order, where GDS's arrays hold them."""
    order = np.argsort(gds_uids, kind="stable")
    at = np.searchsorted(gds_uids[order], view_uids)
    found = order[np.minimum(at, len(order) - 1)] if len(order) else at
    if len(gds_uids) != len(view_uids) or not (gds_uids[found] == view_uids).all():
        from graph_influence.errors import StoreError

        raise StoreError("the GDS projection does not hold the store's users (a load ran "
                         "during the analysis?): run analyze again")
    return found


def _in_view_order(values: np.ndarray, at: np.ndarray, n: int) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64)[at]) if n else \
        np.zeros(0)


def _by_uid(view, weights: np.ndarray) -> dict[int, float]:
    keep = np.flatnonzero(weights > 0)
    return dict(zip(view.uids[keep].tolist(), weights[keep].tolist(), strict=True))


def _topic_edges(view, signals, params: AnalysisParams) -> tuple[list, list]:
    """Each topic's teleport (topic, uid, affinity) and boosted edges (topic, src uid, dst uid,
    weight), summed per edge, as the local engine's ``boost_matrix`` sums them."""
    if signals is None:
        return [], []
    affinity = signals.affinity.tocoo()
    keep = affinity.data > 0
    teleports = list(zip(affinity.col[keep].tolist(),
                         view.uids[affinity.row[keep]].tolist(),
                         affinity.data[keep].astype(float).tolist(), strict=True))
    if params.topic_boost <= 0 or not len(signals.tag_src):
        return teleports, []
    weight = params.topic_boost * CONCAVE_TRANSFORMS[params.concave](signals.tag_decayed)
    frame = pd.DataFrame({"t": signals.tag_topic, "s": signals.tag_src, "d": signals.tag_dst,
                          "w": weight})
    frame = frame[(frame.s != frame.d) & (frame.w > 0)]
    frame = frame.groupby(["t", "s", "d"], sort=True, as_index=False)["w"].sum()
    boosts = list(zip(frame.t.tolist(), view.uids[frame.s.to_numpy()].tolist(),
                      view.uids[frame.d.to_numpy()].tolist(), frame.w.tolist(), strict=True))
    return teleports, boosts


def _communities(graph, params: AnalysisParams, at: np.ndarray, n: int) -> CommunityResult:
    """GDS's partition relabelled as the engine labels communities (by decreasing size), with
    each community's modularity share at the run's resolution."""
    from graph_influence.algorithms.communities import _relabel_by_size

    method = params.community_method
    membership, strength, modularity, levels = graph.communities(
        method, resolution=params.resolution, seed=params.seed)
    raw = membership[at]
    labels = _relabel_by_size(raw) if n else raw
    k = int(labels.max()) + 1 if n else 0
    sizes = np.bincount(labels, minlength=k)
    total = np.bincount(labels, weights=strength[at], minlength=k)
    two_m = float(strength.sum())
    contributions = np.full(k, np.nan)
    if two_m > 0:
        ids, terms = graph.modularity_by_community()  # at resolution 1
        new_of = pd.Series(labels).groupby(raw).first()  # GDS id -> our label
        contributions = np.zeros(k)
        contributions[new_of.reindex(ids).to_numpy(dtype=np.int64)] = terms
        contributions += (1.0 - params.resolution) * (total / two_m) ** 2
        modularity = float(contributions.sum())
    return CommunityResult(labels.astype(np.int64), modularity, k, sizes, contributions,
                           levels, f"gds-{method}", 0)
