"""Latency of ``top`` and ``top --topic`` on a 1M-user snapshot, from both stores.

Generates a synthetic snapshot with ``--users`` users (default 1,000,000) and ``--edges`` edges,
loads it into a fresh DuckDB store and (unless ``--no-neo4j``) into a fresh Neo4j server started
from the Maven jars, runs ``analyze`` on each, then times ``top -k 10`` and ``top --topic T -k 10``
for several topics through the Python API (the CLI adds only its start-up).

Usage::

    python bench/top_latency.py [--users 1000000] [--edges 2000000] [--no-neo4j] [--out F.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import graph_influence as gi

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import generate_snapshot


def latencies(store, topics: list[str], repeat: int = 5) -> dict:
    store.top(10)
    overall = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        store.top(10)
        overall.append(time.perf_counter() - t0)
    per_topic = []
    for topic in topics:
        store.top_topic(topic, 10)
        for _ in range(repeat):
            t0 = time.perf_counter()
            store.top_topic(topic, 10)
            per_topic.append(time.perf_counter() - t0)
    return {"top_ms_median": 1000 * statistics.median(overall),
            "top_topic_ms_median": 1000 * statistics.median(per_topic),
            "top_topic_ms_max": 1000 * max(per_topic)}


def run(store, snap: Path) -> dict:
    t0 = time.perf_counter()
    gi.load_snapshot(store, snap, progress=False)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = gi.analyze(store, gi.AnalysisParams(communities=False), progress=False)
    t_analyze = time.perf_counter() - t0
    topics = result.topics.names[:10]
    return {"load_s": t_load, "analyze_s": t_analyze, "users": result.run.n_users,
            "topics": len(result.topics.names), **latencies(store, topics)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=2_000_000)
    parser.add_argument("--no-neo4j", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    out = {"users": args.users, "edges": args.edges}
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp) / "snap"
        generate_snapshot(snap, n_edges=args.edges, n_users=args.users, n_topics=50, seed=0)
        with gi.open_store(Path(tmp) / "s.duckdb") as store:
            out["duckdb"] = run(store, snap)
        print(json.dumps(out, indent=2), flush=True)
        if not args.no_neo4j:
            from graph_influence.stores.neo4j_store import Neo4jStore
            from graph_influence.testing.neo4j_server import (
                Neo4jServer,
                ensure_neo4j_jars,
                find_root,
            )

            server = Neo4jServer(ensure_neo4j_jars(find_root()), base_dir=Path(tmp),
                                 heap_max="2g", pagecache="1g")
            server.start()
            try:
                with Neo4jStore(server.uri) as store:
                    out["neo4j"] = run(store, snap)
            finally:
                server.close()
    print(json.dumps(out, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
