"""Personalised influence from a seed set: ``analyze(seed_users=...)`` and ``--seed-users``."""

from __future__ import annotations

import hashlib
import json

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.cli import app
from graph_influence.errors import GraphInfluenceError
from graph_influence.explain import explain_user
from graph_influence.loading import load_snapshot
from graph_influence.params import SeedUsers, SeedUsersError, read_seed_users

from .conftest import CLASSIC_FLAGS, CLASSIC_WALK, write_snapshot

runner = CliRunner()
EXACT = AnalysisParams(tol=1e-13, max_iter=10_000, half_life="none", **CLASSIC_WALK)


def _graph(seed: int = 3) -> nx.DiGraph:
    g = nx.gnp_random_graph(80, 0.06, seed=seed, directed=True)
    g.remove_nodes_from([v for v in list(g) if g.degree(v) == 0])  # every user is in an edge
    return nx.relabel_nodes(g, {v: f"n{v}" for v in g})


def _load(store, tmp_path, g: nx.DiGraph) -> None:
    follows = "src,dst\n" + "".join(f"{u},{v}\n" for u, v in g.edges)
    load_snapshot(store, write_snapshot(tmp_path / "snap", follows=follows), progress=False)


def _influence(result) -> dict[str, float]:
    return dict(zip(result.scores["id"], result.scores["influence"], strict=True))


def test_seed_users_equal_networkx_personalised_pagerank(store, tmp_path):
    g = _graph()
    _load(store, tmp_path, g)
    seeds = sorted(g)[:5]
    result = analyze(store, EXACT, seed_users=seeds, progress=False)
    oracle = nx.pagerank(g, alpha=0.85, personalization=dict.fromkeys(seeds, 1.0), tol=1e-15,
                         max_iter=10_000)
    got = _influence(result)
    assert max(abs(got[v] - p) for v, p in oracle.items()) < 1e-9
    # the 0-100 scale is fitted on the personalised influence, as usual
    assert result.run.calibration["method"] == "klout"
    seed = result.run.extras["personalization"]
    assert seed == {"source": None, "n_seeds": 5, "weighted": False,
                    "sha256": hashlib.sha256("\n".join(sorted(seeds)).encode()).hexdigest()}
    floor = result.run.extras["score_floor"]
    assert floor["rule"] == "not reached from the seed users"
    reached = {v for s in seeds for v in nx.descendants(g, s)} | set(seeds)
    assert floor["users"] == len(set(g) - reached)
    assert all(got[v] == 0.0 for v in set(g) - reached)
    uniform = analyze(store, EXACT, progress=False)
    assert uniform.run.extras["personalization"] is None
    assert max(abs(got[v] - p) for v, p in _influence(uniform).items()) > 1e-3


def test_weighted_seeds_equal_networkx(store, tmp_path):
    g = _graph(seed=5)
    _load(store, tmp_path, g)
    weights = {v: float(k + 1) for k, v in enumerate(sorted(g)[:4])} | {sorted(g)[4]: 0.0}
    result = analyze(store, EXACT, seed_users=weights, progress=False)
    oracle = nx.pagerank(g, personalization=weights, tol=1e-15, max_iter=10_000)
    got = _influence(result)
    assert max(abs(got[v] - p) for v, p in oracle.items()) < 1e-9
    assert result.run.extras["personalization"]["weighted"]


def test_topics_and_communities_are_unaffected(store, snapshot_dir):
    load_snapshot(store, snapshot_dir, progress=False)
    plain = analyze(store, progress=False)
    seeded = analyze(store, seed_users=["bob"], progress=False)
    np.testing.assert_array_equal(plain.topics.influence, seeded.topics.influence)
    np.testing.assert_array_equal(plain.communities.membership, seeded.communities.membership)
    assert not plain.scores["influence"].equals(seeded.scores["influence"])


def test_read_seed_users_text_and_tables(tmp_path):
    text = tmp_path / "seeds.txt"
    text.write_bytes("\ufeff# our brand's followers\n alice \r\nbob\n\n#x\nbob\ncarol,x\n"
                     .encode())
    seeds = read_seed_users(text)
    assert seeds.ids == (" alice ", "bob", "carol,x")  # verbatim; the BOM is not part of an id
    assert seeds.lines == (2, 3, 7) and seeds.weights is None
    table = tmp_path / "seeds.csv"
    table.write_text("name,id,weight\nA,alice,2\nB,bob,0.5\nA2,alice,1\n")
    seeds = read_seed_users(table)
    assert seeds.ids == ("alice", "bob") and seeds.weights == (3.0, 0.5)
    tsv = tmp_path / "seeds.tsv"
    tsv.write_text("id\tnote\nalice\thi, there\n")
    assert read_seed_users(tsv).ids == ("alice",) and read_seed_users(tsv).weights is None
    bad = tmp_path / "bad.csv"
    bad.write_text("id,weight\nalice,1\nbob,-1\n")
    with pytest.raises(SeedUsersError, match=r"bad\.csv:3: weight must be a number >= 0"):
        read_seed_users(bad)


