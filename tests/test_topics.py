"""Topic signals and topic-specific influence, against independent oracles."""

from __future__ import annotations

import json
import math
from collections import defaultdict

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from graph_influence.algorithms.topics import (
    boost_matrix,
    topic_pagerank,
    topic_pagerank_single,
    topic_transition_weights,
)
from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.cli import app
from graph_influence.loading import load_snapshot
from graph_influence.schema import DEFAULT_INTERACTION_TYPES
from graph_influence.topic_signals import normalize_topic

from .conftest import CLASSIC_WALK, write_snapshot


@pytest.fixture
def store(any_store):
    """This module's store tests run on every backend (the conformance fixture)."""
    return any_store


@pytest.mark.parametrize(("raw", "norm"), [
    ("#Python", "python"), ("  python ", "python"), ("PYTHON", "python"),
    ("#Straße", "strasse"), ("ＣＲＹＰＴＯ", "crypto"), ("#東京", "東京"), ("Ünïcödé", "ünïcödé"),
    ("#1", ""), ("#...", ""), ("#2024", ""), ("#MW3", "mw3"),
])
def test_normalize_topic(raw, norm):
    assert normalize_topic(raw) == norm


def _random_problem(seed: int, n: int = 50, t: int = 5):
    rng = np.random.default_rng(seed)
    g = nx.gnp_random_graph(n, 0.08, seed=seed, directed=True)
    rows, cols = zip(*g.edges, strict=True)
    a = sp.csr_array((rng.uniform(0.2, 3, len(rows)), (rows, cols)), shape=(n, n))
    m = 60
    boost = boost_matrix(n, t, rng.integers(0, n, m), rng.integers(0, n, m),
                         rng.integers(0, t, m), rng.uniform(0.1, 2, m))
    pers = rng.uniform(0, 1, (n, t)) * (rng.uniform(0, 1, (n, t)) > 0.5)
    pers[rng.integers(0, n), :] += 0.3
    return a, boost, pers


@pytest.mark.parametrize("seed", range(4))
def test_block_iteration_equals_networkx_per_topic(seed):
    a, boost, pers = _random_problem(seed)
    n, t = pers.shape
    block = topic_pagerank(a, pers, boost=boost, tol=1e-12, max_iter=2000, dtype=np.float64)
    for k in range(t):
        w = sp.coo_array(topic_transition_weights(a, boost, k, t))
        g = nx.DiGraph()
        g.add_nodes_from(range(n))
        g.add_weighted_edges_from(zip(w.row.tolist(), w.col.tolist(), w.data.tolist(),
                                      strict=True))
        oracle = nx.pagerank(g, personalization=dict(enumerate(pers[:, k])), tol=1e-14,
                             max_iter=10_000)
        got = block.scores[:, k]
        assert max(abs(got[i] - oracle[i]) for i in range(n)) < 1e-9


@pytest.mark.parametrize("seed", range(3))
def test_block_equals_one_topic_at_a_time_and_chunking(seed):
    a, boost, pers = _random_problem(seed)
    block = topic_pagerank(a, pers, boost=boost, tol=1e-10, max_iter=1000, dtype=np.float64)
    single = topic_pagerank_single(a, pers, boost=boost, tol=1e-10, max_iter=1000)
    np.testing.assert_allclose(block.scores, single.scores, atol=1e-12)
    assert block.iterations.tolist() == single.iterations.tolist()
    chunked = topic_pagerank(a, sp.csr_array(pers), boost=boost, tol=1e-10, max_iter=1000,
                             memory_budget_bytes=1, dtype=np.float64)  # one topic per chunk
    np.testing.assert_allclose(chunked.scores, block.scores, atol=1e-14)
    # the default float32 block stays within 1e-6 of float64 (the tolerance)
    fast = topic_pagerank(a, pers, boost=boost, tol=1e-6)
    exact = topic_pagerank(a, pers, boost=boost, tol=1e-6, dtype=np.float64)
    assert np.abs(fast.scores - exact.scores).max() < 1e-6


# -- end to end: signals, affinities, boosts and walks recomputed by hand --------------------
SNAP = {
    "users": "id,topics\nann,Python;#DATA\nbob,python\ncat,cooking\ndan,\neve,data\n",
    "posts": "id,author,ts,text,topics\n"
             "p1,ann,2024-01-01T00:00:00Z,Learning #python and #Data today,\n"
             "p2,cat,2024-01-02T00:00:00Z,Best #cooking tips,cooking\n"
             "p3,bob,2024-01-03T00:00:00Z,no hashtags here,python\n",
    "interactions": "src,dst,type,ts,post_id,topics\n"
                    "bob,ann,retweet,2024-01-05T00:00:00Z,p1,\n"
                    "dan,ann,like,2024-01-06T00:00:00Z,p1,\n"
                    "eve,cat,reply,2024-01-06T00:00:00Z,p2,\n"
                    "dan,cat,mention,2024-01-07T00:00:00Z,,cooking\n"
                    "ann,bob,like,2024-01-08T00:00:00Z,p3,\n"
                    "eve,dan,retweet,2024-01-09T00:00:00Z,,\n",
    "follows": "src,dst\nbob,ann\ncat,ann\neve,ann\ndan,bob\nann,cat\n",
}


