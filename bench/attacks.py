"""Resistance to cheap manipulation: score and rank of chosen users before and after an attack.

A real snapshot (default: SNAP Higgs-Twitter, ``../shared/datasets/higgs-twitter``; any input
``load_snapshot`` reads with ``--data``) is loaded once into a fresh temporary DuckDB store and
analysed with the default parameters (``analyze(store)``): the baseline. Then, for every attack
and every target, the baseline store file is copied, the attack's rows are added to the copy
with ``load_frames`` (one load, merged into the snapshot like any later snapshot), and the copy
is analysed again. Each (attack, target) pair is its own copy: one target and one attack at a
time, nothing else changed.

Targets (chosen on the baseline's *undefended* scores, the defaults before the defences, so
the groups are those of the first measurement; seeded with ``--seed``)::

    median  --targets users drawn at random among the attended users (in-strength > 0 in the
            attention graph) whose position in the attended users' (influence, id) order is
            within +-max(5 * targets, 0.2% of them) of the median position
    p90     the same around the 90th percentile of the attended users
    floor   --targets users drawn at random among the users who received no attention (they
            all share the klout floor score, 10)

Attacks (account ids ``farm-NNNNNN``, ``ring-NNNNNN``, ``pair-NNNNNN``, which no Higgs id
(an integer) and no other attack's id can collide with; ``T`` is the newest timestamp in the
data, ``W = min(7 days, T - oldest timestamp)``, so every added event lies in ``[T - W, T]``:
inside the data's range, nothing in the future, and the as-of time of the run stays ``T``)::

    follow-clique  --farm-size F (1,000) new accounts; each follows the target and every other
                   farm account: F + F * (F - 1) follow rows (999,000 + 1,000), undated (the
                   store's follows carry no time; an undated follow is always in the graph).
    follow-star    the same F accounts following only the target (F follow rows), a cheaper
                   and, for PageRank, stronger farm than the clique (which keeps most of its
                   mass circulating among the farm); reported for comparison.
    retweet-ring   --ring-size R (50) new accounts over the last 168 hours of the data:
                   hour h = 0..167 is at time T - (167 - h) * 3600 (within W on Higgs; on
                   data spanning less than 167 hours the step is W // 167 s); in hour h
                   ring member i retweets ring member (i + 1 + (h mod (R - 1))) mod R (round
                   robin over the other R - 1 members, never itself) and retweets the target;
                   R * 168 ring-internal retweets and R * 168 retweets of the target.
    reciprocal     one new account and the target mention each other --pair-count N (1,000)
                   times each: event k = 0..N-1 at T - round(k * W / N) (newest at T), the
                   account mentions the target and the target mentions the account back at
                   that time (2N mention events).

Reported per attack and target group: the median and the max over the group's targets of the
score lift (score after - score before, 0-100 points) and of the rank gain (rank before - rank
after; competition rank over every user in the run, farm accounts included, 1 = best; positive
= moved up), for

    default  the project's default analysis, ``analyze(store)`` with ``AnalysisParams()``
             (follow weight 1, log1p of the decayed (30-day half-life), type-weighted events
             per pair, PageRank alpha 0.85, klout scale; and the defences: ground weight 30,
             fade, trust teleport);
    undefended  the same without the defences (``ground_weight=0, fade=False,
             teleport="uniform"``: the defaults before them), topics and communities off;
    plain    plain PageRank on the unweighted union graph: an edge u -> v of weight 1 when u
             follows v or u has any interaction event (any type, any age up to the as-of time)
             with v, self-loops dropped, PageRank alpha 0.85, uniform teleport, dangling mass
             spread uniformly, tol 1e-6 (``graph_influence.algorithms.pagerank.pagerank``),
             scaled to 0-100 with ``scale_scores(..., "klout")`` fitted on that run, users
             with in-degree 0 at the floor.

All three are recomputed on the attacked graph (their scales are refitted there, as any run does).

Usage::

    python bench/attacks.py [--data DIR] [--targets 5] [--farm-size 1000] [--ring-size 50]
                            [--pair-count 1000] [--seed 0] [--quick] [--out FILE.md]
                            [--json FILE.json] [--workdir DIR]

``--quick``: 1 target per group, a 300-account farm, a 20-account ring, 300 mentions each
way (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

import graph_influence as gi
from graph_influence.algorithms.pagerank import pagerank
from graph_influence.algorithms.ranking import competition_rank
from graph_influence.algorithms.scaling import received_attention, scale_scores
from graph_influence.analysis import attention_of

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "datasets"
HOUR = 3600
WEEK = 7 * 86400
ATTACKS = ("follow-clique", "follow-star", "retweet-ring", "reciprocal")
GROUPS = (("median", 0.5), ("p90", 0.9), ("floor", None))


# -- scores ------------------------------------------------------------------------------------
def _epoch(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


#: The analyses compared: the defaults (with the defences) and the defaults without them.
UNDEFENDED = {"ground_weight": 0.0, "fade": False, "teleport": "uniform"}
HOWS = ("default", "undefended", "plain")


def score_both(store) -> dict[str, pd.DataFrame]:
    """Default analysis, the same without the defences, and plain PageRank of ``store``:
    frames indexed by id (score, rank)."""
    params = gi.AnalysisParams().validated()
    result = gi.analyze(store, params, progress=False)
    default = result.scores.set_index("id")[["influence", "score", "rank"]]
    undefended = gi.analyze(store, gi.AnalysisParams(**UNDEFENDED, topics=False,
                                                     communities=False), progress=False)
    undefended = undefended.scores.set_index("id")[["influence", "score", "rank"]]
    view = store.graph_view(as_of=store.time_range()[1],
                            half_life_seconds=params.half_life_seconds)
    attended = received_attention(attention_of(view, params))
    n = view.n_users
    src = np.concatenate([view.follow_src, view.inter_src])
    dst = np.concatenate([view.follow_dst, view.inter_dst])
    keep = src != dst
    pairs = np.unique(src[keep] * np.int64(n) + dst[keep])
    a = sp.csr_array((np.ones(len(pairs)), (pairs // n, pairs % n)), shape=(n, n))
    pr = pagerank(a, alpha=0.85, tol=1e-6, max_iter=200)
    scores, _ = scale_scores(pr.scores, "klout", attended=received_attention(a))
    plain = pd.DataFrame({"influence": pr.scores, "score": scores,
                          "rank": competition_rank(pr.scores)}, index=pd.Index(view.ids, name="id"))
    attended_ids = pd.Index(view.ids[attended])
    return {"default": default, "undefended": undefended, "plain": plain,
            "attended": attended_ids}


def pick_targets(base: dict, k: int, seed: int) -> dict[str, list[str]]:
    """``k`` users per group (see the module docstring), seeded."""
    rng = np.random.default_rng(seed)
    d = base["undefended"]  # (the groups of the first measurement, before the defences)
    att = d.loc[base["attended"]].reset_index().sort_values(["influence", "id"],
                                                               ignore_index=True)
    floor = np.sort(d.index.difference(base["attended"]).to_numpy().astype(str))
    out: dict[str, list[str]] = {}
    for name, q in GROUPS:
        if q is None:
            pool = floor
        else:
            n = len(att)
            half = max(5 * k, int(0.002 * n))
            mid = int(round(q * (n - 1)))
            pool = att["id"].to_numpy()[max(0, mid - half):min(n, mid + half + 1)].astype(str)
        take = min(k, len(pool))
        out[name] = sorted(rng.choice(pool, size=take, replace=False).tolist()) if take else []
    return out


# -- attacks -----------------------------------------------------------------------------------
def attack_rows(kind: str, target: str, *, t_max: int, window: int, farm: int, ring: int,
                pairs: int) -> dict[str, pd.DataFrame]:
    """The rows an attack adds (``load_frames`` keyword arguments)."""
    if kind in ("follow-clique", "follow-star"):
        ids = np.array([f"farm-{i:06d}" for i in range(farm)], dtype=object)
        src, dst = [ids], [np.full(farm, target, dtype=object)]
        if kind == "follow-clique":
            s = np.repeat(np.arange(farm), farm)
            d = np.tile(np.arange(farm), farm)
            m = s != d
            src.append(ids[s[m]])
            dst.append(ids[d[m]])
        return {"follows": pd.DataFrame({"src": np.concatenate(src),
                                         "dst": np.concatenate(dst)})}
    if kind == "retweet-ring":
        ids = np.array([f"ring-{i:06d}" for i in range(ring)], dtype=object)
        hours = np.arange(168)
        ts = t_max - (167 - hours) * min(HOUR, window // 167)
        h = np.repeat(hours, ring)
        i = np.tile(np.arange(ring), len(hours))
        j = (i + 1 + (h % (ring - 1))) % ring
        t = np.repeat(ts, ring)
        frame = pd.DataFrame({
            "src": np.concatenate([ids[i], ids[i]]),
            "dst": np.concatenate([ids[j], np.full(len(i), target, dtype=object)]),
            "type": "retweet", "ts": np.concatenate([t, t]),
        })
        return {"interactions": frame}
    if kind == "reciprocal":
        ts = t_max - np.round(np.arange(pairs) * window / pairs).astype(np.int64)
        other = np.full(pairs, "pair-000000", dtype=object)
        tgt = np.full(pairs, target, dtype=object)
        frame = pd.DataFrame({"src": np.concatenate([other, tgt]),
                              "dst": np.concatenate([tgt, other]),
                              "type": "mention", "ts": np.concatenate([ts, ts])})
        return {"interactions": frame}
    raise ValueError(kind)


# -- the run -----------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict:
    t_start = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="attacks-", dir=args.workdir))
    try:
        base_path = work / "base.duckdb"
        t0 = time.perf_counter()
        with gi.open_store(base_path) as store:
            gi.load_snapshot(store, args.data, progress=False)
            lo, hi = store.time_range()
            counts = store.counts()
            t_load = time.perf_counter() - t0
            base = score_both(store)
        t_min, t_max = _epoch(lo), _epoch(hi)
        window = min(WEEK, t_max - t_min)
        if 167 * HOUR > window:
            _log(f"note: the data spans {window} s, less than 167 hours: the ring's "
                 f"'hours' are {window // 167} s apart")
        targets = pick_targets(base, args.targets, args.seed)
        _log(f"baseline: {counts} loaded in {t_load:.1f} s; targets {targets}")
        rows = []
        for kind in args.attacks:
            for group, users in targets.items():
                for target in users:
                    t1 = time.perf_counter()
                    path = work / "attacked.duckdb"
                    shutil.copyfile(base_path, path)
                    added = attack_rows(kind, target, t_max=t_max, window=window,
                                        farm=args.farm_size, ring=args.ring_size,
                                        pairs=args.pair_count)
                    with gi.open_store(path) as store:
                        gi.load_frames(store, progress=False, source=f"attack {kind}", **added)
                        assert _epoch(store.time_range()[1]) == t_max
                        after = score_both(store)
                    path.unlink()
                    row = {"attack": kind, "group": group, "target": target,
                           "rows_added": int(sum(len(f) for f in added.values())),
                           "seconds": time.perf_counter() - t1}
                    for how in HOWS:
                        b, a = base[how].loc[target], after[how].loc[target]
                        row[how] = {"score_before": float(b["score"]),
                                    "score_after": float(a["score"]),
                                    "lift": float(a["score"] - b["score"]),
                                    "rank_before": int(b["rank"]), "rank_after": int(a["rank"]),
                                    "rank_gain": int(b["rank"] - a["rank"]),
                                    "n_users": len(after[how])}
                    rows.append(row)
                    _log(f"{kind:14s} {group:6s} {target:>10s}: " + ", ".join(
                        f"{how} {row[how]['score_before']:.1f} -> "
                        f"{row[how]['score_after']:.1f}" for how in HOWS)
                        + f" ({row['seconds']:.1f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "data": str(args.data), "counts": counts, "time_range": [lo.isoformat(), hi.isoformat()],
        "window_s": window, "seed": args.seed, "targets": targets,
        "params": {"targets": args.targets, "farm_size": args.farm_size,
                   "ring_size": args.ring_size, "pair_count": args.pair_count,
                   "quick": args.quick},
        "baseline_users": len(base["default"]), "baseline_attended": len(base["attended"]),
        "rows": rows, "load_s": t_load, "wall_s": time.perf_counter() - t_start,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
    }


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _fmt(x: float, signed: bool = True) -> str:
    return f"{x:+.1f}" if signed else f"{x:.1f}"


def markdown(report: dict) -> str:
    p = report["params"]
    lines = [
        f"Data: `{Path(report['data']).name}` ({report['baseline_users']:,} users, "
        f"{report['baseline_attended']:,} with attention; events "
        f"{report['time_range'][0]} .. {report['time_range'][1]}); seed {report['seed']}; "
        f"{p['targets']} target(s) per group; farm {p['farm_size']:,}, ring {p['ring_size']}, "
        f"pair {p['pair_count']:,} mentions each way.",
        "",
        "default = `analyze(store)` with default parameters (the defences on: ground weight "
        "30, fade, trust teleport). undefended = the same with `ground_weight=0, fade=False, "
        "teleport='uniform'` (the defaults before the defences; the target groups are drawn "
        "on its scores). plain = PageRank (alpha 0.85, "
        "uniform teleport) on the unweighted union graph (u -> v weight 1 if u follows v or "
        "has any interaction with v; no type weights, no decay, no log1p), klout-scaled the "
        "same way. lift = score after - before (0-100 points); rank gain = rank before - "
        "after (positive = up). Each cell: median / max over the group's targets.",
        "",
        "| attack | group | n | score before (default / undefended / plain) | default lift | "
        "default rank gain | undefended lift | undefended rank gain | plain lift | "
        "plain rank gain |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = []
    for r in report["rows"]:
        if (r["attack"], r["group"]) not in keys:
            keys.append((r["attack"], r["group"]))
    for kind, group in keys:
        rs = [r for r in report["rows"] if r["attack"] == kind and r["group"] == group]
        cells = []
        for how in HOWS:
            lift = [r[how]["lift"] for r in rs]
            gain = [r[how]["rank_gain"] for r in rs]
            cells.append(f"{_fmt(statistics.median(lift))} / {_fmt(max(lift))}")
            cells.append(f"{statistics.median(gain):+,.0f} / {max(gain):+,}")
        before = " / ".join(f"{statistics.median(r[how]['score_before'] for r in rs):.1f}"
                            for how in HOWS)
        lines.append(f"| {kind} | {group} | {len(rs)} | {before} | {' | '.join(cells)} |")
    lines += ["", f"Wall time: {report['wall_s']:.0f} s ({report['machine']['cpus']} CPUs, "
              f"Python {report['machine']['python']}), baseline load {report['load_s']:.1f} s.",
              ""]
    lines += ["<details><summary>per target</summary>", "",
              "| attack | group | target | default before -> after (rank) | "
              "undefended before -> after (rank) | plain before -> after (rank) |",
              "|---|---|---|---|---|---|"]
    for r in report["rows"]:
        cells = [f"{r[h]['score_before']:.1f} -> {r[h]['score_after']:.1f} "
                 f"({r[h]['rank_before']:,} -> {r[h]['rank_after']:,})"
                 for h in HOWS]
        lines.append(f"| {r['attack']} | {r['group']} | {r['target']} | {' | '.join(cells)} |")
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED / "higgs-twitter",
                        help="snapshot to attack (default: the shared Higgs-Twitter data)")
    parser.add_argument("--targets", type=int, help="targets per group (default 5)")
    parser.add_argument("--farm-size", type=int, help="follow farm accounts (default 1000)")
    parser.add_argument("--ring-size", type=int, help="retweet ring accounts (default 50)")
    parser.add_argument("--pair-count", type=int, help="mentions each way (default 1000)")
    parser.add_argument("--attacks", nargs="+", choices=ATTACKS, default=list(ATTACKS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="1 target per group, farm 300, ring 20, 300 mentions (~1 min)")
    parser.add_argument("--out", type=Path, help="write the markdown table here")
    parser.add_argument("--json", type=Path, help="write every figure as JSON here")
    parser.add_argument("--workdir", type=Path, help="where the temporary stores go")
    args = parser.parse_args(argv)
    quick = {"targets": 1, "farm_size": 300, "ring_size": 20, "pair_count": 300}
    full = {"targets": 5, "farm_size": 1000, "ring_size": 50, "pair_count": 1000}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.ring_size < 2 or args.farm_size < 1 or args.pair_count < 1 or args.targets < 1:
        parser.error("--ring-size must be >= 2; --farm-size, --pair-count, --targets >= 1")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    report = run(args)
    text = markdown(report)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
