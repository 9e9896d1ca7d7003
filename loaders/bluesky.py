"""Bluesky adapter: Jetstream events, ``app.bsky.*`` records, and the AppView's post views.

Files are JSON (``.jsonl``, ``.ndjson``, ``.json``; ``.gz``/``.zst`` too), a file or a
directory of them, each record one of:

- a **Jetstream event** (``wss://jetstream.../subscribe`` saved line by line): ``kind``
  ``commit`` with ``did``, ``time_us`` and ``commit.{operation, collection, rkey, record}``;
  ``kind`` ``identity`` (``identity.handle``) and ``account`` events;
- a **repository record** as ``com.atproto.repo.listRecords`` returns it: ``uri``, ``cid``,
  ``value`` (the record, with its ``$type``), also inside a ``{"records": [...]}`` response;
- a **post view** as the AppView returns it (``app.bsky.feed.searchPosts`` -> ``posts``,
  ``getAuthorFeed``/``getTimeline`` -> ``feed[].post`` with a repost ``reason``): ``uri``,
  ``author`` (``did``, ``handle``, ``displayName``, counts), ``record``;
- a **profile view** (``did`` + ``handle``, from ``getProfiles``/``getFollowers``).

Mapping onto the snapshot tables (DIDs are the ids: a handle can change, a DID does not):

- ``users``: ``id`` = the DID, ``name`` = the handle when the input says it (identity events,
  post and profile views), extra columns ``display_name``, ``description``,
  ``followers_count``, ``follows_count``, ``posts_count`` (from ``app.bsky.actor.profile``
  records and profile views; they become ``attributes``).
- ``posts`` (``app.bsky.feed.post``): ``id`` = the record's AT URI
  (``at://DID/app.bsky.feed.post/RKEY``), ``author`` = its DID, ``ts`` = ``createdAt`` (else
  the event's ``time_us``), ``text``, ``topics`` = the record's ``tags`` (hashtags that are
  not in the text; those in the text are found by the engine's hashtag rule).
- ``interactions``: a reply (``reply.parent``) -> ``reply``; a quote (an embedded record,
  ``app.bsky.embed.record`` or ``recordWithMedia``, that is a post) -> ``quote``; a repost
  (``app.bsky.feed.repost``) -> ``retweet``; a like (``app.bsky.feed.like``) -> ``like``; a
  mention facet (``app.bsky.richtext.facet#mention``) -> ``mention``. The user acted upon is
  the DID in the subject's AT URI, so every reference resolves even when the post itself is
  not in the input. ``post_id`` = the subject's AT URI.
- ``follows`` (``app.bsky.graph.follow``): the record's author follows ``subject``.

Jetstream ``delete`` operations, and records of other collections (blocks, lists, feed
generators, ...), carry nothing the engine uses and are skipped quietly; an ``update`` is read
like a ``create``. A record that is none of the shapes above, or a post without ``createdAt``
or author, is a malformed record: ``FILE:LINE:1`` in ``fail`` mode, a reject with its JSON
path in ``skip`` mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
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

__all__ = ["BLUESKY_SUFFIXES", "at_uri_did", "is_bluesky", "read_bluesky"]

#: File suffixes of Bluesky JSON files (each may add ``.gz`` or ``.zst``).
BLUESKY_SUFFIXES: tuple[str, ...] = (".jsonl", ".ndjson", ".json")

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
LIKE = "app.bsky.feed.like"
FOLLOW = "app.bsky.graph.follow"
PROFILE = "app.bsky.actor.profile"
_MENTION = "app.bsky.richtext.facet#mention"

_USER_COLUMNS = {"id": pa.string(), "name": pa.string(), "created_at": pa.string(),
                 "display_name": pa.string(), "description": pa.string(),
                 "followers_count": pa.int64(), "follows_count": pa.int64(),
                 "posts_count": pa.int64()}

FORMAT = SocialFormat(
    name="bluesky",
    user_columns=_USER_COLUMNS,
    malformed_fix="give Jetstream events, repository records (uri + value) or post views, "
                  "each with its AT URI and author DID",
    unresolved_fix="give the subject as an at:// URI, or ignore: the rest loads",
    reference_problem=lambda label, rid: f"{label} {rid} is not an at:// URI naming its author",
)


def at_uri_did(uri: str) -> str | None:
    """The repository DID of an AT URI (``at://did:plc:abc/app.bsky.feed.post/3k``).

    Examples
    --------
    >>> at_uri_did("at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3l3qo2vutsw2b")
    'did:plc:z72i7hdynmk6r22z27h6tvur'
    >>> at_uri_did("https://bsky.app/profile/x") is None
    True
    """
    if not isinstance(uri, str) or not uri.startswith("at://did:"):
        return None
    return uri[5:].split("/", 1)[0]


def _collection(uri: str) -> str | None:
    parts = uri[5:].split("/") if isinstance(uri, str) and uri.startswith("at://") else []
    return parts[1] if len(parts) > 1 else None


def _is_name(path: Path) -> bool:
    return base_name(path).endswith(BLUESKY_SUFFIXES)


def find_bluesky_files(path: Path) -> list[Path]:
    """The files of ``path``: itself, or a directory's JSON files in name order."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and _is_name(p))
    return [path]


def _looks_like_bluesky(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    if "did" in obj and obj.get("kind") in ("commit", "identity", "account"):
        return True
    uri = obj.get("uri")
    if isinstance(uri, str) and uri.startswith("at://"):
        return True
    post = obj.get("post")
    return isinstance(post, dict) and str(post.get("uri", "")).startswith("at://")


def is_bluesky(path: Path) -> bool:
    """Whether ``path`` (a file, or any JSON file of a directory) starts with a Jetstream
    event, an ``at://`` record or a post view."""
    return any(_looks_like_bluesky(first_json_record(f)) for f in find_bluesky_files(path)
               if _is_name(f))


def _time_us(value: Any) -> str:
    try:
        return datetime.fromtimestamp(int(value) / 1e6, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


class _Reader:
    """Turns the JSON records of one file into :class:`Collected` records."""

    def __init__(self, collected: Collected, file: int) -> None:
        self.p = collected
        self.file = file
        self.line = 0

    def bad(self, where: str, value: Any, problem: str, table: str = "posts") -> None:
        self.p.bad(self.file, table, self.line, f"{where}: {dump(value)}",
                   f"{where}: {problem}")

    def handle(self, did: str, handle: str | None, where: str) -> None:
        """A DID and its handle, from an identity event (no profile fields)."""
        row = self.p.users.get(did)
        if row is None:
            self.p.users[did] = (self.file, self.line, where, did, handle, None, None, None,
                                 None, None, None)
        elif handle:
            self.p.users[did] = (*row[:4], handle, *row[5:])

    def profile_view(self, a: dict, where: str) -> str | None:
        did = id_str(a.get("did"))
        if not did:
            return None
        old = self.p.users.get(did)
        self.p.users[did] = (
            self.file, self.line, where, did, a.get("handle") or (old[4] if old else None),
            a.get("createdAt"), a.get("displayName"), a.get("description"),
            a.get("followersCount"), a.get("followsCount"), a.get("postsCount"))
        return did

    def profile_record(self, did: str, rec: dict, where: str) -> None:
        old = self.p.users.get(did)
        self.p.users[did] = (self.file, self.line, where, did, old[4] if old else None,
                             rec.get("createdAt"), rec.get("displayName"),
                             rec.get("description"), *(old[8:] if old else (None,) * 3))

    # records ---------------------------------------------------------------------------------

    def record(self, did: str, uri: str, rec: Any, where: str, fallback_ts: str = "") -> None:
        """One ``app.bsky.*`` record of repository ``did`` at ``uri``."""
        if not isinstance(rec, dict):
            self.bad(where, rec, "a record object is expected")
            return
        kind = rec.get("$type") or _collection(uri)
        ts = rec.get("createdAt") or fallback_ts
        if kind == POST:
            self.post(did, uri, rec, where, ts)
        elif kind in (REPOST, LIKE):
            subject = rec.get("subject")
            target = id_str(subject.get("uri")) if isinstance(subject, dict) else ""
            if not target:
                self.bad(where, rec, f"{kind} record without subject.uri", "interactions")
                return
            label, itype = ("repost", "retweet") if kind == REPOST else ("like", "like")
            self.p.items[uri] = Item(self.file, self.line, where, did, ts, False, None, None,
                                     [(label, itype, target, at_uri_did(target))], [])
        elif kind == FOLLOW:
            subject = id_str(rec.get("subject"))
            if not subject.startswith("did:"):
                self.bad(where, rec, "follow record whose subject is not a DID", "follows")
                return
            self.p.follows[uri] = (self.file, self.line, where, did, subject, ts or None)
        elif kind == PROFILE:
            self.profile_record(did, rec, where)
        # other collections (blocks, lists, threadgates, ...) carry nothing the engine uses

    def post(self, did: str, uri: str, rec: dict, where: str, ts: str) -> None:
        refs = []
        reply = rec.get("reply")
        parent = id_str((reply.get("parent") or {}).get("uri")) if isinstance(reply, dict) else ""
        if parent:
            refs.append(("reply", "reply", parent, at_uri_did(parent)))
        embed = rec.get("embed")
        if isinstance(embed, dict):
            inner = embed.get("record")
            if isinstance(inner, dict) and isinstance(inner.get("record"), dict):
                inner = inner["record"]  # app.bsky.embed.recordWithMedia
            quoted = id_str(inner.get("uri")) if isinstance(inner, dict) else ""
            if quoted and _collection(quoted) == POST:
                refs.append(("quote", "quote", quoted, at_uri_did(quoted)))
        mentions = []
        for i, facet in enumerate(rec.get("facets") or ()):
            for feature in (facet.get("features") or ()) if isinstance(facet, dict) else ():
                if isinstance(feature, dict) and feature.get("$type") == _MENTION:
                    mdid = id_str(feature.get("did"))
                    if mdid:
                        mentions.append((mdid, mdid))
                        self.p.stub(self.file, self.line, f"{where}.facets[{i}]", mdid, None)
        tags = rec.get("tags")
        topics = ";".join(str(t).replace(";", ",") for t in tags if t) if isinstance(
            tags, list) else None
        self.p.items[uri] = Item(self.file, self.line, where, did, ts, True, rec.get("text"),
                                 topics or None, refs, mentions)

    # shapes ----------------------------------------------------------------------------------

    def event(self, e: dict, where: str) -> None:
        did = id_str(e.get("did"))
        kind = e.get("kind")
        if kind == "identity":
            ident = e.get("identity") or {}
            self.handle(did, ident.get("handle"), where)
        elif kind == "commit":
            c = e.get("commit") or {}
            if c.get("operation") == "delete":
                return
            uri = f"at://{did}/{c.get('collection')}/{c.get('rkey')}"
            record = c.get("record")
            if isinstance(record, dict) and "$type" not in record:
                record = {**record, "$type": c.get("collection")}
            self.record(did, uri, record, where + ".commit.record", _time_us(e.get("time_us")))
        # "account" events (active/deactivated) carry no data the engine uses

    def post_view(self, v: dict, where: str) -> None:
        author = v.get("author")
        did = self.profile_view(author, where + ".author") if isinstance(author, dict) else None
        uri = id_str(v.get("uri"))
        did = did or at_uri_did(uri)
        if not did or not uri:
            self.bad(where, v, "a post view without uri or author")
            return
        record = v.get("record") or v.get("value")
        self.record(did, uri, record, where + (".record" if "record" in v else ".value"),
                    v.get("indexedAt") or "")

    def feed_item(self, f: dict, where: str) -> None:
        post = f["post"]
        self.post_view(post, where + ".post")
        reason = f.get("reason")
        if isinstance(reason, dict) and "reasonRepost" in str(reason.get("$type")):
            by = reason.get("by")
            did = self.profile_view(by, where + ".reason.by") if isinstance(by, dict) else None
            target = id_str(post.get("uri"))
            if did and target:
                self.p.items[f"repost:{did}:{target}"] = Item(
                    self.file, self.line, where + ".reason", did, reason.get("indexedAt") or "",
                    False, None, None, [("repost", "retweet", target, at_uri_did(target))], [])

    def any(self, obj: Any, where: str) -> None:
        if isinstance(obj, BadJson):
            self.p.bad(self.file, "posts", self.line, obj.text, obj.problem)
        elif not isinstance(obj, dict):
            self.p.bad(self.file, "posts", self.line, dump(obj),
                       f"{where}: a JSON object is expected")
        elif "kind" in obj and "did" in obj:
            self.event(obj, where)
        elif isinstance(obj.get("post"), dict):
            self.feed_item(obj, where)
        elif "uri" in obj and ("record" in obj or "author" in obj):
            self.post_view(obj, where)
        elif "uri" in obj and "value" in obj:
            uri = id_str(obj["uri"])
            did = at_uri_did(uri)
            if did is None:
                self.bad(where, obj, "a record whose uri is not at://DID/...")
                return
            self.record(did, uri, obj["value"], where + ".value")
        elif "did" in obj and "handle" in obj:
            self.profile_view(obj, where)
        else:
            self.bad(where, obj, "not a Jetstream event, repository record, post view or "
                     f"profile (keys: {', '.join(list(obj)[:8])})")

    def read(self, path: Path) -> None:
        for self.line, where, obj in iter_json_records(path):
            self.any(obj, where)


def read_bluesky(
    path: str | Path,
    *,
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    exclude_users: Iterable[str] = (),
) -> Snapshot:
    """Read Bluesky data: Jetstream events, repository records or post views.

    Parameters
    ----------
    path : str or Path
        A JSON file (``.jsonl``, ``.ndjson``, ``.json``; ``.gz``/``.zst`` too) or a directory.
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
        ``users``, ``follows``, ``posts``, ``interactions``.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> events = [
    ...   {"did": "did:plc:bob", "time_us": 1725911162329308, "kind": "commit",
    ...    "commit": {"operation": "create", "collection": "app.bsky.feed.like",
    ...               "rkey": "3l3q", "record": {"$type": "app.bsky.feed.like",
    ...               "createdAt": "2024-09-09T19:46:02.102Z",
    ...               "subject": {"uri": "at://did:plc:alice/app.bsky.feed.post/3k"}}}},
    ...   {"did": "did:plc:alice", "time_us": 1725911162329309, "kind": "identity",
    ...    "identity": {"did": "did:plc:alice", "handle": "alice.bsky.social"}}]
    >>> f = Path(tempfile.mkdtemp()) / "jetstream.jsonl"
    >>> _ = f.write_text("\\n".join(json.dumps(e) for e in events))
    >>> snap = read_bluesky(f)
    >>> snap.tables["interactions"].select(["src", "dst", "type"]).to_pylist()
    [{'src': 'did:plc:bob', 'dst': 'did:plc:alice', 'type': 'like'}]
    >>> snap.tables["users"].select(["id", "name"]).to_pylist()
    [{'id': 'did:plc:alice', 'name': 'alice.bsky.social'}]
    """
    path, files = input_files(path, find_bluesky_files,
                              f"no Bluesky files found ({', '.join(BLUESKY_SUFFIXES)})")
    collected = Collected()
    with no_gc():
        for k, file in enumerate(files):
            _Reader(collected, k).read(file)
    return build_social_snapshot(collected, files, FORMAT, source=str(path), on_error=on_error,
                                 interaction_types=interaction_types,
                                 exclude_users=exclude_users)


#: ``--format bluesky``.
IMPORTER = Importer(
    name="bluesky",
    summary="Bluesky: Jetstream events, app.bsky.* repository records, post and profile views",
    read=options_reader(read_bluesky),
    detect=is_bluesky,
    options=frozenset({"exclude_users"}),
    precedence=40,
)
