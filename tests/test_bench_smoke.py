"""A small run of the benchmark runner (bench/run.py): it works end to end and its checks hold.

Benchmarks are not timed tests; this only proves that `make bench` will run and that the
engine and the baselines it is compared with compute the same thing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # runs bench/run.py in a subprocess (~10 s)


def test_bench_runner_smoke(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "20k", "--no-networkit",
         "--workdir", str(tmp_path / "work"), "--repeat-queries", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    (result,) = report["results"]
    assert result["input_edges"] == 20_000
    pipelines = result["pipelines"]
    assert {"engine", "networkx", "python-igraph"} <= set(pipelines)
    engine = pipelines["engine"]
    assert engine["total_s"] > 0 and engine["peak_mb"] > 0
    stages = engine["analyze_stages_s"]
    assert {"graph view", "pagerank", "communities"} <= set(stages)
    checks = result["cross_checks"]
    # the same influence as networkx's PageRank on the same weighted graph
    assert checks["max_abs_influence_diff_vs_engine"]["networkx"] < 1e-9
    # every partition scored by one yardstick: the engine is as good as networkx's Louvain
    q = checks["modularity_yardstick"]
    assert q["engine"] >= 0.99 * q["networkx"]
    assert "engine" in proc.stdout and "networkx" in proc.stdout


def test_attacks_smoke(tmp_path):
    """bench/attacks.py on the bundled sample with tiny attacks: every attack and group runs
    and a follow farm on a floor user lifts it above the floor, far less with the defences."""
    from graph_influence import sample_path

    out = tmp_path / "attacks.md"
    report = tmp_path / "attacks.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "attacks.py"), "--data", str(sample_path()),
         "--targets", "1", "--farm-size", "20", "--ring-size", "4", "--pair-count", "10",
         "--workdir", str(tmp_path / "work"), "--out", str(out), "--json", str(report)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(report.read_text())
    rows = data["rows"]
    assert {(r["attack"], r["group"]) for r in rows} == {
        (a, g) for a in ("follow-clique", "follow-star", "retweet-ring", "reciprocal")
        for g in ("median", "p90", "floor")}
    star_floor = next(r for r in rows if r["attack"] == "follow-star" and r["group"] == "floor")
    for how in ("default", "undefended", "plain"):
        assert star_floor[how]["score_before"] == 10.0
        assert star_floor[how]["lift"] > 0  # attended now: above the floor
    for how in ("undefended", "plain"):
        assert star_floor[how]["rank_gain"] > 0
    # the defences: the farm's follows bring next to no trust, so the target moves up no
    # further than the head of the floor, and far less than without them
    assert star_floor["default"]["rank_gain"] >= 0
    assert star_floor["default"]["lift"] < star_floor["undefended"]["lift"] / 2
    assert "| follow-clique | median |" in out.read_text()
    assert "| follow-clique | median |" in proc.stdout
