"""The check-and-reject engine: vectorised checks over a file's records become either the
earliest :class:`~graph_influence.errors.InputError` (``FILE:LINE:COLUMN``) or a rejects table.

An importer states *what* is wrong as :class:`Check` objects (a boolean mask of bad records, the
column, the reason, the fix) and *where* its records are as :class:`Records` (file name, line
numbers, record text, malformed records). :func:`settle` does the rest, the same way for every
format: in ``fail`` mode it raises on the record that comes first in the file, in ``skip`` mode it
returns the mask of good records and one rejects row per bad record. Reasons and line numbers are
computed only for the records that are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from graph_influence.errors import InputError

__all__ = [
    "ON_ERROR",
    "REJECT_COLUMNS",
    "Check",
    "Records",
    "Settlement",
    "Verdict",
    "check_on_error",
    "concat_rejects",
    "empty_rejects",
    "settle",
]

#: What to do with a bad record: raise on the first one, or reject it and load the rest.
ON_ERROR: tuple[str, ...] = ("fail", "skip")

#: Columns of the rejects table (written to the rejects file by ``--on-error skip``).
REJECT_COLUMNS: tuple[str, ...] = ("table", "file", "line", "column", "reason", "record")

_REJECT_TYPES = {"line": pa.int64(), "column": pa.int64()}


@dataclass
class Check:
    """One way a record can be bad, for every record of a file at once.

    Attributes
    ----------
    column : str, int or numpy.ndarray
        Where the problem is: a column name (looked up in :attr:`Records.header`), a 1-based
        field position, or one 1-based position per record.
    bad : numpy.ndarray
        Boolean mask over the records: ``True`` where the record fails this check.
    reason : str or callable
        What is wrong: one text for every bad record, or a function from record indexes to one
        text each (called only for records that are reported).
    fix : str
        What to do about it.
    """

    column: str | int | np.ndarray
    bad: np.ndarray
    reason: str | Callable[[np.ndarray], list[str]]
    fix: str

    def reasons(self, rows: np.ndarray) -> list[str]:
        """The reason for each of ``rows``."""
        if isinstance(self.reason, str):
            return [self.reason] * len(rows)
        return self.reason(rows)

    def positions(self, rows: np.ndarray, header: Sequence[str]) -> np.ndarray:
        """The 1-based column of each of ``rows`` (0 where a named column is not in ``header``)."""
        if isinstance(self.column, np.ndarray):
            return np.asarray(self.column[rows], dtype=np.int64)
        return np.full(len(rows), self.position(header) or 0, dtype=np.int64)

    def position(self, header: Sequence[str], row: int = 0) -> int | None:
        """The 1-based column of record ``row`` (``None``: a named column not in ``header``)."""
        if isinstance(self.column, str):
            return list(header).index(self.column) + 1 if self.column in header else None
        if isinstance(self.column, np.ndarray):
            return int(self.column[row])
        return int(self.column)


@dataclass
class Records:
    """Where a file's records are: what :func:`settle` needs to name and quote them.

    Attributes
    ----------
    path : str
        The file as messages show it (``ARCHIVE!MEMBER`` for an archive member).
    lines : callable or None
        Record indexes to their 1-based physical lines; ``None`` for files without lines
        (Parquet), whose records are named by their 0-based row index.
    text : callable
        Record indexes to the records' text, for the rejects table (a list of str or an Arrow
        string array).
    header : sequence of str, optional
        Column names in file order, to turn a check's column name into its position.
    malformed : sequence of (int, str, str), optional
        Records that could not be split into fields: ``(line, text, problem)``. They are not
        among the checked records; each becomes an error at column 1 or a rejects row.
    malformed_fix : str, optional
        What to do about a malformed record.
    """

    path: str
    lines: Callable[[np.ndarray], np.ndarray] | None
    text: Callable[[np.ndarray], Sequence[str] | pa.Array]
    header: Sequence[str] = ()
    malformed: Sequence[tuple[int, str, str]] = ()
    malformed_fix: str = "give every record the expected fields"

    def where(self, rows: np.ndarray) -> np.ndarray:
        """Line of each of ``rows`` (its row index for files without lines)."""
        rows = np.asarray(rows, dtype=np.int64)
        return rows if self.lines is None else np.asarray(self.lines(rows), dtype=np.int64)


@dataclass
class Verdict:
    """The outcome of :func:`settle` in ``skip`` mode (``fail`` mode raises instead).

    Attributes
    ----------
    good : numpy.ndarray
        Boolean mask of the records to load.
    rejects : pyarrow.Table
        One row per rejected record, malformed ones included (columns :data:`REJECT_COLUMNS`).
    """

    good: np.ndarray
    rejects: pa.Table

    @property
    def all_good(self) -> bool:
        """Whether every checked record is loaded (malformed records aside)."""
        return bool(self.good.all())


def check_on_error(on_error: str) -> str:
    """Return ``on_error`` if it is ``"fail"`` or ``"skip"``.

    Raises
    ------
    ValueError
        For any other value.
    """
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be 'fail' or 'skip', not {on_error!r}")
    return on_error


def empty_rejects() -> pa.Table:
    """A rejects table without rows (columns :data:`REJECT_COLUMNS`)."""
    return pa.table({c: pa.array([], _REJECT_TYPES.get(c, pa.string())) for c in REJECT_COLUMNS})


def concat_rejects(parts: Iterable[pa.Table]) -> pa.Table:
    """The rejects tables ``parts`` one after the other (an empty table if there are none)."""
    return pa.concat_tables([empty_rejects(), *parts])


def settle(
    checks: Sequence[Check], records: Records, *, table: str, on_error: str = "fail"
) -> Verdict:
    """Raise on the earliest bad record (``fail``) or reject every bad record (``skip``).

    Parameters
    ----------
    checks : sequence of Check
        The checks of one file, in column order; all masks have one value per record. A record
        failing several checks is reported once, with the first of them.
    records : Records
        Where the records are (file, lines, text, malformed records).
    table : str
        The snapshot table the records belong to (the rejects' ``table`` column).
    on_error : {"fail", "skip"}, optional
        ``"fail"`` (default) raises; ``"skip"`` returns the good-record mask and the rejects.

    Returns
    -------
    Verdict
        The records to load and the rejects (empty when nothing is bad).

    Raises
    ------
    InputError
        In ``fail`` mode, for the bad or malformed record that comes first in the file.
    ValueError
        If ``on_error`` is neither ``"fail"`` nor ``"skip"``.

    Examples
    --------
    >>> import numpy as np
    >>> checks = [Check("age", np.array([False, True]), "age is not a number", "give a number")]
    >>> records = Records("people.csv", lambda rows: rows + 2, lambda rows: ["x,y"] * len(rows),
    ...                   header=["name", "age"])
    >>> settle(checks, records, table="users", on_error="skip").rejects.to_pylist()[0]["line"]
    3
    >>> settle(checks, records, table="users")
    Traceback (most recent call last):
    ...
    graph_influence.errors.InputError: people.csv:3:2: age is not a number — give a number
    """
    check_on_error(on_error)
    n = len(checks[0].bad) if checks else 0
    bad = np.zeros(n, dtype=bool)
    for check in checks:
        bad |= check.bad
    any_bad = bool(bad.any())
    if not any_bad and not records.malformed:
        return Verdict(~bad, empty_rejects())
    if on_error == "fail":
        raise _earliest(checks, records, bad if any_bad else None)
    parts = [_rejected(checks, records, table, np.flatnonzero(bad))] if any_bad else []
    if records.malformed:
        parts.append(_rejected_malformed(records, table))
    return Verdict(~bad, pa.concat_tables(parts))


class Settlement:
    """:func:`settle` file after file under one ``on_error``, keeping every file's rejects.

    For importers that build their tables themselves (``ego_twitter.py``) rather than through
    :class:`~graph_influence.loaders.snapshot.SnapshotBuilder`.

    Parameters
    ----------
    on_error : {"fail", "skip"}, optional
        Applied to every file (default ``"fail"``).

    Raises
    ------
    ValueError
        If ``on_error`` is neither ``"fail"`` nor ``"skip"``.
    """

    def __init__(self, on_error: str = "fail") -> None:
        self.on_error = check_on_error(on_error)
        self._parts: list[pa.Table] = []
        self._rejected: dict[str, int] = {}

    def settle(self, checks: Sequence[Check], records: Records, *, table: str) -> np.ndarray:
        """Settle one file (see :func:`settle`); the mask of its records to load."""
        verdict = settle(checks, records, table=table, on_error=self.on_error)
        if verdict.rejects.num_rows:
            self._parts.append(verdict.rejects)
            self._rejected[table] = self._rejected.get(table, 0) + verdict.rejects.num_rows
        return verdict.good

    def rejected(self, table: str) -> int:
        """How many records of ``table`` were rejected so far."""
        return self._rejected.get(table, 0)

    def rejects(self) -> pa.Table:
        """Every rejected record so far, in the order the files were settled."""
        return concat_rejects(self._parts)


def _earliest(checks: Sequence[Check], records: Records, bad: np.ndarray | None) -> InputError:
    """The error for the bad or malformed record that comes first in the file."""
    candidates: list[tuple[int, InputError]] = []
    if bad is not None:
        row = int(np.argmax(bad))
        check = next(c for c in checks if c.bad[row])
        line = None if records.lines is None else int(records.where(np.array([row]))[0])
        candidates.append((row if line is None else line, InputError(
            records.path, line, check.position(records.header, row),
            check.reasons(np.array([row]))[0], check.fix,
            column_name=check.column if isinstance(check.column, str) else None,
            row=row if line is None else None,
        )))
    if records.malformed:
        line, _text, problem = records.malformed[0]
        candidates.append((line, InputError(
            records.path, line, 1, f"malformed record: {problem}", records.malformed_fix
        )))
    return min(candidates, key=lambda c: c[0])[1]


def _rejected(checks: Sequence[Check], records: Records, table: str, rows: np.ndarray) -> pa.Table:
    # the first failing check (in column order) of each rejected row gives its reason
    first = np.argmax(np.vstack([c.bad[rows] for c in checks]), axis=0)
    reasons = np.empty(len(rows), dtype=object)
    positions = np.zeros(len(rows), dtype=np.int64)
    for k, check in enumerate(checks):
        mine = np.flatnonzero(first == k)
        if len(mine):
            reasons[mine] = check.reasons(rows[mine])
            positions[mine] = check.positions(rows[mine], records.header)
    text = records.text(rows)
    return _rejects_table(table, records.path, records.where(rows), positions,
                          reasons.tolist(), text)


def _rejected_malformed(records: Records, table: str) -> pa.Table:
    bad = records.malformed
    return _rejects_table(table, records.path, [m[0] for m in bad], [1] * len(bad),
                          [f"malformed record: {m[2]}" for m in bad], [m[1] for m in bad])


def _rejects_table(
    table: str, path: str, lines: Sequence[int] | np.ndarray, columns: Sequence[int] | np.ndarray,
    reasons: list[str], text: Sequence[str] | pa.Array | pa.ChunkedArray,
) -> pa.Table:
    n = len(reasons)
    if not isinstance(text, pa.Array | pa.ChunkedArray):
        text = pa.array(text, pa.string())
    return pa.table({
        "table": pa.repeat(pa.scalar(table, pa.string()), n),
        "file": pa.repeat(pa.scalar(path, pa.string()), n),
        "line": pa.array(lines, pa.int64()),
        "column": pa.array(columns, pa.int64()),
        "reason": pa.array(reasons, pa.string()),
        "record": text,
    })
