"""Loaders: read a network snapshot from files into validated, normalised Arrow tables.

One module per input format; none of them knows about stores. The entry point is
:func:`read_snapshot`, which picks the format (``auto``) and returns a :class:`Snapshot`.

Writing an importer
-------------------
A format adapter writes only how its files map onto the snapshot tables
(``graph_influence.schema.TABLES``):

1. Produce a :class:`~graph_influence.loaders.files.RawTable` per file whose column names are
   the table's columns: :func:`~graph_influence.loaders.files.read_table_file` (CSV, Parquet,
   JSON lines with a header), or :func:`~graph_influence.loaders.files.read_delimited` with
   ``column_names=[...]`` and ``delimiter=`` to declare the columns of a headerless format, and
   optionally a ``transform`` that renames, maps or adds columns (``higgs.py``, ``edgelist.py``).
2. Give each to ``SnapshotBuilder(source, fmt, on_error=...).add(table, raw)``
   (:class:`~graph_influence.loaders.snapshot.SnapshotBuilder`) and return ``builder.build()``.

It gets for free, with no error handling of its own: the missing-column check, the check of
every value by column kind (ids, interaction types, timestamps, weights), malformed records,
the earliest bad record as ``FILE:LINE:COLUMN: problem — fix``
(:class:`~graph_influence.errors.InputError`) with ``on_error="fail"``, a rejects table
(:data:`REJECT_COLUMNS`) with ``on_error="skip"``, and reports with ``read = loaded + rejected``.
A format whose records are not fields of a table (``ego_twitter.py`` tokenises its files) states
its problems as :class:`~graph_influence.loaders.checks.Check` masks and settles them with
:class:`~graph_influence.loaders.checks.Settlement`: the same messages and rejects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from graph_influence.errors import SnapshotError
from graph_influence.loaders.checks import REJECT_COLUMNS
from graph_influence.loaders.registry import (
    ENTRY_POINT_GROUP,
    Importer,
    ReadOptions,
    check_options,
    detect_format,
    format_names,
    get_importer,
    importers,
    resolve_format,
)
from graph_influence.loaders.snapshot import Snapshot
from graph_influence.loaders.validate import TS_UNITS, TableReport

__all__ = [
    "ENTRY_POINT_GROUP",
    "REJECT_COLUMNS",
    "Importer",
    "ReadOptions",
    "Snapshot",
    "TableReport",
    "detect_format",
    "format_names",
    "get_importer",
    "importers",
    "read_snapshot",
    "resolve_format",
]


def read_snapshot(
    path: str | Path,
    *,
    format: str = "auto",
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    edge_kind: str | None = None,
    columns: Sequence[str] | None = None,
    ts_unit: str = "s",
    column_map: Mapping[str, str] | None = None,
    exclude_users: Iterable[str] | None = None,
) -> Snapshot:
    """Read and validate a network snapshot.

    Parameters
    ----------
    path : str or Path
        A snapshot directory, SNAP Higgs or ego-Twitter files, social-media JSON (Twitter,
        Mastodon, Bluesky, Reddit; a file or a directory of them), a graph file (GraphML,
        GEXF, GML), a table of edges, or an edge-list file.
    format : str, optional
        The input format (``graph-influence formats`` lists them, with any installed
        plugin's); ``"auto"`` (default) guesses it from the path, or is ``"table"`` when
        ``column_map`` is given.
    on_error : {"fail", "skip"}, optional
        ``"fail"`` (default): stop at the first bad record with
        ``FILE:LINE:COLUMN: problem — what to do``. ``"skip"``: keep the good records and
        return the bad ones in ``Snapshot.rejects`` with their reasons.
    interaction_types : iterable of str, optional
        Interaction types to allow besides retweet, quote, reply, mention and like.
    edge_kind : str, optional
        Edge lists and tables: ``"follow"``, an interaction type given to every edge, or (tables)
        the column holding each edge's type. Default: follow.
    columns : sequence of str, optional
        Edge lists without a header: the column names in order (``src dst weight ts``).
    ts_unit : {"s", "ms", "us"}, optional
        Tables and edge lists: the unit of epoch numbers in timestamp columns (default
        seconds). The other formats know their own time representation.
    column_map : mapping of str to str, optional
        Tables: which input column holds ``src``, ``dst``, ``ts``, ``weight``, ``topics``,
        ``post_id`` (``{"src": "author", "dst": "parent_author"}``).
    exclude_users : iterable of str, optional
        Social formats: users (names or ids) left out with their records and the replies to
        them. Default: the format's (Reddit: ``[deleted]`` and ``AutoModerator``).

    Returns
    -------
    Snapshot

    Raises
    ------
    SnapshotError
        If the input cannot be read, the format is unknown, or an option does not apply to it.
    InputError
        If a record is invalid and ``on_error="fail"``.

    Examples
    --------
    >>> from graph_influence.loaders import read_snapshot
    >>> from graph_influence.sample_data import sample_path
    >>> snap = read_snapshot(sample_path())
    >>> snap.reports["follows"].read == snap.reports["follows"].loaded
    True
    """
    path = Path(path)
    if format != "auto":
        importer = get_importer(format)  # an unknown name fails before the path is looked at
    if not path.exists():
        raise SnapshotError(f"{path}: no such file or directory")
    if ts_unit not in TS_UNITS:
        raise SnapshotError(f"unknown timestamp unit {ts_unit!r} — use one of "
                            f"{', '.join(TS_UNITS)}")
    if on_error not in ("fail", "skip"):
        raise SnapshotError(f"unknown on_error {on_error!r} — use fail or skip")
    options = ReadOptions(
        on_error=on_error,
        interaction_types=tuple(interaction_types),
        ts_unit=ts_unit,
        columns=tuple(columns) if columns else None,
        column_map=dict(column_map or {}),
        edge_type=edge_kind,
        exclude_users=None if exclude_users is None else tuple(exclude_users),
    )
    if format == "auto":
        importer = get_importer(resolve_format(path, format, options))
    check_options(importer, options)
    return importer.read(path, options)
