"""Twitter API adapter: twarc2 (API v2) response pages, ``twarc2 flatten`` output, twarc 1 (v1.1).

Files are JSON lines (``.jsonl``, ``.json``, optionally ``.gz``); a path is one file or a
directory of them. Each line is one of:

- a **v2 response page** (twarc2): ``data`` (tweets, or user objects for user look-ups),
  ``includes.users``, ``includes.tweets`` (the referenced tweets), ``meta``, ``errors``,
  ``__twarc``;
- a **flattened v2 tweet** (``twarc2 flatten``): one tweet with ``author``,
  ``in_reply_to_user`` and ``referenced_tweets[]`` inlined (an inlined referenced tweet is a
  tweet too, with its own references);
- a **v1.1 tweet** (twarc 1): ``id_str``, ``user``, ``retweeted_status``, ``quoted_status``,
  ``in_reply_to_status_id_str``, ``entities.user_mentions``; its nested tweets are tweets too.

Mapping onto the snapshot tables (``graph_influence.schema.TABLES``):

- ``users``: every user object (``id``; ``name`` = ``username`` / ``screen_name``;
  ``created_at``; extra columns ``display_name``, ``description``, ``location``, ``verified``,
  ``protected``, ``followers_count``, ``following_count``, ``tweet_count``, ``listed_count``,
  which become the ``attributes`` JSON). A mentioned user seen only in a mention is a row with
  its ``name`` alone. One row per id: a later full user object replaces an earlier one.
- ``posts``: one row per distinct tweet id, wherever it appears (``data``, ``includes``, pages,
  files): ``author``, ``ts`` = ``created_at``, ``text`` (``note_tweet``/``full_text`` when
  present), ``topics`` = the distinct ``context_annotations[].entity.name`` (``;``-joined).
  Hashtags stay in the text (the engine's hashtag rule finds them).
- ``interactions``, one per reference of each distinct tweet: ``src`` = the tweet's author,
  ``ts`` = its ``created_at``; ``retweeted`` -> ``retweet``, ``quoted`` -> ``quote``
  (``dst`` = the referenced tweet's author, ``post_id`` = the referenced tweet's id),
  ``replied_to`` -> ``reply`` (``dst`` = ``in_reply_to_user_id``, else the referenced tweet's
  author). Each mention -> ``mention`` (``dst`` = the mentioned user, ``post_id`` = the
  mentioning tweet), except in retweets: Twitter copies the original's text, mentions included,
  into a retweet, so those are the original author's mentions (counted once, on the original,
  when it is in the file), as in twarc-network.

A reference whose user cannot be resolved (the referenced tweet is in no file of the input and
no ``in_reply_to_user_id`` is given, or a mention without a user id whose username is unknown)
is no error and is not dropped silently: it is listed in ``Snapshot.unresolved`` (table
``interactions``, reason ``unresolved reference: ...``, the line and JSON path of the
referring tweet) and counted in ``reports["interactions"].unresolved``, in both ``on_error``
modes. It is not a record of the file, so it is not in ``read = loaded + rejected``.

Bad lines (not JSON, not an object, not a page or tweet; a tweet without an id or author; a
user without an id) are malformed records of ``posts`` (``users``), and bad values (a
timestamp that cannot be read) are checked by the engine: ``FILE:LINE:1: problem — fix`` in
``fail`` mode, rejects with the JSON path and the record in ``skip`` mode.
"""

from __future__ import annotations

import gc
import gzip
import io
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_influence.errors import SnapshotError
from graph_influence.loaders.checks import Check, Records, concat_rejects, settle
from graph_influence.loaders.files import RawTable
from graph_influence.loaders.snapshot import Snapshot, SnapshotBuilder, fingerprint_files

__all__ = ["TWITTER_SUFFIXES", "find_twitter_files", "is_twitter", "read_twitter"]

logger = logging.getLogger(__name__)

#: File suffixes of Twitter JSON lines files.
TWITTER_SUFFIXES: tuple[str, ...] = (".jsonl", ".json", ".jsonl.gz", ".json.gz")

