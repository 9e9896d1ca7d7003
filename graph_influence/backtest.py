"""Does the score predict attention? Score on the events up to a time T, compare with after T.

A snapshot's events are split at ``at`` (default: the time that leaves the last 30 % of the
dated events after it). The influence score is computed on the graph as it was at ``at`` (the
follows and events up to it, decayed to it: what ``analyze --as-of AT`` would score), and so
are baselines. Each is then compared with what every user received *after* ``at``:

- ``engagers`` (default): how many distinct users retweeted, quoted, replied to or mentioned
  them (``attention_types``);
- ``events``: how many such events they received.

Metrics (``algorithms.evaluation``; ties broken by user id order):

- Spearman's rank correlation over the users *active* by ``at`` (any follow or event, given
  or received, at or before it): the users a ranking could know anything about;
- precision@k: how many of the k users who received the most afterwards (among everyone, new
  accounts included) are among the method's first k;
- NDCG@k, with the attention received afterwards as the gain.

Baselines, on the same split, in the same run:

- ``followers``: follower count at ``at`` (follow in-degree; all equal without follows);
- ``follow_pr``: unweighted PageRank on the follow graph;
- ``engagers``: distinct engagers before ``at`` (the naive count);
- ``events``: attention events received before ``at``.

Nothing is written to the store: a backtest is a measurement, not a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np

from graph_influence.algorithms.attention import attention_matrix
from graph_influence.algorithms.evaluation import ndcg_at_k, precision_at_k, spearman
from graph_influence.algorithms.pagerank import pagerank
from graph_influence.errors import GraphInfluenceError, StoreNotReadyError
from graph_influence.graph_view import GraphView
from graph_influence.params import AnalysisParams
from graph_influence.progress import Stages
from graph_influence.stores import Store
from graph_influence.walk import walk_of

__all__ = ["ATTENTION_TYPES", "BASELINES", "TARGETS", "BacktestResult", "MethodFigures",
           "backtest"]

#: The interaction types that count as attention received (likes are not: they are not
#: visible to the user's audience).
ATTENTION_TYPES: tuple[str, ...] = ("retweet", "quote", "reply", "mention")

#: What is predicted.
TARGETS: tuple[str, ...] = ("engagers", "events")

#: Baseline name -> what it is (in the order they are shown).
BASELINES: dict[str, str] = {
    "followers": "follower count at the split",
    "follow_pr": "unweighted PageRank on follows",
    "engagers": "distinct engagers before the split (the naive count)",
    "events": "attention events received before the split",
}

#: The default share of dated events after the split.
AFTER_SHARE = 0.3


@dataclass
class MethodFigures:
    """How well one method's ranking at the split predicts the attention after it."""

    method: str
    description: str
    spearman: float
    precision: dict[int, float]
    ndcg: dict[int, float]


@dataclass
class BacktestResult:
    """A backtest's split and every method's figures (the score first, then the baselines).

    Attributes
    ----------
    at : datetime
        The split: events at or before it are scored, those after it are predicted.
    target : str
        ``"engagers"`` or ``"events"``.
    attention_types : list of str
        The interaction types counted as attention received.
    ks : list of int
        The cut-offs of precision@k and NDCG@k.
    events_before, events_after : int
        Events at or before / after the split (undated events are neither).
    follows_before : int
        Follow pairs at the split (dated at or before it, or undated).
    users, active_users, users_attended_after : int
        Every user; the users active by the split (Spearman's population); the users who
        received attention after it.
    methods : list of MethodFigures
    params : dict
        The score's analysis parameters.
    notes : list of str
        What the user should know about the score's walk on these data (e.g. conversation
        data under the trust teleport).
    """

    at: datetime
    target: str
    attention_types: list[str]
    ks: list[int]
    events_before: int
    events_after: int
    follows_before: int
    users: int
    active_users: int
    users_attended_after: int
    methods: list[MethodFigures] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def figures(self, method: str) -> MethodFigures:
        """The figures of one method (``"score"`` or a baseline name)."""
        for m in self.methods:
            if m.method == method:
                return m
        raise KeyError(method)

    def to_dict(self) -> dict:
        """A JSON-ready dict (``at`` in ISO-8601; precision and NDCG keyed by ``str(k)``)."""
        out = asdict(self)
        out["at"] = self.at.isoformat()
        for m in out["methods"]:
            m["precision"] = {str(k): v for k, v in m["precision"].items()}
            m["ndcg"] = {str(k): v for k, v in m["ndcg"].items()}
        return out


