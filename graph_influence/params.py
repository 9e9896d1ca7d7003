"""The parameters of an analysis, each defined once.

Every parameter of ``analyze`` is declared here with its type, default, allowed values, help
text and CLI panel, as a field of :class:`AnalysisParams`. The three places that used to repeat
them are derived from these fields:

- the Python API: ``AnalysisParams(damping=0.9)``;
- the CLI: the options of ``graph-influence analyze`` (flag, type, default, choices, help) are
  built from :func:`specs` by ``graph_influence.cli``;
- stored runs: :meth:`AnalysisParams.to_record` writes a run's parameters and
  :meth:`AnalysisParams.from_record` reads them back, so a reader never repeats a default.

This module imports nothing heavy (no numpy), so the CLI can check option values before it
imports the engine. Errors name the Python argument (:class:`ParameterError` keeps it in
``param``); the CLI rewrites the message with the flag.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graph_influence.errors import GraphInfluenceError
from graph_influence.schema import DEFAULT_INTERACTION_TYPES
from graph_influence.timeparse import format_duration, parse_duration, parse_instant

__all__ = [
    "CONCAVE_CHOICES",
    "COMMUNITY_METHOD_CHOICES",
    "RECORD_VERSION",
    "SCALE_CHOICES",
    "TELEPORT_CHOICES",
    "TOPIC_RANK_CHOICES",
    "AnalysisParams",
    "ParamSpec",
    "ParameterError",
    "SeedUsers",
    "SeedUsersError",
    "parse_weight_items",
    "read_seed_users",
    "specs",
]

#: Version of the stored parameter record (``to_record``). Version 1 records (before it was
#: written) kept ``type_weights`` as given; types missing from them weighed 1.
RECORD_VERSION = 3

#: What a run recorded before :data:`RECORD_VERSION` 3 was computed with (these parameters did
#: not exist: no ground weight, no fade, the uniform teleport).
LEGACY_DEFENCES = {"ground_weight": 0.0, "fade": False, "teleport": "uniform"}

#: The allowed values of the choice parameters; the algorithm modules define the same keys
#: (``algorithms.scaling.SCALES``, ``algorithms.attention.CONCAVE_TRANSFORMS``,
#: ``algorithms.communities.METHODS``), which a test checks.
SCALE_CHOICES = ("klout", "percentile", "log", "tweepcred")
CONCAVE_CHOICES = ("log1p", "sqrt", "linear")
COMMUNITY_METHOD_CHOICES = ("louvain", "leiden")
#: Where ``analyze`` computes: ``local`` (the graph view and the engine's own algorithms, any
#: store) or ``gds`` (inside a Neo4j server with Open GDS: :mod:`graph_influence.analysis_gds`).
ENGINES = ("local", "gds")
#: How a topic's leaderboard is ordered: users with an affinity to the topic first (default),
#: everyone by topic influence, or users with an affinity by lift (topic influence / overall).
TOPIC_RANK_CHOICES = ("affinity", "all", "lift")
#: Where PageRank's surfer restarts: in proportion to each user's non-reciprocated distinct
#: engagers (``algorithms.trust``), or uniformly.
TELEPORT_CHOICES = ("trust", "uniform")


class ParameterError(GraphInfluenceError, ValueError):
    """A parameter of an analysis has a value it cannot take.

    Parameters
    ----------
    param : str
        The Python name of the parameter (``max_iter``).
    requirement : str
        What is wrong, without the name (``"must be >= 1, not 0"``).
    """

    def __init__(self, param: str, requirement: str) -> None:
        self.param = param
        self.requirement = requirement
        super().__init__(f"{param} {requirement}")

    def for_flag(self, flag: str) -> str:
        """The message with the CLI flag in place of the Python name."""
        return f"{flag} {self.requirement}"


@dataclass(frozen=True)
class ParamSpec:
    """How one parameter is declared: what the CLI and the readers of stored runs use.

    Attributes
    ----------
    name : str
        The Python name (a field of :class:`AnalysisParams`).
    type : str
        ``"float"``, ``"int"``, ``"bool"``, ``"str"``, ``"duration"``, ``"instant"`` or
        ``"weights"`` (``TYPE=W`` items).
    default : object
        The default value.
    help : str
        One line of help.
    panel : str
        The CLI help panel the option is listed under.
    choices : tuple of str
        Allowed values of a choice parameter (empty: any value of the type).
    minimum, maximum : float or None
        Allowed range; ``exclusive_minimum``/``exclusive_maximum`` make a bound open.
    flag : str
        The CLI flag (``--max-iter``).
    metavar : str or None
        The CLI placeholder for the value.
    """

    name: str
    type: str
    default: Any
    help: str
    panel: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    flag: str = ""
    metavar: str | None = None

    def check(self, value: Any) -> None:
        """Raise :class:`ParameterError` if ``value`` is not allowed."""
        if self.choices and value not in self.choices:
            raise ParameterError(self.name, f"must be one of {', '.join(self.choices)}, "
                                            f"not {value!r}")
        if self.type in ("float", "int"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ParameterError(self.name, f"must be a number, not {value!r}")
            if self.type == "int" and not float(value).is_integer():
                raise ParameterError(self.name, f"must be a whole number, not {value!r}")
            if not math.isfinite(value):
                raise ParameterError(self.name, f"must be a finite number, not {value!r}")
            lo, hi = self.minimum, self.maximum
            if (lo is not None and (value < lo or (self.exclusive_minimum and value == lo))) or (
                    hi is not None and (value > hi or (self.exclusive_maximum and value == hi))):
                raise ParameterError(self.name, f"must be {self.range_text()}, not {value!r}")
        elif self.type == "bool" and not isinstance(value, bool):
            raise ParameterError(self.name, f"must be True or False, not {value!r}")

    def range_text(self) -> str:
        """The allowed range in words: ``in [0, 1)``, ``>= 1``, ``> 0``."""
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            return (f"in {'(' if self.exclusive_minimum else '['}{lo:g}, {hi:g}"
                    f"{')' if self.exclusive_maximum else ']'}")
        if lo is not None:
            return f"{'>' if self.exclusive_minimum else '>='} {lo:g}"
        if hi is not None:
            return f"{'<' if self.exclusive_maximum else '<='} {hi:g}"
        return "any value"


def _param(default: Any = dataclasses.MISSING, *, type: str, help: str, panel: str,
           default_factory: Any = dataclasses.MISSING, metavar: str | None = None,
           choices: tuple[str, ...] = (), minimum: float | None = None,
           maximum: float | None = None, exclusive_minimum: bool = False,
           exclusive_maximum: bool = False, flag: str | None = None) -> Any:
    """A dataclass field carrying its :class:`ParamSpec` pieces in ``metadata``."""
    meta = {"type": type, "help": help, "panel": panel, "choices": choices,
            "minimum": minimum, "maximum": maximum, "exclusive_minimum": exclusive_minimum,
            "exclusive_maximum": exclusive_maximum, "flag": flag, "metavar": metavar}
    if default_factory is not dataclasses.MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


_INFLUENCE, _TIME, _TOPICS, _COMMUNITIES = "Influence", "Time", "Topics", "Communities"


@dataclass(frozen=True)
class AnalysisParams:
    """Parameters of an influence analysis (the options of ``graph-influence analyze``).

    Each field's default, allowed values and help are declared once, here; :func:`specs`
    lists them for the CLI and :meth:`from_record` reads a stored run's parameters back.

    Attributes
    ----------
    damping : float
        PageRank damping factor in [0, 1) (default 0.85).
    tol : float
        Stop when the L1 change of an iteration is below this (default 1e-6).
    max_iter : int
        Maximum power iterations (default 100).
    half_life : str or float or None
        Half-life of interaction weight (``"30d"``, seconds, or ``None``/``"none"`` for no decay).
    as_of : str or datetime or None
        Time ages are measured from; events after it are ignored. Default: the newest
        timestamp in the store.
    type_weights : mapping of str to float
        Weights of interaction types, merged over the defaults (retweet 1, quote 1, reply 0.75,
        mention 0.5, like 0.25; other types 1): ``{"retweet": 2}`` changes the retweet weight
        and keeps the others, exactly as ``--weight retweet=2`` does.
    follow_weight : float
        Weight of a follow edge (default 1).
    concave : {"log1p", "sqrt", "linear"}
        Diminishing-returns transform of repeated interactions between one pair.
    ground_weight : float
        Attention every user also gives to everyone, LeaderRank's ground node (default 30, in
        the units of the attention weights: a follow weighs 1, a lone retweet
        ``log1p(1) = 0.69``): a user who gave little attention passes little influence along
        it, the rest restarts at the teleport. 0: the classic walk.
    fade : bool
        Decayed attention fades (default True): a user passes on only the decayed part of
        their attention and the faded part restarts at the teleport, so a lone stale
        interaction does not pass as much as a fresh one.
    teleport : {"trust", "uniform"}
        Where the walk restarts: ``trust`` (default), in proportion to each user's distinct
        engagers who were not engaged back (plus 1 % of one for everyone), so accounts that
        nobody engages with (a follow farm) bring next to nothing; ``uniform``, everyone alike.
    scale : {"klout", "percentile", "log", "tweepcred"}
        How influence becomes a 0-100 score (overall and per topic).
    topics : bool
        Compute topic signals and topic-specific influence (default True).
    min_topic_users : int
        A topic needs at least this many users with an affinity to it (default 3).
    max_topics : int
        Keep at most this many topics, the most widespread first (default 100).
    topic_boost : float
        Weight of a topic's tagged interactions on that topic's walk, relative to the
        attention graph (default 1: ``W_t = A + 1 * g(tagged sums)``).
    topic_keep : int
        Stores keep each topic's best ``topic_keep`` users and everyone with an affinity.
    topic_rank : {"affinity", "all", "lift"}
        How each topic's ranks are ordered: ``affinity`` (default) ranks the users with an
        affinity to the topic first, by topic influence, then the others; ``all`` ranks
        everyone by topic influence (a generic topic then repeats the overall leaderboard);
        ``lift`` ranks the users with an affinity by topic influence / overall influence
        first.
    communities : bool
        Detect communities (modularity) on the symmetrised graph (default True).
    community_method : {"louvain", "leiden"}
        ``louvain`` (default; compiled, fast) or ``leiden`` (igraph; every community connected,
        ~5-10x slower on large graphs).
    resolution : float
        Modularity resolution (default 1; larger gives more, smaller communities).
    seed : int
        Seed of the community detection (same seed, same partition).

    Examples
    --------
    >>> p = AnalysisParams(type_weights={"retweet": 2})
    >>> p.type_weights["retweet"], p.type_weights["reply"]
    (2.0, 0.75)
    >>> AnalysisParams(damping=1.5).validated()
    Traceback (most recent call last):
    ...
    graph_influence.params.ParameterError: damping must be in [0, 1), not 1.5
    """

    damping: float = _param(0.85, type="float", minimum=0, maximum=1, exclusive_maximum=True,
                            help="PageRank damping factor in [0, 1).", panel=_INFLUENCE)
    tol: float = _param(1e-6, type="float", minimum=0, exclusive_minimum=True,
                        help="Stop when the L1 change of an iteration is below this.",
                        panel=_INFLUENCE)
    max_iter: int = _param(100, type="int", minimum=1, help="Maximum power iterations.",
                           panel=_INFLUENCE)
    half_life: str | float | None = _param(
        "30d", type="duration", metavar="DURATION", panel=_TIME,
        help="Interaction half-life: 30d, 12h, 90m, 3600s, or none (no decay).")
    as_of: str | datetime | None = _param(
        None, type="instant", metavar="TIME", panel=_TIME,
        help="Measure ages from this time (ISO-8601 or epoch seconds); later events are "
             "ignored. Default: the newest timestamp.")
    type_weights: Mapping[str, float] = _param(
        type="weights", default_factory=lambda: dict(DEFAULT_INTERACTION_TYPES),
        flag="--weight", metavar="TYPE=W", panel=_INFLUENCE,
        help="Weight of an interaction type, merged over the defaults (retweet 1, quote 1, "
             "reply 0.75, mention 0.5, like 0.25; others 1); repeatable.")
    follow_weight: float = _param(1.0, type="float", minimum=0, panel=_INFLUENCE,
                                  help="Weight of a follow edge.")
    concave: str = _param("log1p", type="str", choices=CONCAVE_CHOICES, panel=_INFLUENCE,
                          help="Diminishing returns of repeated interactions between a pair.")
    ground_weight: float = _param(
        30.0, type="float", minimum=0, panel=_INFLUENCE,
        help="Attention each user also gives to everyone (LeaderRank's ground node): who gave "
             "little passes little on. 0: the classic walk.")
    fade: bool = _param(True, type="bool", panel=_INFLUENCE,
                        help="Faded (decayed) attention restarts at the teleport instead of "
                             "passing on.")
    teleport: str = _param(
        "trust", type="str", choices=TELEPORT_CHOICES, panel=_INFLUENCE,
        help="Restart in proportion to distinct engagers not engaged back (trust), or "
             "uniformly.")
    scale: str = _param("klout", type="str", choices=SCALE_CHOICES, panel=_INFLUENCE,
                        help="How influence becomes a 0-100 score (klout: median 40, "
                             "95th percentile 63).")
    topics: bool = _param(True, type="bool", panel=_TOPICS,
                          help="Topic signals and topic-specific influence.")
    min_topic_users: int = _param(3, type="int", minimum=1, panel=_TOPICS,
                                  help="Users with an affinity a topic needs to be kept.")
    max_topics: int = _param(100, type="int", minimum=1, panel=_TOPICS,
                             help="At most this many topics, the most widespread first.")
    topic_boost: float = _param(1.0, type="float", minimum=0, panel=_TOPICS,
                                help="Weight of topic-tagged interactions on that topic's walk.")
    topic_keep: int = _param(1000, type="int", minimum=1, panel=_TOPICS,
                             help="Users kept per topic besides those with an affinity.")
    topic_rank: str = _param(
        "affinity", type="str", choices=TOPIC_RANK_CHOICES, panel=_TOPICS,
        help="Topic leaderboards: users with an affinity first (affinity), everyone (all), "
             "or users with an affinity by topic/overall influence (lift).")
    communities: bool = _param(True, type="bool", panel=_COMMUNITIES,
                               help="Detect communities (modularity).")
    community_method: str = _param(
        "louvain", type="str", choices=COMMUNITY_METHOD_CHOICES, panel=_COMMUNITIES,
        help="louvain (compiled, fast) or leiden (igraph; connected communities, slower).")
    resolution: float = _param(1.0, type="float", minimum=0, exclusive_minimum=True,
                               panel=_COMMUNITIES,
                               help="Modularity resolution (larger: more, smaller communities).")
    seed: int = _param(0, type="int", panel=_COMMUNITIES, minimum=0,
                       help="Seed of the community detection (same seed, same partition).")

    def __post_init__(self) -> None:
        weights = self.type_weights
        if not isinstance(weights, Mapping):
            raise ParameterError("type_weights", f"must map type names to numbers, not "
                                                 f"{type(weights).__name__}")
        merged = dict(DEFAULT_INTERACTION_TYPES)
        for name, value in weights.items():
            key = str(name).strip().lower()
            if not key:
                raise ParameterError("type_weights", "has an empty type name")
            try:
                merged[key] = float(value)
            except (TypeError, ValueError):
                raise ParameterError("type_weights",
                                     f"must map {key!r} to a number, not {value!r}") from None
        object.__setattr__(self, "type_weights", merged)

    def validated(self) -> AnalysisParams:
        """Check every parameter; raise :class:`ParameterError` naming the bad one."""
        for spec in specs():
            if spec.type in ("float", "int", "bool", "str"):
                spec.check(getattr(self, spec.name))
        bad = {t: w for t, w in self.type_weights.items() if not (math.isfinite(w) and w >= 0)}
        if bad:
            items = ", ".join(f"{t}={w:g}" for t, w in sorted(bad.items()))
            raise ParameterError("type_weights", f"values must be finite and >= 0, not {items}")
        try:
            parse_duration(self.half_life)
        except GraphInfluenceError as exc:
            raise ParameterError("half_life", _requirement(exc)) from None
        try:
            parse_instant(self.as_of)
        except GraphInfluenceError as exc:
            raise ParameterError("as_of", _requirement(exc)) from None
        except (OverflowError, OSError, ValueError):  # epoch seconds past what a date holds
            raise ParameterError("as_of", f"must be a time between the years 1 and 9999, not "
                                          f"{self.as_of!r}") from None
        return self

    @property
    def half_life_seconds(self) -> float | None:
        """The half-life in seconds (``None``: no decay)."""
        return parse_duration(self.half_life)

    @property
    def as_of_time(self) -> datetime | None:
        """The as-of time as a naive UTC datetime (``None``: the newest timestamp)."""
        return parse_instant(self.as_of)

    def check_types(self, store_types: Iterable[str]) -> list[str]:
        """Check the weights against the interaction types a store holds.

        A weight for a type that is neither a default type nor in the store is a mistake
        (``retweets`` for ``retweet``) and raises; a changed weight of a default type the store
        does not hold changes nothing, and is returned as a warning.

        Parameters
        ----------
        store_types : iterable of str
            The interaction types of the store's events.

        Returns
        -------
        list of str
            Warnings to show the user.

        Raises
        ------
        ParameterError
            For a weight of a type the store does not hold and that is not a default type.
        """
        held = set(store_types)
        unknown = sorted(set(self.type_weights) - held - set(DEFAULT_INTERACTION_TYPES))
        if unknown:
            name = unknown[0]
            close = difflib.get_close_matches(name, sorted(held | set(DEFAULT_INTERACTION_TYPES)),
                                              n=1)
            hint = f" — did you mean {close[0]!r}?" if close else ""
            raise ParameterError(
                "type_weights",
                f"names a type the store does not hold: {name!r} (the store's types: "
                f"{', '.join(sorted(held)) or 'none'}){hint}")
        return [f"no {name!r} interactions in the store: its weight "
                f"{self.type_weights[name]:g} changes nothing"
                for name in sorted(set(DEFAULT_INTERACTION_TYPES) - held)
                if self.type_weights[name] != DEFAULT_INTERACTION_TYPES[name]]

    def resolved_type_weights(self, store_types: Iterable[str]) -> dict[str, float]:
        """The weight of every type: the merged map plus the store's other types at 1."""
        out = dict(self.type_weights)
        for name in store_types:
            out.setdefault(name, 1.0)
        return dict(sorted(out.items()))

    def to_record(self, *, store_types: Iterable[str] = (), as_of: datetime | None = None,
                  **extra: Any) -> dict:
        """The parameters as stored with a run: JSON-ready, every type weight resolved.

        Parameters
        ----------
        store_types : iterable of str
            The store's interaction types (each gets a weight in the record).
        as_of : datetime, optional
            The as-of time the run used (default: the parameter's own value).
        **extra
            Other keys to store beside the parameters (e.g. ``calibration_reused``).
        """
        record = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        record["type_weights"] = self.resolved_type_weights(store_types)
        record["half_life"] = format_duration(self.half_life_seconds)
        when = as_of if as_of is not None else self.as_of_time
        record["as_of"] = when.isoformat() if when else None
        record["record_version"] = RECORD_VERSION
        record.update(extra)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> AnalysisParams:
        """The parameters of a stored run; keys it lacks take today's defaults.

        Keys that are not parameters (``calibration_reused``, ``record_version``) are ignored.
        Records written before :data:`RECORD_VERSION` 2 kept ``type_weights`` as given, and
        types missing from them weighed 1; that is restored, so the run's graph is rebuilt
        exactly. Records before version 3 were computed without the defences
        (:data:`LEGACY_DEFENCES`), whatever today's defaults.

        Examples
        --------
        >>> AnalysisParams.from_record({"damping": 0.9, "calibration_reused": False}).damping
        0.9
        """
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in record.items() if k in names}
        if "type_weights" in values and record.get("record_version", 1) < 2:
            weights = dict.fromkeys(DEFAULT_INTERACTION_TYPES, 1.0)
            weights.update(values["type_weights"])
            values["type_weights"] = weights
        if record.get("record_version", 1) < 3:
            values = {**LEGACY_DEFENCES, **values}
        return cls(**values)


