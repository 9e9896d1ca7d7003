"""The backtest (issue 14): split a snapshot's events at T, score the past, predict the future.

Oracles: hand-counted future attention, networkx PageRank on the past graph, scipy's
Spearman, and hand-computed precision@k / NDCG@k; both stores must agree exactly.
"""

from __future__ import annotations

import json
import math
from datetime import datetime

import networkx as nx
import numpy as np
import pytest
from scipy.stats import spearmanr
from typer.testing import CliRunner

from graph_influence.algorithms.evaluation import ndcg_at_k, precision_at_k, spearman, top_k
from graph_influence.analysis import AnalysisParams
from graph_influence.backtest import backtest
from graph_influence.cli import app
from graph_influence.errors import GraphInfluenceError
from graph_influence.loading import load_snapshot
from graph_influence.schema import DEFAULT_INTERACTION_TYPES

from .conftest import CLASSIC_WALK, write_snapshot

T = datetime(2024, 1, 10)

#: Before T: b is retweeted by a and c, mentioned by d; d is replied to by b; e follows b.
#: After T: b gets x, y (twice) and a again; d gets x; z gets a like only (not attention).
EVENTS = """src,dst,type,ts
a,b,retweet,2024-01-02T00:00:00Z
c,b,retweet,2024-01-03T00:00:00Z
d,b,mention,2024-01-04T00:00:00Z
b,d,reply,2024-01-05T00:00:00Z
a,b,retweet,2024-01-11T00:00:00Z
x,b,retweet,2024-01-12T00:00:00Z
y,b,mention,2024-01-12T01:00:00Z
y,b,reply,2024-01-13T00:00:00Z
x,d,retweet,2024-01-14T00:00:00Z
q,z,like,2024-01-15T00:00:00Z
"""
FOLLOWS = "src,dst,ts\ne,b,2024-01-01T00:00:00Z\nb,e,2024-01-20T00:00:00Z\n"
USERS = ["a", "b", "c", "d", "e", "q", "x", "y", "z"]  # id order = view order
NO_DECAY = AnalysisParams(half_life="none", tol=1e-13, max_iter=10_000, **CLASSIC_WALK)


def test_metrics_against_hand_computed_values_and_scipy():
    pred = np.array([0.9, 0.1, 0.5, 0.5, 0.0])
    truth = np.array([3.0, 0.0, 2.0, 5.0, 1.0])
    assert top_k(pred, 3).tolist() == [0, 2, 3]  # the tie 2/3 by index
    assert precision_at_k(pred, truth, 2) == 0.5  # {0, 2} vs {3, 0}
    # NDCG@3: gains 3, 2, 5 at positions 1..3; ideal 5, 3, 2
    dcg = 3 + 2 / math.log2(3) + 5 / 2
    ideal = 5 + 3 / math.log2(3) + 2 / 2
    assert ndcg_at_k(pred, truth, 3) == pytest.approx(dcg / ideal)
    assert spearman(pred, truth) == pytest.approx(spearmanr(pred, truth).statistic)
    assert math.isnan(spearman(np.ones(5), truth)) and math.isnan(ndcg_at_k(pred, 0 * truth, 2))


@pytest.fixture
def events_snapshot(tmp_path):
    return write_snapshot(tmp_path / "s", interactions=EVENTS, follows=FOLLOWS)


def _past_pagerank() -> dict[str, float]:
    g = nx.DiGraph()
    g.add_nodes_from(USERS)
    w = DEFAULT_INTERACTION_TYPES
    for src, dst, kind in (("a", "b", "retweet"), ("c", "b", "retweet"), ("d", "b", "mention"),
                           ("b", "d", "reply")):
        g.add_edge(src, dst, weight=math.log1p(w[kind]))
    g.add_edge("e", "b", weight=1.0)  # the follow dated before T (b -> e comes after)
    return nx.pagerank(g, tol=1e-14, max_iter=10_000)


def test_backtest_on_a_hand_made_split(any_store, events_snapshot):
    load_snapshot(any_store, events_snapshot, progress=False)
    result = backtest(any_store, NO_DECAY, at=T, ks=(1, 2), progress=False)
    assert (result.at, result.events_before, result.events_after) == (T, 4, 6)
    assert result.follows_before == 1 and result.users == len(USERS)
    assert result.active_users == 5  # a, b, c, d, e act by T; q, x, y, z only after
    # future distinct engagers: b <- a, x, y; d <- x (the like on z is no attention)
    truth = np.array([0, 3, 0, 1, 0, 0, 0, 0, 0], dtype=float)
    assert result.users_attended_after == 2
    oracle = _past_pagerank()
    score = np.array([oracle[u] for u in USERS])
    active = np.isin(USERS, ["a", "b", "c", "d", "e"])
    fig = result.figures("score")
    assert fig.spearman == pytest.approx(spearmanr(score[active], truth[active]).statistic)
    assert fig.precision == {1: 1.0, 2: 1.0}  # b then d, as in the future
    naive = np.array([0, 3, 0, 1, 0, 0, 0, 0, 0], dtype=float)  # b <- a, c, d; d <- b
    assert result.figures("engagers").spearman == pytest.approx(
        spearmanr(naive[active], truth[active]).statistic)
    followers = result.figures("followers")
    assert followers.precision[1] == 1.0  # b, the only one followed by T
    assert [m.method for m in result.methods] == ["score", "followers", "follow_pr", "engagers",
                                                  "events"]
    events = backtest(any_store, NO_DECAY, at=T, target="events", ks=(2,), progress=False)
    assert events.target == "events" and events.events_after == 6


