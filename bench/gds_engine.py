"""``analyze --engine gds`` beside the local engine on the same Neo4j store, in the same process.

For each snapshot (a real one given with ``--snapshot``, and synthetic ones of ``--sizes``
edges from ``bench/synth.py``), a fresh Neo4j 5.26 server with Open GDS 2.13.9 from the Maven
jars (heap ``--heap``, page cache 512 MB) gets the snapshot by a bulk load, then each engine
analyses it twice: influence only (no topics, no communities) and the whole run (topics and
communities). The local engine's time includes reading the graph view over Bolt; the GDS
engine's includes the projection. Agreement is measured on the same store: influence after
normalisation (largest relative difference), the top 100 overall, the top 100 of every topic,
and both modularities (GDS's Louvain is a different implementation).

Usage::

    python bench/gds_engine.py [--sizes 1000000] [--snapshot ../shared/datasets/higgs-twitter]
                               [--heap 4g] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import graph_influence as gi
from graph_influence.params import AnalysisParams
from graph_influence.stores.neo4j_store import Neo4jStore
from graph_influence.testing.gds import gds_server
from graph_influence.testing.neo4j_server import find_root, neo4j_state_dir

sys.path.insert(0, str(Path(__file__).parent))
from synth import generate_snapshot


def timed_analysis(neo: Neo4jStore, engine: str, **params) -> tuple[float, gi.AnalysisResult]:
    t0 = time.perf_counter()
    result = gi.analyze(neo, AnalysisParams(**params), progress=False, engine=engine)
    return time.perf_counter() - t0, result


def agreement(local: gi.AnalysisResult, gds: gi.AnalysisResult) -> dict:
    """How far the GDS run is from the local one (both in view order by id)."""
    a = local.scores.set_index("id")
    b = gds.scores.set_index("id").loc[a.index]
    x, y = a["influence"].to_numpy(), b["influence"].to_numpy()
    out = {
        "influence_max_rel": float(np.abs(x - y).max() / x.max()),
        "top100_identical": a.index[:100].tolist() == b.sort_values(
            ["rank"], kind="stable").index[:100].tolist(),
        "scores_max_abs": float(np.abs(a["score"].to_numpy() - b["score"].to_numpy()).max()),
    }
    if local.topics is not None and gds.topics is not None:
        same = 0
        for t in range(local.topics.n_topics):
            top_a = np.argsort(local.topics.rank[:, t], kind="stable")[:100]
            top_b = np.argsort(gds.topics.rank[:, t], kind="stable")[:100]
            same += int(top_a.tolist() == top_b.tolist())
        out["topics"] = local.topics.n_topics
        out["topics_top100_identical"] = same
        out["topic_influence_max_rel"] = float(
            (np.abs(local.topics.influence - gds.topics.influence).max(axis=0)
             / local.topics.influence.max(axis=0)).max())
    if local.communities is not None and gds.communities is not None:
        out["modularity_local"] = local.communities.modularity
        out["modularity_gds"] = gds.communities.modularity
        out["communities_local"] = local.communities.n_communities
        out["communities_gds"] = gds.communities.n_communities
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--snapshot", type=Path, action="append", default=[])
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    state = neo4j_state_dir(find_root())
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs: list[tuple[str, int | None]] = [(str(p), None) for p in args.snapshot]
        inputs += [(f"synthetic-{size}", size) for size in args.sizes]
        for name, size in inputs:
            snapshot = Path(name) if size is None else work / name
            if size is not None:
                generate_snapshot(snapshot, n_edges=size, seed=0)
            with gds_server(state, base_dir=work, heap_max=args.heap,
                            pagecache="512m") as server, \
                    Neo4jStore(server.uri, server=server, bulk="always") as neo:
                gi.load_snapshot(neo, snapshot, progress=False)
                row: dict = {"snapshot": name, "edges": size, "heap": args.heap}
                for label, params in (("influence", {"topics": False, "communities": False}),
                                      ("full", {})):
                    t_local, local = timed_analysis(neo, "local", **params)
                    t_gds, gds = timed_analysis(neo, "gds", **params)
                    row[label] = {"local_s": t_local, "gds_s": t_gds,
                                  "ratio_local_over_gds": t_local / t_gds,
                                  "local_stages_s": local.run.timings,
                                  "gds_stages_s": gds.run.timings,
                                  "agreement": agreement(local, gds)}
                    print(f"{name} {label}: local {t_local:.1f} s, gds {t_gds:.1f} s "
                          f"(local/gds {t_local / t_gds:.2f}); {row[label]['agreement']}",
                          flush=True)
                results.append(row)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
