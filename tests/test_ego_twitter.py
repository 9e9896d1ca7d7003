"""SNAP ego-Twitter loader: the shared 188-ego sample's published counts, archive = directory,
a hand-made network with known follows and topics, and the bad-input matrix."""

from __future__ import annotations

import io
import tarfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graph_influence as gi
from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders import detect_format, format_names, read_snapshot
from graph_influence.loaders.ego_twitter import read_ego_twitter
from graph_influence.loaders.validate import REJECT_COLUMNS, empty_table
from graph_influence.schema import TABLES

from .conftest import shared_dataset

SAMPLE = ("ego-twitter-sample", "twitter_sample.tar.gz")

#: Users having each hashtag (distinct users, egos included via .egofeat).
HASHTAG_USERS = {"#FF": 1_975, "#1": 1_105, "#...": 578, "#ff": 571, "#MW3": 393,
                 "#BlackOps2": 331}
#: The README's "users having them": these count .feat rows, one per (ego, alter) pair.
README_HASHTAG_ROWS = {"#FF": 2_671, "#1": 1_428, "#...": 742, "#ff": 718, "#MW3": 660,
                       "#BlackOps2": 654}


def _pairs(table: pa.Table) -> set[tuple[str, str]]:
    return set(zip(table["src"].to_pylist(), table["dst"].to_pylist(), strict=True))


def _distinct_pairs(table: pa.Table) -> int:
    return table.group_by(["src", "dst"]).aggregate([]).num_rows


def _topics(snap) -> dict[str, str | None]:
    users = snap.tables["users"]
    return dict(zip(users["id"].to_pylist(), users["topics"].to_pylist(), strict=True))


def _balanced(snap) -> None:
    for name, r in snap.reports.items():
        assert r.read == r.loaded + r.rejected, name
        assert r.loaded == snap.tables[name].num_rows, name
    assert snap.rejects.num_rows == sum(r.rejected for r in snap.reports.values())
    assert tuple(snap.rejects.column_names) == REJECT_COLUMNS


# -- the shared sample ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive() -> Path:
    return shared_dataset(*SAMPLE)


@pytest.fixture(scope="module")
def sample(archive):
    return read_ego_twitter(archive)


