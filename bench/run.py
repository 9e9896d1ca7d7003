"""Issue-6 benchmark: the engine's load + analyze beside networkx, python-igraph and networkit.

For each size a synthetic snapshot is generated with ``bench/synth.py`` (CSV, default
parameters; generation is timed on its own and is part of no pipeline), then, in one process
and on the same files:

engine
    ``gi.open_store`` on a fresh DuckDB file, ``gi.load_snapshot``, then ``gi.analyze`` with
    ``AnalysisParams(topics=False)`` with the classic walk (``CLASSIC_WALK``: what the baselines
    compute): influence, 0-100 scores and communities. The headline is
    load wall + analyze wall. Topics are measured apart (a second ``analyze`` with
    ``communities=False``), and so are ``store.top`` / ``store.top_topic`` latencies.
networkx
    Written the way an analyst would: pandas read, a ``nx.DiGraph`` with follow weight 1 plus
    ``log1p`` of the decayed, type-weighted interactions, ``nx.pagerank``, a percentile 0-100
    scale, ``louvain_communities``. Skipped above ``--networkx-max-edges``.
python-igraph
    pandas read, ``pd.factorize`` codes, pandas aggregation of the same weights,
    ``igraph.Graph(edges=...)``, PRPACK ``pagerank``, a percentile scale, ``as_undirected``
    (weights summed) and ``community_leiden`` on modularity.
networkit (only if ``import networkit`` works)
    pandas read and codes, a scipy CSR (duplicates summed), a float32 power-iteration PageRank,
    ``A + A.T``, ``networkit.GraphFromCoo`` of the upper triangle and ``PLM(refine=False)``.

Every pipeline runs as named stages; each stage records its wall seconds and its peak RSS (a
background thread reading ``/proc/self/statm`` every 5 ms, plus the kernel's ``VmHWM``, reset
at each stage start where ``/proc/self/clear_refs`` allows it, which catches peaks while a C
extension holds the GIL). A pipeline's peak is the max over its stages, reported in MB, in MB
above the RSS at the pipeline's start, and in bytes per input edge (follows + interactions)
of the latter. Cross-checks: each baseline's PageRank against the engine's influence (max
abs difference over the same users) and the modularity of every partition measured by one
yardstick, the undirected graph ``A + A.T`` (no self-loops) of the attention weights.

Usage::

    .venv/bin/python bench/run.py [--sizes 100k 1m 10m] [--seed 0] [--workdir DIR]
        [--out FILE.json] [--no-igraph] [--no-networkx] [--networkx-max-edges 1000000]
        [--no-networkit] [--repeat-queries 20]

A ``--workdir`` keeps the generated snapshots: a second run with the same sizes and seed (and
the same ``synth.py``) reuses them instead of generating again.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import igraph
import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp

import graph_influence as gi

# imported up front, so that no pipeline's memory or time includes importing them
import graph_influence.algorithms.communities
import graph_influence.loading
import graph_influence.stores
from graph_influence.analysis import AnalysisParams
from graph_influence.schema import DEFAULT_INTERACTION_TYPES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import generate_snapshot

HALF_LIFE_S = 30 * 86400.0
DAMPING = 0.85
TOL = 1e-6
MB = 1e6
PIPELINES = ("engine", "networkx", "python-igraph", "networkit")
#: The engine runs the classic walk here (no ground weight, no fade, uniform teleport): the
#: computation the baselines run, so that the same result is timed and cross-checked.
CLASSIC_WALK = {"ground_weight": 0.0, "fade": False, "teleport": "uniform"}
_PAGE = os.sysconf("SC_PAGE_SIZE")


# -- command line ----------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    """Parse an edge count: ``20000``, ``100k``, ``1m``, ``1.5m``.

    Parameters
    ----------
    text : str
        An integer, optionally with a ``k`` (thousand) or ``m`` (million) suffix.

    Returns
    -------
    int

    Raises
    ------
    argparse.ArgumentTypeError
        If it is not a positive whole number of edges.
    """
    t = text.strip().lower().replace("_", "").replace(",", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    try:
        value = float(t[:-1] if mult != 1 else t) * mult
    except ValueError:
        value = float("nan")
    if not (value >= 1 and value == int(value)):
        raise argparse.ArgumentTypeError(f"not a positive edge count: {text!r} (e.g. 100k, 1m)")
    return int(value)


def size_label(n: int) -> str:
    """``1000000 -> '1m'``, ``100000 -> '100k'``, else the plain number."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=parse_size,
        default=[100_000, 1_000_000],
        help="input edges (follows + interactions) per snapshot: 100k 1m 10m",
    )
    parser.add_argument("--seed", type=int, default=0, help="snapshot seed (default 0)")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep snapshots and the store here (default: a temporary directory)",
    )
    parser.add_argument("--out", type=Path, help="write every figure as JSON here")
    parser.add_argument("--no-igraph", action="store_true", help="skip python-igraph")
    parser.add_argument("--no-networkx", action="store_true", help="skip networkx")
    parser.add_argument(
        "--networkx-max-edges",
        type=parse_size,
        default=1_000_000,
        help="skip networkx above this many input edges (default 1m)",
    )
    parser.add_argument("--no-networkit", action="store_true", help="skip networkit")
    parser.add_argument(
        "--repeat-queries",
        type=int,
        default=20,
        help="calls of each query for the latency figures (default 20)",
    )
    return parser


