"""A self-contained HTML report of an analysis run.

One file that opens without network access: styles and one small script inline, plots rendered
by matplotlib (Agg) to PNG and embedded as ``data:`` URIs (each with alt text), no web fonts, no
external URLs; the page's Content-Security-Policy allows nothing else. The script sorts a table
when a header is clicked (or focused and Enter pressed), filters a table as you type in its
search box, and opens the folded section a link points to; without it every table is still
there, in its default order.

Sections (each with an ``id``): ``summary``, ``distribution``, ``leaderboard``, ``trend`` (the
top :data:`USERS_K` users' scores in up to :data:`TREND_RUNS` runs, when the store holds
another run), ``users`` (the ``explain`` breakdown of the top :data:`USERS_K`), ``topics``
(every topic of the run, its leaders one click away), ``communities``, ``community-graph``,
``run``, and ``compare`` when the store holds another run to compare with (with the parameters
that differ).

Every run-sized read happens once (the run's scores, its graph view) and every run-sized step
is vectorised, so a 300,000-user store reports in a few seconds. Values are written for a
reader: missing ones as ``—``, booleans as yes/no, and every user string (ids, names, topics)
HTML-escaped.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import math
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from graph_influence.errors import GraphInfluenceError

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from graph_influence.params import AnalysisParams
    from graph_influence.stores import Store

__all__ = ["ReportError", "check_output", "render_report", "write_report"]

#: Users in the leaderboard (searchable and sortable).
LEADERBOARD_K = 100
#: Top users whose influence the ``users`` section breaks down (``explain``), and the
#: contributors listed for each.
USERS_K = 10
CONTRIBUTORS_K = 5
#: Runs the ``trend`` section shows the top users' scores in (one column each).
TREND_RUNS = 8
#: Leaders shown per topic; the topics shown unfolded when none are chosen.
TOPIC_K = 10
DEFAULT_TOPICS = 6
#: Communities in the table, and in the picture (with their top members).
COMMUNITIES_K = 100
GRAPH_COMMUNITIES = 5
GRAPH_MEMBERS = 12
#: Above this many users in both runs the comparison plot is a density, not a scatter.
SCATTER_MAX = 5_000
ANCHORS = ((40.0, "median = 40"), (63.0, "95th percentile = 63"))
DASH = "—"


class ReportError(GraphInfluenceError):
    """The report cannot be written where asked (checked before anything is computed)."""


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 1.5rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #d0d7de; padding-bottom: .3rem;
     margin-top: 2rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
p.meta { color: #59636e; margin-top: 0; }
nav ul { list-style: none; padding: 0; margin: .4rem 0; display: flex; flex-wrap: wrap;
         gap: .2rem 1rem; }
table { border-collapse: collapse; font-size: .88rem; margin: .4rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .55rem; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; white-space: nowrap; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " \\25B2"; font-size: .7em; }
th[aria-sort="descending"]::after { content: " \\25BC"; font-size: .7em; }
.scroll { max-height: 34rem; overflow: auto; margin: .4rem 0 1rem; }
.scroll table { margin: 0; }
.scroll thead th { position: sticky; top: 0; }
input.filter { font: inherit; font-size: .88rem; padding: .2rem .45rem; width: 20rem;
               max-width: 100%; }
.count { color: #59636e; font-size: .85rem; margin-left: .5rem; }
img { max-width: 100%; height: auto; display: block; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr));
        gap: 0 1.2rem; align-items: start; }
.grid > * { min-width: 0; overflow-x: auto; }
.grid.wide { grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); }
details { margin: .2rem 0; }
summary { cursor: pointer; }
summary h3 { display: inline; }
.note { color: #59636e; font-size: .88rem; }
"""

_SCRIPT = """(function () {
  "use strict";
  var each = function (list, f) { Array.prototype.forEach.call(list, f); };
  function key(cell, i) {
    var v = cell ? cell.getAttribute("data-v") : null;
    var t = cell ? cell.textContent.trim().toLowerCase() : "";
    if (v !== null && v !== "" && !isNaN(parseFloat(v))) return {c: 0, n: parseFloat(v), i: i};
    return {c: t && t !== "\\u2014" ? 1 : 2, t: t, i: i};
  }
  function sortTable(table, column, dir) {
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (r, i) {
      return {r: r, k: key(r.cells[column], i)};
    });
    rows.sort(function (x, y) {
      var a = x.k, b = y.k;
      if (a.c !== b.c) return a.c - b.c;  // numbers, then text, then blanks: both directions
      var c = a.c === 0 ? a.n - b.n
            : a.c === 1 ? a.t.localeCompare(b.t, undefined, {numeric: true}) : 0;
      return dir * c || a.i - b.i;
    });
    var frag = document.createDocumentFragment();
    rows.forEach(function (x) { frag.appendChild(x.r); });
    body.appendChild(frag);
  }
  each(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead) return;
    var heads = table.tHead.rows[0].cells;
    each(heads, function (th, column) {
      th.tabIndex = 0;
      function go() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        each(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        sortTable(table, column, dir);
      }
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); }
      });
    });
  });
  each(document.querySelectorAll("input.filter"), function (input) {
    var id = input.getAttribute("data-table");
    var table = document.getElementById(id);
    var count = document.getElementById(id + "-count");
    if (!table) return;
    var rows = table.tBodies[0].rows;
    function text(r) {
      if (r.q === undefined) {
        r.q = Array.prototype.map.call(r.cells, function (c) {
          return c.textContent; }).join("\\n").toLowerCase();
      }
      return r.q;
    }
    function update() {
      var terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
      var shown = 0;
      each(rows, function (r) {
        var q = text(r);
        var hit = terms.every(function (t) { return q.indexOf(t) >= 0; });
        r.hidden = !hit;
        if (hit) shown += 1;
      });
      if (count) {
        count.textContent = terms.length ? shown + " of " + rows.length + " rows"
                                         : rows.length + " rows";
      }
    }
    input.addEventListener("input", update);
    update();
  });
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
    }
    if (target) target.scrollIntoView();
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
"""


