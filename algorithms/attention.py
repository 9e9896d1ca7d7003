"""The attention graph: who gives attention to whom, and how much (DESIGN.md §5).

The weight of the edge u -> v is::

    w(u, v) = follow_weight * [u follows v] + g( sum over events i of u on v of
                                                 w_type(i) * weight_i * 2 ** (-age_i / half_life) )

with ``g`` concave, so that the tenth retweet from one user adds less than the first (unique
engagers count more than repeated ones). Self-loops never count. Time decay is applied by the
store while it aggregates events per (src, dst, type); this module only combines the aggregates.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

__all__ = ["CONCAVE_TRANSFORMS", "attention_matrix", "decay_factor"]

#: Concave transforms ``g`` applied to a pair's summed, decayed interaction weight.
CONCAVE_TRANSFORMS = {
    "log1p": np.log1p,
    "sqrt": np.sqrt,
    "linear": lambda x: x,
}


def decay_factor(age_seconds: np.ndarray, half_life_seconds: float | None) -> np.ndarray:
    """``2 ** (-age / half_life)``; 1 where there is no half-life (no decay).

    Parameters
    ----------
    age_seconds : numpy.ndarray
        Age of each event at the as-of time (>= 0).
    half_life_seconds : float or None
        Half-life; ``None`` disables decay.

    Returns
    -------
    numpy.ndarray
    """
    age = np.asarray(age_seconds, dtype=np.float64)
    if half_life_seconds is None:
        return np.ones_like(age)
    return np.exp2(-age / half_life_seconds)


def attention_matrix(
    n: int,
    *,
    follow_src: np.ndarray,
    follow_dst: np.ndarray,
    inter_src: np.ndarray,
    inter_dst: np.ndarray,
    inter_type: np.ndarray,
    inter_decayed: np.ndarray,
    type_names: list[str],
    type_weights: Mapping[str, float],
    follow_weight: float = 1.0,
    concave: str = "log1p",
) -> sp.csr_array:
    """Build the weighted attention adjacency ``A[u, v]`` (credit flows from u to v).

    Parameters
    ----------
    n : int
        Number of users (ids are ``0..n-1``).
    follow_src, follow_dst : numpy.ndarray of int
        Follow edges (src follows dst), each pair once.
    inter_src, inter_dst, inter_type : numpy.ndarray of int
        One entry per (src, dst, type) interaction aggregate; ``inter_type`` indexes
        ``type_names``.
    inter_decayed : numpy.ndarray of float
        Sum over the aggregate's events of ``weight * 2 ** (-age / half_life)``.
    type_names : list of str
        Interaction type of each code.
    type_weights : mapping of str to float
        Weight of each interaction type (types missing here weigh 1.0).
    follow_weight : float, optional
        Weight of a follow edge (default 1.0).
    concave : {"log1p", "sqrt", "linear"}, optional
        The transform ``g`` (default ``"log1p"``).

    Returns
    -------
    scipy.sparse.csr_array
        Shape (n, n), no self-loops, no explicit zeros.
    """
    if concave not in CONCAVE_TRANSFORMS:
        raise ValueError(f"concave must be one of {sorted(CONCAVE_TRANSFORMS)}, not {concave!r}")
    if follow_weight < 0:
        raise ValueError(f"follow_weight must be >= 0, not {follow_weight}")
    weights_by_code = np.array([float(type_weights.get(t, 1.0)) for t in type_names] or [0.0])
    if (weights_by_code < 0).any():
        raise ValueError("interaction type weights must be >= 0")
    inter_src = np.asarray(inter_src, dtype=np.int64)
    inter_dst = np.asarray(inter_dst, dtype=np.int64)
    w = weights_by_code[np.asarray(inter_type, dtype=np.int64)] * np.asarray(
        inter_decayed, dtype=np.float64
    )
    keep = (inter_src != inter_dst) & (w > 0)
    inter = sp.csr_array(
        (w[keep], (inter_src[keep], inter_dst[keep])), shape=(n, n), dtype=np.float64
    )
    inter.sum_duplicates()  # one entry per pair: the sum over types
    inter.data = CONCAVE_TRANSFORMS[concave](inter.data)
    follow_src = np.asarray(follow_src, dtype=np.int64)
    follow_dst = np.asarray(follow_dst, dtype=np.int64)
    fkeep = follow_src != follow_dst
    if follow_weight > 0 and fkeep.any():
        follows = sp.csr_array(
            (np.full(int(fkeep.sum()), follow_weight), (follow_src[fkeep], follow_dst[fkeep])),
            shape=(n, n),
        )
        follows.sum_duplicates()
        follows.data = np.minimum(follows.data, follow_weight)  # a follow counts once
        adjacency = inter + follows
    else:
        adjacency = inter
    adjacency = sp.csr_array(adjacency)
    adjacency.eliminate_zeros()
    return adjacency
