"""Output that never crashes or mangles: ids and names verbatim in every format, tables that
fit the terminal and stream when piped, ``-`` as standard output, quiet broken pipes."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_influence.cli import app
from graph_influence.formatting import display, write_rows

from .conftest import write_snapshot

runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

#: (id, name): the ids and names that rich markup used to eat or choke on, and control chars.
WEIRD = [
    ("[deleted]", "[deleted]"),
    ("sam", "Sam [he/him]"),
    ("mod", "[/r/python mod]"),
    ("bold", "[bold]x[/bold]"),
    ("red", "\x1b[31mred"),
    ("nl", "line1\nline2"),
    ("[/r/python mod]", "an id that is a closing tag"),
]


def run(*args, ok: bool = True, **kwargs):
    result = runner.invoke(app, [str(a) for a in args], **kwargs)
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def _csv(rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@pytest.fixture(scope="module")
def weird_store(tmp_path_factory):
    """A store whose users have the ids and names of WEIRD, analysed twice."""
    tmp = tmp_path_factory.mktemp("weird")
    ids = [i for i, _ in WEIRD]
    follows = [("src", "dst")] + [(a, b) for k, a in enumerate(ids) for b in ids[k + 1:k + 4]
                                  if a != b]
    events = [("src", "dst", "type", "ts", "topics")] + [
        (a, b, "retweet", f"2024-01-0{k + 1}T00:00:00Z", "python;re[tag]x")
        for k, a in enumerate(ids) for b in ids[:3] if a != b]
    snap = write_snapshot(tmp / "snap", users=_csv([("id", "name", "topics"),
                                                    *((i, n, "python;re[tag]x") for i, n in WEIRD)]),
                          follows=_csv(follows), interactions=_csv(events))
    store = tmp / "weird.duckdb"
    run("load", snap, "--store", store)
    run("analyze", "--store", store, "--min-topic-users", "2")
    run("analyze", "--store", store, "--min-topic-users", "2", "--half-life", "7d")
    return store


def test_ids_and_names_round_trip_through_csv_json_jsonl(weird_store):
    expected = dict(WEIRD)
    for args in (["top"], ["top", "--topic", "re[tag]x"]):
        as_json = json.loads(run(*args, "--store", weird_store, "-f", "json").stdout)
        assert {r["id"]: r["name"] for r in as_json} == expected, args
        lines = run(*args, "--store", weird_store, "-f", "jsonl").stdout.splitlines()
        assert {json.loads(x)["id"]: json.loads(x)["name"] for x in lines} == expected, args
        rows = list(csv.DictReader(io.StringIO(
            run(*args, "--store", weird_store, "-f", "csv").stdout)))
        assert {r["id"]: r["name"] for r in rows} == expected, args
    topics = json.loads(run("topics", "--store", weird_store, "-f", "json").stdout)
    assert {t["topic"] for t in topics} == {"python", "re[tag]x"}
    assert all(set(t["top_influencers"]) <= set(expected) for t in topics)
    data = json.loads(run("communities", "--store", weird_store, "-f", "json").stdout)
    members = {m for c in data["communities"] for m in c["top_members"]}
    assert members <= set(expected) and members
    for user in ("[deleted]", "[/r/python mod]", "red"):
        explained = json.loads(run("explain", user, "--store", weird_store, "-f", "json").stdout)
        assert explained["id"] == user
        assert {c["id"] for c in explained["contributors"]} <= set(expected)
    compared = json.loads(run("compare", "--store", weird_store, "-f", "json").stdout)
    assert compared["common_users"] == len(WEIRD)


def test_csv_cells_that_hold_lists_are_json(weird_store):
    rows = list(csv.DictReader(io.StringIO(
        run("topics", "--store", weird_store, "-f", "csv").stdout)))
    for row in rows:
        influencers = json.loads(row["top_influencers"])
        assert isinstance(influencers, list) and set(influencers) <= dict(WEIRD).keys()
    rows = list(csv.DictReader(io.StringIO(
        run("communities", "--store", weird_store, "-f", "csv").stdout)))
    assert isinstance(json.loads(rows[0]["top_members"]), list)
    assert {"topic", "lift", "users"} <= set(json.loads(rows[0]["top_topics"])[0])
    out = io.StringIO()
    write_rows(["id", "tags", "extra"], [("[x]", ["a,b", "[c]"], {"k": [1]})], "csv", out=out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert json.loads(row["tags"]) == ["a,b", "[c]"] and json.loads(row["extra"]) == {"k": [1]}


def test_tables_print_brackets_as_text_and_control_characters_escaped(weird_store):
    for args, texts in ((["top"], ["[deleted]", "[/r/python mod]", "[bold]x[/bold]"]),
                        (["top", "--topic", "re[tag]x"], ["[deleted]", "[/r/python mod]"]),
                        (["topics"], ["re[tag]x", "[deleted]"]),
                        (["communities"], ["re[tag]x", "[deleted]"])):
        result = run(*args, "--store", weird_store)
        assert "\x1b" not in result.stdout + result.stderr, args
        for text in texts:
            assert text in result.stdout, (args, result.stdout)
    board = run("top", "--store", weird_store).stdout
    for _, name in WEIRD:
        assert display(name) in board, name
    assert "line1\\nline2" in board and "\\x1b[31mred" in board
    assert len(board.splitlines()) == 2 + len(WEIRD), "one line per user: a newline is escaped"
    # ...and the same on a terminal (rich), where markup used to be read from cells
    out = _Terminal()
    rows = [(k + 1, i, 50.0 - k, 0.1, n) for k, (i, n) in enumerate(WEIRD)]
    write_rows(["rank", "id", "score", "influence", "name"], rows, "table", out=out)
    text = ANSI.sub("", out.getvalue())
    for ident, name in WEIRD:
        assert ident in text and display(name).split()[0] in text, name
    assert "\x1b[31mred" not in out.getvalue(), "an id's escape is not sent to the terminal"
    # the info report and the load report show the source text escaped, brackets kept
    info = run("info", "--store", weird_store).stdout
    assert "\x1b" not in info and "weird" in info


def test_help_shows_bracketed_words():
    text = run("load", "--help", env={"COLUMNS": "200"}).stdout
    assert "Reddit's default: [deleted] and AutoModerator" in text


class _Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _terminal_table(columns, rows, width, monkeypatch) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(width))
    out = _Terminal()
    write_rows(columns, rows, "table", out=out, float_digits={"score": 1})
    return [ANSI.sub("", line) for line in out.getvalue().splitlines()]


def test_terminal_tables_use_the_real_width_fold_names_and_keep_ids(monkeypatch):
    long_name = "A very long display name " * 6
    long_id = "user_" + "x" * 70
    rows = [(1, "alice", 63.0, 0.25, long_name), (2, long_id, 40.0, 0.125, "Bob")]
    lines = _terminal_table(["rank", "id", "score", "influence", "name"], rows, 80, monkeypatch)
    assert max(len(line) for line in lines[:3]) <= 80 or long_id in "".join(lines)
    assert any(long_id in line for line in lines), "the id column is never truncated or folded"
    assert "…" not in "".join(lines)
    short = [(1, "alice", 63.0, 0.25, long_name), (2, "bob", 40.0, 0.125, "Bob")]
    lines = _terminal_table(["rank", "id", "score", "influence", "name"], short, 80, monkeypatch)
    assert max(len(line) for line in lines) <= 80, "fits an 80-column terminal"
    assert len(lines) > 4, "the long name folds onto more lines"
    assert "".join(line.split("│")[-1].strip() for line in lines[2:-1]).replace(
        " ", "").startswith(long_name.replace(" ", "")[:60])
    wide = _terminal_table(["rank", "id", "score", "influence", "name"], short, 200,
                           monkeypatch)
    assert len(wide) == 4, "a wide terminal holds each row on one line"


def test_piped_tables_stream_plain_aligned_text():
    produced = []

    def rows():
        for k in range(50_000):
            produced.append(k)
            yield (k + 1, f"user{k}", 100.0 - k / 1000, 1.0 / (k + 1), f"[name {k}]")

    class Spy(io.StringIO):
        def __init__(self):
            super().__init__()
            self.first_write_at = None

        def write(self, text):
            if self.first_write_at is None:
                self.first_write_at = len(produced)
            return super().write(text)

    out = Spy()
    started = time.perf_counter()
    write_rows(["rank", "id", "score", "influence", "name"], rows(), "table", out=out,
               float_digits={"score": 1})
    elapsed = time.perf_counter() - started
    assert out.first_write_at is not None and out.first_write_at < 5_000, "rows are streamed"
    lines = out.getvalue().splitlines()
    assert len(lines) == 50_002
    assert lines[0].split("|")[1].strip() == "id" and set(lines[1]) <= {"-", "+"}
    # a generator's widths come from its first 1,000 rows; a wider cell later is never cut
    assert lines[2] == "    1 | user0   | 100.0 |          1 | [name 0]"
    assert lines[-1].split(" | ")[:2] == [" 50000", "user49999"]
    assert all(len(line.split(" | ")) == 5 for line in lines[2:])
    assert elapsed < 15, f"50,000 rows as a table took {elapsed:.1f} s"
    # widths are those of every row when the rows are a list: the columns line up throughout
    out = io.StringIO()
    rows_list = [(k + 1, f"u{k}", 1.5, 0.5, "n") for k in range(3000)]
    write_rows(["rank", "id", "score", "influence", "name"], rows_list, "table", out=out)
    bars = {tuple(m.start() for m in re.finditer(r"\|", line))
            for line in out.getvalue().splitlines() if "|" in line}
    assert len(bars) == 1, "every row's separators at the same columns"


def test_the_demo_style_regex_still_reads_piped_tables(weird_store):
    board = run("top", "--store", weird_store).stdout
    rows = [line for line in board.splitlines() if re.match(r"^\s+[1-5] [│|]", line)]
    assert len(rows) == 5
    scores = [float(re.split(r"\s*[│|]\s*", r.strip())[2]) for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_dash_means_standard_output_for_export(weird_store, tmp_path):
    import pyarrow.parquet as pq

    result = run("export", "-", "--store", weird_store)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["id"] for r in rows} == dict(WEIRD).keys()
    assert "standard output" in result.stderr
    assert not Path("-").exists()
    done = subprocess.run([sys.executable, "-m", "graph_influence.cli", "export", "-", "-f",
                           "parquet", "--store", str(weird_store)], capture_output=True,
                          cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    table = pq.read_table(io.BytesIO(done.stdout))
    assert sorted(table.column("id").to_pylist()) == sorted(dict(WEIRD))
    assert not (tmp_path / "-").exists()
    graph = run("export", "-", "-f", "graphml", "--store", weird_store).stdout
    assert graph.startswith("<?xml") and "[/r/python mod]" in graph


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """A store with enough users that `top` outgrows a pipe's buffer."""
    tmp = tmp_path_factory.mktemp("big")
    n = 6000
    follows = "src,dst\n" + "".join(f"u{k},u{(k * 7 + 1) % n}\nu{k},u{k // 3}\n"
                                    for k in range(1, n))
    snap = write_snapshot(tmp / "snap", follows=follows)
    store = tmp / "big.duckdb"
    run("load", snap, "--store", store)
    run("analyze", "--store", store, "--no-topics", "--no-communities")
    return store


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "jsonl"])
def test_a_broken_pipe_exits_quietly_with_0(big_store, tmp_path, fmt):
    cmd = (f"{sys.executable} -m graph_influence.cli top -n 6000 -f {fmt} --store "
           f"{big_store} | head -1; echo \"status=${{PIPESTATUS[0]}}\" >&2")
    done = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120, check=False)
    assert len(done.stdout.splitlines()) == 1
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "status=0", done.stderr