# -- output ----------------------------------------------------------------------------------
def check_output(out: str | Path, *, store_url: str | os.PathLike | None = None) -> Path:
    """Raise :class:`ReportError` unless ``out`` can be written; return it as a Path.

    Called before anything is read or computed, so a typo costs no time. The store
    (``store_url``, default: the default store) is refused as the report
    (:func:`graph_influence.outputs.check_output`).

    Examples
    --------
    >>> check_output("/no/such/dir/r.html")
    Traceback (most recent call last):
    ...
    graph_influence.report.ReportError: cannot write the report to /no/such/dir/r.html: ...
    """
    from graph_influence.errors import OutputError
    from graph_influence.outputs import check_output as check_path

    try:
        check_path(out, store_url=store_url, what="write the report to")
    except OutputError as exc:
        raise ReportError(str(exc)) from None
    return Path(out)


def write_report(store: Store, out: str | Path, *, topics: list[str] | None = None,
                 run_id: int | None = None, backtest: bool = True) -> Path:
    """Write a self-contained HTML report of a run (default: the latest) to ``out``.

    Parameters
    ----------
    store : Store
    out : str or Path
        The HTML file to write; its folder must exist and be writable (checked first, before
        anything is computed).
    topics : list of str, optional
        Topics to show first and unfolded (default: the run's most widespread few); every
        topic of the run is in the report. Unknown topics raise
        :class:`~graph_influence.errors.StoreNotReadyError`.
    run_id : int, optional
        The run to report on (default: the latest). When the store holds another run, the
        report compares the previous run (or, for the first run, the next) with it.
    backtest : bool, optional
        Add the backtest of the run's parameters (default True; see :func:`render_report`).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ReportError
        If ``out`` cannot be written.
    """
    target = check_output(out)
    page = render_report(store, topics=topics, run_id=run_id, backtest=backtest)
    try:
        target.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write the report to {target}: {exc.strerror}") from exc
    return target


def render_report(store: Store, *, topics: list[str] | None = None,
                  run_id: int | None = None, backtest: bool = True) -> str:
    """The HTML report of a run as a string (what :func:`write_report` writes).

    Parameters are those of :func:`write_report`; ``backtest`` adds the section "Does the
    score predict attention?" (:func:`graph_influence.backtest.backtest` with the run's
    parameters at the default split; two more graph views).
    """
    from graph_influence.params import AnalysisParams
    from graph_influence.topic_names import normalize_topic

    run = store.run(run_id)  # raises "no analysis yet" / "no run N" as every query does
    runs = store.runs()
    rid = run.run_id
    params = AnalysisParams.from_record(run.params)
    has_topics = bool(run.extras.get("n_topics"))
    # Some stores keep topic scores and memberships of the latest run only: ask, don't catch.
    kept = store.has_run_results(rid)
    chosen = list(dict.fromkeys(normalize_topic(t) for t in topics or []))
    run_topics = store.topic_names(run_id=rid) if has_topics and kept else []
    # Read everything first, so that an unknown topic fails before anything is written.
    ordered = chosen + [t for t in run_topics if t not in chosen]
    topic_tables = [(t, store.top_topic(t, TOPIC_K, run_id=rid)) for t in ordered]
    opened = set(chosen) if chosen else set(run_topics[:DEFAULT_TOPICS])
    topic_summary = store.topics_summary(run_id=rid) if has_topics and kept else None
    scores = store.scores_arrow(run_id=rid)
    board = store.top_rows(LEADERBOARD_K, run_id=rid).records()
    modularity, comms = None, None
    if run.extras.get("modularity") is not None:  # the run has communities
        modularity, rows = store.communities_rows(run_id=rid, limit=COMMUNITIES_K)
        comms = sorted(rows.records(), key=lambda r: (-r["size"], r["community"]))
    # the run's own graph, whatever was loaded since (as explain does)
    loads = store.loads_of_run(rid) if store.loads_after_run(rid) else None
    view = store.graph_view(as_of=params.as_of_time, half_life_seconds=params.half_life_seconds,
                            load_ids=loads)
    explained = _explain_top(store, run, params, view, loads, scores, board[:USERS_K])
    others = [r.run_id for r in runs if r.run_id != rid]
    comparison = None
    if others:
        from graph_influence.compare import compare_runs

        earlier = [o for o in others if o < rid]
        pair = (earlier[-1], rid) if earlier else (rid, others[0])
        comparison = compare_runs(store, *pair, n=10)
        other_scores = store.scores_arrow(run_id=pair[0] if pair[1] == rid else pair[1])
        pair_scores = (other_scores, scores) if pair[1] == rid else (scores, other_scores)
        compare_html = _compare(comparison, *pair_scores)

    window = _trend_runs([r.run_id for r in runs], rid) if len(runs) > 1 else []
    histories = _histories(store, board[:USERS_K], window) if window else None

    anchors = {row["id"]: f"user-{i}" for i, row in enumerate(board[:USERS_K], 1)}
    trend = None if histories is None else _trend(board[:USERS_K], histories, window, rid,
                                                  anchors)
    sections = [
        ("distribution", "Score distribution", _distribution(scores, run, params)),
        ("leaderboard", "Leaderboard", _leaderboard(board, anchors)),
        *([("trend", "The top users across runs", trend)] if trend is not None else []),
        ("users", "Why the top users score what they do", _users(explained, anchors)),
        ("topics", "Topics", _topics(topic_tables, topic_summary, opened, has_topics, kept)),
        ("communities", "Communities",
         _communities(modularity, comms, run.extras.get("n_communities"))),
        ("community-graph", "The largest communities",
         _community_graph(run, view, scores, store, comms, kept)),
        ("run", "Run parameters and convergence", _run_section(run, params)),
    ]
    if backtest:
        sections.insert(-1, ("backtest", "Does the score predict attention?",
                             _backtest_section(store, params)))
    if comparison is not None:
        sections.append(("compare", f"Run {comparison['run_a']} → run {comparison['run_b']}",
                         compare_html))
    script = _SCRIPT
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
           f"script-src 'sha256-{digest}'")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>graph-influence report — run {rid}</title>",
        f"<style>{_CSS}</style></head><body>",
        _summary(store, run, params, len(runs), sections),
        *(f'<section id="{sid}"><h2>{escape(title)}</h2>{body}</section>'
          for sid, title, body in sections),
        f"<script>{script}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


