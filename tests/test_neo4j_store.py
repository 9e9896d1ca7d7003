"""Neo4j-specific behaviour, against real servers: safety of queries, faults, credentials."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from neo4j import GraphDatabase
from typer.testing import CliRunner

from graph_influence.analysis import analyze
from graph_influence.cli import app
from graph_influence.errors import StoreError
from graph_influence.loading import load_snapshot
from graph_influence.stores import DuckDBStore, open_store
from graph_influence.stores.neo4j_store import Neo4jStore

from .conftest import Crash, neo4j_lib, wipe_neo4j, write_snapshot
from .test_store_conformance import WEIRD_IDS


# -- a spy around the real driver: records every query text, then forwards ----------------
class _SpyTx:
    def __init__(self, tx, seen):
        self._tx, self._seen = tx, seen

    def run(self, query, parameters=None, **kw):
        self._seen.append(query)
        return self._tx.run(query, parameters, **kw)


class _SpySession:
    def __init__(self, session, seen):
        self._session, self._seen = session, seen

    def execute_write(self, work, *a, **kw):
        return self._session.execute_write(lambda tx: work(_SpyTx(tx, self._seen)), *a, **kw)

    def execute_read(self, work, *a, **kw):
        return self._session.execute_read(lambda tx: work(_SpyTx(tx, self._seen)), *a, **kw)

    def run(self, query, *a, **kw):
        self._seen.append(query)
        return self._session.run(query, *a, **kw)

    def __enter__(self):
        self._session.__enter__()
        return self

    def __exit__(self, *exc):
        return self._session.__exit__(*exc)


class _SpyDriver:
    def __init__(self, driver):
        self._driver, self.queries = driver, []

    def session(self, **kw):
        return _SpySession(self._driver.session(**kw), self.queries)

    def verify_connectivity(self):
        return self._driver.verify_connectivity()

    def close(self):
        self._driver.close()


def test_no_user_value_ever_enters_query_text(neo4j_uri, tmp_path):
    wipe_neo4j(neo4j_uri)
    values = WEIRD_IDS + ["custom_type", "p-ost-1", "topic-xyz", "Display Name"]
    d = tmp_path / "s"
    d.mkdir()
    pq.write_table(pa.table({
        "src": WEIRD_IDS, "dst": WEIRD_IDS[::-1], "type": ["custom_type"] * len(WEIRD_IDS),
        "post_id": ["p-ost-1"] * len(WEIRD_IDS), "topics": ["topic-xyz"] * len(WEIRD_IDS),
    }), d / "interactions.parquet")
    pq.write_table(pa.table({"id": WEIRD_IDS[:2], "name": ["Display Name"] * 2}),
                   d / "users.parquet")
    spy = _SpyDriver(GraphDatabase.driver(neo4j_uri, notifications_min_severity="OFF"))
    with Neo4jStore(neo4j_uri, driver=spy) as store:
        load_snapshot(store, d, interaction_types=["custom_type"], progress=False)
        again, _ = load_snapshot(store, d, interaction_types=["custom_type"], progress=False)
        analyze(store, progress=False)
        store.top(5)
        store.scores()
        store.info()
        store.events()
        store.loads_rows()
        store.drop_load(again.load_id, delete_runs=True)
        analyze(store, progress=False)
        store.delete_run(store.run_ids()[-1])
    spy.close()
    assert len(spy.queries) > 10
    for query in set(spy.queries):
        for value in values:
            assert value not in query, f"user value {value!r} interpolated into {query!r}"


def test_small_batches_give_the_same_result(neo4j_uri, snapshot_dir):
    wipe_neo4j(neo4j_uri)
    with Neo4jStore(neo4j_uri, batch_size=2) as store:
        load_snapshot(store, snapshot_dir, progress=False)
        assert store.counts() == {"users": 4, "follows": 4, "interactions": 4, "posts": 1}
        load_snapshot(store, snapshot_dir, progress=False)
        assert store.counts()["interactions"] == 4


@pytest.mark.neo4j_fault
def test_an_interrupted_load_is_rolled_back_then_completed(neo4j_store, tmp_path):
    from graph_influence.loaders import read_snapshot

    rng = np.random.default_rng(0)
    ids = [f"u{i}" for i in range(300)]
    src, dst = rng.integers(0, 300, 2000), rng.integers(0, 300, 2000)
    text = "src,dst,type,ts\n" + "".join(
        f"{ids[a]},{ids[b]},retweet,{1_700_000_000 + i}\n" for i, (a, b) in enumerate(
            zip(src, dst, strict=True)))
    d = write_snapshot(tmp_path / "s", interactions=text, follows="src,dst\nu1,u2\n")
    snap = read_snapshot(d)
    neo4j_store.batch_size = 250

    def interrupt(stage: str) -> None:
        if stage == "store: posts":  # users, follows and events are already written
            raise Crash  # the process dies here (no chance to clean up, unlike Ctrl-C)

    with pytest.raises(Crash):
        neo4j_store.write_snapshot(snap, stage=interrupt)
    assert [ld["status"] for ld in neo4j_store.loads()] == ["running"]
    present = neo4j_store._read("MATCH ()-[e:INTERACTED]->() RETURN count(e) AS n")[0]["n"]
    assert present == 2000, "rows of the unfinished load are there"
    assert neo4j_store.counts()["interactions"] == 0, "but not counted: the load is not complete"
    # the next load finds the unfinished one, rolls it back, and loads cleanly
    summary, _ = load_snapshot(neo4j_store, d, progress=False)
    assert [ld["status"] for ld in neo4j_store.loads()] == ["complete"]
    assert summary.reports["interactions"].new == 2000
    with DuckDBStore(tmp_path / "ref.duckdb") as ref:
        load_snapshot(ref, d, progress=False)
        assert neo4j_store.counts() == ref.counts()


def test_cli_top_info_export_on_neo4j(neo4j_store, snapshot_dir, tmp_path):
    runner = CliRunner()
    url = neo4j_store.url
    assert runner.invoke(app, ["load", str(snapshot_dir), "--store", url]).exit_code == 0
    result = runner.invoke(app, ["analyze", "--store", url, "--format", "json"])
    assert result.exit_code == 0, result.output
    board = json.loads(result.stdout)
    top = json.loads(runner.invoke(app, ["top", "--store", url, "--format", "json"]).stdout)
    assert [r["id"] for r in top] == [r["id"] for r in board]
    info = json.loads(runner.invoke(app, ["info", "--store", url, "--format", "json"]).stdout)
    assert (info["users"], info["interactions"], info["backend"]) == (4, 4, "neo4j")
    out = tmp_path / "scores.parquet"
    assert runner.invoke(app, ["export", str(out), "--store", url]).exit_code == 0
    assert pq.read_table(out).num_rows == 4


def test_unreachable_server_fails_fast_with_a_clear_message():
    from graph_influence.testing.neo4j_server import free_port

    t0 = time.monotonic()
    with pytest.raises(StoreError, match="cannot reach Neo4j at bolt://127.0.0.1:") as info:
        open_store(f"bolt://127.0.0.1:{free_port()}")
    assert time.monotonic() - t0 < 10
    assert "make neo4j-up" in str(info.value)


# -- a dedicated server with a password, killed with SIGKILL in the middle of a load -------
PASSWORD = "test-password-1"


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    from graph_influence.testing.neo4j_server import Neo4jServer

    server = Neo4jServer(neo4j_lib(), base_dir=tmp_path_factory.mktemp("neo4j-auth"),
                         password=PASSWORD)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.mark.slow
def test_credentials_come_from_the_environment(auth_server, monkeypatch):
    monkeypatch.setenv("NEO4J_USERNAME", "neo4j")
    monkeypatch.setenv("NEO4J_PASSWORD", "wrong-password")
    with pytest.raises(StoreError) as info:
        open_store(auth_server.uri)
    message = str(info.value)
    assert "refused the credentials" in message
    assert "NEO4J_USERNAME (set)" in message and "NEO4J_PASSWORD (set)" in message
    assert "wrong-password" not in message, "a secret is never printed"
    monkeypatch.setenv("NEO4J_PASSWORD", PASSWORD)
    with open_store(auth_server.uri) as store:
        assert store.counts()["users"] >= 0


@pytest.mark.slow
def test_too_many_failed_logins_is_one_clear_error(auth_server, monkeypatch):
    """The server locks a user after a few failed logins (AuthenticationRateLimit, a
    ClientError, not an AuthError): still one StoreError saying what to do, never a traceback;
    the right password works again once the lock expires."""
    monkeypatch.setenv("NEO4J_USERNAME", "neo4j")
    monkeypatch.setenv("NEO4J_PASSWORD", "wrong-password")
    messages = []
    for _ in range(6):
        with pytest.raises(StoreError) as info:
            open_store(auth_server.uri)
        messages.append(str(info.value))
    assert any("too many failed attempts" in m and "auth_lock_time" in m for m in messages), \
        messages
    assert not any("wrong-password" in m for m in messages)
    monkeypatch.setenv("NEO4J_PASSWORD", PASSWORD)
    deadline = time.monotonic() + 30
    while True:
        try:
            with open_store(auth_server.uri) as store:
                assert store.counts()["users"] >= 0
            break
        except StoreError as exc:
            assert "too many failed attempts" in str(exc)
            assert time.monotonic() < deadline, "the login lock did not expire"
            time.sleep(1)


def _big_snapshot(directory, n_events=120_000, n_users=20_000):
    rng = np.random.default_rng(7)
    src = rng.integers(0, n_users, n_events)
    dst = (src + 1 + rng.zipf(1.6, n_events) % (n_users - 1)) % n_users
    directory.mkdir()
    pq.write_table(pa.table({
        "src": pa.array(np.char.add("u", src.astype(str))),
        "dst": pa.array(np.char.add("u", dst.astype(str))),
        "type": pa.array(np.array(["retweet", "like", "reply"])[rng.integers(0, 3, n_events)]),
        "ts": pa.array(1_700_000_000 + rng.integers(0, 86400 * 30, n_events)),
    }), directory / "interactions.parquet")
    return directory


@pytest.mark.neo4j_fault
@pytest.mark.slow
def test_sigkill_in_the_middle_of_a_load(auth_server, tmp_path, monkeypatch):
    monkeypatch.setenv("NEO4J_USERNAME", "neo4j")
    monkeypatch.setenv("NEO4J_PASSWORD", PASSWORD)
    snapshot = _big_snapshot(tmp_path / "big")
    with DuckDBStore(tmp_path / "ref.duckdb") as ref:
        load_snapshot(ref, snapshot, progress=False)
        expected = ref.counts()
    env = {**os.environ, "NEO4J_USERNAME": "neo4j", "NEO4J_PASSWORD": PASSWORD}
    cmd = [sys.executable, "-m", "graph_influence.cli", "load", str(snapshot),
           "--store", auth_server.uri]
    loader = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    driver = GraphDatabase.driver(auth_server.uri, auth=("neo4j", PASSWORD))
    deadline = time.monotonic() + 120
    seen = 0
    while time.monotonic() < deadline and seen < 20_000:  # wait until the load is well under way
        time.sleep(0.2)
        with driver.session() as s:
            seen = s.run("MATCH ()-[e:INTERACTED]->() RETURN count(e) AS n").single()["n"]
    driver.close()
    assert 0 < seen < expected["interactions"], "killed in the middle of the events"
    auth_server.kill()
    out, err = loader.communicate(timeout=120)
    assert loader.returncode == 1, (out, err)
    assert b"Traceback" not in err
    auth_server.restart()
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with open_store(auth_server.uri) as store:
        assert store.counts() == expected
        assert [ld["status"] for ld in store.loads()] == ["complete"]
        again = subprocess.run(cmd, env=env, capture_output=True, timeout=600)
        assert again.returncode == 0
        assert store.counts() == expected, "reloading changes no count"


def test_an_interrupted_drop_is_finished_by_the_next_load(neo4j_store, tmp_path, monkeypatch):
    from .test_store_conformance import OVERLAP_A, OVERLAP_B, _alone, _state

    a, _ = load_snapshot(neo4j_store, write_snapshot(tmp_path / "a", **OVERLAP_A),
                         progress=False)
    load_snapshot(neo4j_store, write_snapshot(tmp_path / "b", **OVERLAP_B), progress=False)
    neo4j_store.batch_size = 1
    real = Neo4jStore._batched
    seen = []

    def cut_short(self, query, **params):
        seen.append(query)
        if "DELETE" in query and len([q for q in seen if "DELETE" in q]) == 2:
            raise KeyboardInterrupt  # the events are gone, the rest is not
        return real(self, query, **params)

    monkeypatch.setattr(Neo4jStore, "_batched", cut_short)
    with pytest.raises(KeyboardInterrupt):
        neo4j_store.drop_load(a.load_id)
    monkeypatch.undo()
    statuses = {ld["load_id"]: ld["status"] for ld in neo4j_store.loads()}
    assert statuses[a.load_id] == "dropping"
    # the next load (or analysis) finishes the drop, keeping what the other load contains
    c, _ = load_snapshot(neo4j_store, write_snapshot(tmp_path / "c", follows="src,dst\nq,r\n"),
                         progress=False)
    assert a.load_id not in {ld["load_id"] for ld in neo4j_store.loads()}
    assert c.reports["follows"].new == 0
    assert _state(neo4j_store) == _alone(tmp_path, "b-alone", OVERLAP_B)

