"""Stores: where snapshots are loaded and results kept. :func:`open_store` picks the backend.

Backends are found through a registry (:func:`register_backend`): a URL scheme or a path suffix
names a backend, and the backend's class (or factory) is imported only when a URL names it, so
``open_store("x.duckdb")`` never imports the Neo4j driver. Importing this package is light (no
numpy, pandas or pyarrow).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from graph_influence.errors import StoreError

from .base import LoadSummary, Rows, RunRecord, Store, StoreCapabilities
from .common import redact_url, refuse_credentials

if TYPE_CHECKING:  # pragma: no cover
    from .duckdb_store import DuckDBStore

__all__ = [
    "DEFAULT_STORE",
    "STORE_ENV",
    "BackendEntry",
    "DuckDBStore",
    "LoadSummary",
    "Rows",
    "RunRecord",
    "Store",
    "StoreCapabilities",
    "backend_classes",
    "backends",
    "local_store_path",
    "open_store",
    "redact_url",
    "register_backend",
    "resolve_store_url",
]

#: The store used when neither ``--store`` nor ``$GRAPH_INFLUENCE_STORE`` is given.
DEFAULT_STORE = "graph-influence.duckdb"
STORE_ENV = "GRAPH_INFLUENCE_STORE"


@dataclass(frozen=True)
class BackendEntry:
    """A registered backend: its name, what it opens, and the URLs that name it.

    Attributes
    ----------
    name : str
        The backend's name (``Store.backend``).
    target : str or callable
        The backend: a :class:`Store` subclass (opened with its ``from_url``), a factory
        ``(url, *, read_only) -> Store``, or ``"module:attribute"`` naming either (imported on
        first use).
    schemes : tuple of str
        URL prefixes, e.g. ``("duckdb://",)``.
    suffixes : tuple of str
        Suffixes of plain paths (no scheme), lower case, e.g. ``(".duckdb",)``.
    """

    name: str
    target: str | Callable[..., Store]
    schemes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()

    def load(self) -> Any:
        """The class or factory (importing its module if ``target`` is a string)."""
        if isinstance(self.target, str):
            module, _, attr = self.target.partition(":")
            return getattr(import_module(module), attr)
        return self.target

    def open(self, url: str, *, read_only: bool = False) -> Store:
        """Open ``url`` with this backend."""
        target = self.load()
        opener = target.from_url if isinstance(target, type) else target
        return opener(url, read_only=read_only)


_REGISTRY: dict[str, BackendEntry] = {}


def register_backend(
    name: str,
    target: str | Callable[..., Store],
    *,
    schemes: tuple[str, ...] | list[str] = (),
    suffixes: tuple[str, ...] | list[str] = (),
) -> BackendEntry:
    """Make a backend reachable through :func:`open_store`.

    Parameters
    ----------
    name : str
        The backend's name; registering a name again replaces the entry.
    target : Store subclass, factory or str
        See :class:`BackendEntry`. A string ``"package.module:Class"`` defers the import until
        a URL names the backend.
    schemes : sequence of str
        URL prefixes that name it (``"mydb://"``).
    suffixes : sequence of str
        Plain-path suffixes that name it (``".mydb"``).

    Returns
    -------
    BackendEntry

    Raises
    ------
    ValueError
        If a scheme or suffix already belongs to another backend.

    Examples
    --------
    >>> entry = register_backend("duckdb", "graph_influence.stores.duckdb_store:DuckDBStore",
    ...                          schemes=["duckdb://"], suffixes=[".duckdb"])
    >>> entry.schemes
    ('duckdb://',)
    """
    entry = BackendEntry(name, target, tuple(schemes), tuple(s.lower() for s in suffixes))
    for other in _REGISTRY.values():
        if other.name == name:
            continue
        taken = (set(other.schemes) & set(entry.schemes)) | (
            set(other.suffixes) & set(entry.suffixes))
        if taken:
            raise ValueError(f"{', '.join(sorted(taken))} already names backend {other.name!r}")
    _REGISTRY[name] = entry
    return entry


def backends() -> list[BackendEntry]:
    """The registered backends, in registration order."""
    return list(_REGISTRY.values())


def backend_classes() -> dict[str, type[Store]]:
    """Name -> class of every registered backend whose target is a :class:`Store` subclass
    (imports each backend's module; the conformance suite checks them all)."""
    out = {}
    for entry in _REGISTRY.values():
        target = entry.load()
        if isinstance(target, type) and issubclass(target, Store):
            out[entry.name] = target
    return out


register_backend("duckdb", "graph_influence.stores.duckdb_store:DuckDBStore",
                 schemes=("duckdb://",), suffixes=(".duckdb",))
register_backend("neo4j", "graph_influence.stores.neo4j_store:Neo4jStore",
                 schemes=("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://",
                          "bolt+ssc://"))


def resolve_store_url(url: str | os.PathLike | None = None) -> str:
    """The store URL to use: ``url``, else ``$GRAPH_INFLUENCE_STORE``, else the default file."""
    if url is not None and str(url) != "":
        return str(url)
    return os.environ.get(STORE_ENV) or DEFAULT_STORE


def local_store_path(url: str | os.PathLike | None = None) -> str | None:
    """The file of the embedded store ``url`` names (as :func:`open_store` resolves it), or
    None for a server URL.

    >>> local_store_path("duckdb://net.duckdb"), local_store_path("bolt://db:7687")
    ('net.duckdb', None)
    """
    text = resolve_store_url(url)
    if text.startswith("duckdb://"):
        return text[len("duckdb://"):]
    return None if "://" in text else text


def _forms() -> str:
    forms = []
    for entry in _REGISTRY.values():
        forms += [f"PATH{s}" for s in entry.suffixes]
        forms += [f"{s}PATH" if entry.suffixes else s for s in entry.schemes]
    return ", ".join(forms[:-1]) + " or " + forms[-1] if len(forms) > 1 else "".join(forms)


def open_store(url: str | os.PathLike | None = None, *, read_only: bool = False) -> Store:
    """Open a store by URL.

    Parameters
    ----------
    url : str or path-like, optional
        ``PATH.duckdb`` or ``duckdb://PATH`` for the embedded store; ``neo4j://``,
        ``neo4j+s://`` or ``bolt://`` for a Neo4j server (credentials from ``NEO4J_USERNAME``,
        ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``). Default: ``$GRAPH_INFLUENCE_STORE`` or
        ``./graph-influence.duckdb``. Other backends: :func:`register_backend`.
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
    for entry in _REGISTRY.values():
        if text.startswith(entry.schemes):
            if "://" in text and not entry.suffixes:  # a server: no secrets in its URL
                refuse_credentials(text)
            return entry.open(text, read_only=read_only)
    if "://" in text:
        raise StoreError(f"unknown store URL {redact_url(text)!r} — use {_forms()}")
    lower = text.lower()
    for entry in _REGISTRY.values():
        if entry.suffixes and lower.endswith(entry.suffixes):
            return entry.open(text, read_only=read_only)
    with_suffix = [e for e in _REGISTRY.values() if e.suffixes]
    suffixes = " or ".join(s for e in with_suffix for s in e.suffixes)
    insist = next((f" (or use {e.schemes[0]}{text} to insist)" for e in with_suffix
                   if e.schemes), "")
    raise StoreError(f"store path {text!r} must end in {suffixes}{insist}")


def __getattr__(name: str) -> Any:
    if name == "DuckDBStore":  # imported on first use: keeps `import graph_influence.stores` light
        from .duckdb_store import DuckDBStore

        return DuckDBStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
