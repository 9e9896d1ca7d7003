"""The CLI contract: options, JSON/CSV output, exit codes, messages on stderr."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from graph_influence.cli import app

from .conftest import write_snapshot

runner = CliRunner()


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


@pytest.fixture
def loaded(tmp_path, snapshot_dir):
    store = tmp_path / "cli.duckdb"
    run("load", snapshot_dir, "--store", store)
    return store


def test_load_reports_counts(tmp_path, snapshot_dir):
    store = tmp_path / "s.duckdb"
    result = run("load", snapshot_dir, "--store", store)
    assert "follows      read 4 = loaded 4 + rejected 0; new 4" in result.stdout
    result = run("load", snapshot_dir, "--store", store, "--output", "json")
    report = json.loads(result.stdout)
    assert report["tables"]["interactions"]["new"] == 0
    assert report["already_loaded_as"]


def test_bad_input_exit_1_with_location_and_no_traceback(tmp_path, loaded):
    bad = write_snapshot(tmp_path / "bad", follows="src,dst\na,b\nc,\n")
    result = run("load", bad, "--store", loaded, ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {bad / 'follows.csv'}:3:2: empty dst")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    info = json.loads(run("info", "--store", loaded, "--format", "json").stdout)
    assert info["follows"] == 4 and len(info["loads"]) == 1, "store unchanged"


def test_skip_mode_writes_rejects_and_adds_up(tmp_path):
    store = tmp_path / "s.duckdb"
    bad = write_snapshot(tmp_path / "bad", follows="src,dst\na,b\nc,\nd,e\n")
    rejects = tmp_path / "rejects.csv"
    result = run("load", bad, "--store", store, "--on-error", "skip", "--rejects", rejects)
    assert "read 3 = loaded 2 + rejected 1" in result.stdout
    frame = pd.read_csv(rejects)
    assert frame.to_dict(orient="records")[0] | {"file": None} == {
        "table": "follows", "file": None, "line": 3, "column": 2,
        "reason": "empty dst", "record": "c,"}


def test_analyze_top_info_export(tmp_path, loaded):
    result = run("analyze", "--store", loaded, "--format", "json", "--half-life", "7d",
                 "--weight", "retweet=2", "--follow-weight", "0.5")
    board = json.loads(result.stdout)
    assert [row["rank"] for row in board] == [1, 2, 3, 4]
    assert "converged in" in result.stderr
    top = json.loads(run("top", "--store", loaded, "-k", "2", "--format", "json").stdout)
    assert len(top) == 2
    assert set(top[0]) >= {"rank", "id", "score", "influence"}
    assert 0 <= top[0]["score"] <= 100
    assert top[0]["id"] == board[0]["id"]

    csv_out = run("top", "--store", loaded, "--format", "csv").stdout
    assert list(pd.read_csv(io.StringIO(csv_out)).columns) == [
        "rank", "id", "score", "influence", "name"]
    lines = run("top", "--store", loaded, "--format", "jsonl").stdout.splitlines()
    assert len(lines) == 4 and json.loads(lines[0])["rank"] == 1

    info = json.loads(run("info", "--store", loaded, "--format", "json").stdout)
    assert (info["users"], info["follows"], info["interactions"], info["posts"]) == (4, 4, 4, 1)
    assert info["last_run"]["params"]["half_life"] == "7d"
    assert info["last_run"]["params"]["type_weights"]["retweet"] == 2.0
    assert info["last_run"]["converged"] is True
    assert "last run" in run("info", "--store", loaded).stdout

    for fmt in ("csv", "parquet", "json", "jsonl"):
        out = tmp_path / f"scores.{fmt}"
        run("export", out, "--store", loaded)
        frame = {
            "csv": pd.read_csv, "parquet": pd.read_parquet, "json": pd.read_json,
            "jsonl": lambda p: pd.read_json(p, lines=True),
        }[fmt](out)
        assert list(frame.columns)[:5] == ["id", "influence", "score", "rank", "community"]
        assert "topic:python" in frame.columns
        assert len(frame) == 4
        assert frame["influence"].sum() == pytest.approx(1.0, abs=1e-9)


def test_calibration_save_and_reuse(tmp_path, loaded):
    cal = tmp_path / "cal.json"
    first = json.loads(run("analyze", "--store", loaded, "--format", "json",
                           "--save-calibration", cal).stdout)
    assert json.loads(cal.read_text())["method"] == "klout"
    again = json.loads(run("analyze", "--store", loaded, "--format", "json",
                           "--calibration", cal).stdout)
    assert [r["score"] for r in again] == pytest.approx([r["score"] for r in first])


def test_user_errors_exit_1_usage_errors_exit_2(tmp_path, loaded):
    empty = tmp_path / "empty.duckdb"
    result = run("top", "--store", empty, ok=False)
    assert result.exit_code == 1 and "graph-influence load" in result.stderr
    result = run("top", "--store", loaded, ok=False)
    assert result.exit_code == 1 and "graph-influence analyze" in result.stderr
    result = run("analyze", "--store", loaded, "--weight", "retweet", ok=False)
    assert result.exit_code == 1 and "TYPE=NUMBER" in result.stderr
    result = run("analyze", "--store", loaded, "--half-life", "soon", ok=False)
    assert result.exit_code == 1 and "30d" in result.stderr
    result = run("analyze", "--store", loaded, "--bogus", ok=False)
    assert result.exit_code == 2
    result = run("top", "--store", loaded, "--format", "xml", ok=False)
    assert result.exit_code == 2
    result = run("load", tmp_path / "nowhere", "--store", loaded, ok=False)
    assert result.exit_code == 1 and "no such file" in result.stderr


def test_version_and_help_examples():
    from graph_influence import __version__

    assert run("--version").stdout.strip() == f"graph-influence {__version__}"
    for command in ("load", "analyze", "top", "info", "export", "demo"):
        text = run(command, "--help").stdout
        assert "Example: graph-influence" in text, command


# -- the cli/ package: one naming rule, panels, -h, completion, light query commands ---------
def _commands():
    import typer.main

    return typer.main.get_group(app).commands


def test_one_spelling_per_meaning():
    for name, command in _commands().items():
        visible = [p for p in command.params if not getattr(p, "hidden", False)]
        opts = {o for p in visible for o in p.opts}
        assert not opts & {"-k", "--top", "--out", "--output", "-o"}, (name, opts)
        for param in visible:
            if param.name == "limit":
                assert param.opts == ["--limit", "-n"], name
            if "--format" in param.opts:
                assert "-f" in param.opts, name
    printing = {"analyze", "top", "topics", "communities", "info", "explain", "compare"}
    for name in printing:
        assert any("--format" in p.opts for p in _commands()[name].params), name


def test_short_help_panels_and_completion():
    assert run("top", "-h").stdout == run("top", "--help").stdout
    root = run("--help").stdout
    assert "--install-completion" in root and "--show-completion" in root
    text = run("analyze", "--help").stdout
    for panel in ("Store", "Influence", "Time", "Topics", "Communities", "Calibration",
                  "Output"):
        assert f"─ {panel} " in text, panel


def test_earlier_spellings_still_work(tmp_path, loaded):
    run("analyze", "--store", loaded, "-k", "2")
    assert len(json.loads(run("top", "--store", loaded, "-k", "2", "--format", "json")
                          .stdout)) == 2
    assert len(json.loads(run("top", "--store", loaded, "-n", "3", "-f", "json").stdout)) == 3
    out = tmp_path / "r.html"
    run("report", "--out", out, "--store", loaded)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    out2 = tmp_path / "r2.html"
    run("report", out2, "--store", loaded)
    assert out2.exists()


def test_query_commands_import_neither_numpy_nor_pandas(tmp_path, loaded):
    import subprocess
    import sys

    run("analyze", "--store", loaded)
    heavy = ("numpy", "pandas", "scipy", "numba", "pyarrow", "networkx", "igraph", "neo4j")
    for argv in (["top", "-n", "3", "-f", "json"], ["top", "--topic", "python", "-f", "csv"],
                 ["topics"], ["communities", "-f", "json"], ["info", "-f", "json"]):
        code = (
            "import sys\n"
            f"sys.argv = ['graph-influence', *{argv!r}, '--store', {str(loaded)!r}]\n"
            "from graph_influence.cli import main\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            f"print('HEAVY', sorted(m for m in {heavy!r} if m in sys.modules))\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == "HEAVY []", (argv, done.stdout[-300:])