# -- memory and stage timing -----------------------------------------------------------------------


def _read_hwm() -> int:
    """The kernel's peak RSS of this process (``VmHWM``) in bytes."""
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_hwm() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def release_memory() -> None:
    """Collect garbage and hand freed heap back to the OS (Arrow's pool, glibc's malloc)."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class MemorySampler:
    """Background thread keeping the highest RSS seen since the last :meth:`reset`.

    Parameters
    ----------
    interval : float, optional
        Seconds between two reads of ``/proc/self/statm`` (default 0.005).

    Notes
    -----
    The thread needs the GIL to read, so it misses peaks reached while a C extension holds it;
    where the kernel lets us reset ``VmHWM``, :meth:`peak` also takes that exact peak.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.uses_hwm = _reset_hwm()
        self._fd = os.open("/proc/self/statm", os.O_RDONLY)
        self._lock = threading.Lock()
        self._peak = self.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def rss(self) -> int:
        """Resident set size now, in bytes."""
        return int(os.pread(self._fd, 256, 0).split()[1]) * _PAGE

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                self._peak = max(self._peak, self.rss())

    def reset(self) -> int:
        """Start a new peak from the current RSS; return that RSS in bytes."""
        if self.uses_hwm:
            _reset_hwm()
        with self._lock:
            self._peak = self.rss()
            return self._peak

    def peak(self) -> tuple[int, int]:
        """``(peak, sampled peak)`` in bytes since the last reset (peak includes ``VmHWM``)."""
        with self._lock:
            sampled = self._peak = max(self._peak, self.rss())
        return max(sampled, _read_hwm() if self.uses_hwm else 0), sampled

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self._fd)


