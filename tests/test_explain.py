"""explain: the exact decomposition of a user's influence, on both stores."""

from __future__ import annotations

import json
import math

import networkx as nx
import pytest
from typer.testing import CliRunner

from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.cli import app
from graph_influence.errors import StoreNotReadyError
from graph_influence.explain import explain_user
from graph_influence.loading import load_snapshot

from .conftest import CLASSIC_WALK, write_snapshot


def test_parts_add_up_for_every_user(any_store, snapshot_dir):
    load_snapshot(any_store, snapshot_dir, progress=False)
    analyze(any_store, progress=False)
    for user in any_store.scores()["id"]:
        e = explain_user(any_store, user, n=100)
        assert e["teleport"] + sum(e["by_kind"].values()) == pytest.approx(
            e["influence"], abs=1e-9)
        assert e["teleport"] + sum(c["contribution"] for c in e["contributors"]) == (
            pytest.approx(e["influence"], abs=1e-9))
        assert e["influence"] == pytest.approx(e["stored_influence"], abs=1e-6)
        shares = [c["contribution"] for c in e["contributors"]]
        assert shares == sorted(shares, reverse=True)


def test_contributions_equal_a_hand_computation(any_store, tmp_path):
    # b follows a; c retweeted a twice (decay off); a follows c; d is only followed by c.
    d = write_snapshot(tmp_path / "s",
                       follows="src,dst\nb,a\na,c\nc,d\n",
                       interactions="src,dst,type\nc,a,retweet\nc,a,retweet\nb,a,like\n")
    load_snapshot(any_store, d, progress=False)
    analyze(any_store, AnalysisParams(half_life="none", communities=False, topics=False,
                                      **CLASSIC_WALK), progress=False)
    w = {("b", "a"): 1.0 + math.log1p(0.25), ("a", "c"): 1.0, ("c", "d"): 1.0,
         ("c", "a"): math.log1p(2.0)}
    g = nx.DiGraph()
    g.add_weighted_edges_from((s, t, x) for (s, t), x in w.items())
    r = nx.pagerank(g, tol=1e-15, max_iter=10_000)
    out = {u: sum(x for (s, _), x in w.items() if s == u) for u in "abcd"}
    e = explain_user(any_store, "a", n=10)
    got = {c["id"]: c for c in e["contributors"]}
    for u in ("b", "c"):
        assert got[u]["contribution"] == pytest.approx(0.85 * r[u] * w[(u, "a")] / out[u],
                                                       abs=1e-12)
    # b's edge: follow 1 of its 1 + log1p(0.25); the like is the rest
    follow_share = 0.85 * r["b"] * 1.0 / out["b"]
    assert e["by_kind"]["follow"] == pytest.approx(follow_share, abs=1e-12)
    assert e["by_kind"]["retweet"] == pytest.approx(got["c"]["contribution"], abs=1e-12)
    assert e["teleport"] == pytest.approx(0.15 / 4 + 0.85 * r["d"] / 4, abs=1e-12)
    assert got["b"]["kinds"] == ["follow", "like"]


def test_unknown_user_and_an_older_run_after_later_loads(any_store, snapshot_dir, tmp_path):
    load_snapshot(any_store, snapshot_dir, progress=False)
    analyze(any_store, AnalysisParams(min_topic_users=1), progress=False)
    with pytest.raises(StoreNotReadyError, match="did you mean: alice"):
        explain_user(any_store, "alicee")
    before = {u: explain_user(any_store, u, n=10) for u in ("alice", "bob")}
    # later loads add users, follows, events (some of alice's) and topics: run 1 is explained
    # on its own graph all the same
    load_snapshot(any_store, write_snapshot(
        tmp_path / "more", follows="src,dst\nx,alice\nx,y\n",
        interactions="src,dst,type,ts,topics\ny,alice,retweet,2024-01-06T00:00:00Z,python\n"
                     "bob,alice,retweet,2024-01-02T00:00:00Z,python\n"),
        progress=False)
    for user, expected in before.items():
        assert explain_user(any_store, user, n=10, run_id=1) == expected
    with pytest.raises(StoreNotReadyError, match="no user 'x'"):
        explain_user(any_store, "x", run_id=1)  # loaded after the run
    second = analyze(any_store, AnalysisParams(min_topic_users=1), progress=False)
    now = explain_user(any_store, "alice", n=10)
    assert now["run_id"] == second.run_id and now["influence"] != before["alice"]["influence"]
    older = explain_user(any_store, "alice", n=10, run_id=1)
    if not any_store.capabilities.results_of_every_run:  # run 1's are not kept any more
        assert (older["community"], older["topic_scores"]) == (None, {})
        older = {**older, **{k: before["alice"][k] for k in ("community", "topic_scores")}}
    assert older == before["alice"]


