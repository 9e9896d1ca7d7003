"""Writing results to the terminal or a pipe: table, CSV, JSON, JSON lines.

One writer, :func:`write_rows`, takes column names and rows of plain values (the stores'
light ``*_rows`` results); it needs neither numpy nor pandas, so the query commands start
fast. Cell text is data, never markup:

- ``csv``, ``json`` and ``jsonl`` carry every value verbatim (CSV quotes what needs quoting;
  cells that hold lists or dicts are JSON-encoded; JSON escapes control characters).
- ``table`` is for people. On a terminal, up to :data:`RICH_MAX_ROWS` rows are a rich table
  as wide as the terminal: ids and numbers are never wrapped or truncated (the table grows
  past the terminal's width rather than cut an id), long names fold. Piped, or longer, the
  table is plain aligned text (``rank | id | ...``, psql's layout) streamed row by row, so
  ``top -n 300000 | head`` starts at once. In both, control characters in a cell (a newline,
  an ANSI escape) are shown escaped (``\\n``, ``\\x1b``) so that one row stays one line and
  nothing is sent to the terminal as a command; brackets are text (``[deleted]``).

:func:`display` applies the same escaping to a value put into a message or a text report, and
:func:`output_path` gives a path for ``-`` (standard output) to code that can only write files.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from itertools import chain, islice
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "EXPORT_FORMATS",
    "OUTPUT_FORMATS",
    "REPORT_FORMATS",
    "RICH_MAX_ROWS",
    "STDOUT",
    "display",
    "is_stdout",
    "output_path",
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

#: The most rows a table on a terminal is drawn with rich; longer ones are streamed as text.
RICH_MAX_ROWS = 200
#: Rows the plain table measures its column widths on (a longer cell later widens its row only).
_SAMPLE_ROWS = 1000
#: Rows written per ``write`` call by the plain table.
_CHUNK_ROWS = 2000
#: The narrowest a folding column (names) is made on a terminal.
_MIN_FOLD_WIDTH = 12
#: Columns a terminal table never wraps, whatever their values (besides numbers).
_NO_WRAP = frozenset({"id", "rank", "topic", "format", "community", "auto", "from"})

#: The name of a path that means standard output.
STDOUT = "-"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\x{ord(char):02x}"


def display(value: Any) -> str:
    """``value`` as text fit for a terminal line: control characters shown as escapes.

    Brackets and every other printable character are kept as they are; only C0/C1 control
    characters (newline, tab, ESC, DEL, ...) become ``\\n``, ``\\t``, ``\\x1b``.

    Examples
    --------
    >>> display("[deleted]")
    '[deleted]'
    >>> display("line1\\nline2")
    'line1\\\\nline2'
    >>> display("\\x1b[31mred")
    '\\\\x1b[31mred'
    """
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


def is_stdout(path: str | Path | None) -> bool:
    """Whether a path option names standard output (``-``)."""
    return path is not None and str(path) == STDOUT


@contextmanager
def output_path(path: str | Path, *, suffix: str = "") -> Iterator[Path]:
    """A path to write to: ``path`` itself, or for ``-`` a temporary file whose bytes are
    copied to standard output (``sys.stdout.buffer``: binary formats such as Parquet stay
    intact) when the block ends without an error.

    Examples
    --------
    >>> with output_path("scores.csv") as p:
    ...     str(p)
    'scores.csv'
    """
    if not is_stdout(path):
        yield Path(path)
        return
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="graph-influence-stdout-") as tmp:
        temp = Path(tmp) / f"stdout{suffix}"
        yield temp
        if temp.exists():
            sys.stdout.flush()
            target = getattr(sys.stdout, "buffer", None)
            with open(temp, "rb") as src:
                if target is None:  # a text-only stream (tests): decode
                    sys.stdout.write(src.read().decode("utf-8", errors="replace"))
                else:
                    shutil.copyfileobj(src, target, 1 << 20)
                    target.flush()


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


#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, with ``'`` in front (OWASP's rule);
    anything else unchanged.

    >>> print(csv_safe('=HYPERLINK("http://x")'))
    '=HYPERLINK("http://x")
    >>> csv_safe("-1"), csv_safe(-1), csv_safe("bob")
    ("'-1", -1, 'bob')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value: Any, safe: bool = False) -> Any:
    value = to_jsonable(value)
    if value is None:
        return ""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    return csv_safe(value) if safe else value


def _table_cell(value: Any, digits: int | None) -> str:
    value = _plain(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}" if digits is not None else f"{value:.6g}"
    if isinstance(value, str):
        return display(value)
    if isinstance(value, list | tuple):
        return ", ".join(_table_cell(v, None) for v in value)
    if isinstance(value, dict):
        return display(json.dumps(to_jsonable(value), ensure_ascii=False))
    return display(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_columns(n: int, rows: Sequence[Sequence[Any]]) -> list[bool]:
    """Per column: every value that is not missing is a number (and there is one)."""
    out = []
    for i in range(n):
        values = [r[i] for r in rows if r[i] is not None]
        out.append(bool(values) and all(_is_number(v) for v in values))
    return out


def _width(text: str) -> int:
    """Terminal cells ``text`` takes (wide East Asian characters count 2)."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else
               0 if unicodedata.combining(c) else 1 for c in text)


