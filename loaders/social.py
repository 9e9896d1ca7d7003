"""What social-media importers share: posts that refer to other posts and users, resolved into
snapshot tables.

A platform adapter (``twitter.py``, ``mastodon.py``, ``bluesky.py``, ``reddit.py``) only reads
its JSON into a :class:`Collected`: users, *items* (a post, or an act such as a like that is
not a post) with their references to other posts and their mentions, and follows. This module
then, the same way for every platform:

- keeps one copy of each item, user and follow by id (the later record wins), so a tweet in
  ``data`` and in ``includes``, or on two pages, is one post;
- resolves each reference to the author of the referenced post (a hint the record carries, or
  the referenced post's author when it is in the input); one it cannot resolve is listed in
  ``Snapshot.unresolved`` and counted in the load report, never dropped silently;
- leaves out the records of excluded users (``--exclude-user``) and the interactions aimed at
  them, counted as ``excluded`` in the load report;
- builds the tables through :class:`~graph_influence.loaders.snapshot.SnapshotBuilder`, whose
  checks name ``FILE:LINE`` and the JSON path of a bad record, and whose ``skip`` mode writes
  rejects.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders.checks import Check, Records, concat_rejects, settle
from graph_influence.loaders.files import RawTable
from graph_influence.loaders.snapshot import Snapshot, SnapshotBuilder, fingerprint_files
from graph_influence.loaders.sniff import iter_json_records

__all__ = ["Collected", "Item", "JsonTable", "build_social_snapshot", "id_str", "input_files",
           "no_gc", "options_reader"]

#: Characters of a record kept in messages and rejects.
RECORD_CHARS = 500

_V1_DATE = "%a %b %d %H:%M:%S %z %Y"


class Item(NamedTuple):
    """A post, or an act that is not a post (a like, a repost record), as read from a file.

    ``refs`` are ``(label, interaction type or None, referenced post id, author hint or
    None)``: the label names the reference in messages; a ``None`` type is a reference of a
    kind the importer does not map (reported as unresolved); the hint is the referenced
    post's author when the record says it. ``mentions`` are ``(user id or None, username)``.
    """

    file: int
    line: int
    where: str
    author: str
    ts: str
    post: bool
    text: str | None
    topics: str | None
    refs: list[tuple[str, str | None, str, str | None]]
    mentions: list[tuple[str | None, str]]


@dataclass
class Collected:
    """Everything an adapter read, deduplicated by id (later records win)."""

    items: dict[str, Item] = field(default_factory=dict)
    users: dict[str, tuple] = field(default_factory=dict)  # id -> (file, line, where, id, ...)
    stubs: dict[str, tuple] = field(default_factory=dict)  # users known by name only
    follows: dict[str, tuple] = field(default_factory=dict)  # id -> (file, line, where, src, ...)
    malformed: dict[int, dict[str, list[tuple[int, str, str]]]] = field(default_factory=dict)

    def bad(self, file: int, table: str, line: int, text: str, problem: str) -> None:
        """A record that cannot be read (a malformed record of ``table``)."""
        self.malformed.setdefault(file, {}).setdefault(table, []).append(
            (line, text[:RECORD_CHARS], problem))

    def stub(self, file: int, line: int, where: str, uid: str, name: str | None) -> None:
        """A user known only from a reference (an id and maybe a name)."""
        if uid not in self.stubs:
            self.stubs[uid] = (file, line, where, uid, name)


def id_str(value: Any) -> str:
    """An id as a string (some tools write numbers); ``""`` for none, and for an object,
    array or boolean, which are no ids (the record is then reported as lacking its id)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, dict | list | bool):
        return ""
    return str(value)


def dump(value: Any) -> str:
    """A JSON value as message text (cut to :data:`RECORD_CHARS`)."""
    return json.dumps(value, ensure_ascii=False)[:RECORD_CHARS]


def input_files(path: str | Path, find: Callable[[Path], list[Path]], expected: str
                ) -> tuple[Path, list[Path]]:
    """``path`` and the files ``find`` picks in it; a :class:`SnapshotError` when the path does
    not exist or holds none (``expected``: what the message says the format reads)."""
    path = Path(path)
    if not path.exists():
        raise SnapshotError(f"{path}: no such file or directory")
    files = find(path)
    if not files:
        raise SnapshotError(f"{path}: {expected}")
    return path, files


