"""Compare two analysis runs: rank correlation, top-k overlap, risers, fallers, newcomers.

The runs may be of two snapshots loaded one after the other, or of one snapshot analysed with
two parameter sets; users are matched by id.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import kendalltau, spearmanr

from graph_influence.errors import StoreNotReadyError
from graph_influence.stores import Store

__all__ = ["compare_runs"]

TOP_KS = (10, 100, 1000)


def compare_runs(store: Store, run_a: int | None = None, run_b: int | None = None, *,
                 n: int = 10) -> dict:
    """Compare two runs of ``store`` (default: the last two).

    Parameters
    ----------
    store : Store
    run_a, run_b : int, optional
        The earlier and the later run (default: the two latest).
    n : int, optional
        Risers, fallers, new and vanished users to list (default 10).

    Returns
    -------
    dict
        ``run_a``, ``run_b``, ``common_users``, ``spearman`` and ``kendall`` (rank correlation
        of influence over the users in both), ``jaccard_top`` (k -> Jaccard of the top-k sets),
        ``risers`` and ``fallers`` (id, rank and score in each run, rank change), ``new`` and
        ``vanished`` (counts and example ids).
    """
    runs = store.run_ids()
    if run_a is None and run_b is None:
        if len(runs) < 2:
            raise StoreNotReadyError(
                f"compare needs two analyses; {store.url} has {len(runs)} — run "
                "graph-influence analyze again (e.g. with another --as-of or after a new load)")
        run_a, run_b = runs[-2], runs[-1]
    elif run_b is None:
        run_b = runs[-1] if runs else None
    for rid in (run_a, run_b):
        if rid is None:
            raise StoreNotReadyError(f"no run {rid} in {store.url} — see graph-influence info")
        store.resolve_run_id(rid)  # raises "no run N in URL — see graph-influence info"
    a = store.scores(run_id=run_a)[["id", "influence", "score", "rank"]]
    b = store.scores(run_id=run_b)[["id", "influence", "score", "rank"]]
    both = a.merge(b, on="id", suffixes=("_a", "_b"))
    out: dict = {"run_a": run_a, "run_b": run_b, "users_a": len(a), "users_b": len(b),
                 "common_users": len(both)}
    if len(both) >= 2:
        out["spearman"] = float(spearmanr(both["influence_a"], both["influence_b"]).statistic)
        out["kendall"] = float(kendalltau(both["influence_a"], both["influence_b"]).statistic)
    else:
        out["spearman"] = out["kendall"] = None
    out["jaccard_top"] = {}
    for k in TOP_KS:
        top_a, top_b = set(a["id"].head(k)), set(b["id"].head(k))
        union = top_a | top_b
        out["jaccard_top"][str(k)] = len(top_a & top_b) / len(union) if union else None
    both["rank_change"] = both["rank_a"] - both["rank_b"]  # > 0: moved up
    columns = ["id", "rank_a", "rank_b", "rank_change", "score_a", "score_b"]
    risers = both[both["rank_change"] > 0].sort_values(
        ["rank_change", "rank_b", "id"], ascending=[False, True, True])
    fallers = both[both["rank_change"] < 0].sort_values(
        ["rank_change", "rank_a", "id"], ascending=[True, True, True])
    out["risers"] = risers[columns].head(n).to_dict(orient="records")
    out["fallers"] = fallers[columns].head(n).to_dict(orient="records")
    new = b[~b["id"].isin(a["id"])]
    vanished = a[~a["id"].isin(b["id"])]
    out["new"] = {"count": len(new), "top": new[["id", "rank", "score"]].head(n).to_dict(
        orient="records")}
    out["vanished"] = {"count": len(vanished), "top": vanished[["id", "rank", "score"]].head(
        n).to_dict(orient="records")}
    return _plain(out)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


