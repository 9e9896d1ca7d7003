"""Compare two analysis runs: rank correlation, top-k overlap, risers, fallers, newcomers.

The runs may be of two snapshots loaded one after the other, of one snapshot analysed as of two
instants, or with two parameter sets; users are matched by id. A user counts in a run when they
were *active* as of it: at least one follow or interaction (not a self-loop, either way) in the
run's graph at its as-of time. Every user of the store gets a score, so without this a user
who joined between two ``--as-of`` instants would be in both runs and never "new".

The module is light to import (numpy, pandas and scipy are imported by :func:`compare_runs`):
:func:`parameter_changes` serves ``graph-influence runs`` as well.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from graph_influence.errors import StoreNotReadyError
from graph_influence.params import AnalysisParams
from graph_influence.schema import DEFAULT_INTERACTION_TYPES
from graph_influence.stores import Store

__all__ = ["compare_runs", "parameter_changes"]

TOP_KS = (10, 100, 1000)

#: Parameters a run record holds that are not settings of the analysis (``as_of`` is shown on
#: its own: the record keeps the resolved instant, never the default ``None``).
_NOT_COMPARED = ("as_of",)


def parameter_changes(record: Mapping[str, Any],
                      other: Mapping[str, Any] | None = None) -> dict[str, list]:
    """The analysis parameters that differ between two run records (``run.params``).

    Parameters
    ----------
    record : mapping
        A stored run's parameters.
    other : mapping, optional
        Another run's; default: today's defaults.

    Returns
    -------
    dict
        Parameter name -> ``[value in record, value in other]``, in parameter order; a type
        weight as ``type_weights.TYPE`` (a type a record lacks weighs its default). Durations
        are compared in seconds. ``as_of`` is left out.

    Examples
    --------
    >>> parameter_changes(AnalysisParams(damping=0.9, half_life="30d").to_record())
    {'damping': [0.9, 0.85]}
    >>> parameter_changes(AnalysisParams(type_weights={"retweet": 2}).to_record(),
    ...                   AnalysisParams(half_life="1d").to_record())
    {'half_life': ['30d', '1d'], 'type_weights.retweet': [2.0, 1.0]}
    """
    a = AnalysisParams.from_record(record)
    b = AnalysisParams.from_record(other) if other is not None else AnalysisParams()
    out: dict[str, list] = {}
    for f in dataclasses.fields(AnalysisParams):
        name = f.name
        if name in _NOT_COMPARED:
            continue
        if name == "type_weights":
            types = sorted(set(a.type_weights) | set(b.type_weights))
            for t in types:
                default = DEFAULT_INTERACTION_TYPES.get(t, 1.0)
                wa, wb = a.type_weights.get(t, default), b.type_weights.get(t, default)
                if wa != wb:
                    out[f"type_weights.{t}"] = [wa, wb]
        elif name == "half_life":
            if a.half_life_seconds != b.half_life_seconds:
                out[name] = [_duration(a.half_life), _duration(b.half_life)]
        elif getattr(a, name) != getattr(b, name):
            out[name] = [getattr(a, name), getattr(b, name)]
    return out


def _duration(value) -> str | None:
    from graph_influence.timeparse import format_duration, parse_duration

    return format_duration(parse_duration(value))


def _active_ids(store: Store, run):
    """Ids of the users with a follow or interaction in the run's graph as of its as-of, as an
    Arrow array (membership is tested with ``pyarrow.compute.is_in``: pandas' ``isin`` on
    Arrow strings converts each of 300k values on its own, seconds per call)."""
    import numpy as np
    import pyarrow as pa

    params = AnalysisParams.from_record(run.params)
    loads = store.loads_of_run(run.run_id) if store.loads_after_run(run.run_id) else None
    view = store.graph_view(as_of=params.as_of_time, half_life_seconds=None, load_ids=loads)
    active = np.zeros(len(view.ids), dtype=bool)
    for ends in (view.follow_src, view.follow_dst, view.inter_src, view.inter_dst):
        active[np.asarray(ends, dtype=np.int64)] = True
    return pa.array(view.ids[active].tolist(), pa.string())


def _isin(ids, values):
    """Boolean numpy mask: which of ``ids`` (a pandas Series) are in ``values`` (Arrow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pa.array(ids)
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    values = values if isinstance(values, pa.Array) else pa.array(values)
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    return pc.is_in(column, value_set=values).to_numpy(zero_copy_only=False)


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
        ``run_a``, ``run_b``, ``parameters`` (name -> ``[value in a, value in b]``, the
        analysis parameters that differ: :func:`parameter_changes`), ``as_of`` (``[a, b]``),
        ``users_a``, ``users_b`` (users active as of each run), ``inactive_a``,
        ``inactive_b`` (scored users without a follow or interaction as of the run),
        ``common_users`` (active in both), ``spearman`` and ``kendall`` (rank correlation of
        influence over the common users), ``jaccard_top`` (k -> Jaccard of the top-k sets),
        ``risers`` and ``fallers`` (id, rank and score in each run, rank change), ``new`` and
        ``vanished`` (counts and example ids: active in one run only, so a user inactive as
        of run a and active as of run b is new).
    """
    import numpy as np
    from scipy.stats import kendalltau, spearmanr

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
    record_a, record_b = store.run(run_a), store.run(run_b)
    a = store.scores(run_id=run_a)[["id", "influence", "score", "rank"]]
    b = store.scores(run_id=run_b)[["id", "influence", "score", "rank"]]
    active_a, active_b = _active_ids(store, record_a), _active_ids(store, record_b)
    in_a, in_b = _isin(a["id"], active_a), _isin(b["id"], active_b)
    inactive_a, inactive_b = int((~in_a).sum()), int((~in_b).sum())
    a, b = a[in_a], b[in_b]
    both = a.merge(b, on="id", suffixes=("_a", "_b"))
    out: dict = {"run_a": run_a, "run_b": run_b,
                 "parameters": parameter_changes(record_a.params, record_b.params),
                 "as_of": [record_a.as_of, record_b.as_of],
                 "users_a": len(a), "users_b": len(b), "inactive_a": inactive_a,
                 "inactive_b": inactive_b, "common_users": len(both)}
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
    new = b[~_isin(b["id"], a["id"])]
    vanished = a[~_isin(a["id"], b["id"])]
    out["new"] = {"count": len(new), "top": new[["id", "rank", "score"]].head(n).to_dict(
        orient="records")}
    out["vanished"] = {"count": len(vanished), "top": vanished[["id", "rank", "score"]].head(
        n).to_dict(orient="records")}
    return _plain(out, np)


def _plain(value, np):
    if isinstance(value, dict):
        return {k: _plain(v, np) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, np) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value
