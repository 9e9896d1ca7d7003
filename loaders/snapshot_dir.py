"""The snapshot directory format (DESIGN.md §3): users, follows, interactions, posts.

Each table is a file ``NAME.csv``, ``NAME.csv.gz``, ``NAME.parquet`` or ``NAME.jsonl`` in the
directory, or a folder ``NAME/`` of such part files (read in name order); names are matched
case-insensitively. Every other file is listed in ``Snapshot.ignored`` with the reason.
"""

from __future__ import annotations

import difflib
import logging
import os
import stat
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from graph_influence.errors import SnapshotError
from graph_influence.loaders.files import SUFFIXES, read_error, read_table_file, table_suffix
from graph_influence.loaders.registry import Importer, ReadOptions
from graph_influence.loaders.snapshot import Snapshot, SnapshotBuilder, fingerprint_files
from graph_influence.schema import TABLE_ORDER, TABLES

__all__ = ["find_table_files", "is_snapshot_dir", "read_snapshot_dir", "scan_table_files"]

logger = logging.getLogger(__name__)


def find_table_files(directory: Path) -> dict[str, list[Path]]:
    """Map each table name to its files in ``directory`` (empty lists for absent tables).

    Names are matched case-insensitively (``Follows.CSV``). See :func:`scan_table_files`.
    """
    return scan_table_files(directory)[0]


def scan_table_files(directory: Path) -> tuple[dict[str, list[Path]], list[tuple[Path, str]]]:
    """The table files of ``directory`` and every other file there, with why it is ignored.

    Returns
    -------
    (found, ignored)
        ``found`` maps each table name to its files (``NAME.csv``, ... or the part files of a
        folder ``NAME/``, in name order); ``ignored`` lists ``(path, reason)`` for the rest
        (``follow.csv``: "not a table name — did you mean follows.csv?").

    Raises
    ------
    SnapshotError
        For an entry named like a table that is not a readable file: a dangling symbolic link,
        a FIFO, a socket or a device; or a table in two places (``follows.csv`` and
        ``follows.csv.gz``).
    """
    found: dict[str, list[Path]] = {name: [] for name in TABLE_ORDER}
    ignored: list[tuple[Path, str]] = []
    for entry in sorted(directory.iterdir()):
        suffix = table_suffix(entry)
        lower = entry.name.lower()
        stem = lower[: -len(suffix)] if suffix else None
        if stem in found:
            _require_regular(entry)
            found[stem].append(entry)
        elif lower in found and entry.is_dir():
            for part in sorted(entry.iterdir()):
                if table_suffix(part):
                    _require_regular(part)
                    found[lower].append(part)
                else:
                    ignored.append((part, f"not a table file (suffixes {', '.join(SUFFIXES)})"))
        else:
            ignored.append((entry, _why_ignored(entry, suffix)))
    for name in TABLE_ORDER:
        _require_one_source(directory, name, found[name])
    return found, ignored


def _require_one_source(directory: Path, table: str, files: list[Path]) -> None:
    """Raise when a table comes from two places (``follows.csv`` and ``follows.csv.gz``, or a
    file and a ``follows/`` folder): reading both would count the same rows twice."""
    sources = sorted({f.name if f.parent == directory else f.parent.name + "/" for f in files})
    if len(sources) > 1:
        raise SnapshotError(
            f"{directory}: the table {table} is in {len(sources)} places: "
            f"{', '.join(sources)} — a table is one file, or one folder of part files; move "
            "the others out of the snapshot directory")


def _require_regular(path: Path) -> None:
    """Raise unless ``path`` is a regular file (following symbolic links)."""
    if path.is_file():
        return
    if path.is_symlink() and not path.exists():
        raise SnapshotError(f"{path}: a symbolic link to {os.readlink(path)}, which does not "
                            "exist — fix or remove the link")
    what = "a directory" if path.is_dir() else "a FIFO" if stat.S_ISFIFO(
        path.stat().st_mode) else "a special file"
    raise SnapshotError(f"{path}: not a regular file ({what}) — a table must be a file; copy "
                        "the data into one")