# -- the backtest ----------------------------------------------------------------------------
def _backtest_section(store: Store, params) -> str:
    """``graph-influence backtest`` with the run's score parameters, as a table (or why not)."""
    from graph_influence.backtest import backtest
    from graph_influence.errors import GraphInfluenceError

    try:
        result = backtest(store, params, progress=False)
    except GraphInfluenceError as exc:
        return f'<p class="note">No backtest: {escape(str(exc))}.</p>'
    ks = result.ks
    header = ["method", "Spearman", *(f"p@{k}" for k in ks), *(f"NDCG@{k}" for k in ks)]
    rows = [[m.method, _n(m.spearman, ".4f"), *(_n(m.precision[k], ".3f") for k in ks),
             *(_n(m.ndcg[k], ".3f") for k in ks)] for m in result.methods]
    note = (f'<p class="note">The {result.events_before:,} events up to '
            f'{escape(f"{result.at:%Y-%m-%d %H:%M:%S}")}, scored with this run\'s parameters, '
            f"against the {result.events_after:,} after: Spearman over the {result.active_users:,} "
            "users active by then; precision@k and NDCG@k against the users who received the "
            f"most {escape(result.target)} afterwards ({result.users_attended_after:,} received "
            "any). Baselines on the same split: follower count, PageRank on follows, distinct "
            "engagers and attention events before it (<code>graph-influence backtest</code>)."
            "</p>")
    return note + _table(header, rows, numeric=set(range(1, len(header))),
                         table_id="backtest-table")


# -- values and tables -----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class _Cell:
    """A table cell: its HTML (already escaped), a numeric sort key, right-aligned or not."""

    html: str
    sort: float | None = None
    num: bool = False


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _value(value) -> str:
    """A value as a reader wants it: ``—`` for missing, yes/no, no Python reprs.

    Examples
    --------
    >>> [_value(v) for v in (None, float("nan"), True, 0.25, 12345, {"like": 0.5}, [])]
    ['—', '—', 'yes', '0.25', '12,345', 'like 0.5', '—']
    """
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        value = value.item()
    if _missing(value):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else ("∞" if value > 0 else "−∞")
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        offset = value.utcoffset()
        return text + (" UTC" if offset is not None and not offset else "")
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_value(v)}" for k, v in value.items()) or DASH
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) or DASH
    return str(value)


def _n(value, fmt: str = ",") -> _Cell:
    """A numeric cell formatted with ``fmt`` (``—`` when missing), sorted by its value."""
    if hasattr(value, "item"):
        value = value.item()
    if _missing(value):
        return _Cell(DASH, None, True)
    return _Cell(escape(format(value, fmt)), float(value), True)


def _pct(part: float, whole: float) -> _Cell:
    if not whole:
        return _Cell(DASH, None, True)
    share = part / whole
    return _Cell(f"{share:.1%}", share, True)


def _link(text, anchor: str | None) -> _Cell:
    if anchor is None:
        return _Cell(escape(_value(text)))
    return _Cell(f'<a href="#{anchor}">{escape(_value(text))}</a>')


def _array(column):
    """One Arrow array from a table column (``value_set`` arguments need one)."""
    return column.combine_chunks() if hasattr(column, "combine_chunks") else column


def _cell_html(cell) -> str:
    if not isinstance(cell, _Cell):
        return f"<td>{escape(_value(cell))}</td>"
    attrs = (' class="num"' if cell.num else "") + (
        f' data-v="{cell.sort!r}"' if cell.sort is not None and math.isfinite(cell.sort) else "")
    return f"<td{attrs}>{cell.html}</td>"


