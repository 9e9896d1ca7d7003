"""compare: two runs' rank correlation, top-k overlap, risers and fallers (both stores)."""

from __future__ import annotations

import itertools
import json

import pytest
from typer.testing import CliRunner

from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.cli import app
from graph_influence.compare import compare_runs
from graph_influence.errors import StoreNotReadyError
from graph_influence.loading import load_snapshot
from graph_influence.sample_data import sample_path

from .conftest import write_snapshot


@pytest.fixture
def store(any_store):
    """This module's store tests run on every backend (the conformance fixture)."""
    return any_store


def _kendall_tau_b(x, y):
    """O(n^2) tau-b straight from its definition (the oracle)."""
    concordant = discordant = ties_x = ties_y = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = x[i] - x[j], y[i] - y[j]
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            ties_x += 1
        elif dy == 0:
            ties_y += 1
        elif dx * dy > 0:
            concordant += 1
        else:
            discordant += 1
    return (concordant - discordant) / (
        ((concordant + discordant + ties_x) * (concordant + discordant + ties_y)) ** 0.5)


def test_compare_two_parameter_sets(any_store):
    load_snapshot(any_store, sample_path(), progress=False)
    quick = AnalysisParams(topics=False, communities=False)
    analyze(any_store, quick, progress=False)
    analyze(any_store, AnalysisParams(topics=False, communities=False, half_life="1d",
                                      follow_weight=0.1), progress=False)
    data = compare_runs(any_store, n=5)
    a = any_store.scores(run_id=data["run_a"]).set_index("id")
    b = any_store.scores(run_id=data["run_b"]).set_index("id")
    both = a.merge(b, left_index=True, right_index=True, suffixes=("_a", "_b"))
    assert data["common_users"] == len(both) == 400
    spearman = both["influence_a"].rank().corr(both["influence_b"].rank())  # Pearson of ranks
    assert data["spearman"] == pytest.approx(spearman, abs=1e-12)
    sub = both.head(60)  # the O(n^2) oracle on a subset, against scipy on the same subset
    from scipy.stats import kendalltau

    assert kendalltau(sub["influence_a"], sub["influence_b"]).statistic == pytest.approx(
        _kendall_tau_b(sub["influence_a"].tolist(), sub["influence_b"].tolist()), abs=1e-12)
    for k in (10, 100):
        top_a = set(a.sort_values(["rank"]).index[:k])
        top_b = set(b.sort_values(["rank"]).index[:k])
        assert data["jaccard_top"][str(k)] == pytest.approx(
            len(top_a & top_b) / len(top_a | top_b))
    risers = [r["rank_change"] for r in data["risers"]]
    assert risers == sorted(risers, reverse=True) and all(r > 0 for r in risers)
    best = (both["rank_a"] - both["rank_b"]).max()
    assert risers[0] == best
    assert all(r["rank_change"] < 0 for r in data["fallers"])


def test_compare_two_snapshots_new_and_vanished(store, tmp_path):
    load_snapshot(store, write_snapshot(tmp_path / "a", follows="src,dst\na,b\nc,b\n"),
                  progress=False)
    analyze(store, AnalysisParams(topics=False, communities=False), progress=False)
    with pytest.raises(StoreNotReadyError, match="two analyses"):
        compare_runs(store)
    load_snapshot(store, write_snapshot(tmp_path / "b", follows="src,dst\nd,a\ne,a\n"),
                  progress=False)
    analyze(store, AnalysisParams(topics=False, communities=False), progress=False)
    data = compare_runs(store)
    assert data["new"]["count"] == 2 and data["vanished"]["count"] == 0
    assert {r["id"] for r in data["new"]["top"]} == {"d", "e"}
    assert data["fallers"][0]["id"] == "c"  # tied with a before; a gained followers


