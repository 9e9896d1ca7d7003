"""The Mastodon importer (``--format mastodon``): account archives and REST API statuses.

No public Mastodon dataset is at hand, so the fixtures below are built by hand from the formats'
public documentation: ActivityStreams 2.0 / ActivityPub (``OrderedCollection``, ``Create``,
``Announce``, ``Note``, ``Mention`` and ``Hashtag`` tags), Mastodon's account archive (its
``actor.json``, ``outbox.json``, ``likes.json``) and Mastodon's REST ``Status`` and ``Account``
entities (https://docs.joinmastodon.org/entities/Status/, incl. the 4.4 ``quote``). The expected
counts are worked out by hand from the fixtures and written out here, not computed by the
importer's code.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_influence.errors import InputError
from graph_influence.loaders import detect_format, read_snapshot

A = "https://mastodon.example/users/alice"
BOB_STATUS = "https://other.example/users/bob/statuses/100"
CTX = ["https://www.w3.org/ns/activitystreams"]


def _note(n: int, content: str, **extra) -> dict:
    return {"id": f"{A}/statuses/{n}", "type": "Note", "attributedTo": A,
            "published": f"2024-05-0{n}T10:00:00Z", "content": content,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], **extra}


def _create(n: int, content: str, **extra) -> dict:
    return {"id": f"{A}/statuses/{n}/activity", "type": "Create", "actor": A,
            "published": f"2024-05-0{n}T10:00:00Z", "object": _note(n, content, **extra)}


def write_archive(folder: Path) -> Path:
    """An unzipped account archive of alice@mastodon.example."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "actor.json").write_text(json.dumps({
        "@context": CTX, "id": A, "type": "Person", "preferredUsername": "alice",
        "name": "Alice A", "summary": "<p>Open data &amp; maps</p>",
        "url": "https://mastodon.example/@alice", "published": "2022-11-01T00:00:00Z",
        "outbox": "outbox.json", "inbox": f"{A}/inbox"}, indent=2))
    items = [
        _create(1, '<p>Hello <a href="https://mastodon.example/tags/fediverse" class="mention '
                   'hashtag" rel="tag">#<span>fediverse</span></a></p>',
                tag=[{"type": "Hashtag", "name": "#fediverse",
                      "href": "https://mastodon.example/tags/fediverse"}]),
        _create(2, '<p><span class="h-card"><a href="https://other.example/@bob" '
                   'class="u-url mention">@<span>bob</span></a></span> agreed, '
                   '#fediverse</p>', inReplyTo=BOB_STATUS,
                tag=[{"type": "Mention", "href": "https://other.example/users/bob",
                      "name": "@bob@other.example"}]),
        {"id": f"{A}/statuses/90/activity", "type": "Announce", "actor": A,
         "published": "2024-05-03T09:00:00Z", "object": "https://third.example/@carol/200"},
        {"id": f"{A}/statuses/91/activity", "type": "Announce", "actor": A,
         "published": "2024-05-03T09:30:00Z",
         "object": "https://pleroma.example/objects/6d1b-uuid"},
        _create(3, "<p>follow-up to myself</p>", inReplyTo=f"{A}/statuses/1"),
        {"id": f"{A}#delete-7", "type": "Delete", "actor": A, "object": f"{A}/statuses/7"},
        _create(5, "<p>see this, @dave</p>", quoteUri="https://other.example/users/bob/statuses/101",
                tag=[{"type": "Mention", "href": "https://mastodon.example/users/dave",
                      "name": "@dave"}]),
    ]
    (folder / "outbox.json").write_text(json.dumps({
        "@context": CTX, "id": "outbox.json", "type": "OrderedCollection",
        "totalItems": len(items), "orderedItems": items}, indent=2))
    (folder / "likes.json").write_text(json.dumps({
        "@context": CTX, "id": "likes.json", "type": "OrderedCollection",
        "orderedItems": [BOB_STATUS, "https://fourth.example/notes/xyz"]}, indent=2))
    (folder / "bookmarks.json").write_text(json.dumps({
        "type": "OrderedCollection", "orderedItems": ["https://x.example/users/y/statuses/1"]}))
    return folder


