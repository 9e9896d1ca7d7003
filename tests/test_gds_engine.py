"""``analyze --engine gds``: the whole run inside Neo4j with Open GDS, against the local engine.

The local engine is the reference here because it is held to networkx elsewhere
(tests/test_pagerank.py, tests/test_topics.py); the two engines share no computation of the
walk (the GDS engine builds it in Cypher on the server and iterates in GDS). The modularity
GDS reports is checked against the engine's own modularity function on the local attention
graph, for GDS's partition.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from graph_influence import analyze, load_snapshot, sample_path
from graph_influence.algorithms.communities import modularity, symmetrize
from graph_influence.cli import app
from graph_influence.errors import StoreError
from graph_influence.params import AnalysisParams, ParameterError
from graph_influence.walk import walk_of

from .conftest import shared_dataset, wipe_neo4j

#: Tight enough that the local engine is at the fixed point GDS iterates to; a few topics keep
#: the GDS runs short (one topic is one GDS PageRank).
TIGHT = {"tol": 1e-12, "max_iter": 10_000, "max_topics": 6}

CASES = {
    "defaults": {},
    "leiden, resolution 0.5, uniform, sqrt, type weights": {
        "community_method": "leiden", "resolution": 0.5, "teleport": "uniform",
        "concave": "sqrt", "half_life": "2d", "type_weights": {"like": 0.0, "reply": 3.0},
        "follow_weight": 2.0},
}


@pytest.fixture(scope="module")
def loaded(gds_server, tmp_path_factory):
    """The sample and a 20,000-event slice of Higgs (real ids, times and self-loops)."""
    from graph_influence.stores.neo4j_store import Neo4jStore

    wipe_neo4j(gds_server.uri)
    higgs = tmp_path_factory.mktemp("higgs-slice") / "higgs-activity_time.txt"
    with gzip.open(shared_dataset("higgs-twitter", "higgs-activity_time.txt.gz"), "rt") as fh:
        higgs.write_text("".join(next(fh) for _ in range(20_000)))
    with Neo4jStore(gds_server.uri) as store:
        load_snapshot(store, sample_path(), progress=False)
        load_snapshot(store, higgs.parent, progress=False)
        yield store


def _relative(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.abs(a - b).max() / np.abs(a).max())


@pytest.mark.parametrize("case", list(CASES))
def test_a_gds_run_is_the_local_run(loaded, case):
    params = AnalysisParams(**TIGHT, **CASES[case])
    local = analyze(loaded, params, progress=False)
    gds = analyze(loaded, params, progress=False, engine="gds")
    a = local.scores.set_index("id")
    b = gds.scores.set_index("id").loc[a.index]
    assert _relative(a["influence"], b["influence"]) < 1e-9
    assert np.abs(a["score"] - b["score"]).max() < 1e-6
    assert (a["rank"] == b["rank"]).all()
    for field in ("n_users", "n_edges", "n_events", "as_of"):
        assert getattr(gds.run, field) == getattr(local.run, field), field
    assert gds.run.extras["score_floor"] == local.run.extras["score_floor"]
    walk_a, walk_b = local.run.extras["walk"], gds.run.extras["walk"]
    assert walk_b["teleport"] == walk_a["teleport"]
    assert (walk_b["reciprocated_share"] is None) == (walk_a["reciprocated_share"] is None)
    for key in ("reciprocated_share", "ground_leak", "fade_leak"):
        if walk_a[key] is not None:
            assert walk_b[key] == pytest.approx(walk_a[key], rel=1e-9, abs=1e-15), key
    assert gds.run.extras["engine"]["name"] == "gds"
    assert gds.run.extras["engine"]["gds_version"] == "2.13.9"
    # topics: the same signals, the same walks
    ta, tb = local.topics, gds.topics
    assert tb.names == ta.names and len(ta.names) == TIGHT["max_topics"]
    for t in range(ta.n_topics):
        assert _relative(ta.influence[:, t], tb.influence[:, t]) < 1e-9, ta.names[t]
    assert (ta.rank == tb.rank).all()
    assert np.abs(ta.score - tb.score).max() < 1e-6
    # communities: GDS's own method; its modularity is the engine's on the same partition
    method = params.community_method
    assert gds.run.extras["engine"]["community_method"] == f"gds-{method}"
    view = loaded.graph_view(as_of=local.run.as_of,
                             half_life_seconds=params.validated().half_life_seconds)
    sym = symmetrize(walk_of(view, params.validated()).adjacency)
    found = gds.communities
    oracle, shares = modularity(sym, found.membership, params.resolution)
    assert found.modularity == pytest.approx(oracle, abs=1e-9)
    table = found.table.sort_values("community")
    assert table["modularity_contribution"].to_numpy() == pytest.approx(shares, abs=1e-9)
    sizes = table["size"].to_numpy()
    assert (np.diff(sizes) <= 0).all() and sizes.sum() == view.n_users
    assert 0.3 < found.modularity and abs(found.modularity - local.communities.modularity) < 0.1
    # what the store keeps reads the same for both runs
    for k in (5, 50):
        rows_a = loaded.top_rows(k, run_id=local.run_id)
        rows_b = loaded.top_rows(k, run_id=gds.run_id)
        assert rows_b.column("id") == rows_a.column("id") and len(rows_a) == k
    # (Neo4j keeps the latest run's topic scores: the GDS run's, against the local result)
    order = np.lexsort((local.ids, ta.rank[:, 0]))[:20]
    assert (loaded.top_topic_rows(ta.names[0], 20, run_id=gds.run_id).column("id")
            == local.ids[order].tolist())


def test_a_gds_run_personalised_to_seed_users_is_the_local_one(loaded):
    params = AnalysisParams(**TIGHT, topics=False, communities=False)
    seeds = {"wesvi_tosolsol": 2.0, "hamarmoqui12": 1.0, "mivilisolsaros": 1.0}
    local = analyze(loaded, params, progress=False, seed_users=seeds)
    gds = analyze(loaded, params, progress=False, seed_users=seeds, engine="gds")
    a = local.scores.set_index("id")
    b = gds.scores.set_index("id").loc[a.index]
    assert _relative(a["influence"], b["influence"]) < 1e-9
    assert (a["rank"] == b["rank"]).all()
    floor_a, floor_b = local.run.extras["score_floor"], gds.run.extras["score_floor"]
    assert floor_b == floor_a and floor_a["rule"] == "not reached from the seed users"
    assert 0 < floor_a["users"] < local.run.n_users
    assert gds.run.extras["personalization"] == local.run.extras["personalization"]
    assert gds.run.extras["walk"]["teleport"] == "seeds"


def test_what_the_gds_engine_cannot_do_is_said(loaded, tmp_path, neo4j_store):
    from graph_influence import open_store

    params = AnalysisParams(topics=False, communities=False)
    with pytest.raises(ParameterError, match="warm_start does not work with the gds engine"):
        analyze(loaded, params, progress=False, engine="gds", warm_start=True)
    with pytest.raises(ParameterError, match="resolution must be 1 with the gds engine"):
        analyze(loaded, AnalysisParams(resolution=2.0), progress=False, engine="gds")
    with pytest.raises(ParameterError, match="engine must be one of local, gds, not 'spark'"):
        analyze(loaded, params, progress=False, engine="spark")
    with open_store(str(tmp_path / "s.duckdb")) as duck:
        load_snapshot(duck, sample_path(), progress=False)
        with pytest.raises(ParameterError, match="is not one: use the local engine"):
            analyze(duck, params, progress=False, engine="gds")
    with pytest.raises(StoreError, match="no Graph Data Science plugin: start it with "
                                         "make neo4j-up GDS=1"):
        analyze(neo4j_store, params, progress=False, engine="gds")
    listed = loaded._read("CALL gds.graph.list() YIELD graphName RETURN count(*) AS n")
    assert listed[0]["n"] == 0  # no projection left behind


def test_the_cli_runs_the_gds_engine_and_reads_its_run(loaded, gds_server, tmp_path):
    runner = CliRunner()
    uri = gds_server.uri
    result = runner.invoke(app, ["analyze", "--engine", "gds", "--store", uri, "--max-topics",
                                 "3", "-k", "3", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert "computed by Neo4j GDS 2.13.9 in " in result.stderr
    assert "communities (gds-louvain), modularity 0." in result.stderr
    board = json.loads(result.stdout)
    assert [row["rank"] for row in board] == [1, 2, 3]
    topics = runner.invoke(app, ["topics", "--store", uri, "-f", "json"])
    assert topics.exit_code == 0, topics.output
    name = json.loads(topics.stdout)[0]["topic"]
    top = runner.invoke(app, ["top", "--topic", name, "--store", uri, "-k", "3", "-f", "json"])
    assert top.exit_code == 0 and len(json.loads(top.stdout)) == 3, top.output
    bad = runner.invoke(app, ["analyze", "--engine", "gds", "--store",
                              str(tmp_path / "x.duckdb")])
    assert bad.exit_code == 1 and "no store at" in bad.stderr
    duck = str(tmp_path / "y.duckdb")
    assert runner.invoke(app, ["load", str(sample_path()), "--store", duck]).exit_code == 0
    bad = runner.invoke(app, ["analyze", "--engine", "gds", "--store", duck])
    assert bad.exit_code == 1
    assert "error: --engine gds runs inside a Neo4j server with Graph Data Science" in bad.stderr
    bad = runner.invoke(app, ["analyze", "--engine", "gds", "--warm-start", "--store", uri])
    assert bad.exit_code == 1 and "--warm-start does not work with the gds engine" in bad.stderr
