"""The exceptions graph-influence raises.

Every error a user can cause derives from :class:`GraphInfluenceError`; the CLI turns these into a
one-line message on stderr and exit code 1, without a traceback. Anything else is a bug.
"""

from __future__ import annotations

__all__ = [
    "GraphInfluenceError",
    "NonFiniteError",
    "Interrupted",
    "SnapshotError",
    "InputError",
    "StoreError",
    "StoreNotReadyError",
    "PowerIterationFailedConvergence",
    "CalibrationError",
    "OutputError",
]


class GraphInfluenceError(Exception):
    """Base class for errors the user can fix (bad input, missing data, wrong options)."""


class SnapshotError(GraphInfluenceError):
    """A snapshot cannot be read: missing files, unknown format, unreadable table."""


class InputError(SnapshotError):
    """A row of a snapshot table is invalid.

    Parameters
    ----------
    path : str
        The file holding the row.
    line : int or None
        1-based physical line of the row in a text file (``None`` for Parquet).
    column : int or None
        1-based position of the offending column in the file (``None`` if the whole row is wrong).
    column_name : str or None
        Name of the offending column.
    problem : str
        What is wrong.
    fix : str
        What to do about it.
    row : int or None
        0-based record index (the row number for Parquet files).
    """

    def __init__(
        self,
        path: str,
        line: int | None,
        column: int | None,
        problem: str,
        fix: str,
        *,
        column_name: str | None = None,
        row: int | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.column_name = column_name
        self.problem = problem
        self.fix = fix
        self.row = row
        super().__init__(self.location + ": " + problem + " — " + fix)

    @property
    def location(self) -> str:
        """``FILE:LINE:COLUMN`` (``FILE:row N:COLUMN`` for files without lines)."""
        where = str(self.line) if self.line is not None else f"row {self.row}"
        col = str(self.column) if self.column is not None else "1"
        return f"{self.path}:{where}:{col}"


class StoreError(GraphInfluenceError):
    """The store cannot be opened, read or written."""


class StoreNotReadyError(StoreError):
    """The store lacks what a command needs (no data loaded, no analysis run yet)."""


class CalibrationError(GraphInfluenceError):
    """A calibration file is missing, unreadable or made for another scale."""


class PowerIterationFailedConvergence(GraphInfluenceError):
    """The power iteration did not reach the tolerance within ``max_iter`` iterations.

    The message names the algorithm's arguments (``max_iter``, ``tol``, ``alpha``); the CLI
    shows its own flags instead (:meth:`for_flags`).

    Parameters
    ----------
    num_iterations : int
        Iterations run.
    error : float
        L1 change of the last iteration.
    tol : float
        Tolerance that was asked for.
    """

    #: The arguments that would help, in the order the message names them.
    params = ("max_iter", "tol", "alpha")

    def __init__(self, num_iterations: int, error: float, tol: float) -> None:
        self.num_iterations = num_iterations
        self.error = error
        self.tol = tol
        super().__init__(self._text(*self.params))

    def _text(self, max_iter: str, tol: str, alpha: str) -> str:
        return (f"power iteration failed to converge within {self.num_iterations} iterations "
                f"(last L1 change {self.error:.3g} > tol {self.tol:.3g}) — raise {max_iter} or "
                f"{tol}, or lower {alpha}")

    def for_flags(self, flag_of) -> str:
        """The message with ``flag_of(name)`` in place of each argument name."""
        return self._text(*(flag_of(p) for p in self.params))


class NonFiniteError(GraphInfluenceError):
    """A computation met a value that is not a finite number (``nan``, ``inf``).

    The inputs are checked to be finite and the weights scaled so that none can arise; this
    says which step met one anyway, instead of a failure to converge with an L1 change of
    ``nan`` and advice that would not help.
    """


class OutputError(GraphInfluenceError):
    """A file a command would write is unsafe or impossible to write (checked before any
    work): the store itself, an input, a directory, a missing or read-only folder."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what became of the unfinished step (the CLI prints it and exits 130).

    A store that cannot undo a step in one transaction (Neo4j's batched load) raises it after
    rolling the step back, or after failing to, so that the message says which.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
