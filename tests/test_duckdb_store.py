"""The embedded store: atomic, idempotent loads; events kept faithfully; runs kept."""

from __future__ import annotations

from datetime import datetime

import pytest

from graph_influence.errors import InputError, StoreError, StoreNotReadyError
from graph_influence.loading import load_snapshot
from graph_influence.stores import DuckDBStore, open_store

from .conftest import write_snapshot


def _rows(store, sql):
    return store.con.execute(sql).fetchall()


def test_load_counts_and_reload_adds_nothing(store, snapshot_dir):
    summary, _ = load_snapshot(store, snapshot_dir, progress=False)
    counts = store.counts()
    # users: alice, bob, carol + dave (only in follows)
    assert counts == {"users": 4, "follows": 4, "interactions": 4, "posts": 1}
    assert summary.reports["users"].new == 4
    again, _ = load_snapshot(store, snapshot_dir, progress=False)
    assert store.counts() == counts
    assert again.already_loaded_as == summary.load_id
    assert all(r.new == 0 for r in again.reports.values())
    assert [ld["status"] for ld in store.loads()] == ["complete", "complete"]


def test_every_event_keeps_type_time_and_load_id(store, snapshot_dir):
    summary, _ = load_snapshot(store, snapshot_dir, progress=False)
    rows = _rows(store, """
        SELECT a.id, b.id, i.type, i.ts, i.post_id, i.load_id FROM interactions i
        JOIN users a ON a.uid = i.src JOIN users b ON b.uid = i.dst ORDER BY i.ts""")
    assert rows == [
        ("bob", "alice", "retweet", datetime(2024, 1, 2), "p1", summary.load_id),
        ("carol", "alice", "like", datetime(2024, 1, 3), "p1", summary.load_id),
        ("bob", "alice", "reply", datetime(2024, 1, 4), "p1", summary.load_id),
        ("alice", "bob", "mention", datetime(2024, 1, 5), None, summary.load_id),
    ]


def test_exact_duplicates_and_self_loops_are_counted_and_kept(store, tmp_path):
    d = write_snapshot(
        tmp_path / "s",
        interactions="src,dst,type,ts\na,b,like,100\na,b,like,100\na,a,reply,100\n",
        follows="src,dst\na,b\na,b\nb,b\n",
    )
    summary, _ = load_snapshot(store, d, progress=False)
    inter, fol = summary.reports["interactions"], summary.reports["follows"]
    assert (inter.duplicates, inter.self_loops, inter.new) == (1, 1, 3)
    assert (fol.duplicates, fol.self_loops, fol.new) == (1, 1, 2)
    load_snapshot(store, d, progress=False)
    assert store.counts()["interactions"] == 3, "repeats within a load are events; reload adds none"


def test_second_snapshot_merges(store, tmp_path):
    a = write_snapshot(tmp_path / "a", follows="src,dst\nx,y\n",
                       users="id,name\nx,Old name\n")
    b = write_snapshot(tmp_path / "b", follows="src,dst\nx,y\ny,z\n",
                       users="id,name\nx,New name\n")
    load_snapshot(store, a, progress=False)
    load_snapshot(store, b, progress=False)
    assert store.counts()["follows"] == 2
    assert _rows(store, "SELECT id, name FROM users ORDER BY id") == [
        ("x", "New name"), ("y", None), ("z", None)]
    uids = _rows(store, "SELECT uid FROM users ORDER BY uid")
    assert [u for (u,) in uids] == [0, 1, 2], "uids stay dense"


def test_bad_input_leaves_store_unchanged(store, snapshot_dir, tmp_path):
    load_snapshot(store, snapshot_dir, progress=False)
    before = (store.counts(), store.loads())
    bad = write_snapshot(tmp_path / "bad", follows="src,dst\nnew1,new2\n",
                         interactions="src,dst,type\nnew1,new2,like\nnew1,new2,poke\n")
    with pytest.raises(InputError):
        load_snapshot(store, bad, progress=False)
    assert (store.counts(), store.loads()) == before


def test_a_load_interrupted_inside_the_transaction_rolls_back(store, snapshot_dir, tmp_path):
    from graph_influence.loaders import read_snapshot

    load_snapshot(store, snapshot_dir, progress=False)
    before = (store.counts(), store.loads())
    other = write_snapshot(tmp_path / "other", follows="src,dst\nm,n\n",
                           interactions="src,dst,type\nm,n,like\n")
    snap = read_snapshot(other)

    def interrupt(stage: str) -> None:
        if stage == "store: interactions":  # users and follows already written in the txn
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.write_snapshot(snap, stage=interrupt)
    assert (store.counts(), store.loads()) == before
    store.write_snapshot(snap)  # and the store still works
    assert store.counts()["follows"] == before[0]["follows"] + 1


def test_graph_view_aggregates_with_decay(store, tmp_path):
    day = 86400
    d = write_snapshot(
        tmp_path / "s",
        interactions=f"src,dst,type,ts,weight\na,b,like,{10 * day},\na,b,like,{9 * day},2\n"
        f"a,b,retweet,{8 * day},\na,b,retweet,{11 * day},\nb,a,reply,,\n",
    )
    load_snapshot(store, d, progress=False)
    as_of = datetime(1970, 1, 11)  # = epoch 10 days, UTC
    view = store.graph_view(as_of=as_of, half_life_seconds=day)
    got = {
        (view.ids[s], view.ids[t], view.type_names[k]): (n, w)
        for s, t, k, n, w in zip(view.inter_src, view.inter_dst, view.inter_type,
                                 view.inter_count, view.inter_decayed, strict=True)
    }
    # like at age 0 (w 1) + like at age 1 day (w 2 -> 2 * 0.5); retweet at day 11 is after as_of
    assert got[("a", "b", "like")] == (2, pytest.approx(1.0 + 1.0))
    assert got[("a", "b", "retweet")] == (1, pytest.approx(0.25))
    assert got[("b", "a", "reply")] == (1, pytest.approx(1.0)), "undated events do not decay"
    no_decay = store.graph_view(as_of=None, half_life_seconds=None)
    # no as-of: every event counts, undecayed: reply 1, retweets 1 + 1, likes 1 + 2
    assert sorted(no_decay.inter_decayed.tolist()) == [1.0, 2.0, 3.0]


def test_open_store_by_url_and_env(tmp_path, monkeypatch):
    path = tmp_path / "x.duckdb"
    with open_store(f"duckdb://{path}") as st:
        assert st.url == f"duckdb://{path}"
    monkeypatch.setenv("GRAPH_INFLUENCE_STORE", str(tmp_path / "env.duckdb"))
    with open_store() as st:
        assert st.path == tmp_path / "env.duckdb"
    with pytest.raises(StoreError, match=r"must end in \.duckdb"):
        open_store(tmp_path / "x.db")
    with pytest.raises(StoreError, match="unknown store URL"):
        open_store("postgres://x")
    with pytest.raises(StoreNotReadyError, match="load a snapshot first"):
        open_store(tmp_path / "missing.duckdb", read_only=True)


def test_not_a_store(tmp_path):
    import duckdb

    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE t (a INT)").close()
    with pytest.raises(StoreError, match="not a graph-influence store"):
        DuckDBStore(path, read_only=True)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError):
        DuckDBStore(junk)


def test_queries_before_analysis_say_what_to_do(store, snapshot_dir):
    with pytest.raises(StoreNotReadyError, match="empty"):
        store.graph_view(as_of=None, half_life_seconds=None)
    load_snapshot(store, snapshot_dir, progress=False)
    with pytest.raises(StoreNotReadyError, match="graph-influence analyze"):
        store.top(5)
