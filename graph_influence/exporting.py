"""Export per-user results of a run to CSV, Parquet or JSON, or the run's influence graph to
GraphML or GEXF.

The graph formats hold the same per-user columns as the tables (``id, influence, score,
rank``, ``community`` and ``topic:<name>`` scores when the run has them) plus ``name``, as
node attributes, and one directed edge per follow pair (``type="follow"``, ``weight`` 1,
``count`` 1) and per (src, dst, interaction type) (``type``, ``count`` = events, ``weight`` =
the sum of their weights, not decayed), taken from the store's graph at the run's as-of time.
The XML is built with Arrow compute, a batch of rows at a time, not element by element.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graph_influence.errors import GraphInfluenceError
from graph_influence.formatting import EXPORT_FORMATS
from graph_influence.stores import Store

__all__ = ["EXPORT_FORMATS", "GRAPH_EXPORT_FORMATS", "export_graph", "export_scores"]

#: Export formats that write the graph (nodes with their results, and the edges).
GRAPH_EXPORT_FORMATS: tuple[str, ...] = ("graphml", "gexf")

#: Rows turned into XML text per batch.
_BATCH = 200_000


def _export_format(out: Path, format: str | None) -> str:
    fmt = (format or out.suffix.lstrip(".") or "csv").lower()
    if fmt not in EXPORT_FORMATS:
        raise GraphInfluenceError(
            f"cannot export as {fmt!r} — use --format {'|'.join(EXPORT_FORMATS)}"
        )
    return fmt


def _user_table(store: Store, run_id: int) -> pa.Table:
    """One row per user of the run: the scores, then community and topic scores."""
    table = _string_ids(store.scores_arrow(run_id=run_id))
    extras = _string_ids(store.user_extras(run_id=run_id)) if store.has_run_results(
        run_id) else None
    if extras is not None and extras.num_columns > 1:  # community and topic scores
        joined = table.join(extras, "id", join_type="left outer")
        table = joined.sort_by([("rank", "ascending"), ("id", "ascending")])
    return table


def export_scores(
    store: Store, out: str | Path, *, format: str | None = None, run_id: int | None = None,
    csv_safe: bool = False,
) -> int:
    """Write one row per user (``id, influence, score, rank``, then ``community`` and one
    ``topic:<name>`` score column per topic when the run has them) ordered by rank.

    A store that keeps topic scores and memberships of the latest run only
    (``store.capabilities.results_of_every_run`` False) exports an older run's overall
    results without those columns.

    Parameters
    ----------
    store : Store
    out : str or Path
        The file to write.
    format : {"csv", "parquet", "json", "jsonl", "graphml", "gexf"}, optional
        Default: from the file's suffix, else CSV. ``json`` writes one array of objects;
        ``graphml`` and ``gexf`` write the graph (see :func:`export_graph`).
    run_id : int, optional
        Default: the latest run.
    csv_safe : bool, optional
        CSV only: put ``'`` before every text cell (and column name) that starts with
        ``= + - @``, a tab or a carriage return, so that a spreadsheet shows it instead of
        running it as a formula (OWASP's rule). Default False: every cell verbatim.

    Returns
    -------
    int
        Rows (users) written.
    """
    out = Path(out)
    fmt = _export_format(out, format)
    if fmt in GRAPH_EXPORT_FORMATS:
        return export_graph(store, out, format=fmt, run_id=run_id)[0]
    run_id = store.resolve_run_id(run_id)
    table = _user_table(store, run_id)
    try:
        if fmt == "csv":
            pacsv.write_csv(_csv_safe_table(table) if csv_safe else table, out)
        elif fmt == "parquet":
            pq.write_table(table, out)
        else:
            frame = table.to_pandas()
            if fmt == "json":
                frame.to_json(out, orient="records", double_precision=15, force_ascii=False)
            else:
                frame.to_json(out, orient="records", lines=True, double_precision=15,
                              force_ascii=False)
    except OSError as exc:
        raise GraphInfluenceError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return table.num_rows


def _csv_safe_table(table: pa.Table) -> pa.Table:
    """``table`` with ``'`` before each text cell and column name a spreadsheet would run as
    a formula (:func:`graph_influence.formatting.csv_safe`)."""
    from graph_influence.formatting import csv_safe

    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            formula = pc.match_substring_regex(column, r"^[=+\-@\t\r]")
            column = pc.if_else(formula, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.table(columns, names=[csv_safe(n) for n in table.column_names])


def export_graph(
    store: Store, out: str | Path, *, format: str | None = None, run_id: int | None = None
) -> tuple[int, int]:
    """Write a run's influence graph as GraphML or GEXF.

    Nodes are the run's users with ``name``, ``influence``, ``score``, ``rank`` and, when the
    run has them, ``community`` and ``topic:<name>`` scores as attributes (GEXF: the name is
    the node's ``label``); a missing value (no name, no kept topic score) is left out. Edges are
    directed, ``src -> dst`` (attention flows to ``dst``): one per follow pair with
    ``type="follow"``, and one per (src, dst, interaction type) with ``count`` (events) and
    ``weight`` (the sum of the events' weights, not decayed), from the store's graph at the
    run's as-of time. Edges touching a user loaded after the run are left out.

    Parameters
    ----------
    store : Store
    out : str or Path
        The file to write (``.graphml`` or ``.gexf``).
    format : {"graphml", "gexf"}, optional
        Default: from the file's suffix.
    run_id : int, optional
        Default: the latest run.

    Returns
    -------
    (int, int)
        Nodes and edges written.

    Raises
    ------
    GraphInfluenceError
        If the format is not a graph format or the file cannot be written.
    StoreNotReadyError
        If the store has no such run.
    """
    out = Path(out)
    fmt = _export_format(out, format)
    if fmt not in GRAPH_EXPORT_FORMATS:
        raise GraphInfluenceError(
            f"cannot export a graph as {fmt!r} — use --format {'|'.join(GRAPH_EXPORT_FORMATS)}"
        )
    run = store.run(run_id)
    users = _user_table(store, run.run_id)
    names = store.top_rows(users.num_rows, run_id=run.run_id)
    named = pa.table({"id": pa.array(names.column("id"), pa.string()),
                      "name": pa.array(names.column("name"), pa.string())})
    nodes = users.join(named, "id", join_type="left outer").sort_by(
        [("rank", "ascending"), ("id", "ascending")])
    edges = _edges(store, run.as_of, nodes.column("id"))
    writer = _write_graphml if fmt == "graphml" else _write_gexf
    try:
        with open(out, "wb") as fh:
            writer(fh, nodes, edges)
    except OSError as exc:
        raise GraphInfluenceError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return nodes.num_rows, edges.num_rows


@dataclass
class _Edges:
    """The exported edges: ``source``, ``target`` (indexes into ``ids``), ``type`` (index into
    ``types``), ``weight``, ``count``; ids and types are escaped once, not once per edge."""

    ids: pa.Array
    types: pa.Array
    table: pa.Table

    @property
    def num_rows(self) -> int:
        return self.table.num_rows


def _edges(store: Store, as_of, run_ids: pa.ChunkedArray) -> _Edges:
    """Every follow pair and interaction aggregate between users of the run."""
    view = store.graph_view(as_of=as_of, half_life_seconds=None)
    ids = pa.array(view.ids, pa.string())
    in_run = pc.is_in(ids, value_set=run_ids.combine_chunks()).to_numpy(zero_copy_only=False)
    fs, fd = view.follow_src, view.follow_dst
    keep_f = in_run[fs] & in_run[fd]
    isrc, idst = view.inter_src, view.inter_dst
    keep_i = in_run[isrc] & in_run[idst]
    n_f = int(keep_f.sum())
    follow = len(view.type_names)  # the code of "follow"
    return _Edges(
        ids=_escape(ids),
        types=_escape(pa.array([*view.type_names, "follow"], pa.string())),
        table=pa.table({
            "source": np.concatenate([fs[keep_f], isrc[keep_i]]),
            "target": np.concatenate([fd[keep_f], idst[keep_i]]),
            "type": np.concatenate([np.full(n_f, follow, dtype=np.int64),
                                    np.asarray(view.inter_type, dtype=np.int64)[keep_i]]),
            "weight": pa.array(np.concatenate([np.ones(n_f), view.inter_decayed[keep_i]]),
                               pa.float64()),
            "count": pa.array(np.concatenate([np.ones(n_f, dtype=np.int64),
                                              view.inter_count[keep_i]]), pa.int64()),
        }),
    )


# -- XML text, vectorised ----------------------------------------------------------------

#: Characters XML 1.0 cannot hold at all (they become U+FFFD).
_NOT_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"
#: Characters that need escaping or replacing.
_SPECIAL = r"[&<>\"'\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"


def _escape(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Strings as XML attribute or element text: ``& < > " '`` as entities, tabs and line
    breaks as character references (so that parsers do not normalise them away), and
    characters XML cannot hold replaced by U+FFFD."""
    text = values.cast(pa.string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    if not pc.any(pc.match_substring_regex(text, _SPECIAL)).as_py():
        return text  # nothing to escape (the common case: one scan, no copies)
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"),
                         ("'", "&apos;"), ("\t", "&#9;"), ("\n", "&#10;"), ("\r", "&#13;")):
        text = pc.replace_substring(text, char, entity)
    return pc.replace_substring_regex(text, _NOT_XML, "\ufffd")


def _numbers(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Numbers as text that reads back to the same value (Arrow's shortest round trip)."""
    text = values.cast(pa.string())
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _optional(prefix: str, values: pa.Array, suffix: str) -> pa.Array:
    """``prefix + value + suffix`` where a value is present, else ``""``."""
    joined = pc.binary_join_element_wise(prefix, values, suffix, "")
    return pc.if_else(pc.is_valid(values), joined, "")


def _write_lines(fh: IO[bytes], parts: list) -> None:
    """Write one line per row: the concatenation of ``parts`` (arrays or strings)."""
    lines = pc.binary_join_element_wise(*parts, "\n", "")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    if len(lines) == 0:
        return
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[
        lines.offset: lines.offset + len(lines) + 1]
    fh.write(memoryview(lines.buffers()[2])[offsets[0]: offsets[-1]])


def _batches(table: pa.Table) -> Iterator[pa.Table]:
    for start in range(0, table.num_rows, _BATCH):
        yield table.slice(start, _BATCH)


def _attribute_columns(nodes: pa.Table) -> list[tuple[str, str]]:
    """``(column, kind)`` of the node attributes besides id and name: double, long, int."""
    out = []
    for field in nodes.schema:
        if field.name in ("id", "name"):
            continue
        if pa.types.is_floating(field.type):
            out.append((field.name, "double"))
        elif pa.types.is_integer(field.type):
            out.append((field.name, "long" if field.type.bit_width > 32 else "int"))
        else:
            out.append((field.name, "string"))
    return out


def _cell(column: pa.ChunkedArray, kind: str) -> pa.Array:
    if kind == "string":
        return _escape(column)
    combined = column.combine_chunks()
    text = _numbers(combined)
    return pc.if_else(pc.is_valid(combined), text, pa.scalar(None, pa.string()))


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _write_graphml(fh: IO[bytes], nodes: pa.Table, edges: _Edges) -> None:
    attributes = _attribute_columns(nodes)
    head = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
            'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
            '  <key id="name" for="node" attr.name="name" attr.type="string"/>']
    keys = {}
    for i, (name, kind) in enumerate(attributes):
        keys[name] = f"n{i}"
        head.append(f'  <key id="n{i}" for="node" attr.name="{_attr(name)}" '
                    f'attr.type="{kind}"/>')
    head += ['  <key id="type" for="edge" attr.name="type" attr.type="string"/>',
             '  <key id="weight" for="edge" attr.name="weight" attr.type="double"/>',
             '  <key id="count" for="edge" attr.name="count" attr.type="long"/>',
             '  <graph id="influence" edgedefault="directed">', ""]
    fh.write("\n".join(head).encode())
    for batch in _batches(nodes):
        parts = ['    <node id="', _escape(batch.column("id")), '">',
                 _optional('<data key="name">', _escape(batch.column("name")), "</data>")]
        for name, kind in attributes:
            parts.append(_optional(f'<data key="{keys[name]}">', _cell(batch.column(name), kind),
                                   "</data>"))
        parts.append("</node>")
        _write_lines(fh, parts)
    for batch in _batches(edges.table):
        _write_lines(fh, [
            '    <edge source="', edges.ids.take(batch.column("source")), '" target="',
            edges.ids.take(batch.column("target")), '"><data key="type">',
            edges.types.take(batch.column("type")), '</data><data key="weight">',
            _numbers(batch.column("weight")), '</data><data key="count">',
            _numbers(batch.column("count")), "</data></edge>",
        ])
    fh.write(b"  </graph>\n</graphml>\n")


def _write_gexf(fh: IO[bytes], nodes: pa.Table, edges: _Edges) -> None:
    attributes = _attribute_columns(nodes)
    kinds = {"double": "double", "long": "long", "int": "integer", "string": "string"}
    head = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">',
            "  <meta><creator>graph-influence</creator></meta>",
            '  <graph defaultedgetype="directed" mode="static">',
            '    <attributes class="node" mode="static">']
    for i, (name, kind) in enumerate(attributes):
        head.append(f'      <attribute id="{i}" title="{_attr(name)}" type="{kinds[kind]}"/>')
    head += ["    </attributes>",
             '    <attributes class="edge" mode="static">',
             '      <attribute id="type" title="type" type="string"/>',
             '      <attribute id="count" title="count" type="long"/>',
             "    </attributes>",
             "    <nodes>", ""]
    fh.write("\n".join(head).encode())
    for batch in _batches(nodes):
        ids = _escape(batch.column("id"))
        label = pc.coalesce(_escape(batch.column("name")), ids)
        parts = ['      <node id="', ids, '" label="', label, '"><attvalues>']
        for i, (name, kind) in enumerate(attributes):
            parts.append(_optional(f'<attvalue for="{i}" value="', _cell(batch.column(name), kind),
                                   '"/>'))
        parts.append("</attvalues></node>")
        _write_lines(fh, parts)
    fh.write(b"    </nodes>\n    <edges>\n")
    start = 0
    for batch in _batches(edges.table):
        ids = _numbers(pa.array(np.arange(start, start + batch.num_rows, dtype=np.int64)))
        start += batch.num_rows
        _write_lines(fh, [
            '      <edge id="', ids, '" source="', edges.ids.take(batch.column("source")),
            '" target="', edges.ids.take(batch.column("target")), '" weight="',
            _numbers(batch.column("weight")), '"><attvalues><attvalue for="type" value="',
            edges.types.take(batch.column("type")), '"/><attvalue for="count" value="',
            _numbers(batch.column("count")), '"/></attvalues></edge>',
        ])
    fh.write(b"    </edges>\n  </graph>\n</gexf>\n")


def _string_ids(table):
    i = table.schema.get_field_index("id")
    return table.set_column(i, "id", table.column("id").cast("string"))
