"""Graph files: GraphML (``.graphml``), GEXF (``.gexf``) and GML (``.gml``), optionally
``.gz``/``.zst``, read with networkx and mapped onto the snapshot tables.

Mapping
-------
- **Nodes -> users.** ``id`` = the node id as a string (GML: the ``id`` key, not the label).
  ``name`` = the node's ``name`` attribute, else its ``label`` (GEXF's ``label``, a GraphML
  or GML ``label`` attribute); when a node has both, ``label`` stays an attribute. Attributes
  called ``created_at`` and ``topics`` fill those columns (a list of topics is ``;``-joined).
  Every other node attribute is an extra user column, kept as JSON ``attributes`` (an
  attribute called ``id`` becomes ``id_attribute``); layout data (GEXF ``viz``, GML
  ``graphics``) is not kept. Declared defaults (GraphML ``<default>``, GEXF
  ``<default>``) fill missing values. Nodes that appear only in edges are not user records:
  the store creates them.
- **Edges -> follows** (``src`` follows ``dst``) by default. An edge whose ``type``,
  ``kind`` or ``interaction`` attribute (the first of these the file has) holds a value is an
  interaction of that type (``follow``/``follows`` values stay follows), checked like any
  interaction type (``--type NAME`` declares more). ``edge_kind`` (``--type``) is the type of
  every edge that does not carry its own: ``"retweet"`` makes a plain follower graph a retweet
  graph; the name of an edge attribute reads each edge's type from that attribute instead
  (``--type relation``; a known type name is always a type, never an attribute's name). As for
  tables, further ``--type NAME`` flags allow more types (``--type relation --type email``).
- Edge attributes: ``weight`` -> the interaction's ``weight`` (follows have none: reported as
  an ignored column); the first of ``timestamp``, ``ts``, ``time``, ``date``, ``start`` that an
  edge has -> ``ts`` (ISO-8601, dates, or epoch numbers in ``ts_unit``); ``post_id`` and
  ``topics`` -> those interaction columns; anything else is ignored (and listed as such in the
  load report). A GEXF edge's ``type`` XML attribute that is not a direction
  (``directed``/``undirected``/``mutual``) is its ``type`` attribute: that is where
  networkx's ``write_gexf`` puts one (its ``read_gexf`` drops it).
- **Undirected graphs** (GraphML ``edgedefault="undirected"``, GEXF without
  ``defaultedgetype="directed"``, GML without ``directed 1``): each edge is read as two
  records, ``u -> v`` and ``v -> u`` (a friendship is a mutual follow; a co-occurrence credits
  both sides), so ``read`` counts 2 per undirected edge (1 for a self-loop). A GEXF
  ``type="mutual"`` edge of a directed graph is two records the same way.
- **Multigraphs**: parallel edges are separate records; for interactions, separate events (the
  store numbers exact repeats, so reloading the file still adds nothing); repeated follow
  pairs are one follow, counted as duplicates in the load report.

Bad input
---------
Records are named by the physical line and column of their ``<node>``/``<edge>`` start tag
(GML: of the ``node``/``edge`` key), found by a second pass of expat (GML: a tokenising scan)
over the same bytes, so a bad value is ``FILE:LINE:COLUMN: problem — fix`` and a rejects row
carries that line and column and the element's source text. An undirected edge's two records
share its line. Malformed XML is ``FILE:LINE:COLUMN`` from the XML parser; a GML syntax error
is named at networkx's line and position; structural errors networkx reports for an element
(``edge #3 has undefined source``, ``no key d7``) are named at that element's line; a value
that does not convert to its declared ``attr.type`` stops networkx itself, so it is an error
in both modes, named at its ``<data>``/``<attvalue>``. If the scan cannot be
matched with networkx's graph (say, a file in UTF-16), records are named by their index
instead, ``FILE:row N`` (N counts records in the order networkx returns them), never by a
made-up line.
"""

from __future__ import annotations

import io
import json
import re
import xml.parsers.expat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_influence.errors import InputError, SnapshotError
from graph_influence.loaders.checks import Records
from graph_influence.loaders.files import RawTable
from graph_influence.loaders.registry import Importer, ReadOptions
from graph_influence.loaders.snapshot import Snapshot, SnapshotBuilder, fingerprint_files
from graph_influence.loaders.social import no_gc
from graph_influence.loaders.textio import base_name, read_bytes
from graph_influence.schema import DEFAULT_INTERACTION_TYPES

__all__ = ["GRAPH_SUFFIXES", "TS_ATTRIBUTES", "TYPE_ATTRIBUTES", "is_graph_file",
           "read_graph_file"]

