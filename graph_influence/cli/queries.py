"""The query commands: ``top``, ``topics``, ``communities``, ``info``, ``export``.

They read the store's light query members (plain rows, no numpy or pandas), so that each
answers in a fraction of a second as a process.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from graph_influence.cli.app import app, echo_err, handle_errors
from graph_influence.cli.notices import stale_run_notice
from graph_influence.cli.options import (
    ExportFormat,
    FormatOption,
    OutputFormat,
    ReportFormat,
    ReportFormatOption,
    RunOption,
    StoreOption,
    hidden_limit_alias,
    limit_option,
)

__all__ = ["communities", "export", "info", "top", "topics", "write_top"]


def _open(store: str | None):
    from graph_influence.stores import open_store

    return open_store(store, read_only=True)


def _select(rows, wanted: list[str]):
    """``rows`` (a :class:`~graph_influence.stores.base.Rows`) reduced to ``wanted`` columns."""
    index = [rows.columns.index(c) for c in wanted]
    return wanted, [tuple(r[i] for i in index) for r in rows.rows]


def _with_name(rows, columns: list[str], fmt: str) -> list[str]:
    """Add the ``name`` column, except to a table where no user has a name."""
    if "name" not in rows.columns:
        return columns
    i = rows.columns.index("name")
    if fmt != "table" or any(r[i] is not None for r in rows.rows):
        return [*columns, "name"]
    return columns


def write_top(rows, fmt: str, *, csv_safe: bool = False) -> None:
    """Write a leaderboard (``rank, id, score, influence[, name]``)."""
    from graph_influence.formatting import write_rows

    columns, values = _select(rows, _with_name(rows, ["rank", "id", "score", "influence"], fmt))
    write_rows(columns, values, fmt, float_digits={"score": 1}, csv_safe=csv_safe)


#: ``--csv-safe``: neutralise spreadsheet formulas in CSV cells.
CsvSafeOption = Annotated[
    bool,
    typer.Option("--csv-safe", help="CSV: put ' before text cells starting with = + - @, a "
                 "tab or a carriage return, so a spreadsheet does not run them as formulas "
                 "(default: every cell verbatim).", rich_help_panel="Output"),
]


@app.command()
@handle_errors
def top(
    store: StoreOption = None,
    limit: Annotated[int, limit_option("users")] = 10,
    limit_alias: Annotated[int | None, hidden_limit_alias()] = None,
    run: RunOption = None,
    topic: Annotated[str | None, typer.Option(
        "--topic", help="Rank by influence on this topic (see graph-influence topics).",
        show_default=False)] = None,
    format: FormatOption = OutputFormat.table,
    csv_safe: CsvSafeOption = False,
) -> None:
    """Print the top influencers of the latest analysis, overall or for one topic.

    Example: graph-influence top --topic python -n 20 --format json
    """
    from graph_influence.formatting import write_rows

    limit = limit_alias or limit
    stale_run_notice(store, run)
    if topic is None:
        with _open(store) as st:
            rows = st.top_rows(limit, run_id=run)
        write_top(rows, format.value, csv_safe=csv_safe)
        return
    from graph_influence.topic_names import normalize_topic

    with _open(store) as st:
        rows = st.top_topic_rows(normalize_topic(topic), limit, run_id=run)
    wanted = ["rank", "id", "score", "topic_influence", "influence", "score_overall"]
    columns, values = _select(rows, _with_name(rows, wanted, format.value))
    write_rows(columns, values, format.value, float_digits={"score": 1, "score_overall": 1},
               csv_safe=csv_safe)


@app.command()
@handle_errors
def topics(
    store: StoreOption = None,
    run: RunOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """List the topics of the latest analysis with their user counts and top 3 influencers.

    Example: graph-influence topics --format json
    """
    from graph_influence.formatting import write_rows

    with _open(store) as st:
        stale_run_notice(st, run)
        rows = st.topics_rows(run_id=run)
    if not rows.rows and format.value == "table":
        echo_err("this analysis has no topics — the snapshot needs topics or hashtags "
                 "(users.topics, posts.text/topics, interactions.topics)")
        return
    write_rows(rows.columns, rows.rows, format.value)


@app.command()
@handle_errors
def communities(
    store: StoreOption = None,
    run: RunOption = None,
    limit: Annotated[int, limit_option("communities, the largest first")] = 20,
    format: FormatOption = OutputFormat.table,
) -> None:
    """List the communities of the latest analysis: size, top topics, top members.

    Example: graph-influence communities --format json
    """
    import json

    from graph_influence.formatting import to_jsonable, write_rows

    with _open(store) as st:
        stale_run_notice(st, run)
        modularity, rows = st.communities_rows(run_id=run, limit=limit)
    records = rows.rows
    if format.value == "json":
        sys.stdout.write(json.dumps(to_jsonable({
            "modularity": modularity,
            "communities": [dict(zip(rows.columns, r, strict=True)) for r in records],
        }), ensure_ascii=False) + "\n")
        return
    if format.value == "table":
        echo_err(f"modularity {modularity:.4f}")
        topics_at = rows.columns.index("top_topics")
        records = [tuple(", ".join(f"{t['topic']} ({t['lift']:.1f}x)" for t in v)
                         if i == topics_at else v for i, v in enumerate(r)) for r in records]
    write_rows(rows.columns, records, format.value)


@app.command()
@handle_errors
def info(
    store: StoreOption = None,
    format: ReportFormatOption = ReportFormat.table,
) -> None:
    """Show what the store holds: counts, loads, and the last analysis.

    Example: graph-influence info --format json
    """
    from graph_influence.formatting import write_json
    from graph_influence.stores import redact_url

    with _open(store) as st:
        data = st.info()
    data["store"] = redact_url(data["store"])
    if format.value == "json":
        write_json({**data, **data["counts"]})
        return
    from graph_influence.formatting import display as d

    out = sys.stdout
    out.write(f"store        {d(data['store'])}\n")
    for name, count in data["counts"].items():
        out.write(f"{name:<13}{count:,}\n")
    lo, hi = data["time_range"]
    out.write(f"time range   {lo} .. {hi}\n")
    out.write(f"loads        {len(data['loads'])}\n")
    for ld in data["loads"]:
        out.write(f"  {ld['load_id']}  {ld['status']:<9} {d(ld['format']):<9} "
                  f"{d(ld['source'])}\n")
    last = data["last_run"]
    if last is None:
        out.write("last run     none — run: graph-influence analyze\n")
    else:
        out.write(f"runs         {data['runs']}\n")
        out.write(f"last run     {last.run_id} at {last.created_at}: {last.n_users:,} users, "
                  f"converged={last.converged} in {last.iterations} iterations "
                  f"(L1 change {last.error:.2e})\n")
        params = ", ".join(f"{k}={v}" for k, v in sorted(last.params.items()))
        out.write(f"parameters   {d(params)}\n")


@app.command()
@handle_errors
def export(
    out: Annotated[Path, typer.Argument(help="File to write (- for standard output).")],
    store: StoreOption = None,
    format: Annotated[
        ExportFormat | None, typer.Option("--format", "-f", help="File format (default: from "
                                          "the file's suffix, else csv); graphml and gexf "
                                          "write the graph: users with their results, and "
                                          "the follow and interaction edges.",
                                          show_default=False)
    ] = None,
    run: RunOption = None,
    csv_safe: CsvSafeOption = False,
) -> None:
    """Export one row per user (id, influence, score, rank, community, topic scores), or the
    influence graph with those as node attributes (GraphML, GEXF).

    Example: graph-influence export scores.parquet

    Also: graph-influence export influence.gexf (open it in Gephi); graph-influence export -
    --format parquet > scores.parquet
    """
    from graph_influence.exporting import GRAPH_EXPORT_FORMATS, export_graph, export_scores
    from graph_influence.formatting import is_stdout, output_path
    from graph_influence.outputs import check_output

    check_output(out, store_url=store, what="export to")  # before the store is opened
    to_stdout = is_stdout(out)
    fmt = (format.value if format else None) or ("csv" if to_stdout else
                                                  out.suffix.lstrip(".").lower())
    where = "standard output" if to_stdout else str(out)
    with _open(store) as st, output_path(out, suffix=f".{fmt}") as path:
        stale_run_notice(st, run)
        if fmt in GRAPH_EXPORT_FORMATS:
            n, m = export_graph(st, path, format=fmt, run_id=run)
            done = f"wrote {n:,} users and {m:,} edges to {where}"
        else:
            n = export_scores(st, path, format=fmt if to_stdout else
                              (format.value if format else None), run_id=run,
                              csv_safe=csv_safe)
            done = f"wrote {n:,} users to {where}"
    echo_err(done)