def backtest(
    store: Store,
    params: AnalysisParams | None = None,
    *,
    at: datetime | None = None,
    after_share: float = AFTER_SHARE,
    target: str = "engagers",
    attention_types: Iterable[str] = ATTENTION_TYPES,
    ks: Sequence[int] = (10, 100, 1000),
    progress: bool | None = None,
) -> BacktestResult:
    """Score the graph as it was at ``at`` and measure how well it predicts what follows.

    Parameters
    ----------
    store : Store
        A store with a snapshot whose events are dated.
    params : AnalysisParams, optional
        How the score is computed (default ``AnalysisParams()``); its ``as_of`` is replaced by
        ``at``. Topics and communities play no part.
    at : datetime, optional
        The split (naive UTC). Default: the ``1 - after_share`` quantile of the event times.
    after_share : float, optional
        Share of dated events after the default split (default 0.3).
    target : {"engagers", "events"}, optional
        What is predicted: distinct engagers after the split (default) or attention events.
    attention_types : iterable of str, optional
        Interaction types that count as attention (default retweet, quote, reply, mention).
    ks : sequence of int, optional
        Cut-offs for precision@k and NDCG@k (default 10, 100, 1000).
    progress : bool, optional
        Show progress on stderr (default: when it is a terminal).

    Returns
    -------
    BacktestResult

    Raises
    ------
    GraphInfluenceError
        If no event is dated, if nothing happens after the split or before it, or for a bad
        argument.
    StoreNotReadyError
        If the store holds no users.

    Examples
    --------
    >>> import os, tempfile
    >>> from graph_influence import open_store, load_snapshot, sample_path
    >>> store = open_store(os.path.join(tempfile.mkdtemp(), "s.duckdb"))
    >>> _ = load_snapshot(store, sample_path(), progress=False)
    >>> result = backtest(store, progress=False)
    >>> [m.method for m in result.methods][:3]
    ['score', 'followers', 'follow_pr']
    """
    if target not in TARGETS:
        raise GraphInfluenceError(f"unknown backtest target {target!r} — use one of "
                                  f"{', '.join(TARGETS)}")
    if not 0 < after_share < 1:
        raise GraphInfluenceError(f"the share of events after the split must be between 0 and "
                                  f"1, not {after_share}")
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1:
        raise GraphInfluenceError("every k of precision@k must be >= 1")
    types = sorted({t.strip().lower() for t in attention_types})
    if not types:
        raise GraphInfluenceError("give at least one interaction type that counts as attention")
    params = (params or AnalysisParams()).validated()
    with Stages("backtest", enabled=progress) as stage:
        stage("split")
        chosen = at is None
        if chosen:
            at = store.event_time_quantile(1.0 - after_share)
            if at is None:
                raise GraphInfluenceError(
                    f"no event of {store.url} has a time: a backtest splits the events by "
                    "time — load a snapshot with event timestamps (a ts column)")
        stage("graph view at the split")
        before = store.graph_view(as_of=at, half_life_seconds=params.half_life_seconds)
        stage("graph view of everything")
        everything = store.graph_view(as_of=None, half_life_seconds=None)
        counts_before = _aligned_counts(before, everything)
        after = everything.inter_count - counts_before
        unknown = sorted(set(types) - set(everything.type_names))
        if len(unknown) == len(types):
            raise GraphInfluenceError(
                f"the store holds no event of the attention types {', '.join(types)} — its "
                f"types are {', '.join(everything.type_names) or 'none'} (--attention-type)")
        kind = _of_types(everything, types)
        truth_mask = kind & (after > 0)
        n = everything.n_users
        events_after = int(after.sum())
        events_before = int(before.inter_count.sum())
        if events_after == 0:
            fix = (f" (the default split, the time that leaves {after_share:.0%} of the dated "
                   "events after it: give --at, or a larger --after-share)" if chosen else
                   ": choose an earlier --at")
            raise GraphInfluenceError(f"no event after {at:%Y-%m-%d %H:%M:%S}{fix}")
        if events_before == 0:
            raise GraphInfluenceError(f"no event at or before {at:%Y-%m-%d %H:%M:%S}: choose a "
                                      "later --at")
        if target == "engagers":
            truth = _distinct_sources(everything.inter_src, everything.inter_dst, truth_mask, n)
        else:
            truth = np.bincount(everything.inter_dst[truth_mask],
                                weights=after[truth_mask], minlength=n)
        truth = truth.astype(np.float64)
        active = _active(before, n)

        stage("score at the split")
        walk = walk_of(before, params)
        score = pagerank(walk.adjacency, alpha=params.damping, tol=params.tol,
                         max_iter=params.max_iter, **walk.pagerank_arguments()).scores
        stage("baselines")
        predictions = {"score": score, **_baselines(before, types, params)}
        stage("metrics")
        methods = [
            MethodFigures(
                name, BASELINES.get(name, "the influence score (PageRank, as analyze runs it)"),
                spearman(values[active], truth[active]),
                {k: precision_at_k(values, truth, k) for k in ks},
                {k: ndcg_at_k(values, truth, k) for k in ks},
            )
            for name, values in predictions.items()
        ]
    record = params.to_record(store_types=everything.type_names, as_of=at)
    return BacktestResult(
        at=at, target=target, attention_types=types, ks=ks, events_before=events_before,
        events_after=events_after, follows_before=len(before.follow_src), users=n,
        active_users=int(active.sum()),
        users_attended_after=int((truth > 0).sum()), methods=methods, params=record,
        notes=walk.notes(),
    )


