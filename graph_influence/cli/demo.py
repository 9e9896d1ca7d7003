"""``graph-influence demo``: the bundled sample, end to end, in a fresh embedded store.

The demo recreates its store, so it refuses a file that is not a demo store: one that is not a
graph-influence store, or one holding any load but the bundled sample (recognised by its
fingerprint). A missing file, or a store without loads, is fine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from graph_influence.cli.app import app, handle_errors
from graph_influence.cli.options import STORE_PANEL, hidden_limit_alias, limit_option
from graph_influence.errors import GraphInfluenceError

__all__ = ["demo"]


@app.command()
@handle_errors
def demo(
    store: Annotated[
        Path, typer.Option("--store", help="Store file for the demo (recreated; a file that "
                           "is not a demo store is refused).", rich_help_panel=STORE_PANEL)
    ] = Path("graph-influence-demo.duckdb"),
    limit: Annotated[int, limit_option("users in the leaderboard")] = 10,
    limit_alias: Annotated[int | None, hidden_limit_alias()] = None,
) -> None:
    """Load the bundled sample snapshot into a fresh embedded store, analyze it, show the top.

    Example: graph-influence demo
    """
    from graph_influence.analysis import analyze as run_analysis
    from graph_influence.cli.load import print_load
    from graph_influence.cli.queries import write_top
    from graph_influence.loading import load_snapshot
    from graph_influence.sample_data import sample_path
    from graph_influence.stores import open_store

    if store.suffix != ".duckdb":
        raise GraphInfluenceError("the demo store must be a .duckdb file")
    _check_demo_store(store, sample_path())
    store.unlink(missing_ok=True)
    Path(f"{store}.wal").unlink(missing_ok=True)
    with open_store(store) as st:
        summary, _ = load_snapshot(st, sample_path())
        print_load(summary, None, st.url, "table")
        result = run_analysis(st)
        board = st.top_rows(limit_alias or limit)
        topics_table = st.topics_summary().head(3) if result.topics is not None else None
    run = result.run
    sys.stdout.write(
        f"\nanalysis run {run.run_id}: {run.n_users:,} users, converged in {run.iterations} "
        f"iterations; scale klout (floor 10; attended users: median 40, p95 63)\n\n"
    )
    write_top(board, "table")
    if topics_table is not None:
        sys.stdout.write(f"\n{run.extras['n_topics']} topics; the largest and their top "
                         "influencers:\n")
        for row in topics_table.itertuples(index=False):
            sys.stdout.write(f"  {row.topic:<14} {row.users:>5} users: "
                             f"{', '.join(row.top_influencers)}\n")
    if result.communities is not None:
        sys.stdout.write(f"{result.communities.n_communities} communities "
                         f"(modularity {result.communities.modularity:.3f})\n")
    sys.stdout.write(
        f"\nexplore further: graph-influence top --store {store} --topic "
        f"{topics_table['topic'].iloc[0] if topics_table is not None else 'T'} -n 20; "
        f"graph-influence communities --store {store}\n"
    )


def _check_demo_store(path: Path, sample: Path) -> None:
    """Raise unless ``path`` is missing or a demo store (only the bundled sample was loaded
    into it), so that the demo never deletes anything else."""
    if not path.exists():
        return
    from graph_influence.loading import read_input
    from graph_influence.stores import open_store

    refuse = (f"{path} is not a demo store ({{why}}) and the demo recreates its store — "
              "give another --store, or delete the file yourself")
    if not path.is_file():
        raise GraphInfluenceError(refuse.format(why="not a file"))
    try:
        with open_store(path, read_only=True) as st:
            loads = st.loads()
    except GraphInfluenceError as exc:
        raise GraphInfluenceError(refuse.format(why=str(exc))) from None
    if not loads:
        return
    fingerprint = read_input(sample).fingerprint
    others = [ld for ld in loads if ld["fingerprint"] != fingerprint]
    if others:
        raise GraphInfluenceError(refuse.format(
            why=f"it holds {len(others)} load{'s' if len(others) > 1 else ''} of other data, "
                f"e.g. {others[0]['source']}"))