#: v2 reference types and the interaction types they become.
REFERENCE_TYPES = {"retweeted": "retweet", "quoted": "quote", "replied_to": "reply"}

#: Stream notices twarc 1 may write between tweets (no tweet, skipped).
_NOTICES = frozenset({"delete", "limit", "scrub_geo", "status_withheld", "user_withheld",
                      "warning", "disconnect"})

_V1_DATE = "%a %b %d %H:%M:%S %z %Y"
_RECORD_CHARS = 500
_MALFORMED_FIX = ("make each line one JSON object: a twarc2 response page, a flattened v2 tweet "
                  "or a v1.1 tweet, each tweet with its id and author")

#: Extra user columns (they become ``users.attributes``).
_USER_EXTRA = ("display_name", "description", "location", "verified", "protected",
               "followers_count", "following_count", "tweet_count", "listed_count")
_USER_COLUMNS = ("id", "name", "created_at", *_USER_EXTRA)


def _is_twitter_name(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in TWITTER_SUFFIXES)


def find_twitter_files(path: Path) -> list[Path]:
    """The Twitter files of ``path``: itself, or the ``.jsonl``/``.json`` (``.gz``) files of a
    directory in name order."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and _is_twitter_name(p))
    return [path]


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def _looks_like_twitter(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    if "data" in obj or "includes" in obj:
        return True
    return "id_str" in obj and "user" in obj or "id" in obj and "author_id" in obj


def is_twitter(path: Path) -> bool:
    """Whether ``path`` (a file, or any file of a directory) starts with a Twitter API object:
    a v2 response page (``data``/``includes``), a v2 tweet (``id`` + ``author_id``) or a v1.1
    tweet (``id_str`` + ``user``), judged from its first non-blank line."""
    for file in find_twitter_files(path):
        try:
            with _open_text(file) as fh:
                for line in fh:
                    if line.strip():
                        if _looks_like_twitter(json.loads(line)):
                            return True
                        break
        except (OSError, UnicodeDecodeError, ValueError, EOFError):
            continue
    return False


# --- parsing: plain Python lists per table, one entry per record -----------------------------


class _Tweet(NamedTuple):
    file: int
    line: int
    where: str
    author: str
    ts: str
    text: str | None
    topics: str | None
    refs: list[tuple[str, str]]
    mentions: list[tuple[str | None, str]]
    reply_to_user: str | None


@dataclass
class _Parsed:
    """Everything read from the input, deduplicated by id (later records win)."""

    tweets: dict[str, _Tweet] = field(default_factory=dict)
    users: dict[str, tuple] = field(default_factory=dict)  # id -> (file, line, where, *columns)
    stubs: dict[str, tuple] = field(default_factory=dict)  # users known from a mention only
    malformed: dict[int, dict[str, list[tuple[int, str, str]]]] = field(default_factory=dict)

    def bad(self, file: int, table: str, line: int, text: str, problem: str) -> None:
        self.malformed.setdefault(file, {}).setdefault(table, []).append(
            (line, text[:_RECORD_CHARS], problem))


def _str(value: Any) -> str:
    """An id as a string (v1.1 and some tools write numbers)."""
    return value if isinstance(value, str) else "" if value is None else str(value)


def _topics(annotations: Any) -> str | None:
    if not annotations:
        return None
    names = {}
    for a in annotations:
        name = (a.get("entity") or {}).get("name")
        if name:
            names[name.replace(";", ",")] = None
    return ";".join(names) or None


class _Reader:
    """Turns the JSON objects of one file into records of :class:`_Parsed`."""

    def __init__(self, parsed: _Parsed, file: int) -> None:
        self.p = parsed
        self.file = file
        self.line = 0

    def _dump(self, obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False)[:_RECORD_CHARS]

    # users ---------------------------------------------------------------------------------

    def v2_user(self, u: dict, where: str) -> None:
        get = u.get
        uid = get("id")
        if type(uid) is not str:
            uid = _str(uid)
        if not uid:
            self.p.bad(self.file, "users", self.line, f"{where}: {self._dump(u)}",
                       f"{where}: user object without an id")
            return
        m = get("public_metrics") or {}
        self.p.users[uid] = (
            self.file, self.line, where, uid, get("username"), get("created_at"),
            get("name"), get("description"), get("location"), get("verified"),
            get("protected"), m.get("followers_count"), m.get("following_count"),
            m.get("tweet_count"), m.get("listed_count"),
        )

    def v1_user(self, u: dict, where: str) -> str:
        uid = _str(u.get("id_str") or u.get("id"))
        if uid:
            self.p.users[uid] = (
                self.file, self.line, where, uid, u.get("screen_name"), u.get("created_at"),
                u.get("name"), u.get("description"), u.get("location"), u.get("verified"),
                u.get("protected"), u.get("followers_count"), u.get("friends_count"),
                u.get("statuses_count"), u.get("listed_count"),
            )
        return uid

    def stub(self, uid: str, username: str | None, where: str) -> None:
        if uid not in self.p.stubs:
            self.p.stubs[uid] = (self.file, self.line, where, uid, username)

    # tweets --------------------------------------------------------------------------------

    def _keep(self, t: dict, where: str, tid: str, author: str, tweet: _Tweet) -> None:
        if not tid or not author:
            what = "an id" if not tid else "an author (author_id / user)"
            self.p.bad(self.file, "posts", self.line, f"{where}: {self._dump(t)}",
                       f"{where}: tweet without {what}")
            return
        self.p.tweets[tid] = tweet

    def v2_tweet(self, t: dict, where: str) -> None:
        get = t.get
        author = get("author_id")
        if type(author) is not str:
            author = _str(author)
        inline = get("author")
        if inline is not None and isinstance(inline, dict):
            self.v2_user(inline, where + ".author")
            author = author or _str(inline.get("id"))
        reply_user = get("in_reply_to_user")
        if reply_user is not None and isinstance(reply_user, dict):
            self.v2_user(reply_user, where + ".in_reply_to_user")
        refs = []
        retweet = False
        referenced = get("referenced_tweets")
        if referenced:
            for i, r in enumerate(referenced):
                kind = r.get("type")
                refs.append((kind, _str(r.get("id"))))
                retweet = retweet or kind == "retweeted"
                if "author_id" in r or "text" in r:  # twarc2 flatten inlines the tweet
                    self.v2_tweet(r, f"{where}.referenced_tweets[{i}]")
        mentions = []
        entities = get("entities")
        found = entities.get("mentions") if entities and not retweet else None
        if found:
            for i, m in enumerate(found):
                mid = _str(m.get("id")) or None
                mentions.append((mid, m.get("username") or ""))
                if mid:
                    if "name" in m:  # twarc2 flatten inlines the user
                        self.v2_user(m, f"{where}.entities.mentions[{i}]")
                    else:
                        self.stub(mid, m.get("username"), f"{where}.entities.mentions[{i}]")
        note = get("note_tweet")
        text = note.get("text") if isinstance(note, dict) and note.get("text") else get("text")
        annotations = get("context_annotations")
        tid = get("id")
        if type(tid) is not str:
            tid = _str(tid)
        reply_to = get("in_reply_to_user_id")
        self._keep(t, where, tid, author, _Tweet(
            self.file, self.line, where, author, get("created_at") or "", text,
            _topics(annotations) if annotations else None, refs, mentions,
            _str(reply_to) or None if reply_to is not None else None,
        ))

    def v1_tweet(self, t: dict, where: str) -> None:
        user = t.get("user")
        author = self.v1_user(user, where + ".user") if isinstance(user, dict) else ""
        refs: list[tuple[str, str]] = []
        retweeted = t.get("retweeted_status")
        if isinstance(retweeted, dict):
            refs.append(("retweeted", _str(retweeted.get("id_str") or retweeted.get("id"))))
            self.v1_tweet(retweeted, where + ".retweeted_status")
        else:  # a retweet carries the original's quoted_status: the original's quote
            quoted = t.get("quoted_status")
            qid = _str(t.get("quoted_status_id_str") or t.get("quoted_status_id"))
            if isinstance(quoted, dict):
                qid = qid or _str(quoted.get("id_str") or quoted.get("id"))
                self.v1_tweet(quoted, where + ".quoted_status")
            if qid:
                refs.append(("quoted", qid))
        reply_to = _str(t.get("in_reply_to_status_id_str") or t.get("in_reply_to_status_id"))
        reply_user = _str(t.get("in_reply_to_user_id_str") or t.get("in_reply_to_user_id"))
        if reply_to:
            refs.append(("replied_to", reply_to))
        if reply_user and t.get("in_reply_to_screen_name"):
            self.stub(reply_user, t["in_reply_to_screen_name"], where + ".in_reply_to_user_id_str")
        extended = t.get("extended_tweet") if isinstance(t.get("extended_tweet"), dict) else {}
        entities = extended.get("entities") or t.get("entities") or {}
        mentions = []
        if not isinstance(retweeted, dict):
            for i, m in enumerate(entities.get("user_mentions") or ()):
                mid = _str(m.get("id_str") or m.get("id")) or None
                mentions.append((mid, m.get("screen_name") or ""))
                if mid:
                    self.stub(mid, m.get("screen_name"), f"{where}.entities.user_mentions[{i}]")
        text = t.get("full_text") or extended.get("full_text") or t.get("text")
        tid = _str(t.get("id_str") or t.get("id"))
        self._keep(t, where, tid, author, _Tweet(
            self.file, self.line, where, author, t.get("created_at") or "", text, None, refs,
            mentions, reply_user or None,
        ))

    def page(self, obj: dict) -> None:
        data = obj.get("data") or ()
        if isinstance(data, dict):
            data = [data]
        for i, item in enumerate(data):
            if not isinstance(item, dict):
                self.p.bad(self.file, "posts", self.line, self._dump(item),
                           f"data[{i}]: a JSON object is expected")
            elif "username" in item and "text" not in item and "author_id" not in item:
                self.v2_user(item, f"data[{i}]")
            else:
                self.v2_tweet(item, f"data[{i}]")
        includes = obj.get("includes") or {}
        for i, u in enumerate(includes.get("users") or ()):
            self.v2_user(u, f"includes.users[{i}]")
        for i, t in enumerate(includes.get("tweets") or ()):
            self.v2_tweet(t, f"includes.tweets[{i}]")

    def line_object(self, line: str) -> None:
        try:
            obj = json.loads(line)
        except ValueError as exc:
            self.p.bad(self.file, "posts", self.line, line.rstrip("\r\n"), f"not JSON ({exc})")
            return
        if not isinstance(obj, dict):
            self.p.bad(self.file, "posts", self.line, line.rstrip("\r\n"),
                       "a JSON object is expected")
        elif "data" in obj or "includes" in obj or "meta" in obj or "errors" in obj:
            self.page(obj)
        elif "user" in obj and ("id_str" in obj or "id" in obj):
            self.v1_tweet(obj, "$")
        elif "id" in obj and ("author_id" in obj or "author" in obj or "text" in obj):
            self.v2_tweet(obj, "$")
        elif "id" in obj and "username" in obj:
            self.v2_user(obj, "$")
        elif len(obj) == 1 and next(iter(obj)) in _NOTICES:
            pass  # a stream notice (deleted tweet, rate limit, ...): no data
        else:
            self.p.bad(self.file, "posts", self.line, line.rstrip("\r\n"),
                       "not a Twitter API response page, tweet or user object "
                       f"(keys: {', '.join(list(obj)[:8])})")

    def read(self, path: Path) -> None:
        try:
            with _open_text(path) as fh:
                for self.line, line in enumerate(fh, start=1):
                    if line.strip():
                        self.line_object(line)
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise SnapshotError(f"{path}: cannot be read as JSON lines: {exc}") from exc


# --- tables ---------------------------------------------------------------------------------


def _iso(values: list[str | None]) -> pa.Array:
    """Timestamps as text, v1.1 dates (``Wed Oct 10 20:19:24 +0000 2018``) made ISO-8601 UTC;
    an unreadable one is kept as it is, so that validation names it."""
    arr = pa.array(values, pa.string())
    if not pc.any(pc.utf8_is_alpha(pc.utf8_slice_codeunits(arr, 0, 1))).as_py():
        return arr  # all ISO-8601 (v2) or empty: the engine reads them
    parsed = pc.strptime(arr, format=_V1_DATE, unit="s", error_is_null=True)
    return pc.coalesce(pc.strftime(parsed, format="%Y-%m-%dT%H:%M:%SZ"), arr)


class _JsonTable(RawTable):
    """A table built from a JSON lines file: each record knows its line and JSON path, and a
    rejected record's text is that JSON object (read again from the file, error path only)."""

    def __init__(self, path: Path, table: pa.Table, lines: list[int], where: list[str],
                 malformed: list[tuple[int, str, str]]) -> None:
        super().__init__(path, "jsonl", table, list(table.column_names), sorted(malformed))
        self._lines = np.asarray(lines, dtype=np.int64)
        self._where = where

    def lines(self, rows: np.ndarray) -> np.ndarray:
        return self._lines[np.asarray(rows, dtype=np.int64)]

    def record_text(self, rows: np.ndarray) -> list[str]:
        return _record_texts(self.path, [(int(self._lines[r]), self._where[r]) for r in rows])

    def records(self) -> Records:
        return Records(str(self.path), self.lines, self.record_text, header=(),
                       malformed=self.malformed, malformed_fix=_MALFORMED_FIX)


