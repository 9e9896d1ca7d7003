"""Run an influence analysis on a store: graph view -> attention graph -> PageRank -> 0-100.

The result (per-user influence, score and rank, plus the run's parameters, convergence and
calibration) is written back to the store, which keeps every run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from graph_influence.algorithms.attention import CONCAVE_TRANSFORMS
from graph_influence.algorithms.pagerank import pagerank
from graph_influence.algorithms.ranking import competition_rank
from graph_influence.algorithms.scaling import Calibration, received_attention, scale_scores
from graph_influence.algorithms.topics import boost_matrix, topic_pagerank
from graph_influence.errors import GraphInfluenceError
from graph_influence.graph_view import GraphView
from graph_influence.params import AnalysisParams, ParameterError, SeedUsers
from graph_influence.progress import Stages
from graph_influence.results import CommunityResults, TopicResults
from graph_influence.stores import RunRecord, Store
from graph_influence.topic_signals import extract_topic_signals
from graph_influence.walk import Walk, walk_of

__all__ = ["AnalysisParams", "AnalysisResult", "analyze", "attention_of", "personalization_of"]


@dataclass
class AnalysisResult:
    """The outcome of :func:`analyze`.

    Attributes
    ----------
    run : RunRecord
        Parameters, convergence, calibration and timings as stored.
    scores : pandas.DataFrame
        One row per user: ``id``, ``influence`` (sums to 1), ``score`` (0-100), ``rank``;
        ordered by rank then id.
    calibration : Calibration
        The scale's constants (save it to score another snapshot comparably).
    topics : TopicResults or None
        Topic-specific influence (None when skipped or when the snapshot has no topics).
    communities : CommunityResults or None
        The communities (None when skipped).
    ids : numpy.ndarray
        User ids in the order of the arrays of ``topics`` and ``communities``.
    warnings : list of str
        What the user should know about the parameters (e.g. a weight for a type the store
        does not hold, which changes nothing).
    """

    run: RunRecord
    scores: pd.DataFrame
    calibration: Calibration
    topics: TopicResults | None = None
    communities: CommunityResults | None = None
    ids: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> int | None:
        return self.run.run_id

    def top(self, k: int = 10) -> pd.DataFrame:
        """The k best users with their rank."""
        return self.scores.head(k).reset_index(drop=True)

    def top_topic(self, topic: str, k: int = 10) -> pd.DataFrame:
        """The k best users for one topic: rank, id, score, topic_influence."""
        if self.topics is None or topic not in self.topics.names:
            raise GraphInfluenceError(f"no topic {topic!r} in this analysis")
        t = self.topics.names.index(topic)
        frame = pd.DataFrame({
            "rank": self.topics.rank[:, t], "id": self.ids, "score": self.topics.score[:, t],
            "topic_influence": self.topics.influence[:, t],
        })
        return frame.sort_values(["rank", "id"], ignore_index=True).head(k)


def analyze(
    store: Store,
    params: AnalysisParams | None = None,
    *,
    calibration: Calibration | None = None,
    progress: bool | None = None,
    seed_users: SeedUsers | Iterable[str] | Mapping[str, float] | None = None,
    warm_start: bool = False,
    engine: str = "local",
) -> AnalysisResult:
    """Compute influence and 0-100 scores for everyone in ``store`` and save them there.

    Parameters
    ----------
    store : Store
        A store with a snapshot loaded.
    params : AnalysisParams, optional
        Default: ``AnalysisParams()``.
    calibration : Calibration, optional
        Reuse the scale of an earlier run (from ``Calibration.load``) instead of fitting one,
        so that scores of two snapshots are comparable.
    progress : bool, optional
        Show progress on stderr (default: when stderr is a terminal).
    seed_users : SeedUsers or iterable of str or mapping of str to float, optional
        Personalise the overall influence: PageRank teleports (and spreads the mass of users
        without out-edges) to these users only, uniformly, or in proportion to the weights of
        a mapping or of a :class:`~graph_influence.params.SeedUsers` read by
        :func:`~graph_influence.params.read_seed_users` ("influence as seen from our brand's
        followers"). Every id must be a user of the store. Topic influence and communities are
        unchanged; the 0-100 scale is fitted on the personalised influence. The run records
        ``extras["personalization"]``: the ``source`` file, ``n_seeds``, ``weighted`` and a
        ``sha256`` of the sorted ids (None for a uniform teleport).
    warm_start : bool, optional
        Start PageRank from the latest run's influence (mapped onto this graph's users; new
        users start at their teleport share), not from the teleport distribution. Default
        False: the same snapshot and parameters give the same scores bit for bit in any store.
        Every start converges to the same fixed point, so a warm result equals the cold one
        within the tolerance (the same L1 criterion stops both, each within
        ``damping / (1 - damping) * tol`` of the fixed point in L1), which can reorder users
        whose influences are that close, in fewer iterations when the graph changed little.
        When an earlier run had exactly this run's PageRank input (graph, user ids, damping,
        teleport), the run starts as that run started, so analysing the same snapshot again
        gives the same scores bit for bit.
    engine : {"local", "gds"}, optional
        ``local`` (default): read the graph view and compute here. ``gds``: compute inside
        the Neo4j server of a Neo4j store with Open GDS (:mod:`graph_influence.analysis_gds`):
        the same influence, scores and topic influence, communities by GDS's own Louvain or
        Leiden (recorded as ``gds-louvain``/``gds-leiden``), ``run.extras["engine"]`` saying
        what ran; no ``warm_start``.

    Returns
    -------
    AnalysisResult
        ``run.extras["score_floor"]`` says how many users received no attention (in-strength
        0 in the attention graph the run scored): ``users``, ``share``, the ``score`` they all
        share (the klout floor, 10) and whether it is a ``fixed`` floor or where another scale
        (or a calibration saved before floors existed) put them.
        ``run.extras["warm_start"]`` says where PageRank started: ``from_run`` (None: a cold
        start, with the ``reason``), ``iterations``, and the users found in that run
        (``users_matched``) or new (``users_new``); ``run.extras["pagerank_input"]`` is a
        digest of what the iteration ran on (graph, ids, damping, teleport).

    Raises
    ------
    ParameterError
        If a parameter has a value it cannot take (the error names the parameter), or a type
        weight names a type the store does not hold.
    SeedUsersError
        If ``seed_users`` is empty or names users the store does not hold (how many, the first
        few, and ``FILE:LINE`` of the first when read from a file).
    PowerIterationFailedConvergence
        If PageRank does not converge within ``max_iter`` iterations.
    StoreNotReadyError
        If the store holds no users.

    Examples
    --------
    >>> import os, tempfile
    >>> from graph_influence import open_store, load_snapshot, analyze, sample_path
    >>> store = open_store(os.path.join(tempfile.mkdtemp(), "s.duckdb"))
    >>> _ = load_snapshot(store, sample_path(), progress=False)
    >>> result = analyze(store, progress=False)
    >>> round(float(result.scores["influence"].sum()), 9)
    1.0
    """
    params = (params or AnalysisParams()).validated()
    if engine != "local":
        from graph_influence.analysis_gds import ENGINES, analyze_in_gds

        if engine not in ENGINES:
            raise ParameterError("engine", f"must be one of {', '.join(ENGINES)}, not "
                                 f"{engine!r}")
        return analyze_in_gds(store, params, calibration=calibration, progress=progress,
                              seed_users=seed_users, warm_start=warm_start)
    seeds = None if seed_users is None else SeedUsers.of(seed_users)
    half_life = params.half_life_seconds
    as_of = params.as_of_time
    with Stages("analyze", enabled=progress) as stage:
        stage("graph view")
        if as_of is None:
            as_of = store.time_range()[1]
        view = store.graph_view(as_of=as_of, half_life_seconds=half_life)
        warnings = params.check_types(view.type_names)
        seeded = None if seeds is None else personalization_of(view, seeds)
        stage("attention graph")
        walk = walk_of(view, params, teleport=seeded)
        adjacency = walk.adjacency
        warnings += walk.notes()
        found = None
        if params.communities:
            stage("communities")
            found = _detect_communities(adjacency, params)
        # Users nobody gave attention to (in-strength 0): the klout scale's floor; with a
        # seed set, the users its attention does not reach (they hold no influence at all).
        attended = (received_attention(adjacency) if seeded is None
                    else reached_from(adjacency, seeded > 0))
        stage("warm start")  # (with --cold-start: only the digest of the PageRank input)
        start = _start_vector(store, view, walk, params.damping, enabled=warm_start,
                              reached=None if seeded is None else attended)
        stage("pagerank")
        # Iterating with members of a community side by side keeps a step's reads close
        # together in memory (~1.5-2x faster per step at 10M edges); scores are unchanged.
        order = None if found is None else np.argsort(found.membership, kind="stable")
        pr = pagerank(adjacency, alpha=params.damping, nstart=start.vector, tol=params.tol,
                      max_iter=params.max_iter, node_order=order,
                      callback=stage.iterations(params.max_iter), **walk.pagerank_arguments())
        stage("scale 0-100")
        scores, cal = scale_scores(pr.scores, params.scale, calibration, attended=attended)
        rank = competition_rank(pr.scores)
        topic_results = None
        if params.topics:
            stage("topic signals")
            signals = topic_signals_of(store, view, params)
            if signals.n_topics:
                stage(f"topic influence ({signals.n_topics} topics)")
                topic_results = _topic_influence(walk, signals, params, pr.scores)
        community_results = None
        if found is not None:
            stage("describe communities")
            community_results = _describe_communities(found, pr.scores, view, topic_results,
                                                      params)
        stage("store results")
        stored_params = params.to_record(store_types=view.type_names, as_of=as_of,
                                         calibration_reused=calibration is not None)
        extras = {
            **results_summary(topic_results, community_results),
            # communities that came back in pieces and were split into connected ones
            "communities_split": found.n_split if found is not None else None,
            "score_floor": _score_floor(scores, attended, cal, personalised=seeds is not None),
            "personalization": seeds.summary() if seeds is not None else None,
            "warm_start": {**start.record, "iterations": pr.iterations},
            # the defences: how much restarts instead of moving along an edge
            "walk": _walk_record(walk, pr.scores),
            "pagerank_input": start.digest,
        }
        run = RunRecord(
            params=stored_params,
            as_of=as_of,
            n_users=view.n_users,
            n_edges=int(adjacency.nnz),
            n_events=view.n_events,
            iterations=pr.iterations,
            error=pr.error,
            converged=pr.converged,
            calibration={"method": cal.method, "params": cal.params, "fitted_on": cal.fitted_on},
            extras=extras,
        )
        run.timings = dict(stage.timings)
        store.write_run(run, view, pr.scores, scores, rank, topics=topic_results,
                        communities=community_results)
    return analysis_result(run, view, pr.scores, scores, rank, cal, topic_results,
                           community_results, warnings)


def topic_signals_of(store: Store, view: GraphView, params: AnalysisParams):
    """The run's topic signals from the store's topic rows (both engines)."""
    return extract_topic_signals(
        store.topic_rows(), view, type_weights=params.type_weights,
        min_users=params.min_topic_users, max_topics=params.max_topics,
    )


def results_summary(topics: TopicResults | None,
                    communities: CommunityResults | None) -> dict:
    """What a run's ``extras`` say of its topics and communities (both engines)."""
    return {
        "n_topics": topics.n_topics if topics else 0,
        "topics": list(topics.names) if topics else [],
        "topic_iterations_max": int(topics.iterations.max()) if topics else None,
        "n_communities": communities.n_communities if communities else None,
        "modularity": communities.modularity if communities else None,
    }


