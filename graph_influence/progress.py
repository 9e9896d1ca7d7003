"""Progress display: rich progress on a terminal (stderr), nothing when stderr is piped.

A job names its stages (``stage("pagerank")``) and, where it knows them, counts within the
current stage: ``stage.count(120_000, unit="rows")`` shows ``load: read + validate — 120,000
rows``; ``stage.count(12, 100, unit="iterations")`` shows ``... — 12 of 100 iterations``.
:meth:`Stages.iterations` makes the per-iteration callback an iterative algorithm calls.

:func:`set_quiet` (the CLI's ``--quiet``) turns the display off wherever it was not asked for
explicitly (``progress=True``). Stage names and counts are shown as text, never as markup.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Stages", "is_quiet", "set_quiet", "stages"]

_quiet = False


def set_quiet(quiet: bool = True) -> None:
    """Hide progress (and, in the CLI, informational messages) from now on."""
    global _quiet
    _quiet = bool(quiet)


def is_quiet() -> bool:
    """Whether :func:`set_quiet` is in effect."""
    return _quiet


class Stages:
    """Shows the current stage of a long job and how long each finished stage took.

    Parameters
    ----------
    title : str
        What the job is (``"load"``, ``"analyze"``).
    enabled : bool, optional
        Show the display. Default: when stderr is a terminal and :func:`set_quiet` is off.

    Notes
    -----
    The display redraws itself ten times a second from the latest stage and count, so a
    count costs a few microseconds; report one per batch of rows or per iteration.

    Examples
    --------
    >>> with Stages("analyze", enabled=False) as stage:
    ...     stage("pagerank")
    ...     tick = stage.iterations(100)
    ...     for i in range(1, 4):
    ...         tick(i)
    >>> sorted(stage.timings), stage.counted
    (['pagerank'], {'pagerank': (3, 100, 'iterations')})
    """

    def __init__(self, title: str, *, enabled: bool | None = None) -> None:
        self.title = title
        self.enabled = (sys.stderr.isatty() and not _quiet) if enabled is None else enabled
        self.timings: dict[str, float] = {}
        #: The last count of each stage: (done, total or None, unit).
        self.counted: dict[str, tuple[int, int | None, str]] = {}
        self._current: str | None = None
        self._started = 0.0
        self._progress = None
        self._task = None

    def __enter__(self) -> Stages:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", style="bold", markup=False),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(self.title, total=None)
        return self

    def __call__(self, name: str) -> None:
        """Start stage ``name`` (ending the previous one)."""
        self._finish()
        self._current = name
        self._started = time.perf_counter()
        self._show(f"{self.title}: {name}")

    def count(self, done: int, total: int | None = None, *, unit: str = "") -> None:
        """Report progress within the current stage: ``done`` (of ``total``, if known)."""
        stage = self._current or self.title
        self.counted[stage] = (int(done), None if total is None else int(total), unit)
        if self._progress is None:
            return
        of = f" of {total:,}" if total is not None else ""
        self._show(f"{self.title}: {stage} — {done:,}{of}{' ' + unit if unit else ''}")

    def iterations(self, total: int | None = None, *, unit: str = "iterations"
                   ) -> Callable[..., None]:
        """A callback ``tick(iteration, *ignored)`` that counts iterations of ``total``.

        Extra arguments (an algorithm's current error, say) are accepted and ignored, so the
        callback can be handed to any loop that reports ``(iteration, error)``.
        """
        def tick(iteration: int, *_: object) -> None:
            self.count(iteration, total, unit=unit)

        return tick

    def _show(self, description: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=description)

    def _finish(self) -> None:
        if self._current is not None:
            elapsed = time.perf_counter() - self._started
            self.timings[self._current] = self.timings.get(self._current, 0.0) + elapsed
            self._current = None

    def __exit__(self, *exc: object) -> None:
        self._finish()
        if self._progress is not None:
            self._progress.__exit__(None, None, None)


@contextmanager
def stages(title: str, *, enabled: bool | None = None) -> Iterator[Stages]:
    """Context manager form of :class:`Stages`."""
    with Stages(title, enabled=enabled) as s:
        yield s