class Recorder:
    """Wall time and peak RSS of the named stages of one pipeline.

    Parameters
    ----------
    sampler : MemorySampler
        The running sampler; the RSS at construction (after :func:`release_memory`) is the
        pipeline's starting point.
    """

    def __init__(self, sampler: MemorySampler) -> None:
        release_memory()
        self.sampler = sampler
        self.start_rss = sampler.rss()
        self.stages: dict[str, dict[str, float]] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block and keep its peak RSS under ``name`` (a name entered again adds up)."""
        self.sampler.reset()
        began = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - began
            peak, sampled = self.sampler.peak()
            before = self.stages.get(name, {"seconds": 0.0, "peak_mb": 0.0, "sampled_peak_mb": 0.0})
            peak_mb = max(before["peak_mb"], peak / MB)
            self.stages[name] = {
                "seconds": before["seconds"] + seconds,
                "peak_mb": peak_mb,
                "peak_above_start_mb": peak_mb - self.start_rss / MB,
                "sampled_peak_mb": max(before["sampled_peak_mb"], sampled / MB),
            }

    def summary(self, n_edges: int) -> dict[str, Any]:
        """Total seconds, peak MB (absolute and above the start) and bytes per input edge."""
        peak = max(s["peak_mb"] for s in self.stages.values())
        above = max(s["peak_above_start_mb"] for s in self.stages.values())
        return {
            "total_s": sum(s["seconds"] for s in self.stages.values()),
            "start_rss_mb": self.start_rss / MB,
            "peak_mb": peak,
            "peak_above_start_mb": above,
            "bytes_per_edge": above * MB / n_edges,
            "stages": self.stages,
        }


# -- snapshots -------------------------------------------------------------------------------------


def _synth_digest() -> str:
    """Hash of ``synth.py``: a changed generator makes a kept snapshot stale."""
    return hashlib.sha256((Path(__file__).parent / "synth.py").read_bytes()).hexdigest()[:16]


def snapshot(workdir: Path, n_edges: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """Generate the snapshot of ``n_edges`` edges, or reuse one generated with the same params.

    Parameters
    ----------
    workdir : Path
        Where snapshots live (``synthetic-<size>-seed<seed>/`` and a ``.json`` beside it).
    n_edges, seed : int
        Arguments of :func:`synth.generate_snapshot` (everything else at its default).

    Returns
    -------
    (Path, dict)
        The snapshot directory, and ``generate_snapshot``'s result plus ``seconds`` and
        ``reused``.
    """
    path = workdir / f"synthetic-{size_label(n_edges)}-seed{seed}"
    marker = path.with_suffix(".json")
    request = {"n_edges": n_edges, "seed": seed, "synth": _synth_digest()}
    if marker.exists():
        kept = json.loads(marker.read_text())
        if kept.get("request") == request and all(
            Path(f).exists() for f in kept["info"]["files"].values()
        ):
            return path, {**kept["info"], "seconds": kept["seconds"], "reused": True}
    shutil.rmtree(path, ignore_errors=True)
    began = time.perf_counter()
    info = generate_snapshot(path, n_edges=n_edges, seed=seed)
    seconds = time.perf_counter() - began
    marker.write_text(json.dumps({"request": request, "info": info, "seconds": seconds}))
    return path, {**info, "seconds": seconds, "reused": False}


def read_tables(snap: Path) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    """pandas read of ``users.csv`` (id), ``follows.csv`` and ``interactions.csv``.

    Returns
    -------
    (users, follows, interactions)
        User ids; ``src, dst``; ``src, dst, type, ts, weight`` with ``ts`` in epoch seconds.
    """
    users = pd.read_csv(snap / "users.csv", usecols=["id"], dtype=str)["id"]
    follows = pd.read_csv(snap / "follows.csv", dtype=str)
    inter = pd.read_csv(
        snap / "interactions.csv",
        usecols=["src", "dst", "type", "ts"],
        dtype={"src": str, "dst": str},
    )
    if inter["ts"].dtype == object:
        inter["ts"] = pd.to_datetime(inter["ts"], utc=True).astype("int64") // 10**9
    inter["weight"] = 1.0
    return users, follows, inter


def decayed_weight(inter: pd.DataFrame) -> pd.Series:
    """Type weight x weight x ``2^(-age / 30 days)``, ages from the newest interaction."""
    as_of = inter["ts"].max()
    w_type = inter["type"].str.lower().map(DEFAULT_INTERACTION_TYPES).fillna(1.0)
    return inter["weight"] * w_type * np.exp2(-(as_of - inter["ts"]) / HALF_LIFE_S)


def percentile_score(values: np.ndarray) -> np.ndarray:
    """0-100 score: percentile rank x 100 (ties share the mean rank)."""
    return pd.Series(values).rank(pct=True).to_numpy() * 100.0


# -- engine ----------------------------------------------------------------------------------------


def _fresh_store_path(workdir: Path) -> Path:
    """``engine.duckdb`` in ``workdir``, with any earlier file (and its WAL) removed."""
    path = workdir / "engine.duckdb"
    for old in workdir.glob("engine.duckdb*"):
        old.unlink()
    return path


def _timings(wall: float, timings: dict[str, float], rest: str) -> dict[str, float]:
    """The engine's own stage timings plus what the wall time spent outside them (``rest``)."""
    out = dict(timings)
    name = rest if rest not in out else f"{rest} (rest)"
    out[name] = max(wall - sum(timings.values()), 0.0)
    return out


