"""Bolt write variants of the Neo4j store: batch sizes, and the independent tables (follows,
events, posts) written in parallel sessions instead of one after the other.

Each variant loads the same synthetic snapshot into an empty database of one fresh Neo4j 5.26
server (wiped between variants) through the store's own write methods, and reports the seconds
of the table stages and relationships written per second. Not a test; results go to
docs/benchmarks.md.

Usage::

    python bench/neo4j_bolt_variants.py [--edges 1000000] [--batches 5000 10000 20000 50000]
                                        [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.compute as pc

from graph_influence.errors import StoreError
from graph_influence.loading import read_input
from graph_influence.stores.neo4j_store import Neo4jStore, _micros
from graph_influence.stores.staging import stage_snapshot
from graph_influence.testing.neo4j_server import Neo4jServer, ensure_neo4j_jars, find_root

sys.path.insert(0, str(Path(__file__).resolve().parent))
from neo4j_load import wipe
from synth import generate_snapshot


def write_tables(neo: Neo4jStore, staged, *, parallel: bool) -> dict:
    """Users first (the others need their element ids), then follows, events and posts."""
    import graph_influence.stores.neo4j_store as module

    load_id = "bench"
    t0 = time.perf_counter()
    _, element_ids = neo._merge_users(staged, load_id, lambda *a, **k: None)
    users_s = time.perf_counter() - t0

    def eid(column):
        index = pc.index_in(column, value_set=element_ids.column("id"))
        return element_ids.column("eid").take(index).to_pylist()

    nothing = lambda *a, **k: None  # noqa: E731
    jobs = {
        "follows": lambda: neo._merge_rows(
            module.Q_MERGE_FOLLOWS, staged.follows, load_id, counter="relationships_created",
            columns={"src": eid, "dst": eid, "ts": _micros}, count=nothing),
        "events": lambda: neo._merge_events(staged.events, load_id, eid,
                                              check_existing=False, count=nothing),
        "posts": lambda: neo._merge_rows(
            module.Q_MERGE_POSTS, staged.posts, load_id, counter="nodes_created",
            columns={"id": None, "author": eid, "ts": _micros, "text": None, "topics": None},
            count=nothing),
    }
    t1 = time.perf_counter()
    if parallel:
        with ThreadPoolExecutor(len(jobs)) as pool:
            created = dict(zip(jobs, pool.map(lambda job: job(), jobs.values()), strict=True))
    else:
        created = {name: job() for name, job in jobs.items()}
    tables_s = time.perf_counter() - t1
    rels = created["follows"] + created["events"]
    return {"users_s": users_s, "tables_s": tables_s, "created": created,
            "relationships_per_s": rels / tables_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, nargs="+", default=[5_000, 10_000, 20_000, 50_000])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        snapshot = work / "synthetic"
        generate_snapshot(snapshot, n_edges=args.edges, seed=0)
        staged = stage_snapshot(read_input(snapshot))
        lib = ensure_neo4j_jars(find_root())
        with Neo4jServer(lib, base_dir=work, heap_max="2g", pagecache="512m") as server:
            variants = [(b, False) for b in args.batches] + [(10_000, True)]
            for batch, parallel in variants:
                wipe(server.uri)
                row = {"batch": batch, "parallel": parallel}
                how = f"batch {batch:>6,} {'parallel ' if parallel else 'sequential'}"
                try:
                    with Neo4jStore(server.uri, batch_size=batch, bulk="never") as neo:
                        row.update(write_tables(neo, staged, parallel=parallel))
                except StoreError as exc:  # concurrent writers can deadlock on shared users
                    row["failed"] = str(exc)[:300]
                    print(f"{how}: failed: {row['failed']}", flush=True)
                else:
                    print(f"{how}: users {row['users_s']:.1f} s, follows+events+posts "
                          f"{row['tables_s']:.1f} s, {row['relationships_per_s']:,.0f} "
                          "relationships/s", flush=True)
                results.append(row)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
