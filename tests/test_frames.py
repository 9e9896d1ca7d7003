"""gi.load_frames: DataFrames and Arrow tables in, with the checks and guarantees of a file."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

import graph_influence as gi
from graph_influence.errors import InputError, SnapshotError
from graph_influence.stores import DuckDBStore


def _frames():
    return {
        "users": pd.DataFrame({"id": ["alice", "bob", "carol"], "name": ["Alice", "Bob", None],
                               "topics": ["python;data", None, "data"],
                               "country": ["fr", "de", None]}),
        "follows": pd.DataFrame({"src": ["bob", "carol", "alice"],
                                 "dst": ["alice", "alice", "carol"]}),
        "interactions": pa.table({
            "src": ["bob", "carol", "bob"], "dst": ["alice", "alice", "alice"],
            "type": ["retweet", "Like", "reply"],
            "ts": pa.array([1704153600, 1704240000, 1704326400], pa.int64()),
            "post_id": ["p1", "p1", None]}),
        "posts": pd.DataFrame({"id": ["p1"], "author": ["alice"],
                               "ts": pd.to_datetime(["2024-01-01T12:00:00Z"]),
                               "text": ["Hello #python"]}),
    }


def _csv_dir(tmp_path):
    d = tmp_path / "snap"
    d.mkdir()
    for name, frame in _frames().items():
        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(
            frame, preserve_index=False)
        table.to_pandas().to_csv(d / f"{name}.csv", index=False)
    return d


def test_frames_load_what_the_same_files_load(tmp_path):
    with DuckDBStore(tmp_path / "f.duckdb") as a, DuckDBStore(tmp_path / "c.duckdb") as b:
        summary, rejects = gi.load_frames(a, **_frames(), progress=False)
        gi.load_snapshot(b, _csv_dir(tmp_path), progress=False)
        assert rejects is None and summary.format == "frames"
        assert a.counts() == b.counts() == {"users": 3, "follows": 3, "interactions": 3,
                                            "posts": 1}
        cols = ["src", "dst", "type", "ts", "post_id"]
        assert a.events()[cols].equals(b.events()[cols])
        ra, rb = gi.analyze(a, progress=False), gi.analyze(b, progress=False)
        assert ra.scores[["id", "rank"]].equals(rb.scores[["id", "rank"]])
        assert ra.scores["influence"].tolist() == pytest.approx(rb.scores["influence"].tolist(),
                                                                abs=1e-15)
        assert ra.topics.names == rb.topics.names


def test_the_same_frames_again_add_nothing(tmp_path):
    with DuckDBStore(tmp_path / "f.duckdb") as store:
        first, _ = gi.load_frames(store, **_frames(), progress=False)
        counts = store.counts()
        again, _ = gi.load_frames(store, **_frames(), progress=False)
        assert store.counts() == counts
        assert again.already_loaded_as == first.load_id


def test_a_bad_row_is_named_and_nothing_is_loaded(tmp_path):
    bad = pd.DataFrame({"src": ["a", "b"], "dst": ["b", "c"], "type": ["like", "poke"]})
    with DuckDBStore(tmp_path / "f.duckdb") as store:
        with pytest.raises(InputError, match=r"^<interactions frame>:row 1:3: unknown "
                                             r"interaction type 'poke'"):
            gi.load_frames(store, interactions=bad, progress=False)
        assert store.counts()["interactions"] == 0 and store.loads() == []
        summary, rejects = gi.load_frames(store, interactions=bad, on_error="skip",
                                          rejects=tmp_path / "rej.csv", progress=False)
        r = summary.reports["interactions"]
        assert (r.read, r.loaded, r.rejected) == (2, 1, 1)
        assert "poke" in rejects.read_text()


def test_nothing_or_not_a_table_is_a_clear_error(tmp_path):
    with DuckDBStore(tmp_path / "f.duckdb") as store:
        with pytest.raises(SnapshotError, match="give at least one of users="):
            gi.load_frames(store, progress=False)
        with pytest.raises(SnapshotError, match="follows= must be a pandas DataFrame or an "
                                                "Arrow table, not list"):
            gi.load_frames(store, follows=[("a", "b")], progress=False)