def _time_calls(fn: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return times


def _latency(times: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(times), "max_ms": max(times), "calls": len(times)}


def query_latency(store: Any, repeat: int, n_topics: int = 5) -> dict[str, Any]:
    """Median and max milliseconds of ``store.top(10)`` and ``store.top_topic(name, 10)``."""
    out: dict[str, Any] = {"top": _latency(_time_calls(lambda: store.top(10), repeat))}
    names = store.topic_names()[:n_topics]
    if names:
        times = [
            t
            for name in names
            for t in _time_calls(lambda name=name: store.top_topic(name, 10), repeat)
        ]
        out["top_topic"] = {**_latency(times), "topics": names}
    return out


def run_engine(
    snap: Path, workdir: Path, sampler: MemorySampler, n_edges: int, repeat: int
) -> dict[str, Any]:
    """Load + analyze (the headline), then topics and query latency, on a fresh store."""
    rec = Recorder(sampler)
    with rec.stage("load"):
        store = gi.open_store(_fresh_store_path(workdir))
        summary, _ = gi.load_snapshot(store, snap, progress=False)
    try:
        with rec.stage("analyze"):
            result = gi.analyze(store, AnalysisParams(topics=False, **CLASSIC_WALK),
                                progress=False)
        out = {**rec.summary(n_edges), **_engine_facts(result)}
        out["load_stages_s"] = _timings(
            rec.stages["load"]["seconds"], summary.timings, "open store + rest"
        )
        out["analyze_stages_s"] = _timings(
            rec.stages["analyze"]["seconds"], result.run.timings, "store results"
        )
        del result
        out["topics"] = run_engine_topics(store, sampler, n_edges, repeat)
    finally:
        store.close()
    return out


def _engine_facts(result: Any) -> dict[str, Any]:
    """Counts, convergence and the arrays the cross-checks need, from an AnalysisResult."""
    run, comm = result.run, result.communities
    return {
        "users": run.n_users,
        "weighted_edges": run.n_edges,
        "events": run.n_events,
        "pagerank_iterations": run.iterations,
        "pagerank_error": run.error,
        "modularity": comm.modularity if comm else run.extras.get("modularity"),
        "communities": comm.n_communities if comm else run.extras.get("n_communities"),
        "ids": result.scores["id"].to_numpy(),
        "influence": result.scores["influence"].to_numpy(),
        "membership_ids": result.ids,
        "membership": comm.membership if comm else None,
    }


def run_engine_topics(
    store: Any, sampler: MemorySampler, n_edges: int, repeat: int
) -> dict[str, Any]:
    """``analyze`` with topics (no communities) and the query latencies, apart from the headline."""
    rec = Recorder(sampler)
    with rec.stage("analyze with topics"):
        result = gi.analyze(store, AnalysisParams(communities=False, **CLASSIC_WALK),
                            progress=False)
    with rec.stage("queries"):
        queries = query_latency(store, repeat)
    timings = result.run.timings
    return {
        **rec.summary(n_edges),
        "topic_stages_s": {k: v for k, v in timings.items() if k.startswith("topic")},
        "analyze_stages_s": _timings(
            rec.stages["analyze with topics"]["seconds"], timings, "store results"
        ),
        "n_topics": result.run.extras.get("n_topics"),
        "topic_iterations_max": result.run.extras.get("topic_iterations_max"),
        "queries": queries,
    }


# -- networkx --------------------------------------------------------------------------------------


def nx_graph(users: pd.Series, follows: pd.DataFrame, inter: pd.DataFrame) -> nx.DiGraph:
    """The attention graph as an analyst builds it (the logic of ``bench/pipeline.py``)."""
    inter = inter.assign(w=decayed_weight(inter))
    g = nx.DiGraph()
    g.add_nodes_from(users)
    for col in (inter["src"], inter["dst"], follows["src"], follows["dst"]):
        g.add_nodes_from(col)
    inter = inter[inter["src"] != inter["dst"]]
    pairs = np.log1p(inter.groupby(["src", "dst"], sort=False)["w"].sum())
    g.add_weighted_edges_from((s, d, w) for (s, d), w in pairs.items())
    for s, d in zip(follows["src"], follows["dst"], strict=True):
        if s != d:
            prior = g[s][d]["weight"] if g.has_edge(s, d) else 0.0
            g.add_edge(s, d, weight=prior + 1.0)
    return g


def baseline_result(
    rec: Recorder, n_edges: int, ids: np.ndarray, influence: np.ndarray, membership: np.ndarray,
    **extra: Any,
) -> dict[str, Any]:
    """What every baseline reports: stage summary, influence and partition (in ``ids`` order)."""
    return {
        **rec.summary(n_edges),
        "ids": ids,
        "influence": influence,
        "membership_ids": ids,
        "membership": membership,
        "communities": int(np.unique(membership).size),
        **extra,
    }


def run_networkx(snap: Path, sampler: MemorySampler, n_edges: int) -> dict[str, Any]:
    """pandas read, ``nx.DiGraph``, ``nx.pagerank``, percentile scale, Louvain."""
    rec = Recorder(sampler)
    with rec.stage("read csv"):
        users, follows, inter = read_tables(snap)
    with rec.stage("build graph"):
        g = nx_graph(users, follows, inter)
        del users, follows, inter
    with rec.stage("pagerank"):
        pr = nx.pagerank(g, alpha=DAMPING, tol=TOL / g.number_of_nodes(), max_iter=100)
    with rec.stage("scale 0-100"):
        ids = np.array(list(pr), dtype=object)
        influence = np.fromiter(pr.values(), dtype=np.float64, count=len(pr))
        percentile_score(influence)
    with rec.stage("communities"):
        parts = nx.community.louvain_communities(g.to_undirected(), weight="weight", seed=0)
    label = {node: c for c, part in enumerate(parts) for node in part}
    membership = np.fromiter((label[i] for i in ids), dtype=np.int64, count=ids.size)
    return baseline_result(rec, n_edges, ids, influence, membership)


# -- python-igraph and networkit: integer codes ----------------------------------------------------


def coded_pairs(
    users: pd.Series, follows: pd.DataFrame, inter: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame]:
    """``pd.factorize`` the ids, and the weighted attention pairs on those codes.

    Returns
    -------
    (ids, pairs)
        ``ids[code]`` is a user id (``users`` first, in file order); ``pairs`` has one row per
        ``src, dst`` (codes, no self-loops) with ``w = [follows] + log1p(decayed sum)``.
    """
    cols = [users, follows["src"], follows["dst"], inter["src"], inter["dst"]]
    codes, ids = pd.factorize(pd.concat(cols, ignore_index=True))
    ends = np.cumsum([len(c) for c in cols])
    f_src, f_dst, i_src, i_dst = (codes[a:b] for a, b in zip(ends[:-1], ends[1:], strict=True))
    ev = pd.DataFrame({"src": i_src, "dst": i_dst, "w": decayed_weight(inter).to_numpy()})
    ev = ev[ev["src"] != ev["dst"]].groupby(["src", "dst"], as_index=False)["w"].sum()
    ev["w"] = np.log1p(ev["w"])
    fo = pd.DataFrame({"src": f_src, "dst": f_dst}).drop_duplicates()
    fo = fo[fo["src"] != fo["dst"]].assign(w=1.0)
    pairs = pd.concat([fo, ev]).groupby(["src", "dst"], as_index=False)["w"].sum()
    return np.asarray(ids, dtype=object), pairs


def attention_csr(pairs: pd.DataFrame, n: int) -> sp.csr_array:
    """Directed ``n x n`` CSR of the pairs (duplicates summed)."""
    coo = sp.coo_array(
        (pairs["w"].to_numpy(), (pairs["src"].to_numpy(), pairs["dst"].to_numpy())), shape=(n, n)
    )
    return coo.tocsr()


def read_coded_pairs(rec: Recorder, snap: Path) -> tuple[np.ndarray, pd.DataFrame]:
    """The "read csv" stage and the start of "build graph": ids and weighted code pairs."""
    with rec.stage("read csv"):
        users, follows, inter = read_tables(snap)
    with rec.stage("build graph"):
        return coded_pairs(users, follows, inter)


def run_igraph(snap: Path, sampler: MemorySampler, n_edges: int) -> dict[str, Any]:
    """pandas read + factorize, ``igraph.Graph``, PRPACK PageRank, percentile, Leiden."""
    rec = Recorder(sampler)
    ids, pairs = read_coded_pairs(rec, snap)
    with rec.stage("build graph"):
        edges = list(zip(pairs["src"].tolist(), pairs["dst"].tolist(), strict=True))
        g = igraph.Graph(n=ids.size, edges=edges, directed=True)
        g.es["weight"] = pairs["w"].tolist()
        del edges, pairs
    with rec.stage("pagerank"):
        influence = np.asarray(g.pagerank(weights="weight", damping=DAMPING))
    with rec.stage("scale 0-100"):
        percentile_score(influence)
    with rec.stage("communities"):
        und = g.as_undirected(mode="collapse", combine_edges="sum")
        random.seed(0)
        part = und.community_leiden(objective_function="modularity", weights="weight")
    membership = np.asarray(part.membership, dtype=np.int64)
    return baseline_result(rec, n_edges, ids, influence, membership)


def power_pagerank(
    a: sp.csr_array, *, alpha: float = DAMPING, tol: float = TOL, max_iter: int = 100
) -> tuple[np.ndarray, int, float]:
    """PageRank by float32 power iteration on ``a`` (rows: out-edges), stopping at L1 < tol.

    Dangling nodes pass their mass through the uniform teleport, as in the engine.

    Returns
    -------
    (scores, iterations, error)
        float64 scores summing to 1, iterations run and the last L1 change.
    """
    n = a.shape[0]
    out = np.asarray(a.sum(axis=1)).ravel()
    dangling = out == 0
    inv = np.divide(alpha, out, out=np.zeros(n), where=~dangling)
    pt = sp.csr_array((sp.diags_array(inv) @ a).T.astype(np.float32))
    x = np.full(n, 1.0 / n, dtype=np.float32)
    err, it = float("inf"), 0
    while it < max_iter and err >= tol:
        new = pt @ x
        new += np.float32((alpha * x[dangling].sum(dtype=np.float64) + 1 - alpha) / n)
        err = float(np.abs(new - x).sum(dtype=np.float64))
        x, it = new, it + 1
    scores = x.astype(np.float64)
    return scores / scores.sum(), it, err


def networkit_graph(a: sp.csr_array) -> Any:
    """Undirected networkit graph of ``A + A.T`` from its upper triangle (no self-loops)."""
    import networkit as nk

    upper = sp.triu(a + a.T, k=1, format="coo")
    rows = np.ascontiguousarray(upper.row, dtype=np.int64)
    cols = np.ascontiguousarray(upper.col, dtype=np.int64)
    w = np.ascontiguousarray(upper.data, dtype=np.float64)
    return nk.GraphFromCoo((w, (rows, cols)), n=a.shape[0], weighted=True, directed=False)


def run_networkit(snap: Path, sampler: MemorySampler, n_edges: int) -> dict[str, Any]:
    """pandas read + codes, scipy CSR, float32 power PageRank, networkit PLM (Louvain)."""
    import networkit as nk

    rec = Recorder(sampler)
    ids, pairs = read_coded_pairs(rec, snap)
    with rec.stage("build graph"):
        a = attention_csr(pairs, ids.size)
        del pairs
    with rec.stage("pagerank"):
        influence, iterations, _ = power_pagerank(a)
    with rec.stage("scale 0-100"):
        percentile_score(influence)
    with rec.stage("communities"):
        g = networkit_graph(a)
        nk.engineering.setSeed(0, False)
        plm = nk.community.PLM(g, refine=False)
        plm.run()
        membership = np.asarray(plm.getPartition().getVector(), dtype=np.int64)
    return baseline_result(rec, n_edges, ids, influence, membership,
                           pagerank_iterations=iterations,
                           threads=nk.getMaxNumberOfThreads(), version=nk.__version__)


# -- cross-checks ----------------------------------------------------------------------------------


def yardstick(snap: Path) -> tuple[pd.Index, sp.csr_array]:
    """The ids and the undirected weighted graph ``A + A.T`` (no self-loops) every partition
    is scored on; ``A`` holds the same attention weights as the pipelines."""
    ids, pairs = coded_pairs(*read_tables(snap))
    a = attention_csr(pairs, ids.size)
    sym = sp.csr_array(a + a.T)
    sym.setdiag(0)
    sym.eliminate_zeros()
    return pd.Index(ids), sym


def modularity_of(sym: sp.csr_array, labels: np.ndarray) -> float:
    """Newman modularity ``sum_c in_c / 2m - (tot_c / 2m)^2`` of ``labels`` on ``sym``.

    Parameters
    ----------
    sym : scipy.sparse.csr_array
        Symmetric weights without self-loops (each edge stored both ways).
    labels : numpy.ndarray of int
        Community of each node; negative labels (users a pipeline did not return) become
        singletons.
    """
    labels = labels.copy()
    missing = labels < 0
    labels[missing] = labels.max(initial=-1) + 1 + np.arange(missing.sum())
    k = int(labels.max()) + 1
    strength = np.asarray(sym.sum(axis=1)).ravel()
    two_m = float(strength.sum())
    rows = np.repeat(np.arange(sym.shape[0]), np.diff(sym.indptr))
    inside = labels[rows] == labels[sym.indices]
    internal = np.bincount(labels[rows[inside]], weights=sym.data[inside], minlength=k)
    total = np.bincount(labels, weights=strength, minlength=k)
    return float((internal / two_m - (total / two_m) ** 2).sum())


def align(index: pd.Index, ids: np.ndarray, values: np.ndarray, fill: float) -> np.ndarray:
    """``values`` (one per id) in the order of ``index``; ``fill`` where an id is missing."""
    out = np.full(len(index), fill, dtype=np.asarray(values).dtype)
    pos = index.get_indexer(ids)
    ok = pos >= 0
    out[pos[ok]] = np.asarray(values)[ok]
    return out


def cross_checks(snap: Path, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Max |influence - engine| per baseline; every partition's modularity on one yardstick.

    Pops the per-user arrays from ``results``.
    """
    index, sym = yardstick(snap)
    influence, modularity = {}, {}
    for name, res in results.items():
        if "influence" not in res:
            continue
        influence[name] = align(index, res.pop("ids"), res.pop("influence"), np.nan)
        labels = res.pop("membership")
        member_ids = res.pop("membership_ids")
        if labels is not None:
            modularity[name] = modularity_of(sym, align(index, member_ids, labels, -1))
    engine = influence.get("engine")
    diffs = {
        name: float(np.nanmax(np.abs(vec - engine)))
        for name, vec in influence.items()
        if name != "engine" and engine is not None
    }
    return {
        "max_abs_influence_diff_vs_engine": diffs,
        "modularity_yardstick": modularity,
        "yardstick_users": len(index),
        "yardstick_undirected_edges": int(sym.nnz // 2),
    }


# -- one size --------------------------------------------------------------------------------------


def _skip_reason(name: str, args: argparse.Namespace, n_edges: int) -> str | None:
    """Why a baseline does not run at this size (None when it runs)."""
    if name == "networkx":
        if args.no_networkx:
            return "--no-networkx"
        if n_edges > args.networkx_max_edges:
            return f"{n_edges:,} edges > --networkx-max-edges {args.networkx_max_edges:,}"
    if name == "python-igraph" and args.no_igraph:
        return "--no-igraph"
    if name == "networkit":
        if args.no_networkit:
            return "--no-networkit"
        try:
            import networkit  # noqa: F401
        except ImportError:
            return "networkit is not installed"
    return None


def bench_size(
    n_edges: int, args: argparse.Namespace, workdir: Path, sampler: MemorySampler
) -> dict[str, Any]:
    """Generate (or reuse) one snapshot and run every pipeline and the cross-checks on it."""
    label = size_label(n_edges)
    _note(f"[{label}] snapshot")
    snap, gen = snapshot(workdir, n_edges, args.seed)
    rows = gen["rows"]
    input_edges = rows["follows"] + rows["interactions"]
    runners = {
        "engine": lambda: run_engine(snap, workdir, sampler, input_edges, args.repeat_queries),
        "networkx": lambda: run_networkx(snap, sampler, input_edges),
        "python-igraph": lambda: run_igraph(snap, sampler, input_edges),
        "networkit": lambda: run_networkit(snap, sampler, input_edges),
    }
    results: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for name in PIPELINES:
        reason = _skip_reason(name, args, input_edges)
        if reason:
            skipped[name] = reason
            continue
        _note(f"[{label}] {name}")
        results[name] = runners[name]()
        release_memory()
    _note(f"[{label}] cross-checks")
    checks = cross_checks(snap, results)
    release_memory()
    return {
        "size": label,
        "input_edges": input_edges,
        "rows": rows,
        "generation": {"seconds": gen["seconds"], "reused": gen["reused"], "params": gen["params"]},
        "pipelines": results,
        "skipped": skipped,
        "cross_checks": checks,
    }


# -- printing --------------------------------------------------------------------------------------


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def print_summary(r: dict[str, Any]) -> None:
    """The pipelines table of one size."""
    rows, eng = r["rows"], r["pipelines"]["engine"]
    gen = r["generation"]
    print(
        f"\n== {r['size']}: {r['input_edges']:,} input edges ({rows['follows']:,} follows + "
        f"{rows['interactions']:,} interactions, {rows['posts']:,} posts), "
        f"{eng['users']:,} users, {eng['weighted_edges']:,} weighted edges; snapshot "
        f"{'reused' if gen['reused'] else 'generated'} (generation {gen['seconds']:.2f} s)"
    )
    print(f"{'pipeline':<15}{'total s':>9}{'x engine':>10}{'peak MB':>9}{'+MB':>8}{'B/edge':>8}")
    for name, p in r["pipelines"].items():
        ratio = p["total_s"] / eng["total_s"]
        print(
            f"{name:<15}{p['total_s']:>9.2f}{ratio:>10.2f}{p['peak_mb']:>9.0f}"
            f"{p['peak_above_start_mb']:>8.0f}{p['bytes_per_edge']:>8.0f}"
        )
    for name, why in r["skipped"].items():
        print(f"{name:<15}  skipped: {why}")
    print(
        "(total = sum of stages; x engine = total / engine total; +MB = peak above the RSS "
        "at the pipeline's start; B/edge = +MB per input edge)"
    )
    for name, p in r["pipelines"].items():
        if name != "engine":
            parts = ", ".join(f"{k} {s['seconds']:.2f}" for k, s in p["stages"].items())
            print(f"  {name} stages (s): {parts}")


def print_engine(r: dict[str, Any]) -> None:
    """The engine's stage table, topics and query latency."""
    eng = r["pipelines"]["engine"]
    print(
        f"engine stages (s)  [PageRank {eng['pagerank_iterations']} iterations, "
        f"{eng['communities']:,} communities, modularity {eng['modularity']:.4f}]"
    )
    for part, key in (("load", "load_stages_s"), ("analyze", "analyze_stages_s")):
        for stage, sec in eng[key].items():
            print(f"  {part + ': ' + stage:<40}{sec:>8.3f}")
        st = eng["stages"][part]
        print(f"  {part + ' (wall)':<40}{st['seconds']:>8.3f}   peak {st['peak_mb']:.0f} MB")
    top = eng["topics"]
    print(
        f"  {'topics analyze (wall, not in total)':<40}"
        f"{top['stages']['analyze with topics']['seconds']:>8.3f}   "
        f"peak {top['stages']['analyze with topics']['peak_mb']:.0f} MB, "
        f"{top['n_topics']} topics, max {top['topic_iterations_max']} iterations"
    )
    for stage, sec in top["topic_stages_s"].items():
        print(f"    {stage:<38}{sec:>8.3f}")
    for name, q in top["queries"].items():
        print(
            f"  query {name}(..., 10): median {q['median_ms']:.1f} ms, max {q['max_ms']:.1f} ms "
            f"({q['calls']} calls)"
        )


def print_checks(r: dict[str, Any]) -> None:
    """Influence differences and yardstick modularities."""
    c = r["cross_checks"]
    pipes = r["pipelines"]
    diffs = ", ".join(f"{k} {v:.1e}" for k, v in c["max_abs_influence_diff_vs_engine"].items())
    print(f"cross-check max |influence - engine|: {diffs or '-'}")
    mods = ", ".join(
        f"{k} {v:.4f} ({pipes[k]['communities']:,} communities)"
        for k, v in c["modularity_yardstick"].items()
    )
    print(
        f"cross-check modularity on one yardstick (A + A^T, {c['yardstick_undirected_edges']:,} "
        f"edges): {mods}"
    )


def machine() -> dict[str, Any]:
    """CPU count, Python and package versions."""
    versions = {}
    for pkg in (
        "graph-influence",
        "numpy",
        "scipy",
        "pandas",
        "pyarrow",
        "duckdb",
        "networkx",
        "igraph",
        "networkit",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[pkg] = metadata.version(pkg)
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for every size, print the tables and write the JSON."""
    args = build_parser().parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gi-bench-")))
        else:
            workdir = args.workdir
            workdir.mkdir(parents=True, exist_ok=True)
        sampler = stack.enter_context(MemorySampler())
        results = []
        for n_edges in args.sizes:
            r = bench_size(n_edges, args, workdir, sampler)
            print_summary(r)
            print_engine(r)
            print_checks(r)
            sys.stdout.flush()
            results.append(r)
        for old in workdir.glob("engine.duckdb*"):
            old.unlink()
    if args.out:
        report = {
            "machine": machine(),
            "memory": {"sampler_interval_s": 0.005, "vmhwm": sampler.uses_hwm},
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "results": results,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
