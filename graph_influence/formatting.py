"""Writing results to the terminal or a pipe: table, CSV, JSON, JSON lines.

One writer, :func:`write_rows`, takes column names and rows of plain values (the stores'
light ``*_rows`` results); it needs neither numpy nor pandas, so the query commands start
fast. Cell text is data: the table renders it verbatim (never as rich markup), and CSV cells that
hold lists or dicts are JSON-encoded.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TextIO

__all__ = [
    "EXPORT_FORMATS",
    "OUTPUT_FORMATS",
    "REPORT_FORMATS",
    "to_jsonable",
    "write_json",
    "write_rows",
]

#: Formats of rows written to standard output (leaderboards, lists).
OUTPUT_FORMATS: tuple[str, ...] = ("table", "csv", "json", "jsonl")
#: Formats of one document written to standard output (info, explain, compare, load report).
REPORT_FORMATS: tuple[str, ...] = ("table", "json")
#: Formats of an exported file (``graph-influence export``).
EXPORT_FORMATS: tuple[str, ...] = ("csv", "parquet", "json", "jsonl", "graphml", "gexf")


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (anything else unchanged)."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas/datetime values (recursively) into JSON-ready Python values."""
    value = _plain(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):  # an ndarray
        return to_jsonable(value.tolist())
    if isinstance(value, datetime | date):  # (pandas.Timestamp is a datetime)
        return None if value != value else value.isoformat()  # NaT
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "__dataclass_fields__"):
        return to_jsonable(vars(value))
    return value


def write_json(obj: Any, out: TextIO | None = None) -> None:
    """Write ``obj`` as indented JSON and a newline."""
    out = out or sys.stdout
    out.write(json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False) + "\n")


def _csv_cell(value: Any) -> Any:
    value = to_jsonable(value)
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _table_cell(value: Any, digits: int | None) -> str:
    value = _plain(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}" if digits is not None else f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def write_rows(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fmt: str,
    *,
    out: TextIO | None = None,
    title: str | None = None,
    float_digits: dict[str, int] | None = None,
) -> None:
    """Write rows in one of :data:`OUTPUT_FORMATS`.

    ``table`` is for people (rich, rounded); ``csv``, ``json`` (an array of objects) and
    ``jsonl`` carry full precision for programs.

    Parameters
    ----------
    columns : sequence of str
        Column names.
    rows : iterable of sequences
        One sequence of values per row, in column order.
    fmt : {"table", "csv", "json", "jsonl"}
        The output format.
    out : file, optional
        Default: standard output.
    title : str, optional
        A title above the table (``table`` only).
    float_digits : dict of str to int, optional
        Digits after the point of float columns in the table (default: 6 significant).
    """
    out = out or sys.stdout
    columns = [str(c) for c in columns]
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_csv_cell(v) for v in row] for row in rows)
    elif fmt == "json":
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        out.write(json.dumps(to_jsonable(records), ensure_ascii=False) + "\n")
    elif fmt == "jsonl":
        for row in rows:
            record = dict(zip(columns, row, strict=True))
            out.write(json.dumps(to_jsonable(record), ensure_ascii=False) + "\n")
    elif fmt == "table":
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        digits = float_digits or {}
        rows = [[_plain(v) for v in row] for row in rows]
        table = Table(title=title, show_edge=False, header_style="bold")
        for i, col in enumerate(columns):
            numeric = bool(rows) and all(
                isinstance(r[i], int | float) and not isinstance(r[i], bool)
                for r in rows if r[i] is not None) and any(r[i] is not None for r in rows)
            table.add_column(Text(col), justify="right" if numeric else "left")
        for row in rows:
            table.add_row(*(Text(_table_cell(v, digits.get(c)))
                            for c, v in zip(columns, row, strict=True)))
        Console(file=out, width=max(100, Console(file=out).width), soft_wrap=True).print(table)
    else:
        raise ValueError(f"unknown output format {fmt!r}")