def options_reader(read: Callable[..., Snapshot]) -> Callable[[Path, Any], Snapshot]:
    """An ``Importer.read`` (``(path, ReadOptions)``) for a social adapter's ``read_X(path, *,
    on_error, interaction_types, exclude_users)``; ``exclude_users=None`` means the format's
    default."""

    def read_with_options(path: Path, options) -> Snapshot:
        return read(path, on_error=options.on_error, interaction_types=options.interaction_types,
                    exclude_users=options.exclude_users)

    return read_with_options


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while parsing (parsing makes no reference cycles;
    with it on, a 1M-tweet read spends ~37 % of its time collecting)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- tables -----------------------------------------------------------------------------------


def iso_timestamps(values: list[str | None]) -> pa.Array:
    """Timestamps as text, Twitter v1.1 dates (``Wed Oct 10 20:19:24 +0000 2018``) made
    ISO-8601 UTC; anything else is kept as it is, for validation to read or name."""
    arr = pa.array(values, pa.string())
    if not pc.any(pc.utf8_is_alpha(pc.utf8_slice_codeunits(arr, 0, 1))).as_py():
        return arr  # ISO-8601, epoch numbers or empty: the engine reads them
    parsed = pc.strptime(arr, format=_V1_DATE, unit="s", error_is_null=True)
    return pc.coalesce(pc.strftime(parsed, format="%Y-%m-%dT%H:%M:%SZ"), arr)


class JsonTable(RawTable):
    """A table built from JSON records: each row knows its line and JSON path, and a rejected
    row's text is its JSON object (read again from the file, error path only)."""

    def __init__(self, path: Path, table: pa.Table, lines: list[int], where: list[str],
                 malformed: list[tuple[int, str, str]], *, malformed_fix: str,
                 containers: tuple[str, ...] | None = None) -> None:
        super().__init__(path, "jsonl", table, list(table.column_names), sorted(malformed))
        self._lines = np.asarray(lines, dtype=np.int64)
        self._where = where
        self._fix = malformed_fix
        self._containers = containers

    def lines(self, rows: np.ndarray) -> np.ndarray:
        return self._lines[np.asarray(rows, dtype=np.int64)]

    def record_text(self, rows: np.ndarray) -> list[str]:
        return record_texts(self.path, [(int(self._lines[r]), self._where[r]) for r in rows],
                            self._containers)

    def records(self) -> Records:
        return Records(str(self.path), self.lines, self.record_text, header=(),
                       malformed=self.malformed, malformed_fix=self._fix)


def _walk(obj: Any, where: str) -> Any:
    """The value at ``where`` (``data[3].referenced_tweets[0]``) inside ``obj``."""
    for part in where.replace("[", ".[").split("."):
        if part in ("", "$"):
            continue
        obj = obj[int(part[1:-1])] if part.startswith("[") else obj[part]
    return obj


def record_texts(path: Path, wanted: list[tuple[int, str]],
                 containers: tuple[str, ...] | None = None) -> list[str]:
    """``where: JSON`` of the records at ``(line, JSON path)`` of ``path`` (error path)."""
    lines = {line for line, _ in wanted}
    tops: dict[int, list[tuple[str, Any]]] = {}
    for line, top, value in iter_json_records(path, containers=containers):
        if line in lines:
            tops.setdefault(line, []).append((top, value))
    out = []
    for line, where in wanted:
        path_only = where.split(" ")[0]
        record = ""
        for top, value in tops.get(line, ()):
            if path_only == top or path_only.startswith((top + ".", top + "[")) or top == "$":
                try:
                    rest = path_only if top == "$" else path_only[len(top):]
                    record = json.dumps(_walk(value, rest), ensure_ascii=False)
                except (KeyError, IndexError, TypeError, ValueError):
                    continue
                break
        out.append(f"{where}: {record}"[:RECORD_CHARS])
    return out


