"""Deterministic synthetic network-snapshot generator.

Writes a snapshot directory in the input contract of ``graph-influence`` (the
snapshot schema of the design notes, section 3) with four tables:

``users``
    ``id,name,topics`` (``topics`` is ``;``-separated and may be empty).
``follows``
    ``src,dst``: ``src`` follows (gives attention to) ``dst``.
``interactions``
    ``src,dst,type,ts,post_id,topics``.
``posts``
    ``id,author,ts,text,topics`` (``text`` carries ``#hashtags``).

The network has planted structure, so that influence and community algorithms
have something to find:

* every user belongs to one hidden *community*; most follows and interactions
  stay inside it;
* every user has a hidden *popularity* drawn from a Pareto law, and edges are
  aimed at users in proportion to it, which gives a power-law in-degree with a
  few clearly popular accounts per community;
* every user has a hidden *activity* (log-normal) that sets how many edges
  they start;
* every community has a few favourite topics, which drive the users' interests,
  the posts' hashtags and the interactions' topics.

Everything is vectorised with numpy and pyarrow (loops run per round of
de-duplication, never per edge or per user), so ten million edges take
seconds. The same arguments give byte-identical files.

Use it as a library (:func:`generate_snapshot`) or from the command line::

    python bench/synth.py OUT_DIR --edges 1000000 [--seed 0] [--format csv|parquet] [--names]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["TOPIC_POOL", "INTERACTION_TYPES", "generate_snapshot", "topic_names", "main"]

#: Realistic-ish topic names; ``topic{i}`` names follow when more are asked for.
TOPIC_POOL: tuple[str, ...] = tuple(
    (
        "python climate football ai music politics crypto gaming fashion food travel fitness "
        "movies science startups photography books basketball health art space economics "
        "education design javascript rust datascience privacy energy cycling tennis cricket "
        "anime podcasts marketing history parenting gardening coffee wine running chess "
        "cooking architecture linux opensource jazz poetry formula1 esports vegan hiking "
        "robotics biology physics mentalhealth journalism realestate cats dogs"
    ).split()
)

#: Interaction types and their default share of all interactions.
INTERACTION_TYPES: tuple[tuple[str, float], ...] = (
    ("like", 0.40),
    ("retweet", 0.25),
    ("reply", 0.15),
    ("mention", 0.15),
    ("quote", 0.05),
)

_TABLES = ("users", "follows", "interactions", "posts")
_SNAPSHOT_EXTS = (".csv", ".csv.gz", ".parquet", ".jsonl")

# Planted-structure knobs (kept fixed so that the parameter surface stays small).
_POPULARITY_PARETO_A = 1.3  # in-degree tail exponent ~ 1 + a
_ACTIVITY_SIGMA = 1.0  # log-normal spread of out-degree
_FOLLOW_IN_COMMUNITY = 0.85
_INTERACTION_IN_COMMUNITY = 0.80
_INTERACTION_ON_FOLLOW = 0.5  # share of interactions that reuse an existing follow pair
_POSTS_PER_INTERACTION = 0.5
_MAX_DENSITY = 0.5  # refuse follow graphs denser than this share of all ordered pairs
_CHUNK_ROWS = 1 << 20  # rows per written chunk (and per Parquet row group)

# Words for the post texts (no commas, quotes or newlines: CSV is written unquoted).
_PHRASES: tuple[str, ...] = (
    "Great thread on",
    "New post about",
    "Loving the latest in",
    "Hot take on",
    "Can't stop thinking about",
    "Weekly roundup:",
    "Quick thoughts on",
    "Big news in",
    "Reading up on",
    "My favourite things in",
    "Unpopular opinion about",
    "Live now: talking",
    "Three lessons from",
    "Just published a piece on",
    "What I learned about",
    "Asking experts about",
    "Deep dive into",
    "Myths and facts about",
    "Podcast episode on",
    "Starter guide to",
    "Behind the scenes of",
    "The future of",
    "Five links on",
    "Open question about",
)
_TAILS: tuple[str, ...] = (
    "today",
    "this week",
    "- thoughts?",
    "(thread)",
    "via a friend",
    "more soon",
    "!",
    "...",
)
_SYLLABLES: tuple[str, ...] = tuple(
    (
        "ka lo mi ra ne to shi ven dor li sa mar ta ri el an jo zen bel cor da "
        "fi gra ha is ju kel lu mo nor pa qui ros sol tin ul vi wes xa yo zu ber"
    ).split()
)


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def topic_names(n_topics: int) -> list[str]:
    """Return the topic vocabulary of a snapshot.

    Parameters
    ----------
    n_topics : int
        Number of topics. The first ones come from :data:`TOPIC_POOL`, then
        ``topic{i}`` (1-based) fills up.

    Returns
    -------
    list of str
        ``n_topics`` distinct, hashtag-safe names.
    """
    pool = list(TOPIC_POOL[:n_topics])
    pool += [f"topic{i + 1}" for i in range(len(pool), n_topics)]
    return pool


def _parse_start(start: str) -> int:
    """Parse an ISO-8601 instant (``Z`` or offset; naive means UTC) to epoch seconds."""
    text = start.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _stable_order(keys: np.ndarray, max_key: int) -> np.ndarray:
    """``argsort(keys, kind="stable")`` for non-negative integer keys ``<= max_key``.

    Packs ``key`` and row number into one int64 and sorts values, which numpy
    does several times faster than a stable argsort; falls back when the two do
    not fit in 63 bits.
    """
    n = keys.size
    row_bits = max(1, int(n - 1).bit_length())
    if int(max_key).bit_length() + row_bits > 63:
        return np.argsort(keys, kind="stable")
    packed = (keys.astype(np.int64) << row_bits) | np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << row_bits) - 1
    return packed


def _search(cum: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``searchsorted(cum, target, side="right")``, done in ascending target order.

    Random look-ups into a large ``cum`` miss the cache at every bisection step;
    visiting the targets in (approximately) ascending order walks ``cum`` once.
    The result, scattered back, equals the plain call exactly.
    """
    if target.size < 4096:
        return np.searchsorted(cum, target, side="right")
    top = float(cum[-1]) if cum.size else 1.0
    scale = float(1 << 24) / max(top, 1e-300)
    coarse = np.clip(target * scale, 0, (1 << 24) - 1).astype(np.int64)  # order only
    order = _stable_order(coarse, (1 << 24) - 1)
    idx = np.empty(target.size, dtype=np.int64)
    idx[order] = np.searchsorted(cum, target[order], side="right")
    return idx