def _walk(obj: Any, where: str) -> Any:
    """The object at ``where`` (``data[3].referenced_tweets[0]``, ``$``) inside ``obj``."""
    for part in where.replace("[", ".[").split("."):
        if part in ("", "$"):
            continue
        obj = obj[int(part[1:-1])] if part.startswith("[") else obj[part]
    return obj


def _record_texts(path: Path, wanted: list[tuple[int, str]]) -> list[str]:
    lines = {line for line, _ in wanted}
    objects: dict[int, Any] = {}
    with _open_text(path) as fh:
        for n, text in enumerate(fh, start=1):
            if n in lines:
                objects[n] = json.loads(text)
                if len(objects) == len(lines):
                    break
    out = []
    for line, where in wanted:
        try:
            record = json.dumps(_walk(objects[line], where.split(" ")[0]), ensure_ascii=False)
        except (KeyError, IndexError, TypeError, ValueError):
            record = ""
        out.append(f"{where}: {record}"[:_RECORD_CHARS])
    return out


def _users_table(rows: list[tuple]) -> tuple[pa.Table, list[int], list[str]]:
    cols = list(zip(*rows, strict=True)) if rows else [()] * (3 + len(_USER_COLUMNS))
    data = {}
    for k, name in enumerate(_USER_COLUMNS):
        values = list(cols[3 + k])
        if name == "created_at":
            data[name] = _iso(values)
        elif name in ("verified", "protected"):
            data[name] = pa.array(values, pa.bool_())
        elif name.endswith("_count"):
            data[name] = pa.array(values, pa.int64())
        else:
            data[name] = pa.array([_str(v) if v is not None else None for v in values],
                                  pa.string())
    return pa.table(data), list(cols[0]), list(cols[2])


