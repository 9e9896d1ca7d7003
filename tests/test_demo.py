"""The demo command (what `make demo` runs) and the bundled sample."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from graph_influence.cli import app
from graph_influence.loaders import read_snapshot
from graph_influence.sample_data import sample_path


def test_bundled_sample_is_valid_and_complete():
    snap = read_snapshot(sample_path())
    for name in ("users", "follows", "interactions", "posts"):
        report = snap.reports[name]
        assert report.read > 0 and report.rejected == 0, name


def test_demo_prints_a_leaderboard(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "-k", "5"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "read" in out and "= loaded" in out
    rows = [line for line in out.splitlines() if re.match(r"^\s+[1-5] [│|]", line)]
    assert len(rows) == 5, out
    scores = [float(re.split(r"\s*[│|]\s*", r.strip())[2]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert 63 <= scores[0] < 100
    assert "\x1b[" not in result.stderr, "no progress bars or colour when not on a terminal"
    assert (tmp_path / "graph-influence-demo.duckdb").exists()
    # running it again starts from a fresh store: same output
    again = CliRunner().invoke(app, ["demo", "-k", "5"])
    strip = lambda s: re.sub(r"load \S+ into", "load into", s)  # noqa: E731
    assert strip(again.stdout) == strip(out)


def test_demo_refuses_to_overwrite_a_store_that_is_not_a_demo_store(tmp_path, monkeypatch):
    from graph_influence.loading import load_snapshot
    from graph_influence.stores import DuckDBStore

    from .conftest import write_snapshot

    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine.duckdb"
    with DuckDBStore(mine) as st:
        load_snapshot(st, write_snapshot(tmp_path / "s", follows="src,dst\na,b\n"),
                      progress=False)
    before = mine.read_bytes()
    result = CliRunner().invoke(app, ["demo", "--store", str(mine)])
    assert result.exit_code == 1
    assert "is not a demo store" in result.stderr and "holds 1 load of other data" in (
        result.stderr)
    assert mine.read_bytes() == before
    # a file that is no store at all is not deleted either
    other = tmp_path / "notes.duckdb"
    other.write_text("my notes")
    result = CliRunner().invoke(app, ["demo", "--store", str(other)])
    assert result.exit_code == 1 and "is not a demo store" in result.stderr
    assert other.read_text() == "my notes"
    # a demo store (even one analysed again by hand) is recreated
    demo = tmp_path / "d.duckdb"
    assert CliRunner().invoke(app, ["demo", "--store", str(demo)]).exit_code == 0
    assert CliRunner().invoke(app, ["analyze", "--store", str(demo)]).exit_code == 0
    again = CliRunner().invoke(app, ["demo", "--store", str(demo)])
    assert again.exit_code == 0, again.output
    with DuckDBStore(demo, read_only=True) as st:
        assert len(st.loads()) == 1 and st.run_ids() == [1]
