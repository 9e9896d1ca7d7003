"""A self-contained HTML report of an analysis run.

One file that opens without network access: styles inline, plots rendered by matplotlib (Agg) to
PNG and embedded as ``data:`` URIs, no scripts, no web fonts, no external URLs. Sections (each
with an ``id``): ``summary``, ``distribution``, ``leaderboard``, ``topics``, ``communities``,
``community-graph``, ``run``, and ``compare`` when the store holds another run to compare with.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from graph_influence.stores import Store

__all__ = ["write_report"]

#: Users in the leaderboard, per topic and per community in the picture.
LEADERBOARD_K = 25
TOPIC_K = 10
DEFAULT_TOPICS = 6
GRAPH_COMMUNITIES = 5
GRAPH_MEMBERS = 12
ANCHORS = ((40.0, "median = 40"), (63.0, "95th percentile = 63"))

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 1.5rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #d0d7de; padding-bottom: .3rem;
     margin-top: 2rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
p.meta { color: #59636e; margin-top: 0; }
table { border-collapse: collapse; font-size: .88rem; margin: .4rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .55rem; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; display: block; }
.topics { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr));
          gap: 0 1.2rem; }
.note { color: #59636e; font-size: .88rem; }
"""


# --------------------------------------------------------------------------------------------
def write_report(store: Store, out: str | Path, *, topics: list[str] | None = None,
                 run_id: int | None = None) -> Path:
    """Write a self-contained HTML report of a run (default: the latest) to ``out``.

    Parameters
    ----------
    store : Store
    out : str or Path
        The HTML file to write (its folder must exist).
    topics : list of str, optional
        Topics whose leaders to show (default: the run's most widespread few). Unknown topics
        raise :class:`~graph_influence.errors.StoreNotReadyError`.
    run_id : int, optional
        The run to report on (default: the latest). When the store holds another run, the
        report compares the previous run (or, for the first run, the next) with it.

    Returns
    -------
    Path
        ``out``.
    """
    from graph_influence.topic_names import normalize_topic

    run = store.run(run_id)  # raises "no analysis yet" / "no run N" as every query does
    runs = store.runs()
    rid = run.run_id
    has_topics = bool(run.extras.get("n_topics"))
    # Some stores keep topic scores and memberships of the latest run only: ask, don't catch.
    kept = store.has_run_results(rid)
    if topics:
        wanted = list(dict.fromkeys(normalize_topic(t) for t in topics))
    elif has_topics and kept:
        wanted = store.topic_names(run_id=rid)[:DEFAULT_TOPICS]
    else:
        wanted = []
    # Read everything first, so that an unknown topic fails before anything is written.
    topic_tables = [(t, store.top_topic(t, TOPIC_K, run_id=rid)) for t in wanted]
    scores = store.scores(run_id=rid)
    board = store.top(LEADERBOARD_K, run_id=rid)
    topic_summary = store.topics_summary(run_id=rid) if has_topics and kept else None
    modularity, comms = None, None
    if run.extras.get("modularity") is not None:  # the run has communities
        modularity, comms = store.communities_summary(run_id=rid)
    others = [r.run_id for r in runs if r.run_id != rid]
    comparison = None
    if others:
        from graph_influence.compare import compare_runs

        earlier = [o for o in others if o < rid]
        pair = (earlier[-1], rid) if earlier else (rid, others[0])
        comparison = compare_runs(store, *pair, n=10)
        compare_plot = _compare_plot(store, *pair)

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>graph-influence report — run {rid}</title>",
        f"<style>{_CSS}</style></head><body>",
        _summary(store, run, len(runs)),
        _distribution(scores, run),
        _leaderboard(board),
        _topics(topic_tables, topic_summary, has_topics, kept),
        _communities(modularity, comms),
        _community_graph(store, run, comms, kept),
        _run_section(run),
    ]
    if comparison is not None:
        parts.append(_compare(comparison, compare_plot))
    parts.append("</body></html>")
    out = Path(out)
    out.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return out


