"""Load + analyze timings of graph-influence beside a networkx pipeline, in one process.

For each dataset the engine runs ``load_snapshot`` and ``analyze`` (default parameters) on a
fresh embedded store; then a networkx pipeline computes the same influence the way an analyst
would write it (pandas read, pandas decay/aggregation, ``nx.DiGraph``, ``nx.pagerank``) on the
same files. networkx's tolerance is scaled so both stop at the same L1 change (networkx
multiplies ``tol`` by the node count), and the largest difference between the two influence
vectors is reported as a check.

Usage::

    python bench/pipeline.py [--higgs DIR] [--synthetic-edges 1000000] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import resource
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

import graph_influence as gi
from graph_influence.schema import DEFAULT_INTERACTION_TYPES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import generate_snapshot

HIGGS_TYPES = {"RT": "retweet", "MT": "mention", "RE": "reply"}
HALF_LIFE = 30 * 86400.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_engine(snapshot: Path, workdir: Path) -> dict:
    store_path = workdir / "bench.duckdb"
    store_path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    with gi.open_store(store_path) as store:
        summary, _ = gi.load_snapshot(store, snapshot, progress=False)
        t_load = time.perf_counter() - t0
        t1 = time.perf_counter()
        result = gi.analyze(store, progress=False)
        t_analyze = time.perf_counter() - t1
    return {
        "load_s": t_load,
        "analyze_s": t_analyze,
        "total_s": t_load + t_analyze,
        "load_stages_s": summary.timings,
        "analyze_stages_s": result.run.timings,
        "users": result.run.n_users,
        "weighted_edges": result.run.n_edges,
        "events": result.run.n_events,
        "iterations": result.run.iterations,
        "influence": dict(zip(result.scores["id"], result.scores["influence"], strict=True)),
        "peak_rss_mb_after": peak_rss_mb(),
    }


def _read_higgs(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    inter = pd.read_csv(path / "higgs-activity_time.txt.gz", sep=" ", header=None,
                        names=["src", "dst", "ts", "type"], dtype={"src": str, "dst": str})
    inter["type"] = inter["type"].map(HIGGS_TYPES)
    inter["weight"] = 1.0
    return inter, pd.DataFrame({"src": [], "dst": []}, dtype=str)


def _read_dir(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    inter = pd.read_csv(path / "interactions.csv", dtype={"src": str, "dst": str})
    if inter["ts"].dtype == object:
        inter["ts"] = pd.to_datetime(inter["ts"], utc=True).astype("int64") // 10**9
    if "weight" not in inter:
        inter["weight"] = 1.0
    follows = pd.read_csv(path / "follows.csv", dtype=str)
    users = pd.read_csv(path / "users.csv", dtype=str, usecols=["id"])
    follows.attrs["users"] = users["id"]
    return inter, follows


def run_networkx(snapshot: Path, kind: str) -> dict:
    t0 = time.perf_counter()
    inter, follows = _read_higgs(snapshot) if kind == "higgs" else _read_dir(snapshot)
    as_of = inter["ts"].max()
    w_type = inter["type"].map(DEFAULT_INTERACTION_TYPES).fillna(1.0)
    inter["w"] = inter["weight"] * w_type * np.exp2(-(as_of - inter["ts"]) / HALF_LIFE)
    g = nx.DiGraph()
    users = follows.attrs.get("users")
    if users is not None:
        g.add_nodes_from(users)
    g.add_nodes_from(inter["src"])  # users seen only in self-loops are users too
    g.add_nodes_from(inter["dst"])
    g.add_nodes_from(follows["src"])
    g.add_nodes_from(follows["dst"])
    inter = inter[inter["src"] != inter["dst"]]
    pairs = inter.groupby(["src", "dst"], sort=False)["w"].sum().map(math.log1p)
    g.add_weighted_edges_from((s, d, w) for (s, d), w in pairs.items())
    for s, d in zip(follows["src"], follows["dst"], strict=True):
        if s != d:
            prior = g[s][d]["weight"] if g.has_edge(s, d) else 0.0
            g.add_edge(s, d, weight=prior + 1.0)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    pr = nx.pagerank(g, alpha=0.85, tol=1e-6 / g.number_of_nodes(), max_iter=100)
    t_pr = time.perf_counter() - t1
    return {"build_s": t_build, "pagerank_s": t_pr, "total_s": t_build + t_pr,
            "users": g.number_of_nodes(), "influence": pr, "peak_rss_mb_after": peak_rss_mb()}


def bench(name: str, snapshot: Path, kind: str, workdir: Path) -> dict:
    engine = run_engine(snapshot, workdir)
    gc.collect()
    baseline = run_networkx(snapshot, kind)
    diff = max(abs(engine["influence"][k] - v) for k, v in baseline["influence"].items())
    same_users = len(engine["influence"]) == len(baseline["influence"])
    for part in (engine, baseline):
        part.pop("influence")
    return {
        "dataset": name,
        "engine": engine,
        "networkx": baseline,
        "speedup_vs_networkx": baseline["total_s"] / engine["total_s"],
        "max_abs_influence_diff": diff,
        "same_user_count": same_users,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    parser.add_argument("--higgs", type=Path, default=shared / "higgs-twitter")
    parser.add_argument("--synthetic-edges", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.higgs and args.higgs.exists():
            results.append(bench("higgs-activity (563k events)", args.higgs, "higgs", work))
        if args.synthetic_edges:
            snap = work / "synthetic"
            generate_snapshot(snap, n_edges=args.synthetic_edges, seed=0)
            results.append(bench(f"synthetic {args.synthetic_edges:,} edges", snap, "dir", work))
    for r in results:
        e, n = r["engine"], r["networkx"]
        print(f"{r['dataset']}: engine load {e['load_s']:.2f}s + analyze {e['analyze_s']:.2f}s "
              f"= {e['total_s']:.2f}s ({e['users']:,} users, {e['iterations']} iterations); "
              f"networkx {n['total_s']:.2f}s (build {n['build_s']:.2f}s, pagerank "
              f"{n['pagerank_s']:.2f}s); speed-up {r['speedup_vs_networkx']:.1f}x; "
              f"max |diff| {r['max_abs_influence_diff']:.2e}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