#: File suffixes read (before a ``.gz``/``.zst``), and the networkx reader of each.
GRAPH_SUFFIXES: dict[str, str] = {".graphml": "graphml", ".gexf": "gexf", ".gml": "gml"}

#: Edge attributes that give an edge's interaction type, in order of preference.
TYPE_ATTRIBUTES: tuple[str, ...] = ("type", "kind", "interaction")

#: Edge attributes that give an edge's time, in order of preference.
TS_ATTRIBUTES: tuple[str, ...] = ("timestamp", "ts", "time", "date", "start")

_FOLLOW = frozenset({"follow", "follows"})
_LAYOUT = frozenset({"viz", "graphics"})
_EDGE_COLUMNS = frozenset({"src", "dst", "type", "ts", "weight", "post_id", "topics"})
_RECORD_CHARS = 500
_GEXF_DIRECTIONS = frozenset({"directed", "undirected", "mutual"})


def graph_kind(path: Path) -> str | None:
    """``"graphml"``, ``"gexf"`` or ``"gml"`` from ``path``'s suffix, else ``None``."""
    name = base_name(path)
    for suffix, kind in GRAPH_SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    return None


def is_graph_file(path: Path) -> bool:
    """Whether ``path`` is a file named ``*.graphml``, ``*.gexf`` or ``*.gml`` (also
    ``.gz``/``.zst``)."""
    return path.is_file() and graph_kind(path) is not None


# -- where the elements are ---------------------------------------------------------------


@dataclass
class _Scan:
    """The ``<node>``/``<edge>`` elements (GML: blocks) of a file, in document order: node
    ids, edge sources and targets, and each element's line, column and byte offset."""

    node_ids: list[str]
    node_at: list[tuple[int, int, int]]
    edge_src: list[str]
    edge_dst: list[str]
    edge_at: list[tuple[int, int, int]]
    mutual: set[int]
    #: GEXF edges whose ``type`` XML attribute is not a direction (networkx's ``write_gexf``
    #: writes a ``type`` edge attribute there, and ``read_gexf`` drops it): index -> value.
    gexf_types: dict[int, str] = field(default_factory=dict)

    def nodes_where(self) -> np.ndarray:
        """``(line, column, offset)`` rows of the nodes."""
        return np.array(self.node_at, dtype=np.int64).reshape(-1, 3)

    def edges_where(self) -> np.ndarray:
        """``(line, column, offset)`` rows of the edges."""
        return np.array(self.edge_at, dtype=np.int64).reshape(-1, 3)


def _xml_error(path: Path, exc: xml.parsers.expat.ExpatError | ParseError) -> InputError:
    if isinstance(exc, ParseError):
        line, column = exc.position
        problem = str(exc).split(":")[0]
    else:
        line, column = exc.lineno, exc.offset
        problem = xml.parsers.expat.ErrorString(exc.code)
    return InputError(str(path), line, column + 1, f"not well-formed XML ({problem})",
                      "fix the file so that an XML parser accepts it (a tag left open, an "
                      "unescaped & or <, a truncated file?)")


def _scan_xml(path: Path, data: bytes, kind: str) -> _Scan:
    """Every node and edge element of the file's first top-level graph (GraphML: networkx
    reads only that one), with its line, column and byte offset. expat is the parser behind
    networkx's ElementTree, so ids are unescaped and normalised the same way."""
    parser = xml.parsers.expat.ParserCreate()
    scan = _Scan([], [], [], [], [], set())
    node_ids, node_at = scan.node_ids, scan.node_at
    edge_src, edge_dst, edge_at = scan.edge_src, scan.edge_dst, scan.edge_at
    graphs = [0, 0]  # open <graph> elements, top-level graphs seen
    only_first = kind == "graphml"

    tags: dict[str, str] = {}  # element name -> local name (namespace prefix dropped)

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = tags.get(name)
        if tag is None:
            tag = tags[name] = name.rpartition(":")[2]
        if tag == "edge":
            if only_first and graphs[1] != 1:
                return
            direction = attrs.get("type")
            if direction is not None and not only_first:
                if direction == "mutual":
                    scan.mutual.add(len(edge_src))
                elif direction not in _GEXF_DIRECTIONS:
                    scan.gexf_types[len(edge_src)] = direction
            edge_src.append(attrs.get("source", ""))
            edge_dst.append(attrs.get("target", ""))
            edge_at.append((parser.CurrentLineNumber, parser.CurrentColumnNumber + 1,
                            parser.CurrentByteIndex))
        elif tag == "node":
            if only_first and graphs[1] != 1:
                return
            node_ids.append(attrs.get("id", ""))
            node_at.append((parser.CurrentLineNumber, parser.CurrentColumnNumber + 1,
                            parser.CurrentByteIndex))
        elif tag == "graph":
            if graphs[0] == 0:
                graphs[1] += 1
            graphs[0] += 1

    def end(name: str) -> None:
        if tags.get(name) == "graph":
            graphs[0] -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise _xml_error(path, exc) from None
    return scan