def test_cli_explain_json(tmp_path, snapshot_dir):
    runner = CliRunner()
    store = str(tmp_path / "e.duckdb")
    assert runner.invoke(app, ["load", str(snapshot_dir), "--store", store]).exit_code == 0
    assert runner.invoke(app, ["analyze", "--store", store]).exit_code == 0
    result = runner.invoke(app, ["explain", "alice", "--store", store, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"influence", "teleport", "by_kind", "by_topic", "contributors"} <= set(data)
    assert data["teleport"] + sum(data["by_kind"].values()) == pytest.approx(
        data["influence"], abs=1e-9)
    table = runner.invoke(app, ["explain", "alice", "--store", store])
    assert "top contributors" in table.stdout
    bad = runner.invoke(app, ["explain", "nobody", "--store", store])
    assert bad.exit_code == 1 and "no user 'nobody'" in bad.stderr
    # after a later load: the run is still explained, and stderr says it predates the load
    more = write_snapshot(tmp_path / "more", follows="src,dst\nx,alice\n")
    assert runner.invoke(app, ["load", str(more), "--store", store]).exit_code == 0
    later = runner.invoke(app, ["explain", "alice", "--store", store, "--format", "json"])
    assert later.exit_code == 0, later.output
    assert json.loads(later.stdout) == data
    notes = [line for line in later.stderr.splitlines() if line]
    assert len(notes) == 1 and notes[0].startswith("note: run 1 predates load "), notes


def test_by_topic_splits_the_interaction_part(any_store, tmp_path):
    d = write_snapshot(tmp_path / "t",
                       follows="src,dst\nb,a\n",
                       interactions="src,dst,type,topics\nc,a,retweet,cooking\nc,a,retweet,\n"
                                    "b,a,like,\nd,a,reply,cooking;wine\n")
    load_snapshot(any_store, d, progress=False)
    analyze(any_store, AnalysisParams(half_life="none", min_topic_users=1, communities=False),
            progress=False)
    e = explain_user(any_store, "a", n=10)
    interaction = sum(v for k, v in e["by_kind"].items() if k != "follow")
    assert sum(e["by_topic"].values()) == pytest.approx(interaction, abs=1e-12)
    got = {c["id"]: c for c in e["contributors"]}
    # c: half of its retweet sum is tagged cooking; d: its reply carries two topics (split)
    b_like = got["b"]["contribution"] - e["by_kind"]["follow"]
    assert e["by_topic"]["cooking"] == pytest.approx(
        0.5 * got["c"]["contribution"] + 0.5 * got["d"]["contribution"], abs=1e-12)
    assert e["by_topic"]["wine"] == pytest.approx(0.5 * got["d"]["contribution"], abs=1e-12)
    assert e["by_topic"]["(untagged)"] == pytest.approx(
        0.5 * got["c"]["contribution"] + b_like, abs=1e-12)


def test_explain_topic_standing(store, tmp_path):
    from .test_topics import SNAP

    load_snapshot(store, write_snapshot(tmp_path / "s", **SNAP), progress=False)
    analyze(store, AnalysisParams(min_topic_users=2), progress=False)
    e = explain_user(store, "cat", topic="#Cooking")
    board = store.top_topic("cooking", 10)
    mine = board.loc[board["id"] == "cat"].iloc[0]
    assert e["topic"]["name"] == "cooking"
    assert e["topic"]["rank"] == mine["rank"] and e["topic"]["score"] == mine["score"]
    assert e["topic_scores"]["cooking"] == pytest.approx(mine["score"])
    with pytest.raises(StoreNotReadyError, match="closest known topics"):
        explain_user(store, "cat", topic="cookin")
    store.close()  # the CLI opens the file read-only
    result = CliRunner().invoke(app, ["explain", "cat", "--store", str(store.path),
                                      "--topic", "cooking"])
    assert result.exit_code == 0, result.output
    assert "topic cooking: score" in result.stdout


# -- the pure decomposition (graph_influence.algorithms.explain) ---------------------------------
def _random_graph(seed, n=12, p=0.25, dangling=(3, 7)):
    """A small weighted digraph as (networkx graph, CSR adjacency); ``dangling`` have no out-edges."""
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for u in range(n):
        for v in range(n):
            if u != v and u not in dangling and rng.random() < p:
                g.add_edge(u, v, weight=float(rng.uniform(0.1, 3.0)))
    a = sp.csr_array(nx.to_scipy_sparse_array(g, nodelist=range(n), weight="weight"))
    return g, a


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("alpha", [0.85, 0.5])
def test_decomposition_is_the_pagerank_fixed_point_identity(seed, alpha):
    import numpy as np

    from graph_influence.algorithms.explain import decompose_influence

    g, a = _random_graph(seed)
    n = g.number_of_nodes()
    ranks = nx.pagerank(g, alpha=alpha, tol=1e-15, max_iter=10_000, weight="weight")
    x = np.array([ranks[v] for v in range(n)])
    out = {u: sum(d["weight"] for _, _, d in g.out_edges(u, data=True)) for u in range(n)}
    dangling_mass = sum(x[u] for u in range(n) if out[u] == 0)
    for v in range(n):
        e = decompose_influence(a, x, v, alpha=alpha)
        assert e.teleport == pytest.approx((1 - alpha) / n + alpha * dangling_mass / n, abs=1e-15)
        expected = {u: alpha * x[u] * d["weight"] / out[u] for u, _, d in g.in_edges(v, data=True)}
        assert e.sources.tolist() == sorted(expected)
        assert e.contributions.tolist() == pytest.approx([expected[u] for u in sorted(expected)],
                                                         abs=1e-15)
        assert e.teleport + e.contributions.sum() == pytest.approx(x[v], abs=1e-13)
        assert abs(e.residual) < 1e-13 and e.influence == x[v]
        # no kind arrays: no split by kind
        assert e.by_type.shape == (len(expected), 0) and not e.follow.any()


def test_polish_pagerank_reaches_networkx():
    import numpy as np

    from graph_influence.algorithms.explain import decompose_influence, polish_pagerank

    g, a = _random_graph(5)
    n = g.number_of_nodes()
    ranks = nx.pagerank(g, tol=1e-15, max_iter=10_000, weight="weight")
    oracle = np.array([ranks[v] for v in range(n)])
    rough = oracle + np.random.default_rng(1).uniform(0, 1e-3, n)  # a stale, unnormalised start
    r = polish_pagerank(a, rough)
    assert r.converged and r.scores.sum() == pytest.approx(1.0, abs=1e-15)
    assert r.scores == pytest.approx(oracle, abs=1e-12)
    for v in range(n):
        assert abs(decompose_influence(a, r.scores, v).residual) < 1e-13  # the L1 tol


def _attention_arrays(seed, n=15):
    import numpy as np

    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, n, size=(40, 2))
    follows = np.unique(pairs[pairs[:, 0] != pairs[:, 1]], axis=0)
    m = 60
    return {
        "follow_src": follows[:, 0], "follow_dst": follows[:, 1],
        "inter_src": rng.integers(0, n, m), "inter_dst": rng.integers(0, n, m),
        "inter_type": rng.integers(0, 3, m), "inter_decayed": rng.uniform(0.0, 4.0, m),
        "type_names": ["retweet", "like", "reply"],
        "type_weights": {"retweet": 2.0, "like": 0.5},  # reply: 1.0
    }


