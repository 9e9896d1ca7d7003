"""Loaders: formats, normalisation, and the bad-input matrix (file, line, column; skip mode)."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders import detect_format, read_snapshot

from .conftest import shared_dataset, write_snapshot

GOOD_INTERACTIONS = (
    "src,dst,type,ts,weight\n"
    "a,b,retweet,2024-01-01T00:00:00Z,\n"
    "b,c,Like,1704067200,2\n"
    "c,a,reply,2024-01-01 06:30:00+02:00,0.5\n"
)


def test_snapshot_dir_normalises_types_and_timestamps(tmp_path):
    snap = read_snapshot(write_snapshot(tmp_path, interactions=GOOD_INTERACTIONS))
    t = snap.tables["interactions"]
    assert t.column("type").to_pylist() == ["retweet", "like", "reply"]
    assert t.column("ts").type == pa.timestamp("us")
    assert t.column("ts").to_pylist() == [
        datetime(2024, 1, 1), datetime(2024, 1, 1), datetime(2024, 1, 1, 4, 30)
    ]
    assert t.column("weight").to_pylist() == [1.0, 2.0, 0.5]
    r = snap.reports["interactions"]
    assert (r.read, r.loaded, r.rejected) == (3, 3, 0)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet", ".jsonl"])
def test_every_file_format_reads_the_same(tmp_path, suffix):
    table = pacsv.read_csv(pa.BufferReader(GOOD_INTERACTIONS.encode()),
                           convert_options=pacsv.ConvertOptions(
                               column_types={"weight": pa.string(), "ts": pa.string()}))
    d = tmp_path / "snap"
    d.mkdir()
    path = d / f"interactions{suffix}"
    if suffix == ".csv":
        path.write_text(GOOD_INTERACTIONS)
    elif suffix == ".csv.gz":
        path.write_bytes(gzip.compress(GOOD_INTERACTIONS.encode()))
    elif suffix == ".parquet":
        pq.write_table(table, path)
    else:
        path.write_text("\n".join(json.dumps(r) for r in table.to_pylist()) + "\n")
    reference = read_snapshot(write_snapshot(tmp_path / "ref", interactions=GOOD_INTERACTIONS))
    snap = read_snapshot(d)
    assert snap.tables["interactions"].equals(reference.tables["interactions"])


def test_parquet_native_types(tmp_path):
    d = tmp_path / "snap"
    d.mkdir()
    pq.write_table(pa.table({
        "src": pa.array([1, 2], pa.int64()), "dst": pa.array([2, 3], pa.int64()),
        "ts": pa.array([datetime(2024, 5, 1), None], pa.timestamp("ms")),
    }), d / "follows.parquet")
    snap = read_snapshot(d)
    t = snap.tables["follows"]
    assert t.column("src").to_pylist() == ["1", "2"]
    assert t.column("ts").to_pylist() == [datetime(2024, 5, 1), None]


def test_users_extra_columns_become_attributes(tmp_path):
    snap = read_snapshot(write_snapshot(tmp_path, users="id,name,country,age\nu1,U,fr,33\n"))
    attrs = json.loads(snap.tables["users"].column("attributes")[0].as_py())
    assert attrs == {"country": "fr", "age": "33"}


def test_ids_are_verbatim(tmp_path):
    text = 'src,dst\n" a","b "\n"q""uote","new\nline"\n"`tick`","{brace}"\n"émoji🙂",x\n'
    snap = read_snapshot(write_snapshot(tmp_path, follows=text))
    t = snap.tables["follows"]
    assert t.column("src").to_pylist() == [" a", 'q"uote', "`tick`", "émoji🙂"]
    assert t.column("dst").to_pylist() == ["b ", "new\nline", "{brace}", "x"]


# -- the bad-input matrix -------------------------------------------------------------------
# (table, csv text, expected line, expected column, words in the message)
BAD_INPUTS = [
    ("follows", "src,ts\na,\n", 1, None, ["no 'dst' column", "add a 'dst' column"]),
    ("follows", "src,dst\na,b\n,c\n", 3, 1, ["empty src", "non-empty src"]),
    ("follows", "src,dst\na,b\nc,   \n", 3, 2, ["empty dst"]),
    ("interactions", "src,dst,type\na,b,retweet\na,b,poke\n", 3, 3,
     ["unknown interaction type 'poke'", "--type"]),
    ("interactions", "src,dst,type\na,b,\n", 2, 3, ["empty interaction type"]),
    ("interactions", "src,dst,type,ts\na,b,like,yesterday\n", 2, 4,
     ["cannot read timestamp 'yesterday'", "ISO-8601"]),
    ("interactions", "src,dst,type,ts\na,b,like,1704067200000\n", 2, 4, ["milliseconds"]),
    ("interactions", "src,dst,type,weight\na,b,like,-1\n", 2, 4, ["weight '-1'", ">= 0"]),
    ("interactions", "src,dst,type,weight\na,b,like,lots\n", 2, 4, ["weight 'lots'"]),
    ("interactions", "src,dst,type,weight\na,b,like,nan\n", 2, 4, ["weight 'nan'"]),
    ("follows", "src,dst\na,b\na,b,c\n", 3, 1, ["malformed record", "expected 2 fields"]),
    ("follows", "src,dst\n\na,b\n\n,x\n", 5, 1, ["empty src"]),
    ("follows", 'src,dst\n"multi\nline",b\nc,d\n,e\n', 5, 1, ["empty src"]),
    ("posts", "id,author\np1,\n", 2, 2, ["empty author"]),
    ("users", "id,created_at\nu,2024-13-45\n", 2, 2, ["cannot read timestamp"]),
    ("follows", "src,src\na,b\n", 1, 2, ["appears twice"]),
]


@pytest.mark.parametrize(("table", "text", "line", "column", "words"), BAD_INPUTS)
def test_bad_input_names_file_line_column(tmp_path, table, text, line, column, words):
    d = write_snapshot(tmp_path / "snap", **{table: text})
    with pytest.raises(InputError) as info:
        read_snapshot(d)
    err = info.value
    assert err.path == str(d / f"{table}.csv")
    assert err.line == line
    assert err.column == column
    message = str(err)
    assert message.startswith(f"{d / f'{table}.csv'}:{line}:{column or 1}: ")
    assert " — " in message, "every message says what to do"
    for word in words:
        assert word in message


def test_bad_input_in_gzip_and_jsonl_have_lines(tmp_path):
    d = tmp_path / "gz"
    d.mkdir()
    (d / "follows.csv.gz").write_bytes(gzip.compress(b"src,dst\na,b\n\nc,\n"))
    with pytest.raises(InputError) as info:
        read_snapshot(d)
    assert (info.value.line, info.value.column) == (4, 2)

    j = tmp_path / "jl"
    j.mkdir()
    (j / "follows.jsonl").write_text('{"src": "a", "dst": "b"}\n\n{"src": "", "dst": "b"}\n')
    with pytest.raises(InputError) as info:
        read_snapshot(j)
    assert info.value.line == 3
    (j / "follows.jsonl").write_text('{"src": "a", "dst": "b"}\n{"src": "a", "dst": \n')
    with pytest.raises(InputError) as info:
        read_snapshot(j)
    assert info.value.line == 2
    assert "invalid JSON" in str(info.value)


def test_bad_parquet_row_is_named_by_row(tmp_path):
    d = tmp_path / "pq"
    d.mkdir()
    pq.write_table(pa.table({"src": ["a", "b", ""], "dst": ["b", "c", "d"]}), d / "follows.parquet")
    with pytest.raises(InputError) as info:
        read_snapshot(d)
    assert info.value.line is None and info.value.row == 2
    assert ":row 2:1:" in str(info.value)


def test_skip_mode_counts_add_up_and_rejects_have_reasons(tmp_path):
    text = (
        "src,dst,type,ts\n"
        "a,b,retweet,2024-01-01\n"
        ",b,like,\n"
        "a,b,poke,\n"
        "a,b,like,soon\n"
        "a,b,like,,extra\n"
        "c,d,mention,\n"
    )
    d = write_snapshot(tmp_path / "snap", interactions=text)
    snap = read_snapshot(d, on_error="skip")
    r = snap.reports["interactions"]
    assert (r.read, r.loaded, r.rejected) == (6, 2, 4)
    assert r.read == r.loaded + r.rejected
    rejects = snap.rejects.to_pylist()
    by_line = {row["line"]: row for row in rejects}
    assert set(by_line) == {3, 4, 5, 6}
    assert by_line[3]["column"] == 1 and "empty src" in by_line[3]["reason"]
    assert by_line[4]["column"] == 3 and "poke" in by_line[4]["reason"]
    assert by_line[5]["column"] == 4 and "soon" in by_line[5]["reason"]
    assert "malformed" in by_line[6]["reason"]
    assert all(row["file"] == str(d / "interactions.csv") for row in rejects)
    assert snap.tables["interactions"].column("src").to_pylist() == ["a", "c"]


def test_skip_mode_still_fails_on_missing_required_column(tmp_path):
    d = write_snapshot(tmp_path / "snap", follows="src\na\n")
    with pytest.raises(InputError, match="no 'dst' column"):
        read_snapshot(d, on_error="skip")


def test_extra_interaction_types_can_be_declared(tmp_path):
    d = write_snapshot(tmp_path / "snap", interactions="src,dst,type\na,b,email\n")
    with pytest.raises(InputError):
        read_snapshot(d)
    snap = read_snapshot(d, interaction_types=["Email"])
    assert snap.tables["interactions"].column("type").to_pylist() == ["email"]


def test_empty_directory_and_unknown_paths(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SnapshotError, match="not a snapshot directory"):
        read_snapshot(tmp_path / "empty")
    with pytest.raises(SnapshotError, match="no such file"):
        read_snapshot(tmp_path / "missing")


def test_edgelist_with_comments_tabs_and_weights(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("# a comment\n% another\n1\t2\t3.5\n2\t3\t1\n")
    assert detect_format(path) == "edgelist"
    snap = read_snapshot(path, edge_kind="retweet")
    t = snap.tables["interactions"]
    assert t.column("src").to_pylist() == ["1", "2"]
    assert t.column("weight").to_pylist() == [3.5, 1.0]
    assert t.column("type").to_pylist() == ["retweet", "retweet"]
    path.write_text("# c\n1 2\n2 x y\n")
    with pytest.raises(InputError) as info:
        read_snapshot(path)
    assert info.value.line == 3


def test_edgelist_with_timestamp_column(tmp_path):
    path = tmp_path / "msgs.txt"
    path.write_text("1 2 1082008800\n2 1 1082009000\n")
    snap = read_snapshot(path, edge_kind="message", interaction_types=["message"],
                         columns=["src", "dst", "ts"])
    assert snap.tables["interactions"].column("ts").to_pylist()[0] == datetime(2004, 4, 15, 6, 0)


def test_wiki_vote_published_counts():
    snap = read_snapshot(shared_dataset("wiki-vote", "wiki-Vote.txt.gz"))
    t = snap.tables["follows"]
    assert t.num_rows == 103_689
    ids = set(t.column("src").to_pylist()) | set(t.column("dst").to_pylist())
    assert len(ids) == 7_115


def test_higgs_activity_published_counts():
    path = shared_dataset("higgs-twitter")
    assert detect_format(path) == "higgs"
    snap = read_snapshot(path)
    t = snap.tables["interactions"]
    assert t.num_rows == 563_069
    counts = dict(zip(*pa.compute.value_counts(t.column("type")).flatten(), strict=True))
    counts = {k.as_py(): v.as_py() for k, v in counts.items()}
    assert counts == {"retweet": 354_930, "mention": 171_237, "reply": 36_902}
    users = set(t.column("src").to_pylist()) | set(t.column("dst").to_pylist())
    assert len(users) == 304_691
    ts = t.column("ts")
    assert pa.compute.min(ts).as_py() == datetime(2012, 7, 1, 0, 2, 52)
    assert pa.compute.max(ts).as_py() == datetime(2012, 7, 7, 23, 59, 53)


def test_higgs_edgelist_layers_sum_to_activity_counts(tmp_path):
    src = shared_dataset("higgs-twitter")
    for layer in ("retweet", "reply", "mention"):
        name = f"higgs-{layer}_network.edgelist.gz"
        (tmp_path / name).symlink_to(src / name)
    snap = read_snapshot(tmp_path)
    t = snap.tables["interactions"]
    assert t.num_rows == 328_132 + 32_523 + 150_818
    total = pa.compute.sum(t.column("weight")).as_py()
    assert total == 354_930 + 36_902 + 171_237


def test_bare_loader_paths_are_not_importable_as_top_level(tmp_path):
    # `loaders/` and `algorithms/` install as graph_influence.loaders / .algorithms only. Checked
    # in a fresh interpreter started in an empty folder (not the checkout, whose root would make
    # the bare folders importable, and isolated from PYTHONPATH), plus a scan of the sources for
    # bare imports that a lazy (in-function) import would hide from the first check.
    import ast
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    bare = ("loaders", "algorithms")
    probe = (
        "import importlib, json, sys\n"
        "out = {}\n"
        "for name in ('loaders', 'algorithms', 'graph_influence.loaders',"
        " 'graph_influence.algorithms'):\n"
        "    try:\n"
        "        out[name] = importlib.import_module(name).__file__\n"
        "    except ModuleNotFoundError as exc:\n"
        "        out[name] = 'missing: ' + str(exc.name)\n"
        "out['bare in sys.modules'] = sorted(set(sys.modules) & {'loaders', 'algorithms'})\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-I", "-c", probe], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["loaders"] == "missing: loaders", seen
    assert seen["algorithms"] == "missing: algorithms", seen
    assert Path(seen["graph_influence.loaders"]).resolve().parent.name == "loaders", seen
    assert Path(seen["graph_influence.algorithms"]).resolve().parent.name == "algorithms", seen
    assert seen["bare in sys.modules"] == [], seen

    def bare_imports(source: str, filename: str) -> list[str]:
        found = []
        for node in ast.walk(ast.parse(source, filename)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (isinstance(node, ast.Call) and node.args
                  and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                  and getattr(node.func, "attr", getattr(node.func, "id", None))
                  in ("import_module", "__import__", "find_spec")):
                names = [node.args[0].value]
            else:
                continue
            found += [f"{filename}:{node.lineno}: {n}" for n in names if n.split(".")[0] in bare]
        return found

    # the scan itself sees every form it is meant to catch
    crafted = ("import loaders\nfrom algorithms.pagerank import pagerank\nimport os, loaders.files\n"
               "def f():\n    import importlib\n    return importlib.import_module('algorithms')\n"
               "from graph_influence.loaders import read_snapshot\nfrom . import loaders\n")
    assert [hit.split(": ")[1] for hit in bare_imports(crafted, "crafted.py")] == [
        "loaders", "algorithms.pagerank", "loaders.files", "algorithms"]
    sources = sorted(path for folder in ("graph_influence", *bare, "bench", "tests")
                     for path in (repo / folder).rglob("*.py") if ".work" not in path.parts)
    assert repo / "loaders" / "__init__.py" in sources and repo / "algorithms" / "pagerank.py" in sources
    hits = [hit for path in sources
            for hit in bare_imports(path.read_text(encoding="utf-8"), str(path.relative_to(repo)))]
    assert hits == [], "import graph_influence.loaders / .algorithms, not the bare folders"


def test_path_type(tmp_path):
    assert isinstance(read_snapshot(write_snapshot(tmp_path, follows="src,dst\na,b\n")).source, str)
    assert Path(tmp_path).exists()


def test_blank_ids_include_unicode_whitespace_and_nothing_else():
    from graph_influence.loaders.validate import _blank

    values = ["a", "", " ", "\t x", " \u00a0", "\u3000", None, "b ", "\u2003\u2003", "é", "\u00e9 "]
    expected = [v is None or v.strip() == "" for v in values]  # Python's own notion of space
    assert _blank(pa.array(values)).tolist() == expected
    assert _blank(pa.array(values).slice(3)).tolist() == expected[3:]
    assert _blank(pa.array(["", ""], pa.large_string())).tolist() == [True, True]


def test_integer_epoch_fast_path_matches_the_general_parser():
    from graph_influence.loaders.validate import parse_timestamps

    epochs = pa.array(["1704067200", "0", "-86400", "1704067200000"])
    ts, bad, millis = parse_timestamps(epochs)
    assert millis.tolist() == [False, False, False, True] and not bad.any()
    general, _, millis2 = parse_timestamps(pa.array([" 1704067200", "0", "-86400", "1704067200000"]))
    assert ts.to_pylist() == general.to_pylist() and millis2.tolist() == millis.tolist()
    assert ts[0].as_py() == datetime(2024, 1, 1)


def test_empty_strings_become_nulls_without_copying_the_bytes():
    from graph_influence.loaders.validate import _empty_as_null

    arr = pa.array(["x", "", "yz", "", None, "w"])
    out = _empty_as_null(arr)
    assert out.to_pylist() == ["x", None, "yz", None, None, "w"]
    assert out.buffers()[2].address == arr.buffers()[2].address  # the same bytes
    assert _empty_as_null(arr.slice(1)).to_pylist() == [None, "yz", None, None, "w"]
    unchanged = pa.array(["a", "b"])
    assert _empty_as_null(unchanged) is unchanged


def test_snapshot_directory_tables_may_be_tsv_and_zstandard(tmp_path):
    import zstandard

    zst = zstandard.ZstdCompressor(compression_params=zstandard.ZstdCompressionParameters
                                   .from_level(3, window_log=27))  # a window Arrow refuses
    (tmp_path / "follows.tsv.zst").write_bytes(zst.compress(b"src\tdst\na\tb\nb\tc\n"))
    (tmp_path / "interactions.jsonl.zst").write_bytes(
        zst.compress(b'{"src": "a", "dst": "c", "type": "like"}\n'))
    (tmp_path / "users.tsv").write_text("id\tname\na\tAnn Lee\n")
    snap = read_snapshot(tmp_path)
    assert snap.format == "dir"
    assert {k: r.loaded for k, r in snap.reports.items()} == {
        "users": 1, "follows": 2, "interactions": 1, "posts": 0}
    assert snap.tables["users"]["name"].to_pylist() == ["Ann Lee"]
