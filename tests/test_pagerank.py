"""PageRank against networkx (the oracle) and literature values."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from graph_influence.algorithms.pagerank import pagerank
from graph_influence.errors import PowerIterationFailedConvergence


def _to_sparse(g: nx.DiGraph, n: int, weight: str | None = "weight") -> sp.csr_array:
    rows, cols, vals = [], [], []
    for u, v, d in g.edges(data=True):
        rows.append(u)
        cols.append(v)
        vals.append(d.get(weight, 1.0) if weight else 1.0)
    return sp.csr_array((vals, (rows, cols)), shape=(n, n))


def _nx(g: nx.DiGraph, n: int, **kw) -> np.ndarray:
    # networkx multiplies tol by n: a tiny tol makes it a tight oracle.
    pr = nx.pagerank(g, tol=1e-13, max_iter=10_000, **kw)
    return np.array([pr[i] for i in range(n)])


def test_langville_meyer_example():
    # The 6-node example (Langville & Meyer, "Deeper inside PageRank") of networkx's own tests,
    # node 2 dangling, alpha = 0.9; published values to 8 digits.
    edges = [(1, 2), (1, 3), (3, 1), (3, 2), (3, 5), (4, 5), (4, 6), (5, 4), (5, 6), (6, 4)]
    expected = [0.03721197, 0.05395735, 0.04150565, 0.37508082, 0.20599833, 0.28624589]
    a = sp.csr_array(([1.0] * len(edges), ([u - 1 for u, _ in edges], [v - 1 for _, v in edges])),
                     shape=(6, 6))
    result = pagerank(a, alpha=0.9, tol=1e-12, max_iter=1000)
    np.testing.assert_allclose(result.scores, expected, atol=1e-8)
    assert result.converged


def test_personalization_published_values():
    # networkx test_personalization: complete graph K4, personalization {0:1, 1:1, 2:4, 3:4}.
    g = nx.complete_graph(4).to_directed()
    # The published values were computed with networkx's loose default tolerance (to ~2e-7).
    expected = [0.23246732615667579, 0.23246732615667579, 0.267532673843324, 0.2675326738433241]
    pers = np.array([1, 1, 4, 4.0])
    result = pagerank(_to_sparse(g, 4, None), personalization=pers, tol=1e-13)
    np.testing.assert_allclose(result.scores, expected, atol=1e-6)
    # and the exact solution of (I - alpha P^T) x = (1 - alpha) p
    p_t = np.ones((4, 4)) - np.eye(4)
    p_t /= 3
    exact = np.linalg.solve(np.eye(4) - 0.85 * p_t, 0.15 * pers / pers.sum())
    np.testing.assert_allclose(result.scores, exact, atol=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_matches_networkx_on_random_weighted_digraphs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    g = nx.gnp_random_graph(n, float(rng.uniform(0.02, 0.3)), seed=seed, directed=True)
    for u, v in g.edges:
        g[u][v]["weight"] = float(rng.uniform(0.1, 5.0))
    # Node 0 is always dangling, and has teleport mass (pers[0] >= 0.5), so the dangling
    # distribution matters on every graph; random graphs add more dangling nodes of their own.
    g.remove_edges_from(list(g.out_edges(0)))
    alpha = float(rng.uniform(0.5, 0.95))
    pers = rng.uniform(0, 1, n) * (rng.uniform(0, 1, n) > 0.3)
    pers[0] += 0.5  # keep a positive sum
    dang = rng.uniform(0, 1, n)
    a = _to_sparse(g, n)
    ours = pagerank(a, alpha=alpha, personalization=pers, dangling=dang, tol=1e-12,
                    max_iter=10_000)
    oracle = _nx(g, n, alpha=alpha, personalization=dict(enumerate(pers)),
                 dangling=dict(enumerate(dang)))
    np.testing.assert_allclose(ours.scores, oracle, atol=1e-9)
    assert ours.scores.sum() == pytest.approx(1.0, abs=1e-12)
    # Without `dangling`, dangling mass follows the teleport vector (networkx's default), which
    # gives different scores: the `dangling` argument is really used.
    default = pagerank(a, alpha=alpha, personalization=pers, tol=1e-12, max_iter=10_000)
    np.testing.assert_allclose(
        default.scores, _nx(g, n, alpha=alpha, personalization=dict(enumerate(pers))), atol=1e-9)
    assert np.abs(default.scores - ours.scores).sum() > 1e-4


def test_default_tolerance_is_within_1e6_of_networkx():
    g = nx.scale_free_graph(400, seed=3)
    g = nx.DiGraph(g)  # collapse multi-edges
    g.remove_edges_from(nx.selfloop_edges(g))
    ours = pagerank(_to_sparse(g, 400, None))
    oracle = _nx(g, 400)
    assert np.abs(ours.scores - oracle).max() < 1e-6


def test_dangling_mass_goes_to_teleport_by_default():
    # 0 -> 1, node 1 dangling, alpha = 0.5, teleport p = (1/2, 1/2). By hand:
    # x0 = 0.5 * (0.5 * x1) + 0.25 and x0 + x1 = 1  ->  x0 = 0.4, x1 = 0.6
    a = sp.csr_array(([1.0], ([0], [1])), shape=(2, 2))
    result = pagerank(a, alpha=0.5, tol=1e-14, max_iter=1000)
    np.testing.assert_allclose(result.scores, [0.4, 0.6], atol=1e-12)


def test_non_convergence_raises_named_error():
    g = nx.cycle_graph(50, create_using=nx.DiGraph)
    with pytest.raises(PowerIterationFailedConvergence) as info:
        pagerank(_to_sparse(g, 50, None), alpha=0.99, tol=1e-15, max_iter=3,
                 nstart=np.eye(50)[0])
    assert info.value.num_iterations == 3
    # the algorithm names its own arguments; the CLI names its flags (tests/test_params.py)
    assert "raise max_iter or tol, or lower alpha" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"alpha": 1.0}, "alpha"), ({"alpha": -0.1}, "alpha"), ({"tol": 0}, "tol"),
     ({"max_iter": 0}, "max_iter"), ({"personalization": np.zeros(3)}, "positive sum"),
     ({"personalization": np.ones(2)}, "one entry per node")],
)
def test_bad_parameters_are_named(kwargs, message):
    a = sp.csr_array(np.ones((3, 3)))
    with pytest.raises(ValueError, match=message):
        pagerank(a, **kwargs)


def test_empty_graph():
    result = pagerank(sp.csr_array((0, 0)))
    assert result.scores.shape == (0,)


def test_compiled_step_equals_scipy_bit_for_bit_on_any_thread_count():
    import numba

    from graph_influence.algorithms.pagerank import _step, transition_matrix

    rng = np.random.default_rng(7)
    a = sp.random_array((3000, 3000), density=0.004, rng=rng, format="csr")
    pt, dangling = transition_matrix(a)
    assert pt.indices.dtype == np.int32
    x = rng.random(3000)
    x /= x.sum()
    base = np.full(3000, 0.15 / 3000)
    dist = rng.random(3000)
    dist /= dist.sum()
    mass = 0.85 * x[dangling].sum()
    expected = 0.85 * (pt @ x)
    expected += base
    expected += mass * dist
    outs, errs = [], []
    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(threads)
        out = np.empty(3000)
        errs.append(_step(pt.indptr, pt.indices, pt.data, x, 0.85, base, mass, dist, out))
        outs.append(out)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    np.testing.assert_array_equal(outs[0], expected)
    np.testing.assert_array_equal(outs[1], expected)
    assert errs[0] == errs[1]  # the L1 change too: summed per block, then in block order
    assert errs[0] == pytest.approx(np.abs(expected - x).sum(), rel=1e-12)


def test_node_order_changes_nothing_but_memory_layout():
    g = nx.gnp_random_graph(400, 0.02, seed=5, directed=True)
    for u, v in g.edges:
        g[u][v]["weight"] = 1.0 + (u * 7 + v) % 5
    a = _to_sparse(g, 400)
    rng = np.random.default_rng(1)
    personal = rng.random(400)
    order = rng.permutation(400)
    plain = pagerank(a, personalization=personal, tol=1e-13)
    ordered = pagerank(a, personalization=personal, tol=1e-13, node_order=order)
    np.testing.assert_allclose(ordered.scores, plain.scores, rtol=0, atol=1e-15)
    expected = _nx(g, 400, personalization=dict(enumerate(personal)))
    np.testing.assert_allclose(ordered.scores, expected, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="permutation"):
        pagerank(a, node_order=np.zeros(400, dtype=int))


def test_callback_sees_every_iteration_and_its_change():
    g = nx.gnp_random_graph(60, 0.08, seed=3, directed=True)
    adjacency = sp.csr_array(nx.to_scipy_sparse_array(g, nodelist=range(60)))
    seen = []
    result = pagerank(adjacency, callback=lambda it, err: seen.append((it, err)))
    assert [it for it, _ in seen] == list(range(1, result.iterations + 1))
    assert seen[-1][1] == result.error < 1e-6 <= seen[-2][1]
    order = np.random.default_rng(0).permutation(60)
    seen.clear()
    pagerank(adjacency, node_order=order, callback=lambda it, err: seen.append(it))
    assert seen == list(range(1, result.iterations + 1))


# -- weights far below 1: a lone interaction many half-lives old (issue 14) -----------------
@pytest.mark.parametrize("exponent", [-1024, -1031, -1060, -1073])
def test_a_row_of_tiny_weights_walks_like_any_other(exponent):
    """2**-1031 has a reciprocal beyond float64 (nan and 'failed to converge' before): a
    row-normalised walk does not depend on the row's scale, so the scores equal networkx's on
    the same graph with weight 1."""
    tiny = 2.0**exponent
    a = sp.csr_array(([tiny, 1.0, tiny, tiny / 2], ([0, 2, 4, 4], [1, 3, 1, 3])), shape=(5, 5))
    result = pagerank(a, tol=1e-13, max_iter=1000)
    g = nx.DiGraph()
    g.add_nodes_from(range(5))
    g.add_weighted_edges_from([(0, 1, 1.0), (2, 3, 1.0), (4, 1, 1.0), (4, 3, 0.5)])
    np.testing.assert_allclose(result.scores, _nx(g, 5), atol=1e-10)
    assert np.isfinite(result.scores).all() and result.converged


def test_non_finite_weights_are_refused():
    for bad in (np.inf, np.nan):
        a = sp.csr_array(([1.0, bad], ([0, 1], [1, 0])), shape=(2, 2))
        with pytest.raises(ValueError, match="finite and >= 0"):
            pagerank(a)


def test_the_cli_scores_an_old_lone_interaction_with_a_short_half_life(tmp_path):
    """The issue's reproduction: 42 days at --half-life 1h is 1,031 half-lives."""
    from typer.testing import CliRunner

    from graph_influence.cli import app

    from .conftest import CLASSIC_FLAGS, write_snapshot

    snap = write_snapshot(tmp_path / "s", interactions="src,dst,type,ts\n"
                          "a,b,retweet,2024-01-01T00:00:00Z\nc,d,retweet,2024-02-12T23:00:00Z\n")
    store = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    assert runner.invoke(app, ["load", str(snap), "--store", store]).exit_code == 0
    result = runner.invoke(app, ["analyze", "--store", store, "--half-life", "1h", "--tol",
                                 "1e-12", "--max-iter", "1000", *CLASSIC_FLAGS, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    rows = {r["id"]: r["influence"] for r in json.loads(result.stdout)}
    g = nx.DiGraph([("a", "b"), ("c", "d")])
    oracle = nx.pagerank(g, tol=1e-14, max_iter=10_000)
    for user, value in oracle.items():
        assert rows[user] == pytest.approx(value, abs=1e-9)
