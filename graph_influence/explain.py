"""Explain a user's influence exactly: where every part of it comes from.

This module reads the run, its graph and its stored scores from the store, hands them to the
pure decomposition in :mod:`graph_influence.algorithms.explain` and formats the result.
PageRank's fixed point decomposes exactly::

    influence(v) = teleport(v) + sum over in-neighbours u of  d * influence(u) * w(u, v) / W(u)

with ``teleport(v) = ((1 - d) + d * (mass that restarts)) * t(v)``, ``t`` the run's restart
distribution (trust or uniform), ``w(u, v)`` the attention weight and ``W(u)`` u's total
out-weight including what lies on no edge (the ground weight and faded attention, whose
share of u's influence restarts; see :mod:`graph_influence.walk`). Each in-neighbour's
term is split by edge kind: the follow part ``follow_weight`` and the interaction part
``g(S)`` shared among interaction types in proportion to their (weighted, decayed) sums ``S_t``
(``g`` is concave, so this proportional split is the one that adds up exactly).

The stored influence is an approximate fixed point (its last L1 change is below ``tol``); the
explanation first polishes it with a few more power iterations to 1e-13, so the parts add up to
the reported ``influence`` to ~1e-15, and reports the stored value beside it.

A run older than the latest load is explained on its own graph: the store's rows of the loads
that were complete when the run was written (:meth:`Store.loads_of_run`), so later loads change
nothing (user attributes aside: a later load's names and topics replace earlier ones).
"""

from __future__ import annotations

import difflib

import numpy as np

from graph_influence.algorithms.explain import (
    InfluenceDecomposition,
    decompose_influence,
    polish_pagerank,
    split_by_topic,
)
from graph_influence.errors import GraphInfluenceError, StoreNotReadyError
from graph_influence.params import AnalysisParams
from graph_influence.stores import Store
from graph_influence.walk import walk_of

__all__ = ["explain_user"]


# -- reading the store ------------------------------------------------------------------------
def _user_extras(store: Store, run_id: int, user: str) -> tuple[int | None, dict[str, float]]:
    """The user's community and stored topic scores, where the store keeps them."""
    community = None
    topic_scores: dict[str, float] = {}
    if not store.has_run_results(run_id):  # the store keeps these of its latest run only
        return community, topic_scores
    import pyarrow.compute as pc

    # this user's rows only: the whole user_extras table (users x topics) costs seconds at 1M
    members = store.membership_table(run_id=run_id)
    mine = members.filter(pc.equal(members["id"], user))
    if mine.num_rows and mine["community"][0].is_valid:
        community = int(mine["community"][0].as_py())
    scores = store.topic_scores_table(run_id=run_id)
    mine = scores.filter(pc.equal(scores["id"], user))
    by_name = dict(zip(mine["name"].to_pylist(), mine["score"].to_pylist(), strict=True))
    topic_scores = {name: float(by_name[name]) for name in store.topic_names(run_id=run_id)
                    if by_name.get(name) is not None}
    return community, topic_scores


def _loads_of(store: Store, run) -> list[str] | None:
    """The loads of the run's graph when later loads changed the store, else None (all)."""
    if not store.loads_after_run(run.run_id):
        return None
    return store.loads_of_run(run.run_id)


def _position(store: Store, ids: np.ndarray, user: str) -> int:
    position = int(np.searchsorted(ids, user))
    if position >= len(ids) or ids[position] != user:
        close = difflib.get_close_matches(user, [str(i) for i in ids[:200_000]], n=5,
                                          cutoff=0.6)
        hint = f" — did you mean: {', '.join(close)}?" if close else ""
        raise StoreNotReadyError(f"no user {user!r} in {store.url}{hint}")
    return position


# -- formatting ---------------------------------------------------------------------------------
def _by_kind(dec: InfluenceDecomposition, type_names: list[str]) -> dict[str, float]:
    """``follow`` first, then each interaction type that contributes, in type order."""
    out = {"follow": float(dec.follow.sum())}
    out.update({name: float(dec.by_type[:, t].sum()) for t, name in enumerate(type_names)
                if dec.by_type[:, t].any()})
    return out


def _by_topic(store, view, params: AnalysisParams, dec: InfluenceDecomposition,
              loads: list[str] | None) -> dict[str, float]:
    """Topic -> the part of the interaction contributions tagged with it, plus ``(untagged)``."""
    total_interactions = float(np.sum(dec.interaction))
    if not params.topics or total_interactions == 0:
        return {"(untagged)": total_interactions} if total_interactions else {}
    from graph_influence.topic_signals import extract_topic_signals

    signals = extract_topic_signals(
        store.topic_rows(load_ids=loads), view, type_weights=params.type_weights,
        min_users=params.min_topic_users, max_topics=params.max_topics,
    )
    parts = split_by_topic(dec, tag_src=signals.tag_src, tag_dst=signals.tag_dst,
                           tag_topic=signals.tag_topic, tag_decayed=signals.tag_decayed,
                           n_topics=signals.n_topics)
    out = {name: float(v) for name, v in zip(signals.names, parts, strict=True) if v > 0}
    out = dict(sorted(out.items(), key=lambda kv: -kv[1]))
    out["(untagged)"] = total_interactions - float(parts.sum())
    return out


