"""The walk a run scores: the attention graph, where it leaks, and where it restarts.

From a graph view and a run's parameters (``AnalysisParams``):

- ``adjacency``: the attention graph
  (:func:`~graph_influence.algorithms.attention.attention_matrix`);
- ``extra_out_weight``: each user's out-weight on no edge, the ``ground_weight`` (LeaderRank's
  ground node) plus, with ``fade``, the attention that decay took away: the pair weights
  ``g(undecayed) - g(decayed)`` summed over the user's targets. That share of the user's
  influence restarts at the teleport instead of moving along an edge;
- ``teleport``: where the walk restarts, ``trust`` (:mod:`graph_influence.algorithms.trust`),
  uniform (None), or a seed set's.

``analyze``, ``backtest`` and ``explain`` all build their walk here, so they score the same walk.
Topic walks leak the faded attention only (:attr:`Walk.topic_extra_out_weight`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from graph_influence.algorithms.trust import trust_and_reciprocity
from graph_influence.graph_view import GraphView
from graph_influence.params import AnalysisParams

__all__ = ["RECIPROCATED_WARNING", "Walk", "walk_of"]

#: Above this share of reciprocated engaged pairs, a trust-teleport run says that the data
#: look like conversation (messages), for which ``--teleport uniform`` predicted better (from
#: 100 engaged pairs on).
RECIPROCATED_WARNING = 0.5


@dataclass(frozen=True)
class Walk:
    """What PageRank runs on (see the module docstring).

    Attributes
    ----------
    adjacency : scipy.sparse.csr_array
        The attention graph ``A[u, v]`` (credit flows from u to v).
    extra_out_weight : numpy.ndarray or None
        Each user's out-weight on no edge (``None``: the classic walk, nothing leaks).
    teleport : numpy.ndarray or None
        The restart distribution, summing to 1 (``None``: uniform).
    faded : numpy.ndarray or None
        The part of ``extra_out_weight`` that is faded attention (``None``: no fade).
    reciprocated_share : float or None
        With the trust teleport: the share of engaged pairs engaged back (see
        :func:`~graph_influence.algorithms.trust.reciprocated_share`).
    engaged_pairs : int
        With the trust teleport: how many distinct (engager, engaged) pairs there are.
    """

    adjacency: sp.csr_array
    extra_out_weight: np.ndarray | None
    teleport: np.ndarray | None
    faded: np.ndarray | None = None
    reciprocated_share: float | None = None
    engaged_pairs: int = 0

    @property
    def topic_extra_out_weight(self) -> np.ndarray | None:
        """What topic walks leak: the faded attention only. A topic walk restarts at the users
        with an affinity to the topic, which already gives an account that nobody engages
        with on the topic nothing; the ground weight would make a small topic's leaderboard
        follow the affinities alone."""
        if self.faded is None or not (self.faded > 0).any():
            return None
        return self.faded

    def notes(self) -> list[str]:
        """What the user should know about this walk (conversation data under trust)."""
        share = self.reciprocated_share
        if share is None or share <= RECIPROCATED_WARNING or self.engaged_pairs < 100:
            return []  # (a handful of pairs says nothing about the data)
        return [f"{share:.0%} of the engaged pairs engage each other (conversation, such as "
                "private messages): the trust teleport gives no trust for reciprocated "
                "attention, which may not suit these data — compare with graph-influence "
                "backtest --teleport uniform"]

    def pagerank_arguments(self) -> dict:
        """Keyword arguments of :func:`~graph_influence.algorithms.pagerank.pagerank`."""
        return {"personalization": self.teleport, "extra_out_weight": self.extra_out_weight}


def walk_of(view: GraphView, params: AnalysisParams, *,
            teleport: np.ndarray | None = None) -> Walk:
    """The walk of ``view`` under ``params``.

    Parameters
    ----------
    view : GraphView
    params : AnalysisParams
        Type weights, follow weight, transform, ``ground_weight``, ``fade`` and ``teleport``.
    teleport : numpy.ndarray, optional
        A restart distribution that replaces ``params.teleport`` (a seed set's).

    Returns
    -------
    Walk
    """
    weights = {"type_weights": params.type_weights, "follow_weight": params.follow_weight,
               "concave": params.concave}
    adjacency = view.attention(**weights)
    n = view.n_users
    faded = None
    if params.fade and view.half_life_seconds is not None and view.inter_weight is not None:
        full = view.undecayed().attention(**weights)
        faded = np.maximum(_row_sums(full) - _row_sums(adjacency), 0.0)
    extra = None
    if params.ground_weight > 0 or (faded is not None and (faded > 0).any()):
        extra = np.full(n, float(params.ground_weight))
        if faded is not None:
            extra += faded
    share, pairs = None, 0
    if teleport is None and params.teleport == "trust" and n:
        trust, share, pairs = trust_and_reciprocity(n, *_engagements(view, params))
        teleport = trust / trust.sum()
    return Walk(adjacency, extra, teleport, faded, share, pairs)


def _engagements(view: GraphView, params: AnalysisParams) -> tuple[np.ndarray, np.ndarray]:
    """The interactions that make engagers for the trust teleport: of a type weighted above
    0, with a decayed weight above 0 (the interactions the attention graph holds)."""
    if not len(view.inter_type):
        return view.inter_src[:0], view.inter_dst[:0]
    codes = np.array([params.type_weights.get(t, 1.0) > 0 for t in view.type_names])
    kept = codes[view.inter_type] & (view.inter_decayed > 0)
    return view.inter_src[kept], view.inter_dst[kept]


def _row_sums(a: sp.csr_array) -> np.ndarray:
    return np.asarray(a.sum(axis=1)).ravel()
