"""Reddit adapter: Pushshift-style NDJSON of comments and submissions (``--format reddit``).

Files are JSON lines (``.jsonl``, ``.ndjson``, ``.json``; Pushshift's monthly dumps
``RC_2019-04`` / ``RS_2019-04`` and the per-subreddit ``<name>_comments`` /
``<name>_submissions`` files, each optionally ``.zst`` or ``.gz``; Pushshift writes its
``.zst`` dumps with ``zstd --long=31``, which :mod:`~graph_influence.loaders.textio` reads),
or a Pushshift API response document (``{"data": [...]}``); a path is one file, a directory of
them, or ``-`` (standard input, through the CLI). Each record is one Reddit *thing* with the
fields Pushshift documents:

- a **comment** (``RC_``): ``id``, ``author``, ``author_fullname``, ``author_flair_text``,
  ``author_created_utc``, ``body``, ``created_utc``, ``parent_id`` (the fullname of the comment
  or submission replied to), ``link_id`` (the submission's fullname), ``subreddit``;
- a **submission** (``RS_``): ``id``, ``name`` (its fullname), ``author``, ``author_*``,
  ``title``, ``selftext``, ``num_comments``, ``created_utc``, ``subreddit``.

Mapping onto the snapshot tables (``graph_influence.schema.TABLES``):

- ``posts``: one row per distinct *fullname*: ``t1_<id>`` for a comment, ``t3_<id>`` for a
  submission (``name`` when the record has it), so ``parent_id`` values match post ids
  directly; the same thing in two files (or twice in one) is one post, the later record wins.
  ``author`` = ``author``; ``ts`` = ``created_utc`` (epoch seconds, given as an integer, a
  float or a string); ``text`` = ``body``, or ``title`` + a blank line + ``selftext``;
  ``topics`` = ``subreddit`` (so ``top --topic <subreddit>`` works). A ``[removed]`` or
  ``[deleted]`` body by a real author is still a post.
- ``users``: every author; the id is the Reddit username (names are unique on Reddit), also the
  ``name``; ``created_at`` = ``author_created_utc``; extra columns ``fullname``
  (``author_fullname``, ``t2_...``) and ``flair`` (``author_flair_text``), which become
  ``attributes``. Each field keeps the newest value the input gives for it.
- ``interactions``: each comment -> ``reply`` from its author to the author of ``parent_id``
  (``post_id`` = the parent's fullname, ``ts`` = the comment's ``created_utc``); a top-level
  comment replies to the submission's author. Each ``u/name`` or ``/u/name`` in a comment's
  body or a submission's text (Reddit's user-link syntax, the one that notifies the user; a
  bare ``name`` or ``@name`` is not one) -> ``mention`` (``post_id`` = the mentioning post),
  once per post and user, the name matched case-insensitively against the input's authors.
  A reply that also ``u/``-mentions its parent's author makes both, as on Twitter.
- No follows (the dumps do not say who follows whom). Votes (``score``), awards and crossposts
  (``crosspost_parent``) are not mapped.

A reference that cannot be resolved (a parent comment or submission in no file of the input,
a ``u/name`` who wrote nothing in the input) is no error and is not dropped silently: it is
listed in ``Snapshot.unresolved`` and counted in ``reports["interactions"].unresolved``, in
both ``on_error`` modes (give the ``RS_`` dump of the same months to resolve top-level
comments).

Excluded users (``exclude_users``, the CLI's ``--exclude-user``; default
:data:`DEFAULT_EXCLUDED_USERS`: ``[deleted]``, which Reddit writes for every deleted account,
and the ``AutoModerator`` bot): their posts are left out (counted in
``reports["posts"].excluded``; the replies and mentions they made go with them), the replies
and mentions aimed at them are left out (``reports["interactions"].excluded``), and so is their
user row (``reports["users"].excluded``). ``exclude_users=()`` excludes nobody.

Bad lines (not JSON, not an object, neither a comment nor a submission, no ``id`` or
``author``) are malformed records of ``posts``; bad values (a ``created_utc`` that is not a
time) are checked by the engine: ``FILE:LINE:1: problem — fix`` in ``fail`` mode, rejects with
the JSON path and the record in ``skip`` mode.
"""