#: GML tokens the scan needs: strings and comments (skipped), the id/source/target of a
#: block, node/edge block starts, other brackets.
_GML_TOKEN = re.compile(
    rb'"[^"]*"|#[^\n]*|\b(id|source|target)\s+("[^"]*"|[^\s\[\]]+)|\b(node|edge)\s*\[|(\[)|(\])'
)


def _scan_gml(data: bytes) -> _Scan:
    """Every ``node [...]`` and ``edge [...]`` block directly inside ``graph [...]``, with the
    line and column of its key and its id, or source and target."""
    scan = _Scan([], [], [], [], [], set())
    stack: list[bytes] = []
    current: dict[bytes, str] = {}
    start = 0
    for m in _GML_TOKEN.finditer(data):
        key, value, block, opened, closed = m.groups()
        if block is not None:
            stack.append(block)
            current, start = {}, m.start()
        elif opened is not None:
            stack.append(b"")
        elif closed is not None:
            done = stack.pop() if stack else b""
            if len(stack) == 1 and done == b"node":
                scan.node_ids.append(current.get(b"id", ""))
                scan.node_at.append((0, 0, start))
            elif len(stack) == 1 and done == b"edge":
                scan.edge_src.append(current.get(b"source", ""))
                scan.edge_dst.append(current.get(b"target", ""))
                scan.edge_at.append((0, 0, start))
        elif key is not None and len(stack) == 2 and stack[1]:
            current.setdefault(key, value.strip(b'"').decode("utf-8", "replace"))
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    for at in (scan.node_at, scan.edge_at):
        offsets = np.array([o for _, _, o in at], dtype=np.int64)
        lines = np.searchsorted(newlines, offsets)
        line_start = np.where(lines > 0, newlines[np.maximum(lines - 1, 0)] + 1, 0) if len(
            newlines) else np.zeros_like(offsets)
        at[:] = list(zip((lines + 1).tolist(), (offsets - line_start + 1).tolist(),
                         offsets.tolist(), strict=True))
    return scan


def _element_text(data: bytes, offset: int, kind: str) -> str:
    """The source text of the element starting at ``offset``, on one line (rejects)."""
    chunk = data[offset: offset + 4 * _RECORD_CHARS]
    if kind == "gml":
        depth, end = 0, len(chunk)
        for i, byte in enumerate(chunk):
            if byte == 91:  # [
                depth += 1
            elif byte == 93:  # ]
                depth -= 1
                if depth == 0:
                    end = i + 1
                    break
        chunk = chunk[:end]
    else:
        tag_end = chunk.find(b">")
        if tag_end > 0 and chunk[tag_end - 1: tag_end] == b"/":
            chunk = chunk[: tag_end + 1]
        else:
            close = re.search(rb"</(?:[\w.-]+:)?(?:node|edge)\s*>", chunk)
            chunk = chunk[: close.end()] if close else chunk
    text = " ".join(chunk.decode("utf-8", "replace").split())
    return text[:_RECORD_CHARS]


# -- reading with networkx ----------------------------------------------------------------

_NAMES = {"graphml": "GraphML", "gexf": "GEXF", "gml": "GML"}
_AT_POSITION = re.compile(r"\bat \((\d+), (\d+)\)")
_ELEMENT_NUMBER = re.compile(r"^(node|edge) #(\d+)\b")
_DUPLICATE_NODE = re.compile(r"^node id (.+) is duplicated")


#: networkx messages about one element, and how to find that element in the file.
_ELEMENT_MESSAGES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^Bad GraphML data: no key (.+)$"),
     r"<(?:[\w.-]+:)?data\b[^>]*\bkey=[\"']{}[\"']"),
    (re.compile(r"^No attribute defined for=(.+)\.$"),
     r"<(?:[\w.-]+:)?attvalue\b[^>]*\bfor=[\"']{}[\"']"),
    (re.compile(r"^directed=(true|false) edge found"),
     r"<(?:[\w.-]+:)?edge\b[^>]*\bdirected=[\"']{}[\"']"),
    (re.compile(r"^(Undirected|Directed) edge found"),
     r"<(?:[\w.-]+:)?edge\b[^>]*\btype=[\"']{}[\"']"),
)


