"""``--format table``: any table of edges, its columns chosen by name.

Real parts: a DuckDB store file written through the CLI runner, files written with the csv,
json, gzip and zstandard modules, and the SNAP CollegeMsg dataset. Expected counts are worked
out in this module from the files (csv / json module), not by the importer.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from typer.testing import CliRunner

from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders import get_importer, read_snapshot
from graph_influence.loaders.table import read_table
from graph_influence.stores import open_store
from graph_influence.topic_names import normalize_topic

from .conftest import shared_dataset

REDDIT = ["--src", "author", "--dst", "parent_author", "--ts", "created_utc",
          "--type", "reply", "--topics", "subreddit"]
SUBREDDITS = ["Python", "rust", "AskHistorians"]


def run(*args, input=None):
    from graph_influence.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def load_json(*args, input=None) -> dict:
    result = run("load", *args, "--report-format", "json", input=input)
    assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout)


def counts(store: Path) -> dict:
    with open_store(store, read_only=True) as st:
        return {**st.counts(), "loads": len(st.loads())}


def write_reddit_csv(path: Path, n: int = 300, seed: int = 7) -> list[dict]:
    """Reddit-like comments: text with commas, quotes and newlines; returns the rows."""
    rng = random.Random(seed)
    users = [f"user_{i}" for i in range(40)]
    rows = []
    for i in range(n):
        author, parent = rng.sample(users, 2)
        rows.append({
            "id": f"t1_{i:05d}", "author": author, "parent_author": parent,
            "created_utc": str(1_700_000_000 + 37 * i), "subreddit": SUBREDDITS[i % 3],
            "score": str(rng.randint(-3, 90)),
            "body": rng.choice(['plain', 'a, b and "c"', 'two\nlines', '']),
        })
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def csv_rows(path: Path, delimiter: str = ",") -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def pairs(table: pa.Table) -> list[tuple[str, str]]:
    return list(zip(table["src"].to_pylist(), table["dst"].to_pylist(), strict=True))


# --- the example, end to end ------------------------------------------------------------


def test_reddit_like_csv_load_analyze_top_and_top_topic(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "comments.csv"
    write_reddit_csv(path)
    expected = csv_rows(path)  # read back independently (quoted newlines included)
    store = tmp_path / "reddit.duckdb"
    report = load_json(path, "--store", store, "--format", "table", *REDDIT)
    inter = report["tables"]["interactions"]
    assert inter["read"] == inter["loaded"] == len(expected) == 300 and inter["rejected"] == 0
    assert inter["new"] == len(expected)
    assert inter["ignored_columns"] == ["body", "id", "score"]
    assert report["format"] == "table" and report["tables"]["follows"]["read"] == 0
    assert counts(store)["interactions"] == len(expected)
    assert counts(store)["users"] == len({r["author"] for r in expected}
                                         | {r["parent_author"] for r in expected})
    with open_store(store, read_only=True) as st:
        events = st.events()
    assert set(events["type"]) == {"reply"}
    got = Counter(zip(events["src"], events["dst"], strict=True))
    assert got == Counter((r["author"], r["parent_author"]) for r in expected)
    assert events["ts"].min() == datetime.fromtimestamp(
        min(int(r["created_utc"]) for r in expected), UTC).replace(tzinfo=None)

    for args in (["analyze", "--store", store],
                 ["top", "--store", store, "-f", "json", "-n", "5"]):
        result = run(*args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    top = json.loads(result.stdout)
    assert len(top) == 5 and all(r["id"].startswith("user_") for r in top)
    result = run("top", "--store", store, "--topic", "python", "-f", "json", "-n", "3")
    assert result.exit_code == 0, result.stderr
    leaders = json.loads(result.stdout)
    # every leader of r/Python was replied to in r/Python (its topic signal)
    in_python = {r["parent_author"] for r in expected
                 if normalize_topic(r["subreddit"]) == "python"}
    assert leaders and {r["id"] for r in leaders} <= in_python


def test_reload_is_idempotent_and_says_so(tmp_path):
    path = tmp_path / "comments.csv"
    write_reddit_csv(path, n=50)
    store = tmp_path / "s.duckdb"
    first = load_json(path, "--store", store, "--format", "table", *REDDIT)
    again = load_json(path, "--store", store, "--format", "table", *REDDIT)
    assert first["tables"]["interactions"]["new"] == 50
    assert again["tables"]["interactions"]["new"] == 0
    assert again["already_loaded_as"] == first["load_id"]
    assert counts(store)["interactions"] == 50
    # another mapping of the same bytes is another snapshot (not "loaded before")
    other = load_json(path, "--store", store, "--format", "table", "--src", "author",
                      "--dst", "parent_author", "--type", "mention")
    assert other["already_loaded_as"] is None and other["tables"]["interactions"]["new"] == 50


# --- inputs -----------------------------------------------------------------------------------


def test_tsv_by_suffix_and_a_sniffed_delimiter(tmp_path):
    rows = [("ann", "bob", "2024-01-01T00:00:00Z", "2"), ("bob", "cy", "2024-01-02T00:00:00Z",
                                                          "0.5")]
    text = "".join("\t".join(r) + "\n" for r in [("who", "whom", "when", "w"), *rows])
    tsv = tmp_path / "edges.tsv"
    tsv.write_text(text)
    got = read_table(tsv, column_map={"src": "who", "dst": "whom", "ts": "when",
                                      "weight": "w"}, edge_kind="retweet")
    t = got.tables["interactions"]
    assert pairs(t) == [(d["who"], d["whom"]) for d in csv_rows(tsv, "\t")]
    assert t["weight"].to_pylist() == [2.0, 0.5]
    # no suffix (what `load -` spools standard input to): the delimiter is sniffed
    plain = tmp_path / "stdin"
    plain.write_text(text.replace("\t", ";"))
    again = read_table(plain, column_map={"src": "who", "dst": "whom", "ts": "when",
                                          "weight": "w"}, edge_kind="retweet")
    assert again.tables["interactions"].equals(t)


def test_ndjson_with_nested_values_in_columns_that_are_not_mapped(tmp_path):
    path = tmp_path / "comments.ndjson"
    records = [{"author": f"u{i % 7}", "parent_author": f"u{(i * 3 + 1) % 7}",
                "created_utc": 1_700_000_000 + i, "subreddit": SUBREDDITS[i % 3],
                "all_awardings": [{"name": "gold", "count": i}], "gildings": {"gid_1": i},
                "edited": False}
               for i in range(40)]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n")
    snap = read_table(path, column_map={"src": "author", "dst": "parent_author",
                                        "ts": "created_utc", "topics": "subreddit"},
                      edge_kind="reply")
    t = snap.tables["interactions"]
    expected = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert pairs(t) == [(r["author"], r["parent_author"]) for r in expected]
    assert t["topics"].to_pylist() == [r["subreddit"] for r in expected]
    assert snap.reports["interactions"].ignored_columns == ["all_awardings", "edited",
                                                            "gildings"]
    # a nested value in a MAPPED column is a bad record, named by its line and JSON path
    lines = path.read_text().splitlines()
    bad = json.loads(lines[5])
    bad["parent_author"] = {"name": "u1"}
    lines[5] = json.dumps(bad)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"comments.ndjson:6:1: malformed record: "
                                         r"\$\.parent_author holds an object"):
        read_table(path, column_map={"src": "author", "dst": "parent_author"},
                   edge_kind="reply")
    skipped = read_table(path, column_map={"src": "author", "dst": "parent_author"},
                         edge_kind="reply", on_error="skip")
    r = skipped.reports["interactions"]
    assert (r.read, r.loaded, r.rejected) == (40, 39, 1)
    assert skipped.rejects.to_pylist()[0]["line"] == 6


def test_pretty_printed_json_array_names_the_line_of_the_bad_value(tmp_path):
    records = [{"from": f"u{i}", "to": f"u{i + 1}", "at": f"2024-03-0{i + 1}T10:00:00Z",
                "meta": {"lang": "en", "tags": ["a", "b"]}} for i in range(5)]
    records[3]["at"] = "next tuesday"
    path = tmp_path / "export.json"
    text = json.dumps(records, indent=2)
    path.write_text(text)
    # where the bad value is, found by reading the text
    bad_line = next(n for n, line in enumerate(text.splitlines(), 1) if "next tuesday" in line)
    bad_col = text.splitlines()[bad_line - 1].index('"next tuesday"') + 1
    mapping = {"src": "from", "dst": "to", "ts": "at"}
    with pytest.raises(InputError) as err:
        read_table(path, column_map=mapping, edge_kind="mention")
    assert str(err.value).startswith(
        f"{path}:{bad_line}:{bad_col}: $[3].at: cannot read timestamp 'next tuesday'")
    snap = read_table(path, column_map=mapping, edge_kind="mention", on_error="skip")
    (reject,) = snap.rejects.to_pylist()
    record_line = next(n for n, line in enumerate(text.splitlines(), 1)
                       if '"from": "u3"' in line) - 1  # the line of the record's "{"
    assert reject["line"] == record_line and reject["record"].startswith('[3]: {"from": "u3"')
    assert snap.reports["interactions"].loaded == 4
    assert snap.reports["interactions"].ignored_columns == ["meta"]


def zstd_long(data: bytes) -> bytes:
    """Zstandard with a 2 GiB window, as ``zstd --long=31`` writes Pushshift dumps."""
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31, enable_ldm=True)
    buf = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=params).stream_writer(
            buf, closefd=False) as writer:
        writer.write(data)
    return buf.getvalue()


@pytest.mark.parametrize("suffix", [".csv.zst", ".csv.gz", ".jsonl.zst", ".tsv.gz"])
def test_compressed_inputs(tmp_path, suffix):
    rows = [("a", "b", "1"), ("b", "c", "2"), ("c", "", "3")]
    if ".jsonl" in suffix:
        text = "".join(json.dumps({"s": s, "d": d, "t": int(t)}) + "\n" for s, d, t in rows)
    else:
        sep = "\t" if ".tsv" in suffix else ","
        text = "".join(sep.join(r) + "\n" for r in [("s", "d", "t"), *rows])
    data = text.encode()
    path = tmp_path / f"edges{suffix}"
    path.write_bytes(zstd_long(data) if suffix.endswith(".zst") else gzip.compress(data))
    mapping = {"src": "s", "dst": "d", "ts": "t"}
    with pytest.raises(InputError) as err:
        read_table(path, column_map=mapping)
    line = 3 if ".jsonl" in suffix else 4
    assert str(err.value).startswith(f"{path}:{line}:")
    assert "empty dst" in str(err.value)
    snap = read_table(path, column_map=mapping, on_error="skip")
    assert pairs(snap.tables["follows"]) == [("a", "b"), ("b", "c")]
    assert snap.rejects.to_pylist()[0]["line"] == line


def test_parquet_and_a_directory_of_files_in_name_order(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "b.csv").write_text("Actor,Target\nc,d\n")
    pq.write_table(pa.table({"actor": ["a"], "target": ["b"], "n": [3]}), folder / "a.parquet")
    (folder / "README.md").write_text("not a table")
    snap = read_table(folder, column_map={"src": "actor", "dst": "target"}, edge_kind="like")
    assert pairs(snap.tables["interactions"]) == [("a", "b"), ("c", "d")]
    assert snap.reports["interactions"].ignored_columns == ["n"]
    (folder / "c.csv").write_text("actor,whom\ne,f\n")
    with pytest.raises(SnapshotError, match=r"c.csv: no column 'target' \(--dst target\), which "
                                            r"the directory's first file has — the file's "
                                            r"columns are: actor, whom"):
        read_table(folder, column_map={"src": "actor", "dst": "target"})


# --- the mapping --------------------------------------------------------------------------------


def test_a_type_column_sends_follow_rows_to_follows(tmp_path):
    path = tmp_path / "events.csv"
    rng = random.Random(3)
    kinds = ["follow", "Follows", "reply", "like", "retweet"]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["a", "b", "kind", "ts", "weight"])
        for i in range(200):
            w.writerow([f"u{rng.randrange(30)}", f"u{rng.randrange(30)}", rng.choice(kinds),
                        1_700_000_000 + i, rng.choice(["", "1", "2.5"])])
    rows = csv_rows(path)
    is_follow = [r["kind"].lower() in ("follow", "follows") for r in rows]
    store = tmp_path / "t.duckdb"
    report = load_json(path, "--store", store, "--format", "table", "--src", "a", "--dst", "b",
                       "--ts", "ts", "--weight", "weight", "--type", "kind")
    f, i = report["tables"]["follows"], report["tables"]["interactions"]
    assert f["read"] == f["loaded"] == sum(is_follow)
    assert i["read"] == i["loaded"] == len(rows) - sum(is_follow)
    assert f["ignored_columns"] == ["weight"] and i["ignored_columns"] == []
    follow_pairs = {(r["a"], r["b"]) for r, fl in zip(rows, is_follow, strict=True) if fl}
    assert counts(store)["follows"] == len(follow_pairs)  # a repeated follow is one follow
    assert counts(store)["interactions"] == len(rows) - sum(is_follow)
    with open_store(store, read_only=True) as st:
        assert Counter(st.events()["type"]) == Counter(
            r["kind"] for r, fl in zip(rows, is_follow, strict=True) if not fl)


def test_type_column_values_must_be_known_or_allowed(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("a,b,kind\nx,y,follow\nx,z,reply\ny,z,poke\n")
    mapping = {"src": "a", "dst": "b"}
    with pytest.raises(InputError, match=r"events.csv:4:3: unknown interaction type 'poke' "
                                         r"\(column 'kind'\) — .*--type kind --type NAME"):
        read_table(path, column_map=mapping, edge_kind="kind")
    # allowed like any extra type (the CLI's further --type), the column's own name aside
    snap = read_table(path, column_map=mapping, edge_kind="kind",
                      interaction_types=["kind", "poke"])
    assert snap.tables["interactions"]["type"].to_pylist() == ["reply", "poke"]
    assert "kind" not in snap.interaction_types and "poke" in snap.interaction_types
    # a known type name is a type, even when a column has that name
    path.write_text("a,b,reply\nx,y,true\n")
    snap = read_table(path, column_map=mapping, edge_kind="reply")
    assert snap.tables["interactions"]["type"].to_pylist() == ["reply"]
    # a type of one's own for every row is allowed by naming it
    snap = read_table(path, column_map=mapping, edge_kind="Email")
    assert snap.tables["interactions"]["type"].to_pylist() == ["email"]


def test_ts_unit_ms_through_the_cli(tmp_path):
    path = tmp_path / "events.csv"
    stamps = [1_700_000_000_123, 1_700_000_360_000]
    path.write_text("src,dst,millis\n" + "".join(f"a,b{k},{t}\n" for k, t in enumerate(stamps)))
    store = tmp_path / "ms.duckdb"
    args = [path, "--store", store, "--format", "table", "--src", "src", "--dst", "dst",
            "--ts", "millis", "--type", "mention"]
    result = run("load", *args)
    assert result.exit_code == 1 and "looks like milliseconds" in result.stderr
    assert "events.csv:2:3:" in result.stderr and counts(store)["loads"] == 0
    load_json(*args, "--ts-unit", "ms")
    with open_store(store, read_only=True) as st:
        oldest, newest = st.time_range()
    as_dt = [datetime.fromtimestamp(t / 1000, UTC).replace(tzinfo=None) for t in stamps]
    assert (oldest, newest) == (as_dt[0], as_dt[1])


def test_header_names_are_recognised_when_no_column_is_named(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("Source,Target,Timestamp,Weight,ts\nu,v,2024-01-01,2,junk\n")
    with pytest.raises(SnapshotError, match=r"columns 'Timestamp' and 'ts' could both be the "
                                            r"ts — say which with --ts COLUMN"):
        read_table(path, column_map={}, edge_kind="retweet")
    path.write_text("Source,Target,Timestamp,Weight,note\nu,v,2024-01-01,2,x\n")
    t = read_table(path, column_map={}, edge_kind="retweet").tables["interactions"]
    assert pairs(t) == [("u", "v")] and t["weight"].to_pylist() == [2.0]
    assert t["ts"].to_pylist() == [datetime(2024, 1, 1)]
    # once a column is named, only a missing src/dst is still recognised
    snap = read_table(path, column_map={"ts": "Timestamp"}, edge_kind="retweet")
    assert snap.tables["interactions"]["weight"].to_pylist() == [1.0]
    assert snap.reports["interactions"].ignored_columns == ["Weight", "note"]


def test_unmapped_columns_with_snapshot_names_are_not_read(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("author,parent,ts,type,weight\nu,v,not a time,poke,-1\n")
    snap = read_table(path, column_map={"src": "author", "dst": "parent"}, edge_kind="reply")
    t = snap.tables["interactions"]
    assert t["type"].to_pylist() == ["reply"] and t["ts"].to_pylist() == [None]
    assert t["weight"].to_pylist() == [1.0]
    assert snap.reports["interactions"].ignored_columns == ["ts", "type", "weight"]


@pytest.mark.parametrize(("column_map", "message"), [
    ({"src": "author", "dst": "parent", "ts": "created"},
     r"edges.csv: no column 'created' \(given as --ts created\) — the file's columns are: "
     r"author, parent, when"),
    ({"src": "author"},
     r"edges.csv: which column is the dst\? The file's columns are: author, parent, when — "
     r"give --src COLUMN --dst COLUMN"),
    ({"src": "author", "dst": "author"}, r"column 'author' is given for both --src and --dst"),
    ({"source": "author"}, r"unknown column role 'source'"),
])
def test_mapping_errors_name_the_file_and_its_columns(tmp_path, column_map, message):
    path = tmp_path / "edges.csv"
    path.write_text("author,parent,when\nu,v,1\n")
    with pytest.raises(SnapshotError, match=message):
        read_table(path, column_map=column_map)


def test_columns_match_ignoring_case_and_parquet_rows_keep_their_numbers(tmp_path):
    path = tmp_path / "e.parquet"
    pq.write_table(pa.table({"Author": ["a", "b", "c", "d"], "Parent": ["b", "c", "", "a"],
                             "Kind": ["follow", "like", "like", "follow"]}), path)
    mapping = {"src": "author", "dst": "parent"}
    with pytest.raises(InputError, match=r"e.parquet:row 2:2: empty dst \(column 'Parent'\)"):
        read_table(path, column_map=mapping, edge_kind="kind")
    snap = read_table(path, column_map=mapping, edge_kind="kind", on_error="skip")
    assert pairs(snap.tables["follows"]) == [("a", "b"), ("d", "a")]
    assert [r["line"] for r in snap.rejects.to_pylist()] == [2]


# --- bad records through the CLI: fail leaves the store as it was, skip adds up ------------------


def test_bad_record_fails_with_file_line_column_and_changes_nothing(tmp_path):
    path = tmp_path / "comments.csv"
    write_reddit_csv(path, n=20)
    store = tmp_path / "s.duckdb"
    load_json(path, "--store", store, "--format", "table", *REDDIT)
    before = counts(store)
    # a bad timestamp after a quoted value spanning two lines
    bad = tmp_path / "bad.csv"
    bad.write_text('id,author,parent_author,created_utc,subreddit\n'
                   'x1,ann,bob,1700000000,"multi\nline"\n'
                   'x2,bob,ann,yesterday-ish,python\n')
    result = run("load", bad, "--store", store, "--format", "table", *REDDIT)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {bad}:4:4: cannot read timestamp 'yesterday-ish' (column 'created_utc') — ")
    assert counts(store) == before


def test_skip_mode_writes_rejects_and_read_is_loaded_plus_rejected(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "comments.csv"
    rows = write_reddit_csv(path, n=60)
    with open(path, "a", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["y1", "", "bob", "1700000000", "python", "1", "no author"])
        w.writerow(["y2", "ann", "bob", "soon", "python", "1", "bad ts"])
        fh.write("y3,only,three\n")
    expected = csv_rows(path)
    store = tmp_path / "s.duckdb"
    rejects = tmp_path / "rejects.csv"
    report = load_json(path, "--store", store, "--format", "table", *REDDIT,
                       "--on-error", "skip", "--rejects", rejects)
    inter = report["tables"]["interactions"]
    assert inter["read"] == len(expected) == len(rows) + 3
    assert inter["read"] == inter["loaded"] + inter["rejected"]
    assert (inter["loaded"], inter["rejected"]) == (len(rows), 3)
    got = csv_rows(rejects)
    assert [r["reason"] for r in got] == ["empty src", "cannot read timestamp 'soon'",
                                         "malformed record: expected 7 fields, found 3"]
    assert all(r["table"] == "interactions" and r["file"] == str(path) for r in got)
    physical = path.read_text().count("\n")  # the last three records are the last lines
    assert [int(r["line"]) for r in got] == [physical - 2, physical - 1, physical]
    assert report["rejects_file"] == str(rejects) and counts(store)["interactions"] == len(rows)


# --- standard input -------------------------------------------------------------------------


def test_load_from_standard_input(tmp_path):
    store = tmp_path / "stdin.duckdb"
    text = "author,parent_author,created_utc,subreddit\nann,bob,1700000000,python\n" \
           "bob,cy,1700000100,python\n"
    report = load_json("-", "--store", store, "--format", "table", *REDDIT,
                       input=text.encode())
    assert report["source"] == "<stdin>" and report["tables"]["interactions"]["loaded"] == 2
    # compressed standard input is recognised by its first bytes; errors name <stdin>
    bad = text + "cy,,1700000200,python\n"
    for data in (bad.encode(), gzip.compress(bad.encode()), zstd_long(bad.encode())):
        result = run("load", "-", "--store", store, "--format", "table", *REDDIT, input=data)
        assert result.exit_code == 1, result.stdout
        assert result.stderr.startswith("error: <stdin>:4:2: empty dst (column "
                                        "'parent_author')"), result.stderr
    ndjson = "".join(json.dumps({"a": s, "b": d, "meta": {"x": [1]}}) + "\n"
                     for s, d in [("p", "q"), ("q", "")])
    result = run("load", "-", "--store", store, "--format", "table", "--src", "a", "--dst", "b",
                 input=ndjson.encode())
    assert result.exit_code == 1 and result.stderr.startswith("error: <stdin>:2:"), result.stderr
    assert "$.b: empty dst" in result.stderr
    assert counts(store)["interactions"] == 2 and counts(store)["follows"] == 0


# --- a real dataset ----------------------------------------------------------------------------


def test_college_msg_with_named_columns(tmp_path):
    raw = shared_dataset("college-msg", "CollegeMsg.txt.gz")
    with gzip.open(raw, "rt") as fh:
        edges = [line.split() for line in fh if line.strip()]
    path = tmp_path / "college.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sender", "recipient", "sent_at"])
        w.writerows(edges)
    store = tmp_path / "college.duckdb"
    report = load_json(path, "--store", store, "--format", "table", "--src", "sender",
                       "--dst", "recipient", "--ts", "sent_at", "--type", "message")
    inter = report["tables"]["interactions"]
    assert inter["read"] == inter["loaded"] == len(edges) == 59_835 and inter["rejected"] == 0
    c = counts(store)
    assert c["interactions"] == len(edges)
    assert c["users"] == len({e[0] for e in edges} | {e[1] for e in edges}) == 1_899
    with open_store(store, read_only=True) as st:
        oldest, newest = st.time_range()
        assert set(st.events()["type"]) == {"message"}
    stamps = [int(e[2]) for e in edges]
    assert oldest == datetime.fromtimestamp(min(stamps), UTC).replace(tzinfo=None)
    assert newest == datetime.fromtimestamp(max(stamps), UTC).replace(tzinfo=None)


# --- registry ---------------------------------------------------------------------------------


def test_the_importer_is_named_not_detected(tmp_path):
    importer = get_importer("table")
    assert importer.detect is None
    assert importer.options == frozenset({"column_map", "edge_type", "ts_unit"})
    path = tmp_path / "e.csv"
    path.write_text("who,whom\na,b\n")
    snap = read_snapshot(path, format="table", column_map={"src": "who", "dst": "whom"})
    assert snap.format == "table" and pairs(snap.tables["follows"]) == [("a", "b")]
