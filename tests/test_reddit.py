"""The Reddit importer (``--format reddit``): Pushshift NDJSON of comments and submissions.

The fixtures are written by hand from the field names Pushshift documents for its dumps
(``RC_*``: ``id``, ``author``, ``author_fullname``, ``author_flair_text``,
``author_created_utc``, ``body``, ``parent_id``, ``link_id``, ``subreddit``, ``created_utc``,
``score``; ``RS_*``: ``id``, ``name``, ``author``, ``title``, ``selftext``, ``num_comments``,
``subreddit``, ``created_utc``), and written plain, gzipped and as Zstandard (with and without a
long window, as Pushshift's ``zstd --long=31`` dumps). Counts are checked against a reference
parse written plainly in this module with ``json`` (different code from the importer).
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import zstandard
from typer.testing import CliRunner

from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders import detect_format, read_snapshot
from graph_influence.loaders.reddit import DEFAULT_EXCLUDED_USERS, read_reddit

# --- fixtures ---------------------------------------------------------------------------------


def _sub(sid, author, subreddit, title, selftext, ts, **extra):
    return {"id": sid, "name": f"t3_{sid}", "author": author, "title": title,
            "selftext": selftext, "num_comments": 0, "subreddit": subreddit,
            "subreddit_id": f"t5_{subreddit}", "created_utc": ts, "score": 1, **extra}


def _com(cid, author, parent, link, subreddit, body, ts, **extra):
    return {"id": cid, "author": author, "body": body, "parent_id": parent, "link_id": link,
            "subreddit": subreddit, "created_utc": ts, "score": 1, **extra}


SUBMISSIONS = [
    _sub("s1", "alice", "python", "Best linter?", "Asking u/bob and /u/erin.", 1554076800,
         author_fullname="t2_alice", author_flair_text="Pythonista",
         author_created_utc=1400000000),
    _sub("s2", "dave", "rust", "Borrow checker", "", "1554080400"),
    _sub("s3", "[deleted]", "python", "[deleted]", "[deleted]", 1554084000),
]
COMMENTS = [
    _com("c1", "bob", "t3_s1", "t3_s1", "python", "ruff, obviously", 1554077000,
         author_fullname="t2_bob"),
    _com("c2", "carol", "t1_c1", "t3_s1", "python", "agree with u/bob and u/Alice!",
         1554077100.0),
    _com("c3", "alice", "t1_c2", "t3_s1", "python", "thanks", "1554077200"),
    _com("c4", "AutoModerator", "t3_s1", "t3_s1", "python", "Please read the rules.",
         1554077300, distinguished="moderator"),
    _com("c5", "erin", "t1_c4", "t3_s1", "python", "ok bot", 1554077400),
    _com("c6", "[deleted]", "t3_s1", "t3_s1", "python", "[deleted]", 1554077500),
    _com("c7", "frank", "t1_c6", "t3_s1", "python", "what did they say?", 1554077600),
    _com("c8", "bob", "t1_zzz", "t3_s1", "python", "replying to the void", 1554077700),
    _com("c9", "carol", "t3_s2", "t3_s2", "rust", "ask u/nobody_here, or see "
         "https://www.reddit.com/u/frank", 1554080500.5),
    _com("c10", "dave", "t1_c9", "t3_s2", "rust", "[removed]", 1554080600),
    _com("c11", "erin", "t3_s2", "t3_s2", "rust", "ping u/AutoModerator", 1554080700),
    _com("c12", "frank", "t3_gone", "t3_gone", "rust", "old thread", 1554080800),
    _com("c13", "carol", "t1_c12", "t3_gone", "rust", "u/some\\_one said so", 1554080900,
         author_flair_text="Crab"),
    # Pushshift dumps repeat a thing now and then: the later copy wins
    _com("c1", "bob", "t3_s1", "t3_s1", "python", "ruff, obviously (edited)", 1554077000),
]
RECORDS = SUBMISSIONS + COMMENTS


def _ndjson(records) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def write_zst(path: Path, data: bytes, *, long_window: bool = False) -> Path:
    if long_window:
        params = zstandard.ZstdCompressionParameters.from_level(3, window_log=27)
        cctx = zstandard.ZstdCompressor(compression_params=params)
    else:
        cctx = zstandard.ZstdCompressor(level=3, write_content_size=False)
    path.write_bytes(cctx.compress(data))
    return path


def _plain(tmp: Path) -> Path:
    f = tmp / "reddit.jsonl"
    f.write_bytes(_ndjson(RECORDS))
    return f


def _zst(tmp: Path) -> Path:
    return write_zst(tmp / "RC_2019-04.zst", _ndjson(RECORDS))


def _zst_long(tmp: Path) -> Path:
    return write_zst(tmp / "reddit.ndjson.zst", _ndjson(RECORDS), long_window=True)


def _gz(tmp: Path) -> Path:
    f = tmp / "reddit.json.gz"
    f.write_bytes(gzip.compress(_ndjson(RECORDS)))
    return f


def _directory(tmp: Path) -> Path:
    d = tmp / "dumps"
    d.mkdir()
    write_zst(d / "RS_2019-04.zst", _ndjson(SUBMISSIONS), long_window=True)
    write_zst(d / "RC_2019-04.zst", _ndjson(COMMENTS))
    (d / "notes.txt").write_text("not a dump\n")
    return d


WRITERS = {"plain": _plain, "zst": _zst, "zst-long-window": _zst_long, "gz": _gz,
           "directory": _directory}


# --- the reference parse ----------------------------------------------------------------------


def _mentioned(text: str) -> list[str]:
    """``u/name`` words of a text, plainly: split on spaces, strip punctuation."""
    names = []
    for word in text.replace("\\_", "_").split():
        word = word.strip(".,!?;:()[]\"'")
        if word.startswith(("u/", "/u/")):
            name = word.split("u/", 1)[1]
            if name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
    return names


def reference(records: list[dict], excluded=DEFAULT_EXCLUDED_USERS) -> dict:
    """Posts, users, reply/mention edges, unresolved and excluded counts, read plainly."""
    out = {n.casefold() for n in excluded}
    things = {}
    for r in records:
        fullname = r.get("name") or ("t1_" if "body" in r else "t3_") + r["id"]
        things[fullname] = r
    authors = {r["author"] for r in things.values()}
    by_name = {a.casefold(): a for a in authors}
    posts = {k for k, r in things.items() if r["author"].casefold() not in out}
    users = {a for a in authors if a.casefold() not in out}
    edges: Counter = Counter()
    unresolved = 0
    excluded_interactions = 0
    for k, r in things.items():
        if r["author"].casefold() in out:
            continue
        if "body" in r:
            parent = things.get(r["parent_id"])
            if parent is None:
                unresolved += 1
            elif parent["author"].casefold() in out:
                excluded_interactions += 1
            else:
                edges[(r["author"], parent["author"], "reply", r["parent_id"])] += 1
        text = r["body"] if "body" in r else r["title"] + "\n\n" + r["selftext"]
        for name in _mentioned(text):
            dst = by_name.get(name.casefold())
            if dst is None:
                unresolved += 1
            elif dst.casefold() in out:
                excluded_interactions += 1
            else:
                edges[(r["author"], dst, "mention", k)] += 1
    return {
        "posts": posts, "users": users, "edges": edges, "unresolved": unresolved,
        "excluded": {"posts": len(things) - len(posts), "users": len(authors) - len(users),
                     "interactions": excluded_interactions},
    }


def edges(snap) -> Counter:
    return Counter((r["src"], r["dst"], r["type"], r["post_id"])
                   for r in snap.tables["interactions"].to_pylist())


def check_against_reference(snap, ref) -> None:
    assert set(snap.tables["posts"]["id"].to_pylist()) == ref["posts"]
    assert snap.tables["posts"].num_rows == len(ref["posts"])
    assert set(snap.tables["users"]["id"].to_pylist()) == ref["users"]
    assert edges(snap) == ref["edges"]
    assert snap.unresolved.num_rows == snap.reports["interactions"].unresolved == ref["unresolved"]
    for table, count in ref["excluded"].items():
        assert snap.reports[table].excluded == count, table
    assert snap.n_rejected == 0
    for report in snap.reports.values():
        assert report.read == report.loaded + report.rejected


# --- reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_counts_match_the_plain_parse(tmp_path, kind):
    path = WRITERS[kind](tmp_path)
    assert detect_format(path) == "reddit"
    ref = reference(RECORDS)
    # the fixture covers what it should: replies, mentions, unresolved, excluded
    assert ref["unresolved"] == 4 and ref["excluded"] == {"posts": 3, "users": 2,
                                                          "interactions": 3}
    check_against_reference(read_snapshot(path), ref)
    check_against_reference(read_snapshot(path, format="reddit"), ref)


def test_exclude_nobody_keeps_deleted_and_automoderator(tmp_path):
    path = _plain(tmp_path)
    snap = read_reddit(path, exclude_users=())
    check_against_reference(snap, reference(RECORDS, excluded=()))
    assert {"[deleted]", "AutoModerator"} <= set(snap.tables["users"]["id"].to_pylist())
    assert edges(snap)[("frank", "[deleted]", "reply", "t1_c6")] == 1


def test_exclude_someone_else(tmp_path):
    path = _plain(tmp_path)
    snap = read_snapshot(path, exclude_users=["Carol"])  # names are case-insensitive
    ref = reference(RECORDS, excluded=("carol",))
    check_against_reference(snap, ref)
    assert "carol" not in snap.tables["users"]["id"].to_pylist()
    assert snap.reports["posts"].excluded == 3  # c2, c9, c13
    assert "AutoModerator" in snap.tables["users"]["id"].to_pylist()  # the default is replaced


def test_posts_users_and_timestamps(tmp_path):
    snap = read_reddit(_plain(tmp_path))
    posts = {p["id"]: p for p in snap.tables["posts"].to_pylist()}
    assert posts["t3_s1"]["text"] == "Best linter?\n\nAsking u/bob and /u/erin."
    assert posts["t3_s2"]["text"] == "Borrow checker"
    assert posts["t1_c1"]["text"] == "ruff, obviously (edited)"  # the later copy
    assert posts["t1_c10"]["text"] == "[removed]" and posts["t1_c10"]["author"] == "dave"
    assert posts["t1_c2"]["topics"] == "python" and posts["t1_c9"]["topics"] == "rust"
    assert posts["t3_s1"]["ts"] == datetime(2019, 4, 1, 0, 0)  # int
    assert posts["t3_s2"]["ts"] == datetime(2019, 4, 1, 1, 0)  # string
    assert posts["t1_c2"]["ts"] == datetime(2019, 4, 1, 0, 5)  # float
    assert posts["t1_c9"]["ts"] == datetime(2019, 4, 1, 1, 1, 40, 500000)
    users = {u["id"]: u for u in snap.tables["users"].to_pylist()}
    assert users["alice"]["name"] == "alice"
    assert users["alice"]["created_at"] == datetime(2014, 5, 13, 16, 53, 20)
    assert json.loads(users["alice"]["attributes"]) == {"fullname": "t2_alice",
                                                         "flair": "Pythonista"}
    # the later copy of c1 has no author_fullname: the earlier value is kept
    assert json.loads(users["bob"]["attributes"])["fullname"] == "t2_bob"
    assert json.loads(users["carol"]["attributes"])["flair"] == "Crab"
    inter = {(r["src"], r["dst"], r["type"]): r for r in snap.tables["interactions"].to_pylist()}
    assert inter[("carol", "bob", "reply")]["ts"] == datetime(2019, 4, 1, 0, 5)


def test_mentions_are_user_links_only(tmp_path):
    snap = read_reddit(_plain(tmp_path))
    got = edges(snap)
    assert got[("carol", "alice", "mention", "t1_c2")] == 1  # u/Alice -> alice
    assert got[("alice", "erin", "mention", "t3_s1")] == 1  # /u/erin in a selftext
    assert ("carol", "frank", "mention", "t1_c9") not in got  # a URL path is no mention
    reasons = [r["reason"] for r in snap.unresolved.to_pylist()]
    assert any("nobody_here" in r for r in reasons)
    assert any("some_one" in r for r in reasons)  # Markdown's u/some\_one


def test_unresolved_parents_name_line_and_json_path(tmp_path):
    path = _plain(tmp_path)
    for mode in ("fail", "skip"):
        snap = read_reddit(path, on_error=mode)
        assert snap.rejects.num_rows == 0
        rows = {r["record"]: r for r in snap.unresolved.to_pylist()}
        row = rows["$ parent_id t1_zzz"]
        assert row["table"] == "interactions" and row["line"] == 11  # c8, 3 submissions first
        assert row["reason"].startswith("unresolved reference: parent comment t1_zzz is not")
        assert rows["$ parent_id t3_gone"]["reason"].startswith(
            "unresolved reference: parent submission t3_gone is not in the input")


def test_pushshift_api_document(tmp_path):
    f = tmp_path / "search.json"
    f.write_text(json.dumps({"data": RECORDS, "metadata": {"total_results": 17}}, indent=1))
    assert detect_format(f) == "reddit"  # its "data" are comments, not tweets or users
    check_against_reference(read_snapshot(f), reference(RECORDS))


def test_detection(tmp_path):
    extensionless = tmp_path / "RS_2019-04"
    extensionless.write_bytes(_ndjson(SUBMISSIONS))
    assert detect_format(extensionless) == "reddit"
    sub = write_zst(tmp_path / "python_comments.zst", _ndjson(COMMENTS))
    assert detect_format(sub) == "reddit"
    tweets = tmp_path / "tweets.jsonl"
    tweets.write_text(json.dumps({"id": "1", "author_id": "2", "text": "hi"}) + "\n")
    assert detect_format(tweets) == "twitter"
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"subreddit": "python", "id": "x"}) + "\n")
    with pytest.raises(SnapshotError, match="it is JSON"):
        detect_format(other)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SnapshotError, match="no Reddit files found"):
        read_reddit(empty)


# --- bad input --------------------------------------------------------------------------------


def _with_bad_lines(tmp: Path) -> Path:
    lines = _ndjson(RECORDS[:4]).decode().splitlines()
    no_author = {"id": "x1", "body": "who am I", "parent_id": "t3_s1", "subreddit": "python",
                 "created_utc": 1}
    bad_ts = _com("x2", "bob", "t3_s1", "t3_s1", "python", "when?", "yesterday")
    lines[2:2] = ["{not json", json.dumps(no_author), json.dumps(bad_ts), "[1, 2]"]
    f = tmp / "bad.jsonl"
    f.write_text("\n".join(lines) + "\n")
    return f


def test_bad_lines_fail_with_file_line_and_skip_with_rejects(tmp_path):
    f = _with_bad_lines(tmp_path)
    with pytest.raises(InputError) as err:
        read_reddit(f)
    assert (err.value.path, err.value.line, err.value.column) == (str(f), 3, 1)
    assert str(err.value).startswith(f"{f}:3:1: malformed record: not JSON")
    snap = read_reddit(f, on_error="skip")
    rows = [r for r in snap.rejects.to_pylist() if r["table"] == "posts"]
    assert sorted(r["line"] for r in rows) == [3, 4, 5, 6, 6]  # line 6 holds two non-objects
    (reply,) = [r for r in snap.rejects.to_pylist() if r["table"] == "interactions"]
    assert reply["line"] == 5  # the bad comment's reply has its bad time too
    rejects = {r["line"]: r for r in rows}
    assert rejects[3]["record"] == "{not json"
    assert rejects[4]["reason"].startswith("malformed record: $: comment without an author")
    assert rejects[5]["reason"].startswith("cannot read timestamp 'yesterday'")
    assert rejects[5]["record"].startswith('$: {"id": "x2"')
    assert rejects[6]["reason"] == "malformed record: a JSON object is expected"
    r = snap.reports["posts"]
    assert (r.read, r.loaded, r.rejected) == (8, 3, 5)  # s3 is by [deleted]: excluded
    assert r.excluded == 1
    for report in snap.reports.values():
        assert report.read == report.loaded + report.rejected


def test_bad_timestamp_alone_names_the_json_path_in_fail_mode(tmp_path):
    f = tmp_path / "RC.jsonl"
    f.write_bytes(_ndjson([*COMMENTS[:2], _com("x", "bob", "t1_c1", "t3_s1", "python", "?",
                                               True)]))
    with pytest.raises(InputError) as err:
        read_reddit(f)
    assert str(err.value).startswith(f"{f}:3:")
    assert "true" in str(err.value)


# --- into a store, through the CLI ------------------------------------------------------------


def _invoke(runner, args, **kw):
    from graph_influence.cli import app

    result = runner.invoke(app, args, **kw)
    assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    return result


def _load_json(runner, path, store, *extra, **kw) -> dict:
    result = _invoke(runner, ["load", str(path), "--store", str(store), "--report-format",
                              "json", *extra], **kw)
    return json.loads(result.stdout)


def test_cli_load_analyze_top_and_topic(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    path = _zst(tmp_path)
    store = tmp_path / "r.duckdb"
    ref = reference(RECORDS)
    report = _load_json(runner, path, store)
    assert report["format"] == "reddit"
    tables = report["tables"]
    assert tables["posts"]["loaded"] == tables["posts"]["new"] == len(ref["posts"])
    assert tables["users"]["new"] == len(ref["users"])
    assert tables["interactions"]["loaded"] == sum(ref["edges"].values())
    assert tables["interactions"]["unresolved"] == ref["unresolved"]
    assert tables["interactions"]["excluded"] == ref["excluded"]["interactions"]
    assert tables["posts"]["excluded"] == ref["excluded"]["posts"]
    text = _invoke(runner, ["load", str(path), "--store", str(store)]).stdout
    assert "unresolved references 4" in text and "excluded 3 (--exclude-user)" in text
    assert "nothing was duplicated" in text
    again = _load_json(runner, path, store, "--format", "reddit")
    assert all(t["new"] == 0 for t in again["tables"].values())
    _invoke(runner, ["analyze", "--store", str(store)])
    rows = json.loads(_invoke(runner, ["top", "--store", str(store), "-f", "json"]).stdout)
    assert {r["id"] for r in rows} <= ref["users"] and rows[0]["rank"] == 1
    for topic in ("python", "rust"):
        result = _invoke(runner, ["top", "--store", str(store), "--topic", topic, "-f", "json"])
        rows = json.loads(result.stdout)
        assert rows and {r["id"] for r in rows} <= ref["users"]


def test_cli_exclude_user_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    path = _plain(tmp_path)
    report = _load_json(runner, path, tmp_path / "all.duckdb", "--exclude-user", "")
    ref = reference(RECORDS, excluded=())
    assert report["tables"]["users"]["new"] == len(ref["users"])
    assert report["tables"]["posts"]["excluded"] == 0
    from graph_influence.stores import DuckDBStore

    with DuckDBStore(tmp_path / "all.duckdb") as st:
        assert st.counts()["users"] == len(ref["users"])
    report = _load_json(runner, path, tmp_path / "some.duckdb", "--exclude-user", "frank",
                        "--exclude-user", "dave")
    ref = reference(RECORDS, excluded=("frank", "dave"))
    assert report["tables"]["users"]["new"] == len(ref["users"])
    assert report["tables"]["interactions"]["loaded"] == sum(ref["edges"].values())
    assert report["tables"]["interactions"]["excluded"] == ref["excluded"]["interactions"]


def test_cli_bad_line_fail_leaves_the_store_unchanged_and_skip_writes_rejects(tmp_path,
                                                                             monkeypatch):
    from graph_influence.cli import app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    store = tmp_path / "s.duckdb"
    _load_json(runner, _plain(tmp_path), store)
    from graph_influence.stores import DuckDBStore

    with DuckDBStore(store) as st:
        before = st.counts()
    bad = _with_bad_lines(tmp_path)
    result = runner.invoke(app, ["load", str(bad), "--store", str(store)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {bad}:3:1: malformed record: not JSON")
    with DuckDBStore(store) as st:
        assert st.counts() == before
    rejects = tmp_path / "rejects.csv"
    report = _load_json(runner, bad, store, "--on-error", "skip", "--rejects", str(rejects))
    assert report["rejects_file"] == str(rejects)
    for t in report["tables"].values():
        assert t["read"] == t["loaded"] + t["rejected"]
    assert report["tables"]["posts"]["rejected"] == 5
    with open(rejects, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["table", "file", "line", "column", "reason", "record"]
    assert Counter((r["table"], r["line"]) for r in rows) == {
        ("posts", "3"): 1, ("posts", "4"): 1, ("posts", "5"): 1, ("posts", "6"): 2,
        ("interactions", "5"): 1}


def test_cli_reads_zst_from_standard_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    data = _zst_long(tmp_path).read_bytes()
    store = tmp_path / "stdin.duckdb"
    report = _load_json(runner, "-", store, "--format", "reddit", input=data)
    assert report["source"] == "<stdin>" and report["format"] == "reddit"
    ref = reference(RECORDS)
    assert report["tables"]["posts"]["loaded"] == len(ref["posts"])
    assert report["tables"]["interactions"]["unresolved"] == ref["unresolved"]
    report = _load_json(runner, "-", store, input=data)  # auto-detected, nothing new
    assert report["format"] == "reddit"
    assert all(t["new"] == 0 for t in report["tables"].values())