class _GroupedSampler:
    """Weighted sampling of items, either within a given group or from all items.

    Items are sorted by group; each group's cumulative weights are normalised to
    ``[g, g + 1]`` in one flat array, so that a draw inside group ``g`` is a single
    ``searchsorted`` of ``g + u`` (vectorised over any number of draws).

    Parameters
    ----------
    group : numpy.ndarray
        Group id (``0..n_groups-1``) of each item; every group must be non-empty.
    weight : numpy.ndarray
        Positive weight of each item.
    n_groups : int
        Number of groups.
    """

    def __init__(self, group: np.ndarray, weight: np.ndarray, n_groups: int) -> None:
        order = np.argsort(group, kind="stable")
        sorted_group = group[order]
        sorted_weight = weight[order].astype(np.float64)
        cum = np.cumsum(sorted_weight)
        starts = np.searchsorted(sorted_group, np.arange(n_groups), side="left")
        ends = np.searchsorted(sorted_group, np.arange(n_groups), side="right")
        if np.any(ends <= starts):
            raise ValueError("every group needs at least one item")
        before = np.concatenate(([0.0], cum))[starts]
        total = cum[ends - 1] - before
        local = (cum - before[sorted_group]) / total[sorted_group]
        local[ends - 1] = 1.0
        self._flat = sorted_group + local
        self._order = order
        self._ends = ends
        self._global_cum = np.cumsum(weight.astype(np.float64))
        self.n_items = weight.size

    def within(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        """Draw one item per entry of ``groups``, inside that group, by weight."""
        target = groups + rng.random(groups.size)
        idx = _search(self._flat, target)
        idx = np.minimum(idx, self._ends[groups] - 1)  # guards g + u rounding up to g + 1
        return self._order[idx]

    def anywhere(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` items from all items, by weight."""
        target = rng.random(size) * self._global_cum[-1]
        idx = _search(self._global_cum, target)
        return np.minimum(idx, self.n_items - 1)


def _join_tokens(tokens: np.ndarray, vocab: pa.Array, sep: str) -> pa.Array:
    """Join per-row token ids (``-1`` = absent) into strings, vectorised.

    Parameters
    ----------
    tokens : numpy.ndarray
        ``(n_rows, n_slots)`` integer indices into ``vocab``; ``-1`` skips a slot.
    vocab : pyarrow.Array
        String vocabulary.
    sep : str
        Separator between present tokens.

    Returns
    -------
    pyarrow.Array
        ``n_rows`` strings; rows without tokens are null.
    """
    present = tokens >= 0
    counts = present.sum(axis=1)
    offsets = np.zeros(tokens.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    values = vocab.take(pa.array(tokens[present]))
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), values)
    joined = pc.binary_join(lists, sep)
    return pc.if_else(pa.array(counts > 0), joined, pa.nulls(len(joined), pa.string()))


def _prefixed_ids(prefix: str, n: int) -> pa.Array:
    """``prefix0 .. prefix{n-1}`` as a pyarrow string array."""
    digits = pc.cast(pa.array(np.arange(n, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, digits, "")


def _diurnal_ts(rng: np.random.Generator, size: int, start: int, days: int) -> np.ndarray:
    """Epoch seconds in ``[start, start + days*86400)`` with a daily activity cycle (UTC)."""
    hours = np.arange(24)
    profile = 1.0 + 0.7 * np.cos(2.0 * np.pi * (hours - 20) / 24.0)  # peak 20:00, low 08:00
    day = rng.integers(0, days, size=size)
    hour = rng.choice(24, size=size, p=profile / profile.sum())
    sec = rng.integers(0, 3600, size=size)
    return start + day * 86400 + hour * 3600 + sec


# ---------------------------------------------------------------------------------------------
# the planted structure
# ---------------------------------------------------------------------------------------------


def _plant_users(
    rng: np.random.Generator, n_users: int, n_communities: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Community (>= 2 members each), Pareto popularity and log-normal activity per user."""
    shares = rng.dirichlet(np.full(n_communities, 3.0))
    sizes = 2 + rng.multinomial(n_users - 2 * n_communities, shares)
    community = rng.permutation(np.repeat(np.arange(n_communities), sizes))
    popularity = rng.pareto(_POPULARITY_PARETO_A, size=n_users) + 1.0
    activity = rng.lognormal(0.0, _ACTIVITY_SIGMA, size=n_users)
    return community, popularity, activity


class _TopicPlan:
    """Each community's favourite topics (3-5 of them, popular topics more often).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n_topics : int
        Vocabulary size.
    n_communities : int
        Number of communities.
    """

    def __init__(self, rng: np.random.Generator, n_topics: int, n_communities: int) -> None:
        global_pop = 1.0 / np.arange(1, n_topics + 1) ** 0.8  # Zipf-like topic popularity
        global_pop = global_pop[rng.permutation(n_topics)]
        self.global_pop = global_pop / global_pop.sum()
        comm_of_slot: list[np.ndarray] = []
        topic_of_slot: list[np.ndarray] = []
        weight_of_slot: list[np.ndarray] = []
        for c in range(n_communities):  # a loop per community is cheap
            k = int(min(n_topics, rng.integers(3, 6)))
            favourites = rng.choice(n_topics, size=k, replace=False, p=self.global_pop)
            comm_of_slot.append(np.full(k, c))
            topic_of_slot.append(favourites.astype(np.int32))
            weight_of_slot.append(np.sort(rng.dirichlet(np.full(k, 1.5)))[::-1])
        self.slot_topic = np.concatenate(topic_of_slot)
        self._sampler = _GroupedSampler(
            np.concatenate(comm_of_slot), np.concatenate(weight_of_slot), n_communities
        )

    def draw(
        self, rng: np.random.Generator, communities: np.ndarray, p_community: float
    ) -> np.ndarray:
        """One topic id per entry: its community's mix with ``p_community``, else any topic."""
        topics = self.slot_topic[self._sampler.within(rng, communities)]
        stray = rng.random(communities.size) >= p_community
        topics[stray] = rng.choice(self.global_pop.size, size=int(stray.sum()), p=self.global_pop)
        return topics


def _user_interests(
    rng: np.random.Generator, community: np.ndarray, topics: _TopicPlan
) -> np.ndarray:
    """0-3 distinct interests per user from the community's mix, as ``(n, 3)`` ids (-1 = none)."""
    n_users = community.size
    n_interests = rng.choice(4, size=n_users, p=[0.2, 0.35, 0.3, 0.15])
    interests = np.stack([topics.draw(rng, community, 0.9) for _ in range(3)], axis=1)
    interests[:, 1] = np.where(interests[:, 1] == interests[:, 0], -1, interests[:, 1])
    dup2 = (interests[:, 2] == interests[:, 0]) | (interests[:, 2] == interests[:, 1])
    interests[:, 2] = np.where(dup2, -1, interests[:, 2])
    interests[np.arange(3)[None, :] >= n_interests[:, None]] = -1
    return interests


def _sorted_union(sorted_keys: np.ndarray, new_keys: np.ndarray) -> np.ndarray:
    """Sorted distinct union of a sorted distinct array and any array (sort-based).

    ``np.union1d`` goes through a hash table in numpy >= 2.3, many times slower
    here than sorting (the concatenation of two sorted runs sorts in linear time).
    """
    merged = np.concatenate((sorted_keys, np.sort(new_keys)))
    merged.sort(kind="stable")
    keep = np.ones(merged.size, dtype=bool)
    np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    return merged[keep]


def _sample_follows(
    rng: np.random.Generator,
    n_follows: int,
    community: np.ndarray,
    pop_sampler: _GroupedSampler,
    act_sampler: _GroupedSampler,
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct, loop-free ``(src, dst)`` pairs, sorted by ``(src, dst)``.

    Draws in rounds: each round over-samples the remaining deficit by the last
    round's yield and merges by unique pair key. Later rounds fall back to
    uniformly drawn targets, so that saturated small communities cannot stall.
    """
    n_users = community.size
    keys = np.empty(0, dtype=np.int64)
    yield_rate = 1.0
    for round_no in range(200):
        deficit = n_follows - keys.size
        if deficit <= 0:
            break
        m = int(deficit / yield_rate * 1.05) + 16
        src = act_sampler.anywhere(rng, m)
        if round_no < 8:
            inside = rng.random(m) < _FOLLOW_IN_COMMUNITY
            dst = np.empty(m, dtype=np.int64)
            dst[inside] = pop_sampler.within(rng, community[src[inside]])
            dst[~inside] = pop_sampler.anywhere(rng, int((~inside).sum()))
        else:
            dst = rng.integers(0, n_users, size=m)
        ok = src != dst
        merged = _sorted_union(keys, src[ok].astype(np.int64) * n_users + dst[ok])
        yield_rate = max((merged.size - keys.size) / m, 0.02)
        keys = merged
    else:  # pragma: no cover - guarded by the density check
        raise RuntimeError("could not draw enough distinct follow pairs")
    if keys.size > n_follows:
        drop = rng.choice(keys.size, size=keys.size - n_follows, replace=False)
        keys = np.delete(keys, drop)
    return (keys // n_users).astype(np.int32), (keys % n_users).astype(np.int32)


def _sample_interaction_pairs(
    rng: np.random.Generator,
    n_interactions: int,
    community: np.ndarray,
    follow_src: np.ndarray,
    follow_dst: np.ndarray,
    pop_sampler: _GroupedSampler,
    act_sampler: _GroupedSampler,
) -> tuple[np.ndarray, np.ndarray]:
    """Loop-free ``(src, dst)`` pairs; repeats allowed; half reuse a follow pair."""
    n_on_follow = int(round(n_interactions * _INTERACTION_ON_FOLLOW)) if follow_src.size else 0
    pick = rng.integers(0, max(follow_src.size, 1), size=n_on_follow)
    srcs = [follow_src[pick]]
    dsts = [follow_dst[pick]]
    deficit = n_interactions - n_on_follow
    while deficit > 0:  # a few rounds at most: only self-loops are redrawn
        m = deficit + deficit // 8 + 16
        src = act_sampler.anywhere(rng, m)
        inside = rng.random(m) < _INTERACTION_IN_COMMUNITY
        dst = np.empty(m, dtype=np.int64)
        dst[inside] = pop_sampler.within(rng, community[src[inside]])
        dst[~inside] = pop_sampler.anywhere(rng, int((~inside).sum()))
        ok = np.flatnonzero(src != dst)[:deficit]
        srcs.append(src[ok])
        dsts.append(dst[ok])
        deficit -= ok.size
    return np.concatenate(srcs).astype(np.int32), np.concatenate(dsts).astype(np.int32)


def _make_handles(rng: np.random.Generator, n_users: int) -> tuple[pa.Array, pa.Array]:
    """Unique human-looking handles and display names, vectorised.

    Handles take one of four patterns (``lunarex``, ``luna_rex``, ``lunarex42``,
    ``rexluna``); repeats after the first get ``_<row>`` appended, which no
    base pattern can produce, so all handles are distinct.
    """
    syl = pa.array(list(_SYLLABLES))
    n_syl = len(_SYLLABLES)

    def word(n_parts: np.ndarray) -> pa.Array:
        parts = rng.integers(0, n_syl, size=(n_users, 3))
        parts[:, 2] = np.where(n_parts >= 3, parts[:, 2], -1)
        return _join_tokens(parts, syl, "")

    first = word(rng.choice([2, 3], size=n_users, p=[0.8, 0.2]))
    last = word(rng.choice([2, 3], size=n_users, p=[0.6, 0.4]))
    digits = pc.cast(pa.array(rng.integers(10, 100, size=n_users)), pa.string())
    pattern = pa.array(rng.choice(4, size=n_users, p=[0.4, 0.2, 0.3, 0.1]).astype(np.int8))
    handle = pc.choose(
        pattern,
        pc.binary_join_element_wise(first, last, ""),
        pc.binary_join_element_wise(first, last, "_"),
        pc.binary_join_element_wise(first, last, digits, ""),
        pc.binary_join_element_wise(last, first, ""),
    )
    codes = pc.dictionary_encode(handle).indices.to_numpy()
    _, first_seen = np.unique(codes, return_index=True)
    repeat = np.ones(n_users, dtype=bool)
    repeat[first_seen] = False
    rows = pc.cast(pa.array(np.arange(n_users, dtype=np.int64)), pa.string())
    suffixed = pc.binary_join_element_wise(handle, rows, "_")
    handle = pc.if_else(pa.array(repeat), suffixed, handle)
    display = pc.binary_join_element_wise(pc.utf8_capitalize(first), pc.utf8_capitalize(last), " ")
    return handle, display


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------


def _write_table(path: Path, fmt: str, n_rows: int, make: Callable[[int, int], pa.Table]) -> None:
    """Write a table chunk by chunk, as unquoted CSV (plain header) or zstd Parquet.

    Parameters
    ----------
    path : pathlib.Path
        File to write.
    fmt : {"csv", "parquet"}
        File format.
    n_rows : int
        Number of rows.
    make : callable
        ``make(lo, hi)`` builds rows ``lo:hi`` as a table; called for
        consecutive chunks of ``_CHUNK_ROWS`` rows (once, empty, for no rows),
        so that only one chunk of strings is in memory at a time.
    """
    bounds = list(range(0, n_rows, _CHUNK_ROWS)) or [0]
    chunks = (make(lo, min(lo + _CHUNK_ROWS, n_rows)) for lo in bounds)
    if fmt == "parquet":
        first = next(chunks)
        with pq.ParquetWriter(path, first.schema, compression="zstd") as writer:
            writer.write_table(first)
            for chunk in chunks:
                writer.write_table(chunk)
        return
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with open(path, "wb") as sink:
        for number, chunk in enumerate(chunks):
            if number == 0:
                sink.write((",".join(chunk.column_names) + "\n").encode())
            pacsv.write_csv(chunk, sink, write_options=options)


def _ts_column(ts: np.ndarray, ts_format: str) -> pa.Array:
    """Epoch seconds as int64, or ISO-8601 UTC strings (``2024-01-01T00:00:00Z``)."""
    if ts_format == "epoch":
        return pa.array(ts.astype(np.int64))
    text = np.datetime_as_string(ts.astype("datetime64[s]"), unit="s", timezone="UTC")
    return pa.array(text.astype(object), type=pa.string())


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------


def generate_snapshot(
    out_dir: str | os.PathLike[str],
    *,
    n_edges: int,
    n_users: int | None = None,
    n_communities: int | None = None,
    n_topics: int = 50,
    follow_share: float = 0.5,
    seed: int = 0,
    start: str = "2024-01-01T00:00:00Z",
    days: int = 30,
    fmt: str = "csv",
    names: bool = False,
    ts_format: str = "epoch",
    truth_path: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Generate a synthetic network snapshot with planted structure.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Snapshot directory to write (created if missing). Files of the same
        format are overwritten; a table already present in another format is an
        error, so that a snapshot never holds two versions of one table.
    n_edges : int
        Follows plus interactions, exactly.
    n_users : int, optional
        Number of users; default ``max(10, round(n_edges / 10))``.
    n_communities : int, optional
        Number of planted communities; default
        ``max(4, round(n_users ** 0.5 / 4))`` (fewer when users are too few for
        two members per community).
    n_topics : int, default 50
        Size of the topic vocabulary (see :func:`topic_names`).
    follow_share : float, default 0.5
        Share of ``n_edges`` that are follows; the rest are interactions.
    seed : int, default 0
        Seed for :func:`numpy.random.default_rng`; the same arguments give
        byte-identical files.
    start : str, default "2024-01-01T00:00:00Z"
        Start of the time window (ISO-8601; naive means UTC).
    days : int, default 30
        Length of the time window in days; all timestamps fall inside it.
    fmt : {"csv", "parquet"}, default "csv"
        File format. CSV is written unquoted (no generated value needs quoting).
    names : bool, default False
        Human-looking, unique handles (``lunarex42``) as user ids and display
        names (``Luna Rex``) as ``name``, instead of ``u123`` / ``User 123``.
    ts_format : {"epoch", "iso"}, default "epoch"
        Timestamps as integer epoch seconds or ISO-8601 UTC strings.
    truth_path : str or os.PathLike, optional
        Where to write the hidden planted structure as CSV
        (``id,community,popularity,activity``), for tests and benchmarks. Kept
        outside the snapshot on purpose. Does not change the snapshot.

    Returns
    -------
    dict
        ``{"rows": {table: row count}, "files": {table: path}, "params": {...}}``
        where ``params`` holds every argument with defaults resolved.

    Raises
    ------
    ValueError
        On out-of-range arguments, or a follow graph denser than half of all
        ordered pairs.
    FileExistsError
        If ``out_dir`` already holds one of the tables in another format.

    Notes
    -----
    Edge direction is attention: ``src`` follows or acts on ``dst``. Post-type
    interactions (like, retweet, reply, quote) reference a post of ``dst`` and
    happen after it; mentions have no ``post_id``. Posts are not edges: there
    are about half as many as interactions, plus one for every user whose posts
    are interacted with and who drew none. Rows of ``follows`` are sorted by
    ``(src, dst)`` in generation order of users; ``posts`` and ``interactions``
    by time.

    Examples
    --------
    >>> info = generate_snapshot("/tmp/snap", n_edges=6000, n_users=400, seed=42)
    >>> info["rows"]["follows"], info["rows"]["interactions"]
    (3000, 3000)
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if ts_format not in ("epoch", "iso"):
        raise ValueError(f"ts_format must be 'epoch' or 'iso', not {ts_format!r}")
    if n_edges < 0:
        raise ValueError("n_edges must be >= 0")
    if not 0.0 <= follow_share <= 1.0:
        raise ValueError("follow_share must be within [0, 1]")
    if n_topics < 1:
        raise ValueError("n_topics must be >= 1")
    if days < 1:
        raise ValueError("days must be >= 1")
    if n_users is None:
        n_users = max(10, int(round(n_edges / 10)))
    if n_users < 2:
        raise ValueError("n_users must be >= 2")
    if n_communities is None:
        n_communities = min(max(4, int(round(n_users**0.5 / 4))), n_users // 2)
    if not 1 <= n_communities <= n_users // 2:
        raise ValueError("n_communities must be within [1, n_users // 2] (two members each)")
    n_follows = int(round(n_edges * follow_share))
    n_interactions = n_edges - n_follows
    if n_users >= 2**31 or n_edges >= 2**31:
        raise ValueError("n_users and n_edges must be below 2**31")
    if n_follows > _MAX_DENSITY * n_users * (n_users - 1):
        raise ValueError(
            f"{n_follows} distinct follows among {n_users} users is too dense; "
            "raise n_users or lower follow_share"
        )
    start_s = _parse_start(start)
    end_s = start_s + days * 86400

    out = Path(out_dir)
    ext = ".parquet" if fmt == "parquet" else ".csv"
    for table in _TABLES:
        for other in _SNAPSHOT_EXTS:
            if other != ext and (out / f"{table}{other}").exists():
                raise FileExistsError(
                    f"{out / (table + other)} exists; write {fmt} into an empty directory"
                )

    rng = np.random.default_rng(seed)
    vocab = topic_names(n_topics)
    vocab_arr = pa.array(vocab)

    # The tables are written one at a time (users, follows, posts, interactions),
    # each in chunks of rows, and their arrays dropped once written, to bound memory.
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    files: dict[str, str] = {}

    def emit(name: str, n_rows: int, make: Callable[[int, int], pa.Table]) -> None:
        path = out / f"{name}{ext}"
        _write_table(path, fmt, n_rows, make)
        rows[name] = n_rows
        files[name] = str(path)

    # users, communities, topics -----------------------------------------------------------
    community, popularity, activity = _plant_users(rng, n_users, n_communities)
    pop_sampler = _GroupedSampler(community, popularity, n_communities)
    act_sampler = _GroupedSampler(community, activity, n_communities)
    topics = _TopicPlan(rng, n_topics, n_communities)
    if names:
        user_ids, user_names = _make_handles(rng, n_users)
    else:
        user_ids = _prefixed_ids("u", n_users)
        user_names = _prefixed_ids("User ", n_users)
    interests = _user_interests(rng, community, topics)
    emit(
        "users",
        n_users,
        lambda lo, hi, names=user_names, interests=interests: pa.table(
            {
                "id": user_ids.slice(lo, hi - lo),
                "name": names.slice(lo, hi - lo),
                "topics": _join_tokens(interests[lo:hi], vocab_arr, ";"),
            }
        ),
    )
    del interests, user_names

    # follows ---------------------------------------------------------------------------------
    f_src, f_dst = _sample_follows(rng, n_follows, community, pop_sampler, act_sampler)
    emit(
        "follows",
        n_follows,
        lambda lo, hi, src=f_src, dst=f_dst: pa.table(
            {"src": user_ids.take(src[lo:hi]), "dst": user_ids.take(dst[lo:hi])}
        ),
    )

    # interactions: pairs and types -------------------------------------------------------------
    i_src, i_dst = _sample_interaction_pairs(
        rng, n_interactions, community, f_src, f_dst, pop_sampler, act_sampler
    )
    del f_src, f_dst
    type_names = [t for t, _ in INTERACTION_TYPES]
    type_p = np.array([p for _, p in INTERACTION_TYPES])
    i_type = rng.choice(len(type_names), size=n_interactions, p=type_p / type_p.sum())
    i_type = i_type.astype(np.int8)
    needs_post = i_type != type_names.index("mention")

    # posts: authors by activity + popularity, plus one for every target lacking one --------
    author_weight = activity / activity.sum() + popularity / popularity.sum()
    author_sampler = _GroupedSampler(community, author_weight, n_communities)
    base_authors = author_sampler.anywhere(rng, int(n_interactions * _POSTS_PER_INTERACTION))
    per_author = np.bincount(base_authors, minlength=n_users)
    del base_authors, author_sampler
    targeted = np.bincount(i_dst[needs_post], minlength=n_users) > 0
    per_author = np.where(targeted & (per_author == 0), 1, per_author)
    p_author = np.repeat(np.arange(n_users, dtype=np.int32), per_author)  # grouped by author
    n_posts = p_author.size
    post_first = np.concatenate(([0], np.cumsum(per_author)[:-1]))
    p_ts = _diurnal_ts(rng, n_posts, start_s, days)
    p_t1 = topics.draw(rng, community[p_author], 0.85)
    p_t2 = topics.draw(rng, community[p_author], 0.85)
    p_t2 = np.where((rng.random(n_posts) < 0.35) & (p_t2 != p_t1), p_t2, -1)
    no_tags = rng.random(n_posts) < 0.1
    p_t1[no_tags] = -1
    p_t2[no_tags] = -1
    # text = phrase [#t1] [#t2] [tail], over one vocabulary: phrases | hashtags | tails
    text_vocab = pa.array(list(_PHRASES) + [f"#{t}" for t in vocab] + list(_TAILS))
    hash0 = len(_PHRASES)
    tail0 = hash0 + n_topics
    tail = rng.integers(0, len(_TAILS), size=n_posts, dtype=np.int32)
    tail = np.where(no_tags | (rng.random(n_posts) < 0.3), tail0 + tail, -1)
    text_tokens = np.stack(
        [
            rng.integers(0, len(_PHRASES), size=n_posts, dtype=np.int32),
            np.where(p_t1 >= 0, hash0 + p_t1, -1),
            np.where(p_t2 >= 0, hash0 + p_t2, -1),
            tail,
        ],
        axis=1,
    )
    del tail, no_tags
    listed = rng.random(n_posts) < 0.75  # else the hashtags are the only topic signal
    topic_tokens = np.where(listed[:, None], np.stack([p_t1, p_t2], axis=1), -1)
    del listed
    # written by time; p_author is sorted, so the stable sort breaks ties by author
    post_order = _stable_order(p_ts - start_s, days * 86400)
    post_rank = np.empty(n_posts, dtype=np.int32)
    post_rank[post_order] = np.arange(n_posts, dtype=np.int32)
    post_ids = _prefixed_ids("p", n_posts)
    o_author = p_author[post_order]
    o_ts = p_ts[post_order]
    text_tokens = text_tokens[post_order]
    topic_tokens = topic_tokens[post_order]
    del post_order, p_author
    emit(
        "posts",
        n_posts,
        lambda lo, hi, author=o_author, ts=o_ts, text=text_tokens, tags=topic_tokens: pa.table(
            {
                "id": post_ids.slice(lo, hi - lo),
                "author": user_ids.take(author[lo:hi]),
                "ts": _ts_column(ts[lo:hi], ts_format),
                "text": _join_tokens(text[lo:hi], text_vocab, " "),
                "topics": _join_tokens(tags[lo:hi], vocab_arr, ";"),
            }
        ),
    )
    del text_tokens, topic_tokens, o_author, o_ts

    # interactions: posts, times, topics -------------------------------------------------------
    i_post = np.full(n_interactions, -1, dtype=np.int32)
    has_post = needs_post & (per_author[i_dst] > 0)
    dst_p = i_dst[has_post]
    i_post[has_post] = post_first[dst_p] + (rng.random(dst_p.size) * per_author[dst_p]).astype(
        np.int32
    )
    del dst_p, post_first, needs_post
    i_ts = _diurnal_ts(rng, n_interactions, start_s, days)
    post_ts = p_ts[i_post[has_post]]
    delay = np.maximum(rng.lognormal(np.log(3600.0), 1.5, size=post_ts.size), 1.0)
    after = post_ts + delay.astype(np.int64)
    retry = post_ts + (rng.random(post_ts.size) * (end_s - post_ts)).astype(np.int64)
    i_ts[has_post] = np.where(after >= end_s, retry, after)
    del post_ts, delay, after, retry, p_ts
    i_topic = topics.draw(rng, community[i_dst], 0.85)
    pt1 = p_t1[i_post[has_post]]
    pt2 = p_t2[i_post[has_post]]
    from_post = np.where((pt2 >= 0) & (rng.random(pt1.size) < 0.5), pt2, pt1)
    i_topic[has_post] = np.where(from_post >= 0, from_post, i_topic[has_post])
    i_topic[rng.random(n_interactions) < 0.15] = -1
    del pt1, pt2, from_post, p_t1, p_t2, has_post
    i_order = _stable_order(i_ts - start_s, days * 86400)  # written by time
    post_ref = np.zeros(n_interactions, dtype=np.int32)
    linked = i_post >= 0
    post_ref[linked] = post_rank[i_post[linked]]  # row number of the post in posts.csv
    post_ref = post_ref[i_order]
    post_ref[~linked[i_order]] = -1
    del i_post, linked
    i_src, i_dst, i_type = i_src[i_order], i_dst[i_order], i_type[i_order]
    i_ts, i_topic = i_ts[i_order], i_topic[i_order]
    del i_order
    type_arr = pa.array(type_names)
    emit(
        "interactions",
        n_interactions,
        lambda lo, hi: pa.table(
            {
                "src": user_ids.take(i_src[lo:hi]),
                "dst": user_ids.take(i_dst[lo:hi]),
                "type": type_arr.take(i_type[lo:hi]),
                "ts": _ts_column(i_ts[lo:hi], ts_format),
                "post_id": post_ids.take(pa.array(post_ref[lo:hi], mask=post_ref[lo:hi] < 0)),
                "topics": _join_tokens(i_topic[lo:hi, None], vocab_arr, ";"),
            }
        ),
    )

    if truth_path is not None:
        truth = pa.table(
            {
                "id": user_ids,
                "community": pa.array(community.astype(np.int32)),
                "popularity": pa.array(popularity),
                "activity": pa.array(activity),
            }
        )
        _write_table(Path(truth_path), "csv", n_users, lambda lo, hi: truth.slice(lo, hi - lo))

    return {
        "rows": {name: rows[name] for name in _TABLES},
        "files": {name: files[name] for name in _TABLES},
        "params": {
            "n_edges": n_edges,
            "n_users": n_users,
            "n_communities": n_communities,
            "n_topics": n_topics,
            "follow_share": follow_share,
            "seed": seed,
            "start": start,
            "days": days,
            "fmt": fmt,
            "names": names,
            "ts_format": ts_format,
        },
    }


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; prints the result (with seconds and peak RSS) as JSON.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Process exit status.
    """
    parser = argparse.ArgumentParser(
        prog="synth.py", description="Write a deterministic synthetic network snapshot."
    )
    parser.add_argument("out_dir", help="snapshot directory to write")
    parser.add_argument("--edges", type=int, required=True, help="follows + interactions")
    parser.add_argument("--users", type=int, default=None, help="default: edges / 10")
    parser.add_argument("--communities", type=int, default=None)
    parser.add_argument("--topics", type=int, default=50)
    parser.add_argument("--follow-share", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", default="2024-01-01T00:00:00Z")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--ts-format", choices=("epoch", "iso"), default="epoch")
    parser.add_argument("--names", action="store_true", help="human-looking handles as ids")
    parser.add_argument("--truth", default=None, help="also write the planted structure here")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        result = generate_snapshot(
            args.out_dir,
            n_edges=args.edges,
            n_users=args.users,
            n_communities=args.communities,
            n_topics=args.topics,
            follow_share=args.follow_share,
            seed=args.seed,
            start=args.start,
            days=args.days,
            fmt=args.format,
            names=args.names,
            ts_format=args.ts_format,
            truth_path=args.truth,
        )
    except (ValueError, FileExistsError) as exc:
        print(f"synth.py: error: {exc}", file=sys.stderr)
        return 2
    result["seconds"] = round(time.perf_counter() - began, 3)
    try:
        import resource  # Unix only

        result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except ImportError:  # pragma: no cover
        pass
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