def _requirement(exc: Exception) -> str:
    """A library message as a requirement that follows a parameter's name."""
    text = str(exc)
    return "is wrong: " + text if not text.startswith(("must", "is")) else text


def specs() -> list[ParamSpec]:
    """Every parameter's declaration, in field order (what the CLI builds its options from)."""
    out = []
    for f in dataclasses.fields(AnalysisParams):
        meta = dict(f.metadata)
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        flag = meta.pop("flag") or "--" + f.name.replace("_", "-")
        out.append(ParamSpec(name=f.name, default=default, flag=flag, **meta))
    return out


def parse_weight_items(items: Iterable[str]) -> dict[str, float]:
    """``TYPE=W`` strings (the ``--weight`` option) as a mapping.

    Examples
    --------
    >>> parse_weight_items(["retweet=2", "Like=0.5"])
    {'retweet': 2.0, 'like': 0.5}
    """
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip().lower()] = float(value)
        except ValueError:
            raise ParameterError(
                "type_weights", f"cannot be read from {item!r} — use TYPE=NUMBER, e.g. "
                                "retweet=1.5") from None
    return out


# -- the seed set of a personalised analysis ----------------------------------------------------
class SeedUsersError(ParameterError):
    """A seed set that cannot be used; read from a file, the message starts with ``FILE:LINE``
    (or ``FILE``) instead of the parameter's name or flag."""

    def __init__(self, requirement: str, located: bool = False) -> None:
        super().__init__("seed_users", requirement)
        self.located = located
        if located:
            self.args = (requirement,)

    def __str__(self) -> str:
        return self.args[0]

    def for_flag(self, flag: str) -> str:
        return self.requirement if self.located else super().for_flag(flag)


