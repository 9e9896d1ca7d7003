"""Warm start: a new analysis starts PageRank from the latest run's influence."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.loading import load_snapshot
from graph_influence.stores import DuckDBStore

from .conftest import CLASSIC_WALK, write_snapshot

PARAMS = AnalysisParams(half_life="none", topics=False, communities=False, **CLASSIC_WALK)


def _edges(seed: int, n: int = 600) -> list[tuple[str, str]]:
    g = nx.DiGraph(nx.scale_free_graph(n, seed=seed))
    g.remove_edges_from(nx.selfloop_edges(g))
    return [(f"n{u}", f"n{v}") for u, v in g.edges]


def _write(folder, edges) -> object:
    return write_snapshot(folder, follows="src,dst\n" + "".join(f"{u},{v}\n" for u, v in edges))


def _grown(tmp_path, extra: int, new_users: int = 7, seed: int = 0):
    """Snapshot A and a second load B that adds ``extra`` edges between A's users and one
    edge to each of ``new_users`` new users."""
    edges = _edges(seed)
    users = sorted({u for edge in edges for u in edge})
    have = set(edges)
    rng = np.random.default_rng(seed)
    new = [(users[k], f"new{j}") for j, k in enumerate(rng.integers(len(users), size=new_users))]
    while len(new) < new_users + extra:
        edge = tuple(users[k] for k in rng.integers(len(users), size=2))
        if edge[0] != edge[1] and edge not in have:
            have.add(edge)
            new.append(edge)
    return _write(tmp_path / "a", edges), _write(tmp_path / "b", new), edges + new


def _scores(store, run_id) -> dict[str, float]:
    table = store.scores_arrow(run_id=run_id)
    return dict(zip(table["id"].to_pylist(), table["influence"].to_pylist(), strict=True))


def _warm_and_cold(tmp_path, extra: int, params: AnalysisParams = PARAMS, new_users: int = 7):
    a, b, edges = _grown(tmp_path, extra, new_users)
    with DuckDBStore(tmp_path / "warm.duckdb") as st:
        load_snapshot(st, a, progress=False)
        first = analyze(st, params, warm_start=True, progress=False)
        load_snapshot(st, b, progress=False)
        warm = analyze(st, params, warm_start=True, progress=False)
        warm_scores = _scores(st, warm.run_id)
    with DuckDBStore(tmp_path / "cold.duckdb") as st:
        load_snapshot(st, a, progress=False)
        load_snapshot(st, b, progress=False)
        analyze(st, params, progress=False)  # an earlier run to start from, not used:
        cold = analyze(st, params, warm_start=False, progress=False)
        cold_scores = _scores(st, cold.run_id)
    return first, warm, warm_scores, cold, cold_scores, edges


def test_warm_start_equals_cold_start_and_networkx(tmp_path):
    first, warm, warm_scores, cold, cold_scores, edges = _warm_and_cold(tmp_path, 60)
    assert first.run.extras["warm_start"] == {"from_run": None, "reason": "no earlier run",
                                              "iterations": first.run.iterations}
    start = warm.run.extras["warm_start"]
    assert start["from_run"] == first.run_id
    assert start["iterations"] == warm.run.iterations
    assert start["users_new"] == 7 and start["users_matched"] == first.run.n_users
    assert cold.run.extras["warm_start"]["from_run"] is None
    assert cold.run.extras["warm_start"]["reason"] == "cold start"
    assert set(warm_scores) == set(cold_scores)
    tol = PARAMS.tol
    assert max(abs(warm_scores[u] - cold_scores[u]) for u in cold_scores) < 10 * tol
    oracle = nx.pagerank(nx.DiGraph(edges), tol=1e-15, max_iter=10_000)
    assert max(abs(warm_scores[u] - p) for u, p in oracle.items()) < 10 * tol
    assert warm.run.iterations <= cold.run.iterations


def test_a_small_growth_needs_clearly_fewer_iterations(tmp_path):
    params = AnalysisParams(half_life="none", topics=False, communities=False, tol=1e-10,
                            max_iter=1000, **CLASSIC_WALK)
    _, warm, warm_scores, cold, cold_scores, _ = _warm_and_cold(tmp_path, 2, params, new_users=0)
    assert warm.run.iterations < cold.run.iterations - 5, (warm.run.iterations,
                                                           cold.run.iterations)
    assert max(abs(warm_scores[u] - cold_scores[u]) for u in cold_scores) < 10 * params.tol


def test_the_same_graph_again_starts_as_its_first_run_did(tmp_path):
    """Analysing the same snapshot again gives the same scores bit for bit (determinism)."""
    a, b, _ = _grown(tmp_path, 60)
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        load_snapshot(st, a, progress=False)
        one = analyze(st, PARAMS, warm_start=True, progress=False)
        again = analyze(st, PARAMS, warm_start=True, progress=False)
        assert again.run.extras["warm_start"]["from_run"] is None  # as run 1: cold
        assert again.scores["influence"].equals(one.scores["influence"])
        load_snapshot(st, b, progress=False)
        grown = analyze(st, PARAMS, warm_start=True, progress=False)
        other = analyze(st, AnalysisParams(half_life="none", topics=False, communities=False,
                                           damping=0.7), warm_start=True, progress=False)
        repeat = analyze(st, PARAMS, warm_start=True, progress=False)
        assert grown.run.extras["warm_start"]["from_run"] == again.run_id
        assert other.run.extras["warm_start"]["from_run"] == grown.run_id
        assert repeat.run.extras["warm_start"]["from_run"] == again.run_id  # as ``grown`` did
        assert repeat.scores["influence"].equals(grown.scores["influence"])
        assert repeat.run.extras["pagerank_input"] == grown.run.extras["pagerank_input"]
        assert other.run.extras["pagerank_input"] != grown.run.extras["pagerank_input"]


@pytest.mark.parametrize("seeded_first", [True, False])
def test_warm_start_across_a_change_of_teleport(tmp_path, seeded_first):
    a, b, edges = _grown(tmp_path, 60)
    seeds = ["n1", "n2", "n3"]
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        load_snapshot(st, a, progress=False)
        load_snapshot(st, b, progress=False)
        analyze(st, PARAMS, seed_users=seeds if seeded_first else None, progress=False)
        second = analyze(st, PARAMS, seed_users=None if seeded_first else seeds,
                         warm_start=True, progress=False)
        assert second.run.extras["warm_start"]["from_run"] is not None
        got = _scores(st, second.run_id)
    oracle = nx.pagerank(nx.DiGraph(edges), tol=1e-15, max_iter=10_000,
                         personalization=None if seeded_first else dict.fromkeys(seeds, 1))
    assert max(abs(got[u] - p) for u, p in oracle.items()) < 10 * PARAMS.tol


def test_the_default_is_a_cold_start(tmp_path):
    """Scores that depend on the snapshot and parameters alone, in any store (the brief's
    determinism): a warm start is asked for."""
    a, b, _ = _grown(tmp_path, 60)
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        load_snapshot(st, a, progress=False)
        analyze(st, PARAMS, progress=False)
        load_snapshot(st, b, progress=False)
        second = analyze(st, PARAMS, progress=False)
        assert second.run.extras["warm_start"] == {"from_run": None, "reason": "cold start",
                                                   "iterations": second.run.iterations}
    with DuckDBStore(tmp_path / "fresh.duckdb") as st:
        load_snapshot(st, a, progress=False)
        load_snapshot(st, b, progress=False)
        fresh = analyze(st, PARAMS, progress=False)
    assert fresh.scores["influence"].equals(second.scores["influence"])
