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
