"""The HTML report: written by the library and the CLI, and opened in headless Chromium.

The browser test drives Chromium over the Chrome DevTools Protocol: the page must make no
request other than the file itself (``data:`` URIs are not network), log no console error, and
render every section; a screenshot is saved to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from graph_influence import report as report_module
from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.cli import app
from graph_influence.loading import load_snapshot
from graph_influence.report import render_report, write_report
from graph_influence.sample_data import sample_path
from graph_influence.stores import open_store

from .conftest import write_snapshot

SECTIONS = ("summary", "distribution", "leaderboard", "users", "topics", "communities",
            "community-graph", "run", "compare")


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "sample.duckdb"
    with open_store(path) as st:
        load_snapshot(st, sample_path())
        analyze(st)
        analyze(st, AnalysisParams(half_life="7d"))
    return path


@pytest.fixture(scope="module")
def sample_html(sample_store, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("html") / "report.html"
    with open_store(sample_store, read_only=True) as st:
        write_report(st, out)
    return out.read_text(encoding="utf-8")


class _Tables(HTMLParser):
    """Every table of a page: ``id -> (header texts, rows of (cell text, data-v or None))``."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, tuple[list[str], list[list[tuple[str, str | None]]]]] = {}
        self._stack: list[tuple[str, list, list]] = []
        self._cell: list | None = None
        self._v = None
        self._n = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._n += 1
            self._stack.append((a.get("id") or f"#{self._n}", [], []))
        elif self._stack and tag == "tr":
            self._stack[-1][2].append([])
        elif self._stack and tag in ("td", "th"):
            self._cell, self._v = [], a.get("data-v")

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._stack:
            text = "".join(self._cell).strip()
            rows = self._stack[-1][2]
            if tag == "th" and len(rows) == 1:
                self._stack[-1][1].append(text)
            else:
                rows[-1].append((text, self._v))
            self._cell = None
        elif tag == "table" and self._stack:
            tid, header, rows = self._stack.pop()
            self.tables[tid] = (header, [r for r in rows[1:] if r])


