"""``graph-influence backtest``: does the score predict the attention that comes next?"""

from __future__ import annotations

import inspect
import sys
from typing import Annotated

import typer

from graph_influence.cli.app import app, echo_err, handle_errors
from graph_influence.cli.options import (
    ReportFormat,
    ReportFormatOption,
    StoreOption,
    analysis_parameters,
    params_from_options,
    with_parameters,
)

__all__ = ["backtest"]

SPLIT_PANEL = "Split and target"

#: The analysis parameters that shape the score a backtest measures (topics, communities and
#: the 0-100 scale do not change the ranking; the split replaces --as-of).
SCORE_PARAMETERS = ("damping", "tol", "max_iter", "half_life", "type_weights", "follow_weight",
                    "concave", "ground_weight", "fade", "teleport")


def _cli_parameters() -> list[inspect.Parameter]:
    kw = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter("store", kw, default=None, annotation=StoreOption),
        inspect.Parameter("at", kw, default=None, annotation=Annotated[
            str | None, typer.Option(
                "--at", help="The split: score the events up to this time (ISO-8601 or epoch "
                "seconds), predict what comes after. Default: the time that leaves the last "
                "--after-share of the events after it.", show_default=False,
                rich_help_panel=SPLIT_PANEL)]),
        inspect.Parameter("after_share", kw, default=0.3, annotation=Annotated[
            float, typer.Option("--after-share", help="Share of the events after the default "
                                "split.", min=0.0, max=1.0, rich_help_panel=SPLIT_PANEL)]),
        inspect.Parameter("target", kw, default="engagers", annotation=Annotated[
            str, typer.Option("--target", help="What is predicted: distinct users who gave "
                              "attention after the split (engagers), or attention events "
                              "(events).", rich_help_panel=SPLIT_PANEL)]),
        inspect.Parameter("attention_type", kw, default=None, annotation=Annotated[
            list[str] | None, typer.Option(
                "--attention-type", help="An interaction type that counts as attention "
                "received (repeat it; default retweet, quote, reply, mention).",
                show_default=False, rich_help_panel=SPLIT_PANEL)]),
        inspect.Parameter("cutoff", kw, default=None, annotation=Annotated[
            list[int] | None, typer.Option("--cutoff", help="A k of precision@k and NDCG@k "
                                           "(repeat it; default 10, 100, 1000).", min=1,
                                           show_default=False, rich_help_panel=SPLIT_PANEL)]),
        *analysis_parameters(SCORE_PARAMETERS),
        inspect.Parameter("format", kw, default=ReportFormat.table,
                          annotation=ReportFormatOption),
    ]


def backtest(**options) -> None:
    """Measure how well the score predicts future attention, beside naive baselines.

    Nothing is written to the store. Example: graph-influence backtest --at 2012-07-04 -f json
    """
    params = params_from_options(options)  # checked before the engine is imported
    from graph_influence.backtest import ATTENTION_TYPES, TARGETS
    from graph_influence.backtest import backtest as run_backtest
    from graph_influence.errors import GraphInfluenceError
    from graph_influence.stores import open_store
    from graph_influence.timeparse import parse_instant

    if options["target"] not in TARGETS:
        raise GraphInfluenceError(f"--target must be one of {', '.join(TARGETS)}, not "
                                  f"{options['target']!r}")
    try:
        at = parse_instant(options["at"]) if options["at"] else None
    except GraphInfluenceError as exc:
        raise GraphInfluenceError(f"--at: {exc}") from None
    with open_store(options["store"], read_only=True) as st:  # (a missing file: "no store at")
        result = run_backtest(st, params, at=at, after_share=options["after_share"],
                              target=options["target"], ks=options["cutoff"] or (10, 100, 1000),
                              attention_types=options["attention_type"] or ATTENTION_TYPES)
    if options["format"].value == "json":
        from graph_influence.formatting import write_json

        write_json(result.to_dict())
        return
    echo_err(f"split at {result.at:%Y-%m-%d %H:%M:%S}: {result.events_before:,} events "
             f"scored, {result.events_after:,} after;")
    echo_err(f"  {result.users_attended_after:,} users received attention after it")
    echo_err(f"  Spearman: over the {result.active_users:,} users active by the split")
    echo_err("  baselines at the split: followers, follow_pr (PageRank on follows),")
    echo_err("  engagers (distinct engagers) and events (attention events received)")
    if result.follows_before == 0:
        echo_err("  no follows by the split: followers and follow_pr rank everyone alike")
    for note in result.notes:
        echo_err(f"note: {note}")
    write_table(result)


def write_table(result, out=None) -> None:
    """The figures as a table: one row per method, the score first."""
    from graph_influence.formatting import write_rows

    ks = result.ks
    columns = ["method", "spearman", *(f"p@{_short(k)}" for k in ks),
               *(f"ndcg@{_short(k)}" for k in ks)]
    rows = [(m.method, m.spearman, *(m.precision[k] for k in ks), *(m.ndcg[k] for k in ks))
            for m in result.methods]
    digits = {c: 3 for c in columns[1:]}
    digits["spearman"] = 4
    write_rows(columns, rows, "table", out=out or sys.stdout, float_digits=digits,
               title=f"predicting {result.target} after the split")


def _short(k: int) -> str:
    """``1000`` -> ``1k`` (column headers that fit 80 columns)."""
    return f"{k // 1000}k" if k >= 1000 and k % 1000 == 0 else str(k)


app.command(name="backtest")(handle_errors(with_parameters(backtest, _cli_parameters())))
