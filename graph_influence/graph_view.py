"""The graph view: what the algorithms need from a store, as integer-indexed arrays.

Users are numbered ``0..n-1`` (the store's ``uid``); ``ids[uid]`` is the user's id. Follow edges
come once per pair; interactions come aggregated per (src, dst, type) with their event count and
the sum of their time-decayed weights, computed by the store (on the server for Neo4j).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import scipy.sparse as sp

from graph_influence.algorithms.attention import attention_matrix

__all__ = ["GraphView"]


@dataclass
class GraphView:
    """Integer-indexed arrays of a store's graph at one as-of time.

    Attributes
    ----------
    ids : numpy.ndarray of object
        ``ids[uid]`` is the id of user ``uid``.
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
    """

    ids: np.ndarray
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

    @property
    def n_users(self) -> int:
        return len(self.ids)

    @property
    def n_events(self) -> int:
        return int(self.inter_count.sum())

    def attention(
        self,
        *,
        type_weights: Mapping[str, float],
        follow_weight: float = 1.0,
        concave: str = "log1p",
    ) -> sp.csr_array:
        """The weighted attention adjacency (see :func:`.attention_matrix`)."""
        return attention_matrix(
            self.n_users,
            follow_src=self.follow_src,
            follow_dst=self.follow_dst,
            inter_src=self.inter_src,
            inter_dst=self.inter_dst,
            inter_type=self.inter_type,
            inter_decayed=self.inter_decayed,
            type_names=self.type_names,
            type_weights=type_weights,
            follow_weight=follow_weight,
            concave=concave,
        )
