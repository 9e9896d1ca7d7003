"""The bulk initial load into Neo4j (neo4j-admin import, offline) beside the Bolt path.

For each size, a synthetic snapshot (``bench/synth.py``) is loaded into an empty database of a
fresh Neo4j 5.26 server from the Maven jars (heap 2 GB, page cache 512 MB): once with
``bulk="always"`` (the store stops the server, imports, starts it and creates the constraints
and indexes) and, up to ``--bolt-max`` edges, once with ``bulk="never"`` on another fresh
server. Both figures include reading and validating the snapshot; the store's share is given
apart. The counts of the two stores are checked to be equal.

Usage::

    python bench/neo4j_bulk.py [--sizes 100000 1000000 10000000] [--bolt-max 1000000]
                               [--snapshot ../shared/datasets/higgs-twitter] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import graph_influence as gi
from graph_influence.stores.neo4j_store import Neo4jStore
from graph_influence.testing.neo4j_server import Neo4jServer, ensure_neo4j_jars, find_root

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import generate_snapshot


def load_once(lib: Path, work: Path, snapshot: Path, bulk: str) -> dict:
    """Load ``snapshot`` into a fresh server with ``bulk``; the timings and counts."""
    with Neo4jServer(lib, base_dir=work, heap_max="2g", pagecache="512m") as server:
        with Neo4jStore(server.uri, server=server, bulk=bulk) as store:
            t0 = time.perf_counter()
            summary, _ = gi.load_snapshot(store, snapshot, progress=False)
            total = time.perf_counter() - t0
            counts = store.counts()
    stages = summary.timings
    read = stages.get("read + validate", 0.0)
    return {"bulk": summary.bulk, "load_s": total, "read_validate_s": read,
            "store_s": total - read, "stages_s": stages, "counts": counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*",
                        default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--bolt-max", type=int, default=1_000_000,
                        help="largest size also loaded over Bolt (10M takes ~6-7 minutes)")
    parser.add_argument("--snapshot", type=Path, action="append", default=[],
                        help="also a real snapshot (any format load reads), e.g. "
                        "../shared/datasets/higgs-twitter; loaded both ways")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    lib = ensure_neo4j_jars(find_root())
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs: list[tuple[str, int | None]] = [(str(p), None) for p in args.snapshot]
        inputs += [(f"synthetic-{size}", size) for size in args.sizes]
        for name, size in inputs:
            snapshot = Path(name) if size is None else work / name
            if size is not None:
                generate_snapshot(snapshot, n_edges=size, seed=0)
            row: dict = {"snapshot": name, "edges": size,
                         "bulk": load_once(lib, work, snapshot, "always")}
            if size is None or size <= args.bolt_max:
                row["bolt"] = load_once(lib, work, snapshot, "never")
                assert row["bolt"]["counts"] == row["bulk"]["counts"], row
                row["store_ratio"] = row["bolt"]["store_s"] / row["bulk"]["store_s"]
                row["load_ratio"] = row["bolt"]["load_s"] / row["bulk"]["load_s"]
            results.append(row)
            b = row["bulk"]
            line = (f"{name}: bulk {b['load_s']:.1f} s (store {b['store_s']:.1f} s: "
                    + ", ".join(f"{k.removeprefix('store: ')} {v:.1f}"
                                for k, v in b["stages_s"].items() if k.startswith("store: "))
                    + ")")
            if "bolt" in row:
                line += (f" | Bolt {row['bolt']['load_s']:.1f} s (store "
                         f"{row['bolt']['store_s']:.1f} s) | store x{row['store_ratio']:.1f}, "
                         f"load x{row['load_ratio']:.1f}")
            print(line, flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
