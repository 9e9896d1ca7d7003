"""The ``graph-influence`` command line: a thin layer over the Python API.

Data goes to stdout, progress and messages to stderr. Exit codes: 0 success, 1 user error (bad
input, missing data: one line on stderr, no traceback), 2 usage error (unknown option).
"""

from __future__ import annotations

import functools
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from graph_influence._version import __version__
from graph_influence.errors import GraphInfluenceError

app = typer.Typer(
    name="graph-influence",
    help="Klout-style influence scores for social-graph snapshots.\n\n"
    "Quick start: graph-influence load SNAPSHOT_DIR && graph-influence analyze && "
    "graph-influence top",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


class InfoFormat(StrEnum):
    table = "table"
    json = "json"


class SnapshotFormat(StrEnum):
    auto = "auto"
    dir = "dir"
    higgs = "higgs"
    edgelist = "edgelist"
    ego_twitter = "ego-twitter"


class OnError(StrEnum):
    fail = "fail"
    skip = "skip"


class Scale(StrEnum):
    klout = "klout"
    percentile = "percentile"
    log = "log"
    tweepcred = "tweepcred"


class CommunityMethod(StrEnum):
    louvain = "louvain"
    leiden = "leiden"


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    json = "json"
    jsonl = "jsonl"


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="GRAPH_INFLUENCE_STORE",
        help="Store URL: PATH.duckdb (embedded, default ./graph-influence.duckdb).",
        show_default=False,
    ),
]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def handle_errors(func):
    """Turn library errors into one line on stderr and exit code 1 (the one place this happens)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except GraphInfluenceError as exc:
            _err(f"error: {exc}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            _err("interrupted — the store is unchanged by the unfinished step")
            raise typer.Exit(130) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"graph-influence {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Klout-style influence scores for social-graph snapshots."""


def _open(store: str | None, *, read_only: bool = False):
    from graph_influence.stores import open_store

    return open_store(store, read_only=read_only)


# --------------------------------------------------------------------------------------------
@app.command()
@handle_errors
def load(
    snapshot: Annotated[Path, typer.Argument(help="Snapshot directory, Higgs files or edge list.")],
    store: StoreOption = None,
    format: Annotated[
        SnapshotFormat, typer.Option("--format", help="Input format (auto: guess from the path).")
    ] = SnapshotFormat.auto,
    on_error: Annotated[
        OnError,
        typer.Option("--on-error", help="fail: stop at the first bad row, store unchanged. "
                     "skip: load good rows, write bad ones to a rejects file."),
    ] = OnError.fail,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Rejects file for --on-error skip.")
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="Allow an extra interaction type (repeatable)."),
    ] = None,
    edge_kind: Annotated[
        str, typer.Option("--edge-kind", help="Edge lists: 'follow' or an interaction type.")
    ] = "follow",
    columns: Annotated[
        str | None,
        typer.Option("--columns", help="Edge lists: column names in order, e.g. src,dst,ts."),
    ] = None,
    output: Annotated[
        InfoFormat, typer.Option("--output", "-o", help="Report format.")
    ] = InfoFormat.table,
) -> None:
    """Validate a snapshot and load it into the store (atomic; reloading adds nothing).

    Example: graph-influence load ./snapshot --store net.duckdb --on-error skip
    """
    from graph_influence.loading import load_snapshot

    with _open(store) as st:
        summary, rejects_path = load_snapshot(
            st, snapshot, format=format.value, on_error=on_error.value, rejects=rejects,
            interaction_types=types or (), edge_kind=edge_kind,
            columns=columns.split(",") if columns else None,
        )
        url = st.url
    _print_load(summary, rejects_path, url, output.value)


def _print_load(summary, rejects_path, url: str, fmt: str) -> None:
    from graph_influence.formatting import write_json

    if fmt == "json":
        write_json({
            "load_id": summary.load_id, "store": url, "source": summary.source,
            "format": summary.format, "already_loaded_as": summary.already_loaded_as,
            "tables": {k: vars(v) for k, v in summary.reports.items()},
            "rejects_file": str(rejects_path) if rejects_path else None,
            "seconds": summary.seconds,
        })
        return
    out = sys.stdout
    out.write(f"load {summary.load_id} into {url} ({summary.format}: {summary.source})\n")
    for name, r in summary.reports.items():
        if not r.read and not r.files:
            continue
        line = (f"  {name:<12} read {r.read:,} = loaded {r.loaded:,} + rejected {r.rejected:,}"
                f"; new {r.new:,}")
        extras = []
        if r.self_loops:
            extras.append(f"self-loops {r.self_loops:,} (kept, ignored by influence)")
        if r.duplicates:
            what = ("exact repeats kept as separate events" if name == "interactions"
                    else "merged into one")
            extras.append(f"duplicates {r.duplicates:,} ({what})")
        if r.ignored_columns:
            extras.append(f"ignored columns: {', '.join(r.ignored_columns)}")
        out.write(line + ("; " + "; ".join(extras) if extras else "") + "\n")
    if summary.already_loaded_as:
        out.write(f"  this snapshot was loaded before (load {summary.already_loaded_as}); "
                  "nothing was duplicated\n")
    if rejects_path:
        out.write(f"  rejected rows and reasons: {rejects_path}\n")


