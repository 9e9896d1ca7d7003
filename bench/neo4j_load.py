"""Bolt load throughput and graph-view read time of the Neo4j store, beside the embedded store.

Starts a fresh Neo4j 5.26 server from the Maven jars (or uses ``--uri``), then for each dataset:
loads it into an empty database, reports relationships created per second for the follow and
event stages, times reading the aggregated graph view back, and runs the same load and view on
a fresh DuckDB store in the same process.

Usage::

    python bench/neo4j_load.py [--higgs DIR] [--synthetic-edges 1000000] [--uri bolt://...]
                               [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import graph_influence as gi
from graph_influence.stores import DuckDBStore
from graph_influence.stores.neo4j_store import Neo4jStore
from graph_influence.testing.neo4j_server import Neo4jServer, ensure_neo4j_jars, find_root

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import generate_snapshot


def wipe(uri: str) -> None:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(uri) as driver, driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
                    ).consume()


def measure(store, snapshot: Path) -> dict:
    t0 = time.perf_counter()
    summary, _ = gi.load_snapshot(store, snapshot, progress=False)
    load_s = time.perf_counter() - t0
    stages = summary.timings
    rels = summary.reports["follows"].new + summary.reports["interactions"].new
    rel_s = stages.get("store: follows", 0.0) + stages.get("store: interactions", 0.0)
    as_of = store.time_range()[1]
    t1 = time.perf_counter()
    view = store.graph_view(as_of=as_of, half_life_seconds=30 * 86400.0)
    view_s = time.perf_counter() - t1
    return {
        "load_s": load_s,
        "stages_s": stages,
        "relationships": rels,
        "relationships_per_s": rels / rel_s if rel_s else None,
        "users": summary.reports["users"].new,
        "users_per_s": summary.reports["users"].new / stages["store: users"]
        if stages.get("store: users") else None,
        "graph_view_s": view_s,
        "view_pairs": len(view.inter_src) + len(view.follow_src),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    parser.add_argument("--higgs", type=Path, default=shared / "higgs-twitter")
    parser.add_argument("--synthetic-edges", type=int, default=1_000_000)
    parser.add_argument("--uri")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = None
        uri = args.uri
        if uri is None:
            server = Neo4jServer(ensure_neo4j_jars(find_root()), base_dir=work,
                                 heap_max="2g", pagecache="512m")
            t0 = time.perf_counter()
            server.start()
            results.append({"server_start_s": time.perf_counter() - t0})
            uri = server.uri
        try:
            datasets = []
            if args.higgs.exists():
                datasets.append(("higgs-activity (563k events)", args.higgs))
            if args.synthetic_edges:
                snap = work / "synthetic"
                generate_snapshot(snap, n_edges=args.synthetic_edges, seed=0)
                datasets.append((f"synthetic {args.synthetic_edges:,} edges", snap))
            for name, path in datasets:
                wipe(uri)
                with Neo4jStore(uri) as neo:
                    n = measure(neo, path)
                with DuckDBStore(work / f"{len(results)}.duckdb") as duck:
                    d = measure(duck, path)
                results.append({"dataset": name, "neo4j": n, "duckdb": d})
                print(f"{name}: Neo4j load {n['load_s']:.1f}s, {n['relationships']:,} "
                      f"relationships at {n['relationships_per_s']:,.0f}/s, users at "
                      f"{n['users_per_s']:,.0f}/s, graph view {n['graph_view_s']:.2f}s | "
                      f"DuckDB load {d['load_s']:.2f}s, graph view {d['graph_view_s']:.2f}s",
                      flush=True)
        finally:
            if server is not None:
                server.close()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
