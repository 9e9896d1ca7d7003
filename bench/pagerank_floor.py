"""One PageRank step against the machine's memory-bandwidth floor.

The floor of a step is the bytes it must read and write once (the CSR arrays of ``P^T``, the
score vector, the teleport and dangling vectors, the output) divided by the machine's
streaming bandwidth, measured here by a parallel, vectorised sum over 1 GiB (numba, all
cores) and by a plain ``numpy.sum`` (one core), both reported. The step is timed as the engine
runs it (``pagerank._step``) on the transition matrix of a snapshot's attention graph, in id
order and in community order (what ``analyze`` uses), and, as a reference, scipy's
``csr_matvec``.

Usage::

    .venv/bin/python bench/pagerank_floor.py SNAPSHOT_DIR [--out FILE.json] [--repeat 20]
"""

from __future__ import annotations

import argparse
import importlib
import json
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

import graph_influence as gi
from graph_influence.algorithms.communities import detect_communities
from graph_influence.schema import DEFAULT_INTERACTION_TYPES

pagerank_module = importlib.import_module("graph_influence.algorithms.pagerank")


@njit(parallel=True, fastmath=True, cache=True)
def _parallel_sum(a):  # pragma: no cover - compiled
    total = np.float32(0.0)
    for i in prange(a.size):
        total += a[i]
    return total


def bandwidth(repeat: int = 5) -> dict[str, float]:
    """Streaming read bandwidth in bytes/s: numba on every core, and numpy on one."""
    block = np.ones(2**28, dtype=np.float32)  # 1 GiB
    _parallel_sum(block)
    block.sum()
    t0 = time.perf_counter()
    for _ in range(repeat):
        _parallel_sum(block)
    parallel = block.nbytes * repeat / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(repeat):
        block.sum()
    single = block.nbytes * repeat / (time.perf_counter() - t0)
    return {"parallel_bytes_per_s": parallel, "numpy_one_core_bytes_per_s": single,
            "threads": numba.get_num_threads()}


def step_bytes(pt) -> int:
    """Bytes one step reads or writes at least once."""
    n = pt.shape[0]
    return (pt.data.nbytes + pt.indices.nbytes + pt.indptr.nbytes
            + 4 * n * 8)  # x, base, dangling distribution, output


def time_step(pt, repeat: int) -> float:
    n = pt.shape[0]
    x = np.full(n, 1.0 / n)
    out = np.empty(n)
    base = np.full(n, 0.15 / n)
    dist = np.full(n, 1.0 / n)
    step = pagerank_module._step
    step(pt.indptr, pt.indices, pt.data, x, 0.85, base, 0.0, dist, out)
    t0 = time.perf_counter()
    for _ in range(repeat):
        step(pt.indptr, pt.indices, pt.data, x, 0.85, base, 0.0, dist, out)  # (+ L1 change)
    return (time.perf_counter() - t0) / repeat


def time_scipy(pt, repeat: int) -> float:
    x = np.full(pt.shape[0], 1.0 / pt.shape[0])
    t0 = time.perf_counter()
    for _ in range(repeat):
        pt @ x
    return (time.perf_counter() - t0) / repeat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, gi.open_store(Path(tmp) / "s.duckdb") as store:
        gi.load_snapshot(store, args.snapshot, progress=False)
        view = store.graph_view(as_of=store.time_range()[1], half_life_seconds=30 * 86400.0)
    a = view.attention(type_weights=DEFAULT_INTERACTION_TYPES)
    membership = detect_communities(a).membership
    bw = bandwidth()
    rows = {}
    for name, order in (("id order", None),
                        ("community order", np.argsort(membership, kind="stable"))):
        pt, _ = pagerank_module.transition_matrix(a, order)
        seconds = time_step(pt, args.repeat)
        nbytes = step_bytes(pt)
        rows[name] = {
            "step_ms": seconds * 1e3,
            "bytes": nbytes,
            "floor_ms_parallel": nbytes / bw["parallel_bytes_per_s"] * 1e3,
            "floor_ms_one_core": nbytes / bw["numpy_one_core_bytes_per_s"] * 1e3,
        }
        rows[name]["x_floor_parallel"] = rows[name]["step_ms"] / rows[name]["floor_ms_parallel"]
        rows[name]["x_floor_one_core"] = rows[name]["step_ms"] / rows[name]["floor_ms_one_core"]
        if order is None:
            rows["scipy csr_matvec (id order, matvec only)"] = {
                "step_ms": time_scipy(pt, args.repeat) * 1e3}
    report = {"users": a.shape[0], "nnz": int(a.nnz), "bandwidth": bw, "steps": rows}
    print(f"{a.shape[0]:,} users, {a.nnz:,} edges; streaming read "
          f"{bw['parallel_bytes_per_s'] / 1e9:.1f} GB/s on {bw['threads']} threads, "
          f"{bw['numpy_one_core_bytes_per_s'] / 1e9:.1f} GB/s numpy.sum on one core")
    for name, r in rows.items():
        line = f"  {name:42s} {r['step_ms']:7.2f} ms"
        if "bytes" in r:
            line += (f"  ({r['bytes'] / 1e6:.0f} MB; floor {r['floor_ms_parallel']:.2f} ms -> "
                     f"{r['x_floor_parallel']:.1f}x, one-core floor {r['floor_ms_one_core']:.2f}"
                     f" ms -> {r['x_floor_one_core']:.1f}x)")
        print(line)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