def _locate(data: bytes, pattern: str, value: str) -> tuple[int, int] | None:
    """Line and column of the first match of ``pattern`` (``{}`` = ``value``) in ``data``."""
    found = re.search(pattern.format(re.escape(value.lower() if "type=" in pattern else value))
                      .encode(), data)
    if found is None:
        return None
    start = found.start()
    line_start = data.rfind(b"\n", 0, start) + 1
    return data.count(b"\n", 0, start) + 1, start - line_start + 1


def _networkx_error(path: Path, exc: Exception, kind: str, scan: _Scan,
                    data: bytes | None = None) -> SnapshotError:
    """A networkx failure as a message naming the file and, where known, the element."""
    text = str(exc).split("\n")[0]
    fix = f"fix the {_NAMES[kind]} file"
    found = _AT_POSITION.search(text)
    if found:  # GML syntax: networkx gives (line, position)
        return InputError(str(path), int(found.group(1)), int(found.group(2)),
                          f"not valid GML: {text[: found.start()].strip()}", fix)
    numbered = _ELEMENT_NUMBER.match(text)
    at = None
    if numbered:  # GML structure: "edge #3 has undefined source 7" (0-based)
        where = scan.node_at if numbered.group(1) == "node" else scan.edge_at
        i = int(numbered.group(2))
        at = where[i] if i < len(where) else None
    elif _DUPLICATE_NODE.match(text):
        seen: set[str] = set()
        for node_id, where in zip(scan.node_ids, scan.node_at, strict=True):
            if node_id in seen:
                at, fix = where, "give every node its own id"
                break
            seen.add(node_id)
    if at is not None and at[0] > 0:
        return InputError(str(path), at[0], at[1], text, fix)
    for message, pattern in _ELEMENT_MESSAGES:
        matched = message.match(text)
        if matched and data is not None:
            where = _locate(data, pattern, matched.group(1))
            if where is not None:
                return InputError(str(path), *where, text, fix)
    return SnapshotError(f"{path}: cannot be read as {_NAMES[kind]} — {text or type(exc).__name__}")


def _read_networkx(path: Path, data: bytes, kind: str, scan: _Scan) -> Any:
    import networkx as nx

    try:
        if kind == "graphml":
            return nx.read_graphml(io.BytesIO(data))
        if kind == "gexf":
            return nx.read_gexf(io.BytesIO(data))
        text = data.decode("utf-8")  # (networkx's read_gml accepts ASCII only)
        return nx.parse_gml([line.rstrip("\r") for line in text.split("\n")], label="id")
    except ParseError as exc:
        raise _xml_error(path, exc) from None
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}) — "
                            "save the file as UTF-8") from None
    except (nx.NetworkXError, ValueError, KeyError, TypeError, IndexError) as exc:
        if isinstance(exc, ValueError) and kind != "gml":
            located = _bad_typed_value(data, kind)
            if located is not None:
                raise InputError(str(path), *located) from None
        raise _networkx_error(path, exc, kind, scan, data) from None


_CONVERT: dict[str, Callable[[str], Any]] = {
    "int": int, "integer": int, "long": int, "float": float, "double": float,
    "boolean": lambda v: {"true": True, "false": False, "1": True, "0": False}[v.lower()],
}