def _text(html: str) -> str:
    """What a reader sees: the page without tags and data: URIs, entities decoded."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    alts = " ".join(re.findall(r'alt="([^"]*)"', html))
    return unescape(re.sub(r"<[^>]+>", " ", html)) + " " + unescape(alts)


REPRS = re.compile(r"\b(None|True|False|nan|NaN|inf)\b")


def test_write_report_is_self_contained(sample_store, tmp_path):
    out = tmp_path / "report.html"
    with open_store(sample_store, read_only=True) as st:
        assert write_report(st, out, topics=["#Python", "rust"]) == out
    text = out.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'id="{section}"' in text
    assert "<h3>python" in text and "<h3>rust" in text
    assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", text.replace("file://", "")), \
        "external URL in the report"
    assert "@import" not in text and "url(" not in text and " src=\"http" not in text
    # one inline script, allowed by its hash and nothing else
    scripts = re.findall(r"<script\b([^>]*)>", text)
    assert scripts == [""]
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text).group(1)
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
    assert text.count("data:image/png;base64,") >= 3


def test_first_run_compares_with_the_next(sample_store, tmp_path):
    out = tmp_path / "r1.html"
    with open_store(sample_store, read_only=True) as st:
        write_report(st, out, run_id=1)
    text = out.read_text(encoding="utf-8")
    assert "Run 1 → run 2" in text


def test_user_strings_are_escaped_and_sections_degrade(tmp_path):
    snap = write_snapshot(
        tmp_path / "snap",
        users='id,name,topics\n<i>x</i>,"<script>alert(1)</script>",a&b\nbob,Bob & Co,a&b\n'
        "carol,Carol,a&b\n",
        follows="src,dst\nbob,<i>x</i>\ncarol,<i>x</i>\n<i>x</i>,carol\n",
    )
    out = tmp_path / "esc.html"
    with open_store(tmp_path / "esc.duckdb") as st:
        load_snapshot(st, snap)
        analyze(st, AnalysisParams(communities=False))
        write_report(st, out)
    text = out.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<i>x</i>" not in text
    assert len(re.findall(r"<script\b", text)) == 1  # the report's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;i&gt;x&lt;/i&gt;" in text
    assert "Bob &amp; Co" in text
    assert "no communities" in text and 'id="compare"' not in text
    assert not REPRS.findall(_text(text))


def test_cli_report(sample_store, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli.html"
    result = runner.invoke(app, ["report", "--out", str(out), "--store", str(sample_store),
                                 "--topic", "python", "--run", "2"])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert out.stat().st_size > 10_000
    assert str(out) in result.stderr

    bad = tmp_path / "bad.html"
    result = runner.invoke(app, ["report", "--out", str(bad), "--store", str(sample_store),
                                 "--topic", "no-such-topic"])
    assert result.exit_code == 1
    assert "no topic 'no-such-topic'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not bad.exists()

    result = runner.invoke(app, ["report", "--out", str(bad), "--store", str(sample_store),
                                 "--run", "99"])
    assert result.exit_code == 1
    assert "no run 99" in result.stderr


# -- issue 12: the report an analyst would rather look at -------------------------------------
def test_cli_report_checks_the_output_before_anything_else(sample_store, tmp_path, monkeypatch):
    import graph_influence.report as report

    def never(*args, **kwargs):
        raise AssertionError("the report was computed before its output was checked")

    monkeypatch.setattr(report, "render_report", never)
    runner = CliRunner()
    (tmp_path / "a-dir").mkdir()
    cases = {
        str(tmp_path / "missing" / "x.html"): "does not exist",
        str(tmp_path / "a-dir"): "it is a directory",
        str(tmp_path / "a-file.txt" / "x.html"): "is not a directory",
    }
    (tmp_path / "a-file.txt").write_text("x")
    for out, reason in cases.items():
        # a store that does not exist: the output is checked first, so that error comes first
        result = runner.invoke(app, ["report", out, "--store", str(tmp_path / "none.duckdb")])
        assert result.exit_code == 1, (out, result.stdout, result.stderr)
        assert result.stderr.startswith(f"error: cannot write the report to {out}: ")
        assert reason in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    with open_store(sample_store, read_only=True) as st, pytest.raises(report.ReportError):
        report.write_report(st, tmp_path / "missing" / "x.html")


def test_cli_report_to_standard_output(sample_store, tmp_path):
    result = CliRunner().invoke(app, ["report", "-", "--store", str(sample_store)])
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert result.stdout.startswith("<!DOCTYPE html>") and result.stdout.rstrip().endswith(
        "</html>")
    assert 'id="leaderboard"' in result.stdout
    assert not (tmp_path / "-").exists()


def test_every_topic_is_reachable(sample_store, sample_html):
    with open_store(sample_store, read_only=True) as st:
        topics = st.topic_names()
    assert len(topics) > 6
    header, rows = _Tables(sample_html).tables["topics-table"]
    assert header[:2] == ["topic", "users"]
    assert [r[0][0] for r in rows] == topics  # the index lists them all, most widespread first
    leaders = re.findall(r'<details id="(topic-\d+)"( open)?><summary><h3>([^<]+?) ?<',
                         sample_html)
    assert [unescape(name).strip() for _, _, name in leaders] == topics
    assert sum(1 for _, opened, _ in leaders if opened) == 6
    for anchor, _, _ in leaders:  # every index entry links to its leaders
        assert f'href="#{anchor}"' in sample_html


def test_chosen_topics_come_first_and_unfolded(sample_store, tmp_path):
    with open_store(sample_store, read_only=True) as st:
        last = st.topic_names()[-1]
        text = render_report(st, topics=[last])
    first = re.search(r'<details id="topic-1"( open)?><summary><h3>([^<]+?) ?<', text)
    assert first.group(1) == " open" and unescape(first.group(2)).strip() == last
    assert text.count("<details") == text.count("</details>") and " open>" in text


def test_top_users_have_the_explain_breakdown(sample_store, sample_html):
    from graph_influence.explain import explain_user

    tables = _Tables(sample_html).tables
    header, rows = tables["users-table"]
    assert len(rows) == report_module.USERS_K
    with open_store(sample_store, read_only=True) as st:
        top = st.top_rows(report_module.USERS_K).column("id")
        assert [r[header.index("id")][0] for r in rows] == top
        for row in rows[:3]:
            data = explain_user(st, row[header.index("id")][0], n=report_module.CONTRIBUTORS_K)
            total = data["influence"]
            share = float(row[header.index("teleport")][1])
            assert share == pytest.approx(data["teleport"] / total, abs=1e-6)
            for kind, part in data["by_kind"].items():
                if kind in header:
                    assert float(row[header.index(kind)][1]) == pytest.approx(
                        part / total, abs=1e-6)
            # each user's contributors, in explain's order
            anchor = re.search(rf'<a href="#(user-\d+)">{re.escape(data["id"])}</a>',
                               sample_html).group(1)
            block = sample_html[sample_html.index(f'<div id="{anchor}">'):]
            block = block[:block.index("</table>")]
            shown = [r[0][0] for r in _Tables(block + "</table>").tables["#1"][1]]
            assert shown == [c["id"] for c in data["contributors"]]
            shares = sum(float(v) for (_, v) in row[header.index("teleport"):]
                         if v is not None)
            assert shares == pytest.approx(1.0, abs=1e-6)  # teleport + kinds = 100 %


def test_names_shown_and_an_empty_name_column_hidden(sample_html, tmp_path):
    header, rows = _Tables(sample_html).tables["leaderboard-table"]
    assert "name" in header and all(r[header.index("name")][0] for r in rows)
    snap = write_snapshot(tmp_path / "snap", users="id\nann\nben\ncid\n",
                          follows="src,dst\nann,ben\ncid,ben\nben,ann\n")
    with open_store(tmp_path / "nameless.duckdb") as st:
        load_snapshot(st, snap)
        analyze(st)
        text = render_report(st)
    tables = _Tables(text).tables
    for tid in ("leaderboard-table", "users-table"):
        assert "name" not in tables[tid][0], tid
    assert len(tables["leaderboard-table"][1]) == 3


def test_compare_shows_the_parameters_that_differ(sample_html):
    compare = sample_html[sample_html.index('<section id="compare">'):]
    assert "Parameters that differ" in compare
    tables = _Tables(compare).tables
    diff = next(t for t in tables.values() if t[0][:1] == ["parameter"])
    assert diff[0] == ["parameter", "run 1", "run 2"]
    assert [[c[0] for c in r] for r in diff[1]] == [["half_life", "30d", "7d"]]


def test_no_python_reprs_in_the_page(sample_html):
    text = _text(sample_html)
    assert not REPRS.findall(text), sorted(set(REPRS.findall(text)))
    assert "converged yes" in re.sub(r"\s+", " ", text)


def test_other_scales_and_a_bare_run_read_cleanly(tmp_path):
    snap = write_snapshot(tmp_path / "snap", users="id\nann\nben\ncid\ndan\n",
                          follows="src,dst\nann,ben\ncid,ben\nben,ann\ndan,ann\n")
    with open_store(tmp_path / "bare.duckdb") as st:
        load_snapshot(st, snap)
        analyze(st, AnalysisParams(scale="percentile", topics=False, communities=False))
        text = render_report(st)
    assert not REPRS.findall(_text(text))
    assert "median = 40" not in text and "klout scale" not in text  # no klout anchors
    assert "received no attention; they share the lowest score" in text  # no klout floor
    assert 'id="compare"' not in text and "This run has no topics" in text


def test_plots_have_alt_text(sample_html):
    images = re.findall(r"<img\b[^>]*>", sample_html)
    assert len(images) >= 3
    for img in images:
        alt = re.search(r'alt="([^"]*)"', img)
        assert alt and len(alt.group(1)) > 30, img[:200]


def test_histogram_axis_and_the_floor(sample_store, sample_html):
    import numpy as np

    with open_store(sample_store, read_only=True) as st:
        recorded = st.run().extras.get("score_floor")
    distribution = sample_html[sample_html.index('<section id="distribution">'):]
    distribution = distribution[:distribution.index("</section>")]
    if recorded:  # the run records its floor: say how many users are at it
        assert (f"{recorded['users']:,} users ({recorded['share']:.1%}) received no attention"
                in unescape(distribution))
    assert "logarithmic" in distribution
    # a spike at the floor does not hide the rest: a log count axis, the floor bar apart
    values = np.concatenate([np.full(100_000, 10.0), np.linspace(30, 98, 500)])
    floor = report_module._Floor(10.0, 100_000, 0.995, True, True)
    fig, above = report_module._histogram(values, floor, "klout", 1)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and int(above.sum()) == 500
    heights = sorted(p.get_height() for p in ax.patches if p.get_height() > 0)
    assert heights[-1] == 100_000 and heights[0] >= 1
    # without a floor record, the users tied at the lowest score are the floor
    run = SimpleNamespace(extras={})
    assert report_module._floor(np.array([12.0, 12.0, 40.0, 70.0]), run) == report_module._Floor(
        12.0, 2, 0.5, unattended=False, fixed=False)


def test_report_does_each_run_sized_read_once(sample_store, monkeypatch):
    """What keeps a 300,000-user report to seconds: one read of each run's scores, one graph
    view, no users x topics table, no per-user explain; the comparison plots a density."""
    import numpy as np
    import pyarrow as pa

    import graph_influence.compare as compare
    import graph_influence.explain as explain

    calls: dict[str, int] = {}
    monkeypatch.setattr(explain, "explain_user",
                        lambda *a, **k: pytest.fail("explain_user called per user"))
    real_compare = compare.compare_runs
    with open_store(sample_store, read_only=True) as st:
        data = real_compare(st, 1, 2, n=10)
        monkeypatch.setattr(compare, "compare_runs", lambda *a, **k: data)
        for name in ("scores_arrow", "graph_view", "user_extras", "top_topic_rows",
                     "topics_rows"):
            real = getattr(st, name)

            def counted(*a, _real=real, _name=name, **k):
                calls[_name] = calls.get(_name, 0) + 1
                return _real(*a, **k)

            monkeypatch.setattr(st, name, counted)
        render_report(st, backtest=False)
        n_topics = len(st.topic_names())
        assert calls.get("graph_view") == 1
        render_report(st)  # the backtest reads two more views: the split's and everything's
        assert calls.get("graph_view") == 1 + 1 + 2
        calls["scores_arrow"] //= 2
        calls["topics_rows"] //= 2
        calls["top_topic_rows"] //= 2
    assert calls.get("scores_arrow") == 2  # this run and the one it is compared with
    assert calls.get("user_extras", 0) == 0
    assert calls.get("topics_rows") == 1 and calls.get("top_topic_rows") == n_topics
    ids = pa.array([f"u{i}" for i in range(20_000)])
    rng = np.random.default_rng(0)
    a = pa.table({"id": ids, "score": rng.uniform(0, 100, 20_000)})
    b = pa.table({"id": ids, "score": rng.uniform(0, 100, 20_000)})
    img = report_module._compare_plot(a, b, 1, 2)
    assert "density" in img[:400]


# --------------------------------------------------------------------------------------------
# A minimal Chrome DevTools Protocol client over one browser websocket (flat sessions).

class _CDP:
    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)
        raise TimeoutError(method)

    def wait_event(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for ev in self.events:
            if ev["method"] == method:
                return ev
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if "method" in reply:
                self.events.append(reply)
                if reply["method"] == method:
                    return reply
        raise TimeoutError(method)

    def close(self) -> None:
        self.ws.close()


def _launch_chromium(binary: str, profile: Path):
    proc = subprocess.Popen(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    stderr: list[str] = []

    def drain():
        for line in proc.stderr:
            stderr.append(line)
            lines.put(line)

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        m = re.search(r"DevTools listening on (ws://\S+)", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    proc.wait()
    raise AssertionError("chromium did not start:\n" + "".join(stderr[-30:]))


def _chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        reason = ("chromium is not installed (apt-get install chromium; `make test` installs "
                  "it) — the report's browser test cannot run")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


class _Page:
    """The report open in one headless Chromium tab: evaluate JavaScript, click, type."""

    def __init__(self, cdp: _CDP, session: str, url: str):
        self.cdp, self.session, self.url = cdp, session, url

    def evaluate(self, expression: str):
        result = self.cdp.send("Runtime.evaluate", {"expression": expression,
                                                    "returnByValue": True,
                                                    "awaitPromise": True},
                               session=self.session)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (CDP Input events) in the middle of the element."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
            "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); "
            "return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.cdp.send("Input.dispatchMouseEvent", {
                "type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
                session=self.session)

    def type(self, selector: str, text: str) -> None:
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.cdp.send("Input.insertText", {"text": text}, session=self.session)

    def column(self, table: str, header: str, attr: str = "text") -> list:
        """The visible rows' cells under ``header`` (their text, or their ``data-v``)."""
        get = "c.textContent.trim()" if attr == "text" else "parseFloat(c.dataset.v)"
        return self.evaluate(
            f"(() => {{ const t = document.getElementById({json.dumps(table)}); "
            "const i = Array.from(t.tHead.rows[0].cells).findIndex("
            f"h => h.textContent.trim() === {json.dumps(header)}); "
            "return Array.from(t.tBodies[0].rows).filter(r => !r.hidden)"
            f".map(r => {{ const c = r.cells[i]; return {get}; }}); }})()")


