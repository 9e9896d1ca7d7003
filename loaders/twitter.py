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

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph_influence.loaders.registry import Importer
from graph_influence.loaders.snapshot import Snapshot
from graph_influence.loaders.sniff import BadJson, first_json_record, iter_json_records
from graph_influence.loaders.social import (
    Collected,
    Item,
    SocialFormat,
    build_social_snapshot,
    dump,
    id_str,
    input_files,
    no_gc,
    options_reader,
)
from graph_influence.loaders.textio import base_name

__all__ = ["TWITTER_SUFFIXES", "find_twitter_files", "is_twitter", "read_twitter"]

logger = logging.getLogger(__name__)

#: File suffixes of Twitter JSON files (each may add ``.gz`` or ``.zst``).
TWITTER_SUFFIXES: tuple[str, ...] = (".jsonl", ".json", ".ndjson")

#: v2 reference types and the interaction types they become.
REFERENCE_TYPES = {"retweeted": "retweet", "quoted": "quote", "replied_to": "reply"}

#: Stream notices twarc 1 may write between tweets (no tweet, skipped).
_NOTICES = frozenset({"delete", "limit", "scrub_geo", "status_withheld", "user_withheld",
                      "warning", "disconnect"})

_MALFORMED_FIX = ("make each line one JSON object: a twarc2 response page, a flattened v2 tweet "
                  "or a v1.1 tweet, each tweet with its id and author")

#: Extra user columns (they become ``users.attributes``).
_USER_EXTRA = ("display_name", "description", "location", "verified", "protected",
               "followers_count", "following_count", "tweet_count", "listed_count")
_USER_COLUMNS = ("id", "name", "created_at", *_USER_EXTRA)


def _is_twitter_name(path: Path) -> bool:
    return base_name(path).endswith(TWITTER_SUFFIXES)