@dataclass
class _FileTables:
    posts: list[tuple] = field(default_factory=list)
    users: list[tuple] = field(default_factory=list)
    stubs: list[tuple] = field(default_factory=list)
    interactions: list[tuple] = field(default_factory=list)
    unresolved: list[tuple[int, str, str]] = field(default_factory=list)  # line, where, reason


def _resolve(parsed: _Parsed, n_files: int) -> list[_FileTables]:
    """Posts, users and interactions per file (of each record's winning copy), and the
    references whose user is unknown."""
    files = [_FileTables() for _ in range(n_files)]
    tweets = parsed.tweets
    by_name = {}
    for row in (*parsed.stubs.values(), *parsed.users.values()):
        if row[4]:
            by_name[row[4].casefold()] = row[3]
    for tid, t in tweets.items():
        out = files[t.file]
        out.posts.append((t.line, t.where, tid, t.author, t.ts, t.text, t.topics))
        for k, (kind, rid) in enumerate(t.refs):
            itype = REFERENCE_TYPES.get(kind)
            if itype is None:
                out.unresolved.append((t.line, f"{t.where} referenced_tweets[{k}]",
                                       f"unresolved reference: unknown reference type {kind!r}"))
                continue
            ref = tweets.get(rid)
            dst = t.reply_to_user if itype == "reply" and t.reply_to_user else (
                ref.author if ref is not None else None)
            if dst is None:
                out.unresolved.append((t.line, f"{t.where} {kind} {rid}",
                                       f"unresolved reference: {kind} tweet {rid} is not in the "
                                       "input, so its author is unknown"))
                continue
            out.interactions.append((t.line, t.where, t.author, dst, itype, t.ts, rid))
        for mid, username in t.mentions:
            dst = mid or by_name.get(username.casefold())
            if dst is None:
                out.unresolved.append((t.line, f"{t.where} @{username}",
                                       f"unresolved reference: mentioned user @{username} has no "
                                       "id in the input"))
                continue
            out.interactions.append((t.line, t.where, t.author, dst, "mention", t.ts, tid))
    for uid, row in parsed.stubs.items():
        if uid not in parsed.users:
            files[row[0]].stubs.append(row)
    for row in parsed.users.values():
        files[row[0]].users.append(row)
    return files