def _aligned_counts(before: GraphView, everything: GraphView) -> np.ndarray:
    """Events of each of ``everything``'s (src, dst, type) aggregates that ``before`` holds.

    Both views number users alike (every user, in id order); ``before``'s aggregates are a
    subset of ``everything``'s. Matched on one int64 key per aggregate (vectorised)."""
    if before.ids.shape != everything.ids.shape or not np.array_equal(before.ids, everything.ids):
        raise StoreNotReadyError("the store changed during the backtest — run it again")
    n_types = len(everything.type_names)
    code = {name: i for i, name in enumerate(everything.type_names)}
    before_types = np.array([code[t] for t in before.type_names], dtype=np.int64)

    def keys(src, dst, typ):
        return (src.astype(np.int64) * everything.n_users + dst) * n_types + typ

    all_keys = keys(everything.inter_src, everything.inter_dst, everything.inter_type)
    before_keys = keys(before.inter_src, before.inter_dst,
                       before_types[before.inter_type] if len(before.inter_type) else
                       before.inter_type)
    order = np.argsort(all_keys, kind="stable")
    where = order[np.searchsorted(all_keys, before_keys, sorter=order)]
    out = np.zeros(len(all_keys), dtype=np.int64)
    out[where] = before.inter_count
    return out


def _of_types(view: GraphView, types: list[str]) -> np.ndarray:
    """Aggregates of the attention ``types``, self-loops left out."""
    wanted = np.isin(np.asarray(view.type_names, dtype=object), types)
    if not len(view.inter_type):
        return np.zeros(0, dtype=bool)
    return wanted[view.inter_type] & (view.inter_src != view.inter_dst)


def _distinct_sources(src: np.ndarray, dst: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Per user, how many distinct users ``src`` point at them among the ``mask`` rows."""
    pairs = np.unique(src[mask].astype(np.int64) * n + dst[mask])
    return np.bincount(pairs % n, minlength=n)


def _active(view: GraphView, n: int) -> np.ndarray:
    """Users with any follow or event, given or received, in ``view``."""
    active = np.zeros(n, dtype=bool)
    for ends in (view.follow_src, view.follow_dst, view.inter_src, view.inter_dst):
        active[ends] = True
    return active


def _baselines(before: GraphView, types: list[str], params: AnalysisParams
               ) -> dict[str, np.ndarray]:
    n = before.n_users
    kind = _of_types(before, types)
    follows = attention_matrix(
        n, follow_src=before.follow_src, follow_dst=before.follow_dst,
        inter_src=np.zeros(0, np.int64), inter_dst=np.zeros(0, np.int64),
        inter_type=np.zeros(0, np.int64), inter_decayed=np.zeros(0), type_names=[],
        type_weights={}, follow_weight=1.0)
    return {
        "followers": np.bincount(before.follow_dst, minlength=n).astype(np.float64),
        "follow_pr": pagerank(follows, alpha=params.damping, tol=params.tol,
                                    max_iter=params.max_iter).scores,
        "engagers": _distinct_sources(before.inter_src, before.inter_dst, kind,
                                             n).astype(np.float64),
        "events": np.bincount(before.inter_dst[kind], weights=before.inter_count[kind],
                                        minlength=n).astype(np.float64),
    }