@dataclass(frozen=True)
class SeedUsers:
    """The users a personalised analysis teleports to (``analyze --seed-users FILE``).

    Not a field of :class:`AnalysisParams`: a seed set may hold thousands of ids, and a run
    records only :meth:`summary` (where it came from, how many, a sha256 of the set).

    Attributes
    ----------
    ids : tuple of str
        The seed users' ids, distinct, in the order first given.
    weights : tuple of float or None
        Each id's teleport weight (>= 0, not all 0); None: uniform over ``ids``.
    lines : tuple of int or None
        The line of the file each id was first read from (error messages say ``FILE:LINE``).
    source : str or None
        The file they were read from.
    """

    ids: tuple[str, ...]
    weights: tuple[float, ...] | None = None
    lines: tuple[int, ...] | None = None
    source: str | None = None

    @classmethod
    def of(cls, users: Any) -> SeedUsers:
        """Seed users from ids (an iterable of str, uniform) or a mapping id -> weight.

        Raises
        ------
        ParameterError
            For an empty set, a non-string id, or a weight that is negative, not finite, or
            leaves the set with a total weight of 0.
        """
        if isinstance(users, SeedUsers):
            return users._checked()
        if isinstance(users, str):
            raise SeedUsersError("must be a collection of ids, not a string")
        if isinstance(users, Mapping):
            ids, weights = tuple(users), []
            for key, value in users.items():
                try:
                    weights.append(float(value))
                except (TypeError, ValueError):
                    raise SeedUsersError(f"must map {key!r} to a number, not {value!r}"
                                         ) from None
            return cls(ids, tuple(weights))._checked()
        return cls(tuple(dict.fromkeys(users)))._checked()

    def _checked(self) -> SeedUsers:
        if not self.ids:
            if self.source:
                raise SeedUsersError(f"{self.source}: no seed user ids in the file (one id a "
                                     "line; blank and # lines are skipped)", located=True)
            raise SeedUsersError("is empty: give at least one user id")
        bad = next((i for i in self.ids if not isinstance(i, str)), None)
        if bad is not None:
            raise SeedUsersError(f"must hold string ids, not {bad!r}")
        if self.weights is not None:
            for k, w in enumerate(self.weights):
                if not (math.isfinite(w) and w >= 0):
                    raise SeedUsersError(f"weights must be finite and >= 0, not {w!r} (user "
                                         f"{self.ids[k]!r})")
            if not any(self.weights):
                if self.source:
                    raise SeedUsersError(f"{self.source}: every seed weight is 0",
                                         located=True)
                raise SeedUsersError("weights are all 0")
        return self

    def _where(self, k: int) -> str:
        """``FILE:LINE: `` of the k-th id, or nothing for ids not read from a file."""
        if self.source is None or self.lines is None:
            return ""
        return f"{self.source}:{self.lines[k]}: "

    @property
    def sha256(self) -> str:
        """sha256 of the sorted ids, one per line (``id<TAB>weight`` lines when weighted)."""
        if self.weights is None:
            items = sorted(self.ids)
        else:
            items = sorted(f"{i}\t{w!r}" for i, w in zip(self.ids, self.weights, strict=True))
        return hashlib.sha256("\n".join(items).encode("utf-8")).hexdigest()

    def summary(self) -> dict:
        """What a run records of its seed set: ``source``, ``n_seeds``, ``weighted``,
        ``sha256``."""
        return {"source": self.source, "n_seeds": len(self.ids),
                "weighted": self.weights is not None, "sha256": self.sha256}

    def unknown_error(self, missing: list[int]) -> SeedUsersError:
        """The error for ids (positions in ``ids``) that are not users of the store: how many,
        the first few, and (read from a file) ``FILE:LINE`` of the first."""
        first = ", ".join(repr(self.ids[k]) for k in missing[:5])
        more = ", ..." if len(missing) > 5 else ""
        text = (f"{len(missing):,} of {len(self.ids):,} seed users are not users of the store: "
                f"{first}{more}")
        where = self._where(missing[0])
        return SeedUsersError(where + text if where else text, located=bool(where))


