"""Writing results to the terminal or a pipe: table, CSV, JSON, JSON lines."""

from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime
from typing import Any, TextIO

import numpy as np
import pandas as pd

__all__ = ["OUTPUT_FORMATS", "to_jsonable", "write_frame", "write_json"]

OUTPUT_FORMATS: tuple[str, ...] = ("table", "csv", "json", "jsonl")


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas/datetime values (recursively) into JSON-ready Python values."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "__dataclass_fields__"):
        return to_jsonable(vars(value))
    return value


def write_json(obj: Any, out: TextIO | None = None) -> None:
    """Write ``obj`` as indented JSON and a newline."""
    out = out or sys.stdout
    out.write(json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False) + "\n")


def write_frame(
    frame: pd.DataFrame,
    fmt: str,
    *,
    out: TextIO | None = None,
    title: str | None = None,
    float_digits: dict[str, int] | None = None,
) -> None:
    """Write a DataFrame in one of :data:`OUTPUT_FORMATS`.

    ``table`` is for people (rich, rounded); ``csv``, ``json`` (an array of objects) and
    ``jsonl`` carry full precision for programs.
    """
    out = out or sys.stdout
    if fmt == "csv":
        frame.to_csv(out, index=False, lineterminator="\n")
    elif fmt == "json":
        records = frame.to_dict(orient="records")
        out.write(json.dumps(to_jsonable(records), ensure_ascii=False) + "\n")
    elif fmt == "jsonl":
        for record in frame.to_dict(orient="records"):
            out.write(json.dumps(to_jsonable(record), ensure_ascii=False) + "\n")
    elif fmt == "table":
        from rich.console import Console
        from rich.table import Table

        digits = float_digits or {}
        table = Table(title=title, show_edge=False, header_style="bold")
        for col in frame.columns:
            numeric = frame[col].dtype.kind in "iuf"
            table.add_column(str(col), justify="right" if numeric else "left")
        for row in frame.itertuples(index=False):
            cells = []
            for col, value in zip(frame.columns, row, strict=True):
                if isinstance(value, float):
                    d = digits.get(col)
                    cells.append(f"{value:.{d}f}" if d is not None else f"{value:.6g}")
                else:
                    cells.append(str(value))
            table.add_row(*cells)
        Console(file=out, width=max(100, Console(file=out).width), soft_wrap=True).print(table)
    else:
        raise ValueError(f"unknown output format {fmt!r}")