@pytest.fixture(scope="module")
def extracted(archive, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ego-twitter")
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    return out


@pytest.mark.slow
def test_sample_published_counts(archive, sample):
    egos = shared_dataset("ego-twitter-sample", "egos.txt").read_text().split()
    assert len(egos) == 188
    users, follows = sample.tables["users"], sample.tables["follows"]
    assert users.num_rows == 20_332
    assert users["id"].to_pylist() == sorted(set(users["id"].to_pylist()))  # one row per user
    assert set(egos) <= set(users["id"].to_pylist())
    assert len(sample.reports["follows"].files) == 188  # one .edges per ego
    assert _distinct_pairs(follows) == 405_118  # with the implicit ego -> alter follows
    assert _distinct_pairs(read_ego_twitter(archive, ego_follows=False).tables["follows"]) \
        == 382_052
    for name in TABLES:
        assert sample.tables[name].schema == empty_table(TABLES[name]).schema, name
    assert sample.format == "ego-twitter"
    assert sample.rejects.num_rows == 0
    _balanced(sample)


@pytest.mark.slow
def test_sample_hashtag_users_and_what_the_readme_counts(sample, extracted):
    counts = Counter(t for topics in _topics(sample).values() if topics
                     for t in topics.split(";"))
    assert {tag: counts[tag] for tag in HASHTAG_USERS} == HASHTAG_USERS
    assert not any(t.startswith("@") for t in counts)  # mentions only on request
    assert not any(";" in t for t in counts)

    # Oracle with another parser (pandas): distinct users per hashtag equal the loader's, and
    # the README's figures are the number of .feat rows having it (one per ego and alter).
    rows: Counter[str] = Counter()
    users: dict[str, set[str]] = {tag: set() for tag in HASHTAG_USERS}
    for names_file in sorted((extracted / "twitter").glob("*.featnames")):
        ego = names_file.stem
        names = dict(line.split(" ", 1)[::-1] for line in names_file.read_text().splitlines())
        cols = {tag: int(names[tag]) for tag in HASHTAG_USERS if tag in names}
        if not cols:
            continue
        feat = pd.read_csv(names_file.with_suffix(".feat"), sep=" ", header=None,
                           usecols=[0, *(c + 1 for c in cols.values())], dtype=str)
        egofeat = (names_file.with_suffix(".egofeat")).read_text().split()
        for tag, c in cols.items():
            having = feat.loc[feat[c + 1] == "1", 0]
            rows[tag] += len(having)
            users[tag] |= set(having)
            if egofeat[c] == "1":
                users[tag].add(ego)
    assert dict(rows) == README_HASHTAG_ROWS
    assert {tag: len(u) for tag, u in users.items()} == HASHTAG_USERS


@pytest.mark.slow
def test_sample_mentions_on_request(archive):
    snap = read_ego_twitter(archive, include_mentions=True)
    counts = Counter(t for topics in _topics(snap).values() if topics for t in topics.split(";"))
    assert counts["#FF"] == HASHTAG_USERS["#FF"]
    assert counts["@YouTube"] > 0 and counts["@youtube"] > 0  # case kept


@pytest.mark.slow
def test_archive_and_extracted_directory_give_identical_tables(archive, sample, extracted):
    assert "ego-twitter" in format_names()
    for path in (archive, extracted, extracted / "twitter"):
        assert detect_format(path) == "ego-twitter"
    snap = read_snapshot(extracted)  # the folder holding twitter/
    assert snap.format == "ego-twitter"
    for name in TABLES:
        assert snap.tables[name].equals(sample.tables[name]), name
    for name, r in snap.reports.items():
        ref = sample.reports[name]
        assert (r.read, r.loaded, r.rejected) == (ref.read, ref.loaded, ref.rejected)


@pytest.mark.slow
def test_sample_loads_into_the_embedded_store(archive, tmp_path):
    with gi.open_store(tmp_path / "x.duckdb") as store:
        summary, rejects = gi.load_snapshot(store, archive)
        counts = store.counts()
    assert rejects is None
    assert summary.format == "ego-twitter"
    assert counts["users"] == 20_332
    assert counts["follows"] == 405_118
    follows = summary.reports["follows"]
    assert follows.duplicates == follows.loaded - 405_118  # pairs repeated across egos
    assert follows.self_loops == 2  # 611823 and 858051 follow themselves in their egos' .edges


# -- a hand-made network --------------------------------------------------------------------------

TINY = {
    # ego 10: alters 11, 12, 13 in .edges; 14 only in .feat
    "10.edges": "11 12\n12 11\n11 13\n",
    "10.featnames": "0 #a\n1 @m\n2 #b;c\n3 #A\n4 #z\n",
    "10.feat": "11 1 1 0 0 0\n12 0 0 1 1 0\n14 0 0 0 0 1\n",
    "10.egofeat": "1 1 1 0 0\n",
    "10.circles": "friends\t11\t12\n",
    # ego 11 (an alter of 10) has 10 among its own alters; its feature indexes differ
    "11.edges": "15 10\n",
    "11.featnames": "0 #z\n1 #a\n",
    "11.feat": "15 1 1\n10 0 1\n",
    "11.egofeat": "1 0\n",
}

TINY_FOLLOWS = [
    ("11", "12"), ("12", "11"), ("11", "13"),  # 10.edges
    ("10", "11"), ("10", "12"), ("10", "13"), ("10", "14"),  # ego 10 follows its network
    ("15", "10"),  # 11.edges
    ("11", "10"), ("11", "15"),  # ego 11 follows its network
]


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def _tar(path: Path, files: dict[str, str], folder: str = "twitter/") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(folder + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_tiny_network_follows_and_topics(tmp_path):
    snap = read_ego_twitter(_write(tmp_path / "net", TINY))
    follows = snap.tables["follows"]
    assert list(zip(follows["src"].to_pylist(), follows["dst"].to_pylist(), strict=True)) \
        == TINY_FOLLOWS
    assert _topics(snap) == {
        "10": "#a",  # .egofeat of 10 (@m is a mention, '#b;c' is dropped) and 11.feat
        "11": "#a;#z",  # 10.feat and its own .egofeat
        "12": "#A",  # case kept; '#b;c' dropped
        "13": None,
        "14": "#z",
        "15": "#a;#z",  # 11.feat, joined by name
    }
    assert _topics(read_ego_twitter(tmp_path / "net", include_mentions=True)) == {
        "10": "#a;@m", "11": "#a;#z;@m", "12": "#A", "13": None, "14": "#z", "15": "#a;#z",
    }
    r = snap.reports["follows"]
    assert (r.read, r.loaded, r.rejected) == (10, 10, 0)
    _balanced(snap)


def test_tiny_archive_equals_directory_and_is_detected(tmp_path):
    directory = _write(tmp_path / "net", TINY)
    archive = _tar(tmp_path / "twitter.tar.gz", TINY)
    assert detect_format(directory) == "ego-twitter"
    assert detect_format(archive) == "ego-twitter"
    a, d = read_snapshot(archive), read_snapshot(directory)
    for name in TABLES:
        assert a.tables[name].equals(d.tables[name]), name
    assert a.fingerprint != d.fingerprint  # the archive's bytes vs the files' bytes


def test_blank_lines_crlf_and_a_lone_edges_file_are_fine(tmp_path):
    snap = read_ego_twitter(_write(tmp_path, {"7.edges": "\n1 2\r\n\r\n3 1\n"}))
    assert _pairs(snap.tables["follows"]) == {("1", "2"), ("3", "1"), ("7", "1"), ("7", "2"),
                                              ("7", "3")}
    assert _topics(snap) == {"1": None, "2": None, "3": None, "7": None}


def test_other_archives_and_directories_are_not_ego_twitter(tmp_path):
    other = _tar(tmp_path / "other.tar.gz", {"users.csv": "id\na\n"}, folder="snap/")
    assert detect_format(other) == "edgelist"
    with pytest.raises(SnapshotError, match="not a snapshot directory"):
        detect_format(_write(tmp_path / "edges-only", {"1.edges": "1 2\n"}))  # no .featnames
    with pytest.raises(SnapshotError, match="no ego networks"):
        read_ego_twitter(_write(tmp_path / "empty", {"notes.txt": "hello\n"}))
    with pytest.raises(SnapshotError, match="not an ego-Twitter"):
        read_ego_twitter(tmp_path / "empty" / "notes.txt")


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "line", "column", "problem"),
    [
        ("10.edges", "11 12\n\n11 12 13\n", 3, 1, "expected 2 fields (follower followed), found 3"),
        ("10.edges", "11 12\n11\n", 2, 1, "found 1"),
        ("10.edges", "11 12\n12 x13\n", 2, 2, "node id 'x13' is not a number"),
        ("10.feat", "11 1 1 0 0 0\n12 0 0 1 1\n", 2, 1, "expected 6 fields"),
        ("10.feat", "11 1 1 0 0 0\n12 0 0 2 1 0\n", 2, 4, "feature value '2' is not 0 or 1"),
        ("10.feat", "1a 1 1 0 0 0\n", 1, 1, "node id '1a' is not a number"),
        ("10.egofeat", "1 1 1 0\n", 1, 1, "expected 5 fields (5 feature values), found 4"),
        ("10.featnames", "0 #a\n1 @m\n3 #b;c\n3 #A\n4 #z\n", 3, 1,
         "feature index '3' out of order, expected 2"),
        ("10.featnames", "0 #a\n1\n2 #b\n3 #A\n4 #z\n", 2, 1, "expected an index and a name"),
    ],
)
def test_bad_record_names_file_line_and_column(tmp_path, name, text, line, column, problem):
    directory = _write(tmp_path / "net", {**TINY, name: text})
    with pytest.raises(InputError) as err:
        read_ego_twitter(directory)
    e = err.value
    assert Path(e.path) == directory / name
    assert (e.line, e.column) == (line, column)
    assert problem in e.problem
    assert f"{name}:{line}:{column}: " in str(e)


