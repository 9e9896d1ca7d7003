"""One conformance suite over every store: the embedded DuckDB file and a real Neo4j server.

Each test taking ``any_store`` runs once per backend; the cross-store tests load the same
snapshot into both and compare counts, influence (1e-9) and rankings. Where backends differ,
the test reads ``store.capabilities`` and checks the documented behaviour of each side (the
clear error where a capability is missing), instead of skipping.
"""

from __future__ import annotations

import inspect
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.errors import InputError, StoreError, StoreNotReadyError
from graph_influence.exporting import export_scores
from graph_influence.loading import load_snapshot
from graph_influence.sample_data import sample_path
from graph_influence.stores import DuckDBStore, Store, StoreCapabilities, backend_classes
from graph_influence.stores.common import decay_weight

from .conftest import Crash, write_snapshot


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


def test_longest_ids_load_and_overlong_topics_are_dropped(any_store, tmp_path):
    """Ids of MAX_ID_BYTES load into both stores (Neo4j indexes up to ~8 KB); a topic of
    MAX_TOPIC_CHARS characters is kept, one character more is no topic."""
    from graph_influence.schema import MAX_ID_BYTES
    from graph_influence.topic_signals import MAX_TOPIC_CHARS

    longest = "é" * (MAX_ID_BYTES // 2)
    kept, dropped = "k" * MAX_TOPIC_CHARS, "d" * (MAX_TOPIC_CHARS + 1)
    d = write_snapshot(
        tmp_path / "s",
        users=f"id,name,topics\n{longest},Long,{kept};{dropped}\nb,B,{kept};{dropped}\n",
        follows=f"src,dst\n{longest},b\nb,{longest}\nc,b\n",
    )
    load_snapshot(any_store, d, progress=False)
    analyze(any_store, AnalysisParams(min_topic_users=2, communities=False), progress=False)
    assert longest in any_store.top(3)["id"].tolist()
    assert any_store.topics_summary()["topic"].tolist() == [kept]
    assert longest in any_store.top_topic(kept, 3)["id"].tolist()


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


@pytest.mark.slow
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
    # pagerank_input is a digest of the exact input bits: Neo4j sums decayed weights in
    # another order than DuckDB's fsum, so the last bits (and the digest) may differ
    assert {k: v for k, v in nr.run.extras.items() if k != "pagerank_input"} == {
        k: v for k, v in dr.run.extras.items() if k != "pagerank_input"}
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


# -- the contract: every backend implements every member ------------------------------------
def _contract_abstract() -> list[str]:
    return sorted(Store.__abstractmethods__)


def test_the_contract_is_complete_and_documented():
    members = [n for n in dir(Store) if not n.startswith("_")]
    for name in members:
        attr = inspect.getattr_static(Store, name)
        if name in ("backend", "capabilities"):
            continue
        doc = (attr.fget if isinstance(attr, property) else getattr(Store, name)).__doc__
        assert doc and doc.strip(), f"Store.{name} has no docstring"
    assert {"top_rows", "top_topic_rows", "topics_rows", "communities_rows", "scores_arrow",
            "graph_view", "write_run", "write_snapshot", "runs"} <= Store.__abstractmethods__


def _defined_by(cls, name: str):
    """The class in ``cls``'s MRO (below Store) that defines ``name``, or None."""
    for klass in cls.__mro__:
        if klass is Store:
            return None
        if name in vars(klass):
            return klass
    return None


def _params(func) -> list[tuple[str, object]]:
    return [(p.name, p.kind) for p in inspect.signature(func).parameters.values()]


@pytest.mark.parametrize("name", sorted(backend_classes()))
def test_every_backend_implements_every_member_of_the_contract(name):
    cls = backend_classes()[name]
    assert issubclass(cls, Store) and not inspect.isabstract(cls), cls.__abstractmethods__
    assert cls.backend == name
    assert isinstance(cls.capabilities, StoreCapabilities)
    for member in _contract_abstract():
        owner = _defined_by(cls, member)
        assert owner is not None, f"{cls.__name__} does not implement {member}"
        contract, mine = inspect.getattr_static(Store, member), inspect.getattr_static(
            owner, member)
        if isinstance(contract, property):
            assert isinstance(mine, property), member
            continue
        assert _params(getattr(cls, member)) == _params(getattr(Store, member)), member
    # members a backend may override keep the contract's signature too
    for member in ("run_ids", "recover_interrupted_loads", "resolve_run_id", "info"):
        if _defined_by(cls, member) is not None:
            assert _params(getattr(cls, member)) == _params(getattr(Store, member)), member


def test_the_contract_covers_every_member_the_pipeline_uses():
    """Every ``store.X`` / ``st.X`` in the library, the CLI and bench/ is a member of Store."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = [*(root / "graph_influence").glob("*.py"), *(root / "graph_influence" / "cli").glob(
        "*.py"), *(root / "bench").glob("*.py")]
    not_a_store = {"suffix", "unlink", "exists", "parent", "name"}  # `store` as a Path (demo)
    missing = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in ("store", "st") and node.attr not in not_a_store
                    and not hasattr(Store, node.attr)):
                missing.add(f"{path.relative_to(root)}: {node.value.id}.{node.attr}")
    assert not missing, f"members used but not in the Store contract: {sorted(missing)}"


def test_open_store_dispatches_through_the_registry(tmp_path):
    from graph_influence.stores import backends, open_store, register_backend

    opened = []

    def factory(url, *, read_only=False):
        opened.append((url, read_only))
        return DuckDBStore(tmp_path / "third.duckdb")

    register_backend("third", factory, schemes=["third://"], suffixes=[".third"])
    try:
        with open_store("third://somewhere", read_only=True) as st:
            assert st.backend == "duckdb"
        with open_store(tmp_path / "x.THIRD"):
            pass
        assert opened == [("third://somewhere", True), (str(tmp_path / "x.THIRD"), False)]
        with pytest.raises(StoreError, match=r"must end in \.duckdb or \.third"):
            open_store(tmp_path / "x.db")
        with pytest.raises(ValueError, match="already names backend 'duckdb'"):
            register_backend("fourth", factory, suffixes=[".duckdb"])
    finally:
        from graph_influence.stores import _REGISTRY

        _REGISTRY.pop("third", None)
    assert [b.name for b in backends()] == ["duckdb", "neo4j"]


# -- shared helpers: the decay formula ------------------------------------------------------
def test_both_stores_decay_as_the_reference_formula(any_store, tmp_path):
    day = 86400
    as_of = datetime(1970, 1, 11)
    age_days = {"b": 0, "c": 1, "d": 2, "e": None}  # a -> x, one event each, weight 1
    lines = "".join(f"a,{dst},like,{'' if age is None else (10 - age) * day}\n"
                    for dst, age in age_days.items())
    load_snapshot(any_store, write_snapshot(tmp_path / "s", interactions=(
        "src,dst,type,ts\n" + lines)), progress=False)
    ages = np.array([np.nan if a is None else a * day for a in age_days.values()], float)
    for half_life in (day, None):
        view = any_store.graph_view(as_of=as_of, half_life_seconds=half_life)
        got = {view.ids[t]: w for t, w in zip(view.inter_dst, view.inter_decayed, strict=True)}
        expected = decay_weight(ages, half_life)
        np.testing.assert_allclose([got[d] for d in age_days], expected, rtol=1e-12, atol=0)
    assert decay_weight(ages, day).tolist() == pytest.approx([1.0, 0.5, 0.25, 1.0], abs=1e-15)
    assert decay_weight(ages, None).tolist() == [1.0] * 4


# -- capabilities: the gaps are declared and give a clear error -----------------------------
TOPIC_SNAPSHOT = {
    "users": "id,name,topics\na,A,cooking\nb,B,cooking;chess\nc,C,chess\nd,D,\n",
    "follows": "src,dst\nb,a\nc,a\nd,a\na,b\nc,b\nd,c\n",
    "interactions": "src,dst,type,ts,topics\nb,a,retweet,100,cooking\nc,b,like,200,chess\n"
                    "d,c,reply,300,chess\n",
}


def _two_runs(store, tmp_path):
    load_snapshot(store, write_snapshot(tmp_path / "t", **TOPIC_SNAPSHOT), progress=False)
    first = analyze(store, AnalysisParams(min_topic_users=1), progress=False)
    second = analyze(store, AnalysisParams(min_topic_users=1, follow_weight=3.0),
                     progress=False)
    return first, second


def test_older_runs_results_where_the_backend_keeps_them(any_store, tmp_path):
    first, second = _two_runs(any_store, tmp_path)
    rid = first.run_id
    assert any_store.has_run_results(second.run_id)
    # kept by every backend, for every run
    assert any_store.top(4, run_id=rid)["id"].tolist() == first.top(4)["id"].tolist()
    assert any_store.scores(run_id=rid)["rank"].tolist() == first.scores["rank"].tolist()
    modularity, comms = any_store.communities_summary(run_id=rid)
    assert modularity == pytest.approx(first.run.extras["modularity"])
    assert any_store.topic_names(run_id=rid) == first.topics.names
    older = [
        lambda: any_store.top_topic("cooking", 5, run_id=rid),
        lambda: any_store.topics_summary(run_id=rid),
        lambda: any_store.user_extras(run_id=rid),
        lambda: any_store.membership_table(run_id=rid),
        lambda: any_store.topic_scores_table(run_id=rid),
    ]
    if any_store.capabilities.results_of_every_run:
        assert any_store.has_run_results(rid)
        board = any_store.top_topic("cooking", 5, run_id=rid)
        k = first.topics.names.index("cooking")
        best = first.ids[int(np.argmax(first.topics.influence[:, k]))]
        assert board["id"].iloc[0] == best
        np.testing.assert_allclose(board["topic_influence"].iloc[0],
                                   first.topics.influence[:, k].max(), rtol=1e-12)
        assert any_store.topics_summary(run_id=rid)["topic"].tolist() == first.topics.names
        extras = any_store.user_extras(run_id=rid)
        assert "community" in extras.column_names and "topic:cooking" in extras.column_names
    else:
        assert not any_store.has_run_results(rid)
        for query in older:
            with pytest.raises(StoreNotReadyError, match="of the latest run only"):
                query()
    # export of the older run works either way; topic columns only where they are kept
    assert export_scores(any_store, tmp_path / "old.parquet", run_id=rid) == 4
    columns = pq.read_table(tmp_path / "old.parquet").column_names
    assert columns[:4] == ["id", "influence", "score", "rank"]
    assert ("topic:cooking" in columns) == any_store.capabilities.results_of_every_run
    # and so does the report, which asks has_run_results instead of catching errors
    from graph_influence.report import write_report

    html = write_report(any_store, tmp_path / "old.html", run_id=rid).read_text("utf-8")
    assert ("keeps topic scores of the latest run only" in html) != (
        any_store.capabilities.results_of_every_run)


def test_an_interrupted_load_as_the_capabilities_say(any_store, snapshot_dir, tmp_path):
    from graph_influence.loaders import read_snapshot

    load_snapshot(any_store, snapshot_dir, progress=False)
    before = (any_store.counts(), any_store.loads())
    before_events = any_store.events()
    snap = read_snapshot(write_snapshot(tmp_path / "more", follows="src,dst\nm,n\n",
                                        interactions="src,dst,type\nm,n,like\n"))

    def interrupt(stage: str) -> None:
        if stage == "store: posts":  # users and follows are written by then in both stores
            raise Crash  # the process dies here (no chance to clean up, unlike Ctrl-C)

    with pytest.raises(Crash):
        any_store.write_snapshot(snap, stage=interrupt)
    if any_store.capabilities.atomic_loads:
        assert (any_store.counts(), any_store.loads()) == before
        assert any_store.recover_interrupted_loads() == []
    else:
        running = any_store.loads()[-1]
        assert running["status"] == "running"
        assert any_store.counts() == before[0], "rows of an unfinished load are not counted"
        assert len(any_store.events()) > len(before_events), "but they are there"
        assert any_store.recover_interrupted_loads() == [running["load_id"]]
        assert (any_store.counts(), any_store.loads()) == before
    any_store.write_snapshot(read_snapshot(tmp_path / "more"))
    assert any_store.counts()["users"] == before[0]["users"] + 2


@pytest.mark.parametrize("at", ["store: users", "store: posts", "the commit"])
def test_ctrl_c_during_a_load_leaves_the_store_as_it_was(any_store, snapshot_dir, tmp_path, at):
    """Ctrl-C is not a crash: both stores undo the unfinished load before exiting (DuckDB's
    transaction, Neo4j's rollback under the lock it still holds), and say so."""
    from graph_influence.errors import Interrupted
    from graph_influence.loaders import read_snapshot

    load_snapshot(any_store, snapshot_dir, progress=False)
    before = (any_store.counts(), any_store.loads(), len(any_store.events()))
    more = write_snapshot(tmp_path / "more", users="id,name\nalice,Renamed\nm,M\n",
                          follows="src,dst\nm,n\n", interactions="src,dst,type\nm,n,like\n",
                          posts="id,author\npm,m\n")

    last = {"duckdb": "store: commit", "neo4j": "store: complete load"}[any_store.backend]
    at = last if at == "the commit" else at

    def interrupt(stage: str) -> None:
        if stage == at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as info:
        any_store.write_snapshot(read_snapshot(more), stage=interrupt)
    assert (any_store.counts(), any_store.loads(), len(any_store.events())) == before
    analyze(any_store, progress=False)
    assert "Renamed" not in any_store.top(10)["name"].tolist()
    if isinstance(info.value, Interrupted):  # Neo4j says what it did
        assert "rolled back; the store is as it was" in info.value.message


# -- every query, on every backend: columns, dtypes, order ----------------------------------
TOP_COLUMNS = {"rank": "int64", "score": "float64", "influence": "float64"}


def _dtypes(frame, columns) -> dict:
    return {c: str(frame[c].dtype) for c in columns}


def test_queries_have_the_same_shape_on_every_backend(any_store, tmp_path):
    from graph_influence.stores.base import (
        COMMUNITIES_DTYPES,
        TOP_DTYPES,
        TOP_TOPIC_DTYPES,
        TOPICS_DTYPES,
    )

    with pytest.raises(StoreNotReadyError, match=r"no analysis in .* yet — run: graph-influence"):
        any_store.resolve_run_id()
    first, second = _two_runs(any_store, tmp_path)
    assert any_store.run_ids() == [first.run_id, second.run_id]
    assert any_store.run().run_id == second.run_id == any_store.resolve_run_id()
    with pytest.raises(StoreNotReadyError, match=r"no run 99 in .* — see graph-influence info"):
        any_store.run(99)
    with pytest.raises(StoreNotReadyError, match="no run 99"):
        any_store.top(3, run_id=99)
    runs = any_store.runs()
    assert runs[-1].extras == second.run.extras and runs[0].params == first.run.params

    top = any_store.top(3)
    assert list(top.columns) == ["rank", "id", "score", "influence", "name"]
    assert _dtypes(top, TOP_DTYPES) == TOP_DTYPES
    assert top["id"].tolist() == second.top(3)["id"].tolist()
    assert top.to_dict(orient="records") == any_store.top_rows(3).records()

    topic = second.topics.names[0]
    board = any_store.top_topic(topic, 10)
    assert list(board.columns) == ["rank", "id", "score", "topic_influence", "influence",
                                   "score_overall", "name"]
    assert _dtypes(board, TOP_TOPIC_DTYPES) == TOP_TOPIC_DTYPES
    assert board.sort_values(["rank", "id"]).index.tolist() == list(range(len(board)))
    assert any_store.top_topic_rows(topic, 10).column("id") == board["id"].tolist()
    with pytest.raises(StoreNotReadyError, match="closest known topics: cooking"):
        any_store.top_topic("cookin", 3)

    summary = any_store.topics_summary(top=2)
    assert list(summary.columns) == ["topic", "users", "iterations", "top_influencers"]
    assert _dtypes(summary, TOPICS_DTYPES) == TOPICS_DTYPES
    assert summary["topic"].tolist() == second.topics.names == any_store.topic_names()
    assert all(isinstance(v, list) and len(v) <= 2 for v in summary["top_influencers"])
    assert summary["top_influencers"].iloc[0][0] == any_store.top_topic(topic, 1)["id"].iloc[0]

    modularity, comms = any_store.communities_summary()
    assert modularity == pytest.approx(second.run.extras["modularity"], abs=1e-12)
    assert list(comms.columns) == ["community", "size", "modularity_contribution",
                                   "top_topics", "top_members"]
    assert _dtypes(comms, COMMUNITIES_DTYPES) == COMMUNITIES_DTYPES
    assert comms["size"].sum() == 4 and comms["community"].tolist() == list(range(len(comms)))
    assert all(isinstance(v, list) for v in comms["top_members"])
    assert any_store.communities_rows()[1].records() == comms.to_dict(orient="records")
    assert any_store.communities_rows(limit=1)[1].records() == comms.head(1).to_dict(
        orient="records")

    arrow = any_store.scores_arrow()
    assert arrow.schema.names == ["id", "influence", "score", "rank"]
    assert [str(t) for t in arrow.schema.types] == ["string", "double", "double", "int64"]
    scores = any_store.scores()
    assert scores["id"].tolist() == second.scores["id"].tolist()
    np.testing.assert_allclose(scores["influence"], second.scores["influence"], atol=1e-15)

    extras = any_store.user_extras()
    assert extras.column_names == ["id", "community"] + [
        f"topic:{t}" for t in second.topics.names]
    assert sorted(extras.column("id").to_pylist()) == sorted(scores["id"])
    membership = dict(zip(second.ids, second.communities.membership, strict=True))
    got = dict(zip(extras.column("id").to_pylist(), extras.column("community").to_pylist(),
                   strict=True))
    assert got == membership

    info = any_store.info()
    assert set(info) == {"store", "backend", "counts", "time_range", "loads", "runs",
                         "last_run"}
    assert (info["store"], info["backend"], info["runs"]) == (
        any_store.url, any_store.backend, 2)
    assert info["last_run"].run_id == second.run_id
    assert info["counts"] == any_store.counts()

    assert export_scores(any_store, tmp_path / "all.parquet") == 4
    exported = pq.read_table(tmp_path / "all.parquet")
    assert exported.column_names == ["id", "influence", "score", "rank", "community"] + [
        f"topic:{t}" for t in second.topics.names]
    assert exported.column("id").to_pylist() == second.scores["id"].tolist()


def test_a_run_without_communities_or_topics(any_store, snapshot_dir, tmp_path):
    load_snapshot(any_store, snapshot_dir, progress=False)
    analyze(any_store, AnalysisParams(communities=False, topics=False), progress=False)
    assert any_store.run().extras["modularity"] is None
    with pytest.raises(StoreNotReadyError, match="has no communities"):
        any_store.communities_summary()
    with pytest.raises(StoreNotReadyError, match="has no topics"):
        any_store.top_topic("python", 3)
    assert any_store.topic_names() == [] and len(any_store.topics_summary()) == 0
    assert any_store.user_extras().column_names == ["id"]
    assert export_scores(any_store, tmp_path / "plain.csv") == 4
    assert pd.read_csv(tmp_path / "plain.csv").columns.tolist() == [
        "id", "influence", "score", "rank"]


# -- light queries: no numpy, pandas, pyarrow... in a fresh process -------------------------
HEAVY = ("numpy", "pandas", "scipy", "numba", "pyarrow", "neo4j", "networkx", "igraph")


def test_light_queries_import_nothing_heavy(tmp_path):
    import json
    import subprocess
    import sys

    path = tmp_path / "light.duckdb"
    with DuckDBStore(path) as st:
        load_snapshot(st, write_snapshot(tmp_path / "t", **TOPIC_SNAPSHOT), progress=False)
        analyze(st, AnalysisParams(min_topic_users=1), progress=False)
    code = f"""
import json, sys
from graph_influence.stores import open_store
with open_store({str(path)!r}, read_only=True) as st:
    out = [st.top_rows(3).records(), st.top_topic_rows("cooking", 3).rows,
           st.topics_rows().rows, st.communities_rows()[0], st.info()["runs"],
           st.runs()[-1].run_id, st.counts(), len(st.loads()), st.time_range()[1] is not None,
           st.topic_names(), st.run_ids(), st.has_run_results()]
heavy = [m for m in {HEAVY!r} if m in sys.modules]
print(json.dumps({{"heavy": heavy, "top": out[0][0]["id"], "runs": out[4]}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["heavy"] == [], f"the light path imported {result['heavy']}"
    assert result["runs"] == 1


# -- managing the store: the load ledger, dropping loads, deleting runs -----------------------
TABLE_NAMES = ("users", "follows", "interactions", "posts")
OVERLAP_A = {  # two loads that share a user row, a follow, an event and a post
    "users": "id,name\nx,X\ny,Y\n",
    "follows": "src,dst\nx,y\ny,z\n",
    "interactions": "src,dst,type,ts,post_id\nx,y,like,100,p1\nx,y,like,100,p1\nz,y,reply,50,\n",
    "posts": "id,author,ts,text\np1,y,90,hello\np2,z,95,only in a\n",
}
OVERLAP_B = {
    "follows": "src,dst\nx,y\nq,r\n",
    "interactions": "src,dst,type,ts,post_id\nx,y,like,100,p1\nq,x,retweet,200,\n",
    "posts": "id,author,ts,text\np1,y,90,hello\n",
}


def _state(store) -> tuple:
    """What the store holds, as comparable values (events without their load ids)."""
    events = store.events().drop(columns=["load_id"])
    rows = sorted(tuple(None if pd.isna(v) else v for v in r)
                  for r in events.astype(object).itertuples(index=False))
    view = store.graph_view(as_of=None, half_life_seconds=None)
    follows = sorted(zip(view.ids[view.follow_src], view.ids[view.follow_dst], strict=True))
    return store.counts(), rows, sorted(view.ids.tolist()), follows


def _alone(tmp_path, name, tables) -> tuple:
    with DuckDBStore(tmp_path / f"{name}.duckdb") as ref:
        load_snapshot(ref, write_snapshot(tmp_path / f"{name}-ref", **tables), progress=False)
        return _state(ref)


@pytest.mark.parametrize("dropped", ["first", "second"])
def test_drop_load_keeps_the_rows_another_load_contains(any_store, tmp_path, dropped):
    a, _ = load_snapshot(any_store, write_snapshot(tmp_path / "a", **OVERLAP_A), progress=False)
    b, _ = load_snapshot(any_store, write_snapshot(tmp_path / "b", **OVERLAP_B), progress=False)
    ledger = {r["load_id"]: r for r in any_store.loads_rows().records()}
    assert {t: sum(r[t] for r in ledger.values()) for t in TABLE_NAMES} == any_store.counts()
    # b holds q, r, q->r, its retweet; it shares users x, y, the follow, one like and p1
    assert [ledger[b.load_id][t] for t in (*TABLE_NAMES, "shared")] == [2, 1, 1, 0, 5]
    assert ledger[a.load_id]["shared"] == 0
    gone, stays, tables = (a, b, OVERLAP_B) if dropped == "first" else (b, a, OVERLAP_A)
    summary = any_store.drop_load(gone.load_id)
    assert _state(any_store) == _alone(tmp_path, "alone", tables)
    assert [ld["load_id"] for ld in any_store.loads()] == [stays.load_id]
    if dropped == "first":  # a's own rows go; what b contains too passes to b
        assert summary.removed == {"users": 1, "follows": 1, "interactions": 2, "posts": 1}
        assert summary.kept == {"users": 2, "follows": 1, "interactions": 1, "posts": 1}
    else:  # b's own rows go; a keeps what it held
        assert summary.removed == {"users": 2, "follows": 1, "interactions": 1, "posts": 0}
        assert summary.kept == {"users": 0, "follows": 0, "interactions": 0, "posts": 0}
    (left,) = any_store.loads_rows().records()
    assert {t: left[t] for t in TABLE_NAMES} == any_store.counts() and left["shared"] == 0
    assert set(any_store.events()["load_id"]) == {stays.load_id}
    # the store goes on as if the dropped load had never been: reloading it restores it
    again, _ = load_snapshot(any_store, write_snapshot(tmp_path / "again", **(
        OVERLAP_A if dropped == "first" else OVERLAP_B)), progress=False)
    assert again.already_loaded_as is None
    with DuckDBStore(tmp_path / "both.duckdb") as ref:
        for name, tables in (("a", OVERLAP_A), ("b", OVERLAP_B)):
            load_snapshot(ref, write_snapshot(tmp_path / f"both-{name}", **tables),
                          progress=False)
        assert _state(any_store) == _state(ref)
    with pytest.raises(StoreNotReadyError, match="no load 'nope'"):
        any_store.drop_load("nope")



def test_drop_load_refuses_or_deletes_the_runs_that_used_it(any_store, tmp_path):
    a, _ = load_snapshot(any_store, write_snapshot(tmp_path / "a", **OVERLAP_A), progress=False)
    quick = AnalysisParams(topics=False, min_topic_users=1)
    first = analyze(any_store, quick, progress=False)
    b, _ = load_snapshot(any_store, write_snapshot(tmp_path / "b", **OVERLAP_B), progress=False)
    second = analyze(any_store, AnalysisParams(topics=False, follow_weight=3.0), progress=False)
    assert any_store.runs_using_load(a.load_id) == [first.run_id, second.run_id]
    assert any_store.runs_using_load(b.load_id) == [second.run_id]
    assert any_store.loads_of_run(first.run_id) == [a.load_id]
    assert [ld["load_id"] for ld in any_store.loads_after_run(first.run_id)] == [b.load_id]
    before = (any_store.counts(), any_store.run_ids())
    with pytest.raises(StoreNotReadyError, match=rf"run {second.run_id} used load {b.load_id}"):
        any_store.drop_load(b.load_id)
    assert (any_store.counts(), any_store.run_ids()) == before
    assert any_store.load(b.load_id[:-3])["load_id"] == b.load_id  # a unique prefix will do
    summary = any_store.drop_load(b.load_id, delete_runs=True)
    assert summary.runs_deleted == [second.run_id]
    assert any_store.run_ids() == [first.run_id]
    # the run left is the latest again: its scores read as they were written
    assert any_store.top(5)["id"].tolist() == first.top(5)["id"].tolist()
    assert any_store.scores()["rank"].tolist() == first.scores["rank"].tolist()
    modularity, _ = any_store.communities_summary()
    assert modularity == pytest.approx(first.run.extras["modularity"])
    assert any_store.has_run_results() == any_store.capabilities.results_of_every_run
    if not any_store.capabilities.results_of_every_run:
        with pytest.raises(StoreNotReadyError, match="of the latest run only"):
            any_store.membership_table()
    # a new analysis keeps its results again
    third = analyze(any_store, quick, progress=False)
    assert any_store.has_run_results(third.run_id)
    assert len(any_store.membership_table()) == any_store.counts()["users"]


def test_delete_run(any_store, tmp_path):
    first, second = _two_runs(any_store, tmp_path)
    any_store.delete_run(first.run_id)
    assert any_store.run_ids() == [second.run_id]
    assert any_store.top(4)["id"].tolist() == second.top(4)["id"].tolist()
    assert any_store.has_run_results() and len(any_store.topics_summary()) > 0
    with pytest.raises(StoreNotReadyError, match=f"no run {first.run_id}"):
        any_store.delete_run(first.run_id)
    any_store.delete_run(second.run_id)
    assert any_store.run_ids() == [] and any_store.runs() == []
    third = analyze(any_store, AnalysisParams(min_topic_users=1), progress=False)
    assert third.run_id > second.run_id  # ids are not reused
    assert any_store.top(4)["id"].tolist() == third.top(4)["id"].tolist()


def test_graph_view_of_the_loads_of_a_run(any_store, tmp_path):
    a, _ = load_snapshot(any_store, write_snapshot(tmp_path / "a", **OVERLAP_A), progress=False)
    load_snapshot(any_store, write_snapshot(tmp_path / "b", **OVERLAP_B), progress=False)
    view = any_store.graph_view(as_of=None, half_life_seconds=None, load_ids=[a.load_id])
    with DuckDBStore(tmp_path / "ref.duckdb") as ref:
        load_snapshot(ref, write_snapshot(tmp_path / "a2", **OVERLAP_A), progress=False)
        expected = ref.graph_view(as_of=None, half_life_seconds=None)
        expected_topics = ref.topic_rows()
    assert view.ids.tolist() == expected.ids.tolist()
    for name in ("follow_src", "follow_dst", "inter_src", "inter_dst", "inter_type",
                 "inter_count", "inter_decayed"):
        np.testing.assert_array_equal(getattr(view, name), getattr(expected, name), name)
    assert view.type_names == expected.type_names == ["like", "reply"]
    topics = any_store.topic_rows(load_ids=[a.load_id])
    assert {k: t.num_rows for k, t in topics.items()} == {
        k: t.num_rows for k, t in expected_topics.items()}


# -- the fingerprint covers the files and how they were read ---------------------------------
def test_the_same_files_read_another_way_are_another_snapshot(any_store, tmp_path):
    edges = tmp_path / "edges.txt"
    edges.write_text("a b\nb c\nc a\n")
    follows, _ = load_snapshot(any_store, edges, progress=False)
    assert follows.reports["follows"].new == 3
    retweets, _ = load_snapshot(any_store, edges, edge_kind="retweet", progress=False)
    assert retweets.already_loaded_as is None and retweets.reports["interactions"].new == 3
    assert follows.fingerprint != retweets.fingerprint
    again, _ = load_snapshot(any_store, edges, edge_kind="retweet", progress=False)
    assert again.already_loaded_as == retweets.load_id
    assert all(r.new == 0 for r in again.reports.values())
    # spellings of the same reading agree: --type follow is the default
    same, _ = load_snapshot(any_store, edges, edge_kind="follow", progress=False)
    assert same.already_loaded_as == follows.load_id


def test_excluding_other_users_is_another_snapshot(any_store, tmp_path):
    import json

    comments = [
        {"id": "c1", "author": "bob", "body": "hi", "parent_id": "t3_s1", "link_id": "t3_s1",
         "subreddit": "python", "created_utc": 1554077000},
        {"id": "c2", "author": "AutoModerator", "body": "rules", "parent_id": "t1_c1",
         "link_id": "t3_s1", "subreddit": "python", "created_utc": 1554077100},
        {"id": "c3", "author": "carol", "body": "ok", "parent_id": "t1_c1", "link_id": "t3_s1",
         "subreddit": "python", "created_utc": 1554077200},
    ]
    path = tmp_path / "RC_2019-04.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in comments))
    first, _ = load_snapshot(any_store, path, format="reddit", progress=False)
    everyone, _ = load_snapshot(any_store, path, format="reddit", exclude_users=[""],
                                progress=False)
    assert everyone.already_loaded_as is None
    assert everyone.reports["interactions"].new == 1 and everyone.reports["users"].new == 1
    again, _ = load_snapshot(any_store, path, format="reddit", exclude_users=[""],
                             progress=False)
    assert again.already_loaded_as == everyone.load_id


def test_loaded_before_only_when_no_row_is_new(any_store, tmp_path):
    from graph_influence.loaders import read_snapshot

    first, _ = load_snapshot(any_store, write_snapshot(tmp_path / "a", follows="src,dst\na,b\n"),
                             progress=False)
    other = read_snapshot(write_snapshot(tmp_path / "b", follows="src,dst\nb,c\n"))
    other.fingerprint = first.fingerprint  # as a store loaded before the ledger may see it
    summary = any_store.write_snapshot(other)
    assert summary.reports["follows"].new == 1 and summary.already_loaded_as is None
