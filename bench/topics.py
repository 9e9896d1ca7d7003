"""Topic influence: all topics in one block power iteration vs one personalized PageRank per
topic, in the same process on the same snapshot; and ``top --topic`` latency.

Usage::

    python bench/topics.py [--edges 1000000] [--topics 50] [--out FILE.json]
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
from graph_influence.algorithms.attention import CONCAVE_TRANSFORMS
from graph_influence.algorithms.topics import (
    boost_matrix,
    topic_pagerank,
    topic_pagerank_single,
)
from graph_influence.schema import DEFAULT_INTERACTION_TYPES
from graph_influence.topic_signals import extract_topic_signals

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import generate_snapshot


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--topics", type=int, default=50)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp) / "snap"
        generate_snapshot(snap, n_edges=args.edges, n_topics=args.topics, seed=0)
        store = gi.open_store(Path(tmp) / "s.duckdb")
        gi.load_snapshot(store, snap, progress=False)
        view = store.graph_view(as_of=store.time_range()[1], half_life_seconds=30 * 86400.0)
        adjacency = view.attention(type_weights=DEFAULT_INTERACTION_TYPES)
        signals = extract_topic_signals(store.topic_rows(), view,
                                        type_weights=DEFAULT_INTERACTION_TYPES,
                                        max_topics=args.topics)
        n, t = signals.affinity.shape
        boost = boost_matrix(n, t, signals.tag_src, signals.tag_dst, signals.tag_topic,
                             CONCAVE_TRANSFORMS["log1p"](signals.tag_decayed))
        t_block, block = best_of(lambda: topic_pagerank(adjacency, signals.affinity,
                                                        boost=boost))
        t_single, single = best_of(lambda: topic_pagerank_single(adjacency, signals.affinity,
                                                                 boost=boost), repeat=1)
        diff = float(np.abs(block.scores - single.scores).max())
        result = gi.analyze(store, progress=False)
        topic = result.topics.names[0]
        store.top_topic(topic, 10)  # warm
        lat = []
        for name in result.topics.names[:20]:
            t0 = time.perf_counter()
            store.top_topic(name, 10)
            lat.append(time.perf_counter() - t0)
        out = {
            "edges": args.edges, "users": n, "topics": t, "attention_nnz": int(adjacency.nnz),
            "boost_nnz": int(boost.nnz), "block_s": t_block, "one_per_topic_s": t_single,
            "speedup": t_single / t_block, "max_abs_diff": diff,
            "block_iterations_max": int(block.iterations.max()),
            "analyze_timings_s": result.run.timings,
            "top_topic_ms_median": 1000 * float(np.median(lat)),
            "top_topic_ms_max": 1000 * float(np.max(lat)),
        }
        store.close()
    print(json.dumps(out, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