def write_rows(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fmt: str,
    *,
    out: TextIO | None = None,
    title: str | None = None,
    float_digits: dict[str, int] | None = None,
    csv_safe: bool = False,
) -> None:
    """Write rows in one of :data:`OUTPUT_FORMATS`.

    ``table`` is for people (rich on a terminal, plain aligned text streamed otherwise; see
    the module's notes); ``csv``, ``json`` (an array of objects) and ``jsonl`` carry full
    precision and every character for programs.

    Parameters
    ----------
    columns : sequence of str
        Column names.
    rows : iterable of sequences
        One sequence of values per row, in column order. Consumed once, as it is written.
    fmt : {"table", "csv", "json", "jsonl"}
        The output format.
    out : file, optional
        Default: standard output.
    title : str, optional
        A title above the table (``table`` only).
    float_digits : dict of str to int, optional
        Digits after the point of float columns in the table (default: 6 significant).
    csv_safe : bool, optional
        ``csv`` only: put ``'`` before text cells a spreadsheet would read as a formula
        (:func:`csv_safe`; default False: every cell verbatim).

    Examples
    --------
    >>> write_rows(["rank", "id", "name"], [(1, "[deleted]", "Sam [he/him]")], "table")
     rank | id        | name
    ------+-----------+--------------
        1 | [deleted] | Sam [he/him]
    >>> write_rows(["id", "top"], [("a", ["x", "y"])], "csv")
    id,top
    a,"[""x"", ""y""]"
    """
    out = out or sys.stdout
    columns = [str(c) for c in columns]
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([_csv_cell(c, csv_safe) for c in columns])
        for chunk in _chunks(rows):
            writer.writerows([_csv_cell(v, csv_safe) for v in row] for row in chunk)
    elif fmt == "json":
        out.write("[")
        first = True
        for chunk in _chunks(rows):
            text = ", ".join(json.dumps(to_jsonable(dict(zip(columns, row, strict=True))),
                                        ensure_ascii=False) for row in chunk)
            out.write(text if first else ", " + text)
            first = False
        out.write("]\n")
    elif fmt == "jsonl":
        for chunk in _chunks(rows):
            out.write("".join(json.dumps(to_jsonable(dict(zip(columns, row, strict=True))),
                                         ensure_ascii=False) + "\n" for row in chunk))
    elif fmt == "table":
        _write_table(columns, rows, out, title, float_digits or {})
    else:
        raise ValueError(f"unknown output format {fmt!r}")


def _chunks(rows: Iterable[Sequence[Any]]) -> Iterator[list[Sequence[Any]]]:
    it = iter(rows)
    while chunk := list(islice(it, _CHUNK_ROWS)):
        yield chunk


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def _write_table(columns: list[str], rows: Iterable[Sequence[Any]], out: TextIO,
                 title: str | None, digits: dict[str, int]) -> None:
    everything = rows if isinstance(rows, Sequence) else None
    rows = iter(rows)
    head = [[_plain(v) for v in row]
            for row in islice(rows, max(_SAMPLE_ROWS, RICH_MAX_ROWS + 1))]
    numeric = _numeric_columns(len(columns), head)
    if _isatty(out) and len(head) <= RICH_MAX_ROWS:
        _rich_table(columns, head, numeric, out, title, digits)
        return
    formats = [digits.get(c) for c in columns]
    widths = [max(_width(display(c)), _column_width(
        [r[i] for r in head], [r[i] for r in everything] if everything is not None and
        len(everything) > len(head) else None, formats[i])) for i, c in enumerate(columns)]
    _plain_table(columns, chain(head, rows), widths, numeric, out, title, formats)