def read_seed_users(path: str | Any) -> SeedUsers:
    r"""Read a seed set: a text file of ids, or a CSV/TSV table with an ``id`` column.

    A text file holds one user id per line, taken verbatim (nothing is trimmed but the line
    end); blank lines and lines starting with ``#`` are ignored; a repeated id counts once.
    A file whose first line is a header naming an ``id`` column (``id``, ``id,weight``,
    ``id<TAB>name``: comma- or tab-separated, the delimiter the header uses) is read as a
    table; its optional ``weight`` column gives each user's teleport weight (>= 0; the
    weights of a repeated id add up). A UTF-8 byte-order mark is ignored.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    SeedUsers

    Raises
    ------
    ParameterError
        The file holds no ids, or a weight that is not a number >= 0 (``FILE:LINE``).
    OSError
        The file cannot be read.

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "seeds.txt")
    >>> _ = open(f, "w").write("# our brand's followers\nalice\n\nbob\nalice\n")
    >>> read_seed_users(f).ids
    ('alice', 'bob')
    """
    source = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            lines = [line.removesuffix("\n").removesuffix("\r") for line in fh]
    except UnicodeDecodeError as exc:
        raise SeedUsersError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                             located=True) from None
    first = next((k for k, line in enumerate(lines) if line), None)
    if first is not None:
        header = lines[first]
        delimiter = "\t" if "\t" in header else ","
        names = [name.strip().lower() for name in header.split(delimiter)]
        if "id" in names:
            return _read_seed_table(lines, first, delimiter, names, source)
    ids: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if line and not line.startswith("#"):
            ids.setdefault(line, number)
    return SeedUsers(tuple(ids), None, tuple(ids.values()), source)._checked()


