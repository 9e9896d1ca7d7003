"""The klout floor end to end: who received no attention, what they score, what is recorded.

"No attention" is in-strength 0 in the attention graph the run scored; the oracle here is
networkx's in-degree on the edges that count, and the scores are recomputed from networkx's
PageRank with the documented formula.
"""

from __future__ import annotations

import json
import math

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

from graph_influence.algorithms.scaling import Calibration
from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.cli import app
from graph_influence.loading import load_snapshot
from graph_influence.stores import DuckDBStore

from .conftest import CLASSIC_WALK, write_snapshot

runner = CliRunner()
FAST = AnalysisParams(tol=1e-13, max_iter=1000, topics=False, communities=False, **CLASSIC_WALK)


def _follows(edges) -> str:
    return "src,dst\n" + "".join(f"{s},{t}\n" for s, t in edges)


def _by_id(result, column="score") -> dict:
    return dict(zip(result.scores["id"], result.scores[column], strict=True))


def test_tiny_graph_hand_computed(store, tmp_path):
    # f -> a -> b <- c, d, h; b -> e <- c; g follows nobody and nobody follows g.
    edges = [("f", "a"), ("a", "b"), ("c", "b"), ("d", "b"), ("h", "b"), ("b", "e"),
             ("c", "e")]
    d = write_snapshot(tmp_path / "s", users="id\n" + "".join(f"{u}\n" for u in "abcdefgh"),
                       follows=_follows(edges))
    load_snapshot(store, d, progress=False)
    result = analyze(store, FAST, progress=False)

    g = nx.DiGraph(edges)
    g.add_node("g")
    pr = nx.pagerank(g, tol=1e-15, max_iter=10_000)
    unattended = {v for v in g if g.in_degree(v) == 0}
    assert unattended == set("cdfgh")
    x = {v: math.log(p * 8) for v, p in pr.items()}
    seen = sorted(x[v] for v in "abe")  # 3 attended users: median the 2nd, p95 the 3rd
    x50, xtop = seen[1], seen[2]
    # The 95th percentile user is the top one and nobody is between it and the median: one
    # slope from 40 at the median to 98 at the top (no user at 63).
    k = 58 / (xtop - x50)
    expected = {v: 10.0 for v in unattended}
    expected[min("abe", key=x.get)] = 10 + 30 * math.exp(k * (seen[0] - x50) / 30)
    expected[sorted("abe", key=x.get)[1]] = 40.0
    expected[max("abe", key=x.get)] = 98.0  # the top user
    got = _by_id(result)
    for v, score in expected.items():
        assert got[v] == pytest.approx(score, abs=1e-9), v
    assert result.run.extras["score_floor"] == {
        "score": 10.0, "users": 5, "share": 5 / 8, "fixed": True, "rule": "in-strength 0"}
    assert result.run.calibration["params"]["floor"] == 10.0
    assert result.run.calibration["fitted_on"] == {"n_users": 8, "n_attended": 3}


def test_no_attention_is_networkx_in_degree_zero(store, tmp_path):
    rng = np.random.default_rng(11)
    users = [f"u{i:02d}" for i in range(40)]
    # u00..u35 at random; u36..u39 receive only what is given below
    follows = {(users[i], users[j]) for i, j in rng.integers(0, 36, (25, 2)) if i != j}
    events = [(users[i], users[j], ["retweet", "reply", "mention", "like"][t], int(ts))
              for i, j, t, ts in zip(rng.integers(0, 36, 30), rng.integers(0, 36, 30),
                                     rng.integers(0, 4, 30), rng.integers(1, 100, 30),
                                     strict=True)]
    events += [("u00", "u36", "retweet", 50), ("u37", "u37", "retweet", 50),  # self-loop
               ("u01", "u38", "like", 50),  # likes weigh 0 below: no attention
               ("u02", "u39", "retweet", 200)]  # after --as-of: has not happened yet
    text = "src,dst,type,ts\n" + "".join(f"{s},{t},{k},{ts}\n" for s, t, k, ts in events)
    d = write_snapshot(tmp_path / "s", users="id\n" + "\n".join(users) + "\n",
                       follows=_follows(sorted(follows)), interactions=text)
    load_snapshot(store, d, progress=False)
    params = AnalysisParams(as_of="150", type_weights={"like": 0.0}, topics=False,
                            communities=False)
    result = analyze(store, params, progress=False)

    g = nx.DiGraph()
    g.add_nodes_from(users)
    g.add_edges_from(follows)
    g.add_edges_from((s, t) for s, t, k, ts in events if s != t and k != "like" and ts <= 150)
    oracle = {v for v in users if g.in_degree(v) == 0}
    assert {"u37", "u38", "u39"} <= oracle and "u36" not in oracle
    got = _by_id(result)
    assert {v for v, s in got.items() if s == 10.0} == oracle
    assert min(s for v, s in got.items() if v not in oracle) > 10.0
    influence = _by_id(result, "influence")
    assert len({influence[v] for v in oracle}) == 1, "they all hold the least influence"
    assert max(influence[v] for v in oracle) < min(
        influence[v] for v in users if v not in oracle)
    floor = result.run.extras["score_floor"]
    assert (floor["users"], floor["share"]) == (len(oracle), len(oracle) / 40)
    assert store.runs()[-1].extras["score_floor"] == floor, "stored with the run"


def _half_unattended(tmp_path):
    # 12 users: 6 followed by someone, 6 (the followers and a loner) followed by nobody.
    edges = [("p1", "a1"), ("p2", "a1"), ("p3", "a2"), ("p4", "a3"), ("p5", "a3"),
             ("a1", "a4"), ("a2", "a5"), ("a3", "a6"), ("a4", "a1"), ("p5", "a6")]
    text = ("src,dst,type,ts\np1,a2,retweet,2024-01-02\np2,a4,reply,2024-01-03\n"
            "a6,a5,mention,2024-01-04\np3,p3,retweet,2024-01-05\n")
    return write_snapshot(tmp_path / "half", users="id\np6\n", follows=_follows(edges),
                          interactions=text)


