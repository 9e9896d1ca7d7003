"""Shared fixtures: temporary stores, small snapshots written to disk, the shared datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graph_influence.stores import DuckDBStore

REPO = Path(__file__).resolve().parents[1]
#: The classic walk (no ground weight, no fade, uniform teleport): what networkx's PageRank
#: computes, for tests whose oracle is networkx. The defences have their own oracles
#: (tests/test_defences.py).
CLASSIC_WALK = {"ground_weight": 0.0, "fade": False, "teleport": "uniform"}
CLASSIC_FLAGS = ["--ground-weight", "0", "--no-fade", "--teleport", "uniform"]

SHARED = Path(os.environ.get("GRAPH_INFLUENCE_SHARED", REPO.parent / "shared")) / "datasets"


def shared_dataset(*parts: str) -> Path:
    """Path of a file in ../shared/datasets; fails (never skips) in CI when it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared dataset missing in CI: {path}")
        pytest.skip(f"shared dataset not present on this machine: {path}")
    return path


def write_snapshot(directory: Path, **tables: str) -> Path:
    """Write ``name=csv_text`` tables into ``directory`` (``.csv`` unless the name has a suffix)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        filename = name if "." in name else f"{name}.csv"
        (directory / filename.replace("__", ".")).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture
def store(store_path: Path):
    with DuckDBStore(store_path) as st:
        yield st


@pytest.fixture
def snapshot_dir(tmp_path: Path) -> Path:
    """A small valid snapshot with all four tables."""
    return write_snapshot(
        tmp_path / "snap",
        users="id,name,topics,country\nalice,Alice,python;data,fr\nbob,Bob,,de\ncarol,Carol,data,\n",
        follows="src,dst,ts\nbob,alice,2024-01-01T00:00:00Z\ncarol,alice,\nalice,carol,1704067200\n"
        "dave,alice,\n",
        interactions="src,dst,type,ts,post_id,topics\n"
        "bob,alice,retweet,2024-01-02T00:00:00Z,p1,python\n"
        "carol,alice,like,2024-01-03T00:00:00Z,p1,\n"
        "bob,alice,reply,1704326400,p1,\n"
        "alice,bob,mention,2024-01-05T00:00:00Z,,\n",
        posts="id,author,ts,text\np1,alice,2024-01-01T12:00:00Z,Hello #python world\n",
    )


# -- Neo4j: a real server for the session ---------------------------------------------------
NEO4J_URI_ENV = "GRAPH_INFLUENCE_TEST_NEO4J_URI"


class Crash(BaseException):
    """Raised from a stage callback to stand for the process dying there: unlike Ctrl-C
    (``KeyboardInterrupt``), no store code cleans up after it."""


def _no_neo4j(reason: str):
    """Fail in CI (a Neo4j test must run there); skip on a developer machine without Java."""
    if os.environ.get("CI"):
        pytest.fail(f"Neo4j tests must run in CI: {reason}")
    pytest.skip(reason)


def neo4j_lib() -> Path:
    """The Neo4j jars (fetched by Maven on first use); skips/fails without Java or Maven."""
    import shutil

    from graph_influence.testing.neo4j_server import MissingToolError, ensure_neo4j_jars

    if shutil.which("java") is None:
        _no_neo4j("Java is not installed, so no Neo4j server can be started here")
    try:
        return ensure_neo4j_jars(REPO)
    except MissingToolError as exc:
        _no_neo4j(str(exc))
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def neo4j_uri(tmp_path_factory) -> str:
    """Bolt URI of a Neo4j server for the whole session (started here unless given by env)."""
    given = os.environ.get(NEO4J_URI_ENV)
    if given:
        yield given
        return
    from graph_influence.testing.neo4j_server import Neo4jServer

    server = Neo4jServer(neo4j_lib(), base_dir=tmp_path_factory.mktemp("neo4j"))
    server.start()  # raises with the server log's tail if it does not come up
    try:
        yield server.uri
    finally:
        server.close()


@pytest.fixture(scope="session")
def gds_server(tmp_path_factory):
    """A second Neo4j server for the session, with Open GDS 2.13 (jars from Maven Central)."""
    from graph_influence.testing.gds import gds_server as make_gds_server
    from graph_influence.testing.neo4j_server import MissingToolError

    neo4j_lib()  # skips (or fails in CI) without Java or Maven
    try:
        server = make_gds_server(REPO / ".neo4j", base_dir=tmp_path_factory.mktemp("neo4j-gds"),
                                 pagecache="256m")
    except MissingToolError as exc:
        _no_neo4j(str(exc))
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def gds_store(gds_server, monkeypatch):
    """An empty Neo4j store on the GDS server."""
    from graph_influence.stores.neo4j_store import Neo4jStore

    for var in ("NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(var, raising=False)
    wipe_neo4j(gds_server.uri)
    with Neo4jStore(gds_server.uri) as store:
        yield store


def wipe_neo4j(uri: str) -> None:
    """Delete every node and relationship (schema stays)."""
    from neo4j import GraphDatabase

    with GraphDatabase.driver(uri, auth=None) as driver, driver.session() as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


@pytest.fixture
def neo4j_store(neo4j_uri, monkeypatch):
    from graph_influence.stores.neo4j_store import Neo4jStore

    for var in ("NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(var, raising=False)
    wipe_neo4j(neo4j_uri)
    with Neo4jStore(neo4j_uri) as st:
        yield st


@pytest.fixture(params=["duckdb", "neo4j"])
def any_store(request, tmp_path):
    """The conformance fixture: every test using it runs on both backends."""
    if request.param == "duckdb":
        with DuckDBStore(tmp_path / "conf.duckdb") as st:
            yield st
    else:
        yield request.getfixturevalue("neo4j_store")
