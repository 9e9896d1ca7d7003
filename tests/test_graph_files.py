"""GraphML / GEXF / GML in (``load --format graph``) and out (``export x.graphml|x.gexf``).

networkx, reading the same files, is the independent oracle for counts and values; the shared
SNAP and Newman datasets are the real inputs.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from typer.testing import CliRunner

from graph_influence.cli import app
from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders import detect_format, read_snapshot
from graph_influence.loaders.graph_files import read_graph_file
from graph_influence.stores import DuckDBStore

from .conftest import shared_dataset

runner = CliRunner()


def cli(*args, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    return result


def load_report(path, store, *extra) -> dict:
    out = cli("load", path, "--store", store, "--report-format", "json", *extra).stdout
    return json.loads(out)["tables"]


GRAPHML = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="n" for="node" attr.name="name" attr.type="string"/>
  <key id="f" for="node" attr.name="followers" attr.type="int"/>
  <key id="c" for="node" attr.name="created_at" attr.type="string"/>
  <key id="tp" for="node" attr.name="topics" attr.type="string"/>
  <key id="lang" for="node" attr.name="lang" attr.type="string"><default>en</default></key>
  <key id="t" for="edge" attr.name="type" attr.type="string"/>
  <key id="w" for="edge" attr.name="weight" attr.type="double"/>
  <key id="ts" for="edge" attr.name="timestamp" attr.type="long"/>
  <key id="note" for="edge" attr.name="note" attr.type="string"/>
  <graph edgedefault="directed">
    <node id="alice"><data key="n">Alice</data><data key="f">120</data>
      <data key="c">2020-01-01T00:00:00Z</data><data key="tp">python;data</data></node>
    <node id="bob"><data key="n">Bob</data><data key="f">7</data><data key="lang">fr</data>
      <data key="tp">python</data></node>
    <node id="carol"><data key="tp">python</data></node>
    <node id="dave"/>
    <edge source="bob" target="alice"/>
    <edge source="carol" target="alice"><data key="t">follow</data></edge>
    <edge source="bob" target="alice"><data key="t">retweet</data><data key="w">2.5</data>
      <data key="ts">1704153600</data></edge>
    <edge source="bob" target="alice"><data key="t">retweet</data>
      <data key="ts">1704240000</data><data key="note">again</data></edge>
    <edge source="carol" target="alice"><data key="t">Reply</data><data key="ts">1704326400</data></edge>
    <edge source="alice" target="carol"><data key="t">mention</data></edge>
    <edge source="dave" target="alice"><data key="t">like</data></edge>
    <edge source="erin" target="bob"/>
  </graph>
</graphml>
"""


@pytest.fixture
def graphml(tmp_path) -> Path:
    path = tmp_path / "net.graphml"
    path.write_text(GRAPHML, encoding="utf-8")
    return path


def test_graphml_nodes_and_edge_attributes(graphml):
    oracle = nx.read_graphml(graphml)
    snap = read_graph_file(graphml)
    users = {r["id"]: r for r in snap.tables["users"].to_pylist()}
    # users: the declared nodes (erin only appears in an edge: the store creates her)
    assert set(users) == {"alice", "bob", "carol", "dave"} == set(oracle) - {"erin"}
    assert users["alice"]["name"] == "Alice" and users["dave"]["name"] is None
    assert users["alice"]["topics"] == "python;data"
    assert str(users["alice"]["created_at"]) == "2020-01-01 00:00:00"
    assert json.loads(users["alice"]["attributes"]) == {"followers": "120", "lang": "en"}
    assert json.loads(users["bob"]["attributes"]) == {"followers": "7", "lang": "fr"}
    # edges: follows by default, interactions where the edge has a type
    follows = {(r["src"], r["dst"]) for r in snap.tables["follows"].to_pylist()}
    assert follows == {("bob", "alice"), ("carol", "alice"), ("erin", "bob")}
    inter = snap.tables["interactions"].to_pandas()
    typed = [(u, v, d["type"]) for u, v, d in oracle.edges(data=True)
             if d.get("type", "follow") != "follow"]
    assert sorted(zip(inter.src, inter.dst, inter.type, strict=True)) == sorted(
        (u, v, t.lower()) for u, v, t in typed)
    retweets = inter[inter.type == "retweet"].sort_values("ts")
    assert retweets.weight.tolist() == [2.5, 1.0]
    assert retweets.ts.tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert snap.reports["interactions"].ignored_columns == ["note"]
    assert snap.reports["follows"].ignored_columns == []  # no follow edge has a weight
    assert sum(snap.reports[t].read for t in ("follows", "interactions")) == (
        oracle.number_of_edges())