def _bad_typed_value(data: bytes, kind: str) -> tuple[int, int, str, str] | None:
    """Where the first value networkx cannot convert to its declared type is (a GraphML
    ``<data>``, a GEXF ``<attvalue>`` or edge ``weight``): ``(line, column, problem, fix)``.
    Error path only: a second expat pass that converts the values the way networkx does."""
    parser = xml.parsers.expat.ParserCreate()
    declared: dict[tuple[str, str], tuple[str, str]] = {}  # (class, id) -> (type, name)
    state: dict[str, Any] = {"class": "", "element": "", "data": None, "found": None}

    def check(value: str, atype: str, name: str, line: int, column: int) -> None:
        convert = _CONVERT.get(atype)
        if convert is None or state["found"] is not None:
            return
        try:
            convert(value)
        except (ValueError, KeyError, AttributeError):
            what = "attr.type" if kind == "graphml" else "type"
            state["found"] = (line, column, f"{name} value {value!r} is not a {atype} (the "
                              f"declared {what})", f"give a {atype}, or declare {name!r} with "
                              f'{what}="string"')

    def start(tag: str, attrs: dict[str, str]) -> None:
        tag = tag.rpartition(":")[2]
        line, column = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        if tag == "key":  # GraphML
            declared[("", attrs.get("id", ""))] = (attrs.get("attr.type", "string"),
                                                   attrs.get("attr.name", ""))
        elif tag == "attributes":  # GEXF
            state["class"] = attrs.get("class", "")
        elif tag == "attribute":
            declared[(state["class"], attrs.get("id", ""))] = (attrs.get("type", "string"),
                                                               attrs.get("title", ""))
        elif tag in ("node", "edge"):
            state["element"] = tag
            if tag == "edge" and "weight" in attrs and kind == "gexf":
                check(attrs["weight"], "double", "weight", line, column)
        elif tag == "attvalue":
            atype, name = declared.get((state["element"], attrs.get("for", "")), ("", ""))
            check(attrs.get("value", ""), atype, name, line, column)
        elif tag == "data":
            state["data"] = (declared.get(("", attrs.get("key", "")), ("", "")), line, column, [])

    def text(chars: str) -> None:
        if state["data"] is not None:
            state["data"][3].append(chars)

    def end(tag: str) -> None:
        if tag.rpartition(":")[2] == "data" and state["data"] is not None:
            (atype, name), line, column, parts = state["data"]
            state["data"] = None
            if parts:
                check("".join(parts), atype, name, line, column)

    parser.StartElementHandler = start
    parser.CharacterDataHandler = text
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return state["found"]


# -- records --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """An attribute value as the string a snapshot column holds."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


@dataclass
class _Records:
    """Node and edge records with networkx's data, and where each one is in the file:
    ``(line, column, offset)`` rows, or ``None`` when the scan could not be matched."""

    nodes: list[tuple[str, dict]]
    edges: list[tuple[str, str, dict]]
    node_where: np.ndarray | None
    edge_where: np.ndarray | None


def _match(graph: Any, scan: _Scan) -> _Records | None:
    """Pair each scanned element with networkx's data for it (``None`` if they disagree)."""
    by_name = {str(n): n for n in graph}
    if len(by_name) != graph.number_of_nodes():
        return None  # ids that differ only in type (1 and "1")
    nodes = getattr(graph, "_node", None) or graph.nodes  # (the plain dicts are faster)
    node_records = []
    for node_id in scan.node_ids:
        node = by_name.get(node_id)
        if node is None:
            return None
        node_records.append((node_id, nodes[node]))
    declared = set(scan.node_ids)
    for name, node in by_name.items():  # a node networkx has that the scan did not see
        if name not in declared and (nodes[node] or not graph.degree(node)):
            return None
    adj, directed = getattr(graph, "_adj", None) or graph.adj, graph.is_directed()
    multi = graph.is_multigraph()
    parallel: dict[tuple, list] = {}
    gexf_types = scan.gexf_types
    edge_records: list[tuple[str, str, dict]] = []
    which: list[int] = []
    try:
        for k, (s, t) in enumerate(zip(scan.edge_src, scan.edge_dst, strict=True)):
            u, v = by_name[s], by_name[t]
            for a, b, x, y in ((u, v, s, t), (v, u, t, s)) if (
                    directed and k in scan.mutual) else ((u, v, s, t),):
                if multi:
                    pair = (a, b) if directed or x <= y else (b, a)
                    queue = parallel.get(pair)
                    if queue is None:  # parallel edges, in the order networkx added them
                        queue = parallel[pair] = list(adj[a][b].values())[::-1]
                    data = queue.pop()
                else:
                    data = adj[a][b]  # (a repeated pair would have made a multigraph)
                if k in gexf_types and "type" not in data:
                    data = {**data, "type": gexf_types[k]}
                edge_records.append((x, y, data))
                which.append(k)
    except (KeyError, IndexError):
        return None
    if len(edge_records) != graph.number_of_edges():
        return None
    return _Records(node_records, edge_records, scan.nodes_where(),
                    scan.edges_where()[np.array(which, dtype=np.int64)])


def _unmatched(graph: Any) -> _Records:
    """Every node and edge in networkx's order, without lines."""
    nodes = [(str(n), d) for n, d in graph.nodes(data=True)]
    edges = [(str(u), str(v), d) for u, v, d in graph.edges(data=True)]
    return _Records(nodes, edges, None, None)