def test_bad_record_in_the_archive_names_the_member(tmp_path):
    archive = _tar(tmp_path / "twitter.tar.gz", {**TINY, "11.edges": "15 10\n15\n"})
    with pytest.raises(InputError) as err:
        read_snapshot(archive)
    assert err.value.path == f"{archive}!twitter/11.edges"
    assert str(err.value).startswith(f"{archive}!twitter/11.edges:2:1: expected 2 fields")


def test_skip_mode_rejects_bad_records_and_counts_add_up(tmp_path):
    bad = {
        **TINY,
        "10.edges": "11 12\n12 11 9\n11 13\n",  # line 2 rejected
        "10.feat": "11 1 1 0 0 0\n12 0 0 1 1\n14 0 0 0 0 7\n",  # rows 2 and 3 rejected
        "10.featnames": "0 #a\n1 @m\n2 #b;c\n9 #A\n4 #z\n",  # line 4 rejected: no #A
    }
    snap = read_ego_twitter(_write(tmp_path / "net", bad), on_error="skip")
    rejects = snap.rejects.to_pylist()
    where = [(Path(r["file"]).name, r["table"], r["line"], r["column"]) for r in rejects]
    assert where == [
        ("10.edges", "follows", 2, 1),
        ("10.featnames", "users", 4, 1),
        ("10.feat", "users", 2, 1),
        ("10.feat", "users", 3, 6),
    ]
    assert rejects[0]["record"] == "12 11 9"
    assert "not 0 or 1" in rejects[3]["reason"]
    # 12 still comes from 10.edges; 14 was only in the rejected .feat row
    assert _pairs(snap.tables["follows"]) == {
        ("11", "12"), ("11", "13"), ("10", "11"), ("10", "12"), ("10", "13"),
        ("15", "10"), ("11", "10"), ("11", "15"),
    }
    assert _topics(snap) == {"10": "#a", "11": "#a;#z", "12": None, "13": None, "15": "#a;#z"}
    assert snap.reports["follows"].rejected == 1
    assert snap.reports["users"].rejected == 3
    _balanced(snap)


