"""Edge lists as warehouses and tools write them: header rows, named columns."""

from __future__ import annotations

import pytest

from graph_influence.errors import InputError
from graph_influence.loaders import importers, read_snapshot


def _edges(snap, table="follows"):
    t = snap.tables[table]
    return list(zip(t["src"].to_pylist(), t["dst"].to_pylist(), strict=True))


@pytest.mark.parametrize(("text", "weights"), [
    ("src,dst\na,b\nb,c\n", None),
    ("Source\tTarget\tWeight\na\tb\t2\nb\tc\t3\n", [2.0, 3.0]),
    ("# a comment\nfrom to\na b\nb c\n", None),
])
def test_a_header_row_names_the_columns_and_is_not_an_edge(tmp_path, text, weights):
    path = tmp_path / "edges.txt"
    path.write_text(text)
    snap = read_snapshot(path, format="edgelist")
    assert _edges(snap) == [("a", "b"), ("b", "c")]
    assert snap.reports["follows"].read == 2
    if weights:
        assert snap.tables["follows"].num_rows == 2
        inter = read_snapshot(path, format="edgelist", edge_kind="retweet")
        assert inter.tables["interactions"]["weight"].to_pylist() == weights


def test_a_header_with_a_timestamp_column(tmp_path):
    path = tmp_path / "edges.csv.gz"
    import gzip

    path.write_bytes(gzip.compress(b"from,to,timestamp\na,b,Wed Oct 10 20:19:24 +0000 2018\n"))
    snap = read_snapshot(path, format="edgelist", edge_kind="reply")
    t = snap.tables["interactions"]
    assert _edges(snap, "interactions") == [("a", "b")]
    assert t["ts"].to_pylist()[0].isoformat() == "2018-10-10T20:19:24"


def test_errors_after_a_header_name_the_right_line(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("src,dst\na,b\nc,\n")
    with pytest.raises(InputError, match=r"edges.csv:3:2: empty dst"):
        read_snapshot(path, format="edgelist")


def test_ids_that_merely_look_like_words_are_data(tmp_path):
    # 'alice bob' is not a header: only known column names are
    path = tmp_path / "edges.txt"
    path.write_text("alice bob\nbob carol\n")
    assert _edges(read_snapshot(path)) == [("alice", "bob"), ("bob", "carol")]
    # nor is a line that names one column twice
    path.write_text("src src\nx y\n")
    assert _edges(read_snapshot(path)) == [("src", "src"), ("x", "y")]


def test_auto_detection_that_cannot_decide_names_the_formats_it_considered(tmp_path):
    from graph_influence.errors import SnapshotError

    path = tmp_path / "export.json"
    path.write_text('{"statuses": [{"id": 1}]}\n')
    with pytest.raises(SnapshotError, match=r"export.json: cannot tell its format — it is JSON, "
                                            r"but no format recognises its first record") as err:
        read_snapshot(path)
    considered = [i.name for i in importers() if i.detect is not None]
    assert {"dir", "twitter"} <= set(considered)
    assert f"(considered: {', '.join(considered)})" in str(err.value)
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(SnapshotError, match="give --format"):
        read_snapshot(folder)
