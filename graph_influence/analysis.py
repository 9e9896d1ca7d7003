"""Run an influence analysis on a store: graph view -> attention graph -> PageRank -> 0-100.

The result (per-user influence, score and rank, plus the run's parameters, convergence and
calibration) is written back to the store, which keeps every run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import scipy.sparse as sp

from graph_influence.algorithms.attention import CONCAVE_TRANSFORMS
from graph_influence.algorithms.communities import METHODS as COMMUNITY_METHODS
from graph_influence.algorithms.pagerank import pagerank
from graph_influence.algorithms.ranking import competition_rank
from graph_influence.algorithms.scaling import SCALES, Calibration, scale_scores
from graph_influence.algorithms.topics import boost_matrix, topic_pagerank
from graph_influence.errors import GraphInfluenceError
from graph_influence.progress import Stages
from graph_influence.results import CommunityResults, TopicResults
from graph_influence.schema import DEFAULT_INTERACTION_TYPES
from graph_influence.stores import RunRecord, Store
from graph_influence.timeparse import format_duration, parse_duration, parse_instant
from graph_influence.topic_signals import extract_topic_signals

__all__ = ["AnalysisParams", "AnalysisResult", "analyze"]


@dataclass(frozen=True)
class AnalysisParams:
    """Parameters of an influence analysis (the CLI options of ``analyze``).

    Attributes
    ----------
    damping : float
        PageRank damping factor in [0, 1) (default 0.85).
    tol : float
        Stop when the L1 change of an iteration is below this (default 1e-6).
    max_iter : int
        Maximum power iterations (default 100).
    half_life : str or float or None
        Half-life of interaction weight (``"30d"``, seconds, or ``None``/``"none"`` for no decay).
    as_of : str or datetime or None
        Time ages are measured from; events after it are ignored. Default: the newest
        timestamp in the store.
    type_weights : mapping of str to float
        Weight of each interaction type (defaults: retweet 1, quote 1, reply 0.75,
        mention 0.5, like 0.25; other types 1).
    follow_weight : float
        Weight of a follow edge (default 1).
    concave : {"log1p", "sqrt", "linear"}
        Diminishing-returns transform of repeated interactions between one pair.
    scale : {"klout", "percentile", "log", "tweepcred"}
        How influence becomes a 0-100 score (overall and per topic).
    topics : bool
        Compute topic signals and topic-specific influence (default True).
    min_topic_users : int
        A topic needs at least this many users with an affinity to it (default 3).
    max_topics : int
        Keep at most this many topics, the most widespread first (default 100).
    topic_boost : float
        Weight of a topic's tagged interactions on that topic's walk, relative to the
        attention graph (default 1: ``W_t = A + 1 * g(tagged sums)``).
    topic_keep : int
        Stores keep each topic's best ``topic_keep`` users and everyone with an affinity.
    communities : bool
        Detect communities (modularity) on the symmetrised graph (default True).
    community_method : {"louvain", "leiden"}
        ``louvain`` (default; compiled, fast) or ``leiden`` (igraph; every community connected,
        ~5-10x slower on large graphs).
    resolution : float
        Modularity resolution (default 1; larger gives more, smaller communities).
    seed : int
        Seed of the community detection (same seed, same partition).
    """

    damping: float = 0.85
    tol: float = 1e-6
    max_iter: int = 100
    half_life: str | float | None = "30d"
    as_of: str | datetime | None = None
    type_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_INTERACTION_TYPES)
    )
    follow_weight: float = 1.0
    concave: str = "log1p"
    scale: str = "klout"
    topics: bool = True
    min_topic_users: int = 3
    max_topics: int = 100
    topic_boost: float = 1.0
    topic_keep: int = 1000
    communities: bool = True
    community_method: str = "louvain"
    resolution: float = 1.0
    seed: int = 0

    def validated(self) -> AnalysisParams:
        """Check every parameter; raise :class:`GraphInfluenceError` naming the bad one."""
        if not 0 <= self.damping < 1:
            raise GraphInfluenceError(f"--damping must be in [0, 1), not {self.damping}")
        if not self.tol > 0:
            raise GraphInfluenceError(f"--tol must be > 0, not {self.tol}")
        if self.max_iter < 1:
            raise GraphInfluenceError(f"--max-iter must be >= 1, not {self.max_iter}")
        if self.follow_weight < 0:
            raise GraphInfluenceError(f"--follow-weight must be >= 0, not {self.follow_weight}")
        bad = {t: w for t, w in self.type_weights.items() if not (w >= 0)}
        if bad:
            raise GraphInfluenceError(f"--weight values must be >= 0: {bad}")
        if self.scale not in SCALES:
            raise GraphInfluenceError(f"--scale must be one of {', '.join(SCALES)}")
        if self.concave not in CONCAVE_TRANSFORMS:
            raise GraphInfluenceError(
                f"--concave must be one of {', '.join(CONCAVE_TRANSFORMS)}"
            )
        if self.min_topic_users < 1:
            raise GraphInfluenceError(f"--min-topic-users must be >= 1, not {self.min_topic_users}")
        if self.max_topics < 1:
            raise GraphInfluenceError(f"--max-topics must be >= 1, not {self.max_topics}")
        if not self.topic_boost >= 0:
            raise GraphInfluenceError(f"--topic-boost must be >= 0, not {self.topic_boost}")
        if self.topic_keep < 1:
            raise GraphInfluenceError(f"--topic-keep must be >= 1, not {self.topic_keep}")
        if self.community_method not in COMMUNITY_METHODS:
            raise GraphInfluenceError(
                f"--community-method must be one of {', '.join(COMMUNITY_METHODS)}"
            )
        if not self.resolution > 0:
            raise GraphInfluenceError(f"--resolution must be > 0, not {self.resolution}")
        parse_duration(self.half_life)
        parse_instant(self.as_of)
        return self


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
    """

    run: RunRecord
    scores: pd.DataFrame
    calibration: Calibration
    topics: TopicResults | None = None
    communities: CommunityResults | None = None
    ids: np.ndarray | None = None

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

    Returns
    -------
    AnalysisResult

    Raises
    ------
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
    half_life = parse_duration(params.half_life)
    as_of = parse_instant(params.as_of)
    with Stages("analyze", enabled=progress) as stage:
        stage("graph view")
        if as_of is None:
            as_of = store.time_range()[1]
        view = store.graph_view(as_of=as_of, half_life_seconds=half_life)
        stage("attention graph")
        adjacency = view.attention(
            type_weights=params.type_weights,
            follow_weight=params.follow_weight,
            concave=params.concave,
        )
        found = None
        if params.communities:
            stage("communities")
            found = _detect_communities(adjacency, params)
        stage("pagerank")
        # Iterating with members of a community side by side keeps a step's reads close
        # together in memory (~1.5-2x faster per step at 10M edges); scores are unchanged.
        order = None if found is None else np.argsort(found.membership, kind="stable")
        pr = pagerank(adjacency, alpha=params.damping, tol=params.tol, max_iter=params.max_iter,
                      node_order=order)
        stage("scale 0-100")
        scores, cal = scale_scores(pr.scores, params.scale, calibration)
        rank = competition_rank(pr.scores)
        topic_results = None
        if params.topics:
            stage("topic signals")
            signals = extract_topic_signals(
                store.topic_rows(), view, type_weights=params.type_weights,
                min_users=params.min_topic_users, max_topics=params.max_topics,
            )
            if signals.n_topics:
                stage(f"topic influence ({signals.n_topics} topics)")
                topic_results = _topic_influence(adjacency, signals, params)
        community_results = None
        if found is not None:
            stage("describe communities")
            community_results = _describe_communities(found, pr.scores, view, topic_results,
                                                      params)
        stage("store results")
        stored_params = {
            **asdict(params),
            "type_weights": dict(params.type_weights),
            "half_life": format_duration(half_life),
            "as_of": as_of.isoformat() if as_of else None,
            "calibration_reused": calibration is not None,
        }
        extras = {
            "n_topics": topic_results.n_topics if topic_results else 0,
            "topics": list(topic_results.names) if topic_results else [],
            "topic_iterations_max": int(topic_results.iterations.max())
            if topic_results else None,
            "n_communities": community_results.n_communities if community_results else None,
            "modularity": community_results.modularity if community_results else None,
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
    frame = pd.DataFrame({"id": view.ids, "influence": pr.scores, "score": scores, "rank": rank})
    if community_results is not None:
        frame["community"] = community_results.membership
    # users are in id order already: a stable sort on rank gives (rank, id) order
    frame = frame.take(np.argsort(rank, kind="stable")).reset_index(drop=True)
    return AnalysisResult(run, frame, cal, topic_results, community_results, view.ids)


def _topic_influence(adjacency, signals, params: AnalysisParams) -> TopicResults:
    """Topic-sensitive PageRank of every topic (one block iteration), scaled per topic."""
    n, n_topics = signals.affinity.shape
    transform = CONCAVE_TRANSFORMS[params.concave]
    boost = boost_matrix(
        n, n_topics, signals.tag_src, signals.tag_dst, signals.tag_topic,
        params.topic_boost * transform(signals.tag_decayed),
    )
    # float32 halves the memory traffic; below tol 1e-7 its rounding noise would stall the
    # L1 change, so tight tolerances run in float64.
    dtype = np.float32 if params.tol >= 1e-7 else np.float64
    result = topic_pagerank(adjacency, signals.affinity, boost=boost, alpha=params.damping,
                            tol=params.tol, max_iter=params.max_iter, dtype=dtype)
    score = np.empty_like(result.scores)
    rank = np.empty(result.scores.shape, dtype=np.int64)

    def scale_topic(t: int) -> dict:  # vectorised over users; numpy's sorts release the GIL
        values = np.ascontiguousarray(result.scores[:, t])
        score[:, t], cal = scale_scores(values, params.scale)
        rank[:, t] = competition_rank(values)
        return {"method": cal.method, "params": cal.params}

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        calibrations = list(pool.map(scale_topic, range(n_topics)))
    return TopicResults(
        names=signals.names, users=signals.users, affinity=signals.affinity,
        influence=result.scores, score=score, rank=rank, iterations=result.iterations,
        errors=result.errors, calibrations=calibrations, keep=params.topic_keep,
    )


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
