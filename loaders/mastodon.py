"""Mastodon adapter: an account archive's ActivityPub outbox, and statuses from the REST API.

Two shapes, auto-detected per record, in a file or a directory of files (``.json``,
``.jsonl``, ``.ndjson``, optionally ``.gz``/``.zst``):

- **An account archive** (Preferences -> Import and export -> Request your archive, unzipped):
  ``outbox.json`` is an ActivityStreams ``OrderedCollection`` whose ``orderedItems`` are the
  owner's ``Create`` activities (a ``Note`` with ``inReplyTo``, ``tag`` mentions and hashtags)
  and ``Announce`` activities (boosts, whose ``object`` is the boosted status's URI);
  ``actor.json`` is the owner's profile and ``likes.json`` the URIs of the statuses they
  favourited. A directory holding ``outbox.json`` is read as such an archive.
- **REST API statuses** (``GET /api/v1/timelines/...``, ``/api/v1/accounts/:id/statuses``,
  as saved by Mastodon.py or a collector): ``Status`` entities with ``account``, ``content``,
  ``in_reply_to_id``/``in_reply_to_account_id``, ``reblog``, ``mentions``, ``tags`` and
  (Mastodon 4.4+) ``quote``; a JSON array per file, one per line, or a response document.

Mapping onto the snapshot tables:

- ``users``: one per account, ``id`` = its address ``user@host`` (the one id that is the same
  in ActivityPub and in the REST API of every server), ``name`` = the same address; extra
  columns ``display_name``, ``note``, ``url``, ``bot``, ``followers_count``,
  ``following_count``, ``statuses_count`` (become ``attributes``). An actor's address comes
  from its URI (``https://host/users/alice`` -> ``alice@host``) or its REST ``acct``.
- ``posts``: one per status (a ``Note``, a REST status that is not a boost): ``id`` = the
  status URI (``uri``; ActivityPub ``id``), ``author``, ``ts`` = ``published`` /
  ``created_at``, ``text`` = the HTML content as text (tags removed, entities decoded, so its
  ``#hashtags`` are found by the engine's hashtag rule).
- ``interactions``: a boost -> ``retweet`` (the booster -> the boosted status's author); a
  reply (``inReplyTo`` / ``in_reply_to_id``) -> ``reply``; a quote (``quote``, ``quoteUri``,
  ``_misskey_quote``) -> ``quote``; each mention -> ``mention`` (``post_id`` = the mentioning
  status); each favourite of ``likes.json`` -> ``like`` (no time: the archive gives none).
  A referenced status's author is its author in the input, else the account in its URI when
  the URI has Mastodon's shape (``https://host/users/NAME/statuses/ID``,
  ``https://host/@NAME/ID``); otherwise the reference is unresolved (counted in the load
  report, listed in ``Snapshot.unresolved``).

A record that is neither (an unknown activity type, a status without an id or account) is a
malformed record: ``FILE:LINE:1`` in ``fail`` mode, a reject with its JSON path in ``skip``
mode. ``Delete``, ``Like``, ``Follow``, ``Update`` and other activities an outbox may hold are
not content and are skipped quietly.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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

__all__ = ["MASTODON_SUFFIXES", "account_address", "is_mastodon", "read_mastodon"]

#: File suffixes of Mastodon JSON files (each may add ``.gz`` or ``.zst``).
MASTODON_SUFFIXES: tuple[str, ...] = (".json", ".jsonl", ".ndjson")

_USER_COLUMNS = {"id": pa.string(), "name": pa.string(), "created_at": pa.string(),
                 "display_name": pa.string(), "note": pa.string(), "url": pa.string(),
                 "bot": pa.bool_(), "followers_count": pa.int64(),
                 "following_count": pa.int64(), "statuses_count": pa.int64()}

FORMAT = SocialFormat(
    name="mastodon",
    user_columns=_USER_COLUMNS,
    malformed_fix="give ActivityPub activities (an archive's outbox.json) or REST API Status "
                  "entities, each status with its id and account",
    unresolved_fix="include the referenced statuses, or ignore: the rest loads",
    reference_problem=lambda label, rid: (f"{label} status {rid} is not in the input and its "
                                          "URI does not name its account"),
)

#: Activity types of an outbox that carry no content of their own.
_SKIPPED_ACTIVITIES = frozenset({"Delete", "Like", "Follow", "Undo", "Update", "Accept",
                                 "Reject", "Block", "Flag", "Move", "Add", "Remove"})

_STATUS_URI = re.compile(r"^https?://([^/]+)/(?:users/([^/]+)/statuses/[^/]+|@([^/@]+)/[^/]+)/?$")
_ACTOR_URI = re.compile(r"^https?://([^/]+)/(?:users/([^/]+)|@([^/@]+))/?$")
_BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def account_address(uri_or_acct: str, host: str | None = None) -> str | None:
    """``user@host`` of an actor URI (``https://host/users/user``, ``https://host/@user``), a
    handle (``@user@host``, ``user@host``) or a local ``acct`` (``user``, with ``host``).

    Examples
    --------
    >>> account_address("https://mastodon.social/users/Gargron")
    'Gargron@mastodon.social'
    >>> account_address("@alice@example.org"), account_address("bob", host="example.org")
    ('alice@example.org', 'bob@example.org')
    """
    if not uri_or_acct:
        return None
    m = _ACTOR_URI.match(uri_or_acct)
    if m:
        return f"{m.group(2) or m.group(3)}@{m.group(1)}"
    handle = uri_or_acct.lstrip("@")
    if "@" in handle:
        return handle if "/" not in handle else None
    if host and "/" not in handle and ":" not in handle:
        return f"{handle}@{host}"
    return None


def status_author(uri: str) -> str | None:
    """The account a Mastodon status URI names (``https://host/users/NAME/statuses/ID``)."""
    m = _STATUS_URI.match(uri or "")
    return f"{m.group(2) or m.group(3)}@{m.group(1)}" if m else None


def html_text(content: str | None) -> str | None:
    """Mastodon's HTML content as plain text: line breaks kept, tags removed, entities
    decoded."""
    if not content:
        return content
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", content))).strip()


def _host(url: str | None) -> str | None:
    return urlsplit(url).hostname if url else None


def _is_name(path: Path) -> bool:
    return base_name(path).endswith(MASTODON_SUFFIXES)


#: The files of an account archive that are read, in this order (the owner first).
ARCHIVE_FILES = ("actor.json", "outbox.json", "likes.json")


def find_mastodon_files(path: Path) -> list[Path]:
    """The files of ``path``: itself; for an unzipped archive (a directory holding
    ``outbox.json``) its :data:`ARCHIVE_FILES`; else a directory's JSON files in name order."""
    if not path.is_dir():
        return [path]
    if (path / "outbox.json").is_file():
        return [path / name for name in ARCHIVE_FILES if (path / name).is_file()]
    return sorted(p for p in path.iterdir() if p.is_file() and _is_name(p))


def _looks_like_mastodon(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    kind = obj.get("type")
    if kind in ("Create", "Announce") and "actor" in obj:
        return True
    if kind == "OrderedCollection" and "orderedItems" in obj:
        return True
    if kind == "Person" and "preferredUsername" in obj and "outbox" in obj:
        return True
    return isinstance(obj.get("account"), dict) and "uri" in obj and (
        "content" in obj or "reblog" in obj)


def is_mastodon(path: Path) -> bool:
    """Whether ``path`` (a file, or any JSON file of a directory) starts with an ActivityPub
    activity, collection or actor, or a REST API status."""
    for file in find_mastodon_files(path):
        if _is_name(file) and _looks_like_mastodon(first_json_record(file)):
            return True
    return False


class _Reader:
    """Turns the JSON records of one file into :class:`Collected` records."""

    def __init__(self, collected: Collected, file: int, owner: list[str | None]) -> None:
        self.p = collected
        self.file = file
        self.line = 0
        self.liked = False  # reading likes.json: its strings are favourited statuses
        self.owner = owner  # [address of the archive's owner], shared by the files
        self.local_statuses: dict[tuple[str, str], str] = {}  # (host, REST id) -> uri
        self.local_accounts: dict[tuple[str, str], str] = {}  # (host, REST id) -> address

    def bad(self, where: str, value: Any, problem: str) -> None:
        self.p.bad(self.file, "posts", self.line, f"{where}: {dump(value)}",
                   f"{where}: {problem}")

    # users -------------------------------------------------------------------------------

    def user(self, address: str, where: str, *, created_at=None, display_name=None, note=None,
             url=None, bot=None, followers=None, following=None, statuses=None) -> None:
        self.p.users[address] = (self.file, self.line, where, address, address, created_at,
                                 display_name, html_text(note), url, bot, followers, following,
                                 statuses)

    def actor(self, a: dict, where: str) -> str | None:
        address = account_address(id_str(a.get("id")))
        if address is None:
            host = _host(id_str(a.get("id")))
            address = account_address(id_str(a.get("preferredUsername")), host)
        if address is None:
            self.bad(where, a, "actor without an id URI or preferredUsername")
            return None
        self.user(address, where, created_at=a.get("published"), display_name=a.get("name"),
                  note=a.get("summary"), url=a.get("url"),
                  bot=a.get("type") == "Service" or None)
        return address

    def account(self, a: dict, where: str) -> str | None:
        host = _host(a.get("url")) or _host(a.get("uri"))
        address = account_address(id_str(a.get("acct")), host) or account_address(
            id_str(a.get("uri") or a.get("url")))
        if address is None:
            return None
        if a.get("id") is not None and host:
            self.local_accounts[(host, id_str(a["id"]))] = address
        self.user(address, where, created_at=a.get("created_at"),
                  display_name=a.get("display_name"), note=a.get("note"), url=a.get("url"),
                  bot=a.get("bot"), followers=a.get("followers_count"),
                  following=a.get("following_count"), statuses=a.get("statuses_count"))
        return address

    # ActivityPub -----------------------------------------------------------------------------

    def activity(self, act: dict, where: str) -> None:
        kind = act.get("type")
        actor = act.get("actor")
        actor = actor.get("id") if isinstance(actor, dict) else actor
        author = account_address(id_str(actor)) or self.owner[0]
        if kind == "Create":
            obj = act.get("object")
            if not isinstance(obj, dict):
                self.bad(where, act, "a Create activity without its object")
                return
            self.note(obj, where + ".object", author, act.get("published"))
        elif kind == "Announce":
            obj = act.get("object")
            target = obj.get("id") if isinstance(obj, dict) else obj
            if isinstance(obj, dict) and obj.get("type") in ("Note", "Question", "Article"):
                self.note(obj, where + ".object", None, None)
            aid = id_str(act.get("id")) or f"{where}@{self.file}:{self.line}"
            if not author or not target:
                self.bad(where, act, "an Announce without actor or object")
                return
            self.p.items[aid] = Item(self.file, self.line, where, author,
                                     act.get("published") or "", False, None, None,
                                     [("boost", "retweet", id_str(target),
                                       status_author(id_str(target)))], [])
        elif kind in _SKIPPED_ACTIVITIES:
            return
        elif kind in ("Note", "Question", "Article"):
            self.note(act, where, None, None)
        else:
            self.bad(where, act, f"not a Mastodon activity or status (type {kind!r})")

    def note(self, n: dict, where: str, author: str | None, published: str | None) -> None:
        uri = id_str(n.get("id"))
        author = account_address(id_str(n.get("attributedTo"))) or author
        if not uri or not author:
            self.bad(where, n, "a status without " + ("an id" if not uri else "an author"))
            return
        refs = []
        parent = n.get("inReplyTo")
        parent = parent.get("id") if isinstance(parent, dict) else parent
        if parent:
            refs.append(("reply", "reply", id_str(parent), status_author(id_str(parent))))
        quote = n.get("quote") or n.get("quoteUri") or n.get("quoteUrl") or n.get(
            "_misskey_quote")
        quote = quote.get("id") if isinstance(quote, dict) else quote
        if quote:
            refs.append(("quote", "quote", id_str(quote), status_author(id_str(quote))))
        mentions = []
        host = author.rsplit("@", 1)[-1]
        for i, tag in enumerate(n.get("tag") or ()):
            if isinstance(tag, dict) and tag.get("type") == "Mention":
                address = account_address(id_str(tag.get("href"))) or account_address(
                    id_str(tag.get("name")), host)
                if address:
                    self.p.stub(self.file, self.line, f"{where}.tag[{i}]", address, address)
                mentions.append((address, id_str(tag.get("name")).lstrip("@")))
        self.p.items[uri] = Item(self.file, self.line, where, author,
                                 n.get("published") or published or "", True,
                                 html_text(n.get("content")), None, refs, mentions)

    def collection(self, obj: dict, where: str) -> None:
        """A collection in one record (a compact outbox, ``likes.json``)."""
        for i, item in enumerate(obj.get("orderedItems") or obj.get("items") or ()):
            self.record(item, f"{where}.orderedItems[{i}]" if where != "$"
                        else f"orderedItems[{i}]",
                        liked="like" in id_str(obj.get("id")).lower() or self.liked)

    # REST ------------------------------------------------------------------------------------

    def status(self, s: dict, where: str) -> str | None:
        account = s.get("account")
        author = self.account(account, where + ".account") if isinstance(account, dict) else None
        uri = id_str(s.get("uri") or s.get("url"))
        if not uri or not author:
            self.bad(where, s, "a status without " + ("a uri" if not uri else "an account"))
            return None
        host = _host(uri)
        if s.get("id") is not None and host:
            self.local_statuses[(host, id_str(s["id"]))] = uri
        reblog = s.get("reblog")
        if isinstance(reblog, dict):
            target = self.status(reblog, where + ".reblog")
            if target is not None:
                self.p.items[uri] = Item(self.file, self.line, where, author,
                                         s.get("created_at") or "", False, None, None,
                                         [("boost", "retweet", target, None)], [])
            return uri
        refs = []
        if s.get("in_reply_to_id") is not None:
            refs.append(("reply", "reply", f"\0{host}\0{id_str(s['in_reply_to_id'])}",
                         f"\0{host}\0{id_str(s.get('in_reply_to_account_id'))}"))
        quote = s.get("quote")
        if isinstance(quote, dict):  # 4.4+: {"state": ..., "quoted_status": {...}}
            quoted = quote.get("quoted_status") if "quoted_status" in quote else quote
            if isinstance(quoted, dict):
                target = self.status(quoted, where + ".quote")
                if target is not None:
                    refs.append(("quote", "quote", target, None))
        mentions = []
        for i, m in enumerate(s.get("mentions") or ()):
            address = account_address(id_str(m.get("acct")), _host(m.get("url")))
            if address:
                self.p.stub(self.file, self.line, f"{where}.mentions[{i}]", address, address)
                if m.get("id") is not None and _host(m.get("url")):
                    self.local_accounts[(host, id_str(m["id"]))] = address
            mentions.append((address, id_str(m.get("username"))))
        self.p.items[uri] = Item(self.file, self.line, where, author, s.get("created_at") or "",
                                 True, html_text(s.get("content")), None, refs, mentions)
        return uri

    # dispatch --------------------------------------------------------------------------------

    def record(self, obj: Any, where: str, *, liked: bool = False) -> None:
        if isinstance(obj, BadJson):
            self.p.bad(self.file, "posts", self.line, obj.text, obj.problem)
        elif isinstance(obj, str) and liked:
            self.like(obj, where)
        elif not isinstance(obj, dict):
            self.p.bad(self.file, "posts", self.line, dump(obj),
                       f"{where}: a JSON object is expected")
        elif "account" in obj and ("uri" in obj or "url" in obj):
            self.status(obj, where)
        elif obj.get("type") in ("OrderedCollection", "Collection", "OrderedCollectionPage"):
            self.collection(obj, where)
        elif obj.get("type") in ("Person", "Service", "Group", "Application"):
            address = self.actor(obj, where)
            if address and self.owner[0] is None:
                self.owner[0] = address
        elif "type" in obj:
            self.activity(obj, where)
        else:
            self.bad(where, obj, "not an ActivityPub activity or a REST API status (keys: "
                     f"{', '.join(list(obj)[:8])})")

    def like(self, uri: str, where: str) -> None:
        if self.owner[0] is None:
            self.p.bad(self.file, "posts", self.line, f"{where}: {uri}",
                       f"{where}: a favourite, but the archive's owner is unknown (actor.json "
                       "is missing)")
            return
        self.p.items[f"like:{self.owner[0]}:{uri}"] = Item(
            self.file, self.line, where, self.owner[0], "", False, None, None,
            [("favourite", "like", uri, status_author(uri))], [])

    def read(self, path: Path) -> None:
        self.liked = base_name(path) == "likes.json"
        for self.line, where, obj in iter_json_records(path):
            self.record(obj, where, liked=self.liked)


def _resolve_local_ids(collected: Collected, readers: list[_Reader]) -> None:
    """Replace the REST API's server-local ids of replies (``in_reply_to_id``,
    ``in_reply_to_account_id``) with status URIs and account addresses, now that every file
    was read."""
    statuses: dict[tuple[str, str], str] = {}
    accounts: dict[tuple[str, str], str] = {}
    for r in readers:
        statuses.update(r.local_statuses)
        accounts.update(r.local_accounts)

    def local(key: str | None, table: dict) -> str | None:
        if not key or not key.startswith("\0"):
            return key
        _, host, rid = key.split("\0")
        return table.get((host, rid))

    for iid, item in collected.items.items():
        if any(rid.startswith("\0") for _, _, rid, _ in item.refs):
            refs = [(label, itype, local(rid, statuses) or rid.replace("\0", " ").strip(),
                     local(hint, accounts)) for label, itype, rid, hint in item.refs]
            collected.items[iid] = item._replace(refs=refs)


def read_mastodon(
    path: str | Path,
    *,
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    exclude_users: Iterable[str] = (),
) -> Snapshot:
    """Read a Mastodon account archive (``outbox.json``, ``actor.json``, ``likes.json``) or
    REST API statuses.

    Parameters
    ----------
    path : str or Path
        A JSON file (``.json``, ``.jsonl``, ``.ndjson``; ``.gz``/``.zst`` too) or a directory
        of them (an unzipped archive).
    on_error : {"fail", "skip"}, optional
        ``"fail"`` (default): raise on the first bad record. ``"skip"``: return bad records in
        ``Snapshot.rejects`` and load the rest.
    exclude_users : iterable of str, optional
        Users (ids or names, case-insensitive) to leave out, with their posts and what is aimed
        at them (counted in ``reports[table].excluded``).
    interaction_types : iterable of str, optional
        Extra interaction types to allow.

    Returns
    -------
    Snapshot
        ``users``, ``posts``, ``interactions``; references whose author is unknown are in
        ``Snapshot.unresolved``.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> outbox = {"type": "OrderedCollection", "orderedItems": [
    ...     {"type": "Create", "actor": "https://ex.social/users/alice",
    ...      "published": "2024-05-01T10:00:00Z",
    ...      "object": {"id": "https://ex.social/users/alice/statuses/1", "type": "Note",
    ...                 "content": "<p>hi @bob #fediverse</p>",
    ...                 "inReplyTo": "https://other.net/users/bob/statuses/9",
    ...                 "tag": [{"type": "Mention", "href": "https://other.net/users/bob",
    ...                          "name": "@bob@other.net"}]}}]}
    >>> f = Path(tempfile.mkdtemp()) / "outbox.json"
    >>> _ = f.write_text(json.dumps(outbox, indent=2))
    >>> snap = read_mastodon(f)
    >>> snap.tables["interactions"].select(["src", "dst", "type"]).to_pylist()
    [{'src': 'alice@ex.social', 'dst': 'bob@other.net', 'type': 'reply'}, \
{'src': 'alice@ex.social', 'dst': 'bob@other.net', 'type': 'mention'}]
    >>> snap.tables["posts"]["text"].to_pylist()
    ['hi @bob #fediverse']
    """
    path, files = input_files(path, find_mastodon_files, "no Mastodon files found — expected "
                              "an archive's outbox.json or REST API statuses "
                              f"({', '.join(MASTODON_SUFFIXES)})")
    collected = Collected()
    owner: list[str | None] = [None]
    readers = []
    with no_gc():
        for k, file in enumerate(files):
            reader = _Reader(collected, k, owner)
            reader.read(file)
            readers.append(reader)
    _resolve_local_ids(collected, readers)
    return build_social_snapshot(collected, files, FORMAT, source=str(path), on_error=on_error,
                                 interaction_types=interaction_types,
                                 exclude_users=exclude_users)


#: ``--format mastodon``.
IMPORTER = Importer(
    name="mastodon",
    summary="Mastodon: an account archive (outbox.json, actor.json, likes.json) or REST API "
            "statuses",
    read=options_reader(read_mastodon),
    detect=is_mastodon,
    options=frozenset({"exclude_users"}),
    precedence=40,
)
