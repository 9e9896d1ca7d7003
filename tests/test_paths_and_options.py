"""Issue 13: output paths checked before any work, bad option values, foreign DuckDB files,
credentials in store URLs, CSV formula cells, and errors during a store transaction."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import duckdb
import pytest
from typer.testing import CliRunner

from graph_influence.cli import app
from graph_influence.errors import OutputError, StoreError
from graph_influence.outputs import check_output
from graph_influence.stores import duckdb_store as duckdb_module
from graph_influence.stores import redact_url

from .conftest import write_snapshot

runner = CliRunner()


def run(*args, ok: bool = True, **kwargs):
    result = runner.invoke(app, [str(a) for a in args], **kwargs)
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(result, *fragments: str, code: int = 1) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def analyzed(tmp_path, snapshot_dir):
    store = tmp_path / "s.duckdb"
    run("load", snapshot_dir, "--store", store)
    run("analyze", "--store", store)
    return store


# -- 1. output paths ----------------------------------------------------------------------------
@pytest.mark.parametrize("command", [
    ["export", "{store}"], ["export", "{store}", "--format", "parquet"],
    ["report", "{store}"], ["report", "--out", "{store}"],
    ["analyze", "--save-calibration", "{store}"], ["export", "{store}.wal"],
])
def test_the_store_is_never_an_output(analyzed, command):
    before = digest(analyzed)
    args = [a.format(store=analyzed) for a in command]
    result = run(*args, "--store", analyzed, ok=False)
    one_line_error(result, "it is the store")
    assert digest(analyzed) == before
    run("top", "--store", analyzed)  # still a store


def test_the_store_through_a_symlink_or_another_spelling(analyzed, tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to(analyzed)
    before = digest(analyzed)
    one_line_error(run("export", link, "--format", "csv", "--store", analyzed, ok=False),
                   "it is the store")
    one_line_error(run("export", tmp_path / "." / "s.duckdb", "--store",
                       f"duckdb://{analyzed}", ok=False), "it is the store")
    assert digest(analyzed) == before


def test_rejects_cannot_overwrite_the_input_or_the_store(tmp_path, snapshot_dir):
    store = tmp_path / "s.duckdb"
    users = snapshot_dir / "users.csv"
    before = users.read_bytes()
    result = run("load", snapshot_dir, "--store", store, "--on-error", "skip", "--rejects",
                 users, ok=False)
    one_line_error(result, "input")
    assert users.read_bytes() == before
    assert not store.exists()  # checked before the store is opened
    single = tmp_path / "edges.csv"
    single.write_text("src,dst\na,b\n")
    one_line_error(run("load", single, "--store", store, "--on-error", "skip", "--rejects",
                       single, ok=False), "the input being read")
    run("load", snapshot_dir, "--store", store)
    before = digest(store)
    one_line_error(run("load", snapshot_dir, "--store", store, "--on-error", "skip",
                       "--rejects", store, ok=False), "it is the store")
    assert digest(store) == before


def test_save_calibration_cannot_overwrite_the_calibration_it_reuses(analyzed, tmp_path):
    cal = tmp_path / "cal.json"
    run("analyze", "--store", analyzed, "--save-calibration", cal)
    before, runs = cal.read_bytes(), digest(analyzed)
    one_line_error(run("analyze", "--store", analyzed, "--calibration", cal,
                       "--save-calibration", cal, ok=False), "the input being read")
    assert cal.read_bytes() == before and digest(analyzed) == runs, "checked before the run"


def test_rejects_into_a_missing_folder_fails_before_the_load(tmp_path):
    snap = write_snapshot(tmp_path / "snap", follows="src,dst,ts\na,b,\nc,d,not-a-time\n")
    store = tmp_path / "s.duckdb"
    result = run("load", snap, "--store", store, "--on-error", "skip", "--rejects",
                 tmp_path / "missing" / "r.csv", ok=False)
    one_line_error(result, "does not exist")
    assert not store.exists()  # nothing loaded, nothing lost


def test_output_checks(tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "in").mkdir()
    assert check_output("-", store_url=tmp_path / "s.duckdb") is None
    assert check_output(tmp_path / "ok.csv", store_url=tmp_path / "s.duckdb") is not None
    for path, reason in [(tmp_path / "dir", "a directory"),
                         (tmp_path / "nope" / "x.csv", "does not exist"),
                         (tmp_path / "file.txt" / "x.csv", "is not a directory"),
                         (tmp_path / "in" / "x.csv", "inside the input directory")]:
        with pytest.raises(OutputError, match=reason):
            check_output(path, store_url=tmp_path / "s.duckdb", inputs=[tmp_path / "in"])


def test_the_default_store_is_refused_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRAPH_INFLUENCE_STORE", raising=False)
    with pytest.raises(OutputError, match="it is the store"):
        check_output("graph-influence.duckdb")


# -- 2. option values -----------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "flag"), [
    (["--follow-weight", "nan"], "--follow-weight"), (["--damping", "inf"], "--damping"),
    (["--weight", "retweet=nan"], "--weight"), (["--seed", "-1"], "--seed"),
    (["--as-of", "99999999999999999"], "--as-of"), (["--as-of", "-1e400"], "--as-of"),
])
def test_bad_values_are_one_line_errors(analyzed, args, flag):
    one_line_error(run("analyze", "--store", analyzed, *args, ok=False), flag)


@pytest.mark.parametrize("args", [["-k", "-5"], ["-n", "0"]])
def test_bad_counts_are_usage_errors(analyzed, args):
    result = run("top", "--store", analyzed, *args, ok=False)
    assert result.exit_code == 2 and result.exception is None or isinstance(
        result.exception, SystemExit)


# -- 3. foreign DuckDB files and missing stores ---------------------------------------------------
def test_a_foreign_duckdb_file_is_refused_unchanged(tmp_path, snapshot_dir):
    path = tmp_path / "sales.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (x INTEGER)")
    con.execute("INSERT INTO sales VALUES (1)")
    con.close()
    before = digest(path)
    for args in (["analyze"], ["load", snapshot_dir], ["info"], ["top"]):
        result = run(*args, "--store", path, ok=False)
        one_line_error(result, "not a graph-influence store", "sales")
    assert digest(path) == before
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SHOW TABLES").fetchall() == [("sales",)]
    con.close()


def test_commands_do_not_create_a_missing_store(tmp_path):
    path = tmp_path / "none.duckdb"
    for args in (["info"], ["top"], ["analyze"], ["export", tmp_path / "x.csv"]):
        one_line_error(run(*args, "--store", path, ok=False), "no store at")
    assert not path.exists()


# -- 4. credentials in store URLs ------------------------------------------------------------------
@pytest.mark.parametrize("url", ["bolt://neo4j:hunter2@localhost:7687",
                                 "neo4j://localhost:7687?password=hunter2",
                                 "neo4j+s://hunter2@db.example:7687"])
def test_credentials_in_the_store_url_are_refused_and_never_shown(url, monkeypatch):
    for args, env in ((["--store", url], {}), ([], {"GRAPH_INFLUENCE_STORE": url})):
        result = run("info", *args, ok=False, env=env)
        line = one_line_error(result, "NEO4J_USERNAME", "NEO4J_PASSWORD", "credentials")
        assert "hunter2" not in result.output and "unreachable" not in line
        assert "cannot reach" not in line


def test_redact_url():
    assert redact_url("x foo://u:p@h/db?user=a&token=b") == "x foo://***@h/db?user=***&token=***"
    assert redact_url("duckdb://net.duckdb") == "duckdb://net.duckdb"
    result = run("info", "--store", "foo://u:hunter2@h", ok=False)
    assert "hunter2" not in result.output


@pytest.mark.parametrize(("url", "what"), [
    ("bolt://127.0.0.1:notaport", "could not be cast to integer"),
    ("bolt://127.0.0.1:99999", "out of range"),
    ("neo4j://", "names no host"),
    ("bolt://[::1", "IPv6"),
])
def test_a_malformed_neo4j_url_says_what_is_wrong(url, what):
    """Not 'cannot reach the server' (nor a traceback): the URL itself is wrong."""
    line = one_line_error(run("info", "--store", url, ok=False), "is not a Neo4j URL", what,
                          "bolt://HOST:PORT")
    assert "cannot reach" not in line


def test_the_python_api_redacts_credentials_too():
    from graph_influence.errors import StoreError
    from graph_influence.stores.neo4j_store import Neo4jStore

    for url in ("bolt://neo4j:hunter2@127.0.0.1:1", "neo4j://127.0.0.1:1?password=hunter2"):
        with pytest.raises(StoreError) as info:
            Neo4jStore(url)
        assert "hunter2" not in str(info.value) and "NEO4J_PASSWORD" in str(info.value)


# -- 5. CSV formulas ---------------------------------------------------------------------------
@pytest.fixture
def formula_store(tmp_path):
    snap = write_snapshot(
        tmp_path / "snap",
        users='id,name\n=HYPERLINK("http://x"),+evil\n@alice,-1\nbob,\tTab\n',
        follows='src,dst,ts\nbob,=HYPERLINK("http://x"),\n@alice,=HYPERLINK("http://x"),\n'
                'bob,@alice,\n')
    store = tmp_path / "f.duckdb"
    run("load", snap, "--store", store)
    run("analyze", "--store", store)
    return store


def test_export_keeps_cells_verbatim_by_default(formula_store, tmp_path):
    out = tmp_path / "x.csv"
    run("export", out, "--store", formula_store)
    ids = {r["id"] for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert '=HYPERLINK("http://x")' in ids and "@alice" in ids


def test_export_csv_safe_neutralises_formulas(formula_store, tmp_path):
    out = tmp_path / "x.csv"
    run("export", out, "--store", formula_store, "--csv-safe")
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    ids = {r["id"] for r in rows}
    assert ids == {"'=HYPERLINK(\"http://x\")", "'@alice", "bob"}
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r"))
               for r in rows for v in r.values() if v)
    result = run("export", "-", "--store", formula_store, "--csv-safe")
    assert "'=HYPERLINK" in result.stdout


def test_top_csv_safe(formula_store):
    plain = run("top", "--store", formula_store, "-f", "csv").stdout
    assert "\n=HYPERLINK" not in plain and ',"=HYPERLINK' in plain
    safe = run("top", "--store", formula_store, "-f", "csv", "--csv-safe").stdout
    cells = [c for row in csv.reader(io.StringIO(safe)) for c in row]
    assert "'=HYPERLINK(\"http://x\")" in cells and "'+evil" in cells and "'-1" in cells
    json_out = json.loads(run("top", "--store", formula_store, "-f", "json",
                              "--csv-safe").stdout)
    assert any(r["id"] == '=HYPERLINK("http://x")' for r in json_out)  # CSV only


# -- 6. errors inside a transaction ------------------------------------------------------------
class _FailingConnection:
    """A DuckDB connection whose statements fail as asked once a transaction began (and whose
    ROLLBACK fails too, as after a full disk)."""

    def __init__(self, con, fail_on: str, error: Exception):
        self._con, self._fail_on, self._error = con, fail_on, error
        self.armed = False

    def execute(self, sql, *args):
        if sql == "BEGIN TRANSACTION":
            self.armed = True
        if self.armed and sql.lstrip().startswith(self._fail_on):
            raise self._error
        if self.armed and sql == "ROLLBACK":
            raise duckdb.TransactionException("cannot rollback: the database is invalidated")
        return self._con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def _arm(monkeypatch, fail_on: str, error: Exception) -> None:
    connect = duckdb.connect
    monkeypatch.setattr(duckdb_module.duckdb, "connect", lambda *args, **kwargs:
                        _FailingConnection(connect(*args, **kwargs), fail_on, error))


DISK_FULL = "IO Error: could not write: No space left on device"


def test_a_failed_rollback_shows_the_first_error(analyzed, monkeypatch):
    _arm(monkeypatch, "DELETE FROM", duckdb.IOException(DISK_FULL))
    from graph_influence.stores import open_store

    with open_store(analyzed) as st, pytest.raises(StoreError, match="No space left") as info:
        st.delete_run(1)
    assert "cannot rollback" not in str(info.value)


@pytest.mark.parametrize(("command", "fail_on"), [
    (["load", "{snap}"], "INSERT INTO follows"), (["analyze"], "INSERT INTO scores"),
    (["delete-run", "1", "--yes"], "DELETE FROM")])
def test_disk_full_is_one_line_with_the_first_error(analyzed, snapshot_dir, tmp_path,
                                                    monkeypatch, command, fail_on):
    other = write_snapshot(tmp_path / "other", follows="src,dst,ts\nx,y,\n")
    _arm(monkeypatch, fail_on, duckdb.IOException(DISK_FULL))
    args = [a.format(snap=other) for a in command]
    one_line_error(run(*args, "--store", analyzed, ok=False), "No space left on device")


def test_ctrl_c_during_the_merge_exits_130(tmp_path, snapshot_dir, monkeypatch):
    store = tmp_path / "s.duckdb"
    run("load", snapshot_dir, "--store", store)
    counts = json.loads(run("info", "--store", store, "-f", "json").stdout)["counts"]

    def interrupted(self, *args):
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    monkeypatch.setattr(duckdb_module.DuckDBStore, "_merge_follows", interrupted)
    other = write_snapshot(tmp_path / "other", follows="src,dst,ts\nx,y,\n")
    result = run("load", other, "--store", store, ok=False)
    assert result.exit_code == 130, (result.stderr, result.exception)
    assert result.stderr.strip() == ("interrupted — the store is unchanged by the unfinished "
                                     "step")
    monkeypatch.undo()
    assert json.loads(run("info", "--store", store, "-f", "json").stdout)["counts"] == counts


def test_ctrl_c_during_a_neo4j_load_rolls_it_back_and_says_so(neo4j_store, snapshot_dir,
                                                               tmp_path, monkeypatch):
    from graph_influence.stores.neo4j_store import Neo4jStore

    url = neo4j_store.url
    run("load", snapshot_dir, "--store", url)
    counts = json.loads(run("info", "--store", url, "-f", "json").stdout)["counts"]
    real = Neo4jStore._merge_events

    def interrupted(self, *args, **kwargs):
        real(self, *args, **kwargs)  # the events are written, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(Neo4jStore, "_merge_events", interrupted)
    other = write_snapshot(tmp_path / "other", interactions="src,dst,type\nx,y,like\n")
    result = run("load", other, "--store", url, ok=False)
    assert result.exit_code == 130, (result.stderr, result.exception)
    line = result.stderr.strip()
    assert line.startswith("interrupted — the unfinished load ") and line.endswith(
        " was rolled back; the store is as it was"), line
    monkeypatch.undo()
    info = json.loads(run("info", "--store", url, "-f", "json").stdout)
    assert info["counts"] == counts and [ld["status"] for ld in info["loads"]] == ["complete"]


def test_report_on_a_read_only_file_system_is_one_line(analyzed, tmp_path, monkeypatch):
    import graph_influence.outputs as outputs

    monkeypatch.setattr(outputs, "_read_only_fs", lambda folder: True)
    one_line_error(run("report", tmp_path / "r.html", "--store", analyzed, ok=False),
                   "read-only")
    assert not (tmp_path / "r.html").exists()


def test_load_frames_checks_the_rejects_file_before_loading(store, tmp_path):
    import pandas as pd

    from graph_influence.loading import load_frames

    with pytest.raises(OutputError, match="it is the store"):
        load_frames(store, follows=pd.DataFrame({"src": ["a"], "dst": ["b"]}),
                    on_error="skip", rejects=store.path, progress=False)
    assert store.counts()["follows"] == 0
