"""Explain a user's influence exactly: where every part of it comes from.

PageRank's fixed point decomposes exactly::

    influence(v) = teleport(v) + sum over in-neighbours u of  d * influence(u) * w(u, v) / W(u)

with ``teleport(v) = (1 - d) / n + d * (mass of users without out-edges) / n`` (uniform
teleport), ``w(u, v)`` the attention weight and ``W(u)`` u's total out-weight. Each in-neighbour's
term is split by edge kind: the follow part ``follow_weight`` and the interaction part
``g(S)`` shared among interaction types in proportion to their (weighted, decayed) sums ``S_t``
(``g`` is concave, so this proportional split is the one that adds up exactly).

The stored influence is an approximate fixed point (its last L1 change is below ``tol``); the
explanation first polishes it with a few more power iterations to 1e-13, so the parts add up to
the reported ``influence`` to ~1e-15, and reports the stored value beside it.
"""

from __future__ import annotations

import difflib

import numpy as np
import scipy.sparse as sp

from graph_influence.algorithms.attention import CONCAVE_TRANSFORMS, attention_matrix
from graph_influence.algorithms.pagerank import pagerank
from graph_influence.errors import GraphInfluenceError, StoreNotReadyError
from graph_influence.stores import Store
from graph_influence.timeparse import parse_duration, parse_instant

__all__ = ["explain_user"]


def _run(store: Store, run_id: int | None):
    runs = store.runs()
    if not runs:
        raise StoreNotReadyError(f"no analysis in {store.url} yet — run: graph-influence analyze")
    if run_id is None:
        return runs[-1]
    for run in runs:
        if run.run_id == run_id:
            return run
    raise StoreNotReadyError(f"no run {run_id} in {store.url} — see graph-influence info")


