"""The snapshot directory format (DESIGN.md §3): users, follows, interactions, posts.

Each table is a file ``NAME.csv``, ``NAME.csv.gz``, ``NAME.parquet`` or ``NAME.jsonl`` in the
directory, or a folder ``NAME/`` of such part files (read in name order).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from graph_influence.errors import SnapshotError
from graph_influence.loaders.files import SUFFIXES, read_table_file, table_suffix
from graph_influence.loaders.registry import Importer, ReadOptions
from graph_influence.loaders.snapshot import Snapshot, SnapshotBuilder, fingerprint_files
from graph_influence.schema import TABLE_ORDER

__all__ = ["find_table_files", "is_snapshot_dir", "read_snapshot_dir"]


def find_table_files(directory: Path) -> dict[str, list[Path]]:
    """Map each table name to its files in ``directory`` (empty lists for absent tables)."""
    found: dict[str, list[Path]] = {name: [] for name in TABLE_ORDER}
    for entry in sorted(directory.iterdir()):
        suffix = table_suffix(entry)
        if entry.is_file() and suffix:
            stem = entry.name[: -len(suffix)]
            if stem in found:
                found[stem].append(entry)
        elif entry.is_dir() and entry.name in found:
            found[entry.name] += sorted(p for p in entry.iterdir() if table_suffix(p))
    return found


def is_snapshot_dir(path: Path) -> bool:
    """Whether ``path`` is a directory holding at least one snapshot table.

    A JSON lines file whose first record holds nested values (a twarc ``users.jsonl`` of API
    response pages) is not a snapshot table: snapshot tables are flat.
    """
    if not path.is_dir():
        return False
    files = [f for found in find_table_files(path).values() for f in found]
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
    files = find_table_files(directory)
    if not any(files.values()):
        expected = ", ".join(f"{t}.csv" for t in TABLE_ORDER)
        raise SnapshotError(
            f"{directory}: no snapshot tables found — expected files such as {expected} "
            f"(suffixes {', '.join(SUFFIXES)})"
        )
    builder = SnapshotBuilder(
        str(directory), "dir", on_error=on_error, interaction_types=interaction_types,
        ts_unit=ts_unit,
    )
    # Hash the files on a second thread while they are parsed and validated: hashlib releases
    # the GIL, and validation mostly runs on one core.
    with ThreadPoolExecutor(max_workers=1) as pool:
        fingerprint = pool.submit(fingerprint_files, [p for ps in files.values() for p in ps])
        for name in TABLE_ORDER:
            for path in files[name]:
                builder.add(name, read_table_file(path))
        return builder.build(fingerprint=fingerprint.result())


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
