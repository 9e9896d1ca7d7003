"""The check-and-reject engine (loaders/checks.py) and the importer contract: an importer that
declares its columns and calls the builder gets FILE:LINE:COLUMN errors and rejects for free."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from graph_influence.errors import InputError
from graph_influence.loaders import REJECT_COLUMNS
from graph_influence.loaders.checks import (
    Check,
    Records,
    Settlement,
    concat_rejects,
    empty_rejects,
    settle,
)
from graph_influence.loaders.files import read_delimited
from graph_influence.loaders.snapshot import Snapshot, SnapshotBuilder

# -- a throwaway importer: the whole of it ---------------------------------------------------------


def read_pipes(path: Path, *, on_error: str = "fail") -> Snapshot:
    """Interactions as ``src|dst|type|ts`` lines without a header: declare the columns, add."""
    builder = SnapshotBuilder(str(path), "pipes", on_error=on_error)
    raw = read_delimited(path, column_names=["src", "dst", "type", "ts"], delimiter="|")
    builder.add("interactions", raw)
    return builder.build()


PIPES = (
    "a|b|retweet|2024-01-01T00:00:00Z\n"
    "b|c|like|1704067200\n"
    "c|a|poke|1704067200\n"  # line 3: unknown type (column 3)
    "a||reply|1704067200\n"  # line 4: empty dst (column 2)
    "a|b|reply|1704067200|x\n"  # line 5: malformed (5 fields)
    "c|b|mention|yesterday\n"  # line 6: bad timestamp (column 4)
    "b|a|quote|\n"
)


def test_a_new_importer_gets_file_line_column_errors(tmp_path):
    path = tmp_path / "events.pipes"
    path.write_text(PIPES)
    with pytest.raises(InputError) as info:
        read_pipes(path)
    err = info.value
    assert (err.path, err.line, err.column, err.column_name, err.row) == (
        str(path), 3, 3, "type", None)
    assert str(err).startswith(f"{path}:3:3: unknown interaction type 'poke' — use one of: ")


def test_a_new_importer_gets_malformed_records_as_errors(tmp_path):
    path = tmp_path / "events.pipes"
    path.write_text("a|b|retweet|1704067200\na|b|reply\n")
    with pytest.raises(InputError) as info:
        read_pipes(path)
    assert (info.value.line, info.value.column) == (2, 1)
    assert "malformed record: expected 4 fields, found 3" in str(info.value)


def test_a_new_importer_gets_a_rejects_table(tmp_path):
    path = tmp_path / "events.pipes"
    path.write_text(PIPES)
    snap = read_pipes(path, on_error="skip")
    r = snap.reports["interactions"]
    assert (r.read, r.loaded, r.rejected) == (7, 3, 4)
    assert r.read == r.loaded + r.rejected
    assert tuple(snap.rejects.column_names) == REJECT_COLUMNS
    rows = sorted(snap.rejects.to_pylist(), key=lambda row: row["line"])
    assert [(row["line"], row["column"]) for row in rows] == [(3, 3), (4, 2), (5, 1), (6, 4)]
    assert {row["table"] for row in rows} == {"interactions"}
    assert {row["file"] for row in rows} == {str(path)}
    assert "poke" in rows[0]["reason"] and "empty dst" in rows[1]["reason"]
    assert "malformed" in rows[2]["reason"] and "yesterday" in rows[3]["reason"]
    assert rows[0]["record"] == "c|a|poke|1704067200"  # quoted with the format's delimiter
    assert rows[2]["record"] == "a|b|reply|1704067200|x"
    t = snap.tables["interactions"]
    assert t.column("src").to_pylist() == ["a", "b", "b"]
    assert t.column("type").to_pylist() == ["retweet", "like", "quote"]


# -- the engine ------------------------------------------------------------------------------------


def _records(n: int, *, lines=None, malformed=(), header=("a", "b", "c")) -> Records:
    """``n`` records on lines ``lines`` (default: 2, 3, ...), text ``rN``."""
    at = np.arange(n) + 2 if lines is None else np.asarray(lines)
    return Records("f.txt", lambda rows: at[rows], lambda rows: [f"r{int(r)}" for r in rows],
                   header=list(header), malformed=list(malformed))


def _mask(n: int, *bad: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[list(bad)] = True
    return mask


def test_nothing_bad_gives_every_record_and_no_rejects():
    verdict = settle([Check("a", _mask(3), "x", "y")], _records(3), table="t", on_error="skip")
    assert verdict.all_good and verdict.good.tolist() == [True] * 3
    assert verdict.rejects.num_rows == 0
    assert verdict.rejects.schema.equals(empty_rejects().schema)
    assert settle([], _records(0), table="t").rejects.num_rows == 0


def test_earliest_record_wins_across_checks():
    checks = [Check("a", _mask(6, 4), "late", "fix a"), Check("c", _mask(6, 1, 5), "early", "fix c")]
    with pytest.raises(InputError) as info:
        settle(checks, _records(6), table="t")
    err = info.value
    assert (err.line, err.column, err.column_name, err.problem, err.fix) == (3, 3, "c", "early",
                                                                            "fix c")
    assert str(err) == "f.txt:3:3: early — fix c"


def test_same_record_reports_the_first_check_in_column_order():
    checks = [Check("b", _mask(3, 2), "b is bad", "fix b"), Check("a", _mask(3, 2), "a bad", "fix a")]
    with pytest.raises(InputError, match="f.txt:4:2: b is bad — fix b"):
        settle(checks, _records(3), table="t")
    verdict = settle(checks, _records(3), table="t", on_error="skip")
    assert verdict.rejects.to_pylist() == [{"table": "t", "file": "f.txt", "line": 4, "column": 2,
                                            "reason": "b is bad", "record": "r2"}]


def test_earliest_wins_between_checks_and_malformed_records():
    # records on lines 2, 4, 6; malformed records on lines 3 and 7
    malformed = [(3, "x|y", "expected 3 fields, found 2"), (7, "z", "expected 3 fields, found 1")]
    records = _records(3, lines=[2, 4, 6], malformed=malformed)
    late = [Check("b", _mask(3, 2), "bad b", "fix b")]  # line 6: after the malformed line 3
    with pytest.raises(InputError) as info:
        settle(late, records, table="t")
    assert (info.value.line, info.value.column, info.value.column_name) == (3, 1, None)
    assert str(info.value).startswith("f.txt:3:1: malformed record: expected 3 fields, found 2 — ")
    early = [Check("b", _mask(3, 0), "bad b", "fix b")]  # line 2: before it
    with pytest.raises(InputError, match=r"^f.txt:2:2: bad b"):
        settle(early, records, table="t")
    # skip: the checked records first, then the malformed ones; all of them counted
    verdict = settle(late, records, table="t", on_error="skip")
    assert verdict.good.tolist() == [True, True, False]
    got = [(r["line"], r["column"], r["reason"], r["record"]) for r in verdict.rejects.to_pylist()]
    assert got == [(6, 2, "bad b", "r2"),
                   (3, 1, "malformed record: expected 3 fields, found 2", "x|y"),
                   (7, 1, "malformed record: expected 3 fields, found 1", "z")]


def test_malformed_records_alone_fail_or_are_rejected():
    records = _records(2, malformed=[(5, "q", "invalid")])
    with pytest.raises(InputError, match="f.txt:5:1: malformed record: invalid"):
        settle([Check("a", _mask(2), "x", "y")], records, table="t")
    verdict = settle([Check("a", _mask(2), "x", "y")], records, table="t", on_error="skip")
    assert verdict.all_good and verdict.rejects.num_rows == 1


def test_per_record_column_positions():
    columns = np.array([1, 4, 2, 7])  # e.g. the field of each line's first bad token
    check = Check(columns, _mask(4, 1, 3), lambda rows: [f"bad {int(r)}" for r in rows], "fix")
    with pytest.raises(InputError) as info:
        settle([check], _records(4), table="t")
    assert (info.value.line, info.value.column, info.value.column_name) == (3, 4, None)
    verdict = settle([check, Check(2, _mask(4, 0), "width", "fix")], _records(4), table="t",
                     on_error="skip")
    got = [(r["line"], r["column"], r["reason"]) for r in verdict.rejects.to_pylist()]
    assert got == [(2, 2, "width"), (3, 4, "bad 1"), (5, 7, "bad 3")]


def test_reasons_are_computed_only_for_reported_records():
    asked: list[list[int]] = []

    def reasons(rows: np.ndarray) -> list[str]:
        asked.append(rows.tolist())
        return [f"row {int(r)}" for r in rows]

    n = 1000
    bad = _mask(n, 10, 500, 900)
    shadowed = _mask(n, 10, 20)  # row 10 fails an earlier check: reported with that one
    checks = [Check("a", shadowed, "first", "fix"), Check("b", bad, reasons, "fix")]
    with pytest.raises(InputError, match="f.txt:12:1: first"):
        settle(checks, _records(n), table="t")
    assert asked == []
    with pytest.raises(InputError, match="f.txt:12:2: row 10"):
        settle(checks[1:], _records(n), table="t")
    assert asked == [[10]]
    asked.clear()
    verdict = settle(checks, _records(n), table="t", on_error="skip")
    assert asked == [[500, 900]]
    assert verdict.rejects["reason"].to_pylist() == ["first", "first", "row 500", "row 900"]
    assert (~verdict.good).sum() == 4


def test_files_without_lines_name_records_by_row():
    records = Records("t.parquet", None, lambda rows: [""] * len(rows), header=["id"])
    with pytest.raises(InputError) as info:
        settle([Check("id", _mask(3, 2), "empty id", "fix")], records, table="users")
    assert (info.value.line, info.value.row, info.value.column) == (None, 2, 1)
    assert str(info.value).startswith("t.parquet:row 2:1: empty id")
    verdict = settle([Check("id", _mask(3, 2), "empty id", "fix")], records, table="users",
                     on_error="skip")
    assert verdict.rejects["line"].to_pylist() == [2]


def test_a_named_column_missing_from_the_header_has_no_position():
    with pytest.raises(InputError) as info:
        settle([Check("zz", _mask(2, 0), "bad", "fix")], _records(2), table="t")
    assert info.value.column is None and info.value.column_name == "zz"
    assert str(info.value).startswith("f.txt:2:1: ")


def test_settlement_keeps_every_file_in_order_and_counts_per_table():
    settlement = Settlement("skip")
    good = settlement.settle([Check(1, _mask(3, 1), "x", "y")], _records(3), table="follows")
    assert good.tolist() == [True, False, True]
    settlement.settle([Check(1, _mask(2), "x", "y")], _records(2), table="users")
    settlement.settle([Check(2, _mask(2, 0, 1), "z", "y")], _records(2), table="users")
    assert (settlement.rejected("follows"), settlement.rejected("users")) == (1, 2)
    assert settlement.rejected("posts") == 0
    assert settlement.rejects()["table"].to_pylist() == ["follows", "users", "users"]
    with pytest.raises(InputError):
        Settlement().settle([Check(1, _mask(1, 0), "x", "y")], _records(1), table="t")


def test_on_error_is_checked():
    with pytest.raises(ValueError, match="on_error must be 'fail' or 'skip', not 'ignore'"):
        settle([], _records(0), table="t", on_error="ignore")
    with pytest.raises(ValueError, match="on_error"):
        Settlement("ignore")


def test_rejects_tables_have_one_schema():
    assert tuple(empty_rejects().column_names) == REJECT_COLUMNS
    assert empty_rejects().schema.field("line").type == pa.int64()
    assert concat_rejects([]).num_rows == 0
    from graph_influence.loaders.validate import REJECT_COLUMNS as from_validate

    assert from_validate == REJECT_COLUMNS
