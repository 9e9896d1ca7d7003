"""The validated, normalised content of one snapshot, as loaders hand it to a store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from graph_influence.loaders.checks import concat_rejects, empty_rejects
from graph_influence.loaders.files import READ_ERRORS, RawTable, read_error
from graph_influence.loaders.validate import (
    TableReport,
    ValidatedTable,
    empty_table,
    validate_table,
)
from graph_influence.schema import DEFAULT_INTERACTION_TYPES, TABLE_ORDER, TABLES

__all__ = ["Snapshot", "SnapshotBuilder", "fingerprint_files", "fingerprint_read"]


@dataclass
class Snapshot:
    """A snapshot ready to be written to a store.

    Attributes
    ----------
    source : str
        Where it was read from.
    format : str
        The loader that read it (``dir``, ``higgs``, ``edgelist``, ...).
    tables : dict of str to pyarrow.Table
        Every table of ``graph_influence.schema.TABLES`` in normalised form (empty if absent).
    reports : dict of str to TableReport
        Counts per table (``read = loaded + rejected``).
    rejects : pyarrow.Table
        Rejected records with file, line, column and reason (empty unless ``on_error="skip"``).
    fingerprint : str
        Hash of the input files' bytes, to recognise a snapshot loaded before;
        :func:`graph_influence.loading.load_snapshot` mixes in the read options
        (:func:`fingerprint_read`), so the same files read another way are another snapshot.
    interaction_types : list of str
        The interaction types that were allowed.
    unresolved : pyarrow.Table
        References the importer could not resolve (same columns as ``rejects``; counted in
        ``reports[table].unresolved``, not in ``read``).
    ignored : list of (str, str)
        Files of the input that were not read, each with the reason (``follow.csv``: "not a
        table name — did you mean follows.csv?"); the files read are in
        ``reports[table].files``.
    """

    source: str
    format: str
    tables: dict[str, pa.Table]
    reports: dict[str, TableReport]
    rejects: pa.Table
    fingerprint: str
    interaction_types: list[str] = field(default_factory=list)
    unresolved: pa.Table = field(default_factory=empty_rejects)
    ignored: list[tuple[str, str]] = field(default_factory=list)

    @property
    def n_rejected(self) -> int:
        return self.rejects.num_rows


def fingerprint_files(paths: Iterable[Path]) -> str:
    """BLAKE2 hash of the files' names and bytes (streamed), as 32 hex digits."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(paths):
        digest.update(path.name.encode())
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def fingerprint_read(fingerprint: str, how: Mapping[str, object]) -> str:
    """The fingerprint of the files read one way: ``fingerprint`` (of the files) and ``how``
    (the format and the read options that change which rows are read), as 32 hex digits.

    Examples
    --------
    >>> a = fingerprint_read("f" * 32, {"format": "edgelist", "edge_kind": None})
    >>> a == fingerprint_read("f" * 32, {"edge_kind": None, "format": "edgelist"})
    True
    >>> a == fingerprint_read("f" * 32, {"format": "edgelist", "edge_kind": "retweet"})
    False
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(fingerprint.encode())
    digest.update(json.dumps(how, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _release_arrow_memory() -> None:
    """Give back what Arrow's allocator keeps after a large table is freed (10M-edge loads
    otherwise hold on to ~0.5 GB of freed parse buffers)."""
    pa.default_memory_pool().release_unused()


class SnapshotBuilder:
    """Collects validated tables file by file and builds the :class:`Snapshot`.

    The one call a table-shaped importer makes (see ``graph_influence.loaders``): each
    :meth:`add` validates a file against its snapshot table and settles its bad records
    (``FILE:LINE:COLUMN`` error, or rejects); :meth:`build` merges the files.

    Parameters
    ----------
    source : str
        Where the snapshot is read from (a directory or file).
    fmt : str
        The importer's format name (``Snapshot.format``).
    on_error : {"fail", "skip"}, optional
        ``"fail"`` (default): raise on the first bad record of a file. ``"skip"``: load the
        good records and collect the bad ones in ``Snapshot.rejects``.
    interaction_types : iterable of str, optional
        Interaction types allowed besides the defaults.
    ts_unit : {"s", "ms", "us"}, optional
        The unit of epoch numbers in timestamp columns (default seconds).

    Examples
    --------
    >>> from pathlib import Path
    >>> from graph_influence.loaders.files import read_delimited
    >>> _ = Path("edges.psv").write_text("a|b\\nb|\\n")
    >>> builder = SnapshotBuilder("edges.psv", "pipes", on_error="skip")
    >>> builder.add("follows", read_delimited(Path("edges.psv"), column_names=["src", "dst"],
    ...                                       delimiter="|"))
    >>> snap = builder.build()
    >>> snap.reports["follows"].loaded, snap.rejects.to_pylist()[0]["reason"]
    (1, 'empty dst')
    """

    def __init__(
        self,
        source: str,
        fmt: str,
        *,
        on_error: str = "fail",
        interaction_types: Iterable[str] = (),
        ts_unit: str = "s",
    ) -> None:
        self.source = source
        self.format = fmt
        self.on_error = on_error
        self.ts_unit = ts_unit
        self.types = frozenset(DEFAULT_INTERACTION_TYPES) | {
            t.strip().lower() for t in interaction_types
        }
        self._parts: dict[str, list[ValidatedTable]] = {name: [] for name in TABLE_ORDER}
        self._files: list[Path] = []
        self._ignored: list[tuple[str, str]] = []

    def ignore(self, path: Path | str, reason: str) -> None:
        """List a file of the input that is not read (``Snapshot.ignored``), and why."""
        self._ignored.append((str(path), reason))

    def add(
        self,
        table_name: str,
        raw: RawTable,
        *,
        transform: Callable[[RawTable], RawTable] | None = None,
    ) -> None:
        """Validate ``raw`` as the snapshot table ``table_name`` and keep the result.

        Parameters
        ----------
        table_name : str
            A table of ``graph_influence.schema.TABLES`` (``users``, ``follows``, ...).
        raw : RawTable
            One file's records, its columns named as the table's.
        transform : callable, optional
            Applied to ``raw`` first, to rename, map or add columns.

        Raises
        ------
        InputError
            A required column is missing, or (``on_error="fail"``) a record is bad.
        """
        _release_arrow_memory()  # the previous file's raw columns
        if transform is not None:
            raw = transform(raw)
        try:  # the error path reads the file again (lines, record text)
            validated = validate_table(
                raw, TABLES[table_name], on_error=self.on_error, interaction_types=self.types,
                ts_unit=self.ts_unit,
            )
        except READ_ERRORS as exc:
            raise read_error(raw.path, exc) from exc
        self._parts[table_name].append(validated)
        self._files.append(raw.path)

    def build(self, fingerprint: str | None = None) -> Snapshot:
        """The snapshot; ``fingerprint`` if it was computed already (of the same files)."""
        _release_arrow_memory()
        tables: dict[str, pa.Table] = {}
        reports: dict[str, TableReport] = {}
        rejects = []
        for name in TABLE_ORDER:
            parts = self._parts[name]
            report = TableReport(name)
            for part in parts:
                report.add(part.report)
                rejects.append(part.rejects)
            tables[name] = (
                pa.concat_tables([p.table for p in parts]) if parts else empty_table(TABLES[name])
            )
            reports[name] = report
        return Snapshot(
            source=self.source,
            format=self.format,
            tables=tables,
            reports=reports,
            rejects=concat_rejects(rejects),
            fingerprint=fingerprint or fingerprint_files(self._files),
            interaction_types=sorted(self.types),
            ignored=list(self._ignored),
        )
