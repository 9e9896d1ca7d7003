"""End to end through the store: influence equals an independent networkx computation."""

from __future__ import annotations

import math
from datetime import datetime

import networkx as nx
import numpy as np
import pytest

from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.errors import GraphInfluenceError, PowerIterationFailedConvergence
from graph_influence.loading import load_snapshot

from .conftest import CLASSIC_WALK, write_snapshot


@pytest.fixture
def store(any_store):
    """This module's store tests run on every backend (the conformance fixture)."""
    return any_store


def _follows_csv(g: nx.DiGraph) -> str:
    return "src,dst\n" + "".join(f"n{u},n{v}\n" for u, v in g.edges)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_follows_only_equals_networkx_pagerank(store, tmp_path, seed):
    g = nx.gnp_random_graph(120, 0.04, seed=seed, directed=True)
    g.remove_nodes_from([v for v in list(g) if g.degree(v) == 0])  # every user is in an edge
    load_snapshot(store, write_snapshot(tmp_path / "s", follows=_follows_csv(g)), progress=False)
    result = analyze(store, AnalysisParams(tol=1e-12, max_iter=1000, **CLASSIC_WALK),
                     progress=False)
    oracle = nx.pagerank(g, alpha=0.85, tol=1e-14, max_iter=10_000)
    got = dict(zip(result.scores["id"], result.scores["influence"], strict=True))
    assert len(got) == g.number_of_nodes()
    worst = max(abs(got[f"n{v}"] - p) for v, p in oracle.items())
    assert worst < 1e-6
    assert result.scores["influence"].sum() == pytest.approx(1.0, abs=1e-12)
    assert result.run.converged


def test_default_parameters_are_within_1e6_of_networkx(store, tmp_path):
    g = nx.DiGraph(nx.scale_free_graph(500, seed=7))
    g.remove_edges_from(nx.selfloop_edges(g))
    g.remove_nodes_from([v for v in list(g) if g.degree(v) == 0])
    load_snapshot(store, write_snapshot(tmp_path / "s", follows=_follows_csv(g)), progress=False)
    result = analyze(store, progress=False)  # damping 0.85, tol 1e-6, max_iter 100
    # the defaults' walk on follows only: every user also gives the ground weight (30) to
    # everyone; no interactions, so the trust teleport is uniform. Its fixed point, solved
    # densely: x = d P^T x + (d leak.x + 1 - d) / n, P[u, v] = [u follows v] / (out(u) + 30)
    nodes = sorted(g, key=lambda v: f"n{v}")
    a = nx.to_numpy_array(g, nodelist=nodes, weight=None)
    total = a.sum(axis=1) + 30.0
    p, leak = a / total[:, None], 30.0 / total
    n = len(nodes)
    x = np.linalg.solve(np.eye(n) - 0.85 * p.T - 0.85 * np.outer(np.full(n, 1 / n), leak),
                        np.full(n, 0.15 / n))
    got = dict(zip(result.scores["id"], result.scores["influence"], strict=True))
    assert max(abs(got[f"n{v}"] - x[i] / x.sum()) for i, v in enumerate(nodes)) < 1e-6
    classic = analyze(store, AnalysisParams(**CLASSIC_WALK), progress=False)
    oracle = nx.pagerank(g, tol=1e-14, max_iter=10_000)
    got = dict(zip(classic.scores["id"], classic.scores["influence"], strict=True))
    assert max(abs(got[f"n{v}"] - p) for v, p in oracle.items()) < 1e-6