def analysis_result(run: RunRecord, view: GraphView, influence: np.ndarray,
                    scores: np.ndarray, rank: np.ndarray, cal: Calibration,
                    topic_results: TopicResults | None,
                    community_results: CommunityResults | None,
                    warnings: list[str]) -> AnalysisResult:
    """The :class:`AnalysisResult` of a stored run (users ordered by rank, then id)."""
    frame = pd.DataFrame({"id": view.ids, "influence": influence, "score": scores,
                          "rank": rank})
    if community_results is not None:
        frame["community"] = community_results.membership
    # users are in id order already: a stable sort on rank gives (rank, id) order
    frame = frame.take(np.argsort(rank, kind="stable")).reset_index(drop=True)
    return AnalysisResult(run, frame, cal, topic_results, community_results, view.ids,
                          warnings)


def attention_of(view: GraphView, params: AnalysisParams) -> sp.csr_array:
    """The weighted attention adjacency a run scores, from a graph view and the run's
    parameters (type weights, follow weight, concave transform). ``analyze`` and
    ``backtest`` both build it here."""
    return view.attention(type_weights=params.type_weights, follow_weight=params.follow_weight,
                          concave=params.concave)


def personalization_of(view: GraphView, seeds: SeedUsers) -> np.ndarray:
    """The teleport distribution of a seed set over the view's users (sums to 1).

    Raises
    ------
    SeedUsersError
        If some seed ids are not users of the view (how many, the first few, where the first
        was read).
    """
    ids = np.empty(len(seeds.ids), dtype=object)
    ids[:] = seeds.ids
    n = view.n_users
    position = np.searchsorted(view.ids, ids)  # view ids are sorted (code point order)
    known = view.ids[np.minimum(position, n - 1)] == ids if n else np.zeros(len(ids), bool)
    if not known.all():
        raise seeds.unknown_error(np.flatnonzero(~known).tolist())
    teleport = np.zeros(n, dtype=np.float64)
    weights = 1.0 if seeds.weights is None else np.asarray(seeds.weights, dtype=np.float64)
    teleport[position] = weights  # ids are distinct
    return teleport / teleport.sum()


