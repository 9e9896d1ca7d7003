"""The ``history`` command: one user's score, rank and percentile in every run.

It reads the store's light :meth:`~graph_influence.stores.base.Store.user_history` query (plain
rows, no numpy or pandas), so that it answers in a fraction of a second as a process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from graph_influence.cli.app import app, echo_err, handle_errors
from graph_influence.cli.options import FormatOption, OutputFormat, StoreOption

__all__ = ["TABLE_HEADERS", "TABLE_WIDTH", "history"]

#: The width the table is kept to: ``influence`` is left out of it when it would not fit
#: (CSV and JSON always carry every column, at full precision).
TABLE_WIDTH = 80
#: The table's short headers for the long column names (CSV and JSON keep the names).
TABLE_HEADERS = {"run_id": "run", "created_at": "created", "percentile": "pctl"}


def _open(store: str | None):
    from graph_influence.stores import open_store

    return open_store(store, read_only=True)


def _minute(value: datetime | None) -> str | None:
    """A timestamp as the table shows it: to the minute (None stays None: a blank cell)."""
    return None if value is None else value.strftime("%Y-%m-%d %H:%M")


def _table(rows) -> tuple[list[str], list[tuple], dict[str, int]]:
    """The table's columns and rows: short headers (:data:`TABLE_HEADERS`), timestamps to the
    minute, ``influence`` only when the lines fit :data:`TABLE_WIDTH` (ranks and user counts
    of up to 7 digits fit without it)."""
    records = rows.records()
    columns = ["run_id", "created_at", "as_of", "score", "rank", "percentile", "influence",
               "users"]
    values = [(r["run_id"], _minute(r["created_at"]), _minute(r["as_of"]), r["score"],
               r["rank"], r["percentile"], r["influence"], r["users"]) for r in records]
    digits = {"score": 1, "percentile": 1}

    def width(i: int, name: str) -> int:
        cells = [v[i] for v in values if v[i] is not None]
        if name in digits:
            text = [f"{c:.{digits[name]}f}" for c in cells]
        elif name == "influence":
            text = [f"{c:.6g}" for c in cells]
        else:
            text = [str(c) for c in cells]
        return max([len(TABLE_HEADERS.get(name, name)), *map(len, text)])

    widths = [width(i, name) for i, name in enumerate(columns)]
    if 1 + sum(widths) + 3 * (len(widths) - 1) > TABLE_WIDTH:
        keep = [i for i, name in enumerate(columns) if name != "influence"]
        columns = [columns[i] for i in keep]
        values = [tuple(v[i] for i in keep) for v in values]
    return ([TABLE_HEADERS.get(c, c) for c in columns], values,
            {TABLE_HEADERS.get(c, c): d for c, d in digits.items()})


@app.command()
@handle_errors
def history(
    user: Annotated[str, typer.Argument(help="The user's id.")],
    store: StoreOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Show a user's score, rank and percentile in every analysis run, oldest first.

    One row per run that scored the user: run_id, created_at, as_of, score, rank, percentile
    (as explain reports it: the share of the run's users with lower influence), influence and
    the run's users.

    Example: graph-influence history alice --format json
    """
    from graph_influence.formatting import display, write_rows

    with _open(store) as st:
        rows = st.user_history(user)
    fmt = format.value
    if fmt != "table":
        write_rows(rows.columns, rows.rows, fmt)
        return
    if not rows.rows:
        echo_err(f"no run has scored {display(user)} yet — it was loaded after the last "
                 "analysis: run graph-influence analyze")
        return
    columns, values, digits = _table(rows)
    title = f"{display(user)}: {len(values)} run{'s' if len(values) != 1 else ''}"
    write_rows(columns, values, "table", title=title, float_digits=digits)