def users_table(rows: list[tuple], columns: dict[str, pa.DataType]) -> pa.Table:
    """Users rows ``(file, line, where, id, name, created_at, *extras)`` as a table with
    ``columns`` (``id``, ``name``, ``created_at`` and the extras, which become attributes)."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * (3 + len(columns))
    data = {}
    for k, (name, dtype) in enumerate(columns.items()):
        values = list(cols[3 + k])
        if name == "created_at":
            data[name] = iso_timestamps(values)
        elif pa.types.is_string(dtype):
            data[name] = pa.array([id_str(v) if v is not None else None for v in values],
                                  pa.string())
        else:
            data[name] = pa.array(values, dtype)
    return pa.table(data)


@dataclass
class _FileRows:
    posts: list[tuple] = field(default_factory=list)
    users: list[tuple] = field(default_factory=list)
    stubs: list[tuple] = field(default_factory=list)
    interactions: list[tuple] = field(default_factory=list)
    follows: list[tuple] = field(default_factory=list)
    unresolved: list[tuple[int, str, str]] = field(default_factory=list)  # line, where, reason


class _Excluder:
    """Who is excluded, by id or name (case-insensitive), and how much was left out."""

    def __init__(self, collected: Collected, names: Iterable[str]) -> None:
        wanted = {n.casefold() for n in names if n}
        self.ids: set[str] = set()
        if wanted:
            for uid, row in (*collected.stubs.items(), *collected.users.items()):
                if uid.casefold() in wanted or (row[4] and row[4].casefold() in wanted):
                    self.ids.add(uid)
            self.ids |= {i.author for i in collected.items.values()
                         if i.author.casefold() in wanted}
        self.counts: Counter = Counter()

    def __call__(self, uid: str | None, table: str) -> bool:
        if uid in self.ids:
            self.counts[table] += 1
            return True
        return False


def _resolve(c: Collected, n_files: int, exclude: _Excluder,
             fmt: SocialFormat) -> list[_FileRows]:
    files = [_FileRows() for _ in range(n_files)]
    items = c.items
    by_name = {}
    for row in (*c.stubs.values(), *c.users.values()):
        if row[4]:
            by_name[row[4].casefold()] = row[3]
    for iid, t in items.items():
        out = files[t.file]
        if exclude(t.author, "posts" if t.post else "interactions"):
            continue
        if t.post:
            out.posts.append((t.line, t.where, iid, t.author, t.ts, t.text, t.topics))
        for label, itype, rid, hint in t.refs:
            if itype is None:
                out.unresolved.append((t.line, f"{t.where} {label}",
                                       f"unresolved reference: unknown reference type {label!r}"))
                continue
            ref = items.get(rid)
            dst = hint or (ref.author if ref is not None else None)
            if dst is None:
                out.unresolved.append((t.line, f"{t.where} {label} {rid}",
                                       f"unresolved reference: "
                                       f"{fmt.reference_problem(label, rid)}"))
                continue
            if not exclude(dst, "interactions"):
                out.interactions.append((t.line, t.where, t.author, dst, itype, t.ts, rid))
        for mid, username in t.mentions:
            dst = mid or by_name.get(username.casefold())
            if dst is None:
                out.unresolved.append((t.line, f"{t.where} @{username}",
                                       f"unresolved reference: {fmt.mention_problem(username)}"))
                continue
            if not exclude(dst, "interactions"):
                out.interactions.append((t.line, t.where, t.author, dst, "mention", t.ts,
                                         iid if t.post else None))
    for row in c.follows.values():
        if not exclude(row[3], "follows") and not exclude(row[4], "follows"):
            files[row[0]].follows.append(row[1:])  # (line, where, src, dst, ts)
    for uid, row in c.stubs.items():
        if uid not in c.users and uid not in exclude.ids:
            files[row[0]].stubs.append(row)
    for uid, row in c.users.items():
        if not exclude(uid, "users"):
            files[row[0]].users.append(row)
    return files


def _rows_table(rows: list[tuple], names: tuple[str, ...]) -> tuple[pa.Table, list, list]:
    cols = list(zip(*rows, strict=True)) if rows else [()] * (2 + len(names))
    data = {}
    for k, name in enumerate(names):
        values = list(cols[2 + k])
        data[name] = iso_timestamps(values) if name == "ts" else pa.array(values, pa.string())
    return pa.table(data), list(cols[0]), list(cols[1])


def _unresolved_rejects(path: Path, rows: list[tuple[int, str, str]], fix: str) -> pa.Table:
    """One file's unresolved references as rows like rejects. The record is the reference's
    JSON path (``data[3] quoted 123``): finding its JSON text would mean reading the file again,
    which cost a third of a 1M-tweet load."""
    lines = np.array([r[0] for r in rows], dtype=np.int64)
    reasons = [r[2] for r in rows]
    check = Check(1, np.ones(len(rows), dtype=bool), lambda idx: [reasons[i] for i in idx], fix)
    where = [r[1] for r in rows]
    records = Records(str(path), lambda idx: lines[idx], lambda idx: [where[i] for i in idx])
    return settle([check], records, table="interactions", on_error="skip").rejects


@dataclass(frozen=True)
class SocialFormat:
    """How a platform's records are named in messages.

    Attributes
    ----------
    name : str
        The format (``Snapshot.format``).
    user_columns : dict of str to pyarrow.DataType
        ``id``, ``name``, ``created_at`` and the extra user columns, in the order of the user
        rows' values (extras become ``users.attributes``).
    malformed_fix : str
        What to do about a record that cannot be read.
    unresolved_fix : str
        What to do about an unresolved reference.
    reference_problem : callable
        ``(label, post id)`` -> why a reference is unresolved (its post is not in the input).
    containers : tuple of str, optional
        Keys of a JSON document that hold its records (see ``sniff.iter_json_records``).
    mention_problem : callable
        ``username`` -> why a mention is unresolved (no user of that name in the input).
    """

    name: str
    user_columns: dict[str, pa.DataType]
    malformed_fix: str
    unresolved_fix: str
    reference_problem: Callable[[str, str], str] = (
        lambda label, rid: f"{label} post {rid} is not in the input, so its author is unknown")
    containers: tuple[str, ...] | None = None
    mention_problem: Callable[[str], str] = (
        lambda name: f"mentioned user @{name} has no id in the input")


def _raise_first_malformed(collected: Collected, files: list[Path], fmt: SocialFormat) -> None:
    """In ``fail`` mode: the error for the first malformed record of the first file with one,
    whichever table it was meant for (the engine settles one table at a time)."""
    for k, file in enumerate(files):
        bad = [m for rows in collected.malformed.get(k, {}).values() for m in rows]
        if bad:
            line, _text, problem = min(bad, key=lambda m: m[0])
            raise InputError(str(file), line, 1, f"malformed record: {problem}",
                             fmt.malformed_fix)


def build_social_snapshot(
    collected: Collected,
    files: list[Path],
    fmt: SocialFormat,
    *,
    source: str,
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    exclude_users: Iterable[str] | None = (),
    fingerprint: str | None = None,
) -> Snapshot:
    """Resolve what an adapter collected into a validated :class:`Snapshot`.

    Parameters
    ----------
    collected : Collected
        What the adapter read; ``file`` fields index ``files``.
    files : list of Path
        The input files, in the order the adapter read them.
    fmt : SocialFormat
        The platform's names for messages and its user columns.
    source : str
        What the user gave (``Snapshot.source``).
    on_error, interaction_types
        As in :class:`~graph_influence.loaders.snapshot.SnapshotBuilder`.
    exclude_users : iterable of str
        User ids or names (case-insensitive) to leave out with what they did and what was aimed
        at them; counted in ``reports[table].excluded``.
    fingerprint : str, optional
        Of the input (default: of ``files``).

    Returns
    -------
    Snapshot
    """
    with no_gc():  # resolving millions of items: collections would only cost time
        return _build(collected, files, fmt, source=source, on_error=on_error,
                      interaction_types=interaction_types, exclude_users=exclude_users,
                      fingerprint=fingerprint)


def _build(collected, files, fmt, *, source, on_error, interaction_types, exclude_users,
           fingerprint) -> Snapshot:
    if on_error == "fail":
        _raise_first_malformed(collected, files, fmt)
    exclude = _Excluder(collected, exclude_users or ())
    resolved = _resolve(collected, len(files), exclude, fmt)
    builder = SnapshotBuilder(source, fmt.name, on_error=on_error,
                              interaction_types=interaction_types)

    def table(path, tab, lines, where, malformed=()):
        return JsonTable(path, tab, lines, where, list(malformed),
                         malformed_fix=fmt.malformed_fix, containers=fmt.containers)

    unresolved = []
    for k, (file, out) in enumerate(zip(files, resolved, strict=True)):
        bad = collected.malformed.get(k, {})
        posts, lines, where = _rows_table(out.posts, ("id", "author", "ts", "text", "topics"))
        builder.add("posts", table(file, posts, lines, where, bad.get("posts", ())))
        users = users_table(out.users, fmt.user_columns)
        builder.add("users", table(file, users, [r[1] for r in out.users],
                                   [r[2] for r in out.users], bad.get("users", ())))
        if out.stubs:  # users known by a reference only: no extra columns (no attributes)
            builder.add("users", table(file, pa.table({
                "id": pa.array([r[3] for r in out.stubs], pa.string()),
                "name": pa.array([r[4] for r in out.stubs], pa.string()),
            }), [r[1] for r in out.stubs], [r[2] for r in out.stubs]))
        inter, lines, where = _rows_table(out.interactions,
                                          ("src", "dst", "type", "ts", "post_id"))
        builder.add("interactions", table(file, inter, lines, where,
                                          bad.get("interactions", ())))
        if out.follows or bad.get("follows"):
            follows, lines, where = _rows_table(out.follows, ("src", "dst", "ts"))
            builder.add("follows", table(file, follows, lines, where, bad.get("follows", ())))
        if out.unresolved:
            unresolved.append(_unresolved_rejects(file, out.unresolved, fmt.unresolved_fix))
    snap = builder.build(fingerprint or fingerprint_files(files))
    if unresolved:
        snap.unresolved = concat_rejects(unresolved)
        snap.reports["interactions"].unresolved = snap.unresolved.num_rows
    for name, count in exclude.counts.items():
        snap.reports[name].excluded = count
    return snap
