"""Stores: where snapshots are loaded and results kept. :func:`open_store` picks the backend."""

from __future__ import annotations

import os
from pathlib import Path

from graph_influence.errors import StoreError

from .base import LoadSummary, RunRecord, Store
from .duckdb_store import DuckDBStore

__all__ = [
    "DEFAULT_STORE",
    "STORE_ENV",
    "DuckDBStore",
    "LoadSummary",
    "RunRecord",
    "Store",
    "open_store",
    "resolve_store_url",
]

#: The store used when neither ``--store`` nor ``$GRAPH_INFLUENCE_STORE`` is given.
DEFAULT_STORE = "graph-influence.duckdb"
STORE_ENV = "GRAPH_INFLUENCE_STORE"
_NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def resolve_store_url(url: str | os.PathLike | None = None) -> str:
    """The store URL to use: ``url``, else ``$GRAPH_INFLUENCE_STORE``, else the default file."""
    if url is not None and str(url) != "":
        return str(url)
    return os.environ.get(STORE_ENV) or DEFAULT_STORE


def open_store(url: str | os.PathLike | None = None, *, read_only: bool = False) -> Store:
    """Open a store by URL.

    Parameters
    ----------
    url : str or path-like, optional
        ``PATH.duckdb`` or ``duckdb://PATH`` for the embedded store; ``neo4j://``,
        ``neo4j+s://`` or ``bolt://`` for a Neo4j server (credentials from ``NEO4J_USERNAME``,
        ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``). Default: ``$GRAPH_INFLUENCE_STORE`` or
        ``./graph-influence.duckdb``.
    read_only : bool, optional
        Open only for reading (queries; the embedded store is not created if missing).

    Returns
    -------
    Store

    Raises
    ------
    StoreError
        If the URL names no known backend or the store cannot be opened.

    Examples
    --------
    >>> import tempfile, os
    >>> from graph_influence import open_store
    >>> with open_store(os.path.join(tempfile.mkdtemp(), "demo.duckdb")) as store:
    ...     store.backend
    'duckdb'
    """
    text = resolve_store_url(url)
    if text.startswith(_NEO4J_SCHEMES):
        from .neo4j_store import Neo4jStore

        return Neo4jStore(text)
    if text.startswith("duckdb://"):
        return DuckDBStore(Path(text[len("duckdb://"):]), read_only=read_only)
    if "://" in text:
        raise StoreError(
            f"unknown store URL {text!r} — use PATH.duckdb, duckdb://PATH, neo4j:// or bolt://"
        )
    path = Path(text)
    if path.suffix.lower() != ".duckdb":
        raise StoreError(
            f"store path {text!r} must end in .duckdb (or use duckdb://{text} to insist)"
        )
    return DuckDBStore(path, read_only=read_only)