def _contributors(dec: InfluenceDecomposition, r: np.ndarray, ids: np.ndarray, score_of: dict,
                  type_names: list[str], n: int) -> list[dict]:
    order = np.argsort(-dec.contributions, kind="stable")[:n]
    active = [(t, name) for t, name in enumerate(type_names) if dec.by_type[:, t].any()]
    out = []
    for i in order:
        u = int(dec.sources[i])
        kinds = (["follow"] if dec.follow_weights[i] else []) + [
            name for t, name in active if dec.by_type[i, t]]
        out.append({
            "id": str(ids[u]), "influence": float(r[u]), "score": float(score_of[ids[u]]),
            "kinds": kinds, "contribution": float(dec.contributions[i]),
            "share": float(dec.contributions[i] / dec.influence),
        })
    return out


def _topic_standing(store: Store, run_id: int, user: str, topic: str,
                    by_topic: dict[str, float], influence: float) -> dict:
    from graph_influence.topic_signals import normalize_topic

    name = normalize_topic(topic)
    board = store.top_topic(name, 10**9, run_id=run_id)  # raises for unknown topics
    row_t = board.loc[board["id"] == user]
    found = len(row_t) > 0
    return {"name": name, "score": float(row_t["score"].iloc[0]) if found else None,
            "rank": int(row_t["rank"].iloc[0]) if found else None,
            "topic_influence": float(row_t["topic_influence"].iloc[0]) if found else None,
            "by_topic_share": by_topic.get(name, 0.0) / influence}


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
        ``influence``. ``teleport_kind`` is the run's restart distribution (``trust`` or
        ``uniform``): with ``trust``, the teleport part grows with the user's distinct
        engagers who were not engaged back.

    Raises
    ------
    StoreNotReadyError
        Unknown user (with the closest ids), or no run.
    GraphInfluenceError
        The run is personalised (``analyze --seed-users``): its seed set is not stored, so
        its teleport cannot be rebuilt.
    """
    run = store.run(run_id)
    seeds = run.extras.get("personalization")
    if seeds:  # the run keeps a digest of its seed set, not the set its teleport went to
        source = f" from {seeds['source']}" if seeds.get("source") else ""
        raise GraphInfluenceError(
            f"run {run.run_id} is personalised (teleport to {seeds['n_seeds']:,} seed "
            f"users{source}); explain decomposes runs with the uniform teleport only — "
            "explain another run (--run ID), or analyze again without --seed-users")
    loads = _loads_of(store, run)  # the graph as of the run, whatever was loaded since
    params = AnalysisParams.from_record(run.params)  # the run's own parameters
    view = store.graph_view(as_of=params.as_of_time, half_life_seconds=params.half_life_seconds,
                            load_ids=loads)
    ids = view.ids
    position = _position(store, ids, user)
    graph = view.attention_arguments(type_weights=params.type_weights,
                                     follow_weight=params.follow_weight,
                                     concave=params.concave)
    walk = walk_of(view, params)
    adjacency = walk.adjacency
    stored = store.scores(run_id=run.run_id)
    start = stored.set_index("id")["influence"].reindex(ids).to_numpy(dtype=np.float64)
    if np.isnan(start).any():
        raise StoreNotReadyError(
            f"run {run.run_id} does not cover every user of its graph — analyze again")

    damping = params.damping
    r = polish_pagerank(adjacency, start, alpha=damping, tol=1e-13, max_iter=10_000,
                        **walk.pagerank_arguments()).scores
    dec = decompose_influence(adjacency, r, position, alpha=damping, **graph,
                              **walk.pagerank_arguments())

    by_kind = _by_kind(dec, view.type_names)
    by_topic = _by_topic(store, view, params, dec, loads)
    score_of = dict(zip(stored["id"], stored["score"], strict=True))
    contributors = _contributors(dec, r, ids, score_of, view.type_names, n)
    row = stored.loc[stored["id"] == user].iloc[0]
    percentile = float((stored["influence"] < row["influence"]).mean() * 100)
    community, topic_scores = _user_extras(store, run.run_id, user)
    topic_info = None if topic is None else _topic_standing(
        store, run.run_id, user, topic, by_topic, dec.influence)
    return {
        "id": user, "run_id": run.run_id, "influence": dec.influence,
        "stored_influence": float(row["influence"]), "teleport": dec.teleport,
        "teleport_kind": params.teleport,
        "by_kind": by_kind, "by_topic": by_topic, "contributors": contributors,
        "in_neighbours": len(dec.sources), "score": float(row["score"]), "rank": int(row["rank"]),
        "percentile": percentile, "community": community, "topic_scores": topic_scores,
        "topic": topic_info,
    }