def test_an_expected_error_is_one_line(tmp_path, weird_store):
    file = write_snapshot(tmp_path / "snap", users="id\na\n") / "users.csv"
    result = run("load", file, "--format", "dir", "--store", tmp_path / "s.duckdb", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {file}: --format dir reads a directory") \
        and result.stderr.count("\n") == 1
    result = run("export", tmp_path / "no" / "such" / "dir" / "x.csv", "--store", weird_store,
                 ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_messages_escape_control_characters(capsys):
    from graph_influence.cli.app import echo_err

    echo_err("wrote 3 users to \x1b[2Jodd\tname.csv")
    err = capsys.readouterr().err
    assert err == "wrote 3 users to \\x1b[2Jodd\\tname.csv\n"


def test_cli_start_up_stays_light(tmp_path, weird_store):
    code = ("import sys, time\n"
            "t = time.perf_counter()\n"
            f"sys.argv = ['graph-influence', 'top', '-n', '3', '--store', {str(weird_store)!r}]\n"
            "from graph_influence.cli import main\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code\n"
            "heavy = sorted(m for m in ('numpy', 'pandas', 'pyarrow', 'tomllib') "
            "if m in sys.modules)\n"
            "print('HEAVY', heavy)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60, check=False,
                          env={**os.environ, "COLUMNS": "100"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "HEAVY []", "no config file: tomllib not imported"


def test_rejects_can_go_to_standard_output(tmp_path):
    snap = write_snapshot(tmp_path / "snap", users="id\na\n",
                          follows="src,dst\na,b\nb,\n")
    result = run("load", snap, "--store", tmp_path / "s.duckdb", "--on-error", "skip",
                 "--rejects", "-", "--report-format", "json")
    # stdout: the rejects CSV, then the report
    text = result.stdout
    assert text.startswith('"table","file","line","column","reason","record"\n')
    assert '"follows"' in text and "empty dst" in text
    report = json.loads(text[text.index("{"):])
    assert report["tables"]["follows"]["rejected"] == 1 and report["rejects_file"] == "-"
