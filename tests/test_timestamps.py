"""Timestamps as real data has them: ISO-8601, Twitter v1.1 and RFC 2822 dates, epoch units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from graph_influence.errors import InputError
from graph_influence.loaders.files import read_table_file
from graph_influence.loaders.snapshot import SnapshotBuilder
from graph_influence.loaders.validate import parse_timestamps

from .conftest import write_snapshot

EXPECTED = datetime(2018, 10, 10, 20, 19, 24)


@pytest.mark.parametrize("text", [
    "Wed Oct 10 20:19:24 +0000 2018",       # Twitter API v1.1 created_at
    "Wed Oct 10 22:19:24 +0200 2018",       # ... with another offset
    "Wed, 10 Oct 2018 20:19:24 +0000",      # RFC 2822 (e-mail, RSS)
    "10 Oct 2018 15:19:24 -0500",           # RFC 2822 without the weekday
    "2018-10-10T20:19:24.000Z",             # Twitter API v2 created_at
    "1539202764",                           # epoch seconds
])
def test_text_dates_are_read_in_utc(text):
    # mixed with an ISO value so that the whole-column fast paths do not apply
    ts, bad, millis = parse_timestamps(pa.array([text, "2020-01-01T00:00:00Z", ""]))
    assert ts.to_pylist() == [EXPECTED, datetime(2020, 1, 1), None]
    assert bad.tolist() == [False, False, False] and not millis.any()


def test_the_twitter_format_matches_pythons_own_parser():
    # an oracle independent of pandas: datetime.strptime with the documented v1.1 format
    start = datetime(2006, 3, 21, tzinfo=UTC)
    stamps = [start + timedelta(seconds=97_531 * k) for k in range(500)]
    texts = [t.strftime("%a %b %d %H:%M:%S +0000 %Y") for t in stamps]
    ts, bad, _ = parse_timestamps(pa.array(texts))
    oracle = [datetime.strptime(t, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
              .replace(tzinfo=None) for t in texts]
    assert ts.to_pylist() == oracle and not bad.any()


@pytest.mark.parametrize(("unit", "values", "expected"), [
    ("ms", ["1539202764000", "1539202764500"], [EXPECTED, EXPECTED + timedelta(seconds=0.5)]),
    ("us", ["1539202764000000", "1539202764000001"],
     [EXPECTED, EXPECTED + timedelta(microseconds=1)]),
    ("s", ["1539202764", "1539202764.25"], [EXPECTED, EXPECTED + timedelta(seconds=0.25)]),
])
def test_epoch_units(unit, values, expected):
    for column in (pa.array(values), pa.array([int(float(v)) for v in values[:1]])):
        ts, bad, millis = parse_timestamps(column, unit=unit)
        assert ts.to_pylist() == expected[:len(column)]
        assert not bad.any() and not millis.any()


def test_milliseconds_without_the_unit_are_an_error_that_names_the_option(tmp_path):
    d = write_snapshot(tmp_path / "s", interactions="src,dst,type,ts\na,b,like,1539202764000\n")
    builder = SnapshotBuilder(str(d), "dir")
    with pytest.raises(InputError, match=r"interactions.csv:2:4: timestamp '1539202764000' "
                                         r"looks like milliseconds — load with --ts-unit ms"):
        builder.add("interactions", read_table_file(d / "interactions.csv"))
    builder = SnapshotBuilder(str(d), "dir", ts_unit="ms")
    builder.add("interactions", read_table_file(d / "interactions.csv"))
    assert builder.build().tables["interactions"]["ts"].to_pylist() == [EXPECTED]


def test_an_unreadable_date_names_file_line_column_and_the_formats(tmp_path):
    d = write_snapshot(tmp_path / "s", follows="src,dst,ts\na,b,Wed Oct 10 20:19:24 +0000 2018\n"
                                                "b,c,next tuesday\n")
    with pytest.raises(InputError, match=r"follows.csv:3:3: cannot read timestamp 'next "
                                         r"tuesday' — use ISO-8601 .*Twitter or RFC 2822"):
        SnapshotBuilder(str(d), "dir").add("follows", read_table_file(d / "follows.csv"))


def test_unknown_unit_is_named():
    with pytest.raises(ValueError, match="unit must be one of s, ms, us"):
        parse_timestamps(pa.array(["1"]), unit="ns")


def test_cli_ts_unit(tmp_path):
    import json

    from typer.testing import CliRunner

    from graph_influence.cli import app

    d = write_snapshot(tmp_path / "s", interactions="src,dst,type,ts\na,b,like,1539202764000\n")
    store = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    bad = runner.invoke(app, ["load", str(d), "--store", store])
    assert bad.exit_code == 1 and "--ts-unit ms" in bad.stderr
    ok = runner.invoke(app, ["load", str(d), "--store", store, "--ts-unit", "ms"])
    assert ok.exit_code == 0, ok.stderr
    info = json.loads(runner.invoke(app, ["info", "--store", store, "-f", "json"]).stdout)
    assert info["time_range"] == ["2018-10-10T20:19:24", "2018-10-10T20:19:24"]
