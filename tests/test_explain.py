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

from .conftest import write_snapshot


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


def test_contributions_equal_a_hand_computation(store, tmp_path):
    # b follows a; c retweeted a twice (decay off); a follows c; d is only followed by c.
    d = write_snapshot(tmp_path / "s",
                       follows="src,dst\nb,a\na,c\nc,d\n",
                       interactions="src,dst,type\nc,a,retweet\nc,a,retweet\nb,a,like\n")
    load_snapshot(store, d, progress=False)
    analyze(store, AnalysisParams(half_life="none", communities=False, topics=False),
            progress=False)
    w = {("b", "a"): 1.0 + math.log1p(0.25), ("a", "c"): 1.0, ("c", "d"): 1.0,
         ("c", "a"): math.log1p(2.0)}
    g = nx.DiGraph()
    g.add_weighted_edges_from((s, t, x) for (s, t), x in w.items())
    r = nx.pagerank(g, tol=1e-15, max_iter=10_000)
    out = {u: sum(x for (s, _), x in w.items() if s == u) for u in "abcd"}
    e = explain_user(store, "a", n=10)
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


def test_unknown_user_and_stale_run(store, snapshot_dir, tmp_path):
    load_snapshot(store, snapshot_dir, progress=False)
    analyze(store, progress=False)
    with pytest.raises(StoreNotReadyError, match="did you mean: alice"):
        explain_user(store, "alicee")
    load_snapshot(store, write_snapshot(tmp_path / "more", follows="src,dst\nx,y\n"),
                  progress=False)
    with pytest.raises(StoreNotReadyError, match="analyze again"):
        explain_user(store, "alice")


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