def find_twitter_files(path: Path) -> list[Path]:
    """The Twitter files of ``path``: itself, or the ``.jsonl``/``.json`` (``.gz``, ``.zst``)
    files of a directory in name order."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and _is_twitter_name(p))
    return [path]


def looks_like_twitter(obj: Any) -> bool:
    """Whether a JSON record is a v2 response page, a v2 tweet or a v1.1 tweet."""
    if not isinstance(obj, dict):
        return False
    if "includes" in obj or "result_count" in (obj.get("meta") or {}):
        return True
    if "data" in obj:  # a response page: its data are tweets or users (not, say, Reddit's)
        data = obj["data"]
        first = data[0] if isinstance(data, list) and data else data
        return isinstance(first, dict) and "id" in first and (
            "text" in first or "author_id" in first or "username" in first)
    return "id_str" in obj and "user" in obj or "id" in obj and "author_id" in obj


def is_twitter(path: Path) -> bool:
    """Whether ``path`` (a file, or any file of a directory) starts with a Twitter API object:
    a v2 response page (``data``/``includes``), a v2 tweet (``id`` + ``author_id``) or a v1.1
    tweet (``id_str`` + ``user``), judged from its first record."""
    for file in find_twitter_files(path):
        try:
            if looks_like_twitter(first_json_record(file, containers=())):
                return True
        except (OSError, ValueError):
            continue
    return False


# --- parsing: plain Python tuples per record ----------------------------------------------

_USER_TYPES = {"id": pa.string(), "name": pa.string(), "created_at": pa.string(),
               "display_name": pa.string(), "description": pa.string(),
               "location": pa.string(), "verified": pa.bool_(), "protected": pa.bool_(),
               "followers_count": pa.int64(), "following_count": pa.int64(),
               "tweet_count": pa.int64(), "listed_count": pa.int64()}
assert tuple(_USER_TYPES) == _USER_COLUMNS

FORMAT = SocialFormat(
    name="twitter",
    user_columns=_USER_TYPES,
    malformed_fix=_MALFORMED_FIX,
    unresolved_fix="include the referenced tweets (twarc2 expansions), or ignore: the rest loads",
    reference_problem=lambda kind, rid: (f"{kind} tweet {rid} is not in the input, so its "
                                         "author is unknown"),
    containers=(),
)


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
    """Turns the JSON objects of one file into records of :class:`Collected`."""

    def __init__(self, collected: Collected, file: int) -> None:
        self.p = collected
        self.file = file
        self.line = 0

    # users ---------------------------------------------------------------------------------

    def v2_user(self, u: dict, where: str) -> None:
        get = u.get
        uid = get("id")
        if type(uid) is not str:
            uid = id_str(uid)
        if not uid:
            self.p.bad(self.file, "users", self.line, f"{where}: {dump(u)}",
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
        uid = id_str(u.get("id_str") or u.get("id"))
        if uid:
            self.p.users[uid] = (
                self.file, self.line, where, uid, u.get("screen_name"), u.get("created_at"),
                u.get("name"), u.get("description"), u.get("location"), u.get("verified"),
                u.get("protected"), u.get("followers_count"), u.get("friends_count"),
                u.get("statuses_count"), u.get("listed_count"),
            )
        return uid

    def stub(self, uid: str, username: str | None, where: str) -> None:
        self.p.stub(self.file, self.line, where, uid, username)

    # tweets --------------------------------------------------------------------------------

    def _keep(self, t: dict, where: str, tid: str, author: str, tweet: Item) -> None:
        if not tid or not author:
            what = "an id" if not tid else "an author (author_id / user)"
            self.p.bad(self.file, "posts", self.line, f"{where}: {dump(t)}",
                       f"{where}: tweet without {what}")
            return
        self.p.items[tid] = tweet

    def v2_tweet(self, t: dict, where: str) -> None:
        get = t.get
        author = get("author_id")
        if type(author) is not str:
            author = id_str(author)
        inline = get("author")
        if inline is not None and isinstance(inline, dict):
            self.v2_user(inline, where + ".author")
            author = author or id_str(inline.get("id"))
        reply_user = get("in_reply_to_user")
        if reply_user is not None and isinstance(reply_user, dict):
            self.v2_user(reply_user, where + ".in_reply_to_user")
        reply_to = get("in_reply_to_user_id")
        reply_to = (id_str(reply_to) or None) if reply_to is not None else None
        refs = []
        retweet = False
        referenced = get("referenced_tweets")
        if referenced:
            for i, r in enumerate(referenced):
                kind = r.get("type")
                refs.append((kind, REFERENCE_TYPES.get(kind), id_str(r.get("id")),
                             reply_to if kind == "replied_to" else None))
                retweet = retweet or kind == "retweeted"
                if "author_id" in r or "text" in r:  # twarc2 flatten inlines the tweet
                    self.v2_tweet(r, f"{where}.referenced_tweets[{i}]")
        mentions = []
        entities = get("entities")
        found = entities.get("mentions") if entities and not retweet else None
        if found:
            for i, m in enumerate(found):
                mid = id_str(m.get("id")) or None
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
            tid = id_str(tid)
        self._keep(t, where, tid, author, Item(
            self.file, self.line, where, author, get("created_at") or "", True, text,
            _topics(annotations) if annotations else None, refs, mentions,
        ))

    def v1_tweet(self, t: dict, where: str) -> None:
        user = t.get("user")
        author = self.v1_user(user, where + ".user") if isinstance(user, dict) else ""
        refs: list[tuple[str, str | None, str, str | None]] = []
        retweeted = t.get("retweeted_status")
        if isinstance(retweeted, dict):
            refs.append(("retweeted", "retweet",
                         id_str(retweeted.get("id_str") or retweeted.get("id")), None))
            self.v1_tweet(retweeted, where + ".retweeted_status")
        else:  # a retweet carries the original's quoted_status: the original's quote
            quoted = t.get("quoted_status")
            qid = id_str(t.get("quoted_status_id_str") or t.get("quoted_status_id"))
            if isinstance(quoted, dict):
                qid = qid or id_str(quoted.get("id_str") or quoted.get("id"))
                self.v1_tweet(quoted, where + ".quoted_status")
            if qid:
                refs.append(("quoted", "quote", qid, None))
        reply_to = id_str(t.get("in_reply_to_status_id_str") or t.get("in_reply_to_status_id"))
        reply_user = id_str(t.get("in_reply_to_user_id_str") or t.get("in_reply_to_user_id"))
        if reply_to:
            refs.append(("replied_to", "reply", reply_to, reply_user or None))
        if reply_user and t.get("in_reply_to_screen_name"):
            self.stub(reply_user, t["in_reply_to_screen_name"], where + ".in_reply_to_user_id_str")
        extended = t.get("extended_tweet") if isinstance(t.get("extended_tweet"), dict) else {}
        entities = extended.get("entities") or t.get("entities") or {}
        mentions = []
        if not isinstance(retweeted, dict):
            for i, m in enumerate(entities.get("user_mentions") or ()):
                mid = id_str(m.get("id_str") or m.get("id")) or None
                mentions.append((mid, m.get("screen_name") or ""))
                if mid:
                    self.stub(mid, m.get("screen_name"), f"{where}.entities.user_mentions[{i}]")
        text = t.get("full_text") or extended.get("full_text") or t.get("text")
        tid = id_str(t.get("id_str") or t.get("id"))
        self._keep(t, where, tid, author, Item(
            self.file, self.line, where, author, t.get("created_at") or "", True, text, None,
            refs, mentions,
        ))

    def page(self, obj: dict, top: str) -> None:
        at = "" if top == "$" else top + "."
        data = obj.get("data") or ()
        if isinstance(data, dict):
            data = [data]
        for i, item in enumerate(data):
            if not isinstance(item, dict):
                self.p.bad(self.file, "posts", self.line, dump(item),
                           f"{at}data[{i}]: a JSON object is expected")
            elif "username" in item and "text" not in item and "author_id" not in item:
                self.v2_user(item, f"{at}data[{i}]")
            else:
                self.v2_tweet(item, f"{at}data[{i}]")
        includes = obj.get("includes") or {}
        for i, u in enumerate(includes.get("users") or ()):
            self.v2_user(u, f"{at}includes.users[{i}]")
        for i, t in enumerate(includes.get("tweets") or ()):
            self.v2_tweet(t, f"{at}includes.tweets[{i}]")

    def record(self, obj: Any, top: str) -> None:
        if isinstance(obj, BadJson):
            self.p.bad(self.file, "posts", self.line, obj.text, obj.problem)
        elif not isinstance(obj, dict):
            self.p.bad(self.file, "posts", self.line, dump(obj), "a JSON object is expected")
        elif "data" in obj or "includes" in obj or "meta" in obj or "errors" in obj:
            self.page(obj, top)
        elif "user" in obj and ("id_str" in obj or "id" in obj):
            self.v1_tweet(obj, top)
        elif "id" in obj and ("author_id" in obj or "author" in obj or "text" in obj):
            self.v2_tweet(obj, top)
        elif "id" in obj and "username" in obj:
            self.v2_user(obj, top)
        elif len(obj) == 1 and next(iter(obj)) in _NOTICES:
            pass  # a stream notice (deleted tweet, rate limit, ...): no data
        else:
            self.p.bad(self.file, "posts", self.line, dump(obj),
                       "not a Twitter API response page, tweet or user object "
                       f"(keys: {', '.join(list(obj)[:8])})")

    def read(self, path: Path) -> None:
        for self.line, top, obj in iter_json_records(path, containers=()):
            self.record(obj, top)


def read_twitter(
    path: str | Path,
    *,
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    exclude_users: Iterable[str] = (),
) -> Snapshot:
    """Read Twitter API data written by twarc2 (v2 pages or flattened tweets) or twarc (v1.1).

    Parameters
    ----------
    path : str or Path
        A ``.jsonl``/``.json`` file (optionally ``.gz``) or a directory of them.
    on_error : {"fail", "skip"}, optional
        ``"fail"`` (default): raise on the first bad record (``FILE:LINE:1``). ``"skip"``:
        return bad records in ``Snapshot.rejects`` and load the rest.
    exclude_users : iterable of str, optional
        Users (ids or names, case-insensitive) to leave out, with their posts and what is aimed
        at them (counted in ``reports[table].excluded``).
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
    path, files = input_files(path, find_twitter_files, "no Twitter files found — expected "
                              f"twarc/twarc2 JSON lines ({', '.join(TWITTER_SUFFIXES)})")
    collected = Collected()
    with no_gc():  # millions of live parsed objects make every collection expensive
        for k, file in enumerate(files):
            _Reader(collected, k).read(file)
    snap = build_social_snapshot(collected, files, FORMAT, source=str(path), on_error=on_error,
                                 interaction_types=interaction_types,
                                 exclude_users=exclude_users)
    if snap.unresolved.num_rows:
        logger.info("%s: %d references to tweets or users not in the input",
                    path, snap.unresolved.num_rows)
    return snap


#: ``--format twitter``.
IMPORTER = Importer(
    name="twitter",
    summary="Twitter API JSON: twarc2 v2 pages or flattened tweets, twarc v1.1 tweets",
    read=options_reader(read_twitter),
    detect=is_twitter,
    options=frozenset({"exclude_users"}),
    precedence=40,
)
