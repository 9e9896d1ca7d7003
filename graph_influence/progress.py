"""Progress display: rich progress on a terminal (stderr), nothing when stderr is piped."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Stages", "stages"]


class Stages:
    """Shows the current stage of a long job and how long each finished stage took."""

    def __init__(self, title: str, *, enabled: bool | None = None) -> None:
        self.title = title
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.timings: dict[str, float] = {}
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
                TextColumn("[bold]{task.description}"),
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
        if self._progress is not None:
            self._progress.update(self._task, description=f"{self.title}: {name}")

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