@pytest.mark.parametrize("concave", ["log1p", "sqrt", "linear"])
@pytest.mark.parametrize("follow_weight", [1.0, 0.3, 0.0])
def test_parts_by_kind_sum_to_each_contribution(concave, follow_weight):
    import numpy as np

    from graph_influence.algorithms.attention import CONCAVE_TRANSFORMS, attention_matrix
    from graph_influence.algorithms.explain import decompose_influence

    n = 15
    graph = _attention_arrays(7, n) | {"follow_weight": follow_weight, "concave": concave}
    a = attention_matrix(n, **graph)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    coo = a.tocoo()
    g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(),
                                  strict=True))
    ranks = nx.pagerank(g, tol=1e-15, max_iter=10_000)
    x = np.array([ranks[v] for v in range(n)])
    out = np.asarray(a.sum(axis=1)).ravel()
    tw = [2.0, 0.5, 1.0]
    for v in range(n):
        e = decompose_influence(a, x, v, **graph)
        assert e.follow + e.by_type.sum(axis=1) == pytest.approx(e.contributions, abs=1e-15)
        for i, u in enumerate(e.sources.tolist()):
            # the oracle: pre-transform sums per type by a direct loop over the aggregates
            s = [0.0, 0.0, 0.0]
            for src, dst, t, val in zip(graph["inter_src"], graph["inter_dst"],
                                        graph["inter_type"], graph["inter_decayed"], strict=True):
                if src == u and dst == v:
                    s[t] += tw[t] * val
            follows = any(fs == u and fd == v for fs, fd in zip(graph["follow_src"],
                                                                 graph["follow_dst"], strict=True))
            share = 0.85 * x[u] / out[u]
            assert e.follow[i] == pytest.approx(share * follow_weight * follows, abs=1e-15)
            g_s = float(CONCAVE_TRANSFORMS[concave](sum(s)))
            for t in range(3):
                expected = share * g_s * s[t] / sum(s) if sum(s) else 0.0
                assert e.by_type[i, t] == pytest.approx(expected, abs=1e-15)
            assert e.interaction_sums[i].tolist() == pytest.approx(s, abs=1e-12)