class _GraphTable(RawTable):
    """Records of a graph file: each knows its element's line (or only its index) and text."""

    def __init__(self, path: Path, table: pa.Table, lines: np.ndarray | None,
                 text: Callable[[np.ndarray], list[str]]) -> None:
        super().__init__(path, "graph" if lines is not None else "frame", table,
                         list(table.column_names))
        self._lines = lines
        self._text = text

    def lines(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        return rows if self._lines is None else self._lines[rows]

    def record_text(self, rows: np.ndarray) -> list[str]:
        return self._text(np.asarray(rows, dtype=np.int64))

    def records(self) -> Records:
        return Records(str(self.path), self.lines if self._lines is not None else None,
                       self.record_text, header=())


def _strings(values: list) -> pa.Array:
    """Attribute values as one string array (``_text`` of each), converted by Arrow when
    they are all strings, numbers or booleans: one cast instead of a Python call per value."""
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        arr = None
    if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_integer(arr.type)
                            or pa.types.is_boolean(arr.type) or pa.types.is_null(arr.type)
                            or pa.types.is_floating(arr.type)):
        return arr.cast(pa.string()).fill_null("")
    return pa.array([_text(v) for v in values], pa.string())


def _user_table(records: _Records, defaults: Mapping[str, Any]) -> pa.Table:
    """The users table from the node records."""
    rows = []
    for node_id, data in records.nodes:
        d = {**defaults, **data}
        for key in _LAYOUT:
            d.pop(key, None)
        name, label = d.pop("name", None), d.pop("label", None)
        if name is None or _text(name) == "":
            name, label = label, None
        if label is not None:
            d["label"] = label
        if "id" in d:
            d["id_attribute"] = d.pop("id")
        topics = d.get("topics")
        if isinstance(topics, list | tuple):
            d["topics"] = ";".join(_text(t) for t in topics)
        rows.append((node_id, name, d))
    names: dict[str, None] = {}
    for _, _, d in rows:
        names.update(dict.fromkeys(d))
    columns: dict[str, pa.Array] = {"id": pa.array([r[0] for r in rows], pa.string())}
    if any(r[1] is not None for r in rows):
        columns["name"] = _strings([r[1] for r in rows])
    for key in names:
        columns[key] = _strings([r[2].get(key) for r in rows])
    return pa.table(columns)


def _edge_type_attribute(edge_kind: str | None, names: Iterable[str]) -> str | None:
    """The edge attribute holding each edge's type: ``edge_kind`` if it names one (and is
    not a type itself), else the first of :data:`TYPE_ATTRIBUTES` the edges have."""
    names = set(names)
    if (edge_kind is not None and edge_kind in names
            and edge_kind.strip().lower() not in _FOLLOW | set(DEFAULT_INTERACTION_TYPES)):
        return edge_kind
    return next((a for a in TYPE_ATTRIBUTES if a in names), None)