def _by_topic(store, view, params, position, sources, kinds) -> dict[str, float]:
    """Split the interaction contributions by the topics their events are tagged with.

    For each in-neighbour u, the part of its interaction contribution that goes to topic t is
    ``tagged(u, v, t) / max(S(u, v), sum over topics of tagged)``, where ``S`` is the
    weighted, decayed sum of all u's events on v; what no topic tags is ``(untagged)``. Follow
    contributions carry no topic.
    """
    interaction = sum(kinds.values()) if kinds else np.zeros(len(sources))
    total_interactions = float(np.sum(interaction))
    if not params.get("topics", True) or total_interactions == 0:
        return {"(untagged)": total_interactions} if total_interactions else {}
    from graph_influence.topic_signals import extract_topic_signals

    signals = extract_topic_signals(
        store.topic_rows(), view, type_weights=params["type_weights"],
        min_users=int(params.get("min_topic_users", 3)),
        max_topics=int(params.get("max_topics", 100)),
    )
    mine = signals.tag_dst == position
    if not mine.any():
        return {"(untagged)": total_interactions}
    w_by_code = np.array([float(params["type_weights"].get(t, 1.0)) for t in view.type_names])
    into = (view.inter_dst == position) & (view.inter_src != position)
    s_all = np.zeros(len(sources))
    idx = np.searchsorted(sources, view.inter_src[into])
    np.add.at(s_all, idx, w_by_code[view.inter_type[into]] * view.inter_decayed[into])
    tagged = np.zeros((len(sources), signals.n_topics))
    t_idx = np.searchsorted(sources, signals.tag_src[mine])
    ok = (t_idx < len(sources)) & (sources[np.minimum(t_idx, len(sources) - 1)]
                                   == signals.tag_src[mine])
    np.add.at(tagged, (t_idx[ok], signals.tag_topic[mine][ok]), signals.tag_decayed[mine][ok])
    denominator = np.maximum(s_all, tagged.sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        fractions = np.where(denominator[:, None] > 0, tagged / denominator[:, None], 0.0)
    parts = (interaction[:, None] * fractions).sum(axis=0)
    out = {name: float(v) for name, v in zip(signals.names, parts, strict=True) if v > 0}
    out = dict(sorted(out.items(), key=lambda kv: -kv[1]))
    out["(untagged)"] = total_interactions - float(parts.sum())
    return out


def explain_user(
    store: Store, user: str, *, n: int = 10, run_id: int | None = None, topic: str | None = None
) -> dict:
    """Decompose one user's influence in a run into teleport and in-neighbour contributions.

    Parameters
    ----------
    store : Store
    user : str
        The user's id.
    n : int, optional
        Contributors to list (default 10).
    run_id : int, optional
        Default: the latest run.
    topic : str, optional
        Also report the user's score and rank on this topic (``topic``).

    Returns
    -------
    dict
        ``id``, ``influence`` (the polished fixed point), ``stored_influence``, ``teleport``,
        ``by_kind`` (edge kind -> contribution, same units as ``influence``), ``by_topic``
        (topic -> the part of the interaction contributions tagged with it, plus
        ``(untagged)``; sums to the interaction part of ``by_kind``), ``contributors``
        (id, their influence and score, kinds, contribution, share), ``score``, ``rank``,
        ``percentile``, ``community``, ``topic_scores`` (topic -> 0-100 score, where stored),
        ``topic`` (with ``topic=``) and ``run_id``. ``teleport + sum(by_kind)`` equals
        ``influence``.

    Raises
    ------
    StoreNotReadyError
        Unknown user (with the closest ids), no run, or the store changed since the run.
    """
    run = _run(store, run_id)
    params = run.params
    loads = store.loads()
    if run.created_at is not None and any(
        ld["finished_at"] is not None and ld["finished_at"] > run.created_at for ld in loads
    ):
        raise StoreNotReadyError(
            f"snapshots were loaded after run {run.run_id}, so its graph is gone — run "
            "graph-influence analyze again, then explain"
        )
    view = store.graph_view(as_of=parse_instant(params.get("as_of")),
                            half_life_seconds=parse_duration(params.get("half_life")))
    ids = view.ids
    position = int(np.searchsorted(ids, user))
    if position >= len(ids) or ids[position] != user:
        close = difflib.get_close_matches(user, [str(i) for i in ids[:200_000]], n=5,
                                          cutoff=0.6)
        hint = f" — did you mean: {', '.join(close)}?" if close else ""
        raise StoreNotReadyError(f"no user {user!r} in {store.url}{hint}")
    type_weights = params["type_weights"]
    concave = params.get("concave", "log1p")
    follow_weight = float(params.get("follow_weight", 1.0))
    damping = float(params["damping"])
    adjacency = attention_matrix(
        view.n_users, follow_src=view.follow_src, follow_dst=view.follow_dst,
        inter_src=view.inter_src, inter_dst=view.inter_dst, inter_type=view.inter_type,
        inter_decayed=view.inter_decayed, type_names=view.type_names,
        type_weights=type_weights, follow_weight=follow_weight, concave=concave,
    )
    stored = store.scores(run_id=run.run_id)
    start = stored.set_index("id")["influence"].reindex(ids).to_numpy(dtype=np.float64)
    if np.isnan(start).any():
        raise StoreNotReadyError(
            f"run {run.run_id} does not cover every user of the store — analyze again")
    polished = pagerank(adjacency, alpha=damping, nstart=start, tol=1e-13, max_iter=10_000)
    r = polished.scores
    nn = view.n_users
    out_weight = np.asarray(adjacency.sum(axis=1)).ravel()
    dangling = out_weight <= 0
    teleport = (1.0 - damping) / nn + damping * float(r[dangling].sum()) / nn

    # in-neighbours of v and the parts of each edge weight by kind
    col = sp.csc_array(adjacency[:, [position]]).tocoo()
    sources = col.row
    weights = col.data
    share = damping * r[sources] / out_weight[sources]
    contributions = share * weights
    order_src = np.argsort(sources, kind="stable")
    sources, weights = sources[order_src], weights[order_src]
    share, contributions = share[order_src], contributions[order_src]
    followers = view.follow_src[(view.follow_dst == position) & (view.follow_src != position)]
    follow_part = np.where(np.isin(sources, followers), follow_weight, 0.0)
    into = (view.inter_dst == position) & (view.inter_src != position)
    kinds: dict[str, np.ndarray] = {}
    if into.any():
        w_by_code = np.array([float(type_weights.get(t, 1.0)) for t in view.type_names])
        s_src = view.inter_src[into]
        s_val = w_by_code[view.inter_type[into]] * view.inter_decayed[into]
        s_type = view.inter_type[into]
        idx = np.searchsorted(sources, s_src)
        ok = (idx < len(sources)) & (sources[np.minimum(idx, len(sources) - 1)] == s_src)
        per_type = np.zeros((len(sources), len(view.type_names)))
        np.add.at(per_type, (idx[ok], s_type[ok]), s_val[ok])
        total = per_type.sum(axis=1)
        g_total = CONCAVE_TRANSFORMS[concave](total)
        with np.errstate(invalid="ignore", divide="ignore"):
            fractions = np.where(total[:, None] > 0, per_type / total[:, None], 0.0)
        for t, name in enumerate(view.type_names):
            part = share * g_total * fractions[:, t]
            if part.any():
                kinds[name] = part
    by_kind = {"follow": float((share * follow_part).sum())}
    by_kind.update({k: float(v.sum()) for k, v in kinds.items()})
    by_topic = _by_topic(store, view, params, position, sources, kinds)
    order = np.argsort(-contributions, kind="stable")[:n]
    score_of = dict(zip(stored["id"], stored["score"], strict=True))
    influence = float(r[position])
    contributors = []
    for i in order:
        u = int(sources[i])
        kind_list = (["follow"] if follow_part[i] else []) + [k for k, v in kinds.items() if v[i]]
        contributors.append({
            "id": str(ids[u]), "influence": float(r[u]), "score": float(score_of[ids[u]]),
            "kinds": kind_list, "contribution": float(contributions[i]),
            "share": float(contributions[i] / influence),
        })
    row = stored.loc[stored["id"] == user].iloc[0]
    percentile = float((stored["influence"] < row["influence"]).mean() * 100)
    community = None
    topic_scores: dict[str, float] = {}
    try:
        extras = store.user_extras(run_id=run.run_id).to_pandas()
        mine = extras.loc[extras["id"] == user]
        if len(mine):
            first = mine.iloc[0]
            if "community" in mine and not np.isnan(first["community"]):
                community = int(first["community"])
            topic_scores = {c.removeprefix("topic:"): float(first[c]) for c in mine.columns
                            if c.startswith("topic:") and not np.isnan(first[c])}
    except GraphInfluenceError:  # e.g. Neo4j keeps communities of the latest run only
        pass
    topic_info = None
    if topic is not None:
        from graph_influence.topic_signals import normalize_topic

        name = normalize_topic(topic)
        board = store.top_topic(name, 10**9, run_id=run.run_id)  # raises for unknown topics
        row_t = board.loc[board["id"] == user]
        topic_info = {"name": name, "score": float(row_t["score"].iloc[0]) if len(row_t)
                      else None, "rank": int(row_t["rank"].iloc[0]) if len(row_t) else None,
                      "topic_influence": float(row_t["topic_influence"].iloc[0])
                      if len(row_t) else None,
                      "by_topic_share": by_topic.get(name, 0.0) / influence}
    return {
        "id": user, "run_id": run.run_id, "influence": influence,
        "stored_influence": float(row["influence"]), "teleport": teleport,
        "by_kind": by_kind, "by_topic": by_topic, "contributors": contributors,
        "in_neighbours": len(sources), "score": float(row["score"]), "rank": int(row["rank"]),
        "percentile": percentile, "community": community, "topic_scores": topic_scores,
        "topic": topic_info,
    }