def test_split_by_type_is_proportional_to_pre_transform_sums():
    import numpy as np
    import scipy.sparse as sp

    from graph_influence.algorithms.explain import decompose_influence

    # 0 follows 1, retweeted it (decayed sum 2, weight 1) and liked it (decayed 2, weight 0.5):
    # S = 2 + 1 = 3, w(0, 1) = 1 + log1p(3); 1 -> 2 and 2 -> 0 make a cycle.
    w01 = 1.0 + math.log1p(3.0)
    a = sp.csr_array(np.array([[0, w01, 0], [0, 0, 1.0], [1.0, 0, 0]]))
    g = nx.DiGraph()
    g.add_weighted_edges_from([(0, 1, w01), (1, 2, 1.0), (2, 0, 1.0)])
    r = nx.pagerank(g, alpha=0.9, tol=1e-15, max_iter=10_000)
    x = np.array([r[0], r[1], r[2]])
    e = decompose_influence(
        a, x, 1, alpha=0.9, follow_src=np.array([0]), follow_dst=np.array([1]),
        inter_src=np.array([0, 0]), inter_dst=np.array([1, 1]), inter_type=np.array([1, 0]),
        inter_decayed=np.array([2.0, 2.0]), type_names=["like", "retweet"],
        type_weights={"like": 0.5})
    c = 0.9 * r[0]  # all of 0's out-weight goes to 1
    assert e.contributions[0] == pytest.approx(c, abs=1e-15)
    assert e.follow[0] == pytest.approx(c / w01, abs=1e-15)
    g3 = math.log1p(3.0)
    assert e.by_type[0].tolist() == pytest.approx([c * g3 / w01 / 3, c * g3 / w01 * 2 / 3],
                                                  abs=1e-15)
    assert e.interaction_sums[0].tolist() == [1.0, 2.0]
    assert e.teleport == pytest.approx(0.1 / 3, abs=1e-15)


