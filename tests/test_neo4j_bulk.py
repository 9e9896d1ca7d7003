"""The bulk initial load into Neo4j (neo4j-admin import, offline) against the Bolt path.

A server the tests control (a real Neo4j from the Maven jars, restarted by each bulk load) takes
the bulk import; the session server takes the same snapshot over Bolt. Every node and
relationship, with every property and its Cypher type, must be the same; so must the load
reports, the graph view and the scores, and a later incremental Bolt load on both.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.errors import StoreError
from graph_influence.loading import load_snapshot, read_input
from graph_influence.sample_data import sample_path

from .conftest import Crash, neo4j_lib, wipe_neo4j, write_snapshot

#: Every element with every property, its value and its Cypher type (keys sorted in Python).
DUMP = {
    "users": "MATCH (u:User) RETURN u.id AS k, [x IN keys(u) | [x, u[x], "
             "valueType(u[x])]] AS p ORDER BY k",
    "posts": "MATCH (a)-[r:POSTED]->(p:Post) RETURN p.id AS k, a.id AS author, "
             "[x IN keys(r) | [x, r[x], valueType(r[x])]] AS r, "
             "[x IN keys(p) | [x, p[x], valueType(p[x])]] AS p ORDER BY k",
    "follows": "MATCH (a)-[f:FOLLOWS]->(b) RETURN a.id AS a, b.id AS b, "
               "[x IN keys(f) | [x, f[x], valueType(f[x])]] AS p ORDER BY a, b",
    "events": "MATCH (a)-[e:INTERACTED]->(b) RETURN e.key AS k, a.id AS a, b.id AS b, "
              "[x IN keys(e) | [x, e[x], valueType(e[x])]] AS p ORDER BY k",
    "loads": "MATCH (l:Load) RETURN l.status AS status, l.source AS source, "
             "l.fingerprint AS fingerprint, l.report AS report, "
             "[x IN keys(l) | [x, valueType(l[x])]] AS types, "
             "[l.ts_min, l.ts_max] AS span ORDER BY l.started_at",
    "labels": "MATCH (n) WHERE NOT n:WriteLock RETURN labels(n) AS l, count(*) AS c "
              "ORDER BY c, l[0]",
    "constraints": "SHOW CONSTRAINTS YIELD name RETURN name ORDER BY name",
    "indexes": "SHOW INDEXES YIELD name, state RETURN name, state ORDER BY name",
}


def dump(store) -> dict:
    """The store's whole content, with each load id replaced by its position in the ledger."""
    order = [ld["load_id"] for ld in store.loads()]
    text = json.dumps({name: store._read(query) for name, query in DUMP.items()},
                      sort_keys=True, default=str)
    for i, load_id in enumerate(order):
        text = text.replace(load_id, f"<load {i}>")
    out = json.loads(text)
    for table in ("users", "posts", "follows", "events"):
        for row in out[table]:
            row["p"] = sorted(row["p"])
    for row in out["loads"]:
        row["types"] = sorted(row["types"])
    return out