def read_graph_file(
    path: Path,
    *,
    edge_kind: str | None = None,
    on_error: str = "fail",
    interaction_types: Iterable[str] = (),
    ts_unit: str = "s",
) -> Snapshot:
    """Read a GraphML, GEXF or GML file as a snapshot (the mapping: this module's docstring).

    Parameters
    ----------
    path : Path
        A ``.graphml``, ``.gexf`` or ``.gml`` file, optionally ``.gz`` or ``.zst``.
    edge_kind : str, optional
        The type of every edge that carries no ``type``/``kind``/``interaction`` attribute:
        ``"follow"`` (the default) or an interaction type such as ``"retweet"`` (which is then
        allowed); or the name of the edge attribute holding each edge's type.
    on_error : {"fail", "skip"}, optional
        What to do with a bad record (default: raise on the first).
    interaction_types : iterable of str, optional
        Interaction types to allow besides retweet, quote, reply, mention and like.
    ts_unit : {"s", "ms", "us"}, optional
        The unit of epoch numbers in edge times and node ``created_at`` (default seconds).

    Returns
    -------
    Snapshot
        ``users`` from the declared nodes, ``follows`` and ``interactions`` from the edges.

    Raises
    ------
    SnapshotError
        If the file is not one of these formats, or networkx cannot read it.
    InputError
        Malformed XML or GML (``FILE:LINE:COLUMN``), and with ``on_error="fail"`` the first
        bad record, named by its element's line and column.

    Examples
    --------
    >>> from pathlib import Path
    >>> _ = Path("g.graphml").write_text('''<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
    ...   <key id="n" for="node" attr.name="name" attr.type="string"/>
    ...   <key id="t" for="edge" attr.name="type" attr.type="string"/>
    ...   <graph edgedefault="directed">
    ...     <node id="a"><data key="n">Alice</data></node>
    ...     <node id="b"/>
    ...     <edge source="b" target="a"/>
    ...     <edge source="a" target="b"><data key="t">retweet</data></edge>
    ...     <edge source="a" target="b"><data key="t">poke</data></edge>
    ...   </graph>
    ... </graphml>''')
    >>> snap = read_graph_file(Path("g.graphml"), on_error="skip")
    >>> snap.tables["users"].column("name").to_pylist()
    ['Alice', None]
    >>> [(t, snap.reports[t].read, snap.reports[t].loaded) for t in ("follows", "interactions")]
    [('follows', 1, 1), ('interactions', 2, 1)]
    >>> snap.rejects.select(["line", "column", "reason"]).to_pylist()
    [{'line': 9, 'column': 5, 'reason': "unknown interaction type 'poke'"}]
    >>> read_graph_file(Path("g.graphml"))
    Traceback (most recent call last):
    ...
    graph_influence.errors.InputError: g.graphml:9:5: unknown interaction type 'poke' (edge ...
    """
    path = Path(path)
    kind = graph_kind(path)
    if kind is None:
        raise SnapshotError(f"{path}: not a graph file — name it *.graphml, *.gexf or *.gml "
                            "(optionally .gz or .zst)")
    if not path.is_file():
        raise SnapshotError(f"{path}: no such file")
    try:
        data = read_bytes(path)
    except ValueError as exc:
        raise SnapshotError(str(exc)) from None
    with no_gc():  # (networkx's read alone runs ~2.5x faster without the cyclic collector)
        scan = _scan_gml(data) if kind == "gml" else _scan_xml(path, data, kind)
        graph = _read_networkx(path, data, kind, scan)
        records = _match(graph, scan) or _unmatched(graph)
        del scan
        if not records.nodes and not records.edges:
            raise SnapshotError(f"{path}: the graph has no nodes and no edges")
        edges = _EdgeColumns(graph, records, edge_kind)
        users = _user_table(records, graph.graph.get("node_default") or {}) if (
            records.nodes) else None
        edge_tables = edges.tables()
    extra_types = [*interaction_types]
    if edges.type_attr != edge_kind and edges.default.lower() not in _FOLLOW:
        extra_types.append(edges.default)
    builder = SnapshotBuilder(str(path), "graph", on_error=on_error,
                              interaction_types=extra_types, ts_unit=ts_unit)
    element_columns: dict[int, int] = {}

    def add(table: str, columns: pa.Table, where: np.ndarray | None,
            describe: Callable[[int], str]) -> None:
        if where is None:
            lines = None

            def text(rows: np.ndarray) -> list[str]:
                return [describe(int(r)) for r in rows]
        else:
            lines = where[:, 0].copy()

            def text(rows: np.ndarray) -> list[str]:
                return [_element_text(data, int(where[r, 2]), kind) for r in rows]
        try:
            builder.add(table, _GraphTable(path, columns, lines, text))
        except InputError as exc:  # the check engine knows no field positions here
            if exc.path != str(path) or where is None or exc.line is None:
                raise
            column = where[np.argmax(lines == exc.line), 1]
            problem, fix = exc.problem, exc.fix
            if exc.column_name == "type" and edges.type_attr is not None:
                problem += f" (edge attribute {edges.type_attr!r})"
                if edges.type_attr == edge_kind:
                    fix = fix.replace("--type NAME", f"--type {edge_kind} --type NAME")
            raise InputError(exc.path, exc.line, int(column), problem, fix,
                             column_name=exc.column_name) from None
        if where is not None:
            element_columns.update(zip(lines.tolist(), where[:, 1].tolist(), strict=True))

    if users is not None:
        add("users", users, records.node_where, lambda r: f"node {records.nodes[r][0]}")
    for table, columns, index in edge_tables:
        where = None if records.edge_where is None else records.edge_where[index]
        add(table, columns, where, lambda r, index=index: _edge_text(records.edges[index[r]]))
    snap = builder.build(fingerprint=fingerprint_files([path]))
    if element_columns and snap.rejects.num_rows:
        snap.rejects = _with_element_columns(snap.rejects, str(path), element_columns)
    return snap


