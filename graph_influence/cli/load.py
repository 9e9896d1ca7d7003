"""``graph-influence load``: validate a snapshot and merge it into the store."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from graph_influence.cli.app import app, handle_errors
from graph_influence.cli.options import (
    OUTPUT_PANEL,
    Bulk,
    FormatOption,
    OnError,
    OutputFormat,
    ReportFormat,
    StoreOption,
    TsUnit,
)
from graph_influence.errors import GraphInfluenceError, InputError, SnapshotError
from graph_influence.schema import SNAPSHOT_FORMATS

__all__ = ["load", "print_load"]

INPUT_PANEL = "Input"
TABLE_PANEL = "Edge lists and tables"
SOCIAL_PANEL = "Social media"


def _complete_format(incomplete: str) -> list[str]:
    from graph_influence.loaders.registry import format_names

    return [f for f in ("auto", *format_names()) if f.startswith(incomplete)]


def _column(flag: str, what: str) -> typer.models.OptionInfo:
    return typer.Option(flag, help=f"Tables: the column holding {what}.", show_default=False,
                        rich_help_panel=TABLE_PANEL)


@app.command()
@handle_errors
def load(
    snapshot: Annotated[str, typer.Argument(
        help="What to load: a snapshot directory, Twitter/Mastodon/Bluesky/Reddit JSON, a "
        "GraphML/GEXF/GML file, a table or an edge list (- reads standard input). "
        "graph-influence formats lists the formats.", show_default=False)],
    store: StoreOption = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"Input format: auto (guess from the path), "
                          f"{', '.join(SNAPSHOT_FORMATS[1:])}, or a plugin's.",
                          autocompletion=_complete_format, rich_help_panel=INPUT_PANEL)
    ] = "auto",
    on_error: Annotated[
        OnError,
        typer.Option("--on-error", help="fail: stop at the first bad row, store unchanged. "
                     "skip: load good rows, write bad ones to a rejects file.",
                     rich_help_panel=INPUT_PANEL),
    ] = OnError.fail,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Rejects file for --on-error skip.",
                                  rich_help_panel=INPUT_PANEL)
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="Allow an extra interaction type (repeatable). For an edge "
                     "list, table or graph file the first --type is the type of every edge "
                     "(follow, retweet, ...) or the column (attribute) holding it.",
                     rich_help_panel=INPUT_PANEL),
    ] = None,
    ts_unit: Annotated[
        TsUnit, typer.Option("--ts-unit", help="Unit of epoch timestamps in snapshot tables "
                             "and edge lists: s, ms or us.", rich_help_panel=INPUT_PANEL)
    ] = TsUnit.s,
    src: Annotated[str | None, _column("--src", "the actor (follower)")] = None,
    dst: Annotated[str | None, _column("--dst", "the user acted upon (followed)")] = None,
    ts: Annotated[str | None, _column("--ts", "the timestamp")] = None,
    weight: Annotated[str | None, _column("--weight", "the edge weight")] = None,
    topics: Annotated[str | None, _column("--topics", "';'-separated topics")] = None,
    post_id: Annotated[str | None, _column("--post-id", "the post acted on")] = None,
    columns: Annotated[
        str | None,
        typer.Option("--columns", help="Edge lists without a header: column names in order, "
                     "e.g. src,dst,ts.", rich_help_panel=TABLE_PANEL),
    ] = None,
    edge_kind: Annotated[str | None, typer.Option("--edge-kind", hidden=True)] = None,
    exclude_users: Annotated[
        list[str] | None,
        typer.Option("--exclude-user", help="Leave out a user (name or id) with their posts and "
                     "the replies to them (repeatable). Reddit's default: [deleted] and "
                     "AutoModerator; --exclude-user '' keeps everyone.",
                     rich_help_panel=SOCIAL_PANEL, show_default=False),
    ] = None,
    bulk: Annotated[
        Bulk, typer.Option("--bulk", help="Neo4j: auto imports a snapshot of 1,000,000+ rows "
                           "into an empty database of a server this machine controls (make "
                           "neo4j-up) offline with neo4j-admin, restarting it; always insists "
                           "(or says why not); never writes over Bolt.",
                           rich_help_panel=INPUT_PANEL)
    ] = Bulk.auto,
    report_format: Annotated[
        ReportFormat, typer.Option("--report-format", help="Format of the load report.",
                                   rich_help_panel=OUTPUT_PANEL)
    ] = ReportFormat.table,
    output_alias: Annotated[
        ReportFormat | None, typer.Option("--output", "-o", hidden=True)
    ] = None,
) -> None:
    """Validate a snapshot and load it into the store (atomic; reloading adds nothing).

    Example: graph-influence load ./snapshot --store net.duckdb --on-error skip

    Also: graph-influence load tweets.jsonl; zstdcat RC_2019-04.zst | graph-influence load -
    --format reddit
    """
    from graph_influence.loaders.registry import ReadOptions, get_importer, resolve_format
    from graph_influence.loading import load_snapshot
    from graph_influence.stores import open_store

    if rejects is not None:  # before the input is read or the store opened
        from graph_influence.outputs import check_output

        check_output(rejects, store_url=store, inputs=() if snapshot == "-" else (snapshot,),
                     what="write the rejects to")
    column_map = {k: v for k, v in (("src", src), ("dst", dst), ("ts", ts), ("weight", weight),
                                    ("topics", topics), ("post_id", post_id)) if v}
    with _input_path(snapshot) as path:
        fmt = resolve_format(path, format, ReadOptions(column_map=column_map))
        types = list(types or ())
        if edge_kind is None and "edge_type" in get_importer(fmt).options and types:
            edge_kind = types[0]  # the edges' type (or its column); the rest are allowed
        if edge_kind and edge_kind.lower() in ("follow", "follows"):
            types = [t for t in types if t.lower() not in ("follow", "follows")]
        with open_store(store) as st:
            summary, rejects_path = load_snapshot(
                st, path, format=fmt, on_error=on_error.value, rejects=rejects,
                interaction_types=types, edge_kind=edge_kind,
                columns=columns.split(",") if columns else None, ts_unit=ts_unit.value,
                column_map=column_map,
                exclude_users=None if exclude_users is None else [u for u in exclude_users if u],
                bulk=bulk.value,
            )
            url = st.url
        if snapshot == "-":
            summary.source = STDIN_NAME
    print_load(summary, rejects_path, url, (output_alias or report_format).value)


@app.command()
@handle_errors
def formats(format: FormatOption = OutputFormat.table) -> None:
    """List the input formats load reads (built in, and those of installed plugins).

    Example: graph-influence formats
    """
    from graph_influence.formatting import write_rows
    from graph_influence.loaders.registry import BUILTIN_FORMATS, FALLBACK_FORMAT, importers

    rows = [(i.name, "yes" if i.detect else "fallback" if i.name == FALLBACK_FORMAT else "no",
             ", ".join(sorted(
        _OPTION_FLAGS[o] for o in i.options)), "built in" if i.name in BUILTIN_FORMATS
        else "plugin", i.summary) for i in importers()]
    write_rows(["format", "auto", "options", "from", "reads"], rows, format.value)


#: The load flags of each importer option (``Importer.options``).
_OPTION_FLAGS = {"ts_unit": "--ts-unit", "columns": "--columns", "edge_type": "--type",
                 "column_map": "--src/--dst/...", "exclude_users": "--exclude-user"}

#: How standard input is named in reports and messages.
STDIN_NAME = "<stdin>"

_MAGIC = {b"\x1f\x8b": ".gz", b"\x28\xb5\x2f\xfd": ".zst"}


@contextmanager
def _input_path(snapshot: str) -> Iterator[Path]:
    """The path to read: ``snapshot``, or for ``-`` a temporary copy of standard input (named
    ``<stdin>`` in every message; its compression is recognised by its first bytes)."""
    if snapshot != "-":
        yield Path(snapshot)
        return
    import shutil
    import tempfile

    if sys.stdin.isatty():
        raise SnapshotError("load - reads standard input: pipe a file into it "
                            "(zstdcat dump.zst | graph-influence load - --format reddit)")
    with tempfile.TemporaryDirectory(prefix="graph-influence-stdin-") as tmp:
        stream = sys.stdin.buffer
        head = stream.read(4)
        suffix = next((s for m, s in _MAGIC.items() if head.startswith(m)), "")
        path = Path(tmp) / f"stdin{suffix}"
        with open(path, "wb") as out:
            out.write(head)
            shutil.copyfileobj(stream, out, 1 << 20)
        try:
            yield path
        except GraphInfluenceError as exc:
            raise _renamed(exc, str(path), STDIN_NAME) from None


def _renamed(exc: GraphInfluenceError, old: str, new: str) -> GraphInfluenceError:
    """``exc`` with the temporary file's name replaced by ``<stdin>``."""
    if isinstance(exc, InputError):
        return InputError(exc.path.replace(old, new), exc.line, exc.column,
                          exc.problem.replace(old, new), exc.fix, column_name=exc.column_name,
                          row=exc.row)
    return type(exc)(str(exc).replace(old, new))


