"""Explaining PageRank: the exact decomposition of one node's score.

At the fixed point ``x`` of weighted PageRank (:mod:`.pagerank`) with teleport ``t``::

    x[v] = ((1 - d) + d * (mass leaked or dangling)) * t[v]
           + sum over in-neighbours u of  d * x[u] * A[u, v] / (W[u] + e[u])

with ``d`` the damping factor, ``A`` the adjacency, ``W[u]`` the out-weight of ``u`` and
``e[u]`` its out-weight on no edge (0 in the classic walk): every node's score is a teleport
term plus one term per in-neighbour. On the attention graph
(:mod:`.attention`) each in-neighbour's term splits further by edge kind (follow, and each
interaction type) and the interaction part by topic. Pure functions on arrays: no store, no I/O.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from graph_influence.algorithms.attention import CONCAVE_TRANSFORMS
from graph_influence.algorithms.pagerank import PageRankResult, pagerank

__all__ = [
    "InfluenceDecomposition",
    "decompose_influence",
    "polish_pagerank",
    "split_by_topic",
]


@dataclass(frozen=True)
class InfluenceDecomposition:
    """The parts of one node's PageRank score (see :func:`decompose_influence`).

    Attributes
    ----------
    node : int
        The node explained.
    influence : float
        Its score ``x[node]``.
    teleport : float
        ``((1 - d) + d * leaked mass) * t[node]``; with the uniform teleport and no extra
        out-weight, ``(1 - d) / n + d * (sum of x over dangling nodes) / n``.
    sources : numpy.ndarray of int64, shape (k,)
        The in-neighbours of ``node``, ascending.
    weights : numpy.ndarray of float64, shape (k,)
        ``A[u, node]`` for each in-neighbour ``u``.
    contributions : numpy.ndarray of float64, shape (k,)
        ``d * x[u] * A[u, node] / (W[u] + e[u])``.
    follow_weights : numpy.ndarray of float64, shape (k,)
        The follow part of ``weights`` (``follow_weight`` where u follows ``node``, else 0).
    follow : numpy.ndarray of float64, shape (k,)
        The follow part of ``contributions``.
    by_type : numpy.ndarray of float64, shape (k, n_types)
        The interaction part of ``contributions``, split among interaction types.
    interaction_sums : numpy.ndarray of float64, shape (k, n_types)
        The pre-transform sums ``S_t(u, node)`` (weighted, decayed) the split is made from.
    """

    node: int
    influence: float
    teleport: float
    sources: np.ndarray
    weights: np.ndarray
    contributions: np.ndarray
    follow_weights: np.ndarray
    follow: np.ndarray
    by_type: np.ndarray
    interaction_sums: np.ndarray

    @property
    def interaction(self) -> np.ndarray:
        """The interaction part of each contribution (``by_type`` summed over types)."""
        return self.by_type.sum(axis=1)

    @property
    def residual(self) -> float:
        """``influence - teleport - sum(contributions)``: 0 up to rounding at a fixed point."""
        return self.influence - self.teleport - float(self.contributions.sum())


def _check_alpha(alpha: float) -> float:
    if not 0 <= alpha < 1:
        raise ValueError(f"alpha (damping) must be in [0, 1), not {alpha}")
    return float(alpha)


def _check_adjacency(adjacency) -> sp.csr_array:
    a = sp.csr_array(adjacency, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"adjacency must be square, not shape {a.shape}")
    if a.nnz and not (np.all(np.isfinite(a.data)) and (a.data >= 0).all()):
        raise ValueError("adjacency must hold finite edge weights >= 0")
    return a


def _check_vector(name: str, vector, n: int) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float64)
    if v.shape != (n,):
        raise ValueError(f"{name} must have one entry per node ({n}), not shape {v.shape}")
    if not np.all(np.isfinite(v)) or (v < 0).any():
        raise ValueError(f"{name} must hold finite values >= 0")
    return v


def _check_index(name: str, value, n: int) -> int:
    try:
        i = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer in [0, {n}), not {value!r}") from None
    if not 0 <= i < n:
        raise ValueError(f"{name} must be in [0, {n}), not {i}")
    return i


def _int_array(name: str, values, length: int | None = None) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"{name} must be a 1-d array of integers")
    if length is not None and a.size != length:
        raise ValueError(f"{name} must have {length} entries (like its companions), not {a.size}")
    return a.astype(np.int64, copy=False)


def polish_pagerank(
    adjacency: sp.sparray | sp.spmatrix,
    influence: np.ndarray,
    *,
    alpha: float = 0.85,
    tol: float = 1e-13,
    max_iter: int = 10_000,
    personalization: np.ndarray | None = None,
    extra_out_weight: np.ndarray | None = None,
) -> PageRankResult:
    """Refine an approximate PageRank vector to a tight fixed point.

    A stored PageRank vector is a fixed point only to its tolerance; a few more power
    iterations started from it make the decomposition of :func:`decompose_influence` add up
    to rounding.

    Parameters
    ----------
    adjacency : scipy sparse array, shape (n, n)
        ``adjacency[u, v]`` is the weight of the edge u -> v (credit flows from u to v).
    influence : numpy.ndarray, shape (n,)
        The approximate scores to start from (normalised here).
    alpha : float, optional
        Damping factor in [0, 1) (default 0.85); the one ``influence`` was computed with.
    tol : float, optional
        Stop when the L1 change of an iteration is below ``tol`` (default 1e-13).
    max_iter : int, optional
        Maximum number of iterations (default 10000).
    personalization, extra_out_weight : numpy.ndarray, optional
        The teleport and the out-weight on no edge the scores were computed with (see
        :func:`.pagerank.pagerank`; default: uniform, none).

    Returns
    -------
    PageRankResult
        The polished scores (summing to 1) and the iterations it took.

    Raises
    ------
    ValueError
        If an argument is out of range (naming it).
    PowerIterationFailedConvergence
        If ``tol`` is not reached in ``max_iter`` iterations.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> a = sp.csr_array(np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=float))
    >>> r = polish_pagerank(a, np.array([0.3, 0.3, 0.4]))
    >>> np.round(r.scores, 12).tolist(), r.converged
    ([0.333333333333, 0.333333333333, 0.333333333333], True)

    Notes
    -----
    The mass of dangling nodes (and leaked mass) goes to the teleport (see
    :func:`.pagerank.pagerank`, which this calls with ``nstart=influence``). The L1 error
    shrinks by a factor ``alpha`` per iteration at worst, so going from a stored ``1e-6`` to
    ``1e-13`` takes about ``log(1e-7) / log(alpha)`` (~100 for 0.85) iterations.

    References
    ----------
    .. [1] L. Page, S. Brin, R. Motwani, T. Winograd, "The PageRank citation ranking: bringing
       order to the Web", Stanford InfoLab, 1999.
    .. [2] A. N. Langville, C. D. Meyer, "Deeper inside PageRank", Internet Mathematics 1(3), 2004.
    """
    alpha = _check_alpha(alpha)
    a = _check_adjacency(adjacency)
    x = _check_vector("influence", influence, a.shape[0])
    if a.shape[0] and x.sum() <= 0:
        raise ValueError("influence must have a positive sum")
    return pagerank(a, alpha=alpha, nstart=x, tol=tol, max_iter=max_iter,
                    personalization=personalization, extra_out_weight=extra_out_weight)


def decompose_influence(
    adjacency: sp.sparray | sp.spmatrix,
    influence: np.ndarray,
    node: int,
    *,
    alpha: float = 0.85,
    follow_src: np.ndarray | None = None,
    follow_dst: np.ndarray | None = None,
    inter_src: np.ndarray | None = None,
    inter_dst: np.ndarray | None = None,
    inter_type: np.ndarray | None = None,
    inter_decayed: np.ndarray | None = None,
    type_names: Sequence[str] = (),
    type_weights: Mapping[str, float] | None = None,
    follow_weight: float = 1.0,
    concave: str = "log1p",
    personalization: np.ndarray | None = None,
    extra_out_weight: np.ndarray | None = None,
) -> InfluenceDecomposition:
    """Split one node's PageRank score into teleport and in-neighbour terms, by edge kind.

    Parameters
    ----------
    adjacency : scipy sparse array, shape (n, n)
        ``adjacency[u, v]`` is the weight of the edge u -> v (credit flows from u to v);
        for a split by kind, the :func:`.attention_matrix` of the arrays below.
    influence : numpy.ndarray, shape (n,)
        PageRank scores with damping ``alpha``, teleport ``personalization`` and out-weight on
        no edge ``extra_out_weight`` (a probability vector).
        The parts add up to ``influence[node]`` as closely as it is a fixed point: polish a
        stored vector first (:func:`polish_pagerank`).
    node : int
        The node to explain, in ``0..n-1``.
    alpha : float, optional
        Damping factor in [0, 1) (default 0.85).
    follow_src, follow_dst : numpy.ndarray of int, optional
        Follow edges (src follows dst), as given to :func:`.attention_matrix`.
    inter_src, inter_dst, inter_type : numpy.ndarray of int, optional
        One entry per (src, dst, type) interaction aggregate; ``inter_type`` indexes
        ``type_names``.
    inter_decayed : numpy.ndarray of float, optional
        Each aggregate's decayed sum of event weights (>= 0).
    type_names : sequence of str, optional
        Interaction type of each code (default: none).
    type_weights : mapping of str to float, optional
        Weight of each interaction type; types missing here weigh 1.0 (default: all 1.0).
    follow_weight : float, optional
        Weight of a follow edge (default 1.0).
    concave : {"log1p", "sqrt", "linear"}, optional
        The transform ``g`` applied per pair to the summed interaction weight (default
        ``"log1p"``).
    personalization : numpy.ndarray, optional
        The teleport distribution (normalised here; default uniform).
    extra_out_weight : numpy.ndarray, optional
        Each node's out-weight on no edge (default none; see :func:`.pagerank.pagerank`).

    Returns
    -------
    InfluenceDecomposition
        ``teleport + contributions.sum()`` equals ``influence[node]``, and
        ``follow + by_type.sum(axis=1)`` equals ``contributions``. Without ``follow_*`` and
        ``inter_*`` arrays there is no split by kind (``follow`` is zero, ``by_type`` has no
        column).

    Raises
    ------
    ValueError
        If an argument is out of range or malformed (naming it), or if ``adjacency`` is not
        the attention graph of the ``follow_*`` / ``inter_*`` arrays given.

    Examples
    --------
    A 3-cycle 0 -> 1 -> 2 -> 0 has the uniform fixed point; node 0 follows node 1, retweeted
    it twice and liked it once, so ``A[0, 1] = 1 + 3`` with the linear transform:

    >>> import numpy as np, scipy.sparse as sp
    >>> a = sp.csr_array(np.array([[0, 4, 0], [0, 0, 1], [1, 0, 0]], dtype=float))
    >>> x = np.full(3, 1 / 3)
    >>> e = decompose_influence(
    ...     a, x, 1, follow_src=np.array([0, 1, 2]), follow_dst=np.array([1, 2, 0]),
    ...     inter_src=np.array([0, 0]), inter_dst=np.array([1, 1]), inter_type=np.array([0, 1]),
    ...     inter_decayed=np.array([2.0, 1.0]), type_names=["retweet", "like"], concave="linear")
    >>> round(e.teleport, 6), e.sources.tolist(), np.round(e.contributions, 6).tolist()
    (0.05, [0], [0.283333])
    >>> round(float(e.follow[0]), 6), np.round(e.by_type[0], 6).tolist()
    (0.070833, [0.141667, 0.070833])
    >>> abs(e.residual) < 1e-15
    True

    Notes
    -----
    With ``W[u] = sum_w A[u, w]`` and the fixed point ``x``, for node ``v``::

        x[v] = teleport + sum over u with A[u, v] > 0 of  c(u) ,
        teleport = ((1 - d) + d * sum over u of x[u] * leak[u]) * t[v] ,
        c(u) = d * x[u] * A[u, v] / (W[u] + e[u]) ,

    with ``leak[u] = e[u] / (W[u] + e[u])`` (1 where both are 0: a dangling node) and ``t``
    the teleport (``1 / n`` each when uniform).

    On the attention graph ``A[u, v] = f(u, v) + g(S(u, v))`` with ``f`` the follow weight
    (where u follows v) and ``S = sum_t S_t`` the interaction types' weighted, decayed sums.
    ``c(u)`` splits into the follow part ``d x[u] f / W[u]`` and interaction parts
    ``d x[u] g(S) / W[u] * S_t / S``: ``g`` is concave and applied after summing the types,
    so the types share ``g(S)`` in proportion to their pre-transform sums ``S_t``, the one
    split that adds up exactly. Self-loops never count.

    References
    ----------
    .. [1] L. Page, S. Brin, R. Motwani, T. Winograd, "The PageRank citation ranking: bringing
       order to the Web", Stanford InfoLab, 1999.
    .. [2] A. N. Langville, C. D. Meyer, "Deeper inside PageRank", Internet Mathematics 1(3), 2004.
    """
    alpha = _check_alpha(alpha)
    a = _check_adjacency(adjacency)
    n = a.shape[0]
    x = _check_vector("influence", influence, n)
    node = _check_index("node", node, n)
    if concave not in CONCAVE_TRANSFORMS:
        raise ValueError(f"concave must be one of {sorted(CONCAVE_TRANSFORMS)}, not {concave!r}")
    if not follow_weight >= 0:
        raise ValueError(f"follow_weight must be >= 0, not {follow_weight}")
    type_names = list(type_names)
    weights_map = {} if type_weights is None else type_weights
    w_by_code = np.array([float(weights_map.get(t, 1.0)) for t in type_names], dtype=np.float64)
    if not (np.all(np.isfinite(w_by_code)) and (w_by_code >= 0).all()):
        raise ValueError("type_weights must hold finite weights >= 0")

    split = follow_src is not None or follow_dst is not None or inter_src is not None
    if (follow_src is None) != (follow_dst is None):
        raise ValueError("follow_src and follow_dst must be given together")
    inter = (inter_src, inter_dst, inter_type, inter_decayed)
    if any(v is None for v in inter) and not all(v is None for v in inter):
        raise ValueError("inter_src, inter_dst, inter_type and inter_decayed must be given "
                         "together")
    f_src = _int_array("follow_src", () if follow_src is None else follow_src)
    f_dst = _int_array("follow_dst", () if follow_dst is None else follow_dst, f_src.size)
    i_src = _int_array("inter_src", () if inter_src is None else inter_src)
    i_dst = _int_array("inter_dst", () if inter_dst is None else inter_dst, i_src.size)
    i_type = _int_array("inter_type", () if inter_type is None else inter_type, i_src.size)
    i_val = np.asarray(() if inter_decayed is None else inter_decayed, dtype=np.float64)
    if i_val.shape != (i_src.size,):
        raise ValueError(f"inter_decayed must have {i_src.size} entries, not shape {i_val.shape}")
    if not (np.all(np.isfinite(i_val)) and (i_val >= 0).all()):
        raise ValueError("inter_decayed must hold finite values >= 0")
    if i_type.size and not ((i_type >= 0).all() and (i_type < len(type_names)).all()):
        raise ValueError(f"inter_type must index type_names (0..{len(type_names) - 1})")

    out_weight = np.asarray(a.sum(axis=1)).ravel()
    if personalization is None:
        t_node = 1.0 / n
    else:
        t = _check_vector("personalization", personalization, n)
        if t.sum() <= 0:
            raise ValueError("personalization must have a positive sum")
        t_node = float(t[node] / t.sum())
    if extra_out_weight is None:
        dangling = out_weight <= 0
        leaked = float(x[dangling].sum())
    else:
        extra = _check_vector("extra_out_weight", extra_out_weight, n)
        total = out_weight + extra
        leak = np.ones(n)
        np.divide(extra, total, out=leak, where=total > 0)
        leaked = float(x @ leak)
        out_weight = total
    teleport = ((1.0 - alpha) + alpha * leaked) * t_node

    # in-neighbours of the node, ascending, and their shares d * x[u] / W[u]
    col = sp.csc_array(a[:, [node]]).tocoo()
    order = np.argsort(col.row, kind="stable")
    sources = col.row[order].astype(np.int64, copy=False)
    weights = col.data[order]
    share = alpha * x[sources] / out_weight[sources]
    contributions = share * weights

    followers = f_src[(f_dst == node) & (f_src != node)]
    follow_weights = np.where(np.isin(sources, followers), float(follow_weight), 0.0)
    k = len(sources)
    per_type = np.zeros((k, len(type_names)))
    into = (i_dst == node) & (i_src != node)
    if into.any():
        s_src = i_src[into]
        idx = np.searchsorted(sources, s_src)
        ok = (idx < k) & (sources[np.minimum(idx, k - 1)] == s_src) if k else idx < 0
        np.add.at(per_type, (idx[ok], i_type[into][ok]),
                  (w_by_code[i_type[into]] * i_val[into])[ok])
    total = per_type.sum(axis=1)
    g_total = CONCAVE_TRANSFORMS[concave](total)
    if split and not np.allclose(follow_weights + g_total, weights, rtol=1e-9, atol=1e-300):
        raise ValueError("adjacency does not match the follow_* / inter_* arrays (it must be "
                         "their attention_matrix with the same weights and transform)")
    with np.errstate(invalid="ignore", divide="ignore"):
        fractions = np.where(total[:, None] > 0, per_type / total[:, None], 0.0)
    return InfluenceDecomposition(
        node=node, influence=float(x[node]), teleport=teleport, sources=sources,
        weights=weights, contributions=contributions, follow_weights=follow_weights,
        follow=share * follow_weights, by_type=(share * g_total)[:, None] * fractions,
        interaction_sums=per_type,
    )


def split_by_topic(
    decomposition: InfluenceDecomposition,
    *,
    tag_src: np.ndarray,
    tag_dst: np.ndarray,
    tag_topic: np.ndarray,
    tag_decayed: np.ndarray,
    n_topics: int,
) -> np.ndarray:
    """Split the interaction part of a node's in-neighbour contributions among topics.

    Parameters
    ----------
    decomposition : InfluenceDecomposition
        The node's decomposition (:func:`decompose_influence`).
    tag_src, tag_dst, tag_topic : numpy.ndarray of int
        Topic-tagged interaction aggregates: one entry per (src, dst, topic).
    tag_decayed : numpy.ndarray of float
        Their weighted, decayed sums (the same ``w_type * weight * 2 ** (-age / half_life)``
        as ``interaction_sums``), >= 0.
    n_topics : int
        Number of topics; ``tag_topic`` indexes ``0..n_topics-1``.

    Returns
    -------
    numpy.ndarray, shape (n_topics,)
        The part of the interaction contributions tagged with each topic. What no topic tags
        is ``decomposition.interaction.sum() - parts.sum()`` (>= 0).

    Raises
    ------
    ValueError
        If an argument is malformed (naming it).

    Examples
    --------
    Node 0's retweets of node 1 (sum 2) are tagged with topic 0, its like (1) with topic 1:

    >>> import numpy as np, scipy.sparse as sp
    >>> a = sp.csr_array(np.array([[0, 4, 0], [0, 0, 1], [1, 0, 0]], dtype=float))
    >>> e = decompose_influence(
    ...     a, np.full(3, 1 / 3), 1, follow_src=np.array([0, 1, 2]),
    ...     follow_dst=np.array([1, 2, 0]), inter_src=np.array([0, 0]),
    ...     inter_dst=np.array([1, 1]), inter_type=np.array([0, 1]),
    ...     inter_decayed=np.array([2.0, 1.0]), type_names=["retweet", "like"], concave="linear")
    >>> parts = split_by_topic(e, tag_src=np.array([0, 0]), tag_dst=np.array([1, 1]),
    ...                        tag_topic=np.array([0, 1]), tag_decayed=np.array([2.0, 1.0]),
    ...                        n_topics=2)
    >>> np.round(parts, 6).tolist(), round(float(e.interaction.sum() - parts.sum()), 12)
    ([0.141667, 0.070833], 0.0)

    Notes
    -----
    For in-neighbour ``u`` of ``v`` with interaction contribution ``c_I(u)`` and pre-transform
    sum ``S(u, v)``, topic ``t`` receives::

        c_I(u) * T_t(u, v) / max(S(u, v), sum over topics s of T_s(u, v))

    with ``T_t`` the tagged sum: an event tagged with several topics shares its weight among
    them, and the untagged part of ``S`` stays untagged. Follow contributions carry no topic.

    References
    ----------
    .. [1] A. N. Langville, C. D. Meyer, "Deeper inside PageRank", Internet Mathematics 1(3), 2004.
    """
    if not isinstance(decomposition, InfluenceDecomposition):
        raise ValueError("decomposition must be an InfluenceDecomposition")
    try:
        n_topics = operator.index(n_topics)
    except TypeError:
        raise ValueError(f"n_topics must be an integer >= 0, not {n_topics!r}") from None
    if n_topics < 0:
        raise ValueError(f"n_topics must be >= 0, not {n_topics}")
    t_src = _int_array("tag_src", tag_src)
    t_dst = _int_array("tag_dst", tag_dst, t_src.size)
    t_topic = _int_array("tag_topic", tag_topic, t_src.size)
    t_val = np.asarray(tag_decayed, dtype=np.float64)
    if t_val.shape != (t_src.size,):
        raise ValueError(f"tag_decayed must have {t_src.size} entries, not shape {t_val.shape}")
    if not (np.all(np.isfinite(t_val)) and (t_val >= 0).all()):
        raise ValueError("tag_decayed must hold finite values >= 0")
    if t_topic.size and not ((t_topic >= 0).all() and (t_topic < n_topics).all()):
        raise ValueError(f"tag_topic must index the topics (0..{n_topics - 1})")

    sources = decomposition.sources
    k = len(sources)
    node = decomposition.node
    mine = (t_dst == node) & (t_src != node)
    if not mine.any() or k == 0:
        return np.zeros(n_topics)
    tagged = np.zeros((k, n_topics))
    m_src = t_src[mine]
    idx = np.searchsorted(sources, m_src)
    ok = (idx < k) & (sources[np.minimum(idx, k - 1)] == m_src)
    np.add.at(tagged, (idx[ok], t_topic[mine][ok]), t_val[mine][ok])
    denominator = np.maximum(decomposition.interaction_sums.sum(axis=1), tagged.sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        fractions = np.where(denominator[:, None] > 0, tagged / denominator[:, None], 0.0)
    return (decomposition.interaction[:, None] * fractions).sum(axis=0)