def _parse_weights(weights: list[str] | None) -> dict[str, float]:
    from graph_influence.schema import DEFAULT_INTERACTION_TYPES

    out = dict(DEFAULT_INTERACTION_TYPES)
    for item in weights or []:
        name, sep, value = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip().lower()] = float(value)
        except ValueError:
            raise GraphInfluenceError(
                f"cannot read --weight {item!r} — use TYPE=NUMBER, e.g. --weight retweet=1.5"
            ) from None
    return out


@app.command()
@handle_errors
def analyze(
    store: StoreOption = None,
    damping: Annotated[float, typer.Option(help="PageRank damping factor in [0, 1).")] = 0.85,
    tol: Annotated[float, typer.Option(help="Stop when the L1 change is below this.")] = 1e-6,
    max_iter: Annotated[int, typer.Option("--max-iter", help="Maximum iterations.")] = 100,
    half_life: Annotated[
        str, typer.Option("--half-life", help="Interaction half-life (30d, 12h, none).")
    ] = "30d",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Measure ages from this time; later events are ignored "
                     "(default: the newest timestamp)."),
    ] = None,
    weight: Annotated[
        list[str] | None,
        typer.Option("--weight", help="Interaction type weight TYPE=W (repeatable)."),
    ] = None,
    follow_weight: Annotated[
        float, typer.Option("--follow-weight", help="Weight of a follow edge.")
    ] = 1.0,
    concave: Annotated[
        str, typer.Option(help="Diminishing returns of repeats: log1p, sqrt, linear.")
    ] = "log1p",
    scale: Annotated[Scale, typer.Option(help="0-100 scale.")] = Scale.klout,
    calibration: Annotated[
        Path | None,
        typer.Option("--calibration", help="Reuse a saved calibration (comparable scores)."),
    ] = None,
    save_calibration: Annotated[
        Path | None,
        typer.Option("--save-calibration", help="Save this run's calibration to a file."),
    ] = None,
    topics: Annotated[
        bool, typer.Option("--topics/--no-topics", help="Topic-specific influence.")
    ] = True,
    min_topic_users: Annotated[
        int, typer.Option("--min-topic-users", help="Users a topic needs to be kept.")
    ] = 3,
    max_topics: Annotated[
        int, typer.Option("--max-topics", help="At most this many topics.")
    ] = 100,
    topic_boost: Annotated[
        float, typer.Option("--topic-boost", help="Weight of topic-tagged interactions on "
                            "that topic's walk.")
    ] = 1.0,
    topic_keep: Annotated[
        int, typer.Option("--topic-keep", help="Users kept per topic besides those with an "
                          "affinity.")
    ] = 1000,
    communities: Annotated[
        bool, typer.Option("--communities/--no-communities", help="Detect communities.")
    ] = True,
    community_method: Annotated[
        CommunityMethod, typer.Option("--community-method", help="louvain (fast, default) or "
                                      "leiden (igraph; connected communities, slower).")
    ] = CommunityMethod.louvain,
    resolution: Annotated[
        float, typer.Option("--resolution", help="Modularity resolution (larger: smaller "
                            "communities).")
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the community detection.")] = 0,
    top_k: Annotated[int, typer.Option("-k", "--top", help="Leaderboard size to print.")] = 10,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Leaderboard format.")
    ] = OutputFormat.table,
) -> None:
    """Compute influence (weighted PageRank), 0-100 scores, topics and communities.

    Example: graph-influence analyze --half-life 7d --weight retweet=2 --scale klout
    """
    from graph_influence.algorithms.scaling import Calibration
    from graph_influence.analysis import AnalysisParams
    from graph_influence.analysis import analyze as run_analysis

    params = AnalysisParams(
        damping=damping, tol=tol, max_iter=max_iter, half_life=half_life, as_of=as_of,
        type_weights=_parse_weights(weight), follow_weight=follow_weight, concave=concave,
        scale=scale.value, topics=topics, min_topic_users=min_topic_users,
        max_topics=max_topics, topic_boost=topic_boost, topic_keep=topic_keep,
        communities=communities, community_method=community_method.value,
        resolution=resolution, seed=seed,
    )
    cal = Calibration.load(calibration) if calibration else None
    with _open(store) as st:
        result = run_analysis(st, params, calibration=cal)
        board = st.top(top_k, run_id=result.run_id)
    if save_calibration:
        result.calibration.save(save_calibration)
    run = result.run
    _err(
        f"run {run.run_id}: {run.n_users:,} users, {run.n_edges:,} weighted edges, "
        f"{run.n_events:,} events as of {run.as_of}; converged in {run.iterations} iterations "
        f"(L1 change {run.error:.2e})"
    )
    extras = run.extras
    if extras.get("n_topics"):
        _err(f"  {extras['n_topics']} topics (slowest converged in "
             f"{extras['topic_iterations_max']} iterations)")
    if extras.get("modularity") is not None:
        _err(f"  {extras['n_communities']:,} communities, modularity {extras['modularity']:.4f}")
    _write_top(board, output.value)


