"""The graph view: what the algorithms need from a store, as integer-indexed arrays.

Users are numbered ``0..n-1`` in the order of their ids (byte order of UTF-8, i.e. code point
order), and edges are sorted, whatever the store: the same snapshot gives bit-identical arrays,
and so bit-identical scores, from the embedded store and from Neo4j. ``uids`` keeps each
position's key in the store. Follow edges come once per pair; interactions come aggregated per
(src, dst, type) with their event count and the sum of their time-decayed weights, computed by
the store (on the server for Neo4j).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from graph_influence.algorithms.attention import attention_matrix

__all__ = ["GraphView", "canonical_view"]


@dataclass
class GraphView:
    """Integer-indexed arrays of a store's graph at one as-of time.

    Attributes
    ----------
    ids : numpy.ndarray of object
        ``ids[i]`` is the id of user ``i``; ids are sorted.
    uids : numpy.ndarray of int64
        The store's key of user ``i``.
    follow_src, follow_dst : numpy.ndarray of int64
        Follow pairs (src follows dst) with ``ts <= as_of`` or no time.
    inter_src, inter_dst, inter_type : numpy.ndarray of int64
        One entry per (src, dst, type) with at least one event at or before ``as_of``;
        ``inter_type`` indexes ``type_names``.
    inter_count : numpy.ndarray of int64
        Events in each aggregate.
    inter_decayed : numpy.ndarray of float64
        Sum of ``weight * 2 ** (-age / half_life)`` over the aggregate's events (undated
        events do not decay).
    type_names : list of str
        Interaction type of each code.
    as_of : datetime or None
        The time ages are measured from (``None``: nothing is dated).
    half_life_seconds : float or None
        Half-life of the decay (``None``: no decay).
    inter_weight : numpy.ndarray of float64 or None
        Sum of ``weight`` over the aggregate's events, undecayed (what the attention would
        weigh without decay: the fade sends the difference to the teleport). ``None``: equal
        to ``inter_decayed`` (nothing has faded).
    """

    ids: np.ndarray
    uids: np.ndarray
    follow_src: np.ndarray
    follow_dst: np.ndarray
    inter_src: np.ndarray
    inter_dst: np.ndarray
    inter_type: np.ndarray
    inter_count: np.ndarray
    inter_decayed: np.ndarray
    type_names: list[str]
    as_of: datetime | None
    half_life_seconds: float | None
    inter_weight: np.ndarray | None = None

    @property
    def n_users(self) -> int:
        return len(self.ids)

    @property
    def n_events(self) -> int:
        return int(self.inter_count.sum())

    def attention_arguments(
        self,
        *,
        type_weights: Mapping[str, float],
        follow_weight: float = 1.0,
        concave: str = "log1p",
    ) -> dict:
        """The keyword arguments of :func:`.attention_matrix` (and of
        ``algorithms.explain.decompose_influence``) for this view and these weights."""
        return {
            "follow_src": self.follow_src, "follow_dst": self.follow_dst,
            "inter_src": self.inter_src, "inter_dst": self.inter_dst,
            "inter_type": self.inter_type, "inter_decayed": self.inter_decayed,
            "type_names": self.type_names, "type_weights": type_weights,
            "follow_weight": follow_weight, "concave": concave,
        }

    def undecayed(self) -> GraphView:
        """This view with every aggregate at its undecayed weight (``inter_weight``)."""
        weight = self.inter_decayed if self.inter_weight is None else self.inter_weight
        return dataclasses.replace(self, inter_decayed=weight, half_life_seconds=None)

    def attention(
        self,
        *,
        type_weights: Mapping[str, float],
        follow_weight: float = 1.0,
        concave: str = "log1p",
    ) -> sp.csr_array:
        """The weighted attention adjacency (see :func:`.attention_matrix`)."""
        return attention_matrix(self.n_users, **self.attention_arguments(
            type_weights=type_weights, follow_weight=follow_weight, concave=concave))


def canonical_view(
    *,
    uids: np.ndarray,
    ids: pa.Array | np.ndarray,
    follow_src: np.ndarray,
    follow_dst: np.ndarray,
    inter_src: np.ndarray,
    inter_dst: np.ndarray,
    inter_type: np.ndarray,
    inter_count: np.ndarray,
    inter_decayed: np.ndarray,
    type_names: list[str],
    as_of: datetime | None,
    half_life_seconds: float | None,
    inter_weight: np.ndarray | None = None,
) -> GraphView:
    """Build a :class:`GraphView` from store keys, in canonical order.

    Parameters
    ----------
    uids : numpy.ndarray of int
        Store key of each user (any order, unique, ``>= 0``).
    ids : pyarrow.Array or numpy.ndarray of str
        Id of each user, aligned with ``uids``.
    follow_src, follow_dst, inter_src, inter_dst : numpy.ndarray of int
        Edge endpoints as store keys.
    inter_type : numpy.ndarray of int
        Index into ``type_names`` (sorted names).
    inter_count, inter_decayed, type_names, as_of, half_life_seconds, inter_weight
        As in :class:`GraphView`.
    """
    ids = pa.array(ids, pa.string()) if not isinstance(ids, pa.Array) else ids
    order = pc.sort_indices(ids).to_numpy()
    uids = np.asarray(uids, dtype=np.int64)[order]
    n = len(uids)
    position = np.full(int(uids.max()) + 1 if n else 0, -1, dtype=np.int64)
    position[uids] = np.arange(n, dtype=np.int64)
    fs, fd = position[np.asarray(follow_src, np.int64)], position[np.asarray(follow_dst, np.int64)]
    f_order = _order_by_key(fs, fd, n)
    s_, d_ = position[np.asarray(inter_src, np.int64)], position[np.asarray(inter_dst, np.int64)]
    t_ = np.asarray(inter_type, dtype=np.int64)
    i_order = _order_by_key(s_, d_, n, t_, len(type_names))
    return GraphView(
        ids=ids.take(pa.array(order)).to_numpy(zero_copy_only=False),
        uids=uids,
        follow_src=fs[f_order],
        follow_dst=fd[f_order],
        inter_src=s_[i_order],
        inter_dst=d_[i_order],
        inter_type=t_[i_order],
        inter_count=np.asarray(inter_count, dtype=np.int64)[i_order],
        inter_decayed=np.asarray(inter_decayed, dtype=np.float64)[i_order],
        type_names=list(type_names),
        as_of=as_of,
        half_life_seconds=half_life_seconds,
        inter_weight=None if inter_weight is None
        else np.asarray(inter_weight, dtype=np.float64)[i_order],
    )


def _order_by_key(
    src: np.ndarray, dst: np.ndarray, n: int, kind: np.ndarray | None = None, n_kinds: int = 1
) -> np.ndarray:
    """The permutation sorting edges by (src, dst[, kind]).

    The tuple is packed into one int64 key, ``(src * n + dst) * n_kinds + kind``, and sorted
    once: ~5x faster than ``np.lexsort`` over the columns at 5M edges. Keys are unique (one row
    per pair, or per pair and kind), so an unstable sort still gives one answer.
    """
    if n and (n * n * max(n_kinds, 1)) >= 2**63:
        return np.lexsort((kind, dst, src) if kind is not None else (dst, src))
    key = src * n + dst
    if kind is not None:
        key *= max(n_kinds, 1)
        key += kind
    return np.argsort(key)
