"""``graph-influence analyze``: its analysis options come from ``graph_influence.params``."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated

import typer

from graph_influence.cli.app import app, echo_err, handle_errors
from graph_influence.cli.options import (
    Engine,
    FormatOption,
    OutputFormat,
    StoreOption,
    analysis_parameters,
    hidden_limit_alias,
    limit_option,
    params_from_options,
    with_parameters,
)

__all__ = ["analyze", "floor_line"]

CALIBRATION_PANEL = "Calibration"
INFLUENCE_PANEL = "Influence"


def _cli_parameters() -> list[inspect.Parameter]:
    kw = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter("store", kw, default=None, annotation=StoreOption),
        *analysis_parameters(),
        inspect.Parameter("seed_users", kw, default=None, annotation=Annotated[
            Path | None, typer.Option(
                "--seed-users", metavar="FILE", show_default=False,
                help="Personalised influence: teleport to these users only (a file of ids, "
                     "one a line, # comments; or a CSV/TSV with an id column and an optional "
                     "weight column).", rich_help_panel=INFLUENCE_PANEL)]),
        inspect.Parameter("warm_start", kw, default=False, annotation=Annotated[
            bool, typer.Option(
                "--warm-start/--cold-start",
                help="Start PageRank from the latest run's influence (the same result within "
                     "--tol, in fewer iterations on a grown snapshot), or from the teleport "
                     "distribution (the default: bit-identical scores in any store).",
                rich_help_panel=INFLUENCE_PANEL)]),
        inspect.Parameter("engine", kw, default=Engine.local, annotation=Annotated[
            Engine, typer.Option(
                "--engine",
                help="Where to compute: local (here, on the graph view; any store) or gds "
                     "(inside the Neo4j server, with its Graph Data Science plugin: the edges "
                     "stay there; the same influence, scores and topic influence, GDS's own "
                     "Louvain/Leiden).", rich_help_panel=INFLUENCE_PANEL)]),
        inspect.Parameter("calibration", kw, default=None, annotation=Annotated[
            Path | None, typer.Option("--calibration", help="Reuse a saved calibration "
                                      "(comparable scores).", rich_help_panel=CALIBRATION_PANEL)]),
        inspect.Parameter("save_calibration", kw, default=None, annotation=Annotated[
            Path | None, typer.Option("--save-calibration", help="Save this run's calibration "
                                      "to a file (- : print it instead of the leaderboard).",
                                      rich_help_panel=CALIBRATION_PANEL)]),
        inspect.Parameter("limit", kw, default=10, annotation=Annotated[
            int, limit_option("users in the leaderboard it prints")]),
        inspect.Parameter("limit_alias", kw, default=None,
                          annotation=Annotated[int | None, hidden_limit_alias()]),
        inspect.Parameter("format", kw, default=OutputFormat.table, annotation=FormatOption),
    ]


def analyze(**options) -> None:
    """Compute influence (weighted PageRank), 0-100 scores, topics and communities.

    Example: graph-influence analyze --half-life 7d --weight retweet=2 --scale klout
    """
    params = params_from_options(options)  # checked before the engine is imported
    from graph_influence.algorithms.scaling import Calibration
    from graph_influence.analysis import analyze as run_analysis
    from graph_influence.cli.queries import write_top
    from graph_influence.errors import StoreNotReadyError
    from graph_influence.params import read_seed_users
    from graph_influence.stores import local_store_path, open_store

    path = local_store_path(options["store"])
    if path is not None and not Path(path).exists():  # not created just to report it empty
        raise StoreNotReadyError(f"no store at {path} — load a snapshot first: "
                                 "graph-influence load SNAPSHOT")
    save_to = options["save_calibration"]
    to_stdout = save_to is not None and str(save_to) == "-"
    if save_to and not to_stdout:  # a path that cannot be written fails now, not at the end
        Calibration.check_can_save(save_to, store_url=options["store"], inputs=tuple(
            [options["calibration"]] if options["calibration"] else []))
    cal = Calibration.load(options["calibration"]) if options["calibration"] else None
    seeds = read_seed_users(options["seed_users"]) if options["seed_users"] else None
    limit = options["limit_alias"] or options["limit"]
    with open_store(options["store"]) as st:
        result = run_analysis(st, params, calibration=cal, seed_users=seeds,
                              warm_start=options["warm_start"],
                              engine=options["engine"].value)
        board = st.top_rows(limit, run_id=result.run_id)
    if save_to and not to_stdout:
        result.calibration.save(save_to)
    for warning in result.warnings:
        echo_err(f"warning: {warning}")
    run = result.run
    extras = run.extras
    engine = extras.get("engine") or {}
    how = (f"computed by Neo4j GDS {engine['gds_version']} in {run.iterations} iterations "
           f"(change per user < {engine['tolerance']:.0e})" if engine.get("name") == "gds"
           else f"converged in {run.iterations} iterations (L1 change {run.error:.2e})")
    echo_err(
        f"run {run.run_id}: {run.n_users:,} users, {run.n_edges:,} weighted edges, "
        f"{run.n_events:,} events as of {run.as_of}; {how}"
    )
    start = extras.get("warm_start") or {}
    if start.get("from_run") is not None:
        echo_err(f"  warm start from run {start['from_run']} ({start['users_new']:,} new users)")
    if extras.get("personalization"):
        seed = extras["personalization"]
        echo_err(f"  personalised: teleport to {seed['n_seeds']:,} seed users"
                 + (f" from {seed['source']}" if seed.get("source") else "")
                 + (" (weighted)" if seed.get("weighted") else ""))
    if extras.get("score_floor"):
        method = run.calibration.get("method", "klout")
        echo_err("  " + floor_line(extras["score_floor"], run.n_users, run.as_of, method))
    if extras.get("n_topics"):
        echo_err(f"  {extras['n_topics']} topics (slowest converged in "
                 f"{extras['topic_iterations_max']} iterations)")
    if extras.get("modularity") is not None:
        by = f" ({engine['community_method']})" if engine.get("community_method") else ""
        echo_err(f"  {extras['n_communities']:,} communities{by}, modularity "
                 f"{extras['modularity']:.4f}")
    if to_stdout:  # standard output holds one document: the calibration
        import sys

        sys.stdout.write(result.calibration.to_json() + "\n")
        return
    write_top(board, options["format"].value)


def floor_line(floor: dict, n_users: int, as_of, method: str = "klout") -> str:
    """How many users received no attention and what they score, in one line.

    >>> print(floor_line({"users": 41012, "share": 0.1346, "score": 10.0, "fixed": True},
    ...                  304691, "2012-07-04 00:00:00"))
    41,012 of 304,691 users (13.5 %) received no attention as of 2012-07-04 00:00:00:
    score 10 (the floor)
    """
    when = f" as of {as_of}" if as_of is not None else ""
    users = floor["users"]
    if not users:
        reached = "were reached from the seed users" if floor.get("rule", "").startswith("not") \
            else "received attention"
        return f"all {n_users:,} users {reached}{when}"
    score = f"{floor['score']:.1f}".removesuffix(".0")
    if floor.get("fixed"):
        why = "the floor"
    elif method == "klout":
        why = "no floor: the reused calibration predates it"
    else:
        why = f"the {method} scale has no floor"
    what = ("were not reached from the seed users" if floor.get("rule", "").startswith("not")
            else "received no attention")
    return (f"{users:,} of {n_users:,} users ({100 * floor['share']:.1f} %) {what}{when}: "
            f"score {score} ({why})")


app.command(name="analyze", rich_help_panel=None)(
    handle_errors(with_parameters(analyze, _cli_parameters())))