def _oracle(params: AnalysisParams):
    """Recompute affinities, topic walks and PageRank from the raw rows above, in plain Python."""
    day = 86400.0
    as_of = 9 * day  # 2024-01-09 relative to 2024-01-01 (only differences matter)
    hl = 30 * day
    ts = {"2024-01-05": 4, "2024-01-06": 5, "2024-01-07": 6, "2024-01-08": 7, "2024-01-09": 8}
    events = []
    for line in SNAP["interactions"].splitlines()[1:]:
        s, d, k, t, post, topics = line.split(",")
        events.append((s, d, k, ts[t[:10]] * day, post, topics))
    post_tags = {"p1": ["python", "data"], "p2": ["cooking"], "p3": ["python"]}
    declared = {"ann": ["python", "data"], "bob": ["python"], "cat": ["cooking"], "eve": ["data"]}
    posted = {"ann": {"python": 1, "data": 1}, "cat": {"cooking": 1}, "bob": {"python": 1}}
    engaged: dict = defaultdict(lambda: defaultdict(int))
    tagged: dict = defaultdict(float)
    users = ["ann", "bob", "cat", "dan", "eve"]
    for s, d, k, t, post, topics in events:
        tags = set(post_tags.get(post, [])) | ({topics} if topics else set())
        decay = 2 ** (-(8 * day - t) / hl)
        for tag in tags:
            engaged[s][tag] += 1
            tagged[(s, d, tag)] += DEFAULT_INTERACTION_TYPES[k] * decay
    counts = defaultdict(set)
    affinity: dict = defaultdict(float)
    for u in users:
        for tag in declared.get(u, []):
            affinity[(u, tag)] += 1.0
        for tag, c in posted.get(u, {}).items():
            affinity[(u, tag)] += math.log1p(c)
        for tag, c in engaged.get(u, {}).items():
            affinity[(u, tag)] += 0.5 * math.log1p(c)
    for (u, tag), v in affinity.items():
        if v > 0:
            counts[tag].add(u)
    topics = sorted((t for t in counts if len(counts[t]) >= params.min_topic_users),
                    key=lambda t: (-len(counts[t]), t))
    # the attention graph, as in test_analysis
    base: dict = defaultdict(float)
    for s, d, k, t, _, _ in events:
        base[(s, d)] += DEFAULT_INTERACTION_TYPES[k] * 2 ** (-(8 * day - t) / hl)
    weights = {pair: math.log1p(x) for pair, x in base.items()}
    for line in SNAP["follows"].splitlines()[1:]:
        s, d = line.split(",")
        weights[(s, d)] = weights.get((s, d), 0.0) + 1.0
    out = {}
    for topic in topics:
        g = nx.DiGraph()
        g.add_nodes_from(users)
        for (s, d), w in weights.items():
            g.add_edge(s, d, weight=w)
        for (s, d, tag), x in tagged.items():
            if tag == topic and s != d:
                g[s][d]["weight"] += params.topic_boost * math.log1p(x)
        pers = {u: affinity.get((u, topic), 0.0) for u in users}
        out[topic] = nx.pagerank(g, personalization=pers, tol=1e-14, max_iter=10_000)
    return topics, out, as_of


def test_topic_influence_end_to_end_equals_hand_computation(store, tmp_path):
    load_snapshot(store, write_snapshot(tmp_path / "s", **SNAP), progress=False)
    params = AnalysisParams(min_topic_users=2, topic_boost=1.5, tol=1e-13, max_iter=1000,
                            communities=False, topic_rank="all", **CLASSIC_WALK)
    result = analyze(store, params, progress=False)
    topics, oracle, _ = _oracle(params)
    assert result.topics.names == topics
    for k, topic in enumerate(result.topics.names):
        got = dict(zip(result.ids, result.topics.influence[:, k], strict=True))
        for user, value in oracle[topic].items():  # tol 1e-13 runs the block in float64
            assert got[user] == pytest.approx(value, abs=1e-9), (topic, user)
        assert result.topics.influence[:, k].sum() == pytest.approx(1.0)
    # each topic has its own 0-100 scale and ranking
    top = store.top_topic("cooking", 2)
    assert top["id"].tolist()[0] == max(oracle["cooking"], key=oracle["cooking"].get)
    assert set(top.columns) >= {"rank", "id", "score", "topic_influence", "influence",
                                "score_overall"}