def _why_ignored(entry: Path, suffix: str | None) -> str:
    """Why ``entry`` is not read as a table, with the name it may have meant."""
    base = entry.name.lower().split(".", 1)[0]
    meant = next((t for t in TABLE_ORDER if base in (t, t.removesuffix("s"))), None)
    if meant is None:
        close = difflib.get_close_matches(base, TABLE_ORDER, n=1, cutoff=0.8)
        meant = close[0] if close else None
    if meant is not None:
        if suffix and base != meant:
            return f"not a table name — did you mean {meant}{suffix}?"
        return (f"not a table file — did you mean {meant}.csv? (suffixes "
                f"{', '.join(SUFFIXES)})")
    return "not a snapshot table"


def is_snapshot_dir(path: Path) -> bool:
    """Whether ``path`` is a directory holding at least one snapshot table.

    A JSON lines file whose first record holds nested values (a twarc ``users.jsonl`` of API
    response pages) is not a snapshot table: snapshot tables are flat.
    """
    if not path.is_dir():
        return False
    try:
        files = [f for found in find_table_files(path).values() for f in found]
    except SnapshotError:  # a table named like one that cannot be read: reading says why
        return True
    return any(not _nested_json_lines(f) for f in files)


def _nested_json_lines(path: Path) -> bool:
    if not table_suffix(path).startswith(".jsonl"):
        return False
    from graph_influence.loaders.sniff import first_json_record

    first = first_json_record(path)
    return isinstance(first, dict) and any(isinstance(v, dict | list) for v in first.values())


def read_snapshot_dir(
    directory: Path, *, on_error: str = "fail", interaction_types: Iterable[str] = (),
    ts_unit: str = "s",
) -> Snapshot:
    """Read and validate a snapshot directory.

    Parameters
    ----------
    directory : Path
        The snapshot directory.
    on_error : {"fail", "skip"}, optional
        What to do with a bad record (see :func:`graph_influence.loaders.read_snapshot`).
    interaction_types : iterable of str, optional
        Interaction types allowed besides the defaults.

    Returns
    -------
    Snapshot

    ts_unit : {"s", "ms", "us"}, optional
        The unit of epoch numbers in timestamp columns (default seconds).

    Raises
    ------
    SnapshotError
        If the directory holds no table.
    InputError
        On the first bad record in ``fail`` mode.
    """
    files, ignored = scan_table_files(directory)
    if not any(files.values()):
        expected = ", ".join(f"{t}.csv" for t in TABLE_ORDER)
        hints = "; ".join(f"{p.name}: {why}" for p, why in ignored if "did you mean" in why)
        raise SnapshotError(
            f"{directory}: no snapshot tables found — expected files such as {expected} "
            f"(suffixes {', '.join(SUFFIXES)})" + (f"; {hints}" if hints else "")
        )
    for path, why in ignored:
        logger.info("%s: ignored: %s", path, why)  # the load report lists it
    builder = SnapshotBuilder(
        str(directory), "dir", on_error=on_error, interaction_types=interaction_types,
        ts_unit=ts_unit,
    )
    for path, why in ignored:
        builder.ignore(path, why)
    # Hash the files on a second thread while they are parsed and validated: hashlib releases
    # the GIL, and validation mostly runs on one core.
    with ThreadPoolExecutor(max_workers=1) as pool:
        fingerprint = pool.submit(fingerprint_files, [p for ps in files.values() for p in ps])
        for name in TABLE_ORDER:
            for path in files[name]:
                builder.add(name, read_table_file(path, text_columns=_TEXT_COLUMNS[name]))
        try:
            digest = fingerprint.result()
        except OSError as exc:  # a file gone or unreadable since it was listed
            raise read_error(Path(exc.filename or directory), exc) from exc
        return builder.build(fingerprint=digest)


#: Columns of each table read as the file's text in JSON lines (ids and strings).
_TEXT_COLUMNS = {name: [c.name for c in TABLES[name].columns if c.kind in ("id", "str")]
                 for name in TABLE_ORDER}


def _read(path: Path, options: ReadOptions) -> Snapshot:
    if not path.is_dir():
        raise SnapshotError(f"{path}: --format dir reads a directory of snapshot tables; drop "
                            "--format to let the file's format be guessed, or give --format "
                            "table or edgelist")
    return read_snapshot_dir(path, on_error=options.on_error,
                             interaction_types=options.interaction_types,
                             ts_unit=options.ts_unit)


#: ``--format dir``.
IMPORTER = Importer(
    name="dir",
    summary="snapshot directory: users, follows, interactions, posts tables "
            "(.csv, .parquet, .jsonl, compressed too)",
    read=_read,
    detect=is_snapshot_dir,
    options=frozenset({"ts_unit"}),
    precedence=10,
)