# --------------------------------------------------------------------------------------------
def _png(fig) -> str:
    """A matplotlib figure as an ``<img>`` with a base64 PNG ``data:`` URI."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight",
                metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="" src="data:image/png;base64,{data}">'


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _num(value, fmt: str) -> str:
    if value is None:
        return "n/a"
    try:
        if value != value:  # NaN
            return "n/a"
    except TypeError:
        pass
    return format(value, fmt)


def _table(header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    """A plain HTML table; every cell is escaped here (pass raw values)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            ('<td class="num">' if i in numeric else "<td>") + escape(str(v)) + "</td>"
            for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _name(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


# --------------------------------------------------------------------------------------------
def _summary(store: Store, run, n_runs: int) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<section id="summary"><h1>graph-influence report</h1>'
        f'<p class="meta">store {escape(store.url)} · run {run.run_id} of {n_runs} · '
        f"{run.n_users:,} users, {run.n_edges:,} edges, {run.n_events:,} events · "
        f"scale {escape(str(run.params.get('scale', '')))} · generated {now}</p></section>"
    )


def _distribution(scores, run) -> str:
    import numpy as np

    fig = _figure(9, 3.6)
    ax = fig.add_subplot()
    values = scores["score"].to_numpy(dtype=float)
    ax.hist(values, bins=np.linspace(0, 100, 51), color="#4c72b0", edgecolor="white")
    for x, label in ANCHORS:
        ax.axvline(x, color="#c44e52", linestyle="--", linewidth=1.4)
        ax.annotate(label, xy=(x, 1), xycoords=("data", "axes fraction"), xytext=(4, -14),
                    textcoords="offset points", color="#c44e52", fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (0–100)")
    ax.set_ylabel("users")
    ax.set_title(f"Score distribution, run {run.run_id} ({len(values):,} users)")
    median = float(np.median(values)) if len(values) else float("nan")
    p95 = float(np.percentile(values, 95)) if len(values) else float("nan")
    return (
        '<section id="distribution"><h2>Score distribution</h2>' + _png(fig)
        + f'<p class="note">Calibration anchors (dashed): the median user scores 40 and the '
        f"95th percentile 63 on the klout scale. Observed: median {median:.1f}, "
        f"95th percentile {p95:.1f}, max {values.max() if len(values) else 0:.1f}.</p>"
        "</section>"
    )


def _leaderboard(board) -> str:
    rows = [[int(r.rank), r.id, f"{r.score:.1f}", f"{r.influence:.6g}", _name(r.name)]
            for r in board.itertuples(index=False)]
    return ('<section id="leaderboard"><h2>Leaderboard</h2>'
            + _table(["rank", "id", "score", "influence", "name"], rows, {0, 2, 3})
            + "</section>")


def _topics(topic_tables, summary, has_topics: bool, kept: bool = True) -> str:
    out = ['<section id="topics"><h2>Topic leaders</h2>']
    if not topic_tables and has_topics and not kept:
        out.append('<p class="note">This store keeps topic scores of the latest run only; '
                   "report on the latest run (or use an embedded store) to see this run's "
                   "topic leaders.</p>")
    elif not topic_tables:
        out.append('<p class="note">This run has no topics'
                   + ("" if has_topics else " (analysed with --no-topics or none found)")
                   + ".</p>")
    else:
        if summary is not None:
            out.append(f'<p class="note">{len(summary):,} topics in this run; '
                       f"showing {len(topic_tables)}.</p>")
        out.append('<div class="topics">')
        users = ({} if summary is None
                 else dict(zip(summary["topic"], summary["users"], strict=True)))
        for topic, frame in topic_tables:
            rows = [[int(r.rank), r.id, f"{r.score:.1f}", f"{r.score_overall:.1f}"]
                    for r in frame.itertuples(index=False)]
            n = users.get(topic)
            out.append(f"<div><h3>{escape(topic)}"
                       + (f' <span class="note">({int(n):,} users)</span>' if n else "")
                       + "</h3>"
                       + _table(["rank", "id", "topic score", "overall"], rows, {0, 2, 3})
                       + "</div>")
        out.append("</div>")
    out.append("</section>")
    return "".join(out)


def _communities(modularity, comms) -> str:
    out = ['<section id="communities"><h2>Communities</h2>']
    if comms is None:
        out.append('<p class="note">This run has no communities '
                   "(analysed with --no-communities).</p>")
    else:
        out.append(f'<p class="note">{len(comms):,} communities, modularity '
                   f"{modularity:.4f}; the 20 largest:</p>")
        ordered = comms.sort_values(["size", "community"], ascending=[False, True]).head(20)
        rows = [[int(r.community), int(r.size), f"{r.modularity_contribution:.4f}",
                 ", ".join(f"{t['topic']} ({t['lift']:.1f}×)" for t in r.top_topics),
                 ", ".join(str(m) for m in r.top_members)]
                for r in ordered.itertuples(index=False)]
        out.append(_table(["community", "size", "modularity share", "top topics (lift)",
                           "top members"], rows, {0, 1, 2}))
    out.append("</section>")
    return "".join(out)


def _community_graph(store: Store, run, comms, kept: bool = True) -> str:
    head = '<section id="community-graph"><h2>The largest communities</h2>'
    if comms is None or len(comms) == 0:
        return head + '<p class="note">No communities in this run.</p></section>'
    if not kept:
        return head + ('<p class="note">This store keeps community memberships of the latest '
                       "run only, so this run's members cannot be drawn.</p></section>")
    import networkx as nx
    import numpy as np

    from graph_influence.timeparse import parse_duration, parse_instant

    largest = comms.sort_values(["size", "community"], ascending=[False, True]).head(
        GRAPH_COMMUNITIES)["community"].astype(int).tolist()
    members = store.user_extras(run_id=run.run_id).select(["id", "community"]).to_pandas()
    members = members[members["community"].isin(largest)].merge(
        store.scores(run_id=run.run_id)[["id", "score", "rank"]], on="id")
    members = (members.sort_values(["community", "rank", "id"])
               .groupby("community", sort=False).head(GRAPH_MEMBERS))
    view = store.graph_view(as_of=parse_instant(run.params.get("as_of")),
                            half_life_seconds=parse_duration(run.params.get("half_life")))
    ids = np.asarray(view.ids, dtype=object)
    index = {u: i for i, u in enumerate(ids)}
    picked = np.array(sorted(index[u] for u in members["id"] if u in index), dtype=np.int64)
    graph = nx.Graph()
    graph.add_nodes_from(members["id"])
    for src, dst in ((view.follow_src, view.follow_dst), (view.inter_src, view.inter_dst)):
        src, dst = np.asarray(src), np.asarray(dst)
        keep = np.isin(src, picked) & np.isin(dst, picked)
        graph.add_edges_from(zip(ids[src[keep]], ids[dst[keep]], strict=True))
    # Users with no edge inside the sample would be flung to the rim by the layout: leave them out.
    isolates = list(nx.isolates(graph))
    graph.remove_nodes_from(isolates)
    members = members[members["id"].isin(set(graph.nodes))]
    if graph.number_of_nodes() == 0:
        return head + ('<p class="note">The top members of the largest communities share no '
                       "edges to draw.</p></section>")
    pos = nx.spring_layout(graph, seed=0)

    from matplotlib import colormaps

    palette = colormaps["tab10"]
    fig = _figure(9, 7)
    ax = fig.add_subplot()
    for a, b in graph.edges():
        ax.plot([pos[a][0], pos[b][0]], [pos[a][1], pos[b][1]], color="#b0b7bf",
                linewidth=0.5, alpha=0.6, zorder=1)
    for i, community in enumerate(largest):
        group = members[members["community"] == community]
        xy = np.array([pos[u] for u in group["id"]])
        if len(xy) == 0:
            continue
        sizes = 20 + 6 * np.clip(group["score"].to_numpy(dtype=float) - 30, 0, None)
        size = int(comms.loc[comms["community"] == community, "size"].iloc[0])
        ax.scatter(xy[:, 0], xy[:, 1], s=sizes, color=palette(i % 10), edgecolors="white",
                   linewidths=0.6, zorder=2, label=f"community {community} ({size:,} users)")
        for u, (x, y) in zip(group["id"].head(3), xy[:3], strict=False):
            ax.annotate(str(u), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8,
                        zorder=3)
    ax.legend(loc="best", fontsize=8, frameon=True)
    ax.set_axis_off()
    ax.set_title(f"Top {GRAPH_MEMBERS} members of the {len(largest)} largest communities and "
                 "the edges among them")
    return (head + _png(fig)
            + f'<p class="note">{graph.number_of_nodes():,} users, {graph.number_of_edges():,} '
            "edges (follows and interactions, undirected); node size grows with the score; "
            "spring layout (seed 0). Labels: each community's top 3."
            + (f" {len(isolates):,} sampled users with no edge among the others are left out."
               if isolates else "") + "</p></section>")


def _run_section(run) -> str:
    info = [
        ["run id", run.run_id],
        ["created", run.created_at],
        ["as of", run.as_of],
        ["users / edges / events", f"{run.n_users:,} / {run.n_edges:,} / {run.n_events:,}"],
        ["converged", run.converged],
        ["iterations", run.iterations],
        ["final L1 change", f"{run.error:.3e}"],
    ]
    if run.extras.get("topic_iterations_max") is not None:
        info.append(["topic iterations (max)", run.extras["topic_iterations_max"]])
    if run.extras.get("n_topics") is not None:
        info.append(["topics", run.extras["n_topics"]])
    if run.extras.get("n_communities") is not None:
        info.append(["communities", f"{run.extras['n_communities']} (modularity "
                                    f"{_num(run.extras.get('modularity'), '.4f')})"])
    params = [[k, json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v]
              for k, v in sorted(run.params.items())]
    timings = [[k, f"{v:.3f}"] for k, v in run.timings.items()]
    calibration = json.dumps(run.calibration, sort_keys=True)
    return ('<section id="run"><h2>Run parameters and convergence</h2>'
            + _table(["", "value"], info)
            + "<h3>Parameters</h3>" + _table(["parameter", "value"], params)
            + "<h3>Timings (seconds)</h3>" + _table(["step", "seconds"], timings, {1})
            + f'<h3>Calibration</h3><p class="note"><code>{escape(calibration)}</code></p>'
            + "</section>")


def _compare_plot(store: Store, run_a: int, run_b: int) -> str:
    a = store.scores(run_id=run_a)[["id", "score"]]
    b = store.scores(run_id=run_b)[["id", "score"]]
    both = a.merge(b, on="id", suffixes=("_a", "_b"))
    fig = _figure(5, 5)
    ax = fig.add_subplot()
    ax.scatter(both["score_a"], both["score_b"], s=8, alpha=0.5, color="#4c72b0")
    ax.plot([0, 100], [0, 100], color="#c44e52", linewidth=0.8, linestyle="--")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel(f"score, run {run_a}")
    ax.set_ylabel(f"score, run {run_b}")
    ax.set_title(f"{len(both):,} users in both runs")
    return _png(fig)


def _compare(data: dict, plot: str) -> str:
    def movers(rows):
        return _table(["id", "rank before", "rank after", "change", "score before",
                       "score after"],
                      [[r["id"], int(r["rank_a"]), int(r["rank_b"]), f"{int(r['rank_change']):+d}",
                        f"{r['score_a']:.1f}", f"{r['score_b']:.1f}"] for r in rows],
                      {1, 2, 3, 4, 5})

    stats = [
        ["users", f"{data['users_a']:,} → {data['users_b']:,} ({data['common_users']:,} in both)"],
        ["Spearman (influence)", _num(data["spearman"], ".4f")],
        ["Kendall (influence)", _num(data["kendall"], ".4f")],
        *[[f"top-{k} Jaccard", _num(v, ".4f")] for k, v in data["jaccard_top"].items()],
        ["new users", f"{data['new']['count']:,}"],
        ["vanished users", f"{data['vanished']['count']:,}"],
    ]
    return (f'<section id="compare"><h2>Run {data["run_a"]} → run {data["run_b"]}</h2>'
            + _table(["", "value"], stats) + plot
            + "<h3>Biggest risers</h3>" + movers(data["risers"])
            + "<h3>Biggest fallers</h3>" + movers(data["fallers"])
            + "</section>")