@pytest.mark.parametrize("mode", ["affinity", "lift"])
def test_topic_leaderboards_put_users_with_an_affinity_first(store, tmp_path, mode):
    """A generic topic no longer repeats the overall leaderboard: the users who post about,
    engage with or declare the topic come first (issue 14)."""
    load_snapshot(store, write_snapshot(tmp_path / "s", **SNAP), progress=False)
    params = AnalysisParams(min_topic_users=2, topic_boost=1.5, tol=1e-13, max_iter=1000,
                            communities=False, topic_rank=mode, **CLASSIC_WALK)
    result = analyze(store, params, progress=False)
    topics, oracle, _ = _oracle(params)
    for k, topic in enumerate(result.topics.names):
        has = result.topics.affinity.toarray()[:, k] > 0
        ids = np.asarray(result.ids)
        top = store.top_topic(topic, len(ids))["id"].tolist()
        assert set(top[:has.sum()]) == set(ids[has]), (topic, top)
        if mode == "affinity":  # among them, by the topic walk (networkx oracle)
            walk = [u for u in sorted(oracle[topic], key=lambda u: -oracle[topic][u])
                    if u in set(ids[has])]
            assert top[:has.sum()] == walk
        else:  # by topic influence / overall influence
            overall = dict(zip(result.scores["id"], result.scores["influence"], strict=True))
            lift = {u: oracle[topic][u] / overall[u] for u in ids[has]}
            assert top[:has.sum()] == sorted(lift, key=lambda u: -lift[u])


def test_min_users_and_max_topics(store, tmp_path):
    load_snapshot(store, write_snapshot(tmp_path / "s", **SNAP), progress=False)
    r = analyze(store, AnalysisParams(min_topic_users=3, communities=False), progress=False)
    assert all(u >= 3 for u in r.topics.users)
    r = analyze(store, AnalysisParams(min_topic_users=1, max_topics=1, communities=False),
                progress=False)
    assert r.topics.n_topics == 1
    r = analyze(store, AnalysisParams(topics=False, communities=False), progress=False)
    assert r.topics is None


def test_cli_top_topic_topics_and_unknown_topic(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "t.duckdb")
    assert runner.invoke(app, ["load", str(write_snapshot(tmp_path / "s", **SNAP)),
                               "--store", store]).exit_code == 0
    result = runner.invoke(app, ["analyze", "--store", store, "--min-topic-users", "2",
                                 "--no-communities"])
    assert result.exit_code == 0, result.output
    rows = json.loads(runner.invoke(app, ["top", "--store", store, "--topic", "#Python",
                                          "--format", "json"]).stdout)
    assert {"rank", "id", "score", "topic_influence", "influence", "score_overall"} <= set(rows[0])
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    assert 0 <= rows[0]["score"] <= 100
    listing = json.loads(runner.invoke(app, ["topics", "--store", store, "--format",
                                             "json"]).stdout)
    assert {t["topic"] for t in listing} >= {"python", "data"}
    assert all(len(t["top_influencers"]) <= 3 for t in listing)
    bad = runner.invoke(app, ["top", "--store", store, "--topic", "pyton"])
    assert bad.exit_code == 1
    assert "closest known topics: python" in bad.stderr


@pytest.mark.parametrize("exponent", [-130, -150, -1031])
def test_topic_block_with_tiny_weights_equals_networkx(exponent):
    """A lone tagged interaction 128+ half-lives old: float32's reciprocal overflowed (nan).
    Every topic walk normalises a user's row, so tiny rows walk like rows of weight 1."""
    tiny = 2.0**exponent
    n, topics = 4, 2
    a = sp.csr_array(([tiny, 1.0, 0.5], ([0, 1, 2], [1, 2, 1])), shape=(n, n))
    boost = boost_matrix(n, topics, np.array([0, 2]), np.array([1, 3]), np.array([0, 1]),
                         np.array([tiny, 2.0]))
    pers = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 1.0]])
    block = topic_pagerank(a, pers, boost=boost, tol=1e-12, max_iter=10_000,
                           dtype=np.float64)
    fast = topic_pagerank(a, pers, boost=boost, tol=1e-6, max_iter=10_000)  # float32
    for t in range(topics):
        w = topic_transition_weights(a, boost, t, topics).toarray()
        w = w / np.where(w.sum(axis=1, keepdims=True) > 0, w.sum(axis=1, keepdims=True), 1)
        g = nx.DiGraph()
        g.add_nodes_from(range(n))
        g.add_weighted_edges_from((u, v, w[u, v]) for u in range(n) for v in range(n)
                                  if w[u, v] > 0)
        p = {u: pers[u, t] for u in range(n)}
        oracle = nx.pagerank(g, personalization=p, tol=1e-14, max_iter=10_000)
        expected = np.array([oracle[u] for u in range(n)])
        np.testing.assert_allclose(block.scores[:, t], expected, atol=1e-10)
        np.testing.assert_allclose(fast.scores[:, t], expected, atol=1e-5)
