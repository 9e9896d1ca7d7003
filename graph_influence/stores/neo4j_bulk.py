"""The bulk initial load of the Neo4j store: a staged snapshot written as ``neo4j-admin`` CSV
and imported offline (``neo4j-admin database import full``) into an empty database of a server
this machine controls.

The result is what the Bolt path (:mod:`graph_influence.stores.neo4j_store`) would have
written on an empty database: the same labels, relationship types, properties and property
types, users numbered ``uid = 0 .. n-1`` in id order, one ``INTERACTED`` per event with its
``key``, one ``POSTED`` per post, and the ``:Load`` ledger node, imported as ``running`` and set
``complete`` over Bolt once the server is back (so an import cut short by a crash is rolled back
like any unfinished load). Constraints and indexes are created by the store after the import.

The database's files are copied aside before the import and put back if it fails: the store is
then as it was (empty).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from graph_influence.errors import StoreError

if TYPE_CHECKING:  # pragma: no cover
    from .staging import StagedSnapshot

__all__ = ["BulkImportFailed", "ImportPlan", "OfflineServer", "import_offline",
           "write_import_files"]


_IMPORT_TIMEOUT_S = 4 * 3600.0


class OfflineServer(Protocol):
    """A Neo4j server a bulk load may stop and start again: the managed servers
    (:class:`graph_influence.testing.neo4j_server.Neo4jServer`, ``DevServer``)."""

    @property
    def home(self) -> Path | None: ...  # pragma: no cover

    def admin(self, *args: str, what: str, timeout: float = ...) -> None: ...  # pragma: no cover

    def offline(self) -> contextlib.AbstractContextManager: ...  # pragma: no cover


@dataclass
class ImportPlan:
    """The CSV files of one bulk load and the ``neo4j-admin`` options that read them."""

    folder: Path
    nodes: list[tuple[str, Path]] = field(default_factory=list)
    relationships: list[tuple[str, Path]] = field(default_factory=list)
    multiline: bool = False
    rows: int = 0

    def arguments(self, database: str) -> list[str]:
        """The arguments of ``neo4j-admin`` for this plan, into ``database``."""
        # The database first: the file lists after --nodes/--relationships take every
        # argument that follows them.
        args = ["database", "import", "full", database, "--overwrite-destination=true",
                "--id-type=integer",
                "--bad-tolerance=0", f"--report-file={self.folder / 'import.report'}",
                # the CSV's meaning, stated rather than left to the version's defaults: "" is
                # an empty string, nothing is null, values are taken as written
                "--ignore-empty-strings=false", "--trim-strings=false",
                "--legacy-style-quoting=false",
                f"--multiline-fields={'true' if self.multiline else 'false'}"]
        args += [f"--nodes={label}={path}" for label, path in self.nodes]
        args += [f"--relationships={kind}={path}" for kind, path in self.relationships]
        return args


def _datetimes(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """``timestamp[us]`` (UTC) -> ISO-8601 text with ``Z``, as neo4j-admin reads a datetime
    (Arrow's cast, ``YYYY-MM-DD HH:MM:SS.ffffff``, with its space made a ``T``: ~8x faster
    than ``strftime``)."""
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = column.cast(pa.timestamp(column.type.unit))
    text = pc.utf8_replace_slice(column.cast(pa.string()), start=10, stop=11, replacement="T")
    return pc.binary_join_element_wise(text, pa.scalar("Z"), "")


#: Columns whose values cannot hold a line break (hex keys, our load ids, formatted times).
_NO_BREAKS = ("key", "load_id", "ts:datetime", "created_at:datetime", "started_at:datetime",
              "expires_at:long")


def _has_line_break(table: pa.Table) -> bool:
    for name in table.column_names:
        column = table.column(name)
        if name not in _NO_BREAKS and pa.types.is_string(column.type):
            if name == "type":  # few distinct values: look at those
                column = pc.unique(column)
            for brk in ("\n", "\r"):
                if pc.any(pc.match_substring(column, brk)).as_py():
                    return True
    return False


def write_import_files(staged: StagedSnapshot, folder: Path, *, load_id: str, source: str,
                       format: str, fingerprint: str, started_at: datetime,
                       lease: dict | None = None) -> ImportPlan:
    """Write the staged snapshot as neo4j-admin CSV files (header on each file's first line).

    Parameters
    ----------
    staged : StagedSnapshot
        From :func:`graph_influence.stores.staging.stage_snapshot`.
    folder : Path
        Where to write (created; the caller removes it).
    load_id, source, format, fingerprint : str
        The ``:Load`` ledger entry.
    started_at : datetime
        When the load started (UTC).
    lease : dict, optional
        The store's write lease to bring into the new database (``owner``, ``what``,
        ``expires_at`` in epoch milliseconds): the writer keeps the store through the
        restart, the old lease being gone with the overwritten database.

    Returns
    -------
    ImportPlan
    """
    folder.mkdir(parents=True, exist_ok=True)
    # Nodes are numbered for the importer (--id-type=integer: no string id map to build):
    # users by uid, which is their position in the sorted ids, posts by their row. The id
    # columns are not stored; ``id`` and ``uid`` are ordinary properties.
    ids = staged.user_ids.column("id")
    n = len(ids)
    posts, follows, events = staged.posts, staged.follows, staged.events
    post_row = pa.array(np.arange(posts.num_rows, dtype=np.int64))

    def uid_of(column: pa.ChunkedArray) -> pa.ChunkedArray:
        return pc.index_in(column, value_set=ids).cast(pa.int64())

    def same(rows: int) -> pa.Array:
        return pa.repeat(pa.scalar(load_id), rows)

    def users() -> pa.Table:
        attrs = staged.users
        at = pc.index_in(ids, value_set=attrs.column("id"))  # null where a user has no row
        uid = pa.array(np.arange(n, dtype=np.int64))
        return pa.table({
            ":ID(User)": uid, "id": ids, "uid:long": uid,
            "name": attrs.column("name").take(at),
            "created_at:datetime": _datetimes(attrs.column("created_at").take(at)),
            "topics": attrs.column("topics").take(at),
            "attributes": attrs.column("attributes").take(at),
            "load_id": same(n),
        })

    def post_nodes() -> pa.Table:
        return pa.table({
            ":ID(Post)": post_row, "id": posts.column("id"),
            "ts:datetime": _datetimes(posts.column("ts")), "text": posts.column("text"),
            "topics": posts.column("topics"), "load_id": same(posts.num_rows),
        })

    def ledger() -> pa.Table:
        return pa.table({
            ":ID(Load)": pa.array([0], pa.int64()), "id": [load_id], "source": [source],
            "format": [format], "fingerprint": [fingerprint], "status": ["running"],
            "started_at:datetime": [started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")],
        })

    def follow_rels() -> pa.Table:
        return pa.table({
            ":START_ID(User)": uid_of(follows.column("src")),
            ":END_ID(User)": uid_of(follows.column("dst")),
            "ts:datetime": _datetimes(follows.column("ts")), "load_id": same(follows.num_rows),
        })

    def event_rels() -> pa.Table:
        return pa.table({
            ":START_ID(User)": uid_of(events.column("src")),
            ":END_ID(User)": uid_of(events.column("dst")),
            "key": events.column("key"), "type": events.column("type"),
            "ts:datetime": _datetimes(events.column("ts")), "post_id": events.column("post_id"),
            "topics": events.column("topics"), "weight:double": events.column("weight"),
            "seq:long": events.column("seq").cast(pa.int64()), "load_id": same(events.num_rows),
        })

    def posted_rels() -> pa.Table:
        return pa.table({
            ":START_ID(User)": uid_of(posts.column("author")), ":END_ID(Post)": post_row,
            "load_id": same(posts.num_rows),
        })

    def write_lock() -> pa.Table:
        assert lease is not None
        return pa.table({
            ":ID(WriteLock)": pa.array([0], pa.int64()), "name": ["store"],
            "owner": [lease["owner"]], "what": [lease["what"]],
            "started_at:datetime": [started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")],
            "expires_at:long": pa.array([lease["expires_at"]], pa.int64()),
        })

    files = [("node", "User", "users", users), ("node", "Post", "posts", post_nodes),
             ("node", "Load", "load", ledger),
             *([("node", "WriteLock", "lease", write_lock)] if lease else []),
             ("rel", "FOLLOWS", "follows", follow_rels),
             ("rel", "INTERACTED", "interacted", event_rels),
             ("rel", "POSTED", "posted", posted_rels)]
    options = pacsv.WriteOptions(quoting_style="needed")

    def write(file: tuple) -> tuple[Path, int, bool]:
        name, build = file[2], file[3]
        table = build()
        path = folder / f"{name}.csv"
        pacsv.write_csv(table, path, options)
        return path, table.num_rows, _has_line_break(table)

    # Arrow's kernels and CSV writer release the GIL: one file per core at a time.
    with ThreadPoolExecutor(max_workers=max(1, min(len(files), os.cpu_count() or 1))) as pool:
        written = list(pool.map(write, files))
    plan = ImportPlan(folder)
    for (kind, label, _name, _build), (path, rows, multiline) in zip(files, written,
                                                                    strict=True):
        (plan.nodes if kind == "node" else plan.relationships).append((label, path))
        plan.rows += rows
        plan.multiline = plan.multiline or multiline
    return plan


@contextlib.contextmanager
def _kept_aside(home: Path, database: str, tag: str) -> Iterator[None]:
    """Copy the database's store and transaction files aside for the block; put them back if
    it fails (the copy is removed only once it is back, or not needed)."""
    data = home / "data"
    parts = [data / "databases" / database, data / "transactions" / database]
    backup = data / f"bulk-backup-{tag}"
    for stale in data.glob("bulk-backup-*"):  # of a bulk load killed before it tidied up
        shutil.rmtree(stale, ignore_errors=True)
    saved = []
    for i, part in enumerate(parts):
        if part.exists():
            shutil.copytree(part, backup / str(i), symlinks=True)
            saved.append((i, part))
    try:
        yield
    except BaseException:
        for part in parts:
            shutil.rmtree(part, ignore_errors=True)
        for i, part in saved:
            shutil.copytree(backup / str(i), part, symlinks=True)
        shutil.rmtree(backup, ignore_errors=True)
        raise
    shutil.rmtree(backup, ignore_errors=True)


class BulkImportFailed(StoreError):
    """neo4j-admin failed; the database was put back as it was and the server is up."""


def import_offline(server: OfflineServer, plan: ImportPlan, database: str, *,
                   stage: Callable[[str], None], describe: str) -> None:
    """Stop ``server``, import ``plan`` into ``database``, start it again.

    Parameters
    ----------
    server : OfflineServer
        The managed server.
    plan : ImportPlan
        From :func:`write_import_files`.
    database : str
        The database to (over)write; it must be empty (the caller checked).
    stage : callable
        Progress: called with each step's name.
    describe : str
        The store, as messages name it.

    Raises
    ------
    StoreError
        If the import fails: the database is put back as it was and the server started again.
    """
    home = server.home
    if home is None:
        raise StoreError(f"the server behind {describe} has no home folder to import into")
    from graph_influence.testing.neo4j_server import Neo4jServerError

    stage("store: stop the server for the import")
    failed: Neo4jServerError | None = None
    try:
        with server.offline():
            try:
                with _kept_aside(Path(home), database, plan.folder.name):
                    stage(f"store: neo4j-admin import ({plan.rows:,} rows)")
                    server.admin(*plan.arguments(database), what="neo4j-admin database import",
                                 timeout=_IMPORT_TIMEOUT_S)
            except Neo4jServerError as exc:
                failed = exc  # the database is back as it was; the server starts again
            stage("store: start the server again")
    except Neo4jServerError as exc:
        happened = ("the bulk import failed and the database was put back as it was (empty)"
                    if failed else "the bulk import finished")
        raise StoreError(
            f"{happened}, but the server behind {describe} did not start again: {exc}\n"
            "start it again (make neo4j-up); an imported load that did not complete is rolled "
            "back by the next load or analyze" + (f"\nthe import's error: {failed}" if failed
                                                  else "")
        ) from None
    if failed is not None:
        raise BulkImportFailed(
            f"the bulk import into {describe} failed, and the database was put back as it "
            f"was (empty): {failed}") from None