def _write_top(frame, fmt: str) -> None:
    from graph_influence.formatting import write_frame

    columns = ["rank", "id", "score", "influence"]
    if "name" in frame and (fmt != "table" or frame["name"].notna().any()):
        columns.append("name")
    frame = frame[columns]
    if fmt == "table" and "name" in frame:
        frame = frame.fillna({"name": ""})
    write_frame(frame, fmt, float_digits={"score": 1})


@app.command()
@handle_errors
def top(
    store: StoreOption = None,
    k: Annotated[int, typer.Option("-k", "--top", help="How many users.", min=1)] = 10,
    run: Annotated[int | None, typer.Option("--run", help="Run id (default: latest).")] = None,
    topic: Annotated[
        str | None, typer.Option("--topic", help="Rank by influence on this topic.")
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = (
        OutputFormat.table
    ),
) -> None:
    """Print the top influencers of the latest analysis, overall or for one topic.

    Example: graph-influence top --topic python -k 20 --format json
    """
    from graph_influence.formatting import write_frame
    from graph_influence.topic_signals import normalize_topic

    with _open(store, read_only=True) as st:
        if topic is None:
            frame = st.top(k, run_id=run)
        else:
            frame = st.top_topic(normalize_topic(topic), k, run_id=run)
    if topic is None:
        _write_top(frame, output.value)
        return
    columns = ["rank", "id", "score", "topic_influence", "influence", "score_overall"]
    if output.value != "table" or frame["name"].notna().any():
        columns.append("name")
    frame = frame[columns]
    if output.value == "table":
        frame = frame.fillna({"name": ""}) if "name" in frame else frame
    write_frame(frame, output.value, float_digits={"score": 1, "score_overall": 1})


@app.command()
@handle_errors
def topics(
    store: StoreOption = None,
    run: Annotated[int | None, typer.Option("--run", help="Run id (default: latest).")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = (
        OutputFormat.table
    ),
) -> None:
    """List the topics of the latest analysis with their user counts and top 3 influencers.

    Example: graph-influence topics --format json
    """
    from graph_influence.formatting import write_frame

    with _open(store, read_only=True) as st:
        frame = st.topics_summary(run_id=run)
    if output.value == "table":
        frame = frame.assign(top_influencers=[", ".join(v) for v in frame["top_influencers"]])
    else:
        frame = frame.assign(top_influencers=[list(v) for v in frame["top_influencers"]])
    write_frame(frame, output.value)


@app.command()
@handle_errors
def communities(
    store: StoreOption = None,
    run: Annotated[int | None, typer.Option("--run", help="Run id (default: latest).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Largest communities to list.")] = 20,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = (
        OutputFormat.table
    ),
) -> None:
    """List the communities of the latest analysis: size, top topics, top members.

    Example: graph-influence communities --format json
    """
    from graph_influence.formatting import to_jsonable, write_frame

    with _open(store, read_only=True) as st:
        modularity, frame = st.communities_summary(run_id=run)
    frame = frame.head(limit)
    if output.value == "json":
        sys.stdout.write(json.dumps(to_jsonable({
            "modularity": modularity,
            "communities": frame.to_dict(orient="records"),
        }), ensure_ascii=False) + "\n")
        return
    if output.value == "table":
        _err(f"modularity {modularity:.4f}")
        frame = frame.assign(
            top_topics=[", ".join(f"{t['topic']} ({t['lift']:.1f}x)" for t in v)
                        for v in frame["top_topics"]],
            top_members=[", ".join(v) for v in frame["top_members"]],
        )
    write_frame(frame, output.value)


@app.command()
@handle_errors
def info(
    store: StoreOption = None,
    output: Annotated[InfoFormat, typer.Option("--format", help="Output format.")] = (
        InfoFormat.table
    ),
) -> None:
    """Show what the store holds: counts, loads, and the last analysis.

    Example: graph-influence info --format json
    """
    from graph_influence.formatting import write_json

    with _open(store, read_only=True) as st:
        data = st.info()
    if output.value == "json":
        write_json({**data, **data["counts"]})
        return
    out = sys.stdout
    out.write(f"store      {data['store']}\n")
    for name, count in data["counts"].items():
        out.write(f"{name:<11}{count:,}\n")
    lo, hi = data["time_range"]
    out.write(f"time range {lo} .. {hi}\n")
    out.write(f"loads      {len(data['loads'])}\n")
    for ld in data["loads"]:
        out.write(f"  {ld['load_id']}  {ld['status']:<9} {ld['format']:<9} {ld['source']}\n")
    last = data["last_run"]
    if last is None:
        out.write("last run   none — run: graph-influence analyze\n")
    else:
        out.write(f"runs       {data['runs']}\n")
        out.write(f"last run   {last.run_id} at {last.created_at}: {last.n_users:,} users, "
                  f"converged={last.converged} in {last.iterations} iterations "
                  f"(L1 change {last.error:.2e})\n")
        params = ", ".join(f"{k}={v}" for k, v in sorted(last.params.items()))
        out.write(f"parameters {params}\n")


@app.command()
@handle_errors
def export(
    out: Annotated[Path, typer.Argument(help="File to write.")],
    store: StoreOption = None,
    output: Annotated[
        ExportFormat | None, typer.Option("--format", help="Default: from the file suffix.")
    ] = None,
    run: Annotated[int | None, typer.Option("--run", help="Run id (default: latest).")] = None,
) -> None:
    """Export one row per user (id, influence, score, rank) of the latest analysis.

    Example: graph-influence export scores.parquet
    """
    from graph_influence.exporting import export_scores

    with _open(store, read_only=True) as st:
        n = export_scores(st, out, format=output.value if output else None, run_id=run)
    _err(f"wrote {n:,} users to {out}")


@app.command()
@handle_errors
def explain(
    user: Annotated[str, typer.Argument(help="The user's id.")],
    store: StoreOption = None,
    n: Annotated[int, typer.Option("-n", help="Contributors to list.", min=1)] = 10,
    run: Annotated[int | None, typer.Option("--run", help="Run id (default: latest).")] = None,
    topic: Annotated[
        str | None, typer.Option("--topic", help="Also show the user's standing on a topic.")
    ] = None,
    output: Annotated[InfoFormat, typer.Option("--format", help="Output format.")] = (
        InfoFormat.table
    ),
) -> None:
    """Explain a user's influence: teleport share, top contributors, shares by kind and topic.

    Example: graph-influence explain alice -n 5 --format json
    """
    from graph_influence.explain import explain_user
    from graph_influence.formatting import write_json

    with _open(store, read_only=True) as st:
        data = explain_user(st, user, n=n, run_id=run, topic=topic)
    if output.value == "json":
        write_json(data)
        return
    out = sys.stdout
    total = data["influence"]
    out.write(f"{data['id']}: score {data['score']:.1f}, rank {data['rank']:,}, "
              f"percentile {data['percentile']:.1f}"
              + (f", community {data['community']}" if data["community"] is not None else "")
              + f" (run {data['run_id']})\n")
    out.write(f"influence {total:.6g} = teleport {data['teleport']:.3g} "
              f"({data['teleport'] / total:.1%}) + {data['in_neighbours']:,} in-neighbours\n")
    out.write("by edge kind: " + ", ".join(
        f"{k} {v / total:.1%}" for k, v in sorted(data["by_kind"].items(),
                                                   key=lambda kv: -kv[1]) if v) + "\n")
    topics_part = {k: v for k, v in data["by_topic"].items() if v and k != "(untagged)"}
    if topics_part:
        top5 = sorted(topics_part.items(), key=lambda kv: -kv[1])[:5]
        out.write("by topic: " + ", ".join(f"{k} {v / total:.1%}" for k, v in top5) + "\n")
    if data["topic"] is not None:
        t = data["topic"]
        standing = (f"score {t['score']:.1f}, rank {t['rank']:,}" if t["score"] is not None
                    else "not among the topic's stored users")
        out.write(f"topic {t['name']}: {standing}\n")
    out.write("top contributors:\n")
    for c in data["contributors"]:
        out.write(f"  {c['id']:<24} score {c['score']:5.1f}  {c['share']:6.1%}  "
                  f"via {'+'.join(c['kinds'])}\n")


@app.command()
@handle_errors
def compare(
    run_a: Annotated[int | None, typer.Argument(help="Earlier run (default: second latest).")]
    = None,
    run_b: Annotated[int | None, typer.Argument(help="Later run (default: latest).")] = None,
    store: StoreOption = None,
    n: Annotated[int, typer.Option("-n", help="Risers/fallers to list.", min=1)] = 10,
    output: Annotated[InfoFormat, typer.Option("--format", help="Output format.")] = (
        InfoFormat.table
    ),
) -> None:
    """Compare two runs: rank correlation, top-k overlap, biggest risers and fallers.

    Example: graph-influence compare 1 2 --format json
    """
    from graph_influence.compare import compare_runs
    from graph_influence.formatting import write_json

    with _open(store, read_only=True) as st:
        data = compare_runs(st, run_a, run_b, n=n)
    if output.value == "json":
        write_json(data)
        return
    out = sys.stdout

    def fmt(x):
        return "n/a" if x is None else f"{x:.4f}"

    out.write(f"run {data['run_a']} ({data['users_a']:,} users) -> run {data['run_b']} "
              f"({data['users_b']:,} users); {data['common_users']:,} in both\n")
    out.write(f"Spearman {fmt(data['spearman'])}, Kendall {fmt(data['kendall'])}; "
              "top-k Jaccard " + ", ".join(f"k={k}: {fmt(v)}"
                                           for k, v in data["jaccard_top"].items()) + "\n")
    for title in ("risers", "fallers"):
        out.write(f"{title}:\n")
        for r in data[title]:
            out.write(f"  {r['id']:<24} rank {r['rank_a']:>7,} -> {r['rank_b']:>7,}  "
                      f"score {r['score_a']:5.1f} -> {r['score_b']:5.1f}\n")
    out.write(f"new users: {data['new']['count']:,}; vanished: {data['vanished']['count']:,}\n")


@app.command()
@handle_errors
def report(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    store: StoreOption = None,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="Show this topic's leaders (repeatable; default: the "
                     "most widespread few)."),
    ] = None,
    run: Annotated[int | None, typer.Option("--run", help="Run id (default: latest).")] = None,
) -> None:
    """Write a self-contained HTML report: score distribution, leaderboard, topics, communities,
    the run's parameters and convergence, and the comparison with the previous run.

    Example: graph-influence report --out report.html --topic python
    """
    from graph_influence.report import write_report

    with _open(store, read_only=True) as st:
        path = write_report(st, out, topics=topic, run_id=run)
    _err(f"wrote {path}")


