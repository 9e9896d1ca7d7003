"""What is specific to the embedded store (the shared behaviour is in test_store_conformance)."""

from __future__ import annotations

import pytest

from graph_influence.errors import StoreError, StoreNotReadyError
from graph_influence.loading import load_snapshot
from graph_influence.stores import DuckDBStore, open_store

from .conftest import write_snapshot


def _rows(store, sql):
    return store.con.execute(sql).fetchall()


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




def test_load_memory_bound_is_configurable_and_restored(store, snapshot_dir, monkeypatch):
    def limit():
        return _rows(store, "SELECT current_setting('memory_limit')")[0][0]

    before = limit()
    monkeypatch.setenv("GRAPH_INFLUENCE_LOAD_MEMORY", "lots")
    with pytest.raises(StoreError, match="GRAPH_INFLUENCE_LOAD_MEMORY='lots' is not a size"):
        load_snapshot(store, snapshot_dir, progress=False)
    assert store.counts()["users"] == 0 and limit() == before  # nothing written, nothing kept
    monkeypatch.setenv("GRAPH_INFLUENCE_LOAD_MEMORY", "64MB")
    load_snapshot(store, snapshot_dir, progress=False)
    assert store.counts()["users"] > 0 and limit() == before


def test_consume_empties_the_snapshot_tables_once_the_load_is_committed(store, snapshot_dir):
    from graph_influence.loaders import read_snapshot

    snap = read_snapshot(snapshot_dir)
    rows = {name: t.num_rows for name, t in snap.tables.items()}
    summary = store.write_snapshot(snap, consume=True)
    assert all(t.num_rows == 0 for t in snap.tables.values())
    assert {name: r.loaded for name, r in summary.reports.items()} == rows


def test_repeated_events_are_numbered_in_file_order(store, tmp_path):
    d = write_snapshot(
        tmp_path / "s",
        interactions="src,dst,type,ts,weight\n"
                     "a,b,like,100,3\nc,d,like,100,1\na,b,like,100,1\na,b,like,100,2\n",
    )
    summary, _ = load_snapshot(store, d, progress=False)
    assert summary.reports["interactions"].duplicates == 2
    rows = _rows(store, "SELECT seq, weight FROM interactions i JOIN users u ON u.uid = i.src "
                        "WHERE u.id = 'a' ORDER BY seq")
    assert rows == [(0, 3.0), (1, 1.0), (2, 2.0)]
    load_snapshot(store, d, progress=False)  # the same file again: the same keys, nothing new
    assert store.counts()["interactions"] == 4


def _everything(store) -> dict:
    tables = ("users", "follows", "interactions", "posts", "loads", "runs", "scores",
              "user_claims", "follow_claims", "interaction_claims", "post_claims")
    return {t: sorted(map(repr, _rows(store, f"SELECT * FROM {t}"))) for t in tables}


def test_the_shared_row_ledger(store, tmp_path):
    a = write_snapshot(tmp_path / "a", follows="src,dst\nx,y\n",
                       interactions="src,dst,type,ts\nx,y,like,100\nx,y,like,100\n")
    first, _ = load_snapshot(store, a, progress=False)
    assert _rows(store, "SELECT count(*) FROM user_claims")[0][0] == 0, "a first load shares nothing"
    again, _ = load_snapshot(store, a, progress=False)
    shared = {t: _rows(store, f"SELECT load_id, count(*) FROM {t} GROUP BY load_id")
              for t in ("user_claims", "follow_claims", "interaction_claims")}
    assert shared == {"user_claims": [(again.load_id, 2)], "follow_claims": [(again.load_id, 1)],
                      "interaction_claims": [(again.load_id, 2)]}
    assert again.already_loaded_as == first.load_id
    # dropping the first hands everything to the second, which shares nothing any more
    summary = store.drop_load(first.load_id)
    assert summary.removed == {"users": 0, "follows": 0, "interactions": 0, "posts": 0}
    assert set(_rows(store, "SELECT DISTINCT load_id FROM interactions")) == {(again.load_id,)}
    assert _rows(store, "SELECT count(*) FROM interaction_claims")[0][0] == 0


def test_drop_load_and_delete_run_are_one_transaction(store, snapshot_dir, tmp_path,
                                                      monkeypatch):
    from graph_influence.analysis import AnalysisParams, analyze

    load_snapshot(store, snapshot_dir, progress=False)
    second, _ = load_snapshot(store, write_snapshot(
        tmp_path / "b", follows="src,dst\nbob,alice\nm,n\n"), progress=False)
    analyze(store, AnalysisParams(topics=False), progress=False)
    before = _everything(store)
    calls = []

    def fail_on_users(table, load_id):
        calls.append(table)
        if table == "users":  # events, follows and posts are deleted by now
            raise KeyboardInterrupt
        return DuckDBStore._hand_over(store, table, load_id)

    monkeypatch.setattr(store, "_hand_over", fail_on_users)
    with pytest.raises(KeyboardInterrupt):
        store.drop_load(second.load_id, delete_runs=True)
    assert calls == ["interactions", "follows", "posts", "users"]
    assert _everything(store) == before
    monkeypatch.undo()

    def fail_after_scores(run_id):
        store.con.execute("DELETE FROM scores WHERE run_id = ?", [run_id])
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_delete_run_rows", fail_after_scores)
    with pytest.raises(KeyboardInterrupt):
        store.delete_run(1)
    assert _everything(store) == before
    monkeypatch.undo()
    store.drop_load(second.load_id, delete_runs=True)
    assert store.run_ids() == [] and store.counts()["users"] == 4