def print_load(summary, rejects_path, url: str, fmt: str) -> None:
    """The load report: one line per table (``read = loaded + rejected; new``), or JSON.

    User text (the source path, column names, the store URL) is shown through
    :func:`~graph_influence.formatting.display`: verbatim, control characters escaped."""
    from graph_influence.formatting import display, write_json

    if fmt == "json":
        write_json({
            "load_id": summary.load_id, "store": url, "source": summary.source,
            "format": summary.format, "already_loaded_as": summary.already_loaded_as,
            "tables": {k: vars(v) for k, v in summary.reports.items()},
            "rejects_file": str(rejects_path) if rejects_path else None,
            "ignored": [[path, why] for path, why in summary.ignored],
            "seconds": summary.seconds, "bulk": summary.bulk,
        })
        return
    out = sys.stdout
    out.write(f"load {summary.load_id} into {display(url)} ({display(summary.format)}: "
              f"{display(summary.source)})\n")
    for name, r in summary.reports.items():
        if not r.read and not r.files:
            continue
        line = (f"  {name:<12} read {r.read:,} = loaded {r.loaded:,} + rejected {r.rejected:,}"
                f"; new {r.new:,}")
        extras = []
        if r.self_loops:
            extras.append(f"self-loops {r.self_loops:,} (kept, ignored by influence)")
        if r.duplicates:
            what = ("exact repeats kept as separate events" if name == "interactions"
                    else "merged into one")
            extras.append(f"duplicates {r.duplicates:,} ({what})")
        if r.ignored_columns:
            extras.append(f"ignored columns: {', '.join(map(display, r.ignored_columns))}")
        if r.unresolved:
            extras.append(f"unresolved references {r.unresolved:,} (their posts or users are "
                          "not in the input)")
        if r.excluded:
            extras.append(f"excluded {r.excluded:,} (--exclude-user)")
        out.write(line + ("; " + "; ".join(extras) if extras else "") + "\n")
    for path, why in summary.ignored:
        out.write(f"  ignored {display(path)}: {display(why)}\n")
    if summary.bulk:
        out.write("  written by a bulk import (neo4j-admin, offline: the server was stopped "
                  "and started again)\n")
    if summary.already_loaded_as:
        out.write(f"  this snapshot was loaded before (load {summary.already_loaded_as}); "
                  "nothing was duplicated\n")
    if rejects_path:
        out.write(f"  rejected rows and reasons: {display(rejects_path)}\n")
