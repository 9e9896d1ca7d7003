"""``Store.user_history``, ``graph-influence history`` and the report's trend section.

The oracle is each run's own :class:`~graph_influence.analysis.AnalysisResult` (its ``scores``
frame), independent of the history query; both stores must give the same rows.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.cli import app
from graph_influence.errors import StoreNotReadyError
from graph_influence.loading import load_snapshot
from graph_influence.report import TREND_RUNS, _trend_runs, render_report
from graph_influence.stores import DuckDBStore
from graph_influence.stores.base import HISTORY_COLUMNS

from .conftest import write_snapshot

runner = CliRunner()

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "[deleted]", "zoë"]


def _snapshot(tmp_path, *, extra: str = ""):
    """Eight users; two ties (dave and frank follow alice only) so percentiles see ties."""
    return write_snapshot(
        tmp_path / "snap",
        users="id,name\n" + "".join(f"{u},{u.title()}\n" for u in USERS) + extra,
        follows="src,dst\nbob,alice\ncarol,alice\ndave,alice\nfrank,alice\nalice,carol\n"
                "erin,bob\n[deleted],zoë\nzoë,erin\nbob,erin\n",
        interactions="src,dst,type,ts\nbob,alice,retweet,2024-01-02T00:00:00Z\n"
                     "carol,bob,like,2024-01-03T00:00:00Z\nerin,carol,reply,2024-01-04T00:00:00Z\n"
                     "alice,zoë,mention,2024-01-05T00:00:00Z\n",
    )


def _two_runs(store, tmp_path):
    load_snapshot(store, _snapshot(tmp_path), progress=False)
    first = analyze(store, AnalysisParams(damping=0.85), progress=False)
    second = analyze(store, AnalysisParams(damping=0.5), progress=False)
    return first, second


def _expected(result, user: str) -> dict:
    """The user's row of a run from the analysis result itself (explain's percentile)."""
    frame = result.scores
    row = frame.loc[frame["id"] == user].iloc[0]
    return {"run_id": result.run_id, "score": float(row["score"]), "rank": int(row["rank"]),
            "influence": float(row["influence"]), "users": len(frame),
            "percentile": float((frame["influence"] < row["influence"]).mean() * 100)}


def _comparable(rows) -> list[tuple]:
    """History rows without ``created_at`` (when each store wrote its run differs)."""
    at = rows.columns.index("created_at")
    return [row[:at] + row[at + 1:] for row in rows.rows]


# -- the store method, on both stores -------------------------------------------------------
def test_history_is_every_runs_result_for_the_user(any_store, tmp_path):
    first, second = _two_runs(any_store, tmp_path)
    assert first.run_id < second.run_id
    records = {r.run_id: r for r in any_store.runs()}
    for user in USERS:
        rows = any_store.user_history(user)
        assert rows.columns == HISTORY_COLUMNS
        got = rows.records()
        assert [r["run_id"] for r in got] == [first.run_id, second.run_id], "oldest first"
        for row, result in zip(got, (first, second), strict=True):
            want = _expected(result, user)
            for key in ("run_id", "rank", "users"):
                assert row[key] == want[key] and type(row[key]) is int, (user, key)
            for key in ("score", "influence", "percentile"):
                assert row[key] == pytest.approx(want[key], rel=1e-12, abs=1e-12), (user, key)
            assert row["percentile"] == want["percentile"], "exactly explain's definition"
            run = records[row["run_id"]]
            assert row["created_at"] == run.created_at and row["as_of"] == run.as_of
    # the damping changed the scores, so the two rows are really two runs
    alice = any_store.user_history("alice").records()
    assert alice[0]["influence"] != alice[1]["influence"]


def test_history_percentile_counts_ties_as_not_lower(any_store, tmp_path):
    first, _ = _two_runs(any_store, tmp_path)
    frame = first.scores
    tied = frame.groupby("influence")["id"].agg(list)
    ties = [ids for ids in tied if len(ids) > 1]
    assert ties, "the snapshot has users with equal influence"
    for ids in ties:
        values = {any_store.user_history(u).records()[0]["percentile"] for u in ids}
        assert len(values) == 1, ids
    best = any_store.user_history(frame["id"].iloc[0]).records()[0]
    n = len(frame)
    assert best["percentile"] <= 100 * (n - 1) / n


def test_history_is_the_same_on_both_stores(neo4j_store, tmp_path):
    with DuckDBStore(tmp_path / "embedded.duckdb") as embedded:
        _two_runs(embedded, tmp_path / "a")
        _two_runs(neo4j_store, tmp_path / "b")
        for user in USERS:
            a, b = embedded.user_history(user), neo4j_store.user_history(user)
            assert a.columns == b.columns == HISTORY_COLUMNS
            assert _comparable(a) == _comparable(b), user
            assert [type(v) for v in a.rows[0]] == [type(v) for v in b.rows[0]], user


def test_unknown_user_raises_with_the_closest_ids(any_store, tmp_path):
    _two_runs(any_store, tmp_path)
    with pytest.raises(StoreNotReadyError) as caught:
        any_store.user_history("alic")
    text = str(caught.value)
    assert text.startswith(f"no user 'alic' in {any_store.url}")
    assert "did you mean: alice" in text
    with pytest.raises(StoreNotReadyError, match=r"^no user 'qqqqqqqq' in [^—]*$"):
        any_store.user_history("qqqqqqqq")  # nothing close: no suggestion
    with pytest.raises(StoreNotReadyError, match="no user"):
        any_store.user_history("")


def test_history_of_user_input_is_a_parameter(any_store, tmp_path):
    _two_runs(any_store, tmp_path)
    for hostile in ("alice' OR '1'='1", 'alice"}) RETURN 1 //', "alice\\", "$id"):
        with pytest.raises(StoreNotReadyError, match="no user"):
            any_store.user_history(hostile)
    assert len(any_store.user_history("[deleted]")) == 2


def test_history_before_any_run_and_of_users_loaded_later(any_store, tmp_path):
    load_snapshot(any_store, _snapshot(tmp_path), progress=False)
    with pytest.raises(StoreNotReadyError, match="no analysis"):
        any_store.user_history("alice")
    with pytest.raises(StoreNotReadyError, match="no user 'nobody'"):
        any_store.user_history("nobody")
    first = analyze(any_store, progress=False)
    later = write_snapshot(tmp_path / "later", users="id,name\nyves,Yves\n",
                           follows="src,dst\nyves,alice\n")
    load_snapshot(any_store, later, progress=False)
    assert len(any_store.user_history("yves")) == 0, "known, but no run scored them"
    second = analyze(any_store, progress=False)
    assert [r["run_id"] for r in any_store.user_history("yves").records()] == [second.run_id]
    rows = any_store.user_history("alice").records()
    assert [r["users"] for r in rows] == [len(first.scores), len(second.scores)]
    assert rows[1]["users"] == rows[0]["users"] + 1


def test_deleted_runs_leave_the_history(any_store, tmp_path):
    first, second = _two_runs(any_store, tmp_path)
    third = analyze(any_store, AnalysisParams(damping=0.7), progress=False)
    any_store.delete_run(second.run_id)
    got = any_store.user_history("bob").records()
    assert [r["run_id"] for r in got] == [first.run_id, third.run_id]
    assert got[1]["score"] == _expected(third, "bob")["score"]


# -- the command -------------------------------------------------------------------------------
def _cli(*args, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


@pytest.fixture
def cli_store(tmp_path):
    path = tmp_path / "cli.duckdb"
    with DuckDBStore(path) as st:
        runs = _two_runs(st, tmp_path)
    return path, runs


def test_cli_json_and_csv(cli_store):
    path, (first, second) = cli_store
    data = json.loads(_cli("history", "alice", "--store", path, "--format", "json").stdout)
    assert [r["run_id"] for r in data] == [first.run_id, second.run_id]
    assert list(data[0]) == HISTORY_COLUMNS
    assert data[1]["score"] == _expected(second, "alice")["score"]
    assert data[0]["created_at"].startswith("20")  # ISO timestamps
    lines = _cli("history", "alice", "--store", path, "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x)["rank"] for x in lines] == [r["rank"] for r in data]
    csv = _cli("history", "zoë", "--store", path, "--format", "csv").stdout.splitlines()
    assert csv[0] == ",".join(HISTORY_COLUMNS) and len(csv) == 3


def test_cli_table_fits_80_columns_and_prints_the_id_verbatim(cli_store):
    path, (first, second) = cli_store
    out = _cli("history", "[deleted]", "--store", path).stdout
    lines = out.splitlines()
    assert lines[0] == "[deleted]: 2 runs"
    assert all(len(line) <= 80 for line in lines), out
    header = [c.strip() for c in lines[1].split("|")]
    assert header[:6] == ["run", "created", "as_of", "score", "rank", "pctl"]
    assert header[-1] == "users"
    want = _expected(second, "[deleted]")
    last = [c.strip() for c in lines[-1].split("|")]
    assert last[0] == str(second.run_id) and last[3] == f"{want['score']:.1f}"
    assert last[4] == str(want["rank"]) and last[5] == f"{want['percentile']:.1f}"


def test_cli_table_keeps_80_columns_for_large_runs_and_shows_influence_when_it_fits():
    import io
    from datetime import datetime

    from graph_influence.cli.history import _table
    from graph_influence.formatting import write_rows
    from graph_influence.stores.base import Rows

    when = datetime(2024, 5, 17, 13, 45, 59, 123456)
    big = (12, when, when, 99.96, 9_999_999, 99.99999, 1.234567e-07, 9_999_999)
    small = (12, when, None, 99.96, 1_234, 99.99999, 1.234567e-07, 5_000)
    for row, influence_shown in ((big, False), (small, True)):
        columns, values, digits = _table(Rows(list(HISTORY_COLUMNS), [row]))
        assert ("influence" in columns) is influence_shown
        out = io.StringIO()
        write_rows(columns, values, "table", out=out, title="x", float_digits=digits)
        assert all(len(line) <= 80 for line in out.getvalue().splitlines()), out.getvalue()
        assert "2024-05-17 13:45" in out.getvalue() and "100.0" in out.getvalue()


def test_cli_unknown_user_and_missing_store(cli_store, tmp_path):
    path, _ = cli_store
    result = _cli("history", "alic", "--store", path, ok=False)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("error: no user 'alic' in ")
    assert "did you mean: alice" in result.stderr and "Traceback" not in result.stderr
    missing = tmp_path / "none.duckdb"
    result = _cli("history", "alice", "--store", missing, ok=False)
    assert result.exit_code == 1 and "no store at" in result.stderr
    assert not missing.exists(), "a read-only command creates no store"


def test_cli_user_with_no_scored_run(tmp_path):
    path = tmp_path / "late.duckdb"
    with DuckDBStore(path) as st:
        load_snapshot(st, _snapshot(tmp_path), progress=False)
        analyze(st, progress=False)
        load_snapshot(st, write_snapshot(tmp_path / "later", users="id\nyves\n",
                                         follows="src,dst\nyves,alice\n"), progress=False)
    result = _cli("history", "yves", "--store", path)
    assert result.stdout == "" and "no run has scored yves yet" in result.stderr
    assert json.loads(_cli("history", "yves", "--store", path, "--format", "json").stdout) == []


def test_cli_lists_history_after_explain():
    import typer.main

    names = list(typer.main.get_group(app).list_commands(None))
    assert names.index("history") == names.index("explain") + 1


# -- the report's trend ----------------------------------------------------------------------
def _section(html: str, sid: str) -> str:
    part = html[html.index(f'<section id="{sid}">'):]
    return part[:part.index("</section>")]


def test_report_trend_with_two_runs_not_with_one(any_store, tmp_path):
    load_snapshot(any_store, _snapshot(tmp_path), progress=False)
    first = analyze(any_store, progress=False)
    one = render_report(any_store)
    assert 'id="trend"' not in one and 'href="#trend"' not in one
    second = analyze(any_store, AnalysisParams(damping=0.5), progress=False)
    page = render_report(any_store)
    trend = _section(page, "trend")
    assert 'href="#trend"' in page
    assert f"run {first.run_id}</th>" in trend and f"run {second.run_id} (this)</th>" in trend
    assert f"change since run {first.run_id}</th>" in trend
    top = second.scores.head(10)
    body = trend[trend.index("<tbody>"):]
    assert body.count("<tr>") == len(top)
    for user in top["id"]:
        a, b = _expected(first, user)["score"], _expected(second, user)["score"]
        assert f"{a:.1f}" in body and f"{b:.1f}" in body
    # an older run's report marks that run, and shows the later one beside it
    old = _section(render_report(any_store, run_id=first.run_id), "trend")
    assert f"run {first.run_id} (this)</th>" in old and f"run {second.run_id}</th>" in old
    assert "change since" not in old


def test_trend_window_keeps_the_reported_run():
    ids = list(range(1, 13))
    assert _trend_runs(ids, 12) == list(range(5, 13))
    assert _trend_runs(ids, 3) == list(range(1, 9))
    assert _trend_runs(ids, 10) == list(range(3, 11))
    assert _trend_runs([4, 9], 4) == [4, 9]
    for rid in ids:
        window = _trend_runs(ids, rid)
        assert rid in window and len(window) == TREND_RUNS