@app.command()
@handle_errors
def demo(
    store: Annotated[
        Path, typer.Option("--store", help="Store file for the demo (recreated).")
    ] = Path("graph-influence-demo.duckdb"),
    k: Annotated[int, typer.Option("-k", "--top", help="Leaderboard size.")] = 10,
) -> None:
    """Load the bundled sample snapshot into a fresh embedded store, analyze it, show the top.

    Example: graph-influence demo
    """
    from graph_influence.analysis import analyze as run_analysis
    from graph_influence.loading import load_snapshot
    from graph_influence.sample_data import sample_path
    from graph_influence.stores import open_store

    if store.suffix != ".duckdb":
        raise GraphInfluenceError("the demo store must be a .duckdb file")
    store.unlink(missing_ok=True)
    with open_store(store) as st:
        summary, _ = load_snapshot(st, sample_path())
        _print_load(summary, None, st.url, "table")
        result = run_analysis(st)
        board = st.top(k)
        topics_table = st.topics_summary().head(3) if result.topics is not None else None
    run = result.run
    sys.stdout.write(
        f"\nanalysis run {run.run_id}: {run.n_users:,} users, converged in {run.iterations} "
        f"iterations; scale klout (median 40, 95th percentile 63)\n\n"
    )
    _write_top(board, "table")
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
        f"{topics_table['topic'].iloc[0] if topics_table is not None else 'T'} -k 20; "
        f"graph-influence communities --store {store}\n"
    )


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
