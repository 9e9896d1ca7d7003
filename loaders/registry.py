"""The format registry: which importers exist, what options they take, and auto-detection.

An importer is an :class:`Importer` object: a name, a one-line summary, a ``read(path,
options)`` function returning a :class:`~graph_influence.loaders.snapshot.Snapshot`, an
optional ``detect(path)`` for ``--format auto``, and the :class:`ReadOptions` fields it
understands. Importers are found through the entry point group ``graph_influence.formats``
(:data:`ENTRY_POINT_GROUP`), so an adapter can live in another package::

    # pyproject.toml of package "gi-myformat"
    [project.entry-points."graph_influence.formats"]
    myformat = "gi_myformat:IMPORTER"

The built-in formats are declared the same way in graph-influence's own ``pyproject.toml``
and are listed in :data:`BUILTIN_FORMATS` too, so that they work from a source checkout that
was not installed (a test checks the two lists agree).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path

from graph_influence.errors import SnapshotError

__all__ = [
    "BUILTIN_FORMATS",
    "ENTRY_POINT_GROUP",
    "Importer",
    "ReadOptions",
    "detect_format",
    "format_names",
    "resolve_format",
    "get_importer",
    "importers",
]

logger = logging.getLogger(__name__)

#: Entry point group of importers.
ENTRY_POINT_GROUP = "graph_influence.formats"

#: The built-in importers: format name -> ``module:attribute`` of its :class:`Importer`.
BUILTIN_FORMATS: dict[str, str] = {
    "dir": "graph_influence.loaders.snapshot_dir:IMPORTER",
    "higgs": "graph_influence.loaders.higgs:IMPORTER",
    "ego-twitter": "graph_influence.loaders.ego_twitter:IMPORTER",
    "twitter": "graph_influence.loaders.twitter:IMPORTER",
    "mastodon": "graph_influence.loaders.mastodon:IMPORTER",
    "bluesky": "graph_influence.loaders.bluesky:IMPORTER",
    "reddit": "graph_influence.loaders.reddit:IMPORTER",
    "graph": "graph_influence.loaders.graph_files:IMPORTER",
    "table": "graph_influence.loaders.table:IMPORTER",
    "edgelist": "graph_influence.loaders.edgelist:IMPORTER",
}

#: The importer auto-detection falls back to when no detector claims a text file.
FALLBACK_FORMAT = "edgelist"


@dataclass(frozen=True)
class ReadOptions:
    """What the user said about the input, beyond its path (every importer gets all of it and
    reads the fields it declares in :attr:`Importer.options`).

    Attributes
    ----------
    on_error : {"fail", "skip"}
        ``"fail"``: stop at the first bad record. ``"skip"``: keep the good records and return
        the bad ones in ``Snapshot.rejects``.
    interaction_types : tuple of str
        Interaction types to allow besides retweet, quote, reply, mention and like.
    ts_unit : {"s", "ms", "us"}
        The unit of epoch numbers in timestamp columns of tables.
    columns : tuple of str, optional
        Edge lists without a header: the column names in order (``src dst weight ts``).
    column_map : mapping of str to str
        Tables: snapshot column (``src``, ``dst``, ``ts``, ``weight``, ``topics``,
        ``post_id``) -> the input's column holding it.
    edge_type : str, optional
        Edge lists and tables: ``"follow"``, an interaction type given to every edge, or the
        name of the column holding each edge's type.
    exclude_users : tuple of str, optional
        Social formats: user names (or ids) whose records and the replies to them are left
        out (counted in the load report). ``None``: the format's default (Reddit:
        ``[deleted]`` and ``AutoModerator``).
    """

    on_error: str = "fail"
    interaction_types: tuple[str, ...] = ()
    ts_unit: str = "s"
    columns: tuple[str, ...] | None = None
    column_map: Mapping[str, str] = field(default_factory=dict)
    edge_type: str | None = None
    exclude_users: tuple[str, ...] | None = None

    def given(self) -> list[str]:
        """The options that differ from their defaults (to check that an importer takes
        them)."""
        default = ReadOptions()
        return [f.name for f in fields(self)
                if f.name not in _ALWAYS and getattr(self, f.name) != getattr(default, f.name)]


#: Options every importer honours.
_ALWAYS = frozenset({"on_error", "interaction_types"})


@dataclass(frozen=True)
class Importer:
    """One input format.

    Attributes
    ----------
    name : str
        The ``--format`` name.
    summary : str
        One line: what files it reads (``--help``, detection messages).
    read : callable
        ``read(path, options)`` -> :class:`~graph_influence.loaders.snapshot.Snapshot`; raises
        :class:`~graph_influence.errors.SnapshotError` when the input cannot be read and
        :class:`~graph_influence.errors.InputError` on a bad record with ``on_error="fail"``.
    detect : callable, optional
        ``detect(path)`` -> bool: whether ``path`` looks like this format (cheap: a look at
        names and first lines). Without it the format is used only when named.
    options : frozenset of str
        The :class:`ReadOptions` fields it reads besides ``on_error`` and
        ``interaction_types``; giving another is an error that names the formats taking it.
    precedence : int
        When several detectors claim a path, the lowest precedence wins (a snapshot directory
        over the Twitter files in it); a tie is reported as ambiguous.
    """

    name: str
    summary: str
    read: Callable[..., object]
    detect: Callable[[Path], bool] | None = None
    options: frozenset[str] = frozenset()
    precedence: int = 50


def _load(spec: str) -> Importer:
    module, _, attr = spec.partition(":")
    obj = getattr(importlib.import_module(module), attr)
    if not isinstance(obj, Importer):
        raise TypeError(f"{spec} is not a graph_influence.loaders.registry.Importer")
    return obj


def _entry_points() -> list[tuple[str, str]]:
    from importlib.metadata import entry_points

    return [(ep.name, ep.value) for ep in entry_points(group=ENTRY_POINT_GROUP)]


@cache
def _specs() -> dict[str, str]:
    specs = dict(BUILTIN_FORMATS)
    for name, value in _entry_points():
        if name in BUILTIN_FORMATS and value != BUILTIN_FORMATS[name]:
            logger.warning("format %r of an installed plugin (%s) is ignored: it is built in",
                           name, value)
            continue
        specs.setdefault(name, value)
    return specs


def format_names() -> tuple[str, ...]:
    """Every format name, built-in first, without importing any importer."""
    return tuple(_specs())


@cache
def get_importer(name: str) -> Importer:
    """The importer of format ``name``.

    Raises
    ------
    SnapshotError
        If no importer has that name, or a plugin's cannot be imported.
    """
    spec = _specs().get(name)
    if spec is None:
        raise SnapshotError(f"unknown format {name!r} — use one of auto, "
                            f"{', '.join(format_names())}")
    try:
        importer = _load(spec)
    except (ImportError, AttributeError, TypeError) as exc:
        raise SnapshotError(f"format {name!r} ({spec}) cannot be loaded: {exc}") from exc
    if importer.name != name:
        raise SnapshotError(f"format {name!r} ({spec}) calls itself {importer.name!r}")
    return importer


def importers() -> list[Importer]:
    """Every importer that can be loaded (a broken plugin is logged and left out)."""
    out = []
    for name in format_names():
        try:
            out.append(get_importer(name))
        except SnapshotError as exc:
            logger.warning("%s", exc)
    return out


def check_options(importer: Importer, options: ReadOptions) -> None:
    """Raise :class:`SnapshotError` if ``options`` gives something ``importer`` does not
    read, naming the formats that do."""
    for name in options.given():
        if name not in importer.options:
            takers = [i.name for i in importers() if name in i.options]
            raise SnapshotError(
                f"format {importer.name!r} does not take the option {_FLAGS.get(name, name)} — "
                f"it applies to {', '.join(takers) or 'no format'}"
            )


#: The CLI flag of each option, for messages.
_FLAGS = {
    "ts_unit": "--ts-unit", "columns": "--columns", "edge_type": "--type",
    "column_map": "--src/--dst/--ts/--weight/--topics/--post-id",
    "exclude_users": "--exclude-user",
}


def resolve_format(path: Path, format: str = "auto", options: ReadOptions | None = None) -> str:
    """The format to read ``path`` with: ``format`` itself, else ``table`` when columns are
    chosen by name (``--src``/``--dst``/...), else what :func:`detect_format` finds."""
    if format != "auto":
        return format
    if options is not None and options.column_map:
        return "table"
    return detect_format(path)


def detect_format(path: Path) -> str:
    """Guess the format of ``path`` from every importer's detector.

    The claim with the lowest precedence wins; a tie between formats is an error that names
    them. When nothing claims a JSON file, the error lists the formats considered; any other
    file is read as an edge list.

    Raises
    ------
    SnapshotError
        If ``path`` does not exist, is ambiguous, or holds nothing recognisable.
    """
    if not path.exists():
        raise SnapshotError(f"{path}: no such file or directory")
    considered = [i for i in importers() if i.detect is not None]
    claims = []
    for importer in considered:
        try:
            if importer.detect(path):
                claims.append(importer)
        except Exception as exc:  # a plugin's detector must not break detection
            logger.warning("format %r: detection failed on %s: %s", importer.name, path, exc)
    if claims:
        best = min(i.precedence for i in claims)
        winners = [i.name for i in claims if i.precedence == best]
        if len(winners) == 1:
            return winners[0]
        raise SnapshotError(
            f"{path}: cannot tell its format — it looks like {' and '.join(winners)}; "
            "give --format"
        )
    names = ", ".join(i.name for i in considered)
    if path.is_dir():
        raise SnapshotError(
            f"{path}: not a snapshot directory and no format recognises it (considered: "
            f"{names}) — expected users/follows/interactions/posts tables, SNAP Higgs or "
            "ego-Twitter files, or social-media JSON; give --format"
        )
    from graph_influence.loaders.sniff import looks_like_json

    if looks_like_json(path):
        raise SnapshotError(
            f"{path}: cannot tell its format — it is JSON, but no format recognises its first "
            f"record (considered: {names}); give --format (table reads any JSON records "
            "with --src/--dst)"
        )
    return FALLBACK_FORMAT


def refresh() -> None:
    """Forget the importers found so far (after installing a plugin in a running process)."""
    _specs.cache_clear()
    get_importer.cache_clear()
