"""Ranking users by a score."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

__all__ = ["competition_rank"]


def competition_rank(values: np.ndarray) -> np.ndarray:
    """Rank 1 for the largest value; ties share the best rank ("1224" ranking).

    Parameters
    ----------
    values : numpy.ndarray

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> competition_rank(np.array([0.2, 0.5, 0.2, 0.1])).tolist()
    [2, 1, 2, 4]
    """
    return rankdata(-np.asarray(values, dtype=np.float64), method="min").astype(np.int64)
