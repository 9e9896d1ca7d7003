"""The commands that look into runs: ``explain``, ``compare``, ``report``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from graph_influence.cli.app import app, echo_err, handle_errors
from graph_influence.cli.options import (
    ReportFormat,
    ReportFormatOption,
    RunOption,
    StoreOption,
    TopicOption,
    limit_option,
)

__all__ = ["compare", "explain", "report"]


def _open(store: str | None):
    from graph_influence.stores import open_store

    return open_store(store, read_only=True)


@app.command()
@handle_errors
def explain(
    user: Annotated[str, typer.Argument(help="The user's id.")],
    store: StoreOption = None,
    limit: Annotated[int, limit_option("contributors")] = 10,
    run: RunOption = None,
    topic: TopicOption = None,
    format: ReportFormatOption = ReportFormat.table,
) -> None:
    """Explain a user's influence: teleport share, top contributors, shares by kind and topic.

    Example: graph-influence explain alice -n 5 --format json
    """
    from graph_influence.cli.notices import stale_run_notice
    from graph_influence.explain import explain_user
    from graph_influence.formatting import display, write_json

    with _open(store) as st:
        stale_run_notice(st, run)  # explained on the run's own graph all the same
        data = explain_user(st, user, n=limit, run_id=run, topic=topic)
    if format.value == "json":
        write_json(data)
        return
    out = sys.stdout
    total = data["influence"]
    out.write(f"{display(data['id'])}: score {data['score']:.1f}, rank {data['rank']:,}, "
              f"percentile {data['percentile']:.1f}"
              + (f", community {data['community']}" if data["community"] is not None else "")
              + f" (run {data['run_id']})\n")
    kind = {"trust": " (trust)"}.get(data.get("teleport_kind"), "")
    out.write(f"influence {total:.6g} = teleport{kind} {data['teleport']:.3g} "
              f"({data['teleport'] / total:.1%}) + {data['in_neighbours']:,} in-neighbours\n")
    out.write("by edge kind: " + ", ".join(
        f"{k} {v / total:.1%}" for k, v in sorted(data["by_kind"].items(),
                                                   key=lambda kv: -kv[1]) if v) + "\n")
    topics_part = {k: v for k, v in data["by_topic"].items() if v and k != "(untagged)"}
    if topics_part:
        top5 = sorted(topics_part.items(), key=lambda kv: -kv[1])[:5]
        out.write("by topic: " + ", ".join(f"{display(k)} {v / total:.1%}" for k, v in top5)
                  + "\n")
    if data["topic"] is not None:
        t = data["topic"]
        standing = (f"score {t['score']:.1f}, rank {t['rank']:,}" if t["score"] is not None
                    else "not among the topic's stored users")
        out.write(f"topic {display(t['name'])}: {standing}\n")
    out.write("top contributors:\n")
    for c in data["contributors"]:
        out.write(f"  {display(c['id']):<24} score {c['score']:5.1f}  {c['share']:6.1%}  "
                  f"via {'+'.join(c['kinds'])}\n")


@app.command()
@handle_errors
def compare(
    run_a: Annotated[int | None, typer.Argument(help="Earlier run (default: second latest).")]
    = None,
    run_b: Annotated[int | None, typer.Argument(help="Later run (default: latest).")] = None,
    store: StoreOption = None,
    limit: Annotated[int, limit_option("risers, fallers, new and vanished users")] = 10,
    format: ReportFormatOption = ReportFormat.table,
) -> None:
    """Compare two runs: changed parameters, rank correlation, top-k overlap, risers, fallers.

    New and vanished users are counted too. A user counts in a run when they have a follow or
    an interaction as of it, so users who become active between two --as-of instants count as
    new.

    Example: graph-influence compare 1 2 --format json
    """
    from graph_influence.cli.notices import stale_run_notice
    from graph_influence.compare import compare_runs
    from graph_influence.formatting import display, write_json

    with _open(store) as st:
        stale_run_notice(st, run_b)
        data = compare_runs(st, run_a, run_b, n=limit)
    if format.value == "json":
        write_json(data)
        return
    out = sys.stdout

    def fmt(x):
        return "n/a" if x is None else f"{x:.4f}"

    out.write(f"run {data['run_a']} ({data['users_a']:,} users) -> run {data['run_b']} "
              f"({data['users_b']:,} users); {data['common_users']:,} in both\n")
    inactive = [f"{data[k]:,} in run {data[r]}" for k, r in (("inactive_a", "run_a"),
                                                              ("inactive_b", "run_b")) if data[k]]
    if inactive:
        out.write(f"inactive (no follow or interaction as of the run, left out): "
                  f"{', '.join(inactive)}\n")
    changed = data["parameters"]
    out.write("parameters: " + ("; ".join(f"{k} {_value(a)} -> {_value(b)}"
                                          for k, (a, b) in changed.items())
                                or "the same") + "\n")
    if data["as_of"][0] != data["as_of"][1]:
        out.write(f"as of: {data['as_of'][0]} -> {data['as_of'][1]}\n")
    out.write(f"Spearman {fmt(data['spearman'])}, Kendall {fmt(data['kendall'])}; "
              "top-k Jaccard " + ", ".join(f"k={k}: {fmt(v)}"
                                           for k, v in data["jaccard_top"].items()) + "\n")
    for title in ("risers", "fallers"):
        out.write(f"{title}:\n")
        for r in data[title]:
            out.write(f"  {display(r['id']):<24} rank {r['rank_a']:>7,} -> {r['rank_b']:>7,}  "
                      f"score {r['score_a']:5.1f} -> {r['score_b']:5.1f}\n")
    out.write(f"new users: {data['new']['count']:,}; vanished: {data['vanished']['count']:,}\n")


def _value(value) -> str:
    """A parameter value as the table shows it."""
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


@app.command()
@handle_errors
def report(
    out: Annotated[Path | None, typer.Argument(
        help="HTML file to write ('-': standard output); its folder must exist.",
        show_default=False)] = None,
    store: StoreOption = None,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="Show this topic's leaders first, unfolded (repeatable; "
                     "default: the most widespread few; every topic is in the report).",
                     show_default=False),
    ] = None,
    run: RunOption = None,
    backtest: Annotated[bool, typer.Option(
        "--backtest/--no-backtest", help="Include the backtest of the run's parameters "
        "(graph-influence backtest at the default split).")] = True,
    out_alias: Annotated[Path | None, typer.Option("--out", hidden=True)] = None,
) -> None:
    """Write a self-contained HTML report of a run, with the comparison to the previous one.

    The report shows the score distribution, the leaderboard, why the top users score what
    they do, every topic's leaders, communities, and the run's parameters and convergence;
    its tables sort and search in the browser, offline.

    Example: graph-influence report report.html --topic python
    """
    path = out or out_alias
    if path is None:
        raise typer.BadParameter("give the HTML file to write, e.g. report.html",
                                 param_hint="OUT")
    from graph_influence.report import check_output, render_report, write_report

    to_stdout = str(path) == "-"
    if not to_stdout:
        check_output(path, store_url=store)  # before anything is read or computed
    with _open(store) as st:
        if to_stdout:
            page = render_report(st, topics=topic, run_id=run, backtest=backtest)
        else:
            written = write_report(st, path, topics=topic, run_id=run, backtest=backtest)
    if to_stdout:
        sys.stdout.write(page)
        sys.stdout.flush()
    else:
        echo_err(f"wrote {written}")