def test_graph_files_are_detected_also_compressed(tmp_path, graphml):
    packed = tmp_path / "net.graphml.gz"
    packed.write_bytes(gzip.compress(graphml.read_bytes()))
    for path in (graphml, packed):
        assert detect_format(path) == "graph"
    assert read_snapshot(packed).tables["interactions"].num_rows == 5
    (tmp_path / "g.gexf").write_text("<gexf/>")
    (tmp_path / "g.gml").write_text("graph [ ]")
    assert detect_format(tmp_path / "g.gexf") == detect_format(tmp_path / "g.gml") == "graph"


def test_gexf_written_by_networkx(tmp_path):
    g = nx.MultiDiGraph()
    g.add_node("a", label="Alice", followers=3, verified=True)
    g.add_node("b", label="Bob")
    g.add_node("c")
    g.add_edge("a", "b", type="retweet", weight=2.0, timestamp=1700000000)
    g.add_edge("a", "b", type="retweet", weight=1.0, timestamp=1700000100)
    g.add_edge("b", "a")
    g.add_edge("c", "a", type="mention")
    path = tmp_path / "w.gexf"
    nx.write_gexf(g, path)
    oracle = nx.read_gexf(path)
    snap = read_graph_file(path)
    users = {r["id"]: r for r in snap.tables["users"].to_pylist()}
    assert set(users) == set(oracle)
    assert {k: users[k]["name"] for k in users} == {n: d["label"] for n, d in
                                                   oracle.nodes(data=True)}
    assert json.loads(users["a"]["attributes"]) == {"followers": "3", "verified": "true"}
    assert snap.reports["interactions"].read + snap.reports["follows"].read == (
        oracle.number_of_edges()) == 4
    # read_gexf drops the type networkx wrote into the edge's XML `type`; the loader keeps it
    inter = snap.tables["interactions"].to_pylist()
    assert sorted((r["src"], r["dst"], r["type"], r["weight"], str(r["ts"])) for r in inter) == [
        ("a", "b", "retweet", 1.0, "2023-11-14 22:15:00"),
        ("a", "b", "retweet", 2.0, "2023-11-14 22:13:20"),
        ("c", "a", "mention", 1.0, "None")]
    assert snap.tables["follows"].to_pylist() == [{"src": "b", "dst": "a", "ts": None}]


GEXF = """<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://gexf.net/1.3" version="1.3">
  <graph defaultedgetype="directed">
    <attributes class="node">
      <attribute id="0" title="country" type="string"><default>unknown</default></attribute>
      <attribute id="1" title="followers" type="integer"/>
    </attributes>
    <attributes class="edge">
      <attribute id="k" title="kind" type="string"/>
      <attribute id="d" title="date" type="string"/>
    </attributes>
    <nodes>
      <node id="1" label="Ann &amp; Co">
        <attvalues><attvalue for="0" value="fr"/><attvalue for="1" value="10"/></attvalues>
      </node>
      <node id="2" label="Ben"/>
      <node id="3" label="Cid"/>
    </nodes>
    <edges>
      <edge id="e1" source="2" target="1" weight="3">
        <attvalues><attvalue for="k" value="retweet"/><attvalue for="d" value="2024-03-01"/></attvalues>
      </edge>
      <edge id="e2" source="3" target="1" type="mutual"/>
      <edge id="e3" source="2" target="3">
        <attvalues><attvalue for="k" value="follow"/></attvalues>
      </edge>
    </edges>
  </graph>
</gexf>
"""


