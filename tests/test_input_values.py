"""Input values that used to pass wrong, be changed silently, be ignored, or crash (issue 13)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from graph_influence.cli import app
from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders import read_snapshot
from graph_influence.loaders.files import read_delimited

from .conftest import write_snapshot

runner = CliRunner()

FOLLOWS = "src,dst\na,b\n"


def _load(source: Path, store: Path, *args: str):
    return runner.invoke(app, ["load", str(source), "--store", str(store), *args])


def _stored(store: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


# 1. timestamps that pass validation but are wrong


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e300"])
def test_non_finite_or_huge_epoch_in_csv_is_rejected_with_its_line(tmp_path, value):
    d = write_snapshot(tmp_path / "s", interactions=(
        "src,dst,type,ts\na,b,like,1704067200\nb,c,like," + value + "\n"))
    with pytest.raises(InputError) as err:
        read_snapshot(d)
    assert str(err.value).startswith(f"{d / 'interactions.csv'}:3:4:")


def test_nan_timestamp_is_never_stored_as_year_290309_bc(tmp_path):
    d = write_snapshot(tmp_path / "s", interactions="src,dst,type,ts\na,b,like,nan\n"
                                                     "b,c,like,1704067200\n")
    store = tmp_path / "s.duckdb"
    result = _load(d, store, "--on-error", "skip", "--rejects", str(tmp_path / "r.csv"))
    assert result.exit_code == 0, result.output
    assert _stored(store, "SELECT count(*) FROM interactions WHERE year(ts) < 1") == [(0,)]
    assert _stored(store, "SELECT count(*) FROM interactions") == [(1,)]


@pytest.mark.parametrize("column", [
    pa.array([1.7e9, float("nan")]),
    pa.array([True, False]),
    pa.array([1704067200, 10**17], pa.int64()),
], ids=["float-nan", "bool", "out-of-range-ms"])
def test_parquet_timestamps_nan_bool_or_out_of_range_are_rejected(tmp_path, column):
    d = tmp_path / "s"
    d.mkdir()
    pq.write_table(pa.table({"src": ["a", "b"], "dst": ["b", "c"], "type": ["like", "like"],
                             "ts": column}), d / "interactions.parquet")
    with pytest.raises(InputError) as err:
        read_snapshot(d, ts_unit="ms")
    assert "row " in str(err.value) and "ts" in str(err.value)


def test_out_of_range_text_year_is_rejected(tmp_path):
    d = write_snapshot(tmp_path / "s", interactions="src,dst,type,ts\na,b,like,-99999999999\n")
    with pytest.raises(InputError, match=r"interactions.csv:2:4:"):
        read_snapshot(d, ts_unit="s")


def test_parquet_date32_timestamps_are_read(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    pq.write_table(pa.table({"src": ["a"], "dst": ["b"], "type": ["like"],
                             "ts": pa.array([19723], pa.date32())}), d / "interactions.parquet")
    snap = read_snapshot(d)
    assert snap.tables["interactions"].column("ts")[0].as_py() == datetime(2024, 1, 1)


# 2. ids read verbatim


def test_jsonl_ids_above_int64_stay_distinct_in_the_store(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "follows.jsonl").write_text(
        '{"src": 12345678901234567891, "dst": 1}\n{"src": 12345678901234567892, "dst": 1}\n')
    store = tmp_path / "s.duckdb"
    result = _load(d, store)
    assert result.exit_code == 0, result.output
    assert sorted(_stored(store, "SELECT u.id FROM follows f JOIN users u ON u.uid = f.src")) == [
        ("12345678901234567891",), ("12345678901234567892",)]


def test_jsonl_mixed_numeric_and_string_ids_are_read_as_text(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "follows.jsonl").write_text('{"src": 1, "dst": "b"}\n{"src": "a", "dst": 2.50}\n')
    snap = read_snapshot(d)
    follows = snap.tables["follows"].select(["src", "dst"])
    assert follows.to_pydict() == {"src": ["1", "a"], "dst": ["b", "2.50"]}


def test_jsonl_invalid_utf8_id_is_rejected_with_its_line(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "follows.jsonl").write_bytes(b'{"src": "a", "dst": "b"}\n{"src": "\xff", "dst": "b"}\n')
    with pytest.raises(InputError, match=r"follows.jsonl:2:"):
        read_snapshot(d)


def test_jsonl_boolean_id_is_rejected_not_stored_as_true(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "follows.jsonl").write_text('{"src": "a", "dst": "b"}\n{"src": true, "dst": "b"}\n')
    snap = read_snapshot(d, on_error="skip")
    assert snap.tables["follows"].column("src").to_pylist() == ["a"]
    assert snap.rejects.column("line").to_pylist() == [2]


# 3. inputs ignored without a word


@pytest.mark.parametrize("name", ["Follows.csv", "FOLLOWS.CSV"])
def test_table_names_are_case_insensitive(tmp_path, name):
    d = tmp_path / "s"
    d.mkdir()
    (d / name).write_text(FOLLOWS)
    assert read_snapshot(d).reports["follows"].loaded == 1


@pytest.mark.parametrize("name", ["follow.csv", "interactions.txt", "interaction.jsonl"])
def test_near_miss_table_names_are_listed_as_ignored(tmp_path, name):
    d = write_snapshot(tmp_path / "s", follows=FOLLOWS)
    (d / name).write_text("src,dst\nx,y\n")
    snap = read_snapshot(d)
    assert [(Path(p).name, bool(why)) for p, why in snap.ignored] == [(name, True)]


def test_dangling_symlink_named_like_a_table_is_an_error(tmp_path):
    d = write_snapshot(tmp_path / "s", follows=FOLLOWS)
    os.symlink(tmp_path / "gone.csv", d / "users.csv")
    with pytest.raises(SnapshotError, match="users.csv"):
        read_snapshot(d)


def test_fifo_named_like_a_table_is_an_error(tmp_path):
    d = write_snapshot(tmp_path / "s", follows=FOLLOWS)
    os.mkfifo(d / "users.csv")
    with pytest.raises(SnapshotError, match="not a regular file"):
        read_snapshot(d)


def test_higgs_plain_and_gzipped_copies_of_one_file_are_an_error(tmp_path):
    text = "1 2 1341100972 RT\n"
    (tmp_path / "higgs-activity_time.txt").write_text(text)
    (tmp_path / "higgs-activity_time.txt.gz").write_bytes(gzip.compress(text.encode()))
    with pytest.raises(SnapshotError, match="higgs-activity_time.txt"):
        read_snapshot(tmp_path, format="higgs")


@pytest.mark.parametrize("extra", ["follows.csv.gz", "Follows.parquet", "follows/part-1.csv"])
def test_a_table_in_two_places_is_an_error_not_read_twice(tmp_path, extra):
    d = write_snapshot(tmp_path / "s", follows=FOLLOWS)
    target = d / extra
    target.parent.mkdir(exist_ok=True)
    if extra.endswith(".gz"):
        target.write_bytes(gzip.compress(FOLLOWS.encode()))
    elif extra.endswith(".parquet"):
        pq.write_table(pa.table({"src": ["a"], "dst": ["b"]}), target)
    else:
        target.write_text(FOLLOWS)
    shown = extra.split("/")[0] + "/" if "/" in extra else extra
    with pytest.raises(SnapshotError, match=rf"follows is in 2 places: .*{shown}.*move"):
        read_snapshot(d)
    result = CliRunner().invoke(app, ["load", str(d), "--store", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 1 and "in 2 places" in result.stderr
    assert "Traceback" not in result.stderr


def test_comment_lines_anywhere_in_an_edge_list_are_comments(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("% header\n1 2\n% middle\n# also\n2 3\n")
    snap = read_snapshot(path, format="edgelist")
    assert snap.tables["follows"].select(["src", "dst"]).to_pydict() == {
        "src": ["1", "2"], "dst": ["2", "3"]}


def test_edge_list_lines_after_a_mid_file_comment_keep_their_numbers(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("1 2\n% middle\n2\n")
    with pytest.raises(InputError, match=r"edges.txt:3:"):
        read_snapshot(path, format="edgelist")


# 4. --on-error skip skips bad JSON lines


def test_skip_mode_skips_bad_json_lines_with_their_numbers(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "follows.jsonl").write_text(
        '{"src": "a", "dst": "b"}\n'
        '{"src": "a", "dst": \n'
        '["a", "b"]\n'
        '{"src": {"id": 1}, "dst": "b"}\n'
        '{"src": "c", "dst": "d"}\n')
    snap = read_snapshot(d, on_error="skip")
    follows = snap.tables["follows"].select(["src", "dst"])
    assert follows.to_pydict() == {"src": ["a", "c"], "dst": ["b", "d"]}
    assert snap.rejects.column("line").to_pylist() == [2, 3, 4]
    r = snap.reports["follows"]
    assert (r.read, r.loaded, r.rejected) == (5, 2, 3)


def test_fail_mode_names_the_first_bad_json_line(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "follows.jsonl").write_text('{"src": "a", "dst": "b"}\n\n[1]\n')
    with pytest.raises(InputError, match=r"follows.jsonl:3:"):
        read_snapshot(d)


# 5. valid input rejected


def test_csv_with_a_byte_order_mark(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "follows.csv").write_bytes(b"\xef\xbb\xbfsrc,dst\na,b\n")
    follows = read_snapshot(d).tables["follows"].select(["src", "dst"])
    assert follows.to_pydict() == {"src": ["a"], "dst": ["b"]}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_values_of_several_megabytes(tmp_path, suffix):
    big = "x" * (3 << 20)
    d = tmp_path / "s"
    d.mkdir()
    if suffix == ".csv":
        (d / "users.csv").write_text(f"id,name\na,{big}\nb,c\n")
    else:
        (d / "users.jsonl").write_text(json.dumps({"id": "a", "name": big}) + "\n"
                                       + json.dumps({"id": "b", "name": "c"}) + "\n")
    users = read_snapshot(d).tables["users"]
    assert users.column("id").to_pylist() == ["a", "b"]
    assert len(users.column("name")[0].as_py()) == len(big)


def test_snap_edge_list_with_trailing_spaces(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("1 2 \n2 3 \n3 1\n")
    snap = read_snapshot(path, format="edgelist")
    assert snap.tables["follows"].select(["src", "dst"]).to_pydict() == {
        "src": ["1", "2", "3"], "dst": ["2", "3", "1"]}


# 6. one line, never a traceback


def _one_line_error(d: Path, *, fmt: str | None = None) -> str:
    with pytest.raises(SnapshotError) as err:
        read_snapshot(d, format=fmt) if fmt else read_snapshot(d)
    text = str(err.value)
    assert "\n" not in text
    return text


def test_latin1_early_in_a_csv_names_the_file_and_line(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "users.csv").write_bytes(b"id,name\na,Ren\xe9\n")
    text = _one_line_error(d)
    assert "users.csv:2" in text and "UTF-8" in text


def test_latin1_edge_list_is_one_line(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_bytes(b"1 2\nRen\xe9 3\n")
    with pytest.raises(SnapshotError, match=r"edges.txt:2:4: byte 0xe9 is not UTF-8"):
        read_snapshot(path, format="edgelist")


@pytest.mark.parametrize("data", [
    gzip.compress(b"src,dst\n" + b"a,b\n" * 1000)[:-30],
    b"\x1f\x8b\x08\x00garbage that is not deflate",
    b"src,dst\na,b\n",
], ids=["truncated", "corrupt", "not-gzip"])
def test_bad_gzip_is_one_line(tmp_path, data):
    d = tmp_path / "s"
    d.mkdir()
    (d / "follows.csv.gz").write_bytes(data)
    assert "follows.csv.gz" in _one_line_error(d)


@pytest.mark.parametrize("column", [
    pa.array([["a"], ["b"]], pa.list_(pa.string())),
    pa.array([{"k": "a"}, {"k": "b"}]),
], ids=["list", "struct"])
def test_parquet_nested_id_columns_are_one_line(tmp_path, column):
    d = tmp_path / "s"
    d.mkdir()
    pq.write_table(pa.table({"src": column, "dst": ["b", "c"]}), d / "follows.parquet")
    assert "follows.parquet" in _one_line_error(d)


def test_parquet_bool_id_column_is_one_line(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    pq.write_table(pa.table({"src": [True], "dst": ["b"]}), d / "follows.parquet")
    assert "follows.parquet" in _one_line_error(d)


def test_cr_only_line_endings_with_a_bad_row(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "follows.csv").write_bytes(b"src,dst\ra,b\rc\r")
    with pytest.raises((InputError, SnapshotError)) as err:
        read_snapshot(d)
    assert "follows.csv" in str(err.value) and "\n" not in str(err.value)


def test_cr_only_line_endings_with_a_bad_value_name_its_line(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    (d / "follows.csv").write_bytes(b"src,dst\ra,b\rc,\r")
    with pytest.raises(InputError, match=r"follows.csv:3:2: empty dst"):
        read_snapshot(d)


def test_parquet_extra_list_column_is_kept_as_json(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    pq.write_table(pa.table({"id": ["a"], "tags": pa.array([["x", "y"]])}), d / "users.parquet")
    users = read_snapshot(d).tables["users"]
    assert json.loads(users.column("attributes")[0].as_py()) == {"tags": '["x", "y"]'}


def test_file_vanishing_before_its_error_path_is_one_line(tmp_path, monkeypatch):
    from graph_influence.loaders import files

    d = write_snapshot(tmp_path / "s", follows="src,dst\na,\n")
    real = files.read_delimited

    def read_then_delete(path, **kw):
        raw = real(path, **kw)
        path.unlink()
        return raw

    monkeypatch.setattr(files, "read_delimited", read_then_delete)
    assert "follows.csv" in _one_line_error(d)


# 7. the error path streams


def test_error_path_line_numbers_are_streamed(tmp_path, monkeypatch):
    from graph_influence.loaders import files, textio

    path = tmp_path / "edges.csv.gz"
    path.write_bytes(gzip.compress(b"src,dst\n" + b"a,b\n" * 300_000 + b"c,\n"))
    monkeypatch.setattr(textio, "read_bytes", None)
    monkeypatch.setattr(files, "read_bytes", None, raising=False)
    raw = read_delimited(path)
    assert raw.lines([raw.table.num_rows - 1]).tolist() == [300_002]


def test_the_load_report_names_the_files_it_ignored(tmp_path):
    from typer.testing import CliRunner

    from graph_influence.cli import app

    d = write_snapshot(tmp_path / "s", follows=FOLLOWS)
    (d / "follow.csv").write_text("src,dst\nx,y\n")
    store = str(tmp_path / "r.duckdb")
    result = CliRunner().invoke(app, ["load", str(d), "--store", store])
    assert result.exit_code == 0, result.stderr
    line = next(t for t in result.stdout.splitlines() if t.startswith("  ignored "))
    assert "follow.csv" in line and "follows" in line  # names the file and the likely table
    result = CliRunner().invoke(app, ["load", str(d), "--store", store, "--report-format",
                                      "json"])
    ignored = json.loads(result.stdout)["ignored"]
    assert [Path(p).name for p, _ in ignored] == ["follow.csv"]


# 9. memory stays bounded whatever a small compressed file expands to

def test_bounded_lines_drops_what_is_over_the_limit():
    import io

    from graph_influence.loaders.textio import bounded_lines

    data = "short\n" + "x" * 50 + "\nlast"
    assert list(bounded_lines(io.StringIO(data), limit=10)) == [
        ("short\n", False), ("x" * 11, True), ("last", False)]
    got = list(bounded_lines(io.BytesIO(data.encode()), limit=10))
    assert got == [(b"short\n", False), (b"x" * 11, True), (b"last", False)]
    assert list(bounded_lines(io.StringIO("0123456789\n"), limit=11)) == [("0123456789\n", False)]


def test_a_json_document_over_the_limit_is_refused_without_reading_it_all(tmp_path):
    from graph_influence.loaders.textio import read_bytes, read_document

    path = tmp_path / "outbox.json.gz"
    path.write_bytes(gzip.compress(b'{"orderedItems": [' + b" " * 5000 + b"]}"))
    assert read_document(path, limit=10_000).startswith('{"orderedItems"')
    with pytest.raises(ValueError, match="larger than 0 MiB.*JSON lines"):
        read_document(path, limit=1000)
    with pytest.raises(ValueError, match="larger than 0 MiB"):
        read_bytes(path, limit=1000)


def _bomb(path: Path, head: bytes, tail: bytes, good: bytes) -> None:
    """``good``, then one line of ``head`` + 1 GiB + ``tail``: about 1 MB gzipped."""
    block = b"a" * (1 << 24)
    with gzip.open(path, "wb", compresslevel=6) as fh:
        fh.write(good)
        fh.write(head)
        for _ in range(64):
            fh.write(block)
        fh.write(tail)


def _load_measured(*args: str) -> tuple[subprocess.CompletedProcess, int]:
    """Run the CLI in a child process; its exit, output and peak memory (bytes)."""
    import sys

    script = ("import resource, sys\nfrom graph_influence.cli import main\n"
              "try:\n    main()\nfinally:\n"
              "    print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
              " file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          text=True, timeout=300)
    rss = [int(line.split()[1]) * 1024 for line in done.stderr.splitlines()
           if line.startswith("maxrss ")]
    return done, rss[-1] if rss else 0


@pytest.mark.slow
@pytest.mark.parametrize(("name", "head", "tail", "good", "line"), [
    ("follows.jsonl.gz", b'{"src": "', b'", "dst": "b"}\n', b'{"src": "a", "dst": "b"}\n', 2),
    ("follows.csv.gz", b"x", b",b\n", b"src,dst\na,b\n", 3),
])
def test_a_gzip_bomb_is_one_bad_line_in_bounded_memory(tmp_path, name, head, tail, good, line):
    d = tmp_path / "s"
    d.mkdir()
    _bomb(d / name, head, tail, good)
    assert (d / name).stat().st_size < 2 << 20
    done, rss = _load_measured("load", str(d), "--store", str(tmp_path / "x.duckdb"))
    assert done.returncode == 1, done.stderr
    lines = [x for x in done.stderr.splitlines() if not x.startswith("maxrss ")]
    assert len(lines) == 1 and f"{name}:{line}:1: malformed record: the line is longer than 64 MiB" \
        in lines[0], lines
    assert rss < 1 << 30, f"peak memory {rss >> 20} MiB for a 1 MB file"
    if name.endswith(".jsonl.gz"):  # a JSON line over the limit is skipped like any bad row
        done, rss = _load_measured("load", str(d), "--store", str(tmp_path / "x.duckdb"),
                                   "--on-error", "skip", "--rejects", str(tmp_path / "r.csv"),
                                   "--report-format", "json")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)["tables"]["follows"]
        assert (report["read"], report["loaded"], report["rejected"]) == (2, 1, 1)
        assert rss < 1 << 30