#: By hand from write_archive: (src, dst, type) of every interaction.
ARCHIVE_INTERACTIONS = Counter({
    ("alice@mastodon.example", "bob@other.example", "reply"): 1,
    ("alice@mastodon.example", "bob@other.example", "mention"): 1,
    ("alice@mastodon.example", "carol@third.example", "retweet"): 1,
    ("alice@mastodon.example", "alice@mastodon.example", "reply"): 1,
    ("alice@mastodon.example", "bob@other.example", "quote"): 1,
    ("alice@mastodon.example", "dave@mastodon.example", "mention"): 1,
    ("alice@mastodon.example", "bob@other.example", "like"): 1,
})


def _account(acct: str, host: str, local_id: str, **extra) -> dict:
    user = acct.split("@")[0]
    return {"id": local_id, "username": user, "acct": acct, "display_name": user.title(),
            "url": f"https://{host}/@{user}", "note": "", "bot": False,
            "created_at": "2020-01-01T00:00:00.000Z", "followers_count": 10,
            "following_count": 5, "statuses_count": 100, **extra}


ERIN = _account("erin", "social.example", "501")
FRANK = _account("frank@elsewhere.example", "elsewhere.example", "502")
GRACE = _account("grace", "social.example", "503")


def _status(local_id: str, uri: str, account: dict, content: str = "", **extra) -> dict:
    return {"id": local_id, "uri": uri, "url": uri, "created_at": "2024-06-01T12:00:00.000Z",
            "account": account, "content": content, "in_reply_to_id": None,
            "in_reply_to_account_id": None, "reblog": None, "mentions": [], "tags": [],
            "visibility": "public", **extra}


STATUS_A = _status("1001", "https://social.example/users/erin/statuses/1001", ERIN,
                   "<p>Big news about #OpenData</p>",
                   tags=[{"name": "opendata", "url": "https://social.example/tags/opendata"}])


def rest_statuses() -> list[dict]:
    """Statuses as social.example's REST API returns them (ids are that server's)."""
    return [
        STATUS_A,
        _status("1002", "https://elsewhere.example/users/frank/statuses/555", FRANK,
                "<p>@erin congrats!</p>", in_reply_to_id="1001", in_reply_to_account_id="501",
                mentions=[{"id": "501", "username": "erin", "acct": "erin",
                           "url": "https://social.example/@erin"}]),
        _status("1003", "https://social.example/users/grace/statuses/1003/activity", GRACE,
                reblog=STATUS_A),
        _status("1004", "https://social.example/users/erin/statuses/1004", ERIN,
                "<p>quoting frank</p>", quote={"state": "accepted", "quoted_status": _status(
                    "1005", "https://elsewhere.example/users/frank/statuses/556", FRANK,
                    "<p>#OpenData is good</p>")}),
        _status("1006", "https://social.example/users/grace/statuses/1006", GRACE,
                "<p>reply to an unseen status</p>", in_reply_to_id="9999",
                in_reply_to_account_id="777"),
    ]


REST_INTERACTIONS = Counter({
    ("frank@elsewhere.example", "erin@social.example", "reply"): 1,
    ("frank@elsewhere.example", "erin@social.example", "mention"): 1,
    ("grace@social.example", "erin@social.example", "retweet"): 1,
    ("erin@social.example", "frank@elsewhere.example", "quote"): 1,
})


def _interactions(snap) -> Counter:
    t = snap.tables["interactions"]
    return Counter(zip(t["src"].to_pylist(), t["dst"].to_pylist(), t["type"].to_pylist(),
                       strict=True))


def test_archive_maps_to_the_hand_counted_tables(tmp_path):
    folder = write_archive(tmp_path / "archive")
    assert detect_format(folder) == "mastodon"
    snap = read_snapshot(folder)
    assert _interactions(snap) == ARCHIVE_INTERACTIONS
    posts = snap.tables["posts"]
    assert sorted(posts["id"].to_pylist()) == [f"{A}/statuses/{n}" for n in (1, 2, 3, 5)]
    texts = dict(zip(posts["id"].to_pylist(), posts["text"].to_pylist(), strict=True))
    assert texts[f"{A}/statuses/1"] == "Hello #fediverse"  # HTML as text, hashtag kept
    users = snap.tables["users"].to_pylist()
    assert {u["id"] for u in users} == {"alice@mastodon.example", "bob@other.example",
                                        "dave@mastodon.example"}
    alice = next(u for u in users if u["id"] == "alice@mastodon.example")
    assert json.loads(alice["attributes"]) ["display_name"] == "Alice A"
    # the Pleroma announce and the favourite of a non-Mastodon URI name no account
    assert snap.reports["interactions"].unresolved == 2
    reasons = snap.unresolved["reason"].to_pylist()
    assert any("pleroma.example/objects/6d1b-uuid" in r for r in reasons)
    assert snap.n_rejected == 0  # bookmarks.json is not read; the Delete is skipped