def test_gexf_hand_written_with_attvalues(tmp_path):
    path = tmp_path / "hand.gexf"
    path.write_text(GEXF, encoding="utf-8")
    oracle = nx.read_gexf(path)
    snap = read_graph_file(path)
    users = {r["id"]: r for r in snap.tables["users"].to_pylist()}
    assert users["1"]["name"] == "Ann & Co"
    assert json.loads(users["1"]["attributes"]) == {"country": "fr", "followers": "10"}
    assert json.loads(users["2"]["attributes"]) == {"country": "unknown", "followers": ""}
    inter = snap.tables["interactions"].to_pylist()
    assert [(r["src"], r["dst"], r["type"], r["weight"], str(r["ts"])) for r in inter] == [
        ("2", "1", "retweet", 3.0, "2024-03-01 00:00:00")]
    # a mutual edge is both directions, as networkx reads it
    follows = {(r["src"], r["dst"]) for r in snap.tables["follows"].to_pylist()}
    assert follows == {("3", "1"), ("1", "3"), ("2", "3")}
    assert len(follows) + len(inter) == oracle.number_of_edges()


def test_gml_real_datasets_counts_against_networkx(tmp_path):
    for name in ("polbooks", "football", "dolphins"):
        path = shared_dataset("community-ground-truth", f"{name}.gml")
        oracle = nx.read_gml(path, label="id")
        assert not oracle.is_directed()
        snap = read_graph_file(path)
        loops = nx.number_of_selfloops(oracle)
        assert snap.reports["users"].loaded == oracle.number_of_nodes()
        # undirected: each edge is read both ways
        assert snap.reports["follows"].read == 2 * oracle.number_of_edges() - loops
        assert snap.reports["follows"].loaded == snap.reports["follows"].read
        names = dict(zip(snap.tables["users"].column("id").to_pylist(),
                         snap.tables["users"].column("name").to_pylist(), strict=True))
        assert names == {str(n): d["label"] for n, d in oracle.nodes(data=True)}
    # a directed GML with typed, timed edges
    path = tmp_path / "d.gml"
    path.write_text('graph [\n  directed 1\n  node [ id 1 label "a" ]\n  node [ id 2 label "b" ]'
                    '\n  edge [ source 1 target 2 type "reply" time 1704067200 ]\n'
                    '  edge [ source 2 target 1 ]\n]\n')
    snap = read_graph_file(path)
    assert snap.tables["follows"].to_pylist() == [{"src": "2", "dst": "1", "ts": None}]
    [event] = snap.tables["interactions"].to_pylist()
    assert (event["src"], event["dst"], event["type"], str(event["ts"])) == (
        "1", "2", "reply", "2024-01-01 00:00:00")


@pytest.mark.slow
def test_polblogs_multigraph_gml_into_duckdb(tmp_path):
    path = shared_dataset("community-ground-truth", "polblogs.gml")
    oracle = nx.read_gml(path, label="id")  # a MultiGraph (the file says undirected 1)
    pairs = {(str(u), str(v)) for u, v in oracle.edges()} | {
        (str(v), str(u)) for u, v in oracle.edges()}
    store = tmp_path / "p.duckdb"
    report = load_report(path, store)
    assert report["users"]["new"] == oracle.number_of_nodes() == 1490
    assert report["follows"]["read"] == 2 * oracle.number_of_edges() - nx.number_of_selfloops(
        oracle)
    with DuckDBStore(store) as st:
        assert st.counts()["follows"] == len(pairs)  # repeated follow pairs are one follow


UNDIRECTED = """<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="t" for="edge" attr.name="type" attr.type="string"/>
  <graph edgedefault="undirected">
    <node id="a"/><node id="b"/><node id="c"/>
    <edge source="a" target="b"/>
    <edge source="b" target="c"><data key="t">mention</data></edge>
    <edge source="c" target="c"/>
  </graph>
</graphml>
"""


