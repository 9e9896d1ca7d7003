"""The one check of a path a command will write (``export OUT``, ``report OUT``,
``--save-calibration``, ``--rejects``), made before the command opens the store or reads input.

A command must never overwrite its own store (the DuckDB file or its ``.wal``) nor the input it
reads, and a path that cannot be written should fail before any work is done, not after (a load
that is committed and then cannot write its rejects would lose them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from graph_influence.errors import OutputError

__all__ = ["check_output"]

#: Files that belong to an embedded store besides the database itself.
_STORE_COMPANIONS = ("", ".wal", ".tmp")


def _real(path: str | os.PathLike) -> Path:
    return Path(os.path.realpath(os.path.expanduser(str(path))))


def _same(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (also through a hard link)."""
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _read_only_fs(folder: Path) -> bool:
    """Whether ``folder`` is on a file system mounted read-only (where known)."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs (Windows)
        return False


def check_output(path: str | os.PathLike, *, store_url: str | os.PathLike | None = None,
                 inputs: Iterable[str | os.PathLike] = (), what: str = "write to") -> Path | None:
    """Raise :class:`~graph_influence.errors.OutputError` unless ``path`` can be written safely.

    Parameters
    ----------
    path : str or path-like
        The file to write; ``-`` (standard output) is always fine.
    store_url : str or path-like, optional
        The command's ``--store`` (resolved as :func:`~graph_influence.stores.open_store`
        does): its file, and the file's ``.wal``, are refused.
    inputs : iterable of str or path-like
        Files or directories the command reads: refused, as is any file inside such a
        directory.
    what : str, optional
        What the message says cannot be done (``"write the report to"``).

    Returns
    -------
    Path or None
        ``path`` as given (None for ``-``).

    Raises
    ------
    OutputError
        ``path`` is the store or an input, is a directory, its folder is missing or not a
        folder, or it cannot be written.

    Examples
    --------
    >>> check_output("/no/such/dir/r.html")
    Traceback (most recent call last):
    ...
    graph_influence.errors.OutputError: cannot write to /no/such/dir/r.html: ... does not exist
    """
    if str(path) == "-":
        return None
    target = Path(path)
    where = f"cannot {what} {target}"
    real = _real(target)
    from graph_influence.stores import local_store_path

    store = local_store_path(store_url)  # the default store when none is named
    if store is not None:
        for companion in _STORE_COMPANIONS:
            if _same(real, _real(f"{store}{companion}")):
                kind = "the store" if not companion else f"the store's {companion} file"
                raise OutputError(f"{where}: it is {kind} ({store}) — choose another file")
    for item in inputs:
        if item is None or str(item) == "-":
            continue
        source = _real(item)
        if _same(real, source):
            raise OutputError(f"{where}: it is the input being read ({item}) — choose "
                              "another file")
        if source.is_dir() and real.is_relative_to(source):
            raise OutputError(f"{where}: it is inside the input directory {item} — choose "
                              "another place")
    if real.is_dir():
        raise OutputError(f"{where}: it is a directory")
    parent = real.parent
    if not parent.exists():
        raise OutputError(f"{where}: directory {target.parent} does not exist")
    if not parent.is_dir():
        raise OutputError(f"{where}: directory {target.parent} is not a directory")
    if _read_only_fs(parent):
        raise OutputError(f"{where}: the file system of {target.parent} is read-only")
    if not os.access(parent, os.W_OK | os.X_OK) or (
            real.exists() and not os.access(real, os.W_OK)):
        raise OutputError(f"{where}: permission denied")
    return target