def reached_from(adjacency, sources: np.ndarray) -> np.ndarray:
    """Which users the walk can reach from ``sources`` (a boolean mask) along edges of
    positive weight, the sources included: the users a personalised PageRank gives any
    influence (the others hold exactly 0).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> a = sp.csr_array(([1.0, 1.0, 0.0], ([0, 1, 1], [1, 2, 3])), shape=(5, 5))
    >>> reached_from(a, np.array([True, False, False, False, False])).tolist()
    [True, True, True, False, False]
    """
    from scipy.sparse.csgraph import breadth_first_order

    a = sp.coo_array(adjacency)
    n = a.shape[0]
    keep = a.data > 0
    seeds = np.flatnonzero(sources)
    # one extra node n with an edge to every source: a single breadth-first search
    rows = np.concatenate([a.row[keep], np.full(len(seeds), n)])
    cols = np.concatenate([a.col[keep], seeds])
    graph = sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1))
    order = breadth_first_order(graph, n, directed=True, return_predecessors=False)
    mask = np.zeros(n + 1, dtype=bool)
    mask[order] = True
    return mask[:n]


@dataclass(frozen=True)
class _Start:
    """Where PageRank starts: ``vector`` (None: the teleport distribution), what the run
    records of it, and the digest of the PageRank input it was chosen for."""

    vector: np.ndarray | None
    record: dict
    digest: str