def _read_seed_table(lines: list[str], first: int, delimiter: str, names: list[str],
                     source: str) -> SeedUsers:
    """The rows of a seed table after its header (line ``first``)."""
    id_col = names.index("id")
    weight_col = names.index("weight") if "weight" in names else None
    weights: dict[str, float] = {}
    where: dict[str, int] = {}
    rows = csv.reader(lines[first + 1:], delimiter=delimiter)
    for number, row in enumerate(rows, start=first + 2):
        if not row or row == [""]:
            continue
        if len(row) <= max(id_col, weight_col or 0):
            raise SeedUsersError(f"{source}:{number}: expected {len(names)} columns, found "
                                 f"{len(row)}", located=True)
        user = row[id_col]
        if not user:
            raise SeedUsersError(f"{source}:{number}: empty id", located=True)
        weight = 1.0
        if weight_col is not None:
            try:
                weight = float(row[weight_col])
            except ValueError:
                weight = math.nan
            if not (math.isfinite(weight) and weight >= 0):
                raise SeedUsersError(f"{source}:{number}: weight must be a number >= 0, not "
                                     f"{row[weight_col]!r}", located=True)
        where.setdefault(user, number)
        weights[user] = weights.get(user, 0.0) + weight
    ids = tuple(weights)
    return SeedUsers(ids, tuple(weights.values()) if weight_col is not None else None,
                     tuple(where[i] for i in ids), source)._checked()
