"""The Bluesky importer (``--format bluesky``): Jetstream events, repository records, post views.

No public Bluesky dataset is at hand, so the fixtures are built by hand from the public
documentation: Jetstream's event shapes (``kind`` commit / identity / account, ``commit``
with ``operation``, ``collection``, ``rkey``, ``record``; github.com/bluesky-social/jetstream),
the ``app.bsky.*`` lexicons (``feed.post`` with ``reply``, ``embed.record``,
``embed.recordWithMedia``, rich-text ``facets`` and ``tags``; ``feed.repost``, ``feed.like``,
``graph.follow``, ``actor.profile``), ``com.atproto.repo.listRecords`` (``records[]`` of
``uri``/``cid``/``value``) and the AppView's ``app.bsky.feed.searchPosts`` (``posts[]`` of post
views) and ``getAuthorFeed`` (``feed[]`` with ``reasonRepost``). The expected tables are worked
out by hand and written out here.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_influence.errors import InputError
from graph_influence.loaders import detect_format, read_snapshot

ALICE, BOB, CAROL, DAVE, ERIN = (f"did:plc:{n}" for n in ("alice", "bob", "carol", "dave",
                                                           "erin"))
P1 = f"at://{ALICE}/app.bsky.feed.post/3kp1"
P2 = f"at://{BOB}/app.bsky.feed.post/3kp2"


def _commit(did: str, collection: str, rkey: str, record: dict | None, *, op="create",
            t: int = 0) -> dict:
    commit = {"rev": f"3l{t:04d}", "operation": op, "collection": collection, "rkey": rkey}
    if record is not None:
        commit["record"] = {"$type": collection, **record}
        commit["cid"] = f"bafyrei{t:04d}"
    return {"did": did, "time_us": 1725911162329308 + t, "kind": "commit", "commit": commit}


def _ref(uri: str) -> dict:
    return {"uri": uri, "cid": "bafyreib"}


def _mention(did: str) -> dict:
    return {"index": {"byteStart": 0, "byteEnd": 6},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]}


def jetstream_events() -> list[dict]:
    ts = "2024-09-09T19:46:02.102Z"
    return [
        {"did": ALICE, "time_us": 1725911162329308, "kind": "identity",
         "identity": {"did": ALICE, "handle": "alice.bsky.social", "seq": 1,
                      "time": "2024-09-09T19:46:02.102Z"}},
        {"did": BOB, "time_us": 1725911162329309, "kind": "identity",
         "identity": {"did": BOB, "handle": "bob.example.com", "seq": 2, "time": ts}},
        _commit(ALICE, "app.bsky.feed.post", "3kp1", {
            "text": "Hello #atproto world", "createdAt": ts, "langs": ["en"],
            "tags": ["science"],
            "facets": [{"index": {"byteStart": 6, "byteEnd": 14},
                        "features": [{"$type": "app.bsky.richtext.facet#tag",
                                      "tag": "atproto"}]}]}, t=1),
        _commit(BOB, "app.bsky.feed.post", "3kp2", {
            "text": "@alice.bsky.social nice #atproto", "createdAt": ts,
            "reply": {"root": _ref(P1), "parent": _ref(P1)},
            "facets": [_mention(ALICE)]}, t=2),
        _commit(CAROL, "app.bsky.feed.repost", "3kr1", {"subject": _ref(P1), "createdAt": ts},
                t=3),
        _commit(CAROL, "app.bsky.feed.like", "3kl1", {"subject": _ref(P2), "createdAt": ts},
                t=4),
        _commit(DAVE, "app.bsky.feed.like", "3kl2",  # no createdAt: the event's time_us
                {"subject": _ref(f"at://{ERIN}/app.bsky.feed.post/zzz")}, t=5),
        _commit(BOB, "app.bsky.graph.follow", "3kf1", {"subject": ALICE, "createdAt": ts}, t=6),
        _commit(CAROL, "app.bsky.feed.post", "3kq1", {
            "text": "look", "createdAt": ts,
            "embed": {"$type": "app.bsky.embed.record", "record": _ref(P1)}}, t=7),
        _commit(DAVE, "app.bsky.feed.post", "3kq2", {
            "text": "@carol see", "createdAt": ts, "facets": [_mention(CAROL)],
            "embed": {"$type": "app.bsky.embed.recordWithMedia",
                      "record": {"$type": "app.bsky.embed.record", "record": _ref(P2)},
                      "media": {"$type": "app.bsky.embed.images", "images": []}}}, t=8),
        _commit(ALICE, "app.bsky.feed.post", "3kgone", None, op="delete", t=9),
        {"did": BOB, "time_us": 1725911162329399, "kind": "account",
         "account": {"active": True, "did": BOB, "seq": 9, "time": ts}},
        _commit(BOB, "app.bsky.graph.block", "3kb1", {"subject": DAVE, "createdAt": ts}, t=10),
        _commit(ALICE, "app.bsky.actor.profile", "self", {"displayName": "Alice",
                                                          "description": "hi"}, t=11),
        _commit(ERIN, "app.bsky.feed.post", "3ke1", {
            "text": "my feed", "createdAt": ts,
            "embed": {"$type": "app.bsky.embed.record",
                      "record": _ref(f"at://{ERIN}/app.bsky.feed.generator/f")}}, t=12),
    ]


JETSTREAM_INTERACTIONS = Counter({
    (BOB, ALICE, "reply"): 1, (BOB, ALICE, "mention"): 1, (CAROL, ALICE, "retweet"): 1,
    (CAROL, BOB, "like"): 1, (DAVE, ERIN, "like"): 1, (CAROL, ALICE, "quote"): 1,
    (DAVE, BOB, "quote"): 1, (DAVE, CAROL, "mention"): 1,
})

FRANK = "did:plc:frank"
GINA = "did:web:gina.example"
F1 = f"at://{FRANK}/app.bsky.feed.post/3kf9"


def _post_view(uri: str, did: str, handle: str, record: dict) -> dict:
    return {"uri": uri, "cid": "bafyreic", "author": {
        "did": did, "handle": handle, "displayName": handle.split(".")[0].title(),
        "followersCount": 42, "followsCount": 7, "postsCount": 99},
        "record": {"$type": "app.bsky.feed.post", **record}, "replyCount": 0,
        "repostCount": 1, "likeCount": 3, "indexedAt": "2024-09-10T08:00:00.000Z"}


FRANK_POST = _post_view(F1, FRANK, "frank.bsky.social", {
    "text": "replying to alice about #atproto", "createdAt": "2024-09-10T07:59:00.000Z",
    "reply": {"root": _ref(P1), "parent": _ref(P1)}})


def write_inputs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "jetstream.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in jetstream_events()))
    (folder / "search.json").write_text(json.dumps(
        {"cursor": "25", "hitsTotal": 1, "posts": [FRANK_POST]}, indent=2))
    (folder / "feed.json").write_text(json.dumps({"feed": [{
        "post": FRANK_POST, "reason": {"$type": "app.bsky.feed.defs#reasonRepost",
                                       "by": {"did": GINA, "handle": "gina.example"},
                                       "indexedAt": "2024-09-10T09:00:00.000Z"}}]}, indent=2))
    (folder / "records.json").write_text(json.dumps({"records": [
        {"uri": f"at://{GINA}/app.bsky.graph.follow/3kg1", "cid": "bafyreid",
         "value": {"$type": "app.bsky.graph.follow", "subject": FRANK,
                   "createdAt": "2024-09-01T00:00:00Z"}}]}, indent=2))
    return folder


def _interactions(snap) -> Counter:
    t = snap.tables["interactions"]
    return Counter(zip(t["src"].to_pylist(), t["dst"].to_pylist(), t["type"].to_pylist(),
                       strict=True))


def test_jetstream_events_map_to_the_hand_counted_tables(tmp_path):
    path = tmp_path / "jetstream.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in jetstream_events()))
    assert detect_format(path) == "bluesky"
    snap = read_snapshot(path)
    assert _interactions(snap) == JETSTREAM_INTERACTIONS
    assert snap.reports["interactions"].unresolved == 0  # a subject's URI names its author
    posts = snap.tables["posts"].to_pylist()
    assert {p["id"] for p in posts} == {P1, P2, f"at://{CAROL}/app.bsky.feed.post/3kq1",
                                        f"at://{DAVE}/app.bsky.feed.post/3kq2",
                                        f"at://{ERIN}/app.bsky.feed.post/3ke1"}
    assert next(p for p in posts if p["id"] == P1)["topics"] == "science"
    follows = snap.tables["follows"]
    assert list(zip(follows["src"].to_pylist(), follows["dst"].to_pylist(),
                    strict=True)) == [(BOB, ALICE)]
    users = {u["id"]: u for u in snap.tables["users"].to_pylist()}
    assert users[ALICE]["name"] == "alice.bsky.social"
    assert json.loads(users[ALICE]["attributes"])["display_name"] == "Alice"
    assert users[BOB]["name"] == "bob.example.com" and CAROL in users
    like = [r for r in snap.tables["interactions"].to_pylist() if r["src"] == DAVE
            and r["type"] == "like"][0]
    assert like["ts"].year == 2024  # from time_us (1725911162.329313 s: 2024-09-09)
    assert snap.n_rejected == 0


def test_post_views_feeds_and_records_in_one_directory(tmp_path):
    folder = write_inputs(tmp_path / "bsky")
    assert detect_format(folder) == "bluesky"
    snap = read_snapshot(folder)
    expected = JETSTREAM_INTERACTIONS + Counter({(FRANK, ALICE, "reply"): 1,
                                                 (GINA, FRANK, "retweet"): 1})
    assert _interactions(snap) == expected  # frank's post, in two files, is one post
    follows = snap.tables["follows"]
    assert sorted(zip(follows["src"].to_pylist(), follows["dst"].to_pylist(),
                      strict=True)) == [(BOB, ALICE), (GINA, FRANK)]
    users = {u["id"]: u for u in snap.tables["users"].to_pylist()}
    assert users[FRANK]["name"] == "frank.bsky.social"
    assert int(json.loads(users[FRANK]["attributes"])["followers_count"]) == 42


def test_bad_event_names_file_line_and_path_and_skip_keeps_the_rest(tmp_path):
    path = tmp_path / "jetstream.jsonl"
    events = jetstream_events()
    events.insert(3, _commit(BOB, "app.bsky.feed.like", "3kbad", {"createdAt": "x"}, t=50))
    path.write_text("".join(json.dumps(e) + "\n" for e in events) + "{not json\n")
    with pytest.raises(InputError) as err:
        read_snapshot(path)
    assert err.value.line == 4 and "subject.uri" in str(err.value)
    assert str(err.value).startswith(f"{path}:4:1: malformed record: $.commit.record: app.bsky.feed.like record without subject.uri")
    snap = read_snapshot(path, on_error="skip")
    assert snap.reports["interactions"].rejected == 1  # the like without subject
    assert snap.reports["posts"].rejected == 1  # the line that is not JSON
    assert sorted(snap.rejects["line"].to_pylist()) == [4, len(events) + 1]
    assert _interactions(snap) == JETSTREAM_INTERACTIONS


def test_end_to_end_through_the_cli(tmp_path, monkeypatch):
    from graph_influence.cli import app

    monkeypatch.chdir(tmp_path)
    folder = write_inputs(tmp_path / "bsky")
    store = str(tmp_path / "b.duckdb")
    runner = CliRunner()
    for args in (["load", str(folder), "--store", store], ["analyze", "--store", store]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    again = runner.invoke(app, ["load", str(folder), "--store", store, "--report-format",
                                "json"])
    report = json.loads(again.stdout)
    assert report["already_loaded_as"] and all(t["new"] == 0 for t in report["tables"].values())
    rows = json.loads(runner.invoke(app, ["top", "--store", store, "-f", "json", "-n",
                                          "3"]).stdout)
    assert rows[0]["id"] == ALICE  # replied to, reposted, quoted, followed, mentioned
    result = runner.invoke(app, ["top", "--store", store, "--topic", "atproto", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["id"] == ALICE
    result = runner.invoke(app, ["top", "--store", store, "--topic", "science", "-f", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["id"] == ALICE