def test_weighted_interactions_follow_the_documented_formula(store, tmp_path):
    # The attention weights are recomputed here event by event (a plain Python oracle), then
    # networkx runs PageRank on that weighted graph.
    day = 86400
    events = [  # src, dst, type, ts (days), weight
        ("a", "b", "retweet", 30, 1), ("a", "b", "retweet", 29, 1), ("a", "b", "like", 20, 2),
        ("c", "b", "reply", 10, 1), ("c", "a", "mention", 30, 1), ("d", "a", "quote", 25, 1),
        ("b", "c", "like", 30, 1), ("e", "e", "retweet", 30, 1), ("a", "c", "retweet", 31, 1),
    ]
    follows = [("d", "b"), ("e", "a"), ("b", "a"), ("c", "b")]
    text = "src,dst,type,ts,weight\n" + "".join(
        f"{s},{t},{k},{ts * day},{w}\n" for s, t, k, ts, w in events)
    d = write_snapshot(tmp_path / "s", interactions=text,
                       follows="src,dst\n" + "".join(f"{s},{t}\n" for s, t in follows))
    load_snapshot(store, d, progress=False)
    weights = {"retweet": 2.0, "quote": 1.5, "reply": 1.0, "mention": 0.5, "like": 0.25}
    params = AnalysisParams(half_life="7d", as_of=str(30 * day), type_weights=weights,
                            follow_weight=0.8, tol=1e-13, max_iter=1000, **CLASSIC_WALK)
    result = analyze(store, params, progress=False)

    as_of, half_life = 30 * day, 7 * day
    summed: dict[tuple[str, str], float] = {}
    for s, t, k, ts, w in events:
        if s == t or ts * day > as_of:
            continue  # self-loops never count; events after as_of have not happened yet
        decay = 2 ** (-(as_of - ts * day) / half_life)
        summed[(s, t)] = summed.get((s, t), 0.0) + weights[k] * w * decay
    g = nx.DiGraph()
    g.add_nodes_from("abcde")
    for (s, t), x in summed.items():
        g.add_edge(s, t, weight=math.log1p(x))
    for s, t in follows:
        prior = g[s][t]["weight"] if g.has_edge(s, t) else 0.0
        g.add_edge(s, t, weight=prior + 0.8)
    oracle = nx.pagerank(g, weight="weight", tol=1e-14, max_iter=10_000)
    got = dict(zip(result.scores["id"], result.scores["influence"], strict=True))
    for v in "abcde":
        assert got[v] == pytest.approx(oracle[v], abs=1e-9)
    assert result.run.as_of == datetime(1970, 1, 31)


def test_as_of_defaults_to_newest_timestamp_and_filters_future(store, tmp_path):
    d = write_snapshot(tmp_path / "s", interactions=(
        "src,dst,type,ts\na,b,retweet,2024-01-01\nc,d,retweet,2024-02-01\n"))
    load_snapshot(store, d, progress=False)
    latest = analyze(store, progress=False)
    assert latest.run.as_of == datetime(2024, 2, 1)
    early = analyze(store, AnalysisParams(as_of="2024-01-15"), progress=False)
    scores = dict(zip(early.scores["id"], early.scores["influence"], strict=True))
    assert scores["c"] == scores["d"], "the February retweet has not happened by mid-January"
    assert scores["b"] > scores["a"]


def test_scores_ranks_and_run_history(store, snapshot_dir):
    load_snapshot(store, snapshot_dir, progress=False)
    first = analyze(store, progress=False)
    second = analyze(store, AnalysisParams(scale="percentile", half_life="none"), progress=False)
    assert [r.run_id for r in store.runs()] == [first.run_id, second.run_id]
    assert store.runs()[1].params["half_life"] == "none"
    top = store.top(2)
    assert list(top.columns) == ["rank", "id", "score", "influence", "name"]
    assert top["rank"].tolist() == [1, 2]
    frame = second.scores
    assert frame["score"].max() == 100.0 and frame["score"].min() == 0.0
    assert (np.diff(frame["influence"].to_numpy()) <= 0).all(), "ordered by influence"
    assert store.top(10, run_id=first.run_id)["id"].tolist() == first.top(10)["id"].tolist()


def test_same_snapshot_gives_same_scores(tmp_path, snapshot_dir):
    from graph_influence.stores import open_store

    outs = []
    for name in ("one", "two"):
        with open_store(tmp_path / f"{name}.duckdb") as st:
            load_snapshot(st, snapshot_dir, progress=False)
            outs.append(analyze(st, progress=False).scores)
    assert outs[0].equals(outs[1])


def test_non_convergence_is_a_named_error(store, snapshot_dir):
    load_snapshot(store, snapshot_dir, progress=False)
    with pytest.raises(PowerIterationFailedConvergence):
        analyze(store, AnalysisParams(max_iter=1, tol=1e-15), progress=False)
    assert store.runs() == [], "a failed analysis stores nothing"


@pytest.mark.parametrize("params", [
    {"damping": 1.0}, {"tol": 0.0}, {"max_iter": 0}, {"follow_weight": -1},
    {"type_weights": {"like": -2}}, {"half_life": "soon"}, {"as_of": "someday"},
    {"scale": "zscore"}, {"concave": "cube"},
])
def test_bad_parameters_name_the_option(store, snapshot_dir, params):
    load_snapshot(store, snapshot_dir, progress=False)
    with pytest.raises(GraphInfluenceError):
        analyze(store, AnalysisParams(**params), progress=False)