def test_missing_featnames_and_bad_options(tmp_path):
    files = {k: v for k, v in TINY.items() if k != "11.featnames"}
    with pytest.raises(SnapshotError, match=r"11\.feat.*no 11\.featnames"):
        read_ego_twitter(_write(tmp_path / "net", files))
    with pytest.raises(ValueError, match="on_error"):
        read_ego_twitter(tmp_path / "net", on_error="ignore")


POOL = ["#a", "#A", "@m", "#b;c", "#z", "#é"]
node_ids = st.integers(1, 9).map(str)


@st.composite
def networks(draw):
    """A few ego networks: edges among small ids, per-ego vocabularies and 0/1 vectors."""
    out = {}
    for ego in draw(st.lists(st.integers(1, 6).map(str), min_size=1, max_size=3, unique=True)):
        names = draw(st.permutations(POOL))[: draw(st.integers(0, len(POOL)))]
        edges = draw(st.lists(st.tuples(node_ids, node_ids), max_size=8))
        feat = draw(st.lists(st.tuples(node_ids, st.lists(st.booleans(), min_size=len(names),
                                                          max_size=len(names))), max_size=5))
        ego_vec = draw(st.lists(st.booleans(), min_size=len(names), max_size=len(names)))
        out[ego] = (edges, names, feat, ego_vec)
    return out


def _bits(vec) -> str:
    return " ".join("1" if v else "0" for v in vec)


@settings(max_examples=40, deadline=None)
@given(networks())
def test_property_follows_and_topics_match_a_plain_python_oracle(nets):
    import tempfile

    files, follows, topics = {}, [], {}
    for ego in sorted(nets):
        edges, names, feat, ego_vec = nets[ego]
        files[f"{ego}.edges"] = "".join(f"{a} {b}\n" for a, b in edges)
        files[f"{ego}.featnames"] = "".join(f"{i} {n}\n" for i, n in enumerate(names))
        files[f"{ego}.feat"] = "".join(f"{u} {_bits(v)}\n".replace(" \n", "\n")
                                       for u, v in feat)
        files[f"{ego}.egofeat"] = _bits(ego_vec) + "\n"
        nodes = {x for e in edges for x in e} | {u for u, _ in feat}
        follows += edges + [(ego, n) for n in sorted(nodes - {ego})]
        for user, vec in [*feat, (ego, ego_vec)]:
            mine = topics.setdefault(user, set())
            mine |= {n for n, v in zip(names, vec, strict=True)
                     if v and n.startswith("#") and ";" not in n}
        for n in nodes:
            topics.setdefault(n, set())
    with tempfile.TemporaryDirectory() as tmp:
        directory = _write(Path(tmp) / "net", files)
        snap = read_ego_twitter(directory)
        archive = read_ego_twitter(_tar(Path(tmp) / "t.tar.gz", files))
    got = snap.tables["follows"]
    assert list(zip(got["src"].to_pylist(), got["dst"].to_pylist(), strict=True)) == follows
    assert _topics(snap) == {u: ";".join(sorted(t)) or None for u, t in sorted(topics.items())}
    for name in TABLES:
        assert archive.tables[name].equals(snap.tables[name])
    _balanced(snap)


def test_docstring_example(tmp_path, monkeypatch):
    import doctest

    from graph_influence.loaders import ego_twitter

    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(ego_twitter, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
