"""The Twitter API importer (``--format twitter``): twarc2 pages, ``twarc2 flatten``, twarc 1 (v1.1).

Counts are checked against a reference parse written plainly in this module (different code from
the importer) and against the table in ../shared/datasets/twitter-api-v2/README.md.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders import detect_format, read_snapshot
from graph_influence.topic_names import normalize_topic

from .conftest import shared_dataset

TWARC2_FILES = ["brexit.jsonl", "kpop.jsonl", "2sets.jsonl", "entities_test.jsonl",
                "noflat.jsonl", "flat.jsonl", "mentions_tweet.jsonl", "edited.jsonl",
                "quoted_edit.jsonl", "users.jsonl"]

#: README: tweets (data + includes), users in includes, referenced retweeted/replied_to/quoted.
README = {
    "brexit.jsonl": (155, 177, (67, 17, 24)),
    "kpop.jsonl": (121, 112, (78, 0, 0)),
    "2sets.jsonl": (276, 289, (145, 17, 24)),
    "entities_test.jsonl": (650, 612, (314, 126, 21)),
    "noflat.jsonl": (164, 178, (47, 50, 17)),
}
TYPES = {"retweeted": "retweet", "replied_to": "reply", "quoted": "quote"}


# --- the reference parse ----------------------------------------------------------------------

def reference(path: Path) -> dict:
    """Distinct tweets and users, and the interactions they imply, read plainly with json."""
    tweets: dict[str, dict] = {}
    users: dict[str, dict] = {}
    top_level_refs: Counter = Counter()

    def add_tweet(t: dict) -> None:
        tweets[t["id"]] = t
        if isinstance(t.get("author"), dict):
            users[t["author"]["id"]] = t["author"]
        if isinstance(t.get("in_reply_to_user"), dict):
            users[t["in_reply_to_user"]["id"]] = t["in_reply_to_user"]
        for r in t.get("referenced_tweets", []):
            if "author_id" in r:  # flattened: the referenced tweet is inlined
                add_tweet(r)

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        if "data" in obj:
            for item in obj["data"]:
                if "username" in item:
                    users[item["id"]] = item
                else:
                    add_tweet(item)
            for u in obj.get("includes", {}).get("users", []):
                users[u["id"]] = u
            for t in obj.get("includes", {}).get("tweets", []):
                add_tweet(t)
        else:
            add_tweet(obj)
            for r in obj.get("referenced_tweets", []):
                top_level_refs[r["type"]] += 1
    user_objects = set(users)
    names = {u["username"].lower(): u["id"] for u in users.values() if u.get("username")}
    interactions: Counter = Counter()
    unresolved = 0
    for tid, t in tweets.items():
        refs = t.get("referenced_tweets", [])
        for r in refs:
            if r["type"] == "replied_to" and t.get("in_reply_to_user_id"):
                dst = t["in_reply_to_user_id"]
            elif r["id"] in tweets:
                dst = tweets[r["id"]]["author_id"]
            else:
                unresolved += 1
                continue
            interactions[(t["author_id"], dst, TYPES[r["type"]], r["id"])] += 1
        if any(r["type"] == "retweeted" for r in refs):
            continue  # a retweet's mentions are the original's
        for m in t.get("entities", {}).get("mentions", []):
            if "id" in m:
                users.setdefault(m["id"], m)
            dst = m.get("id") or names.get(m["username"].lower())
            if dst is None:
                unresolved += 1
            else:
                interactions[(t["author_id"], dst, "mention", tid)] += 1
    refs = Counter(r["type"] for t in tweets.values() for r in t.get("referenced_tweets", []))
    return {"tweets": tweets, "users": set(users), "user_objects": user_objects,
            "interactions": interactions, "unresolved": unresolved, "refs": refs,
            "top_level_refs": top_level_refs}


def interaction_keys(snap) -> Counter:
    t = snap.tables["interactions"]
    return Counter(zip(*(t[c].to_pylist() for c in ("src", "dst", "type", "post_id")),
                       strict=True))


# --- the real twarc2 files --------------------------------------------------------------------

@pytest.mark.parametrize("name", TWARC2_FILES)
def test_real_files_match_the_reference_parse(name):
    path = shared_dataset("twitter-api-v2", name)
    ref = reference(path)
    snap = read_snapshot(path, format="twitter")
    auto = read_snapshot(path)
    assert detect_format(path) == "twitter" and auto.format == "twitter"
    assert auto.tables["posts"].equals(snap.tables["posts"])
    posts = snap.tables["posts"]
    assert sorted(posts["id"].to_pylist()) == sorted(ref["tweets"])
    assert sorted(snap.tables["users"]["id"].to_pylist()) == sorted(ref["users"])
    assert interaction_keys(snap) == ref["interactions"]
    # no rejects; the unresolved references are counted and listed, not dropped
    assert snap.rejects.num_rows == 0
    reasons = snap.unresolved["reason"].to_pylist()
    assert all(r.startswith("unresolved reference: ") for r in reasons)
    assert len(reasons) == ref["unresolved"] == snap.reports["interactions"].unresolved
    for table, report in snap.reports.items():
        assert report.read == report.loaded + report.rejected, table
        assert report.rejected == 0, table
    # every post has its author and a timestamp
    assert posts["author"].null_count == 0 and posts["ts"].null_count == 0


@pytest.mark.parametrize("name", sorted(README))
def test_counts_agree_with_the_readme(name):
    path = shared_dataset("twitter-api-v2", name)
    tweets, includes_users, (retweeted, replied, quoted) = README[name]
    ref = reference(path)
    snap = read_snapshot(path, format="twitter")
    assert snap.tables["posts"].num_rows == len(ref["tweets"]) == tweets
    assert len(ref["user_objects"]) == includes_users
    # users: the included user objects plus users seen only in a mention of an included tweet
    assert set(snap.tables["users"]["id"].to_pylist()) >= ref["user_objects"]
    assert (ref["refs"]["retweeted"], ref["refs"]["replied_to"], ref["refs"]["quoted"]) == (
        retweeted, replied, quoted)
    loaded = Counter(snap.tables["interactions"]["type"].to_pylist())
    unresolved = Counter(r.split()[2] for r in snap.unresolved["reason"].to_pylist()
                         if r.split()[2] in TYPES)
    assert loaded["retweet"] + unresolved["retweeted"] == retweeted
    assert loaded["reply"] + unresolved["replied_to"] == replied
    assert loaded["quote"] + unresolved["quoted"] == quoted


def test_flattened_file_equals_the_pages_it_came_from():
    flat = shared_dataset("twitter-api-v2", "flat.jsonl")
    pages = shared_dataset("twitter-api-v2", "noflat.jsonl")
    ref = reference(flat)
    # README: 100 flattened lines, 47 / 31 / 8 references at the top level
    assert len(flat.read_text().splitlines()) == 100
    assert (ref["top_level_refs"]["retweeted"], ref["top_level_refs"]["replied_to"],
            ref["top_level_refs"]["quoted"]) == (47, 31, 8)
    a, b = read_snapshot(flat), read_snapshot(pages)
    for name in ("posts", "interactions"):
        cols = a.tables[name].column_names
        assert sorted(a.tables[name].to_pylist(), key=str) == sorted(
            b.tables[name].select(cols).to_pylist(), key=str), name
    assert sorted(a.tables["users"]["id"].to_pylist()) == sorted(
        b.tables["users"]["id"].to_pylist())


def test_context_annotations_are_post_topics_and_users_keep_public_fields():
    snap = read_snapshot(shared_dataset("twitter-api-v2", "brexit.jsonl"))
    page = json.loads(shared_dataset("twitter-api-v2", "brexit.jsonl").read_text())
    first = page["data"][0]
    post = next(p for p in snap.tables["posts"].to_pylist() if p["id"] == first["id"])
    names = list(dict.fromkeys(a["entity"]["name"] for a in first["context_annotations"]))
    assert post["topics"] == ";".join(names) == "Jeremy Corbyn"
    assert post["text"] == first["text"] and post["ts"] == datetime(2021, 9, 22, 16, 37, 29)
    u = page["includes"]["users"][0]
    user = next(r for r in snap.tables["users"].to_pylist() if r["id"] == u["id"])
    attributes = json.loads(user["attributes"])
    assert user["name"] == u["username"]
    assert attributes["display_name"] == u["name"]
    assert attributes["followers_count"] == str(u["public_metrics"]["followers_count"])


# --- duplicates, directories, gzip ------------------------------------------------------------

def _page(tweets, users, includes_tweets=()):
    return json.dumps({"data": list(tweets), "includes": {
        "users": [{"id": u, "username": f"user_{u}"} for u in users],
        "tweets": list(includes_tweets)}, "meta": {"result_count": len(tweets)}})


ORIGINAL = {"id": "100", "author_id": "1", "text": "hello #python @user_3",
            "created_at": "2024-01-01T00:00:00.000Z",
            "entities": {"mentions": [{"start": 13, "end": 21, "username": "user_3", "id": "3"}]}}
RETWEET = {"id": "101", "author_id": "2", "text": "RT @user_1: hello #python @user_3",
           "created_at": "2024-01-02T00:00:00.000Z",
           "referenced_tweets": [{"type": "retweeted", "id": "100"}],
           "entities": {"mentions": [{"start": 3, "end": 10, "username": "user_1", "id": "1"},
                                     {"start": 26, "end": 33, "username": "user_3", "id": "3"}]}}


def test_the_same_tweet_on_two_pages_is_one_post(tmp_path):
    f = tmp_path / "pages.jsonl"
    f.write_text(_page([RETWEET], ["1", "2", "3"], [ORIGINAL]) + "\n"
                 + _page([ORIGINAL, RETWEET], ["1", "2", "3"]) + "\n")
    snap = read_snapshot(f)
    assert sorted(snap.tables["posts"]["id"].to_pylist()) == ["100", "101"]
    assert sorted(snap.tables["users"]["id"].to_pylist()) == ["1", "2", "3"]
    # one retweet, and one mention (the original's; the retweet's copies are not counted)
    assert interaction_keys(snap) == Counter({("2", "1", "retweet", "100"): 1,
                                              ("1", "3", "mention", "100"): 1})
    assert snap.n_rejected == 0


def test_directory_of_gzipped_and_plain_files(tmp_path):
    d = tmp_path / "collection"
    d.mkdir()
    with gzip.open(d / "a.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(_page([ORIGINAL], ["1", "3"]) + "\n")
    (d / "b.json").write_text(_page([RETWEET, ORIGINAL], ["2"]) + "\n")
    assert detect_format(d) == "twitter"
    snap = read_snapshot(d)
    assert snap.tables["posts"].num_rows == 2  # tweet 100 is in both files
    assert snap.reports["posts"].files == [str(d / "a.jsonl.gz"), str(d / "b.json")]
    assert interaction_keys(snap)[("2", "1", "retweet", "100")] == 1


def test_unresolved_reference_is_counted_in_both_modes(tmp_path):
    f = tmp_path / "t.jsonl"
    lonely = {**RETWEET, "referenced_tweets": [{"type": "quoted", "id": "999"}],
              "entities": {}}
    f.write_text(_page([lonely], ["2"]) + "\n")
    for mode in ("fail", "skip"):
        snap = read_snapshot(f, on_error=mode)
        assert snap.rejects.num_rows == 0
        (row,) = snap.unresolved.to_pylist()
        assert row["table"] == "interactions" and row["line"] == 1
        assert row["reason"].startswith("unresolved reference: quoted tweet 999")
        assert row["record"] == "data[0] quoted 999"
        r = snap.reports["interactions"]
        assert (r.read, r.loaded, r.rejected, r.unresolved) == (0, 0, 0, 1)


def test_snapshot_directories_stay_dir(tmp_path, snapshot_dir):
    assert detect_format(snapshot_dir) == "dir"
    (snapshot_dir / "users.jsonl").write_text('{"id": "x", "name": "X"}\n')
    assert detect_format(snapshot_dir) == "dir"
    # a folder of twarc files with a users.jsonl of API pages is not a snapshot directory
    assert detect_format(shared_dataset("twitter-api-v2")) == "twitter"
    edges = tmp_path / "edges.txt"
    edges.write_text("1 2\n2 3\n")
    assert detect_format(edges) == "edgelist"
    jsonl_edges = tmp_path / "edges.jsonl"
    jsonl_edges.write_text('{"src": "1", "dst": "2"}\n')
    # not Twitter, and an edge list reader would split the JSON text at its commas: say so
    with pytest.raises(SnapshotError, match="cannot tell its format — it is JSON"):
        detect_format(jsonl_edges)


# --- API v1.1 (twarc 1) -----------------------------------------------------------------------

# Written by hand from Twitter's documented v1.1 Tweet object (developer.twitter.com, "Tweet
# object" / "User object" / "Entities"): id_str, created_at "Wed Oct 10 20:19:24 +0000 2018",
# user{id_str, screen_name, name, followers_count, friends_count, statuses_count, ...},
# retweeted_status, quoted_status(_id_str), in_reply_to_*_str, entities.user_mentions,
# entities.hashtags, full_text (extended mode) or text.
def _v1_user(uid, screen_name, followers=10):
    return {"id": int(uid), "id_str": uid, "screen_name": screen_name, "name": screen_name.title(),
            "followers_count": followers, "friends_count": 5, "statuses_count": 42,
            "listed_count": 1, "verified": False, "protected": False,
            "created_at": "Mon Jan 02 03:04:05 +0000 2012", "description": "hi"}


V1_ORIGINAL = {
    "created_at": "Wed Oct 10 20:19:24 +0000 2018", "id": 1050118621198921728,
    "id_str": "1050118621198921728", "full_text": "Hello @bob #python",
    "user": _v1_user("11", "alice", 500),
    "entities": {"hashtags": [{"text": "python", "indices": [11, 18]}],
                 "user_mentions": [{"id": 22, "id_str": "22", "screen_name": "bob",
                                    "name": "Bob", "indices": [6, 10]}]},
    "in_reply_to_status_id_str": None, "in_reply_to_user_id_str": None,
    "is_quote_status": False,
}
V1_RETWEET = {
    "created_at": "Wed Oct 10 21:00:00 +0000 2018", "id_str": "2000",
    "full_text": "RT @alice: Hello @bob #python", "user": _v1_user("22", "bob"),
    "retweeted_status": V1_ORIGINAL,
    "entities": {"user_mentions": [{"id_str": "11", "screen_name": "alice"},
                                   {"id_str": "22", "screen_name": "bob"}]},
}
V1_QUOTE = {
    "created_at": "Thu Oct 11 01:30:00 +0200 2018", "id_str": "3000", "text": "So true",
    "user": _v1_user("33", "carol"), "is_quote_status": True,
    "quoted_status_id_str": "1050118621198921728", "quoted_status": V1_ORIGINAL,
    "entities": {"user_mentions": []},
}
V1_REPLY = {
    "created_at": "Thu Oct 11 08:00:00 +0000 2018", "id_str": "4000",
    "full_text": "@alice agreed", "user": _v1_user("44", "dave"),
    "in_reply_to_status_id_str": "1050118621198921728", "in_reply_to_user_id_str": "11",
    "in_reply_to_screen_name": "alice",
    "entities": {"user_mentions": [{"id_str": "11", "screen_name": "alice"}]},
}


def test_v1_tweets_load_with_interactions_and_utc_timestamps(tmp_path):
    f = tmp_path / "tweets.jsonl"
    f.write_text("".join(json.dumps(t) + "\n" for t in (V1_RETWEET, V1_QUOTE, V1_REPLY)))
    assert detect_format(f) == "twitter"
    snap = read_snapshot(f)
    assert snap.n_rejected == 0
    posts = {p["id"]: p for p in snap.tables["posts"].to_pylist()}
    assert sorted(posts) == ["1050118621198921728", "2000", "3000", "4000"]
    assert posts["1050118621198921728"]["ts"] == datetime(2018, 10, 10, 20, 19, 24)
    assert posts["3000"]["ts"] == datetime(2018, 10, 10, 23, 30)  # +0200 -> UTC
    assert posts["1050118621198921728"]["text"] == "Hello @bob #python"
    assert posts["3000"]["text"] == "So true"
    rows = snap.tables["interactions"].to_pylist()
    got = sorted((r["src"], r["dst"], r["type"], r["post_id"], r["ts"]) for r in rows)
    orig = "1050118621198921728"
    assert got == sorted([
        ("22", "11", "retweet", orig, datetime(2018, 10, 10, 21, 0)),
        ("33", "11", "quote", orig, datetime(2018, 10, 10, 23, 30)),
        ("44", "11", "reply", orig, datetime(2018, 10, 11, 8, 0)),
        ("44", "11", "mention", "4000", datetime(2018, 10, 11, 8, 0)),
        ("11", "22", "mention", orig, datetime(2018, 10, 10, 20, 19, 24)),
    ])
    users = {u["id"]: u for u in snap.tables["users"].to_pylist()}
    assert sorted(users) == ["11", "22", "33", "44"]
    assert users["11"]["name"] == "alice"
    assert users["11"]["created_at"] == datetime(2012, 1, 2, 3, 4, 5)
    assert json.loads(users["11"]["attributes"])["followers_count"] == "500"
    assert json.loads(users["11"]["attributes"])["following_count"] == "5"


def test_bad_v1_date_names_the_line(tmp_path):
    f = tmp_path / "tweets.jsonl"
    bad = {**V1_REPLY, "created_at": "Thu Foo 11 08:00:00 +0000 2018"}
    f.write_text(json.dumps(V1_QUOTE) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(InputError) as err:
        read_snapshot(f)
    assert str(err.value).startswith(f"{f}:2:")
    assert "Thu Foo 11" in str(err.value)
    snap = read_snapshot(f, on_error="skip")
    assert {r["line"] for r in snap.rejects.to_pylist()} == {2}
    assert "4000" not in snap.tables["posts"]["id"].to_pylist()
    for report in snap.reports.values():
        assert report.read == report.loaded + report.rejected


# --- bad lines --------------------------------------------------------------------------------

def test_bad_line_is_file_line_in_fail_mode_and_a_reject_in_skip_mode(tmp_path):
    f = tmp_path / "pages.jsonl"
    f.write_text(_page([ORIGINAL], ["1", "3"]) + "\n\n{not json\n" + _page([RETWEET], ["2"])
                 + "\n")
    with pytest.raises(InputError) as err:
        read_snapshot(f, format="twitter")
    assert (err.value.path, err.value.line, err.value.column) == (str(f), 3, 1)
    assert str(err.value).startswith(f"{f}:3:1: malformed record: not JSON")
    snap = read_snapshot(f, format="twitter", on_error="skip")
    (row,) = snap.rejects.to_pylist()
    assert (row["table"], row["line"], row["record"]) == ("posts", 3, "{not json")
    r = snap.reports["posts"]
    assert (r.read, r.loaded, r.rejected) == (3, 2, 1)
    assert snap.tables["interactions"].num_rows == 2


def test_tweet_without_author_and_bad_timestamp_name_json_path(tmp_path):
    f = tmp_path / "pages.jsonl"
    no_author = {"id": "7", "text": "who wrote me", "created_at": "2024-01-01T00:00:00Z"}
    bad_ts = {**ORIGINAL, "id": "8", "created_at": "yesterday"}
    f.write_text(_page([ORIGINAL], ["1", "3"]) + "\n" + _page([no_author], ["1"]) + "\n"
                 + _page([ORIGINAL, bad_ts], ["1"]) + "\n")
    with pytest.raises(InputError) as err:
        read_snapshot(f)
    assert str(err.value).startswith(f"{f}:2:1: malformed record: data[0]: tweet without an "
                                     "author")
    snap = read_snapshot(f, on_error="skip")
    rejects = {r["reason"]: r for r in snap.rejects.to_pylist()}
    assert sorted(r["line"] for r in rejects.values()) == [2, 3]
    ts_reject = next(r for k, r in rejects.items() if k.startswith("cannot read timestamp"))
    assert ts_reject["line"] == 3
    assert ts_reject["record"].startswith('data[1]: {"id": "8"')
    assert sorted(snap.tables["posts"]["id"].to_pylist()) == ["100"]
    for report in snap.reports.values():
        assert report.read == report.loaded + report.rejected


# --- into a store, and the CLI ----------------------------------------------------------------

def _commonest_topic(snap) -> str:
    counts = Counter(t for s in snap.tables["posts"]["topics"].to_pylist() if s
                     for t in s.split(";"))
    return counts.most_common(1)[0][0]


def test_end_to_end_into_duckdb(tmp_path):
    from graph_influence.analysis import analyze
    from graph_influence.loading import load_snapshot
    from graph_influence.stores import DuckDBStore

    path = shared_dataset("twitter-api-v2", "brexit.jsonl")
    snap = read_snapshot(path)
    topic = normalize_topic(_commonest_topic(snap))
    with DuckDBStore(tmp_path / "t.duckdb") as store:
        summary, rejects = load_snapshot(store, path, rejects=tmp_path / "rejects.csv")
        assert rejects is None  # the twarc2 files load with no rejects
        assert summary.reports["interactions"].unresolved == snap.unresolved.num_rows > 0
        counts = store.counts()
        assert counts["posts"] == snap.tables["posts"].num_rows
        assert counts["interactions"] == snap.tables["interactions"].num_rows
        analyze(store)
        top = store.top(5)
        assert len(top) == 5 and top["score"].is_monotonic_decreasing
        assert topic in store.topic_names()
        by_topic = store.top_topic(topic, 5)
        assert 0 < len(by_topic) <= 5
        load_snapshot(store, path, rejects=tmp_path / "rejects2.csv")
        assert store.counts() == counts


def test_cli_load_analyze_top(tmp_path, monkeypatch):
    from graph_influence.cli import app

    monkeypatch.chdir(tmp_path)  # (a rejects file, if any, would land here)
    runner = CliRunner()
    path = shared_dataset("twitter-api-v2", "brexit.jsonl")
    store = tmp_path / "cli.duckdb"
    for args in (["load", str(path), "--store", str(store)],
                 ["load", str(path), "--store", str(store), "--format", "twitter"],
                 ["analyze", "--store", str(store)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    result = runner.invoke(app, ["top", "--store", str(store), "-f", "json", "-n", "3"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 3 and all(r["id"] for r in rows)
    topic = _commonest_topic(read_snapshot(path))  # a context-annotation entity, as written
    result = runner.invoke(app, ["top", "--store", str(store), "--topic", topic, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and rows[0]["topic_influence"] > 0


# --- throughput -------------------------------------------------------------------------------

def write_pages(path: Path, n_pages: int, per_page: int = 100, n_users: int = 500) -> int:
    """Synthetic twarc2 pages (half the tweets reference an included tweet, half mention
    someone); returns the number of distinct tweets written."""
    tid = 10**15
    with open(path, "w", encoding="utf-8") as fh:
        for p in range(n_pages):
            data, included, users = [], [], set()
            for i in range(per_page):
                tid += 1
                author = str((p * 7 + i) % n_users)
                other = str((p * 13 + i * 3 + 1) % n_users)
                users |= {author, other}
                t = {"id": str(tid), "author_id": author, "created_at": "2021-09-22T16:37:29Z",
                     "text": f"tweet {tid} #tag{i % 20}",
                     "context_annotations": [{"entity": {"name": f"Entity {i % 9}"}}]}
                if i % 2:
                    ref = str(tid + 10**12)
                    kind = ("retweeted", "quoted", "replied_to")[i % 3]
                    t["referenced_tweets"] = [{"type": kind, "id": ref}]
                    included.append({"id": ref, "author_id": other, "text": "original",
                                     "created_at": "2021-09-21T10:00:00Z"})
                else:
                    t["entities"] = {"mentions": [{"username": f"u{other}", "id": other}]}
                data.append(t)
            fh.write(json.dumps({"data": data, "includes": {
                "users": [{"id": u, "username": f"u{u}"} for u in sorted(users)],
                "tweets": included}}) + "\n")
    return tid - 10**15 + n_pages * per_page // 2


def test_synthetic_pages(tmp_path):
    f = tmp_path / "synthetic.jsonl"
    n = write_pages(f, 20)
    snap = read_snapshot(f)
    assert snap.tables["posts"].num_rows == n == 3000
    assert snap.tables["interactions"].num_rows == 2000 and snap.n_rejected == 0


def test_a_pretty_printed_response_page_reads_like_its_line(tmp_path):
    line = shared_dataset("twitter-api-v2", "brexit.jsonl").read_text().splitlines()[0]
    page = tmp_path / "page.json"
    page.write_text(json.dumps(json.loads(line), indent=2))
    one = tmp_path / "page.jsonl"
    one.write_text(line + "\n")
    assert detect_format(page) == "twitter"
    a, b = read_snapshot(page), read_snapshot(one)
    for table in ("users", "posts", "interactions"):
        assert a.tables[table].drop_columns([]).equals(b.tables[table]), table
    assert a.unresolved.num_rows == b.unresolved.num_rows
