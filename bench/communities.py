"""Benchmark community detection on synthetic attention graphs: igraph Leiden vs networkit.

Times, per graph size, what :func:`graph_influence.algorithms.communities.detect_communities`
does (symmetrise, build the igraph Graph, Leiden on modularity, score) and, when networkit is
available, networkit's ParallelLeiden and PLM (parallel Louvain) on the same undirected graph.
Every partition is scored by the project's own :func:`modularity` (one yardstick for all
engines) and compared with the planted communities by NMI.

networkit is not a dependency of the project. Either run this script with an interpreter that
has it, or point ``--networkit-python`` at one (a throwaway venv with ``networkit`` and
``numpy``); the graph then travels to a worker process as an ``.npz`` file::

    python -m venv /tmp/nkvenv && /tmp/nkvenv/bin/pip install networkit numpy
    .venv/bin/python bench/communities.py --edges 1000000 10000000 \\
        --networkit-python /tmp/nkvenv/bin/python [--json results.json]

The synthetic graph: ``edges / 10`` users in planted communities (Dirichlet sizes, about 1,000
users each), Pareto popularity and log-normal activity; each directed edge record starts at a
user drawn by activity and, 80 % of the time, targets a user of the same community drawn by
popularity (else anyone, by popularity), with weight 1, 2 or 3; repeated pairs add up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def synthetic_attention(n_edges: int, seed: int = 0):
    """Directed weighted attention matrix with planted communities, and the planted labels.

    Parameters
    ----------
    n_edges : int
        Directed edge records drawn (repeats and self-loops included; repeats are summed).
    seed : int, optional
        Seed of the numpy generator (default 0).

    Returns
    -------
    (scipy.sparse.csr_array, numpy.ndarray)
        The ``n x n`` attention matrix and each user's planted community.
    """
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    n = max(n_edges // 10, 10)
    k = max(n // 1000, 2)
    sizes = 1 + rng.multinomial(n - k, rng.dirichlet(np.full(k, 3.0)))
    community = rng.permutation(np.repeat(np.arange(k), sizes))
    popularity = rng.pareto(1.2, size=n) + 1.0
    activity = rng.lognormal(0.0, 1.0, size=n)

    by_comm = np.argsort(community, kind="stable")
    cum_pop = np.cumsum(popularity[by_comm])
    comm_end = np.cumsum(sizes)
    comm_hi = cum_pop[comm_end - 1]
    comm_lo = np.r_[0.0, comm_hi[:-1]]

    cum_act = np.cumsum(activity)
    src = np.searchsorted(cum_act, rng.random(n_edges) * cum_act[-1], side="right")
    inside = rng.random(n_edges) < 0.8
    c = community[src]
    target = np.where(
        inside,
        comm_lo[c] + rng.random(n_edges) * (comm_hi[c] - comm_lo[c]),
        rng.random(n_edges) * cum_pop[-1],
    )
    dst = by_comm[np.minimum(np.searchsorted(cum_pop, target, side="right"), n - 1)]
    weight = rng.choice(np.array([1.0, 2.0, 3.0]), size=n_edges, p=[0.6, 0.25, 0.15])
    a = sp.csr_array((weight, (np.minimum(src, n - 1), dst)), shape=(n, n))
    a.sum_duplicates()
    return a, community


def _timed(fn, *args, **kwargs) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def bench_igraph(
    a, planted: np.ndarray, *, seed: int, compare_constructors: bool, until_stable: bool
) -> dict:
    """Timings of each step of detect_communities, and the partition quality."""
    import igraph

    from graph_influence.algorithms.communities import (
        _igraph_graph,
        _leiden,
        _modularity,
        _seeded_igraph_rng,
        _upper_edges,
        detect_communities,
        normalized_mutual_info,
        symmetrize,
    )

    out: dict[str, Any] = {}
    sym, out["symmetrize_s"] = _timed(symmetrize, a)
    out["undirected_edges"] = int(sym.nnz // 2)
    (graph, weights), out["build_graph_s"] = _timed(_igraph_graph, sym)
    if compare_constructors:
        rows, cols, w = _upper_edges(sym)
        pairs = np.column_stack((rows, cols))
        _, out["build_graph_ndarray_s"] = _timed(igraph.Graph, n=sym.shape[0], edges=pairs)
        g2 = igraph.Graph(n=sym.shape[0], edges=pairs)
        _, out["set_es_weight_s"] = _timed(g2.es.__setitem__, "weight", w)
        del g2, pairs
    (labels, _, its), out["leiden_run_s"] = _timed(
        _leiden, graph, weights, resolution=1.0, beta=0.01, max_iter=50, tol=1e-6, seed=seed
    )
    (q, _), out["modularity_s"] = _timed(_modularity, sym, labels, 1.0, int(labels.max()) + 1)
    out["leiden_run_iterations"] = its
    out["leiden_run_modularity"] = q
    out["leiden_run_communities"] = int(labels.max()) + 1
    out["leiden_run_nmi_planted"] = normalized_mutual_info(labels, planted)
    if until_stable:  # igraph's own n_iterations=-1: on while any node moves
        with _seeded_igraph_rng(seed):
            clustering, out["igraph_until_stable_s"] = _timed(
                graph.community_leiden,
                objective_function="modularity",
                weights=weights,
                n_iterations=-1,
            )
        labels = np.asarray(clustering.membership, dtype=np.int64)
        out["igraph_until_stable_modularity"] = _modularity(
            sym, labels, 1.0, int(labels.max()) + 1
        )[0]
    result, out["detect_communities_s"] = _timed(detect_communities, a, seed=seed)
    out["detect_communities_modularity"] = result.modularity
    out["detect_communities_communities"] = result.n_communities
    out["detect_communities_nmi_planted"] = normalized_mutual_info(result.membership, planted)
    return out


# -- networkit (in this interpreter or a worker process) ---------------------------------------


def _networkit_run(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, n: int, seed: int) -> dict:
    """Build a networkit graph of the undirected edges and run ParallelLeiden and PLM."""
    import networkit as nk

    nk.engineering.setSeed(seed, True)
    out: dict[str, Any] = {
        "networkit_version": nk.__version__,
        "threads": nk.getMaxNumberOfThreads(),
    }
    graph, out["build_graph_s"] = _timed(
        nk.GraphFromCoo, (w, (rows, cols)), n=n, weighted=True, directed=False
    )
    out["edges_in_graph"] = graph.numberOfEdges()
    for name, make in (
        ("parallel_leiden", lambda: nk.community.ParallelLeiden(graph, randomize=True)),
        ("plm", lambda: nk.community.PLM(graph, refine=False)),
        ("plm_refine", lambda: nk.community.PLM(graph, refine=True)),
    ):
        algo = make()
        _, out[f"{name}_s"] = _timed(algo.run)
        out[f"{name}_membership"] = np.asarray(algo.getPartition().getVector(), dtype=np.int64)
    return out


def _networkit_worker(in_path: str, out_path: str) -> None:
    data = np.load(in_path)
    res = _networkit_run(data["rows"], data["cols"], data["w"], int(data["n"]), int(data["seed"]))
    arrays = {k: v for k, v in res.items() if isinstance(v, np.ndarray)}
    meta = {k: v for k, v in res.items() if not isinstance(v, np.ndarray)}
    np.savez(out_path, meta=json.dumps(meta), **arrays)


def bench_networkit(a, planted: np.ndarray, *, seed: int, python: str | None) -> dict | None:
    """networkit's timings and the quality of its partitions (None if networkit is absent)."""
    from graph_influence.algorithms.communities import (
        _modularity,
        _upper_edges,
        normalized_mutual_info,
        symmetrize,
    )

    sym = symmetrize(a)
    rows, cols, w = _upper_edges(sym)
    try:
        import networkit  # noqa: F401

        res = _networkit_run(rows, cols, w, sym.shape[0], seed)
    except ImportError:
        if python is None:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            in_path, out_path = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
            np.savez(in_path, rows=rows, cols=cols, w=w, n=sym.shape[0], seed=seed)
            subprocess.run(
                [python, os.path.abspath(__file__), "--networkit-worker", in_path, out_path],
                check=True,
            )
            data = np.load(out_path)
            res = json.loads(str(data["meta"]))
            res.update({k: data[k] for k in data.files if k != "meta"})
    for name in ("parallel_leiden", "plm", "plm_refine"):
        labels = res.pop(f"{name}_membership")
        res[f"{name}_modularity"] = _modularity(sym, labels, 1.0, int(labels.max()) + 1)[0]
        res[f"{name}_communities"] = int(np.unique(labels).size)
        res[f"{name}_nmi_planted"] = normalized_mutual_info(labels, planted)
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edges", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--networkit-python", help="interpreter with networkit (worker process)")
    parser.add_argument("--no-networkit", action="store_true")
    parser.add_argument(
        "--compare-constructors",
        action="store_true",
        help="also time igraph.Graph(edges=ndarray) and es['weight'] = ...",
    )
    parser.add_argument(
        "--until-stable",
        action="store_true",
        help="also time igraph's n_iterations=-1 (slow on large graphs)",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--networkit-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.networkit_worker:
        _networkit_worker(*args.networkit_worker)
        return 0

    results = []
    for n_edges in args.edges:
        (a, planted), gen_s = _timed(synthetic_attention, n_edges, args.seed)
        row: dict[str, Any] = {
            "edge_records": n_edges,
            "users": a.shape[0],
            "directed_pairs": int(a.nnz),
            "planted_communities": int(planted.max()) + 1,
            "generate_s": gen_s,
        }
        print(
            f"== {n_edges:,} edge records: {a.shape[0]:,} users, {a.nnz:,} directed pairs",
            file=sys.stderr,
        )
        row["igraph"] = bench_igraph(
            a,
            planted,
            seed=args.seed,
            compare_constructors=args.compare_constructors,
            until_stable=args.until_stable,
        )
        print(json.dumps(row["igraph"], indent=1), file=sys.stderr)
        if not args.no_networkit:
            row["networkit"] = bench_networkit(
                a, planted, seed=args.seed, python=args.networkit_python
            )
            print(json.dumps(row["networkit"], indent=1), file=sys.stderr)
        results.append(row)
    text = json.dumps(
        {"machine": {"cpus": os.cpu_count()}, "results": results}, indent=2, default=float
    )
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