def _table(header: list[str], rows: list[list], *, numeric: set[int] = frozenset(),
           table_id: str | None = None, search: str | None = None, sortable: bool = True,
           sorted_by: int | None = None, scroll: bool = False) -> str:
    """An HTML table; raw values are escaped here, :class:`_Cell` values are used as they are.

    ``search`` adds a search box (its placeholder names what is searched), which needs
    ``table_id``; ``sorted_by`` marks the column the rows come sorted by (ascending).
    """
    sortable = sortable and len(rows) > 1
    head = "".join(
        "<th scope=\"col\"" + (' class="num"' if i in numeric else "")
        + (' aria-sort="ascending"' if sortable and i == sorted_by else "")
        + f">{escape(h)}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(map(_cell_html, row)) + "</tr>" for row in rows)
    attrs = (f' id="{table_id}"' if table_id else "") + (' class="sortable"' if sortable else "")
    table = f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if scroll and len(rows) > 25:
        table = f'<div class="scroll">{table}</div>'
    if search and table_id and len(rows) > 1:
        label = escape(f"Search {search}")
        table = (f'<p><input type="search" class="filter" data-table="{table_id}" '
                 f'placeholder="{label}…" aria-label="{label}">'
                 f'<span class="count" id="{table_id}-count">{len(rows):,} rows</span></p>'
                 + table)
    return table


def _name_column(names: list) -> bool:
    """Whether any of ``names`` is a non-empty name (else the column is left out)."""
    return any(not _missing(n) and str(n).strip() for n in names)


# -- plots -----------------------------------------------------------------------------------
def _png(fig, alt: str) -> str:
    """A matplotlib figure as an ``<img>`` with a base64 PNG ``data:`` URI and alt text."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight",
                metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


# -- sections --------------------------------------------------------------------------------
def _summary(store: Store, run, params: AnalysisParams, n_runs: int, sections) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<li><a href="#{sid}">{escape(title)}</a></li>' for sid, title, _ in sections)
    return (
        '<section id="summary"><h1>graph-influence report</h1>'
        f'<p class="meta">store {escape(store.url)} · run {run.run_id} of {n_runs} · '
        f"{run.n_users:,} users, {run.n_edges:,} edges, {run.n_events:,} events · "
        f"scale {escape(params.scale)} · generated {now}</p>"
        f'<nav aria-label="Sections"><ul>{nav}</ul></nav></section>'
    )


@dataclasses.dataclass(frozen=True)
class _Floor:
    """The users at the bottom of the scale: their score, count and share of all users.

    ``unattended``: they are the users who received no attention (the run's ``score_floor``
    record), not just the users tied at the lowest score; ``fixed``: that score is the klout
    floor, so the scale's anchors were fitted on the other users.
    """

    score: float
    users: int
    share: float
    unattended: bool
    fixed: bool


def _floor(values: np.ndarray, run) -> _Floor | None:
    """The run's floor: from its ``score_floor`` record, else the users tied at the lowest
    score; ``None`` when no user is at it (or there are no users).

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> _floor(np.array([12.0, 12.0, 40.0, 70.0]), SimpleNamespace(extras={}))
    _Floor(score=12.0, users=2, share=0.5, unattended=False, fixed=False)
    """
    import numpy as np

    record = run.extras.get("score_floor")
    if isinstance(record, Mapping) and record.get("users") is not None:
        users = int(record["users"])
        if users == 0 or record.get("score") is None:
            return None
        share = record.get("share")
        return _Floor(float(record["score"]), users,
                      float(share) if share is not None else users / len(values), True,
                      bool(record.get("fixed", True)))
    if not len(values):
        return None
    low = float(values.min())
    users = int(np.count_nonzero(values == low))
    return _Floor(low, users, users / len(values), False, False)


def _histogram(values: np.ndarray, floor, scale: str, run_id: int):
    """The score histogram: 2-point bins, a logarithmic count axis, the floor bar in grey."""
    import numpy as np

    at_floor = (np.isclose(values, floor.score, rtol=0, atol=1e-9) if floor is not None
                else np.zeros(len(values), dtype=bool))
    edges = np.linspace(0, 100, 51)
    width = edges[1] - edges[0]
    counts, _ = np.histogram(values[~at_floor], bins=edges)
    k = int(at_floor.sum())
    fig = _figure(9, 3.6)
    ax = fig.add_subplot()
    ax.bar(edges[:-1], counts, width=width, align="edge", color="#4c72b0", edgecolor="white",
           log=True)
    if k:
        left = min(max(math.floor(floor.score / width) * width, 0.0), 100 - width)
        ax.bar([left], [k], width=width, align="edge", color="#8c959f", edgecolor="white",
               log=True)
        right = left < 20  # no score lies below the floor: the label goes left of the bar
        ax.annotate(f"{k:,} at {floor.score:.1f}", xy=(left + (width if right else 0), k),
                    xytext=(4 if right else -4, -4), textcoords="offset points",
                    ha="left" if right else "right", va="top", fontsize=8, color="#57606a")
    if scale == "klout":
        for x, label in ANCHORS:
            ax.axvline(x, color="#c44e52", linestyle="--", linewidth=1.4)
            ax.annotate(label, xy=(x, 1), xycoords=("data", "axes fraction"), xytext=(4, -14),
                        textcoords="offset points", color="#c44e52", fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_ylim(0.7, max(int(counts.max(initial=0)), k, 2) * 10)  # room for the labels
    ax.set_xlabel("score (0–100)")
    ax.set_ylabel("users (log scale)")
    ax.set_title(f"Score distribution, run {run_id} ({len(values):,} users)")
    return fig, ~at_floor


def _distribution(scores: pa.Table, run, params: AnalysisParams) -> str:
    import numpy as np

    values = scores["score"].to_numpy(zero_copy_only=False).astype(float)
    n = len(values)
    floor = _floor(values, run)
    fig, above = _histogram(values, floor, params.scale, run.run_id)
    fixed = floor is not None and floor.fixed
    attended = values[above] if fixed else values
    stats = (f"median {np.median(attended):.1f}, 95th percentile "
             f"{np.percentile(attended, 95):.1f}, max {attended.max():.1f}"
             if len(attended) else "no scores")
    if floor is None:
        floor_text = ""
    else:
        who = (f"{floor.users:,} user{'s' if floor.users != 1 else ''} ({floor.share:.1%}) ")
        if fixed:
            floor_text = (f"{who}received no attention and sit{'s' if floor.users == 1 else ''} "
                          f"at the floor score {floor.score:.1f}")
        elif floor.unattended:
            floor_text = (f"{who}received no attention; they share the lowest score, "
                          f"{floor.score:.1f}")
        else:
            floor_text = (f"{who}{'share' if floor.users != 1 else 'has'} the lowest score, "
                          f"{floor.score:.1f}")
    among = " among the users who received attention" if fixed else ""
    anchors = ("Calibration anchors (dashed): on the klout scale the median user scores 40 and "
               f"the 95th percentile 63{' (both' + among + ')' if among else ''}. "
               if params.scale == "klout" else "")
    alt = (f"Histogram of the scores of {n:,} users, 0 to 100 in steps of 2, on a logarithmic "
           f"count axis. " + (f"{floor_text}. " if floor_text else "")
           + f"Observed{among}: {stats}.")
    return (_png(fig, alt)
            + '<p class="note">' + (f"{floor_text} (the grey bar). " if floor_text else "")
            + "The count axis is logarithmic, so a tall bar does not hide the rest. "
            + f"{anchors}Observed{among}: {stats}.</p>")


def _leaderboard(board: list[dict], anchors: dict[str, str]) -> str:
    names = _name_column([r["name"] for r in board])
    header = ["rank", "id", *(["name"] if names else []), "score", "influence"]
    rows = [[_n(r["rank"]), _link(r["id"], anchors.get(r["id"])),
             *([r["name"]] if names else []), _n(r["score"], ".1f"),
             _n(r["influence"], ".6g")] for r in board]
    numeric = {0, len(header) - 2, len(header) - 1}
    note = (f'<p class="note">The {len(board):,} best users; ids link to their breakdown '
            f"below (the top {min(USERS_K, len(board))}).</p>" if board else
            '<p class="note">No users.</p>')
    return note + _table(header, rows, numeric=numeric, table_id="leaderboard-table",
                         search="ids and names", sorted_by=0, scroll=True)


# -- the trend section: the top users' scores in the runs around this one ----------------------
def _trend_runs(run_ids: list[int], rid: int) -> list[int]:
    """The runs the trend shows: up to :data:`TREND_RUNS`, ending with ``rid`` when enough
    runs precede it, else the first ones (``rid`` is always among them); oldest first."""
    end = run_ids.index(rid) + 1
    start = max(0, end - TREND_RUNS)
    return run_ids[start:min(len(run_ids), start + TREND_RUNS)]


def _histories(store: Store, top: list[dict], window: list[int]) -> list[dict[int, dict]]:
    """Per top user: ``run_id -> {score, rank, ...}`` for the runs of ``window`` that scored
    them (:meth:`~graph_influence.stores.base.Store.user_history`, one query per user)."""
    shown = set(window)
    return [{h["run_id"]: h for h in store.user_history(row["id"]).records()
             if h["run_id"] in shown} for row in top]


def _trend(top: list[dict], histories: list[dict[int, dict]], window: list[int], rid: int,
           anchors: dict[str, str]) -> str:
    """The top users' score in each run of ``window`` (a column per run), and the change
    from the first of those runs to this one; ids link to the users' breakdown."""
    if not top:
        return '<p class="note">No users.</p>'
    names = _name_column([r["name"] for r in top])
    first = window[0]
    since = [f"change since run {first}"] if first != rid else []
    header = ["rank", "id", *(["name"] if names else []),
              *(f"run {r}" + (" (this)" if r == rid else "") for r in window), *since]
    rows = []
    for row, runs in zip(top, histories, strict=True):
        cells = [_n(runs[r]["score"], ".1f") if r in runs else _Cell(DASH, None, True)
                 for r in window]
        change = []
        if since:
            change = [_n(runs[rid]["score"] - runs[first]["score"], "+.1f")
                      if first in runs and rid in runs else _Cell(DASH, None, True)]
        rows.append([_n(row["rank"]), _link(row["id"], anchors.get(row["id"])),
                     *([row["name"]] if names else []), *cells,
                     *change])
    offset = 2 + names
    numeric = {0, *range(offset, offset + len(window) + len(since))}
    note = (f'<p class="note">The scores of this run\'s top {len(top)} users in '
            f"{len(window)} runs, oldest first (<code>graph-influence history ID</code> lists "
            f"every run of one user); {DASH}: the run did not score the user.</p>")
    return note + _table(header, rows, numeric=numeric, table_id="trend-table", sorted_by=0)


# -- the users section: the explain breakdown of the top users --------------------------------
def _explain_top(store: Store, run, params: AnalysisParams, view, loads: list[str] | None,
                 scores: pa.Table, top: list[dict]) -> list[dict] | str:
    """The ``explain`` decomposition of each of the ``top`` users (or why there is none).

    One attention matrix and one topic-signal pass serve every user; each user is one
    :func:`~graph_influence.algorithms.explain.decompose_influence` call on the run's stored
    influence (``graph-influence explain`` polishes it first; the shares agree to the
    precision shown).
    """
    if not top:
        return "No users."
    seeds = (run.extras or {}).get("personalization")
    if seeds:  # the seed set is not stored: its teleport cannot be rebuilt
        return (f"Run {run.run_id} is personalised (teleport to {seeds['n_seeds']:,} seed users "
                f"from {seeds.get('source') or 'a list'}): the breakdown decomposes runs with "
                "the uniform teleport only.")
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from graph_influence.algorithms.explain import decompose_influence, split_by_topic
    from graph_influence.walk import walk_of

    view_ids = pa.array(view.ids, type=pa.string())
    row_of = pc.index_in(view_ids, value_set=_array(scores["id"]))
    if row_of.null_count:
        return f"Run {run.run_id} does not cover every user of its graph: analyze again."
    row_of = row_of.to_numpy()
    influence = scores["influence"].to_numpy()[row_of]
    score = scores["score"].to_numpy()[row_of]
    graph = view.attention_arguments(type_weights=params.type_weights,
                                     follow_weight=params.follow_weight,
                                     concave=params.concave)
    walk = walk_of(view, params)
    adjacency = walk.adjacency
    nodes = pc.index_in(pa.array([r["id"] for r in top], type=pa.string()), value_set=view_ids)
    if nodes.null_count:
        return f"The top users of run {run.run_id} are not all in its graph: analyze again."
    nodes = nodes.to_numpy(zero_copy_only=False)
    decs = [decompose_influence(adjacency, influence, int(node), alpha=params.damping, **graph,
                                **walk.pagerank_arguments())
            for node in nodes]
    signals = None
    if params.topics and run.extras.get("n_topics") and any(d.interaction.any() for d in decs):
        from graph_influence.topic_signals import extract_topic_signals

        signals = extract_topic_signals(
            store.topic_rows(load_ids=loads), view, type_weights=params.type_weights,
            min_users=params.min_topic_users, max_topics=params.max_topics)
    out = []
    for row, dec in zip(top, decs, strict=True):
        total = dec.teleport + float(dec.contributions.sum())  # = influence, to rounding
        by_kind = {"follow": float(dec.follow.sum())}
        by_kind.update({t: float(dec.by_type[:, i].sum()) for i, t in enumerate(view.type_names)})
        by_topic: list[tuple[str, float]] = []
        if signals is not None:
            parts = split_by_topic(dec, tag_src=signals.tag_src, tag_dst=signals.tag_dst,
                                   tag_topic=signals.tag_topic,
                                   tag_decayed=signals.tag_decayed, n_topics=signals.n_topics)
            best = np.argsort(-parts, kind="stable")[:3]
            by_topic = [(signals.names[t], float(parts[t])) for t in best
                        if parts[t] >= 5e-4 * total]  # what shows as at least 0.1 %
        order = np.argsort(-dec.contributions, kind="stable")[:CONTRIBUTORS_K]
        contributors = []
        for i in order:
            u = int(dec.sources[i])
            kinds = (["follow"] if dec.follow_weights[i] else []) + [
                t for j, t in enumerate(view.type_names) if dec.by_type[i, j]]
            contributors.append({"id": str(view.ids[u]), "score": float(score[u]),
                                 "share": float(dec.contributions[i]) / total, "kinds": kinds})
        out.append({**row, "total": total, "teleport": dec.teleport, "by_kind": by_kind,
                    "by_topic": by_topic, "in_neighbours": len(dec.sources),
                    "contributors": contributors})
    return out


def _users(explained: list[dict] | str, anchors: dict[str, str]) -> str:
    if isinstance(explained, str):
        return f'<p class="note">{escape(explained)}</p>'
    kinds = [k for k in explained[0]["by_kind"]
             if any(e["by_kind"][k] for e in explained)]
    names = _name_column([e["name"] for e in explained])
    has_topics = any(e["by_topic"] for e in explained)
    header = ["rank", "id", *(["name"] if names else []), "score", "in-neighbours", "teleport",
              *kinds, *(["top topics"] if has_topics else [])]
    rows = []
    for e in explained:
        topics = ", ".join(f"{t} {v / e['total']:.1%}" for t, v in e["by_topic"])
        rows.append([_n(e["rank"]), _link(e["id"], anchors.get(e["id"])),
                     *([e["name"]] if names else []), _n(e["score"], ".1f"),
                     _n(e["in_neighbours"]), _pct(e["teleport"], e["total"]),
                     *(_pct(e["by_kind"][k], e["total"]) for k in kinds),
                     *([topics or DASH] if has_topics else [])])
    numeric = {0, *range(2 + names, 5 + names + len(kinds))}
    out = [f'<p class="note">Where the influence of the top {len(explained)} users comes from '
           "(what <code>graph-influence explain ID</code> prints): the teleport share, and the "
           "shares their in-neighbours pass on, by edge kind"
           + (" and by topic" if has_topics else "") + "; each row adds up to 100 %.</p>",
           _table(header, rows, numeric=numeric, table_id="users-table", sorted_by=0),
           '<div class="grid wide">']
    for e in explained:
        title = f"{e['rank']}. {e['id']}" + (f" — {e['name']}" if names and e["name"] else "")
        contributors = [[c["id"], _n(c["score"], ".1f"), _pct(c["share"], 1.0),
                         " + ".join(c["kinds"]) or DASH] for c in e["contributors"]]
        out.append(
            f'<div id="{anchors[e["id"]]}"><h3>{escape(title)}</h3>'
            f'<p class="note">score {e["score"]:.1f} · influence {e["influence"]:.4g} = '
            f"teleport {e['teleport'] / e['total']:.1%} + {e['in_neighbours']:,} "
            f"in-neighbour{'s' if e['in_neighbours'] != 1 else ''}</p>"
            + (_table(["top contributor", "score", "share", "via"], contributors,
                      numeric={1, 2}, sortable=False) if contributors
               else '<p class="note">No in-neighbours: all of it is teleport.</p>')
            + "</div>")
    out.append("</div>")
    return "".join(out)


def _topics(topic_tables, summary, opened: set[str], has_topics: bool, kept: bool) -> str:
    if not topic_tables and has_topics and not kept:
        return ('<p class="note">This store keeps topic scores of the latest run only; '
                "report on the latest run (or use an embedded store) to see this run's "
                "topic leaders.</p>")
    if not topic_tables:
        return ('<p class="note">This run has no topics'
                + ("" if has_topics else " (analysed with --no-topics or none found)") + ".</p>")
    anchors = {t: f"topic-{i}" for i, (t, _) in enumerate(topic_tables, 1)}
    users = {} if summary is None else dict(zip(summary["topic"], summary["users"], strict=True))
    out = [f'<p class="note">{len(topic_tables):,} topics. Every topic is listed below with its '
           f"top {TOPIC_K}; {len(opened & set(anchors)):,} are unfolded, a click on a "
           "topic's name unfolds the others.</p>"]
    if summary is not None and len(summary):
        index = [[_link(r.topic, anchors.get(r.topic)), _n(r.users), _n(r.iterations),
                  ", ".join(str(u) for u in r.top_influencers) or DASH]
                 for r in summary.itertuples(index=False)]
        out.append(_table(["topic", "users", "iterations", "top 3"], index, numeric={1, 2},
                          table_id="topics-table", search="topics and users", scroll=True))
    out.append('<div class="grid">')
    for topic, frame in topic_tables:
        names = _name_column(frame["name"].tolist())
        rows = [[_n(r.rank), r.id, *([_value(r.name)] if names else []), _n(r.score, ".1f"),
                 _n(r.score_overall, ".1f")] for r in frame.itertuples(index=False)]
        n = users.get(topic)
        header = ["rank", "id", *(["name"] if names else []), "topic score", "overall"]
        out.append(
            f'<details id="{anchors[topic]}"' + (" open" if topic in opened else "")
            + f"><summary><h3>{escape(topic)}"
            + (f' <span class="note">({int(n):,} users)</span>' if n else "")
            + "</h3></summary>"
            + _table(header, rows, numeric={0, len(header) - 2, len(header) - 1}, sorted_by=0)
            + "</details>")
    out.append("</div>")
    return "".join(out)


def _communities(modularity, comms: list[dict] | None, total: int | None) -> str:
    if comms is None:
        return '<p class="note">This run has no communities (analysed with --no-communities).</p>'
    total = len(comms) if total is None else int(total)
    rows = [[_n(r["community"]), _n(r["size"]), _n(r["modularity_contribution"], ".4f"),
             ", ".join(f"{t['topic']} ({t['lift']:.1f}×)" for t in r["top_topics"]) or DASH,
             ", ".join(str(m) for m in r["top_members"]) or DASH] for r in comms]
    shown = "" if len(comms) >= total else f"; the {len(comms):,} largest"
    return (f'<p class="note">{total:,} communities, modularity '
            f"{_value(modularity) if _missing(modularity) else format(modularity, '.4f')}"
            f"{shown}:</p>"
            + _table(["community", "size", "modularity share", "top topics (lift)",
                      "top members"], rows, numeric={0, 1, 2}, table_id="communities-table",
                     search="communities, topics and members", scroll=True))


def _community_graph(run, view, scores: pa.Table, store: Store, comms: list[dict] | None,
                     kept: bool) -> str:
    if not comms:
        return '<p class="note">No communities in this run.</p>'
    if not kept:
        return ('<p class="note">This store keeps community memberships of the latest run '
                "only, so this run's members cannot be drawn.</p>")
    import networkx as nx
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    largest = [int(r["community"]) for r in comms[:GRAPH_COMMUNITIES]]
    sizes_of = {int(r["community"]): int(r["size"]) for r in comms}
    members = store.membership_table(run_id=run.run_id)
    members = members.filter(pc.is_in(members["community"],
                                      value_set=pa.array(largest, type=members["community"].type)))
    # their rank and score (scores come ordered by rank, then id)
    at = pc.index_in(members["id"], value_set=_array(scores["id"])).to_numpy(zero_copy_only=False)
    community = members["community"].to_numpy()
    view_ids = pa.array(view.ids, type=pa.string())
    node = pc.index_in(members["id"], value_set=view_ids)
    known = ~np.isnan(at.astype(float)) & node.is_valid().to_numpy(zero_copy_only=False)
    at = at[known].astype(np.int64)
    community = community[known]
    node = node.to_numpy(zero_copy_only=False)[known].astype(np.int64)
    picked_nodes, picked_rows, picked_comm = [], [], []
    for c in largest:
        mine = np.flatnonzero(community == c)
        best = mine[np.argsort(at[mine], kind="stable")[:GRAPH_MEMBERS]]
        picked_nodes.append(node[best])
        picked_rows.append(at[best])
        picked_comm.append(np.full(len(best), c))
    nodes = np.concatenate(picked_nodes)
    rows = np.concatenate(picked_rows)
    comm_of = np.concatenate(picked_comm)
    ids = np.asarray(view.ids, dtype=object)
    graph = nx.Graph()
    graph.add_nodes_from(ids[nodes])
    for src, dst in ((view.follow_src, view.follow_dst), (view.inter_src, view.inter_dst)):
        src, dst = np.asarray(src), np.asarray(dst)
        keep = np.isin(src, nodes) & np.isin(dst, nodes) & (src != dst)
        graph.add_edges_from(zip(ids[src[keep]], ids[dst[keep]], strict=True))
    # Users with no edge inside the sample would be flung to the rim by the layout: leave them out.
    isolates = set(nx.isolates(graph))
    graph.remove_nodes_from(isolates)
    if graph.number_of_nodes() == 0:
        return ('<p class="note">The top members of the largest communities share no '
                "edges to draw.</p>")
    pos = nx.spring_layout(graph, seed=0)

    from matplotlib import colormaps
    from matplotlib.collections import LineCollection

    palette = colormaps["tab10"]
    score_col = scores["score"].to_numpy()
    fig = _figure(9, 7)
    ax = fig.add_subplot()
    ax.add_collection(LineCollection([(pos[a], pos[b]) for a, b in graph.edges()],
                                     colors="#b0b7bf", linewidths=0.5, alpha=0.6, zorder=1))
    for i, c in enumerate(largest):
        sel = [j for j in np.flatnonzero(comm_of == c) if ids[nodes[j]] not in isolates]
        if not sel:
            continue
        group = ids[nodes[sel]]
        xy = np.array([pos[u] for u in group])
        sizes = 20 + 6 * np.clip(score_col[rows[sel]] - 30, 0, None)
        ax.scatter(xy[:, 0], xy[:, 1], s=sizes, color=palette(i % 10), edgecolors="white",
                   linewidths=0.6, zorder=2, label=f"community {c} ({sizes_of[c]:,} users)")
        for u, (x, y) in zip(group[:3], xy[:3], strict=False):
            ax.annotate(str(u), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8,
                        zorder=3)
    ax.legend(loc="best", fontsize=8, frameon=True)
    ax.autoscale_view()
    ax.set_axis_off()
    ax.set_title(f"Top {GRAPH_MEMBERS} members of the {len(largest)} largest communities and "
                 "the edges among them")
    n_nodes, n_edges = graph.number_of_nodes(), graph.number_of_edges()
    alt = (f"Network drawing of {n_nodes:,} top members of the {len(largest)} largest "
           f"communities ({', '.join(f'community {c}' for c in largest)}), one colour each, "
           f"with the {n_edges:,} edges among them; larger dots score higher.")
    return (_png(fig, alt)
            + f'<p class="note">{n_nodes:,} users, {n_edges:,} edges (follows and interactions, '
            "undirected); node size grows with the score; spring layout (seed 0). Labels: each "
            "community's top 3."
            + (f" {len(isolates):,} sampled users with no edge among the others are left out."
               if isolates else "") + "</p>")


def _run_section(run, params: AnalysisParams) -> str:
    from graph_influence.params import AnalysisParams

    info = [
        ["run id", run.run_id],
        ["created", run.created_at],
        ["as of", run.as_of],
        ["users / edges / events", f"{run.n_users:,} / {run.n_edges:,} / {run.n_events:,}"],
        ["converged", run.converged],
        ["iterations", run.iterations],
        ["final L1 change", _n(run.error, ".3e")],
    ]
    if run.extras.get("topic_iterations_max") is not None:
        info.append(["topic iterations (max)", run.extras["topic_iterations_max"]])
    if run.extras.get("n_topics") is not None:
        info.append(["topics", run.extras["n_topics"]])
    if run.extras.get("n_communities") is not None:
        info.append(["communities", f"{run.extras['n_communities']:,} (modularity "
                                    f"{_value(run.extras.get('modularity'))})"])
    floor = run.extras.get("score_floor")
    if isinstance(floor, Mapping) and floor.get("users") is not None:
        info.append(["users at the floor",
                     f"{int(floor['users']):,} ({float(floor.get('share') or 0):.1%}) at "
                     f"{_value(floor.get('score'))}"])
    defaults = AnalysisParams()
    names = [f.name for f in dataclasses.fields(AnalysisParams)]
    rows = []
    for name in names:
        value, default = getattr(params, name), getattr(defaults, name)
        if name == "half_life":  # as recorded (normalised), compared in seconds
            value, same = run.params.get(name, value), (
                params.half_life_seconds == defaults.half_life_seconds)
        elif name == "as_of":  # the record holds the resolved time, whoever chose it
            value, same = run.params.get(name, value), True
        elif name == "type_weights":  # the store's other types are recorded at 1
            same = all(value.get(k, 1.0) == w for k, w in default.items()) and all(
                w == 1.0 for k, w in value.items() if k not in default)
        else:
            same = value == default
        rows.append([name, _value(value), "" if same else _value(default)])
    rows += [[k, _value(v), ""] for k, v in sorted(run.params.items())
             if k not in names and k != "record_version"]
    timings = [[k, _n(v, ".3f")] for k, v in run.timings.items()]
    calibration = [["method", run.calibration.get("method")]] + [
        [k, _value(v)] for k, v in (run.calibration.get("params") or {}).items()
        if not isinstance(v, list)] + [
        [f"fitted on: {k.replace('_', ' ')}", _value(v)]
        for k, v in (run.calibration.get("fitted_on") or {}).items()]
    return (_table(["", "value"], info, sortable=False)
            + "<h3>Parameters</h3>"
            + '<p class="note">"default" shows the default where the run used another value.</p>'
            + _table(["parameter", "value", "default"], rows, table_id="params-table")
            + "<h3>Timings (seconds)</h3>" + _table(["step", "seconds"], timings, numeric={1})
            + "<h3>Calibration</h3>" + _table(["", "value"], calibration, sortable=False))


def _compare_plot(a: pa.Table, b: pa.Table, run_a: int, run_b: int) -> str:
    import numpy as np
    import pyarrow.compute as pc

    at = pc.index_in(a["id"], value_set=_array(b["id"]))  # a's users in b (null: not there)
    here = at.is_valid().to_numpy(zero_copy_only=False)
    xa = a["score"].to_numpy(zero_copy_only=False).astype(float)[here]
    xb = b["score"].to_numpy(zero_copy_only=False).astype(float)[
        at.drop_null().to_numpy(zero_copy_only=False).astype(np.int64)]
    fig = _figure(5.6, 5)
    ax = fig.add_subplot()
    if len(xa) > SCATTER_MAX:
        from matplotlib.colors import LogNorm

        density, _, _ = np.histogram2d(xa, xb, bins=100, range=[[0, 100], [0, 100]])
        density[density == 0] = np.nan
        image = ax.imshow(density.T, origin="lower", extent=(0, 100, 0, 100), aspect="auto",
                          cmap="viridis", norm=LogNorm(vmin=1, vmax=max(np.nanmax(density), 2)),
                          interpolation="nearest")
        fig.colorbar(image, ax=ax, label="users (log scale)")
        how = "density of users, log colour scale"
    else:
        ax.scatter(xa, xb, s=8, alpha=0.5, color="#4c72b0")
        how = "one dot per user"
    ax.plot([0, 100], [0, 100], color="#c44e52", linewidth=0.8, linestyle="--")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel(f"score, run {run_a}")
    ax.set_ylabel(f"score, run {run_b}")
    ax.set_title(f"{len(xa):,} users in both runs")
    alt = (f"Scores of the {len(xa):,} users in both runs, run {run_a} across and run {run_b} "
           f"up ({how}); the dashed diagonal means no change.")
    return _png(fig, alt)


def _compare(data: dict, scores_a: pa.Table, scores_b: pa.Table) -> str:
    def movers(rows):
        return _table(["id", "rank before", "rank after", "change", "score before",
                       "score after"],
                      [[r["id"], _n(r["rank_a"]), _n(r["rank_b"]), _n(r["rank_change"], "+,d"),
                        _n(r["score_a"], ".1f"), _n(r["score_b"], ".1f")] for r in rows],
                      numeric={1, 2, 3, 4, 5})

    def listed(title, part):
        if not part["count"]:
            return ""
        rows = [[r["id"], _n(r["rank"]), _n(r["score"], ".1f")] for r in part["top"]]
        return (f"<h3>{title} ({part['count']:,})</h3>"
                + _table(["id", "rank", "score"], rows, numeric={1, 2}, sorted_by=1))

    stats = [
        ["users", f"{data['users_a']:,} → {data['users_b']:,} ({data['common_users']:,} in both)"],
        ["Spearman (influence)", _n(data["spearman"], ".4f")],
        ["Kendall (influence)", _n(data["kendall"], ".4f")],
        *[[f"top-{k} Jaccard", _n(v, ".4f")] for k, v in data["jaccard_top"].items()],
        ["new users", _n(data["new"]["count"])],
        ["vanished users", _n(data["vanished"]["count"])],
    ]
    as_of = data.get("as_of")
    if as_of:
        stats.insert(0, ["as of", f"{_value(as_of[0])} → {_value(as_of[1])}"])
    diff = [[name, _value(va), _value(vb)]
            for name, (va, vb) in (data.get("parameters") or {}).items()]
    params = ("<h3>Parameters that differ</h3>"
              + (_table(["parameter", f"run {data['run_a']}", f"run {data['run_b']}"], diff)
                 if diff else '<p class="note">Both runs used the same parameters.</p>'))
    return (_table(["", "value"], stats, sortable=False) + params
            + _compare_plot(scores_a, scores_b, data["run_a"], data["run_b"])
            + "<h3>Biggest risers</h3>" + movers(data["risers"])
            + "<h3>Biggest fallers</h3>" + movers(data["fallers"])
            + listed("New users", data["new"]) + listed("Vanished users", data["vanished"]))
