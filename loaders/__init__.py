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

from collections.abc import Iterable, Sequence
from pathlib import Path

from graph_influence.errors import SnapshotError
from graph_influence.loaders.checks import REJECT_COLUMNS
from graph_influence.loaders.edgelist import read_edgelist
from graph_influence.loaders.ego_twitter import is_ego_twitter, read_ego_twitter
from graph_influence.loaders.higgs import is_higgs, read_higgs
from graph_influence.loaders.snapshot import Snapshot
from graph_influence.loaders.snapshot_dir import is_snapshot_dir, read_snapshot_dir
from graph_influence.loaders.twitter import is_twitter, read_twitter
from graph_influence.loaders.validate import TS_UNITS, TableReport
from graph_influence.schema import SNAPSHOT_FORMATS

__all__ = [
    "FORMATS",
    "REJECT_COLUMNS",
    "Snapshot",
    "TableReport",
    "detect_format",
    "read_edgelist",
    "read_ego_twitter",
    "read_higgs",
    "read_snapshot",
    "read_snapshot_dir",
    "read_twitter",
]

#: Snapshot formats :func:`read_snapshot` understands (declared in ``graph_influence.schema``,
#: so the CLI lists them without importing the loaders).
FORMATS: tuple[str, ...] = SNAPSHOT_FORMATS


def detect_format(path: Path) -> str:
    """Guess the format of ``path``: ``dir``, ``higgs``, ``ego-twitter``, ``twitter`` or
    ``edgelist``.

    A directory holding snapshot tables (``users.jsonl``, ...) is ``dir`` even when its files
    are Twitter JSON; give ``format="twitter"`` for such a directory of twarc files.

    Raises
    ------
    SnapshotError
        If ``path`` does not exist or holds nothing recognisable.
    """
    if not path.exists():
        raise SnapshotError(f"{path}: no such file or directory")
    if is_higgs(path):
        return "higgs"
    if is_ego_twitter(path):
        return "ego-twitter"
    if path.is_dir():
        if is_snapshot_dir(path):
            return "dir"
        if is_twitter(path):
            return "twitter"
        raise SnapshotError(
            f"{path}: not a snapshot directory — expected users/follows/interactions/posts "
            "tables (.csv, .csv.gz, .parquet, .jsonl), SNAP Higgs or ego-Twitter files, "
            "twarc/twarc2 JSON lines; "
            "give --format"
        )
    if is_twitter(path):
        return "twitter"
    if _looks_like_json(path):
        raise SnapshotError(
            f"{path}: cannot tell its format — it is JSON, but not Twitter API data (no response "
            "page, tweet or user object on its first line); formats considered: "
            f"{', '.join(f for f in FORMATS if f != 'auto')} — give --format"
        )
    return "edgelist"


def _looks_like_json(path: Path) -> bool:
    """Whether the first non-blank character of a (possibly gzipped) text file opens JSON."""
    from graph_influence.loaders.files import _open_text

    try:
        with _open_text(path) as fh:
            for line in fh:
                if line.strip():
                    return line.lstrip()[:1] in ("{", "[")
    except (OSError, EOFError, UnicodeDecodeError):
        return False
    return False


def read_snapshot(
    path: str | Path,
    *,
    format: str = "auto",
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    edge_kind: str = "follow",
    columns: Sequence[str] | None = None,
    ts_unit: str = "s",
) -> Snapshot:
    """Read and validate a network snapshot.

    Parameters
    ----------
    path : str or Path
        A snapshot directory, a directory of SNAP Higgs files, SNAP ego-Twitter networks
        (a directory or ``twitter.tar.gz``), Twitter API JSON lines written by twarc2 or twarc
        (a file or a directory of them), or an edge-list file.
    format : {"auto", "dir", "higgs", "ego-twitter", "twitter", "edgelist"}, optional
        The input format; ``"auto"`` (default) guesses it from the path.
    on_error : {"fail", "skip"}, optional
        ``"fail"`` (default): stop at the first bad record with
        ``FILE:LINE:COLUMN: problem — what to do``. ``"skip"``: keep the good records and
        return the bad ones in ``Snapshot.rejects`` with their reasons.
    interaction_types : iterable of str, optional
        Interaction types to allow besides retweet, quote, reply, mention and like.
    edge_kind : str, optional
        For edge lists: ``"follow"`` or an interaction type.
    columns : sequence of str, optional
        For edge lists: the column names in order (``src dst weight ts``).
    ts_unit : {"s", "ms", "us"}, optional
        For snapshot directories and edge lists: the unit of epoch numbers in timestamp
        columns (default seconds). The other formats know their own time representation.

    Returns
    -------
    Snapshot

    Raises
    ------
    SnapshotError
        If the input cannot be read.
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
    if format not in FORMATS:
        raise SnapshotError(f"unknown format {format!r} — use one of {', '.join(FORMATS)}")
    fmt = detect_format(path) if format == "auto" else format
    if not path.exists():
        raise SnapshotError(f"{path}: no such file or directory")
    if ts_unit not in TS_UNITS:
        raise SnapshotError(f"unknown timestamp unit {ts_unit!r} — use one of "
                            f"{', '.join(TS_UNITS)}")
    if fmt == "dir":
        return read_snapshot_dir(path, on_error=on_error, interaction_types=interaction_types,
                                 ts_unit=ts_unit)
    if fmt == "higgs":
        return read_higgs(path, on_error=on_error, interaction_types=interaction_types)
    if fmt == "ego-twitter":
        return read_ego_twitter(path, on_error=on_error, interaction_types=interaction_types)
    if fmt == "twitter":
        return read_twitter(path, on_error=on_error, interaction_types=interaction_types)
    return read_edgelist(path, edge_kind=edge_kind, columns=columns, on_error=on_error,
                         ts_unit=ts_unit,
                         interaction_types=interaction_types)