class _EdgeColumns:
    """The edge records split into follows and interactions, as snapshot columns."""

    def __init__(self, graph: Any, records: _Records, edge_kind: str | None) -> None:
        self.records = records
        self.defaults = graph.graph.get("edge_default") or {}
        names: dict[str, None] = dict.fromkeys(self.defaults)
        for _, _, d in records.edges:
            names.update(dict.fromkeys(d))
        self.type_attr = _edge_type_attribute(edge_kind, names)
        self.default = "follow" if edge_kind is None or self.type_attr == edge_kind else (
            edge_kind.strip() or "follow")
        self.ts_attrs = [a for a in TS_ATTRIBUTES if a in names]
        self.mapped = [c for c in ("weight", "post_id", "topics") if c in names]
        used = {self.type_attr, *self.ts_attrs, *self.mapped}
        self.extras = [n for n in names if n not in used and n not in _LAYOUT]
        self.mirror = not graph.is_directed()

    def tables(self) -> list[tuple[str, pa.Table, np.ndarray]]:
        """``(table, columns, index of each row's edge record)`` for follows and
        interactions (a table without rows is left out). An undirected edge is two rows."""
        edges = self.records.edges
        datas = [d for _, _, d in edges]
        if self.defaults:
            datas = [{**self.defaults, **d} for d in datas]
        n = len(edges)
        kinds = pa.array([self.default] * n, pa.string())
        if self.type_attr is not None:
            given = pc.utf8_trim_whitespace(_strings([d.get(self.type_attr) for d in datas]))
            kinds = pc.if_else(pc.equal(pc.utf8_length(given), 0), kinds, given)
        follow = pc.is_in(pc.utf8_lower(kinds), value_set=pa.array(sorted(_FOLLOW)))
        follow = follow.to_numpy(zero_copy_only=False)
        src = pa.array([u for u, _, _ in edges], pa.string())
        dst = pa.array([v for _, v, _ in edges], pa.string())
        copies = np.ones(n, dtype=np.int64)
        if self.mirror:  # an undirected edge both ways (a self-loop once)
            copies += pc.not_equal(src, dst).to_numpy(zero_copy_only=False)
        index = np.repeat(np.arange(n, dtype=np.int64), copies)
        flipped = np.zeros(len(index), dtype=bool)
        flipped[np.cumsum(copies)[copies == 2] - 1] = True
        columns: dict[str, pa.Array] = {"type": kinds}
        if self.ts_attrs:
            ts = [next((v for a in self.ts_attrs if (v := d.get(a)) is not None and v != ""),
                       None) for d in datas]
            columns["ts"] = _strings(ts)
        for name in [*self.mapped, *self.extras]:
            label = name if name not in _EDGE_COLUMNS or name in self.mapped else (
                f"{name}_attribute")
            columns[label] = _strings([d.get(name) for d in datas])
        take, flip = pa.array(index), pa.array(flipped)
        s, t = src.take(take), dst.take(take)
        full = {"src": pc.if_else(flip, t, s), "dst": pc.if_else(flip, s, t),
                **{k: v.take(take) for k, v in columns.items()}}
        out = []
        for table, mine in (("follows", follow[index]), ("interactions", ~follow[index])):
            if not mine.any():
                continue
            keep = pa.array(mine)
            part = {k: v.filter(keep) for k, v in full.items()
                    if not (k == "type" and table == "follows")}
            part = {k: v for k, v in part.items()  # (attributes this table has)
                    if k in ("src", "dst", "type", "ts") or pc.any(pc.not_equal(v, "")).as_py()}
            out.append((table, pa.table(part), index[mine]))
        return out


def _edge_text(edge: tuple[str, str, dict]) -> str:
    u, v, d = edge
    return f"edge {u} -> {v} {_text(dict(d))}"[:_RECORD_CHARS]


def _with_element_columns(rejects: pa.Table, path: str, columns_of: Mapping[int, int]
                          ) -> pa.Table:
    """Rejects of ``path`` with the column of their element's start tag (the check engine
    knows no field positions for graph files)."""
    lines = rejects.column("line").to_pylist()
    files = rejects.column("file").to_pylist()
    column = rejects.column("column").to_pylist()
    for i, (file, line) in enumerate(zip(files, lines, strict=True)):
        if file == path and line in columns_of:
            column[i] = columns_of[line]
    return rejects.set_column(rejects.schema.get_field_index("column"), "column",
                              pa.array(column, pa.int64()))


def _read(path: Path, options: ReadOptions) -> Snapshot:
    return read_graph_file(path, edge_kind=options.edge_type, on_error=options.on_error,
                           interaction_types=options.interaction_types, ts_unit=options.ts_unit)


#: ``--format graph``.
IMPORTER = Importer(
    name="graph",
    summary="graph files: GraphML (.graphml), GEXF (.gexf), GML (.gml); nodes -> users, "
            "edges -> follows or typed interactions",
    read=_read,
    detect=is_graph_file,
    options=frozenset({"edge_type", "ts_unit"}),
    precedence=30,
)
