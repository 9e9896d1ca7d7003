"""The whole-process peak memory of load + analyze, in a fresh process that does nothing else.

``bench/run.py`` reports what each pipeline adds above the RSS it started from (its baselines
share the process). This script gives the other view: the kernel's ``ru_maxrss`` of a process
that imports graph-influence, loads a snapshot into a new DuckDB file and analyzes it
(influence, 0-100 scores, communities; no topics), as a user's ``graph-influence load`` then
``analyze`` would, with the stage timings.

Usage::

    .venv/bin/python bench/engine_peak.py bench/.work/synthetic-10m-seed0 [--edges 10000000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import graph_influence as gi
from graph_influence.analysis import AnalysisParams


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--edges", type=int, help="input edges, to print bytes per edge")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, gi.open_store(Path(tmp) / "s.duckdb") as store:
        t0 = time.perf_counter()
        summary, _ = gi.load_snapshot(store, args.snapshot, progress=False)
        t1 = time.perf_counter()
        result = gi.analyze(store, AnalysisParams(topics=False), progress=False)
        t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(f"load {t1 - t0:.2f} s {dict((k, round(v, 2)) for k, v in summary.timings.items())}")
    print(f"analyze {t2 - t1:.2f} s "
          f"{dict((k, round(v, 2)) for k, v in result.run.timings.items())}")
    line = f"total {t2 - t0:.2f} s; peak RSS {peak / 1e6:,.0f} MB"
    if args.edges:
        line += f" = {peak / args.edges:.0f} bytes per input edge"
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