from __future__ import annotations

import logging
import re
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
from graph_influence.loaders.textio import base_name, is_compressed

__all__ = ["DEFAULT_EXCLUDED_USERS", "REDDIT_SUFFIXES", "find_reddit_files", "is_reddit",
           "read_reddit"]

logger = logging.getLogger(__name__)

#: Users left out when ``exclude_users`` is not given: Reddit's placeholder for deleted
#: accounts and its moderation bot.
DEFAULT_EXCLUDED_USERS: tuple[str, ...] = ("[deleted]", "AutoModerator")

#: File suffixes of Reddit JSON files (each may add ``.gz`` or ``.zst``).
REDDIT_SUFFIXES: tuple[str, ...] = (".jsonl", ".ndjson", ".json")

#: Pushshift's dump names: monthly ``RC_2019-04`` / ``RS_2019-04`` (daily ``RC_2019-04-01``).
_DUMP_NAME = re.compile(r"r[cs]_\d{4}-\d{2}(-\d{2})?")

#: A Reddit user link: ``u/name`` or ``/u/name``, not inside a word or a URL path. Reddit
#: names are 3-20 letters, digits, ``_`` and ``-``.
_MENTION = re.compile(r"(?<![\w/])/?u/([A-Za-z0-9_-]{3,20})(?![\w-])")

_MALFORMED_FIX = ("make each line one JSON object: a Reddit comment (id, author, body, "
                  "parent_id) or submission (id, author, title), as Pushshift dumps them")

_USER_TYPES = {"id": pa.string(), "name": pa.string(), "created_at": pa.string(),
               "fullname": pa.string(), "flair": pa.string()}

FORMAT = SocialFormat(
    name="reddit",
    user_columns=_USER_TYPES,
    malformed_fix=_MALFORMED_FIX,
    unresolved_fix=("include the parent comments and submissions (the RS_ dump of the same "
                    "months), or ignore: the rest loads"),
    reference_problem=lambda label, rid: (
        f"parent {'submission' if rid.startswith('t3_') else 'comment'} {rid} is not in the "
        "input, so the author replied to is unknown"),
    containers=None,  # Pushshift API responses keep their records under "data"
    mention_problem=lambda name: f"u/{name} wrote nothing in the input, so is unknown",
)


def _is_reddit_name(path: Path) -> bool:
    name = base_name(path)
    if name.endswith(REDDIT_SUFFIXES) or _DUMP_NAME.fullmatch(name):
        return True
    return is_compressed(path) and "." not in name  # subreddit dumps: python_comments.zst


