"""Open GDS 2.13 in a real Neo4j server from the Maven jars: the test harness's second server.

GDS's weighted PageRank is checked against networkx (the classic walk) and against the engine's
own walk (ground weight, trust teleport), which GDS does not have: the engine's leak becomes an
edge to a virtual ground node G (no out-edges: its mass is lost, as GDS loses dangling mass),
and its teleport an only source node T with an edge to each user weighted by the teleport. On
the users GDS then gives d(1-d)(I - dP^T)^-1 t, proportional to the engine's vector (which
sends dangling and leaked mass to the teleport): normalised, the two agree.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from graph_influence.algorithms.pagerank import pagerank
from graph_influence.testing.gds import has_gds

#: A graph projected from parameters: nodes 0..n-1 (isolated ones included) and weighted edges.
PROJECT = """
CALL () {
  UNWIND range(0, $n - 1) AS u RETURN u AS src, null AS dst, null AS w
  UNION ALL
  UNWIND range(0, size($src) - 1) AS k RETURN $src[k] AS src, $dst[k] AS dst, $w[k] AS w
}
WITH gds.graph.project($name, src, dst,
  {relationshipProperties: CASE WHEN dst IS NULL THEN null ELSE {w: w} END}) AS g
RETURN g.nodeCount AS nodes, g.relationshipCount AS rels
"""
STREAM = """
CALL gds.pageRank.stream($name, $config) YIELD nodeId, score
RETURN collect(nodeId) AS ids, collect(score) AS scores
"""
CONFIG = {"relationshipWeightProperty": "w", "dampingFactor": 0.85, "maxIterations": 1000,
          "tolerance": 1e-20, "scaler": "NONE", "concurrency": 1}


def _graph(n: int, m: int, seed: int):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.choice(n, m, p=(p := rng.pareto(1.5, n) + 1) / p.sum())
    keep = src % 7 != 0  # every 7th node has no out-edge (dangling)
    return src[keep], dst[keep], rng.lognormal(0.0, 1.0, keep.sum())


def _gds_pagerank(server, name, n, src, dst, w, source=None) -> np.ndarray:
    with server.driver(notifications_min_severity="OFF") as driver:
        rows, _, _ = driver.execute_query(PROJECT, name=name, n=n, src=src.tolist(),
                                          dst=dst.tolist(), w=np.asarray(w, float).tolist())
        assert rows[0]["nodes"] >= n
        config = dict(CONFIG, **({"sourceNodes": [source]} if source is not None else {}))
        out, _, _ = driver.execute_query(STREAM, name=name, config=config)
        driver.execute_query("CALL gds.graph.drop($name)", name=name)
    scores = np.zeros(int(max(out[0]["ids"])) + 1)
    scores[np.asarray(out[0]["ids"])] = out[0]["scores"]
    return scores


def _close(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a / a.sum(), b / b.sum()
    return float(np.abs(a - b).max() / a.max())


def test_the_gds_server_has_gds_and_the_plain_one_not(gds_server, neo4j_uri):
    from neo4j import GraphDatabase

    with gds_server.driver() as driver:
        assert has_gds(driver) == "2.13.9"
    with GraphDatabase.driver(neo4j_uri) as driver:
        assert has_gds(driver) is None


def test_gds_weighted_pagerank_is_networkx_on_the_classic_walk(gds_server):
    n = 150
    src, dst, w = _graph(n, 900, seed=3)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    for u, v, x in zip(src.tolist(), dst.tolist(), w.tolist(), strict=True):
        if graph.has_edge(u, v):
            graph[u][v]["w"] += x  # GDS sums parallel relationships' weights too
        else:
            graph.add_edge(u, v, w=x)
    expected = nx.pagerank(graph, alpha=0.85, weight="w", tol=1e-15, max_iter=10_000)
    got = _gds_pagerank(gds_server, "classic", n, src, dst, w)
    assert _close(np.array([expected[u] for u in range(n)]), got[:n]) < 1e-9


@pytest.mark.parametrize("ground", [30.0, 1.0])
def test_gds_reproduces_the_engine_walk_through_ground_and_teleport_nodes(gds_server, ground):
    n = 200
    src, dst, w = _graph(n, 1200, seed=1)
    rng = np.random.default_rng(7)
    teleport = rng.gamma(0.5, 1.0, n) * (rng.random(n) > 0.3)
    teleport /= teleport.sum()
    extra = ground + rng.exponential(2.0, n) * (rng.random(n) < 0.5)  # ground + faded
    adjacency = sp.csr_array((w, (src, dst)), shape=(n, n))
    adjacency.sum_duplicates()
    engine = pagerank(adjacency, personalization=teleport, extra_out_weight=extra,
                      tol=1e-15, max_iter=10_000).scores
    T, G = n, n + 1  # the virtual teleport and ground nodes
    on = np.flatnonzero(teleport > 0)
    all_src = np.concatenate([src, np.full(on.size, T), np.arange(n)])
    all_dst = np.concatenate([dst, on, np.full(n, G)])
    all_w = np.concatenate([w, teleport[on], extra])
    got = _gds_pagerank(gds_server, f"walk-{ground}", n, all_src, all_dst, all_w, source=T)
    assert got[G] > 0 and got[T] > 0  # (the virtual nodes are there, and dropped below)
    assert _close(engine, got[:n]) < 1e-9
    # without the ground node GDS's vector is another one: the reconciliation is needed
    plain = _gds_pagerank(gds_server, f"plain-{ground}", n,
                          np.concatenate([src, np.full(on.size, T)]),
                          np.concatenate([dst, on]), np.concatenate([w, teleport[on]]),
                          source=T)
    assert _close(engine, plain[:n]) > 1e-3


def test_neo4j_up_gds_starts_the_dev_server_with_gds_and_keeps_it_across_a_restart(
        tmp_path, gds_server, capsys):
    from graph_influence.testing import neo4j_server as ns

    from .conftest import REPO

    state = tmp_path / ns.STATE_DIR
    state.mkdir()
    for part in ("lib", "gds"):  # the jars the session already fetched
        (state / part).symlink_to(REPO / ns.STATE_DIR / part, target_is_directory=True)
    assert ns.main(["--root", str(tmp_path), "up", "--gds"]) == 0
    try:
        out, err = capsys.readouterr()
        uri = out.splitlines()[-1].split("=", 1)[1]
        assert ", with Open GDS" in err
        with ns.GraphDatabase.driver(uri) as driver:
            assert has_gds(driver) == "2.13.9"
        dev = ns.DevServer.serving(uri, state=state)
        with dev.offline():  # what a bulk load does: the restart keeps GDS
            pass
        with ns.GraphDatabase.driver(uri) as driver:
            assert has_gds(driver) == "2.13.9"
        assert ns.main(["--root", str(tmp_path), "up"]) == 0  # already up: says how to change
        assert "it runs with Open GDS: make neo4j-down, then make neo4j-up to change" in (
            capsys.readouterr().err)
    finally:
        ns.main(["--root", str(tmp_path), "down"])


WALKS = {
    "default": {},
    "uniform": {"teleport": "uniform"},
    "classic": {"teleport": "uniform", "ground_weight": 0.0, "fade": False},
    "sqrt": {"concave": "sqrt", "follow_weight": 2.0, "ground_weight": 1.0, "half_life": "2d",
             "type_weights": {"like": 0.0, "reply": 3.0}},
}


@pytest.mark.parametrize("walk", list(WALKS))
def test_the_walk_computed_in_the_database_is_the_engines(gds_store, walk, tmp_path):
    """The projection builds the attention graph, ground and teleport from the store's rows on
    the server; GDS's influence equals the local engine's on the graph view (networkx is the
    oracle of the engine's PageRank elsewhere)."""
    import gzip

    from graph_influence.loading import load_snapshot
    from graph_influence.params import AnalysisParams
    from graph_influence.sample_data import sample_path
    from graph_influence.stores.neo4j_gds import gds_walk_influence
    from graph_influence.walk import walk_of

    from .conftest import shared_dataset

    load_snapshot(gds_store, sample_path(), progress=False)
    higgs = tmp_path / "higgs-slice" / "higgs-activity_time.txt"  # real ids, times, self-loops
    higgs.parent.mkdir()
    with gzip.open(shared_dataset("higgs-twitter", "higgs-activity_time.txt.gz"), "rt") as fh:
        higgs.write_text("".join(next(fh) for _ in range(20_000)))
    load_snapshot(gds_store, higgs.parent, progress=False)
    params = AnalysisParams(**WALKS[walk]).validated()
    as_of = gds_store.time_range()[1]
    view = gds_store.graph_view(as_of=as_of, half_life_seconds=params.half_life_seconds)
    local = walk_of(view, params)
    expected = pagerank(local.adjacency, alpha=params.damping, **local.pagerank_arguments(),
                        tol=1e-15, max_iter=10_000).scores
    uid, influence, projected = gds_walk_influence(gds_store, params, as_of=as_of)
    assert sorted(uid.tolist()) == sorted(view.uids.tolist())
    by_uid = dict(zip(uid.tolist(), influence.tolist(), strict=True))
    got = np.array([by_uid[u] for u in view.uids.tolist()])
    assert projected["nodes"] >= view.n_users
    assert _close(expected, got) < 1e-9
    top = np.argsort(-expected, kind="stable")[:100]
    assert np.argsort(-got, kind="stable")[:100].tolist() == top.tolist()
    listed = gds_store._read("CALL gds.graph.list() YIELD graphName RETURN count(*) AS n")
    assert listed[0]["n"] == 0  # the projection was dropped
