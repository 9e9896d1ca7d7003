"""What an analysis produces besides overall influence: per-topic scores and communities.

Arrays are aligned with the graph view (users in id order); stores persist them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["CommunityResults", "TopicResults"]


@dataclass
class TopicResults:
    """Topic-specific influence of a run.

    Attributes
    ----------
    names : list of str
        Topic names; index = topic id.
    users : numpy.ndarray of int64
        Users with an affinity to each topic.
    affinity : scipy.sparse.csr_array, shape (n, T)
    influence, score : numpy.ndarray, shape (n, T)
        Topic influence (each column sums to 1) and its 0-100 score (each topic its own scale).
    rank : numpy.ndarray of int64, shape (n, T)
        Competition rank within each topic.
    iterations, errors : numpy.ndarray, shape (T,)
        Convergence of each topic's walk.
    calibrations : list of dict
        Each topic's scale constants.
    keep : int
        Stores keep, per topic, the ``keep`` best users and everyone with an affinity.
    """

    names: list[str]
    users: np.ndarray
    affinity: sp.csr_array
    influence: np.ndarray
    score: np.ndarray
    rank: np.ndarray
    iterations: np.ndarray
    errors: np.ndarray
    calibrations: list[dict] = field(default_factory=list)
    keep: int = 1000

    @property
    def n_topics(self) -> int:
        return len(self.names)

    def stored_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """``(user position, topic id)`` of the rows stores keep (sorted by topic, then rank)."""
        n, t = self.influence.shape
        keep_mask = self.rank <= self.keep
        aff = sp.coo_array(self.affinity)
        keep_mask[aff.row, aff.col] |= aff.data > 0
        users, topics = np.nonzero(keep_mask)
        order = np.lexsort((users, self.rank[users, topics], topics))
        return users[order], topics[order]


@dataclass
class CommunityResults:
    """Communities of a run.

    Attributes
    ----------
    membership : numpy.ndarray of int64
        Community of each user (0 = the largest).
    modularity : float
        Modularity of the whole partition (symmetrised attention graph).
    table : pandas.DataFrame
        One row per community: ``community``, ``size``, ``modularity_contribution``,
        ``top_topics`` (list of ``{"topic", "lift", "users"}``), ``top_members`` (ids).
    resolution : float
    seed : int
    """

    membership: np.ndarray
    modularity: float
    table: pd.DataFrame
    resolution: float = 1.0
    seed: int = 0

    @property
    def n_communities(self) -> int:
        return len(self.table)