def test_rest_statuses_resolve_server_local_ids(tmp_path):
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps(rest_statuses(), indent=2))
    assert detect_format(path) == "mastodon"
    snap = read_snapshot(path)
    assert _interactions(snap) == REST_INTERACTIONS
    posts = snap.tables["posts"]["id"].to_pylist()
    assert sorted(posts) == sorted([
        "https://social.example/users/erin/statuses/1001",  # once, although boosted
        "https://elsewhere.example/users/frank/statuses/555",
        "https://social.example/users/erin/statuses/1004",
        "https://elsewhere.example/users/frank/statuses/556",
        "https://social.example/users/grace/statuses/1006"])
    assert snap.reports["interactions"].unresolved == 1  # the reply to status 9999
    users = {u["id"]: json.loads(u["attributes"] or "{}") for u in snap.tables["users"].to_pylist()}
    assert set(users) == {"erin@social.example", "frank@elsewhere.example",
                          "grace@social.example"}
    assert int(users["frank@elsewhere.example"]["followers_count"]) == 10


def test_rest_statuses_as_json_lines_give_the_same_tables(tmp_path):
    doc = tmp_path / "a.json"
    doc.write_text(json.dumps(rest_statuses(), indent=2))
    lines = tmp_path / "b.jsonl"
    lines.write_text("".join(json.dumps(s) + "\n" for s in rest_statuses()))
    assert _interactions(read_snapshot(doc)) == _interactions(read_snapshot(lines))


def test_bad_record_names_its_line_and_json_path(tmp_path):
    path = tmp_path / "timeline.json"
    statuses = rest_statuses()
    statuses.insert(2, {"id": "1", "uri": "https://social.example/users/x/statuses/1",
                        "content": "no account"})
    path.write_text(json.dumps(statuses, indent=2))
    text = path.read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if '"content": "no account"' in t)
    with pytest.raises(InputError) as err:
        read_snapshot(path, format="mastodon")
    # the record starts at its "{" line, a few lines above the content line
    assert err.value.path == str(path) and line - 3 <= err.value.line < line
    assert "[2]" in str(err.value)
    snap = read_snapshot(path, format="mastodon", on_error="skip")
    assert snap.reports["posts"].rejected == 1
    assert _interactions(snap) == REST_INTERACTIONS
    reject = snap.rejects.to_pylist()[0]
    assert reject["line"] == err.value.line and "no account" in reject["record"]


def test_end_to_end_through_the_cli(tmp_path, monkeypatch):
    from graph_influence.cli import app

    monkeypatch.chdir(tmp_path)
    folder = write_archive(tmp_path / "archive")
    (folder / "timeline.json").write_text(json.dumps(rest_statuses()))  # not an archive file
    rest = tmp_path / "rest" / "timeline.json"
    rest.parent.mkdir()
    rest.write_text(json.dumps(rest_statuses()))
    store = str(tmp_path / "m.duckdb")
    runner = CliRunner()
    for args in (["load", str(folder), "--store", store],
                 ["load", str(rest.parent), "--store", store, "-f", "mastodon"],
                 ["analyze", "--store", store]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    assert "unresolved references 2" in runner.invoke(
        app, ["load", str(folder), "--store", store]).stdout  # the reload adds nothing
    result = runner.invoke(app, ["top", "--store", store, "-f", "json", "-n", "20"])
    ids = [r["id"] for r in json.loads(result.stdout)]
    assert {"bob@other.example", "erin@social.example"} <= set(ids)
    result = runner.invoke(app, ["top", "--store", store, "--topic", "opendata", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    # #OpenData is posted by erin (boosted by grace, replied to by frank) and by frank
    assert rows[0]["id"] == "erin@social.example"
    assert {r["id"] for r in rows if r["topic_influence"] > 0} <= {
        "erin@social.example", "frank@elsewhere.example", "grace@social.example"}
    info = json.loads(runner.invoke(app, ["info", "--store", store, "-f", "json"]).stdout)
    assert info["counts"]["interactions"] == sum(ARCHIVE_INTERACTIONS.values()) + sum(
        REST_INTERACTIONS.values())