def test_split_by_topic_by_hand():
    import numpy as np
    import scipy.sparse as sp

    from graph_influence.algorithms.explain import decompose_influence, split_by_topic

    # into node 0: 1 retweeted it (sum 4), 2 replied (sum 1) with an event tagged with both topics
    a = sp.csr_array(np.array([[0, 1.0, 1.0], [4.0, 0, 0], [1.0, 0, 0]]))
    x = np.array([0.5, 0.25, 0.25])
    e = decompose_influence(a, x, 0, alpha=0.8, inter_src=np.array([1, 2]),
                            inter_dst=np.array([0, 0]), inter_type=np.array([0, 1]),
                            inter_decayed=np.array([4.0, 1.0]), type_names=["retweet", "reply"],
                            concave="linear")
    c1, c2 = 0.8 * 0.25, 0.8 * 0.25
    parts = split_by_topic(
        e, tag_src=np.array([1, 2, 2, 0, 1]), tag_dst=np.array([0, 0, 0, 0, 2]),
        tag_topic=np.array([0, 0, 1, 1, 1]), tag_decayed=np.array([1.0, 1.0, 1.0, 9.0, 9.0]),
        n_topics=3)
    # 1: a quarter of its sum is tagged topic 0; 2: its one event carries two topics (halves);
    # self-tags (0 -> 0) and tags on other nodes' edges (1 -> 2) do not count
    assert parts.tolist() == pytest.approx([c1 / 4 + c2 / 2, c2 / 2, 0.0], abs=1e-15)
    assert e.interaction.sum() - parts.sum() == pytest.approx(3 * c1 / 4, abs=1e-15)
    empty = split_by_topic(e, tag_src=np.array([], dtype=int), tag_dst=np.array([], dtype=int),
                           tag_topic=np.array([], dtype=int), tag_decayed=np.array([]),
                           n_topics=2)
    assert empty.tolist() == [0.0, 0.0]


def test_algorithm_argument_errors():
    import numpy as np
    import scipy.sparse as sp

    from graph_influence.algorithms.explain import (
        decompose_influence,
        polish_pagerank,
        split_by_topic,
    )

    a = sp.csr_array(np.array([[0, 1.0, 0], [0, 0, 1.0], [1.0, 0, 0]]))
    x = np.full(3, 1 / 3)
    cases = [
        (dict(alpha=1.0), "alpha"), (dict(alpha=-0.1), "alpha"),
        (dict(concave="cube"), "concave"), (dict(follow_weight=-1.0), "follow_weight"),
        (dict(follow_src=np.array([0])), "follow_src and follow_dst"),
        (dict(follow_src=np.array([0, 1]), follow_dst=np.array([1])), "follow_dst"),
        (dict(inter_src=np.array([0])), "inter_src, inter_dst"),
        (dict(inter_src=[0], inter_dst=[1], inter_type=[2], inter_decayed=[1.0],
              type_names=["like"]), "inter_type"),
        (dict(inter_src=[0], inter_dst=[1], inter_type=[0], inter_decayed=[-1.0],
              type_names=["like"]), "inter_decayed"),
        (dict(type_names=["like"], type_weights={"like": -1.0}), "type_weights"),
        # the arrays do not describe this adjacency (0 -> 1 has weight 1, not log1p(1))
        (dict(inter_src=[0], inter_dst=[1], inter_type=[0], inter_decayed=[1.0],
              type_names=["like"]), "adjacency does not match"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            decompose_influence(a, x, 1, **kwargs)
    with pytest.raises(ValueError, match="node"):
        decompose_influence(a, x, 3)
    with pytest.raises(ValueError, match="node"):
        decompose_influence(a, x, 1.5)
    with pytest.raises(ValueError, match="influence"):
        decompose_influence(a, x[:2], 0)
    with pytest.raises(ValueError, match="influence"):
        decompose_influence(a, -x, 0)
    with pytest.raises(ValueError, match="adjacency"):
        decompose_influence(sp.csr_array(np.ones((2, 3))), x, 0)
    with pytest.raises(ValueError, match="adjacency"):
        decompose_influence(-a, x, 0)
    with pytest.raises(ValueError, match="influence"):
        polish_pagerank(a, np.zeros(3))
    with pytest.raises(ValueError, match="alpha"):
        polish_pagerank(a, x, alpha=1.5)
    e = decompose_influence(a, x, 1)
    tags = dict(tag_src=[0], tag_dst=[1], tag_topic=[0], tag_decayed=[1.0])
    with pytest.raises(ValueError, match="tag_topic"):
        split_by_topic(e, **tags, n_topics=0)
    with pytest.raises(ValueError, match="n_topics"):
        split_by_topic(e, **tags, n_topics=-1)
    with pytest.raises(ValueError, match="tag_decayed"):
        split_by_topic(e, **(tags | {"tag_decayed": [1.0, 2.0]}), n_topics=1)
    with pytest.raises(ValueError, match="decomposition"):
        split_by_topic({"sources": []}, **tags, n_topics=1)


def test_algorithm_examples_run():
    import doctest

    import graph_influence.algorithms.explain as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
