"""runs, loads, drop-load, delete-run: seeing and managing what a store holds (CLI).

The store-side behaviour (which rows a drop keeps, what happens to runs) is in
test_store_conformance; here the commands, their output, and their confirmation rules.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from graph_influence.cli import app

from .conftest import write_snapshot
from .test_store_conformance import OVERLAP_A, OVERLAP_B


@pytest.fixture(params=["duckdb", "neo4j"])
def store_url(request, tmp_path) -> str:
    """A store for the CLI on every backend: a DuckDB path, or the session's Neo4j server."""
    if request.param == "duckdb":
        return str(tmp_path / "m.duckdb")
    return request.getfixturevalue("neo4j_store").url


def run(*args, input: str | None = None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def _ok(result):
    assert result.exit_code == 0, result.output
    return result


def _two_loads_and_runs(store: str, tmp_path) -> list[dict]:
    for name, tables in (("a", OVERLAP_A), ("b", OVERLAP_B)):
        _ok(run("load", write_snapshot(tmp_path / name, **tables), "--store", store))
        _ok(run("analyze", "--store", store, *(["--follow-weight", "3"] if name == "b" else [])))
    return json.loads(_ok(run("loads", "--store", store, "--format", "json")).stdout)


def test_the_commands_on_every_store(store_url, tmp_path):
    loads = _two_loads_and_runs(store_url, tmp_path)
    assert [ld["shared"] for ld in loads] == [0, 5]
    assert {k: loads[1][k] for k in ("users", "follows", "interactions", "posts")} == {
        "users": 2, "follows": 1, "interactions": 1, "posts": 0}
    runs = json.loads(_ok(run("runs", "--store", store_url, "--format", "json")).stdout)
    assert [r["run_id"] for r in runs] == [1, 2]
    assert runs[0]["parameters"] == {} and runs[1]["parameters"] == {"follow_weight": 3.0}
    assert runs[1]["users"] == 5 and runs[1]["converged"] is True
    assert runs[0]["as_of"] and runs[0]["created_at"]
    # the later load was used by run 2 only: refused, then dropped with it
    refused = run("drop-load", loads[1]["load_id"], "--store", store_url, "--yes")
    assert refused.exit_code == 1 and "--delete-runs" in refused.stderr
    dropped = _ok(run("drop-load", loads[1]["load_id"], "--store", store_url, "--yes",
                      "--delete-runs", "--format", "json"))
    summary = json.loads(dropped.stdout)
    assert summary["runs_deleted"] == [2] and summary["removed"]["users"] == 2
    assert summary["kept"] == {"users": 0, "follows": 0, "interactions": 0, "posts": 0}
    assert [r["run_id"] for r in json.loads(
        _ok(run("runs", "--store", store_url, "--format", "json")).stdout)] == [1]
    top = _ok(run("top", "--store", store_url, "--format", "json"))
    assert top.stderr == "" and len(json.loads(top.stdout)) == 3  # x, y, z
    deleted = _ok(run("delete-run", "1", "--store", store_url, "--yes"))
    assert "deleted run 1" in deleted.stderr
    assert "no analysis yet" in _ok(run("runs", "--store", store_url)).stderr
    missing = run("delete-run", "7", "--store", store_url, "--yes")
    assert missing.exit_code == 1 and "no run 7" in missing.stderr


def test_tables_for_people(tmp_path):
    store = str(tmp_path / "t.duckdb")
    loads = _two_loads_and_runs(store, tmp_path)
    table = _ok(run("runs", "--store", store)).stdout
    assert "follow_weight=3.0" in table and "run_id" in table
    table = _ok(run("loads", "--store", store)).stdout
    assert loads[0]["load_id"] in table and "shared" in table
    dropped = _ok(run("drop-load", loads[0]["load_id"], "--store", store, "--yes",
                      "--delete-runs")).stdout
    assert dropped.splitlines() == [
        f"dropped load {loads[0]['load_id']} (dir: {tmp_path / 'a'})",
        "  users        removed 1; kept 2 that other loads also contain",
        "  follows      removed 1; kept 1 that other loads also contain",
        "  interactions removed 2; kept 1 that other loads also contain",
        "  posts        removed 1; kept 1 that other loads also contain",
        "  deleted runs 1, 2",
    ]
    _ok(run("drop-load", loads[1]["load_id"][:-2], "--store", store, "--yes"))  # a prefix
    empty = _ok(run("loads", "--store", store))
    assert empty.stdout == "" and "no loads yet" in empty.stderr


def test_destroying_asks_on_a_terminal_and_never_prompts_without_one(tmp_path, monkeypatch):
    from graph_influence.cli import manage

    store = str(tmp_path / "c.duckdb")
    loads = _two_loads_and_runs(store, tmp_path)
    load_id = loads[1]["load_id"]

    def state():
        return (run("loads", "--store", store, "-f", "json").stdout,
                run("runs", "--store", store, "-f", "json").stdout)

    before = state()
    # not a terminal (CliRunner's stdin) and no --yes: an error, no question, nothing changed
    for args in (["drop-load", load_id, "--delete-runs"], ["delete-run", "1"]):
        result = run(*args, "--store", store)
        assert result.exit_code == 1
        assert "standard input is not a terminal" in result.stderr and "--yes" in result.stderr
        assert "[y/N]" not in result.output
        assert state() == before
    # on a terminal it asks; no (or just Enter) changes nothing, yes goes ahead
    monkeypatch.setattr(manage, "_on_terminal", lambda: True)
    for answer in ("n\n", "\n"):
        result = run("drop-load", load_id, "--delete-runs", "--store", store, input=answer)
        assert result.exit_code == 1 and "not confirmed" in result.stderr
        assert f"drop load {load_id}" in result.stderr and "delete run 2?" in result.stderr
        assert state() == before
    _ok(run("drop-load", load_id, "--delete-runs", "--store", store, input="y\n"))
    assert len(json.loads(state()[0])) == 1
    result = run("delete-run", "1", "--store", store, input="n\n")
    assert result.exit_code == 1 and "delete run 1" in result.stderr
    _ok(run("delete-run", "1", "--store", store, input="y\n"))
    # nothing is asked, or created, for a store that is not there
    result = run("delete-run", "1", "--store", str(tmp_path / "none.duckdb"), "--yes")
    assert result.exit_code == 1 and not (tmp_path / "none.duckdb").exists()


def test_read_commands_say_when_the_run_predates_a_load(tmp_path):
    store = str(tmp_path / "s.duckdb")
    t = {"users": "id,topics\na,cooking\nb,cooking\nc,cooking\n",
         "follows": "src,dst\nb,a\nc,a\na,b\n",
         "interactions": "src,dst,type,ts,topics\nb,a,retweet,100,cooking\n"}
    _ok(run("load", write_snapshot(tmp_path / "t", **t), "--store", store))
    _ok(run("analyze", "--store", store, "--min-topic-users", "1"))
    _ok(run("analyze", "--store", store, "--min-topic-users", "1", "--follow-weight", "2"))
    commands = [["top"], ["top", "--topic", "cooking"], ["topics"], ["communities"],
                ["export", tmp_path / "x.csv"], ["explain", "a"], ["compare"]]
    for args in commands:  # up to date: no notice
        result = _ok(run(*args, "--store", store))
        assert "note:" not in result.stderr, args
    more = _ok(run("load", write_snapshot(tmp_path / "m", follows="src,dst\nd,a\n"),
                   "--store", store, "--report-format", "json"))
    load_id = json.loads(more.stdout)["load_id"]
    for args in commands:
        result = _ok(run(*args, "--store", store))
        notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
        assert notes == [f"note: run 2 predates load {load_id}; its results leave that data "
                         "out — run graph-influence analyze to include it"], args
    older = _ok(run("top", "--store", store, "--run", "1"))
    assert "note: run 1 predates" in older.stderr
    _ok(run("analyze", "--store", store))
    assert "note:" not in _ok(run("top", "--store", store)).stderr
    assert "note: run 2 predates" in _ok(run("top", "--store", store, "--run", "2")).stderr