def _column_width(sample: list[Any], values: list[Any] | None, digits: int | None) -> int:
    """The widest cell of a column: exact over ``sample``, and when the whole column
    (``values``) is at hand, over it too, without formatting every number."""
    width = max((_width(_table_cell(v, digits)) for v in sample), default=0)
    if values is None:
        return width
    present = [v for v in values if v is not None]
    if not present:
        return width
    if all(type(v) is str for v in present):
        return max(width, max(len(v) if v.isascii() and v.isprintable() else _width(display(v))
                              for v in present))
    if all(type(v) is int for v in present):
        return max(width, len(str(min(present))), len(str(max(present))))
    if all(type(v) is float for v in present):
        finite = [v for v in present if math.isfinite(v)]
        if digits is not None and finite:
            lo, hi = min(finite), max(finite)
            return max(width, len(f"{lo:.{digits}f}"), len(f"{hi:.{digits}f}"), 4)
        if digits is None:  # "%.6g" is at most 11 characters, 12 with a sign
            return max(width, 12 if any(v < 0 for v in finite) else 11)
    return max(width, max(_width(_table_cell(_plain(v), digits)) for v in present))


def _rich_table(columns: list[str], rows: list[list[Any]], numeric: list[bool], out: TextIO,
                title: str | None, digits: dict[str, int]) -> None:
    """A rich table as wide as the terminal; ids and numbers whole, other text folded."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cells = [[_table_cell(v, digits.get(c)) for c, v in zip(columns, row, strict=True)]
             for row in rows]
    table = Table(title=Text(display(title)) if title else None, show_edge=False,
                  header_style="bold")
    needed = 0
    for i, col in enumerate(columns):
        longest = max([_width(col), *(_width(r[i]) for r in cells)])
        whole = numeric[i] or col in _NO_WRAP
        table.add_column(Text(display(col)), justify="right" if numeric[i] else "left",
                         no_wrap=whole, overflow="fold",
                         min_width=longest if whole else min(longest, _MIN_FOLD_WIDTH))
        needed += (longest if whole else min(longest, _MIN_FOLD_WIDTH)) + 3  # padding, rule
    for row in cells:
        table.add_row(*(Text(c) for c in row))
    terminal = Console(file=out).width
    Console(file=out, width=max(terminal, needed), soft_wrap=False, highlight=False,
            markup=False, emoji=False).print(table)


def _plain_table(columns: list[str], rows: Iterable[Sequence[Any]], widths: list[int],
                 numeric: list[bool], out: TextIO, title: str | None,
                 formats: list[int | None]) -> None:
    """Plain aligned text (psql's layout), streamed in chunks of rows."""
    last = len(columns) - 1
    ascii_pad = [(w, numeric[i], i < last) for i, w in enumerate(widths)]

    def line(cells: list[str]) -> str:
        parts = []
        for (width, right, pad_right), text in zip(ascii_pad, cells, strict=True):
            pad = width - (len(text) if text.isascii() else _width(text))
            if pad <= 0:
                parts.append(text)
            elif right:
                parts.append(" " * pad + text)
            elif pad_right:
                parts.append(text + " " * pad)
            else:
                parts.append(text)
        return (" " + " | ".join(parts)).rstrip() + "\n"

    if title:
        out.write(display(title) + "\n")
    out.write(line([display(c) for c in columns]))
    out.write("-" + "-+-".join("-" * w for w in widths) + "-\n")
    cell = _table_cell
    for chunk in _chunks(rows):
        out.write("".join(line([cell(_plain(v), formats[i]) for i, v in enumerate(row)])
                          for row in chunk))
