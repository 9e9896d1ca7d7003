"""How well one ranking of users predicts a later quantity: Spearman, precision@k, NDCG@k.

Used by the backtest (``graph_influence.backtest``): a score computed on the events up to a
time T is compared with the attention each user receives after T. Every function takes the
predicted values and the true values over the same users (numpy arrays of equal length) and is
vectorised. Ties are broken the same way everywhere: by position (a user's index, which is the
order of user ids in a graph view), so the result is deterministic.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ndcg_at_k", "precision_at_k", "spearman", "top_k"]


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the ``k`` largest values, largest first; ties by index (smallest first).

    >>> top_k(np.array([1.0, 3.0, 3.0, 2.0]), 3).tolist()
    [1, 2, 3]
    """
    values = np.asarray(values, dtype=np.float64)
    k = min(int(k), len(values))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    # lexsort's last key is the primary one: value descending, then index ascending
    return np.lexsort((np.arange(len(values)), -values))[:k].astype(np.int64)


def precision_at_k(predicted: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Share of the ``k`` users ranked first by ``predicted`` that are among the ``k`` first
    by ``truth`` (both with ties by index).

    >>> precision_at_k(np.array([4, 3, 2, 1]), np.array([10, 0, 5, 1]), 2)
    0.5
    """
    k = min(int(k), len(truth))
    if k <= 0:
        return float("nan")
    hits = np.intersect1d(top_k(predicted, k), top_k(truth, k), assume_unique=True)
    return len(hits) / k


def ndcg_at_k(predicted: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Normalised discounted cumulative gain of the first ``k`` users by ``predicted``.

    The gain of a user is its ``truth`` value (e.g. distinct engagers after T, >= 0); the
    discount of position ``i`` (1-based) is ``log2(i + 1)``; the ideal order is ``truth``'s
    own. 1 is a perfect order; ``nan`` when ``truth`` is all zero.

    >>> round(ndcg_at_k(np.array([3, 2, 1]), np.array([3, 2, 1]), 3), 6)
    1.0
    >>> round(ndcg_at_k(np.array([1, 2, 3]), np.array([3, 0, 0]), 1), 6)
    0.0
    """
    truth = np.asarray(truth, dtype=np.float64)
    k = min(int(k), len(truth))
    if k <= 0:
        return float("nan")
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = float(np.sort(truth)[::-1][:k] @ discount)
    if ideal == 0:
        return float("nan")
    return float(truth[top_k(predicted, k)] @ discount) / ideal


def spearman(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Spearman's rank correlation (ties get their average rank); ``nan`` if either side is
    constant.

    >>> round(spearman(np.array([1, 2, 3, 4]), np.array([10, 20, 30, 40])), 6)
    1.0
    """
    from scipy.stats import rankdata

    a = rankdata(np.asarray(predicted, dtype=np.float64))
    b = rankdata(np.asarray(truth, dtype=np.float64))
    a -= a.mean()
    b -= b.mean()
    denominator = float(np.sqrt((a @ a) * (b @ b)))
    return float(a @ b) / denominator if denominator else float("nan")