def find_reddit_files(path: Path) -> list[Path]:
    """The Reddit files of ``path``: itself, or the files of a directory whose names are JSON
    (``.jsonl``, ``.ndjson``, ``.json``) or Pushshift dumps (``RC_2019-04``, ``RS_2019-04``,
    ``python_comments.zst``), each optionally ``.gz`` or ``.zst``, in name order."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and _is_reddit_name(p))
    return [path]


def looks_like_reddit(obj: Any) -> bool:
    """Whether a JSON record is a Reddit comment (``subreddit``, ``body``, ``parent_id``) or
    submission (``subreddit``, ``title`` and ``num_comments`` or ``selftext``)."""
    if not isinstance(obj, dict) or "subreddit" not in obj:
        return False
    return ("body" in obj and "parent_id" in obj
            or "title" in obj and ("num_comments" in obj or "selftext" in obj))


def is_reddit(path: Path) -> bool:
    """Whether ``path`` (a file, or any file of a directory) starts with a Reddit comment or
    submission, judged from its first record."""
    for file in find_reddit_files(path):
        try:
            if looks_like_reddit(first_json_record(file)):
                return True
        except (OSError, ValueError):
            continue
    return False


# --- parsing ------------------------------------------------------------------------------


def _epoch(value: Any) -> str:
    """``created_utc`` as text for the engine (epoch seconds; ``""`` when absent). Anything
    that is not a number is kept as text, for the timestamp check to name."""
    kind = type(value)
    if kind is int or kind is str:
        return str(value)
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    return "" if value is None else dump(value)


def _mentions(text: str) -> list[tuple[str | None, str]]:
    """The ``u/name`` user links of ``text``, once per name (case-insensitive)."""
    if "\\" in text:
        text = text.replace("\\_", "_")  # Markdown escapes: u/some\_name
    seen: dict[str, tuple[None, str]] = {}
    for name in _MENTION.findall(text):
        seen.setdefault(name.casefold(), (None, name))
    return list(seen.values())


class _Reader:
    """Turns the JSON records of one file into posts and users of :class:`Collected`."""

    def __init__(self, collected: Collected, file: int) -> None:
        self.p = collected
        self.file = file

    def _user(self, line: int, where: str, get: Any, author: str) -> None:
        created = get("author_created_utc")
        if created is not None:
            created = _epoch(created)
        fullname = get("author_fullname")
        flair = get("author_flair_text")
        users = self.p.users
        old = users.get(author)
        if old is not None:
            if old[5] == created and old[6] == fullname and old[7] == flair:
                return  # nothing new (most records): keep the row
            # keep the fields this record does not give
            created = old[5] if created is None else created
            fullname = old[6] if fullname is None else fullname
            flair = old[7] if flair is None else flair
        users[author] = (self.file, line, where, author, author, created, fullname, flair)

    def record(self, line: int, where: str, obj: Any) -> None:
        if type(obj) is not dict:
            if isinstance(obj, BadJson):
                self.p.bad(self.file, "posts", line, obj.text, obj.problem)
            else:
                self.p.bad(self.file, "posts", line, dump(obj), "a JSON object is expected")
            return
        get = obj.get
        if "body" in obj or "parent_id" in obj:
            what, prefix = "comment", "t1_"
            text = get("body")
            if type(text) is not str:
                text = None
            parent = get("parent_id")
            if type(parent) is not str:
                parent = id_str(parent)
            if not parent:
                parent = id_str(get("link_id"))
            refs = [("parent_id", "reply", parent, None)] if parent else []
        elif "title" in obj:
            what, prefix = "submission", "t3_"
            text = get("title")
            if type(text) is not str:
                text = ""
            selftext = get("selftext")
            if selftext and type(selftext) is str:
                text = f"{text}\n\n{selftext}"
            refs = []
        else:
            self.p.bad(self.file, "posts", line, dump(obj),
                       "not a Reddit comment (body, parent_id) or submission (title) "
                       f"(keys: {', '.join(list(obj)[:8])})")
            return
        fid = get("name")
        if type(fid) is not str or not fid:
            rid = id_str(get("id"))
            fid = rid if not rid or rid[:3] in ("t1_", "t3_") else prefix + rid
        author = get("author")
        if type(author) is not str:
            author = id_str(author)
        if not fid or not author:
            self.p.bad(self.file, "posts", line, f"{where}: {dump(obj)}",
                       f"{where}: {what} without {'an id' if not fid else 'an author'}")
            return
        self._user(line, where, get, author)
        ts = get("created_utc")
        if type(ts) is not str:
            ts = str(ts) if type(ts) is int else _epoch(ts)
        subreddit = get("subreddit")
        if type(subreddit) is not str or not subreddit:
            subreddit = None
        self.p.items[fid] = Item(self.file, line, where, author, ts, True, text, subreddit, refs,
                                 _mentions(text) if text and "u/" in text else [])

    def read(self, path: Path) -> None:
        record = self.record
        for line, where, obj in iter_json_records(path, containers=FORMAT.containers):
            record(line, where, obj)


def read_reddit(
    path: str | Path,
    *,
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    exclude_users: Iterable[str] | None = None,
) -> Snapshot:
    """Read Reddit comments and submissions in Pushshift's NDJSON (plain, ``.gz`` or ``.zst``).

    Parameters
    ----------
    path : str or Path
        A file (``RC_2019-04.zst``, ``comments.jsonl``, ...) or a directory of them.
    on_error : {"fail", "skip"}, optional
        ``"fail"`` (default): raise on the first bad record (``FILE:LINE:1``). ``"skip"``:
        return bad records in ``Snapshot.rejects`` and load the rest.
    interaction_types : iterable of str, optional
        Extra interaction types to allow (the format yields reply and mention).
    exclude_users : iterable of str, optional
        Usernames (case-insensitive) left out with their posts and the replies and mentions
        aimed at them, counted in ``reports[table].excluded``. Default (``None``):
        :data:`DEFAULT_EXCLUDED_USERS` (``[deleted]``, ``AutoModerator``); ``()`` excludes
        nobody.

    Returns
    -------
    Snapshot
        ``users``, ``posts`` and ``interactions`` (no ``follows``). Replies whose parent is
        not in the input and ``u/`` mentions of users who wrote nothing in it are in
        ``Snapshot.unresolved`` and counted in ``reports["interactions"].unresolved``, in both
        modes (they are not records of the files, so not rejects).

    Raises
    ------
    SnapshotError
        If ``path`` holds no Reddit file or a file cannot be read.
    InputError
        On the first bad record with ``on_error="fail"``.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> things = [
    ...     {"id": "abc", "author": "alice", "title": "Hi", "selftext": "", "num_comments": 2,
    ...      "subreddit": "python", "created_utc": 1554076800},
    ...     {"id": "c1", "author": "bob", "body": "hello u/carol", "parent_id": "t3_abc",
    ...      "link_id": "t3_abc", "subreddit": "python", "created_utc": "1554076900"},
    ...     {"id": "c2", "author": "carol", "body": "yes", "parent_id": "t1_c1",
    ...      "link_id": "t3_abc", "subreddit": "python", "created_utc": 1554077000.0},
    ...     {"id": "c3", "author": "AutoModerator", "body": "Rule 1", "parent_id": "t3_abc",
    ...      "link_id": "t3_abc", "subreddit": "python", "created_utc": 1554077100}]
    >>> f = Path(tempfile.mkdtemp()) / "RC_2019-04.jsonl"
    >>> _ = f.write_text("".join(json.dumps(t) + "\\n" for t in things))
    >>> snap = read_reddit(f)
    >>> for r in sorted(snap.tables["interactions"].to_pylist(), key=lambda r: r["post_id"]):
    ...     print(r["src"], "->", r["dst"], r["type"], r["post_id"])
    bob -> carol mention t1_c1
    carol -> bob reply t1_c1
    bob -> alice reply t3_abc
    >>> snap.tables["posts"]["id"].to_pylist(), snap.reports["posts"].excluded
    (['t3_abc', 't1_c1', 't1_c2'], 1)
    """
    path, files = input_files(path, find_reddit_files, "no Reddit files found — expected "
                              "Pushshift dumps (RC_2019-04.zst, RS_2019-04.zst) or JSON lines "
                              f"({', '.join(REDDIT_SUFFIXES)})")
    excluded = DEFAULT_EXCLUDED_USERS if exclude_users is None else tuple(exclude_users)
    collected = Collected()
    with no_gc():  # millions of live parsed objects make every collection expensive
        for k, file in enumerate(files):
            _Reader(collected, k).read(file)
        snap = build_social_snapshot(collected, files, FORMAT, source=str(path),
                                     on_error=on_error, interaction_types=interaction_types,
                                     exclude_users=excluded)
    if snap.unresolved.num_rows:
        logger.info("%s: %d replies to posts, or mentions of users, not in the input",
                    path, snap.unresolved.num_rows)
    return snap


#: ``--format reddit``.
IMPORTER = Importer(
    name="reddit",
    summary="Reddit comments and submissions: Pushshift NDJSON dumps (RC_/RS_, .zst), JSON lines",
    read=options_reader(read_reddit),
    detect=is_reddit,
    options=frozenset({"exclude_users"}),
    precedence=40,
)