@pytest.fixture(scope="module")
def controlled_server(tmp_path_factory):
    """A Neo4j server of the tests' own, which bulk loads stop and start."""
    from graph_influence.testing.neo4j_server import Neo4jServer

    server = Neo4jServer(neo4j_lib(), base_dir=tmp_path_factory.mktemp("neo4j-bulk"))
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def bulk_store(controlled_server, monkeypatch):
    from graph_influence.stores.neo4j_store import Neo4jStore

    for var in ("NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(var, raising=False)
    wipe_neo4j(controlled_server.uri)
    with Neo4jStore(controlled_server.uri, server=controlled_server, bulk_min_rows=0) as st:
        yield st


@pytest.fixture
def odd_snapshot(tmp_path) -> Path:
    """Values that CSV can get wrong: quotes, commas, line breaks, empty strings, missing
    values, pre-1970 and sub-second timestamps, non-ASCII ids, self-loops, exact repeats."""
    return write_snapshot(
        tmp_path / "odd",
        users='id,name,created_at,topics,attributes\n'
              '"a,1","Na""me, with\nnewline",1960-01-01T00:00:00.5Z,x;y,"{""k"": 1}"\n'
              'b2,,,,\n"ü ñ 😀","  spaced  ",2020-01-01T00:00:00Z,"#tag;;",\nc3,"",,,\n',
        follows='src,dst,ts\n"a,1",b2,2021-01-01T00:00:00.000001Z\nb2,"a,1",\n'
                'b2,b2,2021-01-02T00:00:00Z\nz9,"ü ñ 😀",1950-06-01T00:00:00.25Z\n',
        interactions='src,dst,type,ts,post_id,topics,weight\n'
                     'b2,"a,1",retweet,2021-01-01T00:00:00Z,p1,"a;b",0.1\n'
                     'b2,"a,1",retweet,2021-01-01T00:00:00Z,p1,"a;b",0.1\n'
                     'c3,b2,mention,,,,2.5e-7\nc3,c3,like,2021-02-01T00:00:00Z,,,\n'
                     '"ü ñ 😀",z9,reply,1969-12-31T23:59:59.999999Z,"p\n2","t;u",3\n',
        posts='id,author,ts,text,topics\np1,b2,2021-01-01T00:00:00Z,"hello, ""world""\r\nbye",a;b\n'
              '"p\n2",c3,,,\np3,z9,2021-03-01T00:00:00Z,"",\n',
    )


def _view_arrays(store) -> dict:
    view = store.graph_view(as_of=None, half_life_seconds=30 * 86400.0)
    return {k: np.asarray(v) for k, v in vars(view).items() if isinstance(v, np.ndarray)}


@pytest.mark.parametrize("which", ["odd", "sample"])
def test_a_bulk_load_writes_what_a_bolt_load_writes(bulk_store, neo4j_store, odd_snapshot,
                                                    tmp_path, which):
    snapshot = odd_snapshot if which == "odd" else sample_path()
    pid = bulk_store.server.pid
    bulk, _ = load_snapshot(bulk_store, snapshot, progress=False)
    bolt, _ = load_snapshot(neo4j_store, snapshot, progress=False, bulk="never")
    assert bulk.bulk and not bolt.bulk
    assert bulk_store.server.pid != pid  # it really was restarted around an offline import
    assert {k: vars(v) for k, v in bulk.reports.items()} == {
        k: vars(v) for k, v in bolt.reports.items()}
    assert dump(bulk_store) == dump(neo4j_store)
    assert bulk_store.counts() == neo4j_store.counts()
    a, b = _view_arrays(bulk_store), _view_arrays(neo4j_store)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    params = AnalysisParams(topics=which == "sample")
    ra, rb = analyze(bulk_store, params, progress=False), analyze(neo4j_store, params,
                                                                  progress=False)
    assert ra.scores["id"].tolist() == rb.scores["id"].tolist()
    np.testing.assert_array_equal(ra.scores["influence"], rb.scores["influence"])
    np.testing.assert_array_equal(ra.scores["score"], rb.scores["score"])
    # a later load goes over Bolt on both, and merges the same way
    more = write_snapshot(
        tmp_path / "more", follows='src,dst\nb2,new1\n"a,1",b2\n',
        interactions="src,dst,type,ts\nnew1,b2,like,2021-05-01T00:00:00Z\n"
                     "b2,\"a,1\",retweet,2021-01-01T00:00:00Z\n")
    second_bulk, _ = load_snapshot(bulk_store, more, progress=False)
    second_bolt, _ = load_snapshot(neo4j_store, more, progress=False)
    assert not second_bulk.bulk
    assert {k: vars(v) for k, v in second_bulk.reports.items()} == {
        k: vars(v) for k, v in second_bolt.reports.items()}
    assert dump(bulk_store) == dump(neo4j_store)


def test_auto_writes_over_bolt_unless_the_database_is_empty_and_the_snapshot_large(
        bulk_store, snapshot_dir, odd_snapshot):
    server = bulk_store.server
    bulk_store.bulk_min_rows = 10**9
    small, _ = load_snapshot(bulk_store, snapshot_dir, progress=False)
    assert not small.bulk
    pid = server.pid
    bulk_store.bulk_min_rows = 0  # no longer empty: Bolt, no restart
    second, _ = load_snapshot(bulk_store, odd_snapshot, progress=False)
    assert not second.bulk and server.pid == pid
    before = dump(bulk_store)
    with pytest.raises(StoreError, match="is not empty; load with --bulk auto or never"):
        load_snapshot(bulk_store, sample_path(), progress=False, bulk="always")
    assert dump(bulk_store) == before and server.pid == pid


def test_always_says_why_a_server_cannot_take_a_bulk_load(neo4j_store, snapshot_dir):
    with pytest.raises(StoreError, match="is not a server this machine controls"):
        load_snapshot(neo4j_store, snapshot_dir, progress=False, bulk="always")
    assert neo4j_store.counts() == {"users": 0, "follows": 0, "interactions": 0, "posts": 0}


def test_always_is_refused_by_the_embedded_store(store, snapshot_dir):
    with pytest.raises(StoreError, match="this store has one write path, no bulk import"):
        load_snapshot(store, snapshot_dir, progress=False, bulk="always")
    assert store.counts()["users"] == 0


class _FailingImport:
    """The real server, whose neo4j-admin import is also given a relationship to a node that
    does not exist: it fails while writing, after the database was overwritten."""

    def __init__(self, server, bad_file: Path) -> None:
        self.server = server
        self.home = server.home
        self.offline = server.offline
        self.bad_file = bad_file

    def admin(self, *args, **kwargs):
        self.server.admin(*args, f"--relationships=FOLLOWS={self.bad_file}", **kwargs)


def _database_identity(store) -> tuple:
    row = store._read("CALL db.info() YIELD id, creationDate RETURN id, creationDate")[0]
    return row["id"], str(row["creationDate"])


@pytest.mark.parametrize("mode", ["always", "auto"])
def test_a_failed_import_puts_the_empty_database_back(bulk_store, odd_snapshot, tmp_path, mode):
    server = bulk_store.server
    bad = tmp_path / "dangling.csv"
    bad.write_text(":START_ID(User),:END_ID(User)\n0,987654321\n")
    before = _database_identity(bulk_store)
    bulk_store.server = _FailingImport(server, bad)
    try:
        if mode == "always":
            with pytest.raises(StoreError) as caught:
                load_snapshot(bulk_store, odd_snapshot, progress=False, bulk="always")
            message = str(caught.value)
            assert message.startswith("the bulk import into ")
            assert "failed, and the database was put back as it was (empty)" in message
            assert "neo4j-admin database import failed" in message  # with its own words
        else:  # auto writes over Bolt instead
            summary, _ = load_snapshot(bulk_store, odd_snapshot, progress=False)
            assert not summary.bulk
    finally:
        bulk_store.server = server
    assert server.running
    assert _database_identity(bulk_store) == before  # the very database, not a new one
    if mode == "always":
        assert bulk_store.counts() == {"users": 0, "follows": 0, "interactions": 0, "posts": 0}
        assert bulk_store.loads() == []
        summary, _ = load_snapshot(bulk_store, odd_snapshot, progress=False)
        assert summary.bulk
    assert bulk_store.counts() == {"users": 5, "follows": 4, "interactions": 5, "posts": 3}


def test_the_lease_is_held_through_the_import_and_released_after(bulk_store, odd_snapshot):
    seen = []

    def look(name: str) -> None:
        if name == "store: constraints and indexes":  # after the restart, before completion
            seen.append(bulk_store._read(
                "MATCH (w:WriteLock {name: 'store'}) RETURN w.owner AS owner, w.what AS what, "
                "w.expires_at - timestamp() AS left_ms"))

    summary = bulk_store.write_snapshot(read_input(odd_snapshot), stage=look)
    assert summary.bulk
    [[lease]] = seen
    assert lease["owner"] and lease["what"].startswith("bulk load ") and lease["left_ms"] > 0
    assert bulk_store._read("MATCH (w:WriteLock) RETURN w.owner AS owner") == [{"owner": None}]


def test_a_crash_after_the_import_is_rolled_back_by_the_next_load(bulk_store, odd_snapshot):
    def crash_at_indexes(name: str) -> None:
        if name == "store: constraints and indexes":
            raise Crash(name)

    with pytest.raises(Crash):
        bulk_store.write_snapshot(read_input(odd_snapshot), stage=crash_at_indexes)
    assert [ld["status"] for ld in bulk_store.loads()] == ["running"]
    summary, _ = load_snapshot(bulk_store, odd_snapshot, progress=False)
    assert [ld["status"] for ld in bulk_store.loads()] == ["complete"]
    assert summary.bulk  # rolled back to empty first, so the bulk path applies again
    assert bulk_store.counts() == {"users": 5, "follows": 4, "interactions": 5, "posts": 3}


def test_the_dev_server_is_recognised_and_restarted_by_a_bulk_load(tmp_path, monkeypatch,
                                                                   odd_snapshot, capsys):
    from graph_influence.stores.neo4j_store import Neo4jStore
    from graph_influence.testing import neo4j_server as ns

    for var in ("NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(var, raising=False)
    state = tmp_path / ns.STATE_DIR
    state.mkdir()
    (state / "lib").symlink_to(neo4j_lib(), target_is_directory=True)
    assert ns.main(["--root", str(tmp_path), "up"]) == 0
    try:
        out = capsys.readouterr().out
        uri = next(line.split("=", 1)[1] for line in out.splitlines()
                   if line.startswith("export NEO4J_URI="))
        dev = ns.DevServer.serving(uri, state=state)
        assert dev is not None and dev.home == state / "dev"
        port = int(uri.rsplit(":", 1)[1])
        assert ns.DevServer.serving(f"bolt://127.0.0.1:{port + 1}", state=state) is None
        assert ns.DevServer.serving(uri.replace("127.0.0.1", "localhost"), state=state)
        pid = int((state / "pid").read_text())
        with Neo4jStore(uri, server=dev, bulk="always") as store:
            summary, _ = load_snapshot(store, odd_snapshot, progress=False)
            assert summary.bulk and store.counts()["interactions"] == 5
        new_pid = int((state / "pid").read_text())
        assert new_pid != pid and ns._is_neo4j_server(new_pid)
        assert not ns._is_neo4j_server(pid)
    finally:
        assert ns.main(["--root", str(tmp_path), "down"]) == 0
    assert not os.path.exists(state / "pid")


class _Recorder:
    """A stage callback with ``count``, as :class:`graph_influence.progress.Stages` has."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.counts: list[tuple] = []

    def __call__(self, name: str) -> None:
        self.names.append(name)

    def count(self, done: int, total: int | None = None, *, unit: str = "") -> None:
        self.counts.append((self.names[-1], done, total, unit))


def test_a_bolt_load_counts_the_rows_written_of_the_total(neo4j_store, tmp_path):
    snapshot = write_snapshot(
        tmp_path / "s", follows="src,dst\na,b\nb,c\nc,d\nd,e\ne,a\n",
        interactions="src,dst,type\na,b,like\nb,a,like\nc,a,reply\n")
    neo4j_store.batch_size = 2
    recorder = _Recorder()
    neo4j_store.write_snapshot(read_input(snapshot), stage=recorder)
    by_stage = {}
    for name, done, total, unit in recorder.counts:
        by_stage.setdefault(name, []).append((done, total, unit))
    assert by_stage["store: users"] == [(2, 5, "new users written"), (4, 5, "new users written"),
                                        (5, 5, "new users written")]
    assert by_stage["store: follows"] == [(2, 5, "rows written"), (4, 5, "rows written"),
                                          (5, 5, "rows written")]
    assert by_stage["store: interactions"] == [(2, 3, "rows written"), (3, 3, "rows written")]
    assert "store: posts" not in by_stage  # no posts: nothing to count
