"""The trust-weighted teleport: where PageRank's random surfer restarts (TrustRank, TweepCred).

With a uniform teleport every account starts with the same share of influence, however it came
to be: a thousand accounts made this morning bring a thousand shares, and whatever they point
at collects them. Here each user's teleport weight is

    t(v) = floor + (distinct users who gave v interaction attention that v did not return)

so restarts land on users that other people engage with: an account nobody engages with holds
``floor`` (1 %) of the share of a user with one engager. Follows give no trust (a follow costs
nothing to fake), and neither does attention inside a reciprocated pair (two accounts, or a
ring of them, engaging each other), the cheapest kind to manufacture. A pair counts once
however often it interacts. On data without interactions every weight is ``floor``: the
teleport is uniform.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TRUST_FLOOR", "engagement_trust", "reciprocated_share", "trust_and_reciprocity"]

#: Teleport weight of a user nobody engages with, relative to one engager.
TRUST_FLOOR = 0.01


def engagement_trust(n: int, src: np.ndarray, dst: np.ndarray, *,
                     floor: float = TRUST_FLOOR) -> np.ndarray:
    """Teleport weights from interactions: ``floor`` + non-reciprocated distinct engagers.

    Parameters
    ----------
    n : int
        Number of users.
    src, dst : numpy.ndarray of int
        Interactions (src gave attention to dst), any number per pair; self-loops are ignored.
    floor : float, optional
        Weight of a user without such an engager (default :data:`TRUST_FLOOR`, > 0).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Weights (not normalised), all >= ``floor``.

    Examples
    --------
    0 and 1 engage each other (no trust either way); 2 and 3 engage 1 without return:

    >>> engagement_trust(4, np.array([0, 1, 2, 3, 2]), np.array([1, 0, 1, 1, 1])).tolist()
    [0.01, 2.01, 0.01, 0.01]
    """
    return trust_and_reciprocity(n, src, dst, floor=floor)[0]


def trust_and_reciprocity(n: int, src: np.ndarray, dst: np.ndarray, *,
                          floor: float = TRUST_FLOOR) -> tuple[np.ndarray, float, int]:
    """:func:`engagement_trust`, :func:`reciprocated_share` and the number of distinct engaged
    pairs, in one pass over the pairs."""
    if not floor > 0:
        raise ValueError(f"floor must be > 0, not {floor}")
    d, returned = _pairs(n, src, dst)
    trust = floor + np.bincount(d[~returned], minlength=n).astype(np.float64)
    return trust, float(returned.mean()) if len(returned) else 0.0, len(returned)


def reciprocated_share(n: int, src: np.ndarray, dst: np.ndarray) -> float:
    """Share of the engaged (src, dst) pairs whose dst engaged src back (0 without pairs).

    About 4 % on Twitter cascades (Higgs) and 64 % on private messages (CollegeMsg): where
    attention is mostly conversation, the trust teleport discounts most of it.

    >>> reciprocated_share(3, np.array([0, 1, 2]), np.array([1, 0, 1]))
    0.6666666666666666
    """
    _, returned = _pairs(n, src, dst)
    return float(returned.mean()) if len(returned) else 0.0


def _pairs(n: int, src, dst) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct pair's target, and whether the pair is reciprocated (vectorised)."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    pairs = src[keep] * np.int64(n) + dst[keep]
    if len(pairs) > 1 and (pairs[1:] < pairs[:-1]).any():  # (a graph view's are sorted)
        pairs.sort()
    # one per pair (a mask over sorted keys: ~100x faster than np.unique's hashing here)
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] if len(pairs) else pairs
    s, d = np.divmod(pairs, n)
    reverse = d * np.int64(n) + s
    at = np.searchsorted(pairs, reverse)
    returned = (at < len(pairs)) & (pairs[np.minimum(at, len(pairs) - 1)] == reverse)
    return d, returned
