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
