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


def run(*args: str, ok: bool = True, **kwargs):
    result = runner.invoke(app, [str(a) for a in args], **kwargs)
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


# -- where --store comes from: flag > GRAPH_INFLUENCE_STORE > NEO4J_URI > config > default ------
def _store_of(args, env, monkeypatch):
    """The --store value `top` would use (parsed only, nothing opened)."""
    import typer.main

    for var in ("GRAPH_INFLUENCE_STORE", "NEO4J_URI"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    command = typer.main.get_group(app).commands["top"]
    with command.make_context("top", list(args)) as ctx:
        return ctx.params["store"]


def test_neo4j_uri_and_graph_influence_store_are_honoured(monkeypatch):
    assert _store_of([], {}, monkeypatch) is None
    assert _store_of([], {"NEO4J_URI": "bolt://db:7687"}, monkeypatch) == "bolt://db:7687"
    both = {"NEO4J_URI": "bolt://db:7687", "GRAPH_INFLUENCE_STORE": "a.duckdb"}
    assert _store_of([], both, monkeypatch) == "a.duckdb"
    assert _store_of(["--store", "b.duckdb"], both, monkeypatch) == "b.duckdb"


def test_neo4j_uri_reaches_the_store(monkeypatch):
    monkeypatch.delenv("GRAPH_INFLUENCE_STORE", raising=False)
    result = run("top", ok=False, env={"NEO4J_URI": "bolt://127.0.0.1:1"})
    assert result.exit_code == 1 and "bolt://127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr


# -- the config file -----------------------------------------------------------------------
@pytest.fixture
def analysed(loaded):
    run("analyze", "--store", loaded)
    return loaded


def test_config_file_gives_defaults_below_flags_and_environment(tmp_path, analysed, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRAPH_INFLUENCE_STORE", raising=False)
    monkeypatch.delenv("NEO4J_URI", raising=False)
    (tmp_path / "graph-influence.toml").write_text(
        f'store = "{analysed}"\n\n[top]\nlimit = 2\nformat = "json"\n\n'
        '[analyze]\nhalf-life = "7d"\nweight = ["retweet=2"]\n', encoding="utf-8")
    assert len(json.loads(run("top").stdout)) == 2, "config: store, limit and format"
    assert len(json.loads(run("top", "-n", "3").stdout)) == 3, "a flag wins"
    assert run("top", "-f", "csv").stdout.startswith("rank,id"), "a flag wins"
    other = tmp_path / "other.duckdb"
    result = run("top", ok=False, env={"GRAPH_INFLUENCE_STORE": str(other)})
    assert result.exit_code == 1 and str(other) in result.stderr, "the environment wins"
    run("analyze")
    params = json.loads(run("info", "-f", "json").stdout)["last_run"]["params"]
    assert params["half_life"] == "7d" and params["type_weights"]["retweet"] == 2.0
    # --config names another file; an explicit file that is missing is an error
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text("[top]\nlimit = 1\n", encoding="utf-8")
    board = run("--config", cfg, "top", "--store", analysed, "-f", "json").stdout
    assert len(json.loads(board)) == 1
    result = run("--config", tmp_path / "missing.toml", "top", ok=False)
    assert result.exit_code == 1 and "missing.toml" in result.stderr


def test_config_top_level_store_never_reaches_demo(tmp_path, analysed, monkeypatch):
    import typer.main

    from graph_influence.cli.options import config_default_map

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'store = "{analysed}"\nquiet = true\n', encoding="utf-8")
    group = typer.main.get_group(app)
    with group.make_context("graph-influence", ["info"]) as ctx:
        defaults, settings = config_default_map(cfg, ctx)
    assert defaults["top"]["store"] == str(analysed) and defaults["load"]["store"]
    assert "demo" not in defaults, "demo's --store is a file it recreates"
    assert settings == {"quiet": True}


@pytest.mark.parametrize(("text", "message"), [
    ("[top]\nlimt = 3\n", "[top] limt: unknown option"),
    ("[top]\nlimit = \"many\"\n", "[top] limit: Invalid value for '--limit'"),
    ("[top]\nformat = \"xml\"\n", "[top] format:"),
    ("limit = 3\n", "unknown key 'limit' at the top level"),
    ("[nope]\nx = 1\n", "unknown command [nope]"),
    ("[export]\nout = \"x.csv\"\n", "[export] out: an argument, not an option"),
    ("[top\n", "not valid TOML"),
    ("quiet = \"yes\"\n", "quiet: expected true or false"),
])
def test_a_bad_config_file_is_one_line_naming_file_and_key(tmp_path, monkeypatch, text,
                                                           message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "graph-influence.toml").write_text(text, encoding="utf-8")
    result = run("top", ok=False)
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("error: graph-influence.toml: "), result.stderr
    assert message in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr


# -- --quiet -------------------------------------------------------------------------------
def test_quiet_hides_messages_but_not_errors(tmp_path, analysed, monkeypatch):
    out = tmp_path / "scores.csv"
    assert "wrote" in run("export", out, "--store", analysed).stderr
    assert run("-q", "export", out, "--store", analysed).stderr == ""
    assert run("--quiet", "analyze", "--store", analysed).stderr == ""
    assert run("export", out, "--store", analysed, env={"GRAPH_INFLUENCE_QUIET": "1"}
               ).stderr == ""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "graph-influence.toml").write_text("quiet = true\n", encoding="utf-8")
    assert run("export", out, "--store", analysed).stderr == ""
    assert "wrote" in run("export", out, "--store", analysed,
                          env={"GRAPH_INFLUENCE_QUIET": "0"}).stderr, "env over config"
    assert "wrote" in run("--no-quiet", "export", out, "--store", analysed,
                          env={"GRAPH_INFLUENCE_QUIET": "1"}).stderr, "a flag over both"
    result = run("-q", "top", "--store", tmp_path / "none.duckdb", ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("error:")
    from graph_influence.progress import is_quiet

    assert not is_quiet(), "quiet ends with the command"


# -- make neo4j-up: says what it does, keeps its port ---------------------------------------
def test_neo4j_up_says_what_it_does_and_keeps_its_port(tmp_path, monkeypatch, capsys):
    from graph_influence.testing import neo4j_server as ns

    started = []

    class FakeServer:
        def __init__(self, lib, home, *, port=None, **kwargs):
            self.port = port or 40000 + len(started)
            self.recovery = ns.RecoveryProgress()  # a clean start: no crash recovery
            started.append(port)

        @property
        def uri(self):
            return f"bolt://127.0.0.1:{self.port}"

        def start(self):
            return self

        def detach(self):
            return 4242

    state = tmp_path / ".neo4j"
    (state / "lib").mkdir(parents=True)
    monkeypatch.setattr(ns, "Neo4jServer", FakeServer)
    monkeypatch.setattr(ns, "_jars_ready", lambda s: False)
    monkeypatch.setattr(ns, "_ensure_jars_in", lambda s, **kw: s / "lib")
    monkeypatch.setattr(ns, "_is_neo4j_server", lambda pid: False)
    # the fake server listens nowhere: whether port 40000 is free on this machine is not the
    # question (another test's server may hold it for a moment)
    monkeypatch.setattr(ns, "_port_is_free", lambda port, host="127.0.0.1": True)
    assert ns.main(["--root", str(tmp_path), "up"]) == 0
    out, err = capsys.readouterr()
    exports = ("export GRAPH_INFLUENCE_STORE=bolt://127.0.0.1:40000\n"
               "export NEO4J_URI=bolt://127.0.0.1:40000\n")
    assert out == exports
    assert "fetching the Neo4j 5.26 server jars" in err and "starting Neo4j" in err
    assert "ready at bolt://127.0.0.1:40000" in err
    assert ns.main(["--root", str(tmp_path), "down"]) == 0
    assert not (state / "uri").exists()
    assert ns.main(["--root", str(tmp_path), "up"]) == 0
    assert capsys.readouterr().out == exports, "the same port"
    assert started == [None, 40000]