def _posts_raw(path: Path, rows: list[tuple], malformed: list) -> _JsonTable:
    cols = list(zip(*rows, strict=True)) if rows else [()] * 7
    table = pa.table({
        "id": pa.array(cols[2], pa.string()),
        "author": pa.array(cols[3], pa.string()),
        "ts": _iso(list(cols[4])),
        "text": pa.array(cols[5], pa.string()),
        "topics": pa.array(cols[6], pa.string()),
    })
    return _JsonTable(path, table, list(cols[0]), list(cols[1]), malformed)


def _interactions_raw(path: Path, rows: list[tuple]) -> _JsonTable:
    cols = list(zip(*rows, strict=True)) if rows else [()] * 7
    table = pa.table({
        "src": pa.array(cols[2], pa.string()),
        "dst": pa.array(cols[3], pa.string()),
        "type": pa.array(cols[4], pa.string()),
        "ts": _iso(list(cols[5])),
        "post_id": pa.array(cols[6], pa.string()),
    })
    return _JsonTable(path, table, list(cols[0]), list(cols[1]), [])


def _unresolved_rejects(path: Path, rows: list[tuple[int, str, str]]) -> pa.Table:
    """The unresolved references of one file, as rows like rejects (settled by the engine).

    The record is the JSON path of the reference (``data[3] quoted 123``), not the JSON text:
    finding the text means reading the file again, which cost a third of a 1M-tweet load.
    """
    lines = np.array([r[0] for r in rows], dtype=np.int64)
    reasons = [r[2] for r in rows]
    check = Check(1, np.ones(len(rows), dtype=bool), lambda idx: [reasons[i] for i in idx],
                  "include the referenced tweets (twarc2 expansions), or ignore: the rest loads")
    where = [r[1] for r in rows]
    records = Records(str(path), lambda idx: lines[idx], lambda idx: [where[i] for i in idx])
    return settle([check], records, table="interactions", on_error="skip").rejects


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (the parse makes no reference cycles; with it on, a
    1M-tweet read spends ~37 % of its time collecting)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_twitter(
    path: str | Path, *, on_error: str = "fail", interaction_types: Iterable[str] = ()
) -> Snapshot:
    """Read Twitter API data written by twarc2 (v2 pages or flattened tweets) or twarc (v1.1).

    Parameters
    ----------
    path : str or Path
        A ``.jsonl``/``.json`` file (optionally ``.gz``) or a directory of them.
    on_error : {"fail", "skip"}, optional
        ``"fail"`` (default): raise on the first bad record (``FILE:LINE:1``). ``"skip"``:
        return bad records in ``Snapshot.rejects`` and load the rest.
    interaction_types : iterable of str, optional
        Extra interaction types to allow (the format yields retweet, quote, reply, mention).

    Returns
    -------
    Snapshot
        ``users``, ``posts`` and ``interactions`` (no ``follows``: tweets do not say who
        follows whom). References whose user is unknown are in ``Snapshot.unresolved`` with the
        reason ``unresolved reference: ...`` and counted in
        ``reports["interactions"].unresolved``, in both modes (they are not records of the
        files, so not rejects).

    Raises
    ------
    SnapshotError
        If ``path`` holds no Twitter file or a file cannot be read.
    InputError
        On the first bad record with ``on_error="fail"``.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> page = {"data": [{"id": "2", "author_id": "b", "text": "RT @a: hi",
    ...                   "created_at": "2021-09-22T16:37:29.000Z",
    ...                   "referenced_tweets": [{"type": "retweeted", "id": "1"}]}],
    ...         "includes": {"users": [{"id": "a", "username": "alice"},
    ...                                {"id": "b", "username": "bob"}],
    ...                      "tweets": [{"id": "1", "author_id": "a", "text": "hi"}]}}
    >>> f = Path(tempfile.mkdtemp()) / "tweets.jsonl"
    >>> _ = f.write_text(json.dumps(page) + "\\n")
    >>> snap = read_twitter(f)
    >>> snap.tables["interactions"].select(["src", "dst", "type", "post_id"]).to_pylist()
    [{'src': 'b', 'dst': 'a', 'type': 'retweet', 'post_id': '1'}]
    >>> snap.tables["posts"].num_rows, snap.tables["users"]["name"].to_pylist()
    (2, ['alice', 'bob'])
    """
    path = Path(path)
    if not path.exists():
        raise SnapshotError(f"{path}: no such file or directory")
    files = find_twitter_files(path)
    if not files:
        raise SnapshotError(f"{path}: no Twitter files found — expected twarc/twarc2 JSON lines "
                            f"({', '.join(TWITTER_SUFFIXES)})")
    parsed = _Parsed()
    with _no_gc():  # millions of live parsed objects make every collection expensive
        for k, file in enumerate(files):
            _Reader(parsed, k).read(file)
    builder = SnapshotBuilder(str(path), "twitter", on_error=on_error,
                              interaction_types=interaction_types)
    unresolved = []
    for k, (file, out) in enumerate(zip(files, _resolve(parsed, len(files)), strict=True)):
        bad = parsed.malformed.get(k, {})
        builder.add("posts", _posts_raw(file, out.posts, bad.get("posts", [])))
        users, lines, where = _users_table(out.users)
        builder.add("users", _JsonTable(file, users, lines, where, bad.get("users", [])))
        if out.stubs:  # users seen in mentions only: no extra columns (no attributes)
            builder.add("users", _JsonTable(file, pa.table({
                "id": pa.array([r[3] for r in out.stubs], pa.string()),
                "name": pa.array([r[4] for r in out.stubs], pa.string()),
            }), [r[1] for r in out.stubs], [r[2] for r in out.stubs], []))
        builder.add("interactions", _interactions_raw(file, out.interactions))
        if out.unresolved:
            unresolved.append(_unresolved_rejects(file, out.unresolved))
    snap = builder.build(fingerprint_files(files))
    if unresolved:
        snap.unresolved = concat_rejects(unresolved)
        snap.reports["interactions"].unresolved = snap.unresolved.num_rows
        logger.info("%s: %d references to tweets or users not in the input",
                    path, snap.unresolved.num_rows)
    return snap