def _pagerank_digest(walk: Walk, ids, alpha: float) -> str:
    """A digest of everything PageRank's result depends on besides its start, ``tol`` and
    ``max_iter``: the attention graph, the users' ids, the damping, the teleport and the
    out-weight on no edge."""
    h = hashlib.blake2b(digest_size=16)
    a = sp.csr_array(walk.adjacency)
    h.update(repr((a.shape, float(alpha), a.indptr.dtype.str, a.indices.dtype.str)).encode())
    for array in (a.indptr, a.indices, a.data):
        h.update(np.ascontiguousarray(array).view(np.uint8))
    for buffer in ids.buffers()[1:]:  # offsets and UTF-8 bytes of a fresh array
        h.update(memoryview(buffer))
    teleport, extra = walk.teleport, walk.extra_out_weight
    h.update(b"uniform" if teleport is None else np.ascontiguousarray(teleport).view(np.uint8))
    if extra is not None:  # (absent: the digest of a classic walk is what it always was)
        h.update(b"extra")
        h.update(np.ascontiguousarray(extra, dtype=np.float64).view(np.uint8))
    return h.hexdigest()


def _start_vector(store: Store, view: GraphView, walk: Walk, alpha: float, *, enabled: bool,
                  reached: np.ndarray | None = None) -> _Start:
    """The warm start of PageRank from an earlier run's influence, or a cold start.

    The latest run's influence is joined on user id with this view's users (a hash join in
    Arrow); users it lacks start at their teleport share ``(1 - alpha) * teleport``; the
    vector is renormalised to sum 1. An earlier run with this run's exact PageRank input
    (same digest) decides instead: start as it started (from the same run, or cold), so the
    same input gives the same scores bit for bit. With a seed set, users it does not reach
    (``reached`` False) start at 0, where a cold start leaves them.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = pa.array(view.ids, pa.string())
    digest = _pagerank_digest(walk, ids, alpha)
    teleport = walk.teleport
    if not enabled:
        return _Start(None, {"from_run": None, "reason": "cold start"}, digest)
    runs = store.runs()
    if not runs:
        return _Start(None, {"from_run": None, "reason": "no earlier run"}, digest)
    source = runs[-1].run_id
    same = next((r for r in reversed(runs) if r.extras.get("pagerank_input") == digest), None)
    if same is not None:
        source = (same.extras.get("warm_start") or {}).get("from_run")
        if source is None or source not in {r.run_id for r in runs}:
            why = "started cold" if source is None else f"started from run {source}, now gone"
            return _Start(None, {"from_run": None, "reason": f"the PageRank input of run "
                                 f"{same.run_id}, which {why}"}, digest)
    table = store.scores_arrow(run_id=source)
    where = pc.fill_null(pc.index_in(ids, value_set=table.column("id")), -1)
    where = where.to_numpy(zero_copy_only=False)
    known = where >= 0
    previous = table.column("influence").to_numpy()
    n = view.n_users
    start = (1.0 - alpha) * (np.full(n, 1.0 / n) if teleport is None else teleport)
    start[known] = previous[where[known]]
    if reached is not None:
        start[~reached] = 0.0
    total = start.sum()
    if not (np.isfinite(total) and total > 0 and (start >= 0).all()):
        return _Start(None, {"from_run": None, "reason": f"run {source}'s influence cannot "
                             "start this one"}, digest)
    matched = int(known.sum())
    return _Start(start / total, {"from_run": int(source), "users_matched": matched,
                                  "users_new": n - matched}, digest)


def _walk_record(walk: Walk, influence: np.ndarray) -> dict:
    """The run's record of its walk: the teleport, the share of reciprocated engaged pairs
    (trust teleport), and the share of the influence that restarts each step through the
    ground weight and the fade (``ground_leak``, ``fade_leak``; 0 in the classic walk)."""
    teleport = ("seeds" if walk.reciprocated_share is None and walk.teleport is not None
                else ("uniform" if walk.teleport is None else "trust"))
    out = _out_weights(walk.adjacency) if walk.extra_out_weight is not None else None
    return walk_record(teleport, walk.reciprocated_share, influence, out_weights=out,
                       extra=walk.extra_out_weight, faded=walk.faded)


def walk_record(teleport: str, reciprocated_share: float | None, influence: np.ndarray, *,
                out_weights: np.ndarray | None, extra: np.ndarray | None,
                faded: np.ndarray | None) -> dict:
    """A run's ``extras["walk"]`` from its parts (see ``_walk_record``); the GDS engine builds
    it from the strengths GDS returns."""
    record = {"teleport": teleport, "reciprocated_share": reciprocated_share,
              "ground_leak": 0.0, "fade_leak": 0.0}
    if extra is not None:
        total = out_weights + extra
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, influence / total, 0.0)
        faded = faded if faded is not None else np.zeros_like(extra)
        record["ground_leak"] = float(share @ (extra - faded))
        record["fade_leak"] = float(share @ faded)
    return record


def _out_weights(adjacency) -> np.ndarray:
    return np.asarray(adjacency.sum(axis=1)).ravel()


def _score_floor(scores: np.ndarray, attended: np.ndarray, cal: Calibration, *,
                 personalised: bool = False) -> dict:
    """How many users received no attention, and the score they share (the run's record).

    ``fixed`` says whether that score is the klout floor or just where the scale put them
    (another scale, or a calibration saved before floors existed). They all hold the same,
    least influence, so they all have the same score.
    """
    n = len(scores)
    unattended = ~attended
    users = int(unattended.sum())
    floor = cal.floor
    if users:
        score = float(scores[np.argmax(unattended)])
    else:
        score = floor
    return {"score": score, "users": users, "share": users / n if n else 0.0,
            "fixed": floor is not None,
            "rule": "not reached from the seed users" if personalised else "in-strength 0"}


def _topic_influence(walk: Walk, signals, params: AnalysisParams,
                     overall: np.ndarray) -> TopicResults:
    """Topic-sensitive PageRank of every topic (one block iteration), scaled and ranked per
    topic (:func:`topic_ranks`)."""
    n, n_topics = signals.affinity.shape
    transform = CONCAVE_TRANSFORMS[params.concave]
    boost = boost_matrix(
        n, n_topics, signals.tag_src, signals.tag_dst, signals.tag_topic,
        params.topic_boost * transform(signals.tag_decayed),
    )
    # float32 halves the memory traffic; below tol 1e-7 its rounding noise would stall the
    # L1 change, so tight tolerances run in float64.
    dtype = np.float32 if params.tol >= 1e-7 else np.float64
    result = topic_pagerank(walk.adjacency, signals.affinity, boost=boost,
                            alpha=params.damping, tol=params.tol, max_iter=params.max_iter,
                            dtype=dtype, extra_out_weight=walk.topic_extra_out_weight)
    return topic_results(signals, result.scores, result.iterations, result.errors, params,
                         overall)


def topic_results(signals, influence: np.ndarray, iterations: np.ndarray, errors: np.ndarray,
                  params: AnalysisParams, overall: np.ndarray) -> TopicResults:
    """Every topic's influence (n x T) scaled to 0-100 and ranked (:func:`topic_ranks`), as
    the store keeps it; the local and the GDS engine both end here."""
    n_topics = influence.shape[1]
    score = np.empty_like(influence)
    rank = np.empty(influence.shape, dtype=np.int64)
    affinity = sp.csc_array(signals.affinity)

    def scale_topic(t: int) -> dict:  # vectorised over users; numpy's sorts release the GIL
        values = np.ascontiguousarray(influence[:, t])
        score[:, t], cal = scale_scores(values, params.scale)
        rank[:, t] = topic_ranks(values, affinity[:, t], overall, params.topic_rank)
        return {"method": cal.method, "params": cal.params}

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        calibrations = list(pool.map(scale_topic, range(n_topics)))
    return TopicResults(
        names=signals.names, users=signals.users, affinity=signals.affinity,
        influence=influence, score=score, rank=rank, iterations=iterations,
        errors=errors, calibrations=calibrations, keep=params.topic_keep,
    )


def topic_ranks(topic_influence: np.ndarray, affinity, overall: np.ndarray,
                mode: str = "affinity") -> np.ndarray:
    """One topic's competition ranks (1 = best) under ``AnalysisParams.topic_rank``.

    Parameters
    ----------
    topic_influence : numpy.ndarray
        The topic walk's influence of every user.
    affinity : scipy sparse column or numpy.ndarray
        Every user's affinity to the topic (> 0: the user posts about it, engages with it or
        declares it).
    overall : numpy.ndarray
        Overall influence (for ``lift``).
    mode : {"affinity", "all", "lift"}
        ``all``: everyone by topic influence. ``affinity``: users with an affinity first, by
        topic influence, then the others (ranked after them, by topic influence). ``lift``:
        users with an affinity first, by topic influence / overall influence, then the others
        by topic influence.

    Examples
    --------
    >>> x = np.array([0.4, 0.3, 0.2, 0.1])
    >>> a = np.array([0.0, 1.0, 1.0, 0.0])
    >>> topic_ranks(x, a, np.array([0.5, 0.1, 0.3, 0.1]), "all").tolist()
    [1, 2, 3, 4]
    >>> topic_ranks(x, a, np.array([0.5, 0.1, 0.3, 0.1]), "affinity").tolist()
    [3, 1, 2, 4]
    >>> topic_ranks(x, a, np.array([0.5, 0.1, 0.3, 0.1]), "lift").tolist()
    [3, 1, 2, 4]
    """
    values = np.asarray(topic_influence, dtype=np.float64)
    if mode == "all":
        return competition_rank(values)
    has = (np.asarray(affinity.toarray() if sp.issparse(affinity) else affinity)
           .ravel() > 0)
    key = values if mode == "affinity" else np.divide(
        values, overall, out=np.zeros_like(values), where=overall > 0)
    rank = np.empty(len(values), dtype=np.int64)
    first = np.flatnonzero(has)
    rest = np.flatnonzero(~has)
    rank[first] = competition_rank(key[first])
    rank[rest] = len(first) + competition_rank(values[rest])
    return rank


def _detect_communities(adjacency, params: AnalysisParams):
    """Communities of the symmetrised attention graph."""
    from graph_influence.algorithms.communities import detect_communities

    return detect_communities(adjacency, method=params.community_method,
                              resolution=params.resolution, seed=params.seed)


def _describe_communities(found, influence, view, topics, params: AnalysisParams
                          ) -> CommunityResults:
    """The communities described by their topics and most influential members."""
    from graph_influence.algorithms.communities import describe_communities

    n = view.n_users
    affinity = topics.affinity if topics else sp.csr_array((n, 0))
    names = topics.names if topics else []
    table = describe_communities(
        found.membership, influence=influence, affinity=affinity, topic_names=names,
        ids=view.ids, contributions=found.contributions, top_topics=3, top_members=5,
    )
    table["top_topics"] = [
        [t if isinstance(t, dict) else {"topic": t[0], "lift": float(t[1]), "users": int(t[2])}
         for t in topics_of]
        for topics_of in table["top_topics"]
    ]
    table["top_members"] = [[str(m) for m in members] for members in table["top_members"]]
    return CommunityResults(found.membership, float(found.modularity), table,
                            params.resolution, params.seed)