@pytest.fixture(scope="module")
def chromium_page(sample_store, tmp_path_factory):
    binary = _chromium()
    folder = tmp_path_factory.mktemp("chromium")
    out = folder / "report.html"
    with open_store(sample_store, read_only=True) as st:
        write_report(st, out, topics=["python", "rust", "ai"])
    url = out.resolve().as_uri()
    proc, ws_url = _launch_chromium(binary, folder / "profile")
    try:
        cdp = _CDP(ws_url)
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            cdp.send(f"{domain}.enable", session=session)
        cdp.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                 session=session)
        cdp.events.clear()
        cdp.send("Page.navigate", {"url": url}, session=session)
        cdp.wait_event("Page.loadEventFired")
        page = _Page(cdp, session, url)
        page.evaluate("1")  # let queued events arrive
        page.folder = folder
        yield page
        cdp.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_report_renders_in_headless_chromium(chromium_page):
    page, cdp = chromium_page, chromium_page.cdp
    missing = page.evaluate(
        f"{json.dumps(SECTIONS)}.filter(id => !document.querySelector('section#' + id))")
    assert missing == [], f"sections missing: {missing}"
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])")
    assert len(images) >= 3 and all(ok and w > 0 and alt for ok, w, alt in images), images
    assert page.evaluate("document.querySelectorAll('#leaderboard tbody tr').length") >= 10
    # what a reader sees holds no Python reprs
    seen = page.evaluate("document.body.innerText")
    assert not REPRS.findall(seen), sorted(set(REPRS.findall(seen)))
    height = page.evaluate("document.documentElement.scrollHeight")
    shot = cdp.send("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}},
        session=page.session, timeout=60)

    requests = [ev["params"]["request"]["url"] for ev in cdp.events
                if ev["method"] == "Network.requestWillBeSent"]
    network = [u for u in requests if u != page.url and not u.startswith("data:")]
    assert network == [], f"the report made network requests: {network}"
    assert page.url in requests
    errors = []
    for ev in cdp.events:
        p = ev.get("params", {})
        if ev["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append(p)
        elif ev["method"] == "Runtime.exceptionThrown":
            errors.append(p)
        elif ev["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
            errors.append(p["entry"])  # a blocked script or image (CSP) is logged here
    assert errors == [], f"console errors: {errors}"

    import base64

    png = page.folder / "report.png"
    png.write_bytes(base64.b64decode(shot["data"]))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"report screenshot: {png}")


@pytest.mark.slow
def test_tables_sort_by_a_clicked_header_in_chromium(chromium_page):
    page = chromium_page
    ranks = page.column("leaderboard-table", "rank", "v")
    assert ranks == sorted(ranks) and len(ranks) == report_module.LEADERBOARD_K
    header = "#leaderboard-table thead th:nth-child(4)"  # rank, id, name, score
    assert page.evaluate(f"document.querySelector('{header}').textContent") == "score"
    page.click(header)
    up = page.column("leaderboard-table", "score", "v")
    assert up == sorted(up) and up[0] < up[-1]
    assert page.evaluate(f"document.querySelector('{header}').getAttribute('aria-sort')") \
        == "ascending"
    page.click(header)
    down = page.column("leaderboard-table", "score", "v")
    assert down == sorted(down, reverse=True)
    page.click("#leaderboard-table thead th:nth-child(3)")  # names, as text
    names = page.column("leaderboard-table", "name")
    expected = page.evaluate(f"{json.dumps(names)}.map(n => n.toLowerCase()).sort("
                             "(a, b) => a.localeCompare(b, undefined, {numeric: true}))")
    assert [n.lower() for n in names] == expected and len(set(names)) > 1
    page.click("#leaderboard-table thead th:nth-child(1)")  # back to rank order
    assert page.column("leaderboard-table", "rank", "v") == ranks


@pytest.mark.slow
def test_tables_filter_as_you_type_in_chromium(chromium_page):
    page = chromium_page
    ids = page.column("leaderboard-table", "id")
    names = page.column("leaderboard-table", "name")
    target = names[7]
    page.type('input[data-table="leaderboard-table"]', target.split()[0].lower())
    shown = page.column("leaderboard-table", "name")
    assert target in shown and len(shown) < len(ids)
    assert all(target.split()[0].lower() in (n.lower() + " " + i.lower())
               for n, i in zip(shown, page.column("leaderboard-table", "id"), strict=True))
    count = page.evaluate("document.getElementById('leaderboard-table-count').textContent")
    assert count == f"{len(shown)} of {len(ids)} rows"
    page.evaluate("(() => { const e = document.querySelector("
                  "'input[data-table=\"leaderboard-table\"]'); e.value = ''; "
                  "e.dispatchEvent(new Event('input')); })()")
    assert page.column("leaderboard-table", "id") == ids


@pytest.mark.slow
def test_topic_links_unfold_their_leaders_in_chromium(chromium_page):
    page = chromium_page
    closed = page.evaluate(
        "Array.from(document.querySelectorAll('#topics details:not([open])')).map(d => d.id)")
    assert closed, "every topic is unfolded"
    anchor = closed[-1]
    page.click(f'#topics-table a[href="#{anchor}"]')
    page.evaluate("new Promise(r => setTimeout(r, 100))")
    assert page.evaluate(f"document.getElementById('{anchor}').open") is True
    assert page.evaluate(f"document.getElementById('{anchor}').querySelectorAll("
                         "'tbody tr').length") >= 1
    page.click('#leaderboard-table a[href="#user-1"]')  # ids link to their breakdown
    page.evaluate("new Promise(r => setTimeout(r, 100))")
    assert page.evaluate("location.hash") == "#user-1"


@pytest.mark.slow
def test_report_from_neo4j_equals_sections_of_duckdb(neo4j_store, tmp_path):
    load_snapshot(neo4j_store, sample_path(), progress=False)
    analyze(neo4j_store, progress=False)
    analyze(neo4j_store, AnalysisParams(half_life="7d"), progress=False)
    out = tmp_path / "neo4j.html"
    write_report(neo4j_store, out)
    text = out.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'id="{section}"' in text
    assert len(re.findall(r"<script\b", text)) == 1
