"""Neo4j under faults: concurrent writers, analyses during loads, SIGKILL, rollback of what a
load overwrote, and timestamps before 1970 (the store's write lock and atomic runs)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from graph_influence.analysis import analyze
from graph_influence.errors import StoreError
from graph_influence.loading import load_snapshot
from graph_influence.stores import DuckDBStore
from graph_influence.stores.neo4j_store import LOCK_TTL_ENV, PAUSE_ENV, Q_COUNTS, Neo4jStore

from .conftest import write_snapshot


def _events_snapshot(directory, prefix: str, n: int = 1500):
    rows = "".join(f"{prefix}{i % 97},{prefix}{(i * 7 + 1) % 97},like,{1_700_000_000 + i}\n"
                   for i in range(n))
    follows = "".join(f"{prefix}{i},{prefix}{i + 1}\n" for i in range(200))
    return write_snapshot(directory, interactions="src,dst,type,ts\n" + rows,
                          follows="src,dst\n" + follows)


def _reference_counts(tmp_path, *snapshots) -> dict:
    with DuckDBStore(tmp_path / "ref.duckdb") as ref:
        for snap in snapshots:
            load_snapshot(ref, snap, progress=False)
        return ref.counts()


def _in_thread(fn, *args, **kwargs) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def run():
        try:
            out["value"] = fn(*args, **kwargs)
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def _wait_for_line(proc: subprocess.Popen, text: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if text.encode() in line:
            return
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"the subprocess never printed {text!r}: rc={proc.poll()}")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "graph_influence.cli", *args]


@pytest.mark.neo4j_fault
def test_two_concurrent_loads_keep_every_row(neo4j_store, tmp_path):
    a = _events_snapshot(tmp_path / "a", "a")
    b = _events_snapshot(tmp_path / "b", "b")
    expected = _reference_counts(tmp_path, a, b)
    stores = [Neo4jStore(neo4j_store.url, batch_size=50) for _ in range(2)]
    try:
        runs = [_in_thread(load_snapshot, st, snap, progress=False)
                for st, snap in zip(stores, (a, b), strict=True)]
        for thread, _ in runs:
            thread.join(300)
    finally:
        for st in stores:
            st.close()
    errors = [out["error"] for _, out in runs if "error" in out]
    assert not errors, errors  # the second writer waited for the first
    assert neo4j_store.counts() == expected
    assert [ld["status"] for ld in neo4j_store.loads()] == ["complete", "complete"]


def test_a_second_writer_fails_clearly_once_its_wait_is_over(neo4j_store, snapshot_dir):
    with Neo4jStore(neo4j_store.url) as other:
        other.lock_wait_s = 0.5
        with neo4j_store._write_lock("load L-first"):
            with pytest.raises(StoreError, match=r"another load L-first \(started "
                                                 r".* UTC\) is writing to bolt://.*; wait or "
                                                 r"retry"):
                load_snapshot(other, snapshot_dir, progress=False)
        assert other.loads() == [], "the refused load wrote nothing"
        load_snapshot(other, snapshot_dir, progress=False)  # the lock is free again
    assert neo4j_store.counts()["users"] == 4


@pytest.mark.neo4j_fault
def test_analyze_during_a_load_waits_and_loses_nothing(neo4j_store, tmp_path):
    first = _events_snapshot(tmp_path / "a", "a", n=300)
    load_snapshot(neo4j_store, first, progress=False)
    second = _events_snapshot(tmp_path / "b", "b")
    expected = _reference_counts(tmp_path, first, second)
    loader = Neo4jStore(neo4j_store.url, batch_size=50)
    analyst = Neo4jStore(neo4j_store.url)
    try:
        thread, out = _in_thread(load_snapshot, loader, second, progress=False)
        deadline = time.monotonic() + 60
        while not any(ld["status"] == "running" for ld in neo4j_store.loads()):
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.02)
        analyze(analyst, progress=False)  # waits for the load's lease, rolls nothing back
        thread.join(300)
    finally:
        loader.close()
        analyst.close()
    assert "error" not in out, out
    assert out["value"][0].reports["interactions"].new == 1500
    assert neo4j_store.counts() == expected
    assert [ld["status"] for ld in neo4j_store.loads()] == ["complete", "complete"]


@pytest.mark.neo4j_fault
def test_sigkill_during_a_load_rolls_back_only_after_the_lease_and_restores_names(
        neo4j_store, tmp_path):
    base = write_snapshot(tmp_path / "base", users="id,name\nalice,Alice\nbob,\n",
                          follows="src,dst\nbob,alice\n")
    load_snapshot(neo4j_store, base, progress=False)
    before = neo4j_store.counts()
    more = write_snapshot(tmp_path / "more", users="id,name\nalice,Alicia\nbob,Bobby\n",
                          follows="src,dst\nalice,bob\ncarol,alice\n",
                          posts="id,author\np1,carol\n")
    env = {**os.environ, PAUSE_ENV: "load:posts", LOCK_TTL_ENV: "3"}
    proc = subprocess.Popen(_cli("load", str(more), "--store", neo4j_store.url), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_line(proc, "paused at load:posts")
        names = dict(neo4j_store._read("MATCH (u:User) RETURN collect([u.id, u.name]) AS r")[0]
                     ["r"])
        assert names["alice"] == "Alicia", "the paused load has overwritten the name"
        neo4j_store.lock_wait_s = 0.5  # the paused load is alive: its lease is renewed
        with pytest.raises(StoreError, match=r"another load \S+ \(started .* UTC\) is writing to"):
            neo4j_store.recover_interrupted_loads()
        present = neo4j_store._read(Q_COUNTS["follows"])[0]["n"]
        assert present == before["follows"] + 2, "nothing was rolled back under a live load"
        assert neo4j_store.counts() == before, "counts show the complete loads only"
        info = subprocess.run(_cli("info", "--store", neo4j_store.url, "-f", "json"),
                              capture_output=True, text=True, check=True, timeout=60)
        shown = json.loads(info.stdout)
        assert {t: shown["counts"][t] for t in before} == before, shown
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    neo4j_store.lock_wait_s = 30  # the dead load's lease runs out within 3 s
    assert len(neo4j_store.recover_interrupted_loads()) == 1
    assert neo4j_store.counts() == before
    users = neo4j_store._read("MATCH (u:User) RETURN u.id AS id, u.name AS name, "
                              "u.undo_load AS undo ORDER BY id")
    assert [(u["id"], u["name"], u["undo"]) for u in users] == [
        ("alice", "Alice", None), ("bob", None, None)]


@pytest.mark.neo4j_fault
def test_sigkill_while_analyze_stores_results_keeps_the_previous_run(neo4j_store, tmp_path):
    snap = _events_snapshot(tmp_path / "a", "a", n=400)
    load_snapshot(neo4j_store, snap, progress=False)
    analyze(neo4j_store, progress=False)
    top = neo4j_store.top_rows(10).rows
    communities = neo4j_store.communities_rows()[1].rows
    assert top
    env = {**os.environ, PAUSE_ENV: "write_run:switch", LOCK_TTL_ENV: "3"}
    proc = subprocess.Popen(
        _cli("analyze", "--store", neo4j_store.url, "--damping", "0.7"), env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_line(proc, "paused at write_run:switch")
        # every part of the new run is written; readers still see the previous one
        assert neo4j_store.top_rows(10).rows == top
        assert neo4j_store.communities_rows()[1].rows == communities
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert neo4j_store.run_ids() == [1]
    assert neo4j_store.top_rows(10).rows == top
    assert neo4j_store.communities_rows()[1].rows == communities
    neo4j_store.lock_wait_s = 30
    analyze(neo4j_store, progress=False)  # cleans up the unfinished run's parts
    assert neo4j_store.run_ids()[-1] > 1 and len(neo4j_store.run_ids()) == 2
    assert neo4j_store._read("MATCH (r:Run) RETURN count(r) AS n")[0]["n"] == 2
    assert neo4j_store.top_rows(10).rows


@pytest.mark.neo4j_fault
def test_readers_see_a_complete_run_at_every_moment_of_an_analyze(neo4j_store, tmp_path):
    load_snapshot(neo4j_store, _events_snapshot(tmp_path / "a", "a", n=600), progress=False)
    analyze(neo4j_store, progress=False)
    expected = neo4j_store.top_rows(5).rows
    writer = Neo4jStore(neo4j_store.url, batch_size=5)
    seen = []
    try:
        thread, out = _in_thread(analyze, writer, progress=False)
        while thread.is_alive():
            seen.append(neo4j_store.top_rows(5).rows)
        thread.join()
    finally:
        writer.close()
    assert "error" not in out, out
    assert all(rows == expected for rows in seen), "same graph and parameters: same top"
    assert neo4j_store.top_rows(5).rows == expected


def test_a_post_reloaded_with_another_author_keeps_its_first(any_store, tmp_path):
    one = write_snapshot(tmp_path / "one", posts="id,author\np1,alice\n")
    two = write_snapshot(tmp_path / "two", posts="id,author\np1,bob\n")
    load_snapshot(any_store, one, progress=False)
    load_snapshot(any_store, two, progress=False)
    assert any_store.counts()["posts"] == 1
    if isinstance(any_store, Neo4jStore):
        rows = any_store._read("MATCH (a:User)-[r:POSTED]->(:Post {id: 'p1'}) "
                               "RETURN a.id AS id, r.load_id AS load")
        assert [r["id"] for r in rows] == ["alice"] and rows[0]["load"]


def test_a_fractional_timestamp_before_1970_round_trips(any_store, tmp_path):
    snap = write_snapshot(
        tmp_path / "old",
        interactions="src,dst,type,ts\na,b,like,1969-12-31T23:59:59.25Z\n"
                     "b,a,like,1960-06-01T12:00:00.999999Z\n")
    load_snapshot(any_store, snap, progress=False)
    got = sorted(any_store.events()["ts"].tolist())
    assert got == [pd.Timestamp("1960-06-01 12:00:00.999999"),
                   pd.Timestamp("1969-12-31 23:59:59.25")]
    assert any_store.time_range() == (got[0].to_pydatetime(), got[1].to_pydatetime())
