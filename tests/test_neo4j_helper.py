"""The Neo4j test-server helper works from an installed package: pom as package data, jar cache.

No Maven, Java or network here: the fetch is replaced by a fake that records the command.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.resources
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import graph_influence.testing
from graph_influence.testing import neo4j_server as ns

REPO = Path(__file__).resolve().parents[1]
POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def test_the_pom_is_package_data_of_graph_influence_testing():
    pom = ns.packaged_pom()
    assert pom.is_file()
    package_dir = Path(graph_influence.testing.__file__).resolve().parent
    with importlib.resources.as_file(pom) as path:
        assert Path(path).resolve() == package_dir / "pom.xml"
        root = ET.parse(path).getroot()
    artifacts = [d.findtext("m:artifactId", namespaces=POM_NS)
                 for d in root.iterfind("m:dependencies/m:dependency", POM_NS)]
    assert artifacts == ["neo4j"]
    assert root.findtext("m:properties/m:neo4j.version", namespaces=POM_NS).startswith("5.26.")
    # ...and the build ships it: the wheel's package data names it.
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    globs = config["setuptools"]["package-data"]["graph_influence.testing"]
    assert any(fnmatch.fnmatch("pom.xml", g) for g in globs), globs
    assert "graph_influence.testing" in config["setuptools"]["packages"]
    # one copy only: the old checkout-only location is gone
    assert not (REPO / "tools" / "neo4j" / "pom.xml").exists()


def test_a_checkout_keeps_its_jars_in_its_git_ignored_folder(tmp_path):
    assert ns.find_root(REPO / "tests") == REPO
    assert ns.neo4j_state_dir(start=REPO / "tests") == REPO / ".neo4j"
    assert ns.neo4j_state_dir(REPO) == REPO / ".neo4j"
    assert ".neo4j/" in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    # any folder with pyproject.toml and the pom is a checkout, found from below
    other = tmp_path / "other-checkout"
    (other / ns.POM_PATH).parent.mkdir(parents=True)
    (other / ns.POM_PATH).write_text("<project/>", encoding="utf-8")
    (other / "pyproject.toml").write_text("", encoding="utf-8")
    (other / "deep" / "er").mkdir(parents=True)
    assert ns.find_root(other / "deep" / "er") == other
    assert ns.neo4j_state_dir(start=other / "deep") == other / ".neo4j"


@pytest.fixture
def no_checkout(tmp_path, monkeypatch):
    """An installed package seen from a folder outside any checkout."""
    site = tmp_path / "site-packages"  # holds the package (and so the pom), not a pyproject
    (site / ns.POM_PATH).parent.mkdir(parents=True)
    (site / ns.POM_PATH).write_bytes(ns.packaged_pom().read_bytes())
    monkeypatch.setattr(ns, "_MODULE_CHECKOUT", site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for var in (ns.CACHE_ENV, "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_without_a_checkout_the_state_goes_to_the_user_cache(no_checkout, monkeypatch):
    with pytest.raises(ns.Neo4jServerError, match="no checkout"):
        ns.find_root()
    assert ns.neo4j_state_dir() == no_checkout / "home" / ".cache" / "graph-influence" / "neo4j"
    monkeypatch.setenv("XDG_CACHE_HOME", str(no_checkout / "xdg"))
    assert ns.neo4j_state_dir() == no_checkout / "xdg" / "graph-influence" / "neo4j"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/xdg")  # ignored, as the XDG spec says
    assert ns.neo4j_state_dir() == no_checkout / "home" / ".cache" / "graph-influence" / "neo4j"
    monkeypatch.setenv(ns.CACHE_ENV, str(no_checkout / "gi-cache"))
    assert ns.neo4j_state_dir() == no_checkout / "gi-cache" / "neo4j"
    # an explicit root still wins
    assert ns.neo4j_state_dir(REPO) == REPO / ".neo4j"


def test_without_a_checkout_the_jars_are_fetched_into_the_user_cache(no_checkout, monkeypatch):
    cache = no_checkout / "gi-cache"
    monkeypatch.setenv(ns.CACHE_ENV, str(cache))
    monkeypatch.setattr(ns, "_java_executable", lambda: "/usr/bin/java")
    monkeypatch.setattr(ns, "_require_tool", lambda name, *_: f"/usr/bin/{name}")
    calls = []

    def fake_maven(cmd, *, what, timeout, **kwargs):
        calls.append(cmd)
        out = Path(next(a for a in cmd if a.startswith("-DoutputDirectory=")).split("=", 1)[1])
        out.mkdir(parents=True)
        (out / "neo4j-server-5.26.0.jar").write_bytes(b"")

    monkeypatch.setattr(ns, "_run_checked", fake_maven)
    lib = ns.ensure_neo4j_jars()
    assert lib == cache / "neo4j" / "lib"
    assert (lib / "neo4j-server-5.26.0.jar").is_file()
    [cmd] = calls
    pom = Path(cmd[cmd.index("-f") + 1])
    assert pom.read_bytes() == ns.packaged_pom().read_bytes()
    assert not (no_checkout / "elsewhere" / ".neo4j").exists(), "nothing in the current folder"
    # the marker holds the pom's hash: a second call does not run Maven again
    stamp = hashlib.sha256(ns.packaged_pom().read_bytes()).hexdigest()
    assert (lib / ".complete").read_text(encoding="utf-8").splitlines()[0] == stamp
    assert ns.ensure_neo4j_jars() == lib
    assert len(calls) == 1
    # a changed pom (another release of the package) fetches again
    (lib / ".complete").write_text("0" * 64 + "\n", encoding="utf-8")
    assert ns.ensure_neo4j_jars() == lib
    assert len(calls) == 2


def test_dev_server_commands_use_the_cache_without_a_checkout(no_checkout, monkeypatch, capsys):
    monkeypatch.setenv(ns.CACHE_ENV, str(no_checkout / "gi-cache"))
    state = no_checkout / "gi-cache" / "neo4j"
    state.mkdir(parents=True)
    (state / "pid").write_text("999999999\n", encoding="utf-8")  # no such process
    (state / "uri").write_text("bolt://127.0.0.1:1\n", encoding="utf-8")
    assert ns.main(["down"]) == 0
    assert "no Neo4j dev server running" in capsys.readouterr().err
    assert not (state / "pid").exists() and not (state / "uri").exists()


# Lines of a real Neo4j 5.26 debug.log, written while it recovered after kill -9 (abridged).
RECOVERY_LOG = """\
2026-12-02 04:32:29.075+0000 INFO  [o.n.k.r.Recovery] [neo4j/8feaab5c] TransactionLogsRecovery
2026-12-02 04:32:33.981+0000 INFO  [o.n.k.r.Recovery] [neo4j/8feaab5c]  70% completed
2026-12-02 04:32:35.910+0000 INFO  [o.n.k.r.Recovery] [neo4j/8feaab5c]  80% completed
"""
RECOVERY_DONE = """\
2026-12-02 04:32:39.232+0000 INFO  [o.n.k.r.Recovery] [neo4j/8feaab5c] 100% completed
2026-12-02 04:32:39.237+0000 INFO  [o.n.k.d.Database] [neo4j/8feaab5c] Recovery in 'full' mode completed. Observed transactions range [first:2186, last:2282]: 97 transactions applied, 0 not completed transactions rolled back, skipped applying 0 previously rolled back transactions. Time spent: 10s 662ms.
"""


def test_recovery_progress_reads_what_neo4j_logs():
    progress = ns.RecoveryProgress()
    assert not progress.update("2026-12-02 INFO [o.n.s.CommunityBootstrapper] Starting...\n")
    assert str(progress) == ""
    assert progress.update(RECOVERY_LOG.splitlines()[0])
    assert str(progress) == "recovering after an unclean stop: 0% done"
    assert progress.update(RECOVERY_LOG)
    assert (progress.percent, progress.done) == (80, False)
    assert str(progress) == "recovering after an unclean stop: 80% done"
    assert not progress.update("2026-12-02 INFO [o.n.b.BoltServer] Bolt enabled\n")
    assert progress.update(RECOVERY_DONE)
    assert progress.done and progress.took == "10s 662ms"
    assert str(progress) == "recovered after an unclean stop in 10s 662ms"


@pytest.mark.slow
def test_neo4j_up_after_kill_9_recovers_on_the_same_port(tmp_path, capsys):
    """`make neo4j-up` after the dev server was killed: the same port, the data back, and the
    recovery said (its wait is extended while recovery progresses, not a fixed 120 s)."""
    import os
    import signal
    import time

    from .conftest import neo4j_lib

    lib = neo4j_lib()
    root = tmp_path / "checkout"
    (root / ns.STATE_DIR).mkdir(parents=True)
    (root / ns.STATE_DIR / "lib").symlink_to(lib, target_is_directory=True)
    state = root / ns.STATE_DIR
    try:
        assert ns.main(["--root", str(root), "up"]) == 0
        uri = (state / "uri").read_text().strip()
        with ns.GraphDatabase.driver(uri) as driver, driver.session() as session:
            session.run("UNWIND range(1, 20000) AS i CREATE (:Kept {i: i})").consume()
        pid = int((state / "pid").read_text())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30  # SIGKILL is delivered, then the JVM is torn down
        while ns._is_neo4j_server(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        capsys.readouterr()
        assert ns.main(["--root", str(root), "up"]) == 0
        out, err = capsys.readouterr()
        assert out.splitlines() == [f"export GRAPH_INFLUENCE_STORE={uri}",
                                    f"export NEO4J_URI={uri}"], "the same port as before"
        assert "recovered after an unclean stop in" in err, err
        with ns.GraphDatabase.driver(uri) as driver, driver.session() as session:
            assert session.run("MATCH (k:Kept) RETURN count(k) AS n").single()["n"] == 20000
    finally:
        ns.main(["--root", str(root), "down"])


def test_the_gds_pom_is_package_data_and_lists_only_open_gds():
    from graph_influence.testing.gds import packaged_gds_pom

    pom = packaged_gds_pom()
    with importlib.resources.as_file(pom) as path:
        root = ET.parse(path).getroot()
    groups = {d.findtext("m:groupId", namespaces=POM_NS)
              for d in root.iterfind("m:dependencies/m:dependency", POM_NS)}
    assert groups == {"org.neo4j.gds"}  # GPL-3.0 GDS only; the server jars come from pom.xml
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    globs = config["setuptools"]["package-data"]["graph_influence.testing"]
    assert any(fnmatch.fnmatch("gds-pom.xml", g) for g in globs), globs
