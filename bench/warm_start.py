"""Warm start on a grown snapshot: PageRank iterations warm vs cold, and how far apart they end.

A real snapshot (default: SNAP Higgs-Twitter, ``../shared/datasets/higgs-twitter``) is loaded
once into a fresh temporary DuckDB store. Then, for each tolerance asked for::

    run 1  analyze as of the first time (default 2012-07-04)   -- cold: the store has no run
    run 2  analyze as of the second time (default 2012-07-05)  -- warm, from run 1
    run 3  analyze as of the second time, warm_start=False     -- cold

(the warm run comes before the cold one: a run whose PageRank input equals an earlier run's
starts as that run started, so a cold run 2 would make run 3 cold too; and each measurement
runs on its own copy of the loaded store, without runs, for the same reason). The "grown snapshot"
is the graph as of the later time: the same users, more and heavier edges. The script reports
the iterations of each run, the seconds of the PageRank stage, the largest and the L1
difference between the warm and the cold influence, and how many users' ranks differ.

Usage::

    .venv/bin/python bench/warm_start.py [--data DIR] [--pair 2012-07-04 2012-07-05 ...] \\
        [--tol 1e-6 1e-8] [--topics] [--communities] [--json out.json]

Topics and communities are off unless ``--topics``/``--communities`` (they do not change the
overall PageRank; communities only reorder its nodes for memory locality).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from graph_influence.analysis import AnalysisParams, analyze  # noqa: E402
from graph_influence.loading import load_snapshot  # noqa: E402
from graph_influence.stores import open_store  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "higgs-twitter"


def _influence(store, run_id: int) -> tuple[np.ndarray, ...]:
    """(ids, influence, score, rank) of a run, in id order."""
    table = store.scores_arrow(run_id=run_id).sort_by("id")
    return (table.column("id").to_numpy(zero_copy_only=False),
            table.column("influence").to_numpy(), table.column("score").to_numpy(),
            table.column("rank").to_numpy())


def measure(store, first: str, second: str, tol: float, topics: bool, communities: bool
            ) -> dict:
    """Runs 1-3 above at one tolerance, on a store without runs; the figures of the warm
    and the cold run."""
    def params(as_of: str) -> AnalysisParams:
        return AnalysisParams(as_of=as_of, tol=tol, max_iter=1000, topics=topics,
                              communities=communities)

    base = analyze(store, params(first), progress=False)
    warm = analyze(store, params(second), progress=False)
    cold = analyze(store, params(second), warm_start=False, progress=False)
    assert warm.run.extras["warm_start"]["from_run"] == base.run_id
    assert cold.run.extras["warm_start"]["from_run"] is None
    ids_w, x_w, score_w, rank_w = _influence(store, warm.run_id)
    ids_c, x_c, score_c, rank_c = _influence(store, cold.run_id)
    assert np.array_equal(ids_w, ids_c)
    diff = np.abs(x_w - x_c)
    moved = rank_w != rank_c
    return {
        "tol": tol,
        "users": warm.run.n_users,
        "edges_first": base.run.n_edges,
        "edges_second": warm.run.n_edges,
        "events_first": base.run.n_events,
        "events_second": warm.run.n_events,
        "iterations_first": base.run.iterations,
        "iterations_warm": warm.run.iterations,
        "iterations_cold": cold.run.iterations,
        "iterations_saved": cold.run.iterations - warm.run.iterations,
        "users_new": warm.run.extras["warm_start"]["users_new"],
        "pagerank_s_warm": warm.run.timings.get("pagerank"),
        "pagerank_s_cold": cold.run.timings.get("pagerank"),
        "warm_start_s": warm.run.timings.get("warm start"),
        "max_abs_diff": float(diff.max()),
        "l1_diff": float(diff.sum()),
        "max_rel_diff": float((diff / x_c).max()),
        "ranks_changed": int(moved.sum()),
        "max_rank_shift": int(np.abs(rank_w - rank_c).max()),
        "best_rank_changed": int(rank_c[moved].min()) if moved.any() else None,
        "max_score_diff": float(np.abs(score_w - score_c).max()),
        "top100_same": bool(np.array_equal(np.argsort(rank_w, kind="stable")[:100],
                                           np.argsort(rank_c, kind="stable")[:100])),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--pair", nargs=2, action="append", metavar=("FIRST", "SECOND"),
                        help="as-of times of the first and the grown snapshot (repeatable; "
                             "default 2012-07-04 2012-07-05)")
    parser.add_argument("--tol", type=float, nargs="+", default=[1e-6, 1e-8])
    parser.add_argument("--topics", action="store_true")
    parser.add_argument("--communities", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    pairs = args.pair or [["2012-07-04", "2012-07-05"]]
    out = {"data": str(args.data), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        loaded = Path(tmp) / "loaded.duckdb"
        started = time.perf_counter()
        with open_store(loaded) as store:
            load_snapshot(store, args.data, progress=False)
        out["load_s"] = round(time.perf_counter() - started, 1)
        for first, second in pairs:
            for tol in args.tol:
                copy = Path(tmp) / "w.duckdb"
                shutil.copyfile(loaded, copy)  # a store without runs for each measurement
                with open_store(copy) as store:
                    row = measure(store, first, second, tol, args.topics, args.communities)
                copy.unlink()
                row = {"first": first, "second": second, **row}
                out["runs"].append(row)
                print(f"{first} -> {second}, tol {tol:g}: {row['users']:,} users, edges "
                      f"{row['edges_first']:,} -> {row['edges_second']:,}; iterations warm "
                      f"{row['iterations_warm']} vs cold {row['iterations_cold']} (saved "
                      f"{row['iterations_saved']}); max |warm - cold| "
                      f"{row['max_abs_diff']:.2e}, L1 {row['l1_diff']:.2e}, max score diff "
                      f"{row['max_score_diff']:.2e}, ranks changed {row['ranks_changed']:,} "
                      f"(best {row['best_rank_changed']}, shift <= {row['max_rank_shift']}); "
                      f"pagerank {row['pagerank_s_warm']:.2f} s vs "
                      f"{row['pagerank_s_cold']:.2f} s", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
