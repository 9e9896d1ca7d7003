"""One conformance suite over every store: the embedded DuckDB file and a real Neo4j server.

Each test taking ``any_store`` runs once per backend; the cross-store tests load the same
snapshot into both and compare counts, influence (1e-9) and rankings.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.errors import InputError, StoreNotReadyError
from graph_influence.exporting import export_scores
from graph_influence.loading import load_snapshot
from graph_influence.sample_data import sample_path
from graph_influence.stores import DuckDBStore

from .conftest import write_snapshot


def test_load_counts_and_reload_adds_nothing(any_store, snapshot_dir):
    summary, _ = load_snapshot(any_store, snapshot_dir, progress=False)
    counts = any_store.counts()
    assert counts == {"users": 4, "follows": 4, "interactions": 4, "posts": 1}
    assert summary.reports["users"].new == 4
    assert summary.reports["interactions"].new == 4
    again, _ = load_snapshot(any_store, snapshot_dir, progress=False)
    assert any_store.counts() == counts
    assert again.already_loaded_as == summary.load_id
    assert all(r.new == 0 for r in again.reports.values())
    assert [ld["status"] for ld in any_store.loads()] == ["complete", "complete"]


def test_every_event_keeps_type_time_and_load_id(any_store, snapshot_dir):
    summary, _ = load_snapshot(any_store, snapshot_dir, progress=False)
    events = any_store.events()
    rows = [tuple(r) for r in events[["src", "dst", "type", "ts", "post_id", "load_id"]]
            .astype(object).where(events.notna(), None).itertuples(index=False)]
    assert rows == [
        ("bob", "alice", "retweet", pd.Timestamp(2024, 1, 2), "p1", summary.load_id),
        ("carol", "alice", "like", pd.Timestamp(2024, 1, 3), "p1", summary.load_id),
        ("bob", "alice", "reply", pd.Timestamp(2024, 1, 4), "p1", summary.load_id),
        ("alice", "bob", "mention", pd.Timestamp(2024, 1, 5), None, summary.load_id),
    ]


def test_duplicates_and_self_loops_are_counted_and_kept(any_store, tmp_path):
    d = write_snapshot(
        tmp_path / "s",
        interactions="src,dst,type,ts\na,b,like,100\na,b,like,100\na,a,reply,100\n",
        follows="src,dst\na,b\na,b\nb,b\n",
    )
    summary, _ = load_snapshot(any_store, d, progress=False)
    inter, fol = summary.reports["interactions"], summary.reports["follows"]
    assert (inter.duplicates, inter.self_loops, inter.new) == (1, 1, 3)
    assert (fol.duplicates, fol.self_loops, fol.new) == (1, 1, 2)
    load_snapshot(any_store, d, progress=False)
    assert any_store.counts()["interactions"] == 3
    assert sorted(any_store.events()["seq"].tolist()) == [0, 0, 1]


def test_second_snapshot_merges(any_store, tmp_path):
    a = write_snapshot(tmp_path / "a", follows="src,dst\nx,y\n", users="id,name\nx,Old name\n")
    b = write_snapshot(tmp_path / "b", follows="src,dst\nx,y\ny,z\n",
                       users="id,name\nx,New name\n")
    load_snapshot(any_store, a, progress=False)
    load_snapshot(any_store, b, progress=False)
    assert any_store.counts()["follows"] == 2
    analyze(any_store, progress=False)
    names = dict(zip(any_store.top(3)["id"], any_store.top(3)["name"], strict=True))
    assert names["x"] == "New name" and pd.isna(names["z"])


def test_bad_input_leaves_store_unchanged(any_store, snapshot_dir, tmp_path):
    load_snapshot(any_store, snapshot_dir, progress=False)
    before = (any_store.counts(), any_store.loads())
    bad = write_snapshot(tmp_path / "bad", follows="src,dst\nnew1,new2\n",
                         interactions="src,dst,type\nnew1,new2,like\nnew1,new2,poke\n")
    with pytest.raises(InputError):
        load_snapshot(any_store, bad, progress=False)
    assert (any_store.counts(), any_store.loads()) == before


def test_graph_view_aggregates_with_decay(any_store, tmp_path):
    day = 86400
    d = write_snapshot(
        tmp_path / "s",
        interactions=f"src,dst,type,ts,weight\na,b,like,{10 * day},\na,b,like,{9 * day},2\n"
        f"a,b,retweet,{8 * day},\na,b,retweet,{11 * day},\nb,a,reply,,\n",
    )
    load_snapshot(any_store, d, progress=False)
    view = any_store.graph_view(as_of=datetime(1970, 1, 11), half_life_seconds=day)
    got = {
        (view.ids[s], view.ids[t], view.type_names[k]): (n, w)
        for s, t, k, n, w in zip(view.inter_src, view.inter_dst, view.inter_type,
                                 view.inter_count, view.inter_decayed, strict=True)
    }
    assert got[("a", "b", "like")] == (2, pytest.approx(2.0, abs=1e-12))
    assert got[("a", "b", "retweet")] == (1, pytest.approx(0.25, abs=1e-12))
    assert got[("b", "a", "reply")] == (1, pytest.approx(1.0, abs=1e-12))
    assert any_store.time_range() == (datetime(1970, 1, 9), datetime(1970, 1, 12))


def test_queries_before_analysis_say_what_to_do(any_store, snapshot_dir):
    with pytest.raises(StoreNotReadyError, match="empty"):
        any_store.graph_view(as_of=None, half_life_seconds=None)
    load_snapshot(any_store, snapshot_dir, progress=False)
    with pytest.raises(StoreNotReadyError, match="graph-influence analyze"):
        any_store.top(5)


def test_runs_top_scores_and_export(any_store, snapshot_dir, tmp_path):
    load_snapshot(any_store, snapshot_dir, progress=False)
    first = analyze(any_store, progress=False)
    second = analyze(any_store, AnalysisParams(scale="percentile"), progress=False)
    runs = any_store.runs()
    assert [r.run_id for r in runs] == [first.run_id, second.run_id]
    assert runs[0].params["scale"] == "klout" and runs[1].converged
    top_latest = any_store.top(3)
    assert top_latest["id"].tolist() == second.top(3)["id"].tolist()
    assert top_latest["score"].tolist() == pytest.approx(second.top(3)["score"].tolist())
    top_first = any_store.top(3, run_id=first.run_id)
    assert top_first["score"].tolist() == pytest.approx(first.top(3)["score"].tolist())
    scores = any_store.scores()
    assert scores["influence"].sum() == pytest.approx(1.0, abs=1e-12)
    assert export_scores(any_store, tmp_path / "x.csv") == 4
    exported = pd.read_csv(tmp_path / "x.csv")
    assert exported["id"].tolist() == second.scores["id"].tolist()


WEIRD_IDS = ['quo"te', "back`tick", "{brace}", "new\nline", "ünï©ødé 🙂", "sp ace ",
             "semi;colon", "$ùser_param", "') MATCH (n) DETACH DELETE n //"]


def test_strange_ids_round_trip(any_store, tmp_path):
    d = tmp_path / "weird"
    d.mkdir()
    src = WEIRD_IDS
    dst = WEIRD_IDS[1:] + WEIRD_IDS[:1]
    pq.write_table(pa.table({"src": src, "dst": dst, "type": ["retweet"] * len(src)}),
                   d / "interactions.parquet")
    pq.write_table(pa.table({"id": WEIRD_IDS, "name": [f"name {i}" for i in WEIRD_IDS]}),
                   d / "users.parquet")
    load_snapshot(any_store, d, progress=False)
    assert any_store.counts()["users"] == len(WEIRD_IDS)
    result = analyze(any_store, progress=False)
    assert sorted(result.scores["id"]) == sorted(WEIRD_IDS)
    top = any_store.top(len(WEIRD_IDS))
    assert sorted(top["id"]) == sorted(WEIRD_IDS)
    assert all(top["name"] == "name " + top["id"])
    events = any_store.events()
    assert sorted(zip(events["src"], events["dst"], strict=True)) == sorted(
        zip(src, dst, strict=True))


# -- the two stores agree -----------------------------------------------------------------
def _both(tmp_path, neo4j_store, snapshot, **load_kwargs):
    out = {}
    with DuckDBStore(tmp_path / "cmp.duckdb") as duck:
        for name, store in (("duckdb", duck), ("neo4j", neo4j_store)):
            summary, _ = load_snapshot(store, snapshot, progress=False, **load_kwargs)
            result = analyze(store, AnalysisParams(half_life="7d"), progress=False)
            out[name] = (store.counts(), summary, result, store.top(20))
            if result.topics is not None:
                topic = result.topics.names[0]
                out[name + "-topics"] = (store.topics_summary(), store.top_topic(topic, 15),
                                         store.communities_summary())
    return out


@pytest.mark.parametrize("which", ["sample", "higgs-slice"])
def test_duckdb_and_neo4j_agree(tmp_path, neo4j_store, which):
    if which == "sample":
        snapshot = sample_path()
    else:  # the first 30,000 Higgs events, with their real ids and timestamps
        import gzip

        from .conftest import shared_dataset

        path = shared_dataset("higgs-twitter", "higgs-activity_time.txt.gz")
        snapshot = tmp_path / "higgs-slice" / "higgs-activity_time.txt"
        snapshot.parent.mkdir()
        with gzip.open(path, "rt") as fh:
            snapshot.write_text("".join(next(fh) for _ in range(30_000)))
        snapshot = snapshot.parent
    out = _both(tmp_path, neo4j_store, snapshot)
    (dc, ds, dr, dt), (nc, ns, nr, nt) = out["duckdb"], out["neo4j"]
    assert dc == nc
    for table in ds.reports:
        assert vars(ds.reports[table]) == vars(ns.reports[table]), table
    np.testing.assert_allclose(nr.scores["influence"], dr.scores["influence"], rtol=0, atol=1e-9)
    assert nr.scores["id"].tolist() == dr.scores["id"].tolist()
    assert nr.scores["rank"].tolist() == dr.scores["rank"].tolist()
    assert nt[["rank", "id"]].equals(dt[["rank", "id"]])
    assert (nr.run.iterations, nr.run.n_edges, nr.run.n_events) == (
        dr.run.iterations, dr.run.n_edges, dr.run.n_events)
    assert nr.run.extras == dr.run.extras
    if "duckdb-topics" in out:
        (d_topics, d_top, (d_mod, d_comm)) = out["duckdb-topics"]
        (n_topics, n_top, (n_mod, n_comm)) = out["neo4j-topics"]
        assert d_topics["topic"].tolist() == n_topics["topic"].tolist()
        assert d_topics["users"].tolist() == n_topics["users"].tolist()
        assert [list(v) for v in d_topics["top_influencers"]] == [
            list(v) for v in n_topics["top_influencers"]]
        assert d_top[["rank", "id"]].equals(n_top[["rank", "id"]])
        np.testing.assert_allclose(d_top["topic_influence"], n_top["topic_influence"],
                                   atol=1e-12)
        assert d_mod == pytest.approx(n_mod, abs=1e-12)
        assert d_comm["size"].tolist() == n_comm["size"].tolist()
        assert d_comm["top_members"].tolist() == n_comm["top_members"].tolist()
        assert d_comm["top_topics"].tolist() == n_comm["top_topics"].tolist()
