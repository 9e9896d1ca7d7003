"""Topic communities: Louvain or Leiden (modularity) on the symmetrised attention graph.

The public :func:`detect_communities` runs either the project's compiled Louvain kernel
(:mod:`graph_influence.algorithms.louvain`, the default: it works on the CSR arrays directly,
~10x faster than igraph at 10M edges) or igraph's Leiden implementation with a private, seeded
random number generator; :func:`modularity` is an independent, vectorised
implementation (networkx's ``modularity`` is its test oracle) that scores the result.
:func:`describe_communities` turns a partition into one row per community (size, modularity
contribution, over-represented topics, top members) and :func:`normalized_mutual_info` compares
a partition with ground-truth labels.

Every community :func:`detect_communities` returns induces a connected subgraph, whatever the
method: :func:`split_disconnected` cuts each community of each run's partition into its
connected components (Louvain can leave a community in pieces; Leiden's refinement already
guarantees connected ones).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numba import njit
from scipy.sparse.csgraph import connected_components

from graph_influence.algorithms.louvain import louvain

__all__ = [
    "METHODS",
    "CommunityResult",
    "describe_communities",
    "detect_communities",
    "modularity",
    "normalized_mutual_info",
    "split_disconnected",
    "symmetrize",
]

# igraph draws every random number of every graph in the process from ONE generator, which has
# a setter but no getter: swapping it in and out must not interleave between threads.
_IGRAPH_RNG_LOCK = threading.Lock()

#: Community detection methods: ``louvain`` (compiled, default) and ``leiden`` (igraph).
METHODS = ("louvain", "leiden")


@dataclass(frozen=True)
class CommunityResult:
    """A partition of the users into communities.

    Attributes
    ----------
    membership : numpy.ndarray
        ``membership[u]`` = community of user ``u`` (int64), labelled ``0..k-1`` by decreasing
        size (ties: the community holding the smallest user index first), so community 0 is the
        largest. Every community induces a connected subgraph of the symmetrised graph.
    modularity : float
        Modularity of the whole partition at the resolution it was found with, on the
        symmetrised weighted graph (``nan`` for a graph without edges).
    n_communities : int
        ``k``, the number of communities (isolated users are singletons and count).
    sizes : numpy.ndarray
        ``sizes[c]`` = number of users in community ``c`` (non-increasing).
    contributions : numpy.ndarray
        ``contributions[c]`` = ``e_c / m - resolution * (a_c / 2m) ** 2``: the share of edge
        weight inside ``c`` minus its expected share; they sum to ``modularity``.
    iterations : int
        Leiden iterations, or Louvain aggregation levels, of the run that was kept (0 for a
        graph without edges).
    method : str
        ``"louvain"`` or ``"leiden"``.
    n_split : int
        Communities of the method's own partition that were not connected and were split into
        their connected components (:func:`split_disconnected`); 0 for Leiden.
    """

    membership: np.ndarray
    modularity: float
    n_communities: int
    sizes: np.ndarray
    contributions: np.ndarray
    iterations: int = 0
    method: str = "louvain"
    n_split: int = 0


# -- validation --------------------------------------------------------------------------------


def _check_square(adjacency: sp.sparray | sp.spmatrix | np.ndarray) -> sp.csr_array:
    a = sp.csr_array(adjacency, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"adjacency must be a square matrix, not shape {a.shape}")
    if a.nnz and not np.all(np.isfinite(a.data)):
        raise ValueError("adjacency weights must be finite")
    if a.nnz and (a.data < 0).any():
        raise ValueError("adjacency weights must be >= 0 (modularity needs non-negative weights)")
    return a


def _check_resolution(resolution: float) -> float:
    if not np.isfinite(resolution) or resolution <= 0:
        raise ValueError(f"resolution must be a finite number > 0, not {resolution}")
    return float(resolution)


def _check_membership(membership: np.ndarray | Sequence[int], n: int) -> np.ndarray:
    labels = np.asarray(membership)
    if labels.shape != (n,):
        raise ValueError(f"membership must have one label per node ({n}), not shape {labels.shape}")
    if n and (labels.dtype.kind not in "iu" or labels.min() < 0):
        raise ValueError("membership must hold integer community labels >= 0")
    return labels.astype(np.int64, copy=False)


# -- the graph ---------------------------------------------------------------------------------


def symmetrize(adjacency: sp.sparray | sp.spmatrix | np.ndarray) -> sp.csr_array:
    """Undirected weights ``A + A.T`` without self-loops, the graph modularity is defined on.

    Parameters
    ----------
    adjacency : scipy sparse array or numpy.ndarray, shape (n, n)
        ``adjacency[u, v]`` = attention weight of u -> v (>= 0). Duplicates are summed.

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric, float64, canonical (sorted indices, no duplicates, no explicit zeros), with
        an empty diagonal: ``S[u, v] = A[u, v] + A[v, u]`` for ``u != v``.

    Raises
    ------
    ValueError
        If the matrix is not square or has negative or non-finite weights.

    Notes
    -----
    Self-loops (attention to oneself) carry no information about communities and are dropped.
    Summing both directions makes a reciprocated relation twice as strong as a one-way one;
    multiplying all weights by a constant (for example symmetrising an already symmetric
    matrix) changes neither the modularity nor the partitions that optimise it.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[5.0, 1.0, 0.0], [2.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
    >>> symmetrize(a).toarray()
    array([[0., 3., 0.],
           [3., 0., 3.],
           [0., 3., 0.]])
    """
    a = _check_square(adjacency)
    if a.diagonal().any():  # (the attention graph has no self-loops: skip the copy)
        a = a.tocoo()
        off = a.row != a.col
        a = sp.coo_array((a.data[off], (a.row[off], a.col[off])), shape=a.shape).tocsr()
    s = sp.csr_array(a + a.T)
    s.sum_duplicates()
    s.eliminate_zeros()
    s.sort_indices()
    return s


def _upper_edges(sym: sp.csr_array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(u, v, weight)`` of each undirected edge once (``u < v``), in row-major order."""
    upper = sp.csr_array(sp.triu(sym, k=1, format="csr"))
    rows = np.repeat(np.arange(upper.shape[0], dtype=np.int64), np.diff(upper.indptr))
    return rows, upper.indices.astype(np.int64), upper.data


def _igraph_graph(sym: sp.csr_array):
    """igraph Graph of the upper triangle, and the edge weights (``None`` if all equal).

    ``zip`` of two Python int lists is the fastest input igraph's constructor accepts: it takes
    any iterable of pairs, and a ``(m, 2)`` ndarray is iterated row by row (about 3x slower).
    The weights are returned, not stored as an edge attribute, to avoid a Python float per edge
    in the graph's attribute table.
    """
    import igraph

    rows, cols, weights = _upper_edges(sym)
    graph = igraph.Graph(n=sym.shape[0], edges=zip(rows.tolist(), cols.tolist(), strict=True))
    if weights.size == 0 or np.all(weights == weights[0]):
        return graph, None
    return graph, weights.tolist()


@contextmanager
def _seeded_igraph_rng(seed: int) -> Iterator[None]:
    """igraph draws from ``random.Random(seed)`` inside the block; its default after it.

    igraph's default generator is the global :mod:`random` module (so a plain
    ``community_leiden`` call consumes, and depends on, the process-wide ``random`` state).
    igraph has no getter for the current generator, so it is restored to that default.
    """
    import igraph

    with _IGRAPH_RNG_LOCK:
        igraph.set_random_number_generator(random.Random(seed))
        try:
            yield
        finally:
            igraph.set_random_number_generator(random)


def _default_restarts(n_edges: int) -> int:
    """Restarts that cost about as much as one run on a million edges (1 to 10)."""
    return min(10, max(1, 1_000_000 // max(n_edges, 1)))


def _restart_seeds(seed: int, n_restarts: int) -> list[int]:
    """Independent 63-bit seeds, one per restart, the same on every platform and process."""
    return [
        int(np.random.SeedSequence(seed, spawn_key=(i,)).generate_state(1, np.uint64)[0] >> 1)
        for i in range(n_restarts)
    ]


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Labels ``0..k-1`` by decreasing size, ties by the smallest member index."""
    _, first, codes, sizes = np.unique(
        labels, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.lexsort((first, -sizes))
    new = np.empty(order.size, dtype=np.int64)
    new[order] = np.arange(order.size, dtype=np.int64)
    return new[codes.ravel()]


def _connected_pieces(graph: sp.csr_array, labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Each community cut into its connected pieces: ``(piece labels, communities split)``.

    Only the stored non-zero entries whose two ends share a label are kept (one mask over the
    CSR arrays, no sort); the weakly connected components of that graph are exactly the
    pieces. Piece labels are scipy's component numbers (``0..p-1``, not ordered by size).
    """
    n = graph.shape[0]
    inside = (np.repeat(labels, np.diff(graph.indptr)) == labels[graph.indices]) & (
        graph.data != 0
    )
    kept = np.concatenate(([0], np.cumsum(inside)))
    intra = sp.csr_array(
        (np.ones(int(kept[-1])), graph.indices[inside], kept[graph.indptr]), shape=(n, n)
    )
    n_pieces, pieces = connected_components(intra, directed=False)
    pieces = pieces.astype(np.int64, copy=False)
    owner = np.empty(n_pieces, dtype=np.int64)
    owner[pieces] = labels  # every member of a piece has the same community label
    return pieces, int((np.bincount(owner) > 1).sum())


def split_disconnected(
    adjacency: sp.sparray | sp.spmatrix | np.ndarray, membership: np.ndarray | Sequence[int]
) -> tuple[np.ndarray, int]:
    """Split every community into its connected components.

    Parameters
    ----------
    adjacency : scipy sparse array or numpy.ndarray, shape (n, n)
        Non-negative weights of the graph the partition was computed on (for example from
        :func:`symmetrize`). A directed matrix is read as undirected: components are weakly
        connected. Only the non-zero pattern matters.
    membership : array of int, shape (n,)
        Community label (>= 0) of each node. Labels need not be contiguous.

    Returns
    -------
    (membership, n_split)
        The new labels ``0..k-1``, by decreasing community size (ties: the community holding
        the smallest node index first, the convention of :class:`CommunityResult`), and the
        number of input communities that were not connected and were split.

    Raises
    ------
    ValueError
        If the matrix is not square, has negative weights, or the membership does not match it.

    Notes
    -----
    The pieces are the connected components of the graph that keeps only the edges whose two
    ends share a label: one vectorised mask over the non-zeros and one
    ``scipy.sparse.csgraph.connected_components`` call, ``O(n + m)``, no loop over
    communities. The result depends only on the partition, not on the label values.

    Splitting a community into pieces ``c_1 .. c_p`` with no edge between them never lowers
    the modularity: the weight inside is unchanged and the expected share falls from
    ``γ (Σ d_i / 2m) ** 2`` to ``γ Σ (d_i / 2m) ** 2``.

    Examples
    --------
    Community 5 holds two triangles with no edge between them:

    >>> import numpy as np
    >>> w = np.zeros((7, 7))
    >>> for u, v in [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (5, 6)]:
    ...     w[u, v] = w[v, u] = 1.0
    >>> labels, n_split = split_disconnected(w, [5, 5, 5, 5, 5, 5, 2])
    >>> labels.tolist(), n_split
    ([0, 0, 0, 1, 1, 1, 2], 1)
    """
    graph = _check_square(adjacency)
    labels = _check_membership(membership, graph.shape[0])
    if labels.size == 0:
        return labels.copy(), 0
    pieces, n_split = _connected_pieces(graph, labels)
    return _relabel_by_size(pieces), n_split


# -- modularity --------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _internal_weight(indptr, indices, data, labels, k):  # pragma: no cover - compiled
    """Sum of the stored weights whose two ends share a community, per community."""
    internal = np.zeros(k, dtype=np.float64)
    for u in range(indptr.size - 1):
        c = labels[u]
        for p in range(indptr[u], indptr[u + 1]):
            if labels[indices[p]] == c:
                internal[c] += data[p]
    return internal


def _modularity(
    sym: sp.csr_array, labels: np.ndarray, resolution: float, n_communities: int
) -> tuple[float, np.ndarray]:
    diagonal = sym.diagonal()
    strength = np.asarray(sym.sum(axis=1)).ravel() + diagonal  # a self-loop counts twice
    two_m = float(strength.sum())
    if two_m <= 0:
        return float("nan"), np.full(n_communities, np.nan)
    # every edge u-v appears as (u, v) and (v, u); a self-loop once, but it counts twice
    internal = _internal_weight(sym.indptr, sym.indices, sym.data, labels, n_communities)
    internal += np.bincount(labels, weights=diagonal, minlength=n_communities)
    total = np.bincount(labels, weights=strength, minlength=n_communities)
    contributions = internal / two_m - resolution * (total / two_m) ** 2
    return float(contributions.sum()), contributions


def modularity(
    sym_adjacency: sp.sparray | sp.spmatrix | np.ndarray,
    membership: np.ndarray | Sequence[int],
    resolution: float = 1.0,
) -> tuple[float, np.ndarray]:
    """Modularity of a partition of an undirected weighted graph, and each community's share.

    Parameters
    ----------
    sym_adjacency : scipy sparse array or numpy.ndarray, shape (n, n)
        Symmetric weights (for example from :func:`symmetrize`): ``W[u, v] = W[v, u]`` is the
        weight of the edge {u, v}; ``W[u, u]`` the weight of a self-loop.
    membership : array of int, shape (n,)
        Community label (>= 0) of each node. Labels need not be contiguous.
    resolution : float, optional
        The resolution γ (default 1.0); larger values favour smaller communities.

    Returns
    -------
    (total, per_community)
        ``per_community[c] = L_c / m - γ (d_c / 2m) ** 2`` for every label ``c`` in
        ``0..max(membership)`` (0 for unused labels), with ``L_c`` the weight of the edges
        inside ``c``, ``d_c`` the sum of the weighted degrees of its nodes and ``m`` the total
        edge weight; ``total`` is their sum. Both are ``nan`` for a graph without edges.

    Raises
    ------
    ValueError
        If the matrix is not square or not symmetric, has negative weights, or the membership
        does not match it.

    Notes
    -----
    A self-loop of weight w adds 2w to its node's degree and w to ``L_c``, as in networkx.
    One compiled pass over the non-zeros plus two ``bincount`` calls.

    References
    ----------
    .. [1] M. E. J. Newman, M. Girvan, "Finding and evaluating community structure in
       networks", Phys. Rev. E 69, 026113 (2004).
    .. [2] J. Reichardt, S. Bornholdt, "Statistical mechanics of community detection",
       Phys. Rev. E 74, 016110 (2006) (the resolution parameter).

    Examples
    --------
    Two triangles joined by one edge, split in the middle:

    >>> import numpy as np
    >>> edges = [(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5), (2, 3)]
    >>> w = np.zeros((6, 6))
    >>> for u, v in edges:
    ...     w[u, v] = w[v, u] = 1.0
    >>> total, parts = modularity(w, [0, 0, 0, 1, 1, 1])
    >>> round(total, 6), parts.round(6).tolist()
    (0.357143, [0.178571, 0.178571])
    """
    sym = _check_square(sym_adjacency)
    if sym.nnz and abs(sym - sym.T).max() > 1e-12 * float(np.abs(sym.data).max()):
        raise ValueError("sym_adjacency must be symmetric (use symmetrize() on directed weights)")
    labels = _check_membership(membership, sym.shape[0])
    k = int(labels.max()) + 1 if labels.size else 0
    return _modularity(sym, labels, _check_resolution(resolution), k)


# -- detection ---------------------------------------------------------------------------------


def _leiden(
    graph, weights, *, resolution: float, beta: float, max_iter: int, tol: float, seed: int
) -> tuple[np.ndarray, float, int]:
    """One seeded Leiden run: ``(membership, modularity, iterations)``.

    Iterations are chained one call at a time (``initial_membership`` = the previous result,
    which is exactly what igraph's own ``n_iterations`` loop does), so the run can stop once an
    iteration gains ``tol`` or less. igraph's ``n_iterations=-1`` instead goes on while any
    node moves, which on large graphs means many full passes for gains below 1e-6.
    """
    membership = None
    quality = -np.inf
    iterations = 0
    with _seeded_igraph_rng(seed):
        while iterations < max_iter:
            clustering = graph.community_leiden(
                objective_function="modularity",
                weights=weights,
                resolution=resolution,
                beta=beta,
                initial_membership=membership,
                n_iterations=1,
            )
            iterations += 1
            membership = clustering.membership
            gain = clustering.quality - quality
            quality = clustering.quality
            if gain <= tol:
                break
    return np.asarray(membership, dtype=np.int64), float(quality), iterations


def detect_communities(
    adjacency: sp.sparray | sp.spmatrix | np.ndarray,
    *,
    method: str = "louvain",
    resolution: float = 1.0,
    seed: int = 0,
    n_restarts: int | None = None,
    max_iter: int = 50,
    tol: float = 1e-6,
    beta: float = 0.01,
) -> CommunityResult:
    """Communities of the attention graph: modularity optimisation, deterministic per seed.

    Parameters
    ----------
    adjacency : scipy sparse array or numpy.ndarray, shape (n, n)
        Directed attention weights, ``adjacency[u, v]`` = attention u pays to v (>= 0). It is
        symmetrised first (:func:`symmetrize`); self-loops are ignored.
    method : {"louvain", "leiden"}, optional
        ``"louvain"`` (default): the compiled multi-level Louvain of
        :func:`graph_influence.algorithms.louvain.louvain` with a final refinement pass,
        sequential and seeded; a community it leaves in pieces is split into its connected
        components (:func:`split_disconnected`). ``"leiden"``: igraph's Leiden, whose
        refinement guarantees connected communities by itself, at ~5-10x the time on large
        graphs (it needs an igraph Graph, whose construction alone costs ~4 s at 10M edges).
    resolution : float, optional
        Modularity resolution γ > 0 (default 1.0): higher gives more, smaller communities.
    seed : int, optional
        Seed (>= 0, default 0). The same seed, graph and parameters give the same partition, in
        any process.
    n_restarts : int, optional
        Independent runs, with seeds derived from ``seed``; the partition with the
        highest modularity is kept (the earliest on ties). Restart ``i`` does not depend on
        ``n_restarts``, so more restarts never give a worse partition. Default (``None``):
        ``min(10, max(1, 1_000_000 // m))`` for ``m`` undirected edges, i.e. 10 up to 100k
        edges, 1 from 1M: on small graphs single runs vary by up to ~1 % and cost
        milliseconds, on large ones they vary by ~1e-6 and cost seconds to minutes.
    max_iter : int, optional
        Maximum Leiden iterations per run, or Louvain levels (default 50).
    tol : float, optional
        Leiden: a run stops after the first iteration that raises the modularity by ``tol``
        or less. Louvain: a local-moving phase stops after the first sweep over the nodes that
        gains less than ``tol``. Default 1e-6; 0 means: until no gain.
    beta : float, optional
        Randomness of Leiden's refinement step (default 0.01, igraph's default; Leiden only).

    Returns
    -------
    CommunityResult

    Raises
    ------
    ValueError
        If the matrix is not square or has negative weights, or a parameter is out of range.

    Notes
    -----
    The graph is handed to igraph as the upper triangle of the symmetrised matrix, in
    row-major order (a fixed edge order is part of what makes runs reproducible). igraph draws
    its random numbers from one process-wide generator, by default the global :mod:`random`
    module; each run here swaps in a private ``random.Random(seed_i)`` under a lock and puts
    the default back afterwards, so the caller's ``random`` state is neither used nor changed.
    A generator installed by the caller with ``igraph.set_random_number_generator`` is not
    restored (igraph offers no way to read it).

    Users without edges (after dropping self-loops) are singleton communities. A graph with no
    edges at all gives singletons and ``modularity = nan``.

    Every community is connected: each run's partition goes through :func:`split_disconnected`
    before the restarts are compared (splitting never lowers the modularity, and comparing
    the split partitions keeps "more restarts never give a worse partition" true), and the
    reported modularity is that of the split partition. The split costs one mask over the
    non-zeros and one ``scipy.sparse.csgraph.connected_components`` call per run: ~25 ms at
    330k edges (Higgs retweets), a third of a compiled Louvain run there, under 1 % of a Leiden one.

    References
    ----------
    .. [1] V. D. Blondel, J.-L. Guillaume, R. Lambiotte, E. Lefebvre, "Fast unfolding of
       communities in large networks", J. Stat. Mech. P10008 (2008).
    .. [2] V. A. Traag, L. Waltman, N. J. van Eck, "From Louvain to Leiden: guaranteeing
       well-connected communities", Scientific Reports 9, 5233 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> edges = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (2, 3)]
    >>> a = np.zeros((7, 7))
    >>> for u, v in edges:
    ...     a[u, v] = 1.0
    >>> r = detect_communities(a, seed=1)
    >>> r.membership.tolist(), r.sizes.tolist(), round(r.modularity, 4)
    ([0, 0, 0, 1, 1, 1, 2], [3, 3, 1], 0.3571)
    """
    resolution = _check_resolution(resolution)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, not {seed!r}")
    if n_restarts is not None and n_restarts < 1:
        raise ValueError(f"n_restarts must be >= 1, not {n_restarts}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, not {max_iter}")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, not {tol}")
    if not 0 < beta <= 1:
        raise ValueError(f"beta must be in (0, 1], not {beta}")
    sym = symmetrize(adjacency)
    n = sym.shape[0]
    isolated = np.diff(sym.indptr) == 0
    best = np.arange(n, dtype=np.int64)
    iterations = n_split = 0
    if sym.nnz:
        if n_restarts is None:
            n_restarts = _default_restarts(sym.nnz // 2)
        if method == "leiden":
            graph, weights = _igraph_graph(sym)

            def run(run_seed: int) -> tuple[np.ndarray, float, int]:
                return _leiden(graph, weights, resolution=resolution, beta=beta,
                               max_iter=max_iter, tol=tol, seed=run_seed)
        else:
            def run(run_seed: int) -> tuple[np.ndarray, float | None, int]:
                labels, levels = louvain(sym, resolution=resolution, seed=run_seed, tol=tol,
                                         max_levels=max_iter)
                return labels, None, levels  # its modularity: after the split, below

        best_q = -np.inf
        for run_seed in _restart_seeds(int(seed), n_restarts):
            labels, q, its = run(run_seed)
            labels, split = _connected_pieces(sym, labels)
            if q is None or split:  # (Leiden's communities are connected: never split)
                # the modularity only matters to compare restarts
                q = _modularity(sym, labels, resolution, sym.shape[0])[0] if n_restarts > 1 else 0
            if q > best_q:  # the modularity at this resolution
                best, best_q, iterations, n_split = labels, q, its, split
    # isolated users: a label of their own (both methods leave them alone; made explicit)
    best = best.copy()
    best[isolated] = best.max(initial=-1) + 1 + np.arange(int(isolated.sum()))
    membership = _relabel_by_size(best) if n else best
    sizes = np.bincount(membership, minlength=int(membership.max(initial=-1)) + 1)
    total, contributions = _modularity(sym, membership, resolution, sizes.size)
    return CommunityResult(
        membership=membership,
        modularity=total,
        n_communities=int(sizes.size),
        sizes=sizes,
        contributions=contributions,
        iterations=iterations,
        method=method,
        n_split=n_split,
    )


# -- description -------------------------------------------------------------------------------


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal values of a sorted ``groups`` array."""
    if groups.size == 0:
        return groups.astype(np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    run_lengths = np.diff(np.r_[starts, groups.size])
    return np.arange(groups.size) - np.repeat(starts, run_lengths)


def _split_by_group(groups: np.ndarray, values: Sequence, k: int) -> list[list]:
    """``values`` (sorted by ``groups``) cut into ``k`` lists, one per group ``0..k-1``."""
    bounds = np.searchsorted(groups, np.arange(k + 1))
    return [list(values[bounds[c] : bounds[c + 1]]) for c in range(k)]


def _topic_table(
    codes: np.ndarray,
    sizes: np.ndarray,
    affinity: sp.sparray | sp.spmatrix,
    topic_names: Sequence[str],
    *,
    top_topics: int,
    min_topic_users: int,
) -> list[list[tuple[str, float, int]]]:
    n, k = codes.size, sizes.size
    has = sp.csr_array(affinity, dtype=np.float64, copy=True)  # sorted in place below
    if has.shape != (n, len(topic_names)):
        raise ValueError(
            f"affinity must be users x topics ({n} x {len(topic_names)}), not {has.shape}"
        )
    has.sum_duplicates()
    has.data = (has.data > 0).astype(np.float64)
    has.eliminate_zeros()
    users_per_topic = np.bincount(has.indices, minlength=len(topic_names))
    one_hot = sp.csr_array((np.ones(n), (codes, np.arange(n))), shape=(k, n))
    counts = sp.csr_array(one_hot @ has).tocoo()
    keep = counts.data >= min_topic_users
    row, col, users = counts.row[keep], counts.col[keep], counts.data[keep].astype(np.int64)
    lift = (users / sizes[row]) / (users_per_topic[col] / n)
    order = np.lexsort((col, -users, -lift, row))
    row, col, users, lift = row[order], col[order], users[order], lift[order]
    top = _rank_within(row) < top_topics
    names = np.asarray(topic_names, dtype=object)
    rows = list(zip(names[col[top]], lift[top].tolist(), users[top].tolist(), strict=True))
    return _split_by_group(row[top], rows, k)


def describe_communities(
    membership: np.ndarray | Sequence[int],
    *,
    influence: np.ndarray,
    affinity: sp.sparray | sp.spmatrix | None,
    topic_names: Sequence[str] | None,
    ids: Sequence | np.ndarray | None = None,
    contributions: np.ndarray | None = None,
    top_topics: int = 3,
    top_members: int = 5,
    min_topic_users: int = 5,
) -> pd.DataFrame:
    """One row per community: size, modularity share, over-represented topics, top members.

    Parameters
    ----------
    membership : array of int, shape (n,)
        Community label (>= 0) of each user, e.g. ``CommunityResult.membership``.
    influence : numpy.ndarray, shape (n,)
        Influence of each user (e.g. PageRank scores); members are listed by it.
    affinity : scipy sparse array, shape (n, t), or None
        ``affinity[u, t] > 0`` when user ``u`` has topic ``t``. ``None``: no topics.
    topic_names : sequence of str, length t, or None
        Name of each topic column.
    ids : sequence, length n, optional
        User ids for ``top_members`` (default: the integer user indices).
    contributions : numpy.ndarray, optional
        Modularity contribution per label (``CommunityResult.contributions``, or the second
        value of :func:`modularity`); default ``nan``.
    top_topics : int, optional
        Topics listed per community (default 3).
    top_members : int, optional
        Members listed per community (default 5).
    min_topic_users : int, optional
        A topic is listed for a community only if at least this many of its users have it
        (default 5), so that a rare topic held by one or two members does not top the list.

    Returns
    -------
    pandas.DataFrame
        Columns ``community``, ``size``, ``modularity_contribution``, ``top_topics`` (list of
        ``(topic, lift, users)``, highest lift first, ties by more users then topic order) and
        ``top_members`` (list of ids, most influential first, ties by user index); one row per
        label present in ``membership``, in label order.

    Raises
    ------
    ValueError
        If an array does not have one entry per user, or a count is negative.

    Notes
    -----
    ``lift = (users / size) / (holders / n)``: the share of the community's users who have the
    topic over the share of all users who have it. 1 means as common as everywhere; 3 means
    three times as common. Everything is computed by one sparse product (communities x topics
    counts) and sorts; the only loop is over communities, to cut the sorted arrays into lists.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> has = sp.csr_array(np.array([[1, 0], [1, 0], [0, 1], [0, 1]]))
    >>> df = describe_communities(
    ...     [0, 0, 1, 1], influence=np.array([0.1, 0.4, 0.3, 0.2]), affinity=has,
    ...     topic_names=["python", "chess"], ids=["a", "b", "c", "d"], min_topic_users=1)
    >>> df[["community", "size", "top_members"]].to_dict("records")
    [{'community': 0, 'size': 2, 'top_members': ['b', 'a']},
     {'community': 1, 'size': 2, 'top_members': ['c', 'd']}]
    >>> df.loc[0, "top_topics"]
    [('python', 2.0, 2)]
    """
    scores = np.asarray(influence, dtype=np.float64)
    n = scores.size
    labels = _check_membership(membership, n)
    if scores.shape != (n,) or not np.all(np.isfinite(scores)):
        raise ValueError("influence must be a finite 1-d array with one value per user")
    for name, value in (
        ("top_topics", top_topics),
        ("top_members", top_members),
        ("min_topic_users", min_topic_users),
    ):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, not {value}")
    names = np.arange(n) if ids is None else np.asarray(ids, dtype=object)
    if names.shape != (n,):
        raise ValueError(f"ids must have one entry per user ({n}), not shape {names.shape}")
    present, codes = np.unique(labels, return_inverse=True)
    codes = codes.ravel()
    k = present.size
    sizes = np.bincount(codes, minlength=k)

    order = np.lexsort((np.arange(n), -scores, codes))
    top = _rank_within(codes[order]) < top_members
    members = _split_by_group(codes[order][top], names[order[top]].tolist(), k)

    if affinity is None or topic_names is None:
        topics: list[list] = [[] for _ in range(k)]
    else:
        topics = _topic_table(
            codes,
            sizes,
            affinity,
            topic_names,
            top_topics=top_topics,
            min_topic_users=max(int(min_topic_users), 1),
        )
    if contributions is None:
        share = np.full(k, np.nan)
    else:
        share = np.asarray(contributions, dtype=np.float64)
        if share.ndim != 1 or share.size <= present.max(initial=-1):
            raise ValueError("contributions must have one value per community label")
        share = share[present]
    return pd.DataFrame(
        {
            "community": present,
            "size": sizes,
            "modularity_contribution": share,
            "top_topics": topics,
            "top_members": members,
        }
    )


# -- comparison --------------------------------------------------------------------------------


def _entropy(counts: np.ndarray, total: int) -> float:
    p = counts[counts > 0] / total
    return float(-(p * np.log(p)).sum())


def normalized_mutual_info(
    labels_a: np.ndarray | Sequence, labels_b: np.ndarray | Sequence
) -> float:
    """Normalised mutual information of two labellings (arithmetic-mean normalisation).

    Parameters
    ----------
    labels_a, labels_b : array-like, shape (n,)
        Two labellings of the same items (any hashable, sortable labels: ints, strings).

    Returns
    -------
    float
        ``I(A; B) / ((H(A) + H(B)) / 2)`` in [0, 1]: 1 for the same partition (whatever the
        label names), 0 for independent ones.

    Raises
    ------
    ValueError
        If the labellings have different lengths.

    Notes
    -----
    The convention of scikit-learn's ``normalized_mutual_info_score`` (its default
    ``average_method="arithmetic"``): two labellings that both put everything in one group
    score 1; otherwise zero mutual information scores 0. The contingency table comes from one
    ``np.unique`` of paired label codes (only its non-zero cells).

    References
    ----------
    .. [1] L. Danon, A. Díaz-Guilera, J. Duch, A. Arenas, "Comparing community structure
       identification", J. Stat. Mech. P09008 (2005).

    Examples
    --------
    >>> normalized_mutual_info([0, 0, 1, 1], [5, 5, 7, 7])
    1.0
    >>> normalized_mutual_info([0, 0, 1, 1], [0, 1, 0, 1])
    0.0
    """
    a = np.asarray(labels_a)
    b = np.asarray(labels_b)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"labellings must be 1-d of equal length, not {a.shape} and {b.shape}")
    n = a.size
    _, ca = np.unique(a, return_inverse=True)
    _, cb = np.unique(b, return_inverse=True)
    ca, cb = ca.ravel(), cb.ravel()
    ka = int(ca.max(initial=-1)) + 1
    kb = int(cb.max(initial=-1)) + 1
    if ka == kb <= 1:
        return 1.0
    # the non-zero cells of the contingency table (np.unique: no ka x kb array)
    cells, n_ab = np.unique(ca.astype(np.int64) * kb + cb, return_counts=True)
    count_a = np.bincount(ca, minlength=ka).astype(np.float64)
    count_b = np.bincount(cb, minlength=kb).astype(np.float64)
    expected = count_a[cells // kb] * count_b[cells % kb]
    mi = float((n_ab / n * np.log(n * n_ab / expected)).sum())
    if mi <= 0:
        return 0.0
    h = (_entropy(count_a, n) + _entropy(count_b, n)) / 2
    return float(min(mi / h, 1.0))
