"""``graph-influence load``: validate a snapshot and merge it into the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from graph_influence.cli.app import app, handle_errors
from graph_influence.cli.options import (
    OUTPUT_PANEL,
    OnError,
    ReportFormat,
    SnapshotFormat,
    StoreOption,
    TsUnit,
)

__all__ = ["load", "print_load"]

INPUT_PANEL = "Input"


@app.command()
@handle_errors
def load(
    snapshot: Annotated[Path, typer.Argument(help="Snapshot directory, Higgs files, "
                                             "ego-Twitter networks or an edge list.")],
    store: StoreOption = None,
    format: Annotated[
        SnapshotFormat, typer.Option("--format", "-f", help="Snapshot format (auto: guess "
                                     "from the path).", rich_help_panel=INPUT_PANEL)
    ] = SnapshotFormat.auto,
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
        typer.Option("--type", help="Allow an extra interaction type (repeatable).",
                     rich_help_panel=INPUT_PANEL),
    ] = None,
    edge_kind: Annotated[
        str, typer.Option("--edge-kind", help="Edge lists: 'follow' or an interaction type.",
                          rich_help_panel=INPUT_PANEL)
    ] = "follow",
    columns: Annotated[
        str | None,
        typer.Option("--columns", help="Edge lists: column names in order, e.g. src,dst,ts "
                     "(default: the file's header row, if it names them).",
                     rich_help_panel=INPUT_PANEL),
    ] = None,
    ts_unit: Annotated[
        TsUnit, typer.Option("--ts-unit", help="Unit of epoch timestamps in snapshot tables "
                             "and edge lists: s, ms or us.", rich_help_panel=INPUT_PANEL)
    ] = TsUnit.s,
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
    """
    from graph_influence.loading import load_snapshot
    from graph_influence.stores import open_store

    with open_store(store) as st:
        summary, rejects_path = load_snapshot(
            st, snapshot, format=format.value, on_error=on_error.value, rejects=rejects,
            interaction_types=types or (), edge_kind=edge_kind,
            columns=columns.split(",") if columns else None, ts_unit=ts_unit.value,
        )
        url = st.url
    print_load(summary, rejects_path, url, (output_alias or report_format).value)


def print_load(summary, rejects_path, url: str, fmt: str) -> None:
    """The load report: one line per table (``read = loaded + rejected; new``), or JSON."""
    from graph_influence.formatting import write_json

    if fmt == "json":
        write_json({
            "load_id": summary.load_id, "store": url, "source": summary.source,
            "format": summary.format, "already_loaded_as": summary.already_loaded_as,
            "tables": {k: vars(v) for k, v in summary.reports.items()},
            "rejects_file": str(rejects_path) if rejects_path else None,
            "seconds": summary.seconds,
        })
        return
    out = sys.stdout
    out.write(f"load {summary.load_id} into {url} ({summary.format}: {summary.source})\n")
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
            extras.append(f"ignored columns: {', '.join(r.ignored_columns)}")
        if r.unresolved:
            extras.append(f"unresolved references {r.unresolved:,} (their tweets or users are "
                          "not in the input)")
        out.write(line + ("; " + "; ".join(extras) if extras else "") + "\n")
    if summary.already_loaded_as:
        out.write(f"  this snapshot was loaded before (load {summary.already_loaded_as}); "
                  "nothing was duplicated\n")
    if rejects_path:
        out.write(f"  rejected rows and reasons: {rejects_path}\n")