def test_empty_and_unknown_seed_sets_are_errors(store, snapshot_dir, tmp_path):
    load_snapshot(store, snapshot_dir, progress=False)
    with pytest.raises(SeedUsersError, match="empty"):
        analyze(store, seed_users=[], progress=False)
    with pytest.raises(SeedUsersError, match=r"2 of 3 seed users are not users of the store: "
                                             r"'zed', 'ann'"):
        analyze(store, seed_users=["zed", "alice", "ann"], progress=False)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nobody\n\n")
    with pytest.raises(SeedUsersError, match="no seed user ids"):
        read_seed_users(empty)
    assert SeedUsers.of({"a": 1}).weights == (1.0,)
    assert len(store.runs()) == 0, "nothing stored"


def test_explain_refuses_a_personalised_run(store, snapshot_dir):
    load_snapshot(store, snapshot_dir, progress=False)
    analyze(store, seed_users=["bob"], progress=False)
    with pytest.raises(GraphInfluenceError, match="personalised"):
        explain_user(store, "alice")


def test_the_report_of_a_personalised_run_says_why_it_has_no_breakdown(store, snapshot_dir):
    from graph_influence.report import render_report

    load_snapshot(store, snapshot_dir, progress=False)
    analyze(store, seed_users=["bob"], progress=False)
    page = render_report(store)
    assert "is personalised (teleport to 1 seed users" in page
    assert "teleport share" not in page.split("is personalised")[1][:2000]


def test_runs_names_a_personalised_run(tmp_path, snapshot_dir):
    store = str(tmp_path / "r.duckdb")
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("bob\n")
    _cli("load", snapshot_dir, "--store", store)
    _cli("analyze", "--store", store)
    _cli("analyze", "--store", store, "--seed-users", seeds)
    rows = json.loads(_cli("runs", "--store", store, "-f", "json").stdout)
    assert "seed_users" not in rows[0]["parameters"]
    assert rows[1]["parameters"]["seed_users"] == f"1 from {seeds}"
    assert f"seed_users=1 from {seeds}" in _cli("runs", "--store", store).stdout


def _cli(*args, ok=True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def test_cli_seed_users_end_to_end(tmp_path):
    g = _graph()
    store = tmp_path / "cli.duckdb"
    follows = "src,dst\n" + "".join(f"{u},{v}\n" for u, v in g.edges)
    _cli("load", write_snapshot(tmp_path / "snap", follows=follows), "--store", store)
    seeds = sorted(g)[:3]
    path = tmp_path / "brand.txt"
    path.write_text("# the brand's followers\n" + "\n".join(seeds) + "\n")
    result = _cli("analyze", "--store", store, "--seed-users", path, "--tol", "1e-13",
                  "--max-iter", "10000", "--half-life", "none", "--no-topics",
                  *CLASSIC_FLAGS, "--format", "json")
    assert f"personalised: teleport to 3 seed users from {path}" in result.stderr
    info = json.loads(_cli("info", "--store", store, "--format", "json").stdout)
    assert info, "info still reads a personalised run"
    from graph_influence.stores import open_store

    with open_store(store) as st:
        run = st.run()
        assert run.extras["personalization"]["source"] == str(path)
        assert run.extras["personalization"]["n_seeds"] == 3
        table = st.scores_arrow(run_id=run.run_id)
    got = dict(zip(table["id"].to_pylist(), table["influence"].to_pylist(), strict=True))
    oracle = nx.pagerank(g, personalization=dict.fromkeys(seeds, 1), tol=1e-15, max_iter=10_000)
    assert max(abs(got[v] - p) for v, p in oracle.items()) < 1e-9
    result = _cli("analyze", "--store", store, "--seed-users", path, "--cold-start",
                  "--no-topics")
    assert "warm start" not in result.stderr
    with open_store(store) as st:
        assert st.run().extras["warm_start"]["reason"] == "cold start"


def test_cli_unknown_ids_and_empty_file(tmp_path, snapshot_dir):
    store = tmp_path / "cli.duckdb"
    _cli("load", snapshot_dir, "--store", store)
    path = tmp_path / "seeds.txt"
    path.write_text("alice\n# comment\nnobody\nbob\nghost\n")
    result = _cli("analyze", "--store", store, "--seed-users", path, ok=False)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {path}:3: 2 of 4 seed users are not users of the store: 'nobody', 'ghost'"]
    path.write_text("# nobody yet\n\n")
    result = _cli("analyze", "--store", store, "--seed-users", path, ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}: no seed user ids")
    missing = _cli("analyze", "--store", store, "--seed-users", tmp_path / "nope.txt", ok=False)
    assert missing.exit_code == 1 and "nope.txt" in missing.stderr
    assert "Traceback" not in missing.stderr