def test_cli_compare(tmp_path, snapshot_dir):
    runner = CliRunner()
    store = str(tmp_path / "c.duckdb")
    runner.invoke(app, ["load", str(snapshot_dir), "--store", store])
    runner.invoke(app, ["analyze", "--store", store])
    runner.invoke(app, ["analyze", "--store", store, "--follow-weight", "3"])
    data = json.loads(runner.invoke(app, ["compare", "1", "2", "--store", store,
                                          "--format", "json"]).stdout)
    assert {"spearman", "kendall", "jaccard_top", "risers", "fallers", "new",
            "vanished"} <= set(data)
    assert "Spearman" in runner.invoke(app, ["compare", "--store", store]).stdout
    bad = runner.invoke(app, ["compare", "1", "9", "--store", store])
    assert bad.exit_code == 1 and "no run 9" in bad.stderr


def test_compare_names_the_parameters_that_differ(store, tmp_path):
    load_snapshot(store, write_snapshot(tmp_path / "a", follows="src,dst\na,b\nc,b\nb,a\n"),
                  progress=False)
    quick = {"topics": False, "communities": False}
    analyze(store, AnalysisParams(**quick), progress=False)
    analyze(store, AnalysisParams(**quick, follow_weight=3.0, half_life="7d",
                                  type_weights={"retweet": 2.0}), progress=False)
    data = compare_runs(store)
    assert data["parameters"] == {"half_life": ["30d", "7d"], "follow_weight": [1.0, 3.0],
                                  "type_weights.retweet": [1.0, 2.0]}
    assert compare_runs(store, 1, 1)["parameters"] == {}


def test_users_inactive_as_of_a_run_count_as_new_or_vanished(store, tmp_path):
    # c and d act only after 2024-02-01; e only ever appears in the users table
    load_snapshot(store, write_snapshot(
        tmp_path / "a", users="id\na\nb\nc\nd\ne\n",
        follows="src,dst,ts\na,b,2024-01-01T00:00:00Z\nc,d,2024-03-01T00:00:00Z\n",
        interactions="src,dst,type,ts\nd,a,reply,2024-03-02T00:00:00Z\n"), progress=False)
    quick = {"topics": False, "communities": False}
    analyze(store, AnalysisParams(**quick, as_of="2024-02-01"), progress=False)
    analyze(store, AnalysisParams(**quick, as_of="2024-04-01"), progress=False)
    data = compare_runs(store)
    assert (data["users_a"], data["inactive_a"]) == (2, 3)  # c, d and e: no edge yet
    assert (data["users_b"], data["inactive_b"]) == (4, 1)  # e never acts
    assert data["common_users"] == 2
    assert data["new"]["count"] == 2 and {r["id"] for r in data["new"]["top"]} == {"c", "d"}
    assert data["vanished"]["count"] == 0
    assert [str(t) for t in data["as_of"]] == ["2024-02-01 00:00:00", "2024-04-01 00:00:00"]
    back = compare_runs(store, 2, 1)  # the other way round, they vanish
    assert back["vanished"]["count"] == 2 and back["new"]["count"] == 0


def test_cli_compare_prints_parameters_and_the_stale_notice(tmp_path, snapshot_dir):
    runner = CliRunner()
    store = str(tmp_path / "c.duckdb")
    runner.invoke(app, ["load", str(snapshot_dir), "--store", store])
    runner.invoke(app, ["analyze", "--store", store])
    runner.invoke(app, ["analyze", "--store", store, "--follow-weight", "3"])
    table = runner.invoke(app, ["compare", "--store", store])
    assert table.exit_code == 0, table.output
    assert "parameters: follow_weight 1 -> 3" in table.stdout
    assert table.stderr == ""
    more = write_snapshot(tmp_path / "more", follows="src,dst\nx,alice\n")
    runner.invoke(app, ["load", str(more), "--store", store])
    later = runner.invoke(app, ["compare", "--store", store, "--format", "json"])
    assert later.exit_code == 0, later.output
    assert json.loads(later.stdout)["parameters"] == {"follow_weight": [1.0, 3.0]}
    assert later.stderr.count("\n") == 1 and later.stderr.startswith("note: run 2 predates")
