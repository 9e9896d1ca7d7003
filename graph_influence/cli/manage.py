"""The commands that manage what a store holds: ``runs``, ``loads``, ``drop-load``,
``delete-run``.

``drop-load`` and ``delete-run`` destroy data, so they ask first on a terminal (``--yes``
skips the question) and refuse, without asking, when standard input is not a terminal and
``--yes`` was not given. The store is opened read-only until the answer is yes.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from graph_influence.cli.app import app, echo_err, handle_errors
from graph_influence.cli.options import (
    FormatOption,
    OutputFormat,
    ReportFormat,
    ReportFormatOption,
    StoreOption,
)
from graph_influence.errors import GraphInfluenceError

__all__ = ["delete_run", "drop_load", "loads", "runs"]

#: The data tables, in the order the reports list them.
TABLES = ("users", "follows", "interactions", "posts")

YesOption = Annotated[
    bool,
    typer.Option("--yes", "-y", help="Do not ask for confirmation (required when standard "
                 "input is not a terminal)."),
]


def _open(store: str | None, *, read_only: bool = True):
    from graph_influence.stores import open_store

    return open_store(store, read_only=read_only)


def _on_terminal() -> bool:
    """Whether a person can answer a question (standard input is a terminal)."""
    return sys.stdin.isatty()


def _confirm(command: str, question: str, yes: bool) -> None:
    """Go on when ``--yes`` was given or the person at the terminal says yes; else raise."""
    if yes:
        return
    if not _on_terminal():
        raise GraphInfluenceError(
            f"{command} destroys data and standard input is not a terminal, so it cannot ask "
            "— add --yes to go ahead (nothing was changed)")
    if not typer.confirm(question, default=False, err=True):
        raise GraphInfluenceError("not confirmed — nothing was changed")


def _parameters_text(changes: dict) -> str:
    return ", ".join(f"{k}={'none' if v is None else v}" for k, v in changes.items())


@app.command()
@handle_errors
def runs(
    store: StoreOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """List the analysis runs: id, time, as-of, changed parameters, users, convergence.

    The parameters column lists those that differ from the defaults, and the seed users of
    a personalised run (analyze --seed-users).

    Example: graph-influence runs --format json
    """
    from graph_influence.compare import parameter_changes
    from graph_influence.formatting import write_rows

    with _open(store) as st:
        records = st.runs()
    structured = format.value in ("json", "jsonl")
    columns = ["run_id", "created_at", "as_of", "users", "converged", "iterations",
               "parameters"]
    rows = []
    for r in records:
        changes = {k: a for k, (a, _) in parameter_changes(r.params).items()}
        seeds = (r.extras or {}).get("personalization")
        if seeds:  # not a parameter (the ids are not stored), but it changes every score
            changes["seed_users"] = f"{seeds['n_seeds']} from {seeds.get('source') or 'a list'}"
        rows.append((r.run_id, r.created_at, r.as_of, r.n_users, r.converged, r.iterations,
                     changes if structured else _parameters_text(changes)))
    if not rows and format.value == "table":
        echo_err("no analysis yet — run: graph-influence analyze")
        return
    write_rows(columns, rows, format.value)


@app.command()
@handle_errors
def loads(
    store: StoreOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """List the loads: id, time, status, format, source, the rows each holds.

    Each load holds the rows it was the first to contain (users, follows, interactions,
    posts); shared counts the rows it contains that an earlier load holds.

    Example: graph-influence loads --format json
    """
    from graph_influence.formatting import write_rows

    with _open(store) as st:
        rows = st.loads_rows()
    if not rows.rows and format.value == "table":
        echo_err("no loads yet — load a snapshot: graph-influence load SNAPSHOT")
        return
    write_rows(rows.columns, rows.rows, format.value)


@app.command("drop-load")
@handle_errors
def drop_load(
    load_id: Annotated[str, typer.Argument(help="The load's id (or a unique start of it; see "
                                           "graph-influence loads).", show_default=False)],
    store: StoreOption = None,
    delete_runs: Annotated[
        bool, typer.Option("--delete-runs", help="Also delete the runs computed on data that "
                           "included the load (without it, such runs stop the drop).")
    ] = False,
    yes: YesOption = False,
    format: ReportFormatOption = ReportFormat.table,
) -> None:
    """Drop a load: delete its ledger entry and the rows no other load contains.

    Rows another load also contains stay, held by the earliest such load. Runs computed
    after the load used its data: the drop refuses unless --delete-runs deletes them too.
    User names and attributes a later load changed are not rolled back.

    Example: graph-influence drop-load 20240501T101500-1a2b3c4d --delete-runs --yes
    """
    from graph_influence.errors import StoreNotReadyError
    from graph_influence.formatting import write_json
    from graph_influence.stores.base import runs_use_load_message

    with _open(store) as st:  # nothing changes before the answer
        entry = st.load(load_id)
        load_id = entry["load_id"]
        used_by = st.runs_using_load(load_id)
        if used_by and not delete_runs:
            raise StoreNotReadyError(runs_use_load_message(load_id, used_by))
        held = next(r for r in st.loads_rows().records() if r["load_id"] == load_id)
    holds = ", ".join(f"{t} {held[t]:,}" for t in TABLES)
    question = (f"drop load {load_id} ({entry['format']}: {entry['source']}; it holds {holds}"
                "; what other loads also contain stays)"
                + (f" and delete run{'s' if len(used_by) > 1 else ''} "
                   f"{', '.join(map(str, used_by))}" if used_by else "") + "?")
    _confirm("drop-load", question, yes)
    with _open(store, read_only=False) as st:
        summary = st.drop_load(load_id, delete_runs=delete_runs)
    if format.value == "json":
        write_json(vars(summary))
        return
    out = sys.stdout
    out.write(f"dropped load {summary.load_id} ({summary.format}: {summary.source})\n")
    for table in TABLES:
        removed, kept = summary.removed[table], summary.kept[table]
        if removed or kept:
            out.write(f"  {table:<12} removed {removed:,}"
                      + (f"; kept {kept:,} that other loads also contain" if kept else "")
                      + "\n")
    if summary.runs_deleted:
        out.write(f"  deleted run{'s' if len(summary.runs_deleted) > 1 else ''} "
                  f"{', '.join(map(str, summary.runs_deleted))}\n")


@app.command("delete-run")
@handle_errors
def delete_run(
    run_id: Annotated[int, typer.Argument(help="The run's id (see graph-influence runs).",
                                          min=1, show_default=False)],
    store: StoreOption = None,
    yes: YesOption = False,
) -> None:
    """Delete an analysis run and its results (scores, topics, communities).

    Example: graph-influence delete-run 3 --yes
    """
    with _open(store) as st:  # nothing changes before the answer
        run = st.run(run_id)
    _confirm("delete-run", f"delete run {run.run_id} (of {run.created_at}, "
             f"{run.n_users:,} users)?", yes)
    with _open(store, read_only=False) as st:
        st.delete_run(run.run_id)
        left = st.run_ids()
        without = bool(left) and not st.has_run_results()
    echo_err(f"deleted run {run.run_id}")
    if without:
        echo_err(f"note: run {left[-1]} is now the latest; this store keeps topic scores and "
                 "community memberships of the latest run only, and run "
                 f"{left[-1]}'s are gone — run graph-influence analyze for them")