def test_undirected_edges_are_read_both_ways(tmp_path):
    path = tmp_path / "u.graphml"
    path.write_text(UNDIRECTED)
    snap = read_graph_file(path)
    assert {(r["src"], r["dst"]) for r in snap.tables["follows"].to_pylist()} == {
        ("a", "b"), ("b", "a"), ("c", "c")}
    assert {(r["src"], r["dst"], r["type"]) for r in snap.tables["interactions"].to_pylist()} == {
        ("b", "c", "mention"), ("c", "b", "mention")}
    assert (snap.reports["follows"].read, snap.reports["interactions"].read) == (3, 2)


def test_bad_xml_names_file_and_line_and_leaves_the_store_unchanged(tmp_path, graphml):
    store = tmp_path / "s.duckdb"
    cli("load", graphml, "--store", store)
    before = json.loads(cli("info", "--store", store, "--format", "json").stdout)
    bad = tmp_path / "bad.graphml"
    lines = GRAPHML.splitlines()
    lines[18] = lines[18].replace("/>", ">")  # <edge ...> never closed
    bad.write_text("\n".join(lines))
    result = cli("load", bad, "--store", store, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {bad}:29:5: not well-formed XML (mismatched tag)")
    after = json.loads(cli("info", "--store", store, "--format", "json").stdout)
    assert after["counts"] == before["counts"] and len(after["loads"]) == 1
    # a truncated GEXF, and GML that is not GML
    gexf = tmp_path / "cut.gexf"
    gexf.write_text(GEXF[:600])
    with pytest.raises(InputError, match=r"cut\.gexf:\d+:\d+: not well-formed XML"):
        read_graph_file(gexf)
    gml = tmp_path / "bad.gml"
    gml.write_text('graph [\n  node [ id 1 ]\n  edge [ source 1 target 9 ]\n]\n')
    with pytest.raises(InputError, match=r"bad\.gml:3:3: edge #0 has undefined target 9"):
        read_graph_file(gml)
    gml.write_text('graph [\n  node [ id 1 ]\n  node [ id 1 ]\n]\n')
    with pytest.raises(InputError, match=r"bad\.gml:3:3: node id 1 is duplicated"):
        read_graph_file(gml)
    # what networkx rejects in one element is named at that element
    nokey = tmp_path / "nokey.graphml"
    nokey.write_text(GRAPHML.replace('<data key="tp">python</data></node>',
                                     '<data key="zz">python</data></node>', 1))
    with pytest.raises(InputError, match=r"nokey\.graphml:16:7: Bad GraphML data: no key zz"):
        read_graph_file(nokey)


def _with_bad_values(tmp_path) -> Path:
    bad = tmp_path / "values.graphml"
    text = GRAPHML.replace('<data key="t">like</data>', '<data key="t">poke</data>')
    text = text.replace("<data key=\"ts\">1704326400</data>", "<data key=\"ts\">soon</data>")
    text = text.replace('attr.name="timestamp" attr.type="long"',
                        'attr.name="timestamp" attr.type="string"')
    bad.write_text(text.replace('<data key="w">2.5</data>', '<data key="w">-1</data>'))
    return bad


def test_bad_values_fail_with_the_elements_line_and_column(tmp_path):
    bad = _with_bad_values(tmp_path)
    with pytest.raises(InputError) as caught:
        read_graph_file(bad)
    assert str(caught.value).startswith(
        f"{bad}:21:5: weight '-1' is not a finite number >= 0")
    store = tmp_path / "s.duckdb"
    result = cli("load", bad, "--store", store, ok=False)
    assert result.exit_code == 1 and f"{bad}:21:5: weight '-1'" in result.stderr
    assert not store.exists() or DuckDBStore(store).counts()["users"] == 0
    # a value networkx cannot convert to its key's attr.type stops the read, at its <data>
    typed = tmp_path / "typed.graphml"
    typed.write_text(GRAPHML.replace("<data key=\"ts\">1704326400</data>",
                                     "<data key=\"ts\">soon</data>"))
    column = typed.read_text().splitlines()[24].index('<data key="ts">soon') + 1
    with pytest.raises(InputError) as caught:
        read_graph_file(typed, on_error="skip")
    assert str(caught.value).startswith(
        f"{typed}:25:{column}: timestamp value 'soon' is not a "
        "long (the declared attr.type) — give a long, or declare 'timestamp' with "
        'attr.type="string"')


def test_bad_values_skip_mode_rejects_and_read_adds_up(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = _with_bad_values(tmp_path)
    store, rejects = tmp_path / "s.duckdb", tmp_path / "rejects.csv"
    report = load_report(bad, store, "--on-error", "skip", "--rejects", rejects)
    for name in ("users", "follows", "interactions"):
        r = report[name]
        assert r["read"] == r["loaded"] + r["rejected"], name
    assert (report["interactions"]["read"], report["interactions"]["rejected"]) == (5, 3)
    frame = pd.read_csv(rejects).sort_values("line")
    assert frame[["table", "line", "column"]].values.tolist() == [
        ["interactions", 21, 5], ["interactions", 25, 5], ["interactions", 27, 5]]
    assert list(frame.reason) == ["weight '-1' is not a finite number >= 0",
                                  "cannot read timestamp 'soon'",
                                  "unknown interaction type 'poke'"]
    assert frame.record.iloc[2] == (
        '<edge source="dave" target="alice"><data key="t">poke</data></edge>')
    with DuckDBStore(store) as st:
        assert st.counts()["interactions"] == 2
    # --type declares the type, so the edge loads; `poke` is then a real type
    report = load_report(bad, tmp_path / "t.duckdb", "--on-error", "skip", "--type", "poke",
                         "--rejects", tmp_path / "r2.csv")
    assert report["interactions"]["rejected"] == 2


def test_names_rows_when_the_scan_cannot_be_matched(tmp_path):
    # two parallel edges with the same id: networkx keeps one, so elements and edges differ
    path = tmp_path / "dup.graphml"
    path.write_text("""<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="t" for="edge" attr.name="type" attr.type="string"/>
  <graph edgedefault="directed">
    <edge id="e" source="a" target="b"/>
    <edge id="e" source="a" target="b"><data key="t">poke</data></edge>
  </graph>
</graphml>""")
    with pytest.raises(InputError, match=r"dup\.graphml:row 0:1: unknown interaction type"):
        read_graph_file(path)
    snap = read_graph_file(path, on_error="skip")
    assert snap.rejects.column("record").to_pylist() == ['edge a -> b {"type": "poke"}']


def test_edge_kind_option(tmp_path, graphml):
    plain = tmp_path / "plain.graphml"
    nx.write_graphml(nx.DiGraph([("a", "b"), ("b", "c")]), plain)
    snap = read_graph_file(plain, edge_kind="retweet")
    assert snap.tables["interactions"].column("type").to_pylist() == ["retweet", "retweet"]
    assert snap.tables["follows"].num_rows == 0
    g = nx.DiGraph()
    g.add_edge("a", "b", rel="email")
    g.add_edge("b", "c", rel="follow")
    g.add_edge("c", "a", rel="call")
    custom = tmp_path / "rel.graphml"
    nx.write_graphml(g, custom)
    store = tmp_path / "s.duckdb"
    result = cli("load", custom, "--store", store, "--type", "rel", ok=False)
    assert result.exit_code == 1 and (
        "unknown interaction type 'email' (edge attribute 'rel') — use one of: like, mention, "
        "quote, rel, reply, retweet; or declare it when loading with --type rel --type NAME"
    ) in result.stderr
    report = load_report(custom, store, "--type", "rel", "--type", "email", "--type", "call")
    assert (report["follows"]["new"], report["interactions"]["new"]) == (1, 2)
    with DuckDBStore(store) as st:
        assert sorted(st.events()["type"]) == ["call", "email"]
    result = cli("load", graphml, "--store", store, "--columns", "src,dst", ok=False)
    assert result.exit_code == 1 and "does not take the option --columns" in result.stderr
    with pytest.raises(SnapshotError, match="not a graph file"):
        read_graph_file(tmp_path / "x.txt")


def test_reload_adds_nothing_and_parallel_events_are_kept(tmp_path, graphml):
    store = tmp_path / "s.duckdb"
    first = load_report(graphml, store)
    assert first["interactions"]["new"] == 5 and first["users"]["new"] == 5  # erin too
    again = load_report(graphml, store, "--format", "graph")
    assert all(r["new"] == 0 for r in again.values())
    with DuckDBStore(store) as st:
        events = st.events()
        assert len(events[(events.src == "bob") & (events.type == "retweet")]) == 2
        assert st.counts() == {"users": 5, "follows": 3, "interactions": 5, "posts": 0}


def _topic_graph(tmp_path) -> Path:
    """A graph with enough users per topic for `top --topic`, and ids that need escaping."""
    g = nx.MultiDiGraph()
    ids = ["u0", "a&b", 'q"uote', "<tag>", "apos'", "tab\tx", "sp ace", "ünï", "u8", "u9"]
    for i, node in enumerate(ids):
        g.add_node(node, name=f"User {i} & <co>", topics="python" if i % 2 else "data;python")
    for i, u in enumerate(ids):
        for j in (1, 2, 3):
            v = ids[(i + j * j) % len(ids)]
            g.add_edge(u, v, type="follow" if j == 1 else "retweet", weight=float(j),
                       timestamp=1704067200 + 3600 * (i + j))
    g.add_edge("u0", "a&b", type="retweet", weight=0.5, timestamp=1704067200)
    path = tmp_path / "topics.graphml"
    nx.write_graphml(g, path)
    return path


def test_export_graphml_and_gexf_round_trip(tmp_path):
    path = _topic_graph(tmp_path)
    oracle = nx.read_graphml(path)
    store = tmp_path / "s.duckdb"
    cli("load", path, "--store", store)
    cli("analyze", "--store", store)
    top = json.loads(cli("top", "--store", store, "-f", "json", "-n", "3").stdout)
    assert len(top) == 3
    by_topic = json.loads(cli("top", "--store", store, "--topic", "python", "-f", "json").stdout)
    assert len(by_topic) > 0
    cli("export", tmp_path / "x.csv", "--store", store)
    result = cli("export", tmp_path / "x.graphml", "--store", store)
    cli("export", tmp_path / "x.gexf", "--store", store)
    cli("export", tmp_path / "y.xml", "--store", store, "--format", "gexf")
    scores = pd.read_csv(tmp_path / "x.csv", keep_default_na=False, dtype={"id": str})
    # independent edge counts: distinct follow pairs + distinct (src, dst, type)
    follows = {(u, v) for u, v, d in oracle.edges(data=True) if d["type"] == "follow"}
    typed = [(u, v, d["type"]) for u, v, d in oracle.edges(data=True) if d["type"] != "follow"]
    aggregates = {}
    for u, v, t in typed:
        aggregates[(u, v, t)] = aggregates.get((u, v, t), 0) + 1
    weights = {}
    for u, v, d in oracle.edges(data=True):
        if d["type"] != "follow":
            weights[(u, v, d["type"])] = weights.get((u, v, d["type"]), 0) + d["weight"]
    n_edges = len(follows) + len(aggregates)
    assert f"wrote 10 users and {n_edges} edges" in result.stderr
    for out in ("x.graphml", "x.gexf", "y.xml"):
        g = nx.read_graphml(tmp_path / out) if out.endswith("graphml") else nx.read_gexf(
            tmp_path / out)
        assert g.is_directed() and g.number_of_nodes() == len(scores) == 10
        assert set(g) == set(oracle)  # every id survives escaping
        assert g.number_of_edges() == n_edges
        for row in scores.to_dict(orient="records"):
            d = g.nodes[row["id"]]
            assert d["influence"] == row["influence"] and d["score"] == row["score"]
            assert d["rank"] == row["rank"] and d["community"] == row["community"]
            assert type(d["rank"]) is int and type(d["influence"]) is float
            assert d["topic:python"] == row["topic:python"]
            assert d.get("name", d.get("label")) == oracle.nodes[row["id"]]["name"]
        got = {(u, v, d["type"]): (d["count"], d["weight"]) for u, v, d in g.edges(data=True)}
        assert {k: v for k, v in got.items() if k[2] == "follow"} == {
            (u, v, "follow"): (1, 1.0) for u, v in follows}
        assert {k: v for k, v in got.items() if k[2] != "follow"} == {
            k: (aggregates[k], pytest.approx(weights[k])) for k in aggregates}
    # the export loads back as the same graph
    again = tmp_path / "again.duckdb"
    report = load_report(tmp_path / "x.graphml", again)
    assert report["follows"]["new"] == len(follows)
    assert report["interactions"]["new"] == len(aggregates)


def test_export_refuses_unknown_formats(tmp_path, graphml):
    from graph_influence.exporting import export_graph

    store = tmp_path / "s.duckdb"
    cli("load", graphml, "--store", store)
    cli("analyze", "--store", store)
    result = cli("export", tmp_path / "x.xml", "--store", store, ok=False)
    assert result.exit_code == 1 and "graphml|gexf" in result.stderr
    with DuckDBStore(store) as st, pytest.raises(Exception, match="cannot export a graph"):
        export_graph(st, tmp_path / "x.csv")


def _email_graphml(tmp_path) -> tuple[Path, int, int]:
    """SNAP email-Eu-core as GraphML (written by networkx), with the raw file's counts."""
    raw = shared_dataset("email-eu-core", "email-Eu-core.txt.gz")
    lines = [line.split() for line in gzip.open(raw, "rt") if line.strip()]
    nodes = {x for pair in lines for x in pair}
    g = nx.DiGraph()
    g.add_edges_from((u, v) for u, v in lines)
    path = tmp_path / "email.graphml"
    nx.write_graphml(g, path)
    return path, len(lines), len(nodes)


@pytest.mark.slow
def test_real_dataset_email_eu_core_as_graphml(tmp_path):
    path, n_lines, n_nodes = _email_graphml(tmp_path)
    assert (n_lines, n_nodes) == (25571, 1005)
    store = tmp_path / "e.duckdb"
    report = load_report(path, store, "--type", "email")
    assert report["interactions"]["read"] == report["interactions"]["new"] == n_lines
    assert report["users"]["new"] == n_nodes
    cli("analyze", "--store", store, "--no-topics")
    top = json.loads(cli("top", "--store", store, "-f", "json", "-n", "5").stdout)
    assert [r["rank"] for r in top] == [1, 2, 3, 4, 5]
    with DuckDBStore(store) as st:
        assert st.counts()["interactions"] == n_lines


@pytest.mark.slow
def test_real_dataset_college_msg_as_a_timed_multigraph(tmp_path):
    raw = shared_dataset("college-msg", "CollegeMsg.txt.gz")
    rows = [line.split() for line in gzip.open(raw, "rt") if line.strip()]
    g = nx.MultiDiGraph()
    for u, v, ts in rows:
        g.add_edge(u, v, timestamp=int(ts))
    path = tmp_path / "college.graphml"
    nx.write_graphml(g, path)
    store = tmp_path / "c.duckdb"
    report = load_report(path, store, "--type", "message")
    assert report["interactions"]["read"] == report["interactions"]["loaded"] == len(rows)
    with DuckDBStore(store) as st:
        assert st.counts()["interactions"] == len(rows) == 59835
        view = st.graph_view(as_of=None, half_life_seconds=None)
        assert len(view.inter_src) == len({(u, v) for u, v, _ in rows}) == 20296
        lo, hi = st.time_range()
        assert (str(lo), str(hi)) == ("2004-04-15 14:56:01", "2004-10-26 07:52:22")