def test_both_stores_give_identical_scores_and_floor(any_store, tmp_path):
    d = _half_unattended(tmp_path)
    with DuckDBStore(tmp_path / "ref.duckdb") as ref:
        load_snapshot(ref, d, progress=False)
        expected = analyze(ref, FAST, progress=False)
    load_snapshot(any_store, d, progress=False)
    got = analyze(any_store, FAST, progress=False)
    assert got.scores["id"].tolist() == expected.scores["id"].tolist()
    np.testing.assert_array_equal(got.scores["score"], expected.scores["score"])
    floor = any_store.runs()[-1].extras["score_floor"]
    assert floor == expected.run.extras["score_floor"]
    assert (floor["users"], floor["score"]) == (6, 10.0)
    assert sorted(got.scores.loc[got.scores["score"] == 10.0, "id"]) == [
        "p1", "p2", "p3", "p4", "p5", "p6"]
    assert any_store.scores()["score"].tolist() == got.scores["score"].tolist()


def test_reused_calibration_gives_the_same_scores(store, tmp_path):
    load_snapshot(store, _half_unattended(tmp_path), progress=False)
    first = analyze(store, FAST, progress=False)
    first.calibration.save(tmp_path / "cal.json")
    saved = json.loads((tmp_path / "cal.json").read_text())
    assert saved["params"]["floor"] == 10.0 and saved["fitted_on"]["n_attended"] == 6
    again = analyze(store, FAST, calibration=Calibration.load(tmp_path / "cal.json"),
                    progress=False)
    assert again.scores["score"].tolist() == first.scores["score"].tolist()
    assert again.run.extras["score_floor"] == first.run.extras["score_floor"]
    assert again.run.params["calibration_reused"] is True


def test_old_calibration_file_still_loads_and_has_no_floor(store, tmp_path):
    load_snapshot(store, _half_unattended(tmp_path), progress=False)
    fitted = analyze(store, FAST, progress=False).calibration
    old = {"version": 1, "method": "klout", "fitted_on": {"n_users": 12},
           "params": {key: fitted.params[key] for key in ("x50", "x95", "k", "xtop")}}
    result = analyze(store, FAST, calibration=Calibration.from_json(json.dumps(old)),
                     progress=False)
    floor = result.run.extras["score_floor"]
    assert floor["users"] == 6 and floor["fixed"] is False
    # scored on the old curve, bending towards 0, exactly as before floors existed
    x = math.log(result.scores["influence"].min() * 12)
    k, x50 = fitted.params["k"], fitted.params["x50"]
    assert floor["score"] == pytest.approx(40 * math.exp(min(k * (x - x50) / 40, 0.0)))
    assert floor["score"] != 10.0


# -- the command line ------------------------------------------------------------------------
def _cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_cli_says_how_many_users_are_at_the_floor(tmp_path):
    store = tmp_path / "s.duckdb"
    assert _cli("load", _half_unattended(tmp_path), "--store", store).exit_code == 0
    result = _cli("analyze", "--store", store, "--no-topics", "--no-communities")
    assert result.exit_code == 0, result.stderr
    assert ("  6 of 12 users (50.0 %) received no attention as of 2024-01-05 00:00:00: "
            "score 10 (the floor)") in result.stderr.splitlines()
    result = _cli("analyze", "--store", store, "--scale", "percentile", "--no-topics",
                  "--no-communities")
    assert "received no attention as of 2024-01-05 00:00:00: score 22.7 (the percentile " \
           "scale has no floor)" in result.stderr


def test_cli_old_calibration_says_it_has_no_floor(tmp_path):
    store = tmp_path / "s.duckdb"
    _cli("load", _half_unattended(tmp_path), "--store", store)
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"version": 1, "method": "klout", "fitted_on": {"n_users": 3},
                               "params": {"x50": 0.0, "x95": 1.0, "k": 23.0, "xtop": 2.0}}))
    result = _cli("analyze", "--store", store, "--calibration", old, "--no-topics",
                  "--no-communities")
    assert result.exit_code == 0, result.stderr
    assert "6 of 12 users (50.0 %) received no attention" in result.stderr
    assert "(no floor: the reused calibration predates it)" in result.stderr


@pytest.mark.parametrize("where", ["missing/dir/c.json", "."])
def test_cli_save_calibration_checked_before_computing(tmp_path, monkeypatch, where):
    store = tmp_path / "s.duckdb"
    _cli("load", _half_unattended(tmp_path), "--store", store)
    monkeypatch.chdir(tmp_path)
    result = _cli("analyze", "--store", store, "--save-calibration", where)
    assert result.exit_code == 1
    reason = "directory missing/dir does not exist" if where != "." else "it is a directory"
    assert result.stderr == f"error: cannot save the calibration to {where}: {reason}\n"
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert not (tmp_path / "missing").exists()
    with DuckDBStore(store) as st:
        assert st.run_ids() == [], "no run written"


def test_cli_save_calibration_to_standard_output_prints_one_document(tmp_path):
    store = tmp_path / "s.duckdb"
    _cli("load", _half_unattended(tmp_path), "--store", store)
    result = _cli("analyze", "--store", store, "--save-calibration", "-", "--no-topics",
                  "--no-communities")
    assert result.exit_code == 0, result.stderr
    saved = Calibration.from_json(result.stdout)  # stdout is the calibration, nothing else
    assert saved.method == "klout" and saved.params["floor"] == 10.0
