"""Topic-specific influence: PageRank personalised to each topic's users, all topics at once.

For topic ``t`` the walk follows ``W_t = A + B_t``: the attention graph ``A`` plus a boost ``B_t``
on the pairs whose interactions are tagged with ``t``, row-normalised; it teleports (and sends
the mass of users without out-edges) to the topic's users in proportion to their affinity
``p_t``. This is Haveliwala's topic-sensitive PageRank with TwitterRank's topic-weighted
transitions.

All topics are computed together: ``X`` holds one column per topic and each iteration is one
sparse-matrix x dense-block product ``A^T (X / D)`` (SpMM) plus one sparse product for the
boosts, where ``D[u, t]`` is ``u``'s out-weight on topic ``t``'s walk. Topics are processed in
column chunks when the dense blocks would not fit the memory budget, and a topic leaves the
block as soon as it has converged, so each topic runs exactly as many iterations as it would
alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit, prange

from graph_influence.algorithms.pagerank import pagerank, row_maxima
from graph_influence.errors import NonFiniteError, PowerIterationFailedConvergence

__all__ = [
    "TopicPageRankResult",
    "boost_matrix",
    "topic_pagerank",
    "topic_pagerank_single",
    "topic_transition_weights",
]


@dataclass(frozen=True)
class TopicPageRankResult:
    """Per-topic influence vectors and their convergence.

    Attributes
    ----------
    scores : numpy.ndarray, shape (n, T)
        Column ``t`` is topic ``t``'s influence (sums to 1).
    iterations : numpy.ndarray of int, shape (T,)
        Iterations each topic needed.
    errors : numpy.ndarray of float, shape (T,)
        L1 change of each topic's last iteration.
    """

    scores: np.ndarray
    iterations: np.ndarray
    errors: np.ndarray


def topic_transition_weights(
    adjacency: sp.csr_array, boost: sp.csr_array | None, topic: int, n_topics: int
) -> sp.csr_array:
    """``W_t = A + B_t`` for one topic, as an explicit matrix (the one-topic reference path).

    ``boost`` is the (n*T x n*T) block-diagonal boost matrix of :func:`topic_pagerank`, stored
    as ``boost[v*T + t, u*T + t] = b`` for a boost ``b`` on the edge u -> v.
    """
    n = adjacency.shape[0]
    if boost is None or boost.nnz == 0:
        return sp.csr_array(adjacency)
    coo = sp.coo_array(boost)
    mine = (coo.row % n_topics) == topic
    v = coo.row[mine] // n_topics
    u = coo.col[mine] // n_topics
    b_t = sp.csr_array((coo.data[mine], (u, v)), shape=(n, n))
    return sp.csr_array(adjacency + b_t)


def boost_matrix(
    n: int, n_topics: int, src: np.ndarray, dst: np.ndarray, topic: np.ndarray,
    weight: np.ndarray,
) -> sp.csr_array:
    """The block boost matrix: entry ``[dst*T + topic, src*T + topic] = weight`` (summed)."""
    src = np.asarray(src, np.int64)
    dst = np.asarray(dst, np.int64)
    topic = np.asarray(topic, np.int64)
    keep = (src != dst) & (np.asarray(weight) > 0)
    rows = dst[keep] * n_topics + topic[keep]
    cols = src[keep] * n_topics + topic[keep]
    m = sp.csr_array((np.asarray(weight, np.float64)[keep], (rows, cols)),
                     shape=(n * n_topics, n * n_topics))
    m.sum_duplicates()
    return m


def _normalise_columns(p) -> np.ndarray:
    p = p.toarray() if sp.issparse(p) else np.asarray(p, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    totals = p.sum(axis=0)
    if (totals <= 0).any():
        bad = np.flatnonzero(totals <= 0).tolist()
        raise ValueError(f"personalization columns {bad} have no positive entry")
    return p / totals


def topic_pagerank(
    adjacency: sp.csr_array,
    personalization: np.ndarray,
    *,
    boost: sp.csr_array | None = None,
    alpha: float = 0.85,
    tol: float = 1e-6,
    max_iter: int = 100,
    memory_budget_bytes: int = 1 << 30,
    dtype: type = np.float32,
    extra_out_weight: np.ndarray | None = None,
) -> TopicPageRankResult:
    """Topic-sensitive PageRank for every topic at once (block power iteration).

    Parameters
    ----------
    adjacency : scipy sparse array, shape (n, n)
        The attention graph ``A`` (credit flows from row to column).
    personalization : numpy.ndarray or scipy sparse array, shape (n, T)
        Teleport weight of each user for each topic (columns normalised here; a sparse matrix
        is densified one chunk of topics at a time).
    boost : scipy sparse array, shape (n*T, n*T), optional
        Topic boosts from :func:`boost_matrix` (``None``: no boost, every topic walks ``A``).
    alpha : float, optional
        Damping factor (default 0.85).
    tol : float, optional
        Per-topic L1 change to stop at (default 1e-6).
    max_iter : int, optional
        Maximum iterations (default 100).
    memory_budget_bytes : int, optional
        Topics are processed in chunks so that the dense blocks stay within this budget.
    dtype : numpy dtype, optional
        Precision of the iteration (default float32: half the memory traffic; the L1 change
        is summed in float64, and results differ from float64 by ~1e-7 relative, far below
        what changes a ranking). Results are returned in float64.
    extra_out_weight : numpy.ndarray, shape (n,), optional
        Out-weight of each user on no edge, as in :func:`.pagerank.pagerank`: on every topic's
        walk, user u leaks ``extra[u] / (out-weight + extra[u])`` of its mass to the topic's
        teleport. Default: none.

    Returns
    -------
    TopicPageRankResult

    Raises
    ------
    PowerIterationFailedConvergence
        If some topic has not converged within ``max_iter`` iterations.
    """
    a = sp.csr_array(adjacency, dtype=np.float64)
    n = a.shape[0]
    pers = sp.csc_array(personalization) if sp.issparse(personalization) else np.asarray(
        personalization, dtype=np.float64)
    n_topics = pers.shape[1]
    if boost is not None and boost.shape != (n * n_topics, n * n_topics):
        raise ValueError("boost must have shape (n*T, n*T)")
    # about eight dense n x chunk blocks live at once
    itemsize = np.dtype(dtype).itemsize
    chunk = max(1, min(n_topics, memory_budget_bytes // max(1, 8 * itemsize * n)))
    scores = np.empty((n, n_topics))
    iterations = np.zeros(n_topics, dtype=np.int64)
    errors = np.zeros(n_topics)
    if extra_out_weight is not None:
        extra = np.asarray(extra_out_weight, dtype=np.float64)
        if extra.shape != (n,) or not (np.isfinite(extra).all() and (extra >= 0).all()):
            raise ValueError(f"extra_out_weight must hold {n} finite values >= 0")
    a, boost, top = _scaled_by_source(a, boost, n_topics)
    at = sp.csr_array(a.T)
    base_out = np.asarray(a.sum(axis=1)).ravel()
    extra_scaled = None
    if extra_out_weight is not None:
        with np.errstate(over="ignore"):
            extra_scaled = extra / top  # (inf: the user's edges weigh nothing beside it)
    for lo in range(0, n_topics, chunk):
        hi = min(n_topics, lo + chunk)
        sub_boost = _sub_boost(boost, n, n_topics, lo, hi) if boost is not None else None
        p = _normalise_columns(pers[:, lo:hi])
        x, its, errs = _block(at, base_out, p, sub_boost, alpha, tol, max_iter, dtype,
                              extra_scaled)
        scores[:, lo:hi] = x
        iterations[lo:hi] = its
        errors[lo:hi] = errs
    return TopicPageRankResult(scores, iterations, errors)


def _scaled_by_source(a: sp.csr_array, boost: sp.csr_array | None, n_topics: int
                      ) -> tuple[sp.csr_array, sp.csr_array | None, np.ndarray]:
    """Divide every weight leaving a user, in ``A`` and in every topic's boost, by that user's
    largest one (as :func:`~graph_influence.algorithms.pagerank.row_scaled` does for one walk).

    Each topic's walk normalises ``A[u] + boost_t[u]`` by its sum, so one factor per user
    changes no walk; but the largest weight becomes 1, so the float32 block iteration never
    holds a reciprocal out-weight that overflows (a lone tagged interaction 128 half-lives old
    weighs ``2**-128``, below float32's smallest normal number). Returns the scaled arrays and
    each user's factor.
    """
    a = sp.csr_array(a, dtype=np.float64)
    if not a.has_canonical_format:
        a = a.copy()
        a.sum_duplicates()
    rows = np.diff(a.indptr)
    top = row_maxima(a)
    has_boost = boost is not None and boost.nnz > 0
    if has_boost:  # its columns are the sources (src * T + topic)
        boost = sp.csr_array(boost, dtype=np.float64)
        source = boost.indices // n_topics
        np.maximum.at(top, source, boost.data)
    top[top <= 0] = 1.0
    a = sp.csr_array((a.data / np.repeat(top, rows), a.indices, a.indptr), shape=a.shape)
    if has_boost:
        boost = sp.csr_array((boost.data / top[source], boost.indices, boost.indptr),
                             shape=boost.shape)
    return a, boost, top


def _sub_boost(boost: sp.csr_array, n: int, n_topics: int, lo: int, hi: int) -> sp.csr_array:
    """Restrict the block boost matrix to topics lo..hi-1, re-indexed for a chunk of width k."""
    keep = np.zeros(n_topics, dtype=bool)
    keep[lo:hi] = True
    return _select_block_columns(boost, n, n_topics, keep)


class _CompactBoost:
    """The flat block boost matrix without its empty rows: ``y[rows] += m @ x``.

    The flat matrix has n*k rows, most of them empty; a sparse product over them would cost
    a pass over n*k row pointers per iteration, so only the non-empty rows are kept.
    """

    def __init__(self, flat: sp.csr_array, dtype) -> None:
        counts = np.diff(flat.indptr)
        self.rows = np.flatnonzero(counts)
        self.m = sp.csr_array(flat[self.rows], dtype=dtype)
        self.shape = flat.shape

    def add_to(self, y_flat: np.ndarray, x_flat: np.ndarray) -> None:
        y_flat[self.rows] += self.m @ x_flat


_ROWS_PER_BLOCK = 1024


@njit(parallel=True, nogil=True, cache=True)
def _spmm_teleport(indptr, indices, data, scaled, p, coef, y):  # pragma: no cover - compiled
    """``y = AT @ scaled + p * coef`` in one pass, rows split between threads.

    Each row's sum runs over its non-zeros in CSR order, as scipy's ``csr_matvecs`` does, and
    the teleport term is added last: the result does not depend on the number of threads.
    """
    n, k = y.shape
    for i in prange(n):
        for c in range(k):
            y[i, c] = 0
        for q in range(indptr[i], indptr[i + 1]):
            w = data[q]
            j = indices[q]
            for c in range(k):
                y[i, c] += w * scaled[j, c]
        for c in range(k):
            y[i, c] += p[i, c] * coef[c]


@njit(parallel=True, nogil=True, cache=True)
def _column_change(y, x):  # pragma: no cover - compiled
    """``sum_i |y[i, c] - x[i, c]|`` per column, in float64, by blocks of rows in block order."""
    n, k = y.shape
    n_blocks = (n + _ROWS_PER_BLOCK - 1) // _ROWS_PER_BLOCK
    parts = np.zeros((n_blocks, k))
    for b in prange(n_blocks):
        for i in range(b * _ROWS_PER_BLOCK, min(n, (b + 1) * _ROWS_PER_BLOCK)):
            for c in range(k):
                parts[b, c] += abs(np.float64(y[i, c]) - np.float64(x[i, c]))
    err = np.zeros(k)
    for b in range(n_blocks):
        for c in range(k):
            err[c] += parts[b, c]
    return err


def _block(at, base_out, p, boost, alpha, tol, max_iter, dtype, extra=None):
    """Power iteration of a block of topics; converged columns leave the block."""
    n, k = p.shape
    out = np.repeat(base_out[:, None], k, axis=1)
    has_boost = boost is not None and boost.nnz > 0
    if has_boost:
        # out-weight added by boosts: column sums of the flat boost matrix, per (u, t)
        out += np.asarray(boost.sum(axis=0)).ravel().reshape(n, k)
    if extra is None:
        # boosts only add out-weight, so dangling (u, t) pairs lie in the rows dangling in A
        rows = np.flatnonzero((out <= 0).any(axis=1))
        dangling = (out[rows] <= 0).astype(dtype)  # the share of x that leaks to p
        inv_out = np.zeros((n, k), dtype=dtype)
        np.divide(1.0, out, out=inv_out, where=out > 0, casting="unsafe")
    else:  # (u, t) moves out / (out + extra) along edges, the rest leaks to p
        total = out + extra[:, None]
        inv64 = np.zeros((n, k))
        np.divide(1.0, total, out=inv64, where=total > 0)  # 0 where total is inf
        leak = np.clip(1.0 - out * inv64, 0.0, 1.0)
        rows = np.flatnonzero((leak > 0).any(axis=1))
        dangling = leak[rows].astype(dtype)
        inv_out = inv64.astype(dtype)
        del total, inv64, leak
    del out
    # damping folded into the matrices: one pass less per iteration
    at = (alpha * at).astype(dtype)
    compact = _CompactBoost((alpha * boost).tocsr(), dtype) if has_boost else None
    p = p.astype(dtype)
    x = p.copy()
    result = np.empty((n, k))
    iterations = np.zeros(k, dtype=np.int64)
    errors = np.full(k, np.inf)
    active = np.arange(k)
    scaled = np.empty_like(x)
    work = np.empty_like(x)
    for it in range(1, max_iter + 1):
        np.multiply(x, inv_out, out=scaled)
        # teleport and dangling mass both go to p: coefficient per topic
        coef = (1.0 - alpha) + alpha * (x[rows] * dangling).sum(axis=0, dtype=np.float64)
        _spmm_teleport(at.indptr, at.indices, at.data, scaled, p, coef.astype(dtype), work)
        if compact is not None:
            compact.add_to(work.reshape(-1), scaled.reshape(-1))
        err = _column_change(work, x)
        if not np.isfinite(err).all():
            raise NonFiniteError(
                f"topic PageRank met a value that is not finite at iteration {it} — this is a "
                "bug, not a parameter to change: please report it with the data")
        x, work = work, x
        errors[active] = err
        done = err < tol
        if done.any():
            finished = active[done]
            iterations[finished] = it
            cols = x[:, done].astype(np.float64)
            result[:, finished] = cols / cols.sum(axis=0)
            keep = ~done
            if not keep.any():
                return result, iterations, errors
            active = active[keep]
            x, p, inv_out, dangling = (np.ascontiguousarray(a[:, keep])
                                       for a in (x, p, inv_out, dangling))
            scaled, work = np.empty_like(x), np.empty_like(x)
            if compact is not None:
                flat = _select_block_columns(_expand(compact), n, len(keep), keep)
                compact = _CompactBoost(flat, dtype) if flat.nnz else None
    raise PowerIterationFailedConvergence(max_iter, float(errors[active].max()), tol)


def _expand(compact: _CompactBoost) -> sp.csr_array:
    coo = sp.coo_array(compact.m)
    return sp.csr_array((coo.data, (compact.rows[coo.row], coo.col)), shape=compact.shape)


def _select_block_columns(boost: sp.csr_array, n: int, k: int, keep: np.ndarray):
    """Restrict a flat (n*k x n*k) block boost matrix to the kept topic columns."""
    new_index = np.full(k, -1, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()))
    coo = sp.coo_array(boost)
    t = coo.row % k
    mine = keep[t]
    k2 = int(keep.sum())
    rows = (coo.row[mine] // k) * k2 + new_index[t[mine]]
    cols = (coo.col[mine] // k) * k2 + new_index[t[mine]]
    return sp.csr_array((coo.data[mine], (rows, cols)), shape=(n * k2, n * k2))


def topic_pagerank_single(
    adjacency: sp.csr_array,
    personalization: np.ndarray,
    *,
    boost: sp.csr_array | None = None,
    alpha: float = 0.85,
    tol: float = 1e-6,
    max_iter: int = 100,
    extra_out_weight: np.ndarray | None = None,
) -> TopicPageRankResult:
    """The same result one topic at a time with :func:`pagerank` (the slow reference path)."""
    p_all = _normalise_columns(personalization)
    n, n_topics = p_all.shape
    scores = np.empty((n, n_topics))
    iterations = np.zeros(n_topics, dtype=np.int64)
    errors = np.zeros(n_topics)
    for t in range(n_topics):
        w_t = topic_transition_weights(adjacency, boost, t, n_topics)
        r = pagerank(w_t, alpha=alpha, personalization=p_all[:, t], tol=tol, max_iter=max_iter,
                     extra_out_weight=extra_out_weight)
        scores[:, t], iterations[t], errors[t] = r.scores, r.iterations, r.error
    return TopicPageRankResult(scores, iterations, errors)