def test_both_stores_give_the_same_backtest(neo4j_store, events_snapshot, tmp_path):
    from graph_influence.stores import DuckDBStore

    load_snapshot(neo4j_store, events_snapshot, progress=False)
    with DuckDBStore(tmp_path / "b.duckdb") as duck:
        load_snapshot(duck, events_snapshot, progress=False)
        ours = backtest(duck, progress=False).to_dict()
    theirs = backtest(neo4j_store, progress=False).to_dict()
    assert ours == theirs
    # the default split leaves 30 % of the 10 dated events after it: the 7th event's time
    assert ours["at"] == "2024-01-12T01:00:00"


def test_backtest_errors_are_clear(store, tmp_path, events_snapshot):
    from graph_influence.stores import DuckDBStore

    load_snapshot(store, write_snapshot(tmp_path / "undated", follows="src,dst\na,b\n"),
                  progress=False)
    with pytest.raises(GraphInfluenceError, match="no event .* has a time"):
        backtest(store, progress=False)
    load_snapshot(store, events_snapshot, progress=False)
    with pytest.raises(GraphInfluenceError, match="no event after 2030"):
        backtest(store, at=datetime(2030, 1, 1), progress=False)
    with pytest.raises(GraphInfluenceError, match="no event at or before 2000"):
        backtest(store, at=datetime(2000, 1, 1), progress=False)
    tiny = write_snapshot(tmp_path / "tiny", interactions="src,dst,type,ts\n"
                          "a,b,retweet,2024-01-01\nb,a,reply,2024-01-05\nc,b,mention,2024-01-09\n")
    with DuckDBStore(tmp_path / "tiny.duckdb") as small:
        load_snapshot(small, tiny, progress=False)
        with pytest.raises(GraphInfluenceError, match="the default split.*--after-share"):
            backtest(small, progress=False)  # 70 % of 3 events: the last one
        assert backtest(small, after_share=0.5, progress=False).events_after == 1
    with pytest.raises(GraphInfluenceError, match="target"):
        backtest(store, target="likes", progress=False)


def test_backtest_cli_table_and_json(tmp_path, events_snapshot):
    runner = CliRunner()
    store = str(tmp_path / "cli.duckdb")
    assert runner.invoke(app, ["load", str(events_snapshot), "--store", store]).exit_code == 0
    result = runner.invoke(app, ["backtest", "--store", store, "--at", "2024-01-10",
                                 "--half-life", "none", "--cutoff", "1", "--cutoff", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].split("|")[0].strip() == "method" and "p@1" in lines[1]
    assert [line.split("|")[0].strip() for line in lines[3:]] == [
        "score", "followers", "follow_pr", "engagers", "events"]
    assert max(len(line) for line in lines) <= 80
    assert "split at 2024-01-10 00:00:00: 4 events scored, 6 after" in result.stderr
    data = json.loads(runner.invoke(app, ["backtest", "--store", store, "--at", "2024-01-10",
                                          "-f", "json"]).stdout)
    assert data["at"] == "2024-01-10T00:00:00" and data["methods"][0]["precision"]["100"] == 1.0
    bad = runner.invoke(app, ["backtest", "--store", store, "--target", "likes"])
    assert bad.exit_code == 1 and "--target must be one of engagers, events" in bad.stderr
    bad = runner.invoke(app, ["backtest", "--store", store, "--at", "soon"])
    assert bad.exit_code == 1 and "error: --at: cannot read time 'soon'" in bad.stderr
    gone = runner.invoke(app, ["backtest", "--store", str(tmp_path / "none.duckdb")])
    assert gone.exit_code == 1 and "no store at" in gone.stderr
    assert not (tmp_path / "none.duckdb").exists()


def test_the_report_has_a_backtest_section(store, tmp_path, events_snapshot):
    from graph_influence.analysis import analyze
    from graph_influence.report import render_report

    load_snapshot(store, events_snapshot, progress=False)
    analyze(store, NO_DECAY, progress=False)
    page = render_report(store)
    section = page.split('id="backtest"')[1].split("</section>")[0]
    assert "Does the score predict attention?" in section
    assert "The 7 events up to 2024-01-12 01:00:00" in section  # the default split
    expected = backtest(store, NO_DECAY, progress=False).figures("engagers")
    assert f"{expected.precision[10]:.3f}" in section
    for method in ("score", "followers", "follow_pr", "engagers", "events"):
        assert f"<td>{method}</td>" in section
    assert 'id="backtest"' not in render_report(store, backtest=False)
    undated = tmp_path / "u.duckdb"
    from graph_influence.stores import DuckDBStore

    with DuckDBStore(undated) as other:
        load_snapshot(other, write_snapshot(tmp_path / "und", follows="src,dst\na,b\nb,c\n"),
                      progress=False)
        analyze(other, progress=False)
        assert "No backtest: no event of" in render_report(other)
